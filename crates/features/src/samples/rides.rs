//! Feast's demo world: drivers, customers and labelled ride requests over two weeks
//! (2024-03-01 to 2024-03-14), built so a naive latest-value join leaks the label.
//!
//! Drivers work short stints (one or two days, a six-hour shift a day), as gig drivers do, so
//! about a hundred are on the road on any day, out of [`DRIVERS`] over the fortnight. Each has
//! a hidden state that drifts hour by hour (an Ornstein-Uhlenbeck walk with a four-hour
//! memory); every quarter hour a ride request may arrive, and the driver accepts it with
//! probability `sigmoid(2 * state)`. The label of a row of `ride_labels` is that acceptance.
//! (Few requests per driver is what makes the leak big: see below.)
//!
//! `driver_hourly_stats` (Feast's demo schema, TTL one day, as in Feast's quickstart) gets a row
//! at the end of every shift hour, stamped with the hour's end, so a ride sees the row of the
//! hour before its own:
//! - `conv_rate`: a noisy reading of the driver's state in that hour (honest, and the main
//!   signal a point-in-time join gives);
//! - `acc_rate`: the driver's acceptances over requests so far, `(accepted + 1) / (requests + 2)`;
//! - `avg_daily_trips`: accepted rides in the trailing 24 hours.
//!
//! The last two are computed from the labels themselves. A driver's last row therefore includes
//! every one of the driver's outcomes, and with about seven requests per driver, each label
//! moves it visibly: a model trained on each driver's latest row (the naive join) scores far
//! better offline than it does on later data, where it only gets what was known at request time.
//!
//! Late corrections: about 3% of the hourly rows are re-issued two to five days later (a
//! backfill after late app events), with the same event time, a later `created` and a
//! recomputed `conv_rate`. The point-in-time join prefers the later `created`; with the created
//! cutoff (Feast's `filter_by_created_timestamp`) a ride only sees what was written by its time.
//!
//! `customer_daily_profile` (TTL two days) gets a row at midnight for each customer who
//! requested a ride the day before (and one on 2024-03-01 for customers who signed up earlier),
//! written by a batch job an hour later, so a customer who has not ridden for two days gets
//! NULL customer features (expired by TTL) while the driver's are present.

use super::{
    at, in_ingestion_order, keyed_row, round_to, Draw, FeatureSample, US_PER_DAY, US_PER_HOUR,
    US_PER_MINUTE,
};
use crate::model::{
    Entity, EntityFrame, FeatureDef, FeatureRepo, FeatureRow, FeatureService, FeatureView,
    ViewRows, ViewSource,
};
use crate::train::sigmoid;
use crate::value::{Dtype, DurationUs, FeatureValue, US_PER_SECOND};
use sim::rng::Seed;
use std::collections::{BTreeMap, BTreeSet};

/// Driver ids over the fortnight: `1001 ..= 1000 + DRIVERS`.
pub const DRIVERS: i64 = 1000;
/// Customer ids: `5001 ..= 5000 + CUSTOMERS`.
pub const CUSTOMERS: i64 = 1500;
/// Days of ride requests.
pub const DAYS: i64 = 14;
/// Days 1 to 10 are for training; days 11 to 14 are "later data", what serving would see.
pub const TRAINING_DAYS: i64 = 10;

/// Hours a shift lasts.
const SHIFT_HOURS: i64 = 6;
/// The state's memory per hour: `e^(-1/4)`, a four-hour time constant.
const STATE_MEMORY: f64 = 0.778_800_783_071_404_9;
/// How strongly the state drives acceptance.
const ACCEPTANCE_SLOPE: f64 = 2.0;
/// The noise of `conv_rate`'s reading of the state.
const CONV_RATE_NOISE: f64 = 0.8;
/// The chance that a ride request arrives in a quarter hour of a shift.
const REQUEST_CHANCE: f64 = 0.2;
/// The chance that an hourly row is corrected later.
const CORRECTION_CHANCE: f64 = 0.03;

/// The first instant of "later data": 2024-03-11T00:00:00Z.
pub fn later_data_from() -> crate::value::TimestampUs {
    at(TRAINING_DAYS * US_PER_DAY)
}

