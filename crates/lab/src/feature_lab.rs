//! The feature store in the lab: its steps (the lesson language's feature-store lines), how the
//! journal and the trace tell its commands and events, the `features.FIELD` goal metrics, and
//! its sample data as SQL tables (so `ASOF JOIN` lessons query the same rows the store joins).
//!
//! ```text
//! entities ride_labels                       # build training sets for these entity rows
//! request service=driver_activity            # or: request VIEW:FEATURE,VIEW:FEATURE
//! join latest-value                          # the naive join; join point-in-time is the default
//! cutoff on                                  # only rows created by each entity row's time
//! full-names on                              # name columns VIEW__FEATURE
//! ttl driver_hourly_stats 2h                 # 30s, 10m, 2h, 3d, or none (unbounded)
//! write-policy event-time-guarded            # or last-write-wins (the default)
//! online-ttl on                              # online reads mark values older than the TTL
//! materialize 2024-03-01 2024-03-08 views=driver_hourly_stats
//! materialize-incremental 2024-03-09T06:00
//! read-online 1001 at=2024-03-09T10:00       # the request's key values, comma-separated
//! serve 2024-03-11 2024-03-15 every=1h       # serve the entity rows of those days online
//! ```

use crate::metric::{field, things, Field, Unit, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;
use features::model::{FeatureError, FeatureRef};
use features::online::WritePolicy;
use features::skew::{SkewCause, Verdict};
use features::store::command::{FeatureCommand, FeatureEvent, JoinKind};
use features::store::FeatureStore;
use features::value::{DurationUs, FeatureValue, TimestampUs, US_PER_SECOND};
use sql::Table;
use std::collections::BTreeMap;

/// SQL tables with their names.
pub type NamedTables = Vec<(String, Table)>;

/// The feature store's sample tables (view sources and entity rows) as SQL tables. The sample
/// world never changes, so they are converted once per thread and cloned from there: a SQL lesson
/// registers them again at every run and every move of the cursor.
pub fn sql_tables(store: &FeatureStore) -> NamedTables {
    thread_local! {
        /// The tables converted last, and the address of the world they came from.
        static CONVERTED: std::cell::RefCell<Option<(usize, NamedTables)>> =
            const { std::cell::RefCell::new(None) };
    }
    let world = std::ptr::from_ref(store.world()) as usize;
    CONVERTED.with(|converted| {
        let mut converted = converted.borrow_mut();
        match &*converted {
            Some((key, tables)) if *key == world => tables.clone(),
            _ => {
                let tables: NamedTables = store
                    .world()
                    .tables()
                    .iter()
                    .map(|table| {
                        (
                            table.name.clone(),
                            crate::feature_sources::sample_table(table),
                        )
                    })
                    .collect();
                *converted = Some((world, tables.clone()));
                tables
            }
        }
    })
}

/// The command that adds entity rows pasted as CSV (with an `event_timestamp` column) under
/// `name`: the CSV is read by the SQL engine's reader and typed as the CLI types entity files.
pub fn entity_rows_from_csv(name: &str, csv: &str) -> Result<FeatureCommand, FeatureError> {
    let table = sql::csv::from_csv(csv.as_bytes()).map_err(|e| {
        FeatureError::new(
            format!("the CSV does not read: {e}"),
            "paste a header line, then one row per line",
        )
    })?;
    let lines = crate::feature_sources::csv_record_lines(csv);
    let frame = crate::feature_sources::entity_frame(crate::feature_sources::NamedTable {
        table: &table,
        name,
        lines: Some(&lines),
    })?;
    Ok(FeatureCommand::AddEntities {
        name: name.to_string(),
        frame,
    })
}

/// The command that adds a feature view pasted as CSV: keyed by `entity`'s join keys, timed by
/// its `event_timestamp` column (and `created`, if present), every other column a feature typed
/// from what the CSV reader infers.
pub fn view_from_csv(
    store: &FeatureStore,
    name: &str,
    entity: &str,
    ttl: Option<DurationUs>,
    csv: &str,
) -> Result<FeatureCommand, FeatureError> {
    use crate::feature_sources::{feast_type, view_rows, ENTITY_TIMESTAMP_COLUMN};
    use features::model::{FeatureDef, FeatureView, ViewSource};
    let table = sql::csv::from_csv(csv.as_bytes()).map_err(|e| {
        FeatureError::new(
            format!("the CSV does not read: {e}"),
            "paste a header line, then one row per line",
        )
    })?;
    let keys = store
        .repo()
        .entities
        .iter()
        .find(|e| e.name == entity)
        .map(|e| e.join_keys.clone())
        .ok_or_else(|| {
            FeatureError::new(
                format!("there is no entity `{entity}`"),
                "pick driver, customer or user",
            )
        })?;
    let created = table.column_index("created").map(|_| "created".to_string());
    let features = table
        .fields
        .iter()
        .filter(|f| {
            !keys.contains(&f.name)
                && f.name != ENTITY_TIMESTAMP_COLUMN
                && Some(&f.name) != created.as_ref()
        })
        .map(|f| {
            feast_type(f.data_type)
                .map(|dtype| FeatureDef {
                    name: f.name.clone(),
                    dtype,
                })
                .ok_or_else(|| {
                    FeatureError::new(
                        format!("column `{}` has no values to type", f.name),
                        "give it numbers, text, booleans or times",
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let view = FeatureView {
        name: name.to_string(),
        entities: vec![entity.to_string()],
        ttl,
        source: ViewSource {
            table: name.to_string(),
            timestamp_field: ENTITY_TIMESTAMP_COLUMN.to_string(),
            created_timestamp_column: created,
        },
        features,
    };
    let lines = crate::feature_sources::csv_record_lines(csv);
    let rows = view_rows(
        crate::feature_sources::NamedTable {
            table: &table,
            name,
            lines: Some(&lines),
        },
        store.repo(),
        &view,
    )?;
    let command = FeatureCommand::AddView { view, rows };
    store.validate(&command)?;
    Ok(command)
}

/// Parses a feature-store step, or `None` when `verb` is not one.
pub(crate) fn parse_step(
    verb: &str,
    words: &[&str],
    options: &BTreeMap<&str, &str>,
) -> Option<Result<Step, String>> {
    let option = |key: &str| options.get(key).copied();
    let word = |i: usize, what: &str| -> Result<&str, String> {
        words
            .get(i)
            .copied()
            .ok_or_else(|| format!("\"{verb}\" needs {what}"))
    };
    let command = (|| -> Result<FeatureCommand, String> {
        Ok(match verb {
            "entities" => FeatureCommand::UseEntities { frame: word(0, "the entity rows' name")?.to_string() },
            "request" => FeatureCommand::Request { features: requested(words, option("service"))? },
            "join" => FeatureCommand::SetJoin {
                join: match word(0, "point-in-time or latest-value")? {
                    "point-in-time" => JoinKind::PointInTime,
                    "latest-value" => JoinKind::LatestValue,
                    other => return Err(format!("\"{other}\" is not a join: use point-in-time or latest-value")),
                },
            },
            "cutoff" => FeatureCommand::SetCreatedCutoff { on: on_off(word(0, "on or off")?)? },
            "full-names" => FeatureCommand::SetFullFeatureNames { on: on_off(word(0, "on or off")?)? },
            "online-ttl" => FeatureCommand::SetOnlineTtl { enforce: on_off(word(0, "on or off")?)? },
            "ttl" => FeatureCommand::SetTtl {
                view: word(0, "a view")?.to_string(),
                ttl: parse_ttl(word(1, "a TTL such as 2h, or none")?)?,
            },
            "write-policy" => FeatureCommand::SetWritePolicy {
                policy: match word(0, "last-write-wins or event-time-guarded")? {
                    "last-write-wins" => WritePolicy::LastWriteWins,
                    "event-time-guarded" => WritePolicy::EventTimeGuarded,
                    other => return Err(format!("\"{other}\" is not a write policy: use last-write-wins or event-time-guarded")),
                },
            },
            "materialize" => FeatureCommand::Materialize {
                views: option("views").map_or_else(Vec::new, |v| v.split(',').map(str::to_string).collect()),
                start: timestamp(word(0, "a start time")?)?,
                end: timestamp(word(1, "an end time")?)?,
            },
            "materialize-incremental" => FeatureCommand::MaterializeIncremental { end: timestamp(word(0, "an end time")?)? },
            "read-online" => FeatureCommand::ReadOnline {
                keys: word(0, "the key values")?.split(',').map(key_value).collect(),
                at: timestamp(option("at").ok_or("read-online needs at=TIME")?)?,
            },
            "serve" => FeatureCommand::Serve {
                from: timestamp(word(0, "a start time")?)?,
                to: timestamp(word(1, "an end time")?)?,
                materialize_every: duration(option("every").ok_or("serve needs every=INTERVAL, such as every=1h")?)?,
            },
            _ => return Err(String::new()),
        })
    })();
    match command {
        Err(e) if e.is_empty() => None,
        Err(e) => Some(Err(e)),
        Ok(command) => {
            Some(check_shape(verb, words, options).map(|()| Step::Lab(Command::Features(command))))
        }
    }
}

/// Refuses options a feature step does not take, and words beyond its arguments.
fn check_shape(verb: &str, words: &[&str], options: &BTreeMap<&str, &str>) -> Result<(), String> {
    let (allowed, max_words): (&[&str], usize) = match verb {
        "request" => (&["service"], 1),
        "materialize" => (&["views"], 2),
        "read-online" => (&["at"], 1),
        "serve" => (&["every"], 2),
        "ttl" => (&[], 2),
        _ => (&[], 1),
    };
    if let Some(key) = options.keys().find(|k| !allowed.contains(k)) {
        return Err(format!("\"{verb}\" takes no option \"{key}\""));
    }
    if words.len() > max_words {
        return Err(format!(
            "too many words for \"{verb}\": \"{}\"",
            words[max_words..].join(" ")
        ));
    }
    Ok(())
}

/// `VIEW:FEATURE,...` or a feature service's features.
fn requested(words: &[&str], service: Option<&str>) -> Result<Vec<FeatureRef>, String> {
    if let Some(name) = service {
        let store = FeatureStore::new();
        let services = &store.repo().services;
        return services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.features.clone())
            .ok_or_else(|| {
                let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                format!(
                    "there is no feature service \"{name}\" ({})",
                    names.join(", ")
                )
            });
    }
    let list = words
        .first()
        .ok_or("request needs VIEW:FEATURE,... or service=NAME")?;
    list.split(',')
        .map(|text| FeatureRef::parse(text).map_err(|e| e.to_string()))
        .collect()
}

fn on_off(word: &str) -> Result<bool, String> {
    match word {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("\"{other}\" is neither on nor off")),
    }
}

/// A TTL as the steps and the definitions widget write it: a duration, or `none` (unbounded).
pub fn parse_ttl(text: &str) -> Result<Option<DurationUs>, String> {
    match text.trim() {
        "none" => Ok(None),
        text => duration(text).map(Some),
    }
}

/// `30s`, `10m`, `2h`, `3d`.
fn duration(text: &str) -> Result<DurationUs, String> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 && seconds_per > 0 && n <= 366 * 86_400 / seconds_per => {
            Ok(DurationUs(n * seconds_per * US_PER_SECOND))
        }
        _ => Err(format!(
            "\"{text}\" is not a duration: write 30s, 10m, 2h or 3d"
        )),
    }
}

fn timestamp(text: &str) -> Result<TimestampUs, String> {
    TimestampUs::parse(text)
        .ok_or_else(|| format!("\"{text}\" is not a time: write 2024-03-05 or 2024-03-05T10:30"))
}

/// A key value: an integer when it reads as one, else text.
pub fn key_value(text: &str) -> FeatureValue {
    text.parse::<i64>()
        .map_or_else(|_| FeatureValue::text(text), FeatureValue::Int)
}

/// A duration as the steps write it.
pub fn format_duration(duration: DurationUs) -> String {
    let seconds = duration.0 / US_PER_SECOND;
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A feature-store command as the journal lists it.
pub fn describe_command(command: &FeatureCommand) -> String {
    match command {
        FeatureCommand::UseEntities { frame } => {
            format!("Build training sets for the entity rows of {frame}")
        }
        FeatureCommand::Request { features } => {
            let names: Vec<String> = features.iter().map(ToString::to_string).collect();
            format!("Request {}", names.join(", "))
        }
        FeatureCommand::SetJoin { join } => format!("Join with the {} join", join.name()),
        FeatureCommand::SetCreatedCutoff { on } => {
            format!("Created-time cutoff {}", if *on { "on" } else { "off" })
        }
        FeatureCommand::SetFullFeatureNames { on } => {
            format!("Full feature names {}", if *on { "on" } else { "off" })
        }
        FeatureCommand::SetTtl {
            view,
            ttl: Some(ttl),
        } => format!("Set the TTL of {view} to {}", format_duration(*ttl)),
        FeatureCommand::SetTtl { view, ttl: None } => format!("Make the TTL of {view} unbounded"),
        FeatureCommand::SetWritePolicy { policy } => format!("Online writes: {}", policy.label()),
        FeatureCommand::SetOnlineTtl { enforce } => {
            format!(
                "Online reads {} the TTL",
                if *enforce { "enforce" } else { "ignore" }
            )
        }
        FeatureCommand::Materialize { views, start, end } => format!(
            "Materialize {} from {} to {}",
            if views.is_empty() {
                "every view".to_string()
            } else {
                views.join(", ")
            },
            start.format(),
            end.format()
        ),
        FeatureCommand::MaterializeIncremental { end } => {
            format!("Materialize incrementally up to {}", end.format())
        }
        FeatureCommand::ReadOnline { keys, at } => {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            format!("Read key {} online at {}", keys.join(", "), at.format())
        }
        FeatureCommand::AddEntities { name, frame } => {
            format!("Add {} entity rows of your own as {name}", frame.rows.len())
        }
        FeatureCommand::AddView { view, rows } => format!(
            "Add the feature view {} ({} rows) of your own",
            view.name,
            rows.rows.len()
        ),
        FeatureCommand::Serve {
            from,
            to,
            materialize_every,
        } => format!(
            "Serve the entity rows from {} to {} online, materializing every {}",
            from.format(),
            to.format(),
            format_duration(*materialize_every)
        ),
    }
}

/// A feature-store event as the trace tells it.
pub fn describe_event(event: &FeatureEvent) -> String {
    match event {
        FeatureEvent::EntitiesChosen { frame, rows } => format!("{rows} entity rows from {frame}"),
        FeatureEvent::FeaturesRequested { count } => format!("{count} features requested"),
        FeatureEvent::JoinChosen { join } => format!("training sets use the {} join", join.name()),
        FeatureEvent::CreatedCutoffSet { on } => format!("created-time cutoff {}", if *on { "on" } else { "off" }),
        FeatureEvent::FullFeatureNamesSet { on } => format!("full feature names {}", if *on { "on" } else { "off" }),
        FeatureEvent::TtlChanged { view, from, to } => {
            let ttl = |d: &Option<DurationUs>| d.map_or("unbounded".to_string(), format_duration);
            format!("TTL of {view}: {} → {}", ttl(from), ttl(to))
        }
        FeatureEvent::WritePolicyChosen { policy } => format!("online writes: {}", policy.label()),
        FeatureEvent::OnlineTtlSet { enforce } => {
            format!("online reads {} the TTL", if *enforce { "enforce" } else { "ignore" })
        }
        FeatureEvent::Materialized { views, rows_written, writes_skipped } => format!(
            "materialized {views} view(s): {rows_written} key(s) written, {writes_skipped} skipped by the event-time guard"
        ),
        FeatureEvent::ReadOnline { present, not_found, outside_max_age } => {
            format!("online read: {present} present, {not_found} not found, {outside_max_age} outside max age")
        }
        FeatureEvent::EntitiesAdded { name, rows } => format!("{rows} entity rows added as {name}"),
        FeatureEvent::ViewAdded { name, rows } => format!("feature view {name} added with {rows} rows"),
        FeatureEvent::Served { reads, materializations, rows_written } => format!(
            "served {reads} requests online; {materializations} materialization runs wrote {rows_written} key(s)"
        ),
    }
}

/// Fields of `features.FIELD`.
pub const FEATURE_FIELDS: &[Field] = &[
    field("rows", things("the training set", "row", "rows")),
    field(
        "future_values",
        things(
            "values in the training set from after their entity row's time",
            "value",
            "values",
        ),
    ),
    field(
        "unknown_yet_values",
        things(
            "values in the training set written after their entity row's time",
            "value",
            "values",
        ),
    ),
    field(
        "null_no_key",
        things(
            "NULLs because the key has no rows in the view",
            "NULL",
            "NULLs",
        ),
    ),
    field(
        "null_nothing_before",
        things(
            "NULLs because the view has nothing before the entity row",
            "NULL",
            "NULLs",
        ),
    ),
    field(
        "null_expired",
        things(
            "NULLs because the latest row is older than the TTL",
            "NULL",
            "NULLs",
        ),
    ),
    field(
        "null_not_known_yet",
        things(
            "NULLs because no row was written by the entity row's time",
            "NULL",
            "NULLs",
        ),
    ),
    field(
        "offline_auc",
        Words::Level {
            noun: "the offline AUC",
            unit: Unit::Permille,
        },
    ),
    field(
        "later_auc",
        Words::Level {
            noun: "the AUC on later data",
            unit: Unit::Permille,
        },
    ),
    field(
        "auc_gap",
        Words::Level {
            noun: "offline AUC minus AUC on later data",
            unit: Unit::Permille,
        },
    ),
    field(
        "point_in_time",
        Words::Flag {
            yes: "training uses the point-in-time join",
            no: "training uses the naive latest-value join",
        },
    ),
    field(
        "cutoff",
        Words::Flag {
            yes: "the created-time cutoff is on",
            no: "the created-time cutoff is off",
        },
    ),
    field(
        "online_ttl",
        Words::Flag {
            yes: "online reads enforce the TTL",
            no: "online reads ignore the TTL, as Feast's do",
        },
    ),
    field(
        "guarded",
        Words::Flag {
            yes: "online writes are event-time guarded",
            no: "online writes: last write wins",
        },
    ),
    field(
        "materializations",
        things("materialization runs", "run", "runs"),
    ),
    field(
        "rows_written",
        things("keys written to the online store", "key", "keys"),
    ),
    field("reads", things("online reads logged", "read", "reads")),
    field(
        "outside_max_age",
        things("online values marked outside max age", "value", "values"),
    ),
    field(
        "not_found",
        things("online values not found", "value", "values"),
    ),
    field(
        "stale_served",
        things(
            "online values served although older than the TTL",
            "value",
            "values",
        ),
    ),
    field(
        "served_age_max_minutes",
        things(
            "the oldest value served online, in minutes",
            "minute",
            "minutes",
        ),
    ),
    field(
        "skewed",
        things(
            "served values that differ from the point-in-time value",
            "value",
            "values",
        ),
    ),
    field(
        "compared",
        things(
            "served values compared with the point-in-time join",
            "value",
            "values",
        ),
    ),
    field(
        "skewed_lag",
        things(
            "served values that differ because newer rows were not materialized yet",
            "value",
            "values",
        ),
    ),
    field(
        "skewed_not_materialized",
        things(
            "served values missing online although the offline join has one",
            "value",
            "values",
        ),
    ),
    field(
        "skewed_ttl",
        things(
            "served values that differ because the online store ignored the TTL",
            "value",
            "values",
        ),
    ),
    field(
        "last_serve_skewed",
        things(
            "values served by the latest serve that differ from the point-in-time value",
            "value",
            "values",
        ),
    ),
    field(
        "last_serve_compared",
        things(
            "values served by the latest serve, compared with the point-in-time join",
            "value",
            "values",
        ),
    ),
    field(
        "older_over_newer",
        things(
            "online keys holding an older value than one written before it",
            "key",
            "keys",
        ),
    ),
    field(
        "writes_skipped",
        things(
            "online writes the event-time guard refused",
            "write",
            "writes",
        ),
    ),
];

/// `features.FIELD` of the lab, or `None` in a lab without a feature store.
pub fn feature_value(lab: &Lab, field: &str) -> Option<i64> {
    let store = lab.features()?;
    let derived = store.derived();
    let counts = derived.counts;
    let auc = |pick: fn(&features::evaluate::Evaluation) -> f64| -> Option<i64> {
        let evaluation = derived.evaluation.as_ref()?.as_ref().ok()?;
        Some((pick(evaluation) * 1000.0).round() as i64)
    };
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Some(match field {
        "rows" => n(counts.rows),
        "future_values" => n(counts.future_values),
        "unknown_yet_values" => n(counts.unknown_yet_values),
        "null_no_key" => n(counts.null_no_key),
        "null_nothing_before" => n(counts.null_nothing_before),
        "null_expired" => n(counts.null_expired),
        "null_not_known_yet" => n(counts.null_not_known_yet),
        "offline_auc" => auc(|e| e.offline_auc)?,
        "later_auc" => auc(|e| e.later_auc)?,
        "auc_gap" => auc(|e| e.offline_auc - e.later_auc)?,
        "point_in_time" => i64::from(store.is_point_in_time()),
        "cutoff" => i64::from(store.options().created_cutoff),
        "online_ttl" => i64::from(store.enforce_ttl_online()),
        "guarded" => i64::from(store.online().policy() == WritePolicy::EventTimeGuarded),
        "materializations" => n(counts.materializations),
        "rows_written" => n(counts.rows_written),
        "reads" => n(counts.reads),
        "outside_max_age" => n(counts.reads_outside_max_age),
        "not_found" => n(counts.reads_not_found),
        "stale_served" => n(counts.stale_served),
        "served_age_max_minutes" => n(counts.served_age_max_minutes),
        "skewed" => n(counts.skewed_values),
        "compared" => n(counts.compared_values),
        "skewed_lag" => n(skewed_by(store, SkewCause::MaterializationLag)),
        "skewed_not_materialized" => n(skewed_by(store, SkewCause::NotMaterialized)),
        "skewed_ttl" => n(skewed_by(store, SkewCause::TtlNotEnforced)),
        "last_serve_skewed" => n(last_serve_comparisons(lab, store).0),
        "last_serve_compared" => n(last_serve_comparisons(lab, store).1),
        "older_over_newer" => n(keys_older_than_overwritten(store)),
        "writes_skipped" => n(writes_skipped(store)),
        _ => return None,
    })
}

/// Served values the skew report puts down to `cause`.
fn skewed_by(store: &FeatureStore, cause: SkewCause) -> u64 {
    store.derived().skew.as_ref().map_or(0, |report| {
        report
            .comparisons
            .iter()
            .filter(|c| c.verdict == Verdict::Differs(cause))
            .count() as u64
    })
}

/// (skewed, compared) values among the reads of the latest `serve`: its requests are the last
/// ones logged, before any single reads made after it.
fn last_serve_comparisons(lab: &Lab, store: &FeatureStore) -> (u64, u64) {
    let mut reads_after = 0u64;
    let mut serve_reads = None;
    for traced in lab.trace().rev() {
        match &traced.event {
            crate::state::Event::Features(FeatureEvent::ReadOnline { .. }) => reads_after += 1,
            crate::state::Event::Features(FeatureEvent::Served { reads, .. }) => {
                serve_reads = Some(*reads);
                break;
            }
            _ => {}
        }
    }
    let (Some(reads), Ok(report)) = (serve_reads, &store.derived().skew) else {
        return (0, 0);
    };
    let Some(next_request) = store.online().log().entries().map(|e| e.request + 1).max() else {
        return (0, 0);
    };
    let end = next_request.saturating_sub(reads_after);
    let first = end.saturating_sub(reads);
    let of_serve: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| (first..end).contains(&c.request))
        .collect();
    let skewed = of_serve
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Differs(_)))
        .count();
    (skewed as u64, of_serve.len() as u64)
}

