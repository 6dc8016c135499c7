//! Streaming SQL: a windowed aggregate query in the form of RisingWave's window table functions
//! (`FROM TUMBLE(t, ts, INTERVAL '10' SECOND)`, `HOP(t, ts, slide, size)`, `SESSION(t, ts, gap)`,
//! grouped by `window_start, window_end` and keys) run incrementally by the stream engine over a
//! table's rows in arrival order, as a Flink SQL or ksqlDB continuous query runs over a topic.
//!
//! The engines never depend on each other, so this is where they meet. The SQL engine compiles the
//! query ([`sql::windowed::compile`]) into a per-row projection (the event time, the grouping keys,
//! the aggregates' arguments, after the WHERE clause), the window and the aggregate functions, and
//! an output query over the windows' rows (the SELECT list, HAVING, ORDER BY). Here the projection
//! runs with a SQL session, each projected row becomes the stream engine's [`InputRow`] (one
//! partition, rows arriving in table order, one microsecond of processing time apart), the rows go
//! through a [`WindowedAggregate`], and the output query runs over every emit's windows and over the
//! final windows: what a push query's client sees trigger by trigger, and what it holds at the end.
//!
//! Time: a TIMESTAMP (or DATE) time column is read in microseconds, and durations given in seconds
//! are scaled to match; a BIGINT time column is read in its own units, the window sizes are then
//! plain integers, and so are the watermark delay and the allowed lateness. A NULL event time is
//! refused with the row's index (Flink SQL fails a job on one too).

use sql::windowed::{compile, WindowAggFn, WindowTvf, WindowedQuery};
use sql::{Column, DataType, ErrorKind, Field, Outcome, Session, SqlError, Table, Value};
use std::fmt;
use streaming::aggregate::{
    AggFn, AggSpec, AggStats, Emit, EmitMode, Firing, FiringKind, InputRow, RowFate,
    WindowedAggConfig, WindowedAggregate,
};
use streaming::value::{DurationUs, StreamError, StreamValue, TimeUs, US_PER_SECOND};
use streaming::watermark::PartitionId;
use streaming::window::WindowSpec;

/// The name of the input's row-number column while the projection runs.
const ROW_COLUMN: &str = "__row";
/// The table the compiled output query reads.
const WINDOWS_TABLE: &str = "__windows";

/// How a streaming run is set up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamRunOptions {
    /// How far the watermark stays behind the greatest event time seen: seconds for a TIMESTAMP
    /// time column, the column's own units for a BIGINT one.
    pub watermark_delay: f64,
    /// How long after its end a window still takes late rows, in the same units.
    pub allowed_lateness: f64,
    /// When windows' rows are emitted.
    pub mode: EmitMode,
}

impl Default for StreamRunOptions {
    /// No delay, no lateness, a window's row when the watermark passes its end (Flink's default).
    fn default() -> StreamRunOptions {
        StreamRunOptions {
            watermark_delay: 0.0,
            allowed_lateness: 0.0,
            mode: EmitMode::OnClose,
        }
    }
}

/// The output query's rows for the windows that fired after one input row (first firings and
/// late updates; a session that a late row merged into a larger one is not listed again, and the
/// final table no longer has it).
#[derive(Clone, Debug, PartialEq)]
pub struct EmitTable {
    /// The input row (0-based, in table order) after which the windows fired.
    pub after_row: u64,
    /// The watermark after that row: a TIMESTAMP, or a BIGINT for an integer time column.
    pub watermark: Value,
    pub rows: Table,
}

/// Everything a streaming run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRun {
    /// The output query over every window, as if the watermark went to +infinity after the last
    /// row (merged-away sessions excluded).
    pub final_table: Table,
    /// The input rows (0-based) that updated no window: later than every window's lateness.
    pub late: Vec<u64>,
    /// The emits that had rows after the output query (HAVING may leave none), in order; the
    /// end-of-input flush is in `final_table` instead.
    pub emits: Vec<EmitTable>,
    pub stats: AggStats,
    /// What happened to each input row; None for a row the WHERE clause kept out.
    pub fates: Vec<Option<RowFate>>,
}

