//! # registry: a Schema Registry as Confluent's behaves, for the lab
//!
//! A registry keeps Avro schemas under **subjects** (by Confluent's default TopicNameStrategy,
//! `<topic>-value` and `<topic>-key`). Each subject has versions 1, 2, … and each distinct schema
//! gets one **global id**: the same schema registered under two subjects has one id. A new version
//! must pass the subject's **compatibility level** (BACKWARD by default; FORWARD, FULL, their
//! `_TRANSITIVE` forms and NONE), checked with Avro's Java `SchemaCompatibility` rules
//! ([`avro::compat`]); an incompatible one is refused with HTTP 409 and the checker's messages.
//! Registering a schema the subject already has returns its id without any check
//! (Confluent's `KafkaSchemaRegistry.register` looks the schema up first).
//!
//! Serializers frame each datum in the wire format ([`wire`]): `0x00`, the id as 4 bytes
//! big-endian, the Avro binary. A deserializer reads the id, fetches the writer's schema, and
//! resolves the datum into the reader's schema ([`avro::resolve`]).
//!
//! The state changes only through [`RegistryCommand`]s, journaled by [`command_codec`]; maps are
//! `BTreeMap`s and [`Registry::hash_into`] fingerprints everything, so a replay is exact.
//!
//! ```
//! use registry::{Registry, RegistryCommand, RegistryEvent, SchemaId, Version};
//! let mut registry = Registry::default();
//! let v1 = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
//! let event = registry.apply(&RegistryCommand::Register { subject: "users-value".into(), schema: v1.into() }).unwrap();
//! assert!(matches!(event, RegistryEvent::Registered { id: SchemaId(1), version: Version(1), .. }));
//! // A field without a default: the new schema cannot read old records, so BACKWARD refuses it.
//! let v2 = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}"#;
//! let event = registry.apply(&RegistryCommand::Register { subject: "users-value".into(), schema: v2.into() }).unwrap();
//! let RegistryEvent::Refused { message, .. } = event else { panic!() };
//! assert!(message.starts_with("Schema being registered is incompatible with an earlier schema"));
//! let framed = registry.serialize("users", v1, &serde_json::json!({"id": 27})).unwrap();
//! assert_eq!(framed.bytes, [0, 0, 0, 0, 1, 0x36]);
//! ```

pub mod command_codec;
pub mod wire;

pub use avro;
use avro::binary::encode;
use avro::compat::{Incompatibility, IncompatibilityKind};
pub use avro::registry::Mode;
use avro::registry::{check_new_version, Failure};
use avro::resolve::decode_resolved;
use avro::schema::{parse_schema, ParsedSchema};
use serde_json::Value;
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest subject name accepted (Confluent allows any string; the lab keeps it short).
pub const SUBJECT_LEN_MAX: usize = 255;
/// Longest schema text accepted, in bytes.
pub const SCHEMA_LEN_MAX: usize = 16 * 1024;

/// A schema's global id, from 1, shared by every subject that registered the same schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaId(pub u32);

/// A subject's version number, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32);

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A subject's compatibility level (`schema.compatibility.level`): NONE, or one of the
/// checker's modes (BACKWARD by default; FORWARD, FULL and their `_TRANSITIVE` forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// No check at all.
    None,
    /// New versions are checked under this mode.
    Check(Mode),
}

/// The lab's trace fingerprint hashes events with `Hash`: a level hashes as its journal tag, the
/// discriminant it had when each level was a variant of its own, so old fingerprints hold.
impl Hash for Level {
    fn hash<H: Hasher>(&self, state: &mut H) {
        isize::from(self.tag()).hash(state);
    }
}

impl Default for Level {
    /// BACKWARD, the registry's default.
    fn default() -> Self {
        Level::Check(Mode::Backward)
    }
}

impl Level {
    /// Every level: NONE, then the modes.
    pub fn all() -> impl Iterator<Item = Level> {
        std::iter::once(Level::None).chain(Mode::ALL.map(Level::Check))
    }

    /// The mode the checker runs, or None for NONE.
    pub fn mode(self) -> Option<Mode> {
        match self {
            Level::None => None,
            Level::Check(mode) => Some(mode),
        }
    }

