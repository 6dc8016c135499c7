//! `lab stream run` end to end, the contract of the streaming lab's CLI: the JSON fields (`final`
//! as `lab sql` prints a result, `late` as 0-based row indexes, `emits` with `after_row`, the
//! watermark after that row and the windows that fired), a late row beyond the allowed lateness,
//! a row exactly at the watermark (on time), an event exactly at a window's end (the next window),
//! a late row within the lateness re-firing its window, sessions exactly one gap apart, the table
//! format, and every class of bad input exiting 1 with a message naming the file and line or the
//! part of the query.

mod common;

use common::run_lab;
use serde_json::{json, Value as Json};
use std::path::PathBuf;
use std::process::Output;

fn temp_csv(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lab-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn stream(args: &[&str]) -> Output {
    run_lab(&[&["stream", "run"], args].concat(), "")
}

/// Standard output of a run that must succeed.
fn ok(args: &[&str]) -> String {
    let out = stream(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The JSON a successful `--format json` run prints.
fn json_of(args: &[&str]) -> Json {
    let out = ok(&[&["--format", "json"], args].concat());
    assert_eq!(out.matches('\n').count(), 1, "one line: {out}");
    serde_json::from_str(&out).unwrap()
}

/// Standard error of a run that must exit 1 and print nothing on standard output.
fn fails(args: &[&str]) -> String {
    let out = stream(args);
    assert!(
        out.stdout.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

/// Ten-second tumbling windows over timestamps (`tests/fixtures/stream/events.csv`, the README's
/// example): row 3 is exactly at the first window's end (so it opens the next one and moves W to
/// 12:00:10, which fires the first); row 4 is below W and its window is closed (no lateness):
/// late; row 5 is exactly at W: on time.
fn events_table() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stream/events.csv");
    format!("events={}", path.display())
}

const TUMBLE_QUERY: &str = "SELECT window_start, window_end, k, count(*) AS n, sum(v) AS s \
FROM TUMBLE(events, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k";

#[test]
fn json_has_final_late_and_emits() {
    let table = events_table();
    let out = json_of(&["--table", &table, TUMBLE_QUERY]);
    assert_eq!(
        out["final"],
        json!({
            "columns": ["window_start", "window_end", "k", "n", "s"],
            "types": ["TIMESTAMP", "TIMESTAMP", "TEXT", "BIGINT", "BIGINT"],
            "rows": [
                ["2024-03-01 12:00:00", "2024-03-01 12:00:10", "a", 2, 4],
                ["2024-03-01 12:00:00", "2024-03-01 12:00:10", "b", 1, 2],
                ["2024-03-01 12:00:10", "2024-03-01 12:00:20", "a", 1, 4],
                ["2024-03-01 12:00:10", "2024-03-01 12:00:20", "b", 1, 6],
                ["2024-03-01 12:00:20", "2024-03-01 12:00:30", "a", 1, 7],
            ]
        })
    );
    // Row 4 (12:00:05) came after W reached 12:00:10 and its window had closed.
    assert_eq!(out["late"], json!([4]));
    assert_eq!(
        out["emits"],
        json!([
            {
                "after_row": 3,
                "watermark": "2024-03-01 12:00:10",
                "rows": [
                    ["2024-03-01 12:00:00", "2024-03-01 12:00:10", "a", 2, 4],
                    ["2024-03-01 12:00:00", "2024-03-01 12:00:10", "b", 1, 2],
                ]
            },
            {
                "after_row": 6,
                "watermark": "2024-03-01 12:00:21",
                "rows": [
                    ["2024-03-01 12:00:10", "2024-03-01 12:00:20", "a", 1, 4],
                    ["2024-03-01 12:00:10", "2024-03-01 12:00:20", "b", 1, 6],
                ]
            }
        ])
    );
    // The keys come out in this order, as the contract writes them.
    let text = ok(&["--format", "json", "--table", &table, TUMBLE_QUERY]);
    let (f, l, e) = (
        text.find("\"final\"").unwrap(),
        text.find("\"late\"").unwrap(),
        text.find("\"emits\"").unwrap(),
    );
    assert!(f < l && l < e, "{text}");
}

#[test]
fn a_delay_lets_a_late_row_update_and_refire_its_window() {
    // BIGINT times: windows of 10 units, W = max - 2, windows take rows until end + 5 <= W.
    let file = temp_csv("ints.csv", "ts,k,v\n1,x,1\n12,x,2\n5,x,3\n25,x,4\n3,x,5\n");
    let table = format!("events={file}");
    let query = "SELECT window_start, window_end, k, count(*) AS n, sum(v) AS s \
                 FROM TUMBLE(events, ts, 10) GROUP BY window_start, window_end, k";
    let out = json_of(&[
        "--table",
        &table,
        "--watermark-delay",
        "2",
        "--allowed-lateness=5",
        query,
    ]);
    assert_eq!(
        out["final"]["rows"],
        json!([[0, 10, "x", 2, 4], [10, 20, "x", 1, 2], [20, 30, "x", 1, 4]])
    );
    assert_eq!(out["final"]["types"][0], json!("BIGINT"));
    // Row 2 (5) is late but its window [0, 10) is open until W reaches 15; row 4 (3) is not.
    assert_eq!(out["late"], json!([4]));
    assert_eq!(
        out["emits"],
        json!([
            {"after_row": 1, "watermark": 10, "rows": [[0, 10, "x", 1, 1]]},
            {"after_row": 2, "watermark": 10, "rows": [[0, 10, "x", 2, 4]]},
            {"after_row": 3, "watermark": 23, "rows": [[10, 20, "x", 1, 2]]},
        ])
    );
    // Without lateness, row 2 is late too and updates nothing.
    let strict = json_of(&["--table", &table, "--watermark-delay", "2", query]);
    assert_eq!(strict["late"], json!([2, 4]));
    assert_eq!(
        strict["final"]["rows"][0],
        json!([0, 10, "x", 1, 1]),
        "{strict}"
    );
}

#[test]
fn sessions_exactly_one_gap_apart_are_two() {
    let file = temp_csv("sessions.csv", "ts,k\n0,a\n5,a\n7,a\n20,b\n");
    let table = format!("clicks={file}");
    let out = json_of(&[
        "--table",
        &table,
        "SELECT k, window_start, window_end, count(*) AS n FROM SESSION(clicks, ts, 5) \
         GROUP BY k, window_start, window_end ORDER BY k, window_start",
    ]);
    assert_eq!(
        out["final"]["rows"],
        json!([["a", 0, 5, 1], ["a", 5, 12, 2], ["b", 20, 25, 1]])
    );
    assert_eq!(out["late"], json!([]));
    // W = 5 after row 1 closes [0, 5); W = 20 after row 3 closes [5, 12).
    assert_eq!(
        out["emits"],
        json!([
            {"after_row": 1, "watermark": 5, "rows": [["a", 0, 5, 1]]},
            {"after_row": 3, "watermark": 20, "rows": [["a", 5, 12, 2]]},
        ])
    );
}

#[test]
fn hop_where_having_and_expressions() {
    let file = temp_csv("hop.csv", "ts,k,v\n1,a,2\n6,a,4\n7,b,1\n14,a,6\n30,b,0\n");
    let table = format!("t={file}");
    let out = json_of(&[
        "--table",
        &table,
        "SELECT window_start, window_end, sum(v) * 10 / count(*) AS mean10 \
         FROM HOP(t, ts, 5, 10) WHERE k = 'a' GROUP BY window_start, window_end \
         HAVING count(*) > 1 ORDER BY window_start",
    ]);
    // Rows of a: 1, 6, 14 (v 2, 4, 6); windows with two of them: [0,10) and [5,15).
    assert_eq!(out["final"]["rows"], json!([[0, 10, 30], [5, 15, 50]]));
}

#[test]
fn table_format_prints_the_final_table_then_the_late_count() {
    let table = events_table();
    let out = ok(&["--table", &table, TUMBLE_QUERY]);
    let expected = [
        " window_start        | window_end          | k | n | s",
        "---------------------+---------------------+---+---+---",
        " 2024-03-01 12:00:00 | 2024-03-01 12:00:10 | a | 2 | 4",
        " 2024-03-01 12:00:00 | 2024-03-01 12:00:10 | b | 1 | 2",
        " 2024-03-01 12:00:10 | 2024-03-01 12:00:20 | a | 1 | 4",
        " 2024-03-01 12:00:10 | 2024-03-01 12:00:20 | b | 1 | 6",
        " 2024-03-01 12:00:20 | 2024-03-01 12:00:30 | a | 1 | 7",
        "(5 rows)",
        "late rows: 1 (0-based: 4)",
    ];
    assert_eq!(out, format!("{}\n", expected.join("\n")));
    assert_eq!(
        out,
        ok(&["--format", "table", "--table", &table, TUMBLE_QUERY])
    );
}

#[test]
fn emit_final_waits_for_the_lateness_to_pass() {
    let file = temp_csv("final.csv", "ts,v\n1,1\n12,2\n5,3\n25,4\n");
    let table = format!("e={file}");
    let query = "SELECT window_start, count(*) AS n FROM TUMBLE(e, ts, 10) \
                 GROUP BY window_start, window_end";
    let out = json_of(&[
        "--table",
        &table,
        "--allowed-lateness",
        "5",
        "--emit",
        "final",
        query,
    ]);
    // [0, 10) closes for good once W >= 15: after row 3 (W = 25), with the late row in it.
    assert_eq!(
        out["emits"],
        json!([{"after_row": 3, "watermark": 25, "rows": [[0, 2], [10, 1]]}])
    );
    assert_eq!(out["final"]["rows"], json!([[0, 2], [10, 1], [20, 1]]));
}

#[test]
fn bad_input_exits_1_with_a_message() {
    let good = temp_csv("good.csv", "ts,v\n1,1\n");
    let table = format!("e={good}");
    let query = "SELECT window_start, count(*) AS n FROM TUMBLE(e, ts, 10) \
                 GROUP BY window_start, window_end";

    let missing = "/nonexistent/lab-stream.csv";
    let err = fails(&["--table", &format!("e={missing}"), query]);
    assert!(
        err.contains("cannot read") && err.contains(missing),
        "{err}"
    );

    let broken = temp_csv("broken.csv", "ts,v\n1,1\n2,\"open\n");
    let err = fails(&["--table", &format!("e={broken}"), query]);
    assert!(err.contains("broken.csv") && err.contains("line"), "{err}");

    let err = fails(&[
        "--table",
        &table,
        "SELECT window_start, count(*) FROM TUMBLE(clicks, ts, 10) GROUP BY window_start, window_end",
    ]);
    assert!(err.contains("unknown table \"clicks\""), "{err}");
    assert!(err.contains("hint:"), "{err}");

    let err = fails(&[
        "--table",
        &table,
        "SELECT count(*) FROM TUMBLE(e, ts, 10) GROUP BY v",
    ]);
    assert!(err.contains("window_start and window_end"), "{err}");
    let err = fails(&["--table", &table, "SELECT v FROM e"]);
    assert!(err.contains("not supported"), "{err}");
    assert!(err.contains("hint:"), "{err}");

    let err = fails(&["--table", &table, "--watermark-delay", "-5", query]);
    assert!(
        err.contains("--watermark-delay") && err.contains("-5"),
        "{err}"
    );
    let err = fails(&["--table", &table, "--allowed-lateness", "x", query]);
    assert!(err.contains("--allowed-lateness"), "{err}");

    // The third data row has no time: line 4 of the file.
    let nulls = temp_csv("nulls.csv", "ts,v\n1,1\n2,2\n,3\n4,4\n");
    let err = fails(&["--table", &format!("e={nulls}"), query]);
    assert!(
        err.contains("nulls.csv line 4") && err.contains("NULL"),
        "{err}"
    );

    // An interval window over an integer time column, and the reverse.
    let err = fails(&[
        "--table",
        &table,
        "SELECT window_start, count(*) FROM TUMBLE(e, ts, INTERVAL '10' SECOND) \
         GROUP BY window_start, window_end",
    ]);
    assert!(err.contains("BIGINT") && err.contains("hint:"), "{err}");
    let err = fails(&["--table", &table, "--watermark-delay", "0.5", query]);
    assert!(err.contains("whole number"), "{err}");

    let err = fails(&["--table", &table]);
    assert!(err.contains("no query"), "{err}");
    let err = fails(&[query]);
    assert!(err.contains("--table"), "{err}");
    let err = fails(&["--table", &table, "--format", "xml", query]);
    assert!(err.contains("table or json"), "{err}");
}

#[test]
fn help_describes_the_contract() {
    let out = ok(&["--help"]);
    assert!(out.contains("--watermark-delay") && out.contains("Exit status"));
    let usage = run_lab(&["--help"], "");
    assert!(String::from_utf8(usage.stdout)
        .unwrap()
        .contains("lab stream run"));
}
