//! The account's positions: one slot per symbol. The session reads them on every bar (is
//! anything held, the marks of the equity, the bar's own symbol), and a B-tree walk of at
//! most five entries was most of that. Iterated in the symbols' order, as the map was.

use std::ops::Index;

use super::{Position, Symbol};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Positions {
    slots: [Option<Position>; Symbol::COUNT],
}

impl Positions {
    pub fn get(&self, symbol: &Symbol) -> Option<&Position> {
        self.slots[symbol.index()].as_ref()
    }

    pub fn contains_key(&self, symbol: &Symbol) -> bool {
        self.get(symbol).is_some()
    }

    /// The position in `p.symbol`'s slot, replaced if there was one.
    pub fn insert(&mut self, p: Position) -> Option<Position> {
        self.slots[p.symbol.index()].replace(p)
    }

    /// `symbol`'s position, made by `new` if there is none.
    pub fn get_or_insert_with(
        &mut self,
        symbol: Symbol,
        new: impl FnOnce() -> Position,
    ) -> &mut Position {
        self.slots[symbol.index()].get_or_insert_with(new)
    }

    /// Keep only the positions `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Position) -> bool) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|p| !keep(p)) {
                *slot = None;
            }
        }
    }

    /// In the symbols' order (IWM, TWM, SRTY, QQQ, SPY).
    pub fn values(&self) -> impl Iterator<Item = &Position> {
        self.slots.iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.values().count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }
}

/// A position per symbol; a later one of the same symbol replaces an earlier one.
impl FromIterator<Position> for Positions {
    fn from_iter<I: IntoIterator<Item = Position>>(iter: I) -> Self {
        let mut all = Positions::default();
        for p in iter {
            all.insert(p);
        }
        all
    }
}

impl Index<&Symbol> for Positions {
    type Output = Position;
    fn index(&self, symbol: &Symbol) -> &Position {
        self.get(symbol).expect("no position in this symbol")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;

    fn position(symbol: Symbol, qty: i64) -> Position {
        let mut p = Position::flat(symbol, chrono::DateTime::UNIX_EPOCH);
        p.qty = Decimal::from(qty);
        p
    }

    proptest! {
        /// Against the map it replaces: the same positions, in the same order, after the same
        /// inserts, fills and clean-ups.
        #[test]
        fn behaves_as_the_symbol_map(
            ops in prop::collection::vec((0usize..Symbol::COUNT, -3i64..4, any::<bool>()), 0..40)
        ) {
            let mut map: BTreeMap<Symbol, Position> = BTreeMap::new();
            let mut slots = Positions::default();
            for (i, qty, clean) in ops {
                let s = Symbol::EVERY[i];
                if clean {
                    map.retain(|_, p| !p.qty.is_zero());
                    slots.retain(|p| !p.qty.is_zero());
                } else if qty == 3 {
                    map.insert(s, position(s, 7));
                    slots.insert(position(s, 7));
                } else {
                    let new = || position(s, 0);
                    map.entry(s).or_insert_with(new).qty += Decimal::from(qty);
                    slots.get_or_insert_with(s, new).qty += Decimal::from(qty);
                }
                prop_assert!(map.values().eq(slots.values()));
                prop_assert_eq!(map.len(), slots.len());
                prop_assert_eq!(map.is_empty(), slots.is_empty());
                for s in Symbol::EVERY {
                    prop_assert_eq!(map.get(&s), slots.get(&s));
                    prop_assert_eq!(map.contains_key(&s), slots.contains_key(&s));
                }
                let rebuilt: Positions = map.values().cloned().collect();
                prop_assert_eq!(&rebuilt, &slots);
            }
        }
    }

    #[test]
    fn iterates_in_the_symbols_order() {
        let all: Positions = [Symbol::Spy, Symbol::Srty, Symbol::Iwm]
            .into_iter()
            .map(|s| position(s, 1))
            .collect();
        let order: Vec<Symbol> = all.values().map(|p| p.symbol).collect();
        assert_eq!(order, [Symbol::Iwm, Symbol::Srty, Symbol::Spy]);
        assert_eq!(all[&Symbol::Srty].qty, Decimal::ONE);
    }
}
