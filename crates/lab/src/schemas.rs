//! The Schema Registry beside the broker: the composition of the `registry` engine with the
//! Kafka cluster, as a producer's and a consumer's Avro serializers compose them.
//!
//! A producer's serializer (`auto.register.schemas=true`) registers its schema under the topic's
//! value subject (TopicNameStrategy: `<topic>-value`), and only then frames the Avro binary with
//! the schema id and sends it. When the registry answers 409, `send` fails with a
//! `SerializationException` before anything reaches Kafka: the lab records the refusal and
//! appends nothing. A consumer's deserializer reads the id from each record, fetches the writer's
//! schema, and resolves the datum into the reader schema the consumer was built with; the lab
//! keeps one chosen reader version per subject ([`crate::state::Command::ReadWith`]) and decodes a
//! topic's records with it for display and for goals ([`decode_topic`]).

use crate::broker::cluster::{BrokerCommand, Cluster};
use crate::broker::producer::ProducerId;
use crate::clock::Tick;
use crate::state::{Command, Event, Lab, Rejection};
use registry::wire::unframe;
use registry::{
    encode_value, value_subject, Registry, RegistryCommand, RegistryError, RegistryEvent, SchemaId,
    Version,
};
use serde_json::Value;

/// Longest Avro value (its JSON text) a produce-avro command may carry.
pub const VALUE_JSON_LEN_MAX: usize = 2048;

/// The value schema of the `schema-registry` preset's topic `users`, version 1: a record whose
/// optional field is a union with null and a default.
pub const USERS_V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#;

pub(crate) fn registry_rejection(e: RegistryError) -> Rejection {
    Rejection::Registry {
        message: e.to_string(),
        hint: e.hint(),
    }
}

fn parse_value(value_json: &str) -> Result<Value, Rejection> {
    if value_json.len() > VALUE_JSON_LEN_MAX {
        return Err(Rejection::Registry {
            message: format!("the value is longer than {VALUE_JSON_LEN_MAX} characters"),
            hint: "send a smaller value".into(),
        });
    }
    serde_json::from_str(value_json).map_err(|e| Rejection::Registry {
        message: format!("the value is not JSON: {e}"),
        hint:
            "write it in Avro's JSON encoding, e.g. {\"id\": 1, \"name\": \"ann\", \"email\": null}"
                .into(),
    })
}

/// What sending an Avro value needs before the registry is asked: a cluster that would take a
/// value on the topic, and a value the schema can write.
pub(crate) fn validate_produce_avro(
    registry: &Registry,
    cluster: &Cluster,
    producer: ProducerId,
    topic: &str,
    schema: &str,
    value_json: &str,
) -> Result<(), Rejection> {
    registry
        .validate(&RegistryCommand::Register {
            subject: value_subject(topic),
            schema: schema.to_string(),
        })
        .map_err(registry_rejection)?;
    let datum = encode_value(schema, &parse_value(value_json)?).map_err(registry_rejection)?;
    cluster
        .validate(&BrokerCommand::ProduceBytes {
            producer,
            topic: topic.to_string(),
            key: None,
            value: registry::wire::frame(SchemaId(0), &datum),
        })
        .map_err(Rejection::Broker)
}

/// The serializer's send: register (or find) the schema, then send the framed value. A 409
/// is an event, and nothing is sent.
pub(crate) fn produce_avro(
    registry: &mut Registry,
    cluster: &mut Cluster,
    now: Tick,
    producer: ProducerId,
    topic: &str,
    schema: &str,
    value_json: &str,
) -> Result<Vec<Event>, Rejection> {
    let value = parse_value(value_json)?;
    let registered = registry
        .apply(&RegistryCommand::Register {
            subject: value_subject(topic),
            schema: schema.to_string(),
        })
        .map_err(registry_rejection)?;
    let id = match &registered {
        RegistryEvent::Registered { id, .. } | RegistryEvent::AlreadyRegistered { id, .. } => *id,
        RegistryEvent::Refused { .. } | RegistryEvent::CompatibilitySet { .. } => {
            return Ok(vec![Event::Registry(registered)])
        }
    };
    let datum = encode_value(schema, &value).map_err(registry_rejection)?;
    let send = BrokerCommand::ProduceBytes {
        producer,
        topic: topic.to_string(),
        key: None,
        value: registry::wire::frame(id, &datum),
    };
    let mut events = vec![Event::Registry(registered)];
    events.extend(
        cluster
            .apply(&send, now)
            .map_err(Rejection::Broker)?
            .into_iter()
            .map(Event::Broker),
    );
    Ok(events)
}

