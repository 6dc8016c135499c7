//! Crediting clicks to the team that drafted the clicked item, and reading one impression as a win
//! for A, a win for B or a tie (Radlinski, Kurup and Joachims 2008).
//!
//! Over many impressions, Chapelle, Joachims, Radlinski and Yue ("Large-scale validation and
//! analysis of interleaved search evaluation", ACM TOIS 2012) summarise the tallies as
//! Δ_AB = (wins_A + ties / 2) / (wins_A + wins_B + ties) − 1/2: positive when A is preferred.

use super::team_draft::{Interleaved, Team};

/// Clicks credited to each team in one impression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    pub a_clicks: u32,
    pub b_clicks: u32,
}

/// What one impression says about the two rankers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    AWins,
    BWins,
    Tie,
}

impl Credit {
    /// A wins with more credited clicks, B with more, a tie otherwise (including no clicks).
    pub fn outcome(self) -> Outcome {
        match self.a_clicks.cmp(&self.b_clicks) {
            std::cmp::Ordering::Greater => Outcome::AWins,
            std::cmp::Ordering::Less => Outcome::BWins,
            std::cmp::Ordering::Equal => Outcome::Tie,
        }
    }
}

impl Interleaved {
    /// Credits `clicked[i]` (a click on the item shown at position `i`) to the item's team.
    /// Positions past the end of the shown list are ignored.
    pub fn credit(&self, clicked: &[bool]) -> Credit {
        let mut credit = Credit::default();
        for (shown, _) in self.shown.iter().zip(clicked).filter(|(_, c)| **c) {
            match shown.team {
                Team::A => credit.a_clicks += 1,
                Team::B => credit.b_clicks += 1,
            }
        }
        credit
    }
}

/// Wins and ties over many impressions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutcomeTally {
    pub a_wins: u64,
    pub b_wins: u64,
    pub ties: u64,
}

impl OutcomeTally {
    /// Counts one impression's outcome.
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::AWins => self.a_wins += 1,
            Outcome::BWins => self.b_wins += 1,
            Outcome::Tie => self.ties += 1,
        }
    }

    /// Chapelle et al.'s Δ_AB in [−1/2, 1/2]; `None` before the first impression.
    pub fn delta_ab(&self) -> Option<f64> {
        let total = self.a_wins + self.b_wins + self.ties;
        (total > 0).then(|| (self.a_wins as f64 + self.ties as f64 / 2.0) / total as f64 - 0.5)
    }

    /// A's share of the decided impressions, wins_A / (wins_A + wins_B); `None` without any.
    pub fn a_win_share(&self) -> Option<f64> {
        let decided = self.a_wins + self.b_wins;
        (decided > 0).then(|| self.a_wins as f64 / decided as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::super::team_draft::{ItemId, ShownItem};
    use super::*;

    fn list(teams: &[Team]) -> Interleaved {
        Interleaved {
            shown: teams
                .iter()
                .enumerate()
                .map(|(i, &team)| ShownItem {
                    item: ItemId(i as u32),
                    team,
                })
                .collect(),
        }
    }

    #[test]
    fn clicks_credit_the_drafting_team() {
        let merged = list(&[Team::A, Team::B, Team::B, Team::A]);
        let credit = merged.credit(&[true, true, true, false, true]);
        assert_eq!(
            credit,
            Credit {
                a_clicks: 1,
                b_clicks: 2
            }
        );
        assert_eq!(credit.outcome(), Outcome::BWins);
        assert_eq!(merged.credit(&[true]).outcome(), Outcome::AWins);
        assert_eq!(merged.credit(&[]).outcome(), Outcome::Tie);
        assert_eq!(merged.credit(&[true, true]).outcome(), Outcome::Tie);
    }

    #[test]
    fn delta_ab_follows_chapelle_et_al() {
        let mut tally = OutcomeTally::default();
        assert_eq!(tally.delta_ab(), None);
        for outcome in [
            Outcome::AWins,
            Outcome::AWins,
            Outcome::AWins,
            Outcome::BWins,
            Outcome::Tie,
            Outcome::Tie,
        ] {
            tally.add(outcome);
        }
        // (3 + 2/2) / 6 - 1/2 = 1/6.
        assert!((tally.delta_ab().unwrap_or(0.0) - 1.0 / 6.0).abs() < 1e-15);
        assert_eq!(tally.a_win_share(), Some(0.75));
    }
}
