//! The streamed file gives what `load_bars` gives: the same bars, the same skipped rows.
use std::io::Write;

use proptest::prelude::*;

use super::*;
use crate::data::load_bars;

/// What a generated row is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Good,
    NanPrice,
    HighBelowLow,
    Duplicate,
    Backwards,
    Garbage,
    Blank,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        40 => Just(Kind::Good),
        1 => Just(Kind::NanPrice),
        1 => Just(Kind::HighBelowLow),
        1 => Just(Kind::Duplicate),
        1 => Just(Kind::Backwards),
        1 => Just(Kind::Garbage),
        1 => Just(Kind::Blank),
    ]
}

/// CSV text of the rows: 1-minute bars (or daily ones, written as yfinance writes them),
/// oldest first unless `descending`.
fn text(kinds: &[Kind], daily: bool, descending: bool) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2020, 1, 2)
        .unwrap()
        .and_hms_opt(14, 30, 0)
        .unwrap();
    let time = |k: i64| {
        if daily {
            format!(
                "{} 00:00:00-05:00",
                (base + chrono::Duration::days(k)).date()
            )
        } else {
            format!("{}+00:00", base + chrono::Duration::minutes(k))
        }
    };
    let mut rows = Vec::new();
    let mut k = 0i64;
    for (i, kind) in kinds.iter().enumerate() {
        let p = 100.0 + (i % 17) as f64 * 0.25;
        let (t, o, h, l) = match kind {
            Kind::Good | Kind::Blank | Kind::Garbage => {
                k += 1;
                (time(k), p, p + 1.0, p - 1.0)
            }
            Kind::NanPrice => (time(k + 1), f64::NAN, p + 1.0, p - 1.0),
            Kind::HighBelowLow => (time(k + 1), p, p - 1.0, p + 1.0),
            Kind::Duplicate => (time(k), p, p + 1.0, p - 1.0),
            Kind::Backwards => (time(k - 3), p, p + 1.0, p - 1.0),
        };
        rows.push(match kind {
            Kind::Blank => ",,,,,".to_string(),
            Kind::Garbage => format!("not-a-time,{o},{h},{l},{p},1000"),
            _ => format!("{t},{o},{h},{l},{p},{}", 1000 + i),
        });
    }
    if descending {
        rows.reverse();
    }
    format!("Date,Open,High,Low,Close,Volume\n{}\n", rows.join("\n"))
}

fn streamed(text: &str) -> (BarReader, tempfile::TempPath) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let path = f.into_temp_path();
    (BarReader::open(&path).unwrap(), path)
}

/// Bars, and skipped rows as (line, why).
type Reading = (Vec<Bar>, Vec<(usize, String)>);

/// Both readings of the same text, as (bars, warnings without the file name).
fn both(text: &str) -> (Reading, Reading, bool) {
    let (reader, path) = streamed(text);
    let daily = reader.daily();
    let (mut bars, mut warned) = (Vec::new(), Vec::new());
    for item in reader {
        match item {
            Ok(b) => bars.push(b),
            Err(w) => warned.push((w.line, w.message)),
        }
    }
    let whole = load_bars(&path.display().to_string(), text).unwrap();
    let whole_warned = whole
        .warnings
        .into_iter()
        .map(|w| (w.line, w.message))
        .collect();
    assert_eq!(daily, whole.daily);
    ((bars, warned), (whole.bars, whole_warned), daily)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_streamed_file_reads_as_the_whole_file(
        kinds in prop::collection::vec(kind(), 1..2_500),
        daily in any::<bool>(),
    ) {
        prop_assume!(matches!(kinds[0], Kind::Good));
        let (streamed, whole, was_daily) = both(&text(&kinds, daily, false));
        prop_assert_eq!(was_daily, daily);
        prop_assert_eq!(streamed, whole);
    }
}

#[test]
fn a_long_file_is_streamed_and_its_late_bad_rows_come_in_line_order() {
    let mut kinds = vec![Kind::Good; 3_000];
    kinds[2_000] = Kind::NanPrice;
    kinds[2_500] = Kind::Duplicate;
    let text = text(&kinds, false, false);
    let (reader, _path) = streamed(&text);
    assert!(
        reader.rest.is_some(),
        "3,000 rows should be streamed, not read whole"
    );
    assert_eq!(reader.ahead.len(), LOOKAHEAD);
    let lines: Vec<usize> = reader.filter_map(|i| i.err()).map(|w| w.line).collect();
    assert_eq!(lines, [2_002, 2_502]);
    let (streamed, whole, _) = both(&text);
    assert_eq!(streamed, whole);
}

#[test]
fn newest_first_and_split_adjusted_files_are_read_whole() {
    let kinds = vec![Kind::Good; 2_000];
    let (reader, _path) = streamed(&text(&kinds, true, true));
    assert!(reader.rest.is_none());
    let bars: Vec<Bar> = reader.map(Result::unwrap).collect();
    assert_eq!(bars.len(), 2_000);
    assert!(bars.windows(2).all(|w| w[0].time < w[1].time));

    let split = "timestamp,open,high,low,close,volume,split_coefficient\n\
        2014-01-23,10,10.5,9.5,10,4000,1.0\n\
        2014-01-24,40,41,39,40,1000,0.25\n";
    let (reader, _path) = streamed(split);
    let closes: Vec<f64> = reader.map(|b| b.unwrap().close).collect();
    assert_eq!(closes, [40.0, 40.0]);
}
