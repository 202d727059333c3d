//! `config show` and `config init`: the settings in effect as TOML a trader can read (and paste),
//! and the commented starter file.

use super::{Merged, DEFAULT_TOML};

/// Secrets come from the environment only; these are said to be set or not, never shown.
const SECRET_VARS: [&str; 2] = ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"];

/// The merged settings, headed by the layers they came from. A string that could carry a
/// credential (a secret-looking key, a URL's user or query) is hidden.
pub fn render(merged: &Merged, env: impl Fn(&str) -> bool) -> String {
    let mut value = merged.value.clone();
    hide(&mut value, "");
    let mut out = String::from("# Settings in effect: config/default.toml (built in)");
    for s in &merged.sources {
        out.push_str(&format!(",\n#   then {s}"));
    }
    out.push('\n');
    for var in SECRET_VARS {
        let state = if env(var) {
            "set (never shown)"
        } else {
            "not set"
        };
        out.push_str(&format!("# {var}: {state}\n"));
    }
    out.push('\n');
    out.push_str(&toml::to_string_pretty(&value).unwrap_or_default());
    out
}

fn hide(v: &mut toml::Value, key: &str) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                hide(v, k);
            }
        }
        toml::Value::String(s) if crate::process::secrets::looks_secret(key) && !s.is_empty() => {
            *s = "[hidden]".into();
        }
        toml::Value::String(s) => {
            if let Ok(mut url) = reqwest::Url::parse(s) {
                if url.has_host() && (url.query().is_some() || !url.username().is_empty()) {
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    url.set_query(url.query().map(|_| "[hidden]"));
                    *s = url.to_string();
                }
            }
        }
        _ => {}
    }
}

/// The file `config init` writes: every key, commented, as the defaults. Deleting a key from it
/// lets a later version's default reach the trader.
pub fn starter() -> String {
    let body = DEFAULT_TOML
        .lines()
        .skip_while(|l| l.starts_with('#') || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "# double-agent configuration, written by `double-agent config init` ({}).\n\
         # Every key is here with its default: change what you need and delete the rest, so a\n\
         # later version's defaults reach you. An unknown key is an error naming it.\n\
         # Any key can also be set in the environment: DOUBLE_AGENT__BEAR__VEHICLE=SRTY.\n\
         # Secrets (API keys) are never read from here: APCA_API_KEY_ID / APCA_API_SECRET_KEY.\n\n\
         {body}\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_the_defaults() {
        let cfg = super::super::Config::from_layers(&[("init.toml".into(), starter())]).unwrap();
        let d = super::super::Config::default_config();
        assert_eq!(cfg.bear.max_tiers, d.bear.max_tiers);
        assert!(starter().contains("# Vehicle the Bear buys"));
    }

    #[test]
    fn show_hides_what_could_be_a_credential() {
        let mut merged = super::super::merge(&[]).unwrap();
        merged
            .add_env([(
                "DOUBLE_AGENT__ALERTS__WEBHOOK_URL".to_string(),
                "http://user:pw-canary@127.0.0.1:9/hook?token=tok-canary".to_string(),
            )])
            .unwrap();
        let out = render(&merged, |v| v == "APCA_API_SECRET_KEY");
        assert!(!out.contains("canary"), "{out}");
        assert!(out.contains("127.0.0.1:9/hook"), "{out}");
        assert!(
            out.contains("APCA_API_SECRET_KEY: set (never shown)"),
            "{out}"
        );
        assert!(out.contains("APCA_API_KEY_ID: not set"), "{out}");
        assert!(out.contains("DOUBLE_AGENT__ALERTS__WEBHOOK_URL"), "{out}");
    }
}
