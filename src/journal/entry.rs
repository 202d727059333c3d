//! What the flight recorder writes: one typed entry per event, stored as `kind` + JSON `data`.
//!
//! The journal owns these shapes (rather than serializing `BrokerEvent` / `FeedHealth` as they
//! are) so that the on-disk schema changes only when `SCHEMA_VERSION` does, and so every entry
//! can be read back: recovery needs to deserialize what an older build wrote.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::broker::{BrokerEvent, BrokerKind};
use crate::model::FeedHealth;
use crate::model::{
    Answer, Bar, ClientOrderId, Fill, OrderRequest, Position, Signal, SignalState, StandingStop,
    Symbol, Timeframe,
};
use crate::risk::{RefusalReason, RiskRefused};

/// Written first in every session: enough to know what produced the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStart {
    pub session: String,
    pub started: DateTime<Utc>,
    /// `config_hash` of the effective configuration text.
    pub config_hash: String,
    /// `SIM`, `PAPER` or `LIVE` (`BrokerKind::label`).
    pub broker: String,
    /// Bar source, e.g. `replay:embedded` or `alpaca:iex`.
    pub feed: String,
    pub version: String,
    /// The simulator's starting cash (SIM sessions): a resume starts again from it, whatever
    /// `paper.starting_cash` says by then. Absent for real venues and in older journals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_cash: Option<Decimal>,
}

impl SessionStart {
    pub fn broker_kind(&self) -> Option<BrokerKind> {
        broker_kind(&self.broker)
    }
}

