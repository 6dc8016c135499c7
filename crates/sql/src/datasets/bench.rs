//! The SQL benchmark's two tables. They live with the engine (not with the benchmark) so the
//! engine's own tests can load them: a correlated-subquery test needs 100,000 inner rows.

use crate::{Column, ColumnData, DataType, Field, Session, Table};

/// The SQL benchmark's tables, built by formula so any engine can build the same ones:
/// `t(k, g, v)` with `rows` rows (k: 100,000 keys, g: 1,000 groups, v in [0, 1)) and
/// `d(k, cat)` with 100,000 rows (cat: 20 categories). Row i of t has k = i * 7919 % 100000,
/// g = i % 1000, v = (i * 2654435761 % 1000000) / 1e6; row i of d has k = i, cat = 'c' || i % 20.
pub fn session(rows: usize) -> Session {
    let mut session = Session::new();
    let n = rows as i64;
    let t = Table::new(
        vec![
            Field {
                name: "k".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "g".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "v".into(),
                data_type: DataType::Double,
            },
        ],
        vec![
            Column {
                data: ColumnData::BigInt((0..n).map(|i| i * 7919 % 100_000).collect()),
                validity: None,
            },
            Column {
                data: ColumnData::BigInt((0..n).map(|i| i % 1000).collect()),
                validity: None,
            },
            Column {
                data: ColumnData::Double(
                    (0..n)
                        .map(|i| (i * 2_654_435_761 % 1_000_000) as f64 / 1e6)
                        .collect(),
                ),
                validity: None,
            },
        ],
    );
    let cats: Vec<std::rc::Rc<str>> = (0..20)
        .map(|c| std::rc::Rc::from(format!("c{c}")))
        .collect();
    let d = Table::new(
        vec![
            Field {
                name: "k".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "cat".into(),
                data_type: DataType::Text,
            },
        ],
        vec![
            Column {
                data: ColumnData::BigInt((0..100_000).collect()),
                validity: None,
            },
            Column {
                data: ColumnData::Text((0..100_000).map(|i| cats[i % 20].clone()).collect()),
                validity: None,
            },
        ],
    );
    session.add_sample("t", t);
    session.add_sample("d", d);
    session
}
