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

#[test]
fn a_split_already_in_the_prices_is_not_applied_twice_and_is_named() {
    // Adjusted prices beside the vendor's split column: the 2:1 split on the 9th shows no jump.
    let text = "timestamp,open,high,low,close,volume,split_coefficient\n\
        2005-06-10,61,62,60,61.5,1000,1.0\n\
        2005-06-09,60.5,61,59.5,60.7,1000,2.0\n\
        2005-06-08,60,61,59,60.12,1000,1.0\n";
    let l = load_bars("av.csv", text).unwrap();
    assert_eq!(l.bars.len(), 3);
    assert_eq!(l.bars[0].close, 60.12, "not halved a second time");
    let w = &l.warnings[0];
    assert!(!w.skipped, "{w}");
    assert_eq!(
        w.to_string(),
        "av.csv:3: split 2 on 2005-06-09 is already in the prices (close 60.12 the day before, \
         open 60.50): not applied again"
    );
}

#[test]
fn a_one_day_move_no_etf_makes_is_named_with_its_date() {
    let text = "time,open,high,low,close,volume\n\
        2021-01-20,50,51,49,50.25,100\n\
        2021-01-21,11,11,10,10.5,100\n\
        2021-01-22,10.5,11,10,10.8,100\n";
    let l = load_bars("SRTY.csv", text).unwrap();
    assert_eq!(l.bars.len(), 3, "the row loads; the trader is told");
    let got: Vec<String> = l.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        got,
        [
            "SRTY.csv:3: impossible one-day move on 2021-01-21: close 50.25 → 10.50 (-79 %); are \
          the prices already split-adjusted, or another symbol's?"
        ]
    );
}

#[test]
fn a_skipped_bar_names_its_prices_as_prices() {
    let text = "time,open,high,low,close,volume\n\
        2025-12-26,30.3700008392334,30.889999389648438,30.440000534057617,30.739999771118164,1\n";
    let e = load_bars("TWM.csv", text).unwrap_err().to_string();
    assert!(e.contains("1 rows skipped"), "{e}");
    let l = load_bars("TWM.csv", &format!("{text}2025-12-29,30,31,29,30.5,1\n")).unwrap();
    assert_eq!(
        l.warnings[0].skipped_line(),
        "line 2: skipped: impossible bar at 2025-12-26: open 30.37 outside [low 30.44, high 30.89]"
    );
}
