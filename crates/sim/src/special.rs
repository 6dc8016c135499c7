//! Special functions of statistics: the normal, Student t and chi-square distributions, the
//! regularized incomplete beta and gamma functions behind them, and the means of a truncated
//! normal. Engines that test hypotheses (experiments, rollouts) share them here, in the kernel,
//! so that every p-value in the lab comes from one implementation.
//!
//! The aim is agreement with SciPy (`scipy.stats.norm`, `t`, `chi2`, `truncnorm`) to about 1e-12
//! relative: tails are computed directly (never as `1 - cdf`), logarithms with `log1p` where the
//! argument is near one, and `ln B(a, b)` for a large argument by Stirling's series of the
//! difference, so a t-test with a million degrees of freedom keeps its digits. `erf`, `erfc` and
//! `lgamma` come from `libm`. The continued fractions are the modified Lentz method (Numerical
//! Recipes, 3rd ed., sections 6.2 and 6.4).

use std::f64::consts::FRAC_1_SQRT_2;

/// `sqrt(2 pi)`.
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// Relative precision the series and continued fractions stop at.
const EPSILON: f64 = 1e-16;
/// A number so small that a Lentz denominator of that size counts as zero.
const TINY: f64 = 1e-300;
/// Most terms a series or continued fraction may take (enough for a billion degrees of freedom).
const MAX_TERMS: usize = 1_000_000;

/// Density of the standard normal at `z`.
pub fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / SQRT_2PI
}

/// P(Z <= z) for a standard normal Z, accurate in the lower tail.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * FRAC_1_SQRT_2)
}

/// P(Z > z) for a standard normal Z, accurate in the upper tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z * FRAC_1_SQRT_2)
}

/// The `p` quantile of the standard normal (`scipy.stats.norm.ppf`): minus infinity at 0, plus
/// infinity at 1, NaN outside [0, 1]. Above 0.5 it is minus the quantile of `1 - p` (exact in
/// floating point there), so the upper tail keeps its digits as far as `p` carries them.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p > 0.5 {
        return -lower_normal_quantile(1.0 - p);
    }
    lower_normal_quantile(p)
}

/// The quantile for `p` in [0, 0.5]: Acklam's rational approximation (relative error about
/// 1e-9), then Halley steps on `normal_cdf`, which is accurate in this tail.
fn lower_normal_quantile(p: f64) -> f64 {
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    let mut x = acklam_quantile(p);
    for _ in 0..3 {
        let error = normal_cdf(x) - p;
        let u = error / normal_pdf(x);
        let step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if step.abs() <= 1e-17 * x.abs() {
            break;
        }
    }
    x
}

/// Peter Acklam's approximation of the normal quantile for `p` in (0, 0.5].
fn acklam_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// `ln Gamma(x)` for `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Stirling's remainder `omega(x) = ln Gamma(x) - ((x - 1/2) ln x - x + ln(2 pi) / 2)` for
/// `x >= 20`, where five terms of the series leave less than 1e-17.
fn stirling_remainder(x: f64) -> f64 {
    let inverse = 1.0 / x;
    let inverse_square = inverse * inverse;
    inverse
        * (1.0 / 12.0
            - inverse_square
                * (1.0 / 360.0
                    - inverse_square
                        * (1.0 / 1260.0
                            - inverse_square * (1.0 / 1680.0 - inverse_square / 1188.0))))
}

/// `ln Gamma(large) - ln Gamma(large + small)` for `large >= 20`, from Stirling's series of the
/// difference, without the cancellation of two large `ln Gamma` values.
fn ln_gamma_ratio(large: f64, small: f64) -> f64 {
    -(large - 0.5) * (small / large).ln_1p() - small * (large + small).ln()
        + small
        + (stirling_remainder(large) - stirling_remainder(large + small))
}

/// `ln B(a, b)` for positive `a` and `b`.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large < 20.0 {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    ln_gamma(small) + ln_gamma_ratio(large, small)
}