/// The dataset: views `driver_hourly_stats` and `customer_daily_profile`, entity rows
/// `ride_labels`, services `driver_activity` and `ride_model`.
pub fn rides(seed: Seed) -> FeatureSample {
    let world = simulate_drivers(seed);
    let requests = assign_customers(seed, &world.requests);
    let driver_rows = driver_stats_rows(seed, &world.hours);
    let customer_rows = customer_profile_rows(seed, &requests);
    let mut sources = BTreeMap::new();
    sources.insert("driver_hourly_stats".to_string(), driver_rows);
    sources.insert("customer_daily_profile".to_string(), customer_rows);
    let mut entities = BTreeMap::new();
    entities.insert("ride_labels".to_string(), ride_labels(&requests));
    FeatureSample {
        repo: repo(),
        sources,
        entities,
    }
}

/// The definitions, as a Feast `feature_store.py` would declare them.
fn repo() -> FeatureRepo {
    let features = |names: &[(&str, Dtype)]| {
        names
            .iter()
            .map(|(name, dtype)| FeatureDef {
                name: name.to_string(),
                dtype: *dtype,
            })
            .collect()
    };
    let source = |table: &str| ViewSource {
        table: table.to_string(),
        timestamp_field: "event_timestamp".to_string(),
        created_timestamp_column: Some("created".to_string()),
    };
    let driver_features = ["conv_rate", "acc_rate", "avg_daily_trips"];
    let customer_features = [
        "current_balance",
        "avg_passenger_count",
        "lifetime_trip_count",
    ];
    let driver_refs = super::feature_refs("driver_hourly_stats", &driver_features);
    let mut ride_model = driver_refs.clone();
    ride_model.extend(super::feature_refs(
        "customer_daily_profile",
        &customer_features,
    ));
    FeatureRepo {
        entities: vec![
            Entity {
                name: "driver".to_string(),
                join_keys: vec!["driver_id".to_string()],
            },
            Entity {
                name: "customer".to_string(),
                join_keys: vec!["customer_id".to_string()],
            },
        ],
        views: vec![
            FeatureView {
                name: "driver_hourly_stats".to_string(),
                entities: vec!["driver".to_string()],
                ttl: Some(DurationUs(US_PER_DAY)),
                source: source("driver_hourly_stats"),
                features: features(&[
                    ("conv_rate", Dtype::Float64),
                    ("acc_rate", Dtype::Float64),
                    ("avg_daily_trips", Dtype::Int64),
                ]),
            },
            FeatureView {
                name: "customer_daily_profile".to_string(),
                entities: vec!["customer".to_string()],
                ttl: Some(DurationUs(2 * US_PER_DAY)),
                source: source("customer_daily_profile"),
                features: features(&[
                    ("current_balance", Dtype::Float64),
                    ("avg_passenger_count", Dtype::Float64),
                    ("lifetime_trip_count", Dtype::Int64),
                ]),
            },
        ],
        services: vec![
            FeatureService {
                name: "driver_activity".to_string(),
                features: driver_refs,
            },
            FeatureService {
                name: "ride_model".to_string(),
                features: ride_model,
            },
        ],
    }
}

/// A ride request offered to a driver, and whether the driver accepted it.
#[derive(Clone, Debug)]
struct Request {
    at_us: i64,
    driver_id: i64,
    accepted: bool,
}

/// One shift hour of one driver, as the hourly stats job sees it at the hour's end.
struct DriverHour {
    driver_id: i64,
    end_us: i64,
    state: f64,
    acc_rate: f64,
    trips_last_24h: i64,
}

/// The drivers' requests (within the fortnight, in time order) and shift hours.
struct DriverWorld {
    requests: Vec<Request>,
    hours: Vec<DriverHour>,
}

/// Runs every driver's stint: state drift, requests, acceptances.
fn simulate_drivers(seed: Seed) -> DriverWorld {
    let mut draw = Draw::new(seed, "rides/drivers");
    let mut requests = Vec::new();
    let mut hours = Vec::new();
    for driver_id in 1001..=1000 + DRIVERS {
        drive_one_stint(&mut draw, driver_id, &mut requests, &mut hours);
    }
    sim::sort::sort_by_key(&mut requests, |r| (r.at_us, r.driver_id));
    DriverWorld { requests, hours }
}

