//! How many fewer users interleaving needs than an A/B test to pick the better of two rankers, on
//! the same simulated users.
//!
//! Each simulated user has a few search sessions. In a session every catalogue item gets a
//! relevance grade for this user's need; each ranker scores an item as its grade plus Gaussian
//! noise (a better ranker has less noise) and lists the items by score. The same users and the same
//! two lists per session feed both experiments:
//! - A/B test: a seeded coin puts the user in arm A or B for all their sessions; they see that
//!   arm's list and click by the [`CascadeClickModel`]. The metric is clicks per user, compared by
//!   Welch's statistic with the normal reference (samples here run to hundreds or thousands).
//! - Interleaving: the user sees the team-draft merge of both lists in every session; each session
//!   is a win, loss or tie, the user's preference is the sign of their wins, and the
//!   [`SignTest`] runs over users.
//!
//! Decision rule, identical for both: run the two-sided test at α = 0.05 after `first_check_users`
//! users and then each time the enrolment has grown by `check_growth_percent`; the first
//! significant check decides, for the ranker ahead. The geometric schedule keeps the number of
//! looks small (about 30 between 50 and 20,000 users at 20 %), because every extra look is a
//! chance for noise to cross the threshold (peeking); both designs get the same looks, so the
//! ratio of their users measures how fast each design's evidence accumulates, the comparison
//! Netflix's 2017 interleaving write-up reports.

use sim::rng::{Rng, Seed};

use super::click_model::{CascadeClickModel, Relevance, MAX_RELEVANCE};
use super::credit::Credit;
use super::sign_test::{user_preference, Preference, SignTest};
use super::team_draft::{team_draft, Interleaved, ItemId, Team};
use crate::draws::{standard_normal, unit_open};

/// Two-sided significance level of both decisions.
pub const ALPHA: f64 = 0.05;
/// The standard normal quantile at 1 − α/2 for α = 0.05 (scipy.stats.norm.ppf(0.975)).
const Z_TWO_SIDED_5_PERCENT: f64 = 1.959_963_984_540_054;

/// One simulated user, numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserId(pub u64);

/// The simulated world and the decision schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct RankerComparisonConfig {
    pub seed: Seed,
    /// Items in the catalogue both rankers order.
    pub catalog_items: u32,
    /// Items shown per list.
    pub list_length: usize,
    pub sessions_per_user: u32,
    /// Share of catalogue items at relevance grade 0..=3 in a session (they should sum to 1).
    pub grade_shares: [f64; 4],
    /// Standard deviation, in grades, of the noise ranker A adds to each item's grade.
    pub ranker_a_noise_sd_grades: f64,
    /// The same for ranker B.
    pub ranker_b_noise_sd_grades: f64,
    pub click_model: CascadeClickModel,
    /// Users enrolled at the first check.
    pub first_check_users: u64,
    /// Growth of the enrolment between checks, in percent (at least one user more each time).
    pub check_growth_percent: u64,
    pub max_users: u64,
}

impl Default for RankerComparisonConfig {
    /// 40 items, 10 shown, 3 sessions per user; ranker B is a little less noisy than A
    /// (noise 1.0 against 1.2 grades).
    fn default() -> RankerComparisonConfig {
        RankerComparisonConfig {
            seed: Seed(1),
            catalog_items: 40,
            list_length: 10,
            sessions_per_user: 3,
            grade_shares: [0.6, 0.25, 0.1, 0.05],
            ranker_a_noise_sd_grades: 1.2,
            ranker_b_noise_sd_grades: 1.0,
            click_model: CascadeClickModel::default(),
            first_check_users: 50,
            check_growth_percent: 20,
            max_users: 20_000,
        }
    }
}

