//! A medallion pipeline with data-quality expectations, as Databricks' Delta Live Tables (DLT)
//! defines them.
//!
//! - **Bronze** is the raw topic as it arrived: one JSON payload per record, good or not.
//! - **Silver** parses each payload into typed columns, drops duplicates (the first record per key
//!   by bronze offset wins, as `dropDuplicates` in a streaming query keeps the first) and applies
//!   the expectations to what is left.
//! - **Gold** aggregates silver per key: rows and the total of one column.
//!
//! Parsing never fails a record: like Spark's `from_json` with a schema, a field that is missing,
//! `null` or of the wrong JSON type becomes NULL, and a payload that is not a JSON object makes
//! every column NULL (counted as unparsable). Catching that is the expectations' job.
//!
//! An **expectation** has a name (unique: the metrics are kept under it), a condition over the
//! row and an action for a row that violates it (DLT's "Manage data quality" page):
//! - `warn` (DLT's default, `@dlt.expect`, SQL `CONSTRAINT n EXPECT (c)`): the row is written and
//!   the violation counted;
//! - `drop` (`expect_or_drop`, `ON VIOLATION DROP ROW`): the row is removed before the write and
//!   counted; the lab keeps the last dropped rows for display;
//! - `fail` (`expect_or_fail`, `ON VIOLATION FAIL UPDATE`): the update stops, nothing of it is
//!   written (silver, gold and metrics stay as they were, the bronze checkpoint does not move) and
//!   the failing row is named. After a fix (here: another action, [`Medallion::set_action`]) the
//!   next update reprocesses the same records.
//!
//! Per expectation the lab counts rows passed, failed and dropped, as DLT's event log reports
//! `passed_records` and `failed_records` per expectation and dropped records per flow. A row that
//! violates two `drop` expectations counts as dropped under each, and once in the flow's total.
//!
//! **NULL.** The conditions are a small closed set (not null, an inclusive range, one of a list, a
//! text prefix). On a NULL value every condition but `not null` is unknown, and the lab counts an
//! unknown as **passed**, as a SQL `CHECK` constraint does (PostgreSQL and Delta accept a row whose
//! check is NULL) and as DLT's own wording has it (a record fails when the condition returns
//! false). The metrics show those rows apart (`unknown`), because that is how NULLs slip through:
//! pair a range with a `not null` expectation to catch them.

use crate::value::{Key, StreamError, StreamValue, TimeUs};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;

/// A silver column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Float,
    Text,
    Time,
}

impl ColumnType {
    /// The type's name, as the SQL engine spells it.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "BIGINT",
            ColumnType::Float => "DOUBLE",
            ColumnType::Text => "TEXT",
            ColumnType::Time => "TIMESTAMP",
        }
    }

    /// Whether `value` (not NULL) can be compared with this column's values.
    fn accepts(self, value: &StreamValue) -> bool {
        matches!(
            (self, value),
            (
                ColumnType::Int | ColumnType::Float,
                StreamValue::Int(_) | StreamValue::Float(_)
            ) | (ColumnType::Text, StreamValue::Text(_))
                | (ColumnType::Time, StreamValue::Time(_))
        )
    }
}

/// A silver column: the JSON field it is read from, and its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

/// A condition over one column of a silver row.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `column IS NOT NULL`.
    NotNull { column: String },
    /// `column BETWEEN min AND max`, either bound optional, both inclusive.
    Range {
        column: String,
        min: Option<StreamValue>,
        max: Option<StreamValue>,
    },
    /// `column IN (values...)`.
    OneOf {
        column: String,
        values: Vec<StreamValue>,
    },
    /// `column LIKE 'prefix%'`, without wildcards in the prefix.
    StartsWith { column: String, prefix: String },
}

impl Condition {
    fn column(&self) -> &str {
        match self {
            Condition::NotNull { column }
            | Condition::Range { column, .. }
            | Condition::OneOf { column, .. }
            | Condition::StartsWith { column, .. } => column,
        }
    }

