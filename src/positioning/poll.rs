//! The body of one poll for each source: decide whether anything new can exist, fetch it,
//! store it, and say what changed and how healthy the data is.

use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::cache::Cache;
use super::pollers::{
    data_health, fallback_file_dates, health, si_due, warning, CftcPoller, PollOutcome,
    RegShoPoller, SiPoller, SI_REVISION_DAYS, TFF_NEXT_RELEASE_DAYS,
};
use crate::feed::cftc::{self, RTY};
use crate::feed::finra::{self, FinraError};
use crate::feed::{FeedEvent, FeedHealth};
use crate::model::ShortInterest;

const SI_LAST_FETCH: &str = "finra-si.last_fetch";
const TFF_LAST_FETCH: &str = "cftc.last_fetch";

impl SiPoller {
    pub async fn poll(&self, cache: &Cache, now: DateTime<Utc>) -> PollOutcome {
        let src = finra::SOURCE_SI;
        let mut out = PollOutcome::default();
        let today = now.date_naive();
        let (held, last_fetch) = match (cache.short_interest(), cache.time(SI_LAST_FETCH)) {
            (Ok(h), Ok(t)) => (h, t),
            (Err(e), _) | (_, Err(e)) => {
                out.events.push(warning(src, e.to_string()));
                (Vec::new(), None)
            }
        };
        let newest = self.newest(&held);
        if !si_due(last_fetch, newest, now, self.interval_secs) {
            out.events.push(health(
                src,
                data_health(newest, today, self.stale_after_days),
            ));
            return out;
        }
        let from = match newest {
            Some(n) => n - Days::new(SI_REVISION_DAYS),
            None => today - Days::new(self.history_days.max(1) as u64),
        };
        let mut rows: Vec<ShortInterest> = Vec::new();
        let mut api_error: Option<FinraError> = None;
        for sym in &self.symbols {
            out.requests += 1;
            match self.client.short_interest(sym, from, today).await {
                Ok(p) => {
                    note_skipped(&mut out, src, &p.skipped);
                    rows.extend(p.rows);
                }
                Err(e) => {
                    api_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = &api_error {
            // The API is down or changed: the CDN's pipe file carries the same 14 columns.
            rows.clear();
            let syms: Vec<&str> = self.symbols.iter().map(String::as_str).collect();
            let mut used = None;
            for d in fallback_file_dates(today, newest) {
                out.requests += 1;
                match self.client.short_interest_file(d, &syms).await {
                    Ok(Some(p)) => {
                        rows.extend(p.rows);
                        used = Some(d);
                    }
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
            let msg = match used {
                Some(d) => format!("API failed ({e}); read the short-interest file of {d}"),
                None => format!("API failed ({e}); no short-interest file either"),
            };
            out.events.push(warning(src, msg));
            if used.is_none() {
                out.events.push(health(
                    src,
                    FeedHealth::Failed {
                        error: e.to_string(),
                    },
                ));
                return out;
            }
        }
        for r in &mut rows {
            r.seen = Some(now);
        }
        match cache.put_short_interest(&rows) {
            Ok(changed) => out
                .events
                .extend(changed.into_iter().map(FeedEvent::ShortInterest)),
            Err(e) => out.events.push(warning(src, e.to_string())),
        }
        if api_error.is_none() {
            if let Err(e) = cache.set_time(SI_LAST_FETCH, now) {
                out.events.push(warning(src, e.to_string()));
            }
        }
        let held = cache.short_interest().unwrap_or_default();
        let newest = self.newest(&held).max(self.newest(&rows));
        out.events.push(health(
            src,
            data_health(newest, today, self.stale_after_days),
        ));
        out
    }

    /// Newest settlement among the followed symbols (the first symbol, IWM, decides freshness).
    fn newest(&self, rows: &[ShortInterest]) -> Option<NaiveDate> {
        let lead = self.symbols.first()?;
        rows.iter()
            .filter(|r| &r.symbol == lead)
            .map(|r| r.settlement_date)
            .max()
    }
}

impl RegShoPoller {
    pub async fn poll(&self, cache: &Cache, now: DateTime<Utc>) -> PollOutcome {
        let src = finra::SOURCE_REGSHO;
        let mut out = PollOutcome::default();
        let today = now.date_naive();
        let held = cache.short_volume().unwrap_or_default();
        let have: HashSet<NaiveDate> = held.iter().map(|r| r.date).collect();
        let absent = cache.regsho_absent().unwrap_or_default();
        let missing: Vec<NaiveDate> = self
            .wanted_days(now)
            .into_iter()
            .filter(|d| !have.contains(d) && !absent.contains(d))
            .collect();
        let syms: Vec<&str> = self.symbols.iter().map(String::as_str).collect();
        let mut failure = None;
        let mut rows = Vec::new();
        for d in missing
            .into_iter()
            .rev()
            .take(super::pollers::REGSHO_MAX_FILES)
        {
            out.requests += 1;
            match self.client.regsho_day(d, &syms).await {
                Ok(Some(p)) => {
                    note_skipped(&mut out, src, &p.skipped);
                    if p.rows.is_empty() {
                        // A file without our symbols will not grow them later: don't ask again.
                        let _ = cache.mark_regsho_absent(d, now);
                    }
                    rows.extend(p.rows);
                }
                // 403 for a day two or more days back = no session (holiday); a recent one may
                // simply not be posted yet, so it is asked again next poll.
                Ok(None) if today - d >= chrono::Duration::days(2) => {
                    let _ = cache.mark_regsho_absent(d, now);
                }
                Ok(None) => {}
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        match cache.put_short_volume(&rows) {
            Ok(changed) => out
                .events
                .extend(changed.into_iter().map(FeedEvent::ShortVolume)),
            Err(e) => out.events.push(warning(src, e.to_string())),
        }
        let lead = self.symbols.first().map(String::as_str).unwrap_or("IWM");
        let newest = held
            .iter()
            .chain(&rows)
            .filter(|r| r.symbol == lead)
            .map(|r| r.date)
            .max();
        let h = match failure {
            Some(error) => {
                out.events.push(warning(src, error.clone()));
                FeedHealth::Failed { error }
            }
            None => data_health(newest, today, self.stale_after_days),
        };
        out.events.push(health(src, h));
        out
    }
}

impl CftcPoller {
    pub async fn poll(&self, cache: &Cache, now: DateTime<Utc>) -> PollOutcome {
        let src = cftc::SOURCE;
        let mut out = PollOutcome::default();
        let today = now.date_naive();
        let held = cache.positioning().unwrap_or_default();
        let newest_of = |rows: &[crate::model::FuturesPositioning]| {
            rows.iter()
                .filter(|r| r.market == RTY)
                .map(|r| r.report_date)
                .max()
        };
        let newest = newest_of(&held);
        let last_fetch = cache.time(TFF_LAST_FETCH).unwrap_or(None);
        let due = match last_fetch {
            None => true,
            Some(t) if (now - t).num_seconds() < self.interval_secs as i64 => false,
            Some(_) => newest.is_none_or(|n| today >= n + Days::new(TFF_NEXT_RELEASE_DAYS)),
        };
        if !due {
            out.events.push(health(
                src,
                data_health(newest, today, self.stale_after_days),
            ));
            return out;
        }
        let mut rows = Vec::new();
        let mut failure = None;
        for (code, market) in &self.markets {
            out.requests += 1;
            match self.client.positions(code, market, self.limit).await {
                Ok(p) => {
                    note_skipped(&mut out, src, &p.skipped);
                    rows.extend(p.rows);
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        match cache.put_positioning(&rows) {
            Ok(changed) => out
                .events
                .extend(changed.into_iter().map(FeedEvent::Positioning)),
            Err(e) => out.events.push(warning(src, e.to_string())),
        }
        let h = match failure {
            Some(error) => {
                out.events.push(warning(src, error.clone()));
                FeedHealth::Failed { error }
            }
            None => {
                let _ = cache.set_time(TFF_LAST_FETCH, now);
                data_health(newest.max(newest_of(&rows)), today, self.stale_after_days)
            }
        };
        out.events.push(health(src, h));
        out
    }
}

/// Skipped rows are worth one status-bar line per poll, not one per row.
fn note_skipped(out: &mut PollOutcome, src: &str, skipped: &[String]) {
    if let Some(first) = skipped.first() {
        let more = skipped.len() - 1;
        let tail = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        out.events
            .push(warning(src, format!("skipped {first}{tail}")));
    }
}
