//! `--feed alpaca`: Market Data v2 bars for IWM, TWM and SRTY by REST polling: backfill and every
//! closed bar (the websocket in `alpaca_stream` brings the forming bar during market hours).
//!
//! Backfill first (one `History` per symbol), then poll for new bars while the market is open.
//! Only closed bars newer than the last one per symbol are emitted, in time order; the market
//! clock and calendar decide when to go `Idle`, and a silent session turns the feed `Stale`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;

use super::{FeedEvent, FeedHealth};
use crate::alpaca::bars::{backfill_start, fetch_bars, BarsQuery};
use crate::alpaca::session::{is_final, ny_date, Sessions};
use crate::alpaca::{AlpacaClient, AlpacaError};
use crate::model::{Bar, Symbol};

pub use super::alpaca_config::{derive_poll_interval, AlpacaFeedConfig, RestForming};

pub const SOURCE: &str = "alpaca";

/// After the close, keep polling this long to pick up the closing (and daily) bars.
const AFTER_CLOSE: chrono::Duration = chrono::Duration::minutes(20);
/// While closed, look at the clock at least this often (halts, schedule changes).
const IDLE_RECHECK: Duration = Duration::from_secs(600);
const MAX_ERROR_WAIT: Duration = Duration::from_secs(60);

/// The receiver is gone: stop quietly.
struct Closed;

struct Feed {
    cfg: AlpacaFeedConfig,
    client: AlpacaClient,
    tx: mpsc::Sender<FeedEvent>,
    last: BTreeMap<Symbol, DateTime<Utc>>,
    health: Option<FeedHealth>,
    sessions: Sessions,
    sessions_day: Option<chrono::NaiveDate>,
    /// Free plans may not query the last 15 minutes of SIP: set after the 403 that says so.
    sip_lag: bool,
    attempt: u32,
    /// The newest not-yet-final bar per symbol from the last poll.
    forming: Vec<(Symbol, Bar)>,
}

/// Run the feed until the receiver goes away or an unrecoverable error (bad keys, bad request).
pub async fn run(
    cfg: AlpacaFeedConfig,
    client: AlpacaClient,
    tx: mpsc::Sender<FeedEvent>,
    show_progress: bool,
) {
    let mut feed = Feed {
        cfg,
        client,
        tx,
        last: BTreeMap::new(),
        health: None,
        sessions: Sessions::default(),
        sessions_day: None,
        sip_lag: false,
        attempt: 0,
        forming: Vec::new(),
    };
    let _ = feed.run(show_progress).await;
}

impl Feed {
    async fn run(&mut self, show_progress: bool) -> Result<(), Closed> {
        let history = loop {
            match self.backfill(show_progress).await {
                Ok(h) => break h,
                Err(e) => self.on_error(e).await?,
            }
        };
        self.attempt = 0;
        self.set_health(FeedHealth::Connected).await?;
        for (symbol, bars) in history {
            self.send(FeedEvent::History {
                symbol,
                timeframe: self.cfg.timeframe,
                bars,
            })
            .await?;
        }
        // Whatever brings the forming bar later (the stream, or each poll), the day so far is
        // known now: REST's partial bar.
        self.send_forming().await?;
        loop {
            let clock = match self.client.clock().await {
                Ok(c) => c,
                Err(e) => {
                    self.on_error(e).await?;
                    continue;
                }
            };
            if clock.is_open {
                // At least one poll per clock read, so a stale clock cannot spin the loop.
                loop {
                    self.poll_once(true).await?;
                    self.sleep(self.cfg.poll_interval).await?;
                    if Utc::now() >= clock.next_close {
                        break;
                    }
                }
            } else {
                let now = Utc::now();
                let settle_until = self.sessions.last_close(now).map(|c| c + AFTER_CLOSE);
                if settle_until.is_some_and(|s| now < s) {
                    self.poll_once(false).await?;
                    self.set_health(FeedHealth::Idle).await?;
                    self.sleep(self.cfg.poll_interval).await?;
                } else {
                    self.set_health(FeedHealth::Idle).await?;
                    let until_open = (clock.next_open - now).to_std().unwrap_or_default();
                    self.sleep(until_open.min(IDLE_RECHECK)).await?;
                }
            }
        }
    }

    /// The bars still forming that the last fetch saw, as `Forming` events.
    async fn send_forming(&mut self) -> Result<(), Closed> {
        let timeframe = self.cfg.timeframe;
        for (symbol, bar) in std::mem::take(&mut self.forming) {
            self.send(FeedEvent::Forming {
                symbol,
                timeframe,
                bar,
            })
            .await?;
        }
        Ok(())
    }

