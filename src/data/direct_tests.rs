//! Where the one pass reads a row, the general path reads the same row.
use proptest::prelude::*;

use super::super::loader::{header, parse_record};
use super::super::rows::Rows;
use super::*;

/// A row as bits: time, date, midnight, prices, volume, split, line.
type Key = (i64, chrono::NaiveDate, bool, [u64; 6], usize);

fn key(r: &Row) -> Key {
    let b = &r.bar;
    let v = [b.open, b.high, b.low, b.close, b.volume, r.split].map(f64::to_bits);
    (
        b.time.timestamp(),
        r.stamp.local_date,
        r.stamp.midnight,
        v,
        r.line,
    )
}

/// Each record of `text` (after its header): the one pass's row, if it reads one, against the
/// general path's. Returns how many the one pass read.
fn same(text: &str) -> usize {
    let mut rows = Rows::new(text.as_bytes());
    let cols = header("t.csv", &mut rows).unwrap();
    let mut direct = 0;
    for line in 2.. {
        match rows.read() {
            Ok(false) => break,
            Ok(true) => {
                let fast = rows.plain_ascii().and_then(|r| row(&cols, r, line));
                let general = parse_record(&cols, &rows.fields(), line);
                if let Some(fast) = fast {
                    let general = general.ok().flatten();
                    assert_eq!(Some(key(&fast)), general.as_ref().map(key), "{text:?}");
                    direct += 1;
                }
            }
            Err(_) => {}
        }
    }
    direct
}

#[test]
fn the_files_rows_take_the_one_pass() {
    let minute = "timestamp,open,high,low,close,volume\n\
        2010-01-04T14:30:00Z,200.0216,200.2741,199.7475,200.0000,87911\n\
        2010-01-04T14:31:00Z,-1,+2.5,0.0001,3,0\n";
    assert_eq!(same(minute), 2);
    let daily = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits,Capital Gains,ticker\n\
        2000-05-26 00:00:00-04:00,32.59203784236008,32.726253509521484,32.43545289733845,\
        32.726253509521484,74800,0.0,0.0,0.0,IWM\n";
    assert_eq!(same(daily), 1);
    // Columns in another order, one unread between them, a split column.
    let other = "volume,close,x,low,high,open,time,splitfactor\n\
        10,1.5,zz,1,2,1.25,2016-01-04T00:00:00Z,2\n\
        10,1.5,zz,1,2,1.25,2016-01-05T00:00:00Z,0\n";
    assert_eq!(same(other), 2);
}

#[test]
fn rows_it_leaves_to_the_general_path() {
    let text = "time,open,high,low,close,volume\n\
        2025-01-02,1,2,0.5,1.5,10\n\
        2010-01-04T14:30:00Z, 1,2,0.5,1.5,10\n\
        2010-01-04T14:30:00Z,1,2,0.5,1.5,10 \n\
        2010-01-04T14:30:00Z,1,2,0.5,1.5,1e3\n\
        2010-01-04T14:30:00Z,1,2,0.5,1.5\n\
        2010-01-04T14:30:00Z,5.,2,0.5,1.5,10\n\
        2010-01-04T14:30:00Z,1,2,0.5,1.5,\n\
        ,,,,,\n";
    assert_eq!(same(text), 0);
}

/// A field's text: mostly what files hold, often nearly so.
fn field(time: bool) -> BoxedStrategy<String> {
    let numbers = prop_oneof![
        6 => "[-+]?[0-9]{1,4}(\\.[0-9]{1,4})?",
        3 => "[0-9]{1,3}\\.[0-9]{10,18}",
        2 => "[-+]?[0-9]{0,21}(\\.[0-9]{0,21})?",
        1 => "[ 0-9.eEn,a]{0,6}",
    ];
    if time {
        prop_oneof![
            4 => (2000u32..2030, 1u32..13, 1u32..32, 0u32..25, 0u32..61)
                .prop_map(|(y, m, d, h, s)| format!("{y}-{m:02}-{d:02}T{h:02}:{s:02}:00Z")),
            4 => (2000u32..2030, 1u32..13, 1u32..32, 0u32..2, 0u32..6)
                .prop_map(|(y, m, d, h, o)| format!("{y}-{m:02}-{d:02} {h:02}:00:00-0{o}:00")),
            1 => "[0-9 :TZ+-]{0,26}",
            1 => numbers,
        ]
        .boxed()
    } else {
        numbers.boxed()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn random_rows(
        names in Just(vec!["time", "open", "high", "low", "close", "volume", "split_coefficient", "x"])
            .prop_shuffle(),
        width in 5usize..9,
        rows in proptest::collection::vec(
            (field(true), proptest::collection::vec(field(false), 8)),
            1..6,
        ),
    ) {
        let names = &names[..width];
        let mut text = names.join(",");
        for (time, mut numbers) in rows {
            text.push('\n');
            let cells: Vec<String> = names
                .iter()
                .map(|n| if *n == "time" { time.clone() } else { numbers.pop().unwrap() })
                .collect();
            text.push_str(&cells.join(","));
        }
        text.push('\n');
        // Files missing a column the loader needs have no rows to compare.
        if ["time", "open", "high", "low", "close"].iter().all(|n| names.contains(n)) {
            same(&text);
        }
    }
}