    /// The condition as SQL, for the UI and messages.
    pub fn to_sql(&self) -> String {
        match self {
            Condition::NotNull { column } => format!("{column} IS NOT NULL"),
            Condition::Range { column, min, max } => match (min, max) {
                (Some(lo), Some(hi)) => format!("{column} BETWEEN {} AND {}", sql(lo), sql(hi)),
                (Some(lo), None) => format!("{column} >= {}", sql(lo)),
                (None, Some(hi)) => format!("{column} <= {}", sql(hi)),
                (None, None) => "TRUE".to_string(),
            },
            Condition::OneOf { column, values } => {
                let list: Vec<String> = values.iter().map(sql).collect();
                format!("{column} IN ({})", list.join(", "))
            }
            Condition::StartsWith { column, prefix } => {
                format!("{column} LIKE '{}%'", prefix.replace('\'', "''"))
            }
        }
    }
}

/// A value as a SQL literal.
fn sql(value: &StreamValue) -> String {
    match value {
        StreamValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
        StreamValue::Time(t) => format!("TIMESTAMP '{}'", t.format()),
        other => other.to_string(),
    }
}

/// What a violation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Warn,
    Drop,
    Fail,
}

impl Action {
    /// DLT's name for the action.
    pub fn name(self) -> &'static str {
        match self {
            Action::Warn => "warn",
            Action::Drop => "drop",
            Action::Fail => "fail",
        }
    }

    /// The action named `name`, or an error listing the three.
    pub fn parse(name: &str) -> Result<Action, StreamError> {
        [Action::Warn, Action::Drop, Action::Fail]
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                StreamError::new(
                    format!("unknown expectation action \"{name}\""),
                    "an expectation warns, drops or fails: use warn, drop or fail",
                )
            })
    }
}

/// A named data-quality rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub name: String,
    pub condition: Condition,
    pub action: Action,
}

/// The gold table: per value of `group_by`, the rows and the total of `sum_of`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldSpec {
    pub group_by: String,
    pub sum_of: String,
}

/// The pipeline's definition.
#[derive(Clone, Debug, PartialEq)]
pub struct MedallionConfig {
    pub schema: Vec<Column>,
    /// Columns whose values identify a record (duplicates removed in silver).
    pub dedup_key: Vec<String>,
    pub expectations: Vec<Expectation>,
    pub gold: GoldSpec,
    /// How many of the latest dropped rows are kept for display.
    pub dropped_rows_kept: usize,
}

impl MedallionConfig {
    /// The lab's order pipeline over [`crate::generate::orders`]' feed: silver columns
    /// `order_id, user, amount, status, ts`, deduplicated by `order_id`; expectations
    /// `valid_order_id` and `has_user` (drop), `non_negative_amount` (fail: the lesson's broken
    /// update), `known_status` and `has_amount` (warn; `has_amount` catches the amounts sent as
    /// text, which `non_negative_amount` lets through as unknown); gold: orders and revenue per
    /// user.
    pub fn orders() -> MedallionConfig {
        let column = |name: &str, ty| Column {
            name: name.to_string(),
            ty,
        };
        let expect = |name: &str, condition, action| Expectation {
            name: name.to_string(),
            condition,
            action,
        };
        let not_null = |column: &str| Condition::NotNull {
            column: column.to_string(),
        };
        MedallionConfig {
            schema: vec![
                column("order_id", ColumnType::Int),
                column("user", ColumnType::Text),
                column("amount", ColumnType::Float),
                column("status", ColumnType::Text),
                column("ts", ColumnType::Time),
            ],
            dedup_key: vec!["order_id".to_string()],
            expectations: vec![
                expect("valid_order_id", not_null("order_id"), Action::Drop),
                expect("has_user", not_null("user"), Action::Drop),
                expect(
                    "non_negative_amount",
                    Condition::Range {
                        column: "amount".to_string(),
                        min: Some(StreamValue::Int(0)),
                        max: None,
                    },
                    Action::Fail,
                ),
                expect(
                    "known_status",
                    Condition::OneOf {
                        column: "status".to_string(),
                        values: vec![StreamValue::text("paid"), StreamValue::text("refunded")],
                    },
                    Action::Warn,
                ),
                expect("has_amount", not_null("amount"), Action::Warn),
            ],
            gold: GoldSpec {
                group_by: "user".to_string(),
                sum_of: "amount".to_string(),
            },
            dropped_rows_kept: 50,
        }
    }
}

