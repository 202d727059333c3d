//! The three pollers (FINRA short interest, FINRA Reg SHO daily, CFTC TFF) as tokio tasks.
//!
//! Each task: open the cache, announce what it holds, then poll on its own cadence. A poll asks
//! the network only when new data can exist (the next settlement plus publication lag, the next
//! Friday release, a trade date not yet held), so a restart makes no requests. Health is judged by
//! the age of the data itself, in days, not by how recently a request succeeded.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc, Weekday};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::cache::Cache;
use crate::config::Config;
use crate::feed::cftc::{self, cftc_base, CftcClient};
use crate::feed::finra::client::FinraClient;
use crate::feed::finra::si::{back_to_weekday, next_settlement_after};
use crate::feed::finra::{self, finra_base, finra_cdn_base, settlement_dates_before};
use crate::feed::{FeedEvent, FeedHealth};

/// FINRA publishes short interest about 7 business days after settlement.
pub const SI_PUBLICATION_DAYS: u64 = 8;
/// A short-interest refetch also re-reads this many days before the newest report (revisions).
pub const SI_REVISION_DAYS: u64 = 45;
/// A TFF report (Tuesday) is released on Friday; the next one 10 days after the newest report date.
pub const TFF_NEXT_RELEASE_DAYS: u64 = 10;
/// A Reg SHO file is posted by ~18:00 ET: ask for today's file only after this UTC hour.
pub const REGSHO_POSTED_UTC_HOUR: u32 = 23;
/// At most this many Reg SHO files per poll (a first run fetches the whole window).
pub(super) const REGSHO_MAX_FILES: usize = 40;

/// What one poll produced: events to send (rows, health, warnings) and requests made.
#[derive(Debug, Default)]
pub struct PollOutcome {
    pub events: Vec<FeedEvent>,
    pub requests: usize,
}

/// Spawn the three pollers; base URLs from `cfg`, overridden by `FINRA_API_URL`, `FINRA_CDN_URL`,
/// `CFTC_API_URL`. `cache` is the SQLite file (created if missing).
pub fn spawn_pollers(
    cfg: &Config,
    cache: PathBuf,
    tx: mpsc::Sender<FeedEvent>,
) -> Vec<JoinHandle<()>> {
    spawn_pollers_with_env(cfg, cache, tx, |k| std::env::var(k).ok())
}

/// [`spawn_pollers`] with an explicit environment lookup (tests).
pub fn spawn_pollers_with_env(
    cfg: &Config,
    cache: PathBuf,
    tx: mpsc::Sender<FeedEvent>,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<JoinHandle<()>> {
    let si = SiPoller::new(cfg, &env);
    let regsho = RegShoPoller::new(cfg, &env);
    let tff = CftcPoller::new(cfg, &env);
    vec![
        tokio::spawn(run(Poller::Si(si), cache.clone(), tx.clone())),
        tokio::spawn(run(Poller::RegSho(regsho), cache.clone(), tx.clone())),
        tokio::spawn(run(Poller::Cftc(tff), cache, tx)),
    ]
}

/// The pollers a session runs: every source when trading against a real account (`always`),
/// otherwise only the sources whose base URL the environment names (`FINRA_API_URL`,
/// `CFTC_API_URL`), so an embedded replay never reaches the internet unless asked to.
pub fn spawn_for_session(
    cfg: &Config,
    cache: PathBuf,
    tx: mpsc::Sender<FeedEvent>,
    always: bool,
) -> Vec<JoinHandle<()>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let mut tasks = Vec::new();
    if always || env("FINRA_API_URL").is_some() {
        tasks.push(tokio::spawn(run(
            Poller::Si(SiPoller::new(cfg, &env)),
            cache.clone(),
            tx.clone(),
        )));
        tasks.push(tokio::spawn(run(
            Poller::RegSho(RegShoPoller::new(cfg, &env)),
            cache.clone(),
            tx.clone(),
        )));
    }
    if always || env("CFTC_API_URL").is_some() {
        tasks.push(tokio::spawn(run(
            Poller::Cftc(CftcPoller::new(cfg, &env)),
            cache,
            tx,
        )));
    }
    tasks
}

