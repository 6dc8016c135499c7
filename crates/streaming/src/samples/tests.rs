use super::*;
use crate::generate::recommender::{RecommenderLog, RecommenderLogConfig};
use crate::value::US_PER_SECOND;
use crate::watermark::PartitionId;
use sim::rng::{Rng, Seed};

fn s(seconds: i64) -> TimeUs {
    TimeUs(seconds * US_PER_SECOND)
}

/// One partition, no watermark delay, wait 100 s, features from 30 s before to 60 s after.
fn small_config() -> SamplesConfig {
    SamplesConfig {
        wait: DurationUs::from_seconds(100),
        watermark_delay: DurationUs(0),
        idle_timeout: None,
        partitions: 1,
        feature_before: DurationUs::from_seconds(30),
        feature_after: DurationUs::from_seconds(60),
        state_ttl: Some(DurationUs::from_seconds(1000)),
    }
}

fn event(request: u64, kind: RecEventKind, ts: TimeUs, arrival: TimeUs) -> RecEvent {
    RecEvent {
        partition: PartitionId(0),
        request_id: RequestId(request),
        item: ItemId(1),
        kind,
        ts,
        arrival,
        play_time_seconds: if kind == RecEventKind::Play { 30 } else { 0 },
        scene: StreamValue::text("home_feed"),
        exp_id: 2,
    }
}

fn callback(request: u64, ts: TimeUs, arrival: TimeUs, ctr: f64) -> FeatureCallback {
    FeatureCallback {
        partition: PartitionId(0),
        request_id: RequestId(request),
        item: ItemId(1),
        ts,
        arrival,
        features: vec![StreamValue::Float(ctr)],
        repeat: false,
    }
}

fn pipeline(config: SamplesConfig) -> SamplePipeline {
    SamplePipeline::new(config).unwrap()
}

#[test]
fn a_label_is_fixed_exactly_when_the_watermark_reaches_exposure_plus_wait() {
    let mut p = pipeline(small_config());
    assert!(p.on_feature(&callback(1, s(95), s(96), 0.5)).is_empty());
    assert!(p
        .on_event(&event(1, RecEventKind::Exposure, s(100), s(100)))
        .is_empty());
    assert!(p
        .on_event(&event(1, RecEventKind::Click, s(150), s(150)))
        .is_empty());
    let just_before = TimeUs(s(200).0 - 1);
    assert!(p
        .on_event(&event(2, RecEventKind::Exposure, just_before, just_before))
        .is_empty());
    let out = p.on_event(&event(3, RecEventKind::Exposure, s(200), s(201)));
    assert_eq!(out.len(), 1);
    let sample = &out[0].sample;
    assert_eq!(
        (sample.request_id, sample.clicked, sample.exposure_ts),
        (RequestId(1), true, s(100))
    );
    assert_eq!(sample.features, vec![StreamValue::Float(0.5)]);
    assert_eq!(out[0].emitted_at, s(201));
    assert_eq!(p.stats().freshness_max_us, 101 * US_PER_SECOND);
}

#[test]
fn labels_count_only_the_events_inside_the_wait() {
    let mut p = pipeline(small_config());
    p.on_feature(&callback(1, s(100), s(100), 0.1));
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    p.on_event(&event(1, RecEventKind::Play, s(150), s(150)));
    p.on_event(&event(1, RecEventKind::Play, s(199), s(199)));
    let out = p.on_event(&event(1, RecEventKind::Click, s(200), s(200)));
    assert_eq!(
        out.len(),
        1,
        "the click's own time moved the watermark to 200 s"
    );
    assert!(
        !out[0].sample.clicked,
        "a click at exposure + wait is outside [t, t + wait)"
    );
    assert_eq!(out[0].sample.play_time_seconds, 60);
    assert_eq!(
        p.stats().late_positives,
        1,
        "the click beyond the wait is a fake negative"
    );
}

