//! The stream engine's values and time.
//!
//! Event time and window bounds are [`TimeUs`], microseconds since the Unix epoch in UTC (the SQL
//! engine's timestamp unit, so a window printed by either engine reads the same); window sizes,
//! watermark delays, allowed lateness and TTLs are [`DurationUs`]. A row's fields are
//! [`StreamValue`]s: the engine never depends on the SQL engine, so the lab converts between them.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

/// An instant of event time: microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeUs(pub i64);

/// A length of time in microseconds (a window size, a slide, a gap, a delay, a lateness, a TTL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DurationUs(pub i64);

/// Microseconds in one second.
pub const US_PER_SECOND: i64 = 1_000_000;

impl DurationUs {
    /// A duration of whole seconds, saturating.
    pub fn from_seconds(seconds: i64) -> DurationUs {
        DurationUs(seconds.saturating_mul(US_PER_SECOND))
    }
}

impl TimeUs {
    /// The earliest instant: a watermark before any row.
    pub const MIN: TimeUs = TimeUs(i64::MIN);
    /// The latest instant: the watermark at the end of input.
    pub const MAX: TimeUs = TimeUs(i64::MAX);

    /// This instant plus `duration`, saturating at the ends of time.
    pub fn plus(self, duration: DurationUs) -> TimeUs {
        TimeUs(self.0.saturating_add(duration.0))
    }

    /// This instant minus `duration`, saturating at the ends of time.
    pub fn minus(self, duration: DurationUs) -> TimeUs {
        TimeUs(self.0.saturating_sub(duration.0))
    }

    /// The instant as PostgreSQL prints a timestamp: `2024-03-01 12:30:05`.
    pub fn format(self) -> String {
        sim::calendar::format_timestamp(self.0)
    }

    /// Parses `YYYY-MM-DD[ |T]HH:MM[:SS[.ffffff]][Z]` (or a bare date, at midnight) as UTC.
    pub fn parse(text: &str) -> Option<TimeUs> {
        sim::calendar::parse_timestamp(text).map(TimeUs)
    }
}

/// One field of a row, a grouping key or an aggregate's result. Equality and order are
/// [`StreamValue::total_cmp`]'s (NULL first, NaN equal to NaN), so keys can live in ordered maps
/// and states can be compared and hashed.
#[derive(Clone, Debug)]
pub enum StreamValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Rc<str>),
    Time(TimeUs),
}

impl StreamValue {
    /// A text value.
    pub fn text(s: &str) -> StreamValue {
        StreamValue::Text(Rc::from(s))
    }

    /// Whether this is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, StreamValue::Null)
    }

    /// The value as a number for sums and averages (integers widen), if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StreamValue::Int(i) => Some(*i as f64),
            StreamValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            StreamValue::Null => 0,
            StreamValue::Bool(_) => 1,
            StreamValue::Int(_) | StreamValue::Float(_) => 2,
            StreamValue::Text(_) => 3,
            StreamValue::Time(_) => 4,
        }
    }

    /// A total order: NULL first, then booleans, numbers (integers and floats compared by value,
    /// floats by `f64::total_cmp`), text, times.
    pub fn total_cmp(&self, other: &StreamValue) -> Ordering {
        use StreamValue::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Int(a), Float(b)) => (*a as f64).total_cmp(b).then(Ordering::Less),
            (Float(a), Int(b)) => a.total_cmp(&(*b as f64)).then(Ordering::Greater),
            (Text(a), Text(b)) => a.cmp(b),
            (Time(a), Time(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    /// Feeds the value to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(u64::from(self.rank()));
        match self {
            StreamValue::Null => {}
            StreamValue::Bool(b) => hasher.u64(u64::from(*b)),
            StreamValue::Int(i) => hasher.u64(*i as u64),
            StreamValue::Float(f) => hasher.u64(f.to_bits()),
            StreamValue::Text(s) => hasher.str(s),
            StreamValue::Time(t) => hasher.u64(t.0 as u64),
        }
    }
}

impl PartialEq for StreamValue {
    fn eq(&self, other: &StreamValue) -> bool {
        self.total_cmp(other) == Ordering::Equal
    }
}

impl Eq for StreamValue {}

impl PartialOrd for StreamValue {
    fn partial_cmp(&self, other: &StreamValue) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StreamValue {
    fn cmp(&self, other: &StreamValue) -> Ordering {
        self.total_cmp(other)
    }
}

impl fmt::Display for StreamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamValue::Null => f.write_str("NULL"),
            StreamValue::Bool(b) => write!(f, "{b}"),
            StreamValue::Int(i) => write!(f, "{i}"),
            StreamValue::Float(x) => write!(f, "{x}"),
            StreamValue::Text(s) => f.write_str(s),
            StreamValue::Time(t) => f.write_str(&t.format()),
        }
    }
}

/// A grouping key: the values of the GROUP BY columns (empty for a global aggregate).
pub type Key = Vec<StreamValue>;

/// Why the engine refused a job or an input, phrased for the learner, with a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    pub message: String,
    pub hint: String,
}

impl StreamError {
    /// An error with a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> StreamError {
        StreamError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}