/// One raw record as it sits in the bronze table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BronzeRecord {
    pub offset: u64,
    pub arrival: TimeUs,
    pub payload: String,
}

/// A silver row and the bronze record it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SilverRow {
    pub offset: u64,
    pub values: Vec<StreamValue>,
}

/// A row an expectation dropped, with the names of the expectations it violated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedRow {
    pub row: SilverRow,
    pub violated: Vec<String>,
}

/// One gold row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldRow {
    pub key: StreamValue,
    pub rows: u64,
    /// The sum of the non-NULL values (NULL when there were none, as SQL's `sum`).
    pub total: StreamValue,
}

/// One expectation's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectationMetrics {
    pub name: String,
    pub passed: u64,
    pub failed: u64,
    pub dropped: u64,
    /// Passed rows whose condition was unknown (a NULL value).
    pub unknown: u64,
}

/// What one successful update did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateReport {
    pub bronze_read: u64,
    pub unparsable: u64,
    pub duplicates: u64,
    pub written: u64,
    pub dropped: u64,
    pub expectations: Vec<ExpectationMetrics>,
}

/// Why an update failed: the `fail` expectation and the first row that violated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateFailure {
    pub expectation: String,
    pub offset: u64,
    pub row: String,
    pub error: StreamError,
}

/// The pipeline's tables and counters.
#[derive(Clone, Debug, PartialEq)]
pub struct Medallion {
    config: MedallionConfig,
    bound: Vec<BoundCondition>,
    dedup_columns: Vec<usize>,
    group_column: usize,
    sum_column: usize,
    bronze: Vec<BronzeRecord>,
    /// Bronze offsets below this are in silver (the streaming checkpoint).
    checkpoint: u64,
    silver: Vec<SilverRow>,
    silver_keys: BTreeSet<Key>,
    gold: BTreeMap<StreamValue, GoldRow>,
    metrics: Vec<ExpectationMetrics>,
    dropped: VecDeque<DroppedRow>,
    totals: UpdateReport,
    updates: u64,
    failed_updates: u64,
    last_failure: Option<UpdateFailure>,
}

/// A condition with its column resolved to an index.
#[derive(Clone, Debug, PartialEq)]
struct BoundCondition {
    column: usize,
    condition: Condition,
}

/// What a condition says of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    /// The value was NULL: counted as passed.
    Unknown,
}

