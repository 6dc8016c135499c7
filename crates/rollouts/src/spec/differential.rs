//! TEMPORARY differential harness: serde_norway against the saphyr-parser readers.

use super::{parse_specs, parse_specs_legacy};

const FILES: [&str; 12] = [
    include_str!("../../specs/bluegreen-pre-post.yaml"),
    include_str!("../../specs/canary-background-header-mirror.yaml"),
    include_str!("../../specs/canary-experiment.yaml"),
    include_str!("../../specs/canary-steps-inline-analysis.yaml"),
    include_str!("../../specs/flagger-ab.yaml"),
    include_str!("../../specs/flagger-canary.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/bluegreen-manual.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/canary-baseline-experiment.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/canary-inconclusive.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/canary-one-percent.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/default-canary.yaml"),
    include_str!("../../../lab/src/rollout_lab/specs/flagger-mirror.yaml"),
];

const VALUES: [&str; 25] = [
    "[1, 2]",
    "{a: 1}",
    "\"text\"",
    "42",
    "~",
    "true",
    "1.5",
    "-3",
    "''",
    "0x10",
    "yes",
    "\n  - x",
    "\"10\"",
    "99999999999999999999",
    "@x",
    "'open",
    "{a: 1",
    "[1,",
    "|\n    text",
    ">-\n    folded",
    "&anchor 5",
    "!!str 5",
    "1e3",
    "-99999999999999999999",
    "null",
];

fn mutations(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![("original".to_string(), text.to_string())];
    let with = |i: usize, new: &str| {
        let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        l[i] = new.to_string();
        l.join("\n") + "\n"
    };
    for (i, line) in lines.iter().enumerate() {
        let mut l: Vec<&str> = lines.clone();
        l.remove(i);
        out.push((format!("delete {i}"), l.join("\n") + "\n"));
        out.push((format!("truncate {i}"), lines[..i].join("\n")));
        let mut d: Vec<&str> = lines.clone();
        d.insert(i, line);
        out.push((format!("duplicate {i}"), d.join("\n") + "\n"));
        out.push((format!("indent {i}"), with(i, &format!(" {line}"))));
        out.push((
            format!("dedent {i}"),
            with(i, line.strip_prefix(' ').unwrap_or(line)),
        ));
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        let rest = &line[indent..];
        if let Some((key, value)) = rest.split_once(':') {
            if !key.contains(' ') && !key.is_empty() {
                out.push((
                    format!("complex key {i}"),
                    with(i, &format!("{}[zz]:{value}", &line[..indent])),
                ));
                out.push((
                    format!("rename {i}"),
                    with(i, &format!("{}zzUnknown:{value}", &line[..indent])),
                ));
                let value = value.trim();
                if !value.is_empty() && !value.starts_with('#') {
                    for v in VALUES {
                        out.push((
                            format!("value {i} {v:?}"),
                            with(i, &format!("{}{key}: {v}", &line[..indent])),
                        ));
                    }
                }
            }
        } else if line.trim_start().starts_with("- ") {
            for v in VALUES {
                out.push((
                    format!("item {i} {v:?}"),
                    with(i, &format!("{}{v}", &line[..indent])),
                ));
            }
        }
    }
    out
}

#[test]
#[ignore = "run by hand: compares the two YAML readers"]
fn differential() {
    let mut total = 0;
    let mut differ = 0;
    for (f, file) in FILES.iter().enumerate() {
        for (what, text) in mutations(file) {
            total += 1;
            let new = format!("{:?}", parse_specs(&text));
            let old = format!("{:?}", parse_specs_legacy(&text));
            if new != old {
                differ += 1;
                println!("--- file {f} {what}\nOLD {old}\nNEW {new}");
            }
        }
    }
    println!("compared {total}, differ {differ}");
}
