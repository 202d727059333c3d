//! The real binary at the edge of what it may do: the live gate refuses a pipe, a second process
//! never shares a data dir, a signal ends a session cleanly, an unusable data dir is said plainly.

use std::net::TcpListener;
use std::process::{Command, Stdio};

/// The binary with a data dir of its own under cargo's scratch dir.
pub fn bin() -> (Command, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("guards-{}-{n}", std::process::id()));
    let mut c = Command::new(env!("CARGO_BIN_EXE_double-agent"));
    // Its own config home: a config file of the machine running the tests is not read.
    c.env("DOUBLE_AGENT_DATA_DIR", &dir)
        .env("XDG_CONFIG_HOME", dir.join("config"));
    (c, dir)
}

/// Connections a listener has been offered so far (the kernel queues them whether or not anyone
/// accepted them yet), drained without blocking.
fn connections(listener: &TcpListener) -> usize {
    listener.set_nonblocking(true).unwrap();
    std::iter::from_fn(|| listener.accept().ok()).count()
}

/// A config whose every host is `base` (the FINRA and CFTC pollers run in every Alpaca session)
/// and whose streams are off: an Alpaca run of the binary reaches nothing but the test's server.
fn loopback_config(base: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loopback.toml");
    let text = format!(
        "[stream]\nenabled = false\ntrade_updates = false\n\
         [finra]\napi_url = \"{base}\"\ncdn_url = \"{base}\"\n[cftc]\napi_url = \"{base}\"\n"
    );
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn the_live_phrase_from_a_pipe_is_refused_and_nothing_is_contacted() {
    use std::io::Write;
    // Every address the run could reach is this one listener on loopback: the trading host is
    // the IPv4-mapped form of 127.0.0.1, which the gate treats as a live host (neither the paper
    // host nor a loopback name), so a gate that lets the pipe through connects here, not out.
    let venue = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = venue.local_addr().unwrap().port();
    let local = format!("http://127.0.0.1:{port}");
    let (_cfg_dir, cfg) = loopback_config(&local);
    for answer in [
        "I accept real money\n",
        "I accept real money",
        "   I accept real money   \n",
    ] {
        let (mut c, _dir) = bin();
        c.args(["--feed", "alpaca", "--live", "--headless", "--run-for", "3"])
            .arg("--config")
            .arg(&cfg)
            .env("APCA_API_KEY_ID", "PKPIPE")
            .env("APCA_API_SECRET_KEY", "pipe-secret")
            .env(
                "APCA_API_BASE_URL",
                format!("https://[::ffff:127.0.0.1]:{port}"),
            )
            .env("APCA_API_DATA_URL", &local)
            .env("APCA_API_STREAM_URL", format!("ws://127.0.0.1:{port}"))
            .env("FINRA_API_URL", &local)
            .env("CFTC_API_URL", &local)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // A refused gate may have exited before reading: a broken pipe is fine here.
        let _ = stdin.write_all(answer.as_bytes());
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{answer:?} confirmed: {err}");
        assert!(
            err.contains("not a terminal") && err.contains("not confirmed"),
            "{answer:?}: the refusal must say why: {err}"
        );
        assert_eq!(connections(&venue), 0, "{answer:?}: a request was made");
    }
}

/// Lines of a child's stdout, read on a thread so a test can wait for one with a deadline.
pub fn lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let out = child.stdout.take().expect("stdout piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Read lines until one satisfies `pred`; panic with what came after a generous deadline.
pub fn wait_line(rx: &std::sync::mpsc::Receiver<String>, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if pred(&l) => return l,
            Ok(l) => seen.push(l),
            Err(e) => panic!("no such line ({e}); got {seen:#?}"),
        }
    }
}