/// The regularized incomplete beta `I_x(a, b)`, given `x` and `y = 1 - x` separately so a caller
/// that knows `y` more precisely than `1 - x` keeps its digits.
pub fn regularized_beta(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        beta_continued_fraction(a, b, x, y)
    } else {
        1.0 - beta_continued_fraction(b, a, y, x)
    }
}

/// The complement `1 - I_x(a, b) = I_y(b, a)`, computed directly.
pub fn regularized_beta_complement(a: f64, b: f64, x: f64, y: f64) -> f64 {
    regularized_beta(b, a, y, x)
}

/// `I_x(a, b)` by its continued fraction, which converges fast for `x < (a + 1) / (a + b + 2)`.
fn beta_continued_fraction(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let ln_x = if x < 0.5 { x.ln() } else { (-y).ln_1p() };
    let ln_y = if y < 0.5 { y.ln() } else { (-x).ln_1p() };
    let front = (a * ln_x + b * ln_y - ln_beta(a, b)).exp() / a;
    let (sum, difference, plus_one) = (a + b, a - 1.0, a + 1.0);
    let mut c = 1.0;
    let mut d = lentz_guard(1.0 - sum * x / plus_one).recip();
    let mut h = d;
    for m in 1..MAX_TERMS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((difference + m2) * (a + m2));
        d = lentz_guard(1.0 + even * d).recip();
        c = lentz_guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (sum + m) * x / ((a + m2) * (plus_one + m2));
        d = lentz_guard(1.0 + odd * d).recip();
        c = lentz_guard(1.0 + odd / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    front * h
}

/// A Lentz denominator, kept away from zero.
fn lentz_guard(value: f64) -> f64 {
    if value.abs() < TINY {
        TINY
    } else {
        value
    }
}

/// P(T > t) for Student's t with `dof` degrees of freedom (`scipy.stats.t.sf`), accurate in the
/// upper tail. NaN for a non-positive `dof`.
pub fn student_t_sf(t: f64, dof: f64) -> f64 {
    if dof.is_nan() || t.is_nan() || dof <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    if dof.is_infinite() {
        return normal_sf(t);
    }
    if t == 0.0 {
        return 0.5;
    }
    let beyond = if dof > QUADRATURE_DOF {
        t_tail_by_quadrature(t.abs(), dof)
    } else {
        let t_square = t * t;
        // x = dof / (dof + t^2), y = t^2 / (dof + t^2): the tail beyond |t| is I_x(dof/2, 1/2) / 2.
        let (x, y) = (dof / (dof + t_square), t_square / (dof + t_square));
        0.5 * regularized_beta(0.5 * dof, 0.5, x, y)
    };
    if t > 0.0 {
        beyond
    } else {
        1.0 - beyond
    }
}

/// Above this many degrees of freedom the incomplete beta's continued fraction needs thousands of
/// terms and its rounding grows past 1e-12, so the t tail is integrated instead.
const QUADRATURE_DOF: f64 = 1e3;

/// P(T > t) for `t >= 0`, by exp-sinh quadrature of the density over `[t, infinity)` (Takahasi and
/// Mori's double-exponential rule, which converges geometrically for analytic integrands).
fn t_tail_by_quadrature(t: f64, dof: f64) -> f64 {
    let ln_scale = -ln_beta(0.5 * dof, 0.5) - 0.5 * dof.ln();
    let exponent = 0.5 * (dof + 1.0);
    let width = 1.0 / (1.0 + t);
    let density = |s: f64| (ln_scale - exponent * (s * s / dof).ln_1p()).exp();
    let sum: f64 = exp_sinh_nodes()
        .iter()
        .map(|node| node.weight * density(t + width * node.offset))
        .sum();
    sum * EXP_SINH_STEP * width
}

/// Spacing of the exp-sinh rule's nodes in its variable `tau`.
const EXP_SINH_STEP: f64 = 1.0 / 64.0;

/// One node of the exp-sinh rule on `[0, infinity)`: where it samples, in widths past the lower
/// bound, and its weight (before the step and the width scale it).
struct ExpSinhNode {
    offset: f64,
    weight: f64,
}

/// The rule's 513 nodes, computed once: they depend on nothing but the step, and each tail
/// evaluation would otherwise spend three of its five transcendental calls per node on them.
fn exp_sinh_nodes() -> &'static [ExpSinhNode] {
    static NODES: std::sync::OnceLock<Vec<ExpSinhNode>> = std::sync::OnceLock::new();
    NODES.get_or_init(|| {
        // tau from -4.5 to 3.5 in steps of EXP_SINH_STEP: the nodes run from about 1e-38 to 1e11
        // widths.
        (-288..=224)
            .map(|k| {
                let tau = f64::from(k) * EXP_SINH_STEP;
                let offset = (std::f64::consts::FRAC_PI_2 * tau.sinh()).exp();
                let weight = std::f64::consts::FRAC_PI_2 * tau.cosh() * offset;
                ExpSinhNode { offset, weight }
            })
            .collect()
    })
}

