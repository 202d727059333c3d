//! The agents follow the positions book, never their own proposals: an agent's position exists
//! while its book holds shares or one of its entries may still fill; an exit that does not trade
//! re-arms the stop it came from; shares no agent watches are taken in charge with a stop.

use rust_decimal::Decimal;

use super::ledger::Book;
use super::Engine;
use crate::model::money::to_f64;
use crate::model::{Fill, StandingStop, Stops, Symbol};

/// A proposal the engine sized to at least one share, until it is filled or closed unfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Open {
    pub id: u64,
    pub book: Book,
    pub exit: bool,
}

impl Engine {
    pub(super) fn on_fill(&mut self, fill: &Fill, book: Option<Book>, signal_id: Option<u64>) {
        self.ledger.apply(fill, book);
        // An entry's first fill backs its agent's position; an exit stays open until its book
        // is flat or it is closed, so a partial exit never invites a second one.
        self.open.retain(|o| Some(o.id) != signal_id || o.exit);
        let carried = self
            .decided
            .iter()
            .position(|(id, _)| Some(*id) == signal_id)
            .map(|i| self.decided.swap_remove(i).1);
        match carried {
            // The agent adopts these shares (it did not propose them: a copy did), and takes the
            // stop that sized them rather than one re-derived from the last closed bar.
            Some(stop) => {
                let slot = stop.slot();
                let before = self.restored[slot].replace(stop);
                self.sync_agents();
                if self.restored[slot].is_some() {
                    // Not adopted (the agent was already in): whatever stood there before stays.
                    self.restored[slot] = before;
                }
            }
            None => self.sync_agents(),
        }
    }

    /// Entries `ids` were decided on `copy` (the close decision, on the forming bar): remember
    /// the stop, level and entry the copy gave each one's agent until it fills or closes.
    pub fn carry_decisions(&mut self, copy: &Engine, ids: &[u64]) {
        let seq = copy.ind.bars().saturating_sub(1);
        let [hedge, bull] = copy.bull.standing(seq);
        for o in copy.open.iter().filter(|o| !o.exit && ids.contains(&o.id)) {
            let stop: Option<StandingStop> = match o.book {
                Book::BearTier { .. } | Book::BearAll => copy.bear.standing(),
                Book::Hedge => hedge,
                Book::Bull => bull,
                Book::TraderBook => None,
            };
            if let Some(stop) = stop.filter(StandingStop::is_finite) {
                self.decided.retain(|(id, _)| *id != o.id);
                self.decided.push((o.id, stop));
            }
        }
    }

    pub(super) fn on_unfilled(&mut self, signal_id: u64) {
        self.decided.retain(|(id, _)| *id != signal_id);
        let before = self.open.len();
        self.open.retain(|o| o.id != signal_id);
        if self.open.len() != before {
            self.sync_agents();
        }
    }

    /// The venue's positions win: books holding more than the venue give shares back (the
    /// trader's own book first: a sale of it is the trader's; then the top tier, hedge first),
    /// shares the venue holds beyond the books are adopted.
    pub(super) fn on_held(&mut self, positions: &[(Symbol, Decimal)]) {
        let book_symbol = self.ledger.book_symbol;
        let mut symbols = vec![self.ledger.bear_symbol, Symbol::Iwm];
        if book_symbol != Symbol::Iwm {
            symbols.push(book_symbol);
        }
        for s in symbols {
            let venue = positions
                .iter()
                .filter(|(p, _)| *p == s)
                .map(|(_, q)| *q)
                .sum::<Decimal>()
                .max(Decimal::ZERO);
            let trader = if s == book_symbol {
                self.ledger.book
            } else {
                Decimal::ZERO
            };
            let book = self.ledger.held(s) + trader;
            if venue < book {
                let short = book - venue;
                let from_trader = short.min(trader);
                self.ledger.book -= from_trader;
                self.ledger.reduce(s, short - from_trader);
            } else if venue > book {
                self.ledger.adopt(s, venue - book);
            }
        }
        self.sync_agents();
    }

    /// Remember a sized proposal until it fills or closes; one sized to nothing closes at once.
    pub(super) fn track(&mut self, id: u64, book: Book, exit: bool, qty: Decimal) {
        if qty > Decimal::ZERO {
            self.open.push(Open { id, book, exit });
        }
        self.sync_agents();
    }

    fn open_entry(&self, f: impl Fn(Book) -> bool) -> bool {
        self.open.iter().any(|o| !o.exit && f(o.book))
    }

    fn open_exit(&self, f: impl Fn(Book) -> bool) -> bool {
        self.open.iter().any(|o| o.exit && f(o.book))
    }

