//! What the dashboard shows besides the store: overlays, prompts, chart focus and zoom.

use ratatui::layout::Rect;

use crate::model::Symbol;

/// A question on screen that takes the next key.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Which one-key reason for overriding signal `id`.
    OverrideReason {
        id: u64,
    },
    /// Typing a new size for signal `id`. `typed`: the buffer is no longer the proposal's size
    /// shown as it opened (the first digit replaces that size rather than adding to it).
    EditSize {
        id: u64,
        buffer: String,
        typed: bool,
    },
    ConfirmFlatten,
    ConfirmQuit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Dashboard,
    Scorecard,
    Journal,
}

#[derive(Debug, Clone)]
pub struct ViewState {
    pub help: bool,
    pub screen: Screen,
    pub prompt: Option<Prompt>,
    pub focus: Symbol,
    /// Bars visible on the chart.
    pub zoom: usize,
    /// Bars scrolled back from the newest.
    pub scroll: usize,
    /// Chart aggregation: 1 = the feed's bars, 5 = weekly bars from daily ones.
    pub aggregate: usize,
    pub quit: bool,
    /// Small terminals: which pane (index into `ui::COMPACT_PANES`) takes the chart's place.
    pub pane: usize,
    /// Screen rows of the signals listed in the Decide pane, for mouse clicks.
    pub signal_rows: Vec<(Rect, u64)>,
    /// Where the chart was drawn, for the mouse wheel.
    pub chart_area: Rect,
    /// Bars the chart showed in its last frame, so the indicator panes line up with it.
    pub chart_shown: usize,
}

impl ViewState {
    pub fn new(chart_bars: usize) -> Self {
        ViewState {
            help: false,
            screen: Screen::Dashboard,
            prompt: None,
            focus: Symbol::Iwm,
            zoom: chart_bars.max(10),
            scroll: 0,
            aggregate: 1,
            quit: false,
            pane: 0,
            signal_rows: Vec::new(),
            chart_area: Rect::default(),
            chart_shown: 0,
        }
    }
}
