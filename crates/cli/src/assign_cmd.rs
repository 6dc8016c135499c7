//! `lab assign`: the assignor playground. Reads a group as JSON, prints one rebalance's result.

use lab::broker::assignor::{assign, Group, Member, Strategy};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Largest input accepted, in bytes.
pub const INPUT_BYTES_MAX: usize = 16 << 20;

/// An optional field: absent and `null` both mean "not given".
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

fn partitions_list(value: &Value, at: &str) -> Result<Vec<u32>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{at} must be a list of partition numbers"))?;
    items
        .iter()
        .map(|p| {
            p.as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(|| format!("{at} holds {p}, not a partition number"))
        })
        .collect()
}

/// Parses the group JSON described in `lab --help`.
pub fn parse_group(text: &str) -> Result<Group, String> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| format!("the input is not valid JSON ({e})"))?;
    let root = root
        .as_object()
        .ok_or("the input must be a JSON object with \"topics\" and \"members\"")?;
    let topics_value = root
        .get("topics")
        .ok_or("the input has no \"topics\" object")?;
    let topics_object = topics_value
        .as_object()
        .ok_or("\"topics\" must map topic names to partition counts")?;
    let mut topics = BTreeMap::new();
    for (name, count) in topics_object {
        let count = count
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                format!("topic \"{name}\" has {count} partitions; use a whole number")
            })?;
        topics.insert(name.clone(), count);
    }
    let members_value = root
        .get("members")
        .ok_or("the input has no \"members\" list")?;
    let members_list = members_value
        .as_array()
        .ok_or("\"members\" must be a list")?;
    let mut members = Vec::new();
    for (i, member) in members_list.iter().enumerate() {
        let at = format!("member {}", i + 1);
        let object = member
            .as_object()
            .ok_or_else(|| format!("{at} must be an object"))?;
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at} needs a string \"id\""))?;
        let instance_id = match field(object, "instance_id") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or_else(|| format!("{at}: \"instance_id\" must be a string or null"))?
                    .to_string(),
            ),
        };
        let topics_of = object
            .get("topics")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{at} needs a \"topics\" list"))?;
        let subscribed = topics_of
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}: topic names must be strings"))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        let mut owned = BTreeMap::new();
        if let Some(value) = field(object, "owned") {
            let map = value
                .as_object()
                .ok_or_else(|| format!("{at}: \"owned\" must map topics to partition lists"))?;
            for (topic, list) in map {
                owned.insert(
                    topic.clone(),
                    partitions_list(list, &format!("{at}: owned \"{topic}\""))?,
                );
            }
        }
        let generation = match field(object, "generation") {
            None => None,
            Some(v) => Some(
                v.as_i64()
                    .and_then(|g| i32::try_from(g).ok())
                    .ok_or_else(|| format!("{at}: \"generation\" must be a whole number"))?,
            ),
        };
        members.push(Member {
            id: id.to_string(),
            instance_id,
            topics: subscribed,
            owned,
            generation,
        });
    }
    Ok(Group { topics, members })
}

/// Runs the command; returns its standard output.
pub fn run(args: &[String]) -> Result<String, String> {
    let mut strategy = None;
    let mut file = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--strategy" => {
                let name = rest.next().ok_or("--strategy needs a name")?;
                let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
                strategy = Some(Strategy::from_name(name).ok_or_else(|| {
                    format!("unknown strategy \"{name}\" (use {})", names.join(", "))
                })?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => {
                return Err(format!(
                    "unexpected argument \"{extra}\" (one FILE, or - for standard input)"
                ))
            }
        }
    }
    let strategy = strategy.ok_or("--strategy is required")?;
    let file = file.ok_or("give a FILE, or - to read standard input")?;
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin()
            .take(INPUT_BYTES_MAX as u64 + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(&file)
            .and_then(|f| f.take(INPUT_BYTES_MAX as u64 + 1).read_to_string(&mut text))
    };
    read.map_err(|e| format!("cannot read {file}: {e}"))?;
    if text.len() > INPUT_BYTES_MAX {
        return Err(format!(
            "{file} is larger than {} MiB",
            INPUT_BYTES_MAX >> 20
        ));
    }
    let group = parse_group(&text)?;
    let assignment = assign(strategy, &group).map_err(|e| e.to_string())?;
    Ok(format!(
        "{}\n",
        serde_json::to_string(&assignment).expect("maps of strings and numbers serialize")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let g = parse_group(r#"{"topics": {"orders": 6, "payments": 3}, "members": [{"id": "c1", "instance_id": null, "topics": ["orders"], "owned": {"orders": [0, 1]}, "generation": 4}]}"#).unwrap();
        assert_eq!(g.topics["orders"], 6);
        assert_eq!(g.members[0].owned["orders"], vec![0, 1]);
        assert_eq!(g.members[0].generation, Some(4));
    }

    #[test]
    fn bad_input_names_the_problem() {
        for (input, needle) in [
            ("nope", "not valid JSON"),
            ("[]", "JSON object"),
            ("{\"members\": []}", "no \"topics\""),
            ("{\"topics\": {\"t\": -1}, \"members\": []}", "whole number"),
            ("{\"topics\": {}, \"members\": [{\"topics\": []}]}", "member 1 needs a string \"id\""),
            ("{\"topics\": {}, \"members\": [{\"id\": \"a\", \"topics\": [1]}]}", "strings"),
            ("{\"topics\": {}, \"members\": [{\"id\": \"a\", \"topics\": [], \"owned\": {\"t\": [\"x\"]}}]}", "not a partition number"),
        ] {
            let err = parse_group(input).unwrap_err();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }
}
