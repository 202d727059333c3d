//! Keys → commands, built from the `[keys]` section of the config so every key is remappable.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::KeysConfig;
use crate::model::Symbol;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Ack,
    Override,
    Edit,
    Snooze,
    Flatten,
    PauseAgents,
    Kill,
    Mode,
    Help,
    Quit,
    PauseReplay,
    Faster,
    Slower,
    Focus(Symbol),
    Timeframe,
    ZoomIn,
    ZoomOut,
    ScrollLeft,
    ScrollRight,
    NextSignal,
    PrevSignal,
    Scorecard,
    Journal,
    Pane,
}

impl Command {
    /// What the help overlay says the command does (short: two columns fit in 80).
    pub fn describe(self) -> &'static str {
        match self {
            Command::Ack => "acknowledge: order to broker",
            Command::Override => "override (then a reason key)",
            Command::Edit => "edit size, then acknowledge",
            Command::Snooze => "snooze: ask again later",
            Command::Flatten => "flatten all (asks first)",
            Command::PauseAgents => "pause / resume the agents",
            Command::Kill => "kill switch: cancel + block",
            Command::Mode => "mode manual → auto → observe",
            Command::Help => "this help",
            Command::Quit => "quit (asks if orders work)",
            Command::PauseReplay => "pause / resume the replay",
            Command::Faster => "replay faster",
            Command::Slower => "replay slower",
            Command::Focus(Symbol::Iwm) => "chart IWM",
            Command::Focus(Symbol::Twm) => "chart TWM",
            Command::Focus(Symbol::Srty) => "chart SRTY",
            // The book's symbol has no chart of its own.
            Command::Focus(Symbol::Qqq | Symbol::Spy) => "chart IWM",
            Command::Timeframe => "chart: bars / weekly",
            Command::ZoomIn => "zoom in (fewer bars)",
            Command::ZoomOut => "zoom out (more bars)",
            Command::ScrollLeft => "scroll chart back in time",
            Command::ScrollRight => "scroll chart forward",
            Command::NextSignal => "select the next signal",
            Command::PrevSignal => "select the previous signal",
            Command::Scorecard => "override scorecard",
            Command::Journal => "signal history",
            Command::Pane => "small screen: next pane",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("key `{name}` for `keys.{field}` is not a key (use one character, or Enter, Esc, Space, Tab, Up, Down, Left, Right)")]
pub struct KeyError {
    pub field: &'static str,
    pub name: String,
}

pub fn parse_key(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => return Some(KeyCode::Char(c)),
        (None, _) => return None,
        _ => {}
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "space" => KeyCode::Char(' '),
        "tab" => KeyCode::Tab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        _ => return None,
    })
}

pub fn key_label(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        other => format!("{other:?}"),
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<KeyCode, Command>,
    /// In config order, for the help overlay.
    pub bindings: Vec<(KeyCode, Command)>,
}

impl Keymap {
    pub fn from_config(k: &KeysConfig) -> Result<Keymap, KeyError> {
        let table: [(&'static str, &str, Command); 27] = [
            ("ack", &k.ack, Command::Ack),
            ("ack_alt", &k.ack_alt, Command::Ack),
            ("override", &k.r#override, Command::Override),
            ("edit", &k.edit, Command::Edit),
            ("snooze", &k.snooze, Command::Snooze),
            ("flatten", &k.flatten, Command::Flatten),
            ("pause_agents", &k.pause_agents, Command::PauseAgents),
            ("kill", &k.kill, Command::Kill),
            ("mode", &k.mode, Command::Mode),
            ("help", &k.help, Command::Help),
            ("quit", &k.quit, Command::Quit),
            ("pause_replay", &k.pause_replay, Command::PauseReplay),
            ("faster", &k.faster, Command::Faster),
            ("slower", &k.slower, Command::Slower),
            ("focus_iwm", &k.focus_iwm, Command::Focus(Symbol::Iwm)),
            ("focus_twm", &k.focus_twm, Command::Focus(Symbol::Twm)),
            ("focus_srty", &k.focus_srty, Command::Focus(Symbol::Srty)),
            ("timeframe", &k.timeframe, Command::Timeframe),
            ("zoom_in", &k.zoom_in, Command::ZoomIn),
            ("zoom_out", &k.zoom_out, Command::ZoomOut),
            ("scroll_left", &k.scroll_left, Command::ScrollLeft),
            ("scroll_right", &k.scroll_right, Command::ScrollRight),
            ("next_signal", &k.next_signal, Command::NextSignal),
            ("prev_signal", &k.prev_signal, Command::PrevSignal),
            ("scorecard", &k.scorecard, Command::Scorecard),
            ("journal_view", &k.journal_view, Command::Journal),
            ("pane", &k.pane, Command::Pane),
        ];
        let mut map = HashMap::new();
        let mut bindings = Vec::new();
        for (field, name, cmd) in table {
            let code = parse_key(name).ok_or_else(|| KeyError {
                field,
                name: name.to_string(),
            })?;
            map.insert(code, cmd);
            bindings.push((code, cmd));
        }
        Ok(Keymap { map, bindings })
    }

    pub fn command(&self, key: &KeyEvent) -> Option<Command> {
        // Ctrl-C always quits, whatever the keymap says: a trader must never be trapped.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Command::Quit);
        }
        self.map.get(&key.code).copied()
    }

    /// The first key bound to `cmd`, for hints in the panes.
    pub fn key_for(&self, cmd: Command) -> String {
        self.bindings
            .iter()
            .find(|(_, c)| *c == cmd)
            .map(|(k, _)| key_label(*k))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn default_keys_follow_the_spec_and_remap() {
        let mut cfg = Config::default_config();
        let km = Keymap::from_config(&cfg.keys).unwrap();
        let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(km.command(&k(KeyCode::Char('a'))), Some(Command::Ack));
        assert_eq!(km.command(&k(KeyCode::Enter)), Some(Command::Ack));
        assert_eq!(km.command(&k(KeyCode::Char('K'))), Some(Command::Kill));
        assert_eq!(km.command(&k(KeyCode::Char('?'))), Some(Command::Help));
        cfg.keys.ack = "y".into();
        let km = Keymap::from_config(&cfg.keys).unwrap();
        assert_eq!(km.command(&k(KeyCode::Char('y'))), Some(Command::Ack));
        assert_eq!(km.command(&k(KeyCode::Char('a'))), None);
        cfg.keys.kill = "Ctrl+K".into();
        assert!(Keymap::from_config(&cfg.keys)
            .unwrap_err()
            .to_string()
            .contains("keys.kill"));
    }
}
