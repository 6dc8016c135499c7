//! `lab schema` end to end: `check` prints only `{"compatible": bool, "messages": [...]}` and
//! exits 0 either way (2 for a usage error, 1 for a schema that does not parse); `encode` and
//! `decode` turn Avro JSON lines into hex lines and back.

mod common;

use common::run_lab;
use std::path::PathBuf;
use std::process::Output;

fn lab_schema(args: &[&str], stdin: &str) -> Output {
    run_lab(&[&["schema"], args].concat(), stdin)
}

/// Writes `text` to a fresh file named `name` and returns its path.
fn file(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schema-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn user(name: &str, fields: &str) -> String {
    file(
        name,
        &format!(r#"{{"type":"record","name":"User","fields":[{fields}]}}"#),
    )
}

fn verdict(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "only the verdict: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn check_prints_the_verdict_and_exits_0_either_way() {
    let v1 = user("v1.avsc", r#"{"name":"id","type":"int"}"#);
    let v2 = user(
        "v2.avsc",
        r#"{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}"#,
    );
    let backward = verdict(&lab_schema(&["check", "--mode", "backward", &v2, &v1], ""));
    assert_eq!(
        backward,
        serde_json::json!({"compatible": true, "messages": []})
    );
    let forward = verdict(&lab_schema(&["check", "--mode", "forward", &v2, &v1], ""));
    assert_eq!(forward["compatible"], false);
    let message = forward["messages"][0].as_str().unwrap();
    assert!(
        message.contains("TYPE_MISMATCH") && message.contains("/fields/0/type"),
        "{message}"
    );
}

#[test]
fn transitive_modes_compare_with_every_old_version_oldest_first() {
    let v1 = user(
        "t1.avsc",
        r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#,
    );
    let v2 = user("t2.avsc", r#"{"name":"a","type":"int"}"#);
    let v3 = user(
        "t3.avsc",
        r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#,
    );
    assert_eq!(
        verdict(&lab_schema(
            &["check", "--mode", "forward", &v3, &v1, &v2],
            ""
        ))["compatible"],
        true
    );
    let transitive = verdict(&lab_schema(
        &["check", "--mode", "forward_transitive", &v3, &v1, &v2],
        "",
    ));
    assert_eq!(transitive["compatible"], false);
    assert!(
        transitive["messages"][0]
            .as_str()
            .unwrap()
            .contains("version 1"),
        "{transitive}"
    );
    // No old version: nothing to be incompatible with.
    assert_eq!(
        verdict(&lab_schema(
            &["check", "--mode", "full_transitive", &v3],
            ""
        ))["compatible"],
        true
    );
}

#[test]
fn usage_errors_exit_2_and_bad_schemas_exit_1() {
    let v1 = user("u1.avsc", r#"{"name":"id","type":"int"}"#);
    for args in [
        vec!["check", "--mode", "sideways", &v1],
        vec!["check", "--mode", "backward"],
        vec!["check"],
        vec!["shout"],
    ] {
        let out = lab_schema(&args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    let broken = file(
        "broken.avsc",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}"#,
    );
    let out = lab_schema(&["check", "--mode", "backward", &broken, &v1], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"Nope\" is not a defined type"));
    let out = lab_schema(&["check", &v1, "/no/such/file.avsc"], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn encode_and_decode_lines() {
    let schema = user(
        "e.avsc",
        r#"{"name":"id","type":"long"},{"name":"email","type":["null","string"]}"#,
    );
    let out = lab_schema(
        &["encode", &schema],
        "{\"id\": 27, \"email\": {\"string\": \"a\"}}\n\n{\"id\": -1, \"email\": null}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "36020261\n0100\n");
    let out = lab_schema(&["decode", &schema], "36020261\n01 00\n");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"email\":{\"string\":\"a\"},\"id\":27}\n{\"email\":null,\"id\":-1}\n"
    );
    // A bad line: the lines before it are printed, then exit 1 naming the line.
    let out = lab_schema(
        &["encode", &schema],
        "{\"id\": 1, \"email\": null}\n{\"id\": \"x\", \"email\": null}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "0200\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: at /id: expected a long"));
    let out = lab_schema(&["decode", &schema], "36zz\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lab_schema(&["encode"], "").status.code(), Some(2));
}

/// The README's examples print what the README says.
#[test]
fn the_readme_examples() {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/avro/");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let path = |name: &str| format!("{docs}{name}");
    for (args, shown) in [
        (
            vec![
                "check",
                "--mode",
                "backward",
                "user-v3.avsc",
                "user-v1.avsc",
                "user-v2.avsc",
            ],
            0,
        ),
        (
            vec![
                "check",
                "--mode",
                "full_transitive",
                "user-v2.avsc",
                "user-v1.avsc",
            ],
            1,
        ),
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.ends_with(".avsc") {
                    path(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = String::from_utf8(lab_schema(&args, "").stdout).unwrap();
        let expected = readme
            .lines()
            .filter(|l| l.starts_with("# {\"compatible\""))
            .nth(shown)
            .unwrap();
        assert_eq!(format!("# {}", out.trim()), expected);
    }
    let out = lab_schema(
        &["encode", &path("user-v2.avsc")],
        "{\"id\": 27, \"email\": {\"string\": \"a\"}}\n",
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "36020261\n");
}