/// Why a streaming run could not happen.
#[derive(Clone, Debug, PartialEq)]
pub enum SqlOrStreamError {
    /// The query was refused, or the SQL run over the rows failed (a position, if any, is in the
    /// query's text).
    Sql(SqlError),
    /// The stream engine refused the settings.
    Stream(StreamError),
    /// An input row the stream cannot take; `row` is its 0-based index in the table.
    Row {
        row: usize,
        message: String,
        hint: String,
    },
}

impl fmt::Display for SqlOrStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlOrStreamError::Sql(e) => match &e.hint {
                Some(hint) => write!(f, "{e} (hint: {hint})"),
                None => write!(f, "{e}"),
            },
            SqlOrStreamError::Stream(e) => write!(f, "{e}"),
            SqlOrStreamError::Row { row, message, hint } => {
                write!(f, "row {row}: {message} (hint: {hint})")
            }
        }
    }
}

impl From<SqlError> for SqlOrStreamError {
    fn from(e: SqlError) -> SqlOrStreamError {
        SqlOrStreamError::Sql(e)
    }
}

impl From<StreamError> for SqlOrStreamError {
    fn from(e: StreamError) -> SqlOrStreamError {
        SqlOrStreamError::Stream(e)
    }
}

/// Runs the windowed `query` over `table` (named `table_name` in the query), its rows arriving in
/// order on one partition.
pub fn run_windowed(
    query: &str,
    table: Table,
    table_name: &str,
    options: &StreamRunOptions,
) -> Result<StreamRun, SqlOrStreamError> {
    let compiled = compile(query)?;
    check_source(&compiled, table_name)?;
    let input_rows = table.rows;
    let projected = project(&compiled, table, table_name)?;
    let layout = InputLayout::of(&compiled, &projected)?;
    let mut operator = WindowedAggregate::new(config(&compiled, &layout, options)?)?;
    let mut fates = vec![None; input_rows];
    let mut pushed_rows: Vec<u64> = Vec::with_capacity(projected.rows);
    let mut emits = Vec::new();
    for position in 0..projected.rows {
        let (row, input) = layout.input_row(&projected, position)?;
        pushed_rows.push(row as u64);
        let (fate, emit) = operator.push(input);
        fates[row] = Some(fate);
        if let Some(emit) = emit {
            emits.extend(emit_table(&compiled, &layout, emit, row as u64)?);
        }
    }
    operator.finish();
    let final_table = output(&compiled, &layout, &operator.results())?;
    let late = operator
        .late_rows()
        .iter()
        .filter_map(|pushed| pushed_rows.get(*pushed as usize).copied())
        .collect();
    Ok(StreamRun {
        final_table,
        late,
        emits,
        stats: operator.stats(),
        fates,
    })
}

/// A windowed query compiled against a source's columns, for a job that feeds it the source's
/// rows batch by batch as they arrive (the lab's stream job over a topic), where
/// [`run_windowed`] takes a whole table at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamQuery {
    compiled: WindowedQuery,
    layout: InputLayout,
    source: String,
    output_columns: Vec<String>,
}

/// One source row as the query projects it: event time (None when NULL), grouping key, and the
/// aggregates' arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectedRow {
    pub ts: Option<TimeUs>,
    pub key: Vec<StreamValue>,
    pub values: Vec<StreamValue>,
}

impl StreamQuery {
    /// Compiles `query`, which must window `source`, a table with `fields`.
    pub fn compile(query: &str, source: &str, fields: &[Field]) -> Result<StreamQuery, SqlError> {
        let compiled = compile(query)?;
        check_source(&compiled, source)?;
        let projected = project(&compiled, Table::from_rows(fields.to_vec(), &[]), source)?;
        let layout = InputLayout::of(&compiled, &projected)?;
        let output_columns = output(&compiled, &layout, &[])?
            .fields
            .into_iter()
            .map(|f| f.name)
            .collect();
        Ok(StreamQuery {
            compiled,
            layout,
            source: source.to_string(),
            output_columns,
        })
    }

