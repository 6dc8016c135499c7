//! Columnar tables: one typed vector per column plus a validity mask (absent when nothing is
//! NULL), so a filter or a join gathers plain vectors and a scan touches only the columns a query
//! names. Text is shared (`Rc<str>`): copying a column of strings copies pointers.

use super::value::{DataType, Interval, Value};
use std::rc::Rc;

/// In a gather's row numbers ([`Column::take`]), a row of NULLs (the missing side of an outer
/// join). Row numbers are `u32`: a table never holds more rows than a step's budget allows.
pub const NULL_ROW: u32 = u32::MAX;

/// A column's values, by type.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    Boolean(Vec<bool>),
    BigInt(Vec<i64>),
    Double(Vec<f64>),
    Text(Vec<Rc<str>>),
    Date(Vec<i32>),
    Timestamp(Vec<i64>),
    Interval(Vec<Interval>),
    /// A column of NULLs only (the type of a bare NULL), with its length.
    Null(usize),
}

/// One column: values plus validity (`None`: every value is valid).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub data: ColumnData,
    pub validity: Option<Vec<bool>>,
}

impl Column {
    /// An empty column of `data_type`.
    pub fn empty(data_type: DataType) -> Column {
        Column::with_capacity(data_type, 0)
    }

    pub fn with_capacity(data_type: DataType, n: usize) -> Column {
        let data = match data_type {
            DataType::Boolean => ColumnData::Boolean(Vec::with_capacity(n)),
            DataType::BigInt => ColumnData::BigInt(Vec::with_capacity(n)),
            DataType::Double => ColumnData::Double(Vec::with_capacity(n)),
            DataType::Text => ColumnData::Text(Vec::with_capacity(n)),
            DataType::Date => ColumnData::Date(Vec::with_capacity(n)),
            DataType::Timestamp => ColumnData::Timestamp(Vec::with_capacity(n)),
            DataType::Interval => ColumnData::Interval(Vec::with_capacity(n)),
            DataType::Null => ColumnData::Null(0),
        };
        Column {
            data,
            validity: None,
        }
    }

    /// A column of `n` copies of `value`, typed `data_type` (a NULL takes that type).
    pub fn constant(value: &Value, data_type: DataType, n: usize) -> Column {
        let mut c = Column::with_capacity(data_type, n);
        for _ in 0..n {
            c.push(value);
        }
        c
    }

