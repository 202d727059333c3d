//! HTTP side of FINRA: the paged short-interest API, the short-interest file, Reg SHO daily files.
//!
//! "No data" is not an error: the API answers 204 with an empty body, the CDN answers 403
//! (S3 AccessDenied XML) for a day that has no file (holiday, weekend, not yet posted).

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::{header::ACCEPT, StatusCode};
use serde_json::json;

use super::si::{merge_revisions, parse_si_json_rows};
use super::{parse_regsho, parse_si_pipe, FinraError, Parsed};
use crate::model::{ShortInterest, ShortVolume};

/// A runaway-paging guard: at 5000 rows a page this is far more than any symbol's history.
const MAX_PAGES: usize = 200;

#[derive(Debug, Clone)]
pub struct FinraClient {
    http: reqwest::Client,
    api: String,
    cdn: String,
    page_limit: usize,
}

impl FinraClient {
    /// `api`/`cdn` are bases without a trailing `/` (see [`super::finra_base`]).
    pub fn new(api: String, cdn: String, timeout: Duration, page_limit: usize) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("double-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        FinraClient {
            http,
            api,
            cdn,
            page_limit: page_limit.clamp(1, 5000),
        }
    }

    /// Every short-interest record of `symbol` settled in `[from, to]`, all pages, revisions merged.
    pub async fn short_interest(
        &self,
        symbol: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Parsed<ShortInterest>, FinraError> {
        let url = format!(
            "{}/data/group/otcMarket/name/consolidatedShortInterest",
            self.api
        );
        let mut all = Parsed::default();
        let mut offset = 0usize;
        for page_no in 0.. {
            if page_no == MAX_PAGES {
                return Err(FinraError::Paging {
                    url,
                    message: format!("still paging after {MAX_PAGES} pages ({offset} rows)"),
                });
            }
            let body = json!({
                "compareFilters": [
                    {"compareType": "EQUAL", "fieldName": "symbolCode", "fieldValue": symbol}
                ],
                "dateRangeFilters": [
                    {"fieldName": "settlementDate", "startDate": from.to_string(), "endDate": to.to_string()}
                ],
                "limit": self.page_limit,
                "offset": offset,
            });
            let resp = self
                .http
                .post(&url)
                .header(ACCEPT, "application/json")
                .json(&body)
                .send()
                .await
                .map_err(|e| http_err(&url, e))?;
            let status = resp.status();
            if status == StatusCode::NO_CONTENT {
                break; // 204 + empty body: nothing (more) to read
            }
            if !status.is_success() {
                return Err(FinraError::Status {
                    url,
                    status: status.as_u16(),
                });
            }
            let total = header_usize(&resp, "record-total");
            let bytes = resp.bytes().await.map_err(|e| http_err(&url, e))?;
            let page = parse_si_json_rows(&bytes)?;
            let got = page.rows.len() + page.skipped.len();
            all.rows.extend(page.rows);
            all.skipped.extend(page.skipped);
            offset += got;
            // Advance by rows received, not by the limit asked: the server may cap the page size.
            let done = match total {
                Some(t) => offset >= t,
                None => got < self.page_limit,
            };
            if done || got == 0 {
                break;
            }
        }
        all.rows = merge_revisions(all.rows);
        Ok(all)
    }

    /// The pipe file for one settlement date; `None` when the CDN has no such file (403/404).
    pub async fn short_interest_file(
        &self,
        settlement: NaiveDate,
        symbols: &[&str],
    ) -> Result<Option<Parsed<ShortInterest>>, FinraError> {
        let url = format!(
            "{}/equity/otcmarket/biweekly/shrt{}.csv",
            self.cdn,
            settlement.format("%Y%m%d")
        );
        let Some(text) = self.get_text(&url).await? else {
            return Ok(None);
        };
        parse_si_pipe(&text, symbols).map(Some)
    }

    /// The consolidated Reg SHO file for one trade date; `None` when there is none (HTTP 403).
    pub async fn regsho_day(
        &self,
        day: NaiveDate,
        symbols: &[&str],
    ) -> Result<Option<Parsed<ShortVolume>>, FinraError> {
        let url = format!(
            "{}/equity/regsho/daily/CNMSshvol{}.txt",
            self.cdn,
            day.format("%Y%m%d")
        );
        let Some(text) = self.get_text(&url).await? else {
            return Ok(None);
        };
        parse_regsho(&text, symbols).map(Some)
    }

    async fn get_text(&self, url: &str) -> Result<Option<String>, FinraError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| http_err(url, e))?;
        let status = resp.status();
        if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(FinraError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let bytes = resp.bytes().await.map_err(|e| http_err(url, e))?;
        // FINRA files are ASCII; a stray byte must not lose the whole day.
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

fn header_usize(resp: &reqwest::Response, name: &str) -> Option<usize> {
    resp.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

fn http_err(url: &str, e: reqwest::Error) -> FinraError {
    FinraError::Http {
        url: url.to_string(),
        message: e.to_string(),
    }
}
