//! The training set the current choices build, as the table `get_historical_features` returns
//! (the entity columns, then the features), fifty rows at a time. Every NULL says why it is NULL
//! (the join's [`NullReason`], explained in its title); every value the entity row could not have
//! known is marked: red "from the future" (its source row happened after the entity row: only
//! the naive join does that), amber "written later" (a late correction, used unless the
//! created-time cutoff is on). Above the table, the counts lesson goals are written in; a filter
//! keeps only rows with a NULL or a leak. Clicking a row shows it on the timeline. A request the
//! join refuses (a join key the entity rows lack) is an error panel with the hint, and a button
//! per feature service these entity rows can be joined with.

use super::{key_columns, picked_in, row_time, send, short_time, value_text, PickedRow};
use lab::features::historical::{Leak, NullReason, TrainingSet, ViewMatch};
use lab::features::model::{EntityFrame, FeatureError};
use lab::features::store::command::FeatureCommand;
use lab::features::store::derived::Counts;
use lab::features::store::FeatureStore;
use lab::features::value::{FeatureValue, TimestampUs};
use lab::sim::text::group_thousands;
use yew::prelude::*;

/// Rows shown per page.
pub const PAGE_ROWS: usize = 50;

/// Which rows the table lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowFilter {
    All,
    WithNull,
    WithLeak,
}

impl RowFilter {
    const ALL: [RowFilter; 3] = [RowFilter::All, RowFilter::WithNull, RowFilter::WithLeak];

    fn label(self) -> &'static str {
        match self {
            RowFilter::All => "All rows",
            RowFilter::WithNull => "Rows with a NULL",
            RowFilter::WithLeak => "Rows with a leak",
        }
    }

    fn name(self) -> &'static str {
        match self {
            RowFilter::All => "all",
            RowFilter::WithNull => "null",
            RowFilter::WithLeak => "leak",
        }
    }

    fn keeps(self, matches: &[ViewMatch], at: Option<TimestampUs>) -> bool {
        match self {
            RowFilter::All => true,
            RowFilter::WithNull => matches.iter().any(|m| matches!(m, ViewMatch::Missing(_))),
            RowFilter::WithLeak => matches.iter().any(|m| m.leak(at).is_some()),
        }
    }
}

/// The CSS class of a NULL reason's chip.
fn null_class(reason: NullReason) -> &'static str {
    match reason {
        NullReason::NullKey | NullReason::NullTimestamp => "fs-null-input",
        NullReason::NoSuchKey => "fs-null-nokey",
        NullReason::NothingBefore => "fs-null-before",
        NullReason::ExpiredByTtl => "fs-null-expired",
        NullReason::NotKnownYet => "fs-null-unknown",
    }
}

/// The counts above the table, from the store's derived counts.
fn counts_bar(counts: &Counts) -> Html {
    let fact = |label: &str, value: u64, class: &str, title: &str| {
        html! {
            <div class={classes!("fs-fact", class.to_string(), (value == 0).then_some("zero"))} title={title.to_string()}>
                <dt>{ label.to_string() }</dt><dd>{ group_thousands(value) }</dd>
            </div>
        }
    };
    let null = |reason: NullReason, value: u64| {
        fact(reason.label(), value, null_class(reason), reason.explain())
    };
    html! {
        <dl class="fs-counts" aria-label="training set counts">
            { fact("rows", counts.rows, "fs-count-rows", "entity rows, one output row each") }
            { fact("from the future", counts.future_values, "fs-count-future", "values (row × view) taken from a source row that happened after the entity row") }
            { fact("written later", counts.unknown_yet_values, "fs-count-late", "values (row × view) from a row written after the entity row's time: a late correction") }
            { null(NullReason::NoSuchKey, counts.null_no_key) }
            { null(NullReason::NothingBefore, counts.null_nothing_before) }
            { null(NullReason::ExpiredByTtl, counts.null_expired) }
            { null(NullReason::NotKnownYet, counts.null_not_known_yet) }
        </dl>
    }
}

