//! An Alpaca stand-in for the lifecycle property: a venue that outlives the app's processes,
//! answering the way Alpaca's REST API does (orders acknowledged and filled later, partial
//! fills, cumulative `filled_qty` snapshots, positions and account polled, buying power and
//! sellable quantity checked at submit), seen through the app's real order book
//! (`broker::alpaca::book`, the part of the Alpaca broker that turns snapshots into events).
//!
//! Synchronous where the real broker polls over HTTP: `poll` is one pass of the broker's poller
//! (order snapshots, then positions and account after a fill), run by the test between steps.
//! The HTTP clients themselves are tested against loopback servers in `tests/it/alpaca`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use double_agent::alpaca::wire::Order;
use double_agent::broker::alpaca::book::{Book, Phase};
use double_agent::broker::{Broker, BrokerEvent, BrokerKind};
use double_agent::model::{Bar, ClientOrderId, Fill, OrderRequest, Position, Side, Symbol};
use rust_decimal::Decimal;

/// Orders above this many shares fill in two halves, on two bars.
const ONE_PRINT: u32 = 40;

#[derive(Debug, Clone)]
struct VenueOrder {
    id: String,
    coid: ClientOrderId,
    symbol: Symbol,
    side: Side,
    qty: Decimal,
    filled: Decimal,
    notional: Decimal,
    status: &'static str,
    filled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The account at the venue: it survives every restart of the app.
#[derive(Debug)]
pub struct Venue {
    orders: Vec<VenueOrder>,
    positions: BTreeMap<Symbol, Position>,
    cash: Decimal,
    last: BTreeMap<Symbol, Decimal>,
}

impl Venue {
    pub fn new(cash: Decimal) -> Arc<Mutex<Venue>> {
        Arc::new(Mutex::new(Venue {
            orders: Vec::new(),
            positions: BTreeMap::new(),
            cash,
            last: BTreeMap::new(),
        }))
    }

    pub fn held(&self) -> BTreeMap<Symbol, Decimal> {
        self.positions
            .values()
            .filter(|p| !p.qty.is_zero())
            .map(|p| (p.symbol, p.qty))
            .collect()
    }

    pub fn cash(&self) -> Decimal {
        self.cash
    }

    fn equity(&self) -> Decimal {
        self.cash
            + self
                .positions
                .values()
                .map(|p| p.qty * self.last.get(&p.symbol).copied().unwrap_or(p.avg_price))
                .sum::<Decimal>()
    }

    fn working(o: &VenueOrder) -> bool {
        matches!(o.status, "new" | "partially_filled")
    }

    /// What a submit would be refused for, as Alpaca's 403s say it.
    fn refusal(&self, req: &OrderRequest) -> Option<&'static str> {
        let px = self.last.get(&req.symbol).copied()?;
        let working = self
            .orders
            .iter()
            .filter(|o| Self::working(o) && o.symbol == req.symbol);
        match req.side {
            Side::Buy => {
                let committed: Decimal = self
                    .orders
                    .iter()
                    .filter(|o| Self::working(o) && o.side == Side::Buy)
                    .map(|o| (o.qty - o.filled) * self.last.get(&o.symbol).copied().unwrap_or(px))
                    .sum();
                (req.qty * px + committed > self.cash).then_some("insufficient buying power")
            }
            Side::Sell => {
                let held = self
                    .positions
                    .get(&req.symbol)
                    .map_or(Decimal::ZERO, |p| p.qty);
                let selling: Decimal = working
                    .filter(|o| o.side == Side::Sell)
                    .map(|o| o.qty - o.filled)
                    .sum();
                (req.qty > held - selling).then_some("insufficient qty available for order")
            }
        }
    }

    /// Market orders trade at the bar's open; big ones in two prints, one per bar.
    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) {
        let px = Decimal::try_from(bar.open).unwrap().round_dp(4);
        self.last
            .insert(symbol, Decimal::try_from(bar.close).unwrap().round_dp(4));
        for i in 0..self.orders.len() {
            let o = &self.orders[i];
            if o.symbol != symbol || !Self::working(o) {
                continue;
            }
            let left = o.qty - o.filled;
            let qty = if left > Decimal::from(ONE_PRINT) {
                (left / Decimal::TWO).ceil()
            } else {
                left
            };
            let fill = Fill {
                client_order_id: o.coid.clone(),
                symbol,
                side: o.side,
                qty,
                price: px,
                commission: Decimal::ZERO,
                time: bar.time,
            };
            // Buying power was checked at submit against the last close; a gap up may leave
            // the account short of it, as a real venue would then cancel the rest.
            if o.side == Side::Buy && qty * px > self.cash {
                self.orders[i].status = "canceled";
                continue;
            }
            self.cash -= fill.side.sign() * qty * px;
            self.positions
                .entry(symbol)
                .or_insert_with(|| Position::flat(symbol, bar.time))
                .apply(&fill);
            let o = &mut self.orders[i];
            o.filled += qty;
            o.notional += qty * px;
            o.filled_at = Some(bar.time);
            o.status = if o.filled == o.qty {
                "filled"
            } else {
                "partially_filled"
            };
        }
    }

    fn snapshot(&self, o: &VenueOrder) -> Order {
        let avg = (!o.filled.is_zero()).then(|| (o.notional / o.filled).round_dp(6).to_string());
        serde_json::from_value(serde_json::json!({
            "id": o.id,
            "client_order_id": o.coid.as_str(),
            "symbol": o.symbol.as_str(),
            "side": o.side.as_str(),
            "status": o.status,
            "filled_qty": o.filled.to_string(),
            "filled_avg_price": avg,
            "filled_at": o.filled_at,
        }))
        .unwrap()
    }
}

