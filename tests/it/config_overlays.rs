//! Every numeric key of the config overlaid with values a slip of the keyboard or a script makes
//! (0, −1, NaN, ±inf, 2^63−1, 1e308, a fraction where a count goes): each is either refused with
//! an error naming the key and what is allowed, or accepted and then runs without a panic.

use double_agent::config::{ranges, Config};

const BAD: [&str; 9] = [
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "1e308",
    "0.5",
    "-1e308",
];

/// The overlay setting `key` to `value`, the way a user writes it: dollars keys take strings.
fn overlay(key: &str, value: &str, quoted: bool) -> String {
    let (section, name) = key.split_once('.').unwrap();
    if quoted {
        format!("[{section}]\n{name} = \"{value}\"\n")
    } else if key.starts_with("levels.") && ["support", "resistance"].contains(&name) {
        format!("[{section}]\n{name} = [{value}]\n")
    } else {
        format!("[{section}]\n{name} = {value}\n")
    }
}

#[test]
fn every_numeric_key_with_every_bad_value_is_refused_by_name_or_runs_without_panic() {
    let defaults: toml::Value = double_agent::config::DEFAULT_TOML.parse().unwrap();
    let (mut refused, mut accepted) = (0, 0);
    for (key, _) in ranges::RANGES {
        let quoted = ranges::lookup(&defaults, key).is_some_and(toml::Value::is_str);
        for value in BAD {
            let text = overlay(key, value, quoted);
            let layers = [("mine.toml".to_string(), text.clone())];
            let loaded = std::panic::catch_unwind(|| Config::from_layers(&layers));
            let Ok(result) = loaded else {
                panic!("{key} = {value}: the config loader panicked");
            };
            match result {
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains(&format!("`{key}`")) && msg.contains("mine.toml"),
                        "{key} = {value}: the error does not name the key and file: {msg}"
                    );
                    refused += 1;
                }
                Ok(cfg) => {
                    // What passes runs: a short synthetic backtest sizes, stops and trails.
                    let run = std::panic::catch_unwind(|| {
                        double_agent::backtest::run_synthetic(cfg, 400, false)
                    });
                    assert!(run.is_ok(), "{key} = {value}: accepted, then panicked");
                    accepted += 1;
                }
            }
        }
    }
    eprintln!("{refused} overlays refused by name, {accepted} accepted and run");
    // Most of these values are nonsense for most keys: a table that accepted them would be no check.
    assert!(
        refused > accepted * 3,
        "{refused} refused, {accepted} accepted"
    );
}

#[test]
fn conflicts_name_the_key_and_the_other_one() {
    let cases = [
        (
            "[indicators]\nsma_fast = 200\n",
            "indicators.sma_fast",
            "sma_slow",
        ),
        (
            "[risk]\nscale_min = 2.0\nscale_max = 1.0\n",
            "risk.scale_min",
            "risk.scale_max",
        ),
        ("[risk]\nvol_min = 2.0\n", "risk.vol_min", "risk.vol_max"),
        (
            "[stream]\nreconnect_base_ms = 90000\n",
            "stream.reconnect_base_ms",
            "reconnect_max_ms",
        ),
    ];
    for (text, key, other) in cases {
        let err = Config::from_layers(&[("mine.toml".into(), text.into())])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("`{key}`")) && err.contains(other) && err.contains("mine.toml"),
            "{text}: {err}"
        );
    }
}

#[test]
fn an_unknown_variant_names_its_key() {
    let err = Config::from_layers(&[("mine.toml".into(), "[bear]\nvehicle = \"QQQ\"\n".into())])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`bear.vehicle`") && err.contains("QQQ") && err.contains("mine.toml"),
        "{err}"
    );
    let err = Config::from_layers(&[("mine.toml".into(), "[signals]\nmode = \"yolo\"\n".into())])
        .unwrap_err()
        .to_string();
    assert!(err.contains("`signals.mode`"), "{err}");
}

#[test]
fn alpaca_names_are_checked_when_the_config_loads() {
    for (text, key) in [
        ("[alpaca]\ntimeframe = \"2Day\"\n", "alpaca.timeframe"),
        ("[alpaca]\ndata_feed = \"sipp\"\n", "alpaca.data_feed"),
        ("[alpaca]\nadjustment = \"splits\"\n", "alpaca.adjustment"),
    ] {
        let err = Config::from_layers(&[("mine.toml".into(), text.into())])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("`{key}`")) && err.contains("mine.toml"),
            "{err}"
        );
    }
}
