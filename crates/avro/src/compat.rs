//! Can a reader schema read what a writer schema wrote? The rules of Avro's "Schema Resolution",
//! decided the way Avro's Java `SchemaCompatibility` decides them (the checker Confluent's Schema
//! Registry runs), rule for rule:
//!
//! - the same primitive; or a promotion: int to long, float or double; long to float or double;
//!   float to double; string to bytes and bytes to string;
//! - arrays by their items, maps by their values;
//! - named types of the same kind whose unqualified names are equal, or whose reader lists the
//!   writer's full name among its aliases (aliases are qualified in the reader's namespace);
//!   fixed types of the same size; enums where the reader has every writer symbol, or a default;
//! - records: every reader field is found in the writer by name or by one of its aliases, and its
//!   type reads the writer field's, or else it has a default; writer-only fields are skipped;
//! - a writer union: every branch must be readable; a reader union: some branch reads the writer;
//! - logical types are ignored; a recursive pair being checked counts as compatible until shown
//!   otherwise.
//!
//! Each incompatibility has a kind named as Java names it, a JSON-pointer location in the reader
//! schema and a message.

use crate::schema::{Enum, Field, Kind, NamedType, ParsedSchema, Record, Schema};
use std::collections::BTreeMap;
use std::fmt;

/// The kinds of incompatibility (Java's `SchemaIncompatibilityType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IncompatibilityKind {
    NameMismatch,
    FixedSizeMismatch,
    MissingEnumSymbols,
    ReaderFieldMissingDefaultValue,
    TypeMismatch,
    MissingUnionBranch,
}

impl IncompatibilityKind {
    pub fn name(self) -> &'static str {
        match self {
            IncompatibilityKind::NameMismatch => "NAME_MISMATCH",
            IncompatibilityKind::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            IncompatibilityKind::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            IncompatibilityKind::ReaderFieldMissingDefaultValue => {
                "READER_FIELD_MISSING_DEFAULT_VALUE"
            }
            IncompatibilityKind::TypeMismatch => "TYPE_MISMATCH",
            IncompatibilityKind::MissingUnionBranch => "MISSING_UNION_BRANCH",
        }
    }
}

/// One reason a reader cannot read a writer's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incompatibility {
    pub kind: IncompatibilityKind,
    /// A JSON pointer into the reader schema, e.g. `/fields/1/type`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}: {}",
            self.kind.name(),
            self.location,
            self.message
        )
    }
}

/// The verdict on a reader/writer pair: compatible when there is no incompatibility.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compatibility {
    pub incompatibilities: Vec<Incompatibility>,
}

impl Compatibility {
    pub fn is_compatible(&self) -> bool {
        self.incompatibilities.is_empty()
    }
}

/// Checks whether `reader` can read every datum `writer` can write.
pub fn check(reader: &ParsedSchema, writer: &ParsedSchema) -> Compatibility {
    let mut checker = Checker {
        reader,
        writer,
        memo: BTreeMap::new(),
        location: Vec::new(),
    };
    Compatibility {
        incompatibilities: checker.compatibility(&reader.root, &writer.root),
    }
}

/// A named pair's state in the memo: being checked (so a recursive visit counts as compatible),
/// or checked with its incompatibilities.
enum Memo {
    InProgress,
    Done(Vec<Incompatibility>),
}

struct Checker<'a> {
    reader: &'a ParsedSchema,
    writer: &'a ParsedSchema,
    memo: BTreeMap<(String, String), Memo>,
    location: Vec<String>,
}

