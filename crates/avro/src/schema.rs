//! Avro schemas: the JSON text parsed into types, with the rules of the Avro specification's
//! "Schema Declaration" and "Names" sections. Named types (records, enums, fixed) live in one table
//! keyed by full name and are referred to by that name, so a recursive type (a linked list) is a
//! record whose field refers back to the record.
//!
//! A name is `[A-Za-z_][A-Za-z0-9_]*`; a full name is a dotted namespace and a name. A name with
//! a dot is already full; otherwise the type's `namespace`, else the enclosing type's namespace,
//! qualifies it. Aliases of a named type are qualified the same way, in that type's namespace.
//! A named type must be defined before it is referred to, and only once. Field defaults must fit
//! the field's type (a union's default fits its first branch). Logical types are read and then
//! ignored, as resolution and the binary encoding ignore them.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// A type of a schema. Named types are references into [`ParsedSchema::named`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schema {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Schema>),
    Map(Box<Schema>),
    Union(Vec<Schema>),
    /// A record, enum or fixed, by full name.
    Named(String),
}

/// The kind of a type, as resolution compares kinds (Java's `Schema.Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array,
    Map,
    Union,
    Record,
    Enum,
    Fixed,
}

impl Kind {
    /// The name Java prints for the kind (`TYPE_MISMATCH` messages say "reader type: LONG").
    pub fn upper_name(self) -> &'static str {
        match self {
            Kind::Null => "NULL",
            Kind::Boolean => "BOOLEAN",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Bytes => "BYTES",
            Kind::String => "STRING",
            Kind::Array => "ARRAY",
            Kind::Map => "MAP",
            Kind::Union => "UNION",
            Kind::Record => "RECORD",
            Kind::Enum => "ENUM",
            Kind::Fixed => "FIXED",
        }
    }
}

/// A record, enum or fixed type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamedType {
    Record(Record),
    Enum(Enum),
    Fixed(Fixed),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: FullName,
    pub aliases: Vec<FullName>,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub aliases: Vec<String>,
    pub schema: Schema,
    pub default: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    pub name: FullName,
    pub aliases: Vec<FullName>,
    pub symbols: Vec<String>,
    pub default: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    pub name: FullName,
    pub aliases: Vec<FullName>,
    pub size_bytes: usize,
}

/// A name and its namespace (empty for the null namespace).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FullName {
    pub namespace: String,
    pub name: String,
}

impl FullName {
    /// Qualifies `name` in `namespace` unless it has a dot already.
    fn qualify(name: &str, namespace: &str) -> FullName {
        match name.rsplit_once('.') {
            Some((namespace, name)) => FullName {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
            None => FullName {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
        }
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.namespace, self.name)
        }
    }
}

impl NamedType {
    pub fn name(&self) -> &FullName {
        match self {
            NamedType::Record(r) => &r.name,
            NamedType::Enum(e) => &e.name,
            NamedType::Fixed(f) => &f.name,
        }
    }

    pub fn aliases(&self) -> &[FullName] {
        match self {
            NamedType::Record(r) => &r.aliases,
            NamedType::Enum(e) => &e.aliases,
            NamedType::Fixed(f) => &f.aliases,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            NamedType::Record(_) => Kind::Record,
            NamedType::Enum(_) => Kind::Enum,
            NamedType::Fixed(_) => Kind::Fixed,
        }
    }
}

/// A parsed schema: its root type and every named type it defines, by full name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSchema {
    pub root: Schema,
    pub named: BTreeMap<String, NamedType>,
}

impl ParsedSchema {
    /// The named type `name` refers to. Every reference in a parsed schema is defined.
    pub fn lookup(&self, name: &str) -> &NamedType {
        &self.named[name]
    }

    /// The kind of a type of this schema.
    pub fn kind(&self, schema: &Schema) -> Kind {
        match schema {
            Schema::Null => Kind::Null,
            Schema::Boolean => Kind::Boolean,
            Schema::Int => Kind::Int,
            Schema::Long => Kind::Long,
            Schema::Float => Kind::Float,
            Schema::Double => Kind::Double,
            Schema::Bytes => Kind::Bytes,
            Schema::String => Kind::String,
            Schema::Array(_) => Kind::Array,
            Schema::Map(_) => Kind::Map,
            Schema::Union(_) => Kind::Union,
            Schema::Named(name) => self.lookup(name).kind(),
        }
    }
}

/// Why a schema does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

fn fail<T>(message: impl Into<String>) -> Result<T, SchemaError> {
    Err(SchemaError(message.into()))
}

/// Parses a schema from its JSON text.
pub fn parse_schema(text: &str) -> Result<ParsedSchema, SchemaError> {
    let json: Value = serde_json::from_str(text)
        .map_err(|e| SchemaError(format!("the schema is not JSON: {e}")))?;
    parse_schema_json(&json)
}

