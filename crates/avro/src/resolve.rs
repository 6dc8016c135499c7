//! Schema resolution (the Avro specification's "Schema Resolution" section): reading a datum
//! written with one schema (the writer's) as another (the reader's). This is what a consumer
//! does when it deserializes with its own schema: the bytes are walked with the writer's schema
//! (the one the registry id in the record names), and each value is turned into the reader's
//! shape:
//!
//! - promotions: int to long, float or double; long to float or double; float to double;
//!   string to bytes and bytes to string;
//! - records: each reader field takes the writer field of the same name (or one of the reader
//!   field's aliases); a field the writer did not have gets the reader's default; writer-only
//!   fields are skipped;
//! - enums: a symbol the reader lacks becomes the reader's default symbol (an error without one);
//! - a writer union is resolved through the branch that was written; a reader union takes the
//!   first branch that matches the writer's type (the same type first, then a promotion);
//! - named types match when their unqualified names are equal or a reader alias names the
//!   writer's full name; fixed types need the same size.
//!
//! Values are in Avro's JSON encoding, as [`crate::binary`] writes them. [`decode_resolved`] also
//! lists where defaults were filled in, so a view can show "email: default".

use crate::binary::{decode, CodecError};
use crate::compat::writer_field;
use crate::schema::{branch_name_of_unnamed, Kind, NamedType, ParsedSchema, Schema};
use serde_json::{Map, Number, Value};

/// A datum read as the reader's schema, and the paths of the fields filled from defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub value: Value,
    /// JSON-pointer-like paths (`/email`) of reader fields the writer did not have.
    pub defaults_filled: Vec<String>,
}

/// Decodes `bytes`, written with `writer`, as a value of `reader`.
pub fn decode_resolved(
    writer: &ParsedSchema,
    reader: &ParsedSchema,
    bytes: &[u8],
) -> Result<Resolved, CodecError> {
    let written = decode(writer, bytes)?;
    resolve(writer, reader, &written)
}

/// Turns `value`, a value of `writer`, into a value of `reader`.
pub fn resolve(
    writer: &ParsedSchema,
    reader: &ParsedSchema,
    value: &Value,
) -> Result<Resolved, CodecError> {
    let mut resolver = Resolver {
        writer,
        reader,
        defaults_filled: Vec::new(),
    };
    let value = resolver.resolve(&reader.root, &writer.root, value, "")?;
    Ok(Resolved {
        value,
        defaults_filled: resolver.defaults_filled,
    })
}

fn error<T>(path: &str, message: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError {
        path: path.to_string(),
        message: message.into(),
    })
}

struct Resolver<'a> {
    writer: &'a ParsedSchema,
    reader: &'a ParsedSchema,
    defaults_filled: Vec<String>,
}