    /// Bring each agent's state in line with the book: the one rule behind "engaged".
    pub(super) fn sync_agents(&mut self) {
        let bear = |b: Book| matches!(b, Book::BearTier { .. } | Book::BearAll);
        let pending_tier = self
            .open
            .iter()
            .filter_map(|o| match o.book {
                Book::BearTier { tier } if !o.exit => Some(tier),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let tiers = self.ledger.held_tiers().max(pending_tier);
        if tiers == 0 {
            self.bear.stand_down();
            self.open.retain(|o| !bear(o.book));
        } else {
            let exiting = self.open_exit(bear);
            match self.bear.pos_mut() {
                Some(p) => {
                    p.tiers = tiers;
                    p.exiting = exiting;
                }
                None => match self.adopt_at {
                    Some(at) => self.bear.adopt(&at, tiers, self.restored[0].take()),
                    None => self.adopt_later = true,
                },
            }
        }

        let hedge = |b: Book| b == Book::Hedge;
        if self.ledger.hedge.is_zero() && !self.open_entry(hedge) {
            self.bull.drop_hedge();
            self.open.retain(|o| o.book != Book::Hedge);
        } else {
            let exiting = self.open_exit(hedge);
            match self.bull.hedge_mut() {
                Some(h) => h.exiting = exiting,
                None => match self.adopt_at {
                    Some(at) => self.bull.adopt_hedge(&at, self.restored[1].take()),
                    None => self.adopt_later = true,
                },
            }
        }

        let bull = |b: Book| b == Book::Bull;
        if self.ledger.bull.is_zero() && !self.open_entry(bull) {
            self.bull.drop_pos();
            self.open.retain(|o| o.book != Book::Bull);
        } else {
            let exiting = self.open_exit(bull);
            match self.bull.pos_mut() {
                Some(p) => p.exiting = exiting,
                None => match self.adopt_at {
                    Some(at) => self.bull.adopt(&at, self.restored[2].take()),
                    None => self.adopt_later = true,
                },
            }
        }
        self.bear_held = self.ledger.bear_total();
        self.held_f64 = (
            to_f64(self.bear_held),
            to_f64(self.ledger.hedge + self.ledger.bull),
        );
    }

    /// Drop the restored stops no fill can take any more (`keep[slot]`: an entry of that agent
    /// still works at the venue).
    pub fn retain_restored(&mut self, keep: [bool; 3]) {
        for (slot, keep) in self.restored.iter_mut().zip(keep) {
            if !keep {
                *slot = None;
            }
        }
    }

    /// The stop standing on each agent position (Bear, hedge, Bull) as the journal keeps it:
    /// only where the book holds shares or an entry waits for its fill.
    pub fn stops(&self) -> Stops {
        let seq = self.ind.bars().saturating_sub(1);
        let [hedge, bull] = self.bull.standing(seq);
        // An entry waiting for its fill counts: its stop and tier clock go on disk before its
        // intent, so a crash between the two resumes the position the run decided.
        let bear = |b: Book| matches!(b, Book::BearTier { .. } | Book::BearAll);
        let held = [
            self.bear_held > Decimal::ZERO || self.open_entry(bear),
            !self.ledger.hedge.is_zero() || self.open_entry(|b| b == Book::Hedge),
            !self.ledger.bull.is_zero() || self.open_entry(|b| b == Book::Bull),
        ];
        let mut out = [self.bear.standing(), hedge, bull];
        for (s, held) in out.iter_mut().zip(held) {
            if !held || !s.is_some_and(|s| s.is_finite()) {
                *s = None;
            }
        }
        out
    }

    /// Hedge mode: the IWM shares no agent owns, the trader's book.
    pub fn book_shares(&self) -> Decimal {
        self.ledger.book
    }

    /// The equity the agents size with.
    pub fn equity(&self) -> Decimal {
        self.equity_dec
    }

    /// What the agents hold, by symbol (the positions book's totals).
    pub fn held(&self, symbol: Symbol) -> Decimal {
        self.ledger.held(symbol)
    }

    /// Each symbol the agents hold with the stop that stands on it (IWM terms), one per agent
    /// position; the invariant tests check there is one for every held share.
    pub fn standing_exits(&self) -> Vec<(Symbol, Decimal, f64)> {
        let mut out = Vec::new();
        if let Some(p) = self.bear.pos().filter(|_| self.bear_held > Decimal::ZERO) {
            out.push((self.ledger.bear_symbol, self.bear_held, p.stop));
        }
        if let Some(h) = self.bull.hedge().filter(|_| !self.ledger.hedge.is_zero()) {
            out.push((Symbol::Iwm, self.ledger.hedge, h.stop));
        }
        if let Some(p) = self.bull.pos().filter(|_| !self.ledger.bull.is_zero()) {
            out.push((Symbol::Iwm, self.ledger.bull, p.stop));
        }
        out
    }
}