/// Parses a schema from its JSON value.
pub fn parse_schema_json(json: &Value) -> Result<ParsedSchema, SchemaError> {
    let mut parser = Parser::default();
    let root = parser.parse(json, "")?;
    Ok(ParsedSchema {
        root,
        named: parser.named,
    })
}

fn primitive(name: &str) -> Option<Schema> {
    Some(match name {
        "null" => Schema::Null,
        "boolean" => Schema::Boolean,
        "int" => Schema::Int,
        "long" => Schema::Long,
        "float" => Schema::Float,
        "double" => Schema::Double,
        "bytes" => Schema::Bytes,
        "string" => Schema::String,
        _ => return None,
    })
}

/// Whether `name` is a valid Avro name (one component, no dots).
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_full_name(name: &FullName) -> Result<(), SchemaError> {
    if !is_valid_name(&name.name) {
        return fail(format!("\"{}\" is not a valid Avro name", name.name));
    }
    if !name.namespace.is_empty() && !name.namespace.split('.').all(is_valid_name) {
        return fail(format!(
            "\"{}\" is not a valid Avro namespace",
            name.namespace
        ));
    }
    Ok(())
}

#[derive(Default)]
struct Parser {
    named: BTreeMap<String, NamedType>,
    /// Full names defined so far (a record's name is defined before its fields are parsed).
    defined: std::collections::BTreeSet<String>,
}

impl Parser {
    fn parse(&mut self, json: &Value, namespace: &str) -> Result<Schema, SchemaError> {
        match json {
            Value::String(name) => self.reference(name, namespace),
            Value::Array(branches) => self.union(branches, namespace),
            Value::Object(object) => self.object(object, namespace),
            other => fail(format!(
                "a schema is a type name, an array (a union) or an object, not {other}"
            )),
        }
    }

    fn reference(&self, name: &str, namespace: &str) -> Result<Schema, SchemaError> {
        if let Some(schema) = primitive(name) {
            return Ok(schema);
        }
        let full = FullName::qualify(name, namespace).to_string();
        if self.defined.contains(&full) {
            return Ok(Schema::Named(full));
        }
        // Java also finds a name defined in the null namespace from inside another namespace.
        if !name.contains('.') && self.defined.contains(name) {
            return Ok(Schema::Named(name.to_string()));
        }
        fail(format!("\"{name}\" is not a defined type"))
    }

    fn union(&mut self, branches: &[Value], namespace: &str) -> Result<Schema, SchemaError> {
        let mut parsed = Vec::with_capacity(branches.len());
        let mut seen: Vec<String> = Vec::new();
        for branch in branches {
            let schema = self.parse(branch, namespace)?;
            let key = match &schema {
                Schema::Union(_) => return fail("a union cannot contain a union directly"),
                Schema::Named(name) => name.clone(),
                other => branch_name_of_unnamed(other).to_string(),
            };
            if seen.contains(&key) {
                return fail(format!("a union cannot contain two branches of type {key}"));
            }
            seen.push(key);
            parsed.push(schema);
        }
        Ok(Schema::Union(parsed))
    }

