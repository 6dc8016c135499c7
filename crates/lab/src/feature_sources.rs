//! The SQL-to-feature-store adapter: SQL tables (the sample tables, CSV files imported by
//! `sql::csv`, topics as tables) become a feature view's source rows and the entity rows of a
//! training set, and a training set comes back as a SQL table, so `lab sql`'s output formats
//! and the SQL lab's grid show it unchanged.
//!
//! The feature store has its own value type (engines never depend on each other); this module is
//! where the two meet. A view's source table gives, per row: the join keys (all of the view's
//! entities' keys, in order), the event time (`timestamp_field`), the created time (the optional
//! `created_timestamp_column`), the ingestion order (the row's position) and each feature cast
//! to its Feast type. The entity table gives its columns as they are, with `event_timestamp` read
//! as time.
//!
//! Time is read as UTC microseconds from what `sql::csv` infers as a timestamp or a date, from
//! text in ISO 8601 with `Z` or an offset (`2024-03-01T12:00:00+02:00` is 10:00 UTC; a naive
//! timestamp is UTC, as Feast treats it), and from integers as Unix seconds. An empty field is
//! NULL (a NULL event time makes a row join nothing); anything else that does not read is an
//! error naming the table, the line (for a CSV file) or row, and the column.

use features::historical::TrainingSet;
use features::model::{EntityFrame, FeatureError, FeatureRepo, FeatureRow, FeatureView, ViewRows};
use features::value::{Dtype, FeatureValue, KeyTuple, TimestampUs, US_PER_SECOND};
use sql::{Column, DataType, Field, Table, Value};

/// The entity timestamp column an entity table must have (Feast's `entity_df` convention).
pub const ENTITY_TIMESTAMP_COLUMN: &str = "event_timestamp";

/// A table and where it came from, so errors can point at the bad field.
#[derive(Clone, Copy, Debug)]
pub struct NamedTable<'a> {
    pub table: &'a Table,
    /// The file or table name, as the learner wrote it.
    pub name: &'a str,
    /// For a CSV file, the line each data row starts on (see [`csv_record_lines`]); otherwise
    /// rows are numbered from 1.
    pub lines: Option<&'a [usize]>,
}

impl NamedTable<'_> {
    /// "drivers.csv line 7, column \"conv_rate\"" or "table rides row 7, column \"conv_rate\"".
    fn locate(&self, row: usize, column: &str) -> String {
        match self.lines.and_then(|lines| lines.get(row)) {
            Some(line) => format!("{} line {line}, column \"{column}\"", self.name),
            None => format!("table {} row {}, column \"{column}\"", self.name, row + 1),
        }
    }

    /// The index of the column `name`, or an error saying what the column was wanted for.
    fn column(&self, name: &str, role: &str) -> Result<usize, FeatureError> {
        self.table.column_index(name).ok_or_else(|| {
            let names: Vec<&str> = self.table.fields.iter().map(|f| f.name.as_str()).collect();
            FeatureError::new(
                format!("{} has no column \"{name}\" ({role})", self.name),
                sim::text::did_you_mean(name, names.iter().copied())
                    .unwrap_or_else(|| format!("its columns are {}", names.join(", "))),
            )
        })
    }
}

/// The line each data record of a CSV text starts on (1-based; the header is not a record), by
/// the rules `sql::csv` reads it with: quoted fields may span lines, and a blank line is skipped
/// unless the file has a single column.
pub fn csv_record_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut record_start = 1;
    let mut record_empty = true;
    let mut in_quotes = false;
    let mut header_seen = false;
    let mut one_column = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                record_empty = false;
            }
            '\r' | '\n' if !in_quotes => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if !header_seen {
                    header_seen = true;
                } else if !record_empty || one_column {
                    lines.push(record_start);
                }
                line += 1;
                record_start = line;
                record_empty = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
            }
            ',' if !in_quotes => {
                record_empty = false;
                if !header_seen {
                    one_column = false;
                }
            }
            _ => record_empty = false,
        }
    }
    if header_seen && !record_empty {
        lines.push(record_start);
    }
    lines
}

