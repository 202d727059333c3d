//! The figures a trader judges the agents by, gathered as the backtest walks (constant memory
//! but for one entry per decline): the agents' own account, the book alone and book + agents
//! (hedge mode), three benchmarks on the same bars, the declines of an 18 % zigzag of IWM's closes
//! with the share of each the agents captured, and the agents' P&L outside them (whipsaw).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::metrics::{CurveAcc, CurveStats};

/// A zigzag leg must move this much to count: a peak is confirmed by this fall, a trough by this rise.
const ZIGZAG: f64 = 0.18;

/// One figure set of an equity curve, as the report prints it (fractions; drawdown negative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub total_return: f64,
    pub cagr: f64,
    pub max_drawdown: f64,
    pub sharpe: f64,
    /// CAGR / |max drawdown|.
    pub mar: f64,
}

impl From<CurveStats> for Figures {
    fn from(s: CurveStats) -> Self {
        Figures {
            total_return: s.total_return,
            cagr: s.cagr,
            max_drawdown: -s.max_drawdown,
            sharpe: s.sharpe,
            mar: if s.max_drawdown > 0.0 {
                s.cagr / s.max_drawdown
            } else {
                0.0
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Decline {
    pub peak: DateTime<Utc>,
    pub trough: DateTime<Utc>,
    pub iwm_return: f64,
    /// The agents' P&L from the peak close to the trough close ÷ the hedged dollars at the peak
    /// ÷ |iwm_return|: 1 is what a constant short of the hedged dollars would have made.
    pub capture: f64,
    /// Whether the leg was still falling when the data ended (counted once ≥ 18 %).
    pub unfinished: bool,
}

/// What one step of the walk shows, after its bars were handled.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub time: DateTime<Utc>,
    pub iwm_open: Option<f64>,
    pub iwm_close: f64,
    pub iwm_sma_slow: Option<f64>,
    /// The whole account (book included).
    pub account: f64,
    /// The trader's book at this close, and what was paid for it (hedge mode; 0 otherwise).
    pub book_value: f64,
    pub book_cost: f64,
    /// The agents' net and gross IWM-beta dollars.
    pub net_beta: f64,
    pub gross_beta: f64,
    /// The dollars the agents hedge or trade against (the book's value, or equity).
    pub hedged: f64,
}

/// A point of the zigzag: where an extreme stood, and the agents' figures there.
#[derive(Debug, Clone, Copy)]
struct Mark {
    time: DateTime<Utc>,
    close: f64,
    agents: f64,
    hedged: f64,
    /// The running sum of daily agent P&L ÷ hedged dollars, for the whipsaw outside declines.
    cum: f64,
}

#[derive(Debug, Default)]
pub struct Study {
    starting: f64,
    hedge_mode: bool,
    agents: CurveAcc,
    book: CurveAcc,
    overlay: CurveAcc,
    buy_hold: CurveAcc,
    mix: CurveAcc,
    trend: CurveAcc,
    trend_state: TrendRule,
    first_close: Option<f64>,
    steps: u64,
    in_market: u64,
    sum_gross: f64,
    sum_net: f64,
    prev: Option<(f64, f64)>,
    cum: f64,
    /// Zigzag: falling (a peak was confirmed) or rising, and the extreme so far.
    falling: bool,
    extreme: Option<Mark>,
    peak: Option<Mark>,
    declines: Vec<(Mark, Mark, bool)>,
    last: Option<Mark>,
}

/// IWM above its SMA200, else cash: decided on the close, traded at the next open with slippage.
#[derive(Debug, Default, Clone, Copy)]
struct TrendRule {
    cash: f64,
    shares: f64,
    want_in: bool,
}

impl Study {
    pub fn new(starting: f64, hedge_mode: bool) -> Self {
        Study {
            starting,
            hedge_mode,
            trend_state: TrendRule {
                cash: starting,
                ..TrendRule::default()
            },
            ..Study::default()
        }
    }

    pub fn push(&mut self, s: &Step, slippage: f64) {
        let agents = s.account - (s.book_value - s.book_cost);
        self.agents.push(agents);
        if self.hedge_mode {
            self.book.push(self.starting + s.book_value - s.book_cost);
            self.overlay.push(s.account);
        }
        let c0 = *self.first_close.get_or_insert(s.iwm_close);
        let bh = self.starting * s.iwm_close / c0;
        self.buy_hold.push(bh);
        self.mix.push(0.25 * self.starting + 0.75 * bh);
        let t = &mut self.trend_state;
        if let Some(open) = s.iwm_open {
            if t.want_in && t.shares == 0.0 {
                t.shares = t.cash / (open * (1.0 + slippage));
                t.cash = 0.0;
            } else if !t.want_in && t.shares > 0.0 {
                t.cash = t.shares * open * (1.0 - slippage);
                t.shares = 0.0;
            }
        }
        t.want_in = s.iwm_sma_slow.is_some_and(|m| s.iwm_close > m);
        self.trend.push(t.cash + t.shares * s.iwm_close);

        self.steps += 1;
        self.in_market += u64::from(s.gross_beta > 0.0);
        let hedged = s.hedged.max(f64::MIN_POSITIVE);
        self.sum_gross += s.gross_beta / hedged;
        self.sum_net += s.net_beta / hedged;
        if let Some((prev_agents, prev_hedged)) = self.prev {
            self.cum += (agents - prev_agents) / prev_hedged.max(f64::MIN_POSITIVE);
        }
        self.prev = Some((agents, s.hedged));
        let mark = Mark {
            time: s.time,
            close: s.iwm_close,
            agents,
            hedged: s.hedged,
            cum: self.cum,
        };
        self.zigzag(mark);
        self.last = Some(mark);
    }

    fn zigzag(&mut self, m: Mark) {
        let Some(x) = self.extreme else {
            self.extreme = Some(m);
            return;
        };
        if !self.falling {
            if m.close >= x.close {
                self.extreme = Some(m);
            } else if m.close <= x.close * (1.0 - ZIGZAG) {
                (self.falling, self.peak, self.extreme) = (true, Some(x), Some(m));
            }
        } else if m.close <= x.close {
            self.extreme = Some(m);
        } else if m.close >= x.close * (1.0 + ZIGZAG) {
            if let Some(p) = self.peak.take() {
                self.declines.push((p, x, false));
            }
            (self.falling, self.extreme) = (false, Some(m));
        }
    }

    /// The report's figures. `years`: the calendar span; `per_year`: bars a year (Sharpe).
    pub fn finish(&self, years: f64, per_year: f64) -> StudyReport {
        let fig = |c: &CurveAcc| Figures::from(c.stats(years, per_year));
        let mut legs = self.declines.clone();
        if let (true, Some(p), Some(x)) = (self.falling, self.peak, self.extreme) {
            legs.push((p, x, true));
        }
        let declines: Vec<Decline> = legs
            .iter()
            .map(|(p, t, unfinished)| {
                let iwm_return = t.close / p.close - 1.0;
                let pnl = t.agents - p.agents;
                Decline {
                    peak: p.time,
                    trough: t.time,
                    iwm_return,
                    capture: pnl / p.hedged.max(f64::MIN_POSITIVE) / iwm_return.abs(),
                    unfinished: *unfinished,
                }
            })
            .collect();
        let inside: f64 = legs.iter().map(|(p, t, _)| t.cum - p.cum).sum();
        let whipsaw = if years > 0.0 {
            (self.cum - inside) / years
        } else {
            0.0
        };
        let n = self.steps.max(1) as f64;
        let mean_capture = if declines.is_empty() {
            None
        } else {
            Some(declines.iter().map(|d| d.capture).sum::<f64>() / declines.len() as f64)
        };
        StudyReport {
            agents: AgentFigures {
                figures: fig(&self.agents),
                time_in_market: self.in_market as f64 / n,
                avg_gross_beta: self.sum_gross / n,
                avg_net_beta: self.sum_net / n,
                whipsaw_per_year: whipsaw,
            },
            book: self.hedge_mode.then(|| fig(&self.book)),
            overlay: self.hedge_mode.then(|| fig(&self.overlay)),
            benchmarks: Benchmarks {
                buy_and_hold_iwm: fig(&self.buy_hold),
                iwm_75_cash_25: fig(&self.mix),
                iwm_above_sma200: fig(&self.trend),
            },
            declines,
            mean_capture,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentFigures {
    #[serde(flatten)]
    pub figures: Figures,
    pub time_in_market: f64,
    pub avg_gross_beta: f64,
    pub avg_net_beta: f64,
    /// The agents' P&L outside the declines, per calendar year, as a fraction of the hedged dollars.
    pub whipsaw_per_year: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Benchmarks {
    pub buy_and_hold_iwm: Figures,
    pub iwm_75_cash_25: Figures,
    pub iwm_above_sma200: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudyReport {
    pub agents: AgentFigures,
    /// Hedge mode: the book alone, bought and held.
    pub book: Option<Figures>,
    /// Hedge mode: the whole account, book + agents.
    pub overlay: Option<Figures>,
    pub benchmarks: Benchmarks,
    pub declines: Vec<Decline>,
    pub mean_capture: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn step(i: i64, close: f64, agents: f64) -> Step {
        Step {
            time: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::days(i),
            iwm_open: Some(close),
            iwm_close: close,
            iwm_sma_slow: None,
            account: agents,
            book_value: 0.0,
            book_cost: 0.0,
            net_beta: -50_000.0,
            gross_beta: 50_000.0,
            hedged: 100_000.0,
        }
    }

    #[test]
    fn the_zigzag_finds_falls_of_18_percent_and_capture_is_pnl_over_hedged_over_the_fall() {
        // 100 → 120 (peak) → 90 (−25 %, trough) → 110 (+22 %: confirmed) → 95 (−13.6 %: no leg)
        let closes = [100.0, 120.0, 110.0, 90.0, 100.0, 110.0, 95.0];
        let agents = [
            100_000.0, 100_000.0, 104_000.0, 110_000.0, 108_000.0, 107_000.0, 107_000.0,
        ];
        let mut s = Study::new(100_000.0, false);
        for (i, (c, a)) in closes.iter().zip(agents).enumerate() {
            s.push(&step(i as i64, *c, a), 0.0);
        }
        let r = s.finish(6.0 / 365.25, 252.0);
        assert_eq!(r.declines.len(), 1, "{:?}", r.declines);
        let d = &r.declines[0];
        assert!((d.iwm_return + 0.25).abs() < 1e-12);
        // $10,000 made on $100,000 hedged over a 25 % fall: 40 % of it
        assert!((d.capture - 0.4).abs() < 1e-12, "{}", d.capture);
        assert_eq!(r.mean_capture, Some(d.capture));
        // outside the decline: +0 (days 0–1), then −2 % and −1 % after the trough
        let years = 6.0 / 365.25;
        assert!((r.agents.whipsaw_per_year - (-0.03) / years).abs() < 1e-9);
        assert!((r.agents.avg_gross_beta - 0.5).abs() < 1e-12);
        assert_eq!(r.agents.time_in_market, 1.0);
        assert!(r.book.is_none());
    }

    #[test]
    fn an_unfinished_fall_counts_once_it_is_18_percent() {
        let mut s = Study::new(100_000.0, false);
        for (i, c) in [100.0, 95.0, 85.0, 81.0].iter().enumerate() {
            s.push(&step(i as i64, *c, 100_000.0), 0.0);
        }
        let r = s.finish(1.0, 252.0);
        assert_eq!(r.declines.len(), 1);
        assert!(r.declines[0].unfinished);
        let mut s = Study::new(100_000.0, false);
        for (i, c) in [100.0, 95.0, 85.0].iter().enumerate() {
            s.push(&step(i as i64, *c, 100_000.0), 0.0);
        }
        assert!(s.finish(1.0, 252.0).declines.is_empty());
    }
}