impl RankerComparisonConfig {
    /// Checks the configuration, naming the first bad field with a hint.
    pub fn validate(&self) -> Result<(), String> {
        self.click_model.validate()?;
        if self.catalog_items == 0 || self.catalog_items > 10_000 {
            return Err("catalog_items must be between 1 and 10000".to_string());
        }
        if self.list_length == 0 || self.list_length > self.catalog_items as usize {
            return Err("list_length must be between 1 and catalog_items".to_string());
        }
        if self.sessions_per_user == 0 || self.sessions_per_user > 1000 {
            return Err("sessions_per_user must be between 1 and 1000".to_string());
        }
        let total: f64 = self.grade_shares.iter().sum();
        if self.grade_shares.iter().any(|s| !(0.0..=1.0).contains(s)) || (total - 1.0).abs() > 1e-9
        {
            return Err(
                "grade_shares must be four shares between 0 and 1 summing to 1".to_string(),
            );
        }
        for (name, sd) in [
            ("ranker_a_noise_sd_grades", self.ranker_a_noise_sd_grades),
            ("ranker_b_noise_sd_grades", self.ranker_b_noise_sd_grades),
        ] {
            if !(0.0..=100.0).contains(&sd) {
                return Err(format!(
                    "{name} is {sd}: use a standard deviation between 0 and 100"
                ));
            }
        }
        if self.first_check_users < 2 || self.check_growth_percent > 1000 {
            return Err(
                "first_check_users must be at least 2 and check_growth_percent at most 1000"
                    .to_string(),
            );
        }
        if self.max_users == 0 || self.max_users > 10_000_000 {
            return Err("max_users must be between 1 and 10000000".to_string());
        }
        Ok(())
    }
}

/// One session as the interleaving view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct InterleavedSession {
    /// Ranker A's top `list_length` items.
    pub ranking_a: Vec<ItemId>,
    /// Ranker B's top `list_length` items.
    pub ranking_b: Vec<ItemId>,
    /// This user's relevance grade of every catalogue item, indexed by item id.
    pub grades: Vec<Relevance>,
    pub merged: Interleaved,
    /// Clicks on the merged list, by position.
    pub merged_clicks: Vec<bool>,
    pub credit: Credit,
}

/// What one user contributes to each experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserResult {
    /// The A/B arm the user was put in.
    pub arm: Team,
    /// The user's clicks over their sessions in that arm.
    pub arm_clicks: u32,
    /// The user's interleaving preference over the same sessions.
    pub preference: Preference,
}

/// The random streams of one user, keyed by the user so that users are independent of each other
/// and of how many users ran before.
struct UserStreams {
    sessions: Rng,
    arm: Rng,
    ab_clicks: Rng,
    draft: Rng,
    merged_clicks: Rng,
}

impl UserStreams {
    fn new(seed: Seed, user: UserId) -> UserStreams {
        let root = Rng::new(seed).fork(&format!("interleaving/user/{}", user.0));
        UserStreams {
            sessions: root.fork("sessions"),
            arm: root.fork("ab/arm"),
            ab_clicks: root.fork("ab/clicks"),
            draft: root.fork("interleaving/draft"),
            merged_clicks: root.fork("interleaving/clicks"),
        }
    }
}

/// A session's grades and both rankers' lists.
struct SessionLists {
    grades: Vec<Relevance>,
    ranking_a: Vec<ItemId>,
    ranking_b: Vec<ItemId>,
}

fn draw_grade(shares: &[f64; 4], rng: &mut Rng) -> Relevance {
    let u = unit_open(rng);
    let mut cumulative = 0.0;
    for (grade, share) in shares.iter().enumerate() {
        cumulative += share;
        if u < cumulative {
            return Relevance(grade as u8);
        }
    }
    Relevance(MAX_RELEVANCE)
}

