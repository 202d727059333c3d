//! The Decide pane: signals waiting for the trader, with their reasons, confidence and time left.

use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::app::keymap::{Command, Keymap};
use crate::app::view::ViewState;
use crate::model::{Agent, SignalState};
use crate::session::Session;

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
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Decide · {} waiting ", open.len()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if open.is_empty() {
        let last = s.store.signals.all().last();
        let text = match last {
            Some(e) => format!(
                "nothing to decide.  last: #{} {} {} — {}",
                e.signal.id,
                e.signal.agent,
                e.signal.kind.label(),
                state_text(e.state)
            ),
            None => "nothing to decide: the agents are watching.".into(),
        };
        f.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let selected = s.store.signals.selected_id();
    let mut lines: Vec<Line> = Vec::new();
    let mut y = inner.y;
    for e in open {
        let sig = &e.signal;
        let is_sel = Some(sig.id) == selected;
        let agent_style = theme.bold(if sig.agent == Agent::Bear {
            theme.bear
        } else {
            theme.bull
        });
        let head_style = if is_sel {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        let left = e.expires_at.saturating_sub(s.store.bar_index);
        let tail = match e.state {
            SignalState::Snoozed { until_bar } => format!(
                "  (snoozed {} bars)",
                until_bar.saturating_sub(s.store.bar_index)
            ),
            _ => format!(
                "  expires in {left} bar{}",
                if left == 1 { "" } else { "s" }
            ),
        };
        let head = Line::from(vec![
            Span::styled(if is_sel { "▶ " } else { "  " }, head_style),
            Span::styled(format!("#{} {} ", sig.id, sig.agent), agent_style),
            Span::styled(
                format!(
                    "{}  {} {} {} @ {}  conf {:.2}",
                    sig.kind.label(),
                    sig.side,
                    sig.qty,
                    sig.symbol,
                    sig.reference_price,
                    sig.confidence
                ),
                head_style,
            ),
            Span::styled(tail, theme.dim()),
        ]);
        if y < inner.y + inner.height {
            view.signal_rows.push((
                Rect {
                    x: inner.x,
                    y,
                    width: inner.width,
                    height: 1,
                },
                sig.id,
            ));
        }
        lines.push(head);
        y += 1;
        if is_sel {
            for r in &sig.reasons {
                lines.push(Line::from(Span::raw(format!("    {}", r.text))));
                y += 1;
            }
            if let (Some(stop), Some(iwm)) = (sig.stop_price, sig.iwm_stop) {
                lines.push(Line::from(Span::styled(
                    format!("    stop IWM {iwm:.2} → {} {stop}", sig.symbol),
                    theme.dim(),
                )));
                y += 1;
            }
            lines.push(Line::from(Span::styled(
                format!(
                    "    [{}]ck  [{}] override  [{}]dit size  [{}]nooze",
                    keymap.key_for(Command::Ack),
                    keymap.key_for(Command::Override),
                    keymap.key_for(Command::Edit),
                    keymap.key_for(Command::Snooze)
                ),
                theme.fg(theme.accent),
            )));
            y += 1;
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
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