    /// The name the registry's REST API uses, e.g. `FULL_TRANSITIVE`.
    pub fn name(self) -> &'static str {
        self.mode().map_or("NONE", Mode::name)
    }

    /// Reads a level in either case (`backward`, `FULL_TRANSITIVE`, `none`).
    pub fn parse(text: &str) -> Option<Level> {
        Level::all().find(|l| l.name().eq_ignore_ascii_case(text))
    }

    /// Stable tag in journal bytes.
    pub fn tag(self) -> u8 {
        match self {
            Level::None => 0,
            Level::Check(Mode::Backward) => 1,
            Level::Check(Mode::BackwardTransitive) => 2,
            Level::Check(Mode::Forward) => 3,
            Level::Check(Mode::ForwardTransitive) => 4,
            Level::Check(Mode::Full) => 5,
            Level::Check(Mode::FullTransitive) => 6,
        }
    }

    pub fn from_tag(tag: u8) -> Option<Level> {
        Level::all().find(|l| l.tag() == tag)
    }

    /// Which side of an application upgrades first under this level.
    pub fn upgrade_order(self) -> &'static str {
        let Some(mode) = self.mode() else {
            return "no guarantee: readers may fail on any change";
        };
        match (mode.new_reads_old(), mode.old_reads_new()) {
            (true, true) => "either side first",
            (true, false) => "consumers first (the new schema reads old data)",
            (false, _) => "producers first (old schemas read new data)",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The subject a topic's values (or keys) are registered under by TopicNameStrategy.
pub fn value_subject(topic: &str) -> String {
    format!("{topic}-value")
}

/// The subject of a topic's keys by TopicNameStrategy.
pub fn key_subject(topic: &str) -> String {
    format!("{topic}-key")
}

/// A schema as stored: the text first registered and its parsed form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchema {
    pub text: String,
    pub parsed: ParsedSchema,
}

/// One subject: its versions' schema ids, oldest first, and its own level if one was set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    versions: Vec<SchemaId>,
    level: Option<Level>,
}

impl Subject {
    /// The schema ids of versions 1, 2, …
    pub fn versions(&self) -> &[SchemaId] {
        &self.versions
    }

    /// The level set on this subject, if any (otherwise the global default applies).
    pub fn level_override(&self) -> Option<Level> {
        self.level
    }
}

/// What the learner can do to a registry. A closed set: the journal stores these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryCommand {
    /// `PUT /config/{subject}`.
    SetCompatibility { subject: String, level: Level },
    /// `POST /subjects/{subject}/versions`.
    Register { subject: String, schema: String },
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegistryEvent {
    CompatibilitySet {
        subject: String,
        level: Level,
    },
    /// A new version; `new_id` is false when another subject had the schema already.
    Registered {
        subject: String,
        version: Version,
        id: SchemaId,
        new_id: bool,
    },
    /// The subject had this schema already: its id comes back, nothing is checked or added.
    AlreadyRegistered {
        subject: String,
        version: Version,
        id: SchemaId,
    },
    /// HTTP 409: the new schema fails the subject's compatibility level.
    Refused {
        subject: String,
        message: String,
    },
}

/// An error as the registry's REST API reports it: an error code and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// 42201: the text is not a valid Avro schema.
    InvalidSchema { message: String },
    /// 409: incompatible with an earlier version (see [`incompatible_message`]).
    Incompatible { subject: String, message: String },
    /// 40401.
    SubjectNotFound {
        subject: String,
        suggestion: Option<String>,
    },
    /// 40402.
    VersionNotFound { subject: String, version: Version },
    /// 40403.
    SchemaNotFound { id: SchemaId },
    /// 422: a subject name the lab does not accept.
    BadSubject { subject: String },
    /// The serializer could not write the value with the schema (a `SerializationException`).
    BadValue { message: String },
    /// The deserializer could not read the bytes (a `SerializationException`).
    Undecodable { message: String },
}