    /// The compiled parts.
    pub fn compiled(&self) -> &WindowedQuery {
        &self.compiled
    }

    /// The output query's column names.
    pub fn output_columns(&self) -> &[String] {
        &self.output_columns
    }

    /// The stream engine's settings for this query.
    pub fn config(
        &self,
        delay: DurationUs,
        allowed_lateness: DurationUs,
        idle_timeout: Option<DurationUs>,
        partitions: u32,
        mode: EmitMode,
    ) -> WindowedAggConfig {
        WindowedAggConfig {
            window: window_spec(&self.compiled.window),
            delay,
            allowed_lateness,
            idle_timeout,
            partitions,
            aggs: agg_specs(&self.compiled),
            mode,
        }
    }

    /// Projects `table` (rows of the source): one entry per row, None for a row the WHERE clause
    /// leaves out. A projection the SQL engine cannot run (a runtime error in an expression)
    /// leaves every row out.
    pub fn project_rows(&self, table: Table) -> Vec<Option<ProjectedRow>> {
        let rows = table.rows;
        let mut out = vec![None; rows];
        let Ok(projected) = project(&self.compiled, table, &self.source) else {
            return out;
        };
        let value_at =
            |column: usize, position: usize| stream_value(&projected.columns[column].get(position));
        for position in 0..projected.rows {
            let Value::BigInt(row) = projected.columns[0].get(position) else {
                continue;
            };
            let ts = match value_at(self.layout.time, position) {
                StreamValue::Time(t) => Some(t),
                StreamValue::Int(i) => Some(TimeUs(i)),
                _ => None,
            };
            if let Some(slot) = out.get_mut(row as usize) {
                *slot = Some(ProjectedRow {
                    ts,
                    key: self
                        .layout
                        .keys
                        .iter()
                        .map(|c| value_at(*c, position))
                        .collect(),
                    values: self
                        .layout
                        .args
                        .iter()
                        .map(|c| value_at(*c, position))
                        .collect(),
                });
            }
        }
        out
    }

    /// The output query's rows for these windows, as stream values.
    pub fn output_rows(&self, firings: &[Firing]) -> Result<Vec<Vec<StreamValue>>, SqlError> {
        let table = output(&self.compiled, &self.layout, firings)?;
        Ok((0..table.rows)
            .map(|r| {
                table
                    .columns
                    .iter()
                    .map(|c| stream_value(&c.get(r)))
                    .collect()
            })
            .collect())
    }

    /// A job's output record (`[window_start, window_end, aggregates..., kind]`, keyed by the
    /// group) back as the window's row.
    pub fn firing_of(&self, record: &streaming::operator::OutputRecord) -> Option<Firing> {
        let aggs = self.compiled.aggregates.len();
        let (StreamValue::Time(start), StreamValue::Time(end), StreamValue::Text(kind)) = (
            record.values.first()?,
            record.values.get(1)?,
            record.values.get(aggs + 2)?,
        ) else {
            return None;
        };
        let kind = [FiringKind::First, FiringKind::Update, FiringKind::Retract]
            .into_iter()
            .find(|k| streaming::aggregate_operator::kind_label(*k) == &**kind)?;
        Some(Firing {
            window: streaming::window::Window {
                start: *start,
                end: *end,
            },
            key: record.key.clone(),
            aggs: record.values[2..aggs + 2].to_vec(),
            kind,
        })
    }
}

/// The output query's rows for what fired in `emit` (retractions left out), if it gives any.
fn emit_table(
    compiled: &WindowedQuery,
    layout: &InputLayout,
    emit: Emit,
    after_row: u64,
) -> Result<Option<EmitTable>, SqlError> {
    let fired: Vec<Firing> = emit
        .rows
        .into_iter()
        .filter(|firing| firing.kind != FiringKind::Retract)
        .collect();
    if fired.is_empty() {
        return Ok(None);
    }
    let rows = output(compiled, layout, &fired)?;
    Ok((rows.rows > 0).then(|| EmitTable {
        after_row,
        watermark: layout.time_value(emit.watermark),
        rows,
    }))
}

