//! The journal bytes of a [`RegistryCommand`]: a format version, then one stable tag per command
//! and its fields. Journals are only ever extended: a tag is never reused or renumbered, and a
//! decoder refuses a format version newer than it knows.

use crate::{Level, RegistryCommand, SCHEMA_LEN_MAX, SUBJECT_LEN_MAX};
use sim::codec::{DecodeError, Reader, Writer};

/// The format these bytes are written in.
pub const FORMAT_VERSION: u8 = 1;

const TAG_SET_COMPATIBILITY: u8 = 0;
const TAG_REGISTER: u8 = 1;

pub fn encode(w: &mut Writer, command: &RegistryCommand) {
    w.u8(FORMAT_VERSION);
    match command {
        RegistryCommand::SetCompatibility { subject, level } => {
            w.u8(TAG_SET_COMPATIBILITY);
            w.str(subject);
            w.u8(level.tag());
        }
        RegistryCommand::Register { subject, schema } => {
            w.u8(TAG_REGISTER);
            w.str(subject);
            w.str(schema);
        }
    }
}

pub fn decode(r: &mut Reader<'_>) -> Result<RegistryCommand, DecodeError> {
    let version = r.u8()?;
    if version == 0 || version > FORMAT_VERSION {
        return Err(DecodeError::Invalid("registry command format"));
    }
    Ok(match r.u8()? {
        TAG_SET_COMPATIBILITY => RegistryCommand::SetCompatibility {
            subject: r.str(SUBJECT_LEN_MAX)?,
            level: Level::from_tag(r.u8()?).ok_or(DecodeError::Invalid("compatibility level"))?,
        },
        TAG_REGISTER => RegistryCommand::Register {
            subject: r.str(SUBJECT_LEN_MAX)?,
            schema: r.str(SCHEMA_LEN_MAX)?,
        },
        _ => return Err(DecodeError::Invalid("registry command")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_and_bytes_are_pinned() {
        let commands = [
            RegistryCommand::SetCompatibility {
                subject: "users-value".into(),
                level: Level::Check(crate::Mode::FullTransitive),
            },
            RegistryCommand::Register {
                subject: "s".into(),
                schema: "\"long\"".into(),
            },
        ];
        let mut w = Writer::new();
        for c in &commands {
            encode(&mut w, c);
        }
        let bytes = w.into_bytes();
        assert_eq!(&bytes[..3], [1, 0, 11]);
        assert_eq!(&bytes[bytes.len() - 11..], b"\x01\x01\x01s\x06\"long\"");
        let mut r = Reader::new(&bytes);
        for c in &commands {
            assert_eq!(&decode(&mut r).unwrap(), c);
        }
        r.finish().unwrap();
        assert!(decode(&mut Reader::new(&[2, 0])).is_err(), "a newer format");
        assert!(decode(&mut Reader::new(&[1, 9])).is_err(), "an unknown tag");
    }
}
