//! `users`, `orders` and `events`: a web shop and its payment provider's callbacks, for window
//! functions: running totals and `lag` over a user's orders, ranks within a country, and
//! "keep the first callback per request" with `row_number() OVER (PARTITION BY request_id ORDER
//! BY occurred_at)`.
//!
//! - `users(user_id, name, country, signup_date)`: `country` an ISO code, NULL for a few users.
//! - `orders(order_id, user_id, ordered_at, amount, status)`: ids in order time; users skewed
//!   (some order often); status `paid`, `refunded`, `cancelled` (the payment failed) or `pending`
//!   (no callback yet).
//! - `events(event_id, user_id, request_id, event_type, occurred_at)`: one payment request per
//!   order that is not pending, answered by `payment_succeeded` or `payment_failed`, and one
//!   refund request per refunded order (`refund_succeeded`, days later). About a third of the
//!   callbacks are delivered more than once: the same `request_id` and `event_type` again, each
//!   retry strictly later, so the first callback per request is well defined. Event ids follow
//!   arrival (`occurred_at`) order.

use super::gen::{at, cents, column, day, ids, nullable, pool, table, Gen};
use crate::column::{ColumnData::*, Table};
use sim::rng::Seed;
use std::rc::Rc;

const COUNTRIES: [&str; 8] = ["DE", "FR", "NL", "PL", "ES", "IT", "GB", "US"];
const COUNTRY_WEIGHTS: [u32; 8] = [22, 16, 10, 10, 12, 10, 10, 10];
const STATUSES: [&str; 4] = ["paid", "refunded", "cancelled", "pending"];
const STATUS_WEIGHTS: [u32; 4] = [80, 6, 8, 6];
/// How many times a callback is delivered: once, twice, three or four times.
const DELIVERY_WEIGHTS: [u32; 4] = [66, 24, 7, 3];

/// The three tables.
pub(super) struct Shop {
    pub users: Table,
    pub orders: Table,
    pub events: Table,
}

struct Order {
    user: usize,
    ordered_at: i64,
    amount: f64,
    status: usize,
}

struct Event {
    user: usize,
    request: u64,
    kind: usize,
    occurred_at: i64,
}

/// The shop tables with `rows` orders.
pub(super) fn shop(seed: Seed, rows: usize) -> Shop {
    let mut g = Gen::new(seed, "shop");
    let (first_signup, last_day) = (day(2022, 1, 1), day(2024, 6, 30));
    let n_users = (rows / 6).max(30);
    let signups: Vec<i32> = (0..n_users)
        .map(|_| g.range(i64::from(first_signup), i64::from(day(2024, 5, 31))) as i32)
        .collect();
    let mut by_activity: Vec<usize> = (0..n_users).collect();
    g.shuffle(&mut by_activity);

    let mut orders: Vec<Order> = (0..rows)
        .map(|_| {
            let user = by_activity[g.skewed(n_users)];
            let today = g.range(i64::from(signups[user]), i64::from(last_day)) as i32;
            let u = g.unit();
            Order {
                user,
                ordered_at: at(today, g.range(6 * 3600, 24 * 3600 - 1)),
                amount: cents(500 + (u * u * 30_000.0) as i64 + g.range(0, 99)),
                status: g.weighted(&STATUS_WEIGHTS),
            }
        })
        .collect();
    sim::sort::sort_by_key(&mut orders, |o| o.ordered_at);

    let mut events = Vec::with_capacity(rows * 3 / 2);
    let mut request = 0u64;
    for order in &orders {
        let mut callback = |g: &mut Gen, kind: usize, first_at: i64| {
            request += 1;
            let mut occurred_at = first_at;
            for _ in 0..=g.weighted(&DELIVERY_WEIGHTS) {
                events.push(Event {
                    user: order.user,
                    request,
                    kind,
                    occurred_at,
                });
                occurred_at += g.range(30, 600) * 1_000_000;
            }
        };
        let paid_at = order.ordered_at + g.range(1, 120) * 1_000_000;
        match STATUSES[order.status] {
            "paid" => callback(&mut g, 0, paid_at),
            "cancelled" => callback(&mut g, 1, paid_at),
            "refunded" => {
                callback(&mut g, 0, paid_at);
                let later = g.range(86_400, 14 * 86_400) * 1_000_000;
                callback(&mut g, 2, paid_at + later);
            }
            _ => {}
        }
    }
    sim::sort::sort_by_key(&mut events, |e| e.occurred_at);

    let countries = pool(&COUNTRIES);
    let statuses = pool(&STATUSES);
    let kinds = pool(&["payment_succeeded", "payment_failed", "refund_succeeded"]);
    let country =
        |g: &mut Gen| (!g.percent(3)).then(|| g.pick_weighted(&countries, &COUNTRY_WEIGHTS));
    let users = table(vec![
        ("user_id", ids(n_users)),
        ("name", column((0..n_users).map(|_| g.person_name()), Text)),
        (
            "country",
            nullable((0..n_users).map(|_| country(&mut g)), Text),
        ),
        ("signup_date", column(signups, Date)),
    ]);
    let order_table = table(vec![
        ("order_id", ids(orders.len())),
        (
            "user_id",
            column(orders.iter().map(|o| o.user as i64 + 1), BigInt),
        ),
        (
            "ordered_at",
            column(orders.iter().map(|o| o.ordered_at), Timestamp),
        ),
        ("amount", column(orders.iter().map(|o| o.amount), Double)),
        (
            "status",
            column(orders.iter().map(|o| statuses[o.status].clone()), Text),
        ),
    ]);
    let request_id = |e: &Event| Rc::from(format!("req-{:07}", e.request));
    let event_table = table(vec![
        ("event_id", ids(events.len())),
        (
            "user_id",
            column(events.iter().map(|e| e.user as i64 + 1), BigInt),
        ),
        ("request_id", column(events.iter().map(request_id), Text)),
        (
            "event_type",
            column(events.iter().map(|e| kinds[e.kind].clone()), Text),
        ),
        (
            "occurred_at",
            column(events.iter().map(|e| e.occurred_at), Timestamp),
        ),
    ]);
    Shop {
        users,
        orders: order_table,
        events: event_table,
    }
}
