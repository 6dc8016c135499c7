//! How simulated users click on a ranked list: a position-biased cascade.
//!
//! The user reads the list from the top (the cascade model of Craswell, Zoeter, Taylor and Ramsey,
//! WSDM 2008). At each item they read, they click with a probability set by the item's relevance
//! grade. After a click they are satisfied and leave with probability `leave_after_click`;
//! otherwise they read on. After an item they did not click, they read on with probability
//! `read_on`, so the chance of reading position i falls geometrically with i: this is the position
//! bias that makes a plain comparison of lists unfair and that team draft cancels. With
//! `leave_after_click` below 1 the model is the dependent click model of Guo, Liu and Wang (WSDM
//! 2009) with a per-item abandonment added; Chuklin, Markov and de Rijke's "Click Models for Web
//! Search" (2015) surveys the family.

use sim::rng::Rng;

use crate::draws::bernoulli;

/// Graded relevance of an item to one user's need: 0 (useless) to 3 (perfect).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relevance(pub u8);

/// The highest relevance grade.
pub const MAX_RELEVANCE: u8 = 3;

/// A position-biased cascade click model.
#[derive(Clone, Debug, PartialEq)]
pub struct CascadeClickModel {
    /// Click probability of a read item, indexed by relevance grade 0..=3.
    pub click_probability_by_grade: [f64; 4],
    /// Probability of leaving, satisfied, right after a click.
    pub leave_after_click: f64,
    /// Probability of reading the next item after one not clicked.
    pub read_on: f64,
}

impl Default for CascadeClickModel {
    /// Grades click 2 %, 15 %, 40 % and 70 % of the time; a click ends the visit half the time; a
    /// reader moves past an unclicked item 85 % of the time.
    fn default() -> CascadeClickModel {
        CascadeClickModel {
            click_probability_by_grade: [0.02, 0.15, 0.40, 0.70],
            leave_after_click: 0.5,
            read_on: 0.85,
        }
    }
}

impl CascadeClickModel {
    /// Clicks on a list whose items have the given grades, top first: `clicked[i]` for position i.
    pub fn clicks(&self, grades: &[Relevance], rng: &mut Rng) -> Vec<bool> {
        let mut clicked = vec![false; grades.len()];
        for (position, grade) in grades.iter().enumerate() {
            let grade_index = usize::from(grade.0.min(MAX_RELEVANCE));
            if bernoulli(rng, self.click_probability_by_grade[grade_index]) {
                clicked[position] = true;
                if bernoulli(rng, self.leave_after_click) {
                    break;
                }
            } else if !bernoulli(rng, self.read_on) {
                break;
            }
        }
        clicked
    }

    /// Checks every probability is within 0..=1, naming the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        let named = [
            (
                "click probability of grade 0",
                self.click_probability_by_grade[0],
            ),
            (
                "click probability of grade 1",
                self.click_probability_by_grade[1],
            ),
            (
                "click probability of grade 2",
                self.click_probability_by_grade[2],
            ),
            (
                "click probability of grade 3",
                self.click_probability_by_grade[3],
            ),
            ("leave_after_click", self.leave_after_click),
            ("read_on", self.read_on),
        ];
        match named.iter().find(|(_, p)| !(0.0..=1.0).contains(p)) {
            Some((name, p)) => Err(format!(
                "{name} is {p}: a probability must be between 0 and 1"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn reading_falls_off_with_position() {
        // Every item equally relevant: clicks per position must fall with position (position bias).
        let model = CascadeClickModel::default();
        let grades = vec![Relevance(2); 10];
        let mut rng = Rng::new(Seed(4));
        let mut per_position = [0u32; 10];
        for _ in 0..20_000 {
            for (i, c) in model.clicks(&grades, &mut rng).iter().enumerate() {
                per_position[i] += u32::from(*c);
            }
        }
        assert!(
            per_position.windows(2).all(|w| w[0] > w[1]),
            "{per_position:?}"
        );
        // Position 0 is always read: clicked 40 % of the time.
        assert!((f64::from(per_position[0]) / 20_000.0 - 0.40).abs() < 0.015);
    }

    #[test]
    fn certain_leaver_clicks_at_most_once() {
        let model = CascadeClickModel {
            click_probability_by_grade: [1.0; 4],
            leave_after_click: 1.0,
            read_on: 1.0,
        };
        let clicks = model.clicks(&[Relevance(0), Relevance(3)], &mut Rng::new(Seed(1)));
        assert_eq!(clicks, vec![true, false]);
        let never = CascadeClickModel {
            click_probability_by_grade: [0.0; 4],
            ..model
        };
        assert_eq!(
            never.clicks(&[Relevance(3); 3], &mut Rng::new(Seed(1))),
            vec![false; 3]
        );
    }

    #[test]
    fn validate_names_the_bad_probability() {
        let model = CascadeClickModel {
            read_on: 1.5,
            ..CascadeClickModel::default()
        };
        assert!(model.validate().unwrap_err().contains("read_on"));
        assert!(CascadeClickModel::default().validate().is_ok());
    }
}