/// Refuses a query over another table than the one given.
fn check_source(compiled: &WindowedQuery, table_name: &str) -> Result<(), SqlError> {
    if compiled.source.eq_ignore_ascii_case(table_name) {
        return Ok(());
    }
    Err(SqlError::new(
        ErrorKind::UnknownTable,
        format!(
            "unknown table \"{}\": the stream's input is \"{table_name}\"",
            compiled.source
        ),
    )
    .with_hint(format!(
        "window the input table: FROM TUMBLE({table_name}, ...)"
    )))
}

/// Runs SQL the compiler generated; its errors carry no position (the text is not the learner's).
fn run_generated(session: &mut Session, sql: &str) -> Result<Table, SqlError> {
    let unplaced = |mut e: SqlError| {
        e.position = None;
        e
    };
    match session.execute(sql).map_err(unplaced)?.pop() {
        Some(Outcome::Rows(result)) => Ok(result.table),
        _ => Err(SqlError::new(
            ErrorKind::Unsupported,
            "the compiled query returned no rows",
        )
        .with_hint("a windowed query is one SELECT")),
    }
}

/// The projection of every input row, after the WHERE clause, with the row's index first.
fn project(compiled: &WindowedQuery, table: Table, table_name: &str) -> Result<Table, SqlError> {
    if table.column_index(ROW_COLUMN).is_some() {
        return Err(SqlError::new(
            ErrorKind::Catalog,
            format!("the input has a column named {ROW_COLUMN}, which the stream uses"),
        )
        .with_hint(format!("rename the column {ROW_COLUMN}")));
    }
    let select_list = compiled
        .input_sql
        .trim_start()
        .strip_prefix("SELECT ")
        .ok_or_else(|| {
            SqlError::new(
                ErrorKind::Unsupported,
                "the compiled projection is not a SELECT",
            )
            .with_hint("a windowed query is one SELECT")
        })?;
    let numbered = format!("SELECT {ROW_COLUMN}, {select_list}");
    let mut session = Session::new();
    session.add_table(table_name, numbered_table(table))?;
    run_generated(&mut session, &numbered)
}

/// The table with a BIGINT column numbering its rows from 0.
fn numbered_table(mut table: Table) -> Table {
    let numbers: Vec<Value> = (0..table.rows as i64).map(Value::BigInt).collect();
    table.fields.push(Field {
        name: ROW_COLUMN.to_string(),
        data_type: DataType::BigInt,
    });
    table
        .columns
        .push(Column::from_values(DataType::BigInt, numbers.iter()));
    table
}

/// Where the parts of a projected row are, and their SQL types.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InputLayout {
    time_is_integer: bool,
    /// Column indices in the projection.
    time: usize,
    keys: Vec<usize>,
    args: Vec<usize>,
    key_types: Vec<DataType>,
    arg_types: Vec<DataType>,
    time_column: String,
}

