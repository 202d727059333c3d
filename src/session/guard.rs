//! The session's two guards on the way to the broker: the risk gate (every order) and the journal
//! (every decision, with order intents committed before they are sent).

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerKind;
use crate::feed::FeedHealth;
use crate::journal::{Journal, JournalError};
use crate::model::{ClientOrderId, OrderRequest, Side, Timeframe};
use crate::risk::{BySymbol, RiskContext};
use crate::store::Severity;

impl Session {
    /// Record through the journal if there is one. A failed write is shown, never swallowed,
    /// and remembered (`journal_failure`): a headless run stops on it; an order whose intent
    /// failed is never sent (see `send`).
    pub(super) fn journal<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Option<T> {
        // After a failed write nothing more is recorded (the run is stopping): trying again
        // would only wait out the busy timeout once more for every event still queued.
        if self.journal_failed.is_some() {
            return None;
        }
        let j = self.journal.as_mut()?;
        match f(j) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!("journal: {what}: {e}");
                if e.is_storage() && self.journal_failed.is_none() {
                    self.journal_failed = Some(format!("{what}: {e}"));
                }
                self.store.push_log(
                    Severity::Error,
                    format!("journal write failed ({what}): {e}"),
                );
                None
            }
        }
    }

    /// A client order id unique across sessions (the journal's counter) or, without a journal,
    /// across this process.
    pub(super) fn next_client_order_id(&mut self) -> ClientOrderId {
        if self.journal.is_some() {
            if let Some(id) = self.journal("order id", |j| j.next_client_order_id()) {
                return id;
            }
        }
        self.order_seq += 1;
        self.tag.mint(self.order_seq)
    }

    /// What the gate needs to know now. Replay and backtest use the bar clock; live feeds the wall clock.
    pub(super) fn risk_context(&self) -> RiskContext {
        let st = &self.store;
        let now = if self.wall_clock {
            chrono::Utc::now()
        } else {
            st.now.unwrap_or_default()
        };
        let mut positions = BySymbol::default();
        for p in st.positions.values() {
            positions.insert(p.symbol, p.qty);
        }
        let mut pending = BySymbol::default();
        let mut pending_buys = BySymbol::default();
        for o in st.working_orders() {
            let left = o.request.qty - o.filled_qty;
            let signed = if o.request.side == Side::Buy {
                pending_buys.add(o.request.symbol, left);
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            pending.add(o.request.symbol, signed * left);
        }
        // While a bar forms (live hours), its price is what an order fills near today (a market
        // order at once, a close order at the close), not yesterday's close.
        let mut prices = BySymbol::default();
        for s in crate::model::Symbol::EVERY {
            let forming = st.live.forming(s, st.series(s).last());
            let px = forming.map(|b| crate::model::price::price(b.close));
            if let Some(p) = px.or_else(|| st.last_price(s)) {
                prices.insert(s, p);
            }
        }
        RiskContext {
            now,
            equity: st.equity,
            cash: st.cash,
            // Reg T on the simulator; a real venue refuses for itself what it cannot fund.
            margin: if st.broker == BrokerKind::Sim {
                st.equity * self.margin_per_equity
            } else {
                Decimal::ZERO
            },
            book: self.book_with_pending(),
            book_symbol: self.book_symbol(),
            start_of_day_equity: st.day_start_equity,
            book_change_today: if st.day_start_book.is_zero() {
                Decimal::ZERO
            } else {
                self.book_value() - st.day_start_book
            },
            positions,
            pending,
            pending_buys,
            prices,
            last_data: self.data_time(now),
            feed_ok: !st.bars_unhealthy(),
            live: st.broker == BrokerKind::Live,
            market_open: !st.health.values().any(|h| *h == FeedHealth::Idle),
        }
    }

    /// When the data was last current. On the bar clock it is the newest bar. Live, a bar's start
    /// says nothing of its age (a daily bar starts at midnight, an hour bar an hour before anyone
    /// can read it): a forming bar is current as of its arrival, and a closed bar while no later
    /// one can have been published (else as of its end). While the market trades, a daily bar
    /// does not vouch for the day: the forming bar (from the stream, or each REST poll) must keep
    /// arriving, so a feed gone silent is stale. A bad feed health refuses entries on its own.
    fn data_time(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.wall_clock {
            return self.store.now;
        }
        let tf = self.store.timeframe;
        let trading = self.store.live.market.is_some_and(|m| m.open);
        let closed = self
            .store
            .now
            .filter(|_| tf.is_intraday() || !trading)
            .map(|t| match is_latest_bar(tf, t, now) {
                true => now,
                // Not the newest there is: it was current when it ended, not when it began.
                false => t + Duration::seconds(tf.seconds()),
            });
        closed.max(self.forming_arrived)
    }

    /// Every order passes here: risk gate, durable intent, then the broker.
    pub(super) fn send(&mut self, order: OrderRequest, out: &mut Vec<Notice>) {
        if let Some(waiting) = self.unsettled().cloned() {
            let reason = format!(
                "order {waiting} from before the restart is not settled yet (looking it up at \
                 the venue by client order id): no new order until it is"
            );
            self.store
                .push_log(Severity::Warn, format!("order refused: {reason}"));
            out.push(Notice::RiskRefused {
                client_order_id: order.client_order_id,
                signal_id: order.signal_id,
                reason: reason.clone(),
            });
            if let Some(id) = order.signal_id {
                self.signal_unfilled(id, &reason, out);
            }
            return;
        }
        let ctx = self.risk_context();
        let approved = match self.gate.check(order, &ctx) {
            Ok(a) => a,
            Err(refused) => {
                self.journal("risk refusal", |j| j.record_refusal(&refused));
                // A backtest reads neither the log nor this notice: the reason is not written
                // out (the text of a refusal cost several times the check that found it).
                if self.backtest {
                    if let Some(id) = refused.order.signal_id {
                        self.signal_unfilled(id, &refused.reason, out);
                    }
                    return;
                }
                let reason = refused.reason.to_string();
                self.store
                    .push_log(Severity::Warn, format!("order refused: {reason}"));
                let signal_id = refused.order.signal_id;
                out.push(Notice::RiskRefused {
                    client_order_id: refused.order.client_order_id,
                    signal_id,
                    reason: reason.clone(),
                });
                if let Some(id) = signal_id {
                    self.signal_unfilled(id, &reason, out);
                }
                return;
            }
        };
        let (order, cost) = approved.into_parts();
        // The agents' state that sized this order goes on disk with it: a restart that finds the
        // intent resumes the tier clock it came from, not the one before it.
        self.journal_stops();
        // The intent must be on disk before the venue can see the order: after a crash, an intent
        // without a response is settled by client order id, never sent twice.
        if self.journal.is_some()
            && self
                .journal("order intent", |j| j.record_intent(&order))
                .is_none()
        {
            self.store.push_log(
                Severity::Error,
                format!(
                    "order {} NOT sent: its intent could not be journaled",
                    order.client_order_id
                ),
            );
            return;
        }
        // Only a recording session has an intent to crash after (a backtest run inside the
        // process, such as the signal records' history, must not trip it).
        if self.journal.is_some() {
            crash_hook("after_intent");
        }
        self.info_log(|| {
            format!(
                "order {} {} {} {} sent",
                order.client_order_id, order.side, order.qty, order.symbol
            )
        });
        // The venue's answers are handled once the order is in the store, which then keeps the
        // approved order itself.
        // Into the session's buffer, taken while the answers are handled (one of them may send
        // another order, which then uses a buffer of its own).
        let mut answers = std::mem::take(&mut self.venue_answers);
        self.broker
            .submit_priced(&order, cost.as_ref(), &mut answers);
        out.push(Notice::Order {
            order: order.clone(),
            status: crate::model::OrderStatus::PendingNew,
        });
        self.store.orders.push(crate::store::OrderEntry {
            request: order,
            status: crate::model::OrderStatus::PendingNew,
            broker_order_id: None,
            filled_qty: Decimal::ZERO,
            fills: Vec::new(),
            note: None,
        });
        for ev in answers.drain(..) {
            self.on_broker(ev, out);
        }
        self.venue_answers = answers;
    }
}

