//! The Alpaca broker (paper, or live behind the gate): orders out by REST, events back through a
//! channel. Trait methods return at once; the HTTP work runs in spawned tasks.
//!
//! Idempotency: the `client_order_id` (journaled by the app before `submit`) is the key. A POST
//! is never blindly repeated: after a timeout, 5xx or 429 the order is `Unknown` and settled by
//! `GET /v2/orders:by_client_order_id`; only a 404 there allows a re-POST, with the same id, and
//! a 422 `40010001` ("client_order_id must be unique") means "it exists — look it up".
//!
//! ATR stops are watched client-side by the engine (`alpaca.client_side_stops = true`): they
//! trail every bar, and replacing a real stop order each bar would spend the rate limit and race
//! against fills (a replace gets a new order id); the engine already proposes stop exits.

/// The orders the broker knows, and the events a snapshot of them gives.
pub mod book;
/// The venue's state pulled: the reconcile, the account, the order poll.
mod poll;
mod request;
/// `trade_updates`: fills within a second instead of at the next poll.
pub mod updates;

use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;
use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::alpaca::wire::{NewOrder, Order};
use crate::alpaca::{backoff, AlpacaClient, AlpacaError};
use crate::broker::{Broker, BrokerEvent, BrokerKind};
use crate::model::{Bar, ClientOrderId, OrderRequest, Symbol};
use book::{Book, Phase};
use poll::{poll_loop, reconcile};
pub use request::{new_order, AlpacaBrokerConfig};

/// Shared by the broker handle and its tasks.
#[derive(Clone)]
pub(super) struct Ctx {
    client: AlpacaClient,
    cfg: AlpacaBrokerConfig,
    pub(super) tx: UnboundedSender<BrokerEvent>,
    book: Arc<Mutex<Book>>,
}

pub struct AlpacaBroker {
    ctx: Ctx,
    rt: Handle,
    poller: JoinHandle<()>,
    updates: Option<JoinHandle<()>>,
}

impl AlpacaBroker {
    /// Start the broker: a reconcile (account, positions, open orders) right away, then a
    /// poller for order status. Must be called inside a tokio runtime.
    pub fn start(
        client: AlpacaClient,
        cfg: AlpacaBrokerConfig,
        tx: UnboundedSender<BrokerEvent>,
    ) -> Self {
        let ctx = Ctx {
            client,
            cfg,
            tx,
            book: Arc::new(Mutex::new(Book::default())),
        };
        let rt = Handle::current();
        let poller = rt.spawn(poll_loop(ctx.clone()));
        AlpacaBroker {
            ctx,
            rt,
            poller,
            updates: None,
        }
    }

    /// Also follow `trade_updates` (see `updates`): fills in a second, not a poll.
    pub fn stream_updates(&mut self, cfg: updates::UpdatesConfig) {
        let task = updates::run(self.ctx.clone(), cfg);
        self.updates = Some(self.rt.spawn(task));
    }

    /// Orders recovered from the journal whose state is unknown (a crash between intent and
    /// answer): the next poll looks each up by client order id and reports what the venue
    /// did with it (accepted, filled, or "no such order" as a rejection). Never resent.
    /// Each order comes with what the journal already holds of its fills.
    pub fn settle<'a>(&self, orders: impl IntoIterator<Item = (&'a OrderRequest, Decimal)>) {
        let mut book = self.ctx.book();
        for (o, filled) in orders {
            book.track_unsettled(o, filled);
        }
    }

    /// Positions, open orders and account again, e.g. after the app saw a reconnect. Safe to
    /// repeat: known orders are not announced twice and positions are a snapshot.
    pub fn reconcile(&self) {
        let ctx = self.ctx.clone();
        self.rt.spawn(async move {
            if let Err(e) = reconcile(&ctx).await {
                ctx.emit(vec![error(format!("Alpaca reconcile failed: {e}"))]);
            }
        });
    }
}

impl Drop for AlpacaBroker {
    fn drop(&mut self) {
        self.poller.abort();
        if let Some(u) = &self.updates {
            u.abort();
        }
    }
}

impl Broker for AlpacaBroker {
    fn kind(&self) -> BrokerKind {
        self.ctx.client.kind()
    }

    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent> {
        let body = match new_order(order, self.ctx.cfg.client_side_stops) {
            Ok(b) => b,
            Err(reason) => {
                return vec![BrokerEvent::Rejected {
                    client_order_id: order.client_order_id.clone(),
                    reason,
                }]
            }
        };
        self.ctx.book().track_submit(order);
        let ctx = self.ctx.clone();
        let coid = order.client_order_id.clone();
        self.rt
            .spawn(async move { submit_task(ctx, coid, body).await });
        Vec::new()
    }

    fn cancel(&mut self, client_order_id: &ClientOrderId) -> Vec<BrokerEvent> {
        let ctx = self.ctx.clone();
        let coid = client_order_id.clone();
        self.rt.spawn(async move { cancel_task(ctx, coid).await });
        Vec::new()
    }

