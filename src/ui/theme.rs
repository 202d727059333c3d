//! Colours, from `ui.theme`; `NO_COLOR` turns every colour off and leaves only bold/reverse.

use ratatui::style::{Color, Modifier, Style};

use crate::broker::BrokerKind;
use crate::config::UiConfig;
use crate::store::Severity;

#[derive(Debug, Clone)]
pub struct Theme {
    pub color: bool,
    pub up: Color,
    pub down: Color,
    pub bear: Color,
    pub bull: Color,
    pub accent: Color,
    pub dim: Color,
    pub warn: Color,
    pub error: Color,
    pub support: Color,
    pub resistance: Color,
    pub sma: [Color; 3],
}

impl Theme {
    pub fn from_config(ui: &UiConfig) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::new(&ui.theme, !no_color)
    }

    pub fn new(name: &str, color: bool) -> Theme {
        let light = name.eq_ignore_ascii_case("light");
        Theme {
            color,
            up: Color::Green,
            down: Color::Red,
            bear: Color::Red,
            bull: Color::Green,
            accent: if light { Color::Blue } else { Color::Cyan },
            dim: if light { Color::Gray } else { Color::DarkGray },
            warn: Color::Yellow,
            error: Color::LightRed,
            support: Color::Green,
            resistance: Color::Magenta,
            sma: [Color::Yellow, Color::Blue, Color::Magenta],
        }
    }

    /// A foreground colour, or nothing under NO_COLOR.
    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn bold(&self, c: Color) -> Style {
        self.fg(c).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(self.dim)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Info => Style::default(),
            Severity::Warn => self.bold(self.warn),
            Severity::Error => self.bold(self.error),
        }
    }

    /// The broker badge: LIVE must be impossible to miss.
    pub fn broker(&self, k: BrokerKind) -> Style {
        let base = Style::default().add_modifier(Modifier::BOLD);
        match (k, self.color) {
            (BrokerKind::Live, true) => base
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::SLOW_BLINK),
            (BrokerKind::Live, false) => base.add_modifier(Modifier::REVERSED),
            (BrokerKind::Paper, true) => base.fg(Color::Black).bg(Color::Yellow),
            (BrokerKind::Sim, true) => base.fg(Color::Black).bg(Color::Cyan),
            (_, false) => base,
        }
    }
}