impl RegistryError {
    /// The registry's error code (HTTP status, or Confluent's 5-digit code).
    pub fn code(&self) -> u32 {
        match self {
            RegistryError::InvalidSchema { .. } => 42201,
            RegistryError::Incompatible { .. } => 409,
            RegistryError::SubjectNotFound { .. } => 40401,
            RegistryError::VersionNotFound { .. } => 40402,
            RegistryError::SchemaNotFound { .. } => 40403,
            RegistryError::BadSubject { .. } => 422,
            RegistryError::BadValue { .. } | RegistryError::Undecodable { .. } => 0,
        }
    }

    /// What to do instead.
    pub fn hint(&self) -> String {
        match self {
            RegistryError::InvalidSchema { .. } => {
                "fix the schema text: a record needs \"type\", \"name\" and \"fields\"".into()
            }
            RegistryError::Incompatible { .. } => {
                "give the new field a default (a union with null and \"default\": null), or change the subject's compatibility level".into()
            }
            RegistryError::SubjectNotFound { suggestion, .. } => suggestion
                .clone()
                .unwrap_or_else(|| "register a schema under it first".into()),
            RegistryError::VersionNotFound { .. } => "pick a version the subject lists".into(),
            RegistryError::SchemaNotFound { .. } => {
                "the bytes name a schema id this registry never gave out".into()
            }
            RegistryError::BadSubject { .. } => {
                format!("use 1 to {SUBJECT_LEN_MAX} characters without spaces, e.g. users-value")
            }
            RegistryError::BadValue { .. } => {
                "write the value in Avro's JSON encoding: a union value as null or {\"string\": \"...\"}".into()
            }
            RegistryError::Undecodable { .. } => {
                "read with a schema the writer's schema is compatible with".into()
            }
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::InvalidSchema { message } => {
                write!(f, "Invalid schema: {message}; error code: 42201")
            }
            RegistryError::Incompatible { message, .. } => f.write_str(message),
            RegistryError::SubjectNotFound { subject, .. } => {
                write!(f, "Subject '{subject}' not found.; error code: 40401")
            }
            RegistryError::VersionNotFound { subject, version } => write!(
                f,
                "Version {version} not found for subject '{subject}'; error code: 40402"
            ),
            RegistryError::SchemaNotFound { id } => {
                write!(f, "Schema {id} not found; error code: 40403")
            }
            RegistryError::BadSubject { subject } => {
                write!(f, "\"{subject}\" is not a subject name the lab accepts")
            }
            RegistryError::BadValue { message } => {
                write!(f, "Error serializing Avro message: {message}")
            }
            RegistryError::Undecodable { message } => {
                write!(f, "Error deserializing Avro message: {message}")
            }
        }
    }
}

/// A compatibility verdict for the dry run (`POST /compatibility/subjects/{s}/versions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatibilityVerdict {
    pub is_compatible: bool,
    /// The checker's messages (what `?verbose=true` adds), empty when compatible.
    pub messages: Vec<String>,
}

/// What registering a schema would do.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    Existing { version: Version, id: SchemaId },
    New { id: SchemaId, new_id: bool },
}

/// A serialized value and the registration it needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Serialized {
    pub bytes: Vec<u8>,
    pub event: RegistryEvent,
}

/// A deserialized value.
#[derive(Clone, Debug, PartialEq)]
pub struct Deserialized {
    /// The id in the bytes: the writer's schema.
    pub writer_id: SchemaId,
    pub value: Value,
    /// Reader fields the writer did not have, filled from the reader's defaults.
    pub defaults_filled: Vec<String>,
}

/// The registry's whole state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    /// Schema id `n` is `schemas[n - 1]`.
    schemas: Vec<StoredSchema>,
    subjects: BTreeMap<String, Subject>,
    /// The global default level (`schema.compatibility.level`).
    default_level: Level,
    refused: u64,
    last_refusal: Option<String>,
}

impl Registry {
    pub fn subjects(&self) -> &BTreeMap<String, Subject> {
        &self.subjects
    }

    /// The schema with global id `id`.
    pub fn schema(&self, id: SchemaId) -> Result<&StoredSchema, RegistryError> {
        (id.0 as usize)
            .checked_sub(1)
            .and_then(|i| self.schemas.get(i))
            .ok_or(RegistryError::SchemaNotFound { id })
    }

