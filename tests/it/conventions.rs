//! What a terminal program's user expects: the config file found without a flag, `config
//! init|show`, environment overrides, plain errors when not on a terminal, completions, a manual.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with its own data dir and config home, and no override from the machine running
/// the tests.
fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_double-agent"));
    c.env("DOUBLE_AGENT_DATA_DIR", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove("RUST_BACKTRACE");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DOUBLE_AGENT__") {
            c.env_remove(k);
        }
    }
    c
}

fn config_file(home: &Path) -> PathBuf {
    home.join("config").join("double-agent").join("config.toml")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_config_file_is_found_without_a_flag_and_help_says_which() {
    let home = tempfile::tempdir().unwrap();
    let file = config_file(home.path());
    let (help, _) = text(&bin(home.path()).arg("--help").output().unwrap());
    assert!(
        help.contains("Config file: none") && help.contains("config init"),
        "{help}"
    );
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "[bear]\nvehicle = \"SRTY\"\n").unwrap();
    let (help, _) = text(&bin(home.path()).arg("--help").output().unwrap());
    assert!(
        help.contains(&format!("Config file: {}", file.display())),
        "{help}"
    );
    let (shown, err) = text(&bin(home.path()).args(["config", "show"]).output().unwrap());
    assert!(shown.contains("vehicle = \"SRTY\""), "{shown}{err}");
    assert!(shown.contains(&file.display().to_string()), "{shown}");
    // A bad value in the found file is named with the file.
    std::fs::write(&file, "[bear]\nmax_tiers = -1\n").unwrap();
    let out = bin(home.path()).args(["config", "show"]).output().unwrap();
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("bear.max_tiers") && err.contains(&file.display().to_string()),
        "{err}"
    );
}

#[test]
fn config_init_writes_the_commented_defaults_once() {
    let home = tempfile::tempdir().unwrap();
    let out = bin(home.path()).args(["config", "init"]).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let written = std::fs::read_to_string(config_file(home.path())).unwrap();
    assert!(written.contains("# Vehicle the Bear buys") && written.contains("[stream]"));
    let again = bin(home.path()).args(["config", "init"]).output().unwrap();
    let (_, err) = text(&again);
    assert!(!again.status.success() && err.contains("--force"), "{err}");
    // The written file is a valid config: the defaults, in effect.
    let (shown, err) = text(&bin(home.path()).args(["config", "show"]).output().unwrap());
    assert!(shown.contains("max_tiers = 3"), "{shown}{err}");
}

#[test]
fn environment_variables_override_any_key_and_are_named_in_errors() {
    let home = tempfile::tempdir().unwrap();
    let (shown, err) = text(
        &bin(home.path())
            .args(["config", "show"])
            .env("DOUBLE_AGENT__BEAR__VEHICLE", "SRTY")
            .env("DOUBLE_AGENT__RISK__MAX_POSITION", "0.4")
            .env("DOUBLE_AGENT__PAPER__STARTING_CASH", "50000")
            .env("APCA_API_SECRET_KEY", "canary-secret-4411")
            .output()
            .unwrap(),
    );
    assert!(shown.contains("vehicle = \"SRTY\""), "{shown}{err}");
    assert!(shown.contains("max_position = 0.4"), "{shown}");
    assert!(shown.contains("starting_cash = \"50000\""), "{shown}");
    assert!(shown.contains("DOUBLE_AGENT__BEAR__VEHICLE"), "{shown}");
    assert!(!shown.contains("canary-secret"), "{shown}");
    let out = bin(home.path())
        .args(["config", "show"])
        .env("DOUBLE_AGENT__BEAR__MAX_TIERS", "nan")
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("bear.max_tiers") && err.contains("DOUBLE_AGENT__BEAR__MAX_TIERS"),
        "{err}"
    );
}

#[test]
fn a_user_error_piped_is_a_plain_sentence() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("mine.toml");
    std::fs::write(&path, "[bear]\nvehicle = \"QQQ\"\n").unwrap();
    for no_color in [false, true] {
        let mut c = bin(home.path());
        c.args(["--headless", "--config"]).arg(&path);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c.output().unwrap();
        let (_, err) = text(&out);
        assert!(!out.status.success());
        assert!(err.contains("bear.vehicle") && err.contains("QQQ"), "{err}");
        assert!(!err.contains('\u{1b}'), "ANSI codes on a pipe: {err:?}");
        assert!(!err.contains("Location:"), "{err}");
        assert!(!err.contains("src/"), "{err}");
    }
}

#[test]
fn completions_and_the_manual_are_generated() {
    let home = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef double-agent"),
        ("fish", "complete -c double-agent"),
    ] {
        let out = bin(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        let (script, err) = text(&out);
        assert!(out.status.success(), "{shell}: {err}");
        assert!(
            script.contains(marker) && script.contains("backtest"),
            "{shell}"
        );
    }
    let out = bin(home.path()).arg("man").output().unwrap();
    let (page, _) = text(&out);
    assert!(out.status.success());
    assert!(page.contains(".TH double-agent") && page.contains("DOUBLE_AGENT_LOG"));
}
