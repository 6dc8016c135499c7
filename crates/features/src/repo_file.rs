//! A feature repository as a JSON file (`REPO.json`), the form `lab features historical` reads
//! and the lab page lets a learner edit.
//!
//! Feast keeps definitions in Python (`Entity`, `FeatureView`, `FileSource`, `Field`); this file
//! holds the same facts as data:
//!
//! ```json
//! {"entities": [{"name": "driver", "join_keys": ["driver_id"]}],
//!  "feature_views": [{"name": "driver_hourly_stats", "entities": ["driver"], "ttl_seconds": 86400,
//!    "source": {"path": "driver_stats.csv", "timestamp_field": "event_timestamp",
//!               "created_timestamp_column": "created"},
//!    "features": [{"name": "conv_rate", "dtype": "Float64"}]}],
//!  "feature_services": [{"name": "driver_activity", "features": ["driver_hourly_stats:conv_rate"]}]}
//! ```
//!
//! `ttl_seconds` 0 or absent is unbounded (Feast's `ttl=timedelta(0)`); `dtype` is one of Feast's
//! type names, spelled exactly; `feature_services` is optional. Every error names the field path
//! (`feature_views[1].features[0].dtype`), or the line and column of a JSON syntax error, and an
//! unknown key is refused (a misspelt `ttl_second` would otherwise silently mean "unbounded").

use crate::model::{
    Entity, FeatureDef, FeatureError, FeatureRef, FeatureRepo, FeatureService, FeatureView,
    ViewSource,
};
use crate::value::{Dtype, DurationUs, US_PER_SECOND};
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// Parses and validates a repository file.
pub fn parse_repo(json_text: &str) -> Result<FeatureRepo, FeatureError> {
    let root: Json = serde_json::from_str(json_text).map_err(|e| {
        let what = e.to_string();
        // serde_json ends its message with the position, which this message leads with.
        let what = what.split(" at line ").next().unwrap_or_default();
        FeatureError::new(
            format!(
                "the repository is not valid JSON (line {}, column {}): {what}",
                e.line(),
                e.column()
            ),
            "the file is one JSON object: {\"entities\": [...], \"feature_views\": [...]}",
        )
    })?;
    let root = object(&root, "the repository")?;
    known_keys(
        root,
        "the repository",
        &["entities", "feature_views", "feature_services"],
    )?;
    let entities = array(required(root, "entities", "the repository")?, "entities")?
        .iter()
        .enumerate()
        .map(|(i, e)| parse_entity(e, &format!("entities[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let views = array(
        required(root, "feature_views", "the repository")?,
        "feature_views",
    )?
    .iter()
    .enumerate()
    .map(|(i, v)| parse_view(v, &format!("feature_views[{i}]")))
    .collect::<Result<Vec<_>, _>>()?;
    let services = match root.get("feature_services") {
        None | Some(Json::Null) => Vec::new(),
        Some(list) => array(list, "feature_services")?
            .iter()
            .enumerate()
            .map(|(i, s)| parse_service(s, &format!("feature_services[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let repo = FeatureRepo {
        entities,
        views,
        services,
    };
    check_references(&repo)?;
    Ok(repo)
}

/// The repository as a JSON file, in the shape [`parse_repo`] reads (keys in the documented
/// order, two-space indentation), so `parse_repo(&to_json(r)) == r` for a repository whose TTLs
/// are whole seconds, the only ones the file holds (another is rounded up, never to "unbounded").
pub fn to_json(repo: &FeatureRepo) -> String {
    let quote = |s: &str| Json::from(s).to_string();
    let list = |items: Vec<String>, indent: &str| {
        if items.is_empty() {
            "[]".to_string()
        } else {
            format!(
                "[\n{indent}  {}\n{indent}]",
                items.join(&format!(",\n{indent}  "))
            )
        }
    };
    let entities: Vec<String> = repo
        .entities
        .iter()
        .map(|e| {
            let keys: Vec<String> = e.join_keys.iter().map(|k| quote(k)).collect();
            format!(
                "{{\"name\": {}, \"join_keys\": [{}]}}",
                quote(&e.name),
                keys.join(", ")
            )
        })
        .collect();
    let views: Vec<String> = repo
        .views
        .iter()
        .map(|v| {
            let entities: Vec<String> = v.entities.iter().map(|e| quote(e)).collect();
            let ttl_seconds = v
                .ttl
                .map_or(0, |ttl| ttl.0.div_euclid(US_PER_SECOND) + i64::from(ttl.0.rem_euclid(US_PER_SECOND) > 0));
            let created = v
                .source
                .created_timestamp_column
                .as_deref()
                .map(|c| format!(", \"created_timestamp_column\": {}", quote(c)))
                .unwrap_or_default();
            let features: Vec<String> = v
                .features
                .iter()
                .map(|f| {
                    format!(
                        "{{\"name\": {}, \"dtype\": {}}}",
                        quote(&f.name),
                        quote(f.dtype.name())
                    )
                })
                .collect();
            format!(
                "{{\n      \"name\": {},\n      \"entities\": [{}],\n      \"ttl_seconds\": {ttl_seconds},\n      \
                 \"source\": {{\"path\": {}, \"timestamp_field\": {}{created}}},\n      \"features\": {}\n    }}",
                quote(&v.name),
                entities.join(", "),
                quote(&v.source.table),
                quote(&v.source.timestamp_field),
                list(features, "      "),
            )
        })
        .collect();
    let mut out = format!(
        "{{\n  \"entities\": {},\n  \"feature_views\": {}",
        list(entities, "  "),
        list(views, "  ")
    );
    if !repo.services.is_empty() {
        let services: Vec<String> = repo
            .services
            .iter()
            .map(|s| {
                let refs: Vec<String> = s.features.iter().map(|r| quote(&r.to_string())).collect();
                format!(
                    "{{\"name\": {}, \"features\": [{}]}}",
                    quote(&s.name),
                    refs.join(", ")
                )
            })
            .collect();
        out.push_str(&format!(
            ",\n  \"feature_services\": {}",
            list(services, "  ")
        ));
    }
    out.push_str("\n}\n");
    out
}

fn invalid(path: &str, message: impl std::fmt::Display, hint: &str) -> FeatureError {
    FeatureError::new(format!("{path}: {message}"), hint)
}

fn object<'a>(value: &'a Json, path: &str) -> Result<&'a Map<String, Json>, FeatureError> {
    value
        .as_object()
        .ok_or_else(|| invalid(path, "must be a JSON object", "write {\"name\": ..., ...}"))
}

fn array<'a>(value: &'a Json, path: &str) -> Result<&'a Vec<Json>, FeatureError> {
    value
        .as_array()
        .ok_or_else(|| invalid(path, "must be a JSON array", "write [ ... ]"))
}

fn required<'a>(
    object: &'a Map<String, Json>,
    key: &str,
    path: &str,
) -> Result<&'a Json, FeatureError> {
    object.get(key).ok_or_else(|| {
        FeatureError::new(
            format!("{path} has no \"{key}\""),
            format!("add \"{key}\" (see the repository format in `lab features --help`)"),
        )
    })
}