impl InputLayout {
    /// Finds the projection's columns (`__row`, `__ts`, `__k0..`, `__a0..`) and checks the time
    /// column's type against the window's units.
    fn of(compiled: &WindowedQuery, projected: &Table) -> Result<InputLayout, SqlError> {
        let find = |name: &str| {
            projected.column_index(name).ok_or_else(|| {
                SqlError::new(
                    ErrorKind::Unsupported,
                    format!("the compiled projection has no column {name}"),
                )
                .with_hint("a windowed query groups by window_start, window_end and keys")
            })
        };
        let time = find("__ts")?;
        let keys = (0..compiled.key_names.len())
            .map(|i| find(&format!("__k{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        let arg_count = compiled
            .aggregates
            .iter()
            .filter_map(|a| a.input)
            .map(|i| i + 1)
            .max()
            .unwrap_or(0);
        let args = (0..arg_count)
            .map(|i| find(&format!("__a{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        let type_of = |i: &usize| projected.fields[*i].data_type;
        let layout = InputLayout {
            time_is_integer: compiled.time_is_integer,
            time,
            key_types: keys.iter().map(type_of).collect(),
            arg_types: args.iter().map(type_of).collect(),
            keys,
            args,
            time_column: compiled.time_column.clone(),
        };
        layout.check_time_type(type_of(&time))?;
        if let Some(i) = layout
            .key_types
            .iter()
            .position(|t| *t == DataType::Interval)
        {
            return Err(SqlError::new(
                ErrorKind::Unsupported,
                format!("grouping key \"{}\" is an INTERVAL", compiled.key_names[i]),
            )
            .with_hint("group a stream by numbers, text, booleans or times"));
        }
        for (i, aggregate) in compiled.aggregates.iter().enumerate() {
            layout.check_argument(i, aggregate.func, aggregate.input)?;
        }
        Ok(layout)
    }

    /// A TIMESTAMP or DATE column takes interval sizes; a BIGINT one takes integer sizes.
    fn check_time_type(&self, data_type: DataType) -> Result<(), SqlError> {
        let column = &self.time_column;
        match (data_type, self.time_is_integer) {
            (DataType::Timestamp | DataType::Date | DataType::Null, false)
            | (DataType::BigInt | DataType::Null, true) => Ok(()),
            (DataType::BigInt, false) => Err(SqlError::new(
                ErrorKind::Type,
                format!("the time column \"{column}\" is BIGINT but the window is an INTERVAL"),
            )
            .with_hint("give an integer time column's window in its units: TUMBLE(t, ts, 10)")),
            (DataType::Timestamp | DataType::Date, true) => Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "the time column \"{column}\" is {} but the window size is a plain number",
                    data_type.name()
                ),
            )
            .with_hint("give a timestamp column's window as an interval: INTERVAL '10' SECOND")),
            (other, _) => Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "the time column \"{column}\" is {}, not a TIMESTAMP or a BIGINT",
                    other.name()
                ),
            )
            .with_hint("window over a timestamp column, or an integer one in its own units")),
        }
    }

    /// sum and avg need numbers; nothing aggregates an interval.
    fn check_argument(
        &self,
        index: usize,
        func: WindowAggFn,
        input: Option<usize>,
    ) -> Result<(), SqlError> {
        let Some(data_type) = input.and_then(|i| self.arg_types.get(i)).copied() else {
            return Ok(());
        };
        let numeric = matches!(
            data_type,
            DataType::BigInt | DataType::Double | DataType::Null
        );
        let name = agg_fn(func).name();
        if matches!(func, WindowAggFn::Sum | WindowAggFn::Avg) && !numeric {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "aggregate {} is {name}() of a {} value",
                    index + 1,
                    data_type.name()
                ),
            )
            .with_hint(format!("{name}() takes BIGINT or DOUBLE values")));
        }
        if data_type == DataType::Interval {
            return Err(SqlError::new(
                ErrorKind::Unsupported,
                format!("aggregate {} is {name}() of an INTERVAL", index + 1),
            )
            .with_hint("the stream engine aggregates numbers, text, booleans and times"));
        }
        Ok(())
    }

    /// Projected row `position` as the stream engine's input, with the table row it came from.
    fn input_row(
        &self,
        projected: &Table,
        position: usize,
    ) -> Result<(usize, InputRow), SqlOrStreamError> {
        let row = match projected.columns[0].get(position) {
            Value::BigInt(i) => i as usize,
            _ => position,
        };
        let value_at = |column: usize| stream_value(&projected.columns[column].get(position));
        let ts = match value_at(self.time) {
            StreamValue::Time(t) => t,
            StreamValue::Int(i) => TimeUs(i),
            _ => {
                return Err(SqlOrStreamError::Row {
                    row,
                    message: format!("the event time \"{}\" is NULL", self.time_column),
                    hint: "every row of a stream needs an event time; fill it in or filter the \
                           row out with WHERE"
                        .into(),
                })
            }
        };
        let input = InputRow {
            partition: PartitionId(0),
            ts: Some(ts),
            arrival: TimeUs(position as i64),
            key: self.keys.iter().map(|c| value_at(*c)).collect(),
            values: self.args.iter().map(|c| value_at(*c)).collect(),
        };
        Ok((row, input))
    }

    /// An instant as the SQL engine shows the time column's windows.
    fn time_value(&self, t: TimeUs) -> Value {
        if self.time_is_integer {
            Value::BigInt(t.0)
        } else {
            Value::Timestamp(t.0)
        }
    }

    fn time_type(&self) -> DataType {
        if self.time_is_integer {
            DataType::BigInt
        } else {
            DataType::Timestamp
        }
    }
}