/// `kill -SIG pid`, through the system's `kill` (no libc in the tests).
pub fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn a_venue_that_echoes_the_keys_leaks_them_nowhere() {
    const KEY: &str = "PKECHO4242";
    const SECRET: &str = "echo-secret-9191";
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Every request is refused with a body that repeats both keys, as a misbehaving venue or a
    // proxy's error page might.
    let base = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(|| async {
            let body = format!(
                r#"{{"code":40310000,"message":"forbidden for key {KEY} with secret {SECRET}"}}"#
            );
            (axum::http::StatusCode::FORBIDDEN, body)
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    });
    let (_cfg_dir, cfg) = loopback_config(&base);
    let (mut c, dir) = bin();
    let mut child = c
        .args(["--feed", "alpaca", "--headless", "--config"])
        .arg(&cfg)
        .env("APCA_API_KEY_ID", KEY)
        .env("APCA_API_SECRET_KEY", SECRET)
        .env("APCA_API_BASE_URL", &base)
        .env("APCA_API_DATA_URL", &base)
        .env("FINRA_API_URL", &base)
        .env("CFTC_API_URL", &base)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    // The bar feed fails on the 403 and says why: the venue's text reached the output.
    let failed = wait_line(&rx, |l| {
        l.contains(r#""source":"alpaca""#) && l.contains(r#""state":"failed""#)
    });
    assert!(failed.contains("40310000"), "{failed}");
    signal(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    let mut texts = vec![failed, String::from_utf8_lossy(&out.stderr).into_owned()];
    texts.extend(rx.try_iter());
    let export = bin()
        .0
        .env("DOUBLE_AGENT_DATA_DIR", &dir)
        .args([
            "journal",
            "--format",
            "json",
            "--kind",
            "feed_health,broker_error",
        ])
        .output()
        .unwrap();
    let export = String::from_utf8_lossy(&export.stdout).into_owned();
    assert!(
        export.contains("[REDACTED]"),
        "the failure is journaled: {export}"
    );
    texts.push(export);
    for name in ["double-agent.log", "journal.sqlite3", "journal.sqlite3-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            texts.push(format!("{name}: {}", String::from_utf8_lossy(&bytes)));
        }
    }
    for t in &texts {
        assert!(!t.contains(KEY) && !t.contains(SECRET), "a key leaked: {t}");
    }
}

#[test]
fn a_signal_ends_a_headless_session_cleanly_with_the_conventional_code() {
    for (sig, code) in [("TERM", 143), ("HUP", 129), ("INT", 130), ("QUIT", 131)] {
        let (mut c, dir) = bin();
        let mut child = c
            .args(["--headless", "--speed", "2", "--start", "2025-01-02"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines(&mut child);
        // A bar on stdout: the loop runs and the session is recording.
        wait_line(&rx, |l| l.contains(r#""type":"bar""#));
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{sig}: {err}");
        assert!(err.contains(&format!("SIG{sig}")), "SIG{sig}: {err}");
        let sessions = bin()
            .0
            .env("DOUBLE_AGENT_DATA_DIR", &dir)
            .args(["journal", "sessions"])
            .output()
            .unwrap();
        let table = String::from_utf8_lossy(&sessions.stdout);
        assert!(
            table.lines().count() == 2 && table.contains("cleanly"),
            "SIG{sig}: the session must read as ended cleanly:\n{table}"
        );
    }
}

#[test]
fn a_second_process_is_refused_while_the_first_records_whatever_happens_to_the_lock_file() {
    use std::os::unix::fs::PermissionsExt;
    let (mut c, dir) = bin();
    let mut first = c
        .args(["--headless", "--speed", "2", "--start", "2025-01-02"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut first);
    wait_line(&rx, |l| l.contains(r#""type":"bar""#));
    let note = dir.join("journal.lock");
    let second = || {
        let out = bin()
            .0
            .env("DOUBLE_AGENT_DATA_DIR", &dir)
            .args(["--headless", "--speed", "0"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "a second process recorded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let pid = format!("pid {}", first.id());
    std::fs::set_permissions(&note, std::fs::Permissions::from_mode(0o000)).unwrap();
    let err = second();
    assert!(
        err.contains("another double-agent") && err.contains(&pid),
        "{err}"
    );
    std::fs::remove_file(&note).unwrap();
    let err = second();
    assert!(
        err.contains("another double-agent") && err.contains(&pid),
        "{err}"
    );
    signal(&first, "TERM");
    let out = first.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    // Its lock went with it: the next process records.
    assert!(record_a_session(&dir).status.success());
}

/// A short headless replay (December 2025) that records into `dir`'s journal and ends.
pub fn record_a_session(dir: &std::path::Path) -> std::process::Output {
    let out = bin()
        .0
        .env("DOUBLE_AGENT_DATA_DIR", dir)
        .args(["--headless", "--speed", "0", "--start", "2025-12-01"])
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

#[test]
fn an_unusable_data_dir_is_said_plainly_and_nothing_panics() {
    let scratch = tempfile::tempdir().unwrap();
    // Tests run as root, where a mode does not stop a write: a path under a regular file cannot
    // be created by anyone, and a log "file" that is a directory cannot be opened.
    std::fs::write(scratch.path().join("file.txt"), "").unwrap();
    let uncreatable = scratch.path().join("file.txt").join("sub");
    let log_is_a_dir = scratch.path().join("dir");
    std::fs::create_dir_all(log_is_a_dir.join("double-agent.log")).unwrap();
    for dir in [&uncreatable, &log_is_a_dir] {
        let run = |args: &[&str]| {
            let out = bin()
                .0
                .env("DOUBLE_AGENT_DATA_DIR", dir)
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                !err.contains("panicked"),
                "{args:?} in {}: {err}",
                dir.display()
            );
            (out.status, err)
        };
        let (_, err) = run(&["journal", "sessions"]);
        assert!(
            err.contains("cannot open") && err.contains("double-agent.log"),
            "{err}"
        );
        assert!(err.contains("no journal"), "{err}");
        let (status, err) = run(&["--headless", "--speed", "0", "--start", "2025-12-01"]);
        if dir == &uncreatable {
            assert!(!status.success());
            assert!(
                err.contains("cannot use the data dir") && !err.contains("another double-agent"),
                "{err}"
            );
        } else {
            // The log is lost, not the run: the journal beside it records.
            assert!(status.success(), "{err}");
        }
    }
}
