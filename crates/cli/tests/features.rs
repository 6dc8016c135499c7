//! `lab features historical` end to end, on a repository like Feast's driver demo
//! (`tests/fixtures/features`): two entities, a view with a TTL and a created column holding a
//! late correction, a view without one, a customer view with an unbounded TTL whose source
//! mixes ISO 8601 with offsets and Unix seconds. Every flag and every class of bad input: a
//! refused input exits 1 naming the file and line or the field, a usage error exits 2.

mod common;

use common::run_lab;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn historical(args: &[&str]) -> Output {
    run_lab(&[&["features", "historical"], args].concat(), "")
}

/// `--repo` and `--entities` from `dir`, then `args`.
fn historical_in(dir: &Path, args: &[&str]) -> Output {
    let repo = dir.join("repo.json").display().to_string();
    let entities = dir.join("entities.csv").display().to_string();
    historical(&[&["--repo", &repo, "--entities", &entities], args].concat())
}

fn ok(args: &[&str]) -> String {
    let out = historical_in(&fixtures(), args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Exit code and standard error of a run that must fail and print nothing on standard output.
fn fails(out: Output) -> (i32, String) {
    assert!(
        out.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A copy of the fixtures in a fresh directory, with `file`'s text changed from `from` to `to`.
fn variant(label: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-features-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "repo.json",
        "entities.csv",
        "driver_stats.csv",
        "customer_profile.csv",
    ] {
        let mut text = std::fs::read_to_string(fixtures().join(name)).unwrap();
        if name == file {
            assert!(text.contains(from), "{file} has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

const DRIVER_AND_CUSTOMER: &str = "driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips,\
customer_profile:current_balance,customer_profile:tier,customer_profile:vip,customer_profile:signed_up";

#[test]
fn a_training_set_as_a_table() {
    // 1001 at 10:30 gets the 10:00 correction written at 11:30 (Feast's default leaks it);
    // 1002 has only a later row, 1003's only row is older than the 1-day TTL, 1004 has none.
    // Customer 5's row at 12:00+02:00 is 10:00 UTC; customer 6's time is Unix seconds.
    let expected = [
        " driver_id | customer_id | event_timestamp     | label | conv_rate | avg_daily_trips | current_balance | tier  | vip   | signed_up",
        "-----------+-------------+---------------------+-------+-----------+-----------------+-----------------+-------+-------+---------------------",
        "      1001 |           5 | 2021-04-12 10:30:00 |     1 |      0.65 |              13 |           80.25 | gold  | false | 2020-01-01 00:00:00",
        "      1001 |           5 | 2021-04-12 11:45:00 |     0 |      0.65 |              13 |           80.25 | gold  | false | 2020-01-01 00:00:00",
        "      1002 |           6 | 2021-04-12 08:00:00 |     1 |      NULL |            NULL |             7.0 | basic | false | 2021-01-15 00:00:00",
        "      1003 |        NULL | 2021-04-12 10:00:00 |     0 |      NULL |            NULL |            NULL | NULL  | NULL  | NULL",
        "      1004 |           6 | 2021-04-12 10:00:00 |     1 |      NULL |            NULL |             7.0 | basic | false | 2021-01-15 00:00:00",
        "(5 rows)",
    ];
    assert_eq!(
        ok(&["--features", DRIVER_AND_CUSTOMER]),
        format!("{}\n", expected.join("\n"))
    );
    // --format table is the default.
    assert_eq!(
        ok(&["--features", DRIVER_AND_CUSTOMER, "--format", "table"]),
        ok(&["--features", DRIVER_AND_CUSTOMER])
    );
}

#[test]
fn created_cutoff_and_full_feature_names_in_json() {
    // Under the cutoff the 11:30 correction is not known at 10:30; the view without a created
    // column counts every row as known from its event time (and has no TTL: 1003 matches).
    let out = ok(&[
        "--features=driver_hourly_stats:conv_rate,driver_daily_stats:conv_rate",
        "--created-cutoff",
        "--full-feature-names",
        "--format=json",
    ]);
    assert_eq!(
        out,
        "{\"columns\":[\"driver_id\",\"customer_id\",\"event_timestamp\",\"label\",\
         \"driver_hourly_stats__conv_rate\",\"driver_daily_stats__conv_rate\"],\
         \"types\":[\"BIGINT\",\"BIGINT\",\"TIMESTAMP\",\"BIGINT\",\"DOUBLE\",\"DOUBLE\"],\
         \"rows\":[[1001,5,\"2021-04-12 10:30:00\",1,0.6,0.65],[1001,5,\"2021-04-12 11:45:00\",0,0.65,0.65],\
         [1002,6,\"2021-04-12 08:00:00\",1,null,null],[1003,null,\"2021-04-12 10:00:00\",0,null,0.9],\
         [1004,6,\"2021-04-12 10:00:00\",1,null,null]]}\n"
    );
}

#[test]
fn csv_output_keeps_request_order() {
    assert_eq!(
        ok(&[
            "--features",
            "customer_profile:tier,driver_hourly_stats:acc_rate",
            "--format",
            "csv"
        ]),
        "driver_id,customer_id,event_timestamp,label,tier,acc_rate\n\
         1001,5,2021-04-12 10:30:00,1,gold,0.8\n\
         1001,5,2021-04-12 11:45:00,0,gold,0.8\n\
         1002,6,2021-04-12 08:00:00,1,basic,\n\
         1003,,2021-04-12 10:00:00,0,,\n\
         1004,6,2021-04-12 10:00:00,1,basic,\n"
    );
}

#[test]
fn a_name_collision_is_refused_without_full_names() {
    let (code, err) = fails(historical_in(
        &fixtures(),
        &[
            "--features",
            "driver_hourly_stats:conv_rate,driver_daily_stats:conv_rate",
        ],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("collision") && err.contains("conv_rate"),
        "{err}"
    );
    assert!(err.contains("--full-feature-names"), "{err}");
}

#[test]
fn unknown_views_and_features_name_the_argument() {
    let (code, err) = fails(historical_in(
        &fixtures(),
        &["--features", "driver_hourly_stat:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("--features: ") && err.contains("has no feature view \"driver_hourly_stat\""),
        "{err}"
    );
    assert!(
        err.contains("did you mean \"driver_hourly_stats\"?"),
        "{err}"
    );
    let (code, err) = fails(historical_in(
        &fixtures(),
        &["--features", "driver_hourly_stats:conv"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("view \"driver_hourly_stats\" has no feature \"conv\""),
        "{err}"
    );
    let (code, err) = fails(historical_in(&fixtures(), &["--features", "conv_rate"]));
    assert_eq!(code, 1);
    assert!(err.contains("not a feature reference"), "{err}");
}

#[test]
fn missing_columns_name_the_file_and_the_field() {
    let dir = variant("nokey", "entities.csv", "driver_id,", "driver,");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "entities.csv has no column \"driver_id\" (a join key of view \"driver_hourly_stats\")"
        ),
        "{err}"
    );
    let dir = variant("nots", "entities.csv", "event_timestamp", "when");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("entities.csv has no column \"event_timestamp\""),
        "{err}"
    );
    let dir = variant("nocreated", "repo.json", "\"created\"", "\"written\"");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("driver_stats.csv has no column \"written\" (the created_timestamp_column of view \"driver_hourly_stats\")"),
        "{err}"
    );
    assert!(
        err.contains("hint: its columns are driver_id, event_timestamp, created,"),
        "{err}"
    );
}

#[test]
fn unparsable_timestamps_name_file_line_and_column() {
    let dir = variant("badts", "entities.csv", "2021-04-12 08:00:00", "yesterday");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "entities.csv line 4, column \"event_timestamp\": \"yesterday\" is not a timestamp"
        ),
        "{err}"
    );
    let dir = variant(
        "badsrc",
        "customer_profile.csv",
        "1618000000",
        "2021-04-09T20:26:40+25:00",
    );
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "customer_profile:tier"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("customer_profile.csv line 4, column \"ts\""),
        "{err}"
    );
    let dir = variant("badtype", "driver_stats.csv", "0.3,0.7,5", "0.3,0.7,five");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "driver_stats.csv line 5, column \"avg_daily_trips\": \"five\" is not a Int64"
        ),
        "{err}"
    );
}

#[test]
fn a_bad_repository_names_the_field_or_the_line() {
    let dir = variant(
        "dtype",
        "repo.json",
        "\"dtype\": \"Int64\"",
        "\"dtype\": \"int\"",
    );
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "repo.json: feature_views[0].features[2].dtype: \"int\" is not a Feast type; \
                      use one of Int64, Float64, String, Bool, UnixTimestamp"
        ),
        "{err}"
    );
    let dir = variant(
        "syntax",
        "repo.json",
        "\"entities\": [\"driver\"],",
        "\"entities\": [\"driver\"]",
    );
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("repo.json: the repository is not valid JSON (line 10, column 7)"),
        "{err}"
    );
}

