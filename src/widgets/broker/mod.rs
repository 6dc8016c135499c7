//! Widgets of the broker lab. They read the cluster from the lab session (the state at the tick on
//! screen) and dispatch [`lab::broker::cluster::BrokerCommand`]s.

pub mod broker_node;
pub mod cluster_view;
pub mod compare;
pub mod controller_view;
pub mod deliveries;
pub mod groups_panel;
pub mod lag_chart;
pub mod lag_track;
pub mod ledger_view;
pub mod overview;
pub mod presets_panel;
pub mod producer_panel;
pub mod replicas;
pub mod replication_chart;
pub mod topic_config;
pub mod transaction_panel;

use crate::store::{LabAction, LabHandle};
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::state::Command;
use yew::prelude::*;

/// Dispatches a broker command to the session.
pub fn send(session: &LabHandle, command: BrokerCommand) {
    session.dispatch(LabAction::Command(Command::Broker(command)));
}

/// Renders `body` with the cluster, or a note when this lab has none.
pub fn with_cluster(session: &LabHandle, body: impl FnOnce(&Cluster) -> Html) -> Html {
    match session.view.cluster() {
        Some(cluster) => body(cluster),
        None => html! { <p class="muted">{ "This lab has no Kafka cluster." }</p> },
    }
}

/// How many partitions `broker` leads.
pub fn leader_count(cluster: &Cluster, broker: lab::broker::BrokerId) -> usize {
    cluster
        .topics()
        .values()
        .flat_map(|t| t.partitions().iter())
        .filter(|p| p.leader() == Some(broker))
        .count()
}

/// Parses a whole number typed in a field, within `min..=max`, or says why not.
pub fn parse_number(text: &str, what: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("{what} must be from {min} to {max}")),
        Err(_) if text.trim().starts_with('-') => Err(format!("{what} cannot be negative")),
        Err(_) => Err(format!("{what} must be a whole number")),
    }
}

/// A field that may be left empty (meaning "none"), else a number in range.
pub fn parse_optional_number(
    text: &str,
    what: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_number(text, what, min, max).map(Some)
    }
}

/// A stable colour class for a record key (eight hues; null keys are grey).
pub fn key_class(key: Option<&[u8]>) -> &'static str {
    const CLASSES: [&str; 8] = [
        "src-0", "src-1", "src-2", "src-3", "src-4", "src-5", "src-6", "src-7",
    ];
    match key {
        None => "key-null",
        Some(k) => CLASSES[(lab::state_hash::fnv1a64(k) % 8) as usize],
    }
}

/// Bytes as text for display (lossy UTF-8), or "null".
pub fn show_bytes(bytes: Option<&[u8]>) -> String {
    bytes.map_or_else(
        || "null".to_string(),
        |b| String::from_utf8_lossy(b).into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_with_a_reason() {
        assert_eq!(parse_number(" 12 ", "partitions", 1, 64), Ok(12));
        assert!(parse_number("0", "partitions", 1, 64)
            .unwrap_err()
            .contains("from 1 to 64"));
        assert!(parse_number("-3", "rate", 0, 10)
            .unwrap_err()
            .contains("negative"));
        assert!(parse_number("x", "rate", 0, 10)
            .unwrap_err()
            .contains("whole number"));
        assert_eq!(parse_optional_number("", "retention", 1, 10), Ok(None));
        assert_eq!(key_class(None), "key-null");
        assert_eq!(key_class(Some(b"a")), key_class(Some(b"a")));
    }
}
