//! The price chart: candles of the focused symbol with SMAs, support/resistance, broken levels,
//! the agents' stops and fill marks. One column per bar; drawn straight into the buffer.

use chrono::Datelike;
use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders};

use super::Theme;
use crate::app::view::ViewState;
use crate::engine::LevelState;
use crate::model::{Bar, Side, Symbol, Timeframe};
use crate::session::Session;

const AXIS: u16 = 8;

/// One candle and the overlays that belong to its column.
#[derive(Clone, Copy)]
struct Col {
    bar: Bar,
    smas: [Option<f64>; 3],
    mark: Option<Side>,
}

pub fn draw(f: &mut Frame, area: Rect, s: &Session, view: &mut ViewState, theme: &Theme) {
    view.chart_area = area;
    let sym = view.focus;
    let tf = s.store.timeframe;
    let title = format!(
        " {} · {}{} · {} bars{} ",
        sym,
        if view.aggregate > 1 {
            "weekly from "
        } else {
            ""
        },
        tf_name(tf),
        view.zoom,
        if view.scroll > 0 {
            format!(" · {} back", view.scroll)
        } else {
            String::new()
        }
    );
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width <= AXIS + 2 || inner.height < 3 {
        return;
    }
    let cols = columns(s, sym, view, (inner.width - AXIS) as usize);
    if cols.is_empty() {
        f.render_widget(Line::styled("waiting for bars…", theme.dim()), inner);
        return;
    }
    // Horizontal lines: (price, label, style, dashed)
    let mut lines: Vec<(f64, String, Style, bool)> = Vec::new();
    if sym == Symbol::Iwm {
        let v = s.engine_view();
        for l in &v.levels {
            if l.state == LevelState::Broken {
                lines.push((l.price, format!("broken {:.2}", l.price), theme.dim(), true));
            }
        }
        if let Some(l) = v.active_support {
            lines.push((
                l.price,
                format!("support {:.2}", l.price),
                theme.fg(theme.support),
                false,
            ));
        }
        if let Some(l) = v.active_resistance {
            lines.push((
                l.price,
                format!("resist {:.2}", l.price),
                theme.fg(theme.resistance),
                false,
            ));
        }
        if let Some(p) = v.bear.stop_iwm {
            lines.push((p, format!("bear stop {p:.2}"), theme.fg(theme.bear), true));
        }
        if let Some(p) = v.bull.stop_iwm {
            lines.push((p, format!("bull stop {p:.2}"), theme.fg(theme.bull), true));
        }
    }
    let lo = cols.iter().map(|c| c.bar.low).fold(f64::MAX, f64::min);
    let hi = cols.iter().map(|c| c.bar.high).fold(f64::MIN, f64::max);
    // Keep lines near the candles in view; a stop far away would flatten the chart.
    let pad = (hi - lo).max(hi * 0.001) * 0.15;
    let (mut lo, mut hi) = (lo, hi);
    for (p, ..) in &lines {
        if *p > lo - pad && *p < hi + pad {
            lo = lo.min(*p);
            hi = hi.max(*p);
        }
    }
    let h = inner.height;
    let row = |p: f64| -> Option<u16> {
        if !(lo..=hi).contains(&p) {
            return None;
        }
        let frac = if hi > lo { (hi - p) / (hi - lo) } else { 0.5 };
        Some(inner.y + (frac * f64::from(h - 1)).round() as u16)
    };
    let buf = f.buffer_mut();
    // Axis labels.
    for i in 0..4u16 {
        let y = inner.y + i * (h - 1) / 3;
        let p = hi - (hi - lo) * f64::from(y - inner.y) / f64::from((h - 1).max(1));
        buf.set_string(inner.x, y, format!("{p:>7.2}┤"), theme.dim());
    }
    let x0 = inner.x + AXIS;
    let right = x0 + cols.len() as u16;
    for (p, label, style, dashed) in &lines {
        let Some(y) = row(*p) else { continue };
        for x in x0..inner.x + inner.width {
            set(buf, x, y, if *dashed { '┄' } else { '─' }, *style);
        }
        let lx = (inner.x + inner.width)
            .saturating_sub(label.chars().count() as u16 + 1)
            .max(x0);
        buf.set_string(lx, y, label, *style);
    }
    for (i, c) in cols.iter().enumerate() {
        let x = x0 + i as u16;
        let up = c.bar.close >= c.bar.open;
        let style = theme.fg(if up { theme.up } else { theme.down });
        let (Some(yh), Some(yl)) = (row(c.bar.high), row(c.bar.low)) else {
            continue;
        };
        for y in yh..=yl {
            set(buf, x, y, '│', style);
        }
        let (Some(yo), Some(yc)) = (row(c.bar.open), row(c.bar.close)) else {
            continue;
        };
        for y in yo.min(yc)..=yo.max(yc) {
            set(buf, x, y, '┃', style);
        }
        for (k, sma) in c.smas.iter().enumerate() {
            if let Some(y) = sma.and_then(row) {
                set(buf, x, y, '•', theme.fg(theme.sma[k]));
            }
        }
        match c.mark {
            Some(Side::Buy) => set(
                buf,
                x,
                (yl + 1).min(inner.y + h - 1),
                '▲',
                theme.bold(theme.accent),
            ),
            Some(Side::Sell) => set(
                buf,
                x,
                yh.saturating_sub(1).max(inner.y),
                '▼',
                theme.bold(theme.warn),
            ),
            None => {}
        }
    }
    let _ = right;
    if sym == Symbol::Iwm {
        let legend = Line::from(vec![
            Span::styled("• SMA50 ", theme.fg(theme.sma[0])),
            Span::styled("• SMA100 ", theme.fg(theme.sma[1])),
            Span::styled("• SMA200", theme.fg(theme.sma[2])),
        ]);
        f.render_widget(
            legend,
            Rect {
                x: x0 + 1,
                y: inner.y,
                width: inner.width.saturating_sub(AXIS + 1).min(30),
                height: 1,
            },
        );
    }
}