    /// Every schema, by id (id 1 first).
    pub fn schemas(&self) -> impl Iterator<Item = (SchemaId, &StoredSchema)> {
        self.schemas
            .iter()
            .enumerate()
            .map(|(i, s)| (SchemaId(i as u32 + 1), s))
    }

    /// Registrations refused with 409 so far.
    pub fn refused_registrations(&self) -> u64 {
        self.refused
    }

    /// The message of the most recent 409.
    pub fn last_refusal(&self) -> Option<&str> {
        self.last_refusal.as_deref()
    }

    pub fn subject(&self, subject: &str) -> Result<&Subject, RegistryError> {
        self.subjects
            .get(subject)
            .ok_or_else(|| RegistryError::SubjectNotFound {
                subject: subject.to_string(),
                suggestion: sim::text::did_you_mean(
                    subject,
                    self.subjects.keys().map(String::as_str),
                ),
            })
    }

    /// The level a subject is checked with: its own, else the global default.
    pub fn level(&self, subject: &str) -> Level {
        self.subjects
            .get(subject)
            .and_then(|s| s.level)
            .unwrap_or(self.default_level)
    }

    /// The schema id of a subject's version.
    pub fn version(&self, subject: &str, version: Version) -> Result<SchemaId, RegistryError> {
        let s = self.subject(subject)?;
        (version.0 as usize)
            .checked_sub(1)
            .and_then(|i| s.versions.get(i))
            .copied()
            .ok_or(RegistryError::VersionNotFound {
                subject: subject.to_string(),
                version,
            })
    }

    /// The newest version of a subject and its id.
    pub fn latest(&self, subject: &str) -> Option<(Version, SchemaId)> {
        let versions = &self.subjects.get(subject)?.versions;
        versions
            .last()
            .map(|id| (Version(versions.len() as u32), *id))
    }

    /// Checks a command without changing anything. A registration that the level refuses is
    /// valid: applying it records the 409, as the registry answers it.
    pub fn validate(&self, command: &RegistryCommand) -> Result<(), RegistryError> {
        match command {
            RegistryCommand::SetCompatibility { subject, .. } => check_subject(subject),
            RegistryCommand::Register { subject, schema } => {
                check_subject(subject)?;
                parse(schema).map(|_| ())
            }
        }
    }

    /// Applies a command. On error nothing changes.
    pub fn apply(&mut self, command: &RegistryCommand) -> Result<RegistryEvent, RegistryError> {
        self.validate(command)?;
        match command {
            RegistryCommand::SetCompatibility { subject, level } => {
                self.subjects.entry(subject.clone()).or_default().level = Some(*level);
                Ok(RegistryEvent::CompatibilitySet {
                    subject: subject.clone(),
                    level: *level,
                })
            }
            RegistryCommand::Register { subject, schema } => match self.register(subject, schema) {
                Err(RegistryError::Incompatible { subject, message }) => {
                    self.refused += 1;
                    self.last_refusal = Some(message.clone());
                    Ok(RegistryEvent::Refused { subject, message })
                }
                other => other,
            },
        }
    }

    /// `POST /subjects/{subject}/versions`: the id of `schema` under `subject`, registering a
    /// new version if the subject lacks it and the level allows it.
    pub fn register(
        &mut self,
        subject: &str,
        schema: &str,
    ) -> Result<RegistryEvent, RegistryError> {
        check_subject(subject)?;
        let parsed = parse(schema)?;
        match self.plan(subject, &parsed)? {
            Plan::Existing { version, id } => Ok(RegistryEvent::AlreadyRegistered {
                subject: subject.to_string(),
                version,
                id,
            }),
            Plan::New { id, new_id } => {
                if new_id {
                    self.schemas.push(StoredSchema {
                        text: schema.trim().to_string(),
                        parsed,
                    });
                }
                let entry = self.subjects.entry(subject.to_string()).or_default();
                entry.versions.push(id);
                Ok(RegistryEvent::Registered {
                    subject: subject.to_string(),
                    version: Version(entry.versions.len() as u32),
                    id,
                    new_id,
                })
            }
        }
    }

