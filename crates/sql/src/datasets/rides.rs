//! `rides`, `drivers` and `customers`: a ride-hailing service over the first quarter of 2024, for
//! joins (every ride names a driver and a customer; a few customers never ride, some drivers sign
//! up during the quarter) and for point-in-time lessons (`signed_up` dates, `requested_at` and
//! `completed_at` timestamps; a ride only ever goes to a driver who had signed up by then).
//!
//! - `rides(ride_id, driver_id, customer_id, requested_at, completed_at, fare, city, status)`:
//!   ride ids in request order; rush hours busier; status `completed` or `cancelled` (about 9%);
//!   a cancelled ride has no `completed_at` and a NULL fare, or a 5.00 cancellation fee.
//!   Customers are skewed (a few ride a lot) and mostly ride in their own city.
//! - `drivers(driver_id, name, city, signed_up, rating)`: `rating` 3.5 to 5.0, NULL for drivers
//!   who signed up in March 2024 (not rated yet).
//! - `customers(customer_id, name, city, signed_up)`.

use super::gen::{at, cents, column, day, ids, nullable, pool, table, Gen};
use crate::column::{Column, ColumnData::*, Table};
use sim::rng::Seed;
use std::rc::Rc;

const CITIES: [&str; 6] = ["Amsterdam", "Berlin", "Lisbon", "Madrid", "Paris", "Warsaw"];
const CITY_WEIGHTS: [u32; 6] = [15, 25, 10, 15, 25, 10];
/// Base fare and price per minute, in cents, by city.
const CITY_PRICES: [(i64, i64); 6] = [
    (350, 45),
    (300, 40),
    (250, 30),
    (280, 35),
    (400, 50),
    (220, 28),
];
/// Requests per hour of day, relative (rush hours at 8 and 18).
const HOUR_WEIGHTS: [u32; 24] = [
    3, 2, 1, 1, 1, 2, 5, 12, 16, 10, 7, 7, 8, 7, 7, 8, 10, 14, 16, 12, 9, 8, 6, 4,
];

/// The three tables, by name.
pub(super) struct Rides {
    pub rides: Table,
    pub drivers: Table,
    pub customers: Table,
}

struct Person {
    city: usize,
    signed_up: i32,
}

/// `n` people spread over the cities, signed up between `from` and 2024-03-20, except that
/// `recent_percent` of them signed up during the quarter.
fn people(g: &mut Gen, n: usize, from: i32, recent_percent: u32) -> Vec<Person> {
    let (quarter_start, to) = (day(2024, 1, 1), day(2024, 3, 20));
    (0..n)
        .map(|i| {
            // The first person of each city signs up on the first day, so every city has one.
            if i < CITIES.len() {
                return Person {
                    city: i,
                    signed_up: from,
                };
            }
            let since = if g.percent(recent_percent) {
                quarter_start
            } else {
                from
            };
            Person {
                city: g.weighted(&CITY_WEIGHTS),
                signed_up: g.range(i64::from(since), i64::from(to)) as i32,
            }
        })
        .collect()
}

/// The columns every person has: id, name, city and sign-up date.
fn people_columns(
    g: &mut Gen,
    id: &'static str,
    people: &[Person],
    cities: &[Rc<str>],
) -> Vec<(&'static str, Column)> {
    vec![
        (id, ids(people.len())),
        ("name", column(people.iter().map(|_| g.person_name()), Text)),
        (
            "city",
            column(people.iter().map(|p| cities[p.city].clone()), Text),
        ),
        (
            "signed_up",
            column(people.iter().map(|p| p.signed_up), Date),
        ),
    ]
}

