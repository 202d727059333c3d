//! Reading the journal back: filtered rows, sessions, and a session's bars and signals in
//! recorded order for a deterministic `replay --session` (exports: `export`).

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rust_decimal::Decimal;
use serde::Serialize;

use super::entry::{Entry, SessionStart};
use super::{time_text, Journal, JournalError, Result};
use crate::model::{Bar, Signal, SignalState, Symbol, Timeframe};

/// Which rows `list` returns; every field narrows, `Default` is everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JournalFilter {
    pub session: Option<String>,
    /// Entry kinds (`Entry::kind`), e.g. `["signal", "answer"]`; empty = all.
    pub kinds: Vec<String>,
    pub signal_id: Option<u64>,
    pub client_order_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The last `limit` rows (still returned oldest first).
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalRow {
    pub seq: u64,
    pub session: String,
    pub time: DateTime<Utc>,
    pub kind: String,
    pub signal_id: Option<u64>,
    pub client_order_id: Option<String>,
    pub payload: serde_json::Value,
}

impl JournalRow {
    /// The typed entry behind the row.
    pub fn entry(&self) -> Result<Entry> {
        Ok(Entry::from_columns(&self.kind, &self.payload.to_string())?)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub started: DateTime<Utc>,
    pub config_hash: String,
    pub broker: String,
    pub feed: String,
    pub version: String,
    /// The simulator's starting cash, as journaled at its start (absent: real venue, or an
    /// older journal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_cash: Option<Decimal>,
    pub first_seq: u64,
    pub last_seq: u64,
    pub last_time: DateTime<Utc>,
    pub events: u64,
    pub bars: u64,
    /// A `session_end` was written: the session stopped cleanly rather than crashed.
    pub ended: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedBar {
    pub seq: u64,
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub bar: Bar,
    /// Recorded as a live bar (not history / warm-up).
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedSignal {
    pub seq: u64,
    pub signal: Signal,
    /// State after the last answer recorded in the session.
    pub state: SignalState,
}

fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

impl Journal {
    pub fn list(&self, filter: &JournalFilter) -> Result<Vec<JournalRow>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        let mut push = |clause: &str, v: Value| {
            args.push(v);
            clauses.push(clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(s) = &filter.session {
            push("session = ?", Value::Text(s.clone()));
        }
        if let Some(id) = filter.signal_id {
            push("signal_id = ?", Value::Integer(id as i64));
        }
        if let Some(c) = &filter.client_order_id {
            push("client_order_id = ?", Value::Text(c.clone()));
        }
        if let Some(t) = filter.since {
            push("time >= ?", Value::Text(time_text(t)));
        }
        if let Some(t) = filter.until {
            push("time < ?", Value::Text(time_text(t)));
        }
        if !filter.kinds.is_empty() {
            let start = args.len();
            let marks: Vec<String> = (1..=filter.kinds.len())
                .map(|i| format!("?{}", start + i))
                .collect();
            args.extend(filter.kinds.iter().cloned().map(Value::Text));
            clauses.push(format!("kind IN ({})", marks.join(",")));
        }
        let mut sql = String::from(
            "SELECT seq, session, time, kind, signal_id, client_order_id, payload FROM events",
        );
        if !clauses.is_empty() {
            sql += &format!(" WHERE {}", clauses.join(" AND "));
        }
        sql += " ORDER BY seq DESC";
        if let Some(n) = filter.limit {
            sql += &format!(" LIMIT {n}");
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                let payload: String = r.get(6)?;
                Ok(JournalRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    session: r.get(1)?,
                    time: parse_time(&r.get::<_, String>(2)?)?,
                    kind: r.get(3)?,
                    signal_id: r.get::<_, Option<i64>>(4)?.map(|s| s as u64),
                    client_order_id: r.get(5)?,
                    payload: serde_json::from_str(&payload).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            6,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        // Newest-first in SQL so LIMIT keeps the latest; oldest-first for the reader.
        Ok(rows.into_iter().rev().collect())
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.payload, MIN(e.seq), MAX(e.seq), MAX(e.time), COUNT(*), \
                 SUM(CASE e.kind WHEN 'bar' THEN 1 \
                 WHEN 'history' THEN json_extract(e.payload, '$.bars') \
                 WHEN 'replayed' THEN json_extract(e.payload, '$.through') \
                 - json_extract(e.payload, '$.from') ELSE 0 END), \
                 SUM(e.kind = 'session_end') \
                 FROM events s JOIN events e ON e.session = s.session \
                 WHERE s.kind = 'session_start' GROUP BY s.seq ORDER BY s.seq",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                    parse_time(&r.get::<_, String>(3)?)?,
                    r.get::<_, i64>(4)? as u64,
                    r.get::<_, i64>(5)? as u64,
                    r.get::<_, i64>(6)? > 0,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        rows.into_iter()
            .map(
                |(payload, first_seq, last_seq, last_time, events, bars, ended)| {
                    let s: SessionStart = serde_json::from_str(&payload)?;
                    Ok(SessionSummary {
                        id: s.session,
                        started: s.started,
                        config_hash: s.config_hash,
                        broker: s.broker,
                        feed: s.feed,
                        version: s.version,
                        starting_cash: s.starting_cash,
                        first_seq,
                        last_seq,
                        last_time,
                        events,
                        bars,
                        ended,
                    })
                },
            )
            .collect()
    }

    /// The session's bars in the order they were received: feed them to the engine again.
    /// A `history` row stands for its whole stored set, a `replayed` row for its part of the
    /// replay's stored sequence, each at the row's place.
    pub fn session_bars(&self, session: &str) -> Result<Vec<RecordedBar>> {
        let filter = JournalFilter {
            session: Some(session.to_string()),
            kinds: vec!["bar".into(), "history".into(), "replayed".into()],
            ..Default::default()
        };
        let mut sets = super::replayed::ReplaySets::default();
        let mut out = Vec::new();
        for row in self.list(&filter)? {
            match row.entry()? {
                Entry::Bar {
                    symbol,
                    timeframe,
                    bar,
                    live,
                } => out.push(RecordedBar {
                    seq: row.seq,
                    symbol,
                    timeframe,
                    bar,
                    live,
                }),
                Entry::History {
                    symbol,
                    timeframe,
                    fingerprint,
                    ..
                } => out.extend(
                    self.bar_set(&fingerprint)?
                        .into_iter()
                        .map(|bar| RecordedBar {
                            seq: row.seq,
                            symbol,
                            timeframe,
                            bar,
                            live: false,
                        }),
                ),
                Entry::Replayed {
                    timeframe,
                    fingerprint,
                    from,
                    through,
                } => out.extend(sets.part(self, &fingerprint, from, through)?.iter().map(
                    |&(symbol, bar)| RecordedBar {
                        seq: row.seq,
                        symbol,
                        timeframe,
                        bar,
                        live: true,
                    },
                )),
                other => return Err(unexpected(&other)),
            }
        }
        Ok(out)
    }

    /// Per symbol, the time of the last live bar the session journaled: where a resumed replay
    /// picks up (bars are journaled before they are acted on).
    pub fn last_live_bars(&self, session: &str) -> Result<Vec<(Symbol, DateTime<Utc>)>> {
        let mut last: Vec<(Symbol, DateTime<Utc>)> = Vec::new();
        let mut see =
            |symbol: Symbol, t: DateTime<Utc>| match last.iter_mut().find(|(s, _)| *s == symbol) {
                Some((_, l)) => *l = (*l).max(t),
                None => last.push((symbol, t)),
            };
        // Live bars are `bar` and `replayed` rows: the history sets need not be read.
        let filter = JournalFilter {
            session: Some(session.to_string()),
            kinds: vec!["bar".into(), "replayed".into()],
            ..Default::default()
        };
        let mut sets = super::replayed::ReplaySets::default();
        for row in self.list(&filter)? {
            match row.entry()? {
                Entry::Bar {
                    symbol,
                    bar,
                    live: true,
                    ..
                } => see(symbol, bar.time),
                Entry::Replayed {
                    fingerprint,
                    from,
                    through,
                    ..
                } => {
                    for &(symbol, bar) in sets.part(self, &fingerprint, from, through)? {
                        see(symbol, bar.time);
                    }
                }
                _ => {}
            }
        }
        Ok(last)
    }

    /// The session's signals in proposal order, each with the state its answers left it in.
    pub fn session_signals(&self, session: &str) -> Result<Vec<RecordedSignal>> {
        let filter = JournalFilter {
            session: Some(session.to_string()),
            kinds: vec!["signal".into(), "answer".into()],
            ..Default::default()
        };
        let mut out: Vec<RecordedSignal> = Vec::new();
        for row in self.list(&filter)? {
            match row.entry()? {
                Entry::Signal { signal, state, .. } => out.push(RecordedSignal {
                    seq: row.seq,
                    signal,
                    state,
                }),
                Entry::Answer {
                    signal_id, state, ..
                } => {
                    if let Some(s) = out.iter_mut().find(|s| s.signal.id == signal_id) {
                        s.state = state;
                    }
                }
                other => return Err(unexpected(&other)),
            }
        }
        Ok(out)
    }
}

fn unexpected(entry: &Entry) -> JournalError {
    JournalError::Json(serde::de::Error::custom(format!(
        "unexpected entry kind {}",
        entry.kind()
    )))
}
