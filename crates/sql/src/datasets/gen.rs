//! Drawing helpers for the sample datasets: uniform and skewed draws over the core's PRNG, and
//! column builders. Only exact arithmetic (integers, `+`, `*`, `/` on doubles) so that a seed gives
//! the same tables natively and in wasm: no `powf`, `exp` or `ln`, whose last bit depends on the
//! platform's math library.

use crate::column::{Column, ColumnData, Field, Table};
use crate::value::{days_from_civil, MICROS_PER_DAY};
use sim::rng::{Rng, Seed};
use std::rc::Rc;

/// A labelled random stream for one table.
pub(super) struct Gen {
    rng: Rng,
}

impl Gen {
    /// The stream for `label`, forked from `seed` (so each table's draws are independent).
    pub(super) fn new(seed: Seed, label: &str) -> Gen {
        Gen {
            rng: Rng::new(seed).fork(&format!("sql/datasets/{label}")),
        }
    }

    /// A uniform index in `0..n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }

    /// A uniform integer in `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.rng.below((hi - lo) as u64 + 1) as i64
    }

    /// A uniform double in `[0, 1)` with 53 random bits.
    pub(super) fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `percent / 100`.
    pub(super) fn percent(&mut self, percent: u32) -> bool {
        self.rng.below(100) < u64::from(percent)
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.rng.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < u64::from(*w) {
                return i;
            }
            x -= u64::from(*w);
        }
        weights.len().saturating_sub(1)
    }

    /// An index in `0..n`, low indices far more likely: the first 2% of indices get 20% of the
    /// draws, the first 10% get 45%, the last 40% only 10% (see [`ACTIVITY_TIERS`]). A few very
    /// active users, none of them alone a large share.
    pub(super) fn skewed(&mut self, n: usize) -> usize {
        let tier = self.weighted(&ACTIVITY_TIERS.map(|(_, draws)| draws));
        let (mut start, mut end) = (0, 0);
        for (i, (users, _)) in ACTIVITY_TIERS.iter().enumerate() {
            start = end;
            end += u64::from(*users);
            if i == tier {
                break;
            }
        }
        // In u64: `n * 1000` may not fit a 32-bit usize (wasm32).
        let scale = |per_mille: u64| (n as u64 * per_mille / 1000) as usize;
        let (start, end) = (scale(start), scale(end));
        if end > start {
            start + self.below(end - start)
        } else {
            self.below(n)
        }
    }

    /// Fisher-Yates.
    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A shared string from `pool`, chosen by `weights`.
    pub(super) fn pick_weighted(&mut self, pool: &[Rc<str>], weights: &[u32]) -> Rc<str> {
        pool[self.weighted(weights)].clone()
    }

    /// "First Last" from the name lists.
    pub(super) fn person_name(&mut self) -> Rc<str> {
        let first = FIRST_NAMES[self.below(FIRST_NAMES.len())];
        let last = LAST_NAMES[self.below(LAST_NAMES.len())];
        Rc::from(format!("{first} {last}"))
    }
}

const FIRST_NAMES: [&str; 40] = [
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Aylin", "Ben", "Carla", "Chen", "Dara", "Elif",
    "Emma", "Felix", "Grace", "Hana", "Ines", "Ivan", "Jonas", "Kai", "Lea", "Lin", "Luca", "Maya",
    "Mia", "Noah", "Nora", "Omar", "Paula", "Priya", "Rosa", "Sam", "Sara", "Tariq", "Tom", "Una",
    "Vera", "Wei", "Yara", "Yusuf", "Zoe",
];

const LAST_NAMES: [&str; 40] = [
    "Alvarez", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jansen", "Kowalski", "Larsen", "Meyer", "Novak", "Okafor", "Pereira", "Quinn", "Rossi",
    "Schmidt", "Silva", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer", "Bauer",
    "Moreau", "Nowak", "Santos", "Kim", "Lopez", "Muller", "Patel", "Russo", "Smith", "Wagner",
    "Wang", "Young",
];

/// Activity tiers, most active first: (per mille of the users, percent of the draws).
pub(super) const ACTIVITY_TIERS: [(u32, u32); 5] =
    [(20, 20), (80, 25), (200, 25), (300, 20), (400, 10)];

/// Shared strings for a fixed set of values.
pub(super) fn pool(values: &[&str]) -> Vec<Rc<str>> {
    values.iter().map(|v| Rc::from(*v)).collect()
}

/// The day number of a calendar date (the datasets use fixed, valid dates only).
pub(super) fn day(year: i64, month: u32, day: u32) -> i32 {
    days_from_civil(year, month, day) as i32
}

/// Microseconds since the epoch at `seconds` past midnight of `day`.
pub(super) fn at(day: i32, seconds: i64) -> i64 {
    i64::from(day) * MICROS_PER_DAY + seconds * 1_000_000
}

/// Builds a table from named columns.
pub(super) fn table(columns: Vec<(&str, Column)>) -> Table {
    let (fields, columns): (Vec<Field>, Vec<Column>) = columns
        .into_iter()
        .map(|(name, column)| {
            let field = Field {
                name: name.to_string(),
                data_type: column.data_type(),
            };
            (field, column)
        })
        .collect();
    Table::new(fields, columns)
}

/// BIGINT ids from 1 to `n`.
pub(super) fn ids(n: usize) -> Column {
    column(1..=n as i64, ColumnData::BigInt)
}

/// A column without NULLs, typed by `wrap`.
pub(super) fn column<V>(
    values: impl IntoIterator<Item = V>,
    wrap: fn(Vec<V>) -> ColumnData,
) -> Column {
    Column {
        data: wrap(values.into_iter().collect()),
        validity: None,
    }
}

/// A column from optional values (`None` is NULL), typed by `wrap`.
pub(super) fn nullable<V: Default>(
    values: impl IntoIterator<Item = Option<V>>,
    wrap: fn(Vec<V>) -> ColumnData,
) -> Column {
    let (values, validity): (Vec<V>, Vec<bool>) = values
        .into_iter()
        .map(|v| (v.is_some(), v.unwrap_or_default()))
        .map(|(valid, v)| (v, valid))
        .unzip();
    let all_valid = validity.iter().all(|v| *v);
    Column {
        data: wrap(values),
        validity: (!all_valid).then_some(validity),
    }
}

/// Money: a whole number of cents as a DOUBLE with two decimals.
pub(super) fn cents(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewed_draws_favour_low_indices() {
        let mut g = Gen::new(Seed(1), "test");
        let n = 1000;
        let low = (0..10_000).filter(|_| g.skewed(n) < n / 10).count();
        assert!((4300..4700).contains(&low), "{low}");
        let first = (0..10_000).filter(|_| g.skewed(n) == 0).count();
        assert!(first < 200, "{first}");
        assert!((0..1000).all(|_| g.skewed(n) < n));
        assert!((0..100).all(|_| g.skewed(3) < 3));
        assert_eq!(g.skewed(0), 0);
    }

    #[test]
    fn weighted_draws_follow_weights() {
        let mut g = Gen::new(Seed(2), "test");
        let mut seen = [0u32; 3];
        for _ in 0..9000 {
            seen[g.weighted(&[1, 2, 0])] += 1;
        }
        assert_eq!(seen[2], 0);
        assert!((2700..3300).contains(&seen[0]), "{seen:?}");
    }
}