#[test]
fn a_click_after_the_label_went_out_is_a_late_positive_once() {
    let mut p = pipeline(small_config());
    p.on_feature(&callback(1, s(100), s(100), 0.1));
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    let out = p.on_event(&event(2, RecEventKind::Exposure, s(250), s(250)));
    assert_eq!(out.len(), 1);
    assert!(!out[0].sample.clicked);
    p.on_event(&event(1, RecEventKind::Click, s(180), s(260)));
    p.on_event(&event(1, RecEventKind::Click, s(181), s(261)));
    let stats = p.stats();
    assert_eq!(
        (stats.late_positives, stats.negatives, stats.positives),
        (1, 1, 0)
    );
    assert_eq!(stats.label_recall(), Some(0.0));
}

#[test]
fn feature_interval_bounds_are_inclusive() {
    for (feature_ts, joins) in [
        (s(70), true),
        (TimeUs(s(70).0 - 1), false),
        (s(160), true),
        (TimeUs(s(160).0 + 1), false),
    ] {
        let mut p = pipeline(small_config());
        p.on_feature(&callback(1, feature_ts, s(50), 0.1));
        p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
        let out = p.finish(s(400));
        assert_eq!(out.len() == 1, joins, "feature at {feature_ts:?}");
    }
}

#[test]
fn a_feature_arriving_after_its_label_still_joins_and_a_repeat_is_dropped() {
    let mut p = pipeline(small_config());
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    assert!(p
        .on_event(&event(2, RecEventKind::Exposure, s(300), s(300)))
        .is_empty());
    let out = p.on_feature(&callback(1, s(140), s(310), 0.25));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].emitted_at, s(310));
    assert!(p.on_feature(&callback(1, s(145), s(320), 0.99)).is_empty());
    assert_eq!(p.stats().duplicate_callbacks, 1);
}

#[test]
fn events_arriving_before_their_exposure_are_gathered() {
    let mut p = pipeline(small_config());
    p.on_feature(&callback(1, s(100), s(100), 0.1));
    p.on_event(&event(1, RecEventKind::Click, s(120), s(121)));
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(122)));
    let out = p.finish(s(130));
    assert_eq!(out.len(), 1);
    assert!(out[0].sample.clicked);
}

#[test]
fn an_exposure_past_its_window_is_dropped_and_its_events_are_orphans() {
    let mut p = pipeline(small_config());
    p.on_event(&event(2, RecEventKind::Exposure, s(500), s(500)));
    p.on_event(&event(1, RecEventKind::Click, s(450), s(501)));
    p.on_event(&event(1, RecEventKind::Exposure, s(300), s(502)));
    let out = p.finish(s(600));
    assert!(out.is_empty());
    let stats = p.stats();
    assert_eq!((stats.late_exposures, stats.orphan_events), (1, 1));
}

#[test]
fn a_row_waiting_longer_than_the_ttl_is_lost() {
    let mut config = small_config();
    config.state_ttl = Some(DurationUs::from_seconds(50));
    let mut p = pipeline(config);
    p.on_feature(&callback(1, s(100), s(100), 0.1));
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    let out = p.on_event(&event(2, RecEventKind::Exposure, s(200), s(200)));
    assert!(
        out.is_empty(),
        "the feature expired at 150 s, before the label at 200 s"
    );
    assert_eq!(p.stats().rows_lost_to_ttl, 1);
    p.on_processing_time(s(250));
    assert_eq!(
        p.stats().rows_lost_to_ttl,
        2,
        "the label row expired waiting too"
    );
}

#[test]
fn an_idle_partition_stops_holding_labels_back_after_the_timeout() {
    let mut config = small_config();
    config.partitions = 2;
    config.idle_timeout = Some(DurationUs::from_seconds(10));
    let mut p = pipeline(config);
    p.on_feature(&callback(1, s(100), s(100), 0.1));
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    assert!(p
        .on_event(&event(2, RecEventKind::Exposure, s(300), s(105)))
        .is_empty());
    assert_eq!(p.on_processing_time(s(109)).len(), 0);
    let records = Operator::on_processing_time(&mut p, s(110));
    assert_eq!(records.len(), 1, "partition 1 never wrote: idle at 10 s");
    assert_eq!(records[0].key, sample_key(RequestId(1), ItemId(1)));
    assert_eq!(records[0].values[0], StreamValue::Time(s(100)));
    assert_eq!(records[0].ts, s(100));
}

