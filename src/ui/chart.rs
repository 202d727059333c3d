//! The price chart: candles of the focused symbol with SMA 50/100/200, active support and
//! resistance, broken levels, the agents' stops and fill marks. Bars are aggregated (weekly, or
//! daily from intraday) on request and merged several to a column when zoomed out past the width,
//! so a year of minute bars costs no more to draw than a screenful.

use chrono::Datelike;
use chrono_tz::America::New_York;
use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders};

use super::Theme;
use crate::app::view::ViewState;
use crate::engine::LevelState;
use crate::model::{Bar, Side, SignalState, Symbol, Timeframe};
use crate::session::Session;

/// Width of the price axis on the left.
const AXIS: u16 = 8;

/// One column: merged bars and the overlays that belong to it.
struct Col {
    bar: Bar,
    smas: [Option<f64>; 3],
    mark: Option<Side>,
}

/// A horizontal line across the chart: a level or a stop.
struct HLine {
    price: f64,
    glyph: char,
    style: Style,
    legend: String,
}

/// The visible part of the series, ready to draw.
struct Window {
    cols: Vec<Col>,
    /// Feed bars (or aggregated bars) per column; > 1 when zoomed out past the width.
    per_col: usize,
    /// (Aggregated) bars on screen.
    bars: usize,
}

pub fn draw(f: &mut Frame, area: Rect, s: &Session, view: &mut ViewState, theme: &Theme) {
    view.chart_area = area;
    let sym = view.focus;
    let inner_w = area.width.saturating_sub(2 + AXIS) as usize;
    let win = window(s, sym, view, inner_w.max(1));
    view.chart_shown = win.bars;
    let lines = hlines(s, sym, theme);
    let mut title = format!(" {sym} · {} · {} bars", period_name(s, view), win.bars);
    if view.scroll > 0 {
        title.push_str(&format!(" · {} back", view.scroll));
    }
    if win.per_col > 1 {
        title.push_str(&format!(" · {}/col", win.per_col));
    }
    title.push(' ');
    let span = match (win.cols.first(), win.cols.last()) {
        (Some(a), Some(b)) => format!(" {} → {} ", day(a.bar.time), day(b.bar.time)),
        _ => String::new(),
    };
    let mut legend: Vec<Span> = Vec::new();
    if sym == Symbol::Iwm {
        for (k, name) in ["SMA50 ", "SMA100 ", "SMA200 "].iter().enumerate() {
            legend.push(Span::styled(format!("•{name}"), theme.fg(theme.sma[k])));
        }
    }
    for l in &lines {
        legend.push(Span::styled(format!("{}{} ", l.glyph, l.legend), l.style));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .title(Line::from(span).right_aligned().style(theme.dim()))
        .title_bottom(Line::from(legend));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width <= AXIS + 2 || inner.height < 3 {
        return;
    }
    if win.cols.is_empty() {
        f.render_widget(Line::styled(" waiting for bars…", theme.dim()), inner);
        return;
    }
    let scale = Scale::fit(&win.cols, &lines, inner.y, inner.height);
    let buf = f.buffer_mut();
    let x0 = inner.x + AXIS;
    let right = inner.x + inner.width;
    for (p, y) in scale.ticks() {
        buf.set_string(inner.x, y, format!("{p:>7.2}┤"), theme.dim());
    }
    // Lines first, so candles stay readable where they cross; their prices replace axis ticks.
    for l in &lines {
        let Some(y) = scale.row(l.price) else {
            continue;
        };
        for x in x0..right {
            set(buf, x, y, l.glyph, l.style);
        }
        buf.set_string(inner.x, y, format!("{:>7.2}", l.price), l.style);
        set(buf, inner.x + AXIS - 1, y, '◀', l.style);
    }
    // Few bars on a wide chart: space them out instead of crowding the left edge.
    let step = (inner.width.saturating_sub(AXIS) as usize / win.cols.len()).clamp(1, 3) as u16;
    for (i, c) in win.cols.iter().enumerate() {
        let x = x0 + i as u16 * step;
        if x >= right {
            break;
        }
        candle(buf, x, c, &scale, theme);
        for (k, sma) in c.smas.iter().enumerate() {
            if let Some(y) = sma.and_then(|p| scale.row(p)) {
                set(buf, x, y, '•', theme.fg(theme.sma[k]));
            }
        }
        let (Some(yh), Some(yl)) = (scale.row(c.bar.high), scale.row(c.bar.low)) else {
            continue;
        };
        match c.mark {
            Some(Side::Buy) if yl + 1 < scale.top + scale.h => {
                set(buf, x, yl + 1, '▲', theme.bold(theme.accent))
            }
            Some(Side::Sell) if yh > scale.top => set(buf, x, yh - 1, '▼', theme.bold(theme.warn)),
            _ => {}
        }
    }
}

fn candle(buf: &mut Buffer, x: u16, c: &Col, scale: &Scale, theme: &Theme) {
    let up = c.bar.close >= c.bar.open;
    let style = theme.fg(if up { theme.up } else { theme.down });
    let rows = [c.bar.high, c.bar.low, c.bar.open, c.bar.close].map(|p| scale.row(p));
    let [Some(yh), Some(yl), Some(yo), Some(yc)] = rows else {
        return;
    };
    for y in yh..=yl {
        set(buf, x, y, '│', style);
    }
    // Hollow bodies for up bars keep direction readable without colour (NO_COLOR).
    let body = if up && !theme.color { '║' } else { '┃' };
    for y in yo.min(yc)..=yo.max(yc) {
        set(buf, x, y, body, style);
    }
}

/// Price → row mapping over the visible candles and the lines near them.
struct Scale {
    lo: f64,
    hi: f64,
    top: u16,
    h: u16,
}

impl Scale {
    fn fit(cols: &[Col], lines: &[HLine], top: u16, h: u16) -> Scale {
        let lo = cols.iter().map(|c| c.bar.low).fold(f64::MAX, f64::min);
        let hi = cols.iter().map(|c| c.bar.high).fold(f64::MIN, f64::max);
        // Lines near the candles stay in view; a stop far away would flatten the chart.
        let pad = (hi - lo).max(hi.abs() * 0.001) * 0.25;
        let near = |p: f64| p > lo - pad && p < hi + pad;
        let extra = lines
            .iter()
            .map(|l| l.price)
            .chain(cols.iter().flat_map(|c| c.smas.iter().flatten().copied()));
        let (mut lo2, mut hi2) = (lo, hi);
        for p in extra.filter(|p| near(*p)) {
            lo2 = lo2.min(p);
            hi2 = hi2.max(p);
        }
        Scale {
            lo: lo2,
            hi: hi2,
            top,
            h,
        }
    }

    fn row(&self, p: f64) -> Option<u16> {
        if !(self.lo..=self.hi).contains(&p) {
            return None;
        }
        let frac = if self.hi > self.lo {
            (self.hi - p) / (self.hi - self.lo)
        } else {
            0.5
        };
        Some(self.top + (frac * f64::from(self.h - 1)).round() as u16)
    }

    /// About one labelled tick every four rows, always the top and bottom.
    fn ticks(&self) -> Vec<(f64, u16)> {
        let n = (self.h / 4).max(1);
        (0..=n)
            .map(|i| {
                let y = self.top + i * (self.h - 1) / n;
                let frac = f64::from(y - self.top) / f64::from((self.h - 1).max(1));
                (self.hi - (self.hi - self.lo) * frac, y)
            })
            .collect()
    }
}

fn set(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(c) = buf.cell_mut((x, y)) {
        c.set_char(ch).set_style(style);
    }
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&New_York).format("%Y-%m-%d").to_string()
}

