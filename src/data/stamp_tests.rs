//! The plain RFC 3339 path gives what the general one gives, or leaves the stamp to it.
use proptest::prelude::*;

use super::*;

fn key(s: &Stamp) -> (DateTime<Utc>, NaiveDate, bool) {
    (s.utc, s.local_date, s.midnight)
}

/// Where the plain path answers, the general one answers the same.
fn same(s: &str) {
    if let Some(plain) = rfc3339_plain(s.as_bytes()) {
        let general =
            any_layout(s).unwrap_or_else(|| panic!("{s:?}: only the plain path reads it"));
        assert_eq!(key(&plain), key(&general), "{s:?}");
    }
}

#[test]
fn the_forms_it_takes_and_the_ones_it_leaves() {
    for (s, plain) in [
        ("2010-01-04T14:30:00Z", true),
        ("2016-01-04 00:00:00-05:00", true),
        ("2025-05-29 13:30:00+00:00", true),
        ("2020-03-08 02:30:00-00:00", true),
        ("2020-02-29T23:59:59+23:59", true),
        ("2020-02-30T00:00:00Z", false),
        ("2016-12-31T23:59:60Z", false),
        ("2010-01-04t14:30:00z", false),
        ("2010-01-04T14:30:00.5Z", false),
        ("2010-01-04T24:00:00Z", false),
        ("2010-01-04T14:30:00+24:00", false),
        ("2010-01-04 14:30:00", false),
        ("2010-01-04", false),
        ("20100104", false),
    ] {
        assert_eq!(rfc3339_plain(s.as_bytes()).is_some(), plain, "{s}");
        same(s);
    }
}

/// Every stamp of the bundled files and the fixtures, whatever its layout.
#[test]
fn every_stamp_of_the_bundled_and_fixture_files() {
    let mut texts: Vec<String> = crate::model::Symbol::EVERY
        .iter()
        .map(|s| crate::data::embedded::csv(*s).1.to_string())
        .collect();
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    for f in [
        "IWM_1m_2019.csv",
        "IWM_15m_2025.csv",
        "IWM_tiingo_2024.csv",
        "bad_rows.csv",
    ] {
        texts.push(std::fs::read_to_string(format!("{dir}/{f}")).unwrap());
    }
    let mut n = 0;
    for text in &texts {
        for line in text.lines().skip(1) {
            let stamp = line.split(',').next().unwrap_or("");
            same(stamp);
            n += usize::from(rfc3339_plain(stamp.as_bytes()).is_some());
        }
    }
    assert!(n > 10_000, "{n}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Stamps of the plain shape with any digits: dates and times out of range, every offset.
    #[test]
    fn random_stamps(
        date in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]",
        sep in prop_oneof![Just("T"), Just(" "), Just("t")],
        time in "[0-2][0-9]:[0-6][0-9]:[0-6][0-9]",
        offset in prop_oneof![Just("Z".to_string()), Just("z".to_string()), "[+-][0-2][0-9]:[0-6][0-9]"],
    ) {
        same(&format!("{date}{sep}{time}{offset}"));
    }

    /// Real times, written both ways, against the general path.
    #[test]
    fn real_times(secs in -2_208_988_800i64..4_102_444_800, east in -1439i32..1440) {
        let utc = DateTime::from_timestamp(secs, 0).unwrap();
        let tz = chrono::FixedOffset::east_opt(east * 60).unwrap();
        let local = utc.with_timezone(&tz);
        let z = utc.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let o = local.format("%Y-%m-%d %H:%M:%S%:z").to_string();
        for s in [z, o] {
            prop_assert!(rfc3339_plain(s.as_bytes()).is_some(), "{}", s);
            same(&s);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// A stamp read where it lies in a row is the field read alone (`parse_time`'s plain path),
    /// and is read whenever a comma or the row's end follows one of the two forms.
    #[test]
    fn a_stamp_where_it_lies(
        field in "20[0-9]{2}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-6][0-9](Z|[+-][01][0-9]:[0-6][0-9])|[0-9:TZ +-]{18,27}",
        after in "(,[0-9a-z ,]{0,10})?",
    ) {
        let row = format!("{field}{after}");
        let alone = rfc3339_plain(field.as_bytes()).map(|s| (key(&s), field.len()));
        let at = rfc3339_field(row.as_bytes()).map(|(s, n)| (key(&s), n));
        prop_assert_eq!(at, alone, "{:?}", row);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The remembered date is the date read, however dates follow one another (repeated, new,
    /// invalid between).
    #[test]
    fn the_last_date_remembered(
        dates in proptest::collection::vec("20[0-9]{2}-[01][0-9]-[0-3][0-9]|[0-9-]{9,11}", 1..8),
        picks in proptest::collection::vec(0usize..8, 1..30),
    ) {
        for k in picks {
            let d = dates[k % dates.len()].as_bytes();
            prop_assert_eq!(same_date(d), plain_date(d), "{:?}", d);
        }
    }
}