/// Longest the venue takes to publish a closed bar (its settling plus one REST poll, at most 60 s).
const PUBLISH_LAG: Duration = Duration::minutes(2);
/// A day's bar is published within this long after the 16:00 New York close.
const DAILY_PUBLISHED: (u32, u32) = (16, 20);

/// Whether a bar starting at `start` is the newest closed bar the venue can have published at
/// `now`. Intraday: the next bar has not closed yet. Daily: the bar is of the last weekday
/// whose bar is out (today's from 16:20 New York on); a holiday makes the day after it look
/// stale, which only means the forming bar's arrival must vouch for the data that day.
fn is_latest_bar(tf: Timeframe, start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    if tf.is_intraday() {
        let len = Duration::seconds(tf.seconds());
        return now < start + len + len + PUBLISH_LAG;
    }
    let ny = now.with_timezone(&New_York);
    let (h, m) = DAILY_PUBLISHED;
    let mut expect = ny.date_naive();
    if (ny.hour(), ny.minute()) < (h, m) {
        expect = expect.pred_opt().unwrap_or(expect);
    }
    while matches!(expect.weekday(), Weekday::Sat | Weekday::Sun) {
        expect = expect.pred_opt().unwrap_or(expect);
    }
    crate::alpaca::session::ny_date(start) >= expect
}