/// The stream engine's aggregate function for the compiler's.
fn agg_fn(func: WindowAggFn) -> AggFn {
    match func {
        WindowAggFn::CountStar => AggFn::CountStar,
        WindowAggFn::Count => AggFn::Count,
        WindowAggFn::Sum => AggFn::Sum,
        WindowAggFn::Min => AggFn::Min,
        WindowAggFn::Max => AggFn::Max,
        WindowAggFn::Avg => AggFn::Avg,
    }
}

/// The SQL type of an aggregate's result over values of `input` (as the SQL engine types it).
fn result_type(func: AggFn, input: Option<DataType>) -> DataType {
    match (func, input) {
        (AggFn::CountStar | AggFn::Count, _) | (_, None) => DataType::BigInt,
        (AggFn::Avg, _) => DataType::Double,
        (AggFn::Sum | AggFn::Min | AggFn::Max, Some(data_type)) => data_type,
    }
}

/// The window of the compiled query in the stream engine's terms.
fn window_spec(window: &WindowTvf) -> WindowSpec {
    match *window {
        WindowTvf::Tumble { size_us, offset_us } => WindowSpec::Tumble {
            size: DurationUs(size_us),
            offset: DurationUs(offset_us),
        },
        WindowTvf::Hop {
            slide_us,
            size_us,
            offset_us,
        } => WindowSpec::Hop {
            slide: DurationUs(slide_us),
            size: DurationUs(size_us),
            offset: DurationUs(offset_us),
        },
        WindowTvf::Session { gap_us } => WindowSpec::Session {
            gap: DurationUs(gap_us),
        },
    }
}

/// A delay or lateness in the time column's units: seconds scaled to microseconds for a timestamp
/// column, whole units for an integer one.
fn duration(amount: f64, time_is_integer: bool, what: &str) -> Result<DurationUs, StreamError> {
    if !amount.is_finite() || amount < 0.0 {
        return Err(StreamError::new(
            format!("the {what} must be a number of seconds, 0 or more, not {amount}"),
            format!("give the {what} as 0, 2 or 0.5 (seconds)"),
        ));
    }
    if time_is_integer {
        if amount.fract() != 0.0 || amount >= i64::MAX as f64 {
            return Err(StreamError::new(
                format!(
                    "the {what} must be a whole number for an integer time column, not {amount}"
                ),
                "with a BIGINT time column, durations are in the column's own units",
            ));
        }
        return Ok(DurationUs(amount as i64));
    }
    let micros = (amount * US_PER_SECOND as f64).round();
    if micros >= i64::MAX as f64 {
        return Err(StreamError::new(
            format!("the {what} of {amount} seconds is too long"),
            "give a duration under 290,000 years",
        ));
    }
    Ok(DurationUs(micros as i64))
}

/// The stream engine's settings for the compiled query.
fn config(
    compiled: &WindowedQuery,
    layout: &InputLayout,
    options: &StreamRunOptions,
) -> Result<WindowedAggConfig, StreamError> {
    Ok(WindowedAggConfig {
        window: window_spec(&compiled.window),
        delay: duration(
            options.watermark_delay,
            layout.time_is_integer,
            "watermark delay",
        )?,
        allowed_lateness: duration(
            options.allowed_lateness,
            layout.time_is_integer,
            "allowed lateness",
        )?,
        idle_timeout: None,
        partitions: 1,
        aggs: agg_specs(compiled),
        mode: options.mode,
    })
}

