use super::rides::{self, rides};
use super::spam::{self, spam_comments};
use super::*;
use crate::model::FeatureRow;

#[test]
fn the_clock_starts_on_the_first_of_march_2024() {
    assert_eq!(TimestampUs::parse("2024-03-01"), Some(START));
    assert_eq!(
        rides::later_data_from(),
        TimestampUs::parse("2024-03-11").unwrap()
    );
}

#[test]
fn a_seed_gives_the_same_data_and_another_seed_other_data() {
    assert_eq!(rides(Seed(7)), rides(Seed(7)));
    assert_eq!(spam_comments(Seed(7)), spam_comments(Seed(7)));
    assert_ne!(rides(Seed(7)).sources, rides(Seed(8)).sources);
    assert_ne!(
        spam_comments(Seed(7)).entities,
        spam_comments(Seed(8)).entities
    );
}

/// Every table stays browser-sized: a few thousand rows.
#[test]
fn tables_are_small_enough_for_the_browser() {
    for sample in [rides(SAMPLE_SEED), spam_comments(SAMPLE_SEED)] {
        for table in sample.tables() {
            let rows = table.rows.len();
            println!("{}: {rows} rows", table.name);
            assert!(
                (500..=12_000).contains(&rows),
                "{}: {rows} rows",
                table.name
            );
        }
    }
}

#[test]
fn tables_list_typed_columns_matching_their_rows() {
    let sample = rides(SAMPLE_SEED);
    let tables = sample.tables();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "driver_hourly_stats",
            "customer_daily_profile",
            "ride_labels"
        ]
    );
    let stats = &tables[0];
    let columns: Vec<(&str, Dtype)> = stats
        .columns
        .iter()
        .map(|(n, d)| (n.as_str(), *d))
        .collect();
    assert_eq!(
        columns,
        [
            ("driver_id", Dtype::Int64),
            ("event_timestamp", Dtype::UnixTimestamp),
            ("created", Dtype::UnixTimestamp),
            ("conv_rate", Dtype::Float64),
            ("acc_rate", Dtype::Float64),
            ("avg_daily_trips", Dtype::Int64),
        ]
    );
    for table in tables
        .iter()
        .chain(spam_comments(SAMPLE_SEED).tables().iter())
    {
        for row in table.rows.iter() {
            assert_eq!(row.len(), table.columns.len(), "{}", table.name);
            for (value, (name, dtype)) in row.iter().zip(&table.columns) {
                if let Some(actual) = value.dtype() {
                    assert_eq!(actual, *dtype, "{}.{name}", table.name);
                }
            }
        }
    }
}

fn timestamp(value: &FeatureValue) -> TimestampUs {
    match value {
        FeatureValue::Timestamp(ts) => *ts,
        other => panic!("{other} is not a timestamp"),
    }
}

#[test]
fn ride_labels_cover_the_fortnight_in_time_order_with_both_labels() {
    let sample = rides(SAMPLE_SEED);
    let frame = &sample.entities["ride_labels"];
    let times: Vec<TimestampUs> = frame.rows.iter().map(|r| timestamp(&r[3])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(times[0] >= START);
    assert!(times[times.len() - 1] < TimestampUs(START.0 + rides::DAYS * US_PER_DAY));
    let accepted = frame
        .rows
        .iter()
        .filter(|r| r[4] == FeatureValue::Int(1))
        .count();
    let share = accepted as f64 / frame.rows.len() as f64;
    assert!((0.35..0.65).contains(&share), "{share}");
    let ids: Vec<i64> = (1..=frame.rows.len() as i64).collect();
    let got: Vec<i64> = frame
        .rows
        .iter()
        .map(|r| match r[0] {
            FeatureValue::Int(id) => id,
            _ => panic!("ride ids are integers"),
        })
        .collect();
    assert_eq!(got, ids);
}

/// A correction repeats an existing row's key and event time, is created later, and is
/// ingested after it.
#[test]
fn late_corrections_reissue_an_earlier_row_with_a_later_created_time() {
    let sample = rides(SAMPLE_SEED);
    let rows = &sample.sources["driver_hourly_stats"].rows;
    let originals: Vec<&FeatureRow> = rows.iter().filter(|r| r.created_ts == r.event_ts).collect();
    let corrections: Vec<&FeatureRow> = rows.iter().filter(|r| r.created_ts > r.event_ts).collect();
    assert!(
        corrections.len() * 100 >= originals.len() * 2,
        "{}",
        corrections.len()
    );
    for correction in corrections {
        let original = originals
            .iter()
            .find(|o| o.keys == correction.keys && o.event_ts == correction.event_ts)
            .expect("a correction re-issues a row");
        assert!(original.seq < correction.seq);
        let days = (correction.created_ts.unwrap().0 - correction.event_ts.unwrap().0) / US_PER_DAY;
        assert!((2..=5).contains(&days));
    }
    assert!(rows.windows(2).all(|w| w[0].created_ts <= w[1].created_ts));
}

#[test]
fn stats_rows_are_stamped_on_the_hour_and_counters_on_the_minute() {
    let rides = rides(SAMPLE_SEED);
    for row in rides.sources["driver_hourly_stats"].rows.iter() {
        assert_eq!(
            (row.event_ts.unwrap().0 - START.0).rem_euclid(US_PER_HOUR),
            0
        );
    }
    let spam = spam_comments(SAMPLE_SEED);
    for row in spam.sources["user_comment_counters"].rows.iter() {
        assert_eq!(
            (row.event_ts.unwrap().0 - START.0).rem_euclid(US_PER_MINUTE),
            0
        );
    }
    // comments never fall on a whole minute, so no counter row counts the comment at its instant
    for row in &spam.entities["comments"].rows {
        assert_ne!(timestamp(&row[2]).0.rem_euclid(US_PER_MINUTE), 0);
    }
}

#[test]
fn the_embedding_is_recomputed_every_two_days_for_every_user() {
    let spam = spam_comments(SAMPLE_SEED);
    let rows = &spam.sources["user_embedding"].rows;
    assert_eq!(rows.len() as i64, spam::USERS * spam::DAYS / 2);
    for row in rows.iter() {
        let offset = row.event_ts.unwrap().0 - START.0;
        assert_eq!(offset.rem_euclid(2 * US_PER_DAY), 0);
    }
}

#[test]
fn customer_profiles_are_daily_and_some_rides_outlive_the_two_day_ttl() {
    let sample = rides(SAMPLE_SEED);
    let rows = &sample.sources["customer_daily_profile"].rows;
    for row in rows.iter() {
        assert_eq!(
            (row.event_ts.unwrap().0 - START.0).rem_euclid(US_PER_DAY),
            0
        );
    }
    // a ride whose customer's latest profile before it is more than two days old
    let frame = &sample.entities["ride_labels"];
    let expired = frame
        .rows
        .iter()
        .filter(|ride| {
            let ts = timestamp(&ride[3]);
            let latest = rows
                .iter()
                .filter(|r| r.keys.0[0] == ride[2] && r.event_ts.unwrap() <= ts)
                .filter_map(|r| r.event_ts)
                .max();
            latest.is_some_and(|l| ts.0 - l.0 > 2 * US_PER_DAY)
        })
        .count();
    assert!(expired >= 50, "{expired}");
}
