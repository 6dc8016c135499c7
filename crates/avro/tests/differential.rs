//! Differential tests against the Python oracles of `tests/oracles/avro_oracle.py`, one process
//! for the whole run (`FLOWLAB_PYTHON`, set by scripts/test.sh, names a Python with them):
//!
//! - compatibility: 2,400 generated writer schemas, each with a reader made by one to three
//!   changes of the kinds schemas evolve by (a field added with or without a default, removed,
//!   renamed with or without an alias, a type widened or narrowed, an enum symbol or a union
//!   branch added or removed, a record renamed, moved to another namespace or given an alias, a
//!   fixed resized), checked both ways against the `avro` package's port of Java's
//!   `SchemaCompatibility`. Aliases are written fully qualified: the Python port compares them
//!   unqualified where Java qualifies them in the reader's namespace (we follow Java; see
//!   `compat.rs`'s tests).
//! - binary encoding: a random value of each writer schema, encoded by us and by fastavro; the
//!   bytes must be equal (when no map has two keys or more: map order is free in Avro, ours is
//!   sorted), and fastavro must decode our bytes back to the value.
//! - canonical form and fingerprint of each writer schema, against fastavro's.

use avro::schema::parse_schema_json;
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PRIMITIVES: [&str; 7] = [
    "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Generates schemas with unique type names.
struct Generator {
    rng: Rng,
    names: usize,
    /// Inside a linked list's first link.
    in_list: bool,
}

impl Generator {
    fn fresh_name(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}{}", self.names)
    }

    fn primitive(&mut self) -> Value {
        json!(self.rng.pick(&PRIMITIVES))
    }

    fn schema(&mut self, depth: usize) -> Value {
        let kinds = if depth == 0 { 1 } else { 8 };
        match self.rng.below(kinds + 2) {
            0..=2 => self.primitive(),
            3 => json!({"type": "array", "items": self.schema(depth - 1)}),
            4 => json!({"type": "map", "values": self.schema(depth - 1)}),
            5 => {
                let mut branches = vec![json!("null"), self.primitive()];
                if self.rng.chance(40) {
                    let third = self.primitive();
                    if !clashes_in_python(&branches, &third) {
                        branches.push(third);
                    }
                }
                Value::Array(branches)
            }
            6 => {
                let n = 1 + self.rng.below(4);
                let symbols: Vec<String> = (0..n).map(|i| format!("S{i}")).collect();
                json!({"type": "enum", "name": self.fresh_name("E"), "symbols": symbols})
            }
            7 => {
                json!({"type": "fixed", "name": self.fresh_name("F"), "size": 1 + self.rng.below(4)})
            }
            _ => self.record(depth - 1),
        }
    }

    fn record(&mut self, depth: usize) -> Value {
        let n = 1 + self.rng.below(4);
        let fields: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("f{i}"), "type": self.schema(depth)}))
            .collect();
        let mut record = json!({"type": "record", "name": self.fresh_name("R"), "fields": fields});
        if self.rng.chance(30) {
            record["namespace"] = json!("ns");
        }
        record
    }

    /// A linked list of some primitive, sometimes.
    fn top(&mut self) -> Value {
        if self.rng.chance(8) {
            let value = self.primitive();
            let name = self.fresh_name("List");
            return json!({"type": "record", "name": name, "fields": [
                {"name": "value", "type": value},
                {"name": "next", "type": ["null", name], "default": null}]});
        }
        self.record(2)
    }

    fn value(&mut self, schema: &Value, named: &mut Map<String, Value>, namespace: &str) -> Value {
        match schema {
            Value::String(t) => match t.as_str() {
                "null" => Value::Null,
                "boolean" => json!(self.rng.chance(50)),
                "int" => json!(self.rng.next() as i32 / (1 << self.rng.below(31))),
                "long" => json!(self.rng.next() as i64 >> self.rng.below(63)),
                "float" => json!(f64::from((self.rng.below(2000) as f32 - 1000.0) / 8.0)),
                "double" => json!((self.rng.next() % 100_000) as f64 / 7.0 - 5000.0),
                "bytes" => json!((0..self.rng.below(4))
                    .map(|_| char::from(self.rng.below(256) as u8))
                    .collect::<String>()),
                "string" => json!((0..self.rng.below(5))
                    .map(|_| *self.rng.pick(&['a', 'b', 'é', '€', ' ']))
                    .collect::<String>()),
                name => {
                    let full = if name.contains('.') || namespace.is_empty() {
                        name.to_string()
                    } else {
                        format!("{namespace}.{name}")
                    };
                    let def = named
                        .get(&full)
                        .or_else(|| named.get(name))
                        .cloned()
                        .expect("defined earlier");
                    self.value(&def, named, namespace)
                }
            },
            Value::Array(branches) => {
                let branch = &branches[self.rng.below(branches.len())];
                let inner = self.value(branch, named, namespace);
                if *branch == json!("null") {
                    Value::Null
                } else {
                    json!({ branch_name(branch, namespace): inner })
                }
            }
            Value::Object(object) => {
                let ns = object
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(namespace)
                    .to_string();
                match object["type"].as_str().unwrap_or("") {
                    "array" => Value::Array(
                        (0..self.rng.below(4))
                            .map(|_| self.value(&object["items"], named, &ns))
                            .collect(),
                    ),
                    "map" => Value::Object(
                        (0..self.rng.below(4))
                            .map(|i| (format!("k{i}"), self.value(&object["values"], named, &ns)))
                            .collect(),
                    ),
                    "enum" => {
                        register(named, object, &ns);
                        json!(self.rng.pick(object["symbols"].as_array().unwrap()))
                    }
                    "fixed" => {
                        register(named, object, &ns);
                        json!((0..object["size"].as_u64().unwrap())
                            .map(|_| char::from(self.rng.below(256) as u8))
                            .collect::<String>())
                    }
                    "record" => {
                        register(named, object, &ns);
                        // A linked list has at most two links: fastavro's JSON reader fails on a
                        // recursive union branch nested twice ("'List1' is not in list").
                        let mut out = Map::new();
                        let is_link = object["name"].as_str().unwrap().starts_with("List");
                        let deep = std::mem::replace(&mut self.in_list, is_link);
                        for field in object["fields"].as_array().unwrap() {
                            let name = field["name"].as_str().unwrap().to_string();
                            let v = if name == "next" && (deep || self.rng.chance(40)) {
                                Value::Null
                            } else {
                                self.value(&field["type"], named, &ns)
                            };
                            out.insert(name, v);
                        }
                        self.in_list = deep;
                        Value::Object(out)
                    }
                    other => self.value(&json!(other), named, &ns),
                }
            }
            other => panic!("not a schema: {other}"),
        }
    }
}

