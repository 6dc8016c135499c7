use super::*;

fn schema() -> Vec<Column> {
    let column = |name: &str, ty| Column {
        name: name.to_string(),
        ty,
    };
    vec![
        column("order_id", ColumnType::Int),
        column("user", ColumnType::Text),
        column("amount", ColumnType::Float),
        column("status", ColumnType::Text),
        column("ts", ColumnType::Time),
    ]
}

fn expectation(name: &str, condition: Condition, action: Action) -> Expectation {
    Expectation {
        name: name.to_string(),
        condition,
        action,
    }
}

fn config(expectations: Vec<Expectation>) -> MedallionConfig {
    MedallionConfig {
        schema: schema(),
        dedup_key: vec!["order_id".to_string()],
        expectations,
        gold: GoldSpec {
            group_by: "user".to_string(),
            sum_of: "amount".to_string(),
        },
        dropped_rows_kept: 2,
    }
}

fn valid_user() -> Expectation {
    expectation(
        "valid_user",
        Condition::StartsWith {
            column: "user".to_string(),
            prefix: "u".to_string(),
        },
        Action::Drop,
    )
}

fn positive_amount(action: Action) -> Expectation {
    expectation(
        "positive_amount",
        Condition::Range {
            column: "amount".to_string(),
            min: Some(StreamValue::Int(0)),
            max: None,
        },
        action,
    )
}

fn known_status() -> Expectation {
    expectation(
        "known_status",
        Condition::OneOf {
            column: "status".to_string(),
            values: vec![StreamValue::text("paid"), StreamValue::text("refunded")],
        },
        Action::Warn,
    )
}

fn order(id: i64, user: &str, amount: f64, status: &str) -> String {
    format!(
        r#"{{"order_id": {id}, "user": "{user}", "amount": {amount}, "status": "{status}", "ts": "2024-03-01 12:00:{:02}"}}"#,
        id % 60
    )
}

fn pipeline(expectations: Vec<Expectation>) -> Medallion {
    Medallion::new(config(expectations)).unwrap()
}

fn metrics(m: &Medallion, name: &str) -> (u64, u64, u64, u64) {
    let e = m
        .expectation_metrics()
        .iter()
        .find(|e| e.name == name)
        .unwrap();
    (e.passed, e.failed, e.dropped, e.unknown)
}

#[test]
fn payloads_are_parsed_and_typed_with_nulls_for_what_does_not_fit() {
    let mut m = pipeline(Vec::new());
    m.ingest(
        [
            r#"{"order_id": 1, "user": "u1", "amount": 5, "status": "paid", "ts": "2024-03-01 12:00:00"}"#,
            r#"{"order_id": "2", "user": 7, "amount": "x", "ts": "not a time"}"#,
            "not json at all",
            "[1, 2]",
        ],
        TimeUs(0),
    );
    let report = m.update().unwrap();
    assert_eq!((report.bronze_read, report.unparsable), (4, 2));
    let silver = m.silver();
    assert_eq!(silver[0].values[2], StreamValue::Float(5.0));
    assert_eq!(
        silver[0].values[4],
        StreamValue::Time(TimeUs::parse("2024-03-01 12:00:00").unwrap())
    );
    assert!(
        silver[1].values.iter().all(StreamValue::is_null),
        "{:?}",
        silver[1]
    );
    assert_eq!(
        report.duplicates, 2,
        "a mistyped id is NULL, and NULL keys deduplicate as equal (as dropDuplicates does)"
    );
}

#[test]
fn warn_keeps_the_row_and_counts_it() {
    let mut m = pipeline(vec![known_status()]);
    m.ingest(
        [
            order(1, "u1", 10.0, "paid").as_str(),
            &order(2, "u2", 3.0, "lost"),
        ],
        TimeUs(0),
    );
    let report = m.update().unwrap();
    assert_eq!((report.written, report.dropped), (2, 0));
    assert_eq!(metrics(&m, "known_status"), (1, 1, 0, 0));
    assert_eq!(m.dropped_rows().count(), 0);
}

