//! Bars as `bar_sets` keeps them: after a format byte, 49 bytes a bar, little-endian — the
//! symbol, the time in microseconds, open, high, low, close, volume (the exact f64 bits). As
//! JSON a bar took ~145 bytes: a replayed 9 M-bar file was a 1.3 GB journal, and writing it was
//! most of what the session's thread did. Older journals' JSON sets are still read.

use chrono::DateTime;
use rusqlite::types::Value;

use super::{JournalError, Result};
use crate::model::{Bar, Symbol};

const FORMAT: u8 = 1;
const WIDTH: usize = 1 + 8 + 5 * 8;

pub(super) fn encode<'a>(bars: impl ExactSizeIterator<Item = (Symbol, &'a Bar)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + bars.len() * WIDTH);
    out.push(FORMAT);
    for (s, b) in bars {
        out.push(s.index() as u8);
        out.extend_from_slice(&b.time.timestamp_micros().to_le_bytes());
        for v in [b.open, b.high, b.low, b.close, b.volume] {
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }
    out
}

/// A stored set: this format, or the JSON `json` was (a list of `T`).
pub(super) fn decode<T: serde::de::DeserializeOwned>(
    value: Value,
    from_pair: impl Fn((Symbol, Bar)) -> T,
) -> Result<Vec<T>> {
    let bytes = match value {
        Value::Text(json) => return Ok(serde_json::from_str(&json)?),
        Value::Blob(bytes) => bytes,
        other => return Err(corrupt(format!("a {:?} value", other.data_type()))),
    };
    let Some((&FORMAT, rows)) = bytes.split_first() else {
        return Err(corrupt(format!("format {:?}", bytes.first())));
    };
    if rows.len() % WIDTH != 0 {
        return Err(corrupt(format!("{} bytes", bytes.len())));
    }
    rows.chunks_exact(WIDTH)
        .map(|r| {
            let word = |k: usize| {
                let at = 1 + 8 * k;
                u64::from_le_bytes(r[at..at + 8].try_into().expect("8 bytes"))
            };
            let symbol = *Symbol::EVERY
                .get(usize::from(r[0]))
                .ok_or_else(|| corrupt(format!("symbol {}", r[0])))?;
            let time = DateTime::from_timestamp_micros(word(0) as i64)
                .ok_or_else(|| corrupt(format!("time {}", word(0) as i64)))?;
            let price = |k| f64::from_bits(word(k));
            let bar = Bar {
                time,
                open: price(1),
                high: price(2),
                low: price(3),
                close: price(4),
                volume: price(5),
            };
            Ok(from_pair((symbol, bar)))
        })
        .collect()
}

fn corrupt(what: String) -> JournalError {
    JournalError::Corrupt(format!("a stored bar set holds {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bars_come_back_bit_for_bit(
            rows in prop::collection::vec(
                (0usize..Symbol::COUNT, -2_000_000_000_000_000i64..4_000_000_000_000_000, prop::array::uniform5(any::<f64>())),
                0..50,
            )
        ) {
            let bars: Vec<(Symbol, Bar)> = rows
                .iter()
                .map(|&(s, t, [open, high, low, close, volume])| {
                    let time = DateTime::from_timestamp_micros(t).unwrap();
                    (Symbol::EVERY[s], Bar { time, open, high, low, close, volume })
                })
                .collect();
            let blob = encode(bars.iter().map(|(s, b)| (*s, b)));
            let back: Vec<(Symbol, Bar)> = decode(Value::Blob(blob), |p| p).unwrap();
            prop_assert_eq!(back.len(), bars.len());
            for ((s, b), (s2, b2)) in bars.iter().zip(&back) {
                prop_assert_eq!(s, s2);
                prop_assert_eq!(b.time, b2.time);
                let bits = |b: &Bar| [b.open, b.high, b.low, b.close, b.volume].map(f64::to_bits);
                prop_assert_eq!(bits(b), bits(b2));
            }
        }
    }

    #[test]
    fn a_json_set_of_an_older_journal_still_reads_and_a_torn_blob_is_an_error() {
        let b = Bar {
            time: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 10.0,
        };
        let json = serde_json::to_string(&[(Symbol::Twm, b)]).unwrap();
        let back: Vec<(Symbol, Bar)> = decode(Value::Text(json), |p| p).unwrap();
        assert_eq!(back, [(Symbol::Twm, b)]);
        let mut blob = encode([(Symbol::Twm, &b)].into_iter());
        blob.pop();
        let err = decode::<(Symbol, Bar)>(Value::Blob(blob), |p| p).unwrap_err();
        assert!(err.to_string().contains("bar set"), "{err}");
    }
}
