//! What the job wrote, newest first: each row's tick, its columns (window, key, values), its kind
//! (first result, update after a late row, retraction) and whether the same row was written
//! before (a duplicate downstream, as at-least-once delivery makes after a restart). Filters
//! show only updates or only duplicates. Below, the clicks the job dropped as late.

use super::{no_stream_job, time_text, value_text};
use crate::widgets::markup::plain_header_row;
use lab::stream_lab::clicks::ClickRecord;
use lab::stream_lab::{kind_name, SinkRow, LATE_CLICKS_KEPT, OUTPUT_TOPIC, SINK_ROWS_KEPT};
use lab::streaming::aggregate::FiringKind;
use std::collections::{BTreeMap, VecDeque};
use yew::prelude::*;

/// Rows listed at most.
const ROWS_SHOWN: usize = 40;

/// Which rows the table lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFilter {
    All,
    /// Updates and retractions: what late rows changed.
    Updates,
    Duplicates,
}

impl OutputFilter {
    pub fn keeps(self, row: &SinkRow) -> bool {
        match self {
            OutputFilter::All => true,
            OutputFilter::Updates => row.kind != FiringKind::First,
            OutputFilter::Duplicates => row.duplicate,
        }
    }

    fn name(self) -> &'static str {
        match self {
            OutputFilter::All => "all",
            OutputFilter::Updates => "updates",
            OutputFilter::Duplicates => "duplicates",
        }
    }
}

/// The late clicks, newest first, each once with how many times the job dropped it (a restart
/// from a checkpoint taken before it reads it again).
pub fn late_clicks(late: &VecDeque<ClickRecord>) -> Vec<(&ClickRecord, usize)> {
    let mut times: BTreeMap<(u32, u64), usize> = BTreeMap::new();
    for c in late {
        *times.entry((c.partition, c.offset)).or_default() += 1;
    }
    let mut out = Vec::new();
    for c in late.iter().rev() {
        if let Some(n) = times.remove(&(c.partition, c.offset)) {
            out.push((c, n));
        }
    }
    out
}

/// The rows the table lists (each with its number among all rows written) and the query's
/// columns: the table is drawn again only when these change, not on every tick.
#[derive(Properties, PartialEq)]
struct RowsProps {
    columns: Vec<String>,
    rows: Vec<(u64, SinkRow)>,
    filter: OutputFilter,
}