/// A reader version must exist in its subject (None reads with each record's writer schema).
pub(crate) fn validate_reader(
    registry: &Registry,
    subject: &str,
    version: Option<Version>,
) -> Result<(), Rejection> {
    match version {
        None => registry.subject(subject).map(|_| ()),
        Some(v) => registry.version(subject, v).map(|_| ()),
    }
    .map_err(registry_rejection)
}

/// One record of a topic as a consumer with the chosen reader schema sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRecord {
    pub partition: u32,
    pub offset: u64,
    /// The value's bytes as stored in the log (None for a tombstone).
    pub bytes: Option<Vec<u8>>,
    /// The schema id in the bytes, when they are in the wire format.
    pub writer_id: Option<SchemaId>,
    /// The value in the reader's shape, or the deserializer's error.
    pub decoded: Result<Value, String>,
    /// Reader fields filled from defaults.
    pub defaults_filled: Vec<String>,
}

/// The reader schema id chosen for `topic`'s value subject, if any.
pub fn reader_id(lab: &Lab, topic: &str) -> Option<SchemaId> {
    let subject = value_subject(topic);
    let version = lab.reader_version(&subject)?;
    lab.registry()?.version(&subject, version).ok()
}

/// A topic's committed records, decoded with the topic's chosen reader schema (or each
/// record's writer schema when none is chosen). Empty without a registry or such a topic.
pub fn decode_topic(lab: &Lab, topic: &str) -> Vec<DecodedRecord> {
    let (Some(registry), Some(cluster)) = (lab.registry(), lab.cluster()) else {
        return Vec::new();
    };
    let Some(t) = cluster.topics().get(topic) else {
        return Vec::new();
    };
    let reader = reader_id(lab, topic);
    let mut out = Vec::new();
    for p in t.partitions() {
        let Some(log) = p.elected_leader_log() else {
            continue;
        };
        for r in log.records().filter(|r| r.offset < p.hw()) {
            let bytes = r.value.clone();
            let framed = bytes.as_deref().map(unframe);
            let writer_id = framed.and_then(Result::ok).map(|(id, _)| id);
            let read = match &bytes {
                Some(b) => registry.deserialize(b, reader).map_err(|e| e.to_string()),
                None => Err("a tombstone (null value)".to_string()),
            };
            let (decoded, defaults_filled) = match read {
                Ok(d) => (Ok(d.value), d.defaults_filled),
                Err(e) => (Err(e), Vec::new()),
            };
            out.push(DecodedRecord {
                partition: p.id().0,
                offset: r.offset.0,
                bytes,
                writer_id,
                decoded,
                defaults_filled,
            });
        }
    }
    out
}

/// `avro.TOPIC.FIELD` goal metrics over [`decode_topic`].
pub(crate) fn avro_value(lab: &Lab, topic: &str, field: &str) -> Option<i64> {
    lab.registry()?;
    let records = decode_topic(lab, topic);
    let n = match field {
        "decoded" => records.iter().filter(|r| r.decoded.is_ok()).count(),
        "defaults" => records
            .iter()
            .filter(|r| r.decoded.is_ok() && !r.defaults_filled.is_empty())
            .count(),
        "unreadable" => records.iter().filter(|r| r.decoded.is_err()).count(),
        "writer_ids" => {
            let mut ids: Vec<SchemaId> = records.iter().filter_map(|r| r.writer_id).collect();
            sim::sort::sort(&mut ids);
            ids.dedup();
            ids.len()
        }
        _ => return None,
    };
    Some(n as i64)
}

