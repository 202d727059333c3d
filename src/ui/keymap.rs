//! Keys → commands, built from the `[keys]` section of the config so every key is remappable.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{KeySpec, KeysConfig};
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
#[error("keys.{field}: {message}")]
pub struct KeyError {
    pub field: &'static str,
    pub message: String,
}

/// How a key shows in the help and the hints.
pub fn key_label(key: KeySpec) -> String {
    key.label()
}

#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<KeySpec, Command>,
    /// In config order, for the help overlay.
    pub bindings: Vec<(KeySpec, Command)>,
    /// The override prompt's keys and the reason letter each answers with.
    pub reasons: Vec<(KeySpec, char)>,
    /// "Yes" in a confirmation.
    pub yes: KeySpec,
}

impl Keymap {
    /// The keymap of a config the loader checked (keys read, no conflicts); a hand-built
    /// `KeysConfig` is checked here.
    pub fn from_config(k: &KeysConfig) -> Result<Keymap, KeyError> {
        k.check()
            .map_err(|(field, message)| KeyError { field, message })?;
        let spec = |name: &str| KeySpec::parse(name).expect("checked");
        let mut map = HashMap::new();
        let mut bindings = Vec::new();
        for (field, name) in k.commands() {
            let cmd = command_of(field);
            map.insert(spec(name), cmd);
            bindings.push((spec(name), cmd));
        }
        Ok(Keymap {
            map,
            bindings,
            reasons: k.reasons().iter().map(|(_, n, r)| (spec(n), *r)).collect(),
            yes: spec(&k.yes),
        })
    }

    pub fn command(&self, key: &KeyEvent) -> Option<Command> {
        // Ctrl-C always quits, whatever the keymap says: a trader must never be trapped.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Command::Quit);
        }
        self.map.get(&pressed(key)).copied()
    }

    /// The reason letter a key answers the override prompt with.
    pub fn reason(&self, key: &KeyEvent) -> Option<char> {
        let k = pressed(key);
        self.reasons.iter().find(|(s, _)| *s == k).map(|(_, r)| *r)
    }

    /// Caps lock or shift do not turn a yes into a no.
    pub fn is_yes(&self, key: &KeyEvent) -> bool {
        let k = pressed(key);
        k == self.yes
            || matches!((k.code, self.yes.code), (KeyCode::Char(a), KeyCode::Char(b))
                if k.ctrl == self.yes.ctrl && a.eq_ignore_ascii_case(&b))
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

/// A key event as bindings are written: ctrl-k arrives as `k` with CONTROL (some terminals
/// send `K`), shift is already in the character.
fn pressed(key: &KeyEvent) -> KeySpec {
    let spec = KeySpec::of(key.code, key.modifiers);
    match spec.code {
        KeyCode::Char(c) if spec.ctrl => KeySpec {
            code: KeyCode::Char(c.to_ascii_lowercase()),
            ctrl: true,
        },
        _ => spec,
    }
}

fn command_of(field: &str) -> Command {
    match field {
        "ack" | "ack_alt" => Command::Ack,
        "override" => Command::Override,
        "edit" => Command::Edit,
        "snooze" => Command::Snooze,
        "flatten" => Command::Flatten,
        "pause_agents" => Command::PauseAgents,
        "kill" => Command::Kill,
        "mode" => Command::Mode,
        "help" => Command::Help,
        "quit" => Command::Quit,
        "pause_replay" => Command::PauseReplay,
        "faster" => Command::Faster,
        "slower" => Command::Slower,
        "focus_iwm" => Command::Focus(Symbol::Iwm),
        "focus_twm" => Command::Focus(Symbol::Twm),
        "focus_srty" => Command::Focus(Symbol::Srty),
        "timeframe" => Command::Timeframe,
        "zoom_in" => Command::ZoomIn,
        "zoom_out" => Command::ZoomOut,
        "scroll_left" => Command::ScrollLeft,
        "scroll_right" => Command::ScrollRight,
        "next_signal" => Command::NextSignal,
        "prev_signal" => Command::PrevSignal,
        "scorecard" => Command::Scorecard,
        "journal_view" => Command::Journal,
        _ => Command::Pane,
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
        let km = Keymap::from_config(&cfg.keys).unwrap();
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(km.command(&ctrl('k')), Some(Command::Kill));
        assert_eq!(
            km.command(&k(KeyCode::Char('k'))),
            None,
            "plain k is not ctrl-k"
        );
        assert_eq!(km.command(&ctrl('c')), Some(Command::Quit));
        cfg.keys.kill = "Nope".into();
        assert!(Keymap::from_config(&cfg.keys)
            .unwrap_err()
            .to_string()
            .contains("keys.kill"));
        cfg.keys.kill = "y".into();
        assert!(Keymap::from_config(&cfg.keys)
            .unwrap_err()
            .to_string()
            .contains("keys.ack"));
    }
}
