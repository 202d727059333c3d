//! The short-interest and futures-positioning pane.

use ratatui::prelude::*;
use ratatui::widgets::{Paragraph, Sparkline};

use super::panes::block;
use super::wrap::wrap;
use super::Theme;
use crate::model::Symbol;
use crate::session::Session;

/// The short-interest and futures-positioning slot: the figures a trader knew at the bar clock,
/// the press figure (the leveraged funds' gross RTY short in dollars) first. A tall pane (the
/// compact layout's) gets the IWM short-interest sparkline on its last row.
pub fn draw(f: &mut Frame, area: Rect, s: &Session, theme: &Theme) {
    let b = block("Short interest · positioning");
    let inner = b.inner(area);
    f.render_widget(b, area);
    let (Some(sum), Some(now)) = (s.store.positioning_summary(), s.store.now) else {
        f.render_widget(
            Line::styled("waiting for the first bar's date", theme.dim()),
            inner,
        );
        return;
    };
    let today = now
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let spark = sum
        .short_interest
        .iter()
        .find(|l| l.symbol == "IWM")
        .map(|l| l.history.clone())
        .filter(|h| h.len() > 1 && inner.height > 8);
    let text_rows = if spark.is_some() {
        inner.height - 1
    } else {
        inner.height
    };
    let qqq_iwm = crate::positioning::ratio::qqq_over_iwm(
        s.store.series(Symbol::Qqq).bars(),
        s.store.series(Symbol::Iwm).bars(),
    )
    .map(|r| r.text());
    // Lines wrap at words, most important first, so what shows is whole and the least important
    // fall off the bottom of a short pane.
    let width = inner.width as usize;
    let lines: Vec<Line> = sum
        .lines_with(today, qqq_iwm)
        .into_iter()
        .flat_map(|l| {
            let style = if l.starts_with("[x]") || l.contains("record since") {
                theme.fg(theme.bear)
            } else if l.contains(" old") || l.contains("no report") || l.contains("none as of") {
                theme.dim()
            } else {
                Style::default()
            };
            let body = l.trim_start_matches(' ');
            let indent = " ".repeat(l.len() - body.len());
            let rows = wrap(body, width.saturating_sub(indent.len() + 2).max(8));
            rows.into_iter().enumerate().map(move |(i, r)| {
                let lead = if i == 0 { "" } else { "  " };
                Line::styled(format!("{indent}{lead}{r}"), style)
            })
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines),
        Rect {
            height: text_rows,
            ..inner
        },
    );
    if let (Some(h), true) = (spark, text_rows < inner.height) {
        let row = Rect {
            y: inner.y + text_rows,
            height: 1,
            ..inner
        };
        let label = "IWM SI ";
        f.render_widget(Span::styled(label, theme.dim()), row);
        let data = &h[h
            .len()
            .saturating_sub(row.width.saturating_sub(label.len() as u16) as usize)..];
        let spark_area = Rect {
            x: row.x + label.len() as u16,
            width: row.width.saturating_sub(label.len() as u16),
            ..row
        };
        f.render_widget(
            Sparkline::default().data(data).style(theme.fg(theme.warn)),
            spark_area,
        );
    }
}
