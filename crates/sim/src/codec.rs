//! A tiny, explicit binary encoding (LEB128 varints and length-prefixed strings) for journals.
//!
//! Share links must stay readable across releases, so the byte layout is written out by hand
//! here instead of depending on a serializer's internal format. Every read is bounds-checked and
//! returns a [`DecodeError`] instead of panicking on hostile input.

use std::fmt;

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input stopped in the middle of a value.
    Truncated,
    /// A varint ran past 64 bits.
    Overlong,
    /// A string was not UTF-8.
    BadText,
    /// A value was out of its allowed range or an unknown tag.
    Invalid(&'static str),
    /// Bytes were left over after the last value.
    TrailingBytes,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "the data ends too early"),
            DecodeError::Overlong => write!(f, "a number is too long"),
            DecodeError::BadText => write!(f, "a text field is not valid UTF-8"),
            DecodeError::Invalid(what) => write!(f, "invalid {what}"),
            DecodeError::TrailingBytes => write!(f, "unexpected bytes after the end"),
        }
    }
}

/// Appends values to a byte buffer.
#[derive(Default, Debug)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    /// Unsigned LEB128.
    pub fn varint(&mut self, mut value: u64) {
        loop {
            let low = (value & 0x7F) as u8;
            value >>= 7;
            if value == 0 {
                self.bytes.push(low);
                return;
            }
            self.bytes.push(low | 0x80);
        }
    }

    /// A signed integer as a zig-zag varint (small negative numbers stay small).
    pub fn signed(&mut self, value: i64) {
        self.varint(((value << 1) ^ (value >> 63)) as u64);
    }

    pub fn str(&mut self, value: &str) {
        self.varint(value.len() as u64);
        self.bytes.extend_from_slice(value.as_bytes());
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads values back from a byte slice.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, position: 0 }
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or(DecodeError::Truncated)?;
        self.position += 1;
        Ok(byte)
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7F);
            if shift == 63 && bits > 1 {
                return Err(DecodeError::Overlong);
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Overlong)
    }

    /// A signed integer written by [`Writer::signed`].
    pub fn signed(&mut self) -> Result<i64, DecodeError> {
        let zigzag = self.varint()?;
        Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64))
    }

    /// A varint that must fit `max`; `what` names the field in the error.
    pub fn varint_at_most(&mut self, max: u64, what: &'static str) -> Result<u64, DecodeError> {
        let value = self.varint()?;
        if value > max {
            return Err(DecodeError::Invalid(what));
        }
        Ok(value)
    }

    /// A string of at most `max_len` bytes.
    pub fn str(&mut self, max_len: usize) -> Result<String, DecodeError> {
        let len = self.varint_at_most(max_len as u64, "text length")? as usize;
        let end = self
            .position
            .checked_add(len)
            .ok_or(DecodeError::Truncated)?;
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or(DecodeError::Truncated)?;
        self.position = end;
        String::from_utf8(slice.to_vec()).map_err(|_| DecodeError::BadText)
    }

    /// Succeeds only when every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.position == self.bytes.len() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_layout_is_leb128() {
        let mut w = Writer::new();
        w.varint(300);
        assert_eq!(w.into_bytes(), vec![0xAC, 0x02]);
    }

    #[test]
    fn hostile_inputs_are_errors() {
        assert_eq!(Reader::new(&[0x80]).varint(), Err(DecodeError::Truncated));
        assert_eq!(
            Reader::new(&[0xFF; 11]).varint(),
            Err(DecodeError::Overlong)
        );
        assert_eq!(Reader::new(&[5, b'a']).str(10), Err(DecodeError::Truncated));
        assert_eq!(
            Reader::new(&[2, 0xC3, 0x28]).str(10),
            Err(DecodeError::BadText)
        );
        assert_eq!(
            Reader::new(&[50]).str(10),
            Err(DecodeError::Invalid("text length"))
        );
    }

    proptest! {
        #[test]
        fn round_trips(values in proptest::collection::vec(any::<u64>(), 0..20), text in ".{0,40}") {
            let mut w = Writer::new();
            for v in &values { w.varint(*v); }
            w.str(&text);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            for v in &values { prop_assert_eq!(r.varint().unwrap(), *v); }
            prop_assert_eq!(r.str(1000).unwrap(), text);
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn signed_round_trips(values in proptest::collection::vec(any::<i64>(), 0..20)) {
            let mut w = Writer::new();
            for v in &values { w.signed(*v); }
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            for v in &values { prop_assert_eq!(r.signed().unwrap(), *v); }
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&bytes);
            let _ = r.varint();
            let _ = r.str(16);
            let _ = r.u8();
        }
    }
}