/// A view's source rows from its table: keys, times, ingestion order and typed features.
pub fn view_rows(
    source: NamedTable<'_>,
    repo: &FeatureRepo,
    view: &FeatureView,
) -> Result<ViewRows, FeatureError> {
    let key_columns = repo
        .join_keys(view)?
        .iter()
        .map(|key| source.column(key, &format!("a join key of view \"{}\"", view.name)))
        .collect::<Result<Vec<_>, _>>()?;
    let event_column = source.column(
        &view.source.timestamp_field,
        &format!("the timestamp_field of view \"{}\"", view.name),
    )?;
    let created_column = view
        .source
        .created_timestamp_column
        .as_deref()
        .map(|name| {
            source.column(
                name,
                &format!("the created_timestamp_column of view \"{}\"", view.name),
            )
        })
        .transpose()?;
    let feature_columns = view
        .features
        .iter()
        .map(|f| {
            source
                .column(&f.name, &format!("a feature of view \"{}\"", view.name))
                .map(|i| (i, f.dtype))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let table = source.table;
    let time_at = |row: usize, column: usize| {
        read_timestamp(&table.columns[column].get(row))
            .map_err(|why| field_error(&source, row, column, &why))
    };
    let mut rows = Vec::with_capacity(table.rows);
    for row in 0..table.rows {
        let keys = key_columns
            .iter()
            .map(|column| plain_value(&table.columns[*column].get(row)))
            .collect();
        let values = feature_columns
            .iter()
            .map(|(column, dtype)| {
                cast(&table.columns[*column].get(row), *dtype)
                    .map_err(|why| field_error(&source, row, *column, &why))
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(FeatureRow {
            keys: KeyTuple(keys),
            event_ts: time_at(row, event_column)?,
            created_ts: created_column
                .map(|column| time_at(row, column))
                .transpose()?
                .flatten(),
            seq: row as u64,
            values,
        });
    }
    Ok(ViewRows::from(rows))
}

/// The entity rows of a training set: every column kept, `event_timestamp` read as time.
pub fn entity_frame(entities: NamedTable<'_>) -> Result<EntityFrame, FeatureError> {
    let table = entities.table;
    let timestamp_column =
        entities.column(ENTITY_TIMESTAMP_COLUMN, "the entity rows' timestamp")?;
    let mut rows = Vec::with_capacity(table.rows);
    for row in 0..table.rows {
        let values = (0..table.columns.len())
            .map(|column| {
                let value = table.columns[column].get(row);
                if column == timestamp_column {
                    read_timestamp(&value)
                        .map(|ts| ts.map_or(FeatureValue::Null, FeatureValue::Timestamp))
                        .map_err(|why| field_error(&entities, row, column, &why))
                } else {
                    Ok(plain_value(&value))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(values);
    }
    Ok(EntityFrame {
        columns: table.fields.iter().map(|f| f.name.clone()).collect(),
        rows,
        timestamp_column,
    })
}

/// Checks that the entity rows have every join key of `view`, typed as in the view's source: a
/// BIGINT 7 never equals a TEXT '7', so every row would silently get NULL features.
pub fn check_join_keys(
    entities: NamedTable<'_>,
    source: NamedTable<'_>,
    repo: &FeatureRepo,
    view: &FeatureView,
) -> Result<(), FeatureError> {
    for key in repo.join_keys(view)? {
        let key = key.as_str();
        entities.column(key, &format!("a join key of view \"{}\"", view.name))?;
        let typed = |t: NamedTable<'_>| {
            t.table
                .column_index(key)
                .map(|i| t.table.fields[i].data_type)
        };
        if let (Some(a), Some(b)) = (typed(entities), typed(source)) {
            if a != b && a != DataType::Null && b != DataType::Null {
                return Err(FeatureError::new(
                    format!(
                        "join key \"{key}\" is {} in {} but {} in {} (view \"{}\")",
                        a.name(),
                        entities.name,
                        b.name(),
                        source.name,
                        view.name
                    ),
                    "write the key the same way in both files (all numbers, or all text)",
                ));
            }
        }
    }
    Ok(())
}

/// A training set as a SQL table: its columns in order, each typed by its Feast type (an entity
/// column of no single type is TEXT), its rows in entity order.
pub fn training_table(set: &TrainingSet) -> Table {
    let fields: Vec<Field> = set
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field {
            name: c.name.clone(),
            data_type: match c.dtype {
                Some(dtype) => sql_type(dtype),
                None => common_type(set.rows.iter().map(|row| &row[i])),
            },
        })
        .collect();
    table_of(fields, &set.rows)
}

/// Rows of feature values as a SQL table with these fields.
fn table_of(fields: Vec<Field>, rows: &[Vec<FeatureValue>]) -> Table {
    let columns = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let values: Vec<Value> = rows
                .iter()
                .map(|row| sql_value(&row[i], field.data_type))
                .collect();
            Column::from_values(field.data_type, values.iter())
        })
        .collect();
    Table {
        fields,
        columns,
        rows: rows.len(),
    }
}

/// One of the feature store's sample tables (a view's source or entity rows) as a SQL table.
pub fn sample_table(sample: &features::samples::SampleTable) -> Table {
    let fields: Vec<Field> = sample
        .columns
        .iter()
        .map(|(name, dtype)| Field {
            name: name.clone(),
            data_type: sql_type(*dtype),
        })
        .collect();
    table_of(fields, &sample.rows)
}

/// The Feast type a SQL column's values take as a feature (a date becomes a timestamp at midnight;
/// an interval or a column of NULLs has none).
pub fn feast_type(data_type: DataType) -> Option<Dtype> {
    match data_type {
        DataType::BigInt => Some(Dtype::Int64),
        DataType::Double => Some(Dtype::Float64),
        DataType::Text => Some(Dtype::String),
        DataType::Boolean => Some(Dtype::Bool),
        DataType::Timestamp | DataType::Date => Some(Dtype::UnixTimestamp),
        DataType::Interval | DataType::Null => None,
    }
}

fn sql_type(dtype: Dtype) -> DataType {
    match dtype {
        Dtype::Int64 => DataType::BigInt,
        Dtype::Float64 => DataType::Double,
        Dtype::String => DataType::Text,
        Dtype::Bool => DataType::Boolean,
        Dtype::UnixTimestamp => DataType::Timestamp,
    }
}

/// The one SQL type of a column's non-NULL values, else TEXT.
fn common_type<'a>(values: impl Iterator<Item = &'a FeatureValue>) -> DataType {
    let mut types = values.filter_map(FeatureValue::dtype);
    match types.next() {
        Some(first) if types.all(|t| t == first) => sql_type(first),
        _ => DataType::Text,
    }
}

/// A feature value as a SQL value of `data_type` (a TEXT column shows any value as text).
fn sql_value(value: &FeatureValue, data_type: DataType) -> Value {
    match (value, data_type) {
        (FeatureValue::Null, _) => Value::Null,
        (FeatureValue::Int(i), DataType::BigInt) => Value::BigInt(*i),
        (FeatureValue::Float(x), DataType::Double) => Value::Double(*x),
        (FeatureValue::Int(i), DataType::Double) => Value::Double(*i as f64),
        (FeatureValue::Bool(b), DataType::Boolean) => Value::Boolean(*b),
        (FeatureValue::Timestamp(ts), DataType::Timestamp) => Value::Timestamp(ts.0),
        (FeatureValue::Str(s), _) => Value::Text(s.clone()),
        (other, _) => Value::text(&other.to_string()),
    }
}

fn field_error(table: &NamedTable<'_>, row: usize, column: usize, why: &str) -> FeatureError {
    let name = &table.table.fields[column].name;
    FeatureError::new(
        format!("{}: {why}", table.locate(row, name)),
        "fix the value, or leave the field empty for NULL",
    )
}

/// A key or a kept entity column as the feature store holds it: the SQL value as it is (a date
/// or an interval as its text, which the feature store has no type for).
fn plain_value(value: &Value) -> FeatureValue {
    match value {
        Value::Null => FeatureValue::Null,
        Value::Boolean(b) => FeatureValue::Bool(*b),
        Value::BigInt(i) => FeatureValue::Int(*i),
        Value::Double(x) => FeatureValue::Float(*x),
        Value::Text(s) => FeatureValue::Str(s.clone()),
        Value::Timestamp(us) => FeatureValue::Timestamp(TimestampUs(*us)),
        Value::Date(_) | Value::Interval(_) => FeatureValue::text(&value.to_string()),
    }
}

/// A source value cast to a feature's Feast type, or why it cannot be.
fn cast(value: &Value, dtype: Dtype) -> Result<FeatureValue, String> {
    let refuse = || format!("{} is not a {}", describe(value), dtype.name());
    Ok(match (dtype, value) {
        (_, Value::Null) => FeatureValue::Null,
        (Dtype::Int64, Value::BigInt(i)) => FeatureValue::Int(*i),
        (Dtype::Int64, Value::Double(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
            FeatureValue::Int(*x as i64)
        }
        (Dtype::Int64, Value::Text(s)) => {
            FeatureValue::Int(s.trim().parse().map_err(|_| refuse())?)
        }
        (Dtype::Float64, Value::BigInt(i)) => FeatureValue::Float(*i as f64),
        (Dtype::Float64, Value::Double(x)) => FeatureValue::Float(*x),
        (Dtype::Float64, Value::Text(s)) => {
            FeatureValue::Float(s.trim().parse().map_err(|_| refuse())?)
        }
        (Dtype::String, Value::Text(s)) => FeatureValue::Str(s.clone()),
        (Dtype::String, other) => FeatureValue::text(&other.to_string()),
        (Dtype::Bool, Value::Boolean(b)) => FeatureValue::Bool(*b),
        (Dtype::Bool, Value::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => FeatureValue::Bool(true),
            "false" => FeatureValue::Bool(false),
            _ => return Err(refuse()),
        },
        (Dtype::UnixTimestamp, _) => {
            read_timestamp(value)?.map_or(FeatureValue::Null, FeatureValue::Timestamp)
        }
        _ => return Err(refuse()),
    })
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// A time column's value: NULL for an empty field, else UTC microseconds.
fn read_timestamp(value: &Value) -> Result<Option<TimestampUs>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Timestamp(us) => Ok(Some(TimestampUs(*us))),
        Value::Date(days) => Ok(Some(TimestampUs(
            i64::from(*days) * sim::calendar::MICROS_PER_DAY,
        ))),
        Value::BigInt(seconds) => unix_seconds(*seconds).map(Some),
        Value::Text(s) if s.trim().is_empty() => Ok(None),
        // A column mixing Unix seconds and ISO text is TEXT to the CSV reader.
        Value::Text(s) => match s.trim().parse::<i64>() {
            Ok(seconds) => unix_seconds(seconds).map(Some),
            Err(_) => parse_iso8601(s).map(Some).ok_or_else(|| {
                format!(
                    "\"{s}\" is not a timestamp (write 2024-03-01 12:00:00, \
                     2024-03-01T12:00:00Z, 2024-03-01T12:00:00+02:00 or Unix seconds)"
                )
            }),
        },
        other => Err(format!("{} is not a timestamp", describe(other))),
    }
}

fn unix_seconds(seconds: i64) -> Result<TimestampUs, String> {
    seconds
        .checked_mul(US_PER_SECOND)
        .map(TimestampUs)
        .ok_or_else(|| format!("{seconds} is too large for Unix seconds"))
}

/// ISO 8601 (or PostgreSQL's spacing) as UTC: a naive time is UTC, `Z` is UTC, and an offset
/// `+HH:MM`, `+HHMM` or `+HH` is subtracted.
pub fn parse_iso8601(text: &str) -> Option<TimestampUs> {
    let text = text.trim();
    if let Some(ts) = TimestampUs::parse(text) {
        return Some(ts);
    }
    // An offset comes after the time, which follows the 10-character date.
    let split = text
        .char_indices()
        .skip(11)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)?;
    let (local, offset) = text.split_at(split);
    let local = TimestampUs::parse(local.trim_end())?;
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset_us = sign * (hours * 60 + minutes) * 60 * US_PER_SECOND;
    Some(TimestampUs(local.0.checked_sub(offset_us)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use features::historical::OutputColumn;
    use features::model::{Entity, FeatureDef, ViewSource};
    use sql::csv::from_csv;

    fn repo() -> (FeatureRepo, FeatureView) {
        let view = FeatureView {
            name: "stats".into(),
            entities: vec!["driver".into()],
            ttl: None,
            source: ViewSource {
                table: "stats.csv".into(),
                timestamp_field: "ts".into(),
                created_timestamp_column: Some("created".into()),
            },
            features: vec![
                FeatureDef {
                    name: "rate".into(),
                    dtype: Dtype::Float64,
                },
                FeatureDef {
                    name: "trips".into(),
                    dtype: Dtype::Int64,
                },
                FeatureDef {
                    name: "seen".into(),
                    dtype: Dtype::UnixTimestamp,
                },
            ],
        };
        let repo = FeatureRepo {
            entities: vec![Entity {
                name: "driver".into(),
                join_keys: vec!["driver_id".into()],
            }],
            views: vec![view.clone()],
            services: vec![],
        };
        (repo, view)
    }

    fn named<'a>(table: &'a Table, name: &'a str, lines: &'a [usize]) -> NamedTable<'a> {
        NamedTable {
            table,
            name,
            lines: Some(lines),
        }
    }

    fn ts(text: &str) -> TimestampUs {
        TimestampUs::parse(text).unwrap()
    }

    #[test]
    fn iso_offsets_are_normalized_to_utc() {
        let utc = ts("2024-03-01 10:00:00");
        for text in [
            "2024-03-01T10:00:00Z",
            "2024-03-01T12:00:00+02:00",
            "2024-03-01T12:00:00+0200",
            "2024-03-01 12:00+02",
            "2024-03-01T07:30:00-02:30",
        ] {
            assert_eq!(parse_iso8601(text), Some(utc), "{text}");
        }
        for bad in [
            "2024-03-01T10:00:00+2",
            "2024-03-01T10:00:00+25:00",
            "yesterday",
            "2024-13-01",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn record_lines_follow_quotes_and_blank_lines() {
        let text = "a,b\n1,2\n\n\"x\ny\",3\r\n4,5";
        assert_eq!(csv_record_lines(text), [2, 4, 6]);
        assert_eq!(from_csv(text.as_bytes()).unwrap().rows, 3);
        // A single-column file keeps blank lines: they are NULLs.
        assert_eq!(csv_record_lines("a\n1\n\n2\n"), [2, 3, 4]);
        assert_eq!(from_csv(b"a\n1\n\n2\n").unwrap().rows, 3);
    }

    #[test]
    fn a_source_table_becomes_typed_view_rows() {
        let text = "driver_id,ts,created,rate,trips,seen\n\
                    7,2024-03-01 10:00,,0.5,3,1709287200\n\
                    8,2024-03-01T12:00:00+02:00,2024-03-02,1,4.0,\n\
                    ,,2024-03-01 11:00,,,2024-03-01T10:00:00Z\n";
        let table = from_csv(text.as_bytes()).unwrap();
        let lines = csv_record_lines(text);
        let (repo, view) = repo();
        let rows = view_rows(named(&table, "stats.csv", &lines), &repo, &view)
            .unwrap()
            .rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].keys, KeyTuple(vec![FeatureValue::Int(7)]));
        assert_eq!(rows[0].event_ts, Some(ts("2024-03-01 10:00")));
        assert_eq!(rows[0].created_ts, None);
        assert_eq!(
            rows[0].values,
            [
                FeatureValue::Float(0.5),
                FeatureValue::Int(3),
                FeatureValue::Timestamp(ts("2024-03-01 10:00"))
            ]
        );
        assert_eq!(rows[1].event_ts, Some(ts("2024-03-01 10:00")));
        assert_eq!(rows[1].created_ts, Some(ts("2024-03-02")));
        assert_eq!(
            rows[1].values[..2],
            [FeatureValue::Float(1.0), FeatureValue::Int(4)]
        );
        assert!(rows[2].keys.has_null());
        assert_eq!(rows[2].event_ts, None);
        assert_eq!(rows[2].seq, 2);
    }

    #[test]
    fn bad_fields_name_file_line_and_column() {
        let (repo, view) = repo();
        let text = "driver_id,ts,created,rate,trips,seen\n7,2024-03-01,,0.5,3,\n\n8,soon,,1,2,\n";
        let table = from_csv(text.as_bytes()).unwrap();
        let lines = csv_record_lines(text);
        let e = view_rows(named(&table, "stats.csv", &lines), &repo, &view).unwrap_err();
        assert!(
            e.message
                .starts_with("stats.csv line 4, column \"ts\": \"soon\" is not a timestamp"),
            "{}",
            e.message
        );
        let text = "driver_id,ts,created,rate,trips,seen\n7,2024-03-01,,fast,3,\n";
        let table = from_csv(text.as_bytes()).unwrap();
        let e = view_rows(
            NamedTable {
                table: &table,
                name: "stats",
                lines: None,
            },
            &repo,
            &view,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "table stats row 1, column \"rate\": \"fast\" is not a Float64"
        );
        let text = "driver_id,time,created,rate,trips,seen\n";
        let table = from_csv(text.as_bytes()).unwrap();
        let e = view_rows(named(&table, "stats.csv", &[]), &repo, &view).unwrap_err();
        assert_eq!(
            e.message,
            "stats.csv has no column \"ts\" (the timestamp_field of view \"stats\")"
        );
    }

    #[test]
    fn entity_frames_keep_every_column() {
        let text =
            "driver_id,event_timestamp,label,day\n7,2024-03-01T10:00:00Z,1,2024-01-02\n8,,0,\n";
        let table = from_csv(text.as_bytes()).unwrap();
        let frame = entity_frame(named(&table, "e.csv", &csv_record_lines(text))).unwrap();
        assert_eq!(
            frame.columns,
            ["driver_id", "event_timestamp", "label", "day"]
        );
        assert_eq!(frame.timestamp_column, 1);
        assert_eq!(
            frame.rows[0][1],
            FeatureValue::Timestamp(ts("2024-03-01 10:00"))
        );
        assert_eq!(frame.rows[0][3], FeatureValue::text("2024-01-02"));
        assert_eq!(frame.rows[1][1], FeatureValue::Null);
        let table = from_csv(b"driver_id,ts\n1,2024-01-01\n").unwrap();
        let e = entity_frame(named(&table, "e.csv", &[2])).unwrap_err();
        assert!(e
            .message
            .contains("e.csv has no column \"event_timestamp\""));
    }

    #[test]
    fn a_training_set_becomes_a_typed_table() {
        let column = |name: &str, dtype| OutputColumn {
            name: name.into(),
            dtype,
        };
        let set = TrainingSet {
            columns: vec![
                column("id", None),
                column("event_timestamp", Some(Dtype::UnixTimestamp)),
                column("rate", Some(Dtype::Float64)),
                column("label", None),
            ],
            rows: vec![
                vec![
                    FeatureValue::Int(7),
                    FeatureValue::Timestamp(ts("2024-03-01 10:00")),
                    FeatureValue::Float(0.5),
                    FeatureValue::Int(1),
                ],
                vec![
                    FeatureValue::text("x"),
                    FeatureValue::Null,
                    FeatureValue::Null,
                    FeatureValue::Null,
                ],
            ],
            views: vec!["stats".into()],
            matches: vec![],
        };
        let table = training_table(&set);
        let types: Vec<DataType> = table.fields.iter().map(|f| f.data_type).collect();
        assert_eq!(
            types,
            [
                DataType::Text,
                DataType::Timestamp,
                DataType::Double,
                DataType::BigInt
            ]
        );
        assert_eq!(
            table.to_rows(),
            [
                vec![
                    Value::text("7"),
                    Value::Timestamp(ts("2024-03-01 10:00").0),
                    Value::Double(0.5),
                    Value::BigInt(1)
                ],
                vec![Value::text("x"), Value::Null, Value::Null, Value::Null],
            ]
        );
    }

    #[test]
    fn mismatched_key_types_are_refused() {
        let (repo, view) = repo();
        let entities = from_csv(b"driver_id,event_timestamp\nd7,2024-01-01\n").unwrap();
        let source = from_csv(b"driver_id,ts\n7,2024-01-01\n").unwrap();
        let e = check_join_keys(
            named(&entities, "e.csv", &[2]),
            named(&source, "s.csv", &[2]),
            &repo,
            &view,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "join key \"driver_id\" is TEXT in e.csv but BIGINT in s.csv (view \"stats\")"
        );
        let entities = from_csv(b"driverid,event_timestamp\n7,2024-01-01\n").unwrap();
        let e = check_join_keys(
            named(&entities, "e.csv", &[2]),
            named(&source, "s.csv", &[2]),
            &repo,
            &view,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "e.csv has no column \"driver_id\" (a join key of view \"stats\")"
        );
        assert_eq!(e.hint, "did you mean \"driverid\"?");
    }
}