#[component]
fn OutputRows(props: &RowsProps) -> Html {
    if props.rows.is_empty() {
        return html! {
            <p class="muted stream-output-empty">{ match props.filter {
                OutputFilter::All => "No rows yet: a window's row is written when the watermark passes its end (press Play).",
                OutputFilter::Updates => "No updates: a late row within the allowed lateness updates a fired window.",
                OutputFilter::Duplicates => "No duplicates: under at-least-once, crash the job and restart it to see rows written twice.",
            } }</p>
        };
    }
    html! {
        <div class="table-scroll">
            <table class="stream-output-table">
                <thead><tr>
                    <th>{ "tick" }</th>
                    { for props.columns.iter().map(|c| html! { <th>{ c.clone() }</th> }) }
                    <th>{ "kind" }</th>
                    <th>{ "checkpoint" }</th>
                </tr></thead>
                <tbody>
                    { for props.rows.iter().map(|(n, r)| html! {
                        <tr key={*n} class={classes!("stream-row", format!("kind-{}", kind_name(r.kind)), r.duplicate.then_some("stream-duplicate"))}>
                            <td>{ r.tick }</td>
                            { for r.values.iter().map(|v| html! { <td>{ value_text(v) }</td> }) }
                            <td>{ kind_name(r.kind) }
                                if r.duplicate { <span class="stream-dup-badge" title="the same window, key and values were written before">{ " duplicate" }</span> }
                            </td>
                            <td>{ r.checkpoint }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

/// The late clicks as listed ([`late_clicks`]): drawn again only when they change.
#[derive(Properties, PartialEq)]
struct LateProps {
    late: Vec<(ClickRecord, usize)>,
}

#[component]
fn LateClicks(props: &LateProps) -> Html {
    let late = &props.late;
    html! {
        <>
            <h4 class="stream-late-title">{ format!("Late clicks dropped ({})", late.len()) }</h4>
            if late.is_empty() {
                <p class="muted small stream-late-empty">{ "None yet: send a click with an event time before the watermark (\"late by 30 s\") and it lands here once the job reads it." }</p>
            } else {
                <div class="table-scroll">
                    <table class="stream-late-table">
                        { plain_header_row(&["partition", "offset", "user", "event time", "arrived", "late by", "dropped"]) }
                        <tbody>
                            { for late.iter().map(|(c, times)| html! {
                                <tr key={format!("{}:{}", c.partition, c.offset)} class="stream-late-row">
                                    <td>{ c.partition }</td>
                                    <td>{ c.offset }</td>
                                    <td>{ c.user.clone().unwrap_or_default() }</td>
                                    <td>{ c.event_time.map(time_text).unwrap_or_default() }</td>
                                    <td>{ time_text(c.arrival) }</td>
                                    <td>{ c.event_time.map(|t| format!("{:.1} s", (c.arrival.0 - t.0) as f64 / 1e6)).unwrap_or_default() }</td>
                                    <td title="a restart from an earlier checkpoint reads the click again, and drops it again">{ if *times > 1 { format!("×{times}") } else { String::new() } }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                <p class="muted small">{ format!("The newest {LATE_CLICKS_KEPT} are kept.") }</p>
            }
        </>
    }
}

#[component]
pub fn StreamOutput() -> Html {
    let session = crate::widgets::use_lab();
    let filter = use_state(|| OutputFilter::All);
    let Some(streams) = session.view.streams() else {
        return no_stream_job();
    };
    let job = streams.job();
    let view = job.view();
    // Each row with its number among all rows written (a stable key: a new row is added at
    // the top, the others stay as they are).
    let rows: Vec<(u64, SinkRow)> = view
        .sink
        .iter()
        .rev()
        .zip((0..=job.sink_written()).rev())
        .filter(|(r, _)| filter.keeps(r))
        .take(ROWS_SHOWN)
        .map(|(r, n)| (n, r.clone()))
        .collect();
    let choose = |choice: OutputFilter| {
        let filter = filter.clone();
        Callback::from(move |_: MouseEvent| filter.set(choice))
    };
    let counts = |f: OutputFilter| view.sink.iter().filter(|r| f.keeps(r)).count();
    let late: Vec<(ClickRecord, usize)> = late_clicks(view.late)
        .into_iter()
        .map(|(c, n)| (c.clone(), n))
        .collect();
    html! {
        <div class="stream-output">
            <p class="small">
                { format!("{} rows written to {OUTPUT_TOPIC}, {} of them duplicates. ", job.sink_written(), job.duplicates()) }
                <span class="muted">{ format!("The newest {SINK_ROWS_KEPT} are kept here.") }</span>
            </p>
            <div class="inline-form stream-output-filters" role="group" aria-label="Show">
                { for [OutputFilter::All, OutputFilter::Updates, OutputFilter::Duplicates].into_iter().map(|f| html! {
                    <button class={if *filter == f { "stream-filter primary" } else { "stream-filter" }} data-filter={f.name()}
                        aria-pressed={(*filter == f).to_string()} onclick={choose(f)}>
                        { format!("{} ({})", f.name(), counts(f)) }
                    </button>
                }) }
            </div>
            <OutputRows columns={view.columns.to_vec()} rows={rows} filter={*filter} />
            <LateClicks late={late} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(partition: u32, offset: u64) -> ClickRecord {
        ClickRecord {
            partition,
            offset,
            arrival: lab::stream_lab::at(offset),
            user: Some("u1".into()),
            page: None,
            amount: None,
            event_time: Some(lab::stream_lab::at(0)),
        }
    }

    #[test]
    fn a_click_dropped_again_after_a_restart_is_listed_once_with_its_count() {
        let late: VecDeque<ClickRecord> = [click(0, 5), click(1, 7), click(0, 5)].into();
        let listed: Vec<((u32, u64), usize)> = late_clicks(&late)
            .into_iter()
            .map(|(c, n)| ((c.partition, c.offset), n))
            .collect();
        assert_eq!(listed, vec![((0, 5), 2), ((1, 7), 1)]);
    }
}