    /// Builds a column of `data_type` from values (each already of that type, or NULL).
    pub fn from_values<'a>(
        data_type: DataType,
        values: impl IntoIterator<Item = &'a Value>,
    ) -> Column {
        let mut c = Column::empty(data_type);
        for v in values {
            c.push(v);
        }
        c
    }

    pub fn data_type(&self) -> DataType {
        match &self.data {
            ColumnData::Boolean(_) => DataType::Boolean,
            ColumnData::BigInt(_) => DataType::BigInt,
            ColumnData::Double(_) => DataType::Double,
            ColumnData::Text(_) => DataType::Text,
            ColumnData::Date(_) => DataType::Date,
            ColumnData::Timestamp(_) => DataType::Timestamp,
            ColumnData::Interval(_) => DataType::Interval,
            ColumnData::Null(_) => DataType::Null,
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Boolean(v) => v.len(),
            ColumnData::BigInt(v) => v.len(),
            ColumnData::Double(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Timestamp(v) => v.len(),
            ColumnData::Interval(v) => v.len(),
            ColumnData::Null(n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_valid(&self, i: usize) -> bool {
        !matches!(self.data, ColumnData::Null(_)) && self.validity.as_ref().is_none_or(|v| v[i])
    }

    /// The value at row `i`.
    pub fn get(&self, i: usize) -> Value {
        if !self.is_valid(i) {
            return Value::Null;
        }
        match &self.data {
            ColumnData::Boolean(v) => Value::Boolean(v[i]),
            ColumnData::BigInt(v) => Value::BigInt(v[i]),
            ColumnData::Double(v) => Value::Double(v[i]),
            ColumnData::Text(v) => Value::Text(v[i].clone()),
            ColumnData::Date(v) => Value::Date(v[i]),
            ColumnData::Timestamp(v) => Value::Timestamp(v[i]),
            ColumnData::Interval(v) => Value::Interval(v[i]),
            ColumnData::Null(_) => Value::Null,
        }
    }

    /// Appends a value of the column's type or NULL. A value of another type is stored as NULL
    /// (callers cast first; the binder makes sure of it).
    pub fn push(&mut self, value: &Value) {
        let len = self.len();
        let valid = match (&mut self.data, value) {
            (ColumnData::Null(n), _) => {
                *n += 1;
                return;
            }
            (ColumnData::Boolean(v), Value::Boolean(x)) => {
                v.push(*x);
                true
            }
            (ColumnData::BigInt(v), Value::BigInt(x)) => {
                v.push(*x);
                true
            }
            (ColumnData::Double(v), Value::Double(x)) => {
                v.push(*x);
                true
            }
            (ColumnData::Double(v), Value::BigInt(x)) => {
                v.push(*x as f64);
                true
            }
            (ColumnData::Text(v), Value::Text(x)) => {
                v.push(x.clone());
                true
            }
            (ColumnData::Date(v), Value::Date(x)) => {
                v.push(*x);
                true
            }
            (ColumnData::Timestamp(v), Value::Timestamp(x)) => {
                v.push(*x);
                true
            }
            (ColumnData::Interval(v), Value::Interval(x)) => {
                v.push(*x);
                true
            }
            (data, _) => {
                push_default(data);
                false
            }
        };
        if !valid {
            self.validity
                .get_or_insert_with(|| vec![true; len])
                .push(false);
        } else if let Some(validity) = &mut self.validity {
            validity.push(true);
        }
    }

    /// The rows at `indices`, in that order ([`NULL_ROW`]: a NULL row, for outer joins).
    pub fn take(&self, indices: &[u32]) -> Column {
        let padded = indices.contains(&NULL_ROW);
        let validity = if self.validity.is_some() || padded {
            Some(
                indices
                    .iter()
                    .map(|i| *i != NULL_ROW && self.is_valid(*i as usize))
                    .collect(),
            )
        } else {
            None
        };
        fn gather<T: Clone + Default>(v: &[T], indices: &[u32], padded: bool) -> Vec<T> {
            if padded {
                indices
                    .iter()
                    .map(|i| {
                        if *i == NULL_ROW {
                            T::default()
                        } else {
                            v[*i as usize].clone()
                        }
                    })
                    .collect()
            } else {
                indices.iter().map(|i| v[*i as usize].clone()).collect()
            }
        }
        let data = match &self.data {
            ColumnData::Boolean(v) => ColumnData::Boolean(gather(v, indices, padded)),
            ColumnData::BigInt(v) => ColumnData::BigInt(gather(v, indices, padded)),
            ColumnData::Double(v) => ColumnData::Double(gather(v, indices, padded)),
            ColumnData::Text(v) => {
                let empty: Rc<str> = Rc::from("");
                ColumnData::Text(
                    indices
                        .iter()
                        .map(|i| {
                            if *i == NULL_ROW {
                                empty.clone()
                            } else {
                                v[*i as usize].clone()
                            }
                        })
                        .collect(),
                )
            }
            ColumnData::Date(v) => ColumnData::Date(gather(v, indices, padded)),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(gather(v, indices, padded)),
            ColumnData::Interval(v) => ColumnData::Interval(gather(v, indices, padded)),
            ColumnData::Null(_) => ColumnData::Null(indices.len()),
        };
        Column { data, validity }
    }

    /// The rows where `keep` is true (straight from the typed vectors).
    pub fn filter(&self, keep: &[bool]) -> Column {
        fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
            v.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x.clone())
                .collect()
        }
        let data = match &self.data {
            ColumnData::Boolean(v) => ColumnData::Boolean(pick(v, keep)),
            ColumnData::BigInt(v) => ColumnData::BigInt(pick(v, keep)),
            ColumnData::Double(v) => ColumnData::Double(pick(v, keep)),
            ColumnData::Text(v) => ColumnData::Text(pick(v, keep)),
            ColumnData::Date(v) => ColumnData::Date(pick(v, keep)),
            ColumnData::Timestamp(v) => ColumnData::Timestamp(pick(v, keep)),
            ColumnData::Interval(v) => ColumnData::Interval(pick(v, keep)),
            ColumnData::Null(_) => ColumnData::Null(keep.iter().filter(|k| **k).count()),
        };
        Column {
            data,
            validity: self.validity.as_ref().map(|v| pick(v, keep)),
        }
    }

    /// Appends every row of `other` (of the same type, or NULL-typed).
    pub fn extend(&mut self, other: &Column) {
        for i in 0..other.len() {
            self.push(&other.get(i));
        }
    }
}

fn push_default(data: &mut ColumnData) {
    match data {
        ColumnData::Boolean(v) => v.push(false),
        ColumnData::BigInt(v) => v.push(0),
        ColumnData::Double(v) => v.push(0.0),
        ColumnData::Text(v) => v.push(Rc::from("")),
        ColumnData::Date(v) => v.push(0),
        ColumnData::Timestamp(v) => v.push(0),
        ColumnData::Interval(v) => v.push(Interval::default()),
        ColumnData::Null(n) => *n += 1,
    }
}

/// A column's name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub data_type: DataType,
}

/// A table: a schema and one column per field, all of `rows` rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub fields: Vec<Field>,
    pub columns: Vec<Column>,
    pub rows: usize,
}