impl Checker<'_> {
    /// Checks a pair at a location token (`items`, `type`, a field index...).
    fn at(&mut self, token: &str, reader: &Schema, writer: &Schema) -> Vec<Incompatibility> {
        self.location.push(token.to_string());
        let found = self.compatibility(reader, writer);
        self.location.pop();
        found
    }

    fn compatibility(&mut self, reader: &Schema, writer: &Schema) -> Vec<Incompatibility> {
        let (Schema::Named(r), Schema::Named(w)) = (reader, writer) else {
            return self.calculate(reader, writer);
        };
        let key = (r.clone(), w.clone());
        match self.memo.get(&key) {
            Some(Memo::InProgress) => Vec::new(),
            Some(Memo::Done(found)) => found.clone(),
            None => {
                self.memo.insert(key.clone(), Memo::InProgress);
                let found = self.calculate(reader, writer);
                self.memo.insert(key, Memo::Done(found.clone()));
                found
            }
        }
    }

    fn incompatible(
        &self,
        kind: IncompatibilityKind,
        token: Option<&str>,
        message: String,
    ) -> Vec<Incompatibility> {
        let mut path: Vec<&str> = self.location.iter().map(String::as_str).collect();
        path.extend(token);
        let location = format!(
            "/{}",
            path.iter()
                .map(|t| t.replace('~', "~0").replace('/', "~1"))
                .collect::<Vec<_>>()
                .join("/")
        );
        vec![Incompatibility {
            kind,
            location,
            message,
        }]
    }

    fn type_mismatch(&self, reader: Kind, writer: Kind) -> Vec<Incompatibility> {
        self.incompatible(
            IncompatibilityKind::TypeMismatch,
            None,
            format!(
                "reader type: {} not compatible with writer type: {}",
                reader.upper_name(),
                writer.upper_name()
            ),
        )
    }

    fn calculate(&mut self, reader: &Schema, writer: &Schema) -> Vec<Incompatibility> {
        let (reader_kind, writer_kind) = (self.reader.kind(reader), self.writer.kind(writer));
        if reader_kind == writer_kind {
            return self.same_kind(reader, writer);
        }
        if let Schema::Union(branches) = writer {
            // Every branch of the writer's union must be readable.
            return branches
                .iter()
                .flat_map(|b| self.compatibility(reader, b))
                .collect();
        }
        let promoted = matches!(
            (reader_kind, writer_kind),
            (Kind::Long, Kind::Int)
                | (Kind::Float, Kind::Int | Kind::Long)
                | (Kind::Double, Kind::Int | Kind::Long | Kind::Float)
                | (Kind::Bytes, Kind::String)
                | (Kind::String, Kind::Bytes)
        );
        if promoted {
            return Vec::new();
        }
        if let Schema::Union(branches) = reader {
            if branches
                .iter()
                .any(|b| self.compatibility(b, writer).is_empty())
            {
                return Vec::new();
            }
            return self.incompatible(
                IncompatibilityKind::MissingUnionBranch,
                None,
                format!(
                    "reader union lacking writer type: {}",
                    writer_kind.upper_name()
                ),
            );
        }
        self.type_mismatch(reader_kind, writer_kind)
    }

    fn same_kind(&mut self, reader: &Schema, writer: &Schema) -> Vec<Incompatibility> {
        match (reader, writer) {
            (Schema::Array(r), Schema::Array(w)) => self.at("items", r, w),
            (Schema::Map(r), Schema::Map(w)) => self.at("values", r, w),
            (Schema::Union(_), Schema::Union(w)) => {
                let mut found = Vec::new();
                for (i, branch) in w.iter().enumerate() {
                    self.location.push(i.to_string());
                    if !self.compatibility(reader, branch).is_empty() {
                        let kind = self.writer.kind(branch);
                        found.extend(self.incompatible(
                            IncompatibilityKind::MissingUnionBranch,
                            None,
                            format!("reader union lacking writer type: {}", kind.upper_name()),
                        ));
                    }
                    self.location.pop();
                }
                found
            }
            (Schema::Named(r), Schema::Named(w)) => {
                let (r, w) = (self.reader.lookup(r), self.writer.lookup(w));
                let mut found = self.names(r, w);
                found.extend(match (r, w) {
                    (NamedType::Fixed(r), NamedType::Fixed(w)) if r.size_bytes != w.size_bytes => {
                        self.incompatible(
                            IncompatibilityKind::FixedSizeMismatch,
                            Some("size"),
                            format!("expected: {}, found: {}", w.size_bytes, r.size_bytes),
                        )
                    }
                    (NamedType::Enum(r), NamedType::Enum(w)) => self.enum_symbols(r, w),
                    (NamedType::Record(r), NamedType::Record(w)) => self.record_fields(r, w),
                    _ => Vec::new(),
                });
                found
            }
            // Equal primitives.
            _ => Vec::new(),
        }
    }

    /// Unqualified names equal, or a reader alias equal to the writer's full name.
    fn names(&self, reader: &NamedType, writer: &NamedType) -> Vec<Incompatibility> {
        let equal = reader.name().name == writer.name().name
            || reader.aliases().iter().any(|a| a == writer.name());
        if equal {
            return Vec::new();
        }
        self.incompatible(
            IncompatibilityKind::NameMismatch,
            Some("name"),
            format!("expected: {}", writer.name()),
        )
    }

    fn enum_symbols(&self, reader: &Enum, writer: &Enum) -> Vec<Incompatibility> {
        // In name order: an enum's symbols are unique (the parser refuses a repeated one), and a
        // set built by inserting compiles no sort, which `sort()` or `collect()` would.
        let mut missing = std::collections::BTreeSet::new();
        missing.extend(
            writer
                .symbols
                .iter()
                .filter(|s| !reader.symbols.contains(s)),
        );
        if missing.is_empty() || reader.default.is_some() {
            return Vec::new();
        }
        let listed: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        self.incompatible(
            IncompatibilityKind::MissingEnumSymbols,
            Some("symbols"),
            format!("[{}]", listed.join(", ")),
        )
    }

    fn record_fields(&mut self, reader: &Record, writer: &Record) -> Vec<Incompatibility> {
        let mut found = Vec::new();
        self.location.push("fields".into());
        for (i, field) in reader.fields.iter().enumerate() {
            self.location.push(i.to_string());
            match writer_field(writer, field) {
                Some(written) => found.extend(self.at("type", &field.schema, &written.schema)),
                None if field.default.is_some() => {}
                None => found.extend(self.incompatible(
                    IncompatibilityKind::ReaderFieldMissingDefaultValue,
                    None,
                    field.name.clone(),
                )),
            }
            self.location.pop();
        }
        self.location.pop();
        found
    }
}

