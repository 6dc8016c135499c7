//! The leakage lessons' claims, checked on the generated samples with the real joins and the
//! trainer: a naive latest-value join inflates offline AUC (and the model does worse on later
//! data), a point-in-time join does not; fresh counters beat a stale embedding; the created
//! cutoff changes what a backfilled row gives. Run with `--nocapture` to see the AUCs.

use features::evaluate::evaluate;
use features::historical::{
    get_historical_features, latest_value_join, HistoricalOptions, NullReason, ViewMatch,
};
use features::model::FeatureRef;
use features::samples::{rides, spam, FeatureSample, SAMPLE_SEED};
use features::value::FeatureValue;
use sim::rng::Seed;

/// The lab's sample seed, and five others.
const SEEDS: [u64; 6] = [SAMPLE_SEED.0, 1, 2, 3, 4, 5];

fn service(sample: &FeatureSample, name: &str) -> Vec<FeatureRef> {
    sample
        .repo
        .services
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.features.clone())
        .unwrap_or_else(|| panic!("no service {name}"))
}

struct LeakageAucs {
    naive_offline: f64,
    naive_later: f64,
    pit_offline: f64,
    pit_later: f64,
}

fn leakage_aucs(seed: u64) -> LeakageAucs {
    let sample = rides::rides(Seed(seed));
    let frame = &sample.entities["ride_labels"];
    let refs = service(&sample, "driver_activity");
    let options = HistoricalOptions::default();
    let pit =
        get_historical_features(&sample.repo, &sample.sources, frame, &refs, options).unwrap();
    let naive = latest_value_join(&sample.repo, &sample.sources, frame, &refs, options).unwrap();
    let split = rides::later_data_from();
    // the naive model is served what a point-in-time join gives: what was known at request time
    let naive_eval = evaluate(frame, "label", split, &naive, &pit).unwrap();
    let pit_eval = evaluate(frame, "label", split, &pit, &pit).unwrap();
    LeakageAucs {
        naive_offline: naive_eval.offline_auc,
        naive_later: naive_eval.later_auc,
        pit_offline: pit_eval.offline_auc,
        pit_later: pit_eval.later_auc,
    }
}

#[test]
fn a_naive_join_inflates_offline_auc_and_a_point_in_time_join_does_not() {
    for seed in SEEDS {
        let a = leakage_aucs(seed);
        println!(
            "seed {seed:>2}: naive offline {:.3} later {:.3} (drop {:.3}) | \
             point-in-time offline {:.3} later {:.3} (gap {:.3})",
            a.naive_offline,
            a.naive_later,
            a.naive_offline - a.naive_later,
            a.pit_offline,
            a.pit_later,
            a.pit_offline - a.pit_later,
        );
        assert!(a.naive_offline - a.naive_later >= 0.10, "seed {seed}");
        assert!((a.pit_offline - a.pit_later).abs() <= 0.04, "seed {seed}");
    }
}

/// Later-data AUC of a model trained on the training comments with the features of `service`.
fn spam_later_auc(sample: &FeatureSample, service_name: &str) -> f64 {
    let frame = &sample.entities["comments"];
    let refs = service(sample, service_name);
    let set = get_historical_features(
        &sample.repo,
        &sample.sources,
        frame,
        &refs,
        HistoricalOptions::default(),
    )
    .unwrap();
    evaluate(frame, "is_spam", spam::later_data_from(), &set, &set)
        .unwrap()
        .later_auc
}

#[test]
fn fresh_counters_beat_a_stale_embedding() {
    for seed in SEEDS {
        let sample = spam::spam_comments(Seed(seed));
        let with_counters = spam_later_auc(&sample, "spam_filter");
        let embedding_only = spam_later_auc(&sample, "embedding_only");
        println!(
            "seed {seed:>2}: later AUC with counters {with_counters:.3}, embedding only \
             {embedding_only:.3}"
        );
        assert!(with_counters - embedding_only >= 0.10, "seed {seed}");
    }
}

#[test]
fn the_created_cutoff_hides_late_corrections() {
    let sample = rides::rides(SAMPLE_SEED);
    let frame = &sample.entities["ride_labels"];
    let refs = service(&sample, "driver_activity");
    let join = |created_cutoff| {
        let options = HistoricalOptions {
            full_feature_names: false,
            created_cutoff,
        };
        get_historical_features(&sample.repo, &sample.sources, frame, &refs, options).unwrap()
    };
    let (default, cutoff) = (join(false), join(true));
    let width = frame.columns.len();
    let mut corrected = 0;
    let mut changed = 0;
    for (i, row) in frame.rows.iter().enumerate() {
        let FeatureValue::Timestamp(entity_ts) = row[frame.timestamp_column] else {
            panic!("entity rows have timestamps");
        };
        match (&default.matches[i][0], &cutoff.matches[i][0]) {
            (
                ViewMatch::Matched {
                    created_ts: Some(created),
                    event_ts,
                    ..
                },
                ViewMatch::Matched {
                    event_ts: cutoff_event,
                    created_ts: Some(cutoff_created),
                    ..
                },
            ) if *created > entity_ts => {
                // a correction written after the ride: the cutoff gives the original instead
                corrected += 1;
                assert_eq!(event_ts, cutoff_event);
                assert!(*cutoff_created <= entity_ts);
                if default.rows[i][width..] != cutoff.rows[i][width..] {
                    changed += 1;
                }
            }
            _ => assert_eq!(default.rows[i], cutoff.rows[i], "row {i}"),
        }
    }
    println!("{corrected} rides matched a later correction; the cutoff changed {changed}");
    assert!(corrected >= 20);
    assert!(changed * 10 >= corrected * 9);
}

#[test]
fn two_views_with_different_ttls_miss_independently() {
    let sample = rides::rides(SAMPLE_SEED);
    let frame = &sample.entities["ride_labels"];
    let refs = service(&sample, "ride_model");
    let set = get_historical_features(
        &sample.repo,
        &sample.sources,
        frame,
        &refs,
        HistoricalOptions::default(),
    )
    .unwrap();
    assert_eq!(set.views, ["driver_hourly_stats", "customer_daily_profile"]);
    let customer_expired_driver_present = set
        .matches
        .iter()
        .filter(|m| {
            matches!(m[0], ViewMatch::Matched { .. })
                && m[1] == ViewMatch::Missing(NullReason::ExpiredByTtl)
        })
        .count();
    let driver_expired = set
        .matches
        .iter()
        .filter(|m| m[0] == ViewMatch::Missing(NullReason::ExpiredByTtl))
        .count();
    println!(
        "{} rides: customer features expired (TTL 2 days) with driver features present: \
         {customer_expired_driver_present}; driver features expired (TTL 1 day): {driver_expired}",
        frame.rows.len()
    );
    assert!(customer_expired_driver_present >= 100);
}
