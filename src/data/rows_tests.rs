//! The records, and the errors, are the `csv` crate's.
use proptest::prelude::*;

use super::*;

/// A source that hands out at most `step` bytes a read, and fails once past `fail_at` bytes.
struct Trickle<'a> {
    text: &'a [u8],
    step: usize,
    fail_at: Option<usize>,
    done: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.done >= f) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the source broke",
            ));
        }
        let n = buf.len().min(self.step).min(self.text.len() - self.done);
        buf[..n].copy_from_slice(&self.text[self.done..self.done + n]);
        self.done += n;
        Ok(n)
    }
}

/// Every record (or error) until the end, as the `csv` crate reads it.
fn by_csv(src: impl Read) -> Vec<Result<Vec<String>, String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(src);
    let mut rec = csv::StringRecord::new();
    let mut out = Vec::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return out,
            Ok(true) => out.push(Ok(rec.iter().map(str::to_string).collect())),
            Err(e) => {
                let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                out.push(Err(e.to_string()));
                if io {
                    return out;
                }
            }
        }
    }
}

fn by_rows(src: impl Read) -> Vec<Result<Vec<String>, String>> {
    let mut rows = Rows::new(src);
    let mut out = Vec::new();
    loop {
        match rows.read() {
            Ok(false) => return out,
            // Each field is UTF-8 once `read` says the record is.
            Ok(true) => out.push(Ok(rows
                .fields()
                .iter()
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect())),
            Err(e) => {
                out.push(Err(e.to_string()));
                if e.fatal() {
                    assert!(!rows.read().unwrap(), "nothing after a failed read");
                    return out;
                }
            }
        }
    }
}

fn same(text: &[u8], step: usize, fail_at: Option<usize>) {
    let src = || Trickle {
        text,
        step,
        fail_at,
        done: 0,
    };
    assert_eq!(
        by_rows(src()),
        by_csv(src()),
        "{:?} step {step} fail {fail_at:?}",
        String::from_utf8_lossy(text)
    );
}

#[test]
fn the_layouts_and_oddities_csv_reads() {
    for text in [
        "timestamp,open,high,low,close,volume\n2010-01-04T14:30:00Z,1,2,0.5,1.5,10\n",
        "\u{feff}Date,Open\r\n2016-01-04,1\r\n\r\n2016-01-05,2",
        "a,b\n\n\n\"q,1\",\"x\"\"y\"\nc,d\r\re,f\n\"open quote\n,\n ,\n",
        "a,\"b\nc\",d\nlast",
        "\"\u{feff}a\",b\nx\"y,z\n",
        "h\n\u{feff}a,b\n",
        "",
        "\n\r\n",
        ",",
    ] {
        for step in [1, 2, 3, 5, 8192] {
            same(text.as_bytes(), step, None);
        }
    }
    let bad = b"h,i\n1,\xff\xfe\n2,\xc3\xa9\n\"\xc3\",\"x\"\n3,4\n";
    for step in [1, 4, 8192] {
        same(bad, step, None);
        same(bad, step, Some(9));
    }
}

/// The bundled files read the same.
#[test]
fn the_bundled_files() {
    for s in crate::model::Symbol::EVERY {
        same(crate::data::embedded::csv(s).1.as_bytes(), 8192, None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn random_texts(
        bytes in proptest::collection::vec(
            prop_oneof![
                8 => Just(b'1'),
                4 => Just(b','),
                3 => Just(b'\n'),
                2 => Just(b'\r'),
                2 => Just(b'"'),
                2 => Just(b'a'),
                1 => Just(b' '),
                1 => Just(0xc3u8),
                1 => Just(0xa9u8),
                1 => Just(0xefu8),
                1 => Just(0xbbu8),
                1 => Just(0xbfu8),
            ],
            0..120,
        ),
        bom in any::<bool>(),
        step in 1usize..40,
        fail_at in proptest::option::of(0usize..140),
    ) {
        let mut text = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        text.extend(bytes);
        same(&text, step, fail_at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    /// The word-wise check says what the standard one says, a high byte anywhere.
    #[test]
    fn ascii_as_is_ascii(
        mut bytes in proptest::collection::vec(0u8..0x80, 0..40),
        high in proptest::option::of((0usize..40, 0x80u8..=0xFF)),
    ) {
        if let Some((at, b)) = high.filter(|(at, _)| *at < bytes.len()) {
            bytes[at] = b;
        }
        prop_assert_eq!(ascii(&bytes), bytes.is_ascii());
    }
}
