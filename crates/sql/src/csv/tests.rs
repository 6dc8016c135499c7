//! Import, export and their errors, by example (property tests: `tests/sql_csv.rs`).

use super::*;
use crate::value::{parse_date, parse_timestamp, DataType, Value};

fn import(text: &str) -> Table {
    from_csv(text.as_bytes()).unwrap()
}

fn types(table: &Table) -> Vec<DataType> {
    table.fields.iter().map(|f| f.data_type).collect()
}

fn error(text: &[u8]) -> SqlError {
    from_csv(text).unwrap_err()
}

#[test]
fn imports_typed_columns_with_nulls() {
    let t = import(
        "\u{feff}id, name ,paid,amount,day,at\r\n\
         1,\"Lee, Ann\",true,2.5,2024-02-29,2024-02-29 10:00\r\n\
         2,,FALSE,,2024-03-01,2024-03-01T11:30:05.25\r\n\
         ,\"\",,3,,\r\n",
    );
    assert_eq!(
        t.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["id", "name", "paid", "amount", "day", "at"]
    );
    use DataType::*;
    assert_eq!(types(&t), [BigInt, Text, Boolean, Double, Date, Timestamp]);
    assert_eq!(t.rows, 3);
    assert_eq!(
        t.row(0),
        [
            Value::BigInt(1),
            Value::text("Lee, Ann"),
            Value::Boolean(true),
            Value::Double(2.5),
            Value::Date(parse_date("2024-02-29").unwrap()),
            Value::Timestamp(parse_timestamp("2024-02-29 10:00").unwrap()),
        ]
    );
    assert!(t.row(1)[1].is_null(), "an empty field is NULL");
    assert_eq!(t.row(2)[1], Value::text(""), "a quoted empty text is ''");
    assert!(t.row(2)[0].is_null() && t.row(2)[4].is_null());
    assert_eq!(t.row(1)[5].to_string(), "2024-03-01 11:30:05.250000");
}

#[test]
fn header_only_blank_lines_and_single_columns() {
    let t = import("a,b\n");
    assert_eq!(
        (t.rows, types(&t)),
        (0, vec![DataType::Text, DataType::Text])
    );
    let t = import("a,b\n1,2\n\n3,4\n\n");
    assert_eq!(t.rows, 2, "blank lines are skipped");
    let t = import("a\n1\n\n3\n");
    assert_eq!(t.rows, 3, "in a one-column file a blank line is NULL");
    assert!(t.row(1)[0].is_null());
    let t = import(",,A,a\n1,2,3,4");
    assert_eq!(
        t.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["column_1", "column_2", "A", "a_2"]
    );
}

#[test]
fn malformed_text_is_refused_with_its_line() {
    let ragged =
        b"a,b,c,d,e\n1,2,3,4,5\n\"x\ny\",2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4\n";
    let e = error(ragged);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, "line 8 has 4 fields, the header has 5");
    assert!(e.hint.unwrap().contains("quote"));
    let e = error(b"a,b\n1,\"2\n3,4\n");
    assert_eq!(e.message, "line 2: a quoted field is never closed");
    let e = error(b"a\n1\n\xff\n");
    assert_eq!(e.message, "line 3 is not UTF-8 text (byte 5)");
    assert!(e.hint.unwrap().contains("UTF-8"));
    for empty in [&b""[..], b"\n", b"\xEF\xBB\xBF"] {
        assert_eq!(error(empty).message, "the CSV has no header line");
    }
    assert_eq!(
        error(b"a,b\n1\n").message,
        "line 2 has 1 field, the header has 2"
    );
}

#[test]
fn limits_stop_an_import() {
    let limits = CsvLimits {
        rows: 2,
        bytes: 40,
        columns: 3,
    };
    assert!(from_csv_with(b"a\n1\n2\n", &limits).is_ok());
    let e = from_csv_with(b"a\n1\n2\n3\n", &limits).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
    assert_eq!(e.message, "the CSV has more than 2 rows (line 4)");
    let e = from_csv_with(&[b'a'; 41], &limits).unwrap_err();
    assert_eq!(e.message, "the CSV is 41 bytes; the limit is 40 bytes");
    let e = from_csv_with(b"a,b,c,d\n", &limits).unwrap_err();
    assert_eq!(e.message, "the header has 4 columns; the limit is 3");
    assert!(e.hint.is_some());
    let e = from_csv_with(&vec![b'a'; CSV_BYTES_MAX + 1], &CsvLimits::default()).unwrap_err();
    assert_eq!(e.message, "the CSV is 64.0 MiB; the limit is 64.0 MiB");
}

#[test]
fn exports_quoted_fields_nulls_and_exact_doubles() {
    let t = import("name,n,x,ok\n\"a,b\",1,0.1,true\n\"say \"\"hi\"\"\",,1e20,\n\" pad\",3,NaN,false\n\"\",4,-Infinity,true\n");
    assert_eq!(
        to_csv(&t),
        "name,n,x,ok\n\"a,b\",1,0.1,true\n\"say \"\"hi\"\"\",,100000000000000000000.0,\n\" pad\",3,NaN,false\n\"\",4,-Infinity,true\n"
    );
    let back = from_csv(to_csv(&t).as_bytes()).unwrap();
    assert_eq!(types(&back), types(&t));
    assert_eq!(to_csv(&back), to_csv(&t));
    assert_eq!(to_csv(&Table::empty(Vec::new())), "");
}

#[test]
fn samples_survive_a_round_trip() {
    use crate::datasets::{samples, Size, SAMPLE_SEED};
    for (name, table) in samples(SAMPLE_SEED, Size::Rows(500)) {
        let back = from_csv(to_csv(&table).as_bytes()).unwrap();
        assert_eq!(back, table, "{name}");
    }
}
