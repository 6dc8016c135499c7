//! CSV import with type inference, and CSV export, for the learner's own tables and for results.
//!
//! Import ([`from_csv`]) reads RFC 4180 text: a header row naming the columns, then one record per
//! line (LF, CRLF or CR); fields in double quotes may hold commas, line breaks and doubled quotes.
//! A UTF-8 byte-order mark is skipped. Blank lines are skipped, except in a one-column file where
//! a blank line is a NULL. Column types and names follow the rules in `infer` (narrowest of
//! BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP, else TEXT; an empty field is NULL; a quoted empty
//! field in a TEXT column is the empty string). The text is read twice, once to infer the types
//! and once to fill typed columns, so nothing but the result is held in memory.
//!
//! Errors are [`SqlError`]s with a hint and the line in the message: [`ErrorKind::Syntax`] for
//! text that is not CSV (an unterminated quote, a row with the wrong number of fields, bytes that
//! are not UTF-8), [`ErrorKind::Limit`] beyond [`CsvLimits`]. Import never panics, whatever the
//! bytes.
//!
//! Export ([`to_csv`]) writes a header and one LF-terminated line per row. A field is quoted when
//! it holds a comma, a quote, a line break or spaces at either end, and an empty string is `""`;
//! NULL is an empty field. Doubles are printed so they read back equal (`NaN`, `Infinity`, and a
//! `.0` on whole numbers, so they stay DOUBLE). Export then import gives the same table, except
//! that types are inferred again: a TEXT column whose values all read as another type comes back
//! as that type, a column with no value at all comes back as TEXT, and INTERVAL columns (written
//! as PostgreSQL prints them) come back as TEXT.

mod infer;
mod reader;

use super::column::{Column, ColumnData, Field, Table};
use super::error::{ErrorKind, SqlError};
use super::value::{format_date, format_double, format_timestamp};
use infer::{column_names, Builder, Inference};
use reader::{Reader, Record};
use std::fmt::Write as _;

/// At most this many data rows.
pub const CSV_ROWS_MAX: usize = 2_000_000;
/// At most this many bytes (64 MiB).
pub const CSV_BYTES_MAX: usize = 64 * 1024 * 1024;
/// At most this many columns.
pub const CSV_COLUMNS_MAX: usize = 1_000;

/// How much an import may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvLimits {
    pub rows: usize,
    pub bytes: usize,
    pub columns: usize,
}

impl Default for CsvLimits {
    fn default() -> CsvLimits {
        CsvLimits {
            rows: CSV_ROWS_MAX,
            bytes: CSV_BYTES_MAX,
            columns: CSV_COLUMNS_MAX,
        }
    }
}

/// Imports CSV bytes as a table, within the default limits.
pub fn from_csv(bytes: &[u8]) -> Result<Table, SqlError> {
    from_csv_with(bytes, &CsvLimits::default())
}

fn size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{bytes} bytes")
    }
}

