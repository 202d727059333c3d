//! The market clock: open or closed, and when the session closes, read from Alpaca's
//! `/v2/clock` (which follows the exchange calendar: holidays and 13:00 ET early closes).

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use tokio::sync::{mpsc, watch};

use crate::alpaca::AlpacaClient;
use crate::feed::FeedEvent;

pub use crate::model::MarketState;

/// "2 h 10 m", "45 m", "under a minute".
pub fn span_text(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, 0) => "under a minute".into(),
        (0, m) => format!("{m} m"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} m"),
    }
}

/// "market open · closes 13:00 ET · 2 h 10 m to the close" / "market closed · opens Mon 09:30 ET".
pub fn clock_text(m: &MarketState, now: DateTime<Utc>) -> String {
    let et = |t: DateTime<Utc>, f: &str| t.with_timezone(&New_York).format(f).to_string();
    match (m.open, m.next_close, m.next_open) {
        (true, Some(c), _) => format!(
            "market open · closes {} ET · {} to the close",
            et(c, "%H:%M"),
            span_text(c - now)
        ),
        (false, _, Some(o)) => format!("market closed · opens {} ET", et(o, "%a %H:%M")),
        (open, _, _) => format!("market {}", if open { "open" } else { "closed" }),
    }
}

/// Keep `state` current from Alpaca's clock: every `every`, and just after each open or close.
/// Each change also goes to the session as `FeedEvent::Market`; with `decide_before`, the moment
/// that long before each close goes as `FeedEvent::DecideAtClose`, once per close.
pub async fn run(
    client: AlpacaClient,
    every: Duration,
    decide_before: Option<chrono::Duration>,
    state: watch::Sender<MarketState>,
    tx: mpsc::Sender<FeedEvent>,
) {
    let mut last: Option<MarketState> = None;
    // By the close's trading day: the clock's `next_close` is one instant per session, but a
    // day decided once must stay decided whatever the clock says next.
    let mut decided: Option<chrono::NaiveDate> = None;
    loop {
        let wait = match client.clock().await {
            Ok(c) => {
                let now = Utc::now();
                let day = crate::alpaca::session::ny_date(c.next_close);
                let decide_at = decide_before
                    .filter(|_| c.is_open && decided != Some(day))
                    .map(|d| c.next_close - d);
                if let Some(at) = decide_at.filter(|at| *at <= now && now < c.next_close) {
                    decided = Some(day);
                    let ev = FeedEvent::DecideAtClose {
                        at: now,
                        close: c.next_close,
                    };
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                    tracing::info!(%at, close = %c.next_close, "deciding on the forming bar");
                }
                let m = MarketState {
                    open: c.is_open,
                    next_close: Some(c.next_close),
                    next_open: Some(c.next_open),
                };
                if last != Some(m) {
                    last = Some(m);
                    state.send_replace(m);
                    if tx.send(FeedEvent::Market(m)).await.is_err() {
                        return;
                    }
                }
                let next = if c.is_open { c.next_close } else { c.next_open };
                // Wake for the decision too, not only for the open and close.
                let next = decide_at
                    .filter(|at| *at > now)
                    .map_or(next, |at| at.min(next));
                let until = (next - Utc::now()).to_std().unwrap_or_default();
                every.min(until + Duration::from_secs(1))
            }
            Err(e) => {
                tracing::warn!(error = %e, "market clock read failed");
                every
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn early_close_and_time_left_read_like_a_trader_says_them() {
        // 3 July 2025 closes at 13:00 ET (17:00 UTC).
        let close = Utc.with_ymd_and_hms(2025, 7, 3, 17, 0, 0).unwrap();
        let m = MarketState {
            open: true,
            next_close: Some(close),
            next_open: None,
        };
        let now = Utc.with_ymd_and_hms(2025, 7, 3, 14, 50, 0).unwrap();
        assert_eq!(
            clock_text(&m, now),
            "market open · closes 13:00 ET · 2 h 10 m to the close"
        );
        assert_eq!(m.to_close(now), Some(chrono::Duration::minutes(130)));
        let closed = MarketState {
            open: false,
            next_close: None,
            next_open: Some(Utc.with_ymd_and_hms(2025, 7, 7, 13, 30, 0).unwrap()),
        };
        assert_eq!(
            clock_text(&closed, now),
            "market closed · opens Mon 09:30 ET"
        );
        assert_eq!(closed.to_close(now), None);
        assert_eq!(span_text(chrono::Duration::seconds(59)), "under a minute");
        assert_eq!(span_text(chrono::Duration::minutes(120)), "2 h");
        assert_eq!(span_text(chrono::Duration::minutes(45)), "45 m");
    }
}