fn set(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(c) = buf.cell_mut((x, y)) {
        c.set_char(ch).set_style(style);
    }
}

fn tf_name(tf: Timeframe) -> &'static str {
    match tf {
        Timeframe::Day1 => "daily",
        Timeframe::Hour1 => "hourly",
        Timeframe::Min15 => "15-minute",
        Timeframe::Min5 => "5-minute",
        Timeframe::Min1 => "1-minute",
    }
}

/// The visible columns: the last `min(zoom, width)` (aggregated) bars ending `scroll` bars back.
fn columns(s: &Session, sym: Symbol, view: &mut ViewState, width: usize) -> Vec<Col> {
    let bars = &s.store.series(sym).bars;
    let smas = |i: usize| -> [Option<f64>; 3] {
        match (sym, s.store.indicators.get(i)) {
            (Symbol::Iwm, Some(r)) => [r.sma_fast, r.sma_mid, r.sma_slow],
            _ => [None; 3],
        }
    };
    let want = view.zoom.min(width).max(1);
    // Aggregation groups: consecutive bar index ranges.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    if view.aggregate > 1 {
        let daily = s.store.timeframe == Timeframe::Day1;
        let mut start = 0;
        for i in 1..=bars.len() {
            let boundary = i == bars.len()
                || if daily {
                    bars[i].time.iso_week() != bars[i - 1].time.iso_week()
                } else {
                    (i - start) >= view.aggregate
                };
            if boundary {
                groups.push((start, i));
                start = i;
            }
        }
    } else {
        groups = (0..bars.len()).map(|i| (i, i + 1)).collect();
    }
    view.scroll = view.scroll.min(groups.len().saturating_sub(want));
    let end = groups.len() - view.scroll;
    let begin = end.saturating_sub(want);
    let fills: Vec<(chrono::DateTime<chrono::Utc>, Side)> = s
        .store
        .orders
        .iter()
        .flat_map(|o| o.fills.iter())
        .filter(|f| f.symbol == sym)
        .map(|f| (f.time, f.side))
        .collect();
    groups[begin..end]
        .iter()
        .map(|&(a, b)| {
            let g = &bars[a..b];
            let bar = Bar {
                time: g[0].time,
                open: g[0].open,
                high: g.iter().map(|x| x.high).fold(f64::MIN, f64::max),
                low: g.iter().map(|x| x.low).fold(f64::MAX, f64::min),
                close: g[g.len() - 1].close,
                volume: g.iter().map(|x| x.volume).sum(),
            };
            let t0 = g[0].time;
            let t1 = g[g.len() - 1].time;
            let mark = fills
                .iter()
                .rev()
                .find(|(t, _)| *t >= t0 && *t <= t1)
                .map(|(_, side)| *side);
            Col {
                bar,
                smas: smas(b - 1),
                mark,
            }
        })
        .collect()
}
