//! The book on the bundled real data: what the pane shows and what the Bear may read, by date.

use chrono::NaiveDate;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn embedded_summary_shows_real_numbers_and_says_what_is_missing() {
    let book = PositioningBook::with_embedded();
    let s = book.summary(d("2026-06-01"));
    let iwm = &s.short_interest[0];
    assert_eq!((iwm.symbol.as_str(), iwm.shares_short), ("IWM", 79_731_219));
    assert_eq!(iwm.settlement_date, d("2026-05-15"));
    assert_eq!(
        iwm.publication_lag_days, None,
        "bundled: first sighting unknown"
    );
    assert_eq!(iwm.history.len(), 5);
    assert_eq!(s.short_interest.len(), 3);
    let sv = &s.short_volume[0];
    assert_eq!((sv.symbol.as_str(), sv.date), ("IWM", d("2021-07-16")));
    assert!(sv.mean_20.is_some() && sv.history.len() == summary::SPARK_SV);
    assert!(s.futures.is_empty() && s.gap.is_none());
    assert!(
        s.notes.iter().any(|n| n.contains("no bundled CFTC data")),
        "{:?}",
        s.notes
    );
    // 2026: the SI report before 05-15 is not held, Reg SHO data is years old: no evidence.
    assert_eq!(s.evidence, ShortEvidence::default());
    let lines = s.lines();
    if std::env::var_os("SHOW_SUMMARY").is_some() {
        eprintln!("{}", lines.join("\n"));
    }
    assert!(lines
        .iter()
        .any(|l| l.contains("SI IWM 79.73 M settled 2026-05-15")));
}

#[test]
fn evidence_only_from_data_published_by_the_day() {
    let book = PositioningBook::with_embedded();
    // 07-31 is assumed public ten days after settlement; on 08-05 the latest is 07-15 (falling).
    let e = book.evidence_as_of(d("2025-08-05"));
    let f = e.short_interest_rising.unwrap();
    assert!(
        !f.holds && f.text.contains("89.58 M") && f.text.contains("90.86 M"),
        "{}",
        f.text
    );
    let f = book
        .evidence_as_of(d("2025-08-12"))
        .short_interest_rising
        .unwrap();
    assert!(
        f.holds && f.text.contains("settled 2025-07-31"),
        "{}",
        f.text
    );
    // Reg SHO of 2020-03: the 20-day mean exists and the fact cites its window.
    let f = book
        .evidence_as_of(d("2020-03-16"))
        .short_volume_above_mean
        .unwrap();
    assert!(
        f.text.contains("20-day mean") && f.text.contains("2020-03-16"),
        "{}",
        f.text
    );
    assert_eq!(
        book.evidence_as_of(d("2020-01-10")).short_volume_above_mean,
        None
    );
    assert!(book.latest_evidence().short_volume_above_mean.is_some());
}

#[test]
fn apply_keeps_revisions_and_reports_changes() {
    let mut book = PositioningBook::new();
    let mut si = embedded::short_interest().remove(0);
    si.revised = true;
    assert!(book.apply(&FeedEvent::ShortInterest(si.clone())));
    assert!(!book.apply(&FeedEvent::ShortInterest(si.clone())));
    let mut original = si.clone();
    original.revised = false;
    original.shares_short += 1;
    assert!(!book.apply(&FeedEvent::ShortInterest(original)));
    assert_eq!(book.short_interest("IWM")[0].shares_short, si.shares_short);
    let h = FeedEvent::Health {
        source: "finra-si".into(),
        health: FeedHealth::Connected,
    };
    assert!(book.apply(&h) && !book.apply(&h));
    let other = FeedEvent::Health {
        source: "alpaca".into(),
        health: FeedHealth::Connected,
    };
    assert!(!book.apply(&other));
}