impl BoundCondition {
    fn check(&self, row: &[StreamValue]) -> Verdict {
        let value = &row[self.column];
        if let Condition::NotNull { .. } = self.condition {
            return if value.is_null() {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
        }
        if value.is_null() {
            return Verdict::Unknown;
        }
        let holds = match &self.condition {
            Condition::NotNull { .. } => true,
            Condition::Range { min, max, .. } => {
                min.as_ref().is_none_or(|lo| compare(value, lo).is_ge())
                    && max.as_ref().is_none_or(|hi| compare(value, hi).is_le())
            }
            Condition::OneOf { values, .. } => values.iter().any(|v| compare(value, v).is_eq()),
            Condition::StartsWith { prefix, .. } => {
                matches!(value, StreamValue::Text(s) if s.starts_with(prefix.as_str()))
            }
        };
        if holds {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// Compares a value with a literal: numbers by value (5 equals 5.0, unlike the total order's
/// tie-break), anything else by the total order.
fn compare(value: &StreamValue, literal: &StreamValue) -> std::cmp::Ordering {
    match (value, literal) {
        (StreamValue::Int(a), StreamValue::Float(b)) => (*a as f64).total_cmp(b),
        (StreamValue::Float(a), StreamValue::Int(b)) => a.total_cmp(&(*b as f64)),
        _ => value.total_cmp(literal),
    }
}

/// The index of column `name`, or an error suggesting a close name.
fn resolve(schema: &[Column], name: &str, role: &str) -> Result<usize, StreamError> {
    schema.iter().position(|c| c.name == name).ok_or_else(|| {
        let names: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
        let hint = sim::text::did_you_mean(name, names.iter().copied())
            .unwrap_or_else(|| format!("the columns are {}", names.join(", ")));
        StreamError::new(format!("{role} names an unknown column \"{name}\""), hint)
    })
}

/// Checks an expectation's literals fit its column and binds it.
fn bind(schema: &[Column], expectation: &Expectation) -> Result<BoundCondition, StreamError> {
    let role = format!("expectation \"{}\"", expectation.name);
    let column = resolve(schema, expectation.condition.column(), &role)?;
    let ty = schema[column].ty;
    let literals: Vec<&StreamValue> = match &expectation.condition {
        Condition::NotNull { .. } => Vec::new(),
        Condition::Range { min, max, .. } => {
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(StreamError::new(
                        format!("{role}: the range's minimum {lo} is above its maximum {hi}"),
                        "swap the bounds",
                    ));
                }
            }
            min.iter().chain(max.iter()).collect()
        }
        Condition::OneOf { values, .. } => values.iter().collect(),
        Condition::StartsWith { .. } if ty != ColumnType::Text => {
            return Err(StreamError::new(
                format!(
                    "{role}: a prefix test needs a TEXT column, and {} is {}",
                    schema[column].name,
                    ty.name()
                ),
                "test a text column, or use a range for numbers and times",
            ));
        }
        Condition::StartsWith { .. } => Vec::new(),
    };
    if let Some(bad) = literals.into_iter().find(|v| !ty.accepts(v)) {
        return Err(StreamError::new(
            format!(
                "{role}: {bad} cannot be compared with {} ({})",
                schema[column].name,
                ty.name()
            ),
            format!("give a {} value", ty.name()),
        ));
    }
    Ok(BoundCondition {
        column,
        condition: expectation.condition.clone(),
    })
}

/// Checks the expectation names are unique.
fn unique_names(expectations: &[Expectation]) -> Result<(), StreamError> {
    let mut seen = BTreeSet::new();
    for expectation in expectations {
        if !seen.insert(expectation.name.as_str()) {
            return Err(StreamError::new(
                format!("two expectations are named \"{}\"", expectation.name),
                "an expectation's name identifies its metrics: give each a different name",
            ));
        }
    }
    Ok(())
}

impl Medallion {
    /// An empty pipeline, or why its definition is wrong.
    pub fn new(config: MedallionConfig) -> Result<Medallion, StreamError> {
        if config.schema.is_empty() {
            return Err(StreamError::new(
                "the silver schema has no column",
                "list the fields to read from each payload and their types",
            ));
        }
        unique_names(&config.expectations)?;
        let bound = config
            .expectations
            .iter()
            .map(|e| bind(&config.schema, e))
            .collect::<Result<Vec<_>, _>>()?;
        let dedup_columns = config
            .dedup_key
            .iter()
            .map(|name| resolve(&config.schema, name, "the dedup key"))
            .collect::<Result<Vec<_>, _>>()?;
        let group_column = resolve(&config.schema, &config.gold.group_by, "the gold GROUP BY")?;
        let sum_column = resolve(&config.schema, &config.gold.sum_of, "the gold sum")?;
        if !matches!(
            config.schema[sum_column].ty,
            ColumnType::Int | ColumnType::Float
        ) {
            return Err(StreamError::new(
                format!(
                    "the gold sum reads {}, which is not a number",
                    config.gold.sum_of
                ),
                "sum a BIGINT or DOUBLE column",
            ));
        }
        Ok(Medallion {
            metrics: config
                .expectations
                .iter()
                .map(|e| ExpectationMetrics {
                    name: e.name.clone(),
                    ..ExpectationMetrics::default()
                })
                .collect(),
            bound,
            dedup_columns,
            group_column,
            sum_column,
            config,
            bronze: Vec::new(),
            checkpoint: 0,
            silver: Vec::new(),
            silver_keys: BTreeSet::new(),
            gold: BTreeMap::new(),
            dropped: VecDeque::new(),
            totals: UpdateReport::default(),
            updates: 0,
            failed_updates: 0,
            last_failure: None,
        })
    }

    /// Appends raw payloads to bronze, as they arrived at `arrival`, each at the offset after
    /// the last. Bronze takes anything.
    pub fn ingest<'a>(&mut self, payloads: impl IntoIterator<Item = &'a str>, arrival: TimeUs) {
        for payload in payloads {
            let offset = self.next_offset();
            self.bronze.push(BronzeRecord {
                offset,
                arrival,
                payload: payload.to_string(),
            });
        }
    }

    /// Appends one record read from a log at its own `offset` (a topic's offsets may skip, as a
    /// compacted or transactional partition's do), or refuses an offset not past the last one:
    /// bronze is append-only, so a record read twice is not taken twice.
    pub fn ingest_at(&mut self, record: BronzeRecord) -> Result<(), StreamError> {
        if record.offset < self.next_offset() {
            return Err(StreamError::new(
                format!(
                    "bronze already holds offset {} (the next is {})",
                    record.offset,
                    self.next_offset()
                ),
                "read the source from the offset after bronze's last record",
            ));
        }
        self.bronze.push(record);
        Ok(())
    }

    /// The offset after bronze's last record (0 when bronze is empty).
    pub fn next_offset(&self) -> u64 {
        self.bronze.last().map_or(0, |r| r.offset + 1)
    }

    /// Runs one update over the bronze records not yet in silver. A `fail` expectation's
    /// violation stops it: nothing is written and the failing row is named.
    pub fn update(&mut self) -> Result<UpdateReport, UpdateFailure> {
        let batch = self.process_batch();
        match batch {
            Ok(batch) => {
                self.commit(&batch);
                Ok(batch.report)
            }
            Err(failure) => {
                self.failed_updates += 1;
                self.last_failure = Some(failure.clone());
                Err(failure)
            }
        }
    }

    /// Changes what an expectation does (the fix before a rerun).
    pub fn set_action(&mut self, expectation: &str, action: Action) -> Result<(), StreamError> {
        let names: Vec<&str> = self
            .config
            .expectations
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let hint = sim::text::did_you_mean(expectation, names.iter().copied())
            .unwrap_or_else(|| format!("the expectations are {}", names.join(", ")));
        let found = self
            .config
            .expectations
            .iter_mut()
            .find(|e| e.name == expectation)
            .ok_or_else(|| {
                StreamError::new(format!("no expectation is named \"{expectation}\""), hint)
            })?;
        found.action = action;
        Ok(())
    }

    /// The definition (with the current actions).
    pub fn config(&self) -> &MedallionConfig {
        &self.config
    }

    pub fn bronze(&self) -> &[BronzeRecord] {
        &self.bronze
    }

    pub fn silver(&self) -> &[SilverRow] {
        &self.silver
    }

    /// The gold table, in key order.
    pub fn gold(&self) -> Vec<GoldRow> {
        self.gold.values().cloned().collect()
    }

    /// Each expectation's counters over the successful updates, in definition order.
    pub fn expectation_metrics(&self) -> &[ExpectationMetrics] {
        &self.metrics
    }

    /// The latest dropped rows, oldest first (at most `dropped_rows_kept`).
    pub fn dropped_rows(&self) -> impl Iterator<Item = &DroppedRow> {
        self.dropped.iter()
    }

    /// The flow's totals over the successful updates (`expectations` left empty: see
    /// [`Medallion::expectation_metrics`]).
    pub fn totals(&self) -> &UpdateReport {
        &self.totals
    }

    /// Bronze offsets below this are in silver.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint
    }

