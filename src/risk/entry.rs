//! The caps on orders that add or open exposure: freshness, the daily loss halt, notional,
//! position size, buying power and gross beta, each on the order's cost with the venue's
//! slippage and commission in.

use rust_decimal::Decimal;

use super::{RefusalReason, RiskContext, RiskGate};
use crate::broker::BuyCost;
use crate::model::{OrderRequest, OrderType, Side, Symbol};

impl RiskGate {
    /// Gates that apply only to orders that add or open exposure; passed, the order's cost as a
    /// buy at the price it was judged at (what a venue's own estimate of it would be).
    pub(super) fn entry_refusal(
        &mut self,
        order: &OrderRequest,
        ctx: &RiskContext,
    ) -> Result<BuyCost, RefusalReason> {
        if ctx.live && !ctx.market_open {
            return Err(RefusalReason::MarketClosed);
        }
        let age = ctx.last_data.map(|t| (ctx.now - t).num_seconds());
        let too_old = age.is_none_or(|a| a > self.limits.stale_after_secs as i64);
        if !ctx.feed_ok || too_old {
            return Err(RefusalReason::StaleData {
                last_data: ctx.last_data,
                age_secs: age,
                max_secs: self.limits.stale_after_secs,
                feed_ok: ctx.feed_ok,
            });
        }
        let loss = ctx.start_of_day_equity - ctx.equity + ctx.book_change_today;
        let limit_hit = ctx.start_of_day_equity > Decimal::ZERO
            && loss >= ctx.start_of_day_equity * self.limits.daily_loss_limit;
        // The day matters only to a halt, new or latched (`ny_day` remembers the last one).
        let day =
            (limit_hit || self.halted_day.is_some()).then(|| crate::model::ny_day::ny_day(ctx.now));
        if limit_hit {
            // Latched: a bounce later in the day does not re-open entries.
            self.halted_day = day;
        }
        if let Some(day) = day.filter(|d| self.halted_day == Some(*d)) {
            return Err(RefusalReason::DailyLossLimit {
                loss,
                start_equity: ctx.start_of_day_equity,
                limit_pct: self.limits.daily_loss_limit,
                day,
            });
        }
        let Some(price) = order_price(order, ctx) else {
            return Err(RefusalReason::NoPrice {
                symbol: order.symbol,
            });
        };
        let costs = &self.limits.costs;
        // qty × the price moved against us, plus commission: a buy's cost, whatever the side.
        let cost = BuyCost::new(costs, order.qty, price);
        let notional = cost.cost;
        if notional > self.limits.max_order_notional {
            return Err(RefusalReason::MaxOrderNotional {
                notional,
                max: self.limits.max_order_notional,
            });
        }
        let after = ctx.agents_held(order.symbol) + order.side.sign() * order.qty;
        // What the position is worth after the order, plus what buying it costs beyond that.
        let value = (after * price).abs() + (notional - order.qty * price);
        // The book's symbol is capped like IWM: only the book's own purchase ever buys QQQ/SPY.
        let max_pct = if order.symbol == Symbol::Iwm || order.symbol == ctx.book_symbol {
            self.limits.max_position_pct
        } else {
            self.limits.max_vehicle_pct
        };
        if value > ctx.equity * max_pct {
            return Err(RefusalReason::MaxPositionPct {
                symbol: order.symbol,
                value,
                equity: ctx.equity,
                max_pct,
            });
        }
        if order.side == Side::Buy {
            let mut have = ctx.cash + ctx.margin.max(Decimal::ZERO);
            for (s, q) in ctx.pending_buys.iter() {
                let Some(p) = ctx.prices.get(&s) else {
                    return Err(RefusalReason::NoPrice { symbol: s });
                };
                have -= costs.buy_cost(*q, *p);
            }
            if notional > have {
                return Err(RefusalReason::InsufficientBuyingPower {
                    need: notional,
                    have,
                });
            }
        }
        let mut gross_beta = Decimal::ZERO;
        for s in Symbol::ALL {
            let (qty, p) = if s == order.symbol {
                (after, price)
            } else {
                let q = ctx.agents_held(s);
                if q.is_zero() {
                    continue;
                }
                match ctx.prices.get(&s) {
                    Some(p) => (q, *p),
                    None => return Err(RefusalReason::NoPrice { symbol: s }),
                }
            };
            gross_beta += (RiskContext::beta(s) * qty * p).abs();
        }
        if gross_beta > ctx.equity * self.limits.max_beta_exposure {
            return Err(RefusalReason::MaxGrossBeta {
                gross_beta,
                equity: ctx.equity,
                max_multiple: self.limits.max_beta_exposure,
            });
        }
        Ok(cost)
    }
}

/// Price used to value an order: the limit or stop if it is worse for us, else the last price.
fn order_price(order: &OrderRequest, ctx: &RiskContext) -> Option<Decimal> {
    let last = ctx.prices.get(&order.symbol).copied();
    let worst = |p: Decimal| match (order.side, last) {
        (Side::Buy, Some(l)) => p.max(l),
        (Side::Sell, Some(l)) => p.min(l),
        (_, None) => p,
    };
    match order.order_type {
        OrderType::Market | OrderType::MarketOnClose => last,
        OrderType::Limit { limit_price } => Some(worst(limit_price)),
        OrderType::Stop { stop_price } => Some(worst(stop_price)),
    }
    .filter(|p| *p > Decimal::ZERO)
}
