//! Reg SHO daily short-sale volume files (`CNMSshvol{YYYYMMDD}.txt` and the per-facility files).
//!
//! Layout: a header row, pipe-delimited rows, CRLF or LF, and in FINRA's own files a trailer line
//! holding the record count. Volumes became fractional in 2026, so they are read as `f64`.
//! This is short *volume* (trades marked short that day), not short interest.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

use super::{parse_number, FinraError, Parsed, PipeHeader};
use crate::model::ShortVolume;

/// Parse one Reg SHO daily file. `symbols` empty = keep all. A repeated (date, symbol) row within
/// the file is dropped (the FNYX file repeats IWM 2011-05-31), so summing facilities stays right.
pub fn parse_regsho(text: &str, symbols: &[&str]) -> Result<Parsed<ShortVolume>, FinraError> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header = PipeHeader::read(&mut lines)?;
    let col = |name: &'static str| header.col(name);
    let (c_date, c_sym, c_short, c_total) = (
        col("Date")?,
        col("Symbol")?,
        col("ShortVolume")?,
        col("TotalVolume")?,
    );
    let c_exempt = col("ShortExemptVolume").ok();
    let mut out = Parsed::default();
    let mut seen: HashSet<(NaiveDate, &str)> = HashSet::new();
    let mut f: Vec<&str> = Vec::new();
    let mut data_rows = 0usize;
    let mut trailer: Option<usize> = None;
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        f.clear();
        f.extend(line.split('|').map(str::trim));
        if f.len() == 1 {
            // The trailer: a lone record count. Anything else on its own is noise.
            match f[0].parse::<usize>() {
                Ok(n) => trailer = Some(n),
                Err(_) if f[0].is_empty() => {}
                Err(_) => out.skipped.push(format!("line {line_no}: not a row")),
            }
            continue;
        }
        data_rows += 1;
        let get = |c: usize| f.get(c).copied().unwrap_or("");
        let symbol = get(c_sym);
        if !symbols.is_empty() && !symbols.contains(&symbol) {
            continue;
        }
        let Some(date) = yyyymmdd(get(c_date)) else {
            out.skipped
                .push(format!("line {line_no}: bad Date {:?}", get(c_date)));
            continue;
        };
        let (Some(short), Some(total)) = (parse_number(get(c_short)), parse_number(get(c_total)))
        else {
            out.skipped.push(format!("line {line_no}: bad volume"));
            continue;
        };
        let exempt = c_exempt.and_then(|c| parse_number(get(c))).unwrap_or(0.0);
        if short < 0.0 || total < 0.0 || exempt < 0.0 || symbol.is_empty() {
            out.skipped
                .push(format!("line {line_no}: negative volume or no symbol"));
            continue;
        }
        if !seen.insert((date, symbol)) {
            out.skipped
                .push(format!("line {line_no}: repeated {symbol} {date}, dropped"));
            continue;
        }
        out.rows.push(ShortVolume {
            symbol: symbol.to_string(),
            date,
            short_volume: short,
            short_exempt_volume: exempt,
            total_volume: total,
        });
    }
    if let Some(n) = trailer.filter(|n| *n != data_rows) {
        out.skipped
            .push(format!("trailer says {n} rows, file has {data_rows}"));
    }
    Ok(out)
}

/// A `YYYYMMDD` date as `NaiveDate::parse_from_str(s, "%Y%m%d")` reads it: eight digits directly
/// (chrono's format parser was a seventh of the bundled file's parse), anything else by chrono.
fn yyyymmdd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let fast = (b.len() == 8)
        .then(|| NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?))
        .flatten();
    fast.or_else(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
}

/// FINRA's consolidated figure for a day ≈ the sum over the trade-reporting facilities' files.
/// Output is sorted by symbol, then date.
pub fn merge_facilities(files: Vec<Vec<ShortVolume>>) -> Vec<ShortVolume> {
    let mut sum: BTreeMap<(String, NaiveDate), ShortVolume> = BTreeMap::new();
    for row in files.into_iter().flatten() {
        sum.entry((row.symbol.clone(), row.date))
            .and_modify(|s| {
                s.short_volume += row.short_volume;
                s.short_exempt_volume += row.short_exempt_volume;
                s.total_volume += row.total_volume;
            })
            .or_insert(row);
    }
    sum.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    proptest::proptest! {
        /// Eight digits read directly, anything else by chrono: chrono's answer either way.
        #[test]
        fn dates_read_as_chrono_reads_them(s in "[0-9]{8}|[0-9 +-]{0,10}|(19|20)[0-9]{2}(0[0-9]|1[0-3])[0-3][0-9]") {
            proptest::prop_assert_eq!(yyyymmdd(&s), NaiveDate::parse_from_str(&s, "%Y%m%d").ok());
        }
    }

    #[test]
    fn every_day_of_four_centuries_reads_as_chrono_reads_it() {
        let mut day = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap();
        while day.year() < 2250 {
            let s = day.format("%Y%m%d").to_string();
            assert_eq!(yyyymmdd(&s), Some(day), "{s}");
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn crlf_trailer_and_fractions() {
        let text = "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\r\n\
                    20260102|IWM|100.5|0|200.25|B,Q,N\r\n20260102|TWM|1|0|4|Q,N\r\n2\r\n";
        let p = parse_regsho(text, &["IWM"]).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        assert_eq!(p.rows[0].short_volume, 100.5);
        let bad_trailer = parse_regsho(&text.replace("\r\n2\r\n", "\r\n5\r\n"), &[]).unwrap();
        assert_eq!(bad_trailer.skipped.len(), 1);
    }

    #[test]
    fn repeated_row_is_dropped_before_summing() {
        let fnyx = "Date|Symbol|Short Volume|Short Exempt Volume|Total Volume|Market Center\n\
                    20110531|IWM|10|0|20|N\n20110531|IWM|10|0|20|N\n";
        let fnsq = "Date|Symbol|Short Volume|Short Exempt Volume|Total Volume|Market Center\n\
                    20110531|IWM|5|1|10|Q\n";
        let a = parse_regsho(fnyx, &[]).unwrap();
        assert_eq!(a.skipped.len(), 1);
        let b = parse_regsho(fnsq, &[]).unwrap();
        let m = merge_facilities(vec![a.rows, b.rows]);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].short_volume, m[0].total_volume), (15.0, 30.0));
    }
}
