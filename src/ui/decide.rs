//! The Decide pane: signals waiting for the trader, with their reasons, confidence and time left.
//! Lines are wrapped here, not by the Paragraph, so each signal's row is known for mouse clicks.

use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::wrap::wrap;
use super::Theme;
use crate::model::{Agent, SignalState};
use crate::session::Session;
use crate::ui::keymap::{Command, Keymap};
use crate::ui::view::ViewState;

pub fn draw(
    f: &mut Frame,
    area: Rect,
    s: &Session,
    view: &mut ViewState,
    keymap: &Keymap,
    theme: &Theme,
) {
    view.signal_rows.clear();
    let open: Vec<_> = s.store.signals.open().collect();
    // The keys sit on the pane's bottom border: however many reasons a signal has, a small
    // terminal still shows how to answer it. Only the keys that apply: an exit cannot be snoozed.
    let selected_exit = open
        .iter()
        .find(|e| Some(e.signal.id) == s.store.signals.selected_id())
        .map(|e| e.signal.kind.is_exit());
    let keys = selected_exit.map(|exit| {
        let mut keys = format!(
            " [{}] ack  [{}] override  [{}] edit size",
            keymap.key_for(Command::Ack),
            keymap.key_for(Command::Override),
            keymap.key_for(Command::Edit),
        );
        if !exit {
            keys.push_str(&format!("  [{}] snooze", keymap.key_for(Command::Snooze)));
        }
        keys.push(' ');
        Line::styled(keys, theme.fg(theme.accent))
    });
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Decide · {} waiting ", open.len()))
        .title_bottom(keys.unwrap_or_default())
        .border_style(if open.is_empty() {
            Style::default()
        } else {
            theme.bold(theme.accent)
        });
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    if open.is_empty() {
        let text = match s.store.signals.all().last() {
            Some(e) => format!(
                "nothing to decide · last: #{} {} {} — {}",
                e.signal.id,
                e.signal.agent,
                e.signal.kind.label(),
                entry_text(e)
            ),
            None => "nothing to decide: the agents are watching.".into(),
        };
        let lines: Vec<Line> = wrap(&text, width)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim()))
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let selected = s.store.signals.selected_id();
    let mut lines: Vec<Line> = Vec::new();
    for e in open {
        let sig = &e.signal;
        let is_sel = Some(sig.id) == selected;
        let agent_style = theme.bold(if sig.agent == Agent::Bear {
            theme.bear
        } else {
            theme.bull
        });
        let head_style = if is_sel {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
        };
        let tail = match e.state {
            SignalState::Snoozed { until_bar } => format!(
                "  snoozed, back in {} bar(s)",
                until_bar.saturating_sub(s.store.bar_index)
            ),
            // Decided on the forming bar: it trades at today's close and expires with it.
            _ if e.at_close.is_some() => "  · MOC".into(),
            // An exit never expires: it stands until answered.
            _ if e.expires_at == u64::MAX => "  · stands".into(),
            _ => {
                let left = e.expires_at.saturating_sub(s.store.bar_index);
                format!("  · {left} bar{} left", if left == 1 { "" } else { "s" })
            }
        };
        let row = inner.y + lines.len() as u16;
        if row < inner.y + inner.height {
            view.signal_rows.push((
                Rect {
                    y: row,
                    height: 1,
                    ..inner
                },
                sig.id,
            ));
        }
        let who = format!("#{} {} ", sig.id, sig.agent);
        let what = format!(
            "{}  {} {} {} @ {}  conf {:.2}",
            sig.kind.label(),
            sig.side,
            sig.qty,
            sig.symbol,
            sig.reference_price.round_dp(2),
            sig.confidence
        );
        let mut head = vec![
            Span::styled(if is_sel { "▶ " } else { "  " }, head_style),
            Span::styled(who.clone(), agent_style),
            Span::styled(what.clone(), head_style),
        ];
        // The time left goes on a line of its own rather than being cut at the border.
        let used = 2 + who.chars().count() + what.chars().count();
        if used + tail.chars().count() <= width {
            head.push(Span::styled(tail, theme.dim()));
            lines.push(Line::from(head));
        } else {
            lines.push(Line::from(head));
            lines.push(Line::styled(format!("   {tail}"), theme.dim()));
        }
        if !is_sel {
            continue;
        }
        // What would trade first (the size and the stop), then why.
        if let Some(stop) = sig.stop_price {
            let iwm = sig
                .iwm_stop
                .map(|p| format!("IWM {p:.2} → "))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!("    stop {iwm}{} {:.2}", sig.symbol, stop.round_dp(2)),
                theme.dim(),
            ));
        }
        let sizing = |r: &&crate::model::Reason| r.kind == crate::model::ReasonKind::Sizing;
        let reasons = sig
            .reasons
            .iter()
            .filter(sizing)
            .chain(sig.reasons.iter().filter(|r| !sizing(r)));
        for r in reasons {
            for (i, l) in wrap(&r.text, width.saturating_sub(4))
                .into_iter()
                .enumerate()
            {
                let bullet = if i == 0 { "  · " } else { "    " };
                lines.push(Line::raw(format!("{bullet}{l}")));
            }
        }
        if e.at_close.is_some() {
            let text = "market on close: decided on the forming bar, trades at today's close; \
                        unanswered, it expires with the close";
            for l in wrap(text, width.saturating_sub(4)) {
                lines.push(Line::styled(format!("    {l}"), theme.dim()));
            }
        }
        if let Some(rec) = &sig.record {
            // A record, never a chance: greyed until it has enough trades to mean anything.
            let style = if rec.trades < crate::model::SignalRecord::FEW {
                theme.dim()
            } else {
                Style::default()
            };
            let text = format!("{} record: {}", sig.kind.label(), rec.text());
            for l in wrap(&text, width.saturating_sub(4)) {
                lines.push(Line::styled(format!("    {l}"), style));
            }
        }
        // `conf` in the heading is a score of the rule's facts, not this trade's chance.
        let text = format!(
            "conf {:.2} = how well the rule's facts line up (0–1), not odds to win",
            sig.confidence
        );
        for l in wrap(&text, width.saturating_sub(4)) {
            lines.push(Line::styled(format!("    {l}"), theme.dim()));
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The answer, and what came of it when its order did not trade.
pub fn entry_text(e: &crate::store::SignalEntry) -> String {
    match &e.unfilled {
        Some(why) => format!("{}, not traded: {why}", state_text(e.state)),
        None => state_text(e.state),
    }
}

pub fn state_text(s: SignalState) -> String {
    match s {
        SignalState::Proposed => "waiting".into(),
        SignalState::Acknowledged => "acknowledged".into(),
        SignalState::Overridden { reason } => format!(
            "overridden ({})",
            crate::session::override_reason_text(reason)
        ),
        SignalState::Edited { qty } => format!("acknowledged at {qty}"),
        SignalState::Snoozed { .. } => "snoozed".into(),
        SignalState::Expired => "expired".into(),
        SignalState::Observed => "recorded only".into(),
    }
}
