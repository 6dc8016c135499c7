//! The partitioners and AQE's arithmetic on their own: hash partitioning keeps equal keys
//! together and spreads distinct ones, range partitioning gives ordered, non-overlapping ranges,
//! coalescing never splits a partition and respects its target, a skew split happens only above
//! both thresholds; and `row_bytes` follows the `UnsafeRow` layout.

use super::exchange::{concat, key_order, sample_keys};
use super::*;
use crate::column::{Column, Field};
use crate::expr::Expr;
use crate::plan::SortKey;
use crate::value::{DataType, Value};
use proptest::prelude::*;
use std::cmp::Ordering;

fn one_column(data_type: DataType, values: &[Value]) -> Table {
    Table::new(
        vec![Field {
            name: "k".into(),
            data_type,
        }],
        vec![Column::from_values(data_type, values.iter())],
    )
}

fn ints(values: &[Option<i64>]) -> Table {
    let values: Vec<Value> = values
        .iter()
        .map(|v| v.map_or(Value::Null, Value::BigInt))
        .collect();
    one_column(DataType::BigInt, &values)
}

fn order(descending: bool, nulls_first: bool) -> Vec<SortKey> {
    vec![SortKey {
        expr: Expr::Column {
            index: 0,
            data_type: DataType::BigInt,
        },
        descending,
        nulls_first,
    }]
}

#[test]
fn hash_partitioning_puts_equal_keys_together_whatever_their_numeric_type() {
    let ints = one_column(
        DataType::BigInt,
        &[Value::BigInt(3), Value::Null, Value::BigInt(-7)],
    );
    let doubles = one_column(
        DataType::Double,
        &[Value::Double(3.0), Value::Null, Value::Double(-7.0)],
    );
    for partitions in 1..=16 {
        assert_eq!(
            hash_partition(&ints, partitions),
            hash_partition(&doubles, partitions)
        );
    }
}

#[test]
fn hash_partitioning_spreads_distinct_keys() {
    let keys = ints(&(0..4_000).map(Some).collect::<Vec<_>>());
    let parts = hash_partition(&keys, 8);
    let mut counts = [0usize; 8];
    for p in parts {
        counts[p as usize] += 1;
    }
    // 500 expected per partition.
    assert!(counts.iter().all(|c| (400..600).contains(c)), "{counts:?}");
}

proptest! {
    #[test]
    fn equal_keys_share_a_hash_partition(
        values in proptest::collection::vec(proptest::option::of(-5i64..5), 0..60),
        partitions in 1u32..=16,
    ) {
        let keys = ints(&values);
        let parts = hash_partition(&keys, partitions);
        for i in 0..values.len() {
            prop_assert!(parts[i] < partitions);
            for j in 0..values.len() {
                if values[i] == values[j] {
                    prop_assert_eq!(parts[i], parts[j]);
                }
            }
        }
    }

    #[test]
    fn range_partitions_are_ordered_and_do_not_overlap(
        chunks in proptest::collection::vec(
            proptest::collection::vec(proptest::option::of(-50i64..50), 0..40), 1..5),
        partitions in 1u32..=12,
        descending in any::<bool>(),
        nulls_first in any::<bool>(),
    ) {
        let parts: Vec<Table> = chunks.iter().map(|c| ints(c)).collect();
        let by = order(descending, nulls_first);
        let bounds = range_bounds(&sample_keys(&parts, partitions), &by, partitions)
            .expect("bounds");
        prop_assert!(bounds.rows < partitions.max(1) as usize);
        let all = concat(&parts);
        let ranges = range_partition(&all, &bounds, &by).expect("ranges");
        let keys = crate::sort::SortKeys::new(&all, &by).expect("keys");
        for i in 0..all.rows {
            prop_assert!(ranges[i] <= bounds.rows as u32);
            for j in 0..all.rows {
                match keys.cmp(i, j) {
                    Ordering::Equal => prop_assert_eq!(ranges[i], ranges[j]),
                    Ordering::Less => prop_assert!(ranges[i] <= ranges[j]),
                    Ordering::Greater => prop_assert!(ranges[i] >= ranges[j]),
                }
            }
        }
    }

    #[test]
    fn coalescing_never_splits_a_partition_and_respects_the_target(
        bytes in proptest::collection::vec(0u64..500, 1..40),
        target in 1u64..1_000,
    ) {
        let groups = coalesce_groups(&bytes, target);
        let mut next = 0;
        for g in &groups {
            prop_assert_eq!(g.start, next);
            prop_assert!(g.end > g.start);
            next = g.end;
            let sum: u64 = bytes[g.clone()].iter().sum();
            // Over the target only as a partition alone.
            prop_assert!(sum <= target || g.len() == 1);
        }
        prop_assert_eq!(next, bytes.len());
        // Greedy: two neighbouring groups could not have been one.
        for pair in groups.windows(2) {
            let joined: u64 = bytes[pair[0].start..pair[1].end].iter().sum();
            prop_assert!(joined > target);
        }
    }
}