fn period_name(s: &Session, view: &ViewState) -> &'static str {
    match (view.aggregate > 1, s.store.timeframe) {
        (true, Timeframe::Day1) => "weekly",
        (true, _) => "daily",
        (false, Timeframe::Day1) => "daily",
        (false, Timeframe::Hour1) => "hourly",
        (false, Timeframe::Min15) => "15-minute",
        (false, Timeframe::Min5) => "5-minute",
        (false, Timeframe::Min1) => "1-minute",
    }
}

/// Levels and stops to draw. Levels are IWM's; the Bear's stop shows on its vehicle too.
fn hlines(s: &Session, sym: Symbol, theme: &Theme) -> Vec<HLine> {
    let v = s.engine_view();
    let mut out = Vec::new();
    let mut line = |price: f64, glyph, style, legend: String| {
        if price.is_finite() {
            out.push(HLine {
                price,
                glyph,
                style,
                legend,
            });
        }
    };
    if sym == Symbol::Iwm {
        if let Some(l) = v.active_support {
            line(
                l.price,
                '─',
                theme.fg(theme.support),
                format!("support {:.2}", l.price),
            );
        }
        if let Some(l) = v.active_resistance {
            line(
                l.price,
                '─',
                theme.fg(theme.resistance),
                format!("resist {:.2}", l.price),
            );
        }
        for l in v.levels.iter().filter(|l| l.state == LevelState::Broken) {
            line(l.price, '┄', theme.dim(), format!("broken {:.2}", l.price));
        }
        if let Some(p) = v.bear.stop_iwm {
            line(p, '┈', theme.fg(theme.bear), format!("bear stop {p:.2}"));
        }
        if let Some(p) = v.bull.stop_iwm {
            line(p, '┈', theme.fg(theme.bull), format!("bull stop {p:.2}"));
        }
        return out;
    }
    // A vehicle's stop: the one on the newest acknowledged entry into it while it is held.
    let held = s
        .store
        .positions
        .get(&sym)
        .is_some_and(|p| !p.qty.is_zero());
    let stop = s.store.signals.all().iter().rev().find_map(|e| {
        let answered = matches!(
            e.state,
            SignalState::Acknowledged | SignalState::Edited { .. }
        );
        (held && answered && e.signal.symbol == sym && !e.signal.kind.is_exit())
            .then_some(e.signal.stop_price)
            .flatten()
    });
    if let Some(p) = stop.map(crate::broker::paper::to_f64) {
        line(p, '┈', theme.fg(theme.bear), format!("bear stop {p:.2}"));
    }
    out
}

