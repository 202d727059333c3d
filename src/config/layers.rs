//! Where settings come from, in order: the embedded defaults, a file (`--config`, else the one
//! found in the platform config dir), then `DOUBLE_AGENT__SECTION__KEY` environment variables.
//! Each key remembers the layer that set it last, so an error names the file or the variable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ConfigError, DEFAULT_TOML};

/// Prefix of a setting in the environment: `DOUBLE_AGENT__BEAR__VEHICLE=SRTY`, as freqtrade's
/// `FREQTRADE__…`. Two underscores part the words, so keys with one (`max_tiers`) read as one.
pub const ENV_PREFIX: &str = "DOUBLE_AGENT__";

/// The layer every key starts in.
pub const DEFAULTS: &str = "config/default.toml";

/// The defaults with every layer merged, and which layer set each key.
#[derive(Debug, Clone)]
pub struct Merged {
    pub value: toml::Value,
    origin: HashMap<String, String>,
    /// The layers overlaid, in order.
    pub sources: Vec<String>,
}

impl Merged {
    /// The layer that set `key` (dotted), or the defaults.
    pub fn origin(&self, key: &str) -> &str {
        // A key inside an array or a nested value is blamed on its nearest named parent.
        let mut k = key;
        loop {
            if let Some(o) = self.origin.get(k) {
                return o;
            }
            match k.rsplit_once('.') {
                Some((parent, _)) => k = parent,
                None => return DEFAULTS,
            }
        }
    }

    pub fn defaults() -> Result<Merged, ConfigError> {
        let value = DEFAULT_TOML
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                file: "config/default.toml".into(),
                message: e.to_string(),
            })?;
        Ok(Merged {
            value,
            origin: HashMap::new(),
            sources: Vec::new(),
        })
    }

    /// Overlay one layer's TOML text, named `file` in errors.
    pub fn add_text(&mut self, file: &str, text: &str) -> Result<(), ConfigError> {
        let user: toml::Value = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                file: file.to_string(),
                message: e.message().to_string(),
            })?;
        overlay(&mut self.value, user, "", file, &mut self.origin)?;
        self.sources.push(file.to_string());
        Ok(())
    }

    /// Overlay each `DOUBLE_AGENT__SECTION__KEY` of `vars`, each its own layer named after the
    /// variable. A value is read as TOML (`3`, `0.5`, `true`, `[1, 2]`), else as a string
    /// (`SRTY` needs no quotes).
    pub fn add_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let mut vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        vars.sort();
        for (name, raw) in vars {
            let path: Vec<String> = name[ENV_PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            let file = format!("environment variable {name}");
            if path.iter().any(String::is_empty) {
                return Err(ConfigError::UnknownKey {
                    file,
                    key: path.join("."),
                });
            }
            // Dollars are strings in TOML: `…__STARTING_CASH=50000` means "50000".
            let wants_text = super::ranges::lookup(&self.value, &path.join("."))
                .is_some_and(toml::Value::is_str);
            let value = format!("v = {raw}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .filter(|v| !wants_text || v.is_str())
                .unwrap_or_else(|| toml::Value::String(raw.clone()));
            let layer = path.iter().rev().fold(value, |inner, k| {
                let mut t = toml::Table::new();
                t.insert(k.clone(), inner);
                toml::Value::Table(t)
            });
            overlay(&mut self.value, layer, "", &file, &mut self.origin)?;
            self.sources.push(file);
        }
        Ok(())
    }
}

/// The user's config file when `--config` names none: `$XDG_CONFIG_HOME/double-agent/config.toml`
/// on Linux (`~/.config/…`), the platform's config dir elsewhere.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "double-agent")
        .map(|p| p.config_dir().join("config.toml"))
}

/// The file in effect: the one named, else the default path when a file is there.
pub fn file_in_effect(named: Option<&Path>) -> Option<PathBuf> {
    match named {
        Some(p) => Some(p.to_path_buf()),
        None => default_path().filter(|p| p.is_file()),
    }
}

/// Merge `user` into `base`, refusing keys `base` does not have and values of another type.
fn overlay(
    base: &mut toml::Value,
    user: toml::Value,
    prefix: &str,
    file: &str,
    origin: &mut HashMap<String, String>,
) -> Result<(), ConfigError> {
    let toml::Value::Table(user) = user else {
        return Ok(());
    };
    let toml::Value::Table(base) = base else {
        return Ok(());
    };
    for (k, v) in user {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let Some(slot) = base.get_mut(&k) else {
            return Err(ConfigError::UnknownKey {
                file: file.to_string(),
                key,
            });
        };
        match (slot.is_table(), v.is_table()) {
            (true, true) => overlay(slot, v, &key, file, origin)?,
            _ if same_kind(slot, &v) => {
                *slot = v;
                origin.insert(key, file.to_string());
            }
            _ => {
                return Err(ConfigError::WrongType {
                    file: file.to_string(),
                    key,
                    expected: slot.type_str().to_string(),
                    found: v.type_str().to_string(),
                })
            }
        }
    }
    Ok(())
}

fn same_kind(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value::*;
    matches!((a, b), (Integer(_) | Float(_), Integer(_) | Float(_)))
        || std::mem::discriminant(a) == std::mem::discriminant(b)
}