/// A ranker's top `length` items: grade plus noise, highest score first (ties to the lower id).
fn noisy_ranking(grades: &[Relevance], noise_sd: f64, length: usize, rng: &mut Rng) -> Vec<ItemId> {
    let mut scored: Vec<(f64, ItemId)> = grades
        .iter()
        .enumerate()
        .map(|(i, g)| {
            (
                f64::from(g.0) + noise_sd * standard_normal(rng),
                ItemId(i as u32),
            )
        })
        .collect();
    sim::sort::sort_by(&mut scored, |x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    scored
        .into_iter()
        .take(length)
        .map(|(_, item)| item)
        .collect()
}

fn draw_session(config: &RankerComparisonConfig, rng: &mut Rng) -> SessionLists {
    let grades: Vec<Relevance> = (0..config.catalog_items)
        .map(|_| draw_grade(&config.grade_shares, rng))
        .collect();
    let ranking_a = noisy_ranking(
        &grades,
        config.ranker_a_noise_sd_grades,
        config.list_length,
        rng,
    );
    let ranking_b = noisy_ranking(
        &grades,
        config.ranker_b_noise_sd_grades,
        config.list_length,
        rng,
    );
    SessionLists {
        grades,
        ranking_a,
        ranking_b,
    }
}

fn grades_of(items: &[ItemId], grades: &[Relevance]) -> Vec<Relevance> {
    items.iter().map(|i| grades[i.0 as usize]).collect()
}

/// Runs both experiments' views of one user's sessions.
fn run_user(
    config: &RankerComparisonConfig,
    user: UserId,
) -> (UserResult, Vec<InterleavedSession>) {
    let mut streams = UserStreams::new(config.seed, user);
    let arm = if streams.arm.below(2) == 0 {
        Team::A
    } else {
        Team::B
    };
    let mut arm_clicks = 0u32;
    let mut sessions = Vec::with_capacity(config.sessions_per_user as usize);
    for _ in 0..config.sessions_per_user {
        let lists = draw_session(config, &mut streams.sessions);
        let arm_list = if arm == Team::A {
            &lists.ranking_a
        } else {
            &lists.ranking_b
        };
        let ab_clicks = config
            .click_model
            .clicks(&grades_of(arm_list, &lists.grades), &mut streams.ab_clicks);
        arm_clicks += ab_clicks.iter().filter(|c| **c).count() as u32;
        let merged = team_draft(
            &lists.ranking_a,
            &lists.ranking_b,
            config.list_length,
            &mut streams.draft,
        );
        let merged_items: Vec<ItemId> = merged.shown.iter().map(|s| s.item).collect();
        let merged_clicks = config.click_model.clicks(
            &grades_of(&merged_items, &lists.grades),
            &mut streams.merged_clicks,
        );
        let credit = merged.credit(&merged_clicks);
        sessions.push(InterleavedSession {
            ranking_a: lists.ranking_a,
            ranking_b: lists.ranking_b,
            grades: lists.grades,
            merged,
            merged_clicks,
            credit,
        });
    }
    let preference = user_preference(sessions.iter().map(|s| s.credit.outcome()));
    (
        UserResult {
            arm,
            arm_clicks,
            preference,
        },
        sessions,
    )
}

/// One user's result in both experiments.
pub fn simulate_user(config: &RankerComparisonConfig, user: UserId) -> UserResult {
    run_user(config, user).0
}

/// One user's interleaved sessions in full, for the interleaving view.
pub fn user_sessions(config: &RankerComparisonConfig, user: UserId) -> Vec<InterleavedSession> {
    run_user(config, user).1
}

/// Per-arm sufficient statistics of clicks per user.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct ArmClicks {
    users: u64,
    sum: f64,
    sum_squares: f64,
}

impl ArmClicks {
    fn add(&mut self, clicks: u32) {
        let x = f64::from(clicks);
        self.users += 1;
        self.sum += x;
        self.sum_squares += x * x;
    }

    fn mean(&self) -> f64 {
        self.sum / self.users as f64
    }

    fn variance(&self) -> f64 {
        let n = self.users as f64;
        ((self.sum_squares - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
    }
}

/// Welch's statistic (B − A) / se for clicks per user; `None` while either arm has under two
/// users or no variance.
fn welch_z(a: &ArmClicks, b: &ArmClicks) -> Option<f64> {
    if a.users < 2 || b.users < 2 {
        return None;
    }
    let se_squared = a.variance() / a.users as f64 + b.variance() / b.users as f64;
    (se_squared > 0.0).then(|| (b.mean() - a.mean()) / se_squared.sqrt())
}

/// When a design reached its decision and for which ranker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Users enrolled when the test first came out significant.
    pub users: u64,
    pub winner: Team,
}

/// Both designs' decisions on the same users; `None` if a design did not decide within
/// `max_users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsersToDecision {
    pub ab_test: Option<Decision>,
    pub interleaving: Option<Decision>,
}

