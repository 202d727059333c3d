//! The real binary: headless JSON lines, config errors that name key and file, --help.

use std::process::Command;

use chrono::TimeZone;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_double-agent"));
    // One data dir per run: a recording session locks its data dir.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Under cargo's scratch dir for integration tests, not the system's /tmp, which they littered.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{}-{n}", std::process::id()));
    // Its own config home: a config file of the machine running the tests is not read.
    c.env("XDG_CONFIG_HOME", dir.join("config"))
        .env("DOUBLE_AGENT_DATA_DIR", dir);
    c
}

/// A headless run's stdout, one JSON object a line, once it exited 0.
fn headless_events(out: std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn headless_replay_prints_bars_of_all_three_symbols_and_exits_zero() {
    let out = bin()
        .args(["--headless", "--speed", "0", "--start", "2025-11-01"])
        .output()
        .unwrap();
    let events = headless_events(out);
    for sym in ["IWM", "TWM", "SRTY"] {
        let n = events
            .iter()
            .filter(|e| e["type"] == "bar" && e["symbol"] == sym)
            .count();
        assert!(n >= 30, "{sym}: {n} bars");
    }
    // The shipped data passes its own checks: a start says nothing is wrong with it.
    let warnings: Vec<_> = events.iter().filter(|e| e["type"] == "warning").collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(events.last().unwrap()["health"]["state"], "ended");
}

#[test]
fn run_for_ends_a_slow_replay_cleanly() {
    let start = std::time::Instant::now();
    let out = bin()
        .args(["--headless", "--speed", "1", "--run-for", "1.5"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(start.elapsed().as_secs_f64() < 20.0);
    let bars = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"type\":\"bar\""))
        .count();
    assert!((1..=12).contains(&bars), "{bars} bars in 1.5 s at 1 bar/s");
}

#[test]
fn unknown_config_key_and_bad_value_name_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "[bear]\nmax_teirs = 2\n").unwrap();
    let out = bin()
        .args(["--headless", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bear.max_teirs") && err.contains("mine.toml"),
        "{err}"
    );
    std::fs::write(&path, "[signals]\nmode = \"yolo\"\n").unwrap();
    let out = bin()
        .args(["--headless", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("mine.toml") && err.contains("yolo"),
        "{err}"
    );
}

#[test]
fn help_names_the_log_file() {
    let out = bin().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Logs:") && text.contains("double-agent.log"),
        "{text}"
    );
    assert!(text.contains("--headless") && text.contains("backtest"));
}

#[test]
fn live_host_is_refused_without_flag_and_without_the_typed_phrase_and_keys_never_print() {
    use std::io::Write;
    let canary = ("PKCANARY7788", "canary-secret-5566");
    let run = |args: &[&str], base: Option<&str>, stdin: &str| {
        let mut c = bin();
        c.args(args)
            .env("APCA_API_KEY_ID", canary.0)
            .env("APCA_API_SECRET_KEY", canary.1)
            .env_remove("APCA_API_BASE_URL");
        if let Some(b) = base {
            c.env("APCA_API_BASE_URL", b);
        }
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // No --live: a live host is refused before any request is made.
    let out = run(
        &["--feed", "alpaca", "--headless", "--run-for", "5"],
        Some("https://api.alpaca.markets"),
        "",
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && err.contains("refusing live trading host"),
        "{err}"
    );
    // --live but the phrase is not typed: refused.
    let out = run(
        &["--feed", "alpaca", "--live", "--headless", "--run-for", "5"],
        None,
        "yes\n",
    );
    let err2 = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && err2.contains("not confirmed"),
        "{err2}"
    );
    // --live against a paper URL is a mismatch, not a silent downgrade.
    let out = run(
        &["--feed", "alpaca", "--live", "--headless"],
        Some("https://paper-api.alpaca.markets"),
        "",
    );
    assert!(!out.status.success());
    for text in [
        err,
        err2,
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    ] {
        assert!(
            !text.contains(canary.0) && !text.contains(canary.1),
            "a key leaked: {text}"
        );
    }
}

#[test]
fn indicators_prints_csv_that_matches_talib_on_a_real_file() {
    let input = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine");
    let file = std::fs::read_dir(&input)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.contains("daily") && !n.contains("talib") && n.ends_with(".csv")
        });
    let file = file.expect("daily bar fixture");
    let out = bin()
        .arg("indicators")
        .arg("--input")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "date,close,rsi14,atr14,sma50,sma100,sma200,ema20,vol_sma20,poc,support,resistance,pivots"
    );
    // Daily bars are dated, as a charting tool shows them.
    let first = lines.next().unwrap();
    assert!(
        chrono::NaiveDate::parse_from_str(first.split(',').next().unwrap(), "%Y-%m-%d").is_ok(),
        "{first}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // The levels a trader checks against the chart: the POC, the active support or
    // resistance, and the pivots confirmed along the way.
    assert!(rows.iter().any(|r| !r[9].is_empty()), "a POC");
    assert!(
        rows.iter().any(|r| !r[10].is_empty() || !r[11].is_empty()),
        "a level"
    );
    assert!(
        rows.iter()
            .any(|r| r[12].starts_with("H ") || r[12].starts_with("L ")),
        "a pivot"
    );
    let last: Vec<&str> = text.lines().last().unwrap().split(',').collect();
    assert_eq!(last.len(), 13);
    let rsi: f64 = last[2].parse().unwrap();
    assert!((0.0..=100.0).contains(&rsi));
    assert!(
        !last[6].is_empty(),
        "SMA200 is warm by the end of the fixture"
    );
}

