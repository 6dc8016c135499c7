//! The experiments engine against GrowthBook's own code: gbstats 0.8.0 (the Welch, sequential and
//! Bayesian tests on means, proportions, ratio and CUPED metrics, and the SRM check) and the
//! `growthbook` Python SDK (hash buckets, namespaces, variation ranges), on random inputs built
//! from a fixed seed. Each test kind sends all its cases to one Python process
//! (`tests/oracles/gbstats_oracle.py`).
//!
//! `FLOWLAB_GBSTATS_PYTHON` names a Python with `tests/oracles/gbstats-requirements.txt` installed
//! (scripts/test.sh makes `target/gbstats-venv`); without it each test says it was skipped.
//!
//! Numbers must agree to 1e-9 relative. gbstats computes `2 (1 - cdf)`, which loses the digits
//! of small p-values, so those are floored (see `P_VALUE_FLOOR`) and the Welch p-value is also
//! compared, unfloored, with SciPy's `2 t.sf(|t|, dof)` at gbstats' own t and dof.

use experiments::assign::{
    bucket, bucket_ranges, choose_variation, in_namespace, BucketRange, HashVersion, Namespace,
};
use experiments::stats::bayesian::{bayesian_test, BayesianConfig, GaussianPrior, PriorScale};
use experiments::stats::frequentist::{
    sequential_ttest, two_sided_ttest, Difference, FrequentistConfig,
};
use experiments::stats::srm::srm_p_value;
use experiments::stats::statistic::{Proportion, Ratio, RegressionAdjusted, SampleMean, Statistic};
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};

const CASES: usize = 2_000;
const RELATIVE: f64 = 1e-9;
const P_FLOOR: f64 = 1e-15;
/// gbstats' `2 (1 - cdf)` is off by up to about 2e-16 absolute: at 1e-9 relative, p-values below
/// 1e-6 are compared as 1e-6 (the Welch test is also compared with SciPy's tail, to the digit).
const P_VALUE_FLOOR: f64 = 1e-6;

fn oracle_python(test: &str) -> Option<String> {
    match std::env::var("FLOWLAB_GBSTATS_PYTHON") {
        Ok(python) => Some(python),
        Err(_) => {
            eprintln!(
                "SKIPPED {test}: FLOWLAB_GBSTATS_PYTHON is not set (scripts/test.sh sets it to \
                 target/gbstats-venv with tests/oracles/gbstats-requirements.txt)"
            );
            None
        }
    }
}

#[path = "../../../tests/oracles/runner.rs"]
mod runner;

