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
        let mut t = Self::new(&ui.theme, !no_color);
        // The config loader refused colours it cannot read.
        for (name, value) in ui.colors.all() {
            if let Ok(c) = value.parse::<Color>() {
                *t.slot(name) = c;
            }
        }
        t
    }

    /// A named theme (config::THEMES; anything else reads as dark).
    pub fn new(name: &str, color: bool) -> Theme {
        let light = name.eq_ignore_ascii_case("light");
        let mut t = Theme {
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
        };
        if name.eq_ignore_ascii_case("high-contrast") {
            // The bright half of the palette, and secondary text that stays readable.
            t.up = Color::LightGreen;
            t.down = Color::LightRed;
            t.bear = Color::LightRed;
            t.bull = Color::LightGreen;
            t.accent = Color::LightCyan;
            t.dim = Color::White;
            t.warn = Color::LightYellow;
            t.error = Color::LightRed;
            t.support = Color::LightGreen;
            t.resistance = Color::LightMagenta;
            t.sma = [Color::LightYellow, Color::LightBlue, Color::LightMagenta];
        }
        t
    }

    fn slot(&mut self, name: &str) -> &mut Color {
        match name {
            "up" => &mut self.up,
            "down" => &mut self.down,
            "bear" => &mut self.bear,
            "bull" => &mut self.bull,
            "accent" => &mut self.accent,
            "dim" => &mut self.dim,
            "warn" => &mut self.warn,
            "error" => &mut self.error,
            "support" => &mut self.support,
            _ => &mut self.resistance,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn named_themes_differ_and_colours_override_them() {
        let layer = |t: &str| Config::from_layers(&[("mine.toml".into(), t.into())]).map(|c| c.ui);
        let hc = layer("[ui]\ntheme = \"high-contrast\"\n").unwrap();
        let dark = Theme::new("dark", true);
        let t = Theme::new(&hc.theme, true);
        assert_ne!(t.dim, dark.dim);
        assert_eq!(Theme::new("light", true).accent, Color::Blue);
        let ui = layer("[ui.colors]\nbear = \"#ff8800\"\nup = \"208\"\n").unwrap();
        let mut with = ui.clone();
        with.colors.dim = String::new();
        let t = Theme {
            color: true,
            ..Theme::from_config(&with)
        };
        assert_eq!(t.bear, Color::Rgb(0xff, 0x88, 0x00));
        assert_eq!(t.up, Color::Indexed(208));
        assert_eq!(t.bull, dark.bull);
        let err = layer("[ui]\ntheme = \"neon\"\n").unwrap_err().to_string();
        assert!(err.contains("`ui.theme`") && err.contains("neon"), "{err}");
        let err = layer("[ui.colors]\nbear = \"reddish\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`ui.colors.bear`"), "{err}");
    }
}
