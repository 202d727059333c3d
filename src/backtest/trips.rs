//! Closed round trips and P&L per agent, counted from the session's notices as the run goes, so
//! a backtest of any length needs neither every order nor every signal kept.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::AgentPnl;
use crate::model::money::to_f64;
use crate::model::{Agent, ClientOrderId, Side, Symbol};
use crate::session::{Notice, Session};

#[derive(Debug, Default)]
pub struct Trips {
    /// Orders not yet fully filled → the agent whose signal they came from (our own ids, never
    /// iterated: Fx-hashed, as the gate's order-id sets are).
    agent_of: FxHashMap<ClientOrderId, Agent>,
    /// (qty, cash flow) per agent and symbol since it was last flat.
    open: HashMap<(Agent, Symbol), (Decimal, Decimal)>,
    pub trades: usize,
    pub wins: usize,
    pub fills: usize,
    pnl: (f64, f64),
}

impl Trips {
    /// The notices of one input, after the session handled it (the store is as they left it).
    pub fn observe(&mut self, s: &Session, notices: &[Notice]) {
        for n in notices {
            match n {
                Notice::Order { order, .. } => {
                    let agent = order
                        .signal_id
                        .and_then(|id| s.store.signals.get(id))
                        .map(|e| e.signal.agent);
                    if let Some(a) = agent {
                        self.agent_of.insert(order.client_order_id.clone(), a);
                    }
                }
                Notice::Fill { fill: f } => {
                    self.fills += 1;
                    let Some(&agent) = self.agent_of.get(&f.client_order_id) else {
                        continue;
                    };
                    if s.store
                        .order(&f.client_order_id)
                        .is_none_or(|o| !o.status.is_working())
                    {
                        self.agent_of.remove(&f.client_order_id);
                    }
                    let slot = self
                        .open
                        .entry((agent, f.symbol))
                        .or_insert((Decimal::ZERO, Decimal::ZERO));
                    slot.0 += if f.side == Side::Buy { f.qty } else { -f.qty };
                    slot.1 += f.cash_delta();
                    if slot.0 <= Decimal::ZERO {
                        self.trades += 1;
                        self.wins += usize::from(slot.1 > Decimal::ZERO);
                        match agent {
                            Agent::Bear => self.pnl.0 += to_f64(slot.1),
                            Agent::Bull => self.pnl.1 += to_f64(slot.1),
                        }
                        *slot = (Decimal::ZERO, Decimal::ZERO);
                    }
                }
                _ => {}
            }
        }
    }

    /// Each agent's P&L: closed round trips, plus what it still holds marked at the last close.
    pub fn pnl(&self, s: &Session) -> AgentPnl {
        let mut pnl = AgentPnl {
            bear: self.pnl.0,
            bull: self.pnl.1,
        };
        for ((agent, sym), (qty, cash)) in &self.open {
            let value = s.store.last_price(*sym).unwrap_or_default() * *qty;
            *match agent {
                Agent::Bear => &mut pnl.bear,
                Agent::Bull => &mut pnl.bull,
            } += to_f64(*cash + value);
        }
        pnl
    }
}