/// Enrols users one by one and applies the decision rule to both designs.
pub fn users_to_decision(config: &RankerComparisonConfig) -> Result<UsersToDecision, String> {
    config.validate()?;
    let (mut arm_a, mut arm_b) = (ArmClicks::default(), ArmClicks::default());
    let mut sign_test = SignTest::default();
    let mut result = UsersToDecision {
        ab_test: None,
        interleaving: None,
    };
    let mut next_check = config.first_check_users;
    for n in 1..=config.max_users {
        let user = simulate_user(config, UserId(n - 1));
        match user.arm {
            Team::A => arm_a.add(user.arm_clicks),
            Team::B => arm_b.add(user.arm_clicks),
        }
        sign_test.add(user.preference);
        if n != next_check {
            continue;
        }
        next_check = (n * (100 + config.check_growth_percent) / 100).max(n + 1);
        if result.ab_test.is_none() {
            if let Some(z) = welch_z(&arm_a, &arm_b).filter(|z| z.abs() > Z_TWO_SIDED_5_PERCENT) {
                let winner = if z > 0.0 { Team::B } else { Team::A };
                result.ab_test = Some(Decision { users: n, winner });
            }
        }
        if result.interleaving.is_none() && sign_test.p_value() <= ALPHA {
            let winner = if sign_test.prefer_b > sign_test.prefer_a {
                Team::B
            } else {
                Team::A
            };
            result.interleaving = Some(Decision { users: n, winner });
        }
        if result.ab_test.is_some() && result.interleaving.is_some() {
            break;
        }
    }
    Ok(result)
}

/// A/B users over interleaving users for one run, when both decided.
pub fn users_ratio(decisions: &UsersToDecision) -> Option<f64> {
    match (decisions.ab_test, decisions.interleaving) {
        (Some(ab), Some(il)) => Some(ab.users as f64 / il.users as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_users() {
        let config = RankerComparisonConfig {
            max_users: 50,
            ..RankerComparisonConfig::default()
        };
        let first: Vec<UserResult> = (0..50).map(|u| simulate_user(&config, UserId(u))).collect();
        let again: Vec<UserResult> = (0..50).map(|u| simulate_user(&config, UserId(u))).collect();
        assert_eq!(first, again);
        let other = RankerComparisonConfig {
            seed: Seed(2),
            ..config
        };
        let different: Vec<UserResult> =
            (0..50).map(|u| simulate_user(&other, UserId(u))).collect();
        assert_ne!(first, different);
    }

    #[test]
    fn sessions_show_both_rankers_lists_merged() {
        let config = RankerComparisonConfig::default();
        let sessions = user_sessions(&config, UserId(7));
        assert_eq!(sessions.len(), 3);
        for s in &sessions {
            assert_eq!(s.ranking_a.len(), 10);
            assert_eq!(s.merged.shown.len(), 10);
            assert!(s
                .merged
                .shown
                .iter()
                .all(|x| s.ranking_a.contains(&x.item) || s.ranking_b.contains(&x.item)));
            assert_eq!(s.credit, s.merged.credit(&s.merged_clicks));
        }
    }

    #[test]
    fn welch_z_matches_a_hand_computed_case() {
        let (mut a, mut b) = (ArmClicks::default(), ArmClicks::default());
        for x in [1, 2, 3] {
            a.add(x);
        }
        for x in [3, 4, 5, 6] {
            b.add(x);
        }
        // mean A 2, var 1; mean B 4.5, var 5/3; se^2 = 1/3 + 5/12 = 0.75.
        let z = welch_z(&a, &b).unwrap_or(0.0);
        assert!((z - 2.5 / 0.75f64.sqrt()).abs() < 1e-12, "{z}");
    }

    #[test]
    fn bad_configuration_is_refused_with_the_field_named() {
        let config = RankerComparisonConfig {
            list_length: 0,
            ..RankerComparisonConfig::default()
        };
        assert!(users_to_decision(&config)
            .unwrap_err()
            .contains("list_length"));
        let config = RankerComparisonConfig {
            grade_shares: [0.5; 4],
            ..RankerComparisonConfig::default()
        };
        assert!(users_to_decision(&config)
            .unwrap_err()
            .contains("grade_shares"));
    }
}