/// `subject.NAME.FIELD` goal metrics.
pub(crate) fn subject_value(lab: &Lab, subject: &str, field: &str) -> Option<i64> {
    let registry = lab.registry()?;
    let versions = registry
        .subjects()
        .get(subject)
        .map_or(0, |s| s.versions().len());
    Some(match field {
        "versions" => versions as i64,
        "reader_version" => lab.reader_version(subject).map_or(0, |v| i64::from(v.0)),
        "forward" => i64::from(
            registry
                .level(subject)
                .mode()
                .is_some_and(|m| m.old_reads_new()),
        ),
        "backward" => i64::from(
            registry
                .level(subject)
                .mode()
                .is_some_and(|m| m.new_reads_old()),
        ),
        _ => return None,
    })
}

/// A registry command as the journal lists it.
pub fn describe_command(command: &Command) -> String {
    match command {
        Command::Registry(RegistryCommand::SetCompatibility { subject, level }) => {
            format!("Set {subject}'s compatibility to {level}")
        }
        Command::Registry(RegistryCommand::Register { subject, .. }) => {
            format!("Register a schema under {subject}")
        }
        Command::ProduceAvro {
            producer,
            topic,
            value,
            ..
        } => {
            format!("{producer} serializes {value} and sends it to {topic}")
        }
        Command::ReadWith {
            subject,
            version: Some(v),
        } => {
            format!("Consumers of {subject} read with version {v}")
        }
        Command::ReadWith {
            subject,
            version: None,
        } => {
            format!("Consumers of {subject} read with each record's writer schema")
        }
        _ => String::from("(not a Schema Registry action)"),
    }
}

