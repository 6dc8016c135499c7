//! Choosing a partition for a keyed record, exactly as the Java producer does
//! (`Utils.murmur2`, `Utils.toPositive`, `BuiltInPartitioner.partitionForKey`).
//!
//! The hash is 32-bit MurmurHash2 over the serialized key bytes (strings as UTF-8), with Kafka's
//! seed `0x9747b28c`; the partition is `toPositive(hash) % partitions`, where `toPositive` masks the
//! sign bit (it is *not* `abs`: for negative hashes the two disagree).
//!
//! ```
//! use broker::partitioner::{murmur2, partition_for_key};
//! use broker::PartitionId;
//! assert_eq!(murmur2(b"21"), -973932308); // Java's UtilsTest vector
//! assert_eq!(partition_for_key(b"user-1", 12), Some(PartitionId(8)));
//! ```

use super::PartitionId;

const SEED: u32 = 0x9747_b28c;
const M: u32 = 0x5bd1_e995;
const R: u32 = 24;

/// Kafka's murmur2 of `key`, as the signed 32-bit value Java returns.
pub fn murmur2(key: &[u8]) -> i32 {
    let mut h = SEED ^ key.len() as u32;
    let mut blocks = key.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = blocks.remainder();
    if tail.len() == 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit.
pub fn to_positive(hash: i32) -> u32 {
    (hash as u32) & 0x7fff_ffff
}

/// The partition of a keyed record among `partitions` (all of them, with a leader or not), or
/// `None` when there are no partitions.
pub fn partition_for_key(key: &[u8], partitions: u32) -> Option<PartitionId> {
    (partitions > 0).then(|| PartitionId(to_positive(murmur2(key)) % partitions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_utils_test_vectors() {
        for (key, hash) in [
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ] {
            assert_eq!(murmur2(key.as_bytes()), hash, "{key}");
        }
    }

    #[test]
    fn kafka_python_java_compatibility_vectors() {
        for (key, partition) in [
            (&b""[..], 681),
            (b"a", 524),
            (b"ab", 434),
            (b"abc", 107),
            (b"123456789", 566),
            (b"\x00 ", 742),
        ] {
            assert_eq!(
                partition_for_key(key, 1000),
                Some(PartitionId(partition)),
                "{key:?}"
            );
        }
    }

    #[test]
    fn spec_table_including_negative_hashes_and_utf8() {
        for (key, hash, positive, p3, p6, p12) in [
            (&b""[..], 275646681, 275646681, 0, 3, 9),
            (b"a", -1563381124, 584102524, 1, 4, 4),
            (b"key", -1079937367, 1067546281, 1, 1, 1),
            (b"user-1", 1404122828, 1404122828, 2, 2, 8),
            (b"user-2", -324981792, 1822501856, 2, 2, 8),
            (b"order-42", 501153024, 501153024, 0, 0, 0),
            (b"\xa4", 367232046, 367232046, 0, 0, 6),
            ("ключ".as_bytes(), 2122343024, 2122343024, 2, 2, 8),
        ] {
            assert_eq!(murmur2(key), hash);
            assert_eq!(to_positive(hash), positive);
            for (n, p) in [(3, p3), (6, p6), (12, p12)] {
                assert_eq!(partition_for_key(key, n), Some(PartitionId(p)));
            }
        }
        // toPositive is a mask, not abs: abs(-1563381124) % 12 would be 4 too, so check one that differs.
        assert_ne!(to_positive(-973932308) % 1000, 973932308 % 1000);
        assert_eq!(partition_for_key(b"x", 0), None);
    }
}
