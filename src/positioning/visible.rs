//! What is public at an instant, when that can next change, and the Bear's evidence then: the
//! session asks [`PositioningBook::visible`] at a bar only when the last answer said something
//! may have changed, and rebuilds only the facts whose reports did.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::{
    evidence, shown_of, si_published, tff_published, tff_release_day, AsOf, PositioningBook,
    MARKETS, MAX_AGE_SI_DAYS, MAX_AGE_SV_DAYS, MAX_AGE_TFF_DAYS, SIGNAL_SYMBOL,
};
use crate::feed::cftc::RTY;
use crate::model::{EvidenceFact, ShortEvidence, TffReport};

/// Per market (RTY, NQ): the CFTC report shown and its date.
pub type Shown = [Option<(TffReport, NaiveDate)>; 2];

/// Which reports are public at an instant, and whether each is fresh enough to be evidence:
/// the evidence and the pane change only when this does, and not before `next_day` /
/// `next_tff`, so a replay looks again only then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    /// Where IWM sits in `si` / `sv`.
    pub iwm: Option<usize>,
    /// Per symbol (book order): the newest public short-interest settlement and Reg SHO day.
    pub si: Vec<Option<NaiveDate>>,
    pub sv: Vec<Option<NaiveDate>>,
    /// RTY, then NQ: the report shown and its date.
    pub fut: Shown,
    /// IWM short interest, IWM short volume, RTY: fresh enough to count as evidence.
    pub fresh: [bool; 3],
    /// The first market day on which a daily report may appear or a fact go stale.
    pub next_day: Option<NaiveDate>,
    /// The first market day on which a daily report (short interest, Reg SHO) may appear.
    pub next_daily: Option<NaiveDate>,
    /// When the next CFTC report after the ones shown is released.
    pub next_tff: Option<DateTime<Utc>>,
}

impl Visible {
    /// Whether anything may have changed by the close of a bar at `close` on UTC day `day`
    /// (a UTC day runs ahead of New York in the evening: at worst an early look).
    pub fn due(&self, day: NaiveDate, close: DateTime<Utc>) -> bool {
        self.next_day.is_some_and(|d| day >= d) || self.next_tff.is_some_and(|t| close >= t)
    }
}

impl PositioningBook {
    /// What is public at `at` and when that can next change (range lookups only): compare with
    /// the last one to know whether the evidence and the pane need rebuilding.
    pub fn visible(&self, at: &AsOf) -> Visible {
        self.visible_since(at, None)
    }

    /// [`Self::visible`], keeping `before`'s daily reports while none can have appeared (`at.day`
    /// before its `next_daily`) and its CFTC reports while no release has passed: a replay's
    /// looks come weekly for the one and daily (2020–2021) for the other. `before` must be a look
    /// at an earlier instant of the same book.
    pub fn visible_since(&self, at: &AsOf, before: Option<&Visible>) -> Visible {
        let day = at.day;
        let (si, sv, next_daily) = match before.filter(|b| b.next_daily.is_none_or(|d| day < d)) {
            Some(b) => (b.si.clone(), b.sv.clone(), b.next_daily),
            None => self.daily_reports(day),
        };
        let (fut, next_tff) = match before.filter(|b| b.next_tff.is_none_or(|t| at.at < t)) {
            Some(b) => (b.fut, b.next_tff),
            None => self.weekly_reports(at),
        };
        let iwm = self.reports.symbols.iter().position(|s| s == SIGNAL_SYMBOL);
        let pick = |v: &[Option<NaiveDate>]| iwm.and_then(|i| v[i]);
        let ages = [
            (pick(&si), MAX_AGE_SI_DAYS),
            (pick(&sv), MAX_AGE_SV_DAYS),
            (fut[0].map(|(_, d)| d), MAX_AGE_TFF_DAYS),
        ];
        let next_day = ages
            .iter()
            .filter_map(|(d, max)| (*d)?.checked_add_days(Days::new(*max as u64 + 1)))
            .filter(|d| *d > day)
            .chain(next_daily)
            .min();
        Visible {
            iwm,
            fresh: ages.map(|(d, max)| d.is_some_and(|d| (day - d).num_days() <= max)),
            si,
            sv,
            fut,
            next_day,
            next_daily,
            next_tff,
        }
    }

