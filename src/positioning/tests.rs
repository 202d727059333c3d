//! The book on the bundled real data: what the pane shows and what the Bear may read, by date.

use chrono::{Datelike, NaiveDate, TimeZone};

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
    // 2026: the SI report before 05-15 is not held, Reg SHO data is years old, the bundled CFTC
    // rows end in August (futures only 2026-08-04 is released 08-07): no RTY 52-week-low fact
    // on 06-01 because... it is fresh: RTY is evidence, the rest is not.
    assert_eq!(s.evidence.short_interest_rising, None);
    assert_eq!(s.evidence.short_volume_above_mean, None);
    let lines = s.lines(d("2026-06-01"));
    assert!(
        lines.iter().any(|l| l.starts_with("Short volume IWM")
            && l.contains("bundled data ends; live pollers bring current figures")),
        "{lines:?}"
    );
    if std::env::var_os("SHOW_SUMMARY").is_some() {
        eprintln!("{}", lines.join("\n"));
    }
    assert!(lines
        .iter()
        .any(|l| l.contains("SI IWM 79.73 M settled 2026-05-15")));
    assert!(s.futures.iter().any(|f| f.market == "RTY"));
}

#[test]
fn evidence_only_from_data_published_by_the_day() {
    let book = PositioningBook::with_embedded();
    // 07-31 is public on FINRA's seventh business day (08-11); on 08-05 the latest is 07-15.
    let e = book.evidence_as_of(d("2025-08-05"));
    let f = e.short_interest_rising.unwrap();
    assert!(
        !f.holds && f.text().contains("89.58 M") && f.text().contains("90.86 M"),
        "{}",
        f.text()
    );
    let f = book
        .evidence_as_of(d("2025-08-12"))
        .short_interest_rising
        .unwrap();
    assert!(
        f.holds
            && f.text().contains("settled 2025-07-31")
            && f.text().contains("(settled 2025-07-15)"),
        "{}",
        f.text()
    );
    // Reg SHO of 2020-03: the 20-day mean exists and the fact cites its window.
    let f = book
        .evidence_as_of(d("2020-03-16"))
        .short_volume_above_mean
        .unwrap();
    assert!(
        f.text().contains("20-day mean") && f.text().contains("2020-03-16"),
        "{}",
        f.text()
    );
    assert_eq!(
        book.evidence_as_of(d("2020-01-10")).short_volume_above_mean,
        None
    );
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

/// Sessions share the bundled reports until one applies its own: that one copies them, and the
/// others (and the next session) still read the bundled book alone.
#[test]
fn a_sessions_report_stays_in_its_own_book() {
    let mut live = PositioningBook::with_embedded();
    let other = PositioningBook::with_embedded();
    assert!(Arc::ptr_eq(&live.reports, &other.reports));
    let mut sv = embedded::short_volume().pop().unwrap();
    sv.date = d("2027-01-04");
    assert!(live.apply(&FeedEvent::ShortVolume(sv.clone())));
    assert!(!Arc::ptr_eq(&live.reports, &other.reports));
    assert_eq!(live.short_volume(&sv.symbol).last(), Some(&sv));
    for book in [other, PositioningBook::with_embedded()] {
        assert_eq!(
            book.short_volume(&sv.symbol),
            embedded::book().short_volume(&sv.symbol)
        );
        assert_ne!(book.short_volume(&sv.symbol).last(), Some(&sv));
    }
}

/// The articles' figures, as the pane showed them on the day: 2025-08-08 (the Friday the
/// 2025-08-05 report was released) and 2025-07-18.
#[test]
fn the_record_short_in_dollars_on_its_release_day() {
    let book = PositioningBook::with_embedded();
    let s = book.summary(d("2025-08-08"));
    let rty = s.futures.iter().find(|f| f.market == "RTY").unwrap();
    assert_eq!(rty.report_date, d("2025-08-05"));
    assert_eq!(rty.report, TffReport::Combined);
    assert_eq!(rty.index_level, Some(2225.67));
    let short = rty.lev_money_short_usd.unwrap();
    assert!((short / 1e9 - 20.05).abs() < 0.01, "{short}");
    let net = rty.lev_money_net_usd.unwrap();
    assert!((net / 1e9 + 13.0).abs() < 0.05, "{net}");
    assert_eq!(rty.short_record_since, Some(d("2018-01-02")));
    assert_eq!(rty.lev_money_net_change, Some(-26_202));
    let lines = s.lines(d("2025-08-08"));
    assert!(
        lines[0].contains("$20.05 B")
            && lines[0].contains("record since 2018")
            && lines[0].contains("08-05 fut+opt"),
        "{lines:?}"
    );
    assert!(lines[1].contains("-$13.00 B (-116,778)"), "{lines:?}");
    // The day before the release the pane still shows the week before.
    let before = book.summary(d("2025-08-07"));
    assert_eq!(before.futures[0].report_date, d("2025-07-29"));
    // A week on, the 08-12 report (179,745) is no record: 08-05 was higher.
    assert_eq!(
        book.summary(d("2025-08-15")).futures[0].short_record_since,
        None
    );

    let s = book.summary(d("2025-07-18"));
    let iwm = &s.short_interest[0];
    assert_eq!(
        (iwm.settlement_date, iwm.shares_short),
        (d("2025-06-30"), 90_860_000)
    );
}

/// Every day of the bundled range: no report is on screen or in the evidence before it was
/// published.
#[test]
fn no_report_is_ever_shown_before_its_publication() {
    let book = PositioningBook::with_embedded();
    let mut day = d("2017-12-01");
    let mut shown_tff = 0;
    while day <= d("2026-09-01") {
        let at = AsOf::end_of(day);
        let s = book.summary_at(&at);
        for f in &s.futures {
            assert!(
                f.published <= at.at,
                "{day}: {} {}",
                f.market,
                f.report_date
            );
            assert!(tff_published(f.report_date) <= at.at);
            shown_tff += 1;
        }
        for l in &s.short_interest {
            let r = book
                .short_interest(&l.symbol)
                .into_iter()
                .find(|r| r.settlement_date == l.settlement_date)
                .unwrap();
            assert!(si_published(&r) <= day, "{day}: SI {}", l.settlement_date);
        }
        for l in &s.short_volume {
            assert!(l.date <= day);
        }
        day = day.succ_opt().unwrap();
    }
    assert!(shown_tff > 3000, "{shown_tff}");
}

/// The NQ-vs-RTY gauge in dollars where the Nasdaq-100 level is known, and an honest note in
/// contracts where it is not (nothing bundles it): RTY's dollars from the Russell level.
#[test]
fn the_gauge_says_nq_is_in_contracts_without_a_nasdaq_level() {
    let book = PositioningBook::with_embedded();
    let day = d("2025-07-18");
    let s = book.summary(day);
    let g = s
        .gauge
        .clone()
        .expect("NQ and RTY are bundled on 2025-07-18");
    assert_eq!(g.nq_net_usd, None);
    let rty = g.rty_net_usd.expect("the Russell level is bundled");
    let lines = s.lines(day);
    let note = format!(
        "  NQ in contracts (no Nasdaq-100 level bundled); RTY net {}",
        text::billions(rty)
    );
    assert!(lines.contains(&note), "{lines:?}");
    // Given a level, NQ reads in dollars with its contracts, and the note goes.
    let mut s = s;
    if let Some(g) = s.gauge.as_mut() {
        g.nq_net_usd = Some(g.nq_net as f64 * 20.0 * 23_000.0);
    }
    let lines = s.lines(day);
    let gauge = lines
        .iter()
        .find(|l| l.starts_with("Long NQ/short RTY:"))
        .expect("the gauge line");
    assert!(
        gauge.contains(&format!(
            "lev net NQ {} (",
            text::billions(g.nq_net as f64 * 20.0 * 23_000.0)
        )),
        "{gauge}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("NQ in contracts")),
        "{lines:?}"
    );
}

#[test]
fn a_look_that_keeps_the_last_ones_reports_sees_what_a_fresh_look_sees() {
    // Daily bars (New York midnight) and 15-minute bars around the releases, 2017 to 2026: the
    // look that keeps the daily or weekly part of the one before must equal a look from scratch.
    let book = PositioningBook::with_embedded();
    let mut prev: Option<Visible> = None;
    let mut day = d("2017-01-02");
    let mut kept = 0;
    while day < d("2026-07-01") {
        let midnight = chrono_tz::America::New_York
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut looks = vec![AsOf::bar_close(midnight, 86_400)];
        if day.weekday() == chrono::Weekday::Fri {
            looks = (56..72)
                .map(|q| AsOf::bar_close(midnight + chrono::Duration::minutes(15 * q), 900))
                .collect();
        }
        for at in looks {
            let fresh = book.visible(&at);
            let since = book.visible_since(&at, prev.as_ref());
            assert_eq!(since, fresh, "{at:?}");
            kept += usize::from(prev.as_ref().is_some_and(|p| {
                p.next_daily.is_none_or(|n| at.day < n) || p.next_tff.is_none_or(|t| at.at < t)
            }));
            prev = Some(since);
        }
        day = day.succ_opt().unwrap();
    }
    assert!(kept > 3_000, "the walk kept a part only {kept} times");
}
