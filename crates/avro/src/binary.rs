//! Avro's binary encoding, from and to values in Avro's JSON encoding (the form Confluent's
//! console tools and fastavro's JSON reader use): `null`, booleans and numbers as JSON; bytes and
//! fixed as strings of code points U+0000 to U+00FF, one per byte; enums as their symbol; a union
//! as `null` or `{"BRANCH": value}` where BRANCH is the branch's type name (a named type's full
//! name; its short name is accepted too).
//!
//! Binary: int and long as zig-zag varints, float and double little-endian, bytes and strings as a
//! long length and the bytes, records as their fields in order, enums as the symbol's index,
//! arrays and maps as one block (a count, the items, then 0; a map's keys in sorted order, so the
//! same value always gives the same bytes), unions as the branch index and the value, fixed raw.
//! Decoding also accepts the specification's negative block counts (followed by the block's size
//! in bytes).

use crate::schema::{branch_name_of_unnamed, NamedType, ParsedSchema, Schema};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Why a value does not encode, or bytes do not decode, with the path of the offending part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}

fn error<T>(path: &str, message: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError {
        path: path.to_string(),
        message: message.into(),
    })
}

/// Encodes `value` (Avro's JSON encoding) with `schema`.
pub fn encode(schema: &ParsedSchema, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_into(schema, &schema.root, value, "", &mut out)?;
    Ok(out)
}

fn write_long(n: i64, out: &mut Vec<u8>) {
    let mut zigzag = ((n << 1) ^ (n >> 63)) as u64;
    loop {
        let byte = (zigzag & 0x7f) as u8;
        zigzag >>= 7;
        if zigzag == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

/// A string of code points U+0000..=U+00FF as the bytes it stands for.
fn latin1_bytes(text: &str, path: &str) -> Result<Vec<u8>, CodecError> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c)).or_else(|_| {
                error(
                    path,
                    format!("bytes are written as code points U+0000 to U+00FF; {c:?} is not one"),
                )
            })
        })
        .collect()
}

fn encode_into(
    parsed: &ParsedSchema,
    schema: &Schema,
    value: &Value,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let mismatch = |wanted: &str| error(path, format!("expected {wanted}, found {value}"));
    match (schema, value) {
        (Schema::Null, Value::Null) => {}
        (Schema::Boolean, Value::Bool(b)) => out.push(u8::from(*b)),
        (Schema::Int, Value::Number(n)) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => write_long(i64::from(n), out),
            None => return mismatch("an int (a whole number from -2^31 to 2^31-1)"),
        },
        (Schema::Long, Value::Number(n)) => match n.as_i64() {
            Some(n) => write_long(n, out),
            None => return mismatch("a long (a whole number from -2^63 to 2^63-1)"),
        },
        (Schema::Float, Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(f64::NAN) as f32;
            out.extend_from_slice(&x.to_le_bytes());
        }
        (Schema::Double, Value::Number(n)) => {
            out.extend_from_slice(&n.as_f64().unwrap_or(f64::NAN).to_le_bytes());
        }
        (Schema::Bytes, Value::String(s)) => write_bytes(&latin1_bytes(s, path)?, out),
        (Schema::String, Value::String(s)) => write_bytes(s.as_bytes(), out),
        (Schema::Array(items), Value::Array(values)) => {
            if !values.is_empty() {
                write_long(values.len() as i64, out);
                for (i, v) in values.iter().enumerate() {
                    encode_into(parsed, items, v, &format!("{path}/{i}"), out)?;
                }
            }
            out.push(0);
        }
        (Schema::Map(values), Value::Object(map)) => {
            if !map.is_empty() {
                write_long(map.len() as i64, out);
                // serde_json's map keeps its keys sorted (the workspace does not turn on its
                // `preserve_order` feature), so entries go out in key order.
                for (key, value) in map {
                    write_bytes(key.as_bytes(), out);
                    encode_into(parsed, values, value, &format!("{path}/{key}"), out)?;
                }
            }
            out.push(0);
        }
        (Schema::Union(branches), value) => encode_union(parsed, branches, value, path, out)?,
        (Schema::Named(name), value) => {
            encode_named(parsed, parsed.lookup(name), value, path, out)?
        }
        (schema, _) => return mismatch(&describe(parsed, schema)),
    }
    Ok(())
}