    /// What registering would do, or the 409.
    fn plan(&self, subject: &str, parsed: &ParsedSchema) -> Result<Plan, RegistryError> {
        let known = self.schemas.iter().position(|s| s.parsed == *parsed);
        let known_id = known.map(|i| SchemaId(i as u32 + 1));
        let versions = self
            .subjects
            .get(subject)
            .map_or(&[][..], |s| s.versions.as_slice());
        if let Some(at) = known_id.and_then(|id| versions.iter().position(|v| *v == id)) {
            return Ok(Plan::Existing {
                version: Version(at as u32 + 1),
                id: versions[at],
            });
        }
        if let Some(message) = self.incompatibility(subject, parsed) {
            return Err(RegistryError::Incompatible {
                subject: subject.to_string(),
                message,
            });
        }
        Ok(match known_id {
            Some(id) => Plan::New { id, new_id: false },
            None => Plan::New {
                id: SchemaId(self.schemas.len() as u32 + 1),
                new_id: true,
            },
        })
    }

    /// The 409 message if `parsed` may not join `subject` under its level.
    fn incompatibility(&self, subject: &str, parsed: &ParsedSchema) -> Option<String> {
        let level = self.level(subject);
        let failure = self.failure(subject, level, parsed)?;
        Some(incompatible_message(subject, level, &failure))
    }

    /// The first version of `subject` that `parsed` fails against under `level`, if any.
    fn failure(&self, subject: &str, level: Level, parsed: &ParsedSchema) -> Option<Failure> {
        let mode = level.mode()?;
        let versions: Vec<ParsedSchema> = self
            .subjects
            .get(subject)
            .map(|s| {
                s.versions
                    .iter()
                    .map(|id| self.schemas[id.0 as usize - 1].parsed.clone())
                    .collect()
            })
            .unwrap_or_default();
        check_new_version(mode, parsed, &versions)
    }

    /// The dry run: would `schema` pass `subject`'s level? (Compatible when the subject has
    /// no version yet.)
    pub fn check_compatibility(
        &self,
        subject: &str,
        schema: &str,
    ) -> Result<CompatibilityVerdict, RegistryError> {
        let parsed = parse(schema)?;
        let level = self.level(subject);
        Ok(match self.failure(subject, level, &parsed) {
            None => CompatibilityVerdict {
                is_compatible: true,
                messages: Vec::new(),
            },
            Some(failure) => CompatibilityVerdict {
                is_compatible: false,
                messages: failure_details(level, &failure),
            },
        })
    }

    /// What a producer's serializer does with `auto.register.schemas=true`: registers `schema`
    /// under `<topic>-value` (or finds it), then frames the value's Avro binary with its id.
    pub fn serialize(
        &mut self,
        topic: &str,
        schema: &str,
        value: &Value,
    ) -> Result<Serialized, RegistryError> {
        let datum = encode_value(schema, value)?;
        let event = self.register(&value_subject(topic), schema)?;
        let id = match &event {
            RegistryEvent::Registered { id, .. } | RegistryEvent::AlreadyRegistered { id, .. } => {
                *id
            }
            RegistryEvent::CompatibilitySet { .. } | RegistryEvent::Refused { .. } => {
                unreachable!("register returns a registration or an error")
            }
        };
        Ok(Serialized {
            bytes: wire::frame(id, &datum),
            event,
        })
    }

    /// What a consumer's deserializer does: the writer's schema by the id in the bytes, the datum
    /// read into `reader` (the writer's own schema when None).
    pub fn deserialize(
        &self,
        bytes: &[u8],
        reader: Option<SchemaId>,
    ) -> Result<Deserialized, RegistryError> {
        let (writer_id, datum) = wire::unframe(bytes).map_err(|e| RegistryError::Undecodable {
            message: e.to_string(),
        })?;
        let writer = &self.schema(writer_id)?.parsed;
        let reader = match reader {
            Some(id) => &self.schema(id)?.parsed,
            None => writer,
        };
        let resolved =
            decode_resolved(writer, reader, datum).map_err(|e| RegistryError::Undecodable {
                message: format!("for id {writer_id}: {e}"),
            })?;
        Ok(Deserialized {
            writer_id,
            value: resolved.value,
            defaults_filled: resolved.defaults_filled,
        })
    }