#[test]
fn backtest_json_reports_every_figure_and_trades_on_the_embedded_data() {
    let out = bin().args(["backtest", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "hedge", "{v}");
    for part in ["agents", "book", "overlay"] {
        for k in ["total_return", "cagr", "max_drawdown", "sharpe", "mar"] {
            assert!(v[part][k].is_number(), "{part}.{k}: {v}");
        }
    }
    for k in [
        "time_in_market",
        "avg_gross_beta",
        "avg_net_beta",
        "whipsaw_per_year",
    ] {
        assert!(v["agents"][k].is_number(), "agents.{k}: {v}");
    }
    for b in ["buy_and_hold_iwm", "iwm_75_cash_25", "iwm_above_sma200"] {
        assert!(v["benchmarks"][b]["mar"].is_number(), "{b}: {v}");
    }
    assert!(v["max_drawdown"].is_null(), "figures are per curve now");
    let declines = v["declines"].as_array().unwrap();
    assert!(!declines.is_empty() && v["mean_capture"].is_number(), "{v}");
    for d in declines {
        assert!(d["iwm_return"].as_f64().unwrap() <= -0.18, "{d}");
    }
    let kinds: Vec<&str> = v["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"bear_tier_1"), "{kinds:?}");
    for k in ["bars", "bars_per_second", "trades", "signal_count"] {
        assert!(v[k].is_number(), "{k}: {v}");
    }
    assert!(
        v["fills"].as_u64().unwrap() > 10,
        "the agents trade the 2016–2025 data: {v}"
    );
    assert!(v["bars"].as_u64().unwrap() > 2000);
}

/// Long 1-minute files, written from the real 2019 fixture's prices repeated: past the loader's
/// look-ahead, so they are read as they are fed.
pub(crate) fn long_files(
    dir: &std::path::Path,
    rows: usize,
    bad_twm_line: usize,
) -> Vec<std::path::PathBuf> {
    let fixture =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/IWM_1m_2019.csv");
    let text = std::fs::read_to_string(fixture).unwrap();
    let closes: Vec<f64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4)?.parse().ok())
        .collect();
    let start = chrono::Utc
        .with_ymd_and_hms(2019, 12, 17, 16, 0, 0)
        .unwrap();
    let mut paths = Vec::new();
    for (sym, lever) in [("IWM", 1.0), ("TWM", -2.0), ("SRTY", -3.0)] {
        let mut csv = String::from("Datetime,Open,High,Low,Close,Volume\n");
        for k in 0..rows {
            let line = k + 2;
            let t = (start + chrono::Duration::minutes(k as i64)).to_rfc3339();
            let move_ = closes[k % closes.len()] / closes[0] - 1.0;
            let c = 50.0 * (1.0 + lever * move_);
            if sym == "TWM" && line == bad_twm_line {
                csv.push_str(&format!("{t},{c},{},{},{c},NaN\n", c - 1.0, c + 1.0));
            } else {
                csv.push_str(&format!("{t},{c},{},{},{c},1000\n", c + 0.05, c - 0.05));
            }
        }
        let path = dir.join(format!("{sym}.csv"));
        std::fs::write(&path, csv).unwrap();
        paths.push(path);
    }
    paths
}

#[test]
fn long_files_are_replayed_as_they_are_read_with_a_late_bad_row_named_where_it_comes() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, bad) = (5_000, 4_000);
    let files = long_files(dir.path(), rows, bad);
    let out = bin()
        .args([
            "--headless",
            "--speed",
            "0",
            "--start",
            "2019-12-17",
            "--input",
        ])
        .args(&files)
        .output()
        .unwrap();
    let events = headless_events(out);
    let count = |sym: &str| {
        events
            .iter()
            .filter(|e| e["type"] == "bar" && e["symbol"] == sym)
            .count()
    };
    assert_eq!(
        (count("IWM"), count("TWM"), count("SRTY")),
        (rows, rows - 1, rows)
    );
    let said = format!("line {bad}: skipped: unreadable volume");
    let warned = events
        .iter()
        .position(|e| e["type"] == "warning" && e["message"].as_str().unwrap().contains(&said))
        .unwrap_or_else(|| panic!("no warning `{said}`"));
    // Read as it was fed: the row is named once the replay reads that far (a few thousand bars
    // ahead of the feed), not before the first bar as a file read whole would have it.
    let bars_before = events[..warned]
        .iter()
        .filter(|e| e["type"] == "bar")
        .count();
    assert!(
        (3 * 1_024..3 * bad).contains(&bars_before),
        "{bars_before} bars before the warning"
    );
    assert_eq!(events.last().unwrap()["health"]["state"], "ended");
}

