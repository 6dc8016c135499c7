//! `lab features historical`: builds a training set with Feast's point-in-time join from a
//! repository file, an entity CSV and feature references, and prints it the way `lab sql`
//! prints a query's result.

use crate::args::{format_value, parse_flags, FlagSpec, Operands};
use crate::sql_cmd::describe;
use crate::sql_format::{render, Format};
use lab::feature_sources::{
    check_join_keys, csv_record_lines, entity_frame, training_table, view_rows, NamedTable,
};
use lab::features::historical::{get_historical_features, HistoricalOptions};
use lab::features::model::{FeatureError, FeatureRef, FeatureRepo, ViewRows};
use lab::features::repo_file::parse_repo;
use lab::sql::csv::from_csv;
use lab::sql::{Outcome, QueryResult, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const HELP: &str = "\
usage: lab features historical --repo REPO.json --entities ENTITIES.csv
           --features VIEW:FEATURE[,VIEW:FEATURE...] [--full-feature-names] [--created-cutoff]
           [--format table|csv|json]

Builds a training set as Feast's get_historical_features does: one output row per entity row,
in file order; per feature view, the latest source row with the entity row's join keys and an
event time at or before the row's event_timestamp, and no older than the view's TTL; ties go to
the later created time, then the later row in the file. No such row: NULL.

  --repo REPO.json        the feature repository:
                          {\"entities\": [{\"name\", \"join_keys\": [...]}],
                           \"feature_views\": [{\"name\", \"entities\": [...], \"ttl_seconds\",
                             \"source\": {\"path\", \"timestamp_field\", \"created_timestamp_column\"},
                             \"features\": [{\"name\", \"dtype\"}]}]}
                          ttl_seconds 0 or absent = no limit; dtype one of Int64, Float64,
                          String, Bool, UnixTimestamp; source paths are CSV files relative to
                          REPO.json
  --entities FILE.csv     the entity rows: the join keys, an event_timestamp column, and any
                          other columns (kept in the output)
  --features LIST         VIEW:FEATURE references, separated by commas
  --full-feature-names    name feature columns VIEW__FEATURE (otherwise FEATURE; two views
                          with a feature of the same name are then an error)
  --created-cutoff        skip a source row created after the entity row's time (a late
                          correction not yet known then); a row without a created time counts
                          as known from its event time
  --format table|csv|json as lab sql prints a result (the default: table)

Timestamps: YYYY-MM-DD[ HH:MM[:SS[.ffffff]]] (UTC), ISO 8601 with Z or an offset, or Unix
seconds. An empty field is NULL.

Exit status: 0 with the training set; 1 for bad input (an unknown view or feature, a missing
column, an unparsable timestamp, a name collision), naming the file and line or the field;
2 for a usage error (an unknown option, a file that cannot be read).";

/// Why the command stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Bad arguments or an unreadable file: one line, exit code 2.
    Usage(String),
    /// Bad input: the message and its hint, exit code 1.
    Invalid(String),
}

/// What the arguments ask for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    repo: Option<String>,
    entities: Option<String>,
    features: Vec<String>,
    full_feature_names: bool,
    created_cutoff: bool,
    format: Option<Format>,
    help: bool,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

fn invalid(context: &str, error: FeatureError) -> Failure {
    Failure::Invalid(format!("{context}{}\nhint: {}", error.message, error.hint))
}

/// `lab features historical`'s flags.
const FLAGS: FlagSpec = FlagSpec {
    flags: &[
        ("--repo", Some("a REPO.json file")),
        ("--entities", Some("an ENTITIES.csv file")),
        ("--features", Some("VIEW:FEATURE references")),
        ("--full-feature-names", None),
        ("--created-cutoff", None),
        ("--format", Some("table, csv or json")),
    ],
    operands: Operands::Refused,
    help_ends_reading: false,
    help_word: false,
    unknown: |arg| {
        format!(
            "unknown argument {} (see lab features historical --help)",
            arg.flag
        )
    },
};

