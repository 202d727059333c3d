//! Typed Alpaca errors. None of them can carry a key: they are built from status codes, Alpaca's
//! `{"code","message"}` body and transport classifications, never from request headers, and the
//! client redacts our keys from every body before it gets here (a venue may echo them).

use serde::Deserialize;

/// Alpaca's error body. Trading errors have an 8-digit `code`; market-data errors often do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody {
    #[serde(default)]
    pub code: Option<u64>,
    #[serde(default)]
    pub message: String,
}

/// 422 on POST /v2/orders when the client_order_id was used before (even by a canceled order).
pub const CODE_DUPLICATE_CLIENT_ORDER_ID: u64 = 40010001;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AlpacaError {
    #[error("{var} is not set (Alpaca keys come from the environment only)")]
    MissingEnv { var: &'static str },
    #[error("{var} is not a usable URL: {reason}")]
    BadUrl { var: &'static str, reason: String },
    #[error(
        "refusing live trading host {host}: pass --live and confirm, or point APCA_API_BASE_URL at https://paper-api.alpaca.markets"
    )]
    LiveRefused { host: String },
    #[error("live trading was not confirmed")]
    LiveNotConfirmed,
    #[error("--live was given but APCA_API_BASE_URL points at paper host {host}")]
    LiveMismatch { host: String },
    #[error("bad Alpaca setting: {0}")]
    Config(String),
    /// A non-2xx answer with Alpaca's body, e.g. 401 `40110000`, 422 `40010001`, 429 `42910000`.
    #[error("Alpaca HTTP {status}{}: {message}{}", code.map(|c| format!(" (code {c})")).unwrap_or_default(), auth_hint(*status))]
    Api {
        status: u16,
        code: Option<u64>,
        message: String,
    },
    #[error("Alpaca request timed out after {ms} ms")]
    Timeout { ms: u64 },
    #[error("Alpaca unreachable: {0}")]
    Transport(String),
    #[error("unexpected Alpaca payload: {0}")]
    Decode(String),
}

/// What a trader checks when Alpaca says no to the keys.
fn auth_hint(status: u16) -> &'static str {
    match status {
        401 => {
            ". Check APCA_API_KEY_ID and APCA_API_SECRET_KEY: paper keys (PK…) work only with \
                https://paper-api.alpaca.markets, live keys (AK…) only with --live, and a key \
                regenerated in the dashboard replaces the old one"
        }
        403 => {
            ". The keys were read but this is not allowed for them: live keys on the paper host \
                or the reverse, a market-data feed the plan does not include (alpaca.data_feed = \
                \"iex\" on the free plan), or an account that cannot trade"
        }
        _ => "",
    }
}

impl AlpacaError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AlpacaError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 422 40010001 on an order POST: the order already exists, look it up instead of failing.
    pub fn is_duplicate_client_order_id(&self) -> bool {
        matches!(
            self,
            AlpacaError::Api { status: 422, code: Some(CODE_DUPLICATE_CLIENT_ORDER_ID), message }
                if message.contains("client_order_id")
        )
    }

    /// The server may have acted on the request even though we got no usable answer.
    /// For a POST this means "unknown", for a GET "try again".
    pub fn is_ambiguous(&self) -> bool {
        match self {
            AlpacaError::Timeout { .. } | AlpacaError::Transport(_) => true,
            AlpacaError::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Keys or permissions are wrong: retrying will not help.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            AlpacaError::Api {
                status: 401 | 403,
                ..
            }
        )
    }

    /// Build from a non-2xx response body; a body that is not Alpaca's JSON is kept short.
    /// Public so the `alpaca_json` fuzz target can reach it.
    pub fn from_response(status: u16, body: &str) -> Self {
        let parsed: Option<ApiErrorBody> = serde_json::from_str(body).ok();
        let (code, message) = match parsed {
            Some(b) if !b.message.is_empty() || b.code.is_some() => (b.code, b.message),
            _ => (
                None,
                body.chars()
                    .take(200)
                    .collect::<String>()
                    .trim()
                    .to_string(),
            ),
        };
        AlpacaError::Api {
            status,
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_client_order_id_is_recognised() {
        let e = AlpacaError::from_response(
            422,
            r#"{"code":40010001,"message":"client_order_id must be unique"}"#,
        );
        assert!(e.is_duplicate_client_order_id());
        assert!(!e.is_ambiguous());
        assert!(e.to_string().contains("40010001"), "{e}");
        // Same code, other meaning (bad order id on GET): not a duplicate.
        let e =
            AlpacaError::from_response(422, r#"{"code":40010001,"message":"order_id is missing"}"#);
        assert!(!e.is_duplicate_client_order_id());
    }

    #[test]
    fn data_api_bodies_without_code_and_non_json_bodies() {
        let e = AlpacaError::from_response(
            403,
            r#"{"message":"subscription does not permit querying recent SIP data"}"#,
        );
        assert!(e.is_auth() && e.to_string().contains("recent SIP"));
        let e = AlpacaError::from_response(502, "<html>bad gateway</html>");
        assert!(e.is_ambiguous() && e.to_string().contains("bad gateway"));
    }
}
