//! Where to talk to Alpaca and with which keys: environment lookup, the live gate, redaction.

use std::fmt;

use reqwest::Url;

use super::AlpacaError;
use crate::model::BrokerKind;

/// Environment variable names, spelled as the official Go/JS SDKs read them.
pub const ENV_KEY_ID: &str = "APCA_API_KEY_ID";
pub const ENV_SECRET_KEY: &str = "APCA_API_SECRET_KEY";
pub const ENV_BASE_URL: &str = "APCA_API_BASE_URL";
pub const ENV_DATA_URL: &str = "APCA_API_DATA_URL";

/// Paper is the default on purpose: the Go SDK defaults to live when unset, we do not.
pub const DEFAULT_TRADING_URL: &str = "https://paper-api.alpaca.markets";
pub const DEFAULT_DATA_URL: &str = "https://data.alpaca.markets";
pub const PAPER_HOST: &str = "paper-api.alpaca.markets";
pub const LIVE_HOST: &str = "api.alpaca.markets";

/// A credential. Debug prints a placeholder and there is no Display, so a key cannot leak
/// through `{:?}` of any struct holding it, an error message, a log line or a panic.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The raw value, only for building the auth header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Resolved hosts and keys. `kind` is `Live` only after the live gate let it through.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub trading_url: Url,
    pub data_url: Url,
    pub key_id: Secret,
    pub secret_key: Secret,
    pub kind: crate::model::BrokerKind,
}

impl Endpoints {
    /// Endpoints for tests and tools that do not read the environment (still checked).
    pub fn new(
        trading_url: &str,
        data_url: &str,
        key_id: Secret,
        secret_key: Secret,
    ) -> Result<Self, AlpacaError> {
        let trading_url = parse_url(ENV_BASE_URL, trading_url)?;
        let data_url = parse_url(ENV_DATA_URL, data_url)?;
        if needs_live_gate(&trading_url) {
            return Err(AlpacaError::LiveRefused {
                host: host_of(&trading_url),
            });
        }
        Ok(Endpoints {
            trading_url,
            data_url,
            key_id,
            secret_key,
            kind: BrokerKind::Paper,
        })
    }
}

/// Read `APCA_*` through `env` and apply the live gate.
///
/// A trading host other than the paper host or a loopback mock counts as live (a proxy could
/// forward to real money). Live is allowed only when `live` is true AND `confirm` returns true;
/// `confirm` gets a one-line description of what is about to happen (the CLI shows it and asks
/// the user to type a phrase). With `live` true and no URL set, the live host is used.
pub fn resolve_endpoints(
    env: &impl Fn(&str) -> Option<String>,
    live: bool,
    confirm: &mut dyn FnMut(&str) -> bool,
) -> Result<Endpoints, AlpacaError> {
    let get = |name: &'static str| env(name).filter(|v| !v.trim().is_empty());
    let key_id = get(ENV_KEY_ID).ok_or(AlpacaError::MissingEnv { var: ENV_KEY_ID })?;
    let secret = get(ENV_SECRET_KEY).ok_or(AlpacaError::MissingEnv {
        var: ENV_SECRET_KEY,
    })?;
    let default_trading = if live {
        format!("https://{LIVE_HOST}")
    } else {
        DEFAULT_TRADING_URL.to_string()
    };
    let trading_url = parse_url(ENV_BASE_URL, &get(ENV_BASE_URL).unwrap_or(default_trading))?;
    let data_url = parse_url(
        ENV_DATA_URL,
        &get(ENV_DATA_URL).unwrap_or_else(|| DEFAULT_DATA_URL.to_string()),
    )?;
    let host = host_of(&trading_url);
    let kind = if needs_live_gate(&trading_url) {
        if !live {
            return Err(AlpacaError::LiveRefused { host });
        }
        let prompt = format!(
            "LIVE trading against {host}: orders will use REAL money on the account of {ENV_KEY_ID}"
        );
        if !confirm(&prompt) {
            return Err(AlpacaError::LiveNotConfirmed);
        }
        BrokerKind::Live
    } else {
        if live {
            // The user asked for real money but the URL says paper: stop rather than guess.
            return Err(AlpacaError::LiveMismatch { host });
        }
        BrokerKind::Paper
    };
    Ok(Endpoints {
        trading_url,
        data_url,
        key_id: Secret::new(key_id.trim()),
        secret_key: Secret::new(secret.trim()),
        kind,
    })
}

