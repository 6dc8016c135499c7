//! Log and storage properties (docs/testing.md) over random sequences of appends,
//! retention checks and compaction passes: offsets strictly increase and are never reused,
//! retention deletes only a prefix of whole committed segments, and compaction keeps the latest
//! value of every key, the order, the offsets and the active segment.

use broker::log::{LogConfig, NewRecord, Offset, PartitionLog, Record};
use proptest::prelude::*;
use sim::clock::Tick;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
    Append {
        keys: Vec<Option<u8>>,
        tombstone: bool,
        value_len: usize,
    },
    Wait(u64),
    Retention {
        hw_back: u64,
    },
    Compact {
        hw_back: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (proptest::collection::vec(proptest::option::weighted(0.9, 0u8..6), 1..4), proptest::bool::weighted(0.15), 0usize..40)
            .prop_map(|(keys, tombstone, value_len)| Op::Append { keys, tombstone, value_len }),
        2 => (1u64..80).prop_map(Op::Wait),
        1 => (0u64..5).prop_map(|hw_back| Op::Retention { hw_back }),
        1 => (0u64..5).prop_map(|hw_back| Op::Compact { hw_back }),
    ]
}

fn config() -> impl Strategy<Value = LogConfig> {
    (
        150u64..600,
        proptest::option::of(20u64..300),
        proptest::option::of(200u64..2000),
        any::<bool>(),
        any::<bool>(),
        0u16..900,
        0u64..200,
    )
        .prop_map(
            |(
                segment_bytes,
                retention_ticks,
                retention_bytes,
                delete,
                compact,
                ratio,
                delete_retention,
            )| LogConfig {
                segment_bytes,
                segment_ticks: 500,
                retention_ticks,
                retention_bytes,
                cleanup_delete: delete || !compact,
                cleanup_compact: compact,
                min_cleanable_dirty_ratio_permille: ratio,
                delete_retention_ticks: delete_retention,
                min_compaction_lag_ticks: 0,
                max_compaction_lag_ticks: None,
            },
        )
}

fn snapshot(log: &PartitionLog) -> Vec<Record> {
    log.records().cloned().collect()
}

fn check_structure(log: &PartitionLog) -> Result<(), TestCaseError> {
    let records = snapshot(log);
    prop_assert!(
        records.windows(2).all(|w| w[0].offset < w[1].offset),
        "offsets strictly increase"
    );
    prop_assert!(records
        .iter()
        .all(|r| r.offset >= log.log_start() && r.offset < log.leo()));
    prop_assert_eq!(log.record_count(), records.len());
    prop_assert!(!log.segments().is_empty());
    prop_assert_eq!(log.segments()[0].base_offset, log.log_start());
    prop_assert!(log
        .segments()
        .windows(2)
        .all(|w| w[0].base_offset < w[1].base_offset || w[0].batches.is_empty()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn log_invariants_hold_under_any_operations(config in config(), ops in proptest::collection::vec(op(), 1..80)) {
        let mut log = PartitionLog::new(config);
        let mut now = Tick(0);
        for op in ops {
            match op {
                Op::Append { keys, tombstone, value_len } => {
                    let records: Vec<NewRecord> = keys.iter().map(|k| NewRecord {
                        key: k.map(|k| vec![b'k', k]),
                        value: (!tombstone || k.is_none()).then(|| vec![b'v'; value_len]),
                        headers: Vec::new(),
                        timestamp: None,
                    }).collect();
                    let leo = log.leo();
                    match log.append(records.clone(), now, 0, None) {
                        Ok((first, last)) => {
                            prop_assert_eq!(first, leo, "the next offset is the old LEO: never reused");
                            prop_assert_eq!(last.0 + 1, log.leo().0);
                        }
                        Err(_) => {
                            prop_assert!(config.cleanup_compact && records.iter().any(|r| r.key.is_none()));
                            prop_assert_eq!(log.leo(), leo);
                        }
                    }
                }
                Op::Wait(ticks) => now = now.plus(ticks),
                Op::Retention { hw_back } => {
                    let hw = Offset(log.leo().0.saturating_sub(hw_back));
                    let before = snapshot(&log);
                    let outcome = log.apply_retention(now, hw);
                    let after = snapshot(&log);
                    let start = outcome.new_log_start;
                    prop_assert!(outcome.deleted_segments == 0 || start <= hw, "the log start never passes the HW");
                    prop_assert!(before.iter().filter(|r| r.offset >= hw).all(|r| after.contains(r)), "nothing at or above the HW is deleted");
                    let expected: Vec<Record> = before.into_iter().filter(|r| r.offset >= start).collect();
                    prop_assert_eq!(after, expected, "retention deletes exactly a prefix");
                    if !config.cleanup_delete { prop_assert_eq!(outcome.deleted_segments, 0); }
                }
                Op::Compact { hw_back } => {
                    let hw = Offset(log.leo().0.saturating_sub(hw_back));
                    let before = snapshot(&log);
                    let active_before = log.segments().last().cloned();
                    if let Some(outcome) = log.compact(now, hw) {
                        let after = snapshot(&log);
                        let limit = outcome.cleaned_up_to;
                        prop_assert_eq!(log.segments().last().cloned(), active_before, "the active segment is untouched");
                        let tail = |rs: &[Record]| rs.iter().filter(|r| r.offset >= limit).cloned().collect::<Vec<_>>();
                        prop_assert_eq!(tail(&after), tail(&before), "nothing at or after the uncleanable offset changes");
                        let mut it = before.iter();
                        prop_assert!(after.iter().all(|a| it.any(|b| b == a)), "survivors keep their order and offsets");
                        let last_values = |rs: &[Record]| {
                            let mut m: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
                            for r in rs.iter().filter(|r| r.offset < limit) {
                                if let Some(k) = &r.key { m.insert(k.clone(), r.value.clone()); }
                            }
                            m
                        };
                        let (old, new) = (last_values(&before), last_values(&after));
                        for (key, value) in &old {
                            match value {
                                Some(_) => prop_assert_eq!(new.get(key), Some(value), "the latest value of every key survives"),
                                None => prop_assert!(new.get(key).is_none_or(|v| v.is_none()), "a deleted key stays deleted"),
                            }
                        }
                        for r in after.iter().filter(|r| r.offset < limit) {
                            if let Some(k) = &r.key {
                                let latest = before.iter().filter(|b| b.offset < limit && b.key.as_ref() == Some(k)).map(|b| b.offset).max();
                                prop_assert_eq!(latest, Some(r.offset), "only the latest record of a key survives");
                            }
                        }
                    } else {
                        prop_assert_eq!(snapshot(&log), before);
                    }
                }
            }
            check_structure(&log)?;
        }
    }
}
