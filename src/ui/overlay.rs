//! Things drawn over the dashboard: the help overlay (the live keymap), prompts, and the
//! full-screen signal history and override scorecard.

use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use crate::session::{override_reason_text, Session};
use crate::ui::keymap::{key_label, Keymap};
use crate::ui::view::Prompt;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn help(f: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    let mut entries: Vec<(String, &str)> = keymap
        .bindings
        .iter()
        .map(|(code, cmd)| (key_label(*code), cmd.describe()))
        .collect();
    entries.push(("Esc".into(), "close overlays and prompts"));
    entries.push(("mouse".into(), "click: select · wheel: scroll"));
    // Two columns when one does not fit (80×24 has room for about 20 rows).
    let two = entries.len() as u16 + 3 > area.height;
    let (width, per_col) = if two {
        (area.width.min(156), entries.len().div_ceil(2))
    } else {
        (72, entries.len())
    };
    let col_w = if two {
        (width as usize - 2) / 2
    } else {
        width as usize - 2
    };
    let entry = |(k, d): &(String, &str)| -> Vec<Span<'static>> {
        let text: String = d.chars().take(col_w.saturating_sub(9)).collect();
        vec![
            Span::styled(format!("{k:>6}  "), theme.bold(theme.accent)),
            Span::raw(format!("{text:<w$}", w = col_w.saturating_sub(8))),
        ]
    };
    let mut lines: Vec<Line> = vec![Line::styled(
        "keys from your config · any key closes this",
        theme.dim(),
    )];
    for i in 0..per_col {
        let mut spans = entry(&entries[i]);
        if two {
            if let Some(e) = entries.get(i + per_col) {
                spans.extend(entry(e));
            }
        }
        lines.push(Line::from(spans));
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Help · double-agent "),
        ),
        r,
    );
}

pub fn prompt(f: &mut Frame, area: Rect, p: &Prompt, keymap: &Keymap, theme: &Theme) {
    let (title, body): (&str, Vec<Line>) = match p {
        Prompt::OverrideReason { id } => {
            let mut lines = vec![Line::from(format!(
                "Override signal #{id}: why? (one key, Esc cancels)"
            ))];
            for (key, reason) in &keymap.reasons {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {}  ", key_label(*key)), theme.bold(theme.accent)),
                    Span::raw(override_reason_text(*reason)),
                ]));
            }
            (" Override ", lines)
        }
        Prompt::EditSize { id, buffer, typed } => (
            " Edit size ",
            vec![
                Line::from(format!("Signal #{id} size in shares: {buffer}▏")),
                Line::styled(
                    if *typed {
                        "digits, Backspace, Enter acknowledges, Esc cancels"
                    } else {
                        "digits replace it, Enter acknowledges, Esc cancels"
                    },
                    theme.dim(),
                ),
            ],
        ),
        Prompt::ConfirmFlatten => (
            " Flatten ",
            vec![Line::from(format!(
                "Sell every position at market? {} / n",
                key_label(keymap.yes)
            ))],
        ),
        Prompt::ConfirmQuit => (
            " Quit ",
            vec![Line::from(format!(
                "Orders are still working. Quit anyway? {} / n",
                key_label(keymap.yes)
            ))],
        ),
    };
    let r = centered(area, 60, body.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(title)),
        r,
    );
}

/// Every signal so far, newest first, with what happened to it.
pub fn history(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let lines: Vec<Line> = s
        .store
        .signals
        .all()
        .iter()
        .rev()
        .take(area.height as usize)
        .map(|e| {
            let sig = &e.signal;
            Line::from(vec![
                Span::styled(format!("{} ", sig.time.format("%Y-%m-%d")), theme.dim()),
                Span::raw(format!(
                    "#{:<4} {} {:<11} {} {} {} @ {}  conf {:.2}  → ",
                    sig.id,
                    sig.agent,
                    sig.kind.label(),
                    sig.side,
                    sig.qty,
                    sig.symbol,
                    sig.reference_price.round_dp(2),
                    sig.confidence
                )),
                Span::styled(super::decide::entry_text(e), theme.bold(theme.accent)),
            ])
        })
        .collect();
    let b = Block::default()
        .borders(Borders::ALL)
        .title(" Signal history (Esc returns) ");
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).block(b), area);
}