/// Test hook, not a feature: `DOUBLE_AGENT_CRASH_AT=<point>[:<n>]` aborts the process the
/// n-th time (default the first) a recording session passes that point, so crash tests stop the
/// real binary at the same place every run, where a kill sent on reading its output lands
/// wherever the machine's load lets it (`after_intent`: the intent is durable, the order never
/// sent; `after_signal`, `after_fill`, `after_bar`: just after each is handled). Unset, it costs
/// one cached lookup.
pub(super) fn crash_hook(point: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static AT: std::sync::OnceLock<Option<(String, usize)>> = std::sync::OnceLock::new();
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    let at = AT.get_or_init(|| {
        let v = std::env::var("DOUBLE_AGENT_CRASH_AT").ok()?;
        Some(match v.split_once(':') {
            Some((p, n)) => (p.to_string(), n.parse().unwrap_or(1)),
            None => (v, 1),
        })
    });
    if let Some((p, n)) = at {
        if p == point && SEEN.fetch_add(1, Ordering::SeqCst) + 1 >= *n {
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 7, d, h, m, 0).unwrap()
    }

    #[test]
    fn a_daily_bar_is_current_until_the_next_one_is_out() {
        // Tue 2025-07-08 at 15:25 ET: Monday's bar (stamped 04:00Z) is the newest there is.
        let monday = utc(7, 4, 0);
        assert!(is_latest_bar(Timeframe::Day1, monday, utc(8, 19, 25)));
        // From 16:20 ET Tuesday's own bar is due.
        assert!(!is_latest_bar(Timeframe::Day1, monday, utc(8, 20, 30)));
        // Monday morning: Friday's bar is the newest.
        let friday = utc(4, 4, 0);
        assert!(is_latest_bar(Timeframe::Day1, friday, utc(7, 14, 0)));
        assert!(!is_latest_bar(Timeframe::Day1, utc(3, 4, 0), utc(7, 14, 0)));
    }

    #[test]
    fn an_intraday_bar_is_current_until_the_next_one_closes() {
        let start = utc(8, 18, 0);
        assert!(is_latest_bar(Timeframe::Hour1, start, utc(8, 19, 25)));
        assert!(!is_latest_bar(Timeframe::Hour1, start, utc(8, 20, 5)));
        assert!(is_latest_bar(Timeframe::Min15, start, utc(8, 18, 29)));
        assert!(!is_latest_bar(Timeframe::Min15, start, utc(8, 18, 35)));
    }
}
