//! The Kolmogorov distribution of the one-sample two-sided statistic D_n, its survival function
//! P(D_n > x): what SciPy's `ks_2samp` reads its p-value from once a sample is too large for the
//! exact two-sample count (`kstwo.sf(D, round(m·n/(m + n)))`).
//!
//! It picks among the methods of Simard and L'Ecuyer, "Computing the Two-Sided
//! Kolmogorov-Smirnov Distribution" (Journal of Statistical Software 39(11), 2011), with the
//! same cut-offs as SciPy's `scipy.stats._ksstats`: Ruben and Gambino's closed forms at the ends,
//! Durbin's matrix (as Marsaglia, Tsang and Wang evaluate it), Pomeranz's recursion, Pelz and
//! Good's asymptotic series, and twice the one-sided Smirnov tail (the Birnbaum-Tingey sum)
//! where the two-sided tail is that to double precision.

/// exp() of anything below this is 0 in doubles.
const MIN_LOG: f64 = -708.0;
/// Rescaling step for products that would underflow or overflow: 2^128.
const SCALE_EXPONENT: i32 = 128;

/// P(D_n > x) for a sample of `n` values (n ≥ 1).
pub fn kolmogorov_sf(n: u64, x: f64) -> f64 {
    let n_f = n as f64;
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let t = n_f * x;
    if t <= 1.0 {
        // Ruben-Gambino: 1/(2n) ≤ x ≤ 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |p, i| p * (i as f64 * (1.0 / n_f) * (2.0 * t - 1.0)))
        } else {
            (log_factorial_over_power(n_f) + n_f * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= n_f - 1.0 {
        return (2.0 * (1.0 - x).powf(n_f)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nx_squared = t * x;
    if n <= 140 {
        let cdf = if nx_squared <= 0.754693 {
            durbin_cdf(n, x)
        } else if nx_squared <= 4.0 {
            pomeranz_cdf(n, x)
        } else {
            return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if nx_squared >= 370.0 {
        return 0.0;
    }
    if nx_squared >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && n_f * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(n_f, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// ln(n! / nⁿ) by Stirling's series.
fn log_factorial_over_power(n: f64) -> f64 {
    // B_2k / (2k (2k − 1)) for k = 8 down to 1, the Bernoulli numbers' series.
    const COEFFICIENTS: [f64; 8] = [
        -3617.0 / 122_400.0,
        1.0 / 156.0,
        -691.0 / 360_360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let series = COEFFICIENTS.iter().fold(0.0, |acc, &c| acc * (rn / n) + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * series
}

/// A square matrix, row-major.
struct Matrix {
    size: usize,
    cells: Vec<f64>,
}

impl Matrix {
    fn identity(size: usize) -> Matrix {
        let mut cells = vec![0.0; size * size];
        for i in 0..size {
            cells[i * size + i] = 1.0;
        }
        Matrix { size, cells }
    }

    fn at(&self, row: usize, column: usize) -> f64 {
        self.cells[row * self.size + column]
    }

    fn times(&self, other: &Matrix) -> Matrix {
        let size = self.size;
        let mut cells = vec![0.0; size * size];
        for i in 0..size {
            for k in 0..size {
                let a = self.cells[i * size + k];
                if a == 0.0 {
                    continue;
                }
                for j in 0..size {
                    cells[i * size + j] += a * other.cells[k * size + j];
                }
            }
        }
        Matrix { size, cells }
    }
}

/// P(D_n ≤ d) by Durbin's matrix: the (k, k) entry of Hⁿ times n!/nⁿ, H built from h = k − nd.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    let n_f = n as f64;
    let nd = n_f * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|i| 1.0 - h.powi(i as i32)).collect();
    let mut w = vec![0.0; m];
    let mut factorial_inverse = 1.0;
    for j in 1..=m {
        w[j - 1] = factorial_inverse;
        factorial_inverse /= j as f64;
        v[j - 1] *= factorial_inverse;
    }
    let tail = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tail) * factorial_inverse;
    let mut matrix = Matrix {
        size: m,
        cells: vec![0.0; m * m],
    };
    for i in 1..m {
        for row in (i - 1)..m {
            matrix.cells[row * m + i] = w[row - (i - 1)];
        }
    }
    for (row, &first) in v.iter().enumerate() {
        matrix.cells[row * m] = first;
    }
    for column in 0..m {
        matrix.cells[(m - 1) * m + column] = v[m - 1 - column];
    }
    let scale = 2f64.powi(SCALE_EXPONENT);
    let mut power = Matrix::identity(m);
    let (mut remaining, mut exponent, mut matrix_exponent) = (n, 0i64, 0i64);
    while remaining > 0 {
        if remaining % 2 == 1 {
            power = power.times(&matrix);
            exponent += matrix_exponent;
        }
        matrix = matrix.times(&matrix);
        matrix_exponent *= 2;
        if matrix.at(k - 1, k - 1).abs() > scale {
            for cell in &mut matrix.cells {
                *cell /= scale;
            }
            matrix_exponent += i64::from(SCALE_EXPONENT);
        }
        remaining /= 2;
    }
    let mut p = power.at(k - 1, k - 1);
    for i in 1..=n {
        p = i as f64 * p / n_f;
        if p.abs() < 1.0 / scale {
            p *= scale;
            exponent -= i64::from(SCALE_EXPONENT);
        }
    }
    scale_by_power_of_two(p, exponent).clamp(0.0, 1.0)
}

/// p · 2^exponent without overflowing the intermediate power.
fn scale_by_power_of_two(mut p: f64, mut exponent: i64) -> f64 {
    while exponent > 0 {
        let step = exponent.min(1000);
        p *= 2f64.powi(step as i32);
        exponent -= step;
    }
    while exponent < 0 {
        let step = (-exponent).min(1000);
        p /= 2f64.powi(step as i32);
        exponent += step;
    }
    p
}

/// The columns a row of Pomeranz's recursion spans, clamped to [0, n].
fn pomeranz_span(i: i64, n: i64, ll: i64, ceil_f: i64, round_f: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceil_f - 1, ll + ceil_f - 1)
    } else {
        let (half, odd_next) = ((i + 1) / 2, (i + 1) % 2);
        if odd_next == 0 {
            if half == n + 1 {
                (n - ll - ceil_f - 1, n + ll + ceil_f - 1)
            } else {
                (half - 1 - ll - round_f - 1, half + ll - 1 + ceil_f - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + round_f - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// P(D_n ≤ x) by Pomeranz's recursion (Algorithm 487, 1974).
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let n_i = n as i64;
    let n_f = n as f64;
    let t = n_f * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceil_f = i64::from(f > 0.0);
    let round_f = i64::from(f > 0.5);
    let powers = (2 * (ll + 1)) as usize;
    let series = |ratio: f64| {
        let mut terms = vec![1.0; powers];
        for m in 1..powers {
            terms[m] = terms[m - 1] * ratio / m as f64;
        }
        terms
    };
    let g_powers = series(g / n_f);
    let two_g_powers = series(2.0 * g / n_f);
    let one_minus_two_g_powers = series((1.0 - 2.0 * g) / n_f);
    let scale = 2f64.powi(SCALE_EXPONENT);
    let mut exponent: i64 = 0;
    let mut previous = vec![0.0; powers];
    let mut row = vec![0.0; powers];
    row[0] = 1.0;
    let (mut previous_start, mut row_start) = (0i64, 0i64);
    let mut j1 = pomeranz_span(0, n_i, ll, ceil_f, round_f).0;
    for i in 1..(2 * n_i + 2) {
        let k1 = j1;
        std::mem::swap(&mut previous, &mut row);
        std::mem::swap(&mut previous_start, &mut row_start);
        row.iter_mut().for_each(|cell| *cell = 0.0);
        let (next_j1, j2) = pomeranz_span(i, n_i, ll, ceil_f, round_f);
        j1 = next_j1;
        let terms = if i == 1 || i == 2 * n_i + 1 {
            &g_powers
        } else if i % 2 == 1 {
            &two_g_powers
        } else {
            &one_minus_two_g_powers
        };
        let width = j2 - k1 + 1;
        if width > 0 {
            // The window of the previous row this one draws on (cut at the row's end, as a
            // slice of it would be).
            let offset = (k1 - previous_start).max(0) as usize;
            let end = (offset + width as usize).min(previous.len());
            let source = &previous[offset.min(end)..end];
            let first = (j1 - k1).max(0) as usize;
            let count = (j2 - j1 + 1).max(0) as usize;
            // Entries first .. first + count of the full convolution of source and terms.
            for (out, index) in (first..first + count).enumerate() {
                let sum: f64 = source
                    .iter()
                    .enumerate()
                    .take(index + 1)
                    .filter_map(|(a, value)| terms.get(index - a).map(|term| value * term))
                    .sum();
                if let Some(cell) = row.get_mut(out) {
                    *cell = sum;
                }
            }
            let largest = row.iter().copied().fold(0.0, f64::max);
            if 0.0 < largest && largest < 1.0 / scale {
                row.iter_mut().for_each(|cell| *cell *= scale);
                exponent -= i64::from(SCALE_EXPONENT);
            }
            row_start = previous_start + j1 - k1;
        }
    }
    let mut answer = row
        .get((n_i - row_start).max(0) as usize)
        .copied()
        .unwrap_or(0.0);
    for m in 1..=n {
        if answer.abs() > scale {
            answer /= scale;
            exponent += i64::from(SCALE_EXPONENT);
        }
        answer *= m as f64;
    }
    scale_by_power_of_two(answer, exponent).clamp(0.0, 1.0)
}

/// P(D_n ≤ x) by Pelz and Good's series (1976) in z = x·√n, to order n^(−3/2).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let q_log = -PI * PI / 8.0 / z2;
    if q_log < MIN_LOG {
        return 0.0;
    }
    let q = q_log.exp();
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    let max_k = (16.0 * z / PI).ceil() as i32;
    for j in (1..=max_k).rev() {
        let m = f64::from(2 * j - 1);
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let q_power = q.powi(8 * j);
        let coefficients = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (term, c) in k.iter_mut().zip(coefficients) {
            *term = *term * q_power + c;
        }
    }
    let sqrt_two_pi = (2.0 * PI).sqrt();
    let divisors = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (term, divisor) in k.iter_mut().zip(divisors) {
        *term = *term * q * sqrt_two_pi / divisor;
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3_z = 3f64.sqrt() * z;
    let (mut extra2, mut extra3) = (0.0, 0.0);
    for j in (1..=max_k).rev() {
        let j_f = f64::from(j);
        let j2 = j_f * j_f;
        let q_power = q.powf(j2);
        extra2 += j2 * q_power;
        let jpi = PI * j_f;
        extra3 += (sqrt3_z + jpi) * (sqrt3_z - jpi) * j2 * q_power;
    }
    k[2] += extra2 * pi2 * sqrt_two_pi / (-36.0 * z3);
    k[3] += extra3 * pi2 * sqrt_two_pi / (216.0 * z6);
    k.iter()
        .enumerate()
        .map(|(i, term)| term / n.powf(i as f64 / 2.0))
        .sum()
}

/// P(D⁺_n > x), the one-sided Smirnov tail, by the Birnbaum-Tingey sum
/// x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v), its terms in logarithms.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    let n_f = n as f64;
    if n == 1 {
        return 1.0 - x;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nx = n_f * x;
    let nx_floor = nx.floor();
    let alpha = nx - nx_floor;
    if nx_floor == 0.0 || (nx_floor == 1.0 && alpha == 0.0) {
        return 1.0 - x * (1.0 + x).powf(n_f - 1.0);
    }
    if -2.0 * n_f * x * x < -7.083_964_185_322_641e2 {
        return 0.0;
    }
    if nx_floor >= n_f - 1.0 {
        return (1.0 - x).powf(n_f);
    }
    if n > 1_000_000 {
        let log_p = -(6.0 * nx + 1.0).powi(2) / 18.0 / n_f;
        return if log_p < -std::f64::consts::LN_2 {
            log_p.exp()
        } else {
            1.0 + log_p.exp_m1()
        };
    }
    let last = n as i64 - nx_floor as i64 - 1;
    let mut log_binomial = 0.0;
    let mut sum = 0.0;
    for v in 0..=last.max(0) {
        let v_f = v as f64;
        let left = (n_f - v_f) / n_f - x;
        let right = v_f / n_f + x;
        let log_term = log_binomial + (n_f - v_f) * left.ln() + (v_f - 1.0) * right.ln();
        let term = log_term.exp();
        sum += term;
        if term != 0.0 && 4.0 * (last - v + 1) as f64 * term < f64::EPSILON * sum && v != last {
            break;
        }
        log_binomial += ((n_f - v_f) / (v_f + 1.0)).ln();
    }
    (x * sum).clamp(0.0, 1.0)
}