/// One feature cell: the value with its leak mark, or the NULL with its reason.
fn feature_cell(
    column: &str,
    value: &FeatureValue,
    found: Option<&ViewMatch>,
    at: Option<TimestampUs>,
) -> Html {
    match found {
        Some(ViewMatch::Missing(reason)) => html! {
            <td class="fs-cell fs-cell-null" data-column={column.to_string()}>
                <span class={classes!("fs-null", null_class(*reason))} title={reason.explain()}>{ reason.label() }</span>
            </td>
        },
        Some(
            m @ ViewMatch::Matched {
                event_ts,
                created_ts,
                ..
            },
        ) => {
            let at_text = at.map_or_else(String::new, short_time);
            let mark = match m.leak(at) {
                Some(Leak::FromFuture) => html! {
                    <span class="fs-mark fs-future" title={format!("This value's source row happened at {}, after this entity row's time ({at_text}): it was not known then.", short_time(*event_ts))}>{ "from the future" }</span>
                },
                Some(Leak::WrittenLater) => html! {
                    <span class="fs-mark fs-late" title={format!("This value's row was written at {}, after this entity row's time ({at_text}): a late correction nobody could read then.", created_ts.map_or_else(String::new, short_time))}>{ "written later" }</span>
                },
                None => html! {},
            };
            html! {
                <td class={if value.is_null() { "fs-cell fs-cell-nullvalue" } else { "fs-cell" }} data-column={column.to_string()}>
                    <span class="fs-value">{ value_text(value) }</span>{ mark }
                </td>
            }
        }
        None => {
            html! { <td class="fs-cell" data-column={column.to_string()}>{ value_text(value) }</td> }
        }
    }
}

/// Small marks beside a row's number, so a row's leak or NULL shows even when its feature
/// columns are scrolled out of sight (on a phone).
fn row_flags(matches: &[ViewMatch], at: Option<TimestampUs>) -> Html {
    let has = |leak: Leak| matches.iter().any(|m| m.leak(at) == Some(leak));
    let null = matches.iter().any(|m| matches!(m, ViewMatch::Missing(_)));
    html! {
        <>
            if has(Leak::FromFuture) { <span class="fs-flag fs-flag-future" title="a value from the future">{ "●" }</span> }
            if has(Leak::WrittenLater) { <span class="fs-flag fs-flag-late" title="a value written later">{ "●" }</span> }
            if null { <span class="fs-flag fs-flag-null" title="a NULL">{ "○" }</span> }
        </>
    }
}

/// Services whose every view can be joined with these entity rows (their join keys are columns).
fn joinable_services<'a>(
    store: &'a FeatureStore,
    frame: &EntityFrame,
) -> Vec<&'a lab::features::model::FeatureService> {
    store
        .repo()
        .services
        .iter()
        .filter(|service| {
            service
                .features
                .iter()
                .all(|f| key_columns(store.repo(), frame, &f.view).is_some())
        })
        .collect()
}

fn error_panel(
    session: &crate::store::LabHandle,
    store: &FeatureStore,
    error: &FeatureError,
) -> Html {
    let fixes = store
        .current_frame()
        .ok()
        .map(|frame| joinable_services(store, frame))
        .unwrap_or_default();
    html! {
        <div class="fs-error" role="alert">
            <p><strong>{ "The join refused this request: " }</strong><span class="fs-error-message">{ error.message.clone() }</span></p>
            <p class="fs-hint">{ format!("Hint: {}.", error.hint.trim_end_matches('.')) }</p>
            if !fixes.is_empty() {
                <p class="fs-buttons">
                    <span class="small muted">{ format!("Feature services {} can be joined with: ", store.entity_frame_name()) }</span>
                    { for fixes.iter().map(|service| html! {
                        <button class="fs-fix" data-service={service.name.clone()}
                            onclick={send(session, FeatureCommand::Request { features: service.features.clone() })}>
                            { format!("Request {}", service.name) }
                        </button>
                    }) }
                </p>
            }
        </div>
    }
}

