//! Short-interest and futures-positioning snapshots, and the evidence the Bear reads from them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// FINRA consolidated short interest for one symbol and settlement date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortInterest {
    pub symbol: String,
    pub settlement_date: NaiveDate,
    pub shares_short: u64,
    pub previous_shares_short: Option<u64>,
    pub change: Option<i64>,
    pub change_pct: Option<f64>,
    pub avg_daily_volume: Option<u64>,
    pub days_to_cover: Option<f64>,
    /// Revised by FINRA after first publication.
    pub revised: bool,
    /// When we first saw it (publication lag = seen − settlement).
    pub seen: Option<DateTime<Utc>>,
}

impl ShortInterest {
    /// Days from settlement to when we first saw the report (`None` when never seen live).
    pub fn publication_lag_days(&self) -> Option<i64> {
        self.seen
            .map(|t| (t.date_naive() - self.settlement_date).num_days())
    }
}

/// FINRA Reg SHO daily short-sale volume for one symbol and day (summed over facilities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortVolume {
    pub symbol: String,
    pub date: NaiveDate,
    pub short_volume: f64,
    pub short_exempt_volume: f64,
    pub total_volume: f64,
}

impl ShortVolume {
    pub fn ratio(&self) -> Option<f64> {
        (self.total_volume > 0.0).then(|| self.short_volume / self.total_volume)
    }
}

/// Which CFTC TFF report a row comes from. The two differ by 1–3 % in leveraged-fund shorts on
/// the Russell, so every figure says which one it is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TffReport {
    /// Futures only (the Socrata dataset the poller reads).
    #[default]
    FuturesOnly,
    /// Futures and options combined.
    Combined,
}

impl TffReport {
    pub fn label(self) -> &'static str {
        match self {
            TffReport::FuturesOnly => "futures only",
            TffReport::Combined => "futures + options",
        }
    }
}

/// CFTC Traders in Financial Futures: one weekly row for one contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuturesPositioning {
    /// "RTY" (E-mini Russell 2000) or "NQ" (E-mini Nasdaq-100).
    pub market: String,
    pub contract_code: String,
    pub report_date: NaiveDate,
    /// Rows cached before the field existed came from the futures-only poller.
    #[serde(default)]
    pub report: TffReport,
    pub lev_money_long: i64,
    pub lev_money_short: i64,
    /// `None` where the source carries leveraged funds only.
    pub asset_mgr_long: Option<i64>,
    pub asset_mgr_short: Option<i64>,
    pub open_interest: Option<i64>,
}

impl FuturesPositioning {
    pub fn lev_money_net(&self) -> i64 {
        self.lev_money_long - self.lev_money_short
    }
    pub fn asset_mgr_net(&self) -> Option<i64> {
        Some(self.asset_mgr_long? - self.asset_mgr_short?)
    }
}

/// One fact from the positioning data: whether it holds, and the numbers that make it true or
/// false. Its text (`Display`, written in `positioning::evidence`) is made only when a trader
/// reads it: a replay looks at the evidence every week, a signal reads it a few times a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFact {
    pub holds: bool,
    pub numbers: FactNumbers,
}

/// The figures an [`EvidenceFact`] cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "fact")]
pub enum FactNumbers {
    /// The latest short-interest report against the previous one (`prev_settled`: that
    /// report's date when it is the one held).
    ShortInterest {
        symbol: String,
        shares: u64,
        settled: NaiveDate,
        prev: u64,
        prev_settled: Option<NaiveDate>,
    },
    /// The latest short-volume ratio against its mean over the window `from`..=`day`.
    ShortVolume {
        symbol: String,
        ratio: f64,
        day: NaiveDate,
        mean: f64,
        from: NaiveDate,
    },
    /// Leveraged funds' net E-mini Russell 2000 contracts against their 52-week range.
    LevFunds {
        net: i64,
        report_date: NaiveDate,
        report: TffReport,
        low: i64,
        high: i64,
        reports: usize,
    },
}

impl EvidenceFact {
    /// The sentence a trader reads.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

/// What the Bear's short-interest validation reads. `None` = no data: lowers confidence, never blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShortEvidence {
    /// IWM short interest rose over the last two reports.
    pub short_interest_rising: Option<EvidenceFact>,
    /// Today's short-volume ratio is above its 20-day mean.
    pub short_volume_above_mean: Option<EvidenceFact>,
    /// Leveraged funds' net E-mini Russell 2000 position is at a 52-week low.
    pub lev_funds_at_52w_low: Option<EvidenceFact>,
}

impl ShortEvidence {
    pub fn facts(&self) -> impl Iterator<Item = &EvidenceFact> {
        [
            &self.short_interest_rising,
            &self.short_volume_above_mean,
            &self.lev_funds_at_52w_low,
        ]
        .into_iter()
        .flatten()
    }
}
