//! `[keys]`: every key the dashboard answers to, read as a key (with `ctrl-` when wanted) and
//! checked for conflicts when the config loads, so `keys.kill = "a"` cannot silently take the
//! acknowledge key.

use crossterm::event::{KeyCode, KeyModifiers};
use serde::Deserialize;

/// A key as the config writes it: `a`, `K`, `Enter`, `ctrl-k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    /// Only CONTROL: Shift is in the character itself (`K`), and Alt is how a terminal sends Esc
    /// then a key (see app/input.rs), so it cannot be a binding.
    pub ctrl: bool,
}

impl KeySpec {
    /// A pressed key as the keymap looks it up.
    pub fn of(code: KeyCode, mods: KeyModifiers) -> KeySpec {
        KeySpec {
            code,
            ctrl: mods.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn parse(name: &str) -> Option<KeySpec> {
        let lower = name.to_ascii_lowercase();
        let rest = ["ctrl-", "ctrl+"]
            .iter()
            .find_map(|p| lower.strip_prefix(p).map(|_| &name[p.len()..]));
        let (ctrl, rest) = match rest {
            Some(r) => (true, r),
            None => (false, name),
        };
        let code = parse_code(rest)?;
        // Ctrl-C always quits: a trader must never be trapped by a keymap.
        if ctrl && code == KeyCode::Char('c') {
            return None;
        }
        // A control key is a letter: a terminal sends ctrl-K as ctrl-k.
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Some(KeySpec { code, ctrl })
    }

    /// As the help overlay and the hints show it.
    pub fn label(self) -> String {
        let key = match self.code {
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
        };
        if self.ctrl {
            format!("ctrl-{key}")
        } else {
            key
        }
    }
}

fn parse_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => return Some(KeyCode::Char(c)),
        (None, _) => return None,
        _ => {}
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "space" => KeyCode::Char(' '),
        "tab" => KeyCode::Tab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        // Esc closes every overlay and prompt: it is not a binding.
        _ => return None,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    pub ack: String,
    pub ack_alt: String,
    pub r#override: String,
    pub edit: String,
    pub snooze: String,
    pub flatten: String,
    pub pause_agents: String,
    pub kill: String,
    pub mode: String,
    pub help: String,
    pub quit: String,
    pub pause_replay: String,
    pub faster: String,
    pub slower: String,
    pub focus_iwm: String,
    pub focus_twm: String,
    pub focus_srty: String,
    pub timeframe: String,
    pub zoom_in: String,
    pub zoom_out: String,
    pub scroll_left: String,
    pub scroll_right: String,
    pub next_signal: String,
    pub prev_signal: String,
    pub scorecard: String,
    pub journal_view: String,
    pub pane: String,
    pub reason_news: String,
    pub reason_levels: String,
    pub reason_size: String,
    pub reason_timing: String,
    pub reason_other: String,
    pub yes: String,
}

impl KeysConfig {
    /// The dashboard's commands, by field name, in the help overlay's order.
    pub fn commands(&self) -> [(&'static str, &str); 27] {
        [
            ("ack", &self.ack),
            ("ack_alt", &self.ack_alt),
            ("override", &self.r#override),
            ("edit", &self.edit),
            ("snooze", &self.snooze),
            ("flatten", &self.flatten),
            ("pause_agents", &self.pause_agents),
            ("kill", &self.kill),
            ("mode", &self.mode),
            ("help", &self.help),
            ("quit", &self.quit),
            ("pause_replay", &self.pause_replay),
            ("faster", &self.faster),
            ("slower", &self.slower),
            ("focus_iwm", &self.focus_iwm),
            ("focus_twm", &self.focus_twm),
            ("focus_srty", &self.focus_srty),
            ("timeframe", &self.timeframe),
            ("zoom_in", &self.zoom_in),
            ("zoom_out", &self.zoom_out),
            ("scroll_left", &self.scroll_left),
            ("scroll_right", &self.scroll_right),
            ("next_signal", &self.next_signal),
            ("prev_signal", &self.prev_signal),
            ("scorecard", &self.scorecard),
            ("journal_view", &self.journal_view),
            ("pane", &self.pane),
        ]
    }

    /// The override prompt's answers: field, key, and the reason's letter the journal records
    /// (the same whatever key a trader chose).
    pub fn reasons(&self) -> [(&'static str, &str, char); 5] {
        [
            ("reason_news", &self.reason_news, 'n'),
            ("reason_levels", &self.reason_levels, 'l'),
            ("reason_size", &self.reason_size, 's'),
            ("reason_timing", &self.reason_timing, 't'),
            ("reason_other", &self.reason_other, 'o'),
        ]
    }

    /// Every key read, or the first that is not one, then the first conflict: two commands on
    /// one key (the dashboard's, or within the override prompt). The prompts take their keys
    /// before the dashboard does, so a reason key may also be a command key.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let read = |field: &'static str, name: &str| {
            KeySpec::parse(name).ok_or((
                field,
                format!(
                    "`{name}` is not a key: use one character, Enter, Space, Tab, Up, Down, \
                     Left, Right, PageUp, PageDown, or ctrl- with a letter (ctrl-k; not ctrl-c, \
                     which always quits)"
                ),
            ))
        };
        let mut seen: Vec<(KeySpec, &'static str)> = Vec::new();
        for (field, name) in self.commands() {
            let key = read(field, name)?;
            // ack and ack_alt are one command: the same key on both is no conflict.
            let clash = seen
                .iter()
                .find(|(k, f)| *k == key && !matches!((*f, field), ("ack", "ack_alt")));
            if let Some((_, other)) = clash {
                return Err((
                    field,
                    format!("`{name}` is already keys.{other}: one key, one command"),
                ));
            }
            seen.push((key, field));
        }
        let mut answers: Vec<(KeySpec, &'static str)> = Vec::new();
        for (field, name, _) in self.reasons() {
            let key = read(field, name)?;
            if let Some((_, other)) = answers.iter().find(|(k, _)| *k == key) {
                return Err((
                    field,
                    format!("`{name}` is already keys.{other}: each reason needs its own key"),
                ));
            }
            answers.push((key, field));
        }
        read("yes", &self.yes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn keys(text: &str) -> Result<Config, String> {
        Config::from_layers(&[("mine.toml".into(), format!("[keys]\n{text}\n"))])
            .map_err(|e| e.to_string())
    }

    #[test]
    fn modifiers_are_read_and_ctrl_c_stays_quit() {
        let k = KeySpec::parse("ctrl-K").unwrap();
        assert_eq!((k.code, k.ctrl), (KeyCode::Char('k'), true));
        assert_eq!(KeySpec::parse("Ctrl+k"), Some(k));
        assert_eq!(k.label(), "ctrl-k");
        assert_eq!(KeySpec::parse("K").unwrap().code, KeyCode::Char('K'));
        assert_eq!(KeySpec::parse("ctrl-c"), None);
        assert_eq!(KeySpec::parse("Esc"), None);
        assert!(keys("kill = \"ctrl-k\"").is_ok());
    }

    #[test]
    fn a_key_bound_twice_is_refused_naming_both() {
        let err = keys("kill = \"a\"").unwrap_err();
        assert!(
            err.contains("`keys.kill`") && err.contains("keys.ack") && err.contains("mine.toml"),
            "{err}"
        );
        let err = keys("reason_size = \"n\"").unwrap_err();
        assert!(
            err.contains("`keys.reason_size`") && err.contains("keys.reason_news"),
            "{err}"
        );
        let err = keys("yes = \"ctrl-c\"").unwrap_err();
        assert!(err.contains("`keys.yes`"), "{err}");
        // A reason key may be a dashboard key too: the prompt takes it first.
        assert!(keys("reason_news = \"a\"").is_ok());
        assert!(keys("ack_alt = \"a\"").is_ok());
    }
}