impl Resolver<'_> {
    fn resolve(
        &mut self,
        reader: &Schema,
        writer: &Schema,
        value: &Value,
        path: &str,
    ) -> Result<Value, CodecError> {
        if let Schema::Union(branches) = writer {
            let (branch, inner) = written_branch(self.writer, branches, value, path)?;
            return self.resolve(reader, branch, inner, path);
        }
        if let Schema::Union(branches) = reader {
            let Some(branch) = self.reader_branch(branches, writer) else {
                return error(
                    path,
                    format!(
                        "no branch of the reader's union reads the writer's {}",
                        self.writer.kind(writer).upper_name()
                    ),
                );
            };
            let inner = self.resolve(branch, writer, value, path)?;
            return Ok(wrap_branch(self.reader, branch, inner));
        }
        let (reader_kind, writer_kind) = (self.reader.kind(reader), self.writer.kind(writer));
        match (reader, writer) {
            (Schema::Array(r), Schema::Array(w)) => {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let resolved = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.resolve(r, w, v, &format!("{path}/{i}")))
                    .collect::<Result<_, _>>()?;
                Ok(Value::Array(resolved))
            }
            (Schema::Map(r), Schema::Map(w)) => {
                let mut map = Map::new();
                for (key, v) in value.as_object().into_iter().flatten() {
                    let resolved = self.resolve(r, w, v, &format!("{path}/{key}"))?;
                    map.insert(key.clone(), resolved);
                }
                Ok(Value::Object(map))
            }
            (Schema::Named(r), Schema::Named(w)) if reader_kind == writer_kind => {
                let (r, w) = (self.reader.lookup(r), self.writer.lookup(w));
                if !names_match(r, w) {
                    return error(
                        path,
                        format!("the reader's {} does not read {}", r.name(), w.name()),
                    );
                }
                self.resolve_named(r, w, value, path)
            }
            _ if reader_kind == writer_kind => Ok(value.clone()),
            _ => promote(reader_kind, writer_kind, value, path),
        }
    }

    /// The first reader branch of the writer's type, else the first it promotes to.
    fn reader_branch<'s>(&self, branches: &'s [Schema], writer: &Schema) -> Option<&'s Schema> {
        let writer_kind = self.writer.kind(writer);
        let same = branches.iter().find(|b| {
            self.reader.kind(b) == writer_kind
                && match (b, writer) {
                    (Schema::Named(r), Schema::Named(w)) => {
                        names_match(self.reader.lookup(r), self.writer.lookup(w))
                    }
                    _ => true,
                }
        });
        same.or_else(|| {
            branches
                .iter()
                .find(|b| promotes(self.reader.kind(b), writer_kind))
        })
    }

    fn resolve_named(
        &mut self,
        reader: &NamedType,
        writer: &NamedType,
        value: &Value,
        path: &str,
    ) -> Result<Value, CodecError> {
        match (reader, writer) {
            (NamedType::Record(r), NamedType::Record(w)) => {
                let mut map = Map::new();
                for field in &r.fields {
                    let field_path = format!("{path}/{}", field.name);
                    let resolved = match (writer_field(w, field), &field.default) {
                        (Some(written), _) => {
                            let v = value.get(&written.name).unwrap_or(&Value::Null);
                            self.resolve(&field.schema, &written.schema, v, &field_path)?
                        }
                        (None, Some(default)) => {
                            self.defaults_filled.push(field_path);
                            default_value(self.reader, &field.schema, default)
                        }
                        (None, None) => return error(
                            &field_path,
                            "the writer has no such field and the reader's field has no default",
                        ),
                    };
                    map.insert(field.name.clone(), resolved);
                }
                Ok(Value::Object(map))
            }
            (NamedType::Enum(r), NamedType::Enum(_)) => {
                let symbol = value.as_str().unwrap_or_default();
                if r.symbols.iter().any(|s| s == symbol) {
                    return Ok(value.clone());
                }
                match &r.default {
                    Some(default) => Ok(Value::String(default.clone())),
                    None => error(
                        path,
                        format!(
                            "\"{symbol}\" is not a symbol of the reader's {} and it has no default",
                            r.name
                        ),
                    ),
                }
            }
            (NamedType::Fixed(r), NamedType::Fixed(w)) if r.size_bytes == w.size_bytes => {
                Ok(value.clone())
            }
            (r, w) => error(
                path,
                format!("the reader's {} does not read {}", r.name(), w.name()),
            ),
        }
    }
}

/// Unqualified names equal, or a reader alias naming the writer's full name.
fn names_match(reader: &NamedType, writer: &NamedType) -> bool {
    reader.name().name == writer.name().name || reader.aliases().iter().any(|a| a == writer.name())
}

fn promotes(reader: Kind, writer: Kind) -> bool {
    matches!(
        (reader, writer),
        (Kind::Long, Kind::Int)
            | (Kind::Float, Kind::Int | Kind::Long)
            | (Kind::Double, Kind::Int | Kind::Long | Kind::Float)
            | (Kind::Bytes, Kind::String)
            | (Kind::String, Kind::Bytes)
    )
}

