//! The override scorecard screen: every overridden, edited or expired signal beside what the
//! agent's proposal would have made and what the trader's choice made, with the totals.

use ratatui::prelude::*;
use ratatui::widgets::{Clear, Paragraph};

use super::panes::{block, money};
use super::Theme;
use crate::scorecard::{Choice, Phase, Track};
use crate::session::{override_reason_text, Session};

pub fn draw(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let sc = &s.store.scorecard;
    let t = sc.totals();
    let mut lines = vec![
        Line::from(vec![
            Span::raw(format!(
                "{} answered, {} differing · agent ",
                t.answered, t.differing
            )),
            money(t.agent, theme),
            Span::raw(" · trader "),
            money(t.trader, theme),
            Span::raw(" · trader − agent "),
            money(t.trader - t.agent, theme),
        ]),
        Line::styled(
            "hypothetical: each proposal from the next open to its stop or the agent's exit; \
             open ones marked at the last close",
            theme.dim(),
        ),
        Line::styled(
            format!(
                "{:<10} {:<5} {:<5} {:<11} {:<18} {:<26} {:<9} {:>12} {:>12}",
                "date", "#", "agent", "kind", "proposal", "trader", "status", "agent", "trader"
            ),
            Style::default().add_modifier(Modifier::BOLD),
        ),
    ];
    let rows: Vec<Track> = sc.tracks().rev().filter(|t| t.differs()).collect();
    if rows.is_empty() {
        lines.push(Line::styled(
            "no overridden, edited or expired signals yet: trader and agents agree so far",
            theme.dim(),
        ));
    }
    for tr in rows
        .into_iter()
        .take(area.height.saturating_sub(5) as usize)
    {
        let choice = match tr.choice {
            Some(Choice::Overridden { reason }) => {
                format!("override ({})", override_reason_text(reason))
            }
            Some(Choice::Edited { qty }) => format!("edited to {qty}"),
            Some(Choice::Expired) => "expired unanswered".into(),
            Some(Choice::Refused) => "acknowledged, never traded".into(),
            Some(Choice::Acknowledged) | None => String::new(),
        };
        let status = match tr.phase {
            Phase::Pending => "pending",
            Phase::Open => "open",
            Phase::Closing => "closing",
            Phase::StoppedOut => "stopped",
            Phase::Exited => "exited",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10} ", tr.time.format("%Y-%m-%d")), theme.dim()),
            Span::raw(format!(
                "{:<5} {:<5} {:<11} {:<18} {:<26} {:<9} ",
                format!("#{}", tr.signal_id),
                tr.agent.to_string(),
                tr.kind.label(),
                format!("{} {} {}", tr.side, tr.qty, tr.symbol),
                choice,
                status
            )),
            pad(money(tr.agent_pnl(), theme), 12),
            Span::raw(" "),
            pad(money(tr.trader_pnl(), theme), 12),
        ]));
    }
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(block("Override scorecard · agent vs trader (Esc returns)")),
        area,
    );
}

fn pad(s: Span<'static>, w: usize) -> Span<'static> {
    Span::styled(format!("{:>w$}", s.content), s.style)
}