/// The writer's field a reader field reads: by its name, else by its aliases. (Java refuses a
/// reader field whose name and aliases find two writer fields; the first is taken here.)
pub(crate) fn writer_field<'a>(writer: &'a Record, reader_field: &Field) -> Option<&'a Field> {
    std::iter::once(&reader_field.name)
        .chain(&reader_field.aliases)
        .find_map(|name| writer.fields.iter().find(|f| &f.name == name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;

    fn compatible(reader: &str, writer: &str) -> bool {
        check(
            &parse_schema(reader).unwrap(),
            &parse_schema(writer).unwrap(),
        )
        .is_compatible()
    }

    fn record(name: &str, fields: &str) -> String {
        format!(r#"{{"type":"record","name":"{name}","fields":[{fields}]}}"#)
    }

    #[test]
    fn promotions_go_one_way() {
        for (reader, writer, ok) in [
            ("long", "int", true),
            ("float", "long", true),
            ("double", "float", true),
            ("bytes", "string", true),
            ("string", "bytes", true),
            ("int", "long", false),
            ("float", "double", false),
            ("int", "string", false),
        ] {
            assert_eq!(
                compatible(&format!("\"{reader}\""), &format!("\"{writer}\"")),
                ok,
                "{reader} <- {writer}"
            );
        }
    }

    #[test]
    fn records_need_defaults_for_fields_the_writer_lacks() {
        let old = record("User", r#"{"name":"id","type":"int"}"#);
        let with_default = record(
            "User",
            r#"{"name":"id","type":"int"},{"name":"email","type":["null","string"],"default":null}"#,
        );
        let without = record(
            "User",
            r#"{"name":"id","type":"int"},{"name":"email","type":"string"}"#,
        );
        assert!(compatible(&with_default, &old));
        let found = check(
            &parse_schema(&without).unwrap(),
            &parse_schema(&old).unwrap(),
        );
        assert_eq!(
            found.incompatibilities[0].kind,
            IncompatibilityKind::ReaderFieldMissingDefaultValue
        );
        assert_eq!(found.incompatibilities[0].location, "/fields/1");
        // The writer's extra field is skipped.
        assert!(compatible(&old, &without));
    }

    #[test]
    fn a_field_read_under_an_alias() {
        let old = record("R", r#"{"name":"zip","type":"string"}"#);
        let new = record(
            "R",
            r#"{"name":"postcode","aliases":["zip"],"type":"string"}"#,
        );
        assert!(compatible(&new, &old));
    }

    #[test]
    fn names_compare_unqualified_or_by_reader_alias() {
        let old = r#"{"type":"record","namespace":"a","name":"Old","fields":[]}"#;
        let moved = r#"{"type":"record","namespace":"b","name":"Old","fields":[]}"#;
        assert!(
            compatible(moved, old),
            "a namespace-only change is compatible (AVRO-2400)"
        );
        let renamed =
            r#"{"type":"record","namespace":"a","name":"New","aliases":["Old"],"fields":[]}"#;
        assert!(
            compatible(renamed, old),
            "a relative alias is qualified in the reader's namespace"
        );
        let renamed_no_alias = r#"{"type":"record","namespace":"a","name":"New","fields":[]}"#;
        let found = check(
            &parse_schema(renamed_no_alias).unwrap(),
            &parse_schema(old).unwrap(),
        );
        assert_eq!(
            found.incompatibilities[0].kind,
            IncompatibilityKind::NameMismatch
        );
        assert_eq!(found.incompatibilities[0].message, "expected: a.Old");
    }

    #[test]
    fn enums_need_every_writer_symbol_or_a_default() {
        let writer = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        let fewer = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
        let with_default = r#"{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}"#;
        let found = check(
            &parse_schema(fewer).unwrap(),
            &parse_schema(writer).unwrap(),
        );
        assert_eq!(found.incompatibilities[0].message, "[B, C]");
        assert!(compatible(with_default, writer));
    }

    #[test]
    fn unions_every_writer_branch_and_some_reader_branch() {
        assert!(compatible(r#"["null","int"]"#, "\"int\""));
        assert!(!compatible("\"int\"", r#"["null","int"]"#));
        assert!(compatible(r#"["null","long"]"#, r#"["null","int"]"#));
        let found = check(
            &parse_schema(r#"["null","int"]"#).unwrap(),
            &parse_schema(r#"["null","int","string"]"#).unwrap(),
        );
        assert_eq!(found.incompatibilities.len(), 1);
        assert_eq!(
            found.incompatibilities[0].kind,
            IncompatibilityKind::MissingUnionBranch
        );
        assert_eq!(found.incompatibilities[0].location, "/2");
    }

    #[test]
    fn fixed_sizes_and_recursive_records() {
        assert!(!compatible(
            r#"{"type":"fixed","name":"F","size":4}"#,
            r#"{"type":"fixed","name":"F","size":8}"#
        ));
        let list = |value: &str| {
            record(
                "LongList",
                &format!(
                    r#"{{"name":"value","type":"{value}"}},{{"name":"next","type":["null","LongList"]}}"#
                ),
            )
        };
        assert!(compatible(&list("long"), &list("int")));
        assert!(!compatible(&list("int"), &list("long")));
    }
}
