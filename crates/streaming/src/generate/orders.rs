//! Raw order events for the medallion pipeline's bronze table, with the defects a real feed has.
//!
//! Each order is a JSON payload `{"order_id", "user", "amount", "status", "ts"}` written at its
//! event time. A share of them (`defect_permille`) carries exactly one defect, drawn uniformly:
//! no user, a negative amount, a status outside `paid`/`refunded`, an amount sent as text, or a
//! payload cut off mid-write (not JSON at all). A share (`duplicate_permille`) is delivered twice,
//! byte for byte, as an at-least-once producer does. The defect of every record is returned with
//! it, so a test or a lesson knows what each expectation should catch.

use super::permille;
use crate::value::{DurationUs, StreamError, TimeUs};
use sim::rng::Rng;

/// The defect an order was generated with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderDefect {
    None,
    MissingUser,
    NegativeAmount,
    UnknownStatus,
    /// `"amount": "12.50"`: a string where a number belongs.
    AmountAsText,
    /// The payload was cut off: not JSON.
    Truncated,
}

const DEFECTS: [OrderDefect; 5] = [
    OrderDefect::MissingUser,
    OrderDefect::NegativeAmount,
    OrderDefect::UnknownStatus,
    OrderDefect::AmountAsText,
    OrderDefect::Truncated,
];

/// The feed's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrdersConfig {
    pub orders: u32,
    pub users: u32,
    pub start: TimeUs,
    /// Event time between orders.
    pub gap: DurationUs,
    pub defect_permille: u16,
    pub duplicate_permille: u16,
}

/// One bronze record as generated: its payload and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BronzeOrder {
    pub arrival: TimeUs,
    pub payload: String,
    pub defect: OrderDefect,
    /// The second delivery of the previous record.
    pub duplicate: bool,
}

/// Draws the feed from `rng`'s fork `generate/orders`, in arrival order.
pub fn bronze_orders(config: &OrdersConfig, rng: &Rng) -> Result<Vec<BronzeOrder>, StreamError> {
    if config.users == 0 {
        return Err(StreamError::new(
            "an order feed needs users",
            "set users to 1 or more",
        ));
    }
    if config.gap.0 < 0 {
        return Err(StreamError::new(
            "the gap between orders is negative",
            "give a gap of zero or more",
        ));
    }
    permille("the defect rate", config.defect_permille)?;
    permille("the duplicate rate", config.duplicate_permille)?;
    let mut rng = rng.fork("generate/orders");
    let mut out = Vec::new();
    for id in 0..i64::from(config.orders) {
        let ts = config
            .start
            .plus(DurationUs(config.gap.0.saturating_mul(id)));
        let defect = if rng.chance_permille(config.defect_permille) {
            DEFECTS[rng.below(DEFECTS.len() as u64) as usize]
        } else {
            OrderDefect::None
        };
        let user = rng.below(u64::from(config.users));
        let cents = 100 + rng.below(20_000) as i64;
        let refunded = rng.chance_permille(100);
        let record = BronzeOrder {
            arrival: ts,
            payload: payload(id, user, cents, refunded, ts, defect),
            defect,
            duplicate: false,
        };
        if rng.chance_permille(config.duplicate_permille) {
            out.push(record.clone());
            out.push(BronzeOrder {
                duplicate: true,
                ..record
            });
        } else {
            out.push(record);
        }
    }
    Ok(out)
}

/// The JSON payload of one order, with its defect.
fn payload(
    id: i64,
    user: u64,
    cents: i64,
    refunded: bool,
    ts: TimeUs,
    defect: OrderDefect,
) -> String {
    let user_field = match defect {
        OrderDefect::MissingUser => String::new(),
        _ => format!(r#""user": "u{user}", "#),
    };
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    let amount_field = match defect {
        OrderDefect::NegativeAmount => format!("-{amount}"),
        OrderDefect::AmountAsText => format!(r#""{amount}""#),
        _ => amount,
    };
    let status = match defect {
        OrderDefect::UnknownStatus => "pending?",
        _ if refunded => "refunded",
        _ => "paid",
    };
    let json = format!(
        r#"{{"order_id": {id}, {user_field}"amount": {amount_field}, "status": "{status}", "ts": "{}"}}"#,
        ts.format()
    );
    if defect == OrderDefect::Truncated {
        json[..json.len() / 2].to_string()
    } else {
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn config() -> OrdersConfig {
        OrdersConfig {
            orders: 2000,
            users: 50,
            start: TimeUs(0),
            gap: DurationUs::from_seconds(1),
            defect_permille: 100,
            duplicate_permille: 50,
        }
    }

    #[test]
    fn every_defect_appears_and_clean_payloads_are_json_objects() {
        let orders = bronze_orders(&config(), &Rng::new(Seed(1))).unwrap();
        for defect in DEFECTS {
            assert!(orders.iter().any(|o| o.defect == defect), "{defect:?}");
        }
        for order in orders.iter().filter(|o| o.defect != OrderDefect::Truncated) {
            let parsed: serde_json::Value = serde_json::from_str(&order.payload).unwrap();
            assert!(parsed.is_object());
            assert_eq!(
                parsed.get("user").is_none(),
                order.defect == OrderDefect::MissingUser
            );
        }
        let truncated = orders
            .iter()
            .find(|o| o.defect == OrderDefect::Truncated)
            .unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&truncated.payload).is_err());
    }

    #[test]
    fn a_duplicate_repeats_the_record_before_it_byte_for_byte() {
        let orders = bronze_orders(&config(), &Rng::new(Seed(1))).unwrap();
        let duplicates = orders.iter().filter(|o| o.duplicate).count();
        assert!((50..=160).contains(&duplicates), "{duplicates}");
        for pair in orders.windows(2).filter(|pair| pair[1].duplicate) {
            assert_eq!(pair[0].payload, pair[1].payload);
        }
        assert_eq!(
            orders,
            bronze_orders(&config(), &Rng::new(Seed(1))).unwrap()
        );
    }

    #[test]
    fn impossible_feeds_are_refused() {
        let mut no_users = config();
        no_users.users = 0;
        assert!(bronze_orders(&no_users, &Rng::new(Seed(1))).is_err());
        let mut bad_rate = config();
        bad_rate.defect_permille = 2000;
        assert!(bronze_orders(&bad_rate, &Rng::new(Seed(1))).is_err());
    }
}
