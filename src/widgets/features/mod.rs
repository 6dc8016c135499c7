//! The feature store's widgets: the definitions and the request, the timeline of one key, the
//! training set with its NULL reasons, the model's AUC, the online store and the skew report.
//!
//! The training set and the timeline share the entity row the learner picked ([`PickedRow`],
//! provided per lab session by [`SelectionProvider`]); the helpers below read entity rows, keys
//! and times the same way for every widget.

pub mod definitions;
pub mod model_chart;
pub mod online_store;
pub mod skew;
pub mod timeline;
pub mod training_set;

use crate::store::LabAction;
use lab::features::model::{EntityFrame, FeatureRepo};
use lab::features::store::command::FeatureCommand;
use lab::features::value::{FeatureValue, KeyTuple, TimestampUs};
use lab::state::Command;
use yew::prelude::*;

/// An entity row the learner picked: which frame, and which row of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickedRow {
    pub frame: String,
    pub row: usize,
}

/// The picked row, shared by the widgets of one lab (`None`: nothing picked yet).
pub type Selection = UseStateHandle<Option<PickedRow>>;

#[derive(Properties, PartialEq)]
pub struct SelectionProviderProps {
    #[prop_or_default]
    pub children: Children,
}

/// Gives the widgets inside one [`Selection`], so a row clicked in the training set is the row
/// the timeline shows.
#[component]
pub fn SelectionProvider(props: &SelectionProviderProps) -> Html {
    let picked: Selection = use_state(|| None);
    html! {
        <ContextProvider<Selection> context={picked}>{ props.children.clone() }</ContextProvider<Selection>>
    }
}

/// The shared selection, or this widget's own when no [`SelectionProvider`] is above it.
#[hook]
pub fn use_selection() -> Selection {
    let own: Selection = use_state(|| None);
    use_context::<Selection>().unwrap_or(own)
}

/// The row picked in `frame`, if it is still one of its rows.
pub fn picked_in(selection: &Selection, frame: &str, rows: usize) -> Option<usize> {
    selection
        .as_ref()
        .filter(|picked| picked.frame == frame && picked.row < rows)
        .map(|picked| picked.row)
}

/// A callback that sends a feature-store command.
pub fn send(session: &crate::store::LabHandle, command: FeatureCommand) -> Callback<MouseEvent> {
    let session = session.clone();
    Callback::from(move |_: MouseEvent| {
        session.dispatch(LabAction::Command(Command::Features(command.clone())))
    })
}

/// An entity row's time (NULL or not a timestamp: none).
pub fn row_time(frame: &EntityFrame, row: usize) -> Option<TimestampUs> {
    match frame.rows.get(row)?.get(frame.timestamp_column)? {
        FeatureValue::Timestamp(ts) => Some(*ts),
        _ => None,
    }
}

/// The frame's columns holding a view's join keys, in join-key order (none if one is missing).
pub fn key_columns(repo: &FeatureRepo, frame: &EntityFrame, view: &str) -> Option<Vec<usize>> {
    let definition = repo.view(view).ok()?;
    repo.join_keys(definition)
        .ok()?
        .iter()
        .map(|key| frame.columns.iter().position(|c| c == key))
        .collect()
}

/// The key tuple an entity row has in the given columns.
pub fn row_key(frame: &EntityFrame, row: usize, columns: &[usize]) -> KeyTuple {
    KeyTuple(
        columns
            .iter()
            .map(|&c| {
                frame
                    .rows
                    .get(row)
                    .and_then(|r| r.get(c))
                    .cloned()
                    .unwrap_or(FeatureValue::Null)
            })
            .collect(),
    )
}

/// A key tuple as a learner reads it: `1001`, or `1001, 7` for a compound key.
pub fn key_text(key: &KeyTuple) -> String {
    key.0
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A time as a short label: `Mar 5, 10:15` (seconds shown only when not zero). The year is
/// left out: every sample lives in March 2024, and the full time is in each label's title.
pub fn short_time(ts: TimestampUs) -> String {
    let full = ts.format();
    // "2024-03-05 10:15:02[.ffffff]": month, day, hour:minute, seconds.
    let part = |range: std::ops::Range<usize>| full.get(range).unwrap_or("");
    let month = part(5..7)
        .parse::<usize>()
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
        .copied()
        .unwrap_or("?");
    let day = part(8..10).trim_start_matches('0');
    let seconds = part(17..19);
    let clock = if seconds == "00" || seconds.is_empty() {
        part(11..16).to_string()
    } else {
        part(11..19).to_string()
    };
    format!("{month} {day}, {clock}")
}

/// A day at midnight as its date (`Mar 11`), any other time as [`short_time`].
pub fn short_day(ts: TimestampUs) -> String {
    let text = short_time(ts);
    match text.strip_suffix(", 00:00") {
        Some(day) => day.to_string(),
        None => text,
    }
}

/// A value for a table cell: floats with at most four decimals, times short.
pub fn value_text(value: &FeatureValue) -> String {
    match value {
        FeatureValue::Float(x) => {
            let text = format!("{x:.4}");
            let trimmed = text.trim_end_matches('0').trim_end_matches('.');
            trimmed.to_string()
        }
        FeatureValue::Timestamp(ts) => short_time(*ts),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_times_drop_the_year_and_zero_seconds() {
        let ts = TimestampUs::parse("2024-03-05 10:15:00").unwrap();
        assert_eq!(short_time(ts), "Mar 5, 10:15");
        let ts = TimestampUs::parse("2024-03-11 00:00:02").unwrap();
        assert_eq!(short_time(ts), "Mar 11, 00:00:02");
        assert_eq!(short_day(ts), "Mar 11, 00:00:02");
        let midnight = TimestampUs::parse("2024-03-11").unwrap();
        assert_eq!(short_day(midnight), "Mar 11");
    }

    #[test]
    fn floats_show_at_most_four_decimals() {
        assert_eq!(value_text(&FeatureValue::Float(0.123_456)), "0.1235");
        assert_eq!(value_text(&FeatureValue::Float(2.5)), "2.5");
        assert_eq!(value_text(&FeatureValue::Float(3.0)), "3");
        assert_eq!(value_text(&FeatureValue::Int(7)), "7");
    }
}
