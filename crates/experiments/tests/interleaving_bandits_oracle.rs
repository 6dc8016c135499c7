//! The sign test's exact p-value and Thompson's arm-best probabilities against SciPy
//! (`tests/oracles/interleaving_bandits_oracle.py`): `scipy.stats.binomtest(k, n, 0.5).pvalue` on
//! 2,000 random splits, and `scipy.integrate.quad` over Beta densities and distribution functions on
//! 200 random sets of posteriors.
//!
//! `FLOWLAB_PYTHON` names a Python with the oracles' packages (scripts/test.sh sets it); without
//! it the test says it was skipped and passes.

use experiments::bandits::beta_thompson::{probability_best, BetaPosterior};
use experiments::interleaving::sign_test::binomial_half_two_sided_p_value;
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};

const BINOMIAL_CASES: usize = 2_000;
const BETA_CASES: usize = 200;
/// Relative agreement required of p-values.
const P_VALUE_RELATIVE: f64 = 1e-9;
/// Absolute agreement required of arm-best probabilities (the trapezoid rule on 20,000
/// intervals against adaptive quadrature).
const BEST_ABSOLUTE: f64 = 1e-6;

#[path = "../../../tests/oracles/runner.rs"]
mod runner;

/// Runs every request through `tests/oracles/interleaving_bandits_oracle.py` in one process.
fn ask_oracle(python: &str, requests: &[Json]) -> Vec<Json> {
    runner::ask_oracle(
        python,
        env!("CARGO_MANIFEST_DIR"),
        "interleaving_bandits_oracle.py",
        "interleaving and bandits",
        requests,
    )
}

/// A split of n users: mostly near n/2 (p-values across the whole range), some anywhere.
fn random_split(rng: &mut Rng) -> (u64, u64) {
    let n = 1 + rng.below(20_000);
    let k = if rng.below(4) == 0 {
        rng.below(n + 1)
    } else {
        let spread = (n as f64).sqrt() as u64 * 3 + 1;
        (n / 2 + rng.below(2 * spread + 1))
            .saturating_sub(spread)
            .min(n)
    };
    (k, n)
}

fn random_posteriors(rng: &mut Rng) -> Vec<BetaPosterior> {
    let arms = 2 + rng.below(3);
    (0..arms)
        .map(|_| {
            let pulls = rng.below(3_000);
            let successes = rng.below(pulls + 1);
            BetaPosterior::from_counts(successes, pulls - successes)
        })
        .collect()
}

#[test]
fn sign_test_and_arm_best_probabilities_match_scipy() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED sign_test_and_arm_best_probabilities_match_scipy: FLOWLAB_PYTHON is not set \
             (scripts/test.sh sets it to a Python with SciPy; see docs/testing.md)"
        );
        return;
    };
    let mut rng = Rng::new(Seed(16));
    let splits: Vec<(u64, u64)> = (0..BINOMIAL_CASES)
        .map(|_| random_split(&mut rng))
        .collect();
    let posterior_sets: Vec<Vec<BetaPosterior>> = (0..BETA_CASES)
        .map(|_| random_posteriors(&mut rng))
        .collect();
    let mut requests: Vec<Json> = splits
        .iter()
        .map(|(k, n)| json!({"op": "binomtest", "k": k, "n": n}))
        .collect();
    requests.extend(posterior_sets.iter().map(|set| {
        let pairs: Vec<[f64; 2]> = set.iter().map(|p| [p.alpha, p.beta]).collect();
        json!({"op": "beta_best", "posteriors": pairs})
    }));
    let answers = ask_oracle(&python, &requests);

    let mut worst_p = 0.0f64;
    for ((k, n), answer) in splits.iter().zip(&answers) {
        let expected = answer["p"].as_f64().expect("p");
        let got = binomial_half_two_sided_p_value(*k, *n);
        let relative = (got - expected).abs() / expected.max(f64::MIN_POSITIVE);
        worst_p = worst_p.max(relative);
        assert!(
            relative <= P_VALUE_RELATIVE,
            "k={k} n={n}: ours {got}, scipy {expected}"
        );
    }
    let mut worst_best = 0.0f64;
    for (set, answer) in posterior_sets.iter().zip(&answers[BINOMIAL_CASES..]) {
        let expected: Vec<f64> = answer["p"]
            .as_array()
            .expect("p")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        let got = probability_best(set);
        for (g, e) in got.iter().zip(&expected) {
            worst_best = worst_best.max((g - e).abs());
            assert!(
                (g - e).abs() <= BEST_ABSOLUTE,
                "{set:?}: ours {got:?}, scipy {expected:?}"
            );
        }
    }
    eprintln!(
        "{BINOMIAL_CASES} sign tests (worst relative difference {worst_p:.2e}) and {BETA_CASES} \
         arm-best sets (worst absolute difference {worst_best:.2e}) match SciPy"
    );
}
