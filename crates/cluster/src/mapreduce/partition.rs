//! Which reducer a map output key goes to: Hadoop's two partitioners, bit for bit.
//!
//! - `HashPartitioner` (`org.apache.hadoop.mapreduce.lib.partition.HashPartitioner`):
//!   `(key.hashCode() & Integer.MAX_VALUE) % numReduceTasks`, where a `Text` key's `hashCode()` is
//!   `WritableComparator.hashBytes` over its UTF-8 bytes: `h = 1`, then `h = 31 * h + b` for each
//!   byte `b` taken as a *signed* Java byte, in 32-bit wrapping arithmetic.
//! - `KeyFieldBasedPartitioner` (same package), configured by
//!   `mapreduce.partition.keypartitioner.options` such as `-k1,2`: the key is cut into fields at
//!   the separator, and only the bytes from the start of the first chosen field to the end of the
//!   last (the separators between them included) are hashed, with its own `hashCode`: `h = 0`,
//!   then `h = 31 * h + b` (signed bytes again), continued across several `-k` specs. Hadoop's
//!   streaming documentation shows it with `-D mapreduce.partition.keypartitioner.options=-k1,2`
//!   to send every key that shares its first two fields to one reducer.
//!
//! A spec is `-k pos1[,pos2]`, a position `field[.char]` (1-based; a missing `pos2` means the
//! end of the key; `char` 0 in `pos2` means the field's last character). The `n` and `r` flags
//! order keys in `KeyFieldBasedComparator` and do not change the partition: they are accepted
//! and ignored, as Hadoop does here.

use super::JobError;

/// One `-k` spec, as Hadoop's `KeyFieldHelper.KeyDescription` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub begin_field: usize,
    pub begin_char: usize,
    /// 0: to the end of the key.
    pub end_field: usize,
    /// 0: to the end of `end_field`.
    pub end_char: usize,
}

/// `WritableComparator.hashBytes`: a `Text` key's `hashCode()`.
pub fn text_hash_code(bytes: &[u8]) -> i32 {
    java_hash(1, bytes)
}

/// `h = 31 * h + b` over signed bytes, from `start`, wrapping like Java's `int`.
fn java_hash(start: i32, bytes: &[u8]) -> i32 {
    bytes.iter().fold(start, |h, b| {
        h.wrapping_mul(31).wrapping_add(i32::from(*b as i8))
    })
}

/// `(hash & Integer.MAX_VALUE) % reducers` (0 when there is no reducer).
pub fn partition_of(hash: i32, reducers: u16) -> u32 {
    if reducers == 0 {
        return 0;
    }
    (hash & i32::MAX) as u32 % u32::from(reducers)
}

/// Parses `mapreduce.partition.keypartitioner.options`.
pub fn parse_options(options: &str) -> Result<Vec<KeySpec>, JobError> {
    let mut specs = Vec::new();
    let mut tokens = options.split_whitespace();
    while let Some(token) = tokens.next() {
        match token {
            "-n" | "-r" | "-nr" | "-rn" => {}
            _ if token.starts_with("-k") => {
                let spec = if token.len() == 2 {
                    tokens.next().unwrap_or("")
                } else {
                    &token[2..]
                };
                specs.push(parse_spec(spec, options)?);
            }
            _ => return Err(bad_options(options, &format!("'{token}' is not an option"))),
        }
    }
    if specs.is_empty() {
        return Err(bad_options(options, "there is no -k spec"));
    }
    Ok(specs)
}

fn bad_options(options: &str, why: &str) -> JobError {
    JobError {
        message: format!("bad KeyFieldBasedPartitioner options \"{options}\": {why}"),
        hint: "-k1,2 means fields 1 to 2 of the key (1-based), -k2,2 field 2 only, -k1 from field 1 to the end".to_string(),
        line: None,
    }
}

/// `field[.char][flags][,field[.char][flags]]`.
fn parse_spec(spec: &str, options: &str) -> Result<KeySpec, JobError> {
    let (begin, end) = match spec.split_once(',') {
        Some((b, e)) => (b, Some(e)),
        None => (spec, None),
    };
    let (begin_field, begin_char) = parse_position(begin, options)?;
    let begin_char = begin_char.unwrap_or(1);
    if begin_field == 0 || begin_char == 0 {
        return Err(bad_options(options, "fields and characters count from 1"));
    }
    let (end_field, end_char) = match end {
        Some(e) => {
            let (field, char) = parse_position(e, options)?;
            if field == 0 {
                return Err(bad_options(options, "fields count from 1"));
            }
            (field, char.unwrap_or(0))
        }
        None => (0, 0),
    };
    if end_field != 0 && end_field < begin_field {
        return Err(bad_options(
            options,
            &format!("the spec ends at field {end_field}, before it begins ({begin_field})"),
        ));
    }
    Ok(KeySpec {
        begin_field,
        begin_char,
        end_field,
        end_char,
    })
}

/// `field[.char]` followed by any of the ordering flags `n`, `r`.
fn parse_position(text: &str, options: &str) -> Result<(usize, Option<usize>), JobError> {
    let text = text.trim_end_matches(['n', 'r']);
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| bad_options(options, &format!("'{s}' is not a field number")))
    };
    match text.split_once('.') {
        Some((field, char)) => Ok((number(field)?, Some(number(char)?))),
        None => Ok((number(text)?, None)),
    }
}

/// `KeyFieldBasedPartitioner.getPartition`: the reducer for `key` (0 for an empty key).
pub fn key_fields_partition(key: &str, specs: &[KeySpec], separator: char, reducers: u16) -> u32 {
    if key.is_empty() {
        return 0;
    }
    let mut buffer = [0; 4];
    let separator = separator.encode_utf8(&mut buffer);
    partition_of(
        key_field_hash(key.as_bytes(), specs, separator.as_bytes()),
        reducers,
    )
}