/// The stream engine's aggregates for the compiled ones.
fn agg_specs(compiled: &WindowedQuery) -> Vec<AggSpec> {
    compiled
        .aggregates
        .iter()
        .map(|a| AggSpec {
            func: agg_fn(a.func),
            input: a.input,
        })
        .collect()
}

/// The output query over these windows' rows.
fn output(
    compiled: &WindowedQuery,
    layout: &InputLayout,
    firings: &[Firing],
) -> Result<Table, SqlError> {
    let mut session = Session::new();
    session.add_table(WINDOWS_TABLE, windows_table(compiled, layout, firings))?;
    run_generated(&mut session, &compiled.output_sql)
}

/// Firings as the `__windows` table: window_start, window_end, the keys `__k0..` and the
/// aggregate values `__g0..`.
fn windows_table(compiled: &WindowedQuery, layout: &InputLayout, firings: &[Firing]) -> Table {
    let mut fields = vec![
        Field {
            name: "window_start".into(),
            data_type: layout.time_type(),
        },
        Field {
            name: "window_end".into(),
            data_type: layout.time_type(),
        },
    ];
    fields.extend(layout.key_types.iter().enumerate().map(|(i, t)| Field {
        name: format!("__k{i}"),
        data_type: *t,
    }));
    fields.extend(compiled.aggregates.iter().enumerate().map(|(i, a)| {
        Field {
            name: format!("__g{i}"),
            data_type: result_type(
                agg_fn(a.func),
                a.input
                    .and_then(|input| layout.arg_types.get(input))
                    .copied(),
            ),
        }
    }));
    let rows: Vec<Vec<Value>> = firings
        .iter()
        .map(|firing| {
            let mut row = vec![
                layout.time_value(firing.window.start),
                layout.time_value(firing.window.end),
            ];
            let values = firing.key.iter().chain(&firing.aggs);
            row.extend(
                values
                    .zip(&fields[2..])
                    .map(|(value, field)| sql_value(value, field.data_type)),
            );
            row
        })
        .collect();
    Table::from_rows(fields, &rows)
}

/// A SQL value as the stream engine holds it (a date as its midnight; an interval, which the
/// layout refuses as a key or an argument, as its text).
pub fn stream_value(value: &Value) -> StreamValue {
    match value {
        Value::Null => StreamValue::Null,
        Value::Boolean(b) => StreamValue::Bool(*b),
        Value::BigInt(i) => StreamValue::Int(*i),
        Value::Double(x) => StreamValue::Float(*x),
        Value::Text(s) => StreamValue::Text(s.clone()),
        Value::Timestamp(us) => StreamValue::Time(TimeUs(*us)),
        Value::Date(days) => {
            StreamValue::Time(TimeUs(i64::from(*days) * sim::calendar::MICROS_PER_DAY))
        }
        Value::Interval(_) => StreamValue::text(&value.to_string()),
    }
}

