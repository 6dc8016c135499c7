//! Drift measures against SciPy and against a recount in Python: 1,200 random (reference,
//! current) pairs through `tests/oracles/rollout_oracle.py` (one Python process for the batch).
//! The KS statistic and p-value must match `scipy.stats.ks_2samp(reference, current)` within
//! 1e-9 absolute (equal sizes, different sizes, ties, sizes 1 to 400, where SciPy's p-value is
//! exact; and 24 pairs with a sample above 10,000 values, where it is asymptotic), and so must
//! the Kolmogorov tail behind the asymptotic path on 1,000 (n, x) points spread over every method
//! SciPy switches between; the bins' fractions must
//! be what Python counts in the printed half-open bins, and the PSI what Python recomputes from
//! the fractions, within 1e-12.
//!
//! `FLOWLAB_PYTHON` names a Python with the oracles' packages (scripts/test.sh sets it); without
//! it the test prints SKIPPED and passes.

mod common;
use common::{ask_oracle, size};
use rollouts::drift::drift;
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};

const PAIRS: usize = 1_200;

/// A sample of `n` values: integers below 8 (heavy ties) or values with two decimals.
fn sample(rng: &mut Rng, n: usize, tied: bool, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if tied {
                rng.below(8) as f64 + shift.round()
            } else {
                rng.below(10_000) as f64 / 100.0 + shift
            }
        })
        .collect()
}

/// One (reference, current) pair of the kind `case % 4` names.
fn pair(rng: &mut Rng, case: usize) -> (Vec<f64>, Vec<f64>) {
    let tied = rng.below(2) == 0;
    let shift = rng.below(30) as f64 - 10.0;
    let (n1, n2) = match case % 4 {
        0 => {
            let n = size(rng, 1, 60);
            (n, n)
        }
        1 => (size(rng, 1, 60), size(rng, 1, 60)),
        2 => (size(rng, 1, 10), size(rng, 100, 400)),
        _ => (size(rng, 60, 400), size(rng, 60, 400)),
    };
    (sample(rng, n1, tied, 0.0), sample(rng, n2, tied, shift))
}

fn floats(json: &Json) -> Vec<f64> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn ks_and_psi_match_python() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED ks_and_psi_match_python: FLOWLAB_PYTHON is not set (scripts/test.sh sets it \
             to a Python with SciPy; see docs/testing.md)"
        );
        return;
    };
    let mut rng = Rng::new(Seed(20_261_207)).fork("drift/differential");
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..PAIRS).map(|case| pair(&mut rng, case)).collect();
    let results: Vec<_> = pairs
        .iter()
        .map(|(reference, current)| drift(reference, current).expect("valid samples"))
        .collect();
    let mut requests = Vec::new();
    for ((reference, current), result) in pairs.iter().zip(&results) {
        requests.push(json!({"op": "ks", "reference": reference, "current": current}));
        let mut edges: Vec<Json> = vec![Json::Null];
        edges.extend(result.bins.interior_edges.iter().map(|&e| json!(e)));
        edges.push(Json::Null);
        requests.push(json!({
            "op": "psi", "edges": edges, "reference": reference, "current": current,
            "reference_fractions": result.bins.reference, "current_fractions": result.bins.current,
        }));
    }
    let answers = ask_oracle(&python, &requests);
    let mut worst = 0.0f64;
    let mut multi_bin = 0;
    for (((reference, current), result), answer) in
        pairs.iter().zip(&results).zip(answers.chunks(2))
    {
        let (ks, psi) = (&answer[0], &answer[1]);
        let context = format!("reference {reference:?} current {current:?}");
        let statistic = ks["statistic"].as_f64().unwrap();
        let p = ks["p_value"].as_f64().unwrap();
        assert!(
            (result.ks.statistic - statistic).abs() <= 1e-9,
            "D {} vs {statistic}: {context}",
            result.ks.statistic
        );
        let error = (result.ks.p_value - p).abs();
        worst = worst.max(error);
        assert!(error <= 1e-9, "p {} vs {p}: {context}", result.ks.p_value);
        assert_eq!(
            result.bins.reference,
            floats(&psi["reference"]),
            "{context}"
        );
        assert_eq!(result.bins.current, floats(&psi["current"]), "{context}");
        let expected_psi = psi["psi"].as_f64().unwrap();
        assert!(
            (result.psi - expected_psi).abs() <= 1e-12,
            "PSI {} vs {expected_psi}: {context}",
            result.psi
        );
        let mut distinct = [reference.as_slice(), current.as_slice()].concat();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.len() >= 2 {
            assert!(result.bins.reference.len() >= 2, "one bin: {context}");
            multi_bin += 1;
        }
    }
    eprintln!("{PAIRS} pairs ({multi_bin} with two or more bins): largest KS p-value difference {worst:e}");
}

