//! Differential tests against real Kafka client code (docs/testing.md; Kafka's Utils.murmur2): murmur2 and
//! the keyed partition for thousands of random keys, range and round-robin assignments exactly for
//! random groups, sticky and cooperative-sticky exactly for fresh groups with identical
//! subscriptions; and which offsets a read_committed consumer returns from random transaction logs
//! (markers, aborted and open transactions), against kafka-python's fetcher filter over record
//! batches built with its own builder. The oracle is `tests/oracles/kafka_oracle.py` (kafka-python 3.0.12, aiokafka
//! 0.14.0, installed by scripts/test.sh from tests/oracles/requirements.txt).

use avro::binary::hex;
use lab::broker::assignor::{assign, Group, Member, Strategy};
use lab::broker::partitioner::{murmur2, partition_for_key};
use lab::rng::{Rng, Seed};
mod common;

use common::run_lab;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const KEYS: usize = 5000;
const GROUPS_PER_STRATEGY: usize = 400;

/// Sends every request to the oracle in one run and returns its answers, in order.
fn oracle(requests: &[Value]) -> Vec<Value> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/kafka_oracle.py");
    // scripts/test.sh points FLOWLAB_PYTHON at a virtual environment holding the oracles.
    let python = std::env::var("FLOWLAB_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(python)
        .arg(&script)
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = String::new();
    for r in requests {
        input.push_str(&r.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("oracle finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("oracle reads its input");
    assert!(
        output.status.success(),
        "the oracle failed (run scripts/test.sh, or set FLOWLAB_PYTHON to a Python with tests/oracles/requirements.txt installed):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle prints JSON"))
        .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

#[test]
fn murmur2_and_partition_match_kafka_python_for_random_keys() {
    let mut rng = Rng::new(Seed(2)).fork("differential/murmur2");
    let mut cases = Vec::with_capacity(KEYS);
    for i in 0..KEYS {
        let len = if i < 64 {
            i
        } else {
            1 + rng.below(64) as usize
        };
        let key: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        let partitions = [1, 3, 6, 12, 64, 1000, 1 + rng.below(5000) as u32][i % 7];
        cases.push((key, partitions));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(k, n)| json!({"op": "murmur2", "key_hex": hex(k, ""), "partitions": n}))
        .collect();
    let answers = oracle(&requests);
    let mut mismatches = 0;
    for ((key, n), answer) in cases.iter().zip(&answers) {
        let ours =
            json!({"hash": murmur2(key), "partition": partition_for_key(key, *n).unwrap().0});
        if &ours != answer {
            mismatches += 1;
            eprintln!(
                "key {} / {n}: ours {ours}, kafka-python {answer}",
                hex(key, "")
            );
        }
    }
    assert_eq!(mismatches, 0, "{mismatches} of {KEYS} keys differ");
}

/// A random group. `identical`: all members subscribe to the same topics. `statics`: some members
/// are static (listed first, as the oracle needs; docs/testing.md defect 2).
fn random_group(rng: &mut Rng, identical: bool, statics: bool) -> Group {
    let topic_count = 1 + rng.below(4) as usize;
    let topics: Vec<(String, u32)> = (0..topic_count)
        .map(|t| (format!("t{t}"), rng.below(10) as u32))
        .collect();
    let member_count = 1 + rng.below(7) as usize;
    let all: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    let shared: Vec<&str> = all
        .iter()
        .copied()
        .filter(|_| rng.chance_permille(600))
        .collect();
    let mut members = Vec::new();
    for i in 0..member_count {
        let mut subs: Vec<&str> = if identical {
            shared.clone()
        } else {
            all.iter()
                .copied()
                .filter(|_| rng.chance_permille(600))
                .collect()
        };
        if subs.is_empty() {
            subs.push(all[0]);
        }
        let id = format!("member-{}", rng.below(1000));
        if members.iter().any(|m: &Member| m.id == id) {
            continue;
        }
        let mut m = Member::new(&id, &subs);
        if statics && i < member_count / 2 {
            m.instance_id = Some(format!("instance-{}", rng.below(1000)));
        }
        members.push(m);
    }
    let mut seen = std::collections::BTreeSet::new();
    members.retain(|m| {
        m.instance_id
            .as_ref()
            .is_none_or(|x| seen.insert(x.clone()))
    });
    Group {
        topics: topics.into_iter().collect(),
        members,
    }
}

fn request(strategy: Strategy, group: &Group) -> Value {
    json!({
        "op": "assign",
        "strategy": strategy.name(),
        "topics": group.topics,
        "members": group.members.iter().map(|m| json!({"id": m.id, "instance_id": m.instance_id, "topics": m.topics})).collect::<Vec<_>>(),
    })
}

fn compare_assignments(strategy: Strategy, identical: bool, statics: bool, seed: u64) {
    let mut rng = Rng::new(Seed(seed)).fork(strategy.name());
    let groups: Vec<Group> = (0..GROUPS_PER_STRATEGY)
        .map(|_| random_group(&mut rng, identical, statics))
        .collect();
    let answers = oracle(
        &groups
            .iter()
            .map(|g| request(strategy, g))
            .collect::<Vec<_>>(),
    );
    let mut mismatches = 0;
    for (group, answer) in groups.iter().zip(&answers) {
        let ours = serde_json::to_value(assign(strategy, group).unwrap()).unwrap();
        if &ours != answer {
            mismatches += 1;
            eprintln!(
                "{} {}:\n  ours   {ours}\n  oracle {answer}",
                strategy.name(),
                request(strategy, group)
            );
        }
    }
    assert_eq!(
        mismatches,
        0,
        "{mismatches} of {GROUPS_PER_STRATEGY} {} assignments differ",
        strategy.name()
    );
}

#[test]
fn range_matches_kafka_python_with_static_and_dynamic_members() {
    compare_assignments(Strategy::Range, false, true, 10);
}

#[test]
fn roundrobin_matches_aiokafka_with_different_subscriptions() {
    // aiokafka has no static-member ordering, so members here are dynamic (docs/testing.md).
    compare_assignments(Strategy::RoundRobin, false, false, 11);
}

#[test]
fn sticky_matches_kafka_python_for_fresh_groups() {
    compare_assignments(Strategy::Sticky, true, false, 12);
}

#[test]
fn cooperative_sticky_matches_kafka_python_for_fresh_groups() {
    compare_assignments(Strategy::CooperativeSticky, true, false, 13);
}

#[test]
fn the_cli_prints_what_the_library_computes() {
    let out = run_lab(
        &[
            "partition",
            "--partitions",
            "1000",
            "--hex",
            "--json",
            "3231",
        ],
        "",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"hash\":-973932308,\"key\":\"3231\",\"partition\":340}\n"
    );
    let out = run_lab(
        &["assign", "--strategy", "range", "-"],
        r#"{"topics": {"t0": 3, "t1": 3}, "members": [{"id": "C0", "topics": ["t0", "t1"]}, {"id": "C1", "topics": ["t0", "t1"]}]}"#,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"C0\":{\"t0\":[0,1],\"t1\":[0,1]},\"C1\":{\"t0\":[2],\"t1\":[2]}}\n"
    );
    for bad in [
        &["assign"][..],
        &["assign", "--strategy", "range", "/no/such/file"],
        &["partition", "--partitions", "x", "k"],
        &["frobnicate"],
    ] {
        let out = run_lab(bad, "");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("lab: ") && err.lines().count() == 1,
            "{bad:?}: {err}"
        );
    }
}

/// Transaction logs to compare: random data, transactional batches of a few producers, markers
/// closing their transactions (commit or abort), some left open; a high watermark at a batch
/// boundary and a fetch offset at or below the last stable offset.
const TXN_LOGS: usize = 600;

/// A random partition log with transactions, and the high watermark and fetch offset to read it at.
fn random_transaction_log(rng: &mut Rng) -> (lab::broker::log::PartitionLog, u64, u64) {
    use lab::broker::log::{
        BatchKind, ControlType, LogConfig, NewRecord, PartitionLog, ProducerStamp,
    };
    use lab::clock::Tick;
    let mut log = PartitionLog::new(LogConfig::default());
    let mut open = [false; 4];
    let mut ends = vec![0];
    for _ in 0..1 + rng.below(14) {
        let p = rng.below(4) as usize;
        let pid = 1000 + p as u64;
        let records = |n: u64| (0..n).map(|_| NewRecord::unkeyed("v")).collect::<Vec<_>>();
        match rng.below(6) {
            0 => {
                log.append(records(1 + rng.below(3)), Tick(0), 0, None)
                    .unwrap();
            }
            1 | 2 if open[p] => {
                let control = if rng.below(2) == 0 {
                    ControlType::Commit
                } else {
                    ControlType::Abort
                };
                log.append_marker(pid, control, 0, Tick(0), 0).unwrap();
                open[p] = false;
            }
            _ => {
                let stamp = ProducerStamp {
                    producer_id: pid,
                    base_sequence: 0,
                };
                let kind = BatchKind::Transactional;
                log.append_kind(
                    records(1 + rng.below(3)),
                    Tick(0),
                    0,
                    Some(stamp),
                    None,
                    kind,
                )
                .unwrap();
                open[p] = true;
            }
        }
        ends.push(log.leo().0);
    }
    let hw = ends[rng.below(ends.len() as u64) as usize];
    let lso = log.last_stable_offset(lab::broker::log::Offset(hw)).0;
    let from = if lso == 0 { 0 } else { rng.below(lso + 1) };
    (log, hw, from)
}

/// The oracle request for a read_committed fetch of `log` from `from` at `hw`: what the broker
/// sends (the batches from the one holding `from` up to the LSO, and the aborted transactions
/// reaching into that range).
fn read_committed_request(log: &lab::broker::log::PartitionLog, hw: u64, from: u64) -> Value {
    use lab::broker::log::{BatchKind, ControlType, Offset};
    let view = log.stable_view(Offset(hw));
    let batches: Vec<Value> = log
        .segments()
        .iter()
        .flat_map(|s| s.batches.iter())
        .filter(|b| {
            let (first, last) = (
                b.records[0].offset.0,
                b.records[b.records.len() - 1].offset.0,
            );
            last >= from && first < view.lso.0
        })
        .map(|b| {
            let (producer_id, transactional, control) = match b.kind {
                BatchKind::Data => (-1, false, Value::Null),
                BatchKind::Transactional => {
                    (b.producer.unwrap().producer_id as i64, true, Value::Null)
                }
                BatchKind::Control(c) => (
                    b.producer.unwrap().producer_id as i64,
                    true,
                    json!(if c == ControlType::Commit {
                        "commit"
                    } else {
                        "abort"
                    }),
                ),
            };
            json!({
                "base_offset": b.records[0].offset.0,
                "records": b.records.len(),
                "producer_id": producer_id,
                "epoch": if producer_id < 0 { -1 } else { 0 },
                "transactional": transactional,
                "control": control,
            })
        })
        .collect();
    let aborted: Vec<Value> = view
        .aborted
        .iter()
        .filter(|a| a.last_offset.0 >= from && a.first_offset < view.lso)
        .map(|a| json!([a.producer_id, a.first_offset.0]))
        .collect();
    json!({"op": "read_committed", "fetch_offset": from, "batches": batches, "aborted": aborted})
}

#[test]
fn read_committed_matches_kafka_python_for_random_transaction_logs() {
    use lab::broker::log::{IsolationLevel, Offset};
    let mut rng = Rng::new(Seed(9)).fork("differential/read-committed");
    let cases: Vec<_> = (0..TXN_LOGS)
        .map(|_| random_transaction_log(&mut rng))
        .collect();
    let requests: Vec<Value> = cases
        .iter()
        .map(|(log, hw, from)| read_committed_request(log, *hw, *from))
        .collect();
    let answers = oracle(&requests);
    let mut skipped_some = false;
    for ((log, hw, from), (request, answer)) in cases.iter().zip(requests.iter().zip(&answers)) {
        let ours = log
            .fetch(
                Offset(*from),
                Offset(*hw),
                usize::MAX,
                IsolationLevel::ReadCommitted,
            )
            .unwrap();
        let offsets: Vec<u64> = ours.records.iter().map(|r| r.offset.0).collect();
        let theirs: Vec<u64> = serde_json::from_value(answer["offsets"].clone()).unwrap();
        assert_eq!(offsets, theirs, "returned offsets differ for {request}");
        if !offsets.is_empty() {
            assert_eq!(
                ours.next.0,
                answer["next"].as_u64().unwrap(),
                "next position differs for {request}"
            );
        }
        let all = log
            .fetch(
                Offset(*from),
                Offset(*hw),
                usize::MAX,
                IsolationLevel::ReadUncommitted,
            )
            .unwrap();
        skipped_some |= all.records.len() > offsets.len();
    }
    assert!(
        skipped_some,
        "some case skipped an aborted or unstable record"
    );
}