/// The ride tables with `rows` rides.
pub(super) fn rides(seed: Seed, rows: usize) -> Rides {
    let mut g = Gen::new(seed, "rides");
    let cities = pool(&CITIES);
    let (quarter_start, quarter_end) = (day(2024, 1, 1), day(2024, 3, 31));
    let drivers = people(&mut g, (rows / 40).max(12), day(2019, 1, 1), 12);
    let customers = people(&mut g, (rows / 8).max(30), day(2020, 1, 1), 10);
    let mut drivers_by_city: Vec<Vec<usize>> = vec![Vec::new(); CITIES.len()];
    for (i, d) in drivers.iter().enumerate() {
        drivers_by_city[d.city].push(i);
    }
    // Customers by activity: a shuffled order, drawn with a skew.
    let mut by_activity: Vec<usize> = (0..customers.len()).collect();
    g.shuffle(&mut by_activity);

    struct Ride {
        driver: usize,
        customer: usize,
        requested_at: i64,
        completed_at: Option<i64>,
        fare: Option<f64>,
        city: usize,
    }
    let mut list = Vec::with_capacity(rows);
    for _ in 0..rows {
        let customer = by_activity[g.skewed(customers.len())];
        let c = &customers[customer];
        let city = if g.percent(92) {
            c.city
        } else {
            g.weighted(&CITY_WEIGHTS)
        };
        let first_day = c.signed_up.max(quarter_start);
        let today = g.range(i64::from(first_day), i64::from(quarter_end)) as i32;
        let seconds = g.weighted(&HOUR_WEIGHTS) as i64 * 3600 + g.range(0, 3599);
        let requested_at = at(today, seconds);
        let candidates = &drivers_by_city[city];
        let driver = (0..8)
            .map(|_| candidates[g.below(candidates.len())])
            .find(|d| drivers[*d].signed_up <= today)
            .unwrap_or(candidates[0]);
        let rush = matches!(seconds / 3600, 7..=9 | 17..=19);
        let (completed_at, fare) = if g.percent(if rush { 12 } else { 8 }) {
            (None, g.percent(30).then_some(5.0))
        } else {
            let wait = g.range(120, 900);
            let minutes = g.range(5, 55);
            let (base, per_minute) = CITY_PRICES[city];
            let surge = if rush { 125 } else { 100 };
            let price = (base + per_minute * minutes) * surge / 100 + g.range(0, 99);
            let done = requested_at + (wait + minutes * 60 + g.range(0, 59)) * 1_000_000;
            (Some(done), Some(cents(price)))
        };
        list.push(Ride {
            driver,
            customer,
            requested_at,
            completed_at,
            fare,
            city,
        });
    }
    sim::sort::sort_by_key(&mut list, |r| r.requested_at);
    let statuses = pool(&["completed", "cancelled"]);
    let rides = table(vec![
        ("ride_id", ids(list.len())),
        (
            "driver_id",
            column(list.iter().map(|r| r.driver as i64 + 1), BigInt),
        ),
        (
            "customer_id",
            column(list.iter().map(|r| r.customer as i64 + 1), BigInt),
        ),
        (
            "requested_at",
            column(list.iter().map(|r| r.requested_at), Timestamp),
        ),
        (
            "completed_at",
            nullable(list.iter().map(|r| r.completed_at), Timestamp),
        ),
        ("fare", nullable(list.iter().map(|r| r.fare), Double)),
        (
            "city",
            column(list.iter().map(|r| cities[r.city].clone()), Text),
        ),
        (
            "status",
            column(
                list.iter()
                    .map(|r| statuses[usize::from(r.completed_at.is_none())].clone()),
                Text,
            ),
        ),
    ]);
    let rated_until = day(2024, 3, 1);
    let ratings = drivers
        .iter()
        .map(|d| (d.signed_up <= rated_until).then(|| g.range(35, 50) as f64 / 10.0))
        .collect::<Vec<_>>();
    let mut driver_columns = people_columns(&mut g, "driver_id", &drivers, &cities);
    driver_columns.push(("rating", nullable(ratings, Double)));
    let customer_columns = people_columns(&mut g, "customer_id", &customers, &cities);
    Rides {
        rides,
        drivers: table(driver_columns),
        customers: table(customer_columns),
    }
}
