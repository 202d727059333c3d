//! The IWM beta of a QQQ or SPY book: the regression slope of its daily returns on IWM's over the
//! last 250 days (spec, "The book the agents hedge"). Streaming: each day adds one pair of returns
//! and drops the oldest, so the slope costs O(1) per bar. The two series need not arrive together:
//! a warm-up feeds all of IWM's history before the book's, so each side keeps its last days and a
//! bar pairs with the other side's bar of the same time whenever that one comes.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

/// Days in the regression window.
pub const WINDOW: usize = 250;
/// Fewer paired days than this and the slope says little: the book counts at beta 1 until then.
pub const MIN_DAYS: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct BookBeta {
    /// (IWM return, book return) per paired day, oldest first.
    pairs: VecDeque<(f64, f64)>,
    sx: f64,
    sy: f64,
    sxx: f64,
    sxy: f64,
    /// The last paired bar's time and closes (IWM, book).
    last: Option<(DateTime<Utc>, f64, f64)>,
    /// Each side's latest bars not older than the window, ascending: (time, close).
    iwm: VecDeque<(DateTime<Utc>, f64)>,
    book: VecDeque<(DateTime<Utc>, f64)>,
}

impl BookBeta {
    /// An IWM bar (ascending within IWM's series).
    pub fn observe_iwm(&mut self, time: DateTime<Utc>, close: f64) {
        if let Some(b) = find(&self.book, time) {
            self.pair(time, close, b);
        }
        keep(&mut self.iwm, time, close);
    }

    /// A bar of the book's symbol (ascending within its series).
    pub fn observe_book(&mut self, time: DateTime<Utc>, close: f64) {
        if let Some(i) = find(&self.iwm, time) {
            self.pair(time, i, close);
        }
        keep(&mut self.book, time, close);
    }

    /// Both closes of one time: a pair once the time is newer than the last paired one.
    fn pair(&mut self, t: DateTime<Utc>, iwm: f64, book: f64) {
        if self.last.is_some_and(|(lt, _, _)| lt >= t) {
            return;
        }
        if let Some((_, pi, pb)) = self.last {
            if pi > 0.0 && pb > 0.0 {
                self.push(iwm / pi - 1.0, book / pb - 1.0);
            }
        }
        self.last = Some((t, iwm, book));
    }

    fn push(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        self.pairs.push_back((x, y));
        self.add(x, y, 1.0);
        if self.pairs.len() > WINDOW {
            if let Some((ox, oy)) = self.pairs.pop_front() {
                self.add(ox, oy, -1.0);
            }
        }
    }

    fn add(&mut self, x: f64, y: f64, sign: f64) {
        self.sx += sign * x;
        self.sy += sign * y;
        self.sxx += sign * x * x;
        self.sxy += sign * x * y;
    }

    /// The slope over the window, once it has `MIN_DAYS` pairs and IWM moved.
    pub fn beta(&self) -> Option<f64> {
        let n = self.pairs.len() as f64;
        if self.pairs.len() < MIN_DAYS {
            return None;
        }
        let var = self.sxx - self.sx * self.sx / n;
        let cov = self.sxy - self.sx * self.sy / n;
        (var > 1e-12).then(|| cov / var).filter(|b| b.is_finite())
    }

    /// Days in the window.
    pub fn days(&self) -> usize {
        self.pairs.len()
    }
}

fn find(side: &VecDeque<(DateTime<Utc>, f64)>, t: DateTime<Utc>) -> Option<f64> {
    side.binary_search_by_key(&t, |(bt, _)| *bt)
        .ok()
        .map(|i| side[i].1)
}

fn keep(side: &mut VecDeque<(DateTime<Utc>, f64)>, t: DateTime<Utc>, close: f64) {
    if side.back().is_some_and(|(bt, _)| *bt >= t) {
        return;
    }
    side.push_back((t, close));
    if side.len() > WINDOW + 1 {
        side.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn day(k: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 5, 0, 0).unwrap() + Duration::days(k)
    }

    /// The streaming slope equals the batch least-squares slope of the last 250 days.
    #[test]
    fn slope_matches_batch_regression_over_the_window() {
        let mut b = BookBeta::default();
        let (mut pi, mut pb) = (100.0, 300.0);
        let mut rets = Vec::new();
        for k in 0..400 {
            // A deterministic wiggle: the book moves 0.7 × IWM plus its own noise.
            let x = ((k * 37 % 23) as f64 - 11.0) / 500.0;
            let e = ((k * 53 % 17) as f64 - 8.0) / 2000.0;
            let y = 0.7 * x + e;
            if k > 0 {
                pi *= 1.0 + x;
                pb *= 1.0 + y;
                rets.push((x, y));
            }
            b.observe_book(day(k), pb);
            b.observe_iwm(day(k), pi);
        }
        let w = &rets[rets.len() - WINDOW..];
        let n = w.len() as f64;
        let mx = w.iter().map(|p| p.0).sum::<f64>() / n;
        let my = w.iter().map(|p| p.1).sum::<f64>() / n;
        let cov: f64 = w.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let var: f64 = w.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let got = b.beta().unwrap();
        assert!((got - cov / var).abs() < 1e-9, "{got} vs {}", cov / var);
        assert!((got - 0.7).abs() < 0.1, "{got}");
        assert_eq!(b.days(), WINDOW);
    }

    /// A warm-up sends all of IWM's history, then all of the book's: the same slope as bars that
    /// arrive day by day, over the window's days.
    #[test]
    fn a_history_fed_one_series_after_the_other_gives_the_same_slope() {
        let closes: Vec<(f64, f64)> = (0..600)
            .map(|k| {
                let x = (k as f64 * 0.37).sin() * 10.0 + 100.0 + k as f64 * 0.01;
                (x, 0.6 * x + (k as f64 * 0.11).cos() * 3.0 + 50.0)
            })
            .collect();
        let mut together = BookBeta::default();
        for (k, (i, b)) in closes.iter().enumerate() {
            together.observe_iwm(day(k as i64), *i);
            together.observe_book(day(k as i64), *b);
        }
        let mut apart = BookBeta::default();
        for (k, (i, _)) in closes.iter().enumerate() {
            apart.observe_iwm(day(k as i64), *i);
        }
        for (k, (_, b)) in closes.iter().enumerate() {
            apart.observe_book(day(k as i64), *b);
        }
        assert_eq!(apart.days(), WINDOW);
        let (a, t) = (apart.beta().unwrap(), together.beta().unwrap());
        assert!((a - t).abs() < 1e-9, "{a} vs {t}");
    }

    #[test]
    fn unmatched_or_repeated_days_do_not_count() {
        let mut b = BookBeta::default();
        for k in 0..30 {
            // The book trades on other days: never the same time, never a pair.
            b.observe_iwm(day(2 * k), 100.0 + k as f64);
            b.observe_book(day(2 * k + 1), 50.0);
        }
        assert_eq!(b.days(), 0);
        let mut b = BookBeta::default();
        for k in 0..10 {
            b.observe_iwm(day(k), 100.0 + k as f64);
            b.observe_book(day(k), 50.0 + k as f64);
            b.observe_book(day(k), 50.0 + k as f64);
        }
        assert_eq!(b.days(), 9);
        assert_eq!(b.beta(), None, "fewer than MIN_DAYS pairs");
    }
}