#[test]
fn records_give_the_same_samples_as_typed_calls_and_bad_records_are_counted() {
    let log =
        RecommenderLog::generate(&RecommenderLogConfig::typical(150), &Rng::new(Seed(2))).unwrap();
    let config = SamplesConfig::production(2);
    let mut typed = pipeline(config.clone());
    let expected: Vec<OutputRecord> =
        run_pipeline(&mut typed, &log.events, &log.features, DurationUs(0))
            .iter()
            .map(|e| e.sample.to_output_record())
            .collect();
    let mut records: Vec<SourceRecord> = log
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| e.to_source_record(i as u64))
        .chain(
            log.features
                .iter()
                .enumerate()
                .map(|(i, f)| f.to_source_record(i as u64)),
        )
        .collect();
    records.sort_by_key(|r| (r.arrival, r.values[0] == StreamValue::text(FEATURE_KIND)));
    let mut op = pipeline(config);
    let mut got = Vec::new();
    for record in &records {
        got.extend(op.process(record));
    }
    let mut checkpoint = op.clone();
    got.extend(
        SamplePipeline::finish(&mut op, records.last().unwrap().arrival)
            .iter()
            .map(|e| e.sample.to_output_record()),
    );
    assert_eq!(got, expected);
    assert!(!got.is_empty());

    let mut bad = records[0].clone();
    bad.values = vec![StreamValue::text("purchase")];
    assert!(checkpoint.process(&bad).is_empty());
    bad.key = vec![StreamValue::Int(-1), StreamValue::Int(1)];
    bad.values = records[0].values.clone();
    assert!(checkpoint.process(&bad).is_empty());
    bad.key = records[0].key.clone();
    bad.ts = None;
    assert!(checkpoint.process(&bad).is_empty());
    assert_eq!(checkpoint.stats().invalid_records, 3);
}

#[test]
fn a_checkpoint_hashes_like_the_state_it_copies() {
    let mut p = pipeline(small_config());
    p.on_event(&event(1, RecEventKind::Exposure, s(100), s(100)));
    let copy = p.clone();
    let hash = |p: &SamplePipeline| {
        let mut h = sim::state_hash::StateHasher::new();
        Operator::hash_into(p, &mut h);
        h.finish()
    };
    assert_eq!(hash(&p), hash(&copy));
    p.on_event(&event(1, RecEventKind::Click, s(110), s(110)));
    assert_ne!(hash(&p), hash(&copy));
    assert_eq!(Operator::state_rows(&p), 1);
}

#[test]
fn impossible_settings_are_refused() {
    let mut config = small_config();
    config.wait = DurationUs(0);
    assert!(SamplePipeline::new(config)
        .unwrap_err()
        .hint
        .contains("900"));
    let mut config = small_config();
    config.state_ttl = Some(DurationUs(0));
    assert!(SamplePipeline::new(config).is_err());
    let mut config = small_config();
    config.feature_before = DurationUs(-1);
    assert!(SamplePipeline::new(config).is_err());
}

/// The production log of `requests` requests, streamed with `wait` and `ttl`, and its batch.
fn stream_and_batch(
    requests: u32,
    wait_seconds: i64,
    ttl_seconds: i64,
) -> (SampleStats, Vec<Sample>, Vec<Sample>) {
    let log = RecommenderLog::generate(
        &RecommenderLogConfig::typical(requests),
        &Rng::new(Seed(11)),
    )
    .unwrap();
    let mut config = SamplesConfig::production(2);
    config.wait = DurationUs::from_seconds(wait_seconds);
    config.state_ttl = Some(DurationUs::from_seconds(ttl_seconds));
    let mut p = pipeline(config.clone());
    let streamed = run_pipeline(
        &mut p,
        &log.events,
        &log.features,
        DurationUs::from_seconds(1),
    );
    let batch = batch_samples(&log.events, &log.features, &config);
    (
        p.stats(),
        streamed.into_iter().map(|e| e.sample).collect(),
        batch,
    )
}

