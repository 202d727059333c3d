//! Rendering: `draw(&Session)` → one frame. Reads the state, never changes it (besides recording
//! where things were drawn, for the mouse). Panes collapse on small terminals: at 80×24 the chart,
//! the Decide pane and the status line survive.

mod bars;
mod chart;
pub mod decide;
mod indicators;
/// Which key does what (from `[keys]`), for the input handler and the help overlay.
pub mod keymap;
mod overlay;
mod panes;
mod positioning;
mod scorecard;
mod status;
mod stops;
mod theme;
/// What the trader is looking at: focus, zoom, scroll, overlays.
pub mod view;
mod wrap;

pub use status::market_clock;
pub use theme::Theme;

use ratatui::prelude::*;

use crate::session::Session;
use crate::ui::keymap::Keymap;
use crate::ui::view::{Screen, ViewState};

pub fn draw(f: &mut Frame, s: &Session, view: &mut ViewState, keymap: &Keymap, theme: &Theme) {
    let area = f.area();
    let status_h = if s.store.status.is_some() { 2 } else { 1 };
    let [top, body] =
        Layout::vertical([Constraint::Length(status_h), Constraint::Min(0)]).areas(area);
    status::draw(f, top, s, theme, keymap);
    match view.screen {
        Screen::Dashboard => dashboard(f, body, s, view, keymap, theme),
        Screen::Journal => overlay::history(f, body, s, theme),
        Screen::Scorecard => scorecard::draw(f, body, s, theme),
    }
    if let Some(p) = &view.prompt {
        overlay::prompt(f, area, p, keymap, theme);
    }
    if view.help {
        overlay::help(f, area, keymap, theme);
    }
}

/// Panes that take the chart's place on a small terminal, in `pane`-key order.
pub const COMPACT_PANES: [&str; 6] = [
    "chart",
    "indicators",
    "agents",
    "positions",
    "positioning",
    "events",
];

fn dashboard(
    f: &mut Frame,
    area: Rect,
    s: &Session,
    view: &mut ViewState,
    keymap: &Keymap,
    theme: &Theme,
) {
    if area.width < 120 || area.height < 34 {
        return compact(f, area, s, view, keymap, theme);
    }
    // The lower row holds six lines: the positioning pane's press figure, net, the long-NQ/short-RTY
    // gauge (two lines) and the IWM short interest come first, so all of them show.
    let [upper, lower, log] = Layout::vertical([
        Constraint::Min(16),
        Constraint::Length(8),
        Constraint::Length(5),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(upper);
    let [chart_area, ind] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(7)]).areas(left);
    let [rsi, atr] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(ind);
    let [decide_area, agents] =
        // Five lines: the Bear, its exits and tiers, the Bull, levels, exposure.
        Layout::vertical([Constraint::Min(6), Constraint::Length(7)]).areas(right);
    let [positions, positioning] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(lower);
    chart::draw(f, chart_area, s, view, theme);
    indicators::rsi(f, rsi, s, view, theme);
    indicators::atr(f, atr, s, view, theme);
    decide::draw(f, decide_area, s, view, keymap, theme);
    panes::agents(f, agents, s, theme);
    panes::positions(f, positions, s, theme);
    positioning::draw(f, positioning, s, theme);
    panes::log(f, log, s, theme);
}

/// Small terminal: one pane (the chart unless the `pane` key picked another) over the Decide
/// pane, and a one-line event ticker. Decide and the status line never go away.
fn compact(
    f: &mut Frame,
    area: Rect,
    s: &Session,
    view: &mut ViewState,
    keymap: &Keymap,
    theme: &Theme,
) {
    let decide_h = if s.store.signals.open().next().is_some() {
        Constraint::Percentage(50)
    } else {
        Constraint::Length(3)
    };
    let [main, decide_area, tick] =
        Layout::vertical([Constraint::Min(5), decide_h, Constraint::Length(1)]).areas(area);
    view.chart_area = Rect::default();
    match COMPACT_PANES.get(view.pane).copied().unwrap_or("chart") {
        "indicators" => {
            let [rsi, atr] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(main);
            indicators::rsi(f, rsi, s, view, theme);
            indicators::atr(f, atr, s, view, theme);
        }
        "agents" => panes::agents(f, main, s, theme),
        "positions" => panes::positions(f, main, s, theme),
        "positioning" => positioning::draw(f, main, s, theme),
        "events" => panes::log(f, main, s, theme),
        _ => chart::draw(f, main, s, view, theme),
    }
    decide::draw(f, decide_area, s, view, keymap, theme);
    panes::ticker(f, tick, s, theme);
}