impl Column {
    /// See [`Table::memory_bytes`].
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of_val;
        let values = match &self.data {
            ColumnData::Boolean(v) => size_of_val(v.as_slice()),
            ColumnData::BigInt(v) | ColumnData::Timestamp(v) => size_of_val(v.as_slice()),
            ColumnData::Double(v) => size_of_val(v.as_slice()),
            ColumnData::Date(v) => size_of_val(v.as_slice()),
            ColumnData::Interval(v) => size_of_val(v.as_slice()),
            ColumnData::Text(v) => size_of_val(v.as_slice()) + text_heap_bytes(v),
            ColumnData::Null(_) => 0,
        };
        values + self.validity.as_ref().map_or(0, Vec::len)
    }
}

/// The heap blocks behind a text column's strings: an `Rc<str>` block is two counters plus the
/// bytes; a block shared by `n` pointers is counted `1/n` per row, so once in all.
fn text_heap_bytes(strings: &[Rc<str>]) -> usize {
    let shared: f64 = strings
        .iter()
        .map(|s| (2 * std::mem::size_of::<usize>() + s.len()) as f64 / Rc::strong_count(s) as f64)
        .sum();
    shared.round() as usize
}

impl Table {
    pub fn new(fields: Vec<Field>, columns: Vec<Column>) -> Table {
        let rows = columns.first().map_or(0, Column::len);
        debug_assert!(columns.iter().all(|c| c.len() == rows));
        Table {
            fields,
            columns,
            rows,
        }
    }

    /// An empty table with this schema.
    pub fn empty(fields: Vec<Field>) -> Table {
        let columns = fields.iter().map(|f| Column::empty(f.data_type)).collect();
        Table {
            fields,
            columns,
            rows: 0,
        }
    }

    /// Builds a table from rows of values (each of its field's type, or NULL).
    pub fn from_rows(fields: Vec<Field>, rows: &[Vec<Value>]) -> Table {
        let columns = fields
            .iter()
            .enumerate()
            .map(|(i, f)| Column::from_values(f.data_type, rows.iter().map(|r| &r[i])))
            .collect();
        Table {
            fields,
            columns,
            rows: rows.len(),
        }
    }

    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns.iter().map(|c| c.get(i)).collect()
    }

    /// Every row, as values (for small results: views, tests, the CLI).
    pub fn to_rows(&self) -> Vec<Vec<Value>> {
        (0..self.rows).map(|i| self.row(i)).collect()
    }

    /// The rows at `indices` ([`NULL_ROW`]: an all-NULL row).
    pub fn take(&self, indices: &[u32]) -> Table {
        Table {
            fields: self.fields.clone(),
            columns: self.columns.iter().map(|c| c.take(indices)).collect(),
            rows: indices.len(),
        }
    }

    pub fn filter(&self, keep: &[bool]) -> Table {
        let columns: Vec<Column> = self.columns.iter().map(|c| c.filter(keep)).collect();
        let rows = keep.iter().filter(|k| **k).count();
        Table {
            fields: self.fields.clone(),
            columns,
            rows,
        }
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Table {
        let indices: Vec<u32> = (0..n.min(self.rows) as u32).collect();
        self.take(&indices)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The bytes this table's values hold in memory: each column's vector and validity mask, and
    /// for text the pointers plus each string's heap block, a string shared by several rows
    /// counted once (split between the rows that share it). What the benchmark reports as the
    /// memory a loaded table uses, next to DuckDB's own figure.
    pub fn memory_bytes(&self) -> usize {
        self.columns.iter().map(Column::memory_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_take_and_nulls() {
        let mut c = Column::empty(DataType::BigInt);
        for v in [Value::BigInt(1), Value::Null, Value::BigInt(3)] {
            c.push(&v);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(1), Value::Null);
        let t = c.take(&[2, NULL_ROW, 0]);
        assert_eq!(
            (0..3).map(|i| t.get(i).to_string()).collect::<Vec<_>>(),
            ["3", "NULL", "1"]
        );
        let f = c.filter(&[true, true, false]);
        assert_eq!(f.len(), 2);
        assert!(!f.is_valid(1));
    }

    #[test]
    fn memory_bytes_counts_values_validity_and_shared_strings_once() {
        let mut ints = Column::empty(DataType::BigInt);
        for v in [Value::BigInt(1), Value::Null, Value::BigInt(3)] {
            ints.push(&v);
        }
        assert_eq!(ints.memory_bytes(), 3 * 8 + 3);
        let shared: Rc<str> = Rc::from("abcd");
        let text = Column {
            data: ColumnData::Text(vec![shared.clone(), shared.clone(), Rc::from("xy")]),
            validity: None,
        };
        drop(shared);
        let word = std::mem::size_of::<usize>();
        let pointers = 3 * std::mem::size_of::<Rc<str>>();
        assert_eq!(
            text.memory_bytes(),
            pointers + (2 * word + 4) + (2 * word + 2)
        );
    }
}
