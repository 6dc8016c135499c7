//! Avro, as a Kafka Schema Registry uses it, written for the lab (no I/O, deterministic, no
//! browser): parse a schema ([`schema`]), its Parsing Canonical Form and CRC-64-AVRO fingerprint
//! ([`canonical`]), encode a value given in Avro's JSON encoding to Avro binary and back
//! ([`binary`]), and decide whether a reader schema can read what a writer schema wrote
//! ([`compat`], a port of the rules of Avro's Java `SchemaCompatibility`, which the registry runs)
//! and whether a new version may join a subject under a compatibility mode ([`registry`]).
//!
//! Why not the `apache-avro` crate: its compatibility checker answers differently from the Java
//! one the registry uses (an enum that gains a symbol, a union that gains a branch, a renamed
//! record with an alias), and its maps encode in hash order, so the same value would not always
//! give the same bytes.
//!
//! ```
//! use avro::schema::parse_schema;
//! let old = parse_schema(r#"{"type":"record","name":"User","fields":[{"name":"id","type":"int"}]}"#).unwrap();
//! let new = parse_schema(r#"{"type":"record","name":"User","fields":[
//!     {"name":"id","type":"long"},
//!     {"name":"email","type":["null","string"],"default":null}]}"#).unwrap();
//! // BACKWARD: the new schema reads what the old one wrote (int widens to long, email has a default).
//! assert!(avro::compat::check(&new, &old).is_compatible());
//! // FORWARD fails: the old schema cannot read a long as an int.
//! assert!(!avro::compat::check(&old, &new).is_compatible());
//! let bytes = avro::binary::encode(&new, &serde_json::json!({"id": 27, "email": {"string": "a"}})).unwrap();
//! assert_eq!(bytes, [0x36, 0x02, 0x02, b'a']);
//! ```

pub mod binary;
pub mod canonical;
pub mod compat;
pub mod registry;
pub mod resolve;
pub mod schema;
