//! The basic canary's weight without a service mesh: traffic follows pods, so a weight is
//! approximated by how many of the pods run the canary (Argo's
//! `approximateWeightedCanaryStableReplicaCounts` in `utils/replicaset/canary.go`).
//!
//! The candidates are the canary counts ceil and floor of `replicas · weight / 100`, over a total
//! of `replicas`, and also of `replicas + 1` when `maxSurge > 0`; the candidate whose share is
//! closest to the weight wins, the first listed on a tie (a floor exactly half-way is not listed,
//! so ties round up); a weight from 1 to 99 never gets a 0-pod canary when two or more pods
//! (surge included) are available. 10 replicas at 41% give 4 canary and 6 stable pods: 40%.

/// Pods of each version for a basic canary at `weight_percent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaSplit {
    pub canary: u32,
    pub stable: u32,
}

impl ReplicaSplit {
    /// The share of pods (so of traffic) the canary gets, in percent, rounded to the nearest.
    pub fn actual_weight_percent(self) -> u8 {
        let total = u64::from(self.canary) + u64::from(self.stable);
        if total == 0 {
            return 0;
        }
        let percent = (u64::from(self.canary) * 200 + total) / (2 * total);
        u8::try_from(percent.min(100)).unwrap_or(100)
    }
}

/// Argo's approximation, with a maximum weight of 100.
pub fn approximate_canary_stable_replicas(
    replicas: u32,
    weight_percent: u8,
    max_surge: u32,
) -> ReplicaSplit {
    const MAX_WEIGHT: u64 = 100;
    if replicas == 0 {
        return ReplicaSplit {
            canary: 0,
            stable: 0,
        };
    }
    let spec = u64::from(replicas);
    let weight = u64::from(weight_percent.min(100));
    let ceil = (spec * weight).div_ceil(MAX_WEIGHT);
    let floor = spec * weight / MAX_WEIGHT;
    let zero_allowed = weight == MAX_WEIGHT || weight == 0 || (spec == 1 && max_surge == 0);
    let mut options: Vec<(u64, u64)> = Vec::with_capacity(4);
    if ceil < spec || zero_allowed {
        options.push((ceil, spec));
    }
    if !half_way(weight, spec) && (floor != 0 || zero_allowed) {
        options.push((floor, spec));
    }
    if max_surge > 0 {
        options.push((ceil, spec + 1));
        if !half_way(weight, spec + 1) && (floor != 0 || zero_allowed) {
            options.push((floor, spec + 1));
        }
    }
    let Some(&first) = options.first() else {
        return ReplicaSplit {
            canary: 0,
            stable: replicas,
        };
    };
    let mut best = first;
    for &option in &options[1..] {
        if closer(weight, option, best) {
            best = option;
        }
    }
    let canary = u32::try_from(best.0).unwrap_or(u32::MAX);
    let stable = u32::try_from(best.1 - best.0).unwrap_or(u32::MAX);
    ReplicaSplit { canary, stable }
}

/// `total · weight / 100` has a fractional part of exactly one half.
fn half_way(weight: u64, total: u64) -> bool {
    (total * weight * 2) % 200 == 100
}

/// Whether option `a` is strictly closer to `weight` than option `b`: |100·c/t − w| compared as
/// exact fractions |100·c − w·t| / t.
fn closer(weight: u64, (canary_a, total_a): (u64, u64), (canary_b, total_b): (u64, u64)) -> bool {
    let off_a = (canary_a * 100).abs_diff(weight * total_a);
    let off_b = (canary_b * 100).abs_diff(weight * total_b);
    off_a * total_b < off_b * total_a
}
