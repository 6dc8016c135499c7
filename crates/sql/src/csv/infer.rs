//! Column types and names for an imported CSV. A column's type is the narrowest that reads every
//! non-empty field: BOOLEAN (`true`/`false`, any case), BIGINT, DOUBLE (including `NaN` and
//! `Infinity`), DATE (`YYYY-MM-DD`), TIMESTAMP (`YYYY-MM-DD HH:MM[:SS[.ffffff]]`, or `T` between,
//! mixing in bare dates), else TEXT. Numbers, booleans and dates may have spaces around them.
//! An empty field is NULL, except that a quoted empty field (`""`) in a TEXT column is the empty
//! string, as in PostgreSQL's `COPY ... CSV`. A column with no value at all is TEXT.

use crate::column::{Column, ColumnData};
use crate::value::{parse_date, parse_timestamp, DataType};
use std::collections::BTreeSet;
use std::rc::Rc;

const BOOLEAN: u8 = 1;
const BIGINT: u8 = 2;
const DOUBLE: u8 = 4;
const DATE: u8 = 8;
const TIMESTAMP: u8 = 16;
const ANY: u8 = BOOLEAN | BIGINT | DOUBLE | DATE | TIMESTAMP;

/// What the fields seen so far allow a column to be.
#[derive(Clone, Copy)]
pub(super) struct Inference {
    allowed: u8,
    seen_value: bool,
}

impl Default for Inference {
    fn default() -> Inference {
        Inference {
            allowed: ANY,
            seen_value: false,
        }
    }
}

impl Inference {
    pub(super) fn observe(&mut self, field: &str) {
        let field = field.trim();
        if field.is_empty() {
            return;
        }
        self.seen_value = true;
        if self.allowed != 0 {
            self.allowed &= fits(field, self.allowed);
        }
    }

    pub(super) fn data_type(self) -> DataType {
        if !self.seen_value {
            return DataType::Text;
        }
        [
            (BOOLEAN, DataType::Boolean),
            (BIGINT, DataType::BigInt),
            (DOUBLE, DataType::Double),
            (DATE, DataType::Date),
            (TIMESTAMP, DataType::Timestamp),
        ]
        .into_iter()
        .find(|(bit, _)| self.allowed & bit != 0)
        .map_or(DataType::Text, |(_, t)| t)
    }
}

/// `YYYY-MM-DD` by shape (the value itself is checked by `parse_date`).
fn date_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Which of the `within` types read `field` (trimmed, not empty).
fn fits(field: &str, within: u8) -> u8 {
    let mut fits = 0;
    if within & BOOLEAN != 0
        && (field.eq_ignore_ascii_case("true") || field.eq_ignore_ascii_case("false"))
    {
        fits |= BOOLEAN;
    }
    if within & BIGINT != 0 && field.parse::<i64>().is_ok() {
        fits |= BIGINT;
    }
    if within & DOUBLE != 0 && field.parse::<f64>().is_ok() {
        fits |= DOUBLE;
    }
    if within & (DATE | TIMESTAMP) != 0 && date_shaped(field) {
        if field.len() == 10 {
            if parse_date(field).is_some() {
                fits |= (DATE | TIMESTAMP) & within;
            }
        } else if matches!(field.as_bytes()[10], b' ' | b'T')
            && within & TIMESTAMP != 0
            && parse_timestamp(field).is_some()
        {
            fits |= TIMESTAMP;
        }
    }
    fits
}

/// Header names: trimmed, `column_N` for an empty one (N counts from 1), and `_2`, `_3`, ...
/// after a name already taken (names compare without case, as SQL identifiers do).
pub(super) fn column_names<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = BTreeSet::new();
    let mut names = Vec::new();
    for (i, name) in raw.into_iter().enumerate() {
        let name = match name.trim() {
            "" => format!("column_{}", i + 1),
            trimmed => trimmed.to_string(),
        };
        let mut unique = name.clone();
        let mut n = 2;
        while !taken.insert(unique.to_lowercase()) {
            unique = format!("{name}_{n}");
            n += 1;
        }
        names.push(unique);
    }
    names
}