#[test]
fn drop_removes_the_row_before_the_write_and_keeps_it_for_display() {
    let mut m = pipeline(vec![valid_user(), positive_amount(Action::Drop)]);
    let payloads = [
        order(1, "u1", 10.0, "paid"),
        order(2, "bot", 5.0, "paid"),
        order(3, "x", -1.0, "paid"),
        order(4, "u4", 7.5, "paid"),
    ];
    m.ingest(payloads.iter().map(String::as_str), TimeUs(0));
    let report = m.update().unwrap();
    assert_eq!((report.written, report.dropped), (2, 2));
    assert_eq!(metrics(&m, "valid_user"), (2, 2, 2, 0));
    assert_eq!(metrics(&m, "positive_amount"), (3, 1, 1, 0));
    let dropped: Vec<&DroppedRow> = m.dropped_rows().collect();
    assert_eq!(dropped[1].row.offset, 2);
    assert_eq!(dropped[1].violated, vec!["valid_user", "positive_amount"]);
    let gold = m.gold();
    assert_eq!(gold.len(), 2);
    assert_eq!(
        (gold[0].rows, &gold[0].total),
        (1, &StreamValue::Float(10.0))
    );
}

#[test]
fn dropped_rows_kept_for_display_are_bounded() {
    let mut m = pipeline(vec![valid_user()]);
    let payloads: Vec<String> = (0..5).map(|i| order(i, "bot", 1.0, "paid")).collect();
    m.ingest(payloads.iter().map(String::as_str), TimeUs(0));
    m.update().unwrap();
    let kept: Vec<u64> = m.dropped_rows().map(|d| d.row.offset).collect();
    assert_eq!(kept, vec![3, 4], "the latest two of five");
    assert_eq!(m.totals().dropped, 5);
}

#[test]
fn fail_stops_the_update_writes_nothing_and_a_rerun_after_the_fix_reprocesses() {
    let mut m = pipeline(vec![positive_amount(Action::Fail), known_status()]);
    m.ingest([order(1, "u1", 10.0, "paid").as_str()], TimeUs(0));
    m.update().unwrap();
    let before = m.clone();
    let payloads = [
        order(2, "u2", 4.0, "lost"),
        order(3, "u3", -8.0, "paid"),
        order(4, "u4", -9.0, "paid"),
    ];
    m.ingest(payloads.iter().map(String::as_str), TimeUs(1));
    let failure = m.update().unwrap_err();
    assert_eq!(
        (failure.expectation.as_str(), failure.offset),
        ("positive_amount", 2)
    );
    assert!(
        failure.error.message.contains("bronze record 2"),
        "{}",
        failure.error
    );
    assert!(
        failure.error.message.contains("amount >= 0"),
        "{}",
        failure.error
    );
    assert!(failure.row.contains("user: 'u3'"), "{}", failure.row);
    assert_eq!(m.silver(), before.silver());
    assert_eq!(m.gold(), before.gold());
    assert_eq!(m.expectation_metrics(), before.expectation_metrics());
    assert_eq!((m.checkpoint(), m.updates()), (1, (1, 1)));
    assert!(m.update().is_err(), "the same data fails again");

    m.set_action("positive_amount", Action::Drop).unwrap();
    let report = m.update().unwrap();
    assert_eq!(
        (report.bronze_read, report.written, report.dropped),
        (3, 1, 2)
    );
    assert_eq!(m.checkpoint(), 4);
    assert_eq!(
        metrics(&m, "known_status"),
        (3, 1, 0, 0),
        "every row meets every expectation"
    );
}

#[test]
fn duplicates_keep_the_first_record_across_updates() {
    let mut m = pipeline(Vec::new());
    m.ingest(
        [
            order(1, "u1", 10.0, "paid").as_str(),
            &order(1, "u1", 99.0, "paid"),
        ],
        TimeUs(0),
    );
    assert_eq!(m.update().unwrap().duplicates, 1);
    m.ingest([order(1, "u1", 50.0, "paid").as_str()], TimeUs(1));
    assert_eq!(m.update().unwrap().duplicates, 1);
    assert_eq!(m.silver().len(), 1);
    assert_eq!(m.gold()[0].total, StreamValue::Float(10.0));
}