/// fastavro's JSON reader and writer choose a union's branch by the Python type of the value, not
/// by the branch named in the JSON, so a union the oracle can check holds at most one of
/// boolean, int, long, float and double (a Python bool is an int), and no type twice.
fn clashes_in_python(branches: &[Value], candidate: &Value) -> bool {
    let numeric = |v: &Value| {
        matches!(
            v.as_str(),
            Some("boolean" | "int" | "long" | "float" | "double")
        )
    };
    branches.contains(candidate) || (numeric(candidate) && branches.iter().any(numeric))
}

fn register(named: &mut Map<String, Value>, object: &Map<String, Value>, namespace: &str) {
    let name = object["name"].as_str().unwrap();
    let full = if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}.{name}")
    };
    named
        .entry(full)
        .or_insert_with(|| Value::Object(object.clone()));
}

fn branch_name(branch: &Value, namespace: &str) -> String {
    match branch {
        Value::String(name) if PRIMITIVES.contains(&name.as_str()) || name == "null" => {
            name.clone()
        }
        Value::String(name) => {
            if name.contains('.') || namespace.is_empty() {
                name.clone()
            } else {
                format!("{namespace}.{name}")
            }
        }
        Value::Object(o) => match o["type"].as_str().unwrap() {
            "array" | "map" => o["type"].as_str().unwrap().to_string(),
            _ => {
                let name = o["name"].as_str().unwrap();
                let ns = o
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(namespace);
                if ns.is_empty() {
                    name.to_string()
                } else {
                    format!("{ns}.{name}")
                }
            }
        },
        other => panic!("not a branch: {other}"),
    }
}