fn encode_union(
    parsed: &ParsedSchema,
    branches: &[Schema],
    value: &Value,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    let (index, inner) = match value {
        Value::Null => match branches.iter().position(|b| *b == Schema::Null) {
            Some(i) => (i, value),
            None => return error(path, "null, but the union has no null branch"),
        },
        Value::Object(map) if map.len() == 1 => {
            let (branch, inner) = map.iter().next().expect("one entry");
            match branches
                .iter()
                .position(|b| branch_matches(parsed, b, branch))
            {
                Some(i) => (i, inner),
                None => return error(path, format!("the union has no branch \"{branch}\"")),
            }
        }
        _ => {
            return error(
                path,
                format!("a union value is null or {{\"BRANCH\": value}}, found {value}"),
            )
        }
    };
    write_long(index as i64, out);
    encode_into(parsed, &branches[index], inner, path, out)
}

/// Whether a union branch is called `name` in Avro's JSON encoding.
fn branch_matches(parsed: &ParsedSchema, branch: &Schema, name: &str) -> bool {
    match branch {
        Schema::Named(full) => full == name || parsed.lookup(full).name().name == name,
        other => branch_name_of_unnamed(other) == name,
    }
}

fn encode_named(
    parsed: &ParsedSchema,
    named: &NamedType,
    value: &Value,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    match (named, value) {
        (NamedType::Record(record), Value::Object(map)) => {
            for field in &record.fields {
                let field_path = format!("{path}/{}", field.name);
                let v = match (map.get(&field.name), &field.default) {
                    (Some(v), _) => v,
                    (None, Some(default)) => default,
                    (None, None) => {
                        return error(&field_path, "missing, and the field has no default")
                    }
                };
                encode_into(parsed, &field.schema, v, &field_path, out)?;
            }
            Ok(())
        }
        (NamedType::Enum(e), Value::String(symbol)) => {
            match e.symbols.iter().position(|s| s == symbol) {
                Some(i) => {
                    write_long(i as i64, out);
                    Ok(())
                }
                None => error(path, format!("\"{symbol}\" is not a symbol of {}", e.name)),
            }
        }
        (NamedType::Fixed(f), Value::String(s)) => {
            let bytes = latin1_bytes(s, path)?;
            if bytes.len() != f.size_bytes {
                return error(
                    path,
                    format!(
                        "{} holds {} bytes, found {}",
                        f.name,
                        f.size_bytes,
                        bytes.len()
                    ),
                );
            }
            out.extend_from_slice(&bytes);
            Ok(())
        }
        (named, value) => error(
            path,
            format!(
                "expected {} {}, found {value}",
                kind_article(named),
                named.name()
            ),
        ),
    }
}

fn kind_article(named: &NamedType) -> &'static str {
    match named {
        NamedType::Record(_) => "an object for the record",
        NamedType::Enum(_) => "a symbol of the enum",
        NamedType::Fixed(_) => "a string for the fixed",
    }
}

fn describe(parsed: &ParsedSchema, schema: &Schema) -> String {
    match schema {
        Schema::Named(name) => parsed.lookup(name).name().to_string(),
        Schema::Array(_) => "an array".into(),
        Schema::Map(_) => "an object (a map)".into(),
        other => format!("a {}", branch_name_of_unnamed(other)),
    }
}