/// Imports CSV bytes as a table, within `limits`.
pub fn from_csv_with(bytes: &[u8], limits: &CsvLimits) -> Result<Table, SqlError> {
    if bytes.len() > limits.bytes {
        return Err(SqlError::new(
            ErrorKind::Limit,
            format!(
                "the CSV is {}; the limit is {}",
                size(bytes.len()),
                size(limits.bytes)
            ),
        )
        .with_hint("import a sample of the file, or split it"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        SqlError::new(
            ErrorKind::Syntax,
            format!(
                "line {line} is not UTF-8 text (byte {})",
                e.valid_up_to() + 1
            ),
        )
        .with_hint("save the file as UTF-8 (in a spreadsheet: CSV UTF-8)")
    })?;

    let mut record = Record::default();
    let mut reader = Reader::new(text);
    if !reader.read(&mut record)? || record.is_blank() {
        return Err(
            SqlError::new(ErrorKind::Syntax, "the CSV has no header line")
                .with_hint("the first line names the columns, separated by commas"),
        );
    }
    if record.len() > limits.columns {
        return Err(SqlError::new(
            ErrorKind::Limit,
            format!(
                "the header has {} columns; the limit is {}",
                record.len(),
                limits.columns
            ),
        )
        .with_hint("import only the columns you need"));
    }
    let names = column_names((0..record.len()).map(|i| record.field(i).0));
    let width = names.len();

    // First pass: check the shape and infer each column's type.
    let mut inference = vec![Inference::default(); width];
    let mut rows = 0usize;
    while next_row(&mut reader, &mut record, width)? {
        rows += 1;
        if rows > limits.rows {
            return Err(SqlError::new(
                ErrorKind::Limit,
                format!(
                    "the CSV has more than {} rows (line {})",
                    limits.rows, record.line
                ),
            )
            .with_hint("import a sample of the file, or split it"));
        }
        for (i, inference) in inference.iter_mut().enumerate() {
            inference.observe(record.field(i).0);
        }
    }

    // Second pass: fill typed columns.
    let types: Vec<_> = inference.iter().map(|i| i.data_type()).collect();
    let mut builders: Vec<Builder> = types.iter().map(|t| Builder::new(*t, rows)).collect();
    let mut reader = Reader::new(text);
    reader.read(&mut record)?;
    while next_row(&mut reader, &mut record, width)? {
        for (i, builder) in builders.iter_mut().enumerate() {
            let (field, quoted) = record.field(i);
            builder.push(field, quoted);
        }
    }
    let fields = names
        .into_iter()
        .zip(&types)
        .map(|(name, data_type)| Field {
            name,
            data_type: *data_type,
        })
        .collect();
    let columns: Vec<Column> = builders.into_iter().map(Builder::finish).collect();
    Ok(Table {
        fields,
        columns,
        rows,
    })
}

/// Reads the next data record, skipping blank lines (unless the table has one column) and
/// refusing one with the wrong number of fields.
fn next_row(reader: &mut Reader, record: &mut Record, width: usize) -> Result<bool, SqlError> {
    loop {
        if !reader.read(record)? {
            return Ok(false);
        }
        if width > 1 && record.is_blank() {
            continue;
        }
        if record.len() != width {
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!(
                    "line {} has {} field{}, the header has {}",
                    record.line,
                    record.len(),
                    plural(record.len()),
                    width
                ),
            )
            .with_hint(
                "every row needs one field per column; quote a field that holds a comma \
                 (\"a,b\")",
            ));
        }
        return Ok(true);
    }
}

/// Writes `table` as CSV (see the module documentation for the rules).
pub fn to_csv(table: &Table) -> String {
    let mut out = String::with_capacity(16 * table.rows * table.columns.len().max(1));
    if table.fields.is_empty() {
        return out;
    }
    for (i, field) in table.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_text(&mut out, &field.name);
    }
    out.push('\n');
    for row in 0..table.rows {
        for (i, column) in table.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_cell(&mut out, column, row);
        }
        out.push('\n');
    }
    out
}

fn write_cell(out: &mut String, column: &Column, row: usize) {
    if !column.is_valid(row) {
        return;
    }
    let _ = match &column.data {
        ColumnData::Boolean(v) => write!(out, "{}", v[row]),
        ColumnData::BigInt(v) => write!(out, "{}", v[row]),
        ColumnData::Double(v) => {
            let text = format_double(v[row]);
            out.push_str(&text);
            if v[row].is_finite() && !text.contains('.') {
                out.push_str(".0");
            }
            Ok(())
        }
        ColumnData::Text(v) => {
            write_text(out, &v[row]);
            Ok(())
        }
        ColumnData::Date(v) => write!(out, "{}", format_date(v[row])),
        ColumnData::Timestamp(v) => write!(out, "{}", format_timestamp(v[row])),
        ColumnData::Interval(v) => write!(out, "{}", v[row]),
        ColumnData::Null(_) => Ok(()),
    };
}

/// A text field, quoted when it must be.
fn write_text(out: &mut String, text: &str) {
    let needs_quotes = text.is_empty()
        || text.contains([',', '"', '\n', '\r'])
        || text.starts_with([' ', '\t'])
        || text.ends_with([' ', '\t']);
    if needs_quotes {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests;
