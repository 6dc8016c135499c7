//! Reading the experiment as an experimentation platform does: each arm's sufficient statistics
//! per metric (what a warehouse query returns), then the engine's tests over them. Nothing here
//! computes a statistic itself; it only chooses which of the engine's tests to run and on what.
//!
//! Per metric and treatment arm: the fixed-horizon or sequential Welch test (relative or absolute
//! lift), the Bayesian test (chance to win, risk), the multiple-comparison correction across all
//! rows, the guardrail check, and the SRM check over the users each arm received.

use super::command::{ArmIndex, Correction, Engine, ExpMetric, LiftKind};
use super::world::UserOutcome;
use experiments::stats::bayesian::{bayesian_test, BayesianConfig, BayesianResult};
use experiments::stats::frequentist::{
    sequential_ttest, two_sided_ttest, Difference, FrequentistConfig, TestResult,
};
use experiments::stats::multiple::{benjamini_hochberg, holm};
use experiments::stats::srm::{srm_p_value, SRM_THRESHOLD};
use experiments::stats::statistic::{Proportion, Ratio, RegressionAdjusted, SampleMean, Statistic};

/// The tests' significance level.
pub const ALPHA: f64 = 0.05;
/// gbstats' default sequential tuning parameter.
pub const SEQUENTIAL_TUNING: f64 = 5_000.0;
/// The Bayesian reading calls a winner above this chance to win (or a loser below 1 minus it).
pub const CHANCE_TO_WIN_THRESHOLD: f64 = 0.95;

/// A sum and a sum of squares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub sum: f64,
    pub sum_squares: f64,
}

impl Moments {
    fn add(&mut self, x: f64, sign: f64) {
        self.sum += sign * x;
        self.sum_squares += sign * x * x;
    }

    fn sample_mean(&self, n: f64) -> SampleMean {
        SampleMean {
            n,
            sum: self.sum,
            sum_squares: self.sum_squares,
        }
    }
}

/// One arm's sufficient statistics for every metric.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ArmSums {
    pub users: u64,
    pub purchases: u64,
    pub revenue: Moments,
    pub pre_revenue: Moments,
    pub revenue_pre_products: f64,
    pub sessions: Moments,
    pub clicks: Moments,
    pub clicks_sessions_products: f64,
    pub page_load_ms: Moments,
}

impl ArmSums {
    /// Adds a user (`sign` 1) or takes one away (`sign` -1).
    pub fn add(&mut self, o: &UserOutcome, sign: f64) {
        if sign > 0.0 {
            self.users += 1;
            self.purchases += u64::from(o.purchased);
        } else {
            self.users -= 1;
            self.purchases -= u64::from(o.purchased);
        }
        self.revenue.add(o.revenue, sign);
        self.pre_revenue.add(o.pre_revenue, sign);
        self.revenue_pre_products += sign * o.revenue * o.pre_revenue;
        let (sessions, clicks) = (f64::from(o.sessions), f64::from(o.clicks));
        self.sessions.add(sessions, sign);
        self.clicks.add(clicks, sign);
        self.clicks_sessions_products += sign * clicks * sessions;
        self.page_load_ms.add(o.page_load_ms, sign);
    }

    /// The engine's statistic for `metric` (revenue regression-adjusted when `cuped`).
    pub fn statistic(&self, metric: ExpMetric, cuped: bool) -> Statistic {
        let n = self.users as f64;
        match metric {
            ExpMetric::Purchase => Statistic::Proportion(Proportion {
                n,
                sum: self.purchases as f64,
            }),
            ExpMetric::Revenue if cuped => Statistic::Adjusted(RegressionAdjusted {
                n,
                post: self.revenue.sample_mean(n),
                pre: self.pre_revenue.sample_mean(n),
                post_pre_sum_of_products: self.revenue_pre_products,
                theta: 0.0,
            }),
            ExpMetric::Revenue => Statistic::Mean(self.revenue.sample_mean(n)),
            ExpMetric::ClicksPerSession => Statistic::Ratio(Ratio {
                n,
                numerator: self.clicks.sample_mean(n),
                denominator: self.sessions.sample_mean(n),
                m_d_sum_of_products: self.clicks_sessions_products,
            }),
            ExpMetric::PageLoadMs => Statistic::Mean(self.page_load_ms.sample_mean(n)),
        }
    }
}

/// How the results are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reading {
    pub engine: Engine,
    pub cuped: bool,
    pub lift: LiftKind,
    pub correction: Correction,
}

/// One metric for one treatment arm against control.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultRow {
    pub metric: ExpMetric,
    pub arm: ArmIndex,
    /// Both arms have at least two users: the numbers below mean something.
    pub ready: bool,
    pub control_mean: f64,
    pub arm_mean: f64,
    pub control_n: u64,
    pub arm_n: u64,
    /// The lift and its interval, by the chosen engine and lift kind.
    pub expected: f64,
    pub ci: [f64; 2],
    /// The fixed-horizon p-value (the sequential one under the sequential engine).
    pub p_value: f64,
    /// After the correction across every row (equal to `p_value` without one).
    pub adjusted_p_value: f64,
    pub chance_to_win: f64,
    pub risk: [f64; 2],
    pub significant: bool,
    pub guardrail: bool,
    /// The lab's true effect on this metric and arm, in thousandths.
    pub true_lift_permille: i32,
}

impl ResultRow {
    /// The guardrail got significantly worse.
    pub fn guardrail_flagged(&self) -> bool {
        self.guardrail && self.significant && self.expected > 0.0
    }
}