#[test]
fn streaming_matches_the_batch_when_the_wait_covers_every_click() {
    let (stats, streamed, batch) = stream_and_batch(800, 4000, 3 * 3600);
    let d = diagnose(&streamed, &batch);
    assert!(d.batch_samples > 3500 && d.batch_positives > 300, "{d:?}");
    assert_eq!(
        (
            d.missing_in_stream,
            d.extra_in_stream,
            d.label_mismatches,
            d.feature_mismatches,
            d.duplicate_samples
        ),
        (0, 0, 0, 0, 0),
        "{d:?}"
    );
    assert_eq!(d.streaming_positive_ratio(), d.batch_positive_ratio());
    assert_eq!((stats.late_positives, stats.rows_lost_to_ttl), (0, 0));
    assert!(
        stats.duplicate_callbacks > 0,
        "repeated callbacks were there and dropped"
    );
}

#[test]
fn a_short_wait_turns_slow_clicks_into_fake_negatives() {
    let (stats, streamed, batch) = stream_and_batch(800, 300, 2400);
    let (long_ttl, _, _) = stream_and_batch(800, 300, 3 * 3600);
    let d = diagnose(&streamed, &batch);
    assert_eq!(
        (d.missing_in_stream, d.extra_in_stream, d.feature_mismatches),
        (0, 0, 0),
        "{d:?}"
    );
    assert!(d.label_mismatches > 20, "{d:?}");
    assert!(d.streaming_positive_ratio() < d.batch_positive_ratio());
    assert!(
        stats.late_positives > 0 && stats.late_positives < d.label_mismatches,
        "the pipeline sees the late clicks that come within the TTL, not the later ones: {} of {}",
        stats.late_positives,
        d.label_mismatches
    );
    assert_eq!(stats.positives, d.streaming_positives);
    assert_eq!(
        long_ttl.late_positives, d.label_mismatches,
        "with markers kept past the slowest click, every mismatch is counted as a fake negative"
    );
}

#[test]
fn sweeping_the_wait_trades_freshness_for_label_recall() {
    let mut recalls = Vec::new();
    let mut freshness = Vec::new();
    for wait in [60, 300, 900, 1800] {
        let (stats, streamed, batch) = stream_and_batch(800, wait, 2400);
        let d = diagnose(&streamed, &batch);
        assert_eq!(
            (d.missing_in_stream, d.feature_mismatches),
            (0, 0),
            "wait {wait}: {d:?}"
        );
        let batch_recall = d.streaming_positives as f64 / d.batch_positives as f64;
        let seen_recall = stats.label_recall().unwrap();
        assert!(
            seen_recall >= batch_recall,
            "wait {wait}: clicks after the TTL go unseen"
        );
        recalls.push(batch_recall);
        let mean = stats.mean_freshness().unwrap();
        assert!(
            mean.0 >= wait * US_PER_SECOND,
            "wait {wait}: freshness {mean:?}"
        );
        freshness.push(mean.0);
    }
    assert!(
        recalls.windows(2).all(|w| w[0] < w[1]),
        "recall {recalls:?}"
    );
    assert!(
        freshness.windows(2).all(|w| w[0] < w[1]),
        "freshness {freshness:?}"
    );
    assert!(recalls[0] < 0.5 && recalls[3] > 0.85, "recall {recalls:?}");
}

#[test]
fn a_ttl_shorter_than_the_wait_loses_samples() {
    let (stats, streamed, batch) = stream_and_batch(400, 900, 600);
    let d = diagnose(&streamed, &batch);
    assert!(stats.rows_lost_to_ttl > 100, "{stats:?}");
    assert!(d.missing_in_stream > 100, "{d:?}");
}
