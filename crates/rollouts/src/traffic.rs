//! Who sends requests, and how many: a fixed population of users with stable ids, some carrying
//! headers or cookies, sending requests as a Poisson process.
//!
//! In a tick of `dt` ms the number of requests is Poisson with mean `rps * dt / 1000` (arrivals
//! independent of each other at a constant rate), and each request comes from a user drawn
//! uniformly from the population. The population is fixed by the seed: the same user id carries
//! the same headers on every request, so a header or cookie route sends a given user to the same
//! version every time, while weighted routing decides per request as a mesh does.

use crate::sampling::poisson;
use crate::value::{DurationMs, UserId};
use sim::rng::Rng;

/// The header that marks a beta tester (a share of the population carries it).
pub const BETA_HEADER: &str = "x-beta";

/// The highest request rate the lab simulates (higher asks are capped: a tick must stay cheap).
pub const MAX_REQUESTS_PER_SECOND: f64 = 10_000.0;

/// A rate within 0..=MAX_REQUESTS_PER_SECOND (a NaN is 0).
fn capped_rate(requests_per_second: f64) -> f64 {
    if requests_per_second.is_nan() {
        return 0.0;
    }
    requests_per_second.clamp(0.0, MAX_REQUESTS_PER_SECOND)
}

/// How the traffic is made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrafficConfig {
    /// Mean requests per second of lab time.
    pub requests_per_second: f64,
    /// Number of distinct users.
    pub users: u32,
    /// Percent of users carrying `x-beta: true`.
    pub beta_users_percent: u8,
}

impl Default for TrafficConfig {
    fn default() -> TrafficConfig {
        TrafficConfig {
            requests_per_second: 100.0,
            users: 1_000,
            beta_users_percent: 5,
        }
    }
}

/// A user and the headers each of their requests carries (names lowercase, sorted by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub headers: Vec<(String, String)>,
}

impl User {
    /// The value of header `name` (lowercase), if this user sends it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// Sets a header, replacing an earlier value.
    fn set_header(&mut self, name: &str, value: String) {
        match self.headers.iter_mut().find(|(header, _)| header == name) {
            Some(slot) => slot.1 = value,
            None => {
                self.headers.push((name.to_string(), value));
                sim::sort::sort(&mut self.headers);
            }
        }
    }

    /// Adds `name=value` to the user's `cookie` header (as a browser joins cookies, with "; "),
    /// replacing an earlier cookie of that name.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        let mut cookies: Vec<String> = self
            .header("cookie")
            .map(|jar| {
                jar.split("; ")
                    .filter(|c| c.split('=').next() != Some(name))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        cookies.push(format!("{name}={value}"));
        self.set_header("cookie", cookies.join("; "));
    }
}

/// The fixed population and the arrival process.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub config: TrafficConfig,
    users: Vec<User>,
    rng: Rng,
}

impl Traffic {
    /// The population drawn from `root.fork("rollouts/traffic/users")`; arrivals and user picks
    /// from `root.fork("rollouts/traffic/arrivals")`.
    pub fn new(mut config: TrafficConfig, root: &Rng) -> Traffic {
        config.requests_per_second = capped_rate(config.requests_per_second);
        let mut population_rng = root.fork("rollouts/traffic/users");
        let users = (0..u64::from(config.users.max(1)))
            .map(|n| {
                let mut user = User {
                    id: UserId(n + 1),
                    headers: Vec::new(),
                };
                if population_rng.below(100) < u64::from(config.beta_users_percent) {
                    user.set_header(BETA_HEADER, "true".to_string());
                }
                user
            })
            .collect();
        Traffic {
            config,
            users,
            rng: root.fork("rollouts/traffic/arrivals"),
        }
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The user with this id, if in the population.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.index_of(id).map(|index| &self.users[index])
    }

    fn index_of(&self, id: UserId) -> Option<usize> {
        let index = usize::try_from(id.0.checked_sub(1)?).ok()?;
        (index < self.users.len()).then_some(index)
    }

    /// Sets a cookie on a user (the lab's "opt me into the canary"); `Err` names the valid ids.
    pub fn set_cookie(&mut self, id: UserId, name: &str, value: &str) -> Result<(), String> {
        let count = self.users.len();
        let index = self.index_of(id).ok_or_else(|| {
            format!(
                "there is no user {}: the population's ids run from 1 to {count}",
                id.0
            )
        })?;
        self.users[index].set_cookie(name, value);
        Ok(())
    }

    /// Changes the request rate from now on (capped at [`MAX_REQUESTS_PER_SECOND`]).
    pub fn set_requests_per_second(&mut self, requests_per_second: f64) {
        self.config.requests_per_second = capped_rate(requests_per_second);
    }

    /// The users who send a request in the next `dt`, in arrival order.
    pub fn arrivals(&mut self, dt: DurationMs) -> Vec<UserId> {
        let mean = self.config.requests_per_second * dt.0 as f64 / 1000.0;
        let count = poisson(&mut self.rng, mean);
        let population = self.users.len() as u64;
        (0..count)
            .map(|_| self.users[self.rng.below(population) as usize].id)
            .collect()
    }

    /// The arrival stream's state, for the world's fingerprint.
    pub fn rng_words(&self) -> [u64; 4] {
        self.rng.state_words()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn cookies_join_and_replace() {
        let mut user = User {
            id: UserId(1),
            headers: Vec::new(),
        };
        user.set_cookie("canary", "always");
        user.set_cookie("session", "abc");
        user.set_cookie("canary", "never");
        assert_eq!(user.header("cookie"), Some("session=abc; canary=never"));
    }

    #[test]
    fn beta_share_is_near_its_percent_and_ids_are_stable() {
        let root = Rng::new(Seed(11));
        let traffic = Traffic::new(TrafficConfig::default(), &root);
        let beta = traffic
            .users()
            .iter()
            .filter(|u| u.header(BETA_HEADER) == Some("true"))
            .count();
        // Binomial(1000, 0.05): mean 50, sd 6.9; five sd either side.
        assert!((16..=84).contains(&beta), "{beta}");
        assert_eq!(traffic, Traffic::new(TrafficConfig::default(), &root));
        let mut traffic = Traffic::new(TrafficConfig::default(), &root);
        assert!(traffic.set_cookie(UserId(0), "canary", "always").is_err());
        traffic.set_requests_per_second(f64::NAN);
        assert_eq!(traffic.config.requests_per_second, 0.0);
        traffic.set_requests_per_second(1e12);
        assert_eq!(traffic.config.requests_per_second, MAX_REQUESTS_PER_SECOND);
    }
}