/// A registry event as the trace tells it.
pub fn describe_event(event: &Event) -> String {
    match event {
        Event::Registry(RegistryEvent::Registered {
            subject,
            version,
            id,
            new_id,
        }) => format!(
            "{subject} version {version} registered with schema id {id}{}",
            if *new_id {
                ""
            } else {
                " (an id another subject already had)"
            }
        ),
        Event::Registry(RegistryEvent::AlreadyRegistered {
            subject,
            version,
            id,
        }) => {
            format!("{subject} already has this schema: version {version}, id {id}")
        }
        Event::Registry(RegistryEvent::Refused { message, .. }) => {
            format!("409 Conflict: {message}")
        }
        Event::Registry(RegistryEvent::CompatibilitySet { subject, level }) => {
            format!("{subject} is now checked {level}")
        }
        Event::ReaderChosen {
            subject,
            version: Some(v),
        } => {
            format!("consumers of {subject} now read with version {v}")
        }
        Event::ReaderChosen {
            subject,
            version: None,
        } => {
            format!("consumers of {subject} now read with the writer's schema")
        }
        _ => String::from("(not a Schema Registry action)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;
    use crate::state::{LabConfig, Preset};

    fn lab() -> Lab {
        Lab::new(&LabConfig {
            seed: Seed(1),
            preset: Preset::SchemaRegistry,
        })
    }

    const V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null},{"name":"plan","type":"string","default":"free"}]}"#;
    const V2_BAD: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null},{"name":"plan","type":"string"}]}"#;

    fn send(lab: &mut Lab, schema: &str, value: &str) -> Vec<Event> {
        lab.apply(&Command::ProduceAvro {
            producer: ProducerId(1),
            topic: "users".into(),
            schema: schema.into(),
            value: value.into(),
        })
        .unwrap()
    }

    fn settle(lab: &mut Lab) {
        for _ in 0..5 {
            lab.advance();
        }
    }

    #[test]
    fn the_registry_steps_parse_their_json_and_refuse_bad_lines() {
        use crate::steps::{parse_steps, Step};
        let steps = parse_steps(
            "compat users-value FULL_TRANSITIVE\n\
             register users-value {\"type\": \"record\", \"name\": \"U\", \"fields\": []}\n\
             produce-avro users \"long\" 27\n\
             read-with users-value 2\n\
             read-with users-value writer",
        )
        .unwrap();
        assert_eq!(
            steps,
            [
                Step::Lab(Command::Registry(RegistryCommand::SetCompatibility {
                    subject: "users-value".into(),
                    level: registry::Level::Check(registry::Mode::FullTransitive),
                })),
                Step::Lab(Command::Registry(RegistryCommand::Register {
                    subject: "users-value".into(),
                    schema: r#"{"type": "record", "name": "U", "fields": []}"#.into(),
                })),
                Step::Lab(Command::ProduceAvro {
                    producer: ProducerId(1),
                    topic: "users".into(),
                    schema: "\"long\"".into(),
                    value: "27".into(),
                }),
                Step::Lab(Command::ReadWith {
                    subject: "users-value".into(),
                    version: Some(Version(2)),
                }),
                Step::Lab(Command::ReadWith {
                    subject: "users-value".into(),
                    version: None,
                }),
            ]
        );
        for (bad, says) in [
            ("compat users-value sideways", "backward_transitive"),
            ("register users-value {\"type\":", "not JSON"),
            ("produce-avro users \"long\"", "the value"),
            ("read-with users-value 0", "not a version"),
            ("read-with users-value 2 3", "too many words"),
            ("compat", "expected a subject"),
        ] {
            let e = parse_steps(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn an_incompatible_send_fails_before_kafka() {
        let mut lab = lab();
        send(
            &mut lab,
            USERS_V1,
            r#"{"id": 1, "name": "ann", "email": null}"#,
        );
        let events = send(
            &mut lab,
            V2_BAD,
            r#"{"id": 2, "name": "bo", "plan": "pro"}"#,
        );
        assert!(
            matches!(&events[..], [Event::Registry(RegistryEvent::Refused { message, .. })] if message.contains("error code: 409"))
        );
        settle(&mut lab);
        assert_eq!(
            decode_topic(&lab, "users").len(),
            1,
            "only the first record"
        );
        assert_eq!(lab.registry().unwrap().refused_registrations(), 1);
    }

    #[test]
    fn old_records_read_with_the_new_schema_get_defaults() {
        let mut lab = lab();
        send(
            &mut lab,
            USERS_V1,
            r#"{"id": 1, "name": "ann", "email": null}"#,
        );
        send(
            &mut lab,
            V2,
            r#"{"id": 2, "name": "bo", "email": null, "plan": "pro"}"#,
        );
        settle(&mut lab);
        assert_eq!(avro_value(&lab, "users", "writer_ids"), Some(2));
        assert_eq!(avro_value(&lab, "users", "defaults"), Some(0));
        lab.apply(&Command::ReadWith {
            subject: "users-value".into(),
            version: Some(Version(2)),
        })
        .unwrap();
        let records = decode_topic(&lab, "users");
        assert_eq!(
            records[0].decoded,
            Ok(serde_json::json!({"id": 1, "name": "ann", "email": null, "plan": "free"}))
        );
        assert_eq!(records[0].defaults_filled, ["/plan"]);
        assert_eq!(
            &records[0].bytes.as_ref().unwrap()[..5],
            [0, 0, 0, 0, 1],
            "magic byte, id 1"
        );
        assert_eq!(avro_value(&lab, "users", "defaults"), Some(1));
        // The old schema reads the new record too: plan is skipped.
        lab.apply(&Command::ReadWith {
            subject: "users-value".into(),
            version: Some(Version(1)),
        })
        .unwrap();
        let records = decode_topic(&lab, "users");
        assert_eq!(
            records[1].decoded,
            Ok(serde_json::json!({"id": 2, "name": "bo", "email": null}))
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_hint_and_changes_nothing() {
        let mut lab = lab();
        let before = lab.clone();
        for bad in [
            Command::ProduceAvro {
                producer: ProducerId(1),
                topic: "users".into(),
                schema: "{".into(),
                value: "{}".into(),
            },
            Command::ProduceAvro {
                producer: ProducerId(1),
                topic: "users".into(),
                schema: USERS_V1.into(),
                value: r#"{"id": "one"}"#.into(),
            },
            Command::ProduceAvro {
                producer: ProducerId(1),
                topic: "nope".into(),
                schema: USERS_V1.into(),
                value: r#"{"id": 1, "name": "a", "email": null}"#.into(),
            },
            Command::ReadWith {
                subject: "users-value".into(),
                version: Some(Version(7)),
            },
            Command::ReadWith {
                subject: "user-value".into(),
                version: None,
            },
        ] {
            let e = lab.apply(&bad).unwrap_err();
            assert!(!e.to_string().is_empty() && !e.hint().is_empty(), "{bad:?}");
            assert_eq!(lab, before);
        }
    }
}