#[test]
fn a_skew_split_needs_both_the_factor_and_the_threshold() {
    let sizes = [100, 100, 120, 90, 2_000];
    assert_eq!(median_bytes(&sizes), 100);
    assert_eq!(
        skewed_partitions(&sizes, 5, 1_000),
        [false, false, false, false, true]
    );
    // Above the factor but not the threshold.
    assert_eq!(skewed_partitions(&sizes, 5, 5_000), [false; 5]);
    // Above the threshold but not the factor.
    assert_eq!(skewed_partitions(&sizes, 30, 1_000), [false; 5]);
    // Pieces of about the target, covering every row once.
    let rows = [40u64; 50];
    let pieces = skew_pieces(&rows, 400);
    assert_eq!(pieces.len(), 5);
    assert_eq!(pieces.first().map(|p| p.start), Some(0));
    assert_eq!(pieces.last().map(|p| p.end), Some(50));
}

#[test]
fn row_bytes_follows_the_unsafe_row_layout() {
    let fields = vec![
        Field {
            name: "a".into(),
            data_type: DataType::BigInt,
        },
        Field {
            name: "s".into(),
            data_type: DataType::Text,
        },
    ];
    let table = Table::from_rows(
        fields,
        &[
            vec![Value::BigInt(1), Value::text("/home")],
            vec![Value::Null, Value::text("123456789")],
            vec![Value::BigInt(2), Value::Null],
        ],
    );
    // 8 bytes of null bitset, 2 slots of 8, text rounded up to 8.
    assert_eq!(row_bytes(&table, 0), 8 + 16 + 8);
    assert_eq!(row_bytes(&table, 1), 8 + 16 + 16);
    assert_eq!(row_bytes(&table, 2), 8 + 16);
    assert_eq!(table_bytes(&table), 32 + 40 + 24);
    // 65 fields: two words of bitset.
    let wide = Table::from_rows(
        (0..65)
            .map(|i| Field {
                name: format!("c{i}"),
                data_type: DataType::BigInt,
            })
            .collect(),
        &[vec![Value::BigInt(0); 65]],
    );
    assert_eq!(row_bytes(&wide, 0), 16 + 65 * 8);
}

#[test]
fn key_order_refers_to_key_columns_in_order() {
    let keys = vec![
        SortKey {
            expr: Expr::Literal(Value::BigInt(1)),
            descending: true,
            nulls_first: false,
        },
        SortKey {
            expr: Expr::Literal(Value::text("x")),
            descending: false,
            nulls_first: true,
        },
    ];
    let by = key_order(&keys);
    assert_eq!(
        by[1].expr,
        Expr::Column {
            index: 1,
            data_type: DataType::Text
        }
    );
    assert!(by[0].descending && !by[0].nulls_first);
}

#[test]
fn spark_defaults_are_spark_3_5s() {
    let c = DistConfig::spark_defaults(200);
    assert_eq!(c.shuffle_partitions, PARTITIONS_MAX);
    assert_eq!(c.broadcast_threshold_bytes, Some(10 * 1024 * 1024));
    assert_eq!(c.advisory_partition_bytes, 64 * 1024 * 1024);
    assert_eq!(
        (c.skew_factor, c.skew_threshold_bytes),
        (5, 256 * 1024 * 1024)
    );
    assert!(c.aqe);
    assert_eq!(format_bytes(12_595), "12.3 KiB");
}
