//! The loader's layouts, quirks and refusals, row by row.
use super::*;

#[test]
fn yfinance_daily_with_offsets_and_extra_columns() {
    let text = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits,Capital Gains,ticker\n\
        2025-02-24 00:00:00-05:00,216.35,216.36,212.75,213.82,30246200,0.0,0.0,0.0,IWM\n\
        2025-04-01 00:00:00-04:00,197.21,199.43,194.90,197.73,26054100,0.0,0.0,0.0,IWM\n";
    let l = load_bars("t.csv", text).unwrap();
    assert!(l.daily && l.warnings.is_empty());
    assert_eq!(l.bars[0].time.to_rfc3339(), "2025-02-24T05:00:00+00:00");
    assert_eq!(l.bars[1].time.to_rfc3339(), "2025-04-01T04:00:00+00:00");
}

#[test]
fn any_column_order_and_header_case() {
    let text = "DATETIME,close,HIGH,low,Open,VOLUME\n2025-05-29 13:30:00+00:00,205.8,207.0,205.7,206.9,4200807\n";
    let l = load_bars("t.csv", text).unwrap();
    assert!(!l.daily);
    let b = l.bars[0];
    assert_eq!(
        (b.open, b.high, b.low, b.close, b.volume),
        (206.9, 207.0, 205.7, 205.8, 4200807.0)
    );
}

#[test]
fn descending_raw_prices_are_reversed_and_split_adjusted() {
    // A 1:4 reverse split on the 24th: the day before traded at 10, after at ~40.
    let text =
        "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n\
        2014-01-27,41,42,39,40,40,1000,0,1.0\n\
        2014-01-24,40,41,39,40,40,1000,0,0.25\n\
        2014-01-23,10,10.5,9.5,10,10,4000,0,1.0\n";
    let l = load_bars("av.csv", text).unwrap();
    assert_eq!(l.bars.len(), 3);
    assert!(l.bars[0].time < l.bars[2].time);
    assert_eq!(l.bars[0].close, 40.0);
    assert_eq!(l.bars[0].volume, 1000.0);
    assert_eq!(l.bars[2].close, 40.0);
}

#[test]
fn bad_rows_are_skipped_with_their_line_numbers() {
    let text = "time,open,high,low,close,volume\n\
        2025-01-02,10,11,9,10.5,100\n\
        2025-01-03,10,9,11,10,100\n\
        2025-01-06,NaN,11,9,10,100\n\
        2025-01-07,12,11,9,10,100\n\
        2025-01-08,10,11,9,10,-1\n\
        2025-01-08,10,11,9,10,1\n\
        2025-01-03,10,11,9,10,1\n\
        garbage,1,1,1,1,1\n\
        2025-01-09,0,11,0,10,1\n\
        2025-01-10,10,11,9,10.5,100\n";
    let l = load_bars("bad.csv", text).unwrap();
    assert_eq!(l.bars.len(), 3, "{:?}", l.warnings);
    let lines: Vec<usize> = l.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 8, 9, 10]);
    assert!(l.warnings.iter().all(|w| w.file == "bad.csv"));
    assert!(l.warnings[0].to_string().starts_with("bad.csv:3: skipped:"));
}

#[test]
fn missing_column_is_a_clear_error() {
    let err = load_bars("x.csv", "time,open,high,close\n2025-01-02,1,2,1.5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.csv") && err.contains("`low`"), "{err}");
}

#[test]
fn fields_padded_with_spaces_read_and_a_row_of_spaces_is_blank() {
    let text = " time , open ,high,low, close ,volume\n 2025-01-02 , 10 , 11 ,9, 10.5 , 100 \n  ,  , ,,,\n";
    let l = load_bars("pad.csv", text).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let b = l.bars[0];
    assert_eq!((b.open, b.close, b.volume), (10.0, 10.5, 100.0));
}
