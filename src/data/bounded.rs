//! Bounds on what a bar file can make the loader hold. A bar is a line of some tens of bytes;
//! `--input /dev/zero` was one endless line that grew memory without limit (5.3 GB in 5 s), and a
//! 50 MB line without a newline was echoed whole into a warning.

use std::io::{self, Read};

/// The longest line read. Vendor rows with every extra column fit in a few hundred bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// How much of a field a warning quotes.
const EXCERPT: usize = 40;

/// A reader that fails, and keeps failing, once a line grows past [`MAX_LINE`]: what sits
/// behind it never buffers more than that per row.
pub struct LineLimit<R> {
    inner: R,
    /// Bytes since the last newline.
    run: usize,
    line: usize,
    tripped: bool,
}

impl<R> LineLimit<R> {
    pub fn new(inner: R) -> Self {
        LineLimit {
            inner,
            run: 0,
            line: 1,
            tripped: false,
        }
    }

    fn error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "line {} is longer than {} KiB: not a bar file",
                self.line,
                MAX_LINE / 1024
            ),
        )
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tripped {
            return Err(self.error());
        }
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        // A read no longer than a line can be has no long line inside it: only the run it
        // continues (to its first newline) can be too long, and it ends on a run (after its
        // last). Then the newlines need only counting, a vector loop, not a call each.
        if let (Some(first), Some(last)) =
            (memchr::memchr(b'\n', read), memchr::memrchr(b'\n', read))
        {
            if n <= MAX_LINE && self.run + first <= MAX_LINE {
                self.line += memchr::memchr_iter(b'\n', read).count();
                self.run = n - last - 1;
                return Ok(n);
            }
        }
        // Newlines found by `memchr` (a byte-at-a-time split was 3 % of a backtest over files).
        let mut start = 0;
        let mut long = false;
        for nl in memchr::memchr_iter(b'\n', &buf[..n]) {
            self.run += nl - start;
            if self.run > MAX_LINE {
                long = true;
                break;
            }
            self.line += 1;
            self.run = 0;
            start = nl + 1;
        }
        if !long {
            self.run += n - start;
        }
        if self.run > MAX_LINE {
            self.tripped = true;
            return Err(self.error());
        }
        Ok(n)
    }
}

/// At most a short beginning of `s`, for a message: never a whole runaway field.
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} bytes)", &s[..i], s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_line_fails_after_the_limit_and_stays_failed() {
        let mut r = LineLimit::new(io::repeat(0));
        let mut buf = vec![0u8; 8192];
        let mut total = 0;
        let err = loop {
            match r.read(&mut buf) {
                Ok(n) => total += n,
                Err(e) => break e,
            }
        };
        assert!(total <= MAX_LINE, "{total}");
        assert!(err.to_string().contains("line 1 is longer"), "{err}");
        assert!(r.read(&mut buf).is_err());
    }

    #[test]
    fn many_short_lines_pass_whole() {
        let text = "t,o,h,l,c\n".repeat(50_000);
        let mut out = String::new();
        LineLimit::new(text.as_bytes())
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let long = format!("a\n{}\n", "x".repeat(MAX_LINE + 1));
        let err = LineLimit::new(long.as_bytes())
            .read_to_string(&mut String::new())
            .unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    /// However the reads split the text, the failure names the long line, and every line
    /// before it passes.
    #[test]
    fn the_long_line_is_named_whatever_the_read_sizes() {
        let text = format!(
            "a\n{}\n\n{}\nb\n",
            "x".repeat(MAX_LINE),
            "y".repeat(MAX_LINE + 1)
        );
        for chunk in [1, 7, 1000, 8192, 100_000] {
            let mut r = LineLimit::new(text.as_bytes());
            let mut buf = vec![0u8; chunk];
            let mut total = 0;
            let err = loop {
                match r.read(&mut buf) {
                    Ok(0) => panic!("no failure with reads of {chunk}"),
                    Ok(n) => total += n,
                    Err(e) => break e,
                }
            };
            assert!(
                err.to_string().contains("line 4 is longer"),
                "{chunk}: {err}"
            );
            // Reads shorter than a line: all that comes before the long line passes.
            if chunk < MAX_LINE {
                assert!(total >= MAX_LINE + 3, "{chunk}: {total}");
            }
        }
    }

    #[test]
    fn an_excerpt_is_short() {
        assert_eq!(excerpt("2025-01-02"), "2025-01-02");
        let e = excerpt(&"9".repeat(50_000_000));
        assert!(e.len() < 80 && e.contains("50000000 bytes"), "{e}");
    }
}
