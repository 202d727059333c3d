//! On-disk SQLite cache of every snapshot fetched, so a restart shows the data at once and does
//! not refetch it. Rows are stored as JSON of the model types (one schema to keep in step).
//! Each poller opens its own connection; WAL + a busy timeout let them share the file.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use crate::model::{FuturesPositioning, ShortInterest, ShortVolume};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("positioning cache: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("positioning cache: bad stored row: {0}")]
    Json(#[from] serde_json::Error),
}

/// `Sync` (the connection sits behind a mutex) so pollers can hold `&Cache` across `.await`.
pub struct Cache {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS short_interest (symbol TEXT NOT NULL, day TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (symbol, day));
CREATE TABLE IF NOT EXISTS short_volume (symbol TEXT NOT NULL, day TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (symbol, day));
CREATE TABLE IF NOT EXISTS positioning (code TEXT NOT NULL, day TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (code, day));
CREATE TABLE IF NOT EXISTS regsho_absent (day TEXT PRIMARY KEY, checked TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

impl Cache {
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL lets three pollers write without blocking each other's reads; a failure (e.g. a
        // filesystem without shared memory) only costs concurrency, so it is not fatal.
        let _ = conn.pragma_update(None, "journal_mode", "WAL");
        conn.execute_batch(SCHEMA)?;
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    /// A throwaway cache, for when the file cannot be opened: the app still runs, it just refetches.
    pub fn in_memory() -> Result<Cache, CacheError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    /// A panic elsewhere while holding the lock leaves SQLite consistent, so a poisoned lock is
    /// still usable.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Store short-interest rows; returns the ones that are new or changed (to be announced).
    /// A revised record replaces the original, an unrevised one never replaces a revision, and the
    /// first-seen time is the earliest ever seen (publication lag is about first publication).
    pub fn put_short_interest(
        &self,
        rows: &[ShortInterest],
    ) -> Result<Vec<ShortInterest>, CacheError> {
        let mut changed = Vec::new();
        for r in rows {
            let day = r.settlement_date.to_string();
            let old: Option<ShortInterest> = self.get("short_interest", &r.symbol, &day)?;
            let mut new = r.clone();
            if let Some(old) = &old {
                if old.revised && !new.revised {
                    continue;
                }
                new.seen = match (old.seen, new.seen) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if *old == new {
                    continue;
                }
            }
            self.put("short_interest", &r.symbol, &day, &new)?;
            changed.push(new);
        }
        Ok(changed)
    }

    pub fn short_interest(&self) -> Result<Vec<ShortInterest>, CacheError> {
        self.all("short_interest")
    }

    pub fn put_short_volume(&self, rows: &[ShortVolume]) -> Result<Vec<ShortVolume>, CacheError> {
        let mut changed = Vec::new();
        for r in rows {
            let day = r.date.to_string();
            let old: Option<ShortVolume> = self.get("short_volume", &r.symbol, &day)?;
            if old.as_ref() != Some(r) {
                self.put("short_volume", &r.symbol, &day, r)?;
                changed.push(r.clone());
            }
        }
        Ok(changed)
    }

    pub fn short_volume(&self) -> Result<Vec<ShortVolume>, CacheError> {
        self.all("short_volume")
    }

    pub fn put_positioning(
        &self,
        rows: &[FuturesPositioning],
    ) -> Result<Vec<FuturesPositioning>, CacheError> {
        let mut changed = Vec::new();
        for r in rows {
            let day = r.report_date.to_string();
            let old: Option<FuturesPositioning> =
                self.get("positioning", &r.contract_code, &day)?;
            if old.as_ref() != Some(r) {
                self.put("positioning", &r.contract_code, &day, r)?;
                changed.push(r.clone());
            }
        }
        Ok(changed)
    }

    pub fn positioning(&self) -> Result<Vec<FuturesPositioning>, CacheError> {
        self.all("positioning")
    }

    /// A trade date whose Reg SHO file does not exist (holiday): never asked for again.
    pub fn mark_regsho_absent(
        &self,
        day: NaiveDate,
        checked: DateTime<Utc>,
    ) -> Result<(), CacheError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO regsho_absent (day, checked) VALUES (?1, ?2)",
            params![day.to_string(), checked.to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn regsho_absent(&self) -> Result<HashSet<NaiveDate>, CacheError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT day FROM regsho_absent")?;
        let days = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|d| d.ok()?.parse().ok())
            .collect();
        Ok(days)
    }

    pub fn set_time(&self, key: &str, t: DateTime<Utc>) -> Result<(), CacheError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, t.to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn time(&self, key: &str) -> Result<Option<DateTime<Utc>>, CacheError> {
        let v: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    fn get<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        day: &str,
    ) -> Result<Option<T>, CacheError> {
        let col = key_column(table);
        let sql = format!("SELECT row FROM {table} WHERE {col} = ?1 AND day = ?2");
        let row: Option<String> = self
            .conn()
            .query_row(&sql, params![key, day], |r| r.get(0))
            .optional()?;
        Ok(row.map(|s| serde_json::from_str(&s)).transpose()?)
    }

    fn put<T: Serialize>(
        &self,
        table: &str,
        key: &str,
        day: &str,
        row: &T,
    ) -> Result<(), CacheError> {
        let col = key_column(table);
        let sql = format!("INSERT OR REPLACE INTO {table} ({col}, day, row) VALUES (?1, ?2, ?3)");
        self.conn()
            .execute(&sql, params![key, day, serde_json::to_string(row)?])?;
        Ok(())
    }

    fn all<T: DeserializeOwned>(&self, table: &str) -> Result<Vec<T>, CacheError> {
        let col = key_column(table);
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT row FROM {table} ORDER BY {col}, day"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?)?);
        }
        Ok(out)
    }
}