/// Index ranges of consecutive bars sharing a key (a week, a day), newest last, at most `need`.
/// Walks back from the newest bar, so the cost is the visible part, not the whole history.
fn groups(bars: &[Bar], key: Option<fn(&Bar) -> i64>, need: usize) -> Vec<(usize, usize)> {
    let Some(key) = key else {
        let start = bars.len().saturating_sub(need);
        return (start..bars.len()).map(|i| (i, i + 1)).collect();
    };
    let mut out = Vec::new();
    let mut end = bars.len();
    while end > 0 && out.len() < need {
        let k = key(&bars[end - 1]);
        let mut start = end - 1;
        while start > 0 && key(&bars[start - 1]) == k {
            start -= 1;
        }
        out.push((start, end));
        end = start;
    }
    out.reverse();
    out
}

fn iso_week(b: &Bar) -> i64 {
    let w = b.time.with_timezone(&New_York).iso_week();
    i64::from(w.year()) * 100 + i64::from(w.week())
}

fn ny_day(b: &Bar) -> i64 {
    i64::from(
        b.time
            .with_timezone(&New_York)
            .date_naive()
            .num_days_from_ce(),
    )
}

/// The visible columns: the last `zoom` (aggregated) bars ending `scroll` bars back, merged
/// several to a column when they do not fit in `width`.
fn window(s: &Session, sym: Symbol, view: &mut ViewState, width: usize) -> Window {
    let bars = &s.store.series(sym).bars;
    let key: Option<fn(&Bar) -> i64> = match (view.aggregate > 1, s.store.timeframe) {
        (false, _) => None,
        (true, Timeframe::Day1) => Some(iso_week),
        (true, _) => Some(ny_day),
    };
    let zoom = view.zoom.max(1);
    // Zoomed out well past the width: merge bars, filling the width rather than leaving it half
    // empty. A little past it: show the newest `width` bars unmerged (merged candles read worse).
    let (per_col, shown) = if zoom <= width * 3 / 2 {
        (1, zoom.min(width))
    } else {
        let per = zoom.div_ceil(width);
        (per, per * width)
    };
    let mut gs = groups(bars, key, view.scroll + shown);
    // Scrolling stops at the oldest bar: a screenful stays visible.
    view.scroll = view.scroll.min(gs.len().saturating_sub(shown));
    gs.truncate(gs.len() - view.scroll);
    let visible = &gs[gs.len().saturating_sub(shown)..];
    let fills: Vec<_> = s
        .store
        .orders
        .iter()
        .flat_map(|o| o.fills.iter())
        .filter(|f| f.symbol == sym)
        .map(|f| (f.time, f.side))
        .collect();
    let ind = &s.store.indicators;
    let aligned = sym == Symbol::Iwm && ind.len() == bars.len();
    let mut cols: Vec<Col> = visible
        .rchunks(per_col)
        .map(|chunk| {
            let (a, b) = (chunk[0].0, chunk[chunk.len() - 1].1);
            let g = &bars[a..b];
            let bar = Bar {
                time: g[0].time,
                open: g[0].open,
                high: g.iter().map(|x| x.high).fold(f64::MIN, f64::max),
                low: g.iter().map(|x| x.low).fold(f64::MAX, f64::min),
                close: g[g.len() - 1].close,
                volume: g.iter().map(|x| x.volume).sum(),
            };
            let (t0, t1) = (g[0].time, g[g.len() - 1].time);
            let mark = fills
                .iter()
                .rev()
                .find(|(t, _)| *t >= t0 && *t <= t1)
                .map(|(_, side)| *side);
            let smas = match ind.get(b - 1).filter(|_| aligned) {
                Some(r) => [r.sma_fast, r.sma_mid, r.sma_slow],
                None => [None; 3],
            };
            Col { bar, smas, mark }
        })
        .collect();
    cols.reverse();
    Window {
        cols,
        per_col,
        bars: visible.len(),
    }
}

/// The IWM bar index range the chart shows, so the indicator panes can line up with it.
pub fn visible_range(s: &Session, view: &ViewState) -> std::ops::Range<usize> {
    let n = s.store.indicators.len();
    let shown = if view.chart_shown > 0 {
        view.chart_shown
    } else {
        view.zoom
    };
    if view.focus != Symbol::Iwm || view.aggregate > 1 {
        return n.saturating_sub(shown)..n;
    }
    let end = n.saturating_sub(view.scroll);
    end.saturating_sub(shown)..end
}
