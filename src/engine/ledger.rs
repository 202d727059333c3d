//! The positions book: what each agent really holds, from fills attributed by the book their
//! order carries. It is the one source of the agents' state: an agent is engaged while its book
//! holds shares or one of its entries is still waiting for a fill (see `Engine::sync_agents`).
//! In hedge mode the book symbol's shares no agent proposed are the trader's book: never adopted,
//! never traded.

use rust_decimal::Decimal;

pub use crate::model::AgentBook as Book;
use crate::model::{Fill, Side, Symbol};

#[derive(Debug, Clone)]
pub struct Ledger {
    pub bear_tiers: Vec<Decimal>,
    pub bear_symbol: Symbol,
    pub hedge: Decimal,
    pub bull: Decimal,
    /// Hedge mode: shares of `book_symbol` no agent owns (the book the Bear hedges). Always 0 in
    /// book mode.
    pub book: Decimal,
    /// The trader's book's symbol (IWM, QQQ or SPY).
    pub book_symbol: Symbol,
    hedge_mode: bool,
}

impl Ledger {
    pub fn new(max_tiers: usize, vehicle: Symbol, hedge_mode: bool) -> Self {
        Ledger {
            bear_tiers: vec![Decimal::ZERO; max_tiers.max(1)],
            bear_symbol: vehicle,
            hedge: Decimal::ZERO,
            bull: Decimal::ZERO,
            book: Decimal::ZERO,
            book_symbol: Symbol::Iwm,
            hedge_mode,
        }
    }

    /// The trader's book is of `symbol` (a QQQ or SPY book; IWM when not called).
    pub fn with_book_symbol(mut self, symbol: Symbol) -> Self {
        self.book_symbol = symbol;
        self
    }

    pub fn bear_total(&self) -> Decimal {
        self.bear_tiers.iter().copied().sum()
    }

    pub fn tier(&self, tier: u8) -> Decimal {
        let i = usize::from(tier.max(1)) - 1;
        self.bear_tiers.get(i).copied().unwrap_or_default()
    }

    /// Tiers holding shares, counted from the bottom (a gap left by a scale-out ends the count).
    pub fn held_tiers(&self) -> u8 {
        self.bear_tiers
            .iter()
            .rposition(|q| *q > Decimal::ZERO)
            .map_or(0, |i| (i + 1) as u8)
    }

    /// What the agents hold of `symbol`.
    pub fn held(&self, symbol: Symbol) -> Decimal {
        match symbol {
            Symbol::Iwm => self.hedge + self.bull,
            s if s == self.bear_symbol => self.bear_total(),
            _ => Decimal::ZERO,
        }
    }

    /// The one book a symbol's shares land in when no agent proposed them: the vehicle's go to
    /// the Bear's first tier, IWM's to the trader's book (hedge mode) or the Bull (book mode).
    pub fn adopt(&mut self, symbol: Symbol, qty: Decimal) {
        match symbol {
            s if self.hedge_mode && s == self.book_symbol => self.book += qty,
            Symbol::Iwm => self.bull += qty,
            s if s == self.bear_symbol => self.bear_tiers[0] += qty,
            _ => {}
        }
    }

    /// Apply a fill of an order that carried `book`. Sells without a book (flatten) reduce
    /// whatever the agents hold of the symbol; buys without one are adopted by the agent that
    /// trades the symbol (a position nobody watches is the one thing the book must not allow).
    pub fn apply(&mut self, fill: &Fill, book: Option<Book>) {
        let qty = fill.qty;
        let book = book.filter(|b| self.symbol_of(*b) == fill.symbol);
        match (book, fill.side) {
            (Some(Book::BearTier { tier }), Side::Buy) => {
                let i = usize::from(tier.max(1)) - 1;
                match self.bear_tiers.get_mut(i) {
                    Some(x) => *x += qty,
                    None => self.bear_tiers[0] += qty,
                }
            }
            (Some(Book::BearAll), Side::Buy) => self.bear_tiers[0] += qty,
            (Some(Book::BearTier { tier }), Side::Sell) => {
                let rest = self.sell_tier(tier, qty);
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
            (Some(Book::TraderBook), Side::Buy) => self.book += qty,
            (Some(Book::TraderBook), Side::Sell) => {
                take(&mut self.book, qty);
            }
            (None, Side::Sell) => self.reduce(fill.symbol, qty),
            (None, Side::Buy) => self.adopt(fill.symbol, qty),
        }
    }

    /// Reduce what the agents hold of `symbol` by `qty` (a sell nobody proposed): the Bear's top
    /// tier first; the hedge before the Bull, the trader's book last.
    pub fn reduce(&mut self, symbol: Symbol, qty: Decimal) {
        if symbol == self.bear_symbol {
            self.sell_bear_top_down(qty);
        } else if symbol != Symbol::Iwm && symbol == self.book_symbol {
            take(&mut self.book, qty);
        } else if symbol == Symbol::Iwm {
            let rest = take(&mut self.hedge, qty);
            let rest = take(&mut self.bull, rest);
            take(&mut self.book, rest);
        }
    }

    fn symbol_of(&self, book: Book) -> Symbol {
        match book {
            Book::BearTier { .. } | Book::BearAll => self.bear_symbol,
            Book::Hedge | Book::Bull => Symbol::Iwm,
            Book::TraderBook => self.book_symbol,
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
        let mut l = Ledger::new(3, Symbol::Twm, false);
        let t = |tier| Some(Book::BearTier { tier });
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(100)), t(1));
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(50)), t(2));
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(7)), Some(Book::Hedge));
        assert_eq!(
            (l.tier(1), l.tier(2), l.hedge, l.held_tiers()),
            (dec!(100), dec!(50), dec!(7), 2)
        );
        // a buy nobody proposed is adopted by the agent that trades the symbol
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(9)), None);
        assert_eq!(l.bull, dec!(9));
        // a stop sells the top tier first
        l.apply(
            &fill(Symbol::Twm, Side::Sell, dec!(60)),
            Some(Book::BearAll),
        );
        assert_eq!(
            (l.tier(1), l.tier(2), l.held_tiers()),
            (dec!(90), dec!(0), 1)
        );
        // a flatten of IWM clears the hedge, then the Bull
        l.apply(&fill(Symbol::Iwm, Side::Sell, dec!(10)), None);
        assert_eq!((l.hedge, l.bull), (dec!(0), dec!(6)));
        // a book for another symbol than the fill's is not trusted: the fill is the truth
        l.apply(&fill(Symbol::Twm, Side::Buy, dec!(5)), Some(Book::Hedge));
        assert_eq!((l.bear_total(), l.hedge), (dec!(95), dec!(0)));
        assert_eq!(l.held(Symbol::Twm), dec!(95));
        assert_eq!(l.held(Symbol::Srty), dec!(0));
    }

    #[test]
    fn in_hedge_mode_unproposed_iwm_is_the_book_and_agents_sell_first() {
        let mut l = Ledger::new(3, Symbol::Twm, true);
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(500)), None);
        assert_eq!(
            (l.book, l.bull, l.held(Symbol::Iwm)),
            (dec!(500), dec!(0), dec!(0))
        );
        l.apply(&fill(Symbol::Iwm, Side::Buy, dec!(40)), Some(Book::Hedge));
        // a sale nobody proposed (flatten) takes the agents' shares before the trader's book
        l.apply(&fill(Symbol::Iwm, Side::Sell, dec!(50)), None);
        assert_eq!((l.hedge, l.book), (dec!(0), dec!(490)));
    }
}
