//! `lab stats ttest|sequential|bayes|srm|cuped|ratio`: one JSON object of per-arm sufficient
//! statistics on standard input, one JSON object of results out, the numbers gbstats computes
//! (`experiments::stats`). Field names mirror gbstats' statistics.

use experiments::stats::bayesian::{bayesian_test, BayesianConfig, GaussianPrior, PriorScale};
use experiments::stats::frequentist::{
    sequential_ttest, two_sided_ttest, Difference, FrequentistConfig,
};
use experiments::stats::srm::srm_p_value;
use experiments::stats::statistic::{Proportion, Ratio, RegressionAdjusted, SampleMean, Statistic};
use serde_json::{json, Map, Value as Json};

pub const HELP: &str = "\
usage: lab stats ttest|sequential|bayes|srm|cuped|ratio < INPUT.json

Reads one JSON object on standard input and prints one JSON object, as GrowthBook's gbstats
computes it.

  means        {\"control\": {\"n\", \"sum\", \"sum_squares\"}, \"treatment\": {...},
                \"difference_type\": \"relative\" | \"absolute\", \"alpha\": 0.05}
               (difference_type defaults to relative, alpha to 0.05, as in gbstats)
  proportions  add \"kind\": \"proportion\", arms {\"n\", \"sum\"}
  ratio        \"kind\": \"ratio\", arms {\"n\", \"m\": {\"sum\", \"sum_squares\"},
                \"d\": {\"sum\", \"sum_squares\"}, \"m_d_sum_of_products\"}
  cuped        \"kind\": \"cuped\", arms {\"n\", \"post\": {\"sum\", \"sum_squares\"},
                \"pre\": {\"sum\", \"sum_squares\"}, \"post_pre_sum_of_products\"} (theta pooled)
  sequential   optional \"tuning\" (default 5000)
  bayes        optional \"prior\": {\"mean\", \"variance\", \"proper\"} (default 0, 1, false) and
               \"prior_type\": \"relative\" | \"absolute\" (default relative)
  srm          {\"users\": [...], \"weights\": [...]}

`lab stats cuped` and `lab stats ratio` run the t-test on those kinds; ttest, sequential and bayes
take any kind (default \"mean\").

Output: ttest, sequential, cuped, ratio {\"expected\", \"ci\": [lo, hi], \"p_value\"};
bayes {\"expected\", \"ci\", \"chance_to_win\", \"risk\": [control, treatment]}; srm {\"p_value\"}.
A control mean of 0 or an arm without variance gives gbstats' default (expected 0, ci [0, 0],
p_value 1; bayes chance_to_win 0.5, risk [0, 0]).

Exit status: 0 with the result; 1 for bad input, naming the field; 2 for a usage error.";

/// Why the command stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// An unknown test: exit code 2.
    Usage(String),
    /// Bad input, naming the field: exit code 1.
    Invalid(String),
}

fn invalid(field: &str, problem: &str) -> Failure {
    Failure::Invalid(format!("{field}: {problem}"))
}

/// The member `key` of `object` at `path`, if present.
fn member<'a>(object: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    object.get(key)
}

fn object<'a>(value: &'a Json, field: &str) -> Result<&'a Map<String, Json>, Failure> {
    value
        .as_object()
        .ok_or_else(|| invalid(field, "must be a JSON object"))
}

/// A required finite number.
fn number(parent: &Map<String, Json>, key: &str, field: &str) -> Result<f64, Failure> {
    let value = member(parent, key).ok_or_else(|| invalid(field, "is missing"))?;
    match value.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(invalid(field, "must be a finite number")),
    }
}

/// A required count: a whole number, 0 or more.
fn count(parent: &Map<String, Json>, key: &str, field: &str) -> Result<f64, Failure> {
    let n = number(parent, key, field)?;
    if n < 0.0 || n.fract() != 0.0 {
        return Err(invalid(field, "must be a whole number 0 or more"));
    }
    Ok(n)
}

fn moments(arm: &Map<String, Json>, key: &str, n: f64, field: &str) -> Result<SampleMean, Failure> {
    let inner = object(
        member(arm, key).ok_or_else(|| invalid(field, "is missing"))?,
        field,
    )?;
    Ok(SampleMean {
        n,
        sum: number(inner, "sum", &format!("{field}.sum"))?,
        sum_squares: number(inner, "sum_squares", &format!("{field}.sum_squares"))?,
    })
}

