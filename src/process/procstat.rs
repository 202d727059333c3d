//! The process's own memory figures from `/proc/self/status`, for the figures a run prints.

static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Call first thing in `main`: `since_start` measures from here.
pub fn mark_start() {
    START.get_or_init(std::time::Instant::now);
}

/// Time since `mark_start` (since the first call, if `main` did not mark it).
pub fn since_start() -> std::time::Duration {
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Peak resident set size (VmHWM) in MB; 0 where /proc is not there (not Linux).
pub fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:").map_or(0.0, |kb| kb as f64 / 1024.0)
}

/// Current resident set size (VmRSS) in MB; 0 where /proc is not there.
pub fn rss_mb() -> f64 {
    status_kb("VmRSS:").map_or(0.0, |kb| kb as f64 / 1024.0)
}

fn status_kb(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn reads_the_figures_on_linux() {
        // Now first: the peak only grows, so read after it is never below it (other tests'
        // threads allocate in between).
        let now = super::rss_mb();
        let peak = super::peak_rss_mb();
        assert!(now > 0.0 && peak >= now, "peak {peak} MB, now {now} MB");
    }
}