/// The app's side of one process: the Alpaca broker's order book, and the events its tasks
/// would send down the broker channel.
pub struct StandIn {
    venue: Arc<Mutex<Venue>>,
    book: Book,
}

/// The broker the session owns; the test keeps a handle to poll it.
pub struct Handle(Arc<Mutex<StandIn>>);

impl StandIn {
    /// A new process's broker on `venue`: every order the journal left working is looked up by
    /// client order id (as `AlpacaBroker::settle` does), then the start-up reconcile.
    pub fn start<'a>(
        venue: &Arc<Mutex<Venue>>,
        settle: impl IntoIterator<Item = (&'a OrderRequest, Decimal)>,
    ) -> (Handle, Arc<Mutex<StandIn>>) {
        let mut book = Book::default();
        for (o, filled) in settle {
            book.track_unsettled(o, filled);
        }
        let me = Arc::new(Mutex::new(StandIn {
            venue: venue.clone(),
            book,
        }));
        (Handle(me.clone()), me)
    }

    /// The reconcile at start, in `AlpacaBroker`'s order: open orders, then account and
    /// positions.
    pub fn reconcile(&mut self) -> Vec<BrokerEvent> {
        let mut out = Vec::new();
        let venue = self.venue.lock().unwrap();
        for o in venue.orders.iter().filter(|o| Venue::working(o)) {
            out.extend(self.book.apply(&venue.snapshot(o)));
        }
        drop(venue);
        out.extend(self.account());
        out
    }

    /// One pass of the broker's poller: every order the book follows, then positions and
    /// account if anything filled.
    pub fn poll(&mut self) -> Vec<BrokerEvent> {
        let mut out = Vec::new();
        let venue = self.venue.lock().unwrap();
        for (coid, _, phase) in self.book.pending() {
            match venue.orders.iter().find(|o| o.coid == coid) {
                Some(o) => out.extend(self.book.apply(&venue.snapshot(o))),
                None if phase == Phase::Unsettled => {
                    out.extend(self.book.reject(&coid, "Alpaca has no such order".into()))
                }
                None => {}
            }
        }
        drop(venue);
        if out.iter().any(|e| matches!(e, BrokerEvent::Filled(_))) {
            out.extend(self.account());
        }
        out
    }

    fn account(&self) -> Vec<BrokerEvent> {
        let venue = self.venue.lock().unwrap();
        let now = chrono::Utc::now();
        let positions = Symbol::ALL
            .iter()
            .map(|s| {
                venue
                    .positions
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| Position::flat(*s, now))
            })
            .collect();
        vec![
            BrokerEvent::Positions { positions },
            BrokerEvent::Account {
                cash: venue.cash,
                equity: venue.equity(),
            },
        ]
    }
}

impl Broker for Handle {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Paper
    }

    /// The POST: the venue takes or refuses the order now; the app hears at the next poll.
    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent> {
        let mut me = self.0.lock().unwrap();
        me.book.track_submit(order);
        let mut venue = me.venue.lock().unwrap();
        // 422 "client_order_id must be unique": the order is already there.
        if venue.orders.iter().any(|o| o.coid == order.client_order_id) {
            return Vec::new();
        }
        let status = match venue.refusal(order) {
            Some(_) => "rejected",
            None => "new",
        };
        let id = format!("venue-{}", venue.orders.len() + 1);
        venue.orders.push(VenueOrder {
            id,
            coid: order.client_order_id.clone(),
            symbol: order.symbol,
            side: order.side,
            qty: order.qty,
            filled: Decimal::ZERO,
            notional: Decimal::ZERO,
            status,
            filled_at: None,
        });
        Vec::new()
    }

    fn cancel(&mut self, client_order_id: &ClientOrderId) -> Vec<BrokerEvent> {
        let me = self.0.lock().unwrap();
        let mut venue = me.venue.lock().unwrap();
        if let Some(o) = venue
            .orders
            .iter_mut()
            .find(|o| &o.coid == client_order_id && Venue::working(o))
        {
            o.status = "canceled";
        }
        Vec::new()
    }

    /// The market moves at the venue whether or not the app is running; see `Venue::on_bar`.
    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) -> Vec<BrokerEvent> {
        let me = self.0.lock().unwrap();
        me.venue.lock().unwrap().on_bar(symbol, bar);
        Vec::new()
    }
}

/// While no process runs, the venue still trades.
pub fn trade_while_down(venue: &Arc<Mutex<Venue>>, bars: &[(Symbol, Bar)]) {
    let mut v = venue.lock().unwrap();
    for (s, b) in bars {
        v.on_bar(*s, b);
    }
}