/// A default value that fits `schema` (its first branch, for a union), if one is easy to write.
fn default_for(schema: &Value) -> Option<Value> {
    match schema {
        Value::String(t) => match t.as_str() {
            "null" => Some(Value::Null),
            "boolean" => Some(json!(false)),
            "int" | "long" | "float" | "double" => Some(json!(0)),
            "bytes" | "string" => Some(json!("")),
            _ => None,
        },
        Value::Array(branches) => branches.first().and_then(default_for),
        Value::Object(o) => match o["type"].as_str() {
            Some("array") => Some(json!([])),
            Some("map") => Some(json!({})),
            Some("enum") => o["symbols"].as_array().and_then(|s| s.first().cloned()),
            _ => None,
        },
        _ => None,
    }
}

/// Evolves a record schema (inside `enclosing`, its parent's namespace) by one change.
fn mutate(rng: &mut Rng, schema: &mut Value, enclosing: &str) {
    let namespace = schema
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(enclosing)
        .to_string();
    let has_aliases = schema.get("aliases").is_some();
    let Some(fields) = schema.get_mut("fields").and_then(Value::as_array_mut) else {
        return;
    };
    let i = rng.below(fields.len());
    match rng.below(12) {
        0 => {
            // Add a field, with a default or not.
            let n = fields.len();
            let kind = *rng.pick(&PRIMITIVES);
            let mut field = json!({"name": format!("added{n}"), "type": kind});
            if rng.chance(60) {
                field["default"] = default_for(&json!(kind)).unwrap();
            }
            fields.push(field);
        }
        1 if fields.len() > 1 => {
            fields.remove(i);
        }
        2 => {
            // Rename a field, keeping the old name as an alias or not.
            let old = fields[i]["name"].as_str().unwrap().to_string();
            fields[i]["name"] = json!(format!("{old}_renamed"));
            if rng.chance(60) {
                fields[i]["aliases"] = json!([old]);
            }
        }
        3 => {
            // Change a primitive field's type (a promotion, a narrowing, or unrelated).
            if let Value::String(_) = fields[i]["type"] {
                fields[i]["type"] = json!(rng.pick(&PRIMITIVES));
            }
        }
        4 => {
            // Wrap a field's type in a union with null, or unwrap it.
            let t = fields[i]["type"].clone();
            fields[i]["type"] = match t {
                Value::Array(mut branches) if branches.len() > 1 => branches.remove(1),
                Value::String(ref p) if p != "null" => json!(["null", t]),
                other => other,
            };
        }
        5 => {
            // Give a field a default.
            if let Some(d) = default_for(&fields[i]["type"]) {
                fields[i]["default"] = d;
            }
        }
        6 => {
            // Rename the record, with a fully qualified alias or not.
            let old = schema["name"].as_str().unwrap().to_string();
            schema["name"] = json!(format!("{old}x"));
            if rng.chance(50) && !namespace.is_empty() {
                schema["aliases"] = json!([format!("{namespace}.{old}")]);
            }
        }
        7 if !has_aliases => {
            // Move the record to another namespace (one with an alias stays, so that its alias
            // keeps naming the writer).
            schema["namespace"] = json!(if schema.get("namespace").is_some() {
                "other"
            } else {
                "ns"
            });
        }
        _ => mutate_nested(rng, &mut fields[i]["type"], &namespace),
    }
}

