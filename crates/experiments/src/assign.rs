//! Who sees which variation: GrowthBook's deterministic assignment by hashing, as its SDKs do it
//! (GrowthBook SDK docs, "Building your own SDK"; the JavaScript SDK's `util.ts` and the Python
//! SDK's `core.py`). A user's id and the experiment's seed hash to a bucket in [0, 1); the
//! weights and the coverage cut [0, 1) into one range per variation; a namespace gives mutually
//! exclusive experiments disjoint slices of users; a holdout keeps a slice out of every
//! experiment. Hashing needs no stored state, but when weights change a user's bucket may fall
//! in another variation's range: sticky bucketing remembers the first assignment instead.

use std::collections::BTreeMap;

/// Which of GrowthBook's hash functions: version 1 (`fnv1a32(value + seed) % 1000 / 1000`) or
/// version 2 (`fnv1a32(str(fnv1a32(seed + value))) % 10000 / 10000`, better distributed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashVersion {
    V1,
    V2,
}

/// FNV-1a, 32 bits, over the UTF-16 code units of `text` (the JavaScript SDK's `charCodeAt`
/// loop; the Python SDK encodes UTF-16 the same way, so ids outside ASCII hash alike).
pub fn fnv1a32(text: &str) -> u32 {
    text.encode_utf16().fold(0x811C_9DC5_u32, |hash, unit| {
        (hash ^ u32::from(unit)).wrapping_mul(0x0100_0193)
    })
}

/// The bucket in [0, 1) that `value` (a user id) falls in for `seed` (GrowthBook's `hash`).
pub fn bucket(seed: &str, value: &str, version: HashVersion) -> f64 {
    match version {
        HashVersion::V2 => {
            let inner = fnv1a32(&format!("{seed}{value}"));
            f64::from(fnv1a32(&inner.to_string()) % 10_000) / 10_000.0
        }
        HashVersion::V1 => f64::from(fnv1a32(&format!("{value}{seed}")) % 1_000) / 1_000.0,
    }
}

/// A half-open slice `[start, end)` of the bucket line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketRange {
    pub start: f64,
    pub end: f64,
}

impl BucketRange {
    pub fn contains(&self, bucket: f64) -> bool {
        self.start <= bucket && bucket < self.end
    }
}

/// The weights GrowthBook uses: the given ones when there is one per variation, each finite and
/// 0 or more, summing to between 0.99 and 1.01; equal weights otherwise.
fn usable_weights(variations: usize, weights: &[f64]) -> Vec<f64> {
    let sum: f64 = weights.iter().sum();
    let valid = weights.len() == variations
        && weights.iter().all(|w| w.is_finite() && *w >= 0.0)
        && (0.99..=1.01).contains(&sum);
    if valid {
        weights.to_vec()
    } else {
        vec![1.0 / variations as f64; variations]
    }
}

/// One range per variation (GrowthBook's `getBucketRanges`): variation i owns the start of its
/// cumulative-weight slot, `coverage` (clamped to [0, 1]) of its width.
pub fn bucket_ranges(variations: usize, coverage: f64, weights: &[f64]) -> Vec<BucketRange> {
    let coverage = coverage.clamp(0.0, 1.0);
    let mut cumulative = 0.0;
    usable_weights(variations, weights)
        .into_iter()
        .map(|w| {
            let start = cumulative;
            cumulative += w;
            BucketRange {
                start,
                end: start + coverage * w,
            }
        })
        .collect()
}

/// The variation whose range holds `bucket` (GrowthBook's `chooseVariation`), None when it falls
/// outside the coverage.
pub fn choose_variation(bucket: f64, ranges: &[BucketRange]) -> Option<usize> {
    ranges.iter().position(|r| r.contains(bucket))
}

/// A namespace slice: experiments in one namespace with disjoint slices never share a user.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub id: String,
    pub range: BucketRange,
}

/// Whether `user` falls in the namespace's slice (GrowthBook's `inNamespace`, hash version 1 of
/// `"__" + id`).
pub fn in_namespace(user: &str, namespace: &Namespace) -> bool {
    let n = bucket(&format!("__{}", namespace.id), user, HashVersion::V1);
    namespace.range.contains(n)
}

/// An experiment as the SDK evaluates it.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The hash seed (GrowthBook defaults it to the experiment key).
    pub seed: String,
    pub weights: Vec<f64>,
    pub coverage: f64,
    pub namespace: Option<Namespace>,
    pub version: HashVersion,
}

impl Experiment {
    /// The variation `user` gets, or None when a namespace or the coverage leaves them out.
    pub fn assign(&self, user: &str) -> Option<usize> {
        if let Some(namespace) = &self.namespace {
            if !in_namespace(user, namespace) {
                return None;
            }
        }
        let ranges = bucket_ranges(self.weights.len(), self.coverage, &self.weights);
        choose_variation(bucket(&self.seed, user, self.version), &ranges)
    }
}

