//! Parsing Canonical Form and fingerprints, from the Avro specification's section of that name:
//! two schemas that differ only in what a reader ignores (docs, aliases, defaults, logical types,
//! attribute order, whitespace, short names) have the same canonical text, and so the same
//! CRC-64-AVRO fingerprint (a Rabin fingerprint seeded with `0xc15d213aa4d7a795`).

use crate::schema::{branch_name_of_unnamed, NamedType, ParsedSchema, Schema};
use std::collections::BTreeSet;

/// The seed (and the empty input's fingerprint) of CRC-64-AVRO.
const EMPTY: u64 = 0xc15d_213a_a4d7_a795;

/// The schema's Parsing Canonical Form: primitives as bare names, full names, only the
/// attributes `type`, `name`, `fields`, `symbols`, `items`, `values`, `size` in that order, each
/// named type spelled out at its first use and named after that, no whitespace.
pub fn canonical_form(schema: &ParsedSchema) -> String {
    let mut out = String::new();
    let mut written = BTreeSet::new();
    write_canonical(schema, &schema.root, &mut written, &mut out);
    out
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn write_canonical(
    parsed: &ParsedSchema,
    schema: &Schema,
    written: &mut BTreeSet<String>,
    out: &mut String,
) {
    match schema {
        Schema::Array(items) => {
            out.push_str("{\"type\":\"array\",\"items\":");
            write_canonical(parsed, items, written, out);
            out.push('}');
        }
        Schema::Map(values) => {
            out.push_str("{\"type\":\"map\",\"values\":");
            write_canonical(parsed, values, written, out);
            out.push('}');
        }
        Schema::Union(branches) => {
            out.push('[');
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(parsed, branch, written, out);
            }
            out.push(']');
        }
        Schema::Named(name) => {
            if !written.insert(name.clone()) {
                out.push_str(&quoted(name));
                return;
            }
            match parsed.lookup(name) {
                NamedType::Record(record) => {
                    out.push_str(&format!(
                        "{{\"name\":{},\"type\":\"record\",\"fields\":[",
                        quoted(name)
                    ));
                    for (i, field) in record.fields.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&format!("{{\"name\":{},\"type\":", quoted(&field.name)));
                        write_canonical(parsed, &field.schema, written, out);
                        out.push('}');
                    }
                    out.push_str("]}");
                }
                NamedType::Enum(e) => {
                    let symbols: Vec<String> = e.symbols.iter().map(|s| quoted(s)).collect();
                    out.push_str(&format!(
                        "{{\"name\":{},\"type\":\"enum\",\"symbols\":[{}]}}",
                        quoted(name),
                        symbols.join(",")
                    ));
                }
                NamedType::Fixed(f) => {
                    out.push_str(&format!(
                        "{{\"name\":{},\"type\":\"fixed\",\"size\":{}}}",
                        quoted(name),
                        f.size_bytes
                    ));
                }
            }
        }
        primitive => out.push_str(&quoted(branch_name_of_unnamed(primitive))),
    }
}

/// CRC-64-AVRO of `bytes`.
pub fn crc64_avro(bytes: &[u8]) -> u64 {
    let table = fingerprint_table();
    bytes.iter().fold(EMPTY, |fp, &b| {
        (fp >> 8) ^ table[((fp ^ u64::from(b)) & 0xff) as usize]
    })
}

fn fingerprint_table() -> [u64; 256] {
    let mut table = [0_u64; 256];
    for (i, entry) in table.iter_mut().enumerate() {
        let mut fp = i as u64;
        for _ in 0..8 {
            fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
        }
        *entry = fp;
    }
    table
}

/// The schema's fingerprint: CRC-64-AVRO of its canonical form.
pub fn fingerprint(schema: &ParsedSchema) -> u64 {
    crc64_avro(canonical_form(schema).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;

    #[test]
    fn fingerprints_of_the_specification_examples() {
        assert_eq!(
            fingerprint(&parse_schema("\"null\"").unwrap()),
            0x63dd_24e7_cc25_8f8a
        );
        assert_eq!(
            fingerprint(&parse_schema("\"null\"").unwrap()),
            7_195_948_357_588_979_594
        );
        // Libraries print it as little-endian bytes: "int" is 8f5c393f1ad57572.
        let int = fingerprint(&parse_schema(r#"{"type":"int"}"#).unwrap());
        assert_eq!(
            int.to_le_bytes(),
            [0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]
        );
    }

    #[test]
    fn canonical_form_drops_what_readers_ignore() {
        let a = parse_schema(
            r#"{"namespace":"shop","type":"record","name":"Order","doc":"an order","aliases":["Old"],
                "fields":[{"name":"id","type":{"type":"long","logicalType":"timestamp-millis"},"default":0},
                          {"name":"next","type":["null","Order"]},
                          {"name":"tags","type":{"type":"map","values":{"type":"array","items":"string"}}}]}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_form(&a),
            r#"{"name":"shop.Order","type":"record","fields":[{"name":"id","type":"long"},{"name":"next","type":["null","shop.Order"]},{"name":"tags","type":{"type":"map","values":{"type":"array","items":"string"}}}]}"#
        );
    }
}