/// All requests through one `tests/oracles/gbstats_oracle.py` process, one answer per request.
fn ask(python: &str, requests: &[Json]) -> Vec<Json> {
    runner::ask_oracle(
        python,
        env!("CARGO_MANIFEST_DIR"),
        "gbstats_oracle.py",
        "gbstats",
        requests,
    )
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn between(rng: &mut Rng, low: f64, high: f64) -> f64 {
    low + (high - low) * uniform(rng)
}

/// A unit count from 2 to about 200,000, spread over the orders of magnitude.
fn units(rng: &mut Rng) -> f64 {
    (10f64.powf(between(rng, 0.3, 5.3))).round().max(2.0)
}

fn moments(n: f64, mean: f64, sd: f64) -> Json {
    json!({"sum": n * mean, "sum_squares": (n - 1.0) * sd * sd + n * mean * mean})
}

/// A random arm of `kind` as JSON (gbstats' field names). A few arms are degenerate on purpose:
/// a mean of 0 or no variance.
fn arm(rng: &mut Rng, kind: &str, center: f64) -> Json {
    let n = units(rng);
    let degenerate = rng.below(40) == 0;
    let mean = if degenerate {
        0.0
    } else {
        center * between(rng, 0.8, 1.2)
    };
    let sd = if rng.below(40) == 0 {
        0.0
    } else {
        center.abs() * between(rng, 0.05, 3.0)
    };
    match kind {
        "proportion" => {
            let p = if degenerate {
                0.0
            } else {
                between(rng, 0.001, 0.999)
            };
            json!({"n": n, "sum": (n * p).round()})
        }
        "ratio" | "cuped" => {
            let (first, second) = if kind == "ratio" {
                ("m", "d")
            } else {
                ("post", "pre")
            };
            let second_mean = between(rng, 0.5, 5.0);
            let second_sd = second_mean * between(rng, 0.05, 2.0);
            let rho = between(rng, -0.95, 0.95);
            let cov = rho * sd * second_sd;
            let sum_of_products = (n - 1.0) * cov + n * mean * n * second_mean / n;
            let product_key = if kind == "ratio" {
                "m_d_sum_of_products"
            } else {
                "post_pre_sum_of_products"
            };
            json!({"n": n, first: moments(n, mean, sd), second: moments(n, second_mean, second_sd), product_key: sum_of_products})
        }
        _ => {
            let m = moments(n, mean, sd);
            json!({"n": n, "sum": m["sum"], "sum_squares": m["sum_squares"]})
        }
    }
}

fn num(v: &Json, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn sample_mean(n: f64, v: &Json) -> SampleMean {
    SampleMean {
        n,
        sum: num(v, "sum"),
        sum_squares: num(v, "sum_squares"),
    }
}

fn statistic(kind: &str, v: &Json) -> Statistic {
    let n = num(v, "n");
    match kind {
        "proportion" => Statistic::Proportion(Proportion {
            n,
            sum: num(v, "sum"),
        }),
        "ratio" => Statistic::Ratio(Ratio {
            n,
            numerator: sample_mean(n, &v["m"]),
            denominator: sample_mean(n, &v["d"]),
            m_d_sum_of_products: num(v, "m_d_sum_of_products"),
        }),
        "cuped" => Statistic::Adjusted(RegressionAdjusted {
            n,
            post: sample_mean(n, &v["post"]),
            pre: sample_mean(n, &v["pre"]),
            post_pre_sum_of_products: num(v, "post_pre_sum_of_products"),
            theta: 0.0,
        }),
        _ => Statistic::Mean(sample_mean(n, v)),
    }
}

/// The largest error seen per field, relative to the oracle's value (or the floor).
#[derive(Default)]
struct Agreement {
    worst: Vec<(String, f64)>,
    failures: Vec<String>,
}

impl Agreement {
    fn check(&mut self, case: &Json, field: &str, ours: f64, theirs: f64, floor: f64) {
        let scale = theirs.abs().max(floor);
        let error = if ours == theirs {
            0.0
        } else {
            (ours - theirs).abs() / scale
        };
        match self.worst.iter_mut().find(|(f, _)| f == field) {
            Some((_, worst)) => *worst = worst.max(error),
            None => self.worst.push((field.to_string(), error)),
        }
        if (error > RELATIVE || error.is_nan()) && self.failures.len() < 5 {
            self.failures.push(format!(
                "{field}: ours {ours:e}, gbstats {theirs:e}\n  {case}"
            ));
        }
    }

    /// The estimate and its interval, each relative to the oracle's value or, when that is near
    /// zero, to the oracle's distance from the estimate to the interval's lower end (returned).
    fn check_estimate(&mut self, case: &Json, answer: &Json, expected: f64, ci: [f64; 2]) -> f64 {
        let width = (num(answer, "expected") - answer["ci"][0].as_f64().unwrap_or(0.0)).abs();
        self.check(case, "expected", expected, num(answer, "expected"), width);
        let theirs = |i: usize| answer["ci"][i].as_f64().unwrap_or(f64::NAN);
        self.check(case, "ci.lo", ci[0], theirs(0), width);
        self.check(case, "ci.hi", ci[1], theirs(1), width);
        width
    }

    fn finish(self, test: &str, cases: usize) {
        eprintln!(
            "{test}: {cases} cases; worst relative error per field: {:?}",
            self.worst
        );
        assert!(
            self.failures.is_empty(),
            "{test} differs from gbstats:\n{}",
            self.failures.join("\n")
        );
    }
}

/// The control and treatment statistics a request describes.
fn arms_of(request: &Json) -> (Statistic, Statistic) {
    let kind = request["kind"].as_str().unwrap_or("mean");
    (
        statistic(kind, &request["control"]),
        statistic(kind, &request["treatment"]),
    )
}

fn frequentist_cases(rng: &mut Rng, test: &str) -> Vec<Json> {
    let kinds = ["mean", "proportion", "ratio", "cuped"];
    (0..CASES)
        .map(|i| {
            let kind = kinds[i % 4];
            let center = between(rng, -20.0, 100.0);
            let difference = if rng.below(2) == 0 {
                "absolute"
            } else {
                "relative"
            };
            let mut request = json!({
                "test": test, "kind": kind, "difference_type": difference,
                "control": arm(rng, kind, center), "treatment": arm(rng, kind, center),
            });
            if test == "sequential" {
                request["tuning"] = json!(between(rng, 100.0, 20_000.0).round());
            }
            request
        })
        .collect()
}

fn config_of(request: &Json) -> FrequentistConfig {
    FrequentistConfig {
        difference: if request["difference_type"] == "absolute" {
            Difference::Absolute
        } else {
            Difference::Relative
        },
        ..FrequentistConfig::default()
    }
}

fn run_frequentist(test: &str) {
    let Some(python) = oracle_python(test) else {
        return;
    };
    let mut rng = Rng::new(Seed(16)).fork(test);
    let requests = frequentist_cases(&mut rng, test);
    let answers = ask(&python, &requests);
    let mut agreement = Agreement::default();
    for (request, answer) in requests.iter().zip(&answers) {
        let (a, b) = arms_of(request);
        let config = config_of(request);
        let ours = if test == "sequential" {
            sequential_ttest(a, b, config, num(request, "tuning"))
        } else {
            two_sided_ttest(a, b, config)
        };
        agreement.check_estimate(request, answer, ours.expected, ours.ci);
        agreement.check(
            request,
            "p_value",
            ours.p_value,
            num(answer, "p_value"),
            P_VALUE_FLOOR,
        );
        if let Some(tail) = answer["p_value_tail"].as_f64() {
            agreement.check(
                request,
                "p_value (scipy tail)",
                ours.p_value,
                tail,
                f64::MIN_POSITIVE,
            );
        }
    }
    agreement.finish(test, requests.len());
}

#[test]
fn welch_ttest_matches_gbstats() {
    run_frequentist("ttest");
}

#[test]
fn sequential_test_matches_gbstats() {
    run_frequentist("sequential");
}

#[test]
fn bayesian_test_matches_gbstats() {
    let Some(python) = oracle_python("bayesian_test_matches_gbstats") else {
        return;
    };
    let mut rng = Rng::new(Seed(16)).fork("bayes");
    let mut requests = frequentist_cases(&mut rng, "bayes");
    for request in &mut requests {
        // gbstats divides by zero rescaling a relative prior by a zero control mean: skip those.
        request["prior"] = json!({
            "mean": between(&mut rng, -0.2, 0.2),
            "variance": between(&mut rng, 0.001, 0.5),
            "proper": rng.below(2) == 0,
        });
        request["prior_type"] = json!(if rng.below(2) == 0 {
            "relative"
        } else {
            "absolute"
        });
    }
    requests.retain(|r| {
        let kind = r["kind"].as_str().unwrap_or("mean");
        let a = statistic(kind, &r["control"]);
        a.unadjusted_mean() != 0.0
    });
    let answers = ask(&python, &requests);
    let mut agreement = Agreement::default();
    for (request, answer) in requests.iter().zip(&answers) {
        let (a, b) = arms_of(request);
        let prior = &request["prior"];
        let config = BayesianConfig {
            difference: config_of(request).difference,
            prior: GaussianPrior {
                mean: num(prior, "mean"),
                variance: num(prior, "variance"),
                proper: prior["proper"].as_bool().unwrap_or(false),
            },
            prior_scale: if request["prior_type"] == "absolute" {
                PriorScale::Absolute
            } else {
                PriorScale::Relative
            },
            ..BayesianConfig::default()
        };
        let ours = bayesian_test(a, b, config);
        let width = agreement.check_estimate(request, answer, ours.expected, ours.ci);
        agreement.check(
            request,
            "chance_to_win",
            ours.chance_to_win,
            num(answer, "chance_to_win"),
            P_FLOOR,
        );
        // Risks are in the lift's units: an error below 1e-9 of the posterior's spread is agreement.
        let spread = width.max(P_FLOOR);
        agreement.check(
            request,
            "risk.control",
            ours.risk[0],
            answer["risk"][0].as_f64().unwrap_or(f64::NAN),
            1e-6 * spread,
        );
        agreement.check(
            request,
            "risk.treatment",
            ours.risk[1],
            answer["risk"][1].as_f64().unwrap_or(f64::NAN),
            1e-6 * spread,
        );
    }
    agreement.finish("bayes", requests.len());
    assert!(requests.len() >= CASES * 9 / 10, "{} cases", requests.len());
}

#[test]
fn srm_matches_gbstats() {
    let Some(python) = oracle_python("srm_matches_gbstats") else {
        return;
    };
    let mut rng = Rng::new(Seed(16)).fork("srm");
    let requests: Vec<Json> = (0..CASES)
        .map(|_| {
            let arms = 2 + rng.below(4) as usize;
            let weights: Vec<f64> = (0..arms)
                .map(|_| {
                    if rng.below(20) == 0 {
                        0.0
                    } else {
                        between(&mut rng, 0.05, 1.0)
                    }
                })
                .collect();
            let total = units(&mut rng) * 10.0;
            let users: Vec<f64> = weights
                .iter()
                .map(|w| (total * (w + between(&mut rng, 0.0, 0.02))).round())
                .collect();
            json!({"test": "srm", "users": users, "weights": weights})
        })
        .filter(|r| {
            r["weights"]
                .as_array()
                .is_some_and(|w| w.iter().any(|x| x.as_f64() > Some(0.0)))
        })
        .collect();
    let answers = ask(&python, &requests);
    let mut agreement = Agreement::default();
    for (request, answer) in requests.iter().zip(&answers) {
        let list = |key: &str| -> Vec<f64> {
            request[key]
                .as_array()
                .unwrap_or(&vec![])
                .iter()
                .filter_map(Json::as_f64)
                .collect()
        };
        let ours = srm_p_value(&list("users"), &list("weights")).unwrap_or(f64::NAN);
        agreement.check(request, "p_value", ours, num(answer, "p_value"), P_FLOOR);
    }
    agreement.finish("srm", requests.len());
}

/// A random id: ASCII mostly, some with accents, CJK and characters outside the BMP (surrogates).
fn random_id(rng: &mut Rng) -> String {
    const ALPHABET: [&str; 10] = ["a", "Z", "7", "-", "_", "é", "ü", "中", "😀", "ß"];
    let ascii = rng.below(3) != 0;
    (0..1 + rng.below(24))
        .map(|_| {
            if ascii {
                char::from(b'!' + rng.below(94) as u8).to_string()
            } else {
                ALPHABET[rng.below(10) as usize].to_string()
            }
        })
        .collect()
}

#[test]
fn hashing_matches_the_growthbook_sdk() {
    let Some(python) = oracle_python("hashing_matches_the_growthbook_sdk") else {
        return;
    };
    let mut rng = Rng::new(Seed(16)).fork("hash");
    let mut requests = Vec::new();
    for i in 0..100 {
        let seed = random_id(&mut rng);
        let ids: Vec<String> = (0..100).map(|_| random_id(&mut rng)).collect();
        let version = if i % 5 == 0 { 1 } else { 2 };
        requests.push(json!({"test": "hash", "seed": seed, "ids": ids, "version": version}));
        let start = between(&mut rng, 0.0, 0.6);
        let weights = [0.25, 0.75];
        requests.push(
            json!({"test": "namespace", "id": seed, "start": start, "end": start + 0.3,
            "seed": seed, "ids": ids, "coverage": between(&mut rng, 0.2, 1.0), "weights": weights}),
        );
    }
    let answers = ask(&python, &requests);
    let mut compared = 0;
    for (request, answer) in requests.iter().zip(&answers) {
        let seed = request["seed"].as_str().unwrap_or_default();
        let no_ids = Vec::new();
        let ids: Vec<&str> = request["ids"]
            .as_array()
            .unwrap_or(&no_ids)
            .iter()
            .filter_map(Json::as_str)
            .collect();
        if request["test"] == "hash" {
            let version = if request["version"] == 1 {
                HashVersion::V1
            } else {
                HashVersion::V2
            };
            for (id, theirs) in ids
                .iter()
                .zip(answer["buckets"].as_array().unwrap_or(&vec![]))
            {
                assert_eq!(
                    Some(bucket(seed, id, version)),
                    theirs.as_f64(),
                    "seed {seed:?} id {id:?}"
                );
                compared += 1;
            }
        } else {
            let namespace = Namespace {
                id: seed.to_string(),
                range: BucketRange {
                    start: num(request, "start"),
                    end: num(request, "end"),
                },
            };
            let ranges = bucket_ranges(2, num(request, "coverage"), &[0.25, 0.75]);
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(
                    Some(in_namespace(id, &namespace)),
                    answer["in"][i].as_bool(),
                    "{id:?}"
                );
                let theirs = answer["variation"][i].as_i64().unwrap_or(-2);
                let ours = choose_variation(bucket(seed, id, HashVersion::V2), &ranges)
                    .map_or(-1, |v| v as i64);
                assert_eq!(ours, theirs, "{id:?}");
            }
        }
    }
    eprintln!("{compared} hash buckets equal to the growthbook SDK's");
    assert_eq!(compared, 10_000);
}