    /// One poll; emits new bars and the resulting health. Errors are handled here.
    async fn poll_once(&mut self, in_session: bool) -> Result<(), Closed> {
        match self.poll().await {
            Ok(bars) => {
                self.attempt = 0;
                let got = !bars.is_empty();
                // A poll that brought bars proves the feed is back: say so before the bars, or
                // the session judges them under the old Reconnecting / Stale and drops their
                // signals as stale. Only a bad health is replaced, so Idle after the close is
                // not flipped to Connected and back for each settling bar.
                if got && self.health.as_ref().is_some_and(FeedHealth::is_bad) {
                    self.set_health(FeedHealth::Connected).await?;
                }
                for (symbol, bar) in bars {
                    self.send(FeedEvent::Bar {
                        symbol,
                        timeframe: self.cfg.timeframe,
                        bar,
                    })
                    .await?;
                }
                if self.cfg.forming.wanted() {
                    self.send_forming().await?;
                }
                let health = match self.stale_since(Utc::now()) {
                    Some(since) if in_session && !got => FeedHealth::Stale { since },
                    _ if in_session => FeedHealth::Connected,
                    _ => FeedHealth::Idle,
                };
                self.set_health(health).await
            }
            Err(e) => self.on_error(e).await,
        }
    }

    /// In session with no new bar for `stale_after_bars` bar lengths (counted from the later
    /// of the newest bar's end and today's open): when the silence began.
    fn stale_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tf = chrono::Duration::seconds(self.cfg.timeframe.seconds());
        let newest_end = self.last.values().max().map(|t| *t + tf);
        let since = match (newest_end, self.sessions.open_of_today(now)) {
            (Some(e), Some(o)) => e.max(o),
            (Some(e), None) => e,
            (None, Some(o)) => o,
            (None, None) => return None,
        };
        (now - since > tf * self.cfg.stale_after_bars as i32).then_some(since)
    }

    async fn ensure_calendar(&mut self, now: DateTime<Utc>) -> Result<(), AlpacaError> {
        let today = ny_date(now);
        if self.sessions_day == Some(today) && !self.sessions.is_empty() {
            return Ok(());
        }
        let days = chrono::Days::new(10);
        let (start, end) = (today - days, today + days);
        let cal = self.client.calendar(start, end).await?;
        self.sessions = Sessions::from_calendar(&cal);
        self.sessions_day = Some(today);
        Ok(())
    }

    fn query(&self, start: DateTime<Utc>, now: DateTime<Utc>) -> BarsQuery {
        BarsQuery {
            symbols: self.cfg.symbols.clone(),
            timeframe: self.cfg.timeframe,
            start,
            end: self.sip_lag.then(|| now - chrono::Duration::minutes(16)),
            feed: self.cfg.data_feed.clone(),
            adjustment: self.cfg.adjustment.clone(),
            page_limit: self.cfg.page_limit,
        }
    }

    async fn fetch(
        &mut self,
        start: DateTime<Utc>,
        progress: &ProgressBar,
    ) -> Result<BTreeMap<Symbol, Vec<Bar>>, AlpacaError> {
        for _ in 0..2 {
            let q = self.query(start, Utc::now());
            let mut on_page = |n: usize| progress.set_position(n as u64);
            match fetch_bars(&self.client, &q, &mut on_page).await {
                Ok(f) => {
                    for why in f.rejected {
                        let message = format!("skipped impossible bar {why}");
                        let _ = self.send(warning(message)).await;
                    }
                    return Ok(f.series);
                }
                Err(AlpacaError::Api {
                    status: 403,
                    message,
                    ..
                }) if message.contains("recent SIP") && !self.sip_lag => {
                    tracing::warn!("free plan: SIP bars end 15 minutes ago from now on");
                    self.sip_lag = true;
                }
                Err(e) => return Err(e),
            }
        }
        Err(AlpacaError::Config(
            "SIP data refused even 15 minutes back".into(),
        ))
    }

    async fn backfill(
        &mut self,
        show_progress: bool,
    ) -> Result<Vec<(Symbol, Vec<Bar>)>, AlpacaError> {
        let now = Utc::now();
        self.ensure_calendar(now).await?;
        let n = self.cfg.backfill_bars;
        let progress = if show_progress {
            let total = (n * self.cfg.symbols.len()) as u64;
            let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("alpaca backfill {bar:30} {pos}/{len} bars")
            {
                pb.set_style(style);
            }
            pb
        } else {
            ProgressBar::hidden()
        };
        let start = backfill_start(self.cfg.timeframe, n, now);
        let fetched = self.fetch(start, &progress).await;
        progress.finish_and_clear();
        let mut series = fetched?;
        let now = Utc::now();
        let mut out = Vec::new();
        self.forming.clear();
        for sym in self.cfg.symbols.clone() {
            let mut bars = series.remove(&sym).unwrap_or_default();
            // The bar still forming is not history: it comes later as a closed `Bar`. It seeds
            // the forming bar at connect (`run`), so a session started minutes before its close
            // decision decides on the day so far, not on the minutes the stream has seen.
            if let Some(b) = bars
                .last()
                .filter(|b| !is_final(self.cfg.timeframe, b.time, now, &self.sessions))
            {
                self.forming.push((sym, *b));
            }
            bars.retain(|b| is_final(self.cfg.timeframe, b.time, now, &self.sessions));
            let keep = bars.len().saturating_sub(n);
            bars.drain(..keep);
            if let Some(b) = bars.last() {
                self.last.insert(sym, b.time);
            }
            out.push((sym, bars));
        }
        Ok(out)
    }

    /// New closed bars since the last ones emitted, ordered by time then symbol.
    async fn poll(&mut self) -> Result<Vec<(Symbol, Bar)>, AlpacaError> {
        let now = Utc::now();
        self.ensure_calendar(now).await?;
        let floor = now
            - chrono::Duration::days(if self.cfg.timeframe.is_intraday() {
                4
            } else {
                10
            });
        // Inclusive start at the oldest "last bar": re-reads one bar, the filter below drops it.
        let start = self
            .cfg
            .symbols
            .iter()
            .map(|s| self.last.get(s).copied().unwrap_or(floor))
            .min()
            .unwrap_or(floor)
            .max(floor);
        let series = self.fetch(start, &ProgressBar::hidden()).await?;
        let now = Utc::now();
        let mut fresh: Vec<(Symbol, Bar)> = Vec::new();
        self.forming.clear();
        for (sym, bars) in series {
            let last = self.last.get(&sym).copied();
            for b in bars {
                if last.is_none_or(|l| l < b.time) {
                    if is_final(self.cfg.timeframe, b.time, now, &self.sessions) {
                        fresh.push((sym, b));
                    } else {
                        self.forming.retain(|(s, _)| *s != sym);
                        self.forming.push((sym, b));
                    }
                }
            }
        }
        fresh.sort_by_key(|(s, b)| (b.time, *s));
        for (sym, b) in &fresh {
            self.last.insert(*sym, b.time);
        }
        Ok(fresh)
    }

    /// Fatal errors (bad keys, bad request) end the feed as `Failed`; others back off.
    async fn on_error(&mut self, e: AlpacaError) -> Result<(), Closed> {
        let fatal = matches!(e, AlpacaError::Config(_))
            || e.is_auth()
            || matches!(e, AlpacaError::Api { status, .. } if (400..500).contains(&status) && status != 429 && status != 408);
        tracing::warn!(error = %e, fatal, "alpaca feed error");
        if fatal {
            self.set_health(FeedHealth::Failed {
                error: e.to_string(),
            })
            .await?;
            return Err(Closed);
        }
        self.attempt += 1;
        self.set_health(FeedHealth::Reconnecting {
            attempt: self.attempt,
        })
        .await?;
        let wait =
            crate::alpaca::backoff(self.cfg.retry_base, self.attempt - 1).min(MAX_ERROR_WAIT);
        self.sleep(wait).await
    }

    async fn set_health(&mut self, health: FeedHealth) -> Result<(), Closed> {
        if self.health.as_ref() == Some(&health) {
            return Ok(());
        }
        self.health = Some(health.clone());
        self.send(FeedEvent::Health {
            source: SOURCE.into(),
            health,
        })
        .await
    }

    async fn send(&self, ev: FeedEvent) -> Result<(), Closed> {
        self.tx.send(ev).await.map_err(|_| Closed)
    }

    async fn sleep(&self, d: Duration) -> Result<(), Closed> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.tx.closed() => Err(Closed),
        }
    }
}

fn warning(message: String) -> FeedEvent {
    FeedEvent::Warning {
        source: SOURCE.into(),
        message,
    }
}