    /// Successful and failed updates so far.
    pub fn updates(&self) -> (u64, u64) {
        (self.updates, self.failed_updates)
    }

    /// The last failed update, if any.
    pub fn last_failure(&self) -> Option<&UpdateFailure> {
        self.last_failure.as_ref()
    }

    /// Feeds the pipeline's state to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(self.bronze.len() as u64);
        hasher.u64(self.checkpoint);
        hasher.u64(self.silver.len() as u64);
        for row in &self.silver {
            hasher.u64(row.offset);
            row.values.iter().for_each(|v| v.hash_into(hasher));
        }
        for (expectation, metrics) in self.config.expectations.iter().zip(&self.metrics) {
            hasher.str(expectation.action.name());
            for counter in [
                metrics.passed,
                metrics.failed,
                metrics.dropped,
                metrics.unknown,
            ] {
                hasher.u64(counter);
            }
        }
        hasher.u64(self.updates);
        hasher.u64(self.failed_updates);
    }

    /// Computes an update without changing anything.
    fn process_batch(&self) -> Result<Batch, UpdateFailure> {
        let mut batch = Batch {
            report: UpdateReport {
                expectations: self
                    .metrics
                    .iter()
                    .map(|m| ExpectationMetrics {
                        name: m.name.clone(),
                        ..ExpectationMetrics::default()
                    })
                    .collect(),
                ..UpdateReport::default()
            },
            written: Vec::new(),
            dropped: Vec::new(),
            keys: BTreeSet::new(),
        };
        let unread = self.bronze.partition_point(|r| r.offset < self.checkpoint);
        for record in &self.bronze[unread..] {
            batch.report.bronze_read += 1;
            let (values, parsed) = parse_payload(&self.config.schema, &record.payload);
            batch.report.unparsable += u64::from(!parsed);
            let key: Key = self
                .dedup_columns
                .iter()
                .map(|&i| values[i].clone())
                .collect();
            if self.silver_keys.contains(&key) || !batch.keys.insert(key) {
                batch.report.duplicates += 1;
                continue;
            }
            let row = SilverRow {
                offset: record.offset,
                values,
            };
            self.apply_expectations(row, &mut batch)?;
        }
        batch.report.written = batch.written.len() as u64;
        batch.report.dropped = batch.dropped.len() as u64;
        Ok(batch)
    }

    /// Evaluates every expectation on a row and files it as written or dropped, or fails.
    fn apply_expectations(&self, row: SilverRow, batch: &mut Batch) -> Result<(), UpdateFailure> {
        let mut violated = Vec::new();
        let mut drop = false;
        for (index, (bound, expectation)) in
            self.bound.iter().zip(&self.config.expectations).enumerate()
        {
            let metrics = &mut batch.report.expectations[index];
            match bound.check(&row.values) {
                Verdict::Pass => metrics.passed += 1,
                Verdict::Unknown => {
                    metrics.passed += 1;
                    metrics.unknown += 1;
                }
                Verdict::Fail => {
                    metrics.failed += 1;
                    match expectation.action {
                        Action::Warn => {}
                        Action::Drop => {
                            metrics.dropped += 1;
                            drop = true;
                        }
                        Action::Fail => return Err(self.failure(expectation, &row)),
                    }
                    violated.push(expectation.name.clone());
                }
            }
        }
        if drop {
            batch.dropped.push(DroppedRow { row, violated });
        } else {
            batch.written.push(row);
        }
        Ok(())
    }

    /// The failure a `fail` expectation raises on `row`.
    fn failure(&self, expectation: &Expectation, row: &SilverRow) -> UpdateFailure {
        let rendered = render_row(&self.config.schema, &row.values);
        UpdateFailure {
            expectation: expectation.name.clone(),
            offset: row.offset,
            error: StreamError::new(
                format!(
                    "update failed: bronze record {} violates expectation \"{}\" ({}): {rendered}",
                    row.offset,
                    expectation.name,
                    expectation.condition.to_sql()
                ),
                "nothing of this update was written; fix the data or change the expectation's \
                 action to warn or drop, then run the update again",
            ),
            row: rendered,
        }
    }

    /// Writes a computed update: silver rows, their keys, gold, metrics, dropped rows, checkpoint.
    fn commit(&mut self, batch: &Batch) {
        for row in &batch.written {
            self.add_to_gold(&row.values);
        }
        self.silver.extend(batch.written.iter().cloned());
        self.silver_keys.extend(batch.keys.iter().cloned());
        for (total, update) in self.metrics.iter_mut().zip(&batch.report.expectations) {
            total.passed += update.passed;
            total.failed += update.failed;
            total.dropped += update.dropped;
            total.unknown += update.unknown;
        }
        for dropped in &batch.dropped {
            if self.dropped.len() == self.config.dropped_rows_kept {
                self.dropped.pop_front();
            }
            if self.config.dropped_rows_kept > 0 {
                self.dropped.push_back(dropped.clone());
            }
        }
        let t = &mut self.totals;
        t.bronze_read += batch.report.bronze_read;
        t.unparsable += batch.report.unparsable;
        t.duplicates += batch.report.duplicates;
        t.written += batch.report.written;
        t.dropped += batch.report.dropped;
        self.checkpoint = self.next_offset().max(self.checkpoint);
        self.updates += 1;
    }

    /// Adds a silver row to its gold group.
    fn add_to_gold(&mut self, values: &[StreamValue]) {
        let key = values[self.group_column].clone();
        let addend = &values[self.sum_column];
        let group = self.gold.entry(key.clone()).or_insert(GoldRow {
            key,
            rows: 0,
            total: StreamValue::Null,
        });
        group.rows += 1;
        group.total = add(&group.total, addend);
    }
}