    fn object(
        &mut self,
        object: &Map<String, Value>,
        namespace: &str,
    ) -> Result<Schema, SchemaError> {
        let Some(kind) = object.get("type") else {
            return fail("a schema object needs a \"type\"");
        };
        let Value::String(kind) = kind else {
            // {"type": {...}} or {"type": [...]}: the type is itself a schema.
            return self.parse(kind, namespace);
        };
        match kind.as_str() {
            "record" | "error" => self.record(object, namespace),
            "enum" => self.enumeration(object, namespace),
            "fixed" => self.fixed(object, namespace),
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| SchemaError("an array needs \"items\"".into()))?;
                Ok(Schema::Array(Box::new(self.parse(items, namespace)?)))
            }
            "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| SchemaError("a map needs \"values\"".into()))?;
                Ok(Schema::Map(Box::new(self.parse(values, namespace)?)))
            }
            // A primitive in object form ({"type": "int", ...}) or a named type's name.
            name => self.reference(name, namespace),
        }
    }

    /// The full name of a named type being defined, and the namespace its contents inherit.
    fn define(
        &mut self,
        object: &Map<String, Value>,
        enclosing: &str,
    ) -> Result<(FullName, Vec<FullName>), SchemaError> {
        let Some(Value::String(name)) = object.get("name") else {
            return fail("a record, enum or fixed type needs a \"name\"");
        };
        let namespace = match object.get("namespace") {
            None | Some(Value::Null) => enclosing.to_string(),
            Some(Value::String(ns)) => ns.clone(),
            Some(other) => return fail(format!("a namespace is a string, not {other}")),
        };
        let full = FullName::qualify(name, &namespace);
        check_full_name(&full)?;
        if primitive(&full.to_string()).is_some() {
            return fail(format!(
                "\"{full}\" is a primitive type and cannot be redefined"
            ));
        }
        if !self.defined.insert(full.to_string()) {
            return fail(format!("the type \"{full}\" is defined twice"));
        }
        let aliases = string_list(object, "aliases")?
            .iter()
            .map(|alias| {
                let alias = FullName::qualify(alias, &full.namespace);
                check_full_name(&alias).map(|()| alias)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((full, aliases))
    }

    fn record(
        &mut self,
        object: &Map<String, Value>,
        enclosing: &str,
    ) -> Result<Schema, SchemaError> {
        let (name, aliases) = self.define(object, enclosing)?;
        let Some(Value::Array(field_list)) = object.get("fields") else {
            return fail(format!("the record \"{name}\" needs a \"fields\" array"));
        };
        let mut fields: Vec<Field> = Vec::with_capacity(field_list.len());
        for field in field_list {
            let field = self.field(field, &name)?;
            if fields.iter().any(|f| f.name == field.name) {
                return fail(format!(
                    "the record \"{name}\" has two fields \"{}\"",
                    field.name
                ));
            }
            fields.push(field);
        }
        let key = name.to_string();
        self.named.insert(
            key.clone(),
            NamedType::Record(Record {
                name,
                aliases,
                fields,
            }),
        );
        // Defaults are checked once the record is complete, so a field may default a value of
        // the record itself (a linked list's empty tail).
        let NamedType::Record(record) = &self.named[&key] else {
            unreachable!("just inserted a record")
        };
        for field in &record.fields {
            if let Some(default) = &field.default {
                if !self.fits(&field.schema, default) {
                    return fail(format!(
                        "the default {default} of field \"{}\" in \"{key}\" does not fit its type",
                        field.name
                    ));
                }
            }
        }
        Ok(Schema::Named(key))
    }

    fn field(&mut self, json: &Value, record: &FullName) -> Result<Field, SchemaError> {
        let Value::Object(object) = json else {
            return fail(format!("a field of \"{record}\" must be an object"));
        };
        let Some(Value::String(name)) = object.get("name") else {
            return fail(format!("a field of \"{record}\" needs a \"name\""));
        };
        if !is_valid_name(name) {
            return fail(format!("\"{name}\" is not a valid field name"));
        }
        let Some(kind) = object.get("type") else {
            return fail(format!(
                "the field \"{name}\" of \"{record}\" needs a \"type\""
            ));
        };
        let schema = self.parse(kind, &record.namespace)?;
        Ok(Field {
            name: name.clone(),
            aliases: string_list(object, "aliases")?,
            schema,
            default: object.get("default").cloned(),
        })
    }

    fn enumeration(
        &mut self,
        object: &Map<String, Value>,
        enclosing: &str,
    ) -> Result<Schema, SchemaError> {
        let (name, aliases) = self.define(object, enclosing)?;
        let symbols = string_list(object, "symbols")?;
        for (i, symbol) in symbols.iter().enumerate() {
            if !is_valid_name(symbol) {
                return fail(format!("\"{symbol}\" is not a valid enum symbol"));
            }
            if symbols[..i].contains(symbol) {
                return fail(format!(
                    "the enum \"{name}\" has the symbol \"{symbol}\" twice"
                ));
            }
        }
        let default = match object.get("default") {
            None => None,
            Some(Value::String(d)) if symbols.contains(d) => Some(d.clone()),
            Some(other) => {
                return fail(format!(
                    "the default {other} of enum \"{name}\" is not one of its symbols"
                ))
            }
        };
        let key = name.to_string();
        self.named.insert(
            key.clone(),
            NamedType::Enum(Enum {
                name,
                aliases,
                symbols,
                default,
            }),
        );
        Ok(Schema::Named(key))
    }

    fn fixed(
        &mut self,
        object: &Map<String, Value>,
        enclosing: &str,
    ) -> Result<Schema, SchemaError> {
        let (name, aliases) = self.define(object, enclosing)?;
        let Some(size) = object.get("size").and_then(Value::as_u64) else {
            return fail(format!(
                "the fixed type \"{name}\" needs a \"size\" (a whole number)"
            ));
        };
        let key = name.to_string();
        self.named.insert(
            key.clone(),
            NamedType::Fixed(Fixed {
                name,
                aliases,
                size_bytes: usize::try_from(size).unwrap_or(usize::MAX),
            }),
        );
        Ok(Schema::Named(key))
    }

    /// Whether `value` is a valid default (Avro's JSON encoding, unions by their first branch).
    fn fits(&self, schema: &Schema, value: &Value) -> bool {
        match (schema, value) {
            (Schema::Null, Value::Null) => true,
            (Schema::Boolean, Value::Bool(_)) => true,
            (Schema::Int, Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            (Schema::Long, Value::Number(n)) => n.as_i64().is_some(),
            (Schema::Float | Schema::Double, Value::Number(_)) => true,
            (Schema::Bytes | Schema::String, Value::String(_)) => true,
            (Schema::Array(items), Value::Array(values)) => {
                values.iter().all(|v| self.fits(items, v))
            }
            (Schema::Map(values), Value::Object(map)) => map.values().all(|v| self.fits(values, v)),
            (Schema::Union(branches), value) => {
                branches.first().is_some_and(|b| self.fits(b, value))
            }
            (Schema::Named(name), value) => match (&self.named.get(name), value) {
                (Some(NamedType::Enum(e)), Value::String(s)) => e.symbols.contains(s),
                (Some(NamedType::Fixed(f)), Value::String(s)) => s.chars().count() == f.size_bytes,
                (Some(NamedType::Record(r)), Value::Object(map)) => r.fields.iter().all(|f| {
                    map.get(&f.name)
                        .map_or(f.default.is_some(), |v| self.fits(&f.schema, v))
                }),
                _ => false,
            },
            _ => false,
        }
    }
}

/// The name of an unnamed type as a union branch (and in Avro's JSON encoding of unions).
pub fn branch_name_of_unnamed(schema: &Schema) -> &'static str {
    match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int => "int",
        Schema::Long => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes => "bytes",
        Schema::String => "string",
        Schema::Array(_) => "array",
        Schema::Map(_) => "map",
        Schema::Union(_) => "union",
        Schema::Named(_) => "named",
    }
}

