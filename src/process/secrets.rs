//! Secrets hygiene: refuse a config file that holds a secret and that others can read, and
//! redact known secrets from text before it reaches a log, a journal export or the screen.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "config file {path} holds a secret (`{key}`, line {line}) and is readable by others \
         (mode {mode:03o}). Run `chmod 600 {path}`, or better: delete the key from the file \
         and set APCA_API_KEY_ID / APCA_API_SECRET_KEY in the environment"
    )]
    ReadableSecret {
        path: PathBuf,
        key: String,
        line: usize,
        mode: u32,
    },
}

/// Words that make a key look secret. `api` + `key` and `key` + `id` are checked as pairs so
/// that ordinary keys (`keys.ack`, `max_position`) do not trip it.
pub fn looks_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let single = [
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "passphrase",
    ];
    words.iter().any(|w| single.contains(w))
        || words
            .windows(2)
            .any(|p| matches!((p[0], p[1]), ("api", "key") | ("key", "id")))
}

/// The first `key = value` line (TOML / env style) whose key looks secret and whose value is
/// not empty: an empty placeholder (`api_key = ""`) holds nothing to leak.
fn secret_key(text: &str) -> Option<(String, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let (key, value) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        let value = value
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        (looks_secret(key) && !value.is_empty()).then(|| (key.to_string(), i + 1))
    })
}

/// Refuse `path` if it holds a secret-looking key and its mode lets group or others read it.
/// On non-unix systems the mode check is skipped (no portable notion of it).
pub fn check_config_file_permissions(path: &Path) -> Result<(), SecretError> {
    let io = |source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let Some((key, line)) = secret_key(&text) else {
        return Ok(());
    };
    let mode = file_mode(path).map_err(io)?;
    if mode & 0o077 != 0 {
        return Err(SecretError::ReadableSecret {
            path: path.to_path_buf(),
            key,
            line,
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> std::io::Result<u32> {
    Ok(0o600)
}

/// Replace every occurrence of each non-empty secret with `[REDACTED]`. Longer secrets go
/// first, so a secret that contains another is hidden whole rather than half.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut sorted: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sorted
        .into_iter()
        .fold(text.to_string(), |acc, s| acc.replace(s, "[REDACTED]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_keys() {
        let cases = [
            ("api_key", true),
            ("APCA_API_SECRET_KEY", true),
            ("key_id", true),
            ("alpaca.password", true),
            ("token", true),
            ("apiKey", true),
            ("max_position", false),
            ("ack", false),
            ("keys", false),
            ("daily_loss_limit", false),
        ];
        for (key, want) in cases {
            assert_eq!(looks_secret(key), want, "{key}");
        }
    }

    #[cfg(unix)]
    fn file_with(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        (dir, path)
    }

    #[cfg(unix)]
    #[test]
    fn readable_secret_is_refused_with_the_fix() {
        let (_d, path) = file_with("[alpaca]\nfeed = \"iex\"\napi_key = \"PK123\"\n", 0o644);
        let err = check_config_file_permissions(&path).expect_err("must refuse");
        let msg = err.to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
        assert!(msg.contains("APCA_API_SECRET_KEY"), "{msg}");
        assert!(msg.contains("`api_key`, line 3"), "{msg}");
        assert!(msg.contains("644"), "{msg}");
        assert!(
            !msg.contains("PK123"),
            "the message must not leak the secret: {msg}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn private_or_secret_free_files_pass() {
        let cases = [
            ("api_key = \"PK123\"\n", 0o600),
            ("api_key = \"PK123\"\n", 0o400),
            ("[risk]\nmax_position = 0.3\n", 0o644),
            ("# api_key = \"PK123\"\n", 0o644),
            ("api_key = \"\"\n", 0o644),
        ];
        for (text, mode) in cases {
            let (_d, path) = file_with(text, mode);
            assert!(
                check_config_file_permissions(&path).is_ok(),
                "{text:?} {mode:o}"
            );
        }
        let (_d, path) = file_with("token = \"abc\"\n", 0o640);
        assert!(
            check_config_file_permissions(&path).is_err(),
            "group-readable"
        );
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = check_config_file_permissions(Path::new("/nonexistent/da.toml"));
        assert!(matches!(err, Err(SecretError::Io { .. })));
    }

    #[test]
    fn redact_hides_every_occurrence_longest_first() {
        let text = "key=PKABC secret=PKABCDEF again PKABC";
        let out = redact(text, &["PKABC", "PKABCDEF", ""]);
        assert_eq!(out, "key=[REDACTED] secret=[REDACTED] again [REDACTED]");
        assert_eq!(redact("nothing here", &["xyz"]), "nothing here");
    }
}
