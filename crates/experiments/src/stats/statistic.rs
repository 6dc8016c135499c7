//! Sufficient statistics of one arm, as a warehouse query returns them and gbstats reads them
//! (`gbstats.models.statistics`): a mean from `n`, `sum` and `sum_squares`, a proportion from `n`
//! and `sum`, a ratio of two means (the delta method), and a regression-adjusted (CUPED) mean
//! with a pre-period covariate. Tests need only each arm's mean, variance and size, so the
//! analysis never sees a user's individual values.

/// The moments of a metric over `n` units: a mean and a sample variance (`n - 1` denominator).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleMean {
    pub n: f64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl SampleMean {
    /// `sum / n`, 0 for an empty arm.
    pub fn mean(&self) -> f64 {
        if self.n == 0.0 {
            0.0
        } else {
            self.sum / self.n
        }
    }

    /// `(sum_squares - sum^2 / n) / (n - 1)`, 0 with one unit or none.
    pub fn variance(&self) -> f64 {
        if self.n <= 1.0 {
            0.0
        } else {
            (self.sum_squares - self.sum * self.sum / self.n) / (self.n - 1.0)
        }
    }
}

/// A conversion rate: `sum` of `n` units converted. Its variance is `p (1 - p)`, the
/// population form, as gbstats has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proportion {
    pub n: f64,
    pub sum: f64,
}

impl Proportion {
    pub fn mean(&self) -> f64 {
        if self.n == 0.0 {
            0.0
        } else {
            self.sum / self.n
        }
    }

    pub fn variance(&self) -> f64 {
        let p = self.mean();
        p * (1.0 - p)
    }
}

/// A ratio metric `sum m / sum d` over `n` units (revenue per session, say), whose variance the
/// delta method gives from both moments and their covariance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratio {
    pub n: f64,
    pub numerator: SampleMean,
    pub denominator: SampleMean,
    pub m_d_sum_of_products: f64,
}

impl Ratio {
    /// `sum m / sum d`, 0 when the denominator sums to 0.
    pub fn mean(&self) -> f64 {
        if self.denominator.sum == 0.0 {
            0.0
        } else {
            self.numerator.sum / self.denominator.sum
        }
    }

    /// The sample covariance of m and d.
    pub fn covariance(&self) -> f64 {
        sample_covariance(
            self.n,
            self.m_d_sum_of_products,
            self.numerator.sum,
            self.denominator.sum,
        )
    }

    /// `var_m / mu_d^2 - 2 cov mu_m / mu_d^3 + mu_m^2 var_d / mu_d^4` (per unit), 0 when the
    /// denominator's mean is 0 or there is at most one unit.
    pub fn variance(&self) -> f64 {
        let mean_d = self.denominator.mean();
        if mean_d == 0.0 || self.n <= 1.0 {
            return 0.0;
        }
        let mean_m = self.numerator.mean();
        self.numerator.variance() / mean_d.powi(2)
            - 2.0 * self.covariance() * mean_m / mean_d.powi(3)
            + mean_m.powi(2) * self.denominator.variance() / mean_d.powi(4)
    }
}

/// A metric adjusted by its pre-experiment value (CUPED): `post - theta * pre`, whose variance
/// shrinks by the share of it the pre-period explains. `theta` is set per test, pooled over
/// both arms ([`pooled_theta`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegressionAdjusted {
    pub n: f64,
    pub post: SampleMean,
    pub pre: SampleMean,
    pub post_pre_sum_of_products: f64,
    pub theta: f64,
}

impl RegressionAdjusted {
    pub fn mean(&self) -> f64 {
        self.post.mean() - self.theta * self.pre.mean()
    }

    pub fn covariance(&self) -> f64 {
        sample_covariance(
            self.n,
            self.post_pre_sum_of_products,
            self.post.sum,
            self.pre.sum,
        )
    }

    /// `var_post + theta^2 var_pre - 2 theta cov`, 0 with at most one unit.
    pub fn variance(&self) -> f64 {
        if self.n <= 1.0 {
            return 0.0;
        }
        self.post.variance() + self.theta.powi(2) * self.pre.variance()
            - 2.0 * self.theta * self.covariance()
    }
}

/// `(sum xy - sum x sum y / n) / (n - 1)`, 0 with at most one unit.
fn sample_covariance(n: f64, sum_of_products: f64, sum_x: f64, sum_y: f64) -> f64 {
    if n <= 1.0 {
        0.0
    } else {
        (sum_of_products - sum_x * sum_y / n) / (n - 1.0)
    }
}

/// The CUPED coefficient both arms share (gbstats' `compute_theta`): the covariance of post and
/// pre over the two arms pooled, over the pooled variance of pre; 0 when either pooled
/// variance is 0 (the test then falls back to the unadjusted metric).
pub fn pooled_theta(a: &RegressionAdjusted, b: &RegressionAdjusted) -> f64 {
    let n = a.n + b.n;
    let pool = |x: &SampleMean, y: &SampleMean| SampleMean {
        n,
        sum: x.sum + y.sum,
        sum_squares: x.sum_squares + y.sum_squares,
    };
    let post = pool(&a.post, &b.post);
    let pre = pool(&a.pre, &b.pre);
    if pre.variance() == 0.0 || post.variance() == 0.0 {
        return 0.0;
    }
    let covariance = sample_covariance(
        n,
        a.post_pre_sum_of_products + b.post_pre_sum_of_products,
        post.sum,
        pre.sum,
    );
    covariance / pre.variance()
}