/// One arm's statistic of the given kind.
fn arm(root: &Map<String, Json>, name: &str, kind: &str) -> Result<Statistic, Failure> {
    let value = member(root, name).ok_or_else(|| invalid(name, "is missing"))?;
    let arm = object(value, name)?;
    let n = count(arm, "n", &format!("{name}.n"))?;
    let field = |key: &str| format!("{name}.{key}");
    Ok(match kind {
        "mean" => Statistic::Mean(SampleMean {
            n,
            sum: number(arm, "sum", &field("sum"))?,
            sum_squares: number(arm, "sum_squares", &field("sum_squares"))?,
        }),
        "proportion" => {
            let sum = number(arm, "sum", &field("sum"))?;
            if sum < 0.0 || sum > n {
                return Err(invalid(
                    &field("sum"),
                    "must be between 0 and n (conversions)",
                ));
            }
            Statistic::Proportion(Proportion { n, sum })
        }
        "ratio" => Statistic::Ratio(Ratio {
            n,
            numerator: moments(arm, "m", n, &field("m"))?,
            denominator: moments(arm, "d", n, &field("d"))?,
            m_d_sum_of_products: number(arm, "m_d_sum_of_products", &field("m_d_sum_of_products"))?,
        }),
        _ => Statistic::Adjusted(RegressionAdjusted {
            n,
            post: moments(arm, "post", n, &field("post"))?,
            pre: moments(arm, "pre", n, &field("pre"))?,
            post_pre_sum_of_products: number(
                arm,
                "post_pre_sum_of_products",
                &field("post_pre_sum_of_products"),
            )?,
            theta: 0.0,
        }),
    })
}

/// An optional string field with its allowed values; the first is the default.
fn choice<'a>(
    root: &'a Map<String, Json>,
    key: &str,
    allowed: &[&'a str],
) -> Result<&'a str, Failure> {
    match member(root, key) {
        None => Ok(allowed[0]),
        Some(value) => value
            .as_str()
            .and_then(|s| allowed.iter().copied().find(|a| *a == s))
            .ok_or_else(|| invalid(key, &format!("must be one of {}", allowed.join(", ")))),
    }
}

/// An optional number with a default and a check.
fn optional(
    root: &Map<String, Json>,
    key: &str,
    default: f64,
    valid: fn(f64) -> bool,
    rule: &str,
) -> Result<f64, Failure> {
    if member(root, key).is_none() {
        return Ok(default);
    }
    let x = number(root, key, key)?;
    if valid(x) {
        Ok(x)
    } else {
        Err(invalid(key, rule))
    }
}

fn frequentist_config(root: &Map<String, Json>) -> Result<FrequentistConfig, Failure> {
    let difference = match choice(root, "difference_type", &["relative", "absolute"])? {
        "absolute" => Difference::Absolute,
        _ => Difference::Relative,
    };
    let alpha = optional(
        root,
        "alpha",
        0.05,
        |a| a > 0.0 && a < 1.0,
        "must be between 0 and 1",
    )?;
    Ok(FrequentistConfig {
        difference,
        alpha,
        test_value: 0.0,
    })
}

fn prior(root: &Map<String, Json>) -> Result<GaussianPrior, Failure> {
    let Some(value) = member(root, "prior") else {
        return Ok(GaussianPrior::default());
    };
    let prior = object(value, "prior")?;
    let mean = optional(
        prior,
        "mean",
        0.0,
        f64::is_finite,
        "must be a finite number",
    )
    .map_err(|_| invalid("prior.mean", "must be a finite number"))?;
    let variance = optional(prior, "variance", 1.0, |v| v > 0.0, "must be above 0")
        .map_err(|_| invalid("prior.variance", "must be a number above 0"))?;
    let proper = match member(prior, "proper") {
        None => false,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| invalid("prior.proper", "must be true or false"))?,
    };
    Ok(GaussianPrior {
        mean,
        variance,
        proper,
    })
}

fn numbers(root: &Map<String, Json>, key: &str) -> Result<Vec<f64>, Failure> {
    let list = member(root, key)
        .ok_or_else(|| invalid(key, "is missing"))?
        .as_array()
        .ok_or_else(|| invalid(key, "must be an array of numbers"))?;
    list.iter()
        .enumerate()
        .map(|(i, v)| match v.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(invalid(
                &format!("{key}[{i}]"),
                "must be a number 0 or more",
            )),
        })
        .collect()
}