/// Table names are our own constants, never outside input, so formatting them into SQL is safe.
fn key_column(table: &str) -> &'static str {
    if table == "positioning" {
        "code"
    } else {
        "symbol"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn si(shares: u64, revised: bool, seen_day: u32) -> ShortInterest {
        ShortInterest {
            symbol: "IWM".into(),
            settlement_date: NaiveDate::from_ymd_opt(2025, 7, 31).unwrap(),
            shares_short: shares,
            previous_shares_short: None,
            change: None,
            change_pct: None,
            avg_daily_volume: None,
            days_to_cover: None,
            revised,
            seen: Some(Utc.with_ymd_and_hms(2025, 8, seen_day, 0, 0, 0).unwrap()),
        }
    }

    #[test]
    fn revision_wins_and_first_seen_is_kept() {
        let c = Cache::in_memory().unwrap();
        assert_eq!(
            c.put_short_interest(&[si(100, false, 12)]).unwrap().len(),
            1
        );
        assert!(c
            .put_short_interest(&[si(100, false, 20)])
            .unwrap()
            .is_empty());
        let changed = c.put_short_interest(&[si(105, true, 25)]).unwrap();
        assert_eq!(changed[0].seen.unwrap().format("%d").to_string(), "12");
        assert!(c
            .put_short_interest(&[si(100, false, 26)])
            .unwrap()
            .is_empty());
        let all = c.short_interest().unwrap();
        assert_eq!(
            (all.len(), all[0].shares_short, all[0].revised),
            (1, 105, true)
        );
    }

    #[test]
    fn times_and_absent_days_round_trip() {
        let c = Cache::in_memory().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(c.time("x").unwrap(), None);
        c.set_time("x", t).unwrap();
        assert_eq!(c.time("x").unwrap(), Some(t));
        c.mark_regsho_absent(t.date_naive(), t).unwrap();
        assert!(c.regsho_absent().unwrap().contains(&t.date_naive()));
    }
}
