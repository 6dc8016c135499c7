//! Distributed runs over the `web_logs` dataset: a hand-written query for every plan shape
//! (each equal to its single-machine run under several configurations), the stages each shape
//! splits into, the bytes each exchange moves (recomputed here from the definition of an
//! `UnsafeRow`'s size), AQE's coalescing and skew splits, cached scans and EXPLAIN.

use sim::rng::Seed;
use sql::datasets::web_logs;
use sql::distributed::{DistConfig, DistributedRun, Exchange, JoinStrategy, Stage};
use sql::{Outcome, Session, Table, Value};

const SEED: Seed = Seed(2026);

fn web() -> Session {
    let mut session = Session::new();
    web_logs::add_to(&mut session, SEED);
    session
}

fn single(session: &Session, sql: &str) -> Table {
    let mut session = session.clone();
    match session.execute(sql) {
        Ok(mut out) => match out.pop() {
            Some(Outcome::Rows(r)) => r.table,
            other => panic!("{sql}: not rows: {other:?}"),
        },
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn run(session: &Session, sql: &str, config: &DistConfig) -> DistributedRun {
    let mut session = session.clone();
    session
        .run_distributed(sql, config)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A configuration without AQE and with Spark's default threshold, `partitions` everywhere.
fn plain(partitions: u16) -> DistConfig {
    DistConfig {
        aqe: false,
        ..DistConfig::spark_defaults(partitions)
    }
}

fn sorted_rows(table: &Table) -> Vec<Vec<Value>> {
    let mut rows = table.to_rows();
    rows.sort();
    rows
}

/// The size of a row by the definition (module docs of `sql::distributed`), from its values.
fn unsafe_row_bytes(row: &[Value]) -> u64 {
    let n = row.len() as u64;
    let bitset = n.div_ceil(64) * 8;
    let text: u64 = row
        .iter()
        .map(|v| match v {
            Value::Text(s) => (s.len() as u64).div_ceil(8) * 8,
            _ => 0,
        })
        .sum();
    bitset + 8 * n + text
}

fn rows_bytes(table: &Table) -> u64 {
    table.to_rows().iter().map(|r| unsafe_row_bytes(r)).sum()
}

fn writes(stage: &Stage) -> u64 {
    stage.tasks.iter().map(|t| t.shuffle_write_bytes).sum()
}

fn reads(stage: &Stage) -> u64 {
    stage.tasks.iter().map(|t| t.shuffle_read_bytes).sum()
}

/// Every stage reads what its parents wrote: all of a shuffle's bytes, a broadcast's whole
/// table once per task. A skew join reads more: the other side's partition once per piece of
/// the skewed one (as Spark's split tasks do).
fn assert_bytes_balance(run: &DistributedRun, sql: &str) {
    for stage in &run.stages {
        let expected: u64 = stage
            .parents
            .iter()
            .map(|p| {
                let parent = &run.stages[*p as usize];
                match parent.output {
                    Some(Exchange::Broadcast) => writes(parent) * stage.tasks.len() as u64,
                    _ => writes(parent),
                }
            })
            .sum();
        if stage.skew_splits.is_empty() {
            assert_eq!(reads(stage), expected, "{sql}: stage {}", stage.id);
        } else {
            assert!(reads(stage) > expected, "{sql}: stage {}", stage.id);
        }
        for p in &stage.parents {
            assert!(*p < stage.id, "{sql}: parents come before children");
        }
    }
    let last = run.stages.last().expect("a result stage");
    assert_eq!(last.output, None, "{sql}: the last stage is the result");
    assert_eq!(writes(last), 0);
}

/// One query per plan shape; `ordered` when its ORDER BY is total (or it is a LIMIT over the
/// scan order, which the distributed run keeps).
const SHAPES: [(&str, bool); 31] = [
    (
        "SELECT view_id, page, ms FROM page_views WHERE country = 'DE' AND ms > 1000",
        true,
    ),
    (
        "SELECT page, count(*), sum(ms), avg(ms), min(ts), max(country) FROM page_views GROUP \
         BY page",
        false,
    ),
    ("SELECT count(*), avg(ms), max(ms) FROM page_views", false),
    (
        "SELECT country, count(DISTINCT user_id), count(*) FROM page_views GROUP BY country",
        false,
    ),
    (
        "SELECT view_id, ms FROM page_views WHERE ms > 2500 ORDER BY ms DESC, view_id",
        true,
    ),
    (
        "SELECT view_id, ms FROM page_views ORDER BY ms DESC, view_id LIMIT 10 OFFSET 5",
        true,
    ),
    ("SELECT view_id, page FROM page_views LIMIT 7", true),
    (
        "SELECT view_id FROM page_views WHERE ms > 2000 LIMIT 5 OFFSET 3",
        true,
    ),
    (
        "SELECT p.section, count(*) FROM page_views v JOIN pages p ON v.page = p.page GROUP \
         BY p.section",
        false,
    ),
    (
        "SELECT vi.plan, count(*), avg(v.ms) FROM page_views v JOIN visitors vi ON v.user_id \
         = vi.user_id GROUP BY vi.plan",
        false,
    ),
    (
        "SELECT p.page, v.view_id FROM pages p LEFT JOIN page_views v ON v.page = p.page AND \
         v.ms > 2990",
        false,
    ),
    (
        "SELECT p.page, v.view_id FROM page_views v RIGHT JOIN pages p ON v.page = p.page AND \
         v.ms > 2990",
        false,
    ),
    (
        "SELECT p.page, v.view_id FROM (SELECT * FROM page_views WHERE ms > 2980) v FULL JOIN \
         pages p ON v.page = p.page",
        false,
    ),
    (
        "SELECT a.view_id, b.view_id FROM (SELECT * FROM page_views WHERE ms > 2990) a JOIN \
         (SELECT * FROM page_views WHERE ms > 2990) b ON a.ms < b.ms",
        false,
    ),
    (
        "SELECT view_id, row_number() OVER (PARTITION BY page ORDER BY ts, view_id) FROM \
         page_views WHERE ms > 1500",
        false,
    ),
    (
        "SELECT view_id, sum(ms) OVER (ORDER BY view_id ROWS BETWEEN 2 PRECEDING AND CURRENT \
         ROW) FROM page_views WHERE country = 'NG'",
        false,
    ),
    (
        "SELECT DISTINCT country, page FROM page_views WHERE ms > 1000",
        false,
    ),
    (
        "SELECT page FROM pages UNION SELECT page FROM page_views WHERE ms > 2900",
        false,
    ),
    (
        "SELECT user_id FROM page_views WHERE ms > 2000 UNION ALL SELECT user_id FROM \
         visitors WHERE plan = 'team'",
        false,
    ),
    (
        "SELECT country FROM visitors INTERSECT SELECT country FROM page_views WHERE ms > \
         2950",
        false,
    ),
    (
        "SELECT user_id FROM visitors EXCEPT ALL SELECT user_id FROM page_views",
        false,
    ),
    (
        "SELECT count(*) FROM page_views WHERE ms > (SELECT avg(ms) FROM page_views)",
        false,
    ),
    (
        "SELECT page FROM pages p WHERE EXISTS (SELECT 1 FROM page_views v WHERE v.page = \
         p.page AND v.ms > 2950)",
        false,
    ),
    (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT \
         sum(x) FROM n",
        false,
    ),
    (
        "SELECT x, y FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS v(x, y) WHERE x > 1",
        false,
    ),
    (
        "SELECT page, window_start, count(*) FROM TUMBLE(page_views, ts, INTERVAL '1' DAY) \
         WHERE ms > 2000 GROUP BY page, window_start",
        false,
    ),
    (
        "SELECT page, count(*) AS n FROM page_views GROUP BY page ORDER BY n DESC, page",
        true,
    ),
    (
        "SELECT user_id, window_start, window_end, count(*) FROM SESSION(page_views, ts, \
         INTERVAL '30' MINUTE) WHERE country = 'JP' GROUP BY user_id, window_start, \
         window_end",
        false,
    ),
    (
        "SELECT window_start, count(*) FROM HOP(page_views, ts, INTERVAL '12' HOUR, INTERVAL \
         '1' DAY) GROUP BY window_start",
        false,
    ),
    (
        "SELECT v.view_id, vi.user_id FROM (SELECT * FROM page_views WHERE ms > 2900) v ASOF \
         LEFT JOIN visitors vi ON v.country = vi.country AND v.ts >= vi.signup",
        false,
    ),
    (
        "SELECT (SELECT max(ms) FROM page_views) - ms AS gap, count(*) FROM page_views WHERE \
         page <> '/home' GROUP BY 1 HAVING count(*) > 20",
        false,
    ),
];

#[test]
fn every_plan_shape_equals_the_single_machine_run() {
    let session = web();
    let configs = [
        plain(1),
        plain(5),
        DistConfig::spark_defaults(8),
        DistConfig {
            broadcast_threshold_bytes: None,
            advisory_partition_bytes: 4_096,
            skew_threshold_bytes: 16_384,
            skew_factor: 2,
            ..DistConfig::spark_defaults(16)
        },
        DistConfig {
            scan_partitions: 3,
            shuffle_partitions: 7,
            broadcast_threshold_bytes: Some(16 * 1024),
            cached: vec!["page_views".into()],
            ..plain(3)
        },
    ];
    for (sql, ordered) in SHAPES {
        let expected = single(&session, sql);
        assert!(expected.rows > 0, "{sql}: a shape worth testing has rows");
        for config in &configs {
            let got = run(&session, sql, config);
            if ordered {
                assert_eq!(got.table.to_rows(), expected.to_rows(), "{sql}\n{config:?}");
            } else {
                assert_eq!(
                    sorted_rows(&got.table),
                    sorted_rows(&expected),
                    "{sql}\n{config:?}"
                );
            }
            assert_bytes_balance(&got, sql);
        }
    }
}

/// The exchanges each stage ends with, in stage order.
fn outputs(run: &DistributedRun) -> Vec<Option<Exchange>> {
    run.stages.iter().map(|s| s.output.clone()).collect()
}

fn hash(keys: &[&str], partitions: u32) -> Option<Exchange> {
    Some(Exchange::Hash {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        partitions,
    })
}

#[test]
fn scan_and_filter_is_one_stage() {
    let r = run(
        &web(),
        "SELECT * FROM page_views WHERE country = 'DE'",
        &plain(4),
    );
    assert_eq!(outputs(&r), [None]);
    assert_eq!(r.stages[0].tasks.len(), 4);
    assert_eq!(
        r.stages[0].operators,
        ["Scan page_views", "Filter", "Project"]
    );
}

#[test]
fn group_by_is_two_stages_split_at_a_hash_exchange() {
    let r = run(
        &web(),
        "SELECT page, count(*) FROM page_views GROUP BY page",
        &plain(4),
    );
    assert_eq!(outputs(&r), [hash(&["page"], 4), None]);
    assert_eq!(r.stages[1].parents, [0]);
    assert!(r.stages[0]
        .operators
        .contains(&"HashAggregate (partial)".to_string()));
    // Partial aggregation: each map task sends at most one row per page.
    for task in &r.stages[0].tasks {
        assert!(task.output_rows <= 201, "{task:?}");
    }
}

#[test]
fn order_by_is_two_stages_split_at_a_range_exchange() {
    let r = run(
        &web(),
        "SELECT view_id FROM page_views ORDER BY ms, view_id",
        &plain(4),
    );
    assert!(matches!(
        r.stages[0].output,
        Some(Exchange::Range { partitions: 4, .. })
    ));
    assert_eq!(r.stages.len(), 2);
    // Every range got rows: the bounds came from a sample of the keys.
    assert!(r.stages[1].tasks.iter().all(|t| t.input_rows > 0));
}

#[test]
fn a_global_limit_ends_in_a_single_partition() {
    let r = run(&web(), "SELECT view_id FROM page_views LIMIT 3", &plain(4));
    assert_eq!(outputs(&r), [Some(Exchange::Single), None]);
    assert_eq!(r.stages[1].tasks.len(), 1);
    // LocalLimit: no map task sends more than the limit.
    assert!(r.stages[0].tasks.iter().all(|t| t.output_rows <= 3));
}

#[test]
fn a_broadcast_join_is_the_build_sides_stage_and_the_probe_stage() {
    let r = run(
        &web(),
        "SELECT v.view_id, p.title FROM page_views v JOIN pages p ON v.page = p.page",
        &plain(4),
    );
    assert_eq!(outputs(&r), [Some(Exchange::Broadcast), None]);
    assert_eq!(r.stages[0].operators, ["Scan pages"]);
    assert_eq!(r.stages[1].parents, [0]);
    let pages_bytes = rows_bytes(&single(&web(), "SELECT * FROM pages"));
    assert_eq!(
        r.joins,
        [JoinStrategy::BroadcastHash {
            build_bytes: pages_bytes
        }]
    );
    // Each probe task read the whole broadcast table.
    assert!(r.stages[1]
        .tasks
        .iter()
        .all(|t| t.shuffle_read_bytes == pages_bytes));
}

#[test]
fn a_sort_merge_join_is_three_stages() {
    let config = DistConfig {
        broadcast_threshold_bytes: Some(10 * 1024),
        ..plain(4)
    };
    let r = run(
        &web(),
        "SELECT v.view_id, vi.plan FROM page_views v JOIN visitors vi ON v.user_id = vi.user_id",
        &config,
    );
    assert_eq!(
        outputs(&r),
        [hash(&["user_id"], 4), hash(&["user_id"], 4), None]
    );
    assert_eq!(r.stages[2].parents, [0, 1]);
    assert_eq!(r.joins, [JoinStrategy::SortMerge]);
}

#[test]
fn the_preserved_side_of_an_outer_join_is_never_broadcast() {
    let session = web();
    let left = run(
        &session,
        "SELECT * FROM pages p LEFT JOIN page_views v ON p.page = v.page",
        &plain(4),
    );
    // pages is the smaller side, but a LEFT JOIN can only build its right side.
    assert_eq!(left.stages[0].operators, ["Scan page_views"]);
    assert!(matches!(
        left.joins[..],
        [JoinStrategy::BroadcastHash { .. }]
    ));
    let full = run(
        &session,
        "SELECT * FROM pages p FULL JOIN page_views v ON p.page = v.page",
        &plain(4),
    );
    assert_eq!(full.joins, [JoinStrategy::SortMerge]);
    let cross = run(
        &session,
        "SELECT count(*) FROM pages a JOIN pages b ON a.page < b.page",
        &plain(4),
    );
    assert_eq!(cross.joins, [JoinStrategy::BroadcastNestedLoop]);
}

#[test]
fn windows_exchange_on_their_partition_keys_or_into_one_partition() {
    let session = web();
    let keyed = run(
        &session,
        "SELECT view_id, rank() OVER (PARTITION BY country ORDER BY ms) FROM page_views",
        &plain(4),
    );
    assert_eq!(outputs(&keyed), [hash(&["country"], 4), None]);
    let global = run(
        &session,
        "SELECT view_id, rank() OVER (ORDER BY ms) FROM page_views",
        &plain(4),
    );
    assert_eq!(outputs(&global), [Some(Exchange::Single), None]);
    assert_eq!(global.stages[1].tasks.len(), 1);
}

#[test]
fn an_aggregate_then_order_by_is_three_stages() {
    let r = run(
        &web(),
        "SELECT page, count(*) AS n FROM page_views GROUP BY page ORDER BY n DESC, page",
        &plain(4),
    );
    assert_eq!(r.stages.len(), 3);
    assert_eq!(r.stages[0].output, hash(&["page"], 4));
    assert!(matches!(r.stages[1].output, Some(Exchange::Range { .. })));
}

#[test]
fn each_exchange_moves_the_bytes_of_the_rows_it_moves() {
    let session = web();
    // A filter then a sort: the filtered rows cross the range exchange.
    let sql = "SELECT * FROM page_views WHERE country = 'DE' ORDER BY ms, view_id";
    let r = run(&session, sql, &plain(6));
    let moved = single(&session, "SELECT * FROM page_views WHERE country = 'DE'");
    assert_eq!(writes(&r.stages[0]), rows_bytes(&moved));
    assert_eq!(reads(&r.stages[1]), rows_bytes(&moved));

    // A sort-merge join: both scans cross their hash exchanges whole.
    let config = DistConfig {
        broadcast_threshold_bytes: None,
        ..plain(5)
    };
    let r = run(
        &session,
        "SELECT * FROM page_views v JOIN visitors vi ON v.user_id = vi.user_id",
        &config,
    );
    let views = rows_bytes(&single(&session, "SELECT * FROM page_views"));
    let visitors = rows_bytes(&single(&session, "SELECT * FROM visitors"));
    assert_eq!(writes(&r.stages[0]), views);
    assert_eq!(writes(&r.stages[1]), visitors);
    assert_eq!(reads(&r.stages[2]), views + visitors);

    // Partial aggregation: one (page, count) row per page and input split.
    let r = run(
        &session,
        "SELECT page, count(*) FROM page_views GROUP BY page",
        &plain(4),
    );
    let mut expected = 0;
    for split in 0..4 {
        let (lo, hi) = (20_000 * split / 4, 20_000 * (split + 1) / 4);
        let partial = single(
            &session,
            &format!(
                "SELECT page, count(*) FROM page_views WHERE view_id > {lo} AND view_id <= {hi} \
                 GROUP BY page"
            ),
        );
        expected += rows_bytes(&partial);
        assert_eq!(
            r.stages[0].tasks[split].shuffle_write_bytes,
            rows_bytes(&partial)
        );
    }
    assert_eq!(writes(&r.stages[0]), expected);
    assert_eq!(reads(&r.stages[1]), expected);
}

#[test]
fn aqe_coalesces_small_partitions_without_changing_the_result() {
    let session = web();
    let sql = "SELECT country, count(*) FROM page_views GROUP BY country";
    let config = DistConfig::spark_defaults(16);
    let r = run(&session, sql, &config);
    assert_eq!(r.stages[1].coalesced_from, Some(16));
    assert_eq!(r.stages[1].tasks.len(), 1);
    let small = DistConfig {
        advisory_partition_bytes: 100,
        ..DistConfig::spark_defaults(16)
    };
    let r2 = run(&session, sql, &small);
    assert!((2..16).contains(&r2.stages[1].tasks.len()));
    assert_eq!(reads(&r2.stages[1]), writes(&r2.stages[0]));
    assert_eq!(sorted_rows(&r.table), sorted_rows(&single(&session, sql)));
    assert_eq!(sorted_rows(&r2.table), sorted_rows(&single(&session, sql)));
}

#[test]
fn aqe_splits_the_skewed_home_partition_of_a_sort_merge_join() {
    let session = web();
    let sql = "SELECT p.section, count(*) FROM page_views v JOIN pages p ON v.page = p.page \
               GROUP BY p.section";
    let config = DistConfig {
        broadcast_threshold_bytes: None,
        advisory_partition_bytes: 64 * 1024,
        skew_factor: 5,
        skew_threshold_bytes: 128 * 1024,
        ..DistConfig::spark_defaults(8)
    };
    let r = run(&session, sql, &config);
    let join_stage = &r.stages[2];
    assert_eq!(join_stage.parents, [0, 1]);
    assert_eq!(
        join_stage.skew_splits.len(),
        1,
        "{:?}",
        join_stage.skew_splits
    );
    let (_, pieces) = join_stage.skew_splits[0];
    assert!(pieces > 1);
    assert_eq!(sorted_rows(&r.table), sorted_rows(&single(&session, sql)));
    // Above only one threshold, nothing is split.
    let high = DistConfig {
        skew_threshold_bytes: 10 * 1024 * 1024,
        ..config.clone()
    };
    assert!(run(&session, sql, &high).stages[2].skew_splits.is_empty());
    let flat = DistConfig {
        skew_factor: 1_000,
        ..config
    };
    assert!(run(&session, sql, &flat).stages[2].skew_splits.is_empty());
}

#[test]
fn a_cached_table_is_read_from_memory() {
    let session = web();
    let config = DistConfig {
        cached: vec!["page_views".into()],
        ..plain(4)
    };
    let r = run(
        &session,
        "SELECT count(*) FROM page_views WHERE ms > 100",
        &config,
    );
    let reads: Vec<&(String, u32, u64, u64)> = r.stages[0]
        .tasks
        .iter()
        .flat_map(|t| &t.cached_reads)
        .collect();
    assert_eq!(reads.len(), 4);
    assert_eq!(reads.iter().map(|r| r.3).sum::<u64>(), 20_000);
    let all = rows_bytes(&single(&session, "SELECT * FROM page_views"));
    assert_eq!(reads.iter().map(|r| r.2).sum::<u64>(), all);
    assert_eq!(r.stages[0].operators[0], "InMemoryTableScan page_views");
}

#[test]
fn a_skewed_key_gives_its_task_proportionally_more_work() {
    let session = web();
    let config = DistConfig {
        broadcast_threshold_bytes: None,
        ..plain(8)
    };
    let r = run(
        &session,
        "SELECT v.view_id, p.title FROM page_views v JOIN pages p ON v.page = p.page",
        &config,
    );
    let join = &r.stages[2];
    let busiest = join
        .tasks
        .iter()
        .max_by_key(|t| t.work_rows)
        .expect("tasks");
    let total: u64 = join.tasks.iter().map(|t| t.work_rows).sum();
    // '/home' holds 40% of the views: its task does at least a third of the join's work.
    assert!(busiest.work_rows * 3 > total, "{busiest:?} of {total}");
}

#[test]
fn explain_prints_the_physical_plan_before_and_after_the_run() {
    let session = web();
    let sql = "SELECT page, count(*) FROM page_views WHERE country = 'DE' GROUP BY page";
    let config = DistConfig::spark_defaults(8);
    let before = session.explain_distributed(sql, &config).expect("explain");
    assert!(before.starts_with("== Physical Plan ==\nAdaptiveSparkPlan isFinalPlan=false\n"));
    assert!(before.contains("+- Exchange hashpartitioning(page, 8)    [estimated "));
    assert!(before.contains("HashAggregate(keys=[page], functions=[partial_count(1)])"));
    assert!(before.contains("Scan page_views [8 splits]"));
    let after = run(&session, sql, &config).explain;
    assert!(after.contains("AdaptiveSparkPlan isFinalPlan=true"));
    assert!(after.contains("[stage 0 -> stage 1, "), "{after}");

    let join = run(
        &session,
        "SELECT * FROM page_views v JOIN pages p ON v.page = p.page",
        &plain(4),
    )
    .explain;
    assert!(join.starts_with("== Physical Plan ==\nProject"), "{join}");
    assert!(join.contains("BroadcastHashJoin [page], [page], Inner, BuildRight"));
    assert!(join.contains("+- BroadcastExchange HashedRelationBroadcastMode"));
    let smj = session
        .explain_distributed(
            "SELECT * FROM page_views v JOIN visitors vi ON v.user_id = vi.user_id \
             ORDER BY v.view_id LIMIT 3",
            &DistConfig {
                broadcast_threshold_bytes: Some(10 * 1024),
                ..plain(4)
            },
        )
        .expect("explain");
    assert!(
        smj.contains("SortMergeJoin [user_id], [user_id], Inner"),
        "{smj}"
    );
    assert!(smj.contains(":- Sort [user_id], false, 0"), "{smj}");
    assert!(smj.contains("TakeOrderedAndProject(limit=3"), "{smj}");
}

#[test]
fn only_one_query_runs_distributed() {
    let mut session = web();
    let config = plain(2);
    assert!(session
        .run_distributed("SELECT 1; SELECT 2", &config)
        .is_err());
    assert!(session
        .run_distributed("CREATE TABLE x (a BIGINT)", &config)
        .is_err());
    let err = session
        .run_distributed("SELECT nope FROM page_views", &config)
        .expect_err("an unknown column");
    assert!(err.to_string().contains("nope"), "{err}");
    let explained = session
        .run_distributed("EXPLAIN SELECT count(*) FROM pages", &config)
        .expect("EXPLAIN of a query runs the query");
    assert_eq!(explained.table.to_rows(), [[Value::BigInt(201)]]);
}
