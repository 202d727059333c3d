//! What the session reports after each input: printed as JSON lines in headless mode,
//! and the reason the dashboard redraws.

use serde::Serialize;

use crate::feed::FeedHealth;
use crate::model::{
    Answer, Bar, ClientOrderId, Fill, OrderRequest, OrderStatus, Signal, Symbol, Timeframe,
};
use crate::model::{FuturesPositioning, ShortInterest, ShortVolume};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    Bar {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
    },
    Signal {
        signal: Signal,
    },
    Answer {
        signal_id: u64,
        answer: Answer,
    },
    /// A signal is waiting for the trader again: a snooze ran out, or an exit's order was
    /// refused (exits stand until the position is closed).
    Asked {
        signal_id: u64,
        why: String,
    },
    Order {
        order: OrderRequest,
        status: OrderStatus,
    },
    OrderStatus {
        client_order_id: ClientOrderId,
        status: OrderStatus,
        detail: Option<String>,
    },
    Fill {
        fill: Fill,
    },
    Health {
        source: String,
        health: FeedHealth,
    },
    RiskRefused {
        client_order_id: ClientOrderId,
        signal_id: Option<u64>,
        reason: String,
    },
    Warning {
        source: String,
        message: String,
    },
    /// A new short-interest report (FINRA, twice a month).
    ShortInterest {
        snapshot: ShortInterest,
    },
    /// A day of Reg SHO short-sale volume.
    ShortVolume {
        snapshot: ShortVolume,
    },
    /// A weekly CFTC Traders in Financial Futures row.
    Positioning {
        snapshot: FuturesPositioning,
    },
    /// A new CFTC report on the E-mini Russell 2000 became public at the bar clock: the figures
    /// in contracts and dollars (`lev_money_short_usd`, `lev_money_net_usd`, `index_level`,
    /// `report`: `futures_only` / `combined`).
    PositioningReport {
        futures: crate::positioning::FuturesLine,
    },
    /// Anything else worth a line: mode changes, kill switch, snapshots.
    Info {
        message: String,
    },
}

/// A feed's health as the status bar says it.
pub fn health_text(h: &FeedHealth) -> String {
    match h {
        FeedHealth::Connected => "ok".into(),
        FeedHealth::Idle => "idle (market closed)".into(),
        FeedHealth::Stale { since } => format!("stale since {}", since.format("%m-%d %H:%M")),
        FeedHealth::Reconnecting { attempt } => format!("reconnecting (attempt {attempt})"),
        FeedHealth::Failed { error } => format!("failed: {error}"),
        FeedHealth::Ended => "replay ended".into(),
        FeedHealth::Backoff { reason, retry_at } => format!(
            "{reason}; retry at {} ET",
            retry_at
                .with_timezone(&chrono_tz::America::New_York)
                .format("%H:%M:%S")
        ),
        FeedHealth::Fallback { reason, to } => format!("{reason}; using {to}"),
    }
}

/// Attempts of the bar feed before the screen stops saying "waiting" and says what to do.
pub const PATIENT_ATTEMPTS: u32 = 3;

/// Why no bar has come yet, when a bar feed is the reason, and what the trader can do about it;
/// `None` while waiting is all there is to say.
pub fn no_bars_reason(health: &std::collections::BTreeMap<String, FeedHealth>) -> Option<String> {
    let what_to_do = |what: &str| {
        format!(
            "{what}. Check the network and APCA_API_BASE_URL / APCA_API_DATA_URL; every attempt \
             is in the log ({}). q quits.",
            crate::process::logging::log_path().display()
        )
    };
    health
        .iter()
        .filter(|(src, _)| crate::store::is_bar_source(src))
        .find_map(|(src, h)| match h {
            FeedHealth::Failed { error } => Some(format!(
                "no bars: {src} failed: {error}. Fix it and start again (q quits)."
            )),
            FeedHealth::Reconnecting { attempt } if *attempt >= PATIENT_ATTEMPTS => {
                Some(what_to_do(&format!(
                    "no bars: {src} unreachable after {attempt} attempts (still trying)"
                )))
            }
            _ => None,
        })
}

impl super::Session {
    /// When a live bar feed never brought a bar (bad keys, an unreachable host), why: a timed
    /// run (`--run-for`) that never got data must not look like a run that worked.
    pub fn never_got_bars(&self) -> Option<String> {
        let live = self.store.replay.is_none();
        let empty = crate::model::Symbol::ALL
            .iter()
            .all(|s| self.store.series(*s).last().is_none());
        (live && empty).then(|| match no_bars_reason(&self.store.health) {
            Some(why) => why,
            None => "no bars arrived from the data feed in this run".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_stops_waiting_once_the_feed_failed_or_kept_failing() {
        let mut health = std::collections::BTreeMap::new();
        assert_eq!(no_bars_reason(&health), None);
        health.insert(
            "alpaca".to_string(),
            FeedHealth::Reconnecting { attempt: 1 },
        );
        assert_eq!(no_bars_reason(&health), None, "one retry is still waiting");
        health.insert(
            "alpaca".to_string(),
            FeedHealth::Reconnecting {
                attempt: PATIENT_ATTEMPTS,
            },
        );
        let why = no_bars_reason(&health).unwrap();
        assert!(
            why.contains("APCA_API_BASE_URL") && why.contains("q quits"),
            "{why}"
        );
        health.insert(
            "alpaca".to_string(),
            FeedHealth::Failed {
                error: "Alpaca HTTP 401".into(),
            },
        );
        let why = no_bars_reason(&health).unwrap();
        assert!(why.contains("401") && why.contains("start again"), "{why}");
        // A short-interest source failing is not why bars are missing.
        let other = [(
            "finra".to_string(),
            FeedHealth::Failed { error: "x".into() },
        )];
        assert_eq!(no_bars_reason(&other.into_iter().collect()), None);
    }
}