#[test]
fn a_null_value_passes_every_condition_but_not_null_and_is_counted_unknown() {
    let not_null = expectation(
        "has_amount",
        Condition::NotNull {
            column: "amount".to_string(),
        },
        Action::Warn,
    );
    let mut m = pipeline(vec![
        positive_amount(Action::Drop),
        known_status(),
        valid_user(),
        not_null,
    ]);
    m.ingest([r#"{"order_id": 9}"#], TimeUs(0));
    let report = m.update().unwrap();
    assert_eq!(report.written, 1, "NULL passes, as a SQL CHECK does");
    assert_eq!(metrics(&m, "positive_amount"), (1, 0, 0, 1));
    assert_eq!(metrics(&m, "known_status"), (1, 0, 0, 1));
    assert_eq!(metrics(&m, "valid_user"), (1, 0, 0, 1));
    assert_eq!(metrics(&m, "has_amount"), (0, 1, 0, 0));
    assert_eq!(
        m.gold()[0].total,
        StreamValue::Null,
        "sum of only NULLs is NULL"
    );
}

#[test]
fn range_bounds_are_inclusive_and_numbers_compare_by_value() {
    let between = expectation(
        "sane_amount",
        Condition::Range {
            column: "amount".to_string(),
            min: Some(StreamValue::Int(1)),
            max: Some(StreamValue::Float(100.0)),
        },
        Action::Drop,
    );
    let mut m = pipeline(vec![between]);
    let payloads = [
        order(1, "u", 1.0, "paid"),
        order(2, "u", 100.0, "paid"),
        order(3, "u", 0.99, "paid"),
        order(4, "u", 100.01, "paid"),
    ];
    m.ingest(payloads.iter().map(String::as_str), TimeUs(0));
    let report = m.update().unwrap();
    assert_eq!((report.written, report.dropped), (2, 2));
}

#[test]
fn gold_always_equals_a_recount_of_silver() {
    let mut m = pipeline(vec![valid_user(), positive_amount(Action::Drop)]);
    for round in 0..5i64 {
        let payloads: Vec<String> = (0..40i64)
            .map(|i| {
                let id = round * 30 + i;
                let user = ["u1", "u2", "bot", "u3"][(id % 4) as usize];
                order(id, user, ((id * 7) % 23 - 3) as f64, "paid")
            })
            .collect();
        m.ingest(payloads.iter().map(String::as_str), TimeUs(round));
        m.update().unwrap();
        let mut recount: BTreeMap<StreamValue, (u64, f64)> = BTreeMap::new();
        for row in m.silver() {
            let entry = recount.entry(row.values[1].clone()).or_default();
            entry.0 += 1;
            entry.1 += row.values[2].as_f64().unwrap();
        }
        let gold: Vec<(StreamValue, u64, f64)> = m
            .gold()
            .into_iter()
            .map(|g| (g.key, g.rows, g.total.as_f64().unwrap()))
            .collect();
        let expected: Vec<(StreamValue, u64, f64)> =
            recount.into_iter().map(|(k, (n, t))| (k, n, t)).collect();
        assert_eq!(gold, expected);
    }
    assert_eq!(m.totals().duplicates, 4 * 10);
}

#[test]
fn bad_definitions_are_refused_with_a_hint() {
    let typo = expectation(
        "x",
        Condition::NotNull {
            column: "amuont".to_string(),
        },
        Action::Warn,
    );
    let error = Medallion::new(config(vec![typo])).unwrap_err();
    assert!(error.hint.contains("amount"), "{error}");

    let prefix_on_number = expectation(
        "x",
        Condition::StartsWith {
            column: "amount".to_string(),
            prefix: "1".to_string(),
        },
        Action::Warn,
    );
    assert!(Medallion::new(config(vec![prefix_on_number])).is_err());

    let text_bound = expectation(
        "x",
        Condition::Range {
            column: "amount".to_string(),
            min: Some(StreamValue::text("0")),
            max: None,
        },
        Action::Warn,
    );
    assert!(Medallion::new(config(vec![text_bound]))
        .unwrap_err()
        .hint
        .contains("DOUBLE"));

    let reversed = expectation(
        "x",
        Condition::Range {
            column: "amount".to_string(),
            min: Some(StreamValue::Int(5)),
            max: Some(StreamValue::Int(1)),
        },
        Action::Warn,
    );
    assert!(Medallion::new(config(vec![reversed])).is_err());

    let twice = Medallion::new(config(vec![valid_user(), valid_user()])).unwrap_err();
    assert!(twice.message.contains("two expectations"));

    let mut sum_text = config(Vec::new());
    sum_text.gold.sum_of = "user".to_string();
    assert!(Medallion::new(sum_text).is_err());

    let mut m = pipeline(vec![valid_user()]);
    assert!(m
        .set_action("valid_usr", Action::Warn)
        .unwrap_err()
        .hint
        .contains("valid_user"));
    assert!(Action::parse("explode")
        .unwrap_err()
        .hint
        .contains("warn, drop or fail"));
    assert_eq!(Action::parse("drop"), Ok(Action::Drop));
}

#[test]
fn conditions_read_as_sql() {
    assert_eq!(
        positive_amount(Action::Warn).condition.to_sql(),
        "amount >= 0"
    );
    assert_eq!(
        known_status().condition.to_sql(),
        "status IN ('paid', 'refunded')"
    );
    assert_eq!(valid_user().condition.to_sql(), "user LIKE 'u%'");
}

#[test]
fn the_order_feed_meets_exactly_the_expectations_its_defects_break() {
    use crate::generate::orders::{bronze_orders, OrderDefect, OrdersConfig};
    let feed = bronze_orders(
        &OrdersConfig {
            orders: 3000,
            users: 40,
            start: TimeUs(0),
            gap: crate::value::DurationUs::from_seconds(1),
            defect_permille: 80,
            duplicate_permille: 40,
        },
        &sim::rng::Rng::new(sim::rng::Seed(21)),
    )
    .unwrap();
    let distinct = |defect| {
        feed.iter()
            .filter(|o| o.defect == defect && !o.duplicate)
            .count() as u64
    };
    let truncated = distinct(OrderDefect::Truncated);
    assert!(truncated > 1 && distinct(OrderDefect::NegativeAmount) > 1);

    let mut m = Medallion::new(MedallionConfig::orders()).unwrap();
    m.ingest(feed.iter().map(|o| o.payload.as_str()), TimeUs(0));
    let failure = m.update().unwrap_err();
    let first_negative = feed
        .iter()
        .position(|o| o.defect == OrderDefect::NegativeAmount)
        .unwrap();
    assert_eq!(
        (failure.expectation.as_str(), failure.offset),
        ("non_negative_amount", first_negative as u64)
    );
    assert!(m.silver().is_empty() && m.gold().is_empty());

    m.set_action("non_negative_amount", Action::Drop).unwrap();
    let report = m.update().unwrap();
    let all_truncated = feed
        .iter()
        .filter(|o| o.defect == OrderDefect::Truncated)
        .count() as u64;
    assert_eq!(report.unparsable, all_truncated);
    let copies = feed.iter().filter(|o| o.duplicate).count() as u64;
    assert_eq!(
        report.duplicates,
        copies + truncated - 1,
        "copies, and every cut-off payload after the first (NULL ids are equal)"
    );
    let failed = |name: &str| metrics(&m, name).1;
    assert_eq!(failed("valid_order_id"), 1, "the first cut-off payload");
    assert_eq!(failed("has_user"), distinct(OrderDefect::MissingUser) + 1);
    assert_eq!(
        failed("non_negative_amount"),
        distinct(OrderDefect::NegativeAmount)
    );
    assert_eq!(failed("known_status"), distinct(OrderDefect::UnknownStatus));
    assert_eq!(
        failed("has_amount"),
        distinct(OrderDefect::AmountAsText) + 1
    );
    assert_eq!(
        metrics(&m, "non_negative_amount").3,
        distinct(OrderDefect::AmountAsText) + 1,
        "NULL amounts pass the range as unknown"
    );
    let clean = distinct(OrderDefect::None)
        + distinct(OrderDefect::UnknownStatus)
        + distinct(OrderDefect::AmountAsText);
    assert_eq!(report.written, clean);
    assert_eq!(
        m.gold().iter().map(|g| g.rows).sum::<u64>(),
        clean,
        "gold counts every silver row"
    );
}

#[test]
fn records_read_from_a_log_keep_their_offsets_and_the_checkpoint_follows_them() {
    let mut m = pipeline(vec![positive_amount(Action::Fail)]);
    let record = |offset: u64, payload: String| BronzeRecord {
        offset,
        arrival: TimeUs(offset as i64),
        payload,
    };
    m.ingest_at(record(5, order(1, "u1", 10.0, "paid")))
        .unwrap();
    m.ingest_at(record(9, order(2, "u2", 20.0, "paid")))
        .unwrap();
    assert_eq!(m.next_offset(), 10);
    // A record at or before the last offset is refused: bronze takes each record once.
    assert!(m.ingest_at(record(9, order(3, "u3", 1.0, "paid"))).is_err());
    assert!(m.ingest_at(record(2, order(3, "u3", 1.0, "paid"))).is_err());
    assert_eq!(m.update().unwrap().written, 2);
    assert_eq!(m.checkpoint(), 10, "the offset after the last record read");
    let offsets: Vec<u64> = m.silver().iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![5, 9]);
    // A failed update leaves the checkpoint; the next one reads only the records after it.
    m.ingest_at(record(12, order(3, "u3", -1.0, "paid")))
        .unwrap();
    assert_eq!(m.update().unwrap_err().offset, 12);
    assert_eq!(m.checkpoint(), 10);
    m.set_action("positive_amount", Action::Drop).unwrap();
    let report = m.update().unwrap();
    assert_eq!((report.bronze_read, report.dropped), (1, 1));
    assert_eq!(m.checkpoint(), 13);
    // An update over nothing new leaves it where it was.
    assert_eq!(m.update().unwrap().bronze_read, 0);
    assert_eq!(m.checkpoint(), 13);
}