    /// Feeds the whole state to a state hash.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.schemas.len() as u64);
        for schema in &self.schemas {
            hasher.str(&schema.text);
        }
        hasher.u64(self.subjects.len() as u64);
        for (name, subject) in &self.subjects {
            hasher.str(name);
            hasher.u64(subject.level.map_or(u64::MAX, |l| u64::from(l.tag())));
            hasher.u64(subject.versions.len() as u64);
            for id in &subject.versions {
                hasher.u64(u64::from(id.0));
            }
        }
        hasher.u64(u64::from(self.default_level.tag()));
        hasher.u64(self.refused);
        hasher.str(self.last_refusal.as_deref().unwrap_or(""));
    }
}

/// Encodes a value with a schema given as text (the serializer's first step).
pub fn encode_value(schema: &str, value: &Value) -> Result<Vec<u8>, RegistryError> {
    let parsed = parse(schema)?;
    encode(&parsed, value).map_err(|e| RegistryError::BadValue {
        message: e.to_string(),
    })
}

fn parse(schema: &str) -> Result<ParsedSchema, RegistryError> {
    if schema.len() > SCHEMA_LEN_MAX {
        return Err(RegistryError::InvalidSchema {
            message: format!("longer than {SCHEMA_LEN_MAX} bytes"),
        });
    }
    parse_schema(schema).map_err(|e| RegistryError::InvalidSchema {
        message: e.to_string(),
    })
}

fn check_subject(subject: &str) -> Result<(), RegistryError> {
    let ok = !subject.is_empty()
        && subject.len() <= SUBJECT_LEN_MAX
        && !subject.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(RegistryError::BadSubject {
            subject: subject.to_string(),
        })
    }
}

/// One difference as Confluent's registry words it (its Avro `Difference` descriptions). In the
/// "new reads old" direction the new schema is the reader; in "old reads new", the old one.
fn difference(i: &Incompatibility, direction: &str) -> String {
    let (reader, writer) = if direction == "new reads old" {
        ("new", "old")
    } else {
        ("old", "new")
    };
    let path = &i.location;
    let description = match i.kind {
        IncompatibilityKind::ReaderFieldMissingDefaultValue => format!(
            "The field '{}' at path '{path}' in the {reader} schema has no default value and is missing in the {writer} schema",
            i.message
        ),
        IncompatibilityKind::TypeMismatch => format!(
            "The type (path '{path}') of a field in the {reader} schema does not match with the {writer} schema"
        ),
        IncompatibilityKind::NameMismatch => {
            format!("The name of the schema has changed (path '{path}')")
        }
        IncompatibilityKind::MissingEnumSymbols => format!(
            "The {reader} schema is missing enum symbols '{}' at path '{path}' in the {writer} schema",
            i.message
        ),
        IncompatibilityKind::MissingUnionBranch => format!(
            "The {reader} schema is missing a type inside a union field at path '{path}' in the {writer} schema"
        ),
        IncompatibilityKind::FixedSizeMismatch => format!(
            "The size of FIXED type field at path '{path}' in the {reader} schema does not match with the {writer} schema"
        ),
    };
    format!(
        "{{errorType:'{}', description:'{description}', additionalInfo:'{}'}}",
        i.kind.name(),
        i.message
    )
}

/// The 409's message, as the registry answers an incompatible registration.
pub fn incompatible_message(subject: &str, level: Level, failure: &Failure) -> String {
    format!(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]; error code: 409",
        failure_details(level, failure).join(", ")
    )
}

