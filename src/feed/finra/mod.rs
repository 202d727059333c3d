//! FINRA: consolidated short interest (API, pipe file fallback) and Reg SHO daily short volume.
//!
//! Parsers are pure and public (the fuzz targets call them); the HTTP side lives in [`client`].
//! Nothing here panics on outside data: bad rows are skipped and named in [`Parsed::skipped`].

pub mod client;
pub mod regsho;
pub mod si;

use crate::config::Config;

pub use regsho::{merge_facilities, parse_regsho};
pub use si::{enrich_series, parse_si_json, parse_si_pipe, settlement_dates_before};

/// Health source names, as shown in the status bar.
pub const SOURCE_SI: &str = "finra-si";
pub const SOURCE_REGSHO: &str = "finra-regsho";

/// Rows a parser accepted, and a line per row it skipped (with the reason).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub rows: Vec<T>,
    pub skipped: Vec<String>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            rows: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FinraError {
    #[error("FINRA response is not JSON: {0}")]
    Json(String),
    #[error("FINRA response is not a JSON array of rows")]
    NotArray,
    #[error("FINRA file has no header row")]
    NoHeader,
    #[error("FINRA file has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("FINRA request to {url} failed: {message}")]
    Http { url: String, message: String },
    #[error("FINRA {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("FINRA paging went wrong at {url}: {message}")]
    Paging { url: String, message: String },
}

/// The FINRA API base: `FINRA_API_URL` from `env` wins over the config. A trailing `/` is dropped.
pub fn finra_base(cfg: &Config, env: impl Fn(&str) -> Option<String>) -> String {
    pick_base(env("FINRA_API_URL"), &cfg.finra.api_url)
}

/// The FINRA CDN base (Reg SHO daily files, short-interest files). `FINRA_CDN_URL` overrides it,
/// so a test or a mirror can serve both the API and the files.
pub fn finra_cdn_base(cfg: &Config, env: impl Fn(&str) -> Option<String>) -> String {
    pick_base(env("FINRA_CDN_URL"), &cfg.finra.cdn_url)
}

pub(crate) fn pick_base(env_value: Option<String>, configured: &str) -> String {
    let chosen = env_value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| configured.to_string());
    chosen.trim_end_matches('/').to_string()
}

/// Parse a volume or share count that may be an integer, a decimal (Reg SHO since 2026) or empty.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    // Copied without its thousands separators only if it has any (a copy a field was a third
    // of the bundled Reg SHO file's parse).
    let v = if t.contains(',') {
        t.replace(',', "").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    v.ok().filter(|v| v.is_finite())
}

/// Header names differ between files ("ShortVolume" vs "Short Volume"): compare them folded.
pub(crate) fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The header row of a pipe-delimited FINRA file (short interest, Reg SHO): columns are found by
/// folded name, so case, spaces and column order do not matter.
pub(crate) struct PipeHeader(Vec<String>);

impl PipeHeader {
    /// Read the first non-blank line of `lines` as the header.
    pub(crate) fn read<'a>(lines: &mut impl Iterator<Item = &'a str>) -> Result<Self, FinraError> {
        let line = lines
            .find(|l| !l.trim().is_empty())
            .ok_or(FinraError::NoHeader)?;
        Ok(PipeHeader(line.split('|').map(fold).collect()))
    }

    pub(crate) fn col(&self, name: &'static str) -> Result<usize, FinraError> {
        self.0
            .iter()
            .position(|h| *h == fold(name))
            .ok_or(FinraError::MissingColumn(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The copy without separators only when there are any: what the copy always gave.
        #[test]
        fn numbers_read_as_with_the_copy(s in "[0-9,. e+-]{0,12}|[0-9]{1,3}(,[0-9]{3}){0,4}(\\.[0-9]{0,3})?") {
            let old = s.trim().replace(',', "").parse::<f64>().ok().filter(|v| v.is_finite());
            let old = old.filter(|_| !s.trim().is_empty());
            proptest::prop_assert_eq!(parse_number(&s).map(f64::to_bits), old.map(f64::to_bits));
        }
    }

    #[test]
    fn env_wins_and_trailing_slash_goes() {
        let cfg = Config::default_config();
        assert_eq!(finra_base(&cfg, |_| None), "https://api.finra.org");
        let env = |k: &str| (k == "FINRA_API_URL").then(|| "http://127.0.0.1:9/".to_string());
        assert_eq!(finra_base(&cfg, env), "http://127.0.0.1:9");
        assert_eq!(finra_cdn_base(&cfg, env), "https://cdn.finra.org");
        assert_eq!(
            finra_base(&cfg, |_| Some("  ".into())),
            "https://api.finra.org"
        );
    }

    #[test]
    fn numbers_may_be_fractional_or_blank() {
        assert_eq!(parse_number("123.5"), Some(123.5));
        assert_eq!(parse_number(" 7 "), Some(7.0));
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(fold("Short Volume"), fold("ShortVolume"));
    }
}
