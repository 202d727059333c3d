//! Turning an agent's proposal into a numbered, sized signal with its sizing reasons.

use rust_decimal::Decimal;

use super::context::{Ctx, Proposal, Sizing};
use super::draft::SignalDraft;
use super::ledger::Book;
use super::sizing::{self, CapHit, Exposure};
use super::why::Why;
use super::{Engine, EngineOutput};
use crate::config::AgentsMode;
use crate::model::money::to_f64;
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
        let px = if p.symbol == Symbol::Iwm {
            Some(c.close())
        } else {
            self.price(p.symbol)
        };
        // An entry in a vehicle with no price (no bars of it in the feed) cannot be sized: it
        // is not proposed at all (a run on an IWM file alone showed 88 "BUY 0 TWM @ 0"), and
        // the agent stands down as it does when a proposal is not taken.
        if px.is_none() && !p.kind.is_exit() {
            self.sync_agents();
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut reasons = p.reasons;
        let lev = f64::from(p.symbol.leverage()).abs();
        let qty = match (p.sizing, px) {
            (Sizing::Exit(book), px) => {
                let held = self.held_in(book);
                reasons.push(Why::SellHeld {
                    held,
                    symbol: p.symbol,
                });
                // What it sells frees room for what this bar proposes next (a hand-off).
                let value = to_f64(held) * px.unwrap_or(0.0);
                self.pending.0 -= value * lev;
                if p.symbol == Symbol::Iwm {
                    self.pending.1 -= value;
                }
                held
            }
            (_, None) => {
                reasons.push(Why::NoPrice { symbol: p.symbol });
                Decimal::ZERO
            }
            (Sizing::BearBeta { m }, Some(px)) => {
                self.size_bear(c, m, lev, px, p.symbol, &mut reasons)
            }
            (Sizing::BullBeta, Some(px)) => {
                let beta = self.cfg.bull.beta;
                let raw = (beta * self.equity_f64() / px).floor().max(0.0);
                reasons.push(Why::BullBeta {
                    raw,
                    beta,
                    equity: self.equity_f64(),
                    px,
                });
                self.capped(raw, px, 1.0, Symbol::Iwm, &mut reasons)
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
            Book::TraderBook => self.ledger.book,
        }
    }

    /// The IWM-beta dollars the agents hedge or trade against: hedge mode, the book's current
    /// value (the account's shares of `book.symbol` that no agent owns, else the declared
    /// `book.value`) × its IWM beta; book mode, the account's equity.
    pub fn hedged_dollars(&self) -> (f64, &'static str) {
        match self.cfg.agents.mode {
            AgentsMode::Book => (self.equity_f64(), "equity"),
            AgentsMode::Hedge => {
                let book = self.ledger.book_symbol;
                // No conversion while no share of the book is held (the usual case: a declared
                // book), whose value could only be zero.
                let held = if self.ledger.book.is_zero() {
                    0.0
                } else {
                    to_f64(self.ledger.book) * self.price(book).unwrap_or(0.0)
                };
                // Declared dollars until the book is held (bought on the simulator, or the venue's
                // shares no agent proposed); "venue": those shares alone (`book_dollars` is 0).
                let value = if held > 0.0 { held } else { self.book_dollars };
                (value * self.book_beta(), "book")
            }
        }
    }

    /// The book's IWM beta: 1 for IWM; for QQQ/SPY the 250-day regression (1 until it has
    /// enough days, which the warm-up history gives it).
    pub fn book_beta(&self) -> f64 {
        if self.ledger.book_symbol == Symbol::Iwm {
            1.0
        } else {
            self.book_beta.beta().unwrap_or(1.0)
        }
    }

    /// A Bear tier: `beta_per_tier` of the hedged beta dollars, optionally scaled, in vehicle shares.
    fn size_bear(
        &mut self,
        c: &Ctx,
        m: f64,
        lev: f64,
        px: f64,
        symbol: Symbol,
        reasons: &mut Vec<Why>,
    ) -> Decimal {
        let b = &self.cfg.bear;
        let r = &self.cfg.risk;
        let (hedged, basis) = self.hedged_dollars();
        let scale = b.break_scale.then(|| (sizing::bear_scale(m, r), m));
        let vol_adj = b.vol_scale.then(|| {
            let median = self.ind.atr_pct_median(&mut self.scratch);
            sizing::vol_adjust(median, c.atr / c.close(), r)
        });
        let k = scale.map_or(1.0, |s| s.0) * vol_adj.unwrap_or(1.0);
        let raw = sizing::shares_for_beta(hedged * b.beta_per_tier * k, lev, px);
        reasons.push(Why::BearBeta {
            raw,
            symbol,
            hedged,
            basis,
            per_tier: b.beta_per_tier,
            scale,
            vol_adj,
            lev,
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
        let r = &self.cfg.risk;
        let (held, pending_value, fraction) = if symbol == Symbol::Iwm {
            (
                self.ledger.hedge + self.ledger.bull,
                self.pending.1,
                r.max_position,
            )
        } else {
            let frac = r.max_vehicle_fraction.min(r.max_position);
            (self.ledger.bear_total(), 0.0, frac)
        };
        let (hedged, basis) = self.hedged_dollars();
        let x = Exposure {
            beta_cap: r.max_beta_exposure * hedged,
            gross_beta: gross + self.pending.0,
            position_cap: fraction * self.equity_f64(),
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
        let (n, hit) = sizing::cap_shares(raw, px, lev, x, costs);
        match hit {
            Some(CapHit::GrossBeta) => reasons.push(Why::CappedGross {
                n,
                max_beta: self.cfg.risk.max_beta_exposure,
                basis,
            }),
            Some(CapHit::Position) if symbol == Symbol::Iwm => reasons.push(Why::CappedPosition {
                n,
                max_position: self.cfg.risk.max_position,
            }),
            Some(CapHit::Position) => reasons.push(Why::CappedVehicle {
                n,
                max_fraction: fraction,
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
