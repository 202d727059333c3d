//! Stream errors, typed by what the supervisor should do next. Built from Alpaca's error codes
//! (control_and_error_messages) and transport failures, never from what we sent (the keys).

/// What an error asks of the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Reconnect after a short jittered back-off.
    Retry,
    /// 406: the account's one connection is taken (another client, or our own previous socket
    /// not yet released): hammering only keeps it taken.
    ConnectionLimit,
    /// Keys, plan or request are wrong: retrying cannot help.
    Fatal,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    #[error("stream unreachable: {0}")]
    Connect(String),
    #[error("stream closed by the server{}", .0.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Closed(Option<String>),
    #[error("Alpaca stream error {code}: {msg}{}", hint(*.code))]
    Server { code: u16, msg: String },
    #[error("malformed stream frame ({reason}): {frame}")]
    Malformed { reason: String, frame: String },
    #[error("no answer from the stream within {ms} ms while {stage}")]
    Timeout { stage: &'static str, ms: u64 },
    #[error("unexpected stream message while {stage}: {got}")]
    Protocol { stage: &'static str, got: String },
    #[error("stream silent for {secs} s while the market is open")]
    Mute { secs: u64 },
    #[error("bad stream setting: {0}")]
    Config(String),
}

fn hint(code: u16) -> &'static str {
    match code {
        402 => " (check APCA_API_KEY_ID / APCA_API_SECRET_KEY)",
        406 => " (another client holds this account's one market-data connection)",
        409 => " (the plan does not include this feed: set alpaca.data_feed = \"iex\")",
        _ => "",
    }
}

impl StreamError {
    pub fn class(&self) -> ErrorClass {
        match self {
            StreamError::Server { code, .. } => match code {
                406 => ErrorClass::ConnectionLimit,
                // auth failed, symbol limit, v2 not enabled, plan, bad action, scope, our syntax
                400 | 402 | 405 | 408 | 409 | 410 | 411 => ErrorClass::Fatal,
                // not authenticated, already authenticated, auth timeout, slow client, internal
                _ => ErrorClass::Retry,
            },
            StreamError::Config(_) => ErrorClass::Fatal,
            _ => ErrorClass::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_are_classified() {
        let class = |code| {
            StreamError::Server {
                code,
                msg: String::new(),
            }
            .class()
        };
        assert_eq!(class(406), ErrorClass::ConnectionLimit);
        for code in [400, 402, 405, 408, 409, 410, 411] {
            assert_eq!(class(code), ErrorClass::Fatal, "{code}");
        }
        for code in [401, 403, 404, 407, 500] {
            assert_eq!(class(code), ErrorClass::Retry, "{code}");
        }
        let e = StreamError::Server {
            code: 409,
            msg: "insufficient subscription".into(),
        };
        assert!(e.to_string().contains("alpaca.data_feed"), "{e}");
    }
}
