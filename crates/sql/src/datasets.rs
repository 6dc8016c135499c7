//! The SQL lab's sample tables, generated from a seed with the core's PRNG: the same seed gives
//! the same tables, natively and in the browser. Issue 5 suggested shipping them in `static/` as
//! CSV or a compact binary; generating them here instead means nothing to download, one source of
//! truth for the lab, the CLI and the benchmarks, and any size on demand.
//!
//! Three datasets, seven tables (each module says what it models):
//! - `push_events`: the "pv/uv by event type and experiment bucket" log.
//! - `rides`: `rides`, `drivers`, `customers`, for joins and point-in-time questions.
//! - `shop`: `users`, `orders`, `events`, for window functions (running totals, lag, the first
//!   callback per request).
//!
//! [`web_logs`] (page views with a hot page, pages, visitors and a text corpus) is not among the
//! sample tables: the distributed execution lab adds it with [`web_logs::add_to`].
//!
//! [`Size::Small`] (5,000 rows per fact table) starts the lab fast; [`Size::Large`] (200,000)
//! is for performance lessons; [`Size::Rows`] sets the fact tables' row count for benchmarks.
//! Dimension tables scale with it (one customer per 8 rides, one driver per 40, one user per 6
//! orders and per 10 push events).

pub mod bench;
mod gen;
mod push_events;
mod rides;
mod shop;
pub mod web_logs;

use super::column::Table;
use super::session::Session;
use sim::rng::Seed;

/// The seed the lab's sample tables are generated from.
pub const SAMPLE_SEED: Seed = Seed(20_240_601);

/// The largest fact table [`Size::Rows`] builds.
pub const FACT_ROWS_MAX: usize = 5_000_000;

/// The names of the sample tables, in the order [`samples`] returns them.
pub const SAMPLE_TABLES: [&str; 7] = [
    "push_events",
    "rides",
    "drivers",
    "customers",
    "users",
    "orders",
    "events",
];

/// How big the fact tables (`push_events`, `rides`, `orders`; `events` follows `orders`) are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Size {
    /// 5,000 rows: the lab's default, generated in milliseconds.
    #[default]
    Small,
    /// 200,000 rows, for performance lessons.
    Large,
    /// This many rows (at least 1, at most [`FACT_ROWS_MAX`]).
    Rows(usize),
}

impl Size {
    /// Rows per fact table.
    pub fn fact_rows(self) -> usize {
        match self {
            Size::Small => 5_000,
            Size::Large => 200_000,
            Size::Rows(n) => n.clamp(1, FACT_ROWS_MAX),
        }
    }
}

/// Every sample table generated from `seed`, by name (in [`SAMPLE_TABLES`] order).
pub fn samples(seed: Seed, size: Size) -> Vec<(&'static str, Table)> {
    let rows = size.fact_rows();
    let rides::Rides {
        rides,
        drivers,
        customers,
    } = rides::rides(seed, rows);
    let shop::Shop {
        users,
        orders,
        events,
    } = shop::shop(seed, rows);
    vec![
        ("push_events", push_events::push_events(seed, rows)),
        ("rides", rides),
        ("drivers", drivers),
        ("customers", customers),
        ("users", users),
        ("orders", orders),
        ("events", events),
    ]
}

/// Adds every sample table (from [`SAMPLE_SEED`]) to `session` as a read-only sample.
pub fn load_samples(session: &mut Session, size: Size) {
    load_samples_seeded(session, SAMPLE_SEED, size);
}

/// Adds every sample table generated from `seed` to `session`.
pub fn load_samples_seeded(session: &mut Session, seed: Seed, size: Size) {
    for (name, table) in samples(seed, size) {
        session.add_sample(name, table);
    }
}

#[cfg(test)]
mod tests;