/// Refuses keys the format does not have, suggesting the closest known one.
fn known_keys(object: &Map<String, Json>, path: &str, known: &[&str]) -> Result<(), FeatureError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(FeatureError::new(
            format!("{path} has an unknown key \"{key}\""),
            sim::text::did_you_mean(key, known.iter().copied())
                .unwrap_or_else(|| format!("the keys are {}", known.join(", "))),
        )),
    }
}

/// A non-empty string field.
fn name_at(object: &Map<String, Json>, key: &str, path: &str) -> Result<String, FeatureError> {
    match required(object, key, path)? {
        Json::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(invalid(
            &format!("{path}.{key}"),
            "must be a non-empty string",
            "write a name in double quotes",
        )),
    }
}

/// A non-empty list of distinct non-empty strings.
fn names_at(
    object: &Map<String, Json>,
    key: &str,
    path: &str,
) -> Result<Vec<String>, FeatureError> {
    let path = format!("{path}.{key}");
    let items = array(required(object, key, &path)?, &path)?;
    if items.is_empty() {
        return Err(invalid(
            &path,
            "must name at least one",
            "list one name or more",
        ));
    }
    let mut names = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Json::String(s) if !s.trim().is_empty() => {
                if names.contains(s) {
                    return Err(invalid(
                        &format!("{path}[{i}]"),
                        format!("\"{s}\" is listed twice"),
                        "list each name once",
                    ));
                }
                names.push(s.clone());
            }
            _ => {
                return Err(invalid(
                    &format!("{path}[{i}]"),
                    "must be a non-empty string",
                    "write a name in double quotes",
                ))
            }
        }
    }
    Ok(names)
}

fn parse_entity(value: &Json, path: &str) -> Result<Entity, FeatureError> {
    let object = object(value, path)?;
    known_keys(object, path, &["name", "join_keys"])?;
    Ok(Entity {
        name: name_at(object, "name", path)?,
        join_keys: names_at(object, "join_keys", path)?,
    })
}