    fn on_bar(&mut self, _symbol: Symbol, _bar: &Bar) -> Vec<BrokerEvent> {
        Vec::new()
    }
}

fn error(message: String) -> BrokerEvent {
    BrokerEvent::Error { message }
}

impl Ctx {
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn emit(&self, events: Vec<BrokerEvent>) {
        for ev in events {
            // The app loop went away: nothing left to tell.
            let _ = self.tx.send(ev);
        }
    }

    /// Fold a snapshot in; returns whether it carried a fill.
    pub(super) fn apply(&self, o: &Order) -> bool {
        let events = self.book().apply(o);
        let filled = events.iter().any(|e| matches!(e, BrokerEvent::Filled(_)));
        self.emit(events);
        filled
    }

    async fn pause(&self, attempt: u32) {
        tokio::time::sleep(backoff(self.cfg.retry_base, attempt)).await;
    }
}

enum Settled {
    Found(Order),
    Absent,
    Unreachable(AlpacaError),
}

/// Ask the venue whether it has the order, with back-off on failure.
async fn settle(ctx: &Ctx, coid: &ClientOrderId) -> Settled {
    let mut last = None;
    for attempt in 0..ctx.cfg.max_retries {
        match ctx.client.order_by_client_id(coid.as_str()).await {
            Ok(Some(o)) => return Settled::Found(o),
            Ok(None) => return Settled::Absent,
            Err(e) => {
                last = Some(e);
                ctx.pause(attempt).await;
            }
        }
    }
    Settled::Unreachable(last.unwrap_or(AlpacaError::Timeout { ms: 0 }))
}

async fn submit_task(ctx: Ctx, coid: ClientOrderId, body: NewOrder) {
    for attempt in 0..ctx.cfg.max_retries {
        let outcome = match ctx.client.submit_order(&body).await {
            Ok(o) => {
                ctx.apply(&o);
                return;
            }
            Err(e) if e.is_duplicate_client_order_id() => {
                tracing::info!(%coid, "client_order_id already at the venue; looking it up");
                settle(&ctx, &coid).await
            }
            // A 2xx whose body cannot be read (truncated, not JSON) is as ambiguous as a
            // timeout: the venue most likely took the order, so settle it, never reject it.
            Err(e) if e.is_ambiguous() || matches!(e, AlpacaError::Decode(_)) => {
                if ctx.book().phase(&coid) != Some(Phase::Submitting) {
                    // The poller already saw it at the venue: nothing is unknown any more.
                    return;
                }
                ctx.emit(vec![BrokerEvent::Unknown {
                    client_order_id: coid.clone(),
                    error: e.to_string(),
                }]);
                settle(&ctx, &coid).await
            }
            Err(e) => {
                let ev = ctx.book().reject(&coid, e.to_string());
                ctx.emit(ev);
                return;
            }
        };
        match outcome {
            Settled::Found(o) => {
                ctx.apply(&o);
                return;
            }
            Settled::Absent => {
                tracing::info!(%coid, attempt, "order not at the venue; re-posting the same client_order_id");
                ctx.pause(attempt).await;
            }
            Settled::Unreachable(e) => {
                ctx.book().set_phase(&coid, Phase::Unsettled);
                ctx.emit(vec![error(format!(
                    "order {coid} not settled yet ({e}); still checking"
                ))]);
                return;
            }
        }
    }
    let ev = ctx.book().reject(
        &coid,
        format!("not placed after {} attempts", ctx.cfg.max_retries),
    );
    ctx.emit(ev);
}

async fn cancel_task(ctx: Ctx, coid: ClientOrderId) {
    let known = ctx.book().broker_id(&coid);
    let id = match known {
        Some(id) => id,
        None => match settle(&ctx, &coid).await {
            Settled::Found(o) => {
                ctx.apply(&o);
                o.id
            }
            Settled::Absent => {
                ctx.emit(vec![error(format!(
                    "cancel {coid}: no such order at Alpaca"
                ))]);
                return;
            }
            Settled::Unreachable(e) => {
                ctx.emit(vec![error(format!("cancel {coid}: {e}"))]);
                return;
            }
        },
    };
    // The kill switch depends on this: an ambiguous failure (timeout, reset, 5xx, 429) is
    // retried, since repeating a cancel is harmless; anything else is final.
    for attempt in 0..ctx.cfg.max_retries.max(1) {
        match ctx.client.cancel_order(&id).await {
            Ok(()) => break,
            Err(e) => {
                // 422 = no longer cancelable (filled or already canceled): the lookup tells which.
                ctx.emit(vec![error(format!("cancel {coid}: {e}"))]);
                if !e.is_ambiguous() {
                    break;
                }
                ctx.pause(attempt).await;
            }
        }
    }
    if let Ok(Some(o)) = ctx.client.order(&id).await {
        ctx.apply(&o);
    }
}
