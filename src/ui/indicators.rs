//! The indicator panes under the chart: RSI(14) as a braille line against its 30/70 bands, and
//! ATR(14) with ATR% drawn against its one-year median. Both show the chart's window of IWM bars.

use ratatui::prelude::*;
use ratatui::symbols::Marker;
use ratatui::widgets::canvas::{Canvas, Line as CLine, Points};
use ratatui::widgets::{Block, Borders};

use super::Theme;
use crate::engine::IndicatorRow;
use crate::session::Session;
use crate::ui::view::ViewState;

pub fn rsi(f: &mut Frame, area: Rect, s: &Session, view: &ViewState, theme: &Theme) {
    let rows = window(s, view);
    let title = match rows.iter().rev().find_map(|r| r.rsi) {
        Some(r) if r < 30.0 => format!(" RSI 14 · {r:.1} oversold "),
        Some(r) if r > 70.0 => format!(" RSI 14 · {r:.1} overbought "),
        Some(r) => format!(" RSI 14 · {r:.1} "),
        None => " RSI 14 · warming up ".into(),
    };
    let series: Vec<Option<f64>> = rows.iter().map(|r| r.rsi).collect();
    let bands = [
        (70.0, "70", theme.fg(theme.down)),
        (30.0, "30", theme.fg(theme.up)),
    ];
    plot(
        f,
        area,
        &title,
        &series,
        (0.0, 100.0),
        &bands,
        theme.fg(theme.accent),
    );
}

pub fn atr(f: &mut Frame, area: Rect, s: &Session, view: &ViewState, theme: &Theme) {
    let rows = window(s, view);
    // ATR% as a percentage of the close; the engine's median is a fraction (ATR / close).
    let pct = |r: &IndicatorRow| r.atr.map(|a| a / r.close * 100.0);
    let median = s.engine_view().atr_pct_median.map(|m| m * 100.0);
    let title = match rows.last().and_then(|r| r.atr.zip(pct(r))) {
        Some((a, p)) => {
            let long = format!(
                " ATR 14 · {a:.2} · {p:.1} % of price{} ",
                median
                    .map(|m| format!(" · 1-y median {m:.1} %"))
                    .unwrap_or_default()
            );
            // Narrow panes keep every figure, in fewer words.
            if long.chars().count() + 2 <= area.width as usize {
                long
            } else {
                format!(
                    " ATR {a:.2} · {p:.1}%{} ",
                    median
                        .map(|m| format!(" · med {m:.1}%"))
                        .unwrap_or_default()
                )
            }
        }
        None => " ATR 14 · warming up ".into(),
    };
    let series: Vec<Option<f64>> = rows.iter().map(pct).collect();
    let (mut lo, mut hi) = series
        .iter()
        .flatten()
        .chain(median.iter())
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(0.05);
    let bands: Vec<(f64, &str, Style)> = median
        .map(|m| (m, "med", theme.dim()))
        .into_iter()
        .collect();
    plot(
        f,
        area,
        &title,
        &series,
        ((lo - pad).max(0.0), hi + pad),
        &bands,
        theme.fg(theme.warn),
    );
}

/// The IWM indicator rows in the chart's window.
fn window<'a>(s: &'a Session, view: &ViewState) -> &'a [IndicatorRow] {
    let rows = &s.store.indicators;
    let r = super::bars::visible_range(s, view);
    &rows[r.start.min(rows.len())..r.end.min(rows.len())]
}

/// A braille line of `series` (gaps where None) with dotted horizontal bands labelled at the left.
fn plot(
    f: &mut Frame,
    area: Rect,
    title: &str,
    series: &[Option<f64>],
    (lo, hi): (f64, f64),
    bands: &[(f64, &str, Style)],
    style: Style,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_string());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width < 6 || inner.height < 2 {
        return;
    }
    let n = series.len().max(2) as f64;
    let points = envelope(series, usize::from(inner.width) * 2);
    // Dots every other braille column: dotted bands read as bands, not as data, without colour.
    let dots: Vec<Vec<(f64, f64)>> = bands
        .iter()
        .map(|(y, ..)| {
            let step = n / f64::from(inner.width);
            (0..inner.width)
                .map(|i| (f64::from(i) * step, *y))
                .collect()
        })
        .collect();
    let colour = style.fg.unwrap_or(Color::Reset);
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, n - 1.0])
        .y_bounds([lo, hi])
        .paint(|ctx| {
            for ((_, _, st), pts) in bands.iter().zip(&dots) {
                ctx.draw(&Points {
                    coords: pts,
                    color: st.fg.unwrap_or(Color::Reset),
                });
            }
            ctx.layer();
            for w in points.windows(2) {
                if let [(x1, Some(a)), (x2, Some(b))] = w {
                    ctx.draw(&CLine {
                        x1: *x1,
                        y1: a.clamp(lo, hi),
                        x2: *x2,
                        y2: b.clamp(lo, hi),
                        color: colour,
                    });
                }
            }
        });
    f.render_widget(canvas, inner);
    // Labels go on the cell row the band's dots landed on (the canvas maps text and dots apart).
    let dots_h = f64::from(inner.height) * 4.0 - 1.0;
    for (y, label, st) in bands {
        if (lo..=hi).contains(y) && hi > lo {
            let row = (((hi - y) / (hi - lo)) * dots_h) as u16 / 4;
            f.buffer_mut()
                .set_string(inner.x, inner.y + row, *label, *st);
        }
    }
}

/// At most two points (the low and the high, in time order) per braille column: a long series
/// draws the same picture for a fraction of the line segments.
fn envelope(series: &[Option<f64>], columns: usize) -> Vec<(f64, Option<f64>)> {
    let per = series.len().div_ceil(columns.max(1)).max(1);
    if per <= 2 {
        return series
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
    }
    let mut out = Vec::with_capacity(2 * columns);
    for (k, chunk) in series.chunks(per).enumerate() {
        let at = |j: usize| (k * per + j) as f64;
        let vals = chunk
            .iter()
            .enumerate()
            .filter_map(|(j, v)| v.map(|v| (j, v)));
        let lo = vals.clone().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = vals.max_by(|a, b| a.1.total_cmp(&b.1));
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
                out.push((at(a.0), Some(a.1)));
                out.push((at(b.0), Some(b.1)));
            }
            // A chunk with no values keeps the gap in the line.
            _ => out.push((at(0), None)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::envelope;

    #[test]
    fn envelope_keeps_extremes_in_order_and_gaps() {
        let s: Vec<Option<f64>> = (0..12).map(|i| Some(f64::from(i % 6))).collect();
        let e = envelope(&s, 2);
        assert_eq!(
            e,
            [
                (0.0, Some(0.0)),
                (5.0, Some(5.0)),
                (6.0, Some(0.0)),
                (11.0, Some(5.0))
            ]
        );
        let gap = [None, None, None, Some(1.0), Some(2.0), Some(0.5)];
        assert_eq!(
            envelope(&gap, 2),
            [(0.0, None), (4.0, Some(2.0)), (5.0, Some(0.5))]
        );
        // Short series are drawn point for point.
        assert_eq!(envelope(&s[..4], 2).len(), 4);
    }
}