#[test]
fn a_backtest_reads_its_files_as_it_goes_and_names_a_late_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, bad) = (5_000, 4_000);
    let files = long_files(dir.path(), rows, bad);
    let out = bin()
        .args(["backtest", "--json", "--input"])
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The first 250 IWM bars warm up; every later timestamp is a step.
    assert_eq!(report["bars"], rows - 250);
    assert!(
        stderr.contains(&format!("TWM.csv:{bad}: skipped: unreadable volume")),
        "{stderr}"
    );
}

#[test]
fn a_sweep_runs_every_setting_ordered_by_the_in_sample_figure_and_refuses_bad_keys_first() {
    let out = bin()
        .args([
            "backtest",
            "--json",
            "--sweep",
            "bear.stop_atr=2,3",
            "--sweep",
            "bear.target_atr=0,9",
            "--split",
            "2022-01-03",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 4, "every combination: {rows:?}");
    let sharpe = |r: &serde_json::Value| r["in_sample"]["sharpe"].as_f64().unwrap();
    for w in rows.windows(2) {
        assert!(
            sharpe(&w[0]) >= sharpe(&w[1]),
            "ordered by the in-sample Sharpe: {rows:?}"
        );
    }
    // the default setting's out-of-sample row is the plain backtest from the split on
    let row = rows
        .iter()
        .find(|r| r["setting"] == "bear.stop_atr=3 bear.target_atr=9")
        .unwrap();
    let plain = bin()
        .args(["backtest", "--json", "--from", "2022-01-03"])
        .output()
        .unwrap();
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(row["out_of_sample"]["sharpe"], plain["overlay"]["sharpe"]);
    // a bad key is refused, named, before anything runs
    let out = bin()
        .args(["backtest", "--sweep", "bear.stop_atrr=2,3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bear.stop_atrr") && out.stdout.is_empty(),
        "{err}"
    );
}

#[test]
fn each_signal_carries_the_record_of_its_kind_from_the_embedded_history_then_the_session() {
    let out = bin()
        .args(["--headless", "--speed", "0", "--auto-ack"])
        .output()
        .unwrap();
    let events = headless_events(out);
    let tier1: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "signal" && e["signal"]["kind"]["tier"] == 1)
        .map(|e| &e["signal"]["record"])
        .collect();
    assert!(tier1.len() >= 2, "{tier1:?}");
    // The replay starts on 2024-06-01: its first tier 1 already has the years before behind it.
    let first = tier1[0];
    assert!(first["trades"].as_u64().unwrap() >= 10, "{first}");
    assert!(first["since"].as_str().unwrap() < "2024-06-01", "{first}");
    let (lo, hi) = (
        first["win_rate_ci"][0].as_f64().unwrap(),
        first["win_rate_ci"][1].as_f64().unwrap(),
    );
    assert!(lo <= first["win_rate"].as_f64().unwrap() && first["win_rate"].as_f64().unwrap() <= hi);
    // and it grows with the session's own closed trades
    let last = tier1[tier1.len() - 1];
    assert!(
        last["trades"].as_u64() > first["trades"].as_u64(),
        "{first} → {last}"
    );
}

/// `backtest --help` lists only what a backtest uses; a mistyped `journal --kind` names the
/// valid kinds instead of printing an empty table.
#[test]
fn backtest_help_has_no_run_options_and_a_bad_journal_kind_lists_the_kinds() {
    let out = bin().args(["backtest", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for gone in ["--headless", "--speed", "--mode", "--run-for", "--auto-ack"] {
        assert!(
            !help.contains(gone),
            "backtest --help lists {gone}:\n{help}"
        );
    }
    // Every option it lists says what it does (--from and --to were bare).
    for l in help.lines().filter(|l| l.trim_start().starts_with("--")) {
        let parts = l.split("  ").filter(|p| !p.trim().is_empty()).count();
        assert!(parts >= 2, "an option without a description: {l:?}");
    }
    let out = bin().args(["replay", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--headless") && help.contains("--speed"),
        "{help}"
    );
    // A journal to read: a short headless run records one.
    let mut c = bin();
    let ok = c
        .args(["--headless", "--speed", "0", "--start", "2025-12-01"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let dir = c
        .get_envs()
        .find(|(k, _)| *k == "DOUBLE_AGENT_DATA_DIR")
        .and_then(|(_, v)| v)
        .unwrap()
        .to_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_double-agent"))
        .env("DOUBLE_AGENT_DATA_DIR", &dir)
        .args(["journal", "--kind", "stop"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no journal kind `stop`; the kinds are: session_start,")
            && err.contains("stops"),
        "{err}"
    );
}
