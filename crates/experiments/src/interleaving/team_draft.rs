//! Team-draft interleaving (Radlinski, Kurup and Joachims, "How does clickthrough data reflect
//! retrieval quality?", CIKM 2008): two rankers' lists merged into one result list, as two captains
//! pick players for their teams.
//!
//! Each round a fair coin decides which ranker picks first; each then adds its highest-ranked item
//! not already shown, and the item is tagged with that ranker's team. Whichever team is smaller
//! always picks next, so the team sizes differ by at most one in every prefix of the list, and the
//! coin makes each ranker equally likely to take any position: random clicks credit neither
//! ranker. As in the paper, merging stops when the list is full or either ranking has no unshown
//! item left.

use std::collections::BTreeSet;

use sim::rng::Rng;

/// One item of a catalogue, as both rankers name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u32);

/// The ranker an item was drafted for: A (the current ranker, say) or B (the challenger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Team {
    A,
    B,
}

impl Team {
    /// "A" or "B", for tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Team::A => "A",
            Team::B => "B",
        }
    }
}

/// One position of the merged list: the item and the team that drafted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShownItem {
    pub item: ItemId,
    pub team: Team,
}

/// The merged list shown to a user, top first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interleaved {
    pub shown: Vec<ShownItem>,
}

impl Interleaved {
    /// How many shown items each team drafted, as (A, B).
    pub fn team_sizes(&self) -> (usize, usize) {
        let a = self.shown.iter().filter(|s| s.team == Team::A).count();
        (a, self.shown.len() - a)
    }
}

/// A ranking being drafted from: the position of its highest item not yet shown.
struct DraftCursor<'a> {
    ranking: &'a [ItemId],
    next: usize,
}

impl DraftCursor<'_> {
    /// The highest-ranked item not in `shown`, skipping past everything already taken.
    fn best_unshown(&mut self, shown: &BTreeSet<ItemId>) -> Option<ItemId> {
        while let Some(item) = self.ranking.get(self.next) {
            if !shown.contains(item) {
                return Some(*item);
            }
            self.next += 1;
        }
        None
    }
}

/// Merges `ranking_a` and `ranking_b` (best first) into at most `length` items by team draft,
/// flipping the seeded coin whenever the teams are the same size.
pub fn team_draft(
    ranking_a: &[ItemId],
    ranking_b: &[ItemId],
    length: usize,
    rng: &mut Rng,
) -> Interleaved {
    let mut cursor_a = DraftCursor {
        ranking: ranking_a,
        next: 0,
    };
    let mut cursor_b = DraftCursor {
        ranking: ranking_b,
        next: 0,
    };
    let mut shown_set = BTreeSet::new();
    let mut merged = Interleaved::default();
    let (mut size_a, mut size_b) = (0usize, 0usize);
    while merged.shown.len() < length {
        let (Some(best_a), Some(best_b)) = (
            cursor_a.best_unshown(&shown_set),
            cursor_b.best_unshown(&shown_set),
        ) else {
            break;
        };
        let a_picks = size_a < size_b || (size_a == size_b && rng.below(2) == 0);
        let (item, team) = if a_picks {
            size_a += 1;
            (best_a, Team::A)
        } else {
            size_b += 1;
            (best_b, Team::B)
        };
        shown_set.insert(item);
        merged.shown.push(ShownItem { item, team });
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn ids(raw: &[u32]) -> Vec<ItemId> {
        raw.iter().map(|&i| ItemId(i)).collect()
    }

    #[test]
    fn identical_rankings_give_that_ranking() {
        let ranking = ids(&[5, 3, 9, 1]);
        let merged = team_draft(&ranking, &ranking, 10, &mut Rng::new(Seed(1)));
        let items: Vec<ItemId> = merged.shown.iter().map(|s| s.item).collect();
        assert_eq!(items, ranking);
        assert_eq!(merged.team_sizes(), (2, 2));
    }

    #[test]
    fn each_team_takes_its_own_best_unshown_item() {
        // A = [1, 2, 3, 5], B = [2, 1, 4, 6]. In round one each takes its own top (1 and 2, in the
        // coin's order); in round two A's best unshown item is 3 and B's is 4.
        for seed in 0..20 {
            let merged = team_draft(
                &ids(&[1, 2, 3, 5]),
                &ids(&[2, 1, 4, 6]),
                4,
                &mut Rng::new(Seed(seed)),
            );
            let first = merged.shown[0];
            let second = merged.shown[1];
            match first.team {
                Team::A => assert_eq!(
                    (first.item, second),
                    (
                        ItemId(1),
                        ShownItem {
                            item: ItemId(2),
                            team: Team::B
                        }
                    )
                ),
                Team::B => assert_eq!(
                    (first.item, second),
                    (
                        ItemId(2),
                        ShownItem {
                            item: ItemId(1),
                            team: Team::A
                        }
                    )
                ),
            }
            assert_eq!(merged.shown.len(), 4);
            let rest: BTreeSet<ItemId> = merged.shown[2..].iter().map(|s| s.item).collect();
            assert_eq!(rest, ids(&[3, 4]).into_iter().collect());
        }
    }

    #[test]
    fn stops_when_either_ranking_runs_out() {
        let merged = team_draft(&ids(&[1]), &ids(&[2, 3, 4]), 10, &mut Rng::new(Seed(3)));
        assert_eq!(merged.shown.len(), 2);
        assert_eq!(merged.team_sizes(), (1, 1));
        assert!(team_draft(&[], &ids(&[1]), 5, &mut Rng::new(Seed(3)))
            .shown
            .is_empty());
    }

    #[test]
    fn the_coin_decides_who_picks_first() {
        let mut rng = Rng::new(Seed(9));
        let a_first = (0..2000)
            .filter(|_| {
                team_draft(&ids(&[1, 2]), &ids(&[3, 4]), 2, &mut rng).shown[0].team == Team::A
            })
            .count();
        assert!((900..1100).contains(&a_first), "{a_first}");
    }
}