/// P(T <= t) for Student's t (`scipy.stats.t.cdf`), accurate in the lower tail.
pub fn student_t_cdf(t: f64, dof: f64) -> f64 {
    student_t_sf(-t, dof)
}

/// Density of Student's t at `t`.
pub fn student_t_pdf(t: f64, dof: f64) -> f64 {
    let ln_density =
        -ln_beta(0.5 * dof, 0.5) - 0.5 * dof.ln() - 0.5 * (dof + 1.0) * (t * t / dof).ln_1p();
    ln_density.exp()
}

/// The `p` quantile of Student's t (`scipy.stats.t.ppf`): Newton's method on the log of the
/// tail probability from the Cornish-Fisher expansion, kept inside a bracket that bisection
/// shrinks. Infinite at 0 and 1, NaN for `p` outside [0, 1] or a non-positive `dof`.
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    if p.is_nan() || dof.is_nan() || dof <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if dof.is_infinite() {
        return normal_quantile(p);
    }
    // Solve for the upper quantile of the smaller tail, then restore the sign.
    let (tail, sign) = if p > 0.5 { (1.0 - p, 1.0) } else { (p, -1.0) };
    if tail == 0.0 {
        return sign * f64::INFINITY;
    }
    sign * upper_t_quantile(tail, dof)
}

/// Newton stops once the log tail is this close to its target: the step it then takes lands
/// within the rounding of the tail itself, and further steps only chase that rounding.
const LN_TAIL_TOLERANCE: f64 = 1e-14;

/// The `t > 0` with `student_t_sf(t, dof) == tail`, for `tail` in (0, 0.5).
fn upper_t_quantile(tail: f64, dof: f64) -> f64 {
    let target = tail.ln();
    let mut low = 0.0;
    let mut high = f64::INFINITY;
    let mut t = cornish_fisher_t_start(-normal_quantile(tail), dof);
    for _ in 0..200 {
        let sf = student_t_sf(t, dof);
        let gap = sf.ln() - target;
        if gap > 0.0 {
            low = t;
        } else {
            high = t;
        }
        // d ln sf / dt = -pdf / sf.
        let slope = -student_t_pdf(t, dof) / sf;
        let newton = t - gap / slope;
        if gap.abs() <= LN_TAIL_TOLERANCE {
            return if newton.is_finite() { newton } else { t };
        }
        let mut next = newton;
        if !next.is_finite() || next <= low || next >= high {
            next = if high.is_finite() {
                0.5 * (low + high)
            } else {
                2.0 * t.max(1.0)
            };
        }
        if (next - t).abs() <= 4.0 * f64::EPSILON * t.abs() {
            return next;
        }
        t = next;
    }
    t
}