fn parse_view(value: &Json, path: &str) -> Result<FeatureView, FeatureError> {
    let object = object(value, path)?;
    known_keys(
        object,
        path,
        &["name", "entities", "ttl_seconds", "source", "features"],
    )?;
    let features = {
        let path = format!("{path}.features");
        let items = array(required(object, "features", &path)?, &path)?;
        if items.is_empty() {
            return Err(invalid(
                &path,
                "must list at least one feature",
                "add {\"name\": ..., \"dtype\": ...}",
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, f)| parse_feature(f, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(FeatureView {
        name: name_at(object, "name", path)?,
        entities: names_at(object, "entities", path)?,
        ttl: parse_ttl(object.get("ttl_seconds"), &format!("{path}.ttl_seconds"))?,
        source: parse_source(required(object, "source", path)?, &format!("{path}.source"))?,
        features,
    })
}

/// `ttl_seconds`: a whole number of seconds, 0 or absent for unbounded.
fn parse_ttl(value: Option<&Json>, path: &str) -> Result<Option<DurationUs>, FeatureError> {
    let seconds = match value {
        None | Some(Json::Null) => return Ok(None),
        Some(v) => v.as_i64().filter(|s| *s >= 0).ok_or_else(|| {
            invalid(
                path,
                format!("{v} is not a whole number of seconds (0 or more)"),
                "write 86400 for one day, or 0 for no limit",
            )
        })?,
    };
    Ok((seconds > 0).then(|| DurationUs::from_seconds(seconds)))
}

fn parse_source(value: &Json, path: &str) -> Result<ViewSource, FeatureError> {
    let object = object(value, path)?;
    known_keys(
        object,
        path,
        &["path", "timestamp_field", "created_timestamp_column"],
    )?;
    let created_timestamp_column = match object.get("created_timestamp_column") {
        None | Some(Json::Null) => None,
        Some(_) => Some(name_at(object, "created_timestamp_column", path)?),
    };
    Ok(ViewSource {
        table: name_at(object, "path", path)?,
        timestamp_field: name_at(object, "timestamp_field", path)?,
        created_timestamp_column,
    })
}

fn parse_feature(value: &Json, path: &str) -> Result<FeatureDef, FeatureError> {
    let object = object(value, path)?;
    known_keys(object, path, &["name", "dtype"])?;
    let name = name_at(object, "name", path)?;
    let dtype_path = format!("{path}.dtype");
    let dtype = match required(object, "dtype", path)? {
        Json::String(s) => Dtype::parse(s).ok_or_else(|| {
            let names: Vec<&str> = Dtype::ALL.iter().map(|d| d.name()).collect();
            invalid(
                &dtype_path,
                format!(
                    "\"{s}\" is not a Feast type; use one of {}",
                    names.join(", ")
                ),
                &sim::text::did_you_mean(s, names.iter().copied())
                    .unwrap_or_else(|| "Feast's type names are case-sensitive".into()),
            )
        })?,
        _ => {
            return Err(invalid(
                &dtype_path,
                "must be a type name in double quotes",
                "for example \"Float64\"",
            ))
        }
    };
    Ok(FeatureDef { name, dtype })
}

fn parse_service(value: &Json, path: &str) -> Result<FeatureService, FeatureError> {
    let object = object(value, path)?;
    known_keys(object, path, &["name", "features"])?;
    let name = name_at(object, "name", path)?;
    let features = names_at(object, "features", path)?
        .iter()
        .enumerate()
        .map(|(i, text)| {
            FeatureRef::parse(text)
                .map_err(|e| invalid(&format!("{path}.features[{i}]"), e.message, &e.hint))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FeatureService { name, features })
}

/// Names are unique, views name entities that exist, a view's join keys are distinct and no
/// feature reuses a column that is a key or a time, services name features that exist.
fn check_references(repo: &FeatureRepo) -> Result<(), FeatureError> {
    unique_names(repo.entities.iter().map(|e| e.name.as_str()), "entities")?;
    unique_names(repo.views.iter().map(|v| v.name.as_str()), "feature_views")?;
    unique_names(
        repo.services.iter().map(|s| s.name.as_str()),
        "feature_services",
    )?;
    for (v, view) in repo.views.iter().enumerate() {
        let path = format!("feature_views[{v}]");
        let mut keys: Vec<&str> = Vec::new();
        for (i, name) in view.entities.iter().enumerate() {
            let entity = repo
                .entities
                .iter()
                .find(|e| &e.name == name)
                .ok_or_else(|| {
                    invalid(
                        &format!("{path}.entities[{i}]"),
                        format!("no entity is named \"{name}\""),
                        &sim::text::did_you_mean(
                            name,
                            repo.entities.iter().map(|e| e.name.as_str()),
                        )
                        .unwrap_or_else(|| "define it under \"entities\"".into()),
                    )
                })?;
            for key in &entity.join_keys {
                if keys.contains(&key.as_str()) {
                    return Err(invalid(
                        &format!("{path}.entities[{i}]"),
                        format!("join key \"{key}\" comes from two of the view's entities"),
                        "a view's join keys are all its entities' keys; each must be distinct",
                    ));
                }
                keys.push(key);
            }
        }
        unique_names(
            view.features.iter().map(|f| f.name.as_str()),
            &format!("{path}.features"),
        )?;
        let times = [
            Some(view.source.timestamp_field.as_str()),
            view.source.created_timestamp_column.as_deref(),
        ];
        for (f, feature) in view.features.iter().enumerate() {
            let reserved = keys.contains(&feature.name.as_str())
                || times.contains(&Some(feature.name.as_str()));
            if reserved {
                return Err(invalid(
                    &format!("{path}.features[{f}].name"),
                    format!(
                        "\"{}\" is a join key or a timestamp column of the view, not a feature",
                        feature.name
                    ),
                    "a feature is a value column other than the keys and times",
                ));
            }
        }
    }
    for (s, service) in repo.services.iter().enumerate() {
        for (i, feature_ref) in service.features.iter().enumerate() {
            let path = format!("feature_services[{s}].features[{i}]");
            let view = repo
                .views
                .iter()
                .find(|v| v.name == feature_ref.view)
                .ok_or_else(|| {
                    invalid(
                        &path,
                        format!("no feature view is named \"{}\"", feature_ref.view),
                        &sim::text::did_you_mean(
                            &feature_ref.view,
                            repo.views.iter().map(|v| v.name.as_str()),
                        )
                        .unwrap_or_else(|| "name a view under \"feature_views\"".into()),
                    )
                })?;
            if !view.features.iter().any(|f| f.name == feature_ref.feature) {
                return Err(invalid(
                    &path,
                    format!(
                        "view \"{}\" has no feature \"{}\"",
                        view.name, feature_ref.feature
                    ),
                    &sim::text::did_you_mean(
                        &feature_ref.feature,
                        view.features.iter().map(|f| f.name.as_str()),
                    )
                    .unwrap_or_else(|| "name one of the view's features".into()),
                ));
            }
        }
    }
    Ok(())
}

fn unique_names<'a>(names: impl Iterator<Item = &'a str>, path: &str) -> Result<(), FeatureError> {
    let mut seen = BTreeSet::new();
    for (i, name) in names.enumerate() {
        if !seen.insert(name) {
            return Err(invalid(
                &format!("{path}[{i}].name"),
                format!("\"{name}\" is defined twice"),
                "give each one its own name",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = r#"{
      "entities": [{"name": "driver", "join_keys": ["driver_id"]},
                   {"name": "customer", "join_keys": ["customer_id"]}],
      "feature_views": [
        {"name": "driver_hourly_stats", "entities": ["driver"], "ttl_seconds": 86400,
         "source": {"path": "driver_stats.csv", "timestamp_field": "event_timestamp",
                    "created_timestamp_column": "created"},
         "features": [{"name": "conv_rate", "dtype": "Float64"},
                      {"name": "avg_daily_trips", "dtype": "Int64"}]},
        {"name": "customer_profile", "entities": ["customer", "driver"],
         "source": {"path": "customers.csv", "timestamp_field": "ts"},
         "features": [{"name": "tier", "dtype": "String"}]}],
      "feature_services": [{"name": "model_v1", "features": ["driver_hourly_stats:conv_rate"]}]
    }"#;

    fn error(text: &str) -> String {
        parse_repo(text).unwrap_err().message
    }

    /// DEMO with one substring replaced.
    fn demo_with(from: &str, to: &str) -> String {
        assert!(DEMO.contains(from), "{from}");
        DEMO.replacen(from, to, 1)
    }

    #[test]
    fn the_demo_repository_parses() {
        let repo = parse_repo(DEMO).unwrap();
        assert_eq!(repo.entities[1].join_keys, ["customer_id"]);
        let stats = &repo.views[0];
        assert_eq!(stats.ttl, Some(DurationUs::from_seconds(86_400)));
        assert_eq!(
            stats.source.created_timestamp_column.as_deref(),
            Some("created")
        );
        assert_eq!(stats.features[1].dtype, Dtype::Int64);
        assert_eq!(repo.views[1].ttl, None);
        assert_eq!(repo.views[1].entities, ["customer", "driver"]);
        assert_eq!(repo.services[0].features[0].feature, "conv_rate");
    }

    #[test]
    fn to_json_round_trips() {
        let repo = parse_repo(DEMO).unwrap();
        let text = to_json(&repo);
        assert_eq!(parse_repo(&text).unwrap(), repo);
        assert!(text.contains("\"ttl_seconds\": 86400"), "{text}");
        let mut half_second = repo.clone();
        half_second.views[0].ttl = Some(DurationUs(US_PER_SECOND / 2));
        assert!(to_json(&half_second).contains("\"ttl_seconds\": 1,"));
        let empty = FeatureRepo::default();
        assert_eq!(parse_repo(&to_json(&empty)).unwrap(), empty);
    }

    #[test]
    fn zero_ttl_is_unbounded() {
        let repo = parse_repo(&demo_with("\"ttl_seconds\": 86400", "\"ttl_seconds\": 0")).unwrap();
        assert_eq!(repo.views[0].ttl, None);
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let message = error("{\n  \"entities\": [,]\n}");
        assert_eq!(
            message,
            "the repository is not valid JSON (line 2, column 16): expected value"
        );
    }

    #[test]
    fn a_wrong_dtype_names_its_field_and_the_feast_types() {
        let e = parse_repo(&demo_with("\"dtype\": \"Int64\"", "\"dtype\": \"int\"")).unwrap_err();
        assert_eq!(
            e.message,
            "feature_views[0].features[1].dtype: \"int\" is not a Feast type; use one of Int64, \
             Float64, String, Bool, UnixTimestamp"
        );
        let e = parse_repo(&demo_with("\"dtype\": \"Int64\"", "\"dtype\": \"int64\"")).unwrap_err();
        assert_eq!(e.hint, "did you mean \"Int64\"?");
    }

    #[test]
    fn every_field_is_checked_by_its_path() {
        for (from, to, expected) in [
            ("\"ttl_seconds\": 86400", "\"ttl_seconds\": -1", "feature_views[0].ttl_seconds:"),
            ("\"ttl_seconds\": 86400", "\"ttl_seconds\": 1.5", "feature_views[0].ttl_seconds:"),
            ("\"ttl_seconds\": 86400", "\"ttl_second\": 1", "unknown key \"ttl_second\""),
            ("\"entities\": [\"driver\"]", "\"entities\": [\"drivers\"]", "feature_views[0].entities[0]: no entity is named \"drivers\""),
            ("\"entities\": [\"driver\"]", "\"entities\": []", "feature_views[0].entities: must name"),
            ("\"join_keys\": [\"driver_id\"]", "\"join_keys\": [\"customer_id\"]", "feature_views[1].entities[1]: join key \"customer_id\""),
            ("\"name\": \"customer_profile\"", "\"name\": \"driver_hourly_stats\"", "feature_views[1].name: \"driver_hourly_stats\" is defined twice"),
            ("{\"name\": \"tier\"", "{\"name\": \"driver_id\"", "feature_views[1].features[0].name: \"driver_id\" is a join key"),
            ("\"name\": \"avg_daily_trips\"", "\"name\": \"conv_rate\"", "feature_views[0].features[1].name: \"conv_rate\" is defined twice"),
            ("\"path\": \"customers.csv\", ", "", "feature_views[1].source has no \"path\""),
            ("\"timestamp_field\": \"ts\"", "\"timestamp_field\": \"\"", "feature_views[1].source.timestamp_field: must be a non-empty string"),
            ("\"features\": [{\"name\": \"tier\", \"dtype\": \"String\"}]", "\"features\": []", "feature_views[1].features: must list"),
            ("driver_hourly_stats:conv_rate", "driver_hourly_stats:conv", "feature_services[0].features[0]: view \"driver_hourly_stats\" has no feature \"conv\""),
            ("driver_hourly_stats:conv_rate", "stats:conv_rate", "feature_services[0].features[0]: no feature view is named \"stats\""),
            ("driver_hourly_stats:conv_rate", "conv_rate", "feature_services[0].features[0]: `conv_rate` is not a feature reference"),
        ] {
            let message = error(&demo_with(from, to));
            assert!(message.contains(expected), "{to}: {message}");
        }
        assert!(error("[]").contains("the repository: must be a JSON object"));
        assert!(error("{\"entities\": []}").contains("has no \"feature_views\""));
    }
}