#[test]
fn the_kolmogorov_tail_matches_scipy() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!(
            "SKIPPED the_kolmogorov_tail_matches_scipy: FLOWLAB_PYTHON is not set (scripts/test.sh \
             sets it to a Python with SciPy; see docs/testing.md)"
        );
        return;
    };
    // Every method's region: n up to 140 and beyond, x from below 1/(2n) to above 1/2, and
    // n·x² on both sides of SciPy's cut-offs (0.754693, 2.2, 4, 18, 370).
    let mut rng = Rng::new(Seed(20_261_208)).fork("drift/kolmogorov");
    let cases: Vec<(u64, f64)> = (0..1_000)
        .map(|case| {
            let n = match case % 4 {
                0 => 1 + rng.below(140),
                1 => 141 + rng.below(2_000),
                2 => 2_000 + rng.below(20_000),
                _ => 1 + rng.below(300_000),
            };
            // n·x² spread on a log scale from 1e-3 to 1e3, so x = sqrt(target / n).
            let target = 10f64.powf(rng.below(6_000) as f64 / 1_000.0 - 3.0);
            let x = (target / n as f64).sqrt().min(0.999);
            (n, x)
        })
        .collect();
    let requests: Vec<Json> = cases
        .iter()
        .map(|&(n, x)| json!({"op": "kstwo", "n": n, "x": x}))
        .collect();
    let answers = ask_oracle(&python, &requests);
    let mut worst = 0.0f64;
    for (&(n, x), answer) in cases.iter().zip(&answers) {
        let ours = rollouts::drift::kolmogorov::kolmogorov_sf(n, x);
        let theirs = answer["sf"].as_f64().unwrap();
        worst = worst.max((ours - theirs).abs());
        assert!(
            (ours - theirs).abs() <= 1e-9,
            "n {n} x {x}: {ours} vs SciPy's {theirs}"
        );
    }
    eprintln!(
        "{} Kolmogorov tails: largest difference {worst:e}",
        cases.len()
    );
}

#[test]
fn large_samples_take_scipys_asymptotic_path() {
    let Ok(python) = std::env::var("FLOWLAB_PYTHON") else {
        eprintln!("SKIPPED large_samples_take_scipys_asymptotic_path: FLOWLAB_PYTHON is not set");
        return;
    };
    let mut rng = Rng::new(Seed(20_261_209)).fork("drift/large");
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..24)
        .map(|case| {
            let large = size(&mut rng, 10_001, 12_000);
            let other = match case % 3 {
                0 => size(&mut rng, 1, 140),
                1 => size(&mut rng, 141, 3_000),
                _ => size(&mut rng, 10_001, 12_000),
            };
            let shift = rng.below(200) as f64 / 100.0;
            let tied = case % 2 == 0;
            (
                sample(&mut rng, large, tied, 0.0),
                sample(&mut rng, other, tied, shift),
            )
        })
        .collect();
    let requests: Vec<Json> = pairs
        .iter()
        .map(|(r, c)| json!({"op": "ks", "reference": r, "current": c}))
        .collect();
    let answers = ask_oracle(&python, &requests);
    for ((reference, current), answer) in pairs.iter().zip(&answers) {
        let ours = rollouts::drift::ks_2samp(reference, current);
        assert!(!ours.exact);
        let (statistic, p) = (
            answer["statistic"].as_f64().unwrap(),
            answer["p_value"].as_f64().unwrap(),
        );
        let sizes = (reference.len(), current.len());
        assert!(
            (ours.statistic - statistic).abs() <= 1e-9,
            "{sizes:?}: D {} vs {statistic}",
            ours.statistic
        );
        assert!(
            (ours.p_value - p).abs() <= 1e-9,
            "{sizes:?}: p {} vs {p}",
            ours.p_value
        );
    }
}
