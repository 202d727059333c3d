//! The one word wrap of the panes: rows of at most `width` characters, whole words only.

/// Greedy word wrap to `width` columns (at least 8; a word longer than a row gets its own row).
/// A one-character word (`%`, `M`, `B`, `<`, `×`) stays on the row of the word before it, and a
/// word after a one- or two-letter label (`wk`, `at`) on the label's row, so a figure and its
/// unit (`-6.64 %`), a comparison's left side and its sign, or `wk +24,550` are never split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut words: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        match words.last_mut() {
            Some(prev) if w.chars().count() == 1 || is_label(prev) => {
                prev.push(' ');
                prev.push_str(w);
            }
            _ => words.push(w.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut line = String::new();
    for word in words {
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// `wk`, `at`: a short word that reads with the one after it.
fn is_label(word: &str) -> bool {
    let n = word.chars().count();
    (1..=2).contains(&n) && word.chars().all(|c| c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_words_and_width() {
        let w = wrap("close 198.40 < support 201.10 − 0.25 × ATR 3.12", 16);
        assert_eq!(w, ["close 198.40 <", "support 201.10 −", "0.25 × ATR 3.12"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn a_figure_and_its_unit_stay_together() {
        let w = wrap("short interest 90.86 M, change -6.64 %", 36);
        assert_eq!(w, ["short interest 90.86 M, change", "-6.64 %"]);
        let w = wrap("gross short $20.05 B ▲ record since 2018, wk +24,550", 44);
        assert_eq!(
            w,
            ["gross short $20.05 B ▲ record since 2018,", "wk +24,550"]
        );
    }

    #[test]
    fn a_long_line_wraps_at_words_and_loses_nothing() {
        let t = "a close below 214.06 breaks support 214.79 − 0.25 ATR; now 213.90, it triggers \
                 if it closes here; 2 h 10 m to the close";
        let rows = wrap(t, 40);
        assert!(
            rows.len() > 2 && rows.iter().all(|r| r.chars().count() <= 40),
            "{rows:?}"
        );
        assert_eq!(rows.join(" "), t);
    }
}
