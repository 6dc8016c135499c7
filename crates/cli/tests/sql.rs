//! `lab sql` end to end: every output format, CSV files as tables, statements from standard
//! input, several statements in one run, and errors (a refused statement exits 1 with the lab's
//! message, a caret and a hint; a usage error exits 2).

mod common;

use common::run_lab;
use std::path::PathBuf;
use std::process::Output;

/// Runs `lab sql ARGS`, with `stdin` on standard input.
fn lab_sql(args: &[&str], stdin: &str) -> Output {
    run_lab(&[&["sql"], args].concat(), stdin)
}

/// Standard output of a run that must succeed.
fn ok(args: &[&str]) -> String {
    let out = lab_sql(args, "");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Exit code and standard error of a run that must fail.
fn fails(args: &[&str]) -> (i32, String) {
    let out = lab_sql(args, "");
    assert!(out.stdout.is_empty(), "{args:?}: {:?}", out.stdout);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-sql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn one_query_in_every_format() {
    assert_eq!(ok(&["SELECT 1 + 1 AS two"]), " two\n-----\n   2\n(1 row)\n");
    assert_eq!(ok(&["--format", "csv", "SELECT 1 + 1 AS two"]), "two\n2\n");
    assert_eq!(
        ok(&["--format=json", "SELECT 1 + 1 AS two"]),
        "{\"columns\":[\"two\"],\"types\":[\"BIGINT\"],\"rows\":[[2]]}\n"
    );
}

#[test]
fn json_types_every_value() {
    let out = ok(&[
        "--format",
        "json",
        "SELECT true AS t, 1.5 AS d, CAST('NaN' AS DOUBLE) AS nan, DATE '2024-01-02' AS day, \
         NULL AS nothing, 'a\"b' AS s",
    ]);
    assert_eq!(
        out,
        "{\"columns\":[\"t\",\"d\",\"nan\",\"day\",\"nothing\",\"s\"],\
         \"types\":[\"BOOLEAN\",\"DOUBLE\",\"DOUBLE\",\"DATE\",\"NULL\",\"TEXT\"],\
         \"rows\":[[true,1.5,\"NaN\",\"2024-01-02\",null,\"a\\\"b\"]]}\n"
    );
}

#[test]
fn the_sample_tables_are_there_small_and_large() {
    assert_eq!(
        ok(&["--format", "csv", "SELECT count(*) AS n FROM rides"]),
        "n\n5000\n"
    );
    assert_eq!(
        ok(&[
            "--large",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM push_events"
        ]),
        "n\n200000\n"
    );
    let out = ok(&["SELECT cuid, event_type FROM push_events WHERE source IS NULL LIMIT 3"]);
    assert!(out.ends_with("(3 rows)\n"), "{out}");
}

#[test]
fn csv_files_become_tables() {
    let people = temp_file(
        "people.csv",
        "name,age,member\r\n\"Lee, Ann\",41,true\r\nBo,,false\r\n\"say \"\"hi\"\"\",7,\r\n",
    );
    let spec = format!("people={}", people.display());
    let out = ok(&[
        "--table",
        &spec,
        "--format",
        "json",
        "SELECT name, age, member FROM people ORDER BY age NULLS LAST",
    ]);
    assert_eq!(
        out,
        "{\"columns\":[\"name\",\"age\",\"member\"],\"types\":[\"TEXT\",\"BIGINT\",\"BOOLEAN\"],\
         \"rows\":[[\"say \\\"hi\\\"\",7,null],[\"Lee, Ann\",41,true],[\"Bo\",null,false]]}\n"
    );
    // A CSV table joins the sample tables; the table format shows NULL.
    let cities = temp_file("cities.csv", "city,country\nLisbon,PT\nParis,FR\n");
    let out = ok(&[
        "--table",
        &spec,
        "--table",
        &format!("cities={}", cities.display()),
        "SELECT c.country, count(*) AS rides FROM rides r JOIN cities c ON c.city = r.city \
         GROUP BY c.country ORDER BY c.country; SELECT name, age FROM people WHERE age IS NULL",
    ]);
    assert!(
        out.starts_with(" country | rides\n---------+-------\n FR      |"),
        "{out}"
    );
    assert!(
        out.contains("\n\n name |  age\n------+------\n Bo   | NULL\n(1 row)\n"),
        "{out}"
    );
    // What `--format csv` prints reads back as the same table.
    let exported = ok(&["--table", &spec, "--format", "csv", "SELECT * FROM people"]);
    let again = temp_file("again.csv", &exported);
    let round = ok(&[
        "--table",
        &format!("again={}", again.display()),
        "--format",
        "csv",
        "SELECT * FROM again",
    ]);
    assert_eq!(round, exported);
}

#[test]
fn asof_joins_run_over_csv_files() {
    let trades = temp_file(
        "trades.csv",
        "id,ticker,at\n1,A,2024-01-02 09:30:00\n2,A,2024-01-02 10:15:00\n3,B,2024-01-02 09:00:00\n4,C,2024-01-02 11:00:00\n",
    );
    let prices = temp_file(
        "prices.csv",
        "ticker,at,price\nA,2024-01-02 09:00:00,10.5\nA,2024-01-02 10:00:00,11\nB,2024-01-02 09:05:00,20\n",
    );
    let tables = [
        "--table".to_string(),
        format!("trades={}", trades.display()),
        "--table".to_string(),
        format!("prices={}", prices.display()),
    ];
    let args = |rest: &[&str]| -> Vec<String> {
        tables
            .iter()
            .cloned()
            .chain(rest.iter().map(|s| s.to_string()))
            .collect()
    };
    let query = "SELECT t.id, p.at AS priced_at, p.price FROM trades t ASOF LEFT JOIN prices p \
                 ON t.ticker = p.ticker AND t.at >= p.at ORDER BY t.id";
    let run = args(&["--format", "json", query]);
    let out = ok(&run.iter().map(String::as_str).collect::<Vec<_>>());
    // Trade 3 comes before B's first price and C has none: both keep their row, with NULLs.
    assert_eq!(
        out,
        "{\"columns\":[\"id\",\"priced_at\",\"price\"],\"types\":[\"BIGINT\",\"TIMESTAMP\",\"DOUBLE\"],\
         \"rows\":[[1,\"2024-01-02 09:00:00\",10.5],[2,\"2024-01-02 10:00:00\",11.0],[3,null,null],[4,null,null]]}\n"
    );
    let explain = args(&["--format", "json", &format!("EXPLAIN {query}")]);
    let plan = ok(&explain.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(plan.contains("AsofSortMergeJoin"), "{plan}");
}

#[test]
fn statements_come_from_standard_input() {
    let out = lab_sql(
        &["--format", "csv"],
        "SELECT 1 AS a;\nSELECT 'x' AS b, NULL AS c;\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "a\n1\n\nb,c\nx,\n");
}

#[test]
fn several_statements_print_in_order() {
    let out = ok(&[
        "CREATE TABLE t AS SELECT 1 AS x; INSERT INTO t VALUES (2); \
         SELECT sum(x) AS s FROM t; EXPLAIN SELECT x FROM t",
    ]);
    let parts: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(parts.len(), 4, "{out}");
    assert!(parts[0].starts_with("created table t"), "{out}");
    assert!(parts[1].starts_with("inserted"), "{out}");
    assert_eq!(parts[2], " s\n---\n 3\n(1 row)");
    assert!(parts[3].contains("Scan"), "{out}");
    let json = ok(&[
        "--format",
        "json",
        "CREATE TABLE t AS SELECT 1 AS x; EXPLAIN SELECT x FROM t",
    ]);
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(lines.len(), 2, "{json}");
    assert!(
        lines[0].starts_with("{\"done\":\"created table t"),
        "{json}"
    );
    assert!(lines[1].starts_with("{\"explain\":\""), "{json}");
}

#[test]
fn a_refused_statement_exits_1_with_caret_and_hint() {
    let (code, stderr) = fails(&["SELECT *\nFROM ridez"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("lab: ") && lines[0].contains("ridez"),
        "{stderr}"
    );
    assert!(lines[0].ends_with("(line 2, column 6)"), "{stderr}");
    assert_eq!(lines[1..3], ["FROM ridez", "     ^"], "{stderr}");
    assert_eq!(lines[3], "hint: did you mean \"rides\"?", "{stderr}");

    let (code, stderr) = fails(&["SELECT 1 +"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("(line 1, column 11)\nSELECT 1 +\n          ^\nhint: "),
        "{stderr}"
    );

    // The statements before the refused one ran: their output comes first, as psql prints it.
    let out = lab_sql(&[], "SELECT 1 AS a; SELECT nope FROM rides; SELECT 2 AS b");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" a\n---\n 1\n(1 row)"), "{stdout}");
    assert!(!stdout.contains(" b\n"), "{stdout}");
}

#[test]
fn a_bad_csv_file_exits_1_naming_its_line() {
    let ragged = temp_file("ragged.csv", "a,b\n1,2\n3\n");
    let (code, stderr) = fails(&["--table", &format!("r={}", ragged.display()), "SELECT 1"]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("lab: "), "{stderr}");
    assert!(
        stderr.contains("ragged.csv: line 3 has 1 field, the header has 2\nhint: "),
        "{stderr}"
    );
    let taken = temp_file("rides.csv", "a\n1\n");
    let (code, stderr) = fails(&["--table", &format!("rides={}", taken.display()), "SELECT 1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("exists already"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for (args, needle) in [
        (&["--format", "xml", "SELECT 1"][..], "table, csv or json"),
        (&["--table", "nofile", "SELECT 1"], "NAME=FILE.csv"),
        (
            &["--table", "t=/nonexistent/t.csv", "SELECT 1"],
            "cannot read",
        ),
        (&["--table", "1t=x.csv", "SELECT 1"], "letters, digits"),
        (&["--bogus"], "unknown option"),
        (&["SELECT 1", "SELECT 2"], "one QUERY"),
        (&[], "no statement"),
    ] {
        let (code, stderr) = fails(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("lab: ") && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let help = ok(&["--help"]);
    assert!(
        help.contains("--format json") && help.contains("Exit status"),
        "{help}"
    );
}
