//! Properties of the registry: what a serializer frames, a deserializer reads back exactly; ids
//! are global (one per distinct schema, whatever subject registers it) and stable (registering
//! again, anywhere, never changes an id or a version).

use proptest::prelude::*;
use registry::{Registry, RegistryCommand, RegistryEvent, SchemaId};
use serde_json::json;

const USER: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#;

/// A small pool of schemas, pairwise distinct, all readable from each other under NONE.
fn schema(i: usize) -> String {
    format!(r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"int"}}]}}"#)
}

proptest! {
    #[test]
    fn serialized_values_read_back(id in any::<i64>(), name in ".{0,20}", email in proptest::option::of("[a-z@.]{0,12}")) {
        let mut r = Registry::default();
        let value = json!({"id": id, "name": name, "email": email.clone().map(|e| json!({"string": e}))});
        let framed = r.serialize("users", USER, &value).unwrap();
        prop_assert_eq!(framed.bytes[0], 0);
        prop_assert_eq!(&framed.bytes[1..5], &[0, 0, 0, 1]);
        let read = r.deserialize(&framed.bytes, None).unwrap();
        prop_assert_eq!(read.writer_id, SchemaId(1));
        prop_assert_eq!(read.value, value);
    }

    #[test]
    fn ids_are_global_and_stable(registrations in proptest::collection::vec((0usize..4, 0usize..6), 1..40)) {
        let mut r = Registry::default();
        for subject in 0..4 {
            r.apply(&RegistryCommand::SetCompatibility { subject: format!("s{subject}"), level: registry::Level::None }).unwrap();
        }
        // Schema text -> the id it first got; (subject, id) -> its version.
        let mut ids = std::collections::BTreeMap::new();
        let mut versions = std::collections::BTreeMap::new();
        for (subject, s) in registrations {
            let subject = format!("s{subject}");
            let event = r.apply(&RegistryCommand::Register { subject: subject.clone(), schema: schema(s) }).unwrap();
            let (id, version) = match event {
                RegistryEvent::Registered { id, version, .. } | RegistryEvent::AlreadyRegistered { id, version, .. } => (id, version),
                other => panic!("{other:?}"),
            };
            prop_assert_eq!(*ids.entry(s).or_insert(id), id, "one id per schema, in every subject");
            prop_assert_eq!(*versions.entry((subject.clone(), id)).or_insert(version), version);
            prop_assert_eq!(r.version(&subject, version), Ok(id));
        }
        // Ids are 1..=n in order of first registration, with no gaps.
        let mut given: Vec<u32> = ids.values().map(|id: &SchemaId| id.0).collect();
        given.sort_unstable();
        prop_assert_eq!(given, (1..=ids.len() as u32).collect::<Vec<_>>());
        for subject in r.subjects().values() {
            let distinct: std::collections::BTreeSet<_> = subject.versions().iter().collect();
            prop_assert_eq!(distinct.len(), subject.versions().len(), "a schema is one version per subject");
        }
    }
}
