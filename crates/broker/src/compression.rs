//! Batch compression, computed for real: a producer batch's records are laid out in Kafka's v2
//! record format and compressed with gzip, snappy, lz4 or zstd (pure-Rust implementations that
//! also run in WebAssembly), so the bytes on the wire and on disk, and the ratio per codec and
//! per batch size, are measured rather than assumed.
//!
//! Kafka compresses whole batches (`compression.type`, default none): bigger batches of similar
//! records compress better, which is why `linger` and `batch.size` matter.

use super::log::NewRecord;
use std::io::Write;

/// `compression.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    pub const ALL: [Codec; 5] = [
        Codec::None,
        Codec::Gzip,
        Codec::Snappy,
        Codec::Lz4,
        Codec::Zstd,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Snappy => "snappy",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }

    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Stable tag for the journal encoding.
    pub fn tag(self) -> u8 {
        match self {
            Codec::None => 0,
            Codec::Gzip => 1,
            Codec::Snappy => 2,
            Codec::Lz4 => 3,
            Codec::Zstd => 4,
        }
    }

    pub fn from_tag(tag: u8) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

/// Zig-zag varint, as Kafka's record format writes signed lengths and deltas.
fn varint(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The records of a batch in Kafka's v2 record layout (what gets compressed).
pub fn encode_records(records: &[NewRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut body = vec![0u8]; // attributes
        varint(&mut body, 0); // timestamp delta
        varint(&mut body, i as i64); // offset delta
        for field in [&r.key, &r.value] {
            match field {
                Some(bytes) => {
                    varint(&mut body, bytes.len() as i64);
                    body.extend_from_slice(bytes);
                }
                None => varint(&mut body, -1),
            }
        }
        varint(&mut body, r.headers.len() as i64);
        for (key, value) in &r.headers {
            varint(&mut body, key.len() as i64);
            body.extend_from_slice(key.as_bytes());
            varint(&mut body, value.len() as i64);
            body.extend_from_slice(value);
        }
        varint(&mut out, body.len() as i64);
        out.extend_from_slice(&body);
    }
    out
}

/// Compresses `bytes` with `codec`.
pub fn compress(codec: Codec, bytes: &[u8]) -> Vec<u8> {
    match codec {
        Codec::None => bytes.to_vec(),
        Codec::Gzip => {
            let deflated = miniz_oxide::deflate::compress_to_vec(bytes, 6);
            let mut out = Vec::with_capacity(deflated.len() + 18);
            out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
            out.extend_from_slice(&deflated);
            out.extend_from_slice(&crc32(bytes).to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out
        }
        Codec::Snappy => snap::raw::Encoder::new()
            .compress_vec(bytes)
            .unwrap_or_else(|_| bytes.to_vec()),
        Codec::Lz4 => lz4_flex::frame::FrameEncoder::new(Vec::new())
            .finish_with(bytes)
            .unwrap_or_else(|_| bytes.to_vec()),
        Codec::Zstd => {
            ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

trait FinishWith {
    fn finish_with(self, bytes: &[u8]) -> std::io::Result<Vec<u8>>;
}

impl FinishWith for lz4_flex::frame::FrameEncoder<Vec<u8>> {
    fn finish_with(mut self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        self.write_all(bytes)?;
        self.finish().map_err(std::io::Error::other)
    }
}

/// CRC-32 (IEEE), for the gzip trailer.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Bytes the batch's records take on the wire and on disk with `codec`.
pub fn encoded_len(codec: Codec, records: &[NewRecord]) -> u64 {
    match codec {
        Codec::None => records
            .iter()
            .enumerate()
            .map(|(i, r)| record_len(r, i as u64, 0))
            .sum(),
        _ => compress(codec, &encode_records(records)).len() as u64,
    }
}

/// Bytes of a zig-zag varint or varlong (Kafka's `ByteUtils.sizeOfVarint`, `sizeOfVarlong`).
fn varint_len(value: i64) -> u64 {
    let v = ((value << 1) ^ (value >> 63)) as u64;
    u64::from((64 - v.leading_zeros()).max(1).div_ceil(7))
}

/// Most framing bytes of one record besides its key, value and headers (Kafka's
/// `DefaultRecord.MAX_RECORD_OVERHEAD`: a 5-byte length, a 10-byte timestamp delta, a 5-byte
/// offset delta and the attributes byte).
const RECORD_OVERHEAD_MAX: u64 = 21;

/// Bytes of a record's key, value and headers with their lengths (`DefaultRecord.sizeOf`).
fn fields_len(r: &NewRecord) -> u64 {
    let field = |f: &Option<Vec<u8>>| {
        f.as_ref().map_or(varint_len(-1), |b| {
            varint_len(b.len() as i64) + b.len() as u64
        })
    };
    let headers: u64 = r
        .headers
        .iter()
        .map(|(k, v)| {
            varint_len(k.len() as i64)
                + k.len() as u64
                + varint_len(v.len() as i64)
                + v.len() as u64
        })
        .sum();
    field(&r.key) + field(&r.value) + varint_len(r.headers.len() as i64) + headers
}

/// Bytes of record `r` in Kafka's v2 format at `offset_delta` and `timestamp_delta_ms` within
/// its batch (`DefaultRecord.sizeInBytes`): a varint body length, then the attributes byte, the
/// timestamp delta (varlong), the offset delta (varint), key, value and headers.
pub fn record_len(r: &NewRecord, offset_delta: u64, timestamp_delta_ms: i64) -> u64 {
    let body = 1 + varint_len(timestamp_delta_ms) + varint_len(offset_delta as i64) + fields_len(r);
    varint_len(body as i64) + body
}

/// The most bytes record `r` can take in any batch (`DefaultRecord.recordSizeUpperBound`).
pub fn record_len_upper_bound(r: &NewRecord) -> u64 {
    RECORD_OVERHEAD_MAX + fields_len(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(n: usize) -> Vec<NewRecord> {
        (0..n)
            .map(|i| {
                NewRecord::keyed(
                    &format!("user-{}", i % 10),
                    &format!("{{\"order\": {i}, \"status\": \"created\"}}"),
                )
            })
            .collect()
    }

    #[test]
    fn every_codec_round_trips() {
        let raw = encode_records(&sample(50));
        let gz = compress(Codec::Gzip, &raw);
        let mut inflated = Vec::new();
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        let body = miniz_oxide::inflate::decompress_to_vec(&gz[10..gz.len() - 8]).unwrap();
        assert_eq!(body, raw);
        assert_eq!(
            u32::from_le_bytes(gz[gz.len() - 8..gz.len() - 4].try_into().unwrap()),
            crc32(&raw)
        );
        assert_eq!(
            snap::raw::Decoder::new()
                .decompress_vec(&compress(Codec::Snappy, &raw))
                .unwrap(),
            raw
        );
        lz4_flex::frame::FrameDecoder::new(&compress(Codec::Lz4, &raw)[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated, raw);
        let zstd = compress(Codec::Zstd, &raw);
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&zstd[..]).unwrap();
        let mut unzstd = Vec::new();
        decoder.read_to_end(&mut unzstd).unwrap();
        assert_eq!(unzstd, raw);
    }

    #[test]
    fn bigger_batches_of_similar_records_compress_better() {
        for codec in [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
            let one =
                encoded_len(codec, &sample(1)) as f64 / encode_records(&sample(1)).len() as f64;
            let many =
                encoded_len(codec, &sample(200)) as f64 / encode_records(&sample(200)).len() as f64;
            assert!(
                many < 0.5 && many < one,
                "{codec:?}: ratio {one:.2} for 1 record, {many:.2} for 200"
            );
        }
        assert_eq!(
            encoded_len(Codec::None, &sample(3)),
            encode_records(&sample(3)).len() as u64
        );
    }

    #[test]
    fn uncompressed_length_is_computed_exactly() {
        let mut records = sample(300);
        records.push(NewRecord {
            key: None,
            value: None,
            headers: vec![("h".into(), vec![1; 200])],
            timestamp: None,
        });
        assert_eq!(
            encoded_len(Codec::None, &records),
            encode_records(&records).len() as u64
        );
    }

    #[test]
    fn crc32_reference() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
