//! The journal as a human reads it: one line per entry (`double-agent journal`) and one per
//! session (`double-agent journal sessions`), aligned columns, a summary instead of raw JSON.

use std::io::Write;

use super::entry::Entry;
use super::{JournalRow, Result, SessionSummary};
use crate::model::SignalState;

/// Kinds `double-agent journal` shows by default: the decisions, not the bulk (bars, health).
pub const DECISION_KINDS: [&str; 12] = [
    "session_start",
    "session_end",
    "signal",
    "answer",
    "order_intent",
    "broker_accepted",
    "broker_rejected",
    "broker_canceled",
    "broker_unknown",
    "fill",
    "risk_refusal",
    "kill_switch",
];

fn state_text(s: &SignalState) -> String {
    match s {
        SignalState::Proposed => "proposed".into(),
        SignalState::Acknowledged => "acknowledged".into(),
        SignalState::Overridden { reason } => format!("overridden ({reason})"),
        SignalState::Edited { qty } => format!("edited to {qty}"),
        SignalState::Snoozed { until_bar } => format!("snoozed until bar {until_bar}"),
        SignalState::Expired => "expired".into(),
        SignalState::Observed => "observed".into(),
    }
}

/// One line saying what the entry means.
pub fn summary(entry: &Entry) -> String {
    match entry {
        Entry::SessionStart(s) => format!("{} {} config {}", s.broker, s.feed, s.config_hash),
        Entry::SessionEnd { reason } => format!("clean stop: {reason}"),
        Entry::Bar {
            symbol, bar, live, ..
        } => format!(
            "{symbol} {} close {}{}",
            bar.time.format("%Y-%m-%d %H:%M"),
            bar.close,
            if *live { "" } else { " (history)" }
        ),
        Entry::History {
            symbol,
            bars,
            fingerprint,
            ..
        } => format!("{symbol} {bars} history bars (data {fingerprint})"),
        Entry::Replayed {
            fingerprint,
            from,
            through,
            ..
        } => format!(
            "{} replayed bars, {}–{} of data {fingerprint}",
            through - from,
            from + 1,
            through
        ),
        Entry::Signal {
            signal: s, state, ..
        } => format!(
            "{} {} {} {} {} @ {} bar {} [{}]",
            s.agent,
            s.kind.label(),
            s.side,
            s.qty,
            s.symbol,
            s.reference_price.round_dp(2),
            s.time.format("%Y-%m-%d %H:%M"),
            state_text(state)
        ),
        Entry::Answer { state, .. } => state_text(state),
        Entry::OrderIntent(o) => format!("{} {} {} {:?}", o.side, o.qty, o.symbol, o.order_type),
        Entry::BrokerAccepted {
            broker_order_id, ..
        } => format!(
            "accepted {}",
            broker_order_id.as_deref().unwrap_or("(no venue id)")
        ),
        Entry::BrokerRejected { reason, .. } => format!("rejected: {reason}"),
        Entry::BrokerCanceled { .. } => "canceled".into(),
        Entry::BrokerUnknown { error, .. } => format!("state unknown: {error}"),
        Entry::BrokerAccount { cash, equity } => format!("cash {cash} equity {equity}"),
        Entry::BrokerInterest { amount, days, .. } => {
            format!("margin interest {amount} for {days} day(s)")
        }
        Entry::BrokerPositions { positions } => format!("{} positions reported", positions.len()),
        Entry::BrokerError { message } => message.clone(),
        Entry::Fill(f) => format!(
            "{} {} {} @ {} (commission {})",
            f.side, f.qty, f.symbol, f.price, f.commission
        ),
        Entry::Position(p) => format!("{} {} @ {}", p.symbol, p.qty, p.avg_price),
        Entry::FeedHealth { source, health } => format!("{source}: {health}"),
        Entry::RiskRefusal { text, .. } => text.clone(),
        Entry::KillSwitch { engaged, cancel } => match engaged {
            true => format!("ENGAGED, canceling {}", cancel.len()),
            false => "released".into(),
        },
        Entry::AgentMemory { memory: m } => format!(
            "Bear remembers {}; last stop-out {}; Bull watches {}",
            m.bear_break.map_or("no break".into(), |b| format!(
                "break of {:.2}",
                b.level.price
            )),
            m.bear_last_stop
                .map_or("none".into(), |(l, _)| format!("at {l:.2}")),
            m.bull_break
                .map_or("no break".into(), |(b, _)| format!("{:.2}", b.level.price)),
        ),
        Entry::Stops { stops } if stops.is_empty() => "no agent position: no stop".into(),
        Entry::Stops { stops } => stops
            .iter()
            .map(|s| {
                let who = match s {
                    crate::model::StandingStop::Bear { .. } => "Bear",
                    crate::model::StandingStop::Hedge { .. } => "hedge",
                    crate::model::StandingStop::Bull { .. } => "Bull",
                };
                format!("{who} stop {:.2}", s.stop())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Entry::CloseDecision {
            forming, signals, ..
        } => {
            let iwm = forming
                .iter()
                .find(|(s, _)| *s == crate::model::Symbol::Iwm);
            let bar = iwm.map_or("no IWM bar".into(), |(_, b)| {
                format!(
                    "IWM forming o {:.2} h {:.2} l {:.2} c {:.2}",
                    b.open, b.high, b.low, b.close
                )
            });
            format!("close decision on {bar}: {} signal(s)", signals.len())
        }
    }
}

pub fn write_table(out: &mut impl Write, rows: &[JournalRow]) -> Result<()> {
    writeln!(
        out,
        "{:>6}  {:<19}  {:<16}  {:<15}  {:>6}  {:<22}  WHAT",
        "SEQ", "TIME (UTC)", "SESSION", "KIND", "SIGNAL", "ORDER"
    )?;
    for r in rows {
        let what = r
            .entry()
            .map(|e| summary(&e))
            .unwrap_or_else(|e| format!("unreadable entry: {e}"));
        writeln!(
            out,
            "{:>6}  {:<19}  {:<16}  {:<15}  {:>6}  {:<22}  {what}",
            r.seq,
            r.time.format("%Y-%m-%d %H:%M:%S"),
            r.session,
            r.kind,
            r.signal_id.map(|s| format!("#{s}")).unwrap_or_default(),
            r.client_order_id.as_deref().unwrap_or(""),
        )?;
    }
    Ok(())
}

pub fn write_sessions(out: &mut impl Write, sessions: &[SessionSummary]) -> Result<()> {
    writeln!(
        out,
        "{:<16}  {:<19}  {:<6}  {:>7}  {:>7}  {:<9}  FEED",
        "SESSION", "STARTED (UTC)", "BROKER", "EVENTS", "BARS", "STOPPED"
    )?;
    for s in sessions {
        writeln!(
            out,
            "{:<16}  {:<19}  {:<6}  {:>7}  {:>7}  {:<9}  {}",
            s.id,
            s.started.format("%Y-%m-%d %H:%M:%S"),
            s.broker,
            s.events,
            s.bars,
            if s.ended { "cleanly" } else { "UNCLEAN" },
            s.feed
        )?;
    }
    Ok(())
}
