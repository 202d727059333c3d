//! A reason's text, written out the first time somebody reads it. The engine states why a signal
//! fired as numbers (`engine::why::Why`); the sentence a trader reads is needed by the Decide
//! pane, the journal and headless output, but never by a backtest, where rendering every
//! signal's reasons was 6 % of the run. Clones share the text, written once.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone)]
pub struct ReasonText(Repr);

#[derive(Clone)]
enum Repr {
    /// Text known from the start (a test, a journal read back).
    Known(Arc<str>),
    /// The `i`-th of a signal's facts.
    Of(Arc<dyn Texts>, usize),
}

trait Texts: Send + Sync {
    fn text(&self, i: usize) -> &str;
}

/// A signal's facts, written out together when the first of them is read (whoever reads one
/// shows the signal, so all of them): one allocation for a signal's reasons, not one each.
struct Facts<F> {
    facts: Vec<F>,
    texts: OnceLock<Box<[String]>>,
}

impl<F: fmt::Display + Send + Sync> Texts for Facts<F> {
    fn text(&self, i: usize) -> &str {
        let texts = self
            .texts
            .get_or_init(|| self.facts.iter().map(write_out).collect());
        &texts[i]
    }
}

fn write_out(facts: &impl fmt::Display) -> String {
    // A reason is a line: sized once, not grown from empty four or five times.
    let mut s = String::with_capacity(128);
    let _ = fmt::Write::write_fmt(&mut s, format_args!("{facts}"));
    s
}

impl ReasonText {
    pub fn new(text: impl Into<String>) -> Self {
        ReasonText(Repr::Known(text.into().into()))
    }

    /// One text for each of `facts`, in order, each beside `kind` of its fact; all are written
    /// when the first is read.
    pub fn deferred_each<F, K>(
        facts: Vec<F>,
        kind: impl Fn(&F) -> K,
    ) -> impl ExactSizeIterator<Item = (K, ReasonText)>
    where
        F: fmt::Display + Send + Sync + 'static,
    {
        let shared = Arc::new(Facts {
            facts,
            texts: OnceLock::new(),
        });
        (0..shared.facts.len()).map(move |i| {
            let text: Arc<dyn Texts> = shared.clone();
            (kind(&shared.facts[i]), ReasonText(Repr::Of(text, i)))
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(t) => t,
            Repr::Of(all, i) => all.text(*i),
        }
    }
}

impl std::ops::Deref for ReasonText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ReasonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ReasonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Equal when they say the same thing, however each was made.
impl PartialEq for ReasonText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for ReasonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReasonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ReasonText::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts how often it is written out.
    struct Counted(&'static AtomicUsize);

    impl fmt::Display for Counted {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fetch_add(1, Ordering::Relaxed);
            f.write_str("close 198.40 < support 201.10")
        }
    }

    #[test]
    fn deferred_text_is_written_once_on_first_read_and_shared_by_clones() {
        static WRITTEN: AtomicUsize = AtomicUsize::new(0);
        let (_, t) = ReasonText::deferred_each(vec![Counted(&WRITTEN)], |_| ())
            .next()
            .unwrap();
        let copy = t.clone();
        assert_eq!(
            WRITTEN.load(Ordering::Relaxed),
            0,
            "nothing read, nothing written"
        );
        assert_eq!(copy.as_str(), "close 198.40 < support 201.10");
        assert_eq!(&*t, "close 198.40 < support 201.10");
        assert_eq!(WRITTEN.load(Ordering::Relaxed), 1);
        assert_eq!(t, ReasonText::new("close 198.40 < support 201.10"));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"close 198.40 < support 201.10\"");
        let back: ReasonText = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(WRITTEN.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_signals_facts_are_written_together_on_the_first_read() {
        static WRITTEN: AtomicUsize = AtomicUsize::new(0);
        let texts: Vec<_> =
            ReasonText::deferred_each(vec![Counted(&WRITTEN), Counted(&WRITTEN)], |_| 7).collect();
        assert_eq!(texts.len(), 2);
        assert!(texts.iter().all(|(k, _)| *k == 7));
        assert_eq!(
            WRITTEN.load(Ordering::Relaxed),
            0,
            "nothing read, nothing written"
        );
        let copy = texts[1].1.clone();
        assert_eq!(copy, ReasonText::new("close 198.40 < support 201.10"));
        assert_eq!(WRITTEN.load(Ordering::Relaxed), 2);
        assert_eq!(texts[0].1.as_str(), texts[1].1.as_str());
        assert_eq!(WRITTEN.load(Ordering::Relaxed), 2);
    }
}