/// Changes a nested enum, fixed, union, array, map or record.
fn mutate_nested(rng: &mut Rng, schema: &mut Value, enclosing: &str) {
    match schema {
        Value::Array(branches) => {
            if branches.len() > 2 && rng.chance(50) {
                branches.pop();
            } else {
                let extra = json!(rng.pick(&PRIMITIVES));
                if !clashes_in_python(branches, &extra) {
                    branches.push(extra);
                }
            }
        }
        Value::Object(o) => match o["type"].as_str().unwrap_or("") {
            "enum" => {
                let symbols = o["symbols"].as_array_mut().unwrap();
                match rng.below(3) {
                    0 if symbols.len() > 1 => {
                        symbols.pop();
                    }
                    1 => {
                        let n = symbols.len();
                        symbols.push(json!(format!("S{n}")));
                    }
                    _ => {
                        let first = symbols[0].clone();
                        o.insert("default".into(), first);
                    }
                }
            }
            "fixed" => {
                let size = o["size"].as_u64().unwrap();
                o.insert("size".into(), json!(size + 1));
            }
            "array" => mutate_nested(rng, o.get_mut("items").unwrap(), enclosing),
            "map" => mutate_nested(rng, o.get_mut("values").unwrap(), enclosing),
            "record" => {
                let mut record = Value::Object(o.clone());
                mutate(rng, &mut record, enclosing);
                *o = record.as_object().unwrap().clone();
            }
            _ => {}
        },
        Value::String(_) => *schema = json!(rng.pick(&PRIMITIVES)),
        _ => {}
    }
}

struct Oracle {
    requests: Vec<Value>,
}

impl Oracle {
    fn ask(self) -> Vec<Value> {
        // scripts/test.sh points FLOWLAB_PYTHON at a virtual environment holding the oracles.
        let python = std::env::var("FLOWLAB_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/oracles/avro_oracle.py"
        );
        let mut child = Command::new(&python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python}: {e}"));
        let mut stdin = child.stdin.take().unwrap();
        let input: String = self.requests.iter().map(|r| format!("{r}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect();
        writer.join().unwrap().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.success() && answers.len() == self.requests.len(),
            "the oracle failed (run scripts/test.sh, or set FLOWLAB_PYTHON to a Python with tests/oracles/requirements.txt installed)"
        );
        answers
    }
}

fn has_big_map(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.len() >= 2 && !map.contains_key("value") && map.keys().all(|k| k.starts_with('k'))
                || map.values().any(has_big_map)
        }
        Value::Array(items) => items.iter().any(has_big_map),
        _ => false,
    }
}

const PAIRS: usize = 2_400;