/// The table of a page of rows (`rows`: indexes into the training set). A row's button and the
/// row itself pick it: the button's click bubbles to the row.
fn table(
    set: &TrainingSet,
    frame: &EntityFrame,
    feature_views: &[Option<usize>],
    rows: &[usize],
    picked: Option<usize>,
    on_pick: &Callback<usize>,
) -> Html {
    let entity_columns = frame.columns.len();
    let head = set.columns.iter().enumerate().map(|(c, column)| {
        let title = column
            .dtype
            .map_or_else(String::new, |d| d.name().to_string());
        let class = (c >= entity_columns).then_some("fs-feature-col");
        html! { <th scope="col" class={classes!(class)} title={title}>{ column.name.clone() }</th> }
    });
    let body = rows.iter().map(|&r| {
        let at = row_time(frame, r);
        let values = &set.rows[r];
        let matches = &set.matches[r];
        let pick = {
            let on_pick = on_pick.clone();
            Callback::from(move |_: MouseEvent| on_pick.emit(r))
        };
        let cells = values.iter().enumerate().map(|(c, value)| {
            let name = &set.columns[c].name;
            if c < entity_columns {
                let text = match (c == frame.timestamp_column, value) {
                    (true, FeatureValue::Timestamp(ts)) => short_time(*ts),
                    _ => value_text(value),
                };
                html! { <td data-column={name.clone()}>{ text }</td> }
            } else {
                let found = feature_views.get(c - entity_columns).copied().flatten().and_then(|v| matches.get(v));
                feature_cell(name, value, found, at)
            }
        });
        html! {
            <tr class={if picked == Some(r) { "fs-trow selected" } else { "fs-trow" }} data-row={r.to_string()} onclick={pick}>
                <td class="fs-row-pick">
                    <button class="link-button" aria-label={format!("Show row {} on the timeline", r + 1)}>{ format!("#{}", r + 1) }</button>
                    { row_flags(matches, at) }
                </td>
                { for cells }
            </tr>
        }
    });
    html! {
        <div class="table-scroll fs-table-scroll">
            <table class="members fs-table">
                <thead><tr><th scope="col"><span class="visually-hidden">{ "row" }</span></th>{ for head }</tr></thead>
                <tbody>{ for body }</tbody>
            </table>
        </div>
    }
}

#[component]
pub fn TrainingSetView() -> Html {
    let session = super::super::use_lab();
    let selection = super::use_selection();
    let filter = use_state(|| RowFilter::All);
    let page = use_state(|| 0usize);
    let Some(store) = session.view.features() else {
        return html! { <p class="muted">{ "This lab has no feature store." }</p> };
    };
    let derived = store.derived();
    let set = match &derived.training {
        Ok(set) => set,
        Err(e) => return error_panel(&session, store, e),
    };
    let Some(frame) = store.current_frame().ok() else {
        return html! {};
    };
    let frame_name = store.entity_frame_name().to_string();
    // Feature column j comes from requested feature j's view.
    let feature_views: Vec<Option<usize>> = store
        .requested()
        .iter()
        .map(|f| set.views.iter().position(|v| *v == f.view))
        .collect();
    let kept: Vec<usize> = (0..set.rows.len())
        .filter(|&r| filter.keeps(&set.matches[r], row_time(frame, r)))
        .collect();
    let pages = kept.len().div_ceil(PAGE_ROWS).max(1);
    let current = (*page).min(pages - 1);
    let shown: Vec<usize> = kept
        .iter()
        .skip(current * PAGE_ROWS)
        .take(PAGE_ROWS)
        .copied()
        .collect();
    let picked = picked_in(&selection, &frame_name, set.rows.len());
    let on_pick = {
        let selection = selection.clone();
        let frame_name = frame_name.clone();
        Callback::from(move |row: usize| {
            selection.set(Some(PickedRow {
                frame: frame_name.clone(),
                row,
            }))
        })
    };
    let filters = RowFilter::ALL.into_iter().map(|f| {
        let onclick = {
            let (filter, page) = (filter.clone(), page.clone());
            Callback::from(move |_: MouseEvent| {
                filter.set(f);
                page.set(0);
            })
        };
        html! { <button class="fs-filter" data-filter={f.name()} aria-pressed={(*filter == f).to_string()} onclick={onclick}>{ f.label() }</button> }
    });
    let go = |to: usize| {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| page.set(to))
    };
    let first = current * PAGE_ROWS;
    html! {
        <div class="fs-training">
            { counts_bar(&derived.counts) }
            <div class="fs-buttons fs-filters" role="group" aria-label="which rows to list">{ for filters }</div>
            if kept.is_empty() {
                <p class="muted fs-empty">{ "No row matches this filter." }</p>
            } else {
                { table(set, frame, &feature_views, &shown, picked, &on_pick) }
                <div class="fs-pager">
                    <button class="small-button fs-prev" disabled={current == 0} onclick={go(current.saturating_sub(1))}>{ "Previous 50" }</button>
                    <span class="fs-page small" aria-live="polite">{ format!("rows {}–{} of {}", group_thousands(first as u64 + 1), group_thousands((first + shown.len()) as u64), group_thousands(kept.len() as u64)) }</span>
                    <button class="small-button fs-next" disabled={current + 1 >= pages} onclick={go(current + 1)}>{ "Next 50" }</button>
                </div>
                <p class="small muted">{ "Click a row to see it on the timeline. Hover a NULL or a mark for why." }</p>
            }
        </div>
    }
}