/// The checker's differences, then the version compared and the level, as the registry lists
/// them in a 409 and in a compatibility check's `messages`.
fn failure_details(level: Level, failure: &Failure) -> Vec<String> {
    failure
        .incompatibilities
        .iter()
        .map(|i| difference(i, failure.direction))
        .chain([format!(
            "{{oldSchemaVersion: {}}}, {{compatibility: '{level}'}}",
            failure.version
        )])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#;
    const V2_DEFAULT: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#;
    const V2_NO_DEFAULT: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;

    fn register(r: &mut Registry, subject: &str, schema: &str) -> RegistryEvent {
        r.apply(&RegistryCommand::Register {
            subject: subject.into(),
            schema: schema.into(),
        })
        .unwrap()
    }

    #[test]
    fn the_wire_format_vector_id_42_long_27() {
        let mut r = Registry::default();
        for i in 0..41 {
            let fixed = format!(r#"{{"type":"fixed","name":"F{i}","size":1}}"#);
            register(&mut r, &format!("s{i}-value"), &fixed);
        }
        // "long" is the 42nd distinct schema: id 42, and 27 is the zig-zag varint 0x36.
        let serialized = r.serialize("numbers", "\"long\"", &json!(27)).unwrap();
        assert_eq!(serialized.bytes, [0x00, 0x00, 0x00, 0x00, 0x2a, 0x36]);
        let read = r.deserialize(&serialized.bytes, None).unwrap();
        assert_eq!((read.writer_id, read.value), (SchemaId(42), json!(27)));
    }

    #[test]
    fn versions_count_per_subject_and_ids_are_global() {
        let mut r = Registry::default();
        assert!(matches!(
            register(&mut r, "users-value", V1),
            RegistryEvent::Registered {
                version: Version(1),
                id: SchemaId(1),
                new_id: true,
                ..
            }
        ));
        // The same schema in another subject: version 1 there, the same id.
        assert!(matches!(
            register(&mut r, "archive-value", V1),
            RegistryEvent::Registered {
                version: Version(1),
                id: SchemaId(1),
                new_id: false,
                ..
            }
        ));
        assert!(matches!(
            register(&mut r, "users-value", V2_DEFAULT),
            RegistryEvent::Registered {
                version: Version(2),
                id: SchemaId(2),
                ..
            }
        ));
        // Whitespace does not make a new schema.
        let spaced = V1.replace(',', ", ");
        assert_eq!(
            register(&mut r, "users-value", &spaced),
            RegistryEvent::AlreadyRegistered {
                subject: "users-value".into(),
                version: Version(1),
                id: SchemaId(1)
            }
        );
        assert_eq!(r.version("users-value", Version(2)), Ok(SchemaId(2)));
        assert_eq!(r.latest("users-value"), Some((Version(2), SchemaId(2))));
    }

    #[test]
    fn backward_refuses_a_field_without_default_with_a_409() {
        let mut r = Registry::default();
        register(&mut r, "users-value", V1);
        let before = r.clone();
        let RegistryEvent::Refused { message, .. } = register(&mut r, "users-value", V2_NO_DEFAULT)
        else {
            panic!("refused")
        };
        assert_eq!(
            message,
            "Schema being registered is incompatible with an earlier schema for subject \"users-value\", details: \
             [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/2' in the new schema \
             has no default value and is missing in the old schema', additionalInfo:'email'}, {oldSchemaVersion: 1}, \
             {compatibility: 'BACKWARD'}]; error code: 409"
        );
        assert_eq!(r.refused_registrations(), 1);
        assert_eq!(r.subjects(), before.subjects());
        assert_eq!(r.schemas().count(), 1, "no id is spent on a refused schema");
    }

    #[test]
    fn re_registering_skips_the_check() {
        let mut r = Registry::default();
        register(&mut r, "users-value", V1);
        register(&mut r, "users-value", V2_DEFAULT);
        // FORWARD_TRANSITIVE would still accept v1 as "already there" without checking.
        r.apply(&RegistryCommand::SetCompatibility {
            subject: "users-value".into(),
            level: Level::Check(Mode::Full),
        })
        .unwrap();
        assert!(matches!(
            register(&mut r, "users-value", V1),
            RegistryEvent::AlreadyRegistered {
                version: Version(1),
                ..
            }
        ));
    }

    #[test]
    fn levels_decide_which_changes_pass() {
        let cases = [
            (Level::Check(Mode::Backward), V2_NO_DEFAULT, false),
            (Level::Check(Mode::Forward), V2_NO_DEFAULT, true),
            (Level::Check(Mode::Full), V2_NO_DEFAULT, false),
            (Level::Check(Mode::Full), V2_DEFAULT, true),
            (Level::None, r#""string""#, true),
            (Level::Check(Mode::Backward), r#""string""#, false),
        ];
        for (level, new, ok) in cases {
            let mut r = Registry::default();
            register(&mut r, "s", V1);
            r.apply(&RegistryCommand::SetCompatibility {
                subject: "s".into(),
                level,
            })
            .unwrap();
            let verdict = r.check_compatibility("s", new).unwrap();
            assert_eq!(verdict.is_compatible, ok, "{level} {new}");
            let event = register(&mut r, "s", new);
            assert_eq!(
                matches!(event, RegistryEvent::Registered { .. }),
                ok,
                "{level}"
            );
        }
    }

    #[test]
    fn transitive_levels_check_every_version() {
        // v1 has b without default; v2 drops b (BACKWARD allows it); v3 brings b back as a string.
        let user = |fields: &str| format!(r#"{{"type":"record","name":"U","fields":[{fields}]}}"#);
        let v1 = user(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
        let v2 = user(r#"{"name":"a","type":"int"}"#);
        let v3 = user(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":""}"#);
        for (level, ok) in [
            (Level::Check(Mode::Forward), true),
            (Level::Check(Mode::ForwardTransitive), false),
        ] {
            let mut r = Registry::default();
            register(&mut r, "s", &v1);
            register(&mut r, "s", &v2);
            r.apply(&RegistryCommand::SetCompatibility {
                subject: "s".into(),
                level,
            })
            .unwrap();
            assert_eq!(
                matches!(register(&mut r, "s", &v3), RegistryEvent::Registered { .. }),
                ok
            );
        }
    }

    #[test]
    fn a_new_reader_reads_old_records_with_defaults_and_an_old_reader_reads_new_ones() {
        let mut r = Registry::default();
        let old = r
            .serialize("users", V1, &json!({"id": 1, "name": "ann"}))
            .unwrap();
        let new = r
            .serialize(
                "users",
                V2_DEFAULT,
                &json!({"id": 2, "name": "bo", "email": {"string": "b@x"}}),
            )
            .unwrap();
        let read = r.deserialize(&old.bytes, Some(SchemaId(2))).unwrap();
        assert_eq!(read.value, json!({"id": 1, "name": "ann", "email": null}));
        assert_eq!(read.defaults_filled, ["/email"]);
        let read = r.deserialize(&new.bytes, Some(SchemaId(1))).unwrap();
        assert_eq!(read.value, json!({"id": 2, "name": "bo"}));
        assert_eq!(read.writer_id, SchemaId(2));
    }

    #[test]
    fn errors_carry_codes_and_hints() {
        let mut r = Registry::default();
        register(&mut r, "users-value", V1);
        let e = r.subject("user-value").unwrap_err();
        assert_eq!(e.code(), 40401);
        assert!(e.hint().contains("users-value"), "{}", e.hint());
        assert_eq!(
            r.version("users-value", Version(5)).unwrap_err().code(),
            40402
        );
        assert_eq!(r.schema(SchemaId(9)).unwrap_err().code(), 40403);
        let e = r
            .apply(&RegistryCommand::Register {
                subject: "s".into(),
                schema: "{".into(),
            })
            .unwrap_err();
        assert_eq!(e.code(), 42201);
        assert!(r
            .deserialize(b"plain text", None)
            .unwrap_err()
            .to_string()
            .contains("Unknown magic byte!"));
        let e = r.serialize("users", V1, &json!({"id": "x"})).unwrap_err();
        assert!(matches!(e, RegistryError::BadValue { .. }), "{e}");
        assert!(r
            .apply(&RegistryCommand::SetCompatibility {
                subject: "a b".into(),
                level: Level::Check(Mode::Full)
            })
            .is_err());
    }
}