/// A holdout: a slice of users kept out of every experiment, so the combined effect of all
/// launches can be measured against users who saw none of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdout {
    pub seed: String,
    pub share: f64,
}

impl Holdout {
    pub fn holds_out(&self, user: &str) -> bool {
        bucket(&self.seed, user, HashVersion::V2) < self.share
    }

    /// `experiment`'s assignment for users outside the holdout.
    pub fn assign(&self, experiment: &Experiment, user: &str) -> Option<usize> {
        if self.holds_out(user) {
            None
        } else {
            experiment.assign(user)
        }
    }
}

/// Sticky bucketing: each user's first assignment, kept whatever the weights become.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StickyBuckets {
    assigned: BTreeMap<String, usize>,
}

impl StickyBuckets {
    /// The user's remembered variation, or the experiment's assignment now (then remembered).
    pub fn assign(&mut self, experiment: &Experiment, user: &str) -> Option<usize> {
        if let Some(&variation) = self.assigned.get(user) {
            return Some(variation);
        }
        let variation = experiment.assign(user)?;
        self.assigned.insert(user.to_string(), variation);
        Some(variation)
    }
}

/// How many `users` assigned under `before` land in another variation under `after` when
/// assignment is not sticky: they saw one arm and now see another, which muddles both arms'
/// metrics. Users who were or are now outside the experiment do not count.
pub fn switched_users(users: &[String], before: &Experiment, after: &Experiment) -> usize {
    users
        .iter()
        .filter(|user| match (before.assign(user), after.assign(user)) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(weights: &[f64]) -> Experiment {
        Experiment {
            seed: "checkout".into(),
            weights: weights.to_vec(),
            coverage: 1.0,
            namespace: None,
            version: HashVersion::V2,
        }
    }

    #[test]
    fn fnv1a32_reference_values() {
        // FNV-1a 32 test vectors (Fowler, Noll, Vo reference code).
        assert_eq!(fnv1a32(""), 0x811C_9DC5);
        assert_eq!(fnv1a32("a"), 0xE40C_292C);
        assert_eq!(fnv1a32("foobar"), 0xBF9C_F968);
    }

    #[test]
    fn bucket_ranges_follow_weights_and_coverage() {
        let ranges = bucket_ranges(2, 0.5, &[0.4, 0.6]);
        assert_eq!(
            ranges[0],
            BucketRange {
                start: 0.0,
                end: 0.2
            }
        );
        assert_eq!(
            ranges[1],
            BucketRange {
                start: 0.4,
                end: 0.7
            }
        );
        assert_eq!(choose_variation(0.3, &ranges), None);
        assert_eq!(choose_variation(0.45, &ranges), Some(1));
        // Weights that do not sum to 1 fall back to equal ones.
        assert_eq!(bucket_ranges(2, 1.0, &[0.7, 0.7])[1].start, 0.5);
    }

    #[test]
    fn namespaces_with_disjoint_slices_share_no_user() {
        let slice = |start, end| Namespace {
            id: "pricing".into(),
            range: BucketRange { start, end },
        };
        let (left, right) = (slice(0.0, 0.5), slice(0.5, 1.0));
        let mut in_left = 0;
        for i in 0..2000 {
            let user = format!("u{i}");
            assert_ne!(in_namespace(&user, &left), in_namespace(&user, &right));
            in_left += usize::from(in_namespace(&user, &left));
        }
        assert!((900..1100).contains(&in_left), "{in_left}");
    }

    #[test]
    fn holdout_keeps_its_share_out() {
        let holdout = Holdout {
            seed: "holdout-2026".into(),
            share: 0.1,
        };
        let e = experiment(&[0.5, 0.5]);
        let out = (0..5000)
            .filter(|i| holdout.assign(&e, &format!("u{i}")).is_none())
            .count();
        assert!((400..600).contains(&out), "{out}");
    }

    #[test]
    fn sticky_bucketing_keeps_users_when_weights_move() {
        let users: Vec<String> = (0..4000).map(|i| format!("user-{i}")).collect();
        let (before, after) = (experiment(&[0.9, 0.1]), experiment(&[0.5, 0.5]));
        let switched = switched_users(&users, &before, &after);
        // Buckets in [0.5, 0.9) move from control to treatment: about 40% of users.
        assert!((1400..1800).contains(&switched), "{switched}");
        let mut sticky = StickyBuckets::default();
        let first: Vec<_> = users.iter().map(|u| sticky.assign(&before, u)).collect();
        let second: Vec<_> = users.iter().map(|u| sticky.assign(&after, u)).collect();
        assert_eq!(first, second);
    }
}
