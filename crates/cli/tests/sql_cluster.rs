//! `lab sql --partitions N` end to end: the simulated cluster prints what one machine prints, for
//! several queries and cluster shapes; `--stats` reports each stage and the job's ticks, with the
//! bytes written to shuffles equal to the bytes read from them; `--explain` shows the exchanges;
//! out-of-range values and companion flags without `--partitions` are usage errors (exit 2).

mod common;

use common::run_lab;

/// Standard output of `lab sql ARGS`, which must succeed.
fn ok(args: &[&str]) -> String {
    let out = run_lab(&[&["sql"], args].concat(), "");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Exit code and standard error of `lab sql ARGS`, which must fail.
fn fails(args: &[&str]) -> (i32, String) {
    let out = run_lab(&[&["sql"], args].concat(), "");
    assert!(out.stdout.is_empty(), "{args:?}: {:?}", out.stdout);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Queries whose output is fully ordered, so one machine and the cluster print the same text.
/// (None sums doubles: partial sums added in another order may differ in the last digit, on
/// Spark as here.)
const QUERIES: &[&str] = &[
    "SELECT event_type, count(*) AS pv, count(DISTINCT cuid) AS uv FROM push_events \
     GROUP BY event_type ORDER BY event_type",
    "SELECT count(*) AS n, min(fare) AS low, max(fare) AS high FROM rides \
     WHERE status = 'completed'",
    "SELECT page, count(*) AS views, max(ms) AS slowest FROM page_views GROUP BY page \
     ORDER BY views DESC, page LIMIT 10",
    "SELECT p.section, count(*) AS views FROM page_views v JOIN pages p ON v.page = p.page \
     GROUP BY p.section ORDER BY p.section",
    "SELECT v.plan, count(DISTINCT pv.page) AS pages FROM page_views pv \
     JOIN visitors v ON pv.user_id = v.user_id GROUP BY v.plan ORDER BY v.plan",
    "SELECT d.city, count(*) AS rides, max(r.fare) AS top_fare FROM rides r \
     JOIN drivers d ON r.driver_id = d.driver_id GROUP BY d.city ORDER BY d.city",
    "SELECT ride_id, fare FROM rides WHERE fare IS NOT NULL ORDER BY fare DESC, ride_id LIMIT 7",
    "SELECT c.customer_id, count(r.ride_id) AS rides FROM customers c \
     LEFT JOIN rides r ON r.customer_id = c.customer_id GROUP BY c.customer_id \
     ORDER BY rides DESC, c.customer_id LIMIT 5",
];

#[test]
fn the_cluster_prints_what_one_machine_prints() {
    for query in QUERIES {
        let alone = ok(&["--format", "json", query]);
        for (partitions, executors) in [("1", "1"), ("3", "2"), ("8", "4"), ("64", "16")] {
            let spread = ok(&[
                "--partitions",
                partitions,
                "--executors",
                executors,
                "--format",
                "json",
                query,
            ]);
            assert_eq!(spread, alone, "{query} on {partitions} partitions");
        }
        assert_eq!(ok(&["--partitions", "8", query]), ok(&[query]), "{query}");
        assert_eq!(
            ok(&["--partitions", "5", "--format", "csv", query]),
            ok(&["--format", "csv", query]),
            "{query}"
        );
    }
}

fn stats_json(args: &[&str]) -> serde_json::Value {
    let line = ok(&[&["--stats", "--format", "json"], args].concat());
    serde_json::from_str(line.trim_end()).unwrap()
}

#[test]
fn stats_report_stages_and_ticks_and_shuffles_balance() {
    let query = QUERIES[0];
    let json = stats_json(&["--partitions", "8", query]);
    let alone: serde_json::Value =
        serde_json::from_str(ok(&["--format", "json", query]).trim_end()).unwrap();
    assert_eq!(json["rows"], alone["rows"]);
    assert_eq!(json["columns"], alone["columns"]);
    let stages = json["stages"].as_array().unwrap();
    assert!(stages.len() >= 2, "a GROUP BY shuffles: {stages:?}");
    let total = |key: &str| -> u64 { stages.iter().map(|s| s[key].as_u64().unwrap()).sum() };
    assert!(total("shuffle_write_bytes") > 0);
    assert_eq!(total("shuffle_write_bytes"), total("shuffle_read_bytes"));
    assert_eq!(stages[0]["tasks"], 8, "one scan task per partition");
    for stage in stages {
        for key in ["id", "tasks", "shuffle_read_bytes", "shuffle_write_bytes"] {
            assert!(stage[key].is_u64(), "{key} in {stage}");
        }
    }
    let ticks = json["ticks"].as_u64().unwrap();
    assert!(ticks > 0);
    let one_executor = stats_json(&["--partitions", "8", "--executors", "1", query]);
    assert!(
        one_executor["ticks"].as_u64().unwrap() > ticks,
        "2 slots take longer than 8"
    );
}

#[test]
fn stats_in_text_follow_the_result() {
    let out = ok(&["--partitions", "4", "--stats", QUERIES[1]]);
    let result = ok(&[QUERIES[1]]);
    assert!(out.starts_with(&result), "{out}");
    assert!(out.contains("shuffle_write_bytes"), "{out}");
    assert!(out.contains("ticks: "), "{out}");
}

#[test]
fn explain_shows_the_exchanges() {
    let plan = ok(&["--partitions", "8", "--explain", QUERIES[0]]);
    assert!(plan.contains("Exchange"), "{plan}");
    let json = ok(&[
        "--partitions",
        "8",
        "--explain",
        "--format",
        "json",
        QUERIES[0],
    ]);
    assert!(json.starts_with("{\"explain\":"), "{json}");
}

#[test]
fn bad_values_and_lonely_flags_are_usage_errors() {
    for args in [
        &["--partitions", "0", "SELECT 1"][..],
        &["--partitions", "65", "SELECT 1"],
        &["--partitions", "8", "--executors", "0", "SELECT 1"],
        &["--partitions", "8", "--executors", "17", "SELECT 1"],
        &["--executors", "4", "SELECT 1"],
        &["--stats", "SELECT 1"],
        &["--explain", "SELECT 1"],
        &["--partitions", "8", "SELECT 1; SELECT 2"],
    ] {
        let (code, stderr) = fails(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.is_empty());
    }
    let (code, stderr) = fails(&["--partitions", "8", "SELECT nope FROM rides"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
    let help = ok(&["--help"]);
    assert!(help.contains("--partitions N") && help.contains("--stats"));
}