/// Decodes one value of `schema` from `bytes`, which must hold exactly that value.
pub fn decode(schema: &ParsedSchema, bytes: &[u8]) -> Result<Value, CodecError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(schema, &schema.root, "")?;
    if reader.at != bytes.len() {
        return error(
            "",
            format!(
                "{} bytes left over after the value",
                bytes.len() - reader.at
            ),
        );
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, path: &str) -> Result<&[u8], CodecError> {
        match self.bytes.get(self.at..self.at.saturating_add(n)) {
            Some(slice) if self.at.checked_add(n).is_some() => {
                self.at += n;
                Ok(slice)
            }
            _ => error(
                path,
                format!(
                    "the input ends early: {n} more bytes needed at byte {}",
                    self.at
                ),
            ),
        }
    }

    fn long(&mut self, path: &str) -> Result<i64, CodecError> {
        let mut zigzag = 0_u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1, path)?[0];
            zigzag |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64));
            }
        }
        error(path, "a varint longer than 10 bytes")
    }

    fn length(&mut self, path: &str) -> Result<usize, CodecError> {
        let n = self.long(path)?;
        usize::try_from(n).or_else(|_| error(path, format!("a negative length {n}")))
    }

    fn value(
        &mut self,
        parsed: &ParsedSchema,
        schema: &Schema,
        path: &str,
    ) -> Result<Value, CodecError> {
        Ok(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => match self.take(1, path)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return error(path, format!("a boolean byte is 0 or 1, found {b}")),
            },
            Schema::Int => {
                let n = self.long(path)?;
                i32::try_from(n)
                    .or_else(|_| error(path, format!("{n} does not fit an int")))?
                    .into()
            }
            Schema::Long => self.long(path)?.into(),
            Schema::Float => {
                let raw: [u8; 4] = self.take(4, path)?.try_into().expect("4 bytes");
                number(f64::from(f32::from_le_bytes(raw)), path)?
            }
            Schema::Double => {
                let raw: [u8; 8] = self.take(8, path)?.try_into().expect("8 bytes");
                number(f64::from_le_bytes(raw), path)?
            }
            Schema::Bytes => {
                let n = self.length(path)?;
                Value::String(self.take(n, path)?.iter().map(|&b| char::from(b)).collect())
            }
            Schema::String => {
                let n = self.length(path)?;
                let raw = self.take(n, path)?;
                Value::String(
                    String::from_utf8(raw.to_vec())
                        .or_else(|_| error(path, "a string that is not UTF-8"))?,
                )
            }
            Schema::Array(items) => {
                let mut values = Vec::new();
                while let Some(count) = self.block_count(path)? {
                    for _ in 0..count {
                        let p = format!("{path}/{}", values.len());
                        values.push(self.value(parsed, items, &p)?);
                    }
                }
                Value::Array(values)
            }
            Schema::Map(values) => {
                let mut map = Map::new();
                while let Some(count) = self.block_count(path)? {
                    for _ in 0..count {
                        let n = self.length(path)?;
                        let key = String::from_utf8(self.take(n, path)?.to_vec())
                            .or_else(|_| error(path, "a map key that is not UTF-8"))?;
                        let p = format!("{path}/{key}");
                        let v = self.value(parsed, values, &p)?;
                        map.insert(key, v);
                    }
                }
                Value::Object(map)
            }
            Schema::Union(branches) => {
                let index = self.long(path)?;
                let Some(branch) = usize::try_from(index).ok().and_then(|i| branches.get(i)) else {
                    return error(path, format!("union branch {index} does not exist"));
                };
                let inner = self.value(parsed, branch, path)?;
                match branch {
                    Schema::Null => Value::Null,
                    Schema::Named(name) => single(name.clone(), inner),
                    other => single(branch_name_of_unnamed(other).to_string(), inner),
                }
            }
            Schema::Named(name) => match parsed.lookup(name) {
                NamedType::Record(record) => {
                    let mut map = Map::new();
                    for field in &record.fields {
                        let p = format!("{path}/{}", field.name);
                        let v = self.value(parsed, &field.schema, &p)?;
                        map.insert(field.name.clone(), v);
                    }
                    Value::Object(map)
                }
                NamedType::Enum(e) => {
                    let index = self.long(path)?;
                    match usize::try_from(index).ok().and_then(|i| e.symbols.get(i)) {
                        Some(symbol) => Value::String(symbol.clone()),
                        None => return error(path, format!("{} has no symbol {index}", e.name)),
                    }
                }
                NamedType::Fixed(f) => Value::String(
                    self.take(f.size_bytes, path)?
                        .iter()
                        .map(|&b| char::from(b))
                        .collect(),
                ),
            },
        })
    }

    /// The item count of the next block, or None at the closing 0. A negative count is followed
    /// by the block's size in bytes, which is read and not needed.
    fn block_count(&mut self, path: &str) -> Result<Option<u64>, CodecError> {
        let count = self.long(path)?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            self.long(path)?;
        }
        Ok(Some(count.unsigned_abs()))
    }
}

fn single(key: String, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key, value);
    Value::Object(map)
}

fn number(x: f64, path: &str) -> Result<Value, CodecError> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| CodecError {
            path: path.to_string(),
            message: format!("{x} cannot be written in JSON"),
        })
}

