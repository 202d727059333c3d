//! Bar files that are not bar files: an endless line, a runaway field, a price of 1e308. Each is
//! a short error or a skipped row naming its line, with memory bounded by the line limit.

use std::io::Write;

use double_agent::data::{load_file, BarReader};

const HEADER: &str = "time,open,high,low,close,volume\n";

fn good_rows(from_day: u32, n: u32, price: f64) -> String {
    (0..n)
        .map(|i| {
            let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                + chrono::Duration::days((from_day + i) as i64);
            format!("{d},{price},{},{},{price},1000\n", price + 1.0, price - 1.0)
        })
        .collect()
}

#[test]
fn dev_zero_is_a_short_error_not_a_runaway_read() {
    let zero = std::path::Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    for err in [
        load_file(zero).unwrap_err().to_string(),
        BarReader::open(zero).err().unwrap().to_string(),
    ] {
        assert!(err.contains("longer than 64 KiB"), "{err}");
        assert!(err.len() < 200, "{err}");
    }
}

#[test]
fn a_runaway_line_mid_file_ends_the_file_with_one_short_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iwm.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    // Past the reader's look-ahead, so the runaway line is met while streaming.
    write!(f, "{HEADER}{}", good_rows(0, 1_500, 100.0)).unwrap();
    f.write_all(&vec![b'9'; 5_000_000]).unwrap();
    drop(f);
    let items: Vec<_> = BarReader::open(&path).unwrap().collect();
    let bars = items.iter().filter(|i| i.is_ok()).count();
    let warnings: Vec<String> = items
        .iter()
        .filter_map(|i| i.as_ref().err().map(|w| w.to_string()))
        .collect();
    assert_eq!(bars, 1_500);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("line 1502") && warnings[0].len() < 200,
        "{warnings:?}"
    );
    let err = load_file(&path).unwrap_err().to_string();
    assert!(err.contains("line 1502") && err.len() < 200, "{err}");
}

#[test]
fn a_long_field_is_quoted_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iwm.csv");
    let field = "7".repeat(60_000);
    let text = format!("{HEADER}{}{field},1,2,0.5,1,10\n", good_rows(0, 3, 100.0));
    std::fs::write(&path, text).unwrap();
    let loaded = load_file(&path).unwrap();
    assert_eq!(loaded.bars.len(), 3);
    let w = loaded.warnings[0].to_string();
    assert!(
        w.contains(":5:") && w.contains("60000 bytes") && w.len() < 200,
        "{w}"
    );
}

#[test]
fn a_price_of_1e308_is_skipped_and_named_and_poisons_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iwm.csv");
    let text = format!(
        "{HEADER}{}2024-03-01,1e308,1e308,100,1e308,1000\n{}",
        good_rows(0, 30, 100.0),
        good_rows(61, 30, 100.0)
    );
    std::fs::write(&path, text).unwrap();
    let loaded = load_file(&path).unwrap();
    assert_eq!(loaded.bars.len(), 60);
    assert!(loaded.bars.iter().all(|b| b.high < 1e6));
    assert_eq!(loaded.warnings.len(), 1);
    let w = loaded.warnings[0].to_string();
    assert!(w.contains(":32:") && w.contains("1e308"), "{w}");
}
