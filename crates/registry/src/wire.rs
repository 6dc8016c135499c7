//! The Confluent wire format of a record key or value: a magic byte 0, the schema id as 4 bytes
//! big-endian, then the Avro binary datum (Confluent's `SchemaId` / `AbstractKafkaSchemaSerDe`).
//! It is not Avro's single-object encoding (`C3 01` and a fingerprint): the id points into the
//! registry, so a reader needs the registry to find the writer's schema.

use crate::SchemaId;
use std::fmt;

/// The first byte of every framed datum.
pub const MAGIC_BYTE: u8 = 0;
/// Magic byte and id.
pub const HEADER_BYTES: usize = 5;

/// Frames an Avro datum written with schema `id`.
pub fn frame(id: SchemaId, datum: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + datum.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.0.to_be_bytes());
    out.extend_from_slice(datum);
    out
}

/// Why bytes are not a framed datum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Fewer than 5 bytes.
    TooShort { len: usize },
    /// The first byte is not 0 (Confluent's deserializer says "Unknown magic byte!").
    UnknownMagicByte(u8),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooShort { len } => write!(
                f,
                "{len} bytes cannot hold the magic byte and a 4-byte schema id"
            ),
            WireError::UnknownMagicByte(b) => write!(f, "Unknown magic byte! (found {b:#04x})"),
        }
    }
}

/// The schema id and the Avro datum of a framed value.
pub fn unframe(bytes: &[u8]) -> Result<(SchemaId, &[u8]), WireError> {
    let Some((header, datum)) = bytes.split_first_chunk::<HEADER_BYTES>() else {
        return Err(WireError::TooShort { len: bytes.len() });
    };
    if header[0] != MAGIC_BYTE {
        return Err(WireError::UnknownMagicByte(header[0]));
    }
    let id = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    Ok((SchemaId(id), datum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_42_and_long_27() {
        let framed = frame(SchemaId(42), &[0x36]);
        assert_eq!(framed, [0x00, 0x00, 0x00, 0x00, 0x2a, 0x36]);
        assert_eq!(unframe(&framed), Ok((SchemaId(42), &[0x36][..])));
    }

    #[test]
    fn not_framed() {
        assert_eq!(unframe(&[0, 0, 1]), Err(WireError::TooShort { len: 3 }));
        assert_eq!(unframe(b"order-1"), Err(WireError::UnknownMagicByte(b'o')));
        assert!(unframe(&[1, 0, 0, 0, 1])
            .unwrap_err()
            .to_string()
            .starts_with("Unknown magic byte!"));
    }
}