/// Online keys whose stored value is older than a value a write stored for them before: what a
/// last-write-wins store is left with after an older interval is materialized over a newer one.
fn keys_older_than_overwritten(store: &FeatureStore) -> u64 {
    store
        .repo()
        .views
        .iter()
        .filter_map(|view| store.online().table(&view.name))
        .flat_map(|table| table.rows.values())
        .filter(|row| row.event_ts < row.newest_written_ts)
        .count() as u64
}

/// Writes the event-time guard refused, over the materialization runs the store remembers.
fn writes_skipped(store: &FeatureStore) -> u64 {
    store
        .online()
        .runs()
        .iter()
        .flat_map(|run| &run.views)
        .map(|view| view.keys_skipped)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LabConfig, Preset};
    use crate::steps::parse_steps;

    fn lab() -> Lab {
        Lab::new(&LabConfig {
            preset: Preset::FeatureStore,
            ..LabConfig::default()
        })
    }

    fn run(lab: &mut Lab, text: &str) {
        for step in parse_steps(text).unwrap() {
            let Step::Lab(command) = step else {
                panic!("{step:?}")
            };
            lab.apply(&command)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn every_field_has_a_value_in_the_feature_store_lab() {
        let lab = lab();
        for field in FEATURE_FIELDS {
            assert!(feature_value(&lab, field.name).is_some(), "{}", field.name);
        }
        assert_eq!(
            feature_value(&Lab::new(&LabConfig::default()), "rows"),
            None
        );
    }

    #[test]
    fn the_naive_join_leaks_and_the_point_in_time_join_does_not() {
        let mut lab = lab();
        assert_eq!(feature_value(&lab, "future_values"), Some(0));
        let pit_gap = feature_value(&lab, "auc_gap").unwrap();
        run(&mut lab, "join latest-value");
        assert!(feature_value(&lab, "future_values").unwrap() > 1000);
        let naive_gap = feature_value(&lab, "auc_gap").unwrap();
        assert!(
            naive_gap >= pit_gap + 100,
            "naive {naive_gap} vs point-in-time {pit_gap}"
        );
    }

    #[test]
    fn steps_drive_materialization_serving_and_the_skew_report() {
        let mut lab = lab();
        run(&mut lab, "serve 2024-03-11 2024-03-12 every=1d");
        let reads = feature_value(&lab, "reads").unwrap();
        assert!(reads > 0);
        assert!(feature_value(&lab, "materializations").unwrap() >= 1);
        assert!(feature_value(&lab, "compared").unwrap() > 0);
        let daily = feature_value(&lab, "served_age_max_minutes").unwrap();
        let mut hourly = self::lab();
        run(&mut hourly, "serve 2024-03-11 2024-03-12 every=1h");
        assert!(feature_value(&hourly, "served_age_max_minutes").unwrap() < daily);
        assert!(
            feature_value(&hourly, "materializations").unwrap()
                > feature_value(&lab, "materializations").unwrap()
        );
    }

    #[test]
    fn bad_steps_say_what_to_write() {
        for (text, needle) in [
            ("ttl driver_hourly_stats 2x", "not a duration"),
            ("join sideways", "not a join"),
            ("cutoff maybe", "neither on nor off"),
            ("serve 2024-03-11 2024-03-12", "every="),
            ("request service=nope", "no feature service"),
            ("materialize yesterday 2024-03-12", "not a time"),
        ] {
            let error = parse_steps(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn pasted_entity_rows_become_a_frame_training_sets_use() {
        let mut lab = lab();
        let csv = "driver_id,event_timestamp,note\n1001,2024-03-05 10:00:00,a\n1002,2024-03-06 11:30:00,b\n";
        let command = entity_rows_from_csv("mine", csv).unwrap();
        lab.apply(&Command::Features(command)).unwrap();
        run(&mut lab, "entities mine");
        assert_eq!(feature_value(&lab, "rows"), Some(2));
        let bad = entity_rows_from_csv("mine", "driver_id,event_timestamp\n1001,yesterday\n")
            .unwrap_err();
        assert!(bad.message.contains("mine line 2"), "{bad}");
        assert!(entity_rows_from_csv("mine", "driver_id\n1\n").is_err());
    }

    #[test]
    fn a_pasted_view_joins_like_the_samples() {
        let mut lab = lab();
        let csv = "driver_id,event_timestamp,created,rating,tier\n1767,2024-03-01 05:00:00,2024-03-01 05:00:00,4.5,gold\n1767,2024-03-01 06:00:00,,4.75,gold\n";
        let store = lab.features().unwrap();
        let command = view_from_csv(
            store,
            "ratings",
            "driver",
            Some(DurationUs(3_600 * US_PER_SECOND)),
            csv,
        )
        .unwrap();
        lab.apply(&Command::Features(command)).unwrap();
        run(&mut lab, "request ratings:rating,ratings:tier");
        let derived = lab.features().unwrap().derived();
        let set = derived.training.as_ref().unwrap();
        // Ride 1 (driver 1767 at 06:02:50) gets the 06:00 rating; ride 5 (06:21) too.
        assert_eq!(set.rows[0].last(), Some(&FeatureValue::text("gold")));
        assert_eq!(
            set.rows[0][set.rows[0].len() - 2],
            FeatureValue::Float(4.75)
        );
        let store = lab.features().unwrap();
        let again = view_from_csv(store, "ratings", "driver", None, csv).unwrap_err();
        assert!(again.message.contains("ratings"), "{again}");
        let bad = view_from_csv(
            store,
            "other",
            "driver",
            None,
            "driver_id,event_timestamp,x\n1,noon,2\n",
        )
        .unwrap_err();
        assert!(bad.message.contains("other line 2"), "{bad}");
    }

    #[test]
    fn every_command_is_described() {
        let mut lab = lab();
        run(&mut lab, "ttl driver_hourly_stats 2h\nmaterialize 2024-03-01 2024-03-08\nread-online 1001 at=2024-03-09T10:00");
        for traced in lab.trace() {
            if let crate::state::Event::Features(event) = &traced.event {
                assert!(!describe_event(event).is_empty());
            }
        }
        assert_eq!(format_duration(DurationUs(2 * 3_600 * US_PER_SECOND)), "2h");
    }
}
