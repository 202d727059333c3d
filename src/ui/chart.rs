//! The price chart: candles of the focused symbol with SMA 50/100/200, active support and
//! resistance, broken levels, the agents' stops and fill marks. Bars are aggregated (weekly, or
//! daily from intraday) on request and merged several to a column when zoomed out past the width,
//! so a year of minute bars costs no more to draw than a screenful.

use chrono_tz::America::New_York;
use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::bars::{window, Col};
use super::Theme;
use crate::model::{Side, Symbol, Timeframe};
use crate::session::Session;
use crate::ui::view::ViewState;

/// Width of the price axis on the left.
const AXIS: u16 = 8;

/// A horizontal line across the chart: a level or a stop.
struct HLine {
    price: f64,
    glyph: char,
    style: Style,
    legend: String,
}

pub fn draw(f: &mut Frame, area: Rect, s: &Session, view: &mut ViewState, theme: &Theme) {
    view.chart_area = area;
    let sym = view.focus;
    // Live hours: the bar still forming gets the rightmost column (and a spare one beside it),
    // on the newest page of the primary timeframe only.
    let forming = (view.scroll == 0 && view.aggregate <= 1)
        .then(|| {
            s.store
                .live
                .forming(sym, s.store.series(sym).last())
                .copied()
        })
        .flatten();
    let spare = if forming.is_some() { 2 } else { 0 };
    let inner_w = area.width.saturating_sub(2 + AXIS + spare) as usize;
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
    if let Some(b) = &forming {
        title.push_str(&format!(" · forming {:.2}", b.close));
    }
    title.push(' ');
    let span = match (win.cols.first(), win.cols.last()) {
        // To the newest bar shown: a merged column is stamped with its oldest bar.
        (Some(a), Some(b)) => format!(" {} → {} ", day(a.bar.time), day(b.last)),
        _ => String::new(),
    };
    let legend = legend(sym, &lines, area.width.saturating_sub(2) as usize, theme);
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
        let text = match crate::session::no_bars_reason(&s.store.health) {
            Some(why) => Paragraph::new(format!(" {why}"))
                .style(theme.bold(theme.error))
                .wrap(Wrap { trim: true }),
            None => Paragraph::new(" waiting for bars…").style(theme.dim()),
        };
        f.render_widget(text, inner);
        return;
    }
    let mut scale = Scale::fit(&win.cols, &lines, inner.y, inner.height);
    if let Some(b) = &forming {
        scale.lo = scale.lo.min(b.low);
        scale.hi = scale.hi.max(b.high);
    }
    let buf = f.buffer_mut();
    let x0 = inner.x + AXIS;
    let right = inner.x + inner.width - spare;
    for (p, y) in scale.ticks() {
        buf.set_string(inner.x, y, format!("{p:>7.2}┤"), theme.dim());
    }
    // Lines first, so candles stay readable where they cross; their prices replace axis ticks.
    for l in &lines {
        let Some(y) = scale.row(l.price) else {
            continue;
        };
        // Across the forming column too: how far it is from a level is the point of it.
        for x in x0..right + spare {
            set(buf, x, y, l.glyph, l.style);
        }
        buf.set_string(inner.x, y, format!("{:>7.2}", l.price), l.style);
        set(buf, inner.x + AXIS - 1, y, '◀', l.style);
    }
    // Fewer bars than columns: spread them evenly over the width, each centred in its slot.
    let avail = usize::from(right - x0);
    let n = win.cols.len().max(1);
    for (i, c) in win.cols.iter().enumerate() {
        let x = x0 + ((2 * i + 1) * avail / (2 * n)).min(avail - 1) as u16;
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
        // The Bear's vehicle fills on the IWM chart: in (a bet on IWM falling) over the bar,
        // out under it; an IWM mark of its own on the same side wins.
        match c.bear {
            Some(Side::Buy) if yh > scale.top && c.mark != Some(Side::Sell) => {
                set(buf, x, yh - 1, '▽', theme.bold(theme.bear))
            }
            Some(Side::Sell) if yl + 1 < scale.top + scale.h && c.mark != Some(Side::Buy) => {
                set(buf, x, yl + 1, '△', theme.bold(theme.bear))
            }
            _ => {}
        }
    }
    if let Some(b) = &forming {
        forming_candle(buf, right + spare - 1, b, &scale, theme);
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

/// The forming bar: dotted wick and shaded body, dimmed, so it never reads as a closed candle
/// (with or without colour).
fn forming_candle(buf: &mut Buffer, x: u16, b: &crate::model::Bar, scale: &Scale, theme: &Theme) {
    let up = b.close >= b.open;
    let style = theme
        .fg(if up { theme.up } else { theme.down })
        .add_modifier(Modifier::DIM);
    let rows = [b.high, b.low, b.open, b.close].map(|p| scale.row(p));
    let [Some(yh), Some(yl), Some(yo), Some(yc)] = rows else {
        return;
    };
    for y in yh..=yl {
        set(buf, x, y, '┊', style);
    }
    for y in yo.min(yc)..=yo.max(yc) {
        set(buf, x, y, '▒', style);
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

/// The legend under the chart, in words where they fit and abbreviated where they do not
/// (`sup`, `res`, `brk`), so every line keeps its price.
fn legend<'a>(sym: Symbol, lines: &[HLine], width: usize, theme: &Theme) -> Vec<Span<'a>> {
    let build = |short: bool| {
        let mut out: Vec<Span> = Vec::new();
        if sym == Symbol::Iwm {
            for (k, n) in ["50", "100", "200"].iter().enumerate() {
                let name = if short {
                    format!("•{n} ")
                } else {
                    format!("•SMA{n} ")
                };
                out.push(Span::styled(name, theme.fg(theme.sma[k])));
            }
        }
        for l in lines {
            let text = if short {
                l.legend
                    .replace("support", "sup")
                    .replace("resist", "res")
                    .replace("broken", "brk")
                    .replace(" stop", "")
            } else {
                l.legend.clone()
            };
            out.push(Span::styled(format!("{}{text} ", l.glyph), l.style));
        }
        out
    };
    let long = build(false);
    if long.iter().map(Span::width).sum::<usize>() <= width {
        long
    } else {
        build(true)
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
        // Of the broken levels only the nearest above and below the close matter.
        let close = s.store.series(Symbol::Iwm).last().map(|b| b.close);
        for l in v.nearest_broken(close).into_iter().flatten() {
            line(l.price, '┄', theme.dim(), format!("broken {:.2}", l.price));
        }
        // The articles' Russell levels, at the IWM/RUT ratio of the newest bar.
        for (points, price) in s.index_levels() {
            line(
                price,
                '╌',
                theme.fg(theme.accent),
                format!("RUT {points:.0}"),
            );
        }
        if let Some(p) = v.bear.stop_iwm {
            line(p, '┈', theme.fg(theme.bear), format!("bear stop {p:.2}"));
        }
        if let Some(p) = v.bull.stop_iwm {
            line(p, '┈', theme.fg(theme.bull), format!("bull stop {p:.2}"));
        }
        return out;
    }
    // The vehicle's stop is the Bear's trailed IWM stop in the vehicle's price: the same stop
    // the IWM chart, the Agents pane and the Positions pane show.
    if let Some(p) = super::stops::vehicle_stop(s, sym) {
        line(p, '┈', theme.fg(theme.bear), format!("bear stop {p:.2}"));
    }
    out
}
