//! "Long Nasdaq, short Russell" in prices: QQQ's close over IWM's, against its 50-day mean (the
//! pair trade is winning while the ratio rises). Worked out from the bars the store keeps, at
//! draw time only (a pane redraws on change, not per bar).

use crate::model::Bar;

/// Days in the ratio's mean.
pub const MEAN_DAYS: usize = 50;
/// The mean now against the mean this many days ago says rising or falling.
const SLOPE_DAYS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioTrend {
    pub ratio: f64,
    pub mean: f64,
    /// The 50-day mean is higher than it was 10 days ago.
    pub rising: bool,
}

/// The ratio from bars of the two series at the same times (the newest `MEAN_DAYS + SLOPE_DAYS`
/// pairs); `None` with fewer than `MEAN_DAYS` pairs.
pub fn qqq_over_iwm(qqq: &[Bar], iwm: &[Bar]) -> Option<RatioTrend> {
    let want = MEAN_DAYS + SLOPE_DAYS;
    let (mut i, mut j) = (qqq.len(), iwm.len());
    let mut ratios = Vec::with_capacity(want);
    // Walk both from the newest, pairing equal times.
    while i > 0 && j > 0 && ratios.len() < want {
        let (q, w) = (&qqq[i - 1], &iwm[j - 1]);
        match q.time.cmp(&w.time) {
            std::cmp::Ordering::Equal => {
                if q.close > 0.0 && w.close > 0.0 {
                    ratios.push(q.close / w.close);
                }
                i -= 1;
                j -= 1;
            }
            std::cmp::Ordering::Greater => i -= 1,
            std::cmp::Ordering::Less => j -= 1,
        }
    }
    if ratios.len() < MEAN_DAYS {
        return None;
    }
    // Newest first.
    let mean = |from: usize| ratios[from..from + MEAN_DAYS].iter().sum::<f64>() / MEAN_DAYS as f64;
    let now = mean(0);
    let before = (ratios.len() >= MEAN_DAYS + SLOPE_DAYS).then(|| mean(SLOPE_DAYS));
    Some(RatioTrend {
        ratio: ratios[0],
        mean: now,
        rising: before.is_some_and(|b| now > b),
    })
}

impl RatioTrend {
    pub fn text(&self) -> String {
        format!(
            "QQQ/IWM {:.3}, {:+.1} % vs 50-day mean {:.3} ({})",
            self.ratio,
            (self.ratio / self.mean - 1.0) * 100.0,
            self.mean,
            if self.rising {
                "rising: long NQ/short RTY winning"
            } else {
                "not rising"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn bars(closes: impl Iterator<Item = f64>, skip: Option<usize>) -> Vec<Bar> {
        let t0 = Utc.with_ymd_and_hms(2025, 1, 2, 5, 0, 0).unwrap();
        closes
            .enumerate()
            .filter(|(k, _)| Some(*k) != skip)
            .map(|(k, c)| Bar {
                time: t0 + Duration::days(k as i64),
                open: c,
                high: c,
                low: c,
                close: c,
                volume: 1.0,
            })
            .collect()
    }

    #[test]
    fn the_ratio_pairs_equal_times_and_reads_its_trend() {
        // QQQ climbs against a flat IWM; one IWM day is missing and is not paired.
        let qqq = bars((0..80).map(|k| 400.0 + k as f64), None);
        let iwm = bars((0..80).map(|_| 200.0), Some(75));
        let r = qqq_over_iwm(&qqq, &iwm).unwrap();
        assert!((r.ratio - 479.0 / 200.0).abs() < 1e-12);
        let want: f64 = (0..80)
            .filter(|k| *k != 75)
            .rev()
            .take(MEAN_DAYS)
            .map(|k| (400.0 + k as f64) / 200.0)
            .sum::<f64>()
            / MEAN_DAYS as f64;
        assert!((r.mean - want).abs() < 1e-12, "{} vs {want}", r.mean);
        assert!(r.rising);
        assert!(
            r.text().contains("rising: long NQ/short RTY winning"),
            "{}",
            r.text()
        );
        let falling = qqq_over_iwm(&bars((0..80).map(|k| 480.0 - k as f64), None), &iwm).unwrap();
        assert!(!falling.rising);
        assert_eq!(qqq_over_iwm(&qqq[..40], &iwm[..40]), None, "under 50 pairs");
    }
}