pub(crate) fn broker_kind(label: &str) -> Option<BrokerKind> {
    [BrokerKind::Sim, BrokerKind::Paper, BrokerKind::Live]
        .into_iter()
        .find(|k| k.label() == label)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Entry {
    SessionStart(SessionStart),
    SessionEnd {
        reason: String,
    },
    Bar {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
        /// False for history / warm-up bars: `replay --session` and a resumed replay must know
        /// which bars the agents could act on. Absent (older entries) reads as history.
        #[serde(default)]
        live: bool,
    },
    /// A session's history (warm-up) bars by the data's identity: the bars themselves are in
    /// `bar_sets` under `fingerprint`, stored once however many sessions replay the same data.
    History {
        symbol: Symbol,
        timeframe: Timeframe,
        fingerprint: String,
        bars: u64,
    },
    /// Live bars of a replay by the data's identity: bars `from..through` of the sequence stored
    /// in `bar_sets` under `fingerprint` were fed, in its order (see `journal::replayed`).
    Replayed {
        timeframe: Timeframe,
        fingerprint: String,
        from: u64,
        through: u64,
    },
    /// A proposal (state `Proposed`) or a signal only recorded (`Observed`, mode observe).
    Signal {
        signal: Signal,
        state: SignalState,
        /// Decided on the forming bar before the close, at this moment: it trades market-on-close
        /// that day or not at all (see `session::close`). Absent: an ordinary signal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_close: Option<DateTime<Utc>>,
    },
    /// The trader's answer and the state it put the signal in.
    Answer {
        signal_id: u64,
        answer: Answer,
        state: SignalState,
    },
    /// Committed with `synchronous=FULL` before the order may be sent.
    OrderIntent(OrderRequest),
    BrokerAccepted {
        client_order_id: ClientOrderId,
        broker_order_id: Option<String>,
    },
    BrokerRejected {
        client_order_id: ClientOrderId,
        reason: String,
    },
    BrokerCanceled {
        client_order_id: ClientOrderId,
    },
    BrokerUnknown {
        client_order_id: ClientOrderId,
        error: String,
    },
    BrokerAccount {
        cash: Decimal,
        equity: Decimal,
    },
    BrokerPositions {
        positions: Vec<Position>,
    },
    BrokerError {
        message: String,
    },
    Fill(Fill),
    /// The caller's position after a change (audit only: recovery rebuilds from fills).
    Position(Position),
    FeedHealth {
        source: String,
        /// `FeedHealth` as JSON: it is only shown and exported, never read back typed.
        health: serde_json::Value,
    },
    RiskRefusal {
        order: OrderRequest,
        reason: RefusalReason,
        text: String,
    },
    KillSwitch {
        engaged: bool,
        /// Working orders the caller was told to cancel.
        cancel: Vec<ClientOrderId>,
    },
    /// The agents' standing stops after they changed (a trail moved, a position opened or
    /// closed): a restart hands them back so a trailed stop is never loosened by a crash.
    Stops {
        stops: Vec<StandingStop>,
    },
    /// What the agents remember between positions, after it changed on a live bar: a restart
    /// hands it back (see `engine::AgentMemory`).
    AgentMemory {
        memory: crate::engine::AgentMemory,
    },
    /// A close decision (`session::close`): the forming bars the agents decided on as if the day
    /// closed there, and the signals it proposed, so the record shows what a market-on-close
    /// order was decided from (the closed bar that follows may differ).
    CloseDecision {
        at: DateTime<Utc>,
        forming: Vec<(Symbol, Bar)>,
        signals: Vec<u64>,
    },
    /// Margin interest the simulator charged: a resume takes it off the cash, as it does fills.
    BrokerInterest {
        amount: Decimal,
        days: i64,
        time: DateTime<Utc>,
    },
}

/// Every kind `Entry::kind` names: what `journal --kind` accepts.
pub const KINDS: [&str; 24] = [
    "session_start",
    "session_end",
    "bar",
    "history",
    "replayed",
    "signal",
    "answer",
    "order_intent",
    "broker_accepted",
    "broker_rejected",
    "broker_canceled",
    "broker_unknown",
    "broker_account",
    "broker_positions",
    "broker_error",
    "fill",
    "position",
    "feed_health",
    "risk_refusal",
    "kill_switch",
    "stops",
    "agent_memory",
    "close_decision",
    "broker_interest",
];

impl Entry {
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::SessionStart(_) => "session_start",
            Entry::SessionEnd { .. } => "session_end",
            Entry::Bar { .. } => "bar",
            Entry::History { .. } => "history",
            Entry::Replayed { .. } => "replayed",
            Entry::Signal { .. } => "signal",
            Entry::Answer { .. } => "answer",
            Entry::OrderIntent(_) => "order_intent",
            Entry::BrokerAccepted { .. } => "broker_accepted",
            Entry::BrokerRejected { .. } => "broker_rejected",
            Entry::BrokerCanceled { .. } => "broker_canceled",
            Entry::BrokerUnknown { .. } => "broker_unknown",
            Entry::BrokerAccount { .. } => "broker_account",
            Entry::BrokerPositions { .. } => "broker_positions",
            Entry::BrokerError { .. } => "broker_error",
            Entry::Fill(_) => "fill",
            Entry::Position(_) => "position",
            Entry::FeedHealth { .. } => "feed_health",
            Entry::RiskRefusal { .. } => "risk_refusal",
            Entry::KillSwitch { .. } => "kill_switch",
            Entry::Stops { .. } => "stops",
            Entry::AgentMemory { .. } => "agent_memory",
            Entry::CloseDecision { .. } => "close_decision",
            Entry::BrokerInterest { .. } => "broker_interest",
        }
    }

    /// Indexed column: lets `list` find everything about one signal.
    pub fn signal_id(&self) -> Option<u64> {
        match self {
            Entry::Signal { signal, .. } => Some(signal.id),
            Entry::Answer { signal_id, .. } => Some(*signal_id),
            Entry::OrderIntent(o) | Entry::RiskRefusal { order: o, .. } => o.signal_id,
            _ => None,
        }
    }

    /// Indexed column: lets `list` and recovery follow one order.
    pub fn client_order_id(&self) -> Option<&ClientOrderId> {
        match self {
            Entry::OrderIntent(o) | Entry::RiskRefusal { order: o, .. } => Some(&o.client_order_id),
            Entry::BrokerAccepted {
                client_order_id, ..
            }
            | Entry::BrokerRejected {
                client_order_id, ..
            }
            | Entry::BrokerCanceled { client_order_id }
            | Entry::BrokerUnknown {
                client_order_id, ..
            } => Some(client_order_id),
            Entry::Fill(f) => Some(&f.client_order_id),
            _ => None,
        }
    }

    /// Entries whose loss on power failure would be unsafe: an order could be at the venue with
    /// no trace here, or a kill switch could silently come back released.
    pub fn is_durable(&self) -> bool {
        matches!(
            self,
            Entry::OrderIntent(_) | Entry::KillSwitch { .. } | Entry::SessionStart(_)
        )
    }

    pub fn from_broker_event(event: &BrokerEvent) -> Entry {
        match event.clone() {
            BrokerEvent::Accepted {
                client_order_id,
                broker_order_id,
            } => Entry::BrokerAccepted {
                client_order_id,
                broker_order_id: broker_order_id.map(String::from),
            },
            BrokerEvent::Rejected {
                client_order_id,
                reason,
            } => Entry::BrokerRejected {
                client_order_id,
                reason,
            },
            BrokerEvent::Filled(fill) => Entry::Fill(fill),
            BrokerEvent::Canceled { client_order_id } => Entry::BrokerCanceled { client_order_id },
            BrokerEvent::Unknown {
                client_order_id,
                error,
            } => Entry::BrokerUnknown {
                client_order_id,
                error,
            },
            BrokerEvent::Account { cash, equity } => Entry::BrokerAccount { cash, equity },
            BrokerEvent::Positions { positions } => Entry::BrokerPositions { positions },
            BrokerEvent::Error { message } => Entry::BrokerError { message },
            BrokerEvent::Interest { amount, days, time } => {
                Entry::BrokerInterest { amount, days, time }
            }
        }
    }

    pub fn from_feed_health(source: &str, health: &FeedHealth) -> Entry {
        Entry::FeedHealth {
            source: source.to_string(),
            health: serde_json::to_value(health).unwrap_or_else(|e| {
                serde_json::Value::String(format!("unserializable health: {e}"))
            }),
        }
    }

    pub fn from_refusal(refused: &RiskRefused) -> Entry {
        Entry::RiskRefusal {
            order: refused.order.clone(),
            reason: refused.reason.clone(),
            text: refused.reason.to_string(),
        }
    }

    /// Split into the `kind` column and the JSON `payload` column.
    pub(crate) fn to_columns(&self) -> serde_json::Result<(String, String)> {
        let mut v = serde_json::to_value(self)?;
        let data = v
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        Ok((self.kind().to_string(), data.to_string()))
    }

    /// Rebuild from the two columns.
    pub(crate) fn from_columns(kind: &str, payload: &str) -> serde_json::Result<Entry> {
        let data: serde_json::Value = serde_json::from_str(payload)?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))
    }
}

/// The trader's `Answer` behind a state, or `None` for states no answer produces.
pub(crate) fn answer_for(state: SignalState) -> Option<Answer> {
    match state {
        SignalState::Acknowledged => Some(Answer::Acknowledge),
        SignalState::Overridden { reason } => Some(Answer::Override { reason }),
        SignalState::Edited { qty } => Some(Answer::Edit { qty }),
        SignalState::Snoozed { .. } => Some(Answer::Snooze),
        SignalState::Expired => Some(Answer::Expire),
        SignalState::Proposed | SignalState::Observed => None,
    }
}

/// FNV-1a 64 of the effective config text: stable across builds and platforms (std's hasher
/// is not guaranteed to be), so equal hashes in two sessions mean equal configs.
pub fn config_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
