//! Team-draft interleaving's guarantees, checked on random inputs, and the A/B comparison on
//! simulated users.
//!
//! - In every prefix of a merged list the two teams' sizes differ by at most one, every shown item
//!   appears once and comes from its team's ranking, and each pick is that team's highest unshown
//!   item (Radlinski, Kurup and Joachims 2008).
//! - No bias: under clicks that ignore the items (position-biased, random), A wins as often as B
//!   over 100,000 simulated impressions; the same harness flags the bias of a draft where A always
//!   picks first.
//! - On the same simulated users, interleaving decides for the better ranker with fewer users than
//!   an A/B test on clicks per user.

use std::collections::BTreeSet;

use experiments::draws::bernoulli;
use experiments::interleaving::comparison::{
    users_ratio, users_to_decision, RankerComparisonConfig,
};
use experiments::interleaving::credit::{Credit, OutcomeTally};
use experiments::interleaving::team_draft::{team_draft, Interleaved, ItemId, Team};
use proptest::prelude::*;
use sim::rng::{Rng, Seed};

fn ids(raw: &[u32]) -> Vec<ItemId> {
    raw.iter().map(|&i| ItemId(i)).collect()
}

/// The highest item of `ranking` not in `shown`.
fn best_unshown(ranking: &[ItemId], shown: &BTreeSet<ItemId>) -> Option<ItemId> {
    ranking.iter().find(|i| !shown.contains(i)).copied()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn team_draft_keeps_its_invariants(
        a in prop::collection::vec(0u32..25, 0..20),
        b in prop::collection::vec(0u32..25, 0..20),
        length in 0usize..25,
        seed in any::<u64>(),
    ) {
        let (ranking_a, ranking_b) = (ids(&a), ids(&b));
        let merged = team_draft(&ranking_a, &ranking_b, length, &mut Rng::new(Seed(seed)));
        prop_assert!(merged.shown.len() <= length);
        let (mut size_a, mut size_b) = (0i64, 0i64);
        let mut shown = BTreeSet::new();
        for s in &merged.shown {
            // The pick is the team's highest item not yet shown.
            let own = if s.team == Team::A { &ranking_a } else { &ranking_b };
            prop_assert_eq!(best_unshown(own, &shown), Some(s.item));
            prop_assert!(shown.insert(s.item), "item shown twice");
            match s.team {
                Team::A => size_a += 1,
                Team::B => size_b += 1,
            }
            prop_assert!((size_a - size_b).abs() <= 1, "prefix sizes {} and {}", size_a, size_b);
        }
        // It stops only when full or when a ranking has nothing left to show.
        let exhausted = best_unshown(&ranking_a, &shown).is_none() || best_unshown(&ranking_b, &shown).is_none();
        prop_assert!(merged.shown.len() == length || exhausted);
    }
}

/// A random ranking of `take` items out of `catalog`.
fn random_ranking(catalog: u32, take: usize, rng: &mut Rng) -> Vec<ItemId> {
    let mut items: Vec<ItemId> = (0..catalog).map(ItemId).collect();
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    items.truncate(take);
    items
}

/// Clicks that depend only on position: 35 % at the top, falling by a fifth per position.
fn position_biased_random_clicks(shown: usize, rng: &mut Rng) -> Vec<bool> {
    (0..shown)
        .map(|p| bernoulli(rng, 0.35 * 0.8f64.powi(p as i32)))
        .collect()
}

/// The same merged items with teams alternating A, B, A, ...: a draft where A always picks first.
fn a_always_first(merged: &Interleaved) -> Interleaved {
    let mut fixed = merged.clone();
    for (i, s) in fixed.shown.iter_mut().enumerate() {
        s.team = if i % 2 == 0 { Team::A } else { Team::B };
    }
    fixed
}