/// One arm's sufficient statistics, of any kind a metric may have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Statistic {
    Mean(SampleMean),
    Proportion(Proportion),
    Ratio(Ratio),
    Adjusted(RegressionAdjusted),
}

impl Statistic {
    /// Units in the arm.
    pub fn n(&self) -> f64 {
        match self {
            Statistic::Mean(s) => s.n,
            Statistic::Proportion(s) => s.n,
            Statistic::Ratio(s) => s.n,
            Statistic::Adjusted(s) => s.n,
        }
    }

    /// The (adjusted, for CUPED) mean the lift is measured on.
    pub fn mean(&self) -> f64 {
        match self {
            Statistic::Mean(s) => s.mean(),
            Statistic::Proportion(s) => s.mean(),
            Statistic::Ratio(s) => s.mean(),
            Statistic::Adjusted(s) => s.mean(),
        }
    }

    /// The mean before any regression adjustment: a relative lift divides by the control's.
    pub fn unadjusted_mean(&self) -> f64 {
        match self {
            Statistic::Adjusted(s) => s.post.mean(),
            other => other.mean(),
        }
    }

    /// The per-unit variance.
    pub fn variance(&self) -> f64 {
        match self {
            Statistic::Mean(s) => s.variance(),
            Statistic::Proportion(s) => s.variance(),
            Statistic::Ratio(s) => s.variance(),
            Statistic::Adjusted(s) => s.variance(),
        }
    }

    /// True when the variance is 0 or negative (rounding can make it so): no test can run.
    pub fn has_zero_variance(&self) -> bool {
        self.variance() <= 0.0
    }
}

/// Both arms ready for a frequentist test: CUPED arms get the pooled theta, or fall back to
/// their unadjusted post-period means when it is 0, as gbstats' `BaseABTest` does.
pub fn with_pooled_theta(control: Statistic, treatment: Statistic) -> (Statistic, Statistic) {
    match (control, treatment) {
        (Statistic::Adjusted(mut a), Statistic::Adjusted(mut b)) => {
            let theta = pooled_theta(&a, &b);
            if theta == 0.0 {
                (Statistic::Mean(a.post), Statistic::Mean(b.post))
            } else {
                a.theta = theta;
                b.theta = theta;
                (Statistic::Adjusted(a), Statistic::Adjusted(b))
            }
        }
        pair => pair,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(values: &[f64]) -> SampleMean {
        SampleMean {
            n: values.len() as f64,
            sum: values.iter().sum(),
            sum_squares: values.iter().map(|v| v * v).sum(),
        }
    }

    #[test]
    fn sample_mean_matches_its_definition() {
        let s = moments(&[1.0, 2.0, 3.0, 6.0]);
        assert_eq!(s.mean(), 3.0);
        assert!((s.variance() - 14.0 / 3.0).abs() < 1e-15);
        assert_eq!(moments(&[5.0]).variance(), 0.0);
        assert_eq!(moments(&[]).mean(), 0.0);
    }

    #[test]
    fn proportion_uses_the_population_variance() {
        let p = Proportion { n: 10.0, sum: 3.0 };
        assert_eq!(p.mean(), 0.3);
        assert!((p.variance() - 0.21).abs() < 1e-15);
    }

    #[test]
    fn ratio_of_proportional_metrics_has_no_variance() {
        // m = 2 d for every unit: the ratio is exactly 2 and the delta method sees no noise.
        let d = [1.0, 2.0, 3.0, 4.0];
        let m: Vec<f64> = d.iter().map(|x| 2.0 * x).collect();
        let r = Ratio {
            n: 4.0,
            numerator: moments(&m),
            denominator: moments(&d),
            m_d_sum_of_products: d.iter().zip(&m).map(|(x, y)| x * y).sum(),
        };
        assert_eq!(r.mean(), 2.0);
        assert!(r.variance().abs() < 1e-12, "{}", r.variance());
    }

    #[test]
    fn theta_is_the_pooled_regression_slope() {
        // post = 3 pre + 1 in both arms: theta is 3 and the adjusted metric has no variance.
        let arm = |pre: &[f64]| {
            let post: Vec<f64> = pre.iter().map(|x| 3.0 * x + 1.0).collect();
            RegressionAdjusted {
                n: pre.len() as f64,
                post: moments(&post),
                pre: moments(pre),
                post_pre_sum_of_products: pre.iter().zip(&post).map(|(x, y)| x * y).sum(),
                theta: 0.0,
            }
        };
        let (a, b) = (arm(&[1.0, 2.0, 4.0]), arm(&[0.0, 5.0, 7.0]));
        assert!((pooled_theta(&a, &b) - 3.0).abs() < 1e-12);
        match with_pooled_theta(Statistic::Adjusted(a), Statistic::Adjusted(b)) {
            (Statistic::Adjusted(a), _) => assert!(a.variance().abs() < 1e-9),
            other => panic!("{other:?}"),
        }
        // A constant pre-period gives theta 0: the arms fall back to their post means.
        let flat = |post: &[f64]| RegressionAdjusted {
            n: post.len() as f64,
            post: moments(post),
            pre: moments(&vec![1.0; post.len()]),
            post_pre_sum_of_products: post.iter().sum(),
            theta: 0.0,
        };
        let pair = with_pooled_theta(
            Statistic::Adjusted(flat(&[1.0, 2.0])),
            Statistic::Adjusted(flat(&[3.0, 5.0])),
        );
        assert!(matches!(pair, (Statistic::Mean(_), Statistic::Mean(_))));
    }
}
