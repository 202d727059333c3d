//! The venue's state pulled by REST: the reconcile at start and after an outage, the account
//! and positions, and the loop that polls order status (the trading stream, when on, only makes
//! fills arrive sooner).

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;

use super::book::Phase;
use super::{error, Ctx};
use crate::alpaca::AlpacaError;
use crate::broker::BrokerEvent;
use crate::model::{ClientOrderId, Position, Symbol};

/// Account, positions (every traded symbol, flat ones with qty 0), then open orders.
/// Open orders first, then positions and account: a fill the orders report (one made while no
/// process watched) is then already in the positions that follow, never added on top of them.
/// Orders the book follows that left the open list while nobody watched (the trading stream
/// down) are looked up by client order id here, so their fills arrive with the reconnect and not
/// a poll interval later.
pub(super) async fn reconcile(ctx: &Ctx) -> Result<(), AlpacaError> {
    let open = ctx.client.open_orders().await?;
    let seen: HashSet<&str> = open.iter().map(|o| o.client_order_id.as_str()).collect();
    for o in &open {
        ctx.apply(o);
    }
    let gone: Vec<ClientOrderId> = ctx
        .book()
        .pending()
        .into_iter()
        .filter(|(coid, _, phase)| *phase == Phase::Working && !seen.contains(coid.as_str()))
        .map(|(coid, _, _)| coid)
        .collect();
    for coid in gone {
        // Not found stays as it is: the poller settles what the venue does not know.
        if let Some(o) = ctx.client.order_by_client_id(coid.as_str()).await? {
            ctx.apply(&o);
        }
    }
    refresh_account(ctx).await
}

pub(super) async fn refresh_account(ctx: &Ctx) -> Result<(), AlpacaError> {
    let now = Utc::now();
    let wire = ctx.client.positions().await?;
    // Every symbol: a QQQ or SPY book is a position of the account too.
    let positions = Symbol::EVERY
        .iter()
        .map(|s| {
            let mut p = Position::flat(*s, now);
            if let Some(w) = wire.iter().find(|w| w.symbol == s.as_str()) {
                p.qty = w.signed_qty();
                p.avg_price = w.avg_entry_price;
            }
            p
        })
        .collect();
    let account = ctx.client.account().await?;
    ctx.emit(vec![
        BrokerEvent::Positions { positions },
        BrokerEvent::Account {
            cash: account.cash,
            equity: account.equity,
        },
    ]);
    Ok(())
}

/// One pass over open orders and every order the book still follows.
async fn poll_orders(ctx: &Ctx) -> Result<bool, AlpacaError> {
    let open = ctx.client.open_orders().await?;
    let mut filled = false;
    let mut seen = HashSet::new();
    for o in &open {
        seen.insert(o.client_order_id.clone());
        filled |= ctx.apply(o);
    }
    let pending = ctx.book().pending();
    for (coid, broker_id, phase) in pending {
        if seen.contains(coid.as_str()) {
            continue;
        }
        match (phase, broker_id) {
            // Left the open list: fetch its final state.
            (Phase::Working, Some(id)) => {
                if let Some(o) = ctx.client.order(&id).await? {
                    filled |= ctx.apply(&o);
                }
            }
            (Phase::Unsettled, _) => match ctx.client.order_by_client_id(coid.as_str()).await? {
                Some(o) => filled |= ctx.apply(&o),
                None => {
                    let ev = ctx.book().reject(&coid, "Alpaca has no such order".into());
                    ctx.emit(ev);
                }
            },
            _ => {}
        }
    }
    Ok(filled)
}

pub(super) async fn poll_loop(ctx: Ctx) {
    // Start-up reconcile; failure here is handled as a failed poll (reconcile on recovery).
    let mut failing = match reconcile(&ctx).await {
        Ok(()) => false,
        Err(e) => {
            ctx.emit(vec![error(format!("Alpaca reconcile failed: {e}"))]);
            true
        }
    };
    let mut last_account = Instant::now();
    loop {
        tokio::time::sleep(ctx.cfg.order_poll).await;
        if ctx.tx.is_closed() {
            return;
        }
        let result = match poll_orders(&ctx).await {
            Ok(filled) if failing => reconcile(&ctx).await.map(|_| filled),
            other => other,
        };
        match result {
            Ok(filled) => {
                failing = false;
                if filled || last_account.elapsed() >= ctx.cfg.account_poll {
                    last_account = Instant::now();
                    if let Err(e) = refresh_account(&ctx).await {
                        tracing::warn!(error = %e, "Alpaca account refresh failed");
                    }
                }
            }
            Err(e) => {
                if !failing {
                    ctx.emit(vec![error(format!("Alpaca order poll failed: {e}"))]);
                }
                failing = true;
            }
        }
    }
}
