//! Rendering: `draw(&Session)` → one frame. Reads the state, never changes it (besides recording
//! where things were drawn, for the mouse). Panes collapse on small terminals: at 80×24 the chart,
//! the Decide pane and the status line survive.

mod chart;
pub mod decide;
mod overlay;
mod panes;
mod status;
mod theme;

pub use status::market_clock;
pub use theme::Theme;

use ratatui::prelude::*;

use crate::app::keymap::{Command, Keymap};
use crate::app::view::{Screen, ViewState};
use crate::session::Session;

pub fn draw(f: &mut Frame, s: &Session, view: &mut ViewState, keymap: &Keymap, theme: &Theme) {
    let area = f.area();
    let status_h = if s.store.status.is_some() { 2 } else { 1 };
    let [top, body] =
        Layout::vertical([Constraint::Length(status_h), Constraint::Min(0)]).areas(area);
    status::draw(f, top, s, theme, &keymap.key_for(Command::Help));
    match view.screen {
        Screen::Dashboard => dashboard(f, body, s, view, keymap, theme),
        Screen::Journal => overlay::history(f, body, s, theme),
        Screen::Scorecard => overlay::history(f, body, s, theme),
    }
    if let Some(p) = &view.prompt {
        overlay::prompt(f, area, p, theme);
    }
    if view.help {
        overlay::help(f, area, keymap, theme);
    }
}

fn dashboard(
    f: &mut Frame,
    area: Rect,
    s: &Session,
    view: &mut ViewState,
    keymap: &Keymap,
    theme: &Theme,
) {
    let large = area.width >= 120 && area.height >= 34;
    if !large {
        // Small terminal: chart | decide, and a one-line event ticker.
        let [main, tick] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
        let right = (main.width * 2 / 5).clamp(30, 60);
        let [left, decide] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right)]).areas(main);
        chart::draw(f, left, s, view, theme);
        decide::draw(f, decide, s, view, keymap, theme);
        panes::ticker(f, tick, s, theme);
        return;
    }
    let [upper, lower, log] = Layout::vertical([
        Constraint::Min(16),
        Constraint::Length(5),
        Constraint::Length(6),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(upper);
    let [chart_area, ind] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(5)]).areas(left);
    let [rsi, atr] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(ind);
    let [decide_area, agents] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(6)]).areas(right);
    chart::draw(f, chart_area, s, view, theme);
    panes::rsi(f, rsi, s, theme);
    panes::atr(f, atr, s, theme);
    decide::draw(f, decide_area, s, view, keymap, theme);
    panes::agents(f, agents, s, theme);
    panes::positions(f, lower, s, theme);
    panes::log(f, log, s, theme);
}