fn promote(reader: Kind, writer: Kind, value: &Value, path: &str) -> Result<Value, CodecError> {
    let as_number = |x: f64| {
        Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| CodecError {
                path: path.to_string(),
                message: format!("{x} cannot be written in JSON"),
            })
    };
    let x = value.as_f64().unwrap_or_default();
    match (reader, writer) {
        (Kind::Long, Kind::Int) => Ok(value.clone()),
        (Kind::Float, Kind::Int | Kind::Long) => as_number(f64::from(x as f32)),
        (Kind::Double, Kind::Int | Kind::Long | Kind::Float) => as_number(x),
        (Kind::Bytes, Kind::String) => Ok(Value::String(
            value
                .as_str()
                .unwrap_or_default()
                .bytes()
                .map(char::from)
                .collect(),
        )),
        (Kind::String, Kind::Bytes) => {
            let bytes: Vec<u8> = value
                .as_str()
                .unwrap_or_default()
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect();
            String::from_utf8(bytes)
                .map(Value::String)
                .or_else(|_| error(path, "bytes that are not UTF-8 cannot be read as a string"))
        }
        _ => error(
            path,
            format!(
                "the reader's {} cannot read the writer's {}",
                reader.upper_name(),
                writer.upper_name()
            ),
        ),
    }
}

/// The union branch a value was written with (`null`, or `{"BRANCH": value}`), and the value.
fn written_branch<'s, 'v>(
    writer: &ParsedSchema,
    branches: &'s [Schema],
    value: &'v Value,
    path: &str,
) -> Result<(&'s Schema, &'v Value), CodecError> {
    let found = match value {
        Value::Null => branches
            .iter()
            .find(|b| **b == Schema::Null)
            .map(|b| (b, value)),
        Value::Object(map) if map.len() == 1 => {
            let (name, inner) = map.iter().next().expect("one entry");
            branches
                .iter()
                .find(|b| match b {
                    Schema::Named(full) => full == name || writer.lookup(full).name().name == *name,
                    other => branch_name_of_unnamed(other) == name,
                })
                .map(|b| (b, inner))
        }
        _ => None,
    };
    found.map_or_else(
        || {
            error(
                path,
                format!("{value} is not a value of the writer's union"),
            )
        },
        Ok,
    )
}

/// A value of a union branch in Avro's JSON encoding.
fn wrap_branch(parsed: &ParsedSchema, branch: &Schema, inner: Value) -> Value {
    let name = match branch {
        Schema::Null => return Value::Null,
        Schema::Named(full) => parsed.lookup(full).name().to_string(),
        other => branch_name_of_unnamed(other).to_string(),
    };
    let mut map = Map::new();
    map.insert(name, inner);
    Value::Object(map)
}

/// A field default (written as the specification writes defaults: a union's default is a
/// value of its first branch, unwrapped) as a value in Avro's JSON encoding.
pub fn default_value(parsed: &ParsedSchema, schema: &Schema, default: &Value) -> Value {
    match schema {
        Schema::Union(branches) => match branches.first() {
            Some(first) => wrap_branch(parsed, first, default_value(parsed, first, default)),
            None => Value::Null,
        },
        Schema::Array(items) => Value::Array(
            default
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| default_value(parsed, items, v))
                .collect(),
        ),
        Schema::Map(values) => object(
            default
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), default_value(parsed, values, v))),
        ),
        Schema::Named(name) => match parsed.lookup(name) {
            NamedType::Record(record) => object(record.fields.iter().filter_map(|f| {
                let given = default.get(&f.name)?;
                Some((f.name.clone(), default_value(parsed, &f.schema, given)))
            })),
            _ => default.clone(),
        },
        _ => default.clone(),
    }
}