pub enum Poller {
    Si(SiPoller),
    RegSho(RegShoPoller),
    Cftc(CftcPoller),
}

impl Poller {
    pub fn source(&self) -> &'static str {
        match self {
            Poller::Si(_) => finra::SOURCE_SI,
            Poller::RegSho(_) => finra::SOURCE_REGSHO,
            Poller::Cftc(_) => cftc::SOURCE,
        }
    }

    fn interval(&self) -> Duration {
        let secs = match self {
            Poller::Si(p) => p.interval_secs,
            Poller::RegSho(p) => p.interval_secs,
            Poller::Cftc(p) => p.interval_secs,
        };
        Duration::from_secs(secs.max(60))
    }

    /// What the cache holds, as events (sent once at start).
    pub fn cached_events(&self, cache: &Cache) -> Vec<FeedEvent> {
        let rows = match self {
            Poller::Si(_) => cache
                .short_interest()
                .map(|r| r.into_iter().map(FeedEvent::ShortInterest).collect()),
            Poller::RegSho(_) => cache
                .short_volume()
                .map(|r| r.into_iter().map(FeedEvent::ShortVolume).collect()),
            Poller::Cftc(_) => cache
                .positioning()
                .map(|r| r.into_iter().map(FeedEvent::Positioning).collect()),
        };
        rows.unwrap_or_else(|e| vec![warning(self.source(), e.to_string())])
    }

    pub async fn poll(&self, cache: &Cache, now: DateTime<Utc>) -> PollOutcome {
        match self {
            Poller::Si(p) => p.poll(cache, now).await,
            Poller::RegSho(p) => p.poll(cache, now).await,
            Poller::Cftc(p) => p.poll(cache, now).await,
        }
    }
}

async fn run(poller: Poller, cache_path: PathBuf, tx: mpsc::Sender<FeedEvent>) {
    let source = poller.source();
    let cache = match Cache::open(&cache_path) {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("cache {} unusable ({e}); refetching", cache_path.display());
            if tx.send(warning(source, msg)).await.is_err() {
                return;
            }
            match Cache::in_memory() {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx
                        .send(health(
                            source,
                            FeedHealth::Failed {
                                error: e.to_string(),
                            },
                        ))
                        .await;
                    return;
                }
            }
        }
    };
    for ev in poller.cached_events(&cache) {
        if tx.send(ev).await.is_err() {
            return;
        }
    }
    loop {
        let out = poller.poll(&cache, Utc::now()).await;
        for ev in out.events {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(poller.interval()).await;
    }
}

pub(crate) fn warning(source: &str, message: String) -> FeedEvent {
    FeedEvent::Warning {
        source: source.to_string(),
        message,
    }
}

pub(crate) fn health(source: &str, health: FeedHealth) -> FeedEvent {
    FeedEvent::Health {
        source: source.to_string(),
        health,
    }
}