/// The results table and the SRM check.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    pub srm_p_value: f64,
    pub srm_flagged: bool,
    /// The share of users each arm should have received, as the SRM check expects.
    pub expected_shares: Vec<f64>,
    pub rows: Vec<ResultRow>,
}

impl Results {
    /// The row of `metric` for `arm`.
    pub fn row(&self, metric: ExpMetric, arm: ArmIndex) -> Option<&ResultRow> {
        self.rows
            .iter()
            .find(|r| r.metric == metric && r.arm == arm)
    }
}

fn difference(lift: LiftKind) -> Difference {
    match lift {
        LiftKind::Relative => Difference::Relative,
        LiftKind::Absolute => Difference::Absolute,
    }
}

fn mean_of(statistic: &Statistic) -> f64 {
    if statistic.n() > 0.0 {
        statistic.unadjusted_mean()
    } else {
        0.0
    }
}

/// The frequentist and Bayesian readings of one pair of arms.
pub fn test_pair(
    control: Statistic,
    treatment: Statistic,
    reading: &Reading,
    inverse: bool,
) -> (TestResult, BayesianResult) {
    let config = FrequentistConfig {
        difference: difference(reading.lift),
        alpha: ALPHA,
        test_value: 0.0,
    };
    let frequentist = match reading.engine {
        Engine::Sequential => sequential_ttest(control, treatment, config, SEQUENTIAL_TUNING),
        Engine::Frequentist | Engine::Bayesian => two_sided_ttest(control, treatment, config),
    };
    let bayesian = bayesian_test(
        control,
        treatment,
        BayesianConfig {
            difference: difference(reading.lift),
            inverse,
            ..BayesianConfig::default()
        },
    );
    (frequentist, bayesian)
}

fn row(
    arms: &[ArmSums],
    metric: ExpMetric,
    arm: ArmIndex,
    reading: &Reading,
    true_lift_permille: i32,
) -> ResultRow {
    let (control, treatment) = (&arms[0], &arms[usize::from(arm.0)]);
    let a = control.statistic(metric, reading.cuped);
    let b = treatment.statistic(metric, reading.cuped);
    let ready = control.users >= 2 && treatment.users >= 2;
    let (frequentist, bayesian) = if ready {
        test_pair(a, b, reading, metric.is_guardrail())
    } else {
        (TestResult::DEFAULT, BayesianResult::DEFAULT)
    };
    let (expected, ci) = match reading.engine {
        Engine::Bayesian => (bayesian.expected, bayesian.ci),
        Engine::Frequentist | Engine::Sequential => (frequentist.expected, frequentist.ci),
    };
    ResultRow {
        metric,
        arm,
        ready,
        control_mean: mean_of(&a),
        arm_mean: mean_of(&b),
        control_n: control.users,
        arm_n: treatment.users,
        expected,
        ci,
        p_value: frequentist.p_value,
        adjusted_p_value: frequentist.p_value,
        chance_to_win: bayesian.chance_to_win,
        risk: bayesian.risk,
        significant: false,
        guardrail: metric.is_guardrail(),
        true_lift_permille,
    }
}

/// Adjusts the p-values of every row but the guardrails' (GrowthBook corrects the results page's
/// p-values leaving guardrail metrics out); guardrail rows keep their raw p-value.
fn correct(rows: &mut [ResultRow], correction: Correction) {
    let family: Vec<usize> = (0..rows.len()).filter(|i| !rows[*i].guardrail).collect();
    let p_values: Vec<f64> = family.iter().map(|i| rows[*i].p_value).collect();
    let adjusted = match correction {
        Correction::None => p_values,
        Correction::Holm => holm(&p_values),
        Correction::BenjaminiHochberg => benjamini_hochberg(&p_values),
    };
    for (i, p) in family.into_iter().zip(adjusted) {
        rows[i].adjusted_p_value = p;
    }
}

/// Reads every metric for every treatment arm. `true_lifts[arm][metric]` are the lab's settings;
/// `expected_weight_sums[arm]` adds up the weight each analysed user's arm had when they arrived.
pub fn analyse(
    arms: &[ArmSums],
    expected_weight_sums: &[f64],
    reading: &Reading,
    true_lifts: &[[i32; 4]],
) -> Results {
    let mut rows: Vec<ResultRow> = (1..arms.len())
        .flat_map(|arm| {
            ExpMetric::ALL
                .into_iter()
                .enumerate()
                .map(move |(m, metric)| {
                    let lift = true_lifts.get(arm).map_or(0, |l| l[m]);
                    (metric, ArmIndex(arm as u8), lift)
                })
        })
        .map(|(metric, arm, lift)| row(arms, metric, arm, reading, lift))
        .collect();
    correct(&mut rows, reading.correction);
    for row in &mut rows {
        row.significant = row.ready
            && match reading.engine {
                Engine::Bayesian => {
                    row.chance_to_win > CHANCE_TO_WIN_THRESHOLD
                        || row.chance_to_win < 1.0 - CHANCE_TO_WIN_THRESHOLD
                }
                Engine::Frequentist | Engine::Sequential => row.adjusted_p_value < ALPHA,
            };
    }
    let users: Vec<f64> = arms.iter().map(|a| a.users as f64).collect();
    let total_weight: f64 = expected_weight_sums.iter().sum();
    let expected_shares: Vec<f64> = if total_weight > 0.0 {
        expected_weight_sums
            .iter()
            .map(|w| w / total_weight)
            .collect()
    } else {
        vec![1.0 / arms.len() as f64; arms.len()]
    };
    let srm_p_value = srm_p_value(&users, &expected_shares).unwrap_or(1.0);
    Results {
        srm_p_value,
        srm_flagged: srm_p_value < SRM_THRESHOLD,
        expected_shares,
        rows,
    }
}