/// One driver's stint of one or two days (starting as early as the day before the fortnight, so
/// some drivers already have history on the first day).
fn drive_one_stint(
    draw: &mut Draw,
    driver_id: i64,
    requests: &mut Vec<Request>,
    hours: &mut Vec<DriverHour>,
) {
    let first_day = draw.range(-1, DAYS - 1);
    let days = draw.range(1, 2);
    let shift_start_hour = draw.range(6, 14);
    let mut state = draw.normal();
    let noise_scale = (1.0 - STATE_MEMORY * STATE_MEMORY).sqrt();
    let (mut offered, mut accepted) = (0i64, 0i64);
    let mut accepted_at: Vec<i64> = Vec::new();
    for day in first_day..first_day + days {
        for hour in shift_start_hour..shift_start_hour + SHIFT_HOURS {
            let hour_start = day * US_PER_DAY + hour * US_PER_HOUR;
            state = STATE_MEMORY * state + noise_scale * draw.normal();
            for quarter in 0..4 {
                if !draw.chance(REQUEST_CHANCE) {
                    continue;
                }
                let at_us =
                    hour_start + quarter * 15 * US_PER_MINUTE + draw.range(0, 899) * US_PER_SECOND;
                let took = draw.chance(sigmoid(ACCEPTANCE_SLOPE * state));
                offered += 1;
                if took {
                    accepted += 1;
                    accepted_at.push(at_us);
                }
                if (0..DAYS * US_PER_DAY).contains(&at_us) {
                    requests.push(Request {
                        at_us,
                        driver_id,
                        accepted: took,
                    });
                }
            }
            let end_us = hour_start + US_PER_HOUR;
            hours.push(DriverHour {
                driver_id,
                end_us,
                state,
                acc_rate: (accepted + 1) as f64 / (offered + 2) as f64,
                trips_last_24h: accepted_at
                    .iter()
                    .filter(|t| **t > end_us - US_PER_DAY)
                    .count() as i64,
            });
        }
    }
}

/// A reading of the state for `conv_rate`: `sigmoid(state + noise)`, four decimals.
fn conv_rate_reading(draw: &mut Draw, state: f64) -> f64 {
    round_to(sigmoid(state + CONV_RATE_NOISE * draw.normal()), 4)
}

/// The hourly rows and their late corrections, in ingestion (created) order.
fn driver_stats_rows(seed: Seed, hours: &[DriverHour]) -> ViewRows {
    let mut readings = Draw::new(seed, "rides/driver_hourly_stats");
    let mut corrections = Draw::new(seed, "rides/corrections");
    let mut rows = Vec::new();
    for hour in hours {
        let values = |conv_rate: f64| {
            vec![
                FeatureValue::Float(conv_rate),
                FeatureValue::Float(round_to(hour.acc_rate, 4)),
                FeatureValue::Int(hour.trips_last_24h),
            ]
        };
        let conv_rate = conv_rate_reading(&mut readings, hour.state);
        rows.push(keyed_row(
            hour.driver_id,
            hour.end_us,
            hour.end_us,
            values(conv_rate),
        ));
        if corrections.chance(CORRECTION_CHANCE) {
            let created_us = hour.end_us + corrections.range(2 * 24, 5 * 24) * US_PER_HOUR;
            let corrected = conv_rate_reading(&mut corrections, hour.state);
            rows.push(keyed_row(
                hour.driver_id,
                hour.end_us,
                created_us,
                values(corrected),
            ));
        }
    }
    in_ingestion_order(rows)
}

/// A ride request with its customer and ride id.
struct RideRequest {
    ride_id: i64,
    request: Request,
    customer_id: i64,
    passengers: i64,
    fare: f64,
}

/// Gives each request (in time order) a customer, skewed so some customers ride often, and the
/// ride's passengers and fare.
fn assign_customers(seed: Seed, requests: &[Request]) -> Vec<RideRequest> {
    let mut draw = Draw::new(seed, "rides/customers");
    requests
        .iter()
        .enumerate()
        .map(|(i, request)| {
            let skewed = draw
                .range(0, CUSTOMERS - 1)
                .min(draw.range(0, CUSTOMERS - 1));
            RideRequest {
                ride_id: i as i64 + 1,
                request: request.clone(),
                customer_id: 5001 + skewed,
                passengers: [1, 1, 1, 2, 2, 3, 4][draw.range(0, 6) as usize],
                fare: round_to(5.0 + draw.unit() * 35.0, 2),
            }
        })
        .collect()
}

