//! Compatibility modes as Confluent's Schema Registry applies them when a new version is
//! registered under a subject: BACKWARD (the new schema reads data written with the old: upgrade
//! consumers first), FORWARD (the old schemas read data written with the new: upgrade producers
//! first), FULL (both). The plain modes compare with the latest version only; the `_TRANSITIVE`
//! ones with every version, newest first, stopping at the first that fails. BACKWARD is the
//! registry's default.

use crate::compat::{check, Incompatibility};
use crate::schema::ParsedSchema;
use std::fmt;

/// A subject's compatibility mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Backward,
        Mode::BackwardTransitive,
        Mode::Forward,
        Mode::ForwardTransitive,
        Mode::Full,
        Mode::FullTransitive,
    ];

    /// The mode's name as the registry writes it, e.g. `BACKWARD_TRANSITIVE`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Backward => "BACKWARD",
            Mode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Mode::Forward => "FORWARD",
            Mode::ForwardTransitive => "FORWARD_TRANSITIVE",
            Mode::Full => "FULL",
            Mode::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Reads a mode name in either case (`backward`, `FULL_TRANSITIVE`).
    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(text))
    }

    fn transitive(self) -> bool {
        matches!(
            self,
            Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive
        )
    }

    /// Whether the new schema must read data written with the old ones (BACKWARD and FULL):
    /// consumers may upgrade first.
    pub fn new_reads_old(self) -> bool {
        !matches!(self, Mode::Forward | Mode::ForwardTransitive)
    }

    /// Whether the old schemas must read data written with the new one (FORWARD and FULL):
    /// producers may upgrade first.
    pub fn old_reads_new(self) -> bool {
        !matches!(self, Mode::Backward | Mode::BackwardTransitive)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which registered version failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// 1 for the oldest version given.
    pub version: usize,
    /// "new reads old" (the new schema as reader) or "old reads new".
    pub direction: &'static str,
    pub incompatibilities: Vec<Incompatibility>,
}

/// The verdict on registering `new` after `versions` (oldest first) under `mode`: the first
/// failure found, or None when the new schema may be registered. No versions: always allowed.
pub fn check_new_version(
    mode: Mode,
    new: &ParsedSchema,
    versions: &[ParsedSchema],
) -> Option<Failure> {
    let compared = if mode.transitive() {
        versions.len()
    } else {
        versions.len().min(1)
    };
    versions
        .iter()
        .enumerate()
        .rev()
        .take(compared)
        .find_map(|(i, old)| failure(mode, new, old, i + 1))
}

fn failure(mode: Mode, new: &ParsedSchema, old: &ParsedSchema, version: usize) -> Option<Failure> {
    let directions = [
        (mode.new_reads_old(), "new reads old", new, old),
        (mode.old_reads_new(), "old reads new", old, new),
    ];
    directions
        .into_iter()
        .filter(|(applies, ..)| *applies)
        .find_map(|(_, direction, reader, writer)| {
            let verdict = check(reader, writer);
            (!verdict.is_compatible()).then_some(Failure {
                version,
                direction,
                incompatibilities: verdict.incompatibilities,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;

    fn user(fields: &str) -> ParsedSchema {
        parse_schema(&format!(
            r#"{{"type":"record","name":"User","fields":[{fields}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn modes_parse_in_either_case() {
        assert_eq!(Mode::parse("backward"), Some(Mode::Backward));
        assert_eq!(Mode::parse("FULL_TRANSITIVE"), Some(Mode::FullTransitive));
        assert_eq!(Mode::parse("sideways"), None);
    }

    #[test]
    fn adding_a_field_with_a_default_passes_every_mode() {
        let v1 = user(r#"{"name":"id","type":"int"}"#);
        let v2 = user(r#"{"name":"id","type":"int"},{"name":"n","type":"int","default":0}"#);
        for mode in Mode::ALL {
            assert_eq!(
                check_new_version(mode, &v2, std::slice::from_ref(&v1)),
                None,
                "{mode}"
            );
        }
    }

    #[test]
    fn plain_modes_look_at_the_latest_version_and_transitive_ones_at_all() {
        // v1 has b without default; v2 drops b; v3 adds b back without a default.
        let v1 = user(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
        let v2 = user(r#"{"name":"a","type":"int"}"#);
        let v3 = user(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
        let versions = [v1, v2];
        // BACKWARD: v3 must read v2's data; b is missing there with no default.
        let failed = check_new_version(Mode::Backward, &v3, &versions).unwrap();
        assert_eq!((failed.version, failed.direction), (2, "new reads old"));
        // FORWARD: v2 reads v3's data (b skipped): fine against the latest; v1 would need b as an int.
        assert_eq!(check_new_version(Mode::Forward, &v3, &versions), None);
        let failed = check_new_version(Mode::ForwardTransitive, &v3, &versions).unwrap();
        assert_eq!((failed.version, failed.direction), (1, "old reads new"));
    }

    #[test]
    fn the_first_version_is_always_allowed() {
        assert_eq!(
            check_new_version(Mode::FullTransitive, &user(""), &[]),
            None
        );
    }
}
