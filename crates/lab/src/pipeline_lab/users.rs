//! The pipeline's users: a seeded population, each with a latent intent (browsing or buying) that
//! follows a two-state Markov chain with one step per second. Buying users click far more often;
//! a buying session ends with a purchase (a `checkout` click with an amount), which is the outcome
//! the models predict. Every user asks for a prediction about once a second.
//!
//! The numbers are chosen so that a fifth of the users buy at any moment (so "nobody buys", the
//! base rate, is right about 80% of the time) and a user's intent lasts long enough (a minute
//! buying, four minutes browsing on average) for a feature computed over the last ten seconds to
//! predict it, but not so long that a feature a minute old still does.

use features::train::exp_portable;
use sim::rng::Rng;
use sim::state_hash::StateHasher;

/// Users in the population, `u01` to `u40`.
pub const USERS: usize = 40;
/// Chance per second, in millionths, that a browsing user starts buying (one in 240).
pub const BUY_START_PPM_PER_SECOND: u64 = 4_167;
/// Chance per second, in millionths, that a buying session ends with a purchase (one in 60).
pub const BUY_END_PPM_PER_SECOND: u64 = 16_667;
/// Mean clicks per tick (100 ms) of a buying user, in thousandths (3 per second).
pub const BUYING_CLICKS_PER_TICK_MILLI: u32 = 300;
/// Mean clicks per tick of a browsing user, in thousandths (0.5 per second).
pub const BROWSING_CLICKS_PER_TICK_MILLI: u32 = 50;
/// Chance per tick that a user asks for a prediction (once a second on average).
pub const REQUEST_PERMILLE_PER_TICK: u16 = 100;
/// Ticks per second of the lab's clock.
pub const TICKS_PER_SECOND: u64 = 10;

/// A user's number, 0-based (`u01` is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserIndex(pub u8);

impl UserIndex {
    /// `u01` ... `u40`.
    pub fn name(self) -> String {
        format!("u{:02}", u32::from(self.0) + 1)
    }

    /// The partition of the clicks topic a user's clicks go to (the key's partition).
    pub fn partition(self, partitions: u32) -> u32 {
        u32::from(self.0) % partitions
    }
}

/// A click the population makes within a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserClick {
    pub user: UserIndex,
    pub page: &'static str,
    pub amount: i64,
    /// Microseconds after the tick's start.
    pub offset_us: i64,
}

/// What the population did in one tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserTick {
    pub clicks: Vec<UserClick>,
    /// Users whose buying session ended with a purchase this tick.
    pub purchases: Vec<UserIndex>,
    /// Users asking for a prediction this tick.
    pub requests: Vec<UserIndex>,
}

/// The population and its random stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Users {
    rng: Rng,
    buying: Vec<bool>,
}

/// A uniform number in [0, 1) from 53 random bits.
fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A Poisson draw by inversion (small means only); `zero` is the chance of none, `e^-mean`.
fn poisson(rng: &mut Rng, mean_milli: u32, zero: f64) -> u32 {
    let mean = f64::from(mean_milli) / 1000.0;
    let u = uniform(rng);
    let mut p = zero;
    let mut cumulative = p;
    let mut k = 0;
    while u > cumulative && k < 50 {
        k += 1;
        p *= mean / f64::from(k);
        cumulative += p;
    }
    k
}

impl Users {
    /// Every user starts in the chain's stationary mix: a fifth buying.
    pub fn new(mut rng: Rng) -> Users {
        let buying = (0..USERS).map(|_| rng.below(1_000) < 200).collect();
        Users { rng, buying }
    }

    pub fn is_buying(&self, user: UserIndex) -> bool {
        self.buying
            .get(usize::from(user.0))
            .copied()
            .unwrap_or(false)
    }

    pub fn buying_count(&self) -> usize {
        self.buying.iter().filter(|b| **b).count()
    }

    /// One tick of the population: on the second, intents move; then clicks and requests.
    pub fn tick(&mut self, tick: u64) -> UserTick {
        let mut out = UserTick::default();
        if tick.is_multiple_of(TICKS_PER_SECOND) {
            for i in 0..USERS {
                let user = UserIndex(i as u8);
                let buying = self.buying[i];
                let flip = self.rng.below(1_000_000)
                    < if buying {
                        BUY_END_PPM_PER_SECOND
                    } else {
                        BUY_START_PPM_PER_SECOND
                    };
                if flip {
                    self.buying[i] = !buying;
                    if buying {
                        out.purchases.push(user);
                        out.clicks.push(UserClick {
                            user,
                            page: "checkout",
                            amount: 20 + self.rng.below(180) as i64,
                            offset_us: self.rng.below(100_000) as i64,
                        });
                    }
                }
            }
        }
        let none = |mean_milli: u32| exp_portable(-f64::from(mean_milli) / 1000.0);
        let (buying_none, browsing_none) = (
            none(BUYING_CLICKS_PER_TICK_MILLI),
            none(BROWSING_CLICKS_PER_TICK_MILLI),
        );
        for i in 0..USERS {
            let user = UserIndex(i as u8);
            let buying = self.buying[i];
            let (mean, zero) = if buying {
                (BUYING_CLICKS_PER_TICK_MILLI, buying_none)
            } else {
                (BROWSING_CLICKS_PER_TICK_MILLI, browsing_none)
            };
            for _ in 0..poisson(&mut self.rng, mean, zero) {
                let pages: [&'static str; 2] = if buying {
                    ["product", "cart"]
                } else {
                    ["home", "search"]
                };
                out.clicks.push(UserClick {
                    user,
                    page: pages[self.rng.below(2) as usize],
                    amount: 0,
                    offset_us: self.rng.below(100_000) as i64,
                });
            }
            if self.rng.chance_permille(REQUEST_PERMILLE_PER_TICK) {
                out.requests.push(user);
            }
        }
        out
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        for word in self.rng.state_words() {
            hasher.u64(word);
        }
        for b in &self.buying {
            hasher.u64(u64::from(*b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn about_a_fifth_buy_and_buyers_click_more() {
        let mut users = Users::new(Rng::new(Seed(7)));
        let (mut buying_ticks, mut ticks) = (0usize, 0usize);
        let (mut clicks, mut requests) = (0usize, 0usize);
        for tick in 0..20_000 {
            let out = users.tick(tick);
            buying_ticks += users.buying_count();
            ticks += USERS;
            clicks += out.clicks.len();
            requests += out.requests.len();
        }
        let share = buying_ticks as f64 / ticks as f64;
        assert!((0.12..0.28).contains(&share), "buying share {share}");
        // 40 users: about 40 clicks and 40 requests a second.
        let per_second = |n: usize| n as f64 / 2_000.0;
        assert!((25.0..60.0).contains(&per_second(clicks)), "{clicks}");
        assert!((35.0..45.0).contains(&per_second(requests)), "{requests}");
    }

    #[test]
    fn poisson_has_its_mean() {
        let mut rng = Rng::new(Seed(3));
        let zero = exp_portable(-0.3);
        let total: u32 = (0..10_000).map(|_| poisson(&mut rng, 300, zero)).sum();
        assert!((2_800..3_200).contains(&total), "{total}");
    }
}
