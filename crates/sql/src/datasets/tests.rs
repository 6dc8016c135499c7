//! Determinism, shapes and value domains of the sample tables.

use super::*;
use crate::value::{parse_date, DataType, Value, MICROS_PER_DAY};
use std::collections::{BTreeMap, BTreeSet};

fn by_name(tables: &[(&'static str, Table)], name: &str) -> Table {
    tables
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.clone())
        .unwrap()
}

fn col(table: &Table, name: &str) -> Vec<Value> {
    let i = table.column_index(name).unwrap();
    (0..table.rows).map(|r| table.columns[i].get(r)).collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::BigInt(i) => *i,
        other => panic!("not a BIGINT: {other:?}"),
    }
}

fn ts(v: &Value) -> i64 {
    match v {
        Value::Timestamp(t) => *t,
        other => panic!("not a TIMESTAMP: {other:?}"),
    }
}

fn date(v: &Value) -> i32 {
    match v {
        Value::Date(d) => *d,
        other => panic!("not a DATE: {other:?}"),
    }
}

fn schema(table: &Table) -> Vec<(String, DataType)> {
    table
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.data_type))
        .collect()
}

fn small() -> Vec<(&'static str, Table)> {
    samples(SAMPLE_SEED, Size::Small)
}

#[test]
fn the_same_seed_gives_identical_tables() {
    assert_eq!(small(), small());
    let other = samples(Seed(7), Size::Small);
    assert_ne!(
        by_name(&other, "push_events"),
        by_name(&small(), "push_events")
    );
    assert_ne!(by_name(&other, "rides"), by_name(&small(), "rides"));
    assert_ne!(by_name(&other, "events"), by_name(&small(), "events"));
}

/// The small samples' fingerprint. Lessons quote numbers from these tables: if this changes,
/// check the lessons' expected answers, then update it.
#[test]
fn the_small_samples_are_pinned() {
    let mut text = String::new();
    for (name, table) in small() {
        text.push_str(name);
        text.push_str(&crate::csv::to_csv(&table));
    }
    assert_eq!(
        sim::state_hash::fnv1a64(text.as_bytes()),
        10_638_365_405_660_756_105
    );
}

#[test]
fn tables_have_their_documented_schemas() {
    use DataType::*;
    let tables = small();
    let names: Vec<&str> = tables.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, SAMPLE_TABLES);
    let expect: [(&str, &[(&str, DataType)]); 7] = [
        (
            "push_events",
            &[
                ("cuid", Text),
                ("event_type", Text),
                ("event_day", Date),
                ("sid", Text),
                ("source", Text),
                ("is_all", BigInt),
                ("tag_type", Text),
                ("break_max", BigInt),
                ("push_active_level", BigInt),
            ],
        ),
        (
            "rides",
            &[
                ("ride_id", BigInt),
                ("driver_id", BigInt),
                ("customer_id", BigInt),
                ("requested_at", Timestamp),
                ("completed_at", Timestamp),
                ("fare", Double),
                ("city", Text),
                ("status", Text),
            ],
        ),
        (
            "drivers",
            &[
                ("driver_id", BigInt),
                ("name", Text),
                ("city", Text),
                ("signed_up", Date),
                ("rating", Double),
            ],
        ),
        (
            "customers",
            &[
                ("customer_id", BigInt),
                ("name", Text),
                ("city", Text),
                ("signed_up", Date),
            ],
        ),
        (
            "users",
            &[
                ("user_id", BigInt),
                ("name", Text),
                ("country", Text),
                ("signup_date", Date),
            ],
        ),
        (
            "orders",
            &[
                ("order_id", BigInt),
                ("user_id", BigInt),
                ("ordered_at", Timestamp),
                ("amount", Double),
                ("status", Text),
            ],
        ),
        (
            "events",
            &[
                ("event_id", BigInt),
                ("user_id", BigInt),
                ("request_id", Text),
                ("event_type", Text),
                ("occurred_at", Timestamp),
            ],
        ),
    ];
    for ((name, table), (want_name, want)) in tables.iter().zip(expect) {
        assert_eq!(*name, want_name);
        let want: Vec<(String, DataType)> = want.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        assert_eq!(schema(table), want, "{name}");
        assert!(
            table.columns.iter().all(|c| c.len() == table.rows),
            "{name}"
        );
    }
    for name in ["push_events", "rides", "orders"] {
        assert_eq!(by_name(&tables, name).rows, 5_000, "{name}");
    }
    let events = by_name(&tables, "events").rows;
    assert!((5_000..8_000).contains(&events), "{events}");
    assert_eq!(by_name(&tables, "customers").rows, 625);
    assert_eq!(by_name(&tables, "drivers").rows, 125);
    assert_eq!(by_name(&tables, "users").rows, 833);
}

