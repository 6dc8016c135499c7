//! Per-user preference and the sign test over users.
//!
//! A user's impressions are summed into one preference: A if A won more of them than B, B if the
//! reverse, none if they tied (the per-member preference of Netflix's interleaving write-up,
//! "Innovating Faster on Personalization Algorithms at Netflix Using Interleaving", 2017). Users,
//! not impressions, are the independent units. Under the null hypothesis that neither ranker is
//! preferred, the number of users preferring B among those with a preference is Binomial(n, 1/2);
//! the two-sided exact p-value is the probability of a split at least as uneven, which for p = 1/2
//! is 2 · P(X ≤ min(k, n − k)), capped at 1 (the value `scipy.stats.binomtest` returns).

use super::credit::{Outcome, OutcomeTally};
use crate::log_gamma::ln_choose;

/// Which ranker one user preferred over all their impressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preference {
    A,
    B,
    Neither,
}

/// The sign of (A's wins − B's wins) over one user's impressions.
pub fn user_preference(outcomes: impl IntoIterator<Item = Outcome>) -> Preference {
    let mut tally = OutcomeTally::default();
    for outcome in outcomes {
        tally.add(outcome);
    }
    match tally.a_wins.cmp(&tally.b_wins) {
        std::cmp::Ordering::Greater => Preference::A,
        std::cmp::Ordering::Less => Preference::B,
        std::cmp::Ordering::Equal => Preference::Neither,
    }
}

/// Users counted by preference, and the sign test on them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignTest {
    pub prefer_a: u64,
    pub prefer_b: u64,
    pub no_preference: u64,
}

impl SignTest {
    /// Counts one user.
    pub fn add(&mut self, preference: Preference) {
        match preference {
            Preference::A => self.prefer_a += 1,
            Preference::B => self.prefer_b += 1,
            Preference::Neither => self.no_preference += 1,
        }
    }

    /// Every user counted, with or without a preference.
    pub fn users(&self) -> u64 {
        self.prefer_a + self.prefer_b + self.no_preference
    }

    /// The share of users with a preference who prefer B; `None` when nobody has one.
    pub fn share_preferring_b(&self) -> Option<f64> {
        let decided = self.prefer_a + self.prefer_b;
        (decided > 0).then(|| self.prefer_b as f64 / decided as f64)
    }

    /// The two-sided exact sign-test p-value; users without a preference are left out.
    pub fn p_value(&self) -> f64 {
        binomial_half_two_sided_p_value(self.prefer_b, self.prefer_a + self.prefer_b)
    }
}

/// Relative size below which further binomial tail terms no longer change the sum.
const TAIL_TERM_NEGLIGIBLE: f64 = 1e-18;

/// Two-sided exact binomial p-value of `successes` in `trials` under success probability 1/2.
/// Returns 1 for zero trials.
pub fn binomial_half_two_sided_p_value(successes: u64, trials: u64) -> f64 {
    let successes = successes.min(trials);
    let smaller = successes.min(trials - successes);
    if trials == 0 || 2 * smaller == trials {
        return 1.0;
    }
    // Sum P(X = j) for j = smaller down to 0, relative to the largest term P(X = smaller): each term
    // is the one above times j / (n − j + 1), so the sum stops once the terms are negligible.
    let ln_top = ln_choose(trials, smaller) - trials as f64 * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut relative_sum = 1.0;
    let mut j = smaller;
    while j > 0 {
        term *= j as f64 / (trials - j + 1) as f64;
        relative_sum += term;
        if term < TAIL_TERM_NEGLIGIBLE * relative_sum {
            break;
        }
        j -= 1;
    }
    (2.0 * ln_top.exp() * relative_sum).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_p_values_of_small_cases() {
        // 0 of 5: 2 * (1/32).
        assert!((binomial_half_two_sided_p_value(0, 5) - 0.0625).abs() < 1e-15);
        // 2 of 10: 2 * (1 + 10 + 45) / 1024 = 0.109375.
        assert!((binomial_half_two_sided_p_value(2, 10) - 0.109_375).abs() < 1e-14);
        assert!((binomial_half_two_sided_p_value(8, 10) - 0.109_375).abs() < 1e-14);
        // 4 of 9: the two tails cover everything.
        assert_eq!(binomial_half_two_sided_p_value(4, 9), 1.0);
        assert_eq!(binomial_half_two_sided_p_value(5, 10), 1.0);
        assert_eq!(binomial_half_two_sided_p_value(0, 0), 1.0);
    }

    #[test]
    fn preference_is_the_sign_of_wins() {
        use Outcome::*;
        assert_eq!(user_preference([AWins, BWins, AWins, Tie]), Preference::A);
        assert_eq!(user_preference([BWins, Tie]), Preference::B);
        assert_eq!(user_preference([AWins, BWins]), Preference::Neither);
        assert_eq!(user_preference([]), Preference::Neither);
        let mut test = SignTest::default();
        for p in [
            Preference::A,
            Preference::B,
            Preference::B,
            Preference::Neither,
        ] {
            test.add(p);
        }
        assert_eq!(test.users(), 4);
        assert!((test.share_preferring_b().unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-15);
        // One of three against: 2 · (1 + 3) / 8 = 1.
        assert!((test.p_value() - 1.0).abs() < 1e-14);
    }
}