/// Runs `lab stats TEST` on `input`; returns the JSON line to print.
pub fn run(args: &[String], input: &str) -> Result<String, Failure> {
    let test = match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => return Ok(format!("{HELP}\n")),
        Some(test @ ("ttest" | "sequential" | "bayes" | "srm" | "cuped" | "ratio")) => test,
        Some(other) => {
            return Err(Failure::Usage(format!(
                "unknown test \"{other}\" (try ttest, sequential, bayes, srm, cuped or ratio)"
            )))
        }
    };
    if let Some(extra) = args.get(1) {
        return Err(Failure::Usage(format!(
            "unexpected argument {extra} (the input is read from standard input)"
        )));
    }
    let value: Json = serde_json::from_str(input).map_err(|e| {
        Failure::Invalid(format!(
            "standard input is not one JSON object: {e}\nhint: see lab stats --help"
        ))
    })?;
    let root = object(&value, "input")?;
    let output = match test {
        "srm" => {
            let users = numbers(root, "users")?;
            let weights = numbers(root, "weights")?;
            let p =
                srm_p_value(&users, &weights).map_err(|e| invalid("users/weights", e.message()))?;
            json!({ "p_value": p })
        }
        _ => {
            let kinds: &[&str] = match test {
                "cuped" => &["cuped"],
                "ratio" => &["ratio"],
                _ => &["mean", "proportion", "ratio", "cuped"],
            };
            let kind = choice(root, "kind", kinds)?;
            let control = arm(root, "control", kind)?;
            let treatment = arm(root, "treatment", kind)?;
            let config = frequentist_config(root)?;
            match test {
                "bayes" => bayes(root, control, treatment, config)?,
                "sequential" => {
                    let tuning = optional(
                        root,
                        "tuning",
                        5000.0,
                        |t| t > 0.0,
                        "must be a number above 0",
                    )?;
                    let r = sequential_ttest(control, treatment, config, tuning);
                    json!({ "expected": r.expected, "ci": r.ci, "p_value": r.p_value })
                }
                _ => {
                    let r = two_sided_ttest(control, treatment, config);
                    json!({ "expected": r.expected, "ci": r.ci, "p_value": r.p_value })
                }
            }
        }
    };
    Ok(format!("{output}\n"))
}

fn bayes(
    root: &Map<String, Json>,
    control: Statistic,
    treatment: Statistic,
    config: FrequentistConfig,
) -> Result<Json, Failure> {
    let prior_scale = match choice(root, "prior_type", &["relative", "absolute"])? {
        "absolute" => PriorScale::Absolute,
        _ => PriorScale::Relative,
    };
    let r = bayesian_test(
        control,
        treatment,
        BayesianConfig {
            difference: config.difference,
            alpha: config.alpha,
            prior: prior(root)?,
            prior_scale,
            inverse: false,
        },
    );
    Ok(json!({
        "expected": r.expected,
        "ci": r.ci,
        "chance_to_win": r.chance_to_win,
        "risk": r.risk,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(test: &str, input: &str) -> Result<String, Failure> {
        run(&[test.to_string()], input)
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            ("ttest", "[]", "input: must be a JSON object"),
            ("ttest", "{\"control\": {\"n\": 1}}", "control.sum: is missing"),
            ("ttest", "{\"control\": {\"n\": -1}}", "control.n: must be a whole"),
            ("ratio", "{\"kind\": \"mean\"}", "kind: must be one of ratio"),
            ("srm", "{\"users\": [1, \"x\"]}", "users[1]"),
            ("srm", "{\"users\": [1], \"weights\": [1]}", "at least two arms"),
            ("bayes", "{\"prior_type\": 3, \"control\": {\"n\": 2, \"sum\": 1, \"sum_squares\": 1}, \"treatment\": {\"n\": 2, \"sum\": 1, \"sum_squares\": 1}}", "prior_type"),
        ];
        for (test, input, expected) in cases {
            match run_on(test, input) {
                Err(Failure::Invalid(message)) => assert!(message.contains(expected), "{message}"),
                other => panic!("{test} {input}: {other:?}"),
            }
        }
        assert!(matches!(run_on("anova", "{}"), Err(Failure::Usage(_))));
    }
}
