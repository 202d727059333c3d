//! Turning an agent's proposal into a numbered, sized signal with its sizing reasons.

use rust_decimal::Decimal;

use super::context::{Ctx, Proposal, Sizing};
use super::draft::SignalDraft;
use super::ledger::Book;
use super::sizing::{self, CapHit, Exposure};
use super::why::Why;
use super::{Engine, EngineOutput};
use crate::broker::paper::to_f64;
use crate::model::Symbol;

impl Engine {
    /// Size `p`, number it, track it until it fills or closes, and push it to `out`. An exit
    /// with nothing to sell is not proposed: the agent's book is flat, so its state stands down.
    pub(super) fn emit(&mut self, c: &Ctx, p: Proposal, out: &mut Vec<EngineOutput>) {
        if let Sizing::Exit(book) = p.sizing {
            if self.held_in(book).is_zero() {
                self.sync_agents();
                return;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut reasons = p.reasons;
        let lev = f64::from(p.symbol.leverage()).abs();
        let px = if p.symbol == Symbol::Iwm {
            Some(c.close())
        } else {
            self.price(p.symbol)
        };
        let qty = match (p.sizing, px) {
            (Sizing::Exit(book), _) => {
                let held = self.held_in(book);
                reasons.push(Why::SellHeld {
                    held,
                    symbol: p.symbol,
                });
                held
            }
            (_, None) => {
                reasons.push(Why::NoPrice { symbol: p.symbol });
                Decimal::ZERO
            }
            (Sizing::Risk { m }, Some(px)) => {
                self.size_risk(c, m, p.stop_iwm, lev, px, p.symbol, &mut reasons)
            }
            (Sizing::HedgeOfBear { fraction }, Some(px)) => {
                self.size_hedge(fraction, px, &mut reasons)
            }
        };
        let stop_price = match (p.stop_iwm, px) {
            (Some(s), Some(px)) if p.symbol != Symbol::Iwm => {
                Some(sizing::vehicle_stop(px, lev, s, c.close()))
            }
            (Some(s), _) => Some(s),
            _ => None,
        };
        self.track(id, Book::of(p.kind), p.kind.is_exit(), qty);
        out.push(EngineOutput::Signal(SignalDraft {
            id,
            time: c.time(),
            agent: p.agent,
            kind: p.kind,
            symbol: p.symbol,
            side: p.side,
            qty,
            reference_price: px,
            stop_price,
            iwm_stop: p.stop_iwm,
            confidence: p.confidence.clamp(0.0, 1.0),
            reasons,
        }));
    }

    fn held_in(&self, book: Book) -> Decimal {
        match book {
            Book::BearTier { tier } => self.ledger.tier(tier),
            Book::BearAll => self.ledger.bear_total(),
            Book::Hedge => self.ledger.hedge,
            Book::Bull => self.ledger.bull,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn size_risk(
        &mut self,
        c: &Ctx,
        m: Option<f64>,
        stop: Option<f64>,
        lev: f64,
        px: f64,
        symbol: Symbol,
        reasons: &mut Vec<Why>,
    ) -> Decimal {
        let r = &self.cfg.risk;
        let Some(stop) = stop else {
            return Decimal::ZERO;
        };
        let scale = m.map(|m| sizing::bear_scale(m, r)).unwrap_or(1.0);
        let median = self.ind.atr_pct_median(&mut self.scratch);
        let atr_pct = c.atr / c.close();
        let vol_adj = sizing::vol_adjust(median, atr_pct, r);
        let risk = sizing::risk_budget(self.equity, scale, vol_adj, r);
        let raw = sizing::shares_for_risk(risk, c.close(), stop, lev, px);
        let d = (c.close() - stop).abs() / c.close();
        reasons.push(Why::RiskBudget {
            risk,
            per_trade: r.per_trade,
            equity: self.equity,
            scale: m.map(|m| (scale, m)),
            vol_adj,
            median_atr_pct: median,
            atr_pct,
        });
        reasons.push(Why::RiskShares {
            raw,
            symbol,
            risk,
            lev,
            distance: d,
            px,
        });
        self.capped(raw, px, lev, symbol, reasons)
    }

    fn size_hedge(&mut self, fraction: f64, px: f64, reasons: &mut Vec<Why>) -> Decimal {
        let v = self.bear.vehicle();
        let lev_v = f64::from(v.leverage()).abs();
        // Only shares the Bear holds are hedged (a hedge is never proposed against a pending entry).
        let qty = self.ledger.bear_total();
        let beta = to_f64(qty) * self.price(v).unwrap_or(0.0) * lev_v;
        let raw = (fraction * beta / px).floor();
        reasons.push(Why::HedgeShares {
            raw,
            fraction,
            beta,
            qty,
            vehicle: v,
            lev: lev_v,
            px,
        });
        self.capped(raw, px, 1.0, Symbol::Iwm, reasons)
    }

    fn capped(
        &mut self,
        raw: f64,
        px: f64,
        lev: f64,
        symbol: Symbol,
        reasons: &mut Vec<Why>,
    ) -> Decimal {
        let (_, gross) = self.beta_dollars();
        let held = if symbol == Symbol::Iwm {
            self.ledger.hedge + self.ledger.bull
        } else {
            self.ledger.bear_total()
        };
        let pending_value = if symbol == Symbol::Iwm {
            self.pending.1
        } else {
            0.0
        };
        let x = Exposure {
            equity: self.equity,
            gross_beta: gross + self.pending.0,
            position_value: to_f64(held) * px + pending_value,
        };
        // The simulator's costs: the gate counts them against the cap. (On Alpaca, which charges
        // no commission, this leaves a few dollars of room.)
        let p = &self.cfg.paper;
        let costs = sizing::BuyCosts {
            slippage: p.slippage_bps / 10_000.0,
            per_share: to_f64(p.commission_per_share),
            min: to_f64(p.commission_min),
        };
        let (n, hit) = sizing::cap_shares(raw, px, lev, x, &self.cfg.risk, costs);
        match hit {
            Some(CapHit::GrossBeta) => reasons.push(Why::CappedGross {
                n,
                max_beta: self.cfg.risk.max_beta_exposure,
            }),
            Some(CapHit::Position) => reasons.push(Why::CappedPosition {
                n,
                max_position: self.cfg.risk.max_position,
            }),
            None => {}
        }
        self.pending.0 += n * px * lev;
        if symbol == Symbol::Iwm {
            self.pending.1 += n * px;
        }
        sizing::shares(n)
    }
}
