//! Which bars the chart shows: the visible window of the focused series, aggregated (weekly, or
//! daily from intraday) on request and merged several to a column when zoomed out past the width.

use chrono::Datelike;
use chrono_tz::America::New_York;

use crate::model::{Bar, Side, Symbol, Timeframe};
use crate::session::Session;
use crate::ui::view::ViewState;

/// One column: merged bars and the overlays that belong to it.
pub struct Col {
    pub bar: Bar,
    pub smas: [Option<f64>; 3],
    pub mark: Option<Side>,
    /// On the IWM chart: the Bear bought (entry) or sold (exit) its vehicle in this column.
    pub bear: Option<Side>,
    /// The time of the newest bar merged into the column (`bar.time` is the oldest's).
    pub last: chrono::DateTime<chrono::Utc>,
}

/// The visible part of the series, ready to draw.
pub struct Window {
    pub cols: Vec<Col>,
    /// Feed bars (or aggregated bars) per column; > 1 when zoomed out past the width.
    pub per_col: usize,
    /// (Aggregated) bars on screen.
    pub bars: usize,
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
pub fn window(s: &Session, sym: Symbol, view: &mut ViewState, width: usize) -> Window {
    let bars = s.store.series(sym).bars();
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
    // The Bear trades a vehicle, but its story is told against IWM's levels.
    let bear_fills: Vec<_> = s
        .store
        .orders
        .iter()
        .flat_map(|o| o.fills.iter())
        .filter(|f| sym == Symbol::Iwm && f.symbol != Symbol::Iwm)
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
            let in_col = |fills: &[(chrono::DateTime<chrono::Utc>, Side)]| {
                fills
                    .iter()
                    .rev()
                    .find(|(t, _)| *t >= t0 && *t <= t1)
                    .map(|(_, side)| *side)
            };
            let (mark, bear) = (in_col(&fills), in_col(&bear_fills));
            let smas = match ind.get(b - 1).filter(|_| aligned) {
                Some(r) => [r.sma_fast, r.sma_mid, r.sma_slow],
                None => [None; 3],
            };
            Col {
                bar,
                smas,
                mark,
                bear,
                last: t1,
            }
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
