//! Exports of the journal's rows: CSV (the facts entries share in columns of their own) and JSON.

use std::io::Write;

use super::query::JournalRow;
use super::{time_text, Result};

/// CSV with one row per event; the payload column is the entry's JSON.
pub fn export_csv(out: &mut impl Write, rows: &[JournalRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "seq",
        "session",
        "time",
        "kind",
        "signal_id",
        "client_order_id",
        "agent",
        "symbol",
        "side",
        "qty",
        "price",
        "state",
        "payload",
    ])?;
    for r in rows {
        let mut record = vec![
            r.seq.to_string(),
            r.session.clone(),
            time_text(r.time),
            r.kind.clone(),
            r.signal_id.map(|s| s.to_string()).unwrap_or_default(),
            r.client_order_id.clone().unwrap_or_default(),
        ];
        record.extend(COMMON.iter().map(|keys| common(&r.payload, keys)));
        record.push(r.payload.to_string());
        w.write_record(record)?;
    }
    w.flush()?;
    Ok(())
}

/// The facts most entries share, each in a column of its own (a spreadsheet filters on them):
/// the names each one goes by in the payloads.
const COMMON: [&[&str]; 6] = [
    &["agent"],
    &["symbol"],
    &["side"],
    &["qty"],
    &["price", "reference_price"],
    &["state"],
];

/// The first of `keys` in the payload or one object down (a signal's fields are under
/// `signal`), as plain text: `"44"` → `44`, `{"state":"overridden",…}` → `overridden`.
fn common(payload: &serde_json::Value, keys: &[&str]) -> String {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => keys
            .iter()
            .find_map(|k| o.get(*k)?.as_str().map(String::from)),
        _ => None,
    };
    let Value::Object(top) = payload else {
        return String::new();
    };
    let found = keys.iter().find_map(|k| top.get(*k)).or_else(|| {
        top.values()
            .filter_map(Value::as_object)
            .find_map(|o| keys.iter().find_map(|k| o.get(*k)))
    });
    found.and_then(text).unwrap_or_default()
}

/// A JSON array, one row per line, so it diffs and greps well.
pub fn export_json(out: &mut impl Write, rows: &[JournalRow]) -> Result<()> {
    out.write_all(b"[")?;
    for (i, r) in rows.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, r)?;
    }
    out.write_all(b"\n]\n")?;
    Ok(())
}
