//! Typed Trading API calls: clock, calendar, account, positions, orders.

use chrono::NaiveDate;
use chrono_tz::America::New_York;

use super::wire::{Account, CalendarDay, Clock, NewOrder, Order, WirePosition};
use super::{AlpacaClient, AlpacaError, Api};

/// Orders per page of `GET /v2/orders` (the API maximum).
const ORDERS_LIMIT: u32 = 500;

impl AlpacaClient {
    pub async fn clock(&self) -> Result<Clock, AlpacaError> {
        self.get(Api::Trading, "/v2/clock", &[]).await
    }

    /// Trading days from `start` to `end`, inclusive, with their (possibly early) closes.
    pub async fn calendar(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CalendarDay>, AlpacaError> {
        // The spec types these as date-time: send New York midnight of each date, which the
        // server reads as that trading date (a bare date would fail strict validators).
        let at = |d: NaiveDate| {
            crate::model::ny_day::ny_midnight(d)
                .map(|t| t.with_timezone(&New_York).to_rfc3339())
                .unwrap_or_else(|| d.format("%Y-%m-%d").to_string())
        };
        let q = [("start", at(start)), ("end", at(end))];
        self.get(Api::Trading, "/v2/calendar", &q).await
    }

    pub async fn account(&self) -> Result<Account, AlpacaError> {
        self.get(Api::Trading, "/v2/account", &[]).await
    }

    pub async fn positions(&self) -> Result<Vec<WirePosition>, AlpacaError> {
        self.get(Api::Trading, "/v2/positions", &[]).await
    }

    /// Working orders (`status=open`), flat (no legs: we send simple orders only).
    pub async fn open_orders(&self) -> Result<Vec<Order>, AlpacaError> {
        let q = [
            ("status", "open".to_string()),
            ("limit", ORDERS_LIMIT.to_string()),
            ("direction", "asc".to_string()),
            ("nested", "false".to_string()),
        ];
        self.get(Api::Trading, "/v2/orders", &q).await
    }

    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, AlpacaError> {
        let path = format!("/v2/orders/{}", path_segment(order_id));
        self.get_opt(Api::Trading, &path, &[]).await
    }

    /// `None` = Alpaca has no order with this client_order_id (404).
    pub async fn order_by_client_id(
        &self,
        client_order_id: &str,
    ) -> Result<Option<Order>, AlpacaError> {
        let q = [("client_order_id", client_order_id.to_string())];
        self.get_opt(Api::Trading, "/v2/orders:by_client_order_id", &q)
            .await
    }

    /// Sent once; see the broker for what happens after an ambiguous failure.
    pub async fn submit_order(&self, order: &NewOrder) -> Result<Order, AlpacaError> {
        self.post("/v2/orders", order).await
    }

    pub async fn cancel_order(&self, order_id: &str) -> Result<(), AlpacaError> {
        self.delete(&format!("/v2/orders/{}", path_segment(order_id)))
            .await
    }
}

/// Order ids are UUIDs; anything else is percent-encoded so it cannot change the path.
fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