/// `KeyFieldBasedPartitioner.getPartition`'s hash over the chosen fields of `key`.
pub fn key_field_hash(key: &[u8], specs: &[KeySpec], separator: &[u8]) -> i32 {
    let lengths = field_lengths(key, separator);
    let mut hash = 0;
    for spec in specs {
        let Some(start) = start_offset(key.len(), &lengths, separator.len(), spec) else {
            continue;
        };
        let end = end_offset(key.len(), &lengths, separator.len(), spec);
        if let Ok(end) = usize::try_from(end) {
            if end >= start {
                hash = java_hash(hash, &key[start..=end]);
            }
        }
    }
    hash
}

/// The byte length of each separator-delimited field.
fn field_lengths(key: &[u8], separator: &[u8]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while !separator.is_empty() && at + separator.len() <= key.len() {
        if &key[at..at + separator.len()] == separator {
            lengths.push(at - start);
            at += separator.len();
            start = at;
        } else {
            at += 1;
        }
    }
    lengths.push(key.len() - start);
    lengths
}

/// Where a field begins, in bytes.
fn field_start(lengths: &[usize], separator_len: usize, field: usize) -> usize {
    lengths[..field - 1].iter().map(|l| l + separator_len).sum()
}

/// `KeyFieldHelper.getStartOffset`: the first byte hashed, or None when the key lacks it.
fn start_offset(
    key_len: usize,
    lengths: &[usize],
    separator_len: usize,
    spec: &KeySpec,
) -> Option<usize> {
    if lengths.len() < spec.begin_field {
        return None;
    }
    let position = field_start(lengths, separator_len, spec.begin_field);
    (position + spec.begin_char <= key_len).then(|| position + spec.begin_char - 1)
}

/// `KeyFieldHelper.getEndOffset`: the last byte hashed (the key's last when out of range; -1,
/// hashing nothing, for an empty first field).
fn end_offset(key_len: usize, lengths: &[usize], separator_len: usize, spec: &KeySpec) -> isize {
    let last = key_len as isize - 1;
    if spec.end_field == 0 || lengths.len() < spec.end_field {
        return last;
    }
    let mut position = field_start(lengths, separator_len, spec.end_field);
    if spec.end_char == 0 {
        position += lengths[spec.end_field - 1];
    }
    if position + spec.end_char <= key_len {
        (position + spec.end_char) as isize - 1
    } else {
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed by hand with the Java formulas (32-bit wrapping, signed bytes).

    #[test]
    fn text_hash_matches_java() {
        // "hello": 31^5 + String.hashCode("hello") = 28629151 + 99162322.
        assert_eq!(text_hash_code(b"hello"), 127_791_473);
        assert_eq!(text_hash_code(b"the"), 144_592);
        // "é" is C3 A9: 31 * 1 - 61 = -30, then 31 * -30 - 87 = -1017.
        assert_eq!(text_hash_code("é".as_bytes()), -1017);
        assert_eq!(text_hash_code(b""), 1);
        assert_eq!(text_hash_code(b"push_show\texp_a_1\tu000001"), 300_086_582);
    }

    #[test]
    fn partition_masks_the_sign_bit() {
        assert_eq!(partition_of(127_791_473, 4), 1);
        assert_eq!(partition_of(127_791_473, 7), 5);
        // -1017 & 0x7fffffff = 2147482631, % 4 = 3.
        assert_eq!(partition_of(-1017, 4), 3);
        assert_eq!(partition_of(-1017, 0), 0);
    }

    #[test]
    fn key_fields_hash_the_chosen_range_separators_included() {
        let specs = parse_options("-k1,2").unwrap_or_default();
        // Bytes of "push_show\texp_a_1", from h = 0.
        let h1 = key_field_hash(b"push_show\texp_a_1\tu000001", &specs, b"\t");
        let h2 = key_field_hash(b"push_show\texp_a_1\tu000002", &specs, b"\t");
        assert_eq!((h1, h2), (645_894_538, 645_894_538));
        assert_eq!(partition_of(h1, 4), 2);
        let second = parse_options("-k2,2").unwrap_or_default();
        assert_eq!(key_field_hash(b"a\tb\tc", &second, b"\t"), 98);
        // A field the key does not have is skipped.
        let fourth = parse_options("-k4,4").unwrap_or_default();
        assert_eq!(key_field_hash(b"a\tb\tc", &fourth, b"\t"), 0);
        // An empty first field hashes nothing (Hadoop's end offset is -1).
        let first = parse_options("-k1,1").unwrap_or_default();
        assert_eq!(key_field_hash(b"\tb", &first, b"\t"), 0);
    }

    #[test]
    fn options_parse_like_key_field_helper() {
        let spec = |b, bc, e, ec| KeySpec {
            begin_field: b,
            begin_char: bc,
            end_field: e,
            end_char: ec,
        };
        assert_eq!(parse_options("-k1,2").ok(), Some(vec![spec(1, 1, 2, 0)]));
        assert_eq!(parse_options("-k 2").ok(), Some(vec![spec(2, 1, 0, 0)]));
        assert_eq!(
            parse_options("-k2.3,2.5nr").ok(),
            Some(vec![spec(2, 3, 2, 5)])
        );
        assert_eq!(
            parse_options("-nr -k1,1").ok(),
            Some(vec![spec(1, 1, 1, 0)])
        );
        for bad in ["", "-kx", "-k0,1", "-k2,1", "k1,2", "-k1,2 --fast"] {
            let err = parse_options(bad).err();
            assert!(
                err.is_some_and(|e| e.hint.contains("-k1,2 means fields 1 to 2")),
                "{bad}"
            );
        }
    }
}
