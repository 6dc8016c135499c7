//! A stable 64-bit fingerprint of lab state, used to prove determinism: the same journal must give
//! the same hash live, replayed, and on any machine. `std`'s `DefaultHasher` is not used because
//! its algorithm is not guaranteed to stay the same between Rust releases.
//!
//! The fingerprint takes its input a 64-bit word at a time (rotate, xor the word in, multiply by an
//! odd constant, as rustc's FxHasher does): each step is a bijection of the running value, so two
//! inputs that differ in one word always differ, and a whole lab state hashes about eight times
//! faster than FNV-1a's byte-at-a-time loop (fork and compare hashes both end states). FNV-1a
//! itself stays as [`fnv1a64`], for the values that must not change (seeds derived from labels).
//!
//! A state hashes its fields, never their `Debug` text (whose wording may change): by hand with
//! [`StateHasher::u64`] and [`StateHasher::str`], or, for plain data such as events, through a
//! derived `std::hash::Hash`, which feeds the fields in declaration order to the
//! [`std::hash::Hasher`] implemented here. That implementation fixes every integer's width and byte
//! order (a `usize` counts as a little-endian `u64`), so a 64-bit machine and wasm32 agree.

const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

/// The fingerprint's multiplier (an odd 64-bit constant with well-spread bits).
const WORD_MULTIPLIER: u64 = 0x517C_C1B7_2722_0A95;

/// FNV-1a over a byte string.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// Accumulates a fingerprint from the fields of a state, in a fixed order.
#[derive(Clone, Debug)]
pub struct StateHasher {
    hash: u64,
}

impl Default for StateHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl StateHasher {
    pub fn new() -> StateHasher {
        StateHasher { hash: FNV_OFFSET }
    }

    /// Bytes in little-endian words of 8; a last partial word is zero-padded (lengths that matter
    /// are hashed by the caller, as [`StateHasher::str`] does).
    pub fn bytes(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            self.u64(u64::from_le_bytes(le));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut le = [0u8; 8];
            le[..rest.len()].copy_from_slice(rest);
            self.u64(u64::from_le_bytes(le));
        }
    }

    pub fn u64(&mut self, value: u64) {
        self.hash = (self.hash.rotate_left(5) ^ value).wrapping_mul(WORD_MULTIPLIER);
    }

    /// A length-prefixed string, so ("ab","c") and ("a","bc") hash differently.
    pub fn str(&mut self, value: &str) {
        self.u64(value.len() as u64);
        self.bytes(value.as_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.hash
    }
}

/// Integers at fixed widths, little-endian: `usize` and `isize` as 64-bit, so the hash of a
/// derived `Hash` is the same on 32- and 64-bit targets.
impl std::hash::Hasher for StateHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
    }

    fn write_u8(&mut self, i: u8) {
        self.u64(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.u64(i);
    }

    fn write_u128(&mut self, i: u128) {
        self.u64(i as u64);
        self.u64((i >> 64) as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }

    fn write_i16(&mut self, i: i16) {
        self.write_u16(i as u16);
    }

    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    fn write_i128(&mut self, i: i128) {
        self.write_u128(i as u128);
    }

    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xCBF2_9CE4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xAF63_DC4C_8601_EC8C);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_F739_67E8);
    }

    #[test]
    fn one_word_changed_anywhere_changes_the_fingerprint() {
        let base: Vec<u64> = (0..64).map(|i| i * 0x0101_0101).collect();
        let hash = |words: &[u64]| {
            let mut h = StateHasher::new();
            words.iter().for_each(|w| h.u64(*w));
            h.finish()
        };
        for position in 0..base.len() {
            for bit in [0, 31, 63] {
                let mut changed = base.clone();
                changed[position] ^= 1 << bit;
                assert_ne!(hash(&changed), hash(&base), "word {position}, bit {bit}");
            }
        }
        // Bytes are read as little-endian words, whatever the machine.
        let mut h = StateHasher::new();
        h.bytes(&[1, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(h.finish(), hash(&[1, 2]));
    }

    #[test]
    fn strings_are_length_prefixed() {
        let mut a = StateHasher::new();
        a.str("ab");
        a.str("c");
        let mut b = StateHasher::new();
        b.str("a");
        b.str("bc");
        assert_ne!(a.finish(), b.finish());
    }

    #[test]
    fn derived_hashes_use_fixed_widths() {
        use std::hash::Hash;
        let mut by_usize = StateHasher::new();
        7usize.hash(&mut by_usize);
        let mut by_u64 = StateHasher::new();
        by_u64.u64(7);
        assert_eq!(by_usize.finish(), by_u64.finish());
    }
}
