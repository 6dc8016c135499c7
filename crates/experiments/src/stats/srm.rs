//! Sample ratio mismatch: is the observed split of users the one the weights asked for? A
//! chi-square goodness-of-fit test (gbstats' `check_srm`), which GrowthBook flags below a
//! p-value of 0.001: checked on every experiment and every refresh, a 0.05 threshold would raise
//! mostly false alarms (GrowthBook's documentation, "Sample Ratio Mismatch").

use sim::special::chi_square_sf;

/// GrowthBook's default threshold for flagging a sample ratio mismatch.
pub const SRM_THRESHOLD: f64 = 0.001;

/// Why users and weights cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrmInputError {
    /// Fewer than two arms.
    TooFewArms,
    /// `users` and `weights` differ in length.
    LengthMismatch,
    /// A weight is negative or not finite, or they sum to 0.
    BadWeights,
    /// A user count is negative or not finite.
    BadUsers,
}

impl SrmInputError {
    pub fn message(&self) -> &'static str {
        match self {
            SrmInputError::TooFewArms => "an SRM check needs at least two arms",
            SrmInputError::LengthMismatch => "users and weights must have one entry per arm",
            SrmInputError::BadWeights => "weights must be finite, 0 or more, and not all 0",
            SrmInputError::BadUsers => "user counts must be finite and 0 or more",
        }
    }
}

/// The SRM p-value: chi-square over the arms with a positive weight, `len - 1` degrees of freedom
/// (gbstats counts every arm), 1 when no user was seen.
pub fn srm_p_value(users: &[f64], weights: &[f64]) -> Result<f64, SrmInputError> {
    if users.len() < 2 {
        return Err(SrmInputError::TooFewArms);
    }
    if users.len() != weights.len() {
        return Err(SrmInputError::LengthMismatch);
    }
    if users.iter().any(|u| !(u.is_finite() && *u >= 0.0)) {
        return Err(SrmInputError::BadUsers);
    }
    let total_weight: f64 = weights.iter().sum();
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || total_weight <= 0.0 {
        return Err(SrmInputError::BadWeights);
    }
    let total_users: f64 = users.iter().sum();
    if total_users == 0.0 {
        return Ok(1.0);
    }
    let statistic: f64 = users
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(observed, w)| {
            let expected = w / total_weight * total_users;
            (observed - expected).powi(2) / expected
        })
        .sum();
    Ok(chi_square_sf(statistic, (users.len() - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_even_split_off_by_one_percent() {
        // scipy.stats.chisquare([5050, 4950], [5000, 5000]).pvalue = 0.31731...
        let p = srm_p_value(&[5050.0, 4950.0], &[0.5, 0.5]).unwrap();
        assert!((p - 0.317_310_507_862_914_1).abs() < 1e-13, "{p}");
    }

    #[test]
    fn an_empty_arm_with_weight_is_a_mismatch() {
        let p = srm_p_value(&[1000.0, 0.0], &[0.5, 0.5]).unwrap();
        assert!(p < SRM_THRESHOLD);
        assert_eq!(srm_p_value(&[0.0, 0.0], &[0.5, 0.5]), Ok(1.0));
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(srm_p_value(&[1.0], &[1.0]), Err(SrmInputError::TooFewArms));
        assert_eq!(
            srm_p_value(&[1.0, 2.0], &[1.0]),
            Err(SrmInputError::LengthMismatch)
        );
        assert_eq!(
            srm_p_value(&[1.0, 2.0], &[0.0, 0.0]),
            Err(SrmInputError::BadWeights)
        );
        assert_eq!(
            srm_p_value(&[-1.0, 2.0], &[0.5, 0.5]),
            Err(SrmInputError::BadUsers)
        );
    }
}
