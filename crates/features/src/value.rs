//! The feature store's values, types and time.
//!
//! Feast types a feature with one of a handful of names (`Int64`, `Float64`, `String`, `Bool`,
//! `UnixTimestamp`); [`Dtype`] is that list and [`FeatureValue`] a value of one of them or NULL.
//! Time is [`TimestampUs`], microseconds since the Unix epoch in UTC (a naive timestamp is UTC, as
//! Feast treats it), and a TTL or a max age is a [`DurationUs`]: durations, never calendar days, so
//! a daylight-saving change cannot move a TTL window.
//!
//! This engine has its own small value type instead of the SQL engine's: engines never depend on
//! each other, and the lab's adapter (`lab::feature_sources`) turns SQL tables into feature rows.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

/// An instant: microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimestampUs(pub i64);

/// A length of time in microseconds (a TTL, a max age, a materialization interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DurationUs(pub i64);

/// Microseconds in one second.
pub const US_PER_SECOND: i64 = 1_000_000;

impl DurationUs {
    /// A duration of whole seconds.
    pub fn from_seconds(seconds: i64) -> DurationUs {
        DurationUs(seconds.saturating_mul(US_PER_SECOND))
    }
}

impl TimestampUs {
    /// Parses `YYYY-MM-DD[ |T]HH:MM[:SS[.ffffff]][Z]` (or a bare date, at midnight) as UTC.
    pub fn parse(text: &str) -> Option<TimestampUs> {
        sim::calendar::parse_timestamp(text).map(TimestampUs)
    }

    /// The instant as PostgreSQL prints a timestamp: `2024-03-01 12:30:05`.
    pub fn format(self) -> String {
        sim::calendar::format_timestamp(self.0)
    }

    /// This instant minus `duration`, saturating at the ends of time.
    pub fn minus(self, duration: DurationUs) -> TimestampUs {
        TimestampUs(self.0.saturating_sub(duration.0))
    }

    /// This instant plus `duration`, saturating at the ends of time.
    pub fn plus(self, duration: DurationUs) -> TimestampUs {
        TimestampUs(self.0.saturating_add(duration.0))
    }
}

/// A feature's type, by Feast's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dtype {
    Int64,
    Float64,
    String,
    Bool,
    UnixTimestamp,
}

impl Dtype {
    /// Every type, in the order the UI lists them.
    pub const ALL: [Dtype; 5] = [
        Dtype::Int64,
        Dtype::Float64,
        Dtype::String,
        Dtype::Bool,
        Dtype::UnixTimestamp,
    ];

    /// Feast's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Int64 => "Int64",
            Dtype::Float64 => "Float64",
            Dtype::String => "String",
            Dtype::Bool => "Bool",
            Dtype::UnixTimestamp => "UnixTimestamp",
        }
    }

    /// The type Feast calls `name` (exact spelling), if any.
    pub fn parse(name: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|dtype| dtype.name() == name)
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value of a feature, an entity column or a join key. Equality is [`FeatureValue::total_cmp`]'s
/// (NaN equals NaN, so a state holding values can be compared and hashed like every lab state).
#[derive(Clone, Debug)]
pub enum FeatureValue {
    Null,
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Bool(bool),
    Timestamp(TimestampUs),
}

impl FeatureValue {
    /// A string value.
    pub fn text(s: &str) -> FeatureValue {
        FeatureValue::Str(Rc::from(s))
    }

    /// Whether this is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, FeatureValue::Null)
    }

    /// The type of a non-NULL value.
    pub fn dtype(&self) -> Option<Dtype> {
        match self {
            FeatureValue::Null => None,
            FeatureValue::Int(_) => Some(Dtype::Int64),
            FeatureValue::Float(_) => Some(Dtype::Float64),
            FeatureValue::Str(_) => Some(Dtype::String),
            FeatureValue::Bool(_) => Some(Dtype::Bool),
            FeatureValue::Timestamp(_) => Some(Dtype::UnixTimestamp),
        }
    }

    /// A total order for sorting and for keys in ordered maps: NULL first, then by type in
    /// [`Dtype::ALL`] order, floats by `f64::total_cmp`. Join-key equality never uses this for
    /// NULL: a NULL key matches nothing (see `historical`).
    pub fn total_cmp(&self, other: &FeatureValue) -> Ordering {
        use FeatureValue::*;
        match (self, other) {
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Str(a), Str(b)) => a.cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            FeatureValue::Null => 0,
            FeatureValue::Int(_) => 1,
            FeatureValue::Float(_) => 2,
            FeatureValue::Str(_) => 3,
            FeatureValue::Bool(_) => 4,
            FeatureValue::Timestamp(_) => 5,
        }
    }
}

impl PartialEq for FeatureValue {
    fn eq(&self, other: &FeatureValue) -> bool {
        self.total_cmp(other) == Ordering::Equal
    }
}

impl Eq for FeatureValue {}

impl fmt::Display for FeatureValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureValue::Null => f.write_str("NULL"),
            FeatureValue::Int(i) => write!(f, "{i}"),
            FeatureValue::Float(x) => write!(f, "{x}"),
            FeatureValue::Str(s) => f.write_str(s),
            FeatureValue::Bool(b) => write!(f, "{b}"),
            FeatureValue::Timestamp(ts) => f.write_str(&ts.format()),
        }
    }
}

/// A join-key tuple with the total order of [`FeatureValue::total_cmp`], usable as a `BTreeMap`
/// key. Tuples holding a NULL are never looked up: a NULL key matches nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTuple(pub Vec<FeatureValue>);

impl KeyTuple {
    /// Whether any part of the key is NULL (such a key never matches).
    pub fn has_null(&self) -> bool {
        self.0.iter().any(FeatureValue::is_null)
    }
}

impl PartialOrd for KeyTuple {
    fn partial_cmp(&self, other: &KeyTuple) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyTuple {
    fn cmp(&self, other: &KeyTuple) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            match a.total_cmp(b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

/// State hashing: the lab fingerprints every state that holds values (see `sim::state_hash`).
impl FeatureValue {
    /// Feeds the value to a state hash: its type's rank, then its payload (a float by its bits,
    /// which agrees with [`FeatureValue::total_cmp`]'s equality).
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(u64::from(self.rank()));
        match self {
            FeatureValue::Null => {}
            FeatureValue::Int(i) => hasher.u64(*i as u64),
            FeatureValue::Float(x) => hasher.u64(x.to_bits()),
            FeatureValue::Str(s) => hasher.str(s),
            FeatureValue::Bool(b) => hasher.u64(u64::from(*b)),
            FeatureValue::Timestamp(ts) => hasher.u64(ts.0 as u64),
        }
    }
}

impl KeyTuple {
    /// Feeds the key to a state hash, length first.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(self.0.len() as u64);
        for part in &self.0 {
            part.hash_into(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_names_round_trip_with_feasts_spelling() {
        for dtype in Dtype::ALL {
            assert_eq!(Dtype::parse(dtype.name()), Some(dtype));
        }
        assert_eq!(Dtype::parse("int64"), None);
    }

    #[test]
    fn key_tuples_order_by_parts_then_length() {
        let a = KeyTuple(vec![FeatureValue::Int(1), FeatureValue::text("b")]);
        let b = KeyTuple(vec![FeatureValue::Int(1), FeatureValue::text("c")]);
        let c = KeyTuple(vec![FeatureValue::Int(1)]);
        assert!(a < b);
        assert!(c < a);
        assert!(!a.has_null());
        assert!(KeyTuple(vec![FeatureValue::Null]).has_null());
    }
}