/// Bytes as lowercase hex, two digits each, `separator` between them: `""` for the compact
/// form `lab schema encode` prints, `" "` for people to read.
pub fn hex(bytes: &[u8], separator: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn round_trip(schema: &str, value: Value) -> String {
        let schema = parse_schema(schema).unwrap();
        let bytes = encode(&schema, &value).unwrap();
        assert_eq!(decode(&schema, &bytes).unwrap(), value, "{schema:?}");
        hex(&bytes, " ")
    }

    #[test]
    fn the_specifications_vectors() {
        for (n, want) in [
            (0, "00"),
            (-1, "01"),
            (1, "02"),
            (-64, "7f"),
            (64, "80 01"),
            (27, "36"),
        ] {
            assert_eq!(round_trip("\"long\"", json!(n)), want);
        }
        assert_eq!(round_trip("\"float\"", json!(1.5)), "00 00 c0 3f");
        assert_eq!(
            round_trip("\"double\"", json!(1.5)),
            "00 00 00 00 00 00 f8 3f"
        );
        assert_eq!(round_trip("\"string\"", json!("foo")), "06 66 6f 6f");
        assert_eq!(
            round_trip(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}"#,
                json!({"a": 27, "b": "foo"})
            ),
            "36 06 66 6f 6f"
        );
        assert_eq!(
            round_trip(r#"{"type":"array","items":"long"}"#, json!([3, 27])),
            "04 06 36 00"
        );
        assert_eq!(
            round_trip(r#"{"type":"map","values":"long"}"#, json!({"a": 1})),
            "02 02 61 02 00"
        );
        assert_eq!(round_trip(r#"["null","string"]"#, json!(null)), "00");
        assert_eq!(
            round_trip(r#"["null","string"]"#, json!({"string": "a"})),
            "02 02 61"
        );
        let list = r#"{"type":"record","name":"LongList","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","LongList"]}]}"#;
        assert_eq!(
            round_trip(
                list,
                json!({"value": 1, "next": {"LongList": {"value": 2, "next": null}}})
            ),
            "02 02 04 00"
        );
    }

    #[test]
    fn bytes_fixed_enums_and_named_branches() {
        assert_eq!(round_trip("\"bytes\"", json!("\u{0}\u{ff}")), "04 00 ff");
        assert_eq!(
            round_trip(r#"{"type":"fixed","name":"F","size":2}"#, json!("ab")),
            "61 62"
        );
        assert_eq!(
            round_trip(
                r#"{"type":"enum","name":"E","symbols":["A","B"]}"#,
                json!("B")
            ),
            "02"
        );
        let union =
            r#"["null",{"type":"record","name":"ns.R","fields":[{"name":"x","type":"int"}]}]"#;
        assert_eq!(round_trip(union, json!({"ns.R": {"x": 1}})), "02 02");
        let schema = parse_schema(union).unwrap();
        assert_eq!(
            encode(&schema, &json!({"R": {"x": 1}})).unwrap(),
            [2, 2],
            "the short name works too"
        );
    }

    #[test]
    fn maps_encode_in_key_order_so_bytes_are_deterministic() {
        let schema = parse_schema(r#"{"type":"map","values":"int"}"#).unwrap();
        let a = encode(&schema, &json!({"b": 2, "a": 1})).unwrap();
        assert_eq!(hex(&a, " "), "04 02 61 02 02 62 04 00");
    }

    #[test]
    fn negative_block_counts_decode() {
        let schema = parse_schema(r#"{"type":"array","items":"long"}"#).unwrap();
        // -2 items in 2 bytes, then the end.
        assert_eq!(
            decode(&schema, &[0x03, 0x04, 0x06, 0x36, 0x00]).unwrap(),
            json!([3, 27])
        );
    }

    #[test]
    fn bad_values_and_bytes_say_where() {
        let schema = parse_schema(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"u","type":["null","int"]}]}"#).unwrap();
        let e = encode(&schema, &json!({"a": 1u64 << 40, "u": null})).unwrap_err();
        assert_eq!(e.path, "/a");
        let e = encode(&schema, &json!({"a": 1})).unwrap_err();
        assert!(e.to_string().contains("/u: missing"), "{e}");
        let e = encode(&schema, &json!({"a": 1, "u": {"string": "x"}})).unwrap_err();
        assert!(e.message.contains("no branch \"string\""), "{e}");
        assert!(decode(&schema, &[0x02])
            .unwrap_err()
            .message
            .contains("ends early"));
        assert!(decode(&schema, &[0x02, 0x00, 0x00])
            .unwrap_err()
            .message
            .contains("left over"));
        assert!(decode(&schema, &[0x02, 0x08])
            .unwrap_err()
            .message
            .contains("branch 4"));
    }
}