    /// Per symbol: the newest short-interest settlement and Reg SHO day public on `day`, and the
    /// first later day one of them appears.
    fn daily_reports(
        &self,
        day: NaiveDate,
    ) -> (
        Vec<Option<NaiveDate>>,
        Vec<Option<NaiveDate>>,
        Option<NaiveDate>,
    ) {
        let mut next: Option<NaiveDate> = None;
        let mut soonest = |d: Option<NaiveDate>| {
            if let Some(d) = d.filter(|d| *d > day) {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        };
        let symbols = &self.reports.symbols;
        let mut si = Vec::with_capacity(symbols.len());
        let mut sv = Vec::with_capacity(symbols.len());
        for s in symbols {
            let rows = self
                .reports
                .si_enriched
                .get(s)
                .map(Vec::as_slice)
                .unwrap_or_default();
            si.push(
                rows.iter()
                    .rev()
                    .find(|r| si_published(r) <= day)
                    .map(|r| r.settlement_date),
            );
            soonest(rows.iter().map(si_published).find(|p| *p > day));
            let days = self.reports.sv.get(s);
            sv.push(
                days.and_then(|m| m.range(..=day).next_back())
                    .map(|(d, _)| *d),
            );
            soonest(
                days.and_then(|m| m.range(day.succ_opt()?..).next())
                    .map(|(d, _)| *d),
            );
        }
        (si, sv, next)
    }

    /// Per market (RTY, NQ): the report shown at `at` and its date; and the next CFTC release
    /// after the reports public then.
    fn weekly_reports(&self, at: &AsOf) -> (Shown, Option<DateTime<Utc>>) {
        // Each market's and report's newest public row and the release after it, in one look.
        // Releases are at the same hour of their day: the earliest day is the earliest release.
        let mut next_release: Option<(NaiveDate, NaiveDate)> = None;
        let fut = MARKETS.map(|m| {
            let mut public = [None, None];
            for (slot, k) in public
                .iter_mut()
                .zip([TffReport::FuturesOnly, TffReport::Combined])
            {
                let Some(rows) = self.tff_rows(m, k) else {
                    continue;
                };
                *slot = self.tff_public(m, k, at).map(|r| (k, r));
                let next = match slot {
                    Some((_, r)) => r
                        .report_date
                        .succ_opt()
                        .and_then(|d| rows.range(d..).next()),
                    None => rows.iter().next(),
                };
                if let Some((d, _)) = next {
                    let day = (tff_release_day(*d), *d);
                    next_release = Some(next_release.map_or(day, |n| n.min(day)));
                }
            }
            shown_of(public.into_iter().flatten()).map(|(k, r)| (k, r.report_date))
        });
        // The release instant of the earliest day, remembered per report date.
        (fut, next_release.map(|(_, report)| tff_published(report)))
    }

    /// What the Bear reads on `day` (at its end): see [`Self::evidence_at`].
    pub fn evidence_as_of(&self, day: NaiveDate) -> ShortEvidence {
        self.evidence_at(&AsOf::end_of(day))
    }

    /// What the Bear reads at `at`: only data published by then and not older than its max age
    /// (so a replay neither peeks ahead nor leans on years-old numbers). `None` facts = no data.
    pub fn evidence_at(&self, at: &AsOf) -> ShortEvidence {
        ShortEvidence {
            short_interest_rising: self.si_fact(at),
            short_volume_above_mean: self.sv_fact(at),
            lev_funds_at_52w_low: self.rty_fact(at),
        }
    }

    /// [`Self::evidence_at`], reusing `prev`'s facts whose reports and freshness are the same in
    /// `now` as in `before` (the visibility `prev` was built at).
    pub fn evidence_update(
        &self,
        at: &AsOf,
        now: &Visible,
        before: &Visible,
        prev: &ShortEvidence,
    ) -> ShortEvidence {
        let iwm = |v: &Visible, f: fn(&Visible) -> &Vec<Option<NaiveDate>>| {
            v.iwm.and_then(|i| f(v).get(i).copied().flatten())
        };
        let same_si =
            iwm(now, |v| &v.si) == iwm(before, |v| &v.si) && now.fresh[0] == before.fresh[0];
        let same_sv =
            iwm(now, |v| &v.sv) == iwm(before, |v| &v.sv) && now.fresh[1] == before.fresh[1];
        let same_rty = now.fut[0] == before.fut[0] && now.fresh[2] == before.fresh[2];
        let keep =
            |same: bool, old: &Option<EvidenceFact>, new: &dyn Fn() -> Option<EvidenceFact>| {
                if same {
                    old.clone()
                } else {
                    new()
                }
            };
        ShortEvidence {
            short_interest_rising: keep(same_si, &prev.short_interest_rising, &|| self.si_fact(at)),
            short_volume_above_mean: keep(same_sv, &prev.short_volume_above_mean, &|| {
                self.sv_fact(at)
            }),
            lev_funds_at_52w_low: keep(same_rty, &prev.lev_funds_at_52w_low, &|| {
                self.rty_fact_of(at, now.fut[0]?)
            }),
        }
    }

    fn si_fact(&self, at: &AsOf) -> Option<EvidenceFact> {
        let si = self.si_public(SIGNAL_SYMBOL, at.day);
        let last = si
            .last()
            .filter(|r| fresh(at, r.settlement_date, MAX_AGE_SI_DAYS))?;
        let prev = si.len().checked_sub(2).map(|i| si[i]);
        evidence::short_interest_rising(last, prev)
    }

    fn sv_fact(&self, at: &AsOf) -> Option<EvidenceFact> {
        let mut days = self
            .reports
            .sv
            .get(SIGNAL_SYMBOL)?
            .range(..=at.day)
            .rev()
            .map(|(_, r)| r)
            .take(evidence::SV_WINDOW)
            .peekable();
        days.peek().filter(|r| fresh(at, r.date, MAX_AGE_SV_DAYS))?;
        evidence::short_volume_above_mean(days)
    }

    fn rty_fact(&self, at: &AsOf) -> Option<EvidenceFact> {
        let (k, last) = self.tff_shown(RTY, at)?;
        self.rty_fact_of(at, (k, last.report_date))
    }

    /// The RTY fact from the report `shown` (as [`Visible::fut`] names it).
    fn rty_fact_of(&self, at: &AsOf, shown: (TffReport, NaiveDate)) -> Option<EvidenceFact> {
        let (k, date) = shown;
        if !fresh(at, date, MAX_AGE_TFF_DAYS) {
            return None;
        }
        let from = date.checked_sub_days(Days::new(364))?;
        let rows = self.tff_rows(RTY, k)?.range(from..=date).map(|(_, r)| r);
        evidence::lev_funds_at_52w_low(rows)
    }
}

fn fresh(at: &AsOf, d: NaiveDate, max: i64) -> bool {
    (at.day - d).num_days() <= max
}
