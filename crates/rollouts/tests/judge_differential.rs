//! The Mann-Whitney U test against SciPy: 1,200 random (canary, baseline) pairs, sizes 1 to 60,
//! through `tests/oracles/rollout_oracle.py` (one Python process for the batch). U must be equal
//! exactly and the p-value within 1e-9 absolute. The pairs cover SciPy's exact path (a sample of
//! at most 8 values, no ties) and its normal approximation (both larger than 8, or ties), with
//! integer-valued samples to force ties, equal samples and a constant sample.
//!
//! `FLOWLAB_PYTHON` names a Python with the oracles' packages (scripts/test.sh sets it); without
//! it the test prints SKIPPED and passes.

mod common;
use common::{ask_oracle, size};
use rollouts::judge::{mann_whitney_u, PValueMethod};
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};

const PAIRS: usize = 1_200;

/// Values with three decimals (ties are rare), shifted by `shift`, of a size in `sizes`.
fn continuous(rng: &mut Rng, sizes: (u64, u64), shift: f64) -> Vec<f64> {
    let n = size(rng, sizes.0, sizes.1);
    (0..n)
        .map(|_| rng.below(100_000) as f64 / 1000.0 + shift)
        .collect()
}

/// Whole numbers below `range`, of a size in `sizes`: ties on purpose.
fn integers(rng: &mut Rng, sizes: (u64, u64), range: u64) -> Vec<f64> {
    let n = size(rng, sizes.0, sizes.1);
    (0..n).map(|_| rng.below(range) as f64).collect()
}

/// One (canary, baseline) pair of the kind `case % 8` names.
fn pair(rng: &mut Rng, case: usize) -> (Vec<f64>, Vec<f64>) {
    let shift = rng.below(40) as f64 - 10.0;
    match case % 8 {
        // Both small, continuous: the exact path.
        0 => (continuous(rng, (1, 8), shift), continuous(rng, (1, 8), 0.0)),
        // Both small, integers: ties, the normal approximation.
        1 => (integers(rng, (1, 8), 4), integers(rng, (1, 8), 4)),
        // One small, one large, continuous: exact.
        2 => (
            continuous(rng, (1, 8), shift),
            continuous(rng, (9, 60), 0.0),
        ),
        3 => (
            continuous(rng, (9, 60), 0.0),
            continuous(rng, (1, 8), shift),
        ),
        // Both large, continuous: the normal approximation without ties.
        4 => (
            continuous(rng, (9, 60), shift),
            continuous(rng, (9, 60), 0.0),
        ),
        // Any sizes, integers.
        5 => (integers(rng, (1, 60), 6), integers(rng, (1, 60), 6)),
        // Equal samples.
        6 => {
            let sample = if rng.below(2) == 0 {
                continuous(rng, (1, 60), 0.0)
            } else {
                integers(rng, (1, 60), 5)
            };
            (sample.clone(), sample)
        }
        // One constant sample.
        _ => {
            let value = rng.below(5) as f64;
            let constant = vec![value; size(rng, 1, 60)];
            let other = integers(rng, (1, 60), 5);
            if rng.below(2) == 0 {
                (constant, other)
            } else {
                (other, constant)
            }
        }
    }
}

#[test]
fn mann_whitney_u_matches_scipy() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED mann_whitney_u_matches_scipy: FLOWLAB_PYTHON is not set (scripts/test.sh \
             sets it to a Python with SciPy; see docs/testing.md)"
        );
        return;
    };
    let mut rng = Rng::new(Seed(20_261_206)).fork("judge/differential");
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..PAIRS).map(|case| pair(&mut rng, case)).collect();
    let requests: Vec<Json> = pairs
        .iter()
        .map(|(canary, baseline)| json!({"op": "mwu", "canary": canary, "baseline": baseline}))
        .collect();
    let answers = ask_oracle(&python, &requests);
    let (mut exact, mut asymptotic, mut worst) = (0, 0, 0.0f64);
    for ((canary, baseline), answer) in pairs.iter().zip(&answers) {
        let ours = mann_whitney_u(canary, baseline).expect("valid samples");
        let (u, p) = (
            answer["u"].as_f64().unwrap(),
            answer["p_value"].as_f64().unwrap(),
        );
        assert_eq!(ours.u, u, "U of canary {canary:?} baseline {baseline:?}");
        let error = (ours.p_value - p).abs();
        worst = worst.max(error);
        assert!(
            error <= 1e-9,
            "p-value {} vs SciPy's {p} ({:?}) for canary {canary:?} baseline {baseline:?}",
            ours.p_value,
            ours.method
        );
        match ours.method {
            PValueMethod::Exact => exact += 1,
            PValueMethod::Asymptotic => asymptotic += 1,
        }
    }
    eprintln!(
        "{PAIRS} pairs: {exact} exact, {asymptotic} asymptotic, largest p-value difference {worst:e}"
    );
    assert!(
        exact >= 300 && asymptotic >= 300,
        "{exact} exact, {asymptotic} asymptotic"
    );
}
