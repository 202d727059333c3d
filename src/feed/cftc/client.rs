//! HTTP side of the CFTC: one SoQL query per contract code, newest first.

use std::time::Duration;

use reqwest::header::ACCEPT;

use super::{parse_tff_json, CftcError};
use crate::feed::finra::Parsed;
use crate::model::FuturesPositioning;

#[derive(Debug, Clone)]
pub struct CftcClient {
    http: reqwest::Client,
    base: String,
    dataset: String,
}

impl CftcClient {
    /// `base` without a trailing `/` (see [`super::cftc_base`]); `dataset` e.g. `gpe5-46if`.
    pub fn new(base: String, dataset: String, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("double-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        CftcClient {
            http,
            base,
            dataset,
        }
    }

    /// The newest `limit` weekly rows of contract `code`, returned oldest first.
    pub async fn positions(
        &self,
        code: &str,
        market: &str,
        limit: usize,
    ) -> Result<Parsed<FuturesPositioning>, CftcError> {
        let url = format!("{}/resource/{}.json", self.base, self.dataset);
        // Codes come from our config, but quote-escape anyway: SoQL strings use '' for '.
        let code_q = code.replace('\'', "''");
        let resp = self
            .http
            .get(&url)
            .header(ACCEPT, "application/json")
            .query(&[
                ("$where", format!("cftc_contract_market_code='{code_q}'")),
                ("$order", "report_date_as_yyyy_mm_dd DESC".to_string()),
                ("$limit", limit.max(1).to_string()),
            ])
            .send()
            .await
            .map_err(|e| CftcError::Http {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(CftcError::Status {
                url,
                status: status.as_u16(),
            });
        }
        let bytes = resp.bytes().await.map_err(|e| CftcError::Http {
            url: url.clone(),
            message: e.to_string(),
        })?;
        parse_tff_json(&bytes, &[(code.to_string(), market.to_string())])
    }
}
