//! What each agent really holds, from fills attributed to the signals that proposed them. The
//! agents' state machines assume their proposals are taken; quantities to sell come from here.

use rust_decimal::Decimal;

use crate::model::{Agent, Fill, Side, SignalKind, Symbol};

/// Where an attributed share belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    /// One Bear tier (1-based) in the vehicle.
    BearTier(u8),
    /// All Bear tiers (a stop): sells come off the top tier first.
    BearAll,
    Hedge,
    Bull,
}

impl Book {
    pub fn of(agent: Agent, kind: SignalKind) -> Book {
        match (agent, kind) {
            (_, SignalKind::BearEntry { tier }) | (_, SignalKind::BearScaleOut { tier }) => {
                Book::BearTier(tier)
            }
            (_, SignalKind::BearStop) => Book::BearAll,
            (_, SignalKind::BullHedge) | (_, SignalKind::BullHedgeExit) => Book::Hedge,
            (_, SignalKind::BullEntry) | (_, SignalKind::BullStop) => Book::Bull,
        }
    }
}

/// Remembers which book recent signal ids belong to (a small ring: fills come soon after).
#[derive(Debug, Clone)]
pub struct Ledger {
    recent: Vec<(u64, Book, Symbol)>,
    next: usize,
    pub bear_tiers: Vec<Decimal>,
    pub bear_symbol: Symbol,
    pub hedge: Decimal,
    pub bull: Decimal,
}

const REMEMBERED_SIGNALS: usize = 256;

impl Ledger {
    pub fn new(max_tiers: usize, vehicle: Symbol) -> Self {
        Ledger {
            recent: Vec::with_capacity(REMEMBERED_SIGNALS),
            next: 0,
            bear_tiers: vec![Decimal::ZERO; max_tiers.max(1)],
            bear_symbol: vehicle,
            hedge: Decimal::ZERO,
            bull: Decimal::ZERO,
        }
    }

    pub fn remember(&mut self, id: u64, book: Book, symbol: Symbol) {
        if self.recent.len() < REMEMBERED_SIGNALS {
            self.recent.push((id, book, symbol));
        } else {
            self.recent[self.next] = (id, book, symbol);
            self.next = (self.next + 1) % REMEMBERED_SIGNALS;
        }
    }

    pub fn bear_total(&self) -> Decimal {
        self.bear_tiers.iter().copied().sum()
    }

    pub fn tier(&self, tier: u8) -> Decimal {
        let i = usize::from(tier.max(1)) - 1;
        self.bear_tiers.get(i).copied().unwrap_or_default()
    }

    /// Apply a fill. Unattributed sells (flatten) reduce whatever the agents hold of the symbol;
    /// unattributed buys are not the agents' and are ignored.
    pub fn apply(&mut self, fill: &Fill, signal_id: Option<u64>) {
        let book = signal_id.and_then(|id| {
            self.recent
                .iter()
                .find(|(i, _, s)| *i == id && *s == fill.symbol)
                .map(|(_, b, _)| *b)
        });
        let qty = fill.qty;
        match (book, fill.side) {
            (Some(Book::BearTier(t)), Side::Buy) => {
                let i = usize::from(t.max(1)) - 1;
                if let Some(x) = self.bear_tiers.get_mut(i) {
                    *x += qty;
                }
            }
            (Some(Book::BearTier(t)), Side::Sell) => {
                let rest = self.sell_tier(t, qty);
                self.sell_bear_top_down(rest);
            }
            (Some(Book::Hedge), Side::Buy) => self.hedge += qty,
            (Some(Book::Bull), Side::Buy) => self.bull += qty,
            (Some(Book::Hedge), Side::Sell) => {
                let rest = take(&mut self.hedge, qty);
                take(&mut self.bull, rest);
            }
            (Some(Book::Bull), Side::Sell) => {
                let rest = take(&mut self.bull, qty);
                take(&mut self.hedge, rest);
            }
            (Some(Book::BearAll), Side::Sell) => self.sell_bear_top_down(qty),
            (None, Side::Sell) if fill.symbol == self.bear_symbol => self.sell_bear_top_down(qty),
            (None, Side::Sell) if fill.symbol == Symbol::Iwm => {
                let rest = take(&mut self.hedge, qty);
                take(&mut self.bull, rest);
            }
            _ => {}
        }
    }

    fn sell_tier(&mut self, tier: u8, qty: Decimal) -> Decimal {
        let i = usize::from(tier.max(1)) - 1;
        match self.bear_tiers.get_mut(i) {
            Some(x) => take(x, qty),
            None => qty,
        }
    }

    fn sell_bear_top_down(&mut self, mut qty: Decimal) {
        for x in self.bear_tiers.iter_mut().rev() {
            qty = take(x, qty);
        }
    }

    /// The hedge becomes part of the main Bull position (on re-engagement).
    pub fn fold_hedge_into_bull(&mut self) {
        self.bull += self.hedge;
        self.hedge = Decimal::ZERO;
    }
}

/// Take up to `qty` from `from`; returns what could not be taken.
fn take(from: &mut Decimal, qty: Decimal) -> Decimal {
    let t = qty.min(*from).max(Decimal::ZERO);
    *from -= t;
    qty - t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClientOrderId;
    use chrono::Utc;
    use rust_decimal_macros::dec;

    fn fill(symbol: Symbol, side: Side, qty: Decimal) -> Fill {
        Fill {
            client_order_id: ClientOrderId::new("t", 1),
            symbol,
            side,
            qty,
            price: dec!(10),
            commission: dec!(1),
            time: Utc::now(),
        }
    }

    #[test]
    fn attribution_table() {
        let mut l = Ledger::new(3, Symbol::Twm);
        l.remember(1, Book::BearTier(1), Symbol::Twm);
        l.remember(2, Book::BearTier(2), Symbol::Twm);
        l.remember(3, Book::Hedge, Symbol::Iwm);
        l.remember(4, Book::BearAll, Symbol::Twm);
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(100)), Some(1));
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(50)), Some(2));
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(7)), Some(3));
        // a buy nobody proposed is not the agents'
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(9)), None);
        assert_eq!(
            (l.tier(1), l.tier(2), l.hedge),
            (dec!(100), dec!(50), dec!(7))
        );
        // a stop sells the top tier first
        l.apply(&fill(Symbol::Twm, Side::Sell, dec!(60)), Some(4));
        assert_eq!((l.tier(1), l.tier(2)), (dec!(90), dec!(0)));
        // a flatten of IWM clears the hedge
        l.apply(&fill(Symbol::Iwm, Side::Sell, dec!(7)), None);
        assert_eq!(l.hedge, dec!(0));
        // a fill for an unknown signal id on the vehicle, buy side: ignored
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(5)), Some(99));
        assert_eq!(l.bear_total(), dec!(90));
    }
}
