//! Rows by date, ascending, in one vector.
//!
//! A replay asks the book what was public thousands of times (the newest row up to a day, the
//! next one after it, a 52-week range, a 20-day mean) and changes it a few times a year (a
//! poller's new report, appended). A B-tree's walk from node to node was a third of those looks;
//! here a look is a binary search and a range is a slice.

use std::ops::{Bound, RangeBounds};

use chrono::NaiveDate;

/// `BTreeMap<NaiveDate, T>`'s ordered-map subset the book uses, over a sorted vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Dated<T> {
    rows: Vec<(NaiveDate, T)>,
}

impl<T> Default for Dated<T> {
    fn default() -> Self {
        Dated { rows: Vec::new() }
    }
}

/// A row as a map's iterator gives it.
fn pair<T>((d, v): &(NaiveDate, T)) -> (&NaiveDate, &T) {
    (d, v)
}

impl<T> Dated<T> {
    /// Put `v` at `date`; the row it replaces, if any.
    pub fn insert(&mut self, date: NaiveDate, v: T) -> Option<T> {
        // Appends are the rule (reports come in date order): no search for them.
        if self.rows.last().is_none_or(|(d, _)| *d < date) {
            self.rows.push((date, v));
            return None;
        }
        match self.rows.binary_search_by_key(&date, |(d, _)| *d) {
            Ok(i) => Some(std::mem::replace(&mut self.rows[i].1, v)),
            Err(i) => {
                self.rows.insert(i, (date, v));
                None
            }
        }
    }

    pub fn get(&self, date: &NaiveDate) -> Option<&T> {
        self.rows
            .binary_search_by_key(date, |(d, _)| *d)
            .ok()
            .map(|i| &self.rows[i].1)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&NaiveDate, &T)> + ExactSizeIterator + Clone {
        self.rows.iter().map(pair)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone {
        self.rows.iter().map(|(_, v)| v)
    }

    /// The rows dated within `range`, ascending.
    pub fn range(
        &self,
        range: impl RangeBounds<NaiveDate>,
    ) -> impl DoubleEndedIterator<Item = (&NaiveDate, &T)> + ExactSizeIterator + Clone {
        let from = match range.start_bound() {
            Bound::Included(d) => self.rows.partition_point(|(r, _)| r < d),
            Bound::Excluded(d) => self.rows.partition_point(|(r, _)| r <= d),
            Bound::Unbounded => 0,
        };
        let to = match range.end_bound() {
            Bound::Included(d) => self.rows.partition_point(|(r, _)| r <= d),
            Bound::Excluded(d) => self.rows.partition_point(|(r, _)| r < d),
            Bound::Unbounded => self.rows.len(),
        };
        self.rows[from..to.max(from)].iter().map(pair)
    }
}

impl<T> FromIterator<(NaiveDate, T)> for Dated<T> {
    /// As a map collects: the last row of a date wins.
    fn from_iter<I: IntoIterator<Item = (NaiveDate, T)>>(iter: I) -> Self {
        let mut d = Dated::default();
        d.extend(iter);
        d
    }
}

impl<T> Extend<(NaiveDate, T)> for Dated<T> {
    fn extend<I: IntoIterator<Item = (NaiveDate, T)>>(&mut self, iter: I) {
        for (date, v) in iter {
            self.insert(date, v);
        }
    }
}

impl<T> IntoIterator for Dated<T> {
    type Item = (NaiveDate, T);
    type IntoIter = std::vec::IntoIter<(NaiveDate, T)>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn day(n: u16) -> NaiveDate {
        NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + chrono::Days::new(u64::from(n))
    }

    fn bound(kind: u8, n: u16) -> Bound<NaiveDate> {
        match kind % 3 {
            0 => Bound::Included(day(n)),
            1 => Bound::Excluded(day(n)),
            _ => Bound::Unbounded,
        }
    }

    proptest! {
        /// Inserts in any order, then every kind of range: what a `BTreeMap` says.
        #[test]
        fn it_answers_as_a_btree_map_does(
            rows in proptest::collection::vec((0u16..60, any::<i32>()), 0..80),
            looks in proptest::collection::vec((any::<u8>(), 0u16..64, any::<u8>(), 0u16..64), 1..20),
        ) {
            let (mut dated, mut map) = (Dated::default(), BTreeMap::new());
            for (n, v) in &rows {
                prop_assert_eq!(dated.insert(day(*n), *v), map.insert(day(*n), *v));
            }
            prop_assert_eq!(dated.len(), map.len());
            prop_assert!(dated.iter().eq(map.iter()));
            prop_assert!(dated.iter().rev().eq(map.iter().rev()));
            for (ka, a, kb, b) in looks {
                let r = (bound(ka, a), bound(kb, b));
                prop_assert_eq!(dated.get(&day(a)), map.get(&day(a)));
                // A map panics on a start after the end; the book never asks for one.
                let (lo, hi) = (r.0.map(|d| d), r.1.map(|d| d));
                let empty = match (lo, hi) {
                    (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
                        x > y || (x == y && !(matches!(lo, Bound::Included(_)) && matches!(hi, Bound::Included(_))))
                    }
                    _ => false,
                };
                if empty {
                    prop_assert_eq!(dated.range(r).count(), 0);
                } else {
                    prop_assert!(dated.range(r).eq(map.range(r)));
                    prop_assert!(dated.range(r).rev().eq(map.range(r).rev()));
                }
            }
            let collected: Dated<i32> = rows.iter().map(|(n, v)| (day(*n), *v)).collect();
            let collected_map: BTreeMap<_, _> = rows.iter().map(|(n, v)| (day(*n), *v)).collect();
            prop_assert!(collected.into_iter().eq(collected_map));
        }
    }
}