/// Health from the newest data date: stale once it is older than `stale_days`.
pub fn data_health(newest: Option<NaiveDate>, today: NaiveDate, stale_days: i64) -> FeedHealth {
    match newest {
        Some(d) if (today - d).num_days() <= stale_days => FeedHealth::Connected,
        Some(d) => FeedHealth::Stale {
            since: midnight(d + Days::new(stale_days.max(0) as u64)),
        },
        None => FeedHealth::Stale {
            since: midnight(today),
        },
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn timeout(ms: u64) -> Duration {
    Duration::from_millis(ms.max(1000))
}

pub struct SiPoller {
    pub(super) client: FinraClient,
    pub(super) symbols: Vec<String>,
    pub(super) interval_secs: u64,
    pub(super) stale_after_days: i64,
    pub(super) history_days: i64,
}

pub struct RegShoPoller {
    pub(super) client: FinraClient,
    pub(super) symbols: Vec<String>,
    pub(super) interval_secs: u64,
    pub(super) days_back: i64,
    pub(super) stale_after_days: i64,
}

pub struct CftcPoller {
    pub(super) client: CftcClient,
    pub(super) markets: Vec<(String, String)>,
    pub(super) limit: usize,
    pub(super) interval_secs: u64,
    pub(super) stale_after_days: i64,
}

fn finra_client(cfg: &Config, env: &impl Fn(&str) -> Option<String>) -> FinraClient {
    FinraClient::new(
        finra_base(cfg, env),
        finra_cdn_base(cfg, env),
        timeout(cfg.finra.timeout_ms),
        cfg.finra.page_limit,
    )
}

impl SiPoller {
    pub fn new(cfg: &Config, env: &impl Fn(&str) -> Option<String>) -> Self {
        SiPoller {
            client: finra_client(cfg, env),
            symbols: cfg.finra.symbols.clone(),
            interval_secs: cfg.finra.poll_interval_secs,
            stale_after_days: cfg.finra.stale_after_days,
            history_days: cfg.finra.history_days,
        }
    }
}

impl RegShoPoller {
    pub fn new(cfg: &Config, env: &impl Fn(&str) -> Option<String>) -> Self {
        RegShoPoller {
            client: finra_client(cfg, env),
            symbols: cfg.finra.symbols.clone(),
            interval_secs: cfg.finra.poll_interval_secs,
            days_back: cfg.finra.regsho_days,
            stale_after_days: cfg.finra.regsho_stale_after_days,
        }
    }

    /// Trade dates wanted now: weekdays of the window up to yesterday, today once it is posted.
    pub fn wanted_days(&self, now: DateTime<Utc>) -> Vec<NaiveDate> {
        let today = now.date_naive();
        let last = if now.hour() >= REGSHO_POSTED_UTC_HOUR {
            today
        } else {
            today - Days::new(1)
        };
        let first = today - Days::new(self.days_back.max(1) as u64);
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect()
    }
}

impl CftcPoller {
    pub fn new(cfg: &Config, env: &impl Fn(&str) -> Option<String>) -> Self {
        CftcPoller {
            client: CftcClient::new(
                cftc_base(cfg, env),
                cfg.cftc.dataset.clone(),
                timeout(cfg.cftc.timeout_ms),
            ),
            markets: cftc::markets(cfg),
            // One more than the weeks so the 52-week window has both ends.
            limit: cfg.cftc.history_weeks + 1,
            interval_secs: cfg.cftc.poll_interval_secs,
            stale_after_days: cfg.cftc.stale_after_days,
        }
    }
}

/// Helpers shared by the poll bodies in `poll.rs`.
pub(crate) fn si_due(
    last_fetch: Option<DateTime<Utc>>,
    newest: Option<NaiveDate>,
    now: DateTime<Utc>,
    interval_secs: u64,
) -> bool {
    match last_fetch {
        None => true,
        Some(t) if (now - t).num_seconds() < interval_secs as i64 => false,
        Some(_) => newest.is_none_or(|n| {
            now.date_naive() >= next_settlement_after(n) + Days::new(SI_PUBLICATION_DAYS)
        }),
    }
}

/// Settlement dates to try in the pipe-file fallback, newest first: each computed date and the
/// weekday before it (an exchange holiday moves settlement one business day earlier).
pub(crate) fn fallback_file_dates(today: NaiveDate, newest: Option<NaiveDate>) -> Vec<NaiveDate> {
    let published_by = today - Days::new(SI_PUBLICATION_DAYS);
    settlement_dates_before(published_by, 2)
        .into_iter()
        .filter(|d| newest.is_none_or(|n| *d > n))
        .flat_map(|d| [d, back_to_weekday(d - Days::new(1))])
        .collect()
}