/// A customer's profile as the daily job computes it.
#[derive(Clone)]
struct Profile {
    balance: f64,
    passengers_total: i64,
    trips: i64,
}

impl Profile {
    fn values(&self) -> Vec<FeatureValue> {
        let avg_passengers = if self.trips == 0 {
            FeatureValue::Null
        } else {
            FeatureValue::Float(round_to(
                self.passengers_total as f64 / self.trips as f64,
                2,
            ))
        };
        vec![
            FeatureValue::Float(round_to(self.balance, 2)),
            avg_passengers,
            FeatureValue::Int(self.trips),
        ]
    }

    /// A completed trip: fare paid from the wallet (topped up by 50 when it runs low).
    fn ride(&mut self, ride: &RideRequest) {
        self.trips += 1;
        self.passengers_total += ride.passengers;
        self.balance -= ride.fare;
        if self.balance < 10.0 {
            self.balance += 50.0;
        }
    }
}

/// The daily profile rows: one at midnight after each day a customer requested a ride, and one
/// on the first day for customers who signed up before; each written an hour after its time.
fn customer_profile_rows(seed: Seed, rides: &[RideRequest]) -> ViewRows {
    let mut draw = Draw::new(seed, "rides/customer_daily_profile");
    let mut profiles: BTreeMap<i64, Profile> = BTreeMap::new();
    let mut rows = Vec::new();
    for customer_id in 5001..=5000 + CUSTOMERS {
        let existing = draw.chance(0.6);
        let trips = if existing { draw.range(1, 60) } else { 0 };
        let profile = Profile {
            balance: round_to(10.0 + draw.unit() * 90.0, 2),
            passengers_total: trips + draw.range(0, trips),
            trips,
        };
        if existing {
            rows.push(keyed_row(customer_id, 0, US_PER_HOUR, profile.values()));
        }
        profiles.insert(customer_id, profile);
    }
    let mut day_start = 0;
    let mut active_today: BTreeSet<i64> = BTreeSet::new();
    for ride in rides {
        while ride.request.at_us >= day_start + US_PER_DAY {
            day_start += US_PER_DAY;
            write_profiles(&mut rows, &profiles, &mut active_today, day_start);
        }
        active_today.insert(ride.customer_id);
        if ride.request.accepted {
            if let Some(profile) = profiles.get_mut(&ride.customer_id) {
                profile.ride(ride);
            }
        }
    }
    write_profiles(
        &mut rows,
        &profiles,
        &mut active_today,
        day_start + US_PER_DAY,
    );
    in_ingestion_order(rows)
}

/// The midnight batch: a row for each customer active the day before `midnight_us`.
fn write_profiles(
    rows: &mut Vec<FeatureRow>,
    profiles: &BTreeMap<i64, Profile>,
    active: &mut BTreeSet<i64>,
    midnight_us: i64,
) {
    for customer_id in active.iter() {
        if let Some(profile) = profiles.get(customer_id) {
            rows.push(keyed_row(
                *customer_id,
                midnight_us,
                midnight_us + US_PER_HOUR,
                profile.values(),
            ));
        }
    }
    active.clear();
}

/// The entity rows: `ride_labels(ride_id, driver_id, customer_id, event_timestamp, label)`.
fn ride_labels(rides: &[RideRequest]) -> EntityFrame {
    EntityFrame {
        columns: [
            "ride_id",
            "driver_id",
            "customer_id",
            "event_timestamp",
            "label",
        ]
        .map(String::from)
        .to_vec(),
        rows: rides
            .iter()
            .map(|ride| {
                vec![
                    FeatureValue::Int(ride.ride_id),
                    FeatureValue::Int(ride.request.driver_id),
                    FeatureValue::Int(ride.customer_id),
                    FeatureValue::Timestamp(at(ride.request.at_us)),
                    FeatureValue::Int(i64::from(ride.request.accepted)),
                ]
            })
            .collect(),
        timestamp_column: 3,
    }
}