/// A JSON object of `pairs`, inserted one by one (a later pair replaces an earlier one with the
/// same name, as `collect()` does). `collect()` into a map first sorts the pairs, compiling a copy
/// of the standard sort for every iterator it is called on; inserting compiles none.
fn object(pairs: impl Iterator<Item = (String, Value)>) -> Value {
    let mut map = Map::new();
    map.extend(pairs);
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::encode;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn read(writer: &str, reader: &str, value: Value) -> Result<Resolved, CodecError> {
        let (w, r) = (parse_schema(writer).unwrap(), parse_schema(reader).unwrap());
        decode_resolved(&w, &r, &encode(&w, &value).unwrap())
    }

    const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"int"},{"name":"old","type":"string"}]}"#;
    const V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},
        {"name":"email","type":["null","string"],"default":null},
        {"name":"plan","type":{"type":"enum","name":"Plan","symbols":["FREE","PRO"]},"default":"FREE"}]}"#;

    #[test]
    fn a_new_reader_fills_defaults_and_skips_writer_only_fields() {
        let got = read(V1, V2, json!({"id": 7, "old": "x"})).unwrap();
        assert_eq!(got.value, json!({"id": 7, "email": null, "plan": "FREE"}));
        assert_eq!(got.defaults_filled, ["/email", "/plan"]);
    }

    #[test]
    fn a_reader_field_without_default_that_the_writer_lacks_fails() {
        let e = read(V2, V1, json!({"id": 7, "email": null, "plan": "PRO"})).unwrap_err();
        assert_eq!(e.path, "/id");
        assert!(e.message.contains("LONG"), "{e}");
    }

    #[test]
    fn promotions_and_string_bytes() {
        assert_eq!(
            read("\"int\"", "\"double\"", json!(3)).unwrap().value,
            json!(3.0)
        );
        assert_eq!(
            read("\"long\"", "\"float\"", json!(5)).unwrap().value,
            json!(5.0)
        );
        assert_eq!(
            read("\"string\"", "\"bytes\"", json!("é")).unwrap().value,
            json!("\u{c3}\u{a9}")
        );
        assert_eq!(
            read("\"bytes\"", "\"string\"", json!("\u{c3}\u{a9}"))
                .unwrap()
                .value,
            json!("é")
        );
        assert!(read("\"long\"", "\"int\"", json!(3)).is_err());
    }

    #[test]
    fn unions_on_either_side() {
        let got = read("\"int\"", r#"["null","string","long"]"#, json!(4)).unwrap();
        assert_eq!(got.value, json!({"long": 4}));
        let got = read(r#"["null","int"]"#, "\"long\"", json!({"int": 4})).unwrap();
        assert_eq!(got.value, json!(4));
        assert!(read(r#"["null","int"]"#, "\"long\"", json!(null)).is_err());
        let got = read(r#"["null","int"]"#, r#"["long","null"]"#, json!(null)).unwrap();
        assert_eq!(got.value, json!(null));
    }

    #[test]
    fn enums_by_symbol_with_the_readers_default() {
        let writer = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        let reader = r#"{"type":"enum","name":"E","symbols":["C","A"],"default":"A"}"#;
        assert_eq!(read(writer, reader, json!("C")).unwrap().value, json!("C"));
        assert_eq!(read(writer, reader, json!("B")).unwrap().value, json!("A"));
        let strict = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
        assert!(read(writer, strict, json!("B")).is_err());
    }

    #[test]
    fn a_recursive_list_read_with_a_new_field() {
        let writer = r#"{"type":"record","name":"LongList","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","LongList"]}]}"#;
        let reader = r#"{"type":"record","name":"LongList","fields":[{"name":"value","type":"double"},{"name":"next","type":["null","LongList"]},{"name":"tag","type":"string","default":"-"}]}"#;
        let got = read(
            writer,
            reader,
            json!({"value": 1, "next": {"LongList": {"value": 2, "next": null}}}),
        )
        .unwrap();
        assert_eq!(
            got.value,
            json!({"value": 1.0, "next": {"LongList": {"value": 2.0, "next": null, "tag": "-"}}, "tag": "-"})
        );
        assert_eq!(got.defaults_filled, ["/next/tag", "/tag"]);
    }

    #[test]
    fn record_defaults_are_written_in_the_specifications_form() {
        let reader = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
            {"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"u","type":["string","null"]}]},
             "default":{"u":"x"}}]}"#;
        let writer = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
        let got = read(writer, reader, json!({"a": 1})).unwrap();
        assert_eq!(got.value, json!({"a": 1, "inner": {"u": {"string": "x"}}}));
    }
}