#[test]
fn push_events_fit_the_pv_uv_query() {
    let t = by_name(&small(), "push_events");
    let kinds: BTreeSet<String> = col(&t, "event_type").iter().map(Value::to_string).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "app_open",
            "push_click",
            "push_dismiss",
            "push_receive",
            "push_show"
        ]
    );
    let sources = col(&t, "source");
    let buckets: BTreeSet<String> = sources
        .iter()
        .filter(|v| !v.is_null())
        .map(Value::to_string)
        .collect();
    assert_eq!(
        buckets.into_iter().collect::<Vec<_>>(),
        ["ctrl_1", "ctrl_2", "exp_a_1", "exp_a_2", "exp_b_1", "exp_b_2", "organic"]
    );
    assert!(sources.iter().any(Value::is_null));
    assert!(col(&t, "tag_type").iter().any(Value::is_null));
    assert!(col(&t, "break_max").iter().any(Value::is_null));
    for name in [
        "cuid",
        "event_type",
        "event_day",
        "sid",
        "is_all",
        "push_active_level",
    ] {
        assert!(col(&t, name).iter().all(|v| !v.is_null()), "{name}");
    }
    assert!(col(&t, "is_all").iter().all(|v| matches!(int(v), 0 | 1)));
    let levels: BTreeSet<i64> = col(&t, "push_active_level").iter().map(int).collect();
    assert_eq!(levels.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    let days: BTreeSet<i32> = col(&t, "event_day").iter().map(date).collect();
    assert_eq!(days.first(), parse_date("2024-06-01").as_ref());
    assert_eq!(days.last(), parse_date("2024-06-14").as_ref());
    // Skew: the most active tenth of the users log about half of the rows.
    let mut per_user: BTreeMap<String, usize> = BTreeMap::new();
    for v in col(&t, "cuid") {
        *per_user.entry(v.to_string()).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_user.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top: usize = counts[..counts.len() / 10].iter().sum();
    assert!(top * 100 / t.rows >= 35, "top tenth: {top} of {}", t.rows);
    // pv > uv for shows: some users see many pushes, and some shows are logged twice.
    let shows = col(&t, "event_type")
        .iter()
        .filter(|v| v.to_string() == "push_show")
        .count();
    assert!(shows > per_user.len());
}

#[test]
fn rides_are_consistent_in_time_and_by_key() {
    let tables = small();
    let (rides, drivers, customers) = (
        by_name(&tables, "rides"),
        by_name(&tables, "drivers"),
        by_name(&tables, "customers"),
    );
    let driver_signup: Vec<i32> = col(&drivers, "signed_up").iter().map(date).collect();
    let customer_signup: Vec<i32> = col(&customers, "signed_up").iter().map(date).collect();
    let status = col(&rides, "status");
    let requested: Vec<i64> = col(&rides, "requested_at").iter().map(ts).collect();
    let completed = col(&rides, "completed_at");
    let fares = col(&rides, "fare");
    assert!(
        requested.windows(2).all(|w| w[0] <= w[1]),
        "ride ids follow request time"
    );
    let (mut cancelled, mut fee) = (0, 0);
    for (i, (driver, customer)) in col(&rides, "driver_id")
        .iter()
        .zip(col(&rides, "customer_id"))
        .enumerate()
    {
        let ride_day = requested[i].div_euclid(MICROS_PER_DAY) as i32;
        let driver = usize::try_from(int(driver) - 1).unwrap();
        let customer = usize::try_from(int(&customer) - 1).unwrap();
        assert!(
            driver_signup[driver] <= ride_day,
            "ride {i}: driver not signed up yet"
        );
        assert!(
            customer_signup[customer] <= ride_day,
            "ride {i}: customer not signed up yet"
        );
        match status[i].to_string().as_str() {
            "completed" => {
                assert!(ts(&completed[i]) > requested[i]);
                assert!(matches!(fares[i], Value::Double(f) if f > 2.0));
            }
            "cancelled" => {
                cancelled += 1;
                assert!(completed[i].is_null());
                if !fares[i].is_null() {
                    fee += 1;
                    assert_eq!(fares[i], Value::Double(5.0));
                }
            }
            other => panic!("status {other}"),
        }
    }
    assert!((250..750).contains(&cancelled), "{cancelled}");
    assert!(fee > 0 && fee < cancelled);
    let ratings = col(&drivers, "rating");
    assert!(ratings.iter().any(Value::is_null));
    assert!(ratings
        .iter()
        .all(|r| r.is_null() || matches!(r, Value::Double(x) if (3.5..=5.0).contains(x))));
    // Some customers never ride: a LEFT JOIN has something to show.
    let riders: BTreeSet<i64> = col(&rides, "customer_id").iter().map(int).collect();
    assert!(riders.len() < customers.rows);
}

#[test]
fn events_repeat_callbacks_strictly_later() {
    let tables = small();
    let (users, orders, events) = (
        by_name(&tables, "users"),
        by_name(&tables, "orders"),
        by_name(&tables, "events"),
    );
    let mut by_request: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    let ids: Vec<i64> = col(&events, "event_id").iter().map(int).collect();
    assert_eq!(ids, (1..=events.rows as i64).collect::<Vec<_>>());
    for ((request, kind), (at, user)) in col(&events, "request_id")
        .iter()
        .zip(col(&events, "event_type"))
        .zip(
            col(&events, "occurred_at")
                .iter()
                .zip(col(&events, "user_id")),
        )
    {
        by_request.entry(request.to_string()).or_default().push((
            kind.to_string(),
            ts(at),
            int(&user),
        ));
    }
    let mut duplicated = 0;
    for (request, callbacks) in &by_request {
        if callbacks.len() > 1 {
            duplicated += 1;
        }
        assert!(callbacks.len() <= 4, "{request}");
        assert!(callbacks
            .windows(2)
            .all(|w| w[0].0 == w[1].0 && w[0].2 == w[1].2 && w[0].1 < w[1].1));
    }
    let share = duplicated * 100 / by_request.len();
    assert!((25..45).contains(&share), "{share}% of requests repeat");
    let statuses = col(&orders, "status");
    let pending = statuses
        .iter()
        .filter(|s| s.to_string() == "pending")
        .count();
    let refunded = statuses
        .iter()
        .filter(|s| s.to_string() == "refunded")
        .count();
    assert!(pending > 0 && refunded > 0);
    assert_eq!(by_request.len(), orders.rows - pending + refunded);
    let signup: Vec<i32> = col(&users, "signup_date").iter().map(date).collect();
    for (user, at) in col(&orders, "user_id")
        .iter()
        .zip(col(&orders, "ordered_at"))
    {
        let user = usize::try_from(int(user) - 1).unwrap();
        assert!(i64::from(signup[user]) * MICROS_PER_DAY <= ts(&at));
    }
    assert!(col(&users, "country").iter().any(Value::is_null));
}

#[test]
fn sizes_scale_the_fact_tables() {
    assert_eq!(Size::default(), Size::Small);
    assert!(Size::Large.fact_rows() >= 100_000);
    assert_eq!(Size::Rows(0).fact_rows(), 1);
    assert_eq!(Size::Rows(usize::MAX).fact_rows(), FACT_ROWS_MAX);
    let tiny = samples(Seed(3), Size::Rows(1));
    assert_eq!(by_name(&tiny, "rides").rows, 1);
    assert_eq!(by_name(&tiny, "push_events").rows, 1);
    let mut session = Session::new();
    load_samples(&mut session, Size::Rows(300));
    assert_eq!(
        session
            .tables()
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        SAMPLE_TABLES.into_iter().collect()
    );
    assert_eq!(session.table("RIDES").map(|t| t.table().rows), Some(300));
}