/// Builds one column of an inferred type from its fields.
pub(super) struct Builder {
    data: ColumnData,
    validity: Vec<bool>,
}

impl Builder {
    pub(super) fn new(data_type: DataType, rows: usize) -> Builder {
        Builder {
            data: Column::with_capacity(data_type, rows).data,
            validity: Vec::with_capacity(rows),
        }
    }

    /// Appends a field (and whether it was quoted); one that does not read is NULL.
    pub(super) fn push(&mut self, field: &str, quoted: bool) {
        let trimmed = field.trim();
        let valid = match &mut self.data {
            ColumnData::Text(v) => {
                let valid = quoted || !field.is_empty();
                v.push(Rc::from(if valid { field } else { "" }));
                valid
            }
            ColumnData::Boolean(v) => {
                let value = if trimmed.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if trimmed.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                };
                v.push(value.unwrap_or_default());
                value.is_some()
            }
            ColumnData::BigInt(v) => push_parsed(v, trimmed.parse().ok()),
            ColumnData::Double(v) => push_parsed(v, trimmed.parse().ok()),
            ColumnData::Date(v) => push_parsed(v, parse_date(trimmed)),
            ColumnData::Timestamp(v) => push_parsed(v, parse_timestamp(trimmed)),
            ColumnData::Interval(_) | ColumnData::Null(_) => false,
        };
        self.validity.push(valid);
    }

    pub(super) fn finish(self) -> Column {
        let all_valid = self.validity.iter().all(|v| *v);
        Column {
            data: self.data,
            validity: (!all_valid).then_some(self.validity),
        }
    }
}

fn push_parsed<T: Default>(values: &mut Vec<T>, value: Option<T>) -> bool {
    let valid = value.is_some();
    values.push(value.unwrap_or_default());
    valid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(fields: &[&str]) -> DataType {
        let mut inference = Inference::default();
        for f in fields {
            inference.observe(f);
        }
        inference.data_type()
    }

    #[test]
    fn infers_the_narrowest_type() {
        use DataType::*;
        assert_eq!(infer(&["TRUE", "", "false"]), Boolean);
        assert_eq!(infer(&["1", " -2 ", ""]), BigInt);
        assert_eq!(infer(&["1", "2.5", "NaN", "-Infinity", "1e3"]), Double);
        assert_eq!(infer(&["99999999999999999999"]), Double);
        assert_eq!(infer(&["2024-02-29", ""]), Date);
        assert_eq!(infer(&["2024-02-29", "2024-03-01 10:00"]), Timestamp);
        assert_eq!(infer(&["2024-03-01T10:00:05.5"]), Timestamp);
        assert_eq!(infer(&["2023-02-29"]), Text);
        assert_eq!(infer(&["2024-1-5"]), Text);
        assert_eq!(infer(&["1", "true"]), Text);
        assert_eq!(infer(&["", "  "]), Text);
        assert_eq!(infer(&[]), Text);
    }

    #[test]
    fn names_are_trimmed_filled_and_unique() {
        assert_eq!(
            column_names([" id ", "", "ID", "id_2", "x", "X"]),
            ["id", "column_2", "ID_2", "id_2_2", "x", "X_2"]
        );
    }

    #[test]
    fn builders_read_fields_and_nulls() {
        let mut b = Builder::new(DataType::Text, 3);
        b.push("", false);
        b.push("", true);
        b.push(" a ", false);
        let c = b.finish();
        assert_eq!(c.get(0), crate::Value::Null);
        assert_eq!(c.get(1).to_string(), "");
        assert_eq!(c.get(2).to_string(), " a ");
        let mut b = Builder::new(DataType::BigInt, 2);
        b.push(" 7 ", false);
        b.push("", true);
        let c = b.finish();
        assert_eq!(c.get(0), crate::Value::BigInt(7));
        assert!(c.get(1).is_null());
    }
}
