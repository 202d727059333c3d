//! Market Data v2 websocket frames. Every server frame is a JSON array of messages tagged by `T`;
//! control messages (`success`, `error`, `subscription`) arrive alone, data points in batches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StreamError;
use crate::model::{Bar, Symbol};

/// One server message. Trades, quotes and anything newer than this code land in `Other`, so a
/// channel Alpaca adds tomorrow does not break today's parser.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "T")]
pub enum StreamMsg {
    #[serde(rename = "success")]
    Success { msg: String },
    #[serde(rename = "error")]
    Error { code: u16, msg: String },
    #[serde(rename = "subscription")]
    Subscription(Subscription),
    /// A minute bar, sent just after its minute ends.
    #[serde(rename = "b")]
    Bar(WireBar),
    /// A minute bar corrected by late trades: replaces the one with the same `t`.
    #[serde(rename = "u")]
    UpdatedBar(WireBar),
    /// Today's running daily bar (`t` = midnight New York).
    #[serde(rename = "d")]
    DailyBar(WireBar),
    #[serde(rename = "s")]
    Status(TradingStatus),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WireBar {
    #[serde(rename = "S")]
    pub symbol: String,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
    pub t: DateTime<Utc>,
}

impl WireBar {
    /// The bar in our model; `None` for a symbol we do not follow.
    pub fn to_bar(&self) -> Option<(Symbol, Bar)> {
        let symbol = self.symbol.parse().ok()?;
        Some((
            symbol,
            Bar {
                time: self.t,
                open: self.o,
                high: self.h,
                low: self.l,
                close: self.c,
                volume: self.v,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradingStatus {
    #[serde(rename = "S")]
    pub symbol: String,
    /// Status code (`H` halt, `T` resumption, `2`/`3` on the CTA tape, ...).
    pub sc: String,
    #[serde(default)]
    pub sm: String,
    #[serde(default)]
    pub rm: String,
    pub t: DateTime<Utc>,
}

/// The server's full list of our subscriptions after each (un)subscribe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[serde(default)]
    pub bars: Vec<String>,
    #[serde(default)]
    pub updated_bars: Vec<String>,
    #[serde(default)]
    pub daily_bars: Vec<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
}

/// Client → server.
#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action<'a> {
    Auth {
        key: &'a str,
        secret: &'a str,
    },
    Subscribe {
        bars: &'a [String],
        #[serde(rename = "updatedBars")]
        updated_bars: &'a [String],
        #[serde(rename = "dailyBars")]
        daily_bars: &'a [String],
        statuses: &'a [String],
    },
}

/// One text frame → its messages. Anything but an array of `T`-tagged objects is `Malformed`,
/// with the reason and the start of the frame (never a credential: the server does not echo them).
pub fn parse_frame(text: &str) -> Result<Vec<StreamMsg>, StreamError> {
    serde_json::from_str::<Vec<StreamMsg>>(text).map_err(|e| StreamError::Malformed {
        reason: e.to_string(),
        frame: text.chars().take(120).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_frames_parse() {
        let msgs = parse_frame(
            r#"[{"T":"b","S":"IWM","o":213.1,"h":213.5,"l":212.9,"c":213.2,"v":4937,"n":46,"vw":213.2,"t":"2025-02-24T15:15:00Z"},
               {"T":"t","S":"AAPL","i":1,"x":"V","p":1.0,"s":1,"t":"2025-02-24T15:15:00Z","c":["@"],"z":"C"},
               {"T":"s","S":"IWM","sc":"H","sm":"Trading Halt","rc":"T12","rm":"info requested","t":"2025-02-24T15:15:00Z","z":"C"}]"#,
        )
        .unwrap();
        assert_eq!(msgs.len(), 3);
        let StreamMsg::Bar(b) = &msgs[0] else {
            panic!("{msgs:?}")
        };
        let (sym, bar) = b.to_bar().unwrap();
        assert_eq!((sym, bar.close, bar.volume), (Symbol::Iwm, 213.2, 4937.0));
        assert_eq!(msgs[1], StreamMsg::Other);
        assert!(matches!(&msgs[2], StreamMsg::Status(s) if s.sc == "H"));
    }

    #[test]
    fn control_frames_and_subscription_ack() {
        let m = parse_frame(r#"[{"T":"error","code":406,"msg":"connection limit exceeded"}]"#);
        assert_eq!(
            m.unwrap(),
            vec![StreamMsg::Error {
                code: 406,
                msg: "connection limit exceeded".into()
            }]
        );
        let m = parse_frame(
            r#"[{"T":"subscription","trades":[],"bars":["IWM"],"updatedBars":["IWM"],"dailyBars":["IWM"],"statuses":["IWM"],"lulds":[]}]"#,
        )
        .unwrap();
        let StreamMsg::Subscription(s) = &m[0] else {
            panic!("{m:?}")
        };
        assert_eq!(s.daily_bars, vec!["IWM".to_string()]);
    }

    #[test]
    fn malformed_frames_say_why() {
        for bad in [
            "{\"T\":\"b\"}",
            "[{\"T\":\"b\",\"S\":\"IWM\"}]",
            "not json",
            "[{}]",
        ] {
            let e = parse_frame(bad).unwrap_err();
            assert!(matches!(e, StreamError::Malformed { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn subscribe_action_uses_alpaca_names() {
        let syms = vec!["IWM".to_string()];
        let s = serde_json::to_string(&Action::Subscribe {
            bars: &syms,
            updated_bars: &syms,
            daily_bars: &syms,
            statuses: &syms,
        })
        .unwrap();
        assert_eq!(
            s,
            r#"{"action":"subscribe","bars":["IWM"],"updatedBars":["IWM"],"dailyBars":["IWM"],"statuses":["IWM"]}"#
        );
    }
}