fn parse_args(args: &[String]) -> Result<Options, Failure> {
    let flags = parse_flags(args, &FLAGS).map_err(usage)?;
    Ok(Options {
        repo: flags.value("--repo").map(str::to_string),
        entities: flags.value("--entities").map(str::to_string),
        features: flags
            .values("--features")
            .flat_map(|list| list.split(',').map(|s| s.trim().to_string()))
            .collect(),
        full_feature_names: flags.is_set("--full-feature-names"),
        created_cutoff: flags.is_set("--created-cutoff"),
        format: flags.parsed("--format", format_value).map_err(usage)?,
        help: flags.help,
    })
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

/// A CSV file as a table and the line each of its rows starts on.
fn read_csv(path: &Path) -> Result<(Table, Vec<usize>), Failure> {
    let text = read(path)?;
    let table = from_csv(text.as_bytes())
        .map_err(|e| Failure::Invalid(format!("{}: {}", path.display(), describe(&e, ""))))?;
    Ok((table, csv_record_lines(&text)))
}

/// The references of `--features`, each naming a view and a feature of the repository, and the
/// indices of the views they name, in first-reference order.
fn feature_refs(
    texts: &[String],
    repo: &FeatureRepo,
    repo_name: &str,
) -> Result<(Vec<FeatureRef>, Vec<usize>), Failure> {
    if texts.iter().all(|t| t.is_empty()) {
        return Err(usage(
            "--features needs VIEW:FEATURE references (see lab features historical --help)",
        ));
    }
    texts
        .iter()
        .map(|text| {
            let feature_ref = FeatureRef::parse(text).map_err(|e| invalid("--features: ", e))?;
            let Some(index) = repo.views.iter().position(|v| v.name == feature_ref.view) else {
                return Err(invalid(
                    "--features: ",
                    FeatureError::new(
                        format!("{repo_name} has no feature view \"{}\"", feature_ref.view),
                        lab::sim::text::did_you_mean(
                            &feature_ref.view,
                            repo.views.iter().map(|v| v.name.as_str()),
                        )
                        .unwrap_or_else(|| {
                            let names: Vec<&str> =
                                repo.views.iter().map(|v| v.name.as_str()).collect();
                            format!("its views are {}", names.join(", "))
                        }),
                    ),
                ));
            };
            let view = &repo.views[index];
            if !view.features.iter().any(|f| f.name == feature_ref.feature) {
                let names: Vec<&str> = view.features.iter().map(|f| f.name.as_str()).collect();
                return Err(invalid(
                    "--features: ",
                    FeatureError::new(
                        format!(
                            "view \"{}\" has no feature \"{}\"",
                            view.name, feature_ref.feature
                        ),
                        lab::sim::text::did_you_mean(&feature_ref.feature, names.iter().copied())
                            .unwrap_or_else(|| format!("its features are {}", names.join(", "))),
                    ),
                ));
            }
            Ok((feature_ref, index))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|pairs| {
            let mut views: Vec<usize> = Vec::new();
            for (_, index) in &pairs {
                if !views.contains(index) {
                    views.push(*index);
                }
            }
            (pairs.into_iter().map(|(r, _)| r).collect(), views)
        })
}

/// Runs `lab features ARGS`; returns its standard output.
pub fn run(args: &[String]) -> Result<String, Failure> {
    match args.first().map(String::as_str) {
        Some("historical") => historical(&args[1..]),
        Some("--help" | "-h" | "help") => Ok(format!("{HELP}\n")),
        Some(other) => Err(usage(format!(
            "unknown features command \"{other}\" (try lab features historical --help)"
        ))),
        None => Err(usage("lab features needs a command: historical")),
    }
}

fn historical(args: &[String]) -> Result<String, Failure> {
    let options = parse_args(args)?;
    if options.help {
        return Ok(format!("{HELP}\n"));
    }
    let repo_path = PathBuf::from(
        options
            .repo
            .ok_or_else(|| usage("--repo REPO.json is required"))?,
    );
    let entities_path = PathBuf::from(
        options
            .entities
            .ok_or_else(|| usage("--entities ENTITIES.csv is required"))?,
    );
    let repo_name = repo_path.display().to_string();
    let repo = parse_repo(&read(&repo_path)?).map_err(|e| invalid(&format!("{repo_name}: "), e))?;
    let (refs, view_indices) = feature_refs(&options.features, &repo, &repo_name)?;

    let entities_name = entities_path.display().to_string();
    let (entity_table, entity_lines) = read_csv(&entities_path)?;
    let entity_source = NamedTable {
        table: &entity_table,
        name: &entities_name,
        lines: Some(&entity_lines),
    };
    let frame = entity_frame(entity_source).map_err(|e| invalid("", e))?;

    // Each view's source, read once, relative to the repository file.
    let base = repo_path.parent().unwrap_or(Path::new(""));
    let mut sources: BTreeMap<String, ViewRows> = BTreeMap::new();
    for index in view_indices {
        let view = &repo.views[index];
        let path = base.join(&view.source.table);
        let name = path.display().to_string();
        let (table, lines) = read_csv(&path).map_err(|failure| match failure {
            Failure::Usage(message) => usage(format!(
                "{message} ({repo_name}: feature_views[{index}].source.path)"
            )),
            other => other,
        })?;
        let source = NamedTable {
            table: &table,
            name: &name,
            lines: Some(&lines),
        };
        check_join_keys(entity_source, source, &repo, view).map_err(|e| invalid("", e))?;
        let rows = view_rows(source, &repo, view).map_err(|e| invalid("", e))?;
        sources.insert(view.name.clone(), rows);
    }

    let historical_options = HistoricalOptions {
        full_feature_names: options.full_feature_names,
        created_cutoff: options.created_cutoff,
    };
    let set = get_historical_features(&repo, &sources, &frame, &refs, historical_options)
        .map_err(|e| invalid("", e))?;
    let outcome = Outcome::Rows(QueryResult {
        table: training_table(&set),
        trace: None,
        work: 0,
    });
    Ok(render(&[outcome], options.format.unwrap_or(Format::Table)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::argv as args;

    #[test]
    fn options_parse_in_both_spellings() {
        let o = parse_args(&args(&[
            "--repo",
            "r.json",
            "--entities=e.csv",
            "--features",
            "a:x, b:y",
            "--features=c:z",
            "--full-feature-names",
            "--created-cutoff",
            "--format=csv",
        ]))
        .unwrap();
        assert_eq!(o.repo.as_deref(), Some("r.json"));
        assert_eq!(o.entities.as_deref(), Some("e.csv"));
        assert_eq!(o.features, ["a:x", "b:y", "c:z"]);
        assert!(o.full_feature_names && o.created_cutoff);
        assert_eq!(o.format, Some(Format::Csv));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for (list, expected) in [
            (&["--format", "xml"][..], "table, csv or json"),
            (&["--repo"], "--repo needs"),
            (&["--bogus"], "unknown argument --bogus"),
            (&["--entities", "e.csv"], "--repo REPO.json is required"),
            (&["--repo", "r.json"], "--entities ENTITIES.csv is required"),
        ] {
            match historical(&args(list)) {
                Err(Failure::Usage(message)) => assert!(message.contains(expected), "{message}"),
                other => panic!("{list:?}: {other:?}"),
            }
        }
        assert!(matches!(run(&args(&["online"])), Err(Failure::Usage(_))));
        assert!(run(&args(&["historical", "--help"]))
            .unwrap()
            .contains("Exit status"));
    }
}