const IMPRESSIONS: u32 = 100_000;
/// Allowed distance of A's win share from 1/2: about five standard errors for ~60,000 decided
/// impressions (0.5 / sqrt(60,000) = 0.002).
const NO_BIAS_TOLERANCE: f64 = 0.01;

#[test]
fn random_clicks_favour_neither_team() {
    let mut rng = Rng::new(Seed(2024));
    let (mut fair, mut biased) = (OutcomeTally::default(), OutcomeTally::default());
    for _ in 0..IMPRESSIONS {
        let ranking_a = random_ranking(20, 10, &mut rng);
        let ranking_b = random_ranking(20, 10, &mut rng);
        let merged = team_draft(&ranking_a, &ranking_b, 10, &mut rng);
        let clicks = position_biased_random_clicks(merged.shown.len(), &mut rng);
        fair.add(merged.credit(&clicks).outcome());
        let skewed: Credit = a_always_first(&merged).credit(&clicks);
        biased.add(skewed.outcome());
    }
    let share = fair.a_win_share().unwrap_or(0.0);
    eprintln!(
        "team draft: A wins {share:.4} of {} decided impressions",
        fair.a_wins + fair.b_wins
    );
    assert!(
        (share - 0.5).abs() < NO_BIAS_TOLERANCE,
        "A-win share {share}"
    );
    // The harness can see a bias when there is one: A first in every round wins far more often.
    let skewed_share = biased.a_win_share().unwrap_or(0.0);
    eprintln!("A always first: A wins {skewed_share:.4}");
    assert!(
        skewed_share > 0.5 + 3.0 * NO_BIAS_TOLERANCE,
        "{skewed_share}"
    );
}

#[test]
fn identical_rankers_tie_on_average_even_with_relevance_clicks() {
    // Both rankers equal: every item is drafted by A or B with equal chance at each position.
    let mut rng = Rng::new(Seed(77));
    let mut tally = OutcomeTally::default();
    for _ in 0..20_000 {
        let ranking = random_ranking(15, 10, &mut rng);
        let merged = team_draft(&ranking, &ranking, 10, &mut rng);
        let clicks: Vec<bool> = merged
            .shown
            .iter()
            .enumerate()
            .map(|(p, s)| {
                bernoulli(
                    &mut rng,
                    (0.1 + 0.04 * f64::from(s.item.0 % 5)) * 0.85f64.powi(p as i32),
                )
            })
            .collect();
        tally.add(merged.credit(&clicks).outcome());
    }
    let share = tally.a_win_share().unwrap_or(0.0);
    assert!((share - 0.5).abs() < 0.02, "{share}");
}

#[test]
fn interleaving_decides_with_fewer_users_than_ab_on_the_same_users() {
    let mut ratios = Vec::new();
    for seed in 1..=4 {
        let config = RankerComparisonConfig {
            seed: Seed(seed),
            ..RankerComparisonConfig::default()
        };
        let decisions = users_to_decision(&config).unwrap_or_else(|e| panic!("{e}"));
        let (Some(ab), Some(il)) = (decisions.ab_test, decisions.interleaving) else {
            panic!(
                "seed {seed}: a design did not decide within {} users: {decisions:?}",
                config.max_users
            );
        };
        eprintln!(
            "seed {seed}: A/B decided after {} users, interleaving after {}",
            ab.users, il.users
        );
        assert_eq!((ab.winner, il.winner), (Team::B, Team::B), "seed {seed}");
        ratios.push(users_ratio(&decisions).unwrap_or(0.0));
    }
    ratios.sort_by(f64::total_cmp);
    let median = (ratios[1] + ratios[2]) / 2.0;
    eprintln!("A/B needs {median:.1}x the users interleaving needs (median of {ratios:?})");
    assert!(median > 3.0, "{ratios:?}");
    // Same seed, same decisions.
    let config = RankerComparisonConfig {
        seed: Seed(1),
        ..RankerComparisonConfig::default()
    };
    assert_eq!(users_to_decision(&config), users_to_decision(&config));
}
