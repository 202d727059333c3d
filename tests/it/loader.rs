//! The loader on real vendor files (trimmed copies in tests/fixtures).

use std::path::PathBuf;

use double_agent::data::load_file;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn alpha_vantage_descending_with_reverse_split_is_made_consistent() {
    let l = load_file(&fixture("TWM_raw_splits_2014.csv")).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert!(l.bars.windows(2).all(|w| w[0].time < w[1].time));
    // 1:4 reverse split on 2014-01-24: without adjustment the close jumps ~4x overnight.
    let i = l
        .bars
        .iter()
        .position(|b| b.time.date_naive().to_string() == "2014-01-24")
        .unwrap();
    let jump = l.bars[i].close / l.bars[i - 1].close;
    assert!(
        (0.8..1.25).contains(&jump),
        "split not adjusted: jump {jump}"
    );
}

#[test]
fn tiingo_yfinance_intraday_and_index_layouts_load() {
    for (name, min) in [
        ("IWM_tiingo_2024.csv", 70),
        ("IWM_15m_2025.csv", 190),
        ("IWM_1m_2019.csv", 290),
        ("RUT_head.csv", 190),
    ] {
        let l = load_file(&fixture(name)).unwrap();
        assert!(
            l.bars.len() >= min,
            "{name}: {} bars, {:?}",
            l.bars.len(),
            l.warnings
        );
    }
    let tiingo = load_file(&fixture("IWM_tiingo_2024.csv")).unwrap();
    assert!(tiingo.daily);
    // Raw close of 2024-04-01 is 208.32 (the adjusted column says 203.75).
    assert_eq!(tiingo.bars[0].close, 208.32);
    assert_eq!(
        tiingo.bars[0].time.to_rfc3339(),
        "2024-04-01T04:00:00+00:00"
    );
    let m1 = load_file(&fixture("IWM_1m_2019.csv")).unwrap();
    assert!(!m1.daily);
    assert_eq!(m1.bars[0].time.to_rfc3339(), "2019-12-17T16:00:00+00:00");
}

#[test]
fn bad_rows_fixture_loads_good_rows_and_names_each_bad_line() {
    let l = load_file(&fixture("bad_rows.csv")).unwrap();
    assert_eq!(l.bars.len(), 4);
    let got: Vec<(usize, bool)> = l
        .warnings
        .iter()
        .map(|w| (w.line, w.file.ends_with("bad_rows.csv")))
        .collect();
    assert_eq!(
        got,
        vec![
            (4, true),
            (5, true),
            (6, true),
            (7, true),
            (8, true),
            (9, true)
        ]
    );
}

/// The Russell index given as IWM is refused before anything trades on it; a run given only
/// IWM is told the Bear has no vehicle.
#[test]
fn an_index_file_as_iwm_is_refused_and_missing_vehicles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let rut = dir.path().join("RUT.csv");
    std::fs::write(
        &rut,
        "time,open,high,low,close,volume\n2025-01-02,2040,2050,2030,2044.10,1\n",
    )
    .unwrap();
    let err = double_agent::run::wiring::open_readers(std::slice::from_ref(&rut))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("close 2044.10 on 2025-01-02 is not an IWM price"),
        "{err}"
    );
    // The index's own history starts before IWM was listed, at prices IWM also had then.
    let rut = fixture("RUT_head.csv");
    let err = double_agent::run::wiring::open_readers(std::slice::from_ref(&rut))
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("before IWM was listed (2000-05-22)"), "{err}");
    let iwm = fixture("TWM_raw_splits_2014.csv");
    let why =
        double_agent::run::wiring::missing_vehicles(std::slice::from_ref(&iwm)).expect("warned");
    assert!(why.starts_with("no TWM or SRTY file given"), "{why}");
    let twm = double_agent::run::wiring::missing_vehicles(&[iwm.clone(), iwm.clone()]).unwrap();
    assert!(twm.starts_with("no SRTY file given"), "{twm}");
    assert!(
        double_agent::run::wiring::missing_vehicles(&[iwm.clone(), iwm.clone(), iwm]).is_none()
    );
}

/// An IWM file alone: the Bear's breaks find no vehicle price, so no entry is proposed (it
/// showed as "BUY 0 TWM @ 0"); the same bars with the vehicle's do propose entries.
#[test]
fn without_vehicle_bars_no_entry_of_zero_shares_is_proposed() {
    use double_agent::config::Config;
    use double_agent::data::embedded;
    use double_agent::engine::{Engine, EngineEvent, EngineOutput};
    use double_agent::model::Symbol;
    let (series, _) = embedded::series();
    let run = |with_vehicles: bool| {
        let mut cfg = Config::default_config();
        cfg.agents.mode = double_agent::config::AgentsMode::Book;
        let mut e = Engine::new(&cfg);
        let mut steps: Vec<_> = series
            .iter()
            .filter(|(s, _)| with_vehicles || *s == Symbol::Iwm)
            .flat_map(|(s, bars)| {
                bars.iter()
                    .map(move |b| (b.time, *s != Symbol::Iwm, *s, *b))
            })
            .collect();
        // Vehicles before IWM in a step, as a replay orders them.
        steps.sort_by_key(|(t, not_iwm, _, _)| (*t, !*not_iwm));
        let mut vehicle_entries = Vec::new();
        for (_, _, symbol, bar) in steps {
            for o in e.process(EngineEvent::Bar { symbol, bar }) {
                if let EngineOutput::Signal(d) = o {
                    if d.symbol != Symbol::Iwm && !d.kind.is_exit() {
                        vehicle_entries.push(d.qty);
                    }
                    // Nothing fills here: the agents stand down as after an unanswered signal.
                    e.process(EngineEvent::Unfilled { signal_id: d.id });
                }
            }
        }
        vehicle_entries
    };
    let with = run(true);
    assert!(
        !with.is_empty() && with.iter().all(|q| !q.is_zero()),
        "{with:?}"
    );
    assert_eq!(run(false), Vec::new());
}