fn string_list(object: &Map<String, Value>, key: &str) -> Result<Vec<String>, SchemaError> {
    match object.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => fail(format!("\"{key}\" must list strings, not {other}")),
            })
            .collect(),
        Some(other) => fail(format!(
            "\"{key}\" must be an array of strings, not {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_in_both_spellings() {
        assert_eq!(parse_schema("\"int\"").unwrap().root, Schema::Int);
        assert_eq!(
            parse_schema(r#"{"type":"long","logicalType":"timestamp-millis"}"#)
                .unwrap()
                .root,
            Schema::Long
        );
    }

    #[test]
    fn names_take_the_enclosing_namespace() {
        let s = parse_schema(
            r#"{"type":"record","name":"Order","namespace":"shop","fields":[
                {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
                {"name":"again","type":"Status"},
                {"name":"other","type":{"type":"fixed","name":"x.Id","size":4}}]}"#,
        )
        .unwrap();
        assert_eq!(s.root, Schema::Named("shop.Order".into()));
        assert!(s.named.contains_key("shop.Status"));
        assert!(s.named.contains_key("x.Id"));
        let NamedType::Record(order) = s.lookup("shop.Order") else {
            panic!()
        };
        assert_eq!(order.fields[1].schema, Schema::Named("shop.Status".into()));
    }

    #[test]
    fn a_linked_list_refers_to_itself() {
        let s = parse_schema(
            r#"{"type":"record","name":"LongList","fields":[
                {"name":"value","type":"long"},
                {"name":"next","type":["null","LongList"],"default":null}]}"#,
        )
        .unwrap();
        let NamedType::Record(list) = s.lookup("LongList") else {
            panic!()
        };
        assert_eq!(
            list.fields[1].schema,
            Schema::Union(vec![Schema::Null, Schema::Named("LongList".into())])
        );
    }

    #[test]
    fn aliases_are_qualified_in_the_types_namespace() {
        let s = parse_schema(r#"{"type":"record","name":"New","namespace":"ns","aliases":["Old","other.Older"],"fields":[]}"#).unwrap();
        let names: Vec<String> = s
            .lookup("ns.New")
            .aliases()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["ns.Old", "other.Older"]);
    }

    #[test]
    fn bad_schemas_say_why() {
        for (text, wanted) in [
            ("{", "not JSON"),
            ("\"Nope\"", "not a defined type"),
            (r#"["int","int"]"#, "two branches of type int"),
            (r#"["int",["null"]]"#, "union cannot contain a union"),
            (
                r#"{"type":"record","name":"1x","fields":[]}"#,
                "not a valid Avro name",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
                "does not fit",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":1}]}"#,
                "does not fit",
            ),
            (r#"{"type":"enum","name":"E","symbols":["A","A"]}"#, "twice"),
            (
                r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
                "not one of its symbols",
            ),
            (r#"{"type":"fixed","name":"F"}"#, "size"),
            (
                r#"["null",{"type":"record","name":"R","fields":[]},{"type":"record","name":"R","fields":[]}]"#,
                "defined twice",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#,
                "two fields",
            ),
        ] {
            let e = parse_schema(text).unwrap_err();
            assert!(e.0.contains(wanted), "{text}: {e}");
        }
    }
}