/// Newton's start for the upper t quantile whose normal counterpart is `z`: the Cornish-Fisher
/// expansion in powers of `1 / dof` (Abramowitz and Stegun 26.7.5). Above the quadrature's
/// threshold all four terms are taken, and the start is then right to about 1e-10 or better, so
/// one or two costly tail evaluations confirm it; below, the series diverges for small `dof` and
/// only its first term is used. Falls back to `z` (at least 1) where the sum is not a positive
/// number.
fn cornish_fisher_t_start(z: f64, dof: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let start = if dof > QUADRATURE_DOF {
        let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
        z + (g1 + (g2 + (g3 + g4 / dof) / dof) / dof) / dof
    } else {
        z + g1 / dof
    };
    if start.is_finite() && start > 0.0 {
        start
    } else {
        z.max(1.0)
    }
}

/// The regularized upper incomplete gamma `Q(s, x) = Gamma(s, x) / Gamma(s)`.
pub fn regularized_gamma_upper(s: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let ln_front = -x + s * x.ln() - ln_gamma(s);
    if x < s + 1.0 {
        1.0 - lower_gamma_series(s, x, ln_front)
    } else {
        upper_gamma_continued_fraction(s, x, ln_front)
    }
}

/// `P(s, x)` by its power series, for `x < s + 1`.
fn lower_gamma_series(s: f64, x: f64, ln_front: f64) -> f64 {
    let mut denominator = s;
    let mut term = 1.0 / s;
    let mut sum = term;
    for _ in 0..MAX_TERMS {
        denominator += 1.0;
        term *= x / denominator;
        sum += term;
        if term.abs() < sum.abs() * EPSILON {
            break;
        }
    }
    sum * ln_front.exp()
}