/// SQL's `sum` step: NULLs are skipped, integers stay integers (saturating), floats widen.
fn add(total: &StreamValue, addend: &StreamValue) -> StreamValue {
    match (total, addend) {
        (_, StreamValue::Null) => total.clone(),
        (StreamValue::Null, value) => value.clone(),
        (StreamValue::Int(a), StreamValue::Int(b)) => StreamValue::Int(a.saturating_add(*b)),
        (a, b) => StreamValue::Float(a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)),
    }
}

/// An update computed but not yet written.
struct Batch {
    report: UpdateReport,
    written: Vec<SilverRow>,
    dropped: Vec<DroppedRow>,
    keys: BTreeSet<Key>,
}

/// Reads a payload into the schema's columns; false when it was not a JSON object (every column
/// NULL then). A missing, `null` or mistyped field is NULL.
fn parse_payload(schema: &[Column], payload: &str) -> (Vec<StreamValue>, bool) {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(payload)
    else {
        return (vec![StreamValue::Null; schema.len()], false);
    };
    let values = schema
        .iter()
        .map(|column| {
            object
                .get(&column.name)
                .map_or(StreamValue::Null, |v| typed(column.ty, v))
        })
        .collect();
    (values, true)
}

/// A JSON value as a column's type, or NULL when it does not fit.
fn typed(ty: ColumnType, value: &serde_json::Value) -> StreamValue {
    let converted = match ty {
        ColumnType::Int => value.as_i64().map(StreamValue::Int),
        ColumnType::Float => value.as_f64().map(StreamValue::Float),
        ColumnType::Text => value.as_str().map(StreamValue::text),
        ColumnType::Time => value
            .as_str()
            .and_then(TimeUs::parse)
            .map(StreamValue::Time),
    };
    converted.unwrap_or(StreamValue::Null)
}

/// A row as `{name: value, ...}`, text quoted.
fn render_row(schema: &[Column], values: &[StreamValue]) -> String {
    let mut out = String::from("{");
    for (i, (column, value)) in schema.iter().zip(values).enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        let shown = match value {
            StreamValue::Text(_) => sql(value),
            other => other.to_string(),
        };
        let _ = write!(out, "{separator}{}: {shown}", column.name);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests;