/// A stream value back as a SQL value of `data_type`.
pub fn sql_value(value: &StreamValue, data_type: DataType) -> Value {
    match (value, data_type) {
        (StreamValue::Null, _) => Value::Null,
        (StreamValue::Bool(b), DataType::Boolean) => Value::Boolean(*b),
        (StreamValue::Int(i), DataType::Double) => Value::Double(*i as f64),
        (StreamValue::Int(i), _) => Value::BigInt(*i),
        (StreamValue::Float(x), _) => Value::Double(*x),
        (StreamValue::Text(s), _) => Value::Text(s.clone()),
        (StreamValue::Time(t), DataType::Date) => {
            Value::Date(t.0.div_euclid(sim::calendar::MICROS_PER_DAY) as i32)
        }
        (StreamValue::Time(t), DataType::BigInt) => Value::BigInt(t.0),
        (StreamValue::Time(t), _) => Value::Timestamp(t.0),
        (other, _) => Value::text(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_time_column_units() {
        assert_eq!(duration(2.5, false, "delay"), Ok(DurationUs(2_500_000)));
        assert_eq!(duration(0.1, false, "delay"), Ok(DurationUs(100_000)));
        assert_eq!(duration(7.0, true, "delay"), Ok(DurationUs(7)));
        assert!(duration(0.5, true, "delay")
            .unwrap_err()
            .message
            .contains("whole number"));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(duration(bad, false, "allowed lateness")
                .unwrap_err()
                .message
                .contains("allowed lateness"));
        }
        assert!(duration(1e300, false, "delay").is_err());
    }

    #[test]
    fn values_cross_between_the_engines() {
        for (value, data_type) in [
            (Value::Null, DataType::BigInt),
            (Value::Boolean(true), DataType::Boolean),
            (Value::BigInt(-7), DataType::BigInt),
            (Value::Double(2.5), DataType::Double),
            (Value::text("a"), DataType::Text),
            (Value::Timestamp(1_700_000_000_123_456), DataType::Timestamp),
            (Value::Date(-3), DataType::Date),
        ] {
            let back = sql_value(&stream_value(&value), data_type);
            assert_eq!(format!("{back:?}"), format!("{value:?}"));
        }
        // A sum of BIGINTs read into a DOUBLE column, a window bound of an integer time column.
        assert!(matches!(
            sql_value(&StreamValue::Int(3), DataType::Double),
            Value::Double(x) if x == 3.0
        ));
        assert!(matches!(
            sql_value(&StreamValue::Time(TimeUs(40)), DataType::BigInt),
            Value::BigInt(40)
        ));
    }

    fn table(rows: &[(Option<i64>, i64)]) -> Table {
        let fields = vec![
            Field {
                name: "ts".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "v".into(),
                data_type: DataType::BigInt,
            },
        ];
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|(ts, v)| vec![ts.map_or(Value::Null, Value::BigInt), Value::BigInt(*v)])
            .collect();
        Table::from_rows(fields, &rows)
    }

    const QUERY: &str = "SELECT window_start, sum(v) AS s FROM TUMBLE(t, ts, 10) \
                         WHERE v > 0 GROUP BY window_start, window_end";

    #[test]
    fn late_rows_keep_their_table_index_after_where() {
        // Row 1 is filtered out; row 3 (ts 2) comes after W reached 20: late, table index 3.
        let input = table(&[(Some(1), 1), (Some(5), -1), (Some(20), 2), (Some(2), 3)]);
        let run = run_windowed(QUERY, input, "t", &StreamRunOptions::default()).unwrap();
        assert_eq!(run.late, [3]);
        assert_eq!(run.fates[1], None);
        assert_eq!(run.fates[3], Some(RowFate::Dropped));
        assert_eq!(run.emits.len(), 1);
        assert_eq!(run.emits[0].after_row, 2);
        assert!(matches!(run.emits[0].watermark, Value::BigInt(20)));
        assert_eq!(run.stats.rows_in, 3);
    }

    #[test]
    fn bad_input_is_refused_with_its_row_or_query_part() {
        let options = StreamRunOptions::default();
        let input = table(&[(Some(1), 1), (None, 2)]);
        match run_windowed(QUERY, input.clone(), "t", &options) {
            Err(SqlOrStreamError::Row {
                row: 1, message, ..
            }) => {
                assert!(message.contains("NULL"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match run_windowed(QUERY, input.clone(), "events", &options) {
            Err(SqlOrStreamError::Sql(e)) => assert_eq!(e.kind, ErrorKind::UnknownTable),
            other => panic!("{other:?}"),
        }
        let late = StreamRunOptions {
            allowed_lateness: -1.0,
            ..options
        };
        assert!(matches!(
            run_windowed(QUERY, input, "t", &late),
            Err(SqlOrStreamError::Stream(_))
        ));
    }
}