/// `Q(s, x)` by its continued fraction, for `x >= s + 1`.
fn upper_gamma_continued_fraction(s: f64, x: f64, ln_front: f64) -> f64 {
    let mut b = x + 1.0 - s;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_TERMS {
        let i = i as f64;
        let an = -i * (i - s);
        b += 2.0;
        d = lentz_guard(an * d + b).recip();
        c = lentz_guard(b + an / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    ln_front.exp() * h
}

/// P(X > x) for a chi-square X with `dof` degrees of freedom (`scipy.stats.chi2.sf`).
pub fn chi_square_sf(x: f64, dof: f64) -> f64 {
    if x.is_nan() || dof.is_nan() || dof <= 0.0 {
        return f64::NAN;
    }
    regularized_gamma_upper(0.5 * dof, 0.5 * x)
}

/// The inverse Mills ratio `phi(z) / P(Z > z)` of the standard normal, finite for every `z`:
/// directly while the tail does not underflow, by Laplace's continued fraction beyond.
fn inverse_mills_ratio(z: f64) -> f64 {
    if z < 30.0 {
        return normal_pdf(z) / normal_sf(z);
    }
    // P(Z > z) / phi(z) = 1 / (z + 1 / (z + 2 / (z + 3 / (z + ...)))), evaluated from the tail.
    let mut fraction = z;
    for k in (1..=60).rev() {
        fraction = z + f64::from(k) / fraction;
    }
    fraction
}

/// `E[X | X > bound]` for X normal with mean `mu` and standard deviation `sigma > 0`.
pub fn normal_mean_above(mu: f64, sigma: f64, bound: f64) -> f64 {
    mu + sigma * inverse_mills_ratio((bound - mu) / sigma)
}

/// `E[X | X < bound]` for X normal with mean `mu` and standard deviation `sigma > 0`.
pub fn normal_mean_below(mu: f64, sigma: f64, bound: f64) -> f64 {
    mu - sigma * inverse_mills_ratio((mu - bound) / sigma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_1_PI, PI};

    fn close(got: f64, want: f64, relative: f64) -> bool {
        (got - want).abs() <= relative * want.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn normal_tails_and_quantiles_invert() {
        assert!(close(normal_sf(1.959_963_984_540_054), 0.025, 1e-14));
        for p in [
            1e-300, 1e-20, 1e-5, 0.01, 0.024, 0.3, 0.5, 0.7, 0.975, 0.999_999,
        ] {
            let z = normal_quantile(p);
            let back = if p > 0.5 {
                1.0 - normal_sf(z)
            } else {
                normal_cdf(z)
            };
            assert!(close(back, p, 1e-13), "p={p} z={z} back={back}");
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan());
    }

    #[test]
    fn student_t_matches_closed_forms() {
        // One degree of freedom is Cauchy: P(T > t) = 1/2 - atan(t) / pi.
        for t in [0.1f64, 1.0, 3.0, 50.0] {
            let want = 0.5 - t.atan() * FRAC_1_PI;
            assert!(close(student_t_sf(t, 1.0), want, 1e-13), "t={t}");
        }
        // Two degrees of freedom: P(T > t) = (1 - t / sqrt(2 + t^2)) / 2.
        for t in [0.5f64, 2.0, 10.0] {
            let want = 0.5 * (1.0 - t / (2.0 + t * t).sqrt());
            assert!(close(student_t_sf(t, 2.0), want, 1e-13), "t={t}");
        }
        assert_eq!(student_t_sf(0.0, 7.5), 0.5);
        assert!(close(student_t_cdf(-2.0, 1e12), normal_cdf(-2.0), 1e-10));
    }

    #[test]
    fn student_t_quantile_inverts_the_tail() {
        for dof in [1.0, 2.5, 10.0, 1234.5, 1e7] {
            for p in [1e-12, 0.025, 0.3, 0.975, 0.999] {
                let t = student_t_quantile(p, dof);
                assert!(close(student_t_cdf(t, dof), p, 1e-12), "dof={dof} p={p}");
            }
        }
    }

    #[test]
    fn student_t_quantile_matches_scipy() {
        // scipy.stats.t.ppf(p, dof) from SciPy 1.17.1, for p = 0.975, 0.9995 and 1e-12.
        let known: [(f64, [f64; 3]); 6] = [
            (
                1.0,
                [12.706204736174694, 636.6192487687897, -318309886183.7907],
            ),
            (
                5.0,
                [2.5705818356363146, 6.868826625881276, -393.95695957760375],
            ),
            (
                30.0,
                [2.0422724563012378, 3.6459586350420627, -11.397217523311413],
            ),
            (
                1e3,
                [1.9623390808264083, 3.300282648423944, -7.124228925314409],
            ),
            (
                1e5,
                [1.9599877075346095, 3.2906240314119137, -7.035371742393576],
            ),
            (
                1e7,
                [1.959964221767205, 3.2905277044652532, -7.03449270352616],
            ),
        ];
        for (dof, quantiles) in known {
            for (p, want) in [0.975, 0.9995, 1e-12].into_iter().zip(quantiles) {
                let got = student_t_quantile(p, dof);
                assert!(close(got, want, 1e-12), "dof={dof} p={p}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn chi_square_matches_closed_forms() {
        // Two degrees of freedom: P(X > x) = exp(-x / 2).
        for x in [0.1, 3.0, 40.0, 900.0] {
            assert!(
                close(chi_square_sf(x, 2.0), (-0.5 * x).exp(), 1e-13),
                "x={x}"
            );
        }
        // One degree of freedom: P(X > x) = 2 P(Z > sqrt x).
        for x in [0.01, 1.0, 30.0] {
            assert!(close(
                chi_square_sf(x, 1.0),
                2.0 * normal_sf(x.sqrt()),
                1e-13
            ));
        }
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
    }

    #[test]
    fn truncated_means_lie_beyond_the_bound() {
        // A standard normal above 0 has mean sqrt(2 / pi).
        let half = normal_mean_above(0.0, 1.0, 0.0);
        assert!(close(half, (2.0 / PI).sqrt(), 1e-15));
        assert!(close(normal_mean_below(0.0, 1.0, 0.0), -half, 1e-15));
        // Far in the tail the conditional mean hugs the bound from the right side.
        let far = normal_mean_above(0.0, 1.0, 40.0);
        assert!(far > 40.0 && far < 40.03, "{far}");
        let far_below = normal_mean_below(3.0, 0.1, 0.0);
        assert!(far_below < 0.0 && far_below > -0.01, "{far_below}");
    }
}