fn host_of(url: &Url) -> String {
    url.host_str()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn needs_live_gate(url: &Url) -> bool {
    let host = host_of(url);
    host != PAPER_HOST && !is_loopback(url)
}

/// Only https, except plain http to a loopback mock: keys travel in headers.
fn parse_url(var: &'static str, raw: &str) -> Result<Url, AlpacaError> {
    let bad = |reason: &str| AlpacaError::BadUrl {
        var,
        reason: reason.to_string(),
    };
    let mut url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    // The SDKs take `https://paper-api.alpaca.markets/v2` as well as the bare host: the API
    // version is ours to add (alpacahq/alpaca-trade-api-js#104 sent /v2/v2/clock).
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/v2").unwrap_or(path).to_string();
    url.set_path(&path);
    if url.host_str().is_none() {
        return Err(bad("no host"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => return Err(bad("must be https (plain http only to localhost)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are not accepted"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }
    const KEYS: [(&str, &str); 2] = [(ENV_KEY_ID, "PKCANARY123"), (ENV_SECRET_KEY, "canary-xyz")];

    #[test]
    fn paper_is_the_default() {
        let e = resolve_endpoints(&env(&KEYS), false, &mut |_| panic!("no prompt")).unwrap();
        assert_eq!(e.kind, BrokerKind::Paper);
        assert_eq!(e.trading_url.host_str(), Some(PAPER_HOST));
        assert_eq!(e.data_url.as_str(), "https://data.alpaca.markets/");
        let dbg = format!("{e:?}");
        assert!(
            !dbg.contains("PKCANARY123") && !dbg.contains("canary-xyz"),
            "{dbg}"
        );
    }

    #[test]
    fn missing_keys_are_named() {
        let err = resolve_endpoints(&env(&[]), false, &mut |_| true).unwrap_err();
        assert!(err.to_string().contains(ENV_KEY_ID));
    }

    #[test]
    fn http_only_to_loopback() {
        const E: [(&str, &str); 3] = [
            (ENV_KEY_ID, "k"),
            (ENV_SECRET_KEY, "s"),
            (ENV_BASE_URL, "http://paper-api.alpaca.markets"),
        ];
        assert!(resolve_endpoints(&env(&E), false, &mut |_| true).is_err());
        const L: [(&str, &str); 3] = [
            (ENV_KEY_ID, "k"),
            (ENV_SECRET_KEY, "s"),
            (ENV_BASE_URL, "http://127.0.0.1:9"),
        ];
        let e = resolve_endpoints(&env(&L), false, &mut |_| true).unwrap();
        assert_eq!(e.kind, BrokerKind::Paper);
    }

    #[test]
    fn a_trailing_v2_or_slash_is_the_same_host() {
        for raw in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/v2",
            "http://127.0.0.1:9/v2/",
        ] {
            let e = Endpoints::new(raw, raw, Secret::new("k"), Secret::new("s")).unwrap();
            assert_eq!(e.trading_url.as_str(), "http://127.0.0.1:9/", "{raw}");
            assert_eq!(e.data_url.as_str(), "http://127.0.0.1:9/", "{raw}");
        }
        // A proxy's own prefix stays.
        let e = Endpoints::new(
            "http://127.0.0.1:9/alpaca/v2",
            "http://127.0.0.1:9",
            Secret::new("k"),
            Secret::new("s"),
        )
        .unwrap();
        assert_eq!(e.trading_url.as_str(), "http://127.0.0.1:9/alpaca");
    }

    #[test]
    fn live_with_flag_but_paper_url_is_a_mismatch() {
        const E: [(&str, &str); 3] = [
            (ENV_KEY_ID, "k"),
            (ENV_SECRET_KEY, "s"),
            (ENV_BASE_URL, "https://paper-api.alpaca.markets"),
        ];
        let err = resolve_endpoints(&env(&E), true, &mut |_| true).unwrap_err();
        assert!(matches!(err, AlpacaError::LiveMismatch { .. }), "{err}");
    }
}
