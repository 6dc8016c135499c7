//! The experiment's simulated users: who arrives each hour and what each one does over the test.
//!
//! Users arrive as a Poisson stream and are numbered in order (`u00001`, `u00002`...). A user's
//! outcome (did they buy, what they spent, their sessions and clicks, their page load time, and
//! their spend in the period before the test) is drawn from a generator keyed by the world's seed
//! and the user's number alone, so the same user in the same arm always does the same thing: the
//! lab can remove a user's contribution later, and tests can rebuild the statistics directly.
//!
//! The true effect of an arm multiplies each metric's per-user value by `1 + lift`: purchase
//! probability, spend, clicks per session and page load time. Spend is log-normal; the pre-period
//! spend shares part of the same log-normal draw, which is what makes CUPED useful.

use experiments::draws::{bernoulli, standard_normal, unit_open};
use sim::rng::{Rng, Seed};

/// The share of users who buy in control.
pub const BASE_PURCHASE_RATE: f64 = 0.10;
/// Spend is `exp(REVENUE_LOG_MEAN + REVENUE_LOG_SD * z)`.
pub const REVENUE_LOG_MEAN: f64 = 3.0;
pub const REVENUE_LOG_SD: f64 = 0.8;
/// Correlation of the log spend before and during the test.
pub const PRE_PERIOD_CORRELATION: f64 = 0.7;
/// Sessions are 1 plus a Poisson count with this mean.
pub const EXTRA_SESSIONS_MEAN: f64 = 2.0;
/// Clicks per session (Poisson) in control.
pub const CLICKS_PER_SESSION_MEAN: f64 = 1.5;
/// Page load time in control: normal with this mean and standard deviation, at least 50 ms.
pub const PAGE_LOAD_MEAN_MS: f64 = 800.0;
pub const PAGE_LOAD_SD_MS: f64 = 200.0;
const PAGE_LOAD_MIN_MS: f64 = 50.0;

/// A user of the experiment's world, numbered from 1 in order of arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserNumber(pub u32);

impl UserNumber {
    /// The id the SDK hashes: `u00042`.
    pub fn id(self) -> String {
        format!("u{:05}", self.0)
    }
}

/// True relative effects of one arm on each metric, in thousandths (purchase, revenue, clicks per
/// session, page load).
pub type ArmLifts = [i32; 4];

/// What one user did over the test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UserOutcome {
    pub purchased: bool,
    pub revenue: f64,
    pub pre_revenue: f64,
    pub sessions: u32,
    pub clicks: u32,
    pub page_load_ms: f64,
}

fn factor(lift_permille: i32) -> f64 {
    1.0 + f64::from(lift_permille) / 1000.0
}

/// A Poisson draw: Knuth's product of uniforms for small means, the rounded normal approximation
/// above 30 (the arrivals of an hour).
pub fn poisson(rng: &mut Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let draw = mean + mean.sqrt() * standard_normal(rng);
        return draw.round().max(0.0) as u64;
    }
    let limit = (-mean).exp();
    let mut product = unit_open(rng);
    let mut count = 0;
    while product > limit {
        product *= unit_open(rng);
        count += 1;
    }
    count
}

/// The generator of one user's outcome.
fn user_rng(world_seed: u64, user: UserNumber) -> Rng {
    Rng::new(Seed(
        world_seed ^ u64::from(user.0).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    ))
    .fork("experiment/user")
}

/// What `user` does when shown an arm with `lifts`.
pub fn user_outcome(world_seed: u64, user: UserNumber, lifts: &ArmLifts) -> UserOutcome {
    let mut rng = user_rng(world_seed, user);
    let purchase_draw = unit_open(&mut rng);
    let z_pre = standard_normal(&mut rng);
    let z_noise = standard_normal(&mut rng);
    let z = PRE_PERIOD_CORRELATION * z_pre
        + (1.0 - PRE_PERIOD_CORRELATION * PRE_PERIOD_CORRELATION).sqrt() * z_noise;
    let sessions = 1 + poisson(&mut rng, EXTRA_SESSIONS_MEAN) as u32;
    let clicks = poisson(
        &mut rng,
        f64::from(sessions) * CLICKS_PER_SESSION_MEAN * factor(lifts[2]).max(0.0),
    ) as u32;
    let load = PAGE_LOAD_MEAN_MS + PAGE_LOAD_SD_MS * standard_normal(&mut rng);
    UserOutcome {
        purchased: purchase_draw < BASE_PURCHASE_RATE * factor(lifts[0]),
        revenue: (REVENUE_LOG_MEAN + REVENUE_LOG_SD * z).exp() * factor(lifts[1]),
        pre_revenue: (REVENUE_LOG_MEAN + REVENUE_LOG_SD * z_pre).exp(),
        sessions,
        clicks,
        page_load_ms: (load * factor(lifts[3])).max(PAGE_LOAD_MIN_MS),
    }
}

/// Whether the logging bug drops this user (a draw of its own, apart from the outcome's).
pub fn lost_from_logs(world_seed: u64, user: UserNumber, percent: u8) -> bool {
    let mut rng = user_rng(world_seed, user).fork("experiment/logs");
    bernoulli(&mut rng, f64::from(percent) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_does_the_same_thing_every_time() {
        let lifts = [50, 0, 0, 0];
        let a = user_outcome(9, UserNumber(42), &lifts);
        assert_eq!(a, user_outcome(9, UserNumber(42), &lifts));
        assert_ne!(a, user_outcome(9, UserNumber(43), &lifts));
        assert_eq!(UserNumber(42).id(), "u00042");
    }

    #[test]
    fn population_means_follow_the_settings() {
        let n = 20_000;
        let outcomes: Vec<UserOutcome> = (1..=n)
            .map(|u| user_outcome(1, UserNumber(u), &[0; 4]))
            .collect();
        let rate = outcomes.iter().filter(|o| o.purchased).count() as f64 / f64::from(n);
        assert!((rate - BASE_PURCHASE_RATE).abs() < 0.01, "{rate}");
        let sessions: f64 = outcomes.iter().map(|o| f64::from(o.sessions)).sum();
        let clicks: f64 = outcomes.iter().map(|o| f64::from(o.clicks)).sum();
        assert!((clicks / sessions - CLICKS_PER_SESSION_MEAN).abs() < 0.05);
        let mean = |f: fn(&UserOutcome) -> f64| outcomes.iter().map(f).sum::<f64>() / f64::from(n);
        let (post, pre) = (mean(|o| o.revenue.ln()), mean(|o| o.pre_revenue.ln()));
        let covariance = mean(|o| o.revenue.ln() * o.pre_revenue.ln()) - post * pre;
        let correlation = covariance / (REVENUE_LOG_SD * REVENUE_LOG_SD);
        assert!(
            (correlation - PRE_PERIOD_CORRELATION).abs() < 0.05,
            "{correlation}"
        );
    }

    #[test]
    fn poisson_means_hold_on_both_sides_of_the_switch() {
        let mut rng = Rng::new(Seed(4));
        for mean in [2.0, 400.0] {
            let total: u64 = (0..5_000).map(|_| poisson(&mut rng, mean)).sum();
            let observed = total as f64 / 5_000.0;
            assert!(
                (observed - mean).abs() < mean.sqrt() * 0.1,
                "{mean}: {observed}"
            );
        }
    }
}