#[test]
fn compatibility_encoding_and_fingerprints_agree_with_the_oracles() {
    let mut generator = Generator {
        rng: Rng(20_261_206),
        names: 0,
        in_list: false,
    };
    let mut requests = Vec::new();
    let mut cases = Vec::new();
    for _ in 0..PAIRS {
        let writer = generator.top();
        let mut reader = writer.clone();
        for _ in 0..1 + generator.rng.below(3) {
            mutate(&mut generator.rng, &mut reader, "");
        }
        let ours_writer = parse_schema_json(&writer).unwrap_or_else(|e| panic!("{writer}: {e}"));
        let Ok(ours_reader) = parse_schema_json(&reader) else {
            // A change can make a schema invalid (a default that no longer fits): skip it.
            continue;
        };
        let value = generator.value(&writer, &mut Map::new(), "");
        let bytes = avro::binary::encode(&ours_writer, &value)
            .unwrap_or_else(|e| panic!("{writer} {value}: {e}"));
        let hex = avro::binary::hex(&bytes, "");
        requests.push(json!({"op": "compat", "reader": reader, "writer": writer}));
        requests.push(json!({"op": "compat", "reader": writer, "writer": reader}));
        requests.push(json!({"op": "encode", "schema": writer, "value": value, "ours": hex}));
        requests.push(json!({"op": "canonical", "schema": writer}));
        requests.push(json!({"op": "resolve", "writer": writer, "reader": reader, "hex": hex}));
        cases.push((writer, reader, ours_writer, ours_reader, value, hex));
    }
    assert!(cases.len() >= 2_000, "only {} valid pairs", cases.len());
    let answers = Oracle { requests }.ask();
    let mut mismatches = Vec::new();
    let (mut compatible, mut incompatible, mut resolved) = (0, 0, 0);
    for (case, answers) in cases.iter().zip(answers.chunks(5)) {
        let (writer, reader, ours_writer, ours_reader, value, hex) = case;
        for (answer, (r, w), (rj, wj)) in [
            (&answers[0], (ours_reader, ours_writer), (reader, writer)),
            (&answers[1], (ours_writer, ours_reader), (writer, reader)),
        ] {
            let ours = avro::compat::check(r, w);
            match answer["compatible"].as_bool() {
                Some(theirs) if theirs == ours.is_compatible() => {
                    if theirs {
                        compatible += 1
                    } else {
                        incompatible += 1
                    }
                }
                _ => mismatches.push(format!(
                    "compat: reader {rj}\n writer {wj}\n ours {:?}\n theirs {answer}",
                    ours.incompatibilities
                )),
            }
        }
        let encoded = &answers[2];
        if encoded["decoded"] != *value && !floats_equal(&encoded["decoded"], value) {
            mismatches.push(format!(
                "decode of our bytes: {writer}\n value {value}\n fastavro {}",
                encoded["decoded"]
            ));
        }
        if !has_big_map(value) && encoded["hex"].as_str() != Some(hex.as_str()) {
            mismatches.push(format!(
                "encode: {writer}\n value {value}\n ours {hex}\n fastavro {}",
                encoded["hex"]
            ));
        }
        // Schema resolution: where the reader can read the writer, our decoding of the writer's
        // bytes into the reader schema must give fastavro's value.
        if avro::compat::check(ours_reader, ours_writer).is_compatible() {
            resolved += 1;
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            let theirs = &answers[4]["decoded"];
            match avro::resolve::decode_resolved(ours_writer, ours_reader, &bytes) {
                Ok(ours)
                    if ours.value == *theirs
                        || floats_equal_as_f32(
                            &same_kind_branches(&ours.value),
                            &same_kind_branches(theirs),
                        ) => {}
                // Both refuse bytes that are not UTF-8 read as a string.
                Err(e)
                    if e.message.contains("not UTF-8")
                        && answers[4]["error"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("UnicodeDecodeError")) => {}
                ours => mismatches.push(format!(
                    "resolve: writer {writer}\n reader {reader}\n value {value}\n ours {ours:?}\n fastavro {}",
                    answers[4]
                )),
            }
        }
        let canonical = &answers[3];
        let form = avro::canonical::canonical_form(ours_writer);
        let fingerprint = format!(
            "{:016x}",
            avro::canonical::fingerprint(ours_writer).swap_bytes()
        );
        if canonical["canonical"].as_str() != Some(form.as_str())
            || canonical["fingerprint"].as_str() != Some(fingerprint.as_str())
        {
            mismatches.push(format!(
                "canonical: {writer}\n ours {form} {fingerprint}\n fastavro {canonical}"
            ));
        }
    }
    println!("avro differential: {} pairs, {compatible} compatible and {incompatible} incompatible directions, {resolved} resolved reads, {} mismatches", cases.len(), mismatches.len());
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(
        compatible > 500 && incompatible > 500,
        "both verdicts are exercised: {compatible} / {incompatible}"
    );
    assert!(resolved > 500, "only {resolved} resolved reads");
}

/// A value with the union branches a promotion can reach under one name: a reader union with
/// both `string` and `bytes` (or several numeric types) gets the writer's exact type from us, as
/// Java's resolving decoder picks it, and the first promotable branch from fastavro.
fn same_kind_branches(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k.as_str() {
                        "string" | "bytes" => "string or bytes",
                        "int" | "long" | "float" | "double" => "number",
                        other => other,
                    };
                    (key.to_string(), same_kind_branches(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(same_kind_branches).collect()),
        other => other.clone(),
    }
}

/// JSON values equal, numbers compared as 32-bit floats. An int or long read as a `float` is
/// narrowed to 32 bits here, as Java's resolving decoder does; fastavro keeps Python's 64-bit
/// float, so the two agree only at float precision.
fn floats_equal_as_f32(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().map(|x| x as f32) == y.as_f64().map(|y| y as f32)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| floats_equal_as_f32(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| floats_equal_as_f32(v, w)))
        }
        _ => a == b,
    }
}

/// JSON values equal, numbers compared as floats (fastavro prints 1.0 where we print 1).
fn floats_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| floats_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| floats_equal(v, w)))
        }
        _ => a == b,
    }
}