#[test]
fn key_types_must_agree() {
    let dir = variant("keytype", "entities.csv", "1004,6", "d1004,6");
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "driver_hourly_stats:conv_rate"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("join key \"driver_id\" is TEXT in") && err.contains("but BIGINT in"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let entities = fixture("entities.csv");
    let repo = fixture("repo.json");
    for (args, expected) in [
        (
            vec!["--entities", &entities, "--features", "a:b"],
            "--repo REPO.json is required",
        ),
        (
            vec!["--repo", &repo, "--features", "a:b"],
            "--entities ENTITIES.csv is required",
        ),
        (
            vec!["--repo", &repo, "--entities", &entities],
            "--features needs",
        ),
        (
            vec![
                "--repo",
                "/nonexistent/repo.json",
                "--entities",
                &entities,
                "--features",
                "a:b",
            ],
            "cannot read /nonexistent/repo.json",
        ),
        (vec!["--bogus"], "unknown argument --bogus"),
        (vec!["--format", "xml"], "table, csv or json"),
    ] {
        let (code, err) = fails(historical(&args));
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.starts_with("lab: ") && err.contains(expected),
            "{args:?}: {err}"
        );
    }
    let dir = variant(
        "nosource",
        "repo.json",
        "customer_profile.csv",
        "missing.csv",
    );
    let (code, err) = fails(historical_in(
        &dir,
        &["--features", "customer_profile:tier"],
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.csv") && err.contains("feature_views[2].source.path"),
        "{err}"
    );
    let (code, err) = fails(run_lab(&["features", "online"], ""));
    assert_eq!(code, 2);
    assert!(err.contains("unknown features command"), "{err}");
    let help = run_lab(&["features", "historical", "--help"], "");
    assert!(help.status.success());
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("--created-cutoff"));
}

#[test]
fn an_entity_row_without_a_time_is_kept_with_nulls() {
    let dir = variant(
        "nullts",
        "entities.csv",
        "1001,5,2021-04-12 11:45:00",
        "1001,5,",
    );
    let out = historical_in(
        &dir,
        &[
            "--features",
            "driver_hourly_stats:conv_rate",
            "--format",
            "csv",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(lines[2], "1001,5,,0,");
}
