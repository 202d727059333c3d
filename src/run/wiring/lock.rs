//! One recording process per data dir. Two sessions on one journal would each take the other's
//! running session for a crashed one and resume it.
//!
//! The lock is the OS's (flock), taken on the data dir itself and held for the life of the
//! process: it goes away when the process dies, `kill -9` included, and unlike a lock on a file
//! in the dir it survives that file being deleted, replaced or made unwritable (the dir cannot
//! be removed while the journal is in it). `journal.lock` beside the journal only names the
//! holder's pid, for the message a second process prints.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another double-agent{} is recording in {}: one session per data dir; stop it, \
         or set DOUBLE_AGENT_DATA_DIR to run a second one",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default(), .dir.display()
    )]
    Held { dir: PathBuf, pid: Option<u32> },
    #[error("cannot use the data dir {} ({source}): set DOUBLE_AGENT_DATA_DIR to a writable directory", .dir.display())]
    DataDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock the data dir {} ({source})", .dir.display())]
    Lock {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held lock: the open dir (the flock) and the pid note. Never dropped before exit.
static HELD: OnceLock<(File, PathBuf)> = OnceLock::new();

/// The pid note's name, beside the journal.
pub const PID_FILE: &str = "journal.lock";

/// Lock `dir` (creating it) for this process, or say who holds it. Idempotent in a process.
pub fn acquire(dir: &Path) -> Result<(), LockError> {
    if HELD.get().is_some() {
        return Ok(());
    }
    let data_dir = |source| LockError::DataDir {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(data_dir)?;
    let handle = open_dir(dir).map_err(data_dir)?;
    match fs4::FileExt::try_lock(&handle) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => {
            return Err(LockError::Held {
                dir: dir.to_path_buf(),
                pid: holder(dir),
            })
        }
        Err(fs4::TryLockError::Error(source)) => {
            return Err(LockError::Lock {
                dir: dir.to_path_buf(),
                source,
            })
        }
    }
    let note = dir.join(PID_FILE);
    // The note is a courtesy; the lock holds without it. A file we cannot write (or a full
    // disk) is said in the log, and a second process then says "pid unknown".
    if let Err(e) = write_pid(&note) {
        tracing::warn!("data dir locked, but {} not written: {e}", note.display());
    }
    let _ = HELD.set((handle, note));
    Ok(())
}

fn write_pid(note: &Path) -> std::io::Result<()> {
    // A note left unwritable (chmod) or replaced by a directory is removed, not trusted.
    let _ = std::fs::remove_file(note);
    let mut f = File::create(note)?;
    writeln!(f, "{}", std::process::id())
}

#[cfg(unix)]
fn open_dir(dir: &Path) -> std::io::Result<File> {
    File::open(dir)
}

/// Windows cannot open a directory as a file: the note itself is locked there.
#[cfg(not(unix))]
fn open_dir(dir: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(PID_FILE))
}

/// The holder's pid: from its note, else (the note deleted) from the kernel's lock table.
fn holder(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(PID_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .or_else(|| holder_from_proc_locks(dir))
}

/// `/proc/locks` lines read `1: FLOCK  ADVISORY  WRITE 1234 fe:00:5358010 0 EOF`: the pid and
/// the locked file's inode (last field of `major:minor:inode`).
#[cfg(target_os = "linux")]
fn holder_from_proc_locks(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(dir).ok()?.ino().to_string();
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    table.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let ours = f.get(1) == Some(&"FLOCK")
            && f.get(5).and_then(|d| d.rsplit(':').next()) == Some(ino.as_str());
        ours.then(|| f.get(4)?.parse().ok()).flatten()
    })
}

#[cfg(not(target_os = "linux"))]
fn holder_from_proc_locks(_dir: &Path) -> Option<u32> {
    None
}
