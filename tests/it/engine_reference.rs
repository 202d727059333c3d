//! The streaming indicators against TA-Lib: after 250 bars of warm-up every value agrees to 1e-6
//! relative, on daily and 5-minute IWM bars (trimmed fixtures in tests/fixtures/engine).

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use double_agent::config::Config;
use double_agent::data::load_file;
use double_agent::engine::{write_indicators_csv, Engine, EngineEvent, EngineOutput};
use double_agent::model::Symbol;

const WARM_UP: usize = 250;
const COLUMNS: [&str; 7] = [
    "rsi14",
    "atr14",
    "sma50",
    "sma100",
    "sma200",
    "ema20",
    "vol_sma20",
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/engine")
        .join(name)
}

fn parse_time(s: &str) -> DateTime<Utc> {
    // Our report dates daily bars by their session.
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return double_agent::data::loader::session_midnight(d);
    }
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%:z"))
        .unwrap_or_else(|e| panic!("time {s}: {e}"))
        .with_timezone(&Utc)
}

/// time → the seven values (None = empty cell), from a CSV with our header.
fn table(text: &str) -> Vec<(DateTime<Utc>, [Option<f64>; 7])> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let idx: Vec<usize> = COLUMNS
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .unwrap_or_else(|| panic!("no {c}"))
        })
        .collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let vals = std::array::from_fn(|k| f[idx[k]].parse::<f64>().ok());
            (parse_time(f[0]), vals)
        })
        .collect()
}

fn compare(bars_file: &str, reference_file: &str) -> usize {
    let cfg = Config::default_config();
    let loaded = load_file(&fixture(bars_file)).expect("fixture loads");
    let mut ours = Vec::new();
    write_indicators_csv(&loaded.bars, &cfg, &mut ours).expect("write to a Vec");
    let ours = table(&String::from_utf8(ours).expect("utf-8"));
    let reference: HashMap<_, _> =
        table(&std::fs::read_to_string(fixture(reference_file)).unwrap())
            .into_iter()
            .collect();
    assert_eq!(
        ours.len(),
        reference.len(),
        "every bar loads and is reported"
    );
    let mut checked = 0;
    for (row, (time, vals)) in ours.iter().enumerate().skip(WARM_UP) {
        let want = reference
            .get(time)
            .unwrap_or_else(|| panic!("no reference row at {time}"));
        for k in 0..COLUMNS.len() {
            let (Some(a), Some(b)) = (vals[k], want[k]) else {
                panic!(
                    "{} at {time} (row {row}): ours {:?}, TA-Lib {:?}",
                    COLUMNS[k], vals[k], want[k]
                );
            };
            let rel = (a - b).abs() / b.abs().max(1e-12);
            assert!(
                rel <= 1e-6,
                "{} at {time}: ours {a}, TA-Lib {b}, rel {rel:e}",
                COLUMNS[k]
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn daily_indicators_match_talib() {
    assert_eq!(
        compare("IWM_daily_600.csv", "IWM_daily_600_talib.csv"),
        350 * 7
    );
}

#[test]
fn five_minute_indicators_match_talib() {
    assert_eq!(compare("IWM_5m_900.csv", "IWM_5m_900_talib.csv"), 650 * 7);
}

#[test]
fn the_engine_reports_the_same_rows_as_the_csv() {
    let cfg = Config::default_config();
    let bars = load_file(&fixture("IWM_daily_600.csv")).unwrap().bars;
    let mut engine = Engine::new(&cfg);
    let mut rows = Vec::new();
    for bar in &bars {
        for out in engine.process(EngineEvent::Bar {
            symbol: Symbol::Iwm,
            bar: *bar,
        }) {
            if let EngineOutput::Indicators(r) = out {
                rows.push(r);
            }
        }
    }
    assert_eq!(rows.len(), bars.len(), "one Indicators output per IWM bar");
    let mut csv = Vec::new();
    write_indicators_csv(&bars, &cfg, &mut csv).unwrap();
    let csv = table(&String::from_utf8(csv).unwrap());
    for (r, (t, v)) in rows.iter().zip(&csv) {
        assert_eq!(r.time, *t);
        assert_eq!(
            [
                r.rsi,
                r.atr,
                r.sma_fast,
                r.sma_mid,
                r.sma_slow,
                r.ema,
                r.volume_sma
            ],
            *v
        );
    }
    // Warm-up cells are empty, not ta's partial averages.
    assert_eq!(csv[48].1[2], None);
    assert!(csv[49].1[2].is_some());
}
