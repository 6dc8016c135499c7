//! The cluster view: brokers, then every topic's partitions as logs of offset cells coloured by
//! key, with segment boundaries, the log start and the high watermark; each consumer group's
//! committed offset is a marker above its cell and the cells of its lag (up to the high
//! watermark) are underlined with stripes ([`super::lag_track::cell_marks`]); and a record
//! inspector for the cell the learner selects. Transactions show in the log too: a marker
//! (COMMIT or ABORT, a control record with its own offset) is a lettered cell, records of aborted
//! transactions are faded, and a partition with transactions shows its last stable offset (LSO)
//! beside the HW.

use super::lag_track::{cell_marks, CellMarks, GroupCommit};
use super::topic_config::duration_words;
use super::{key_class, show_bytes, with_cluster};
use crate::widgets::markup::facts;
use lab::broker::cluster::Cluster;
use lab::broker::group::TopicPartition;
use lab::broker::log::{ControlType, Offset, Record};
use lab::broker::topic::Partition;
use lab::broker::PartitionId;
use lab::sim::text::group_thousands;
use yew::prelude::*;

/// Offsets shown per partition row (the most recent ones).
pub const CELLS_PER_ROW: u64 = 40;

/// A topic's retention as ticks and lab time: "6,000 ticks (10 min)", or "forever".
fn retention_words(ticks: Option<u64>) -> String {
    ticks.map_or_else(
        || "forever".to_string(),
        |t| {
            format!(
                "{} ticks ({})",
                group_thousands(t),
                duration_words(lab::broker::log::ticks_to_ms(t))
            )
        },
    )
}

#[derive(Clone, PartialEq)]
struct Selected {
    tp: TopicPartition,
    offset: Offset,
}

/// Where a cell sits in its log: the first of a segment, selected, its group marks, and what
/// transactions made of it (a marker, or a record of an aborted transaction).
struct CellPlace {
    segment_start: bool,
    selected: bool,
    marks: CellMarks,
    marker: Option<ControlType>,
    aborted: bool,
}

fn cell(
    partition: &Partition,
    tp: &TopicPartition,
    offset: Offset,
    record: Option<&Record>,
    place: CellPlace,
    onclick: Callback<Selected>,
) -> Html {
    let CellPlace {
        segment_start,
        selected,
        marks,
        marker,
        aborted,
    } = place;
    let class = classes!(
        "log-cell",
        match marker {
            Some(ControlType::Commit) => "marker-commit",
            Some(ControlType::Abort) => "marker-abort",
            None => record.map_or("removed", |r| key_class(r.key.as_deref())),
        },
        aborted.then_some("aborted"),
        record.filter(|r| r.is_tombstone()).map(|_| "tombstone"),
        segment_start.then_some("segment-start"),
        (offset >= partition.hw()).then_some("uncommitted"),
        selected.then_some("selected"),
        marks.in_lag.then_some("in-lag"),
    );
    let title = match (marker, record) {
        (Some(m), _) => format!("offset {offset} · {} marker (a control record)", m.name()),
        (None, Some(r)) if aborted => format!(
            "offset {} · value {} · of an aborted transaction",
            r.offset,
            show_bytes(r.value.as_deref())
        ),
        (None, Some(r)) => format!(
            "offset {} · key {} · value {}",
            r.offset,
            show_bytes(r.key.as_deref()),
            show_bytes(r.value.as_deref())
        ),
        (None, None) => format!("offset {offset} · removed by compaction"),
    } + &if marks.committed_by.is_empty() {
        String::new()
    } else {
        format!(" · committed offset of {}", marks.committed_by.join(", "))
    } + if marks.in_lag {
        " · not yet consumed (lag)"
    } else {
        ""
    };
    let select = Selected {
        tp: tp.clone(),
        offset,
    };
    html! {
        <button key={offset.0} class={class} title={title.clone()} aria-label={title} aria-pressed={selected.to_string()}
            onclick={Callback::from(move |_| onclick.emit(select.clone()))}>
            if let Some(m) = marker { <span class="marker-letter" aria-hidden="true">{ &m.name()[..1] }</span> }
            if !marks.committed_by.is_empty() { <span class="commit-marker" aria-hidden="true">{ marks.committed_by.join(",") }</span> }
        </button>
    }
}

/// The selected record's facts: where it is, what it holds, and which partition its key maps to.
fn inspector(
    cluster: &Cluster,
    tp: &TopicPartition,
    r: &Record,
    marker: Option<ControlType>,
) -> Html {
    let mut figures = vec![
        ("partition", "", tp.to_string()),
        ("offset", "", r.offset.0.to_string()),
    ];
    if let Some(m) = marker {
        figures.push((
            "control record",
            "",
            format!(
                "{} marker: consumers never get it, their positions step over it",
                m.name()
            ),
        ));
    }
    let value = if r.is_tombstone() {
        "null (tombstone)".to_string()
    } else {
        show_bytes(r.value.as_deref())
    };
    let headers = if r.headers.is_empty() {
        "none".to_string()
    } else {
        r.headers
            .iter()
            .map(|(n, v)| format!("{n}:{}", String::from_utf8_lossy(v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let partition = r.key.as_deref().map_or_else(
        || "sticky / round-robin".to_string(),
        |k| {
            let partitions = cluster.topics()[&tp.topic].partitions().len() as u32;
            format!(
                "murmur2 {} → p{}",
                lab::broker::partitioner::murmur2(k),
                lab::broker::partitioner::partition_for_key(k, partitions)
                    .map_or(0, |p: PartitionId| p.0)
            )
        },
    );
    figures.extend([
        ("key", "", show_bytes(r.key.as_deref())),
        ("value", "", value),
        ("timestamp", "", r.timestamp.to_string()),
        ("headers", "", headers),
        ("key → partition", "", partition),
    ]);
    facts("facts", &figures)
}

#[component]
pub fn ClusterView() -> Html {
    let session = crate::widgets::use_lab();
    let selected = use_state(|| None::<Selected>);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |s: Selected| selected.set(Some(s)))
    };
    with_cluster(&session, |cluster| {
        let lags = cluster.lags();
        let inspected = selected.as_ref().and_then(|s| {
            let partition = cluster
                .topics()
                .get(&s.tp.topic)?
                .partition(s.tp.partition)?;
            let log = partition.leader_log()?;
            let record = log.records().find(|r| r.offset == s.offset)?.clone();
            let marker = log.marker_offsets().get(&s.offset).copied();
            Some((s.tp.clone(), record, marker))
        });
        html! {
            <div class="cluster-view">
                <p class="muted small">{ "Kafka 4.x semantics (KRaft). Time is in ticks; one tick stands for about 100 ms." }</p>
                <ul class="brokers" aria-label="Brokers">
                    if cluster.brokers().len() < usize::from(lab::broker::cluster::BROKERS_MAX) {
                        <li><button class="ghost small-button add-broker" onclick={{
                            let session = session.clone();
                            Callback::from(move |_| super::send(&session, lab::broker::cluster::BrokerCommand::AddBroker))
                        }}>{ "+ broker" }</button></li>
                    }
                    { for cluster.brokers().iter().map(|b| html! {
                        <li class="broker-chip">{ format!("broker {}", b.id().0) }<span class="muted small">{ format!(" leads {}", super::leader_count(cluster, b.id())) }</span></li>
                    }) }
                </ul>
                { for cluster.topics().values().map(|topic| {
                    let policy = match (topic.settings().log.cleanup_delete, topic.settings().log.cleanup_compact) {
                        (true, true) => "compact,delete",
                        (false, true) => "compact",
                        _ => "delete",
                    };
                    html! {
                        <section class="topic" aria-label={format!("Topic {}", topic.name())}>
                            <h4>{ &topic.name() }<span class="muted small">{ format!(" · {} partitions · cleanup.policy={policy} · retention {} · {} records", topic.partitions().len(), retention_words(topic.settings().log.retention_ticks), topic.record_count()) }</span></h4>
                            { for topic.partitions().iter().map(|p| {
                                let tp = TopicPartition { topic: topic.name().to_string(), partition: p.id() };
                                let Some(log) = p.leader_log() else {
                                    let why = match p.leader() {
                                        None => "offline: no replica can lead".to_string(),
                                        Some(b) => format!("leader b{} cannot serve clients now (down, cut off or unaware it leads)", b.0),
                                    };
                                    return html! {
                                        <div class="partition-row is-unavailable" data-partition={format!("{}-{}", topic.name(), p.id().0)}>
                                            <div class="partition-head"><strong>{ format!("p{}", p.id().0) }</strong><span class="bad small">{ format!(" {why}") }</span></div>
                                        </div>
                                    };
                                };
                                let first = Offset(log.leo().0.saturating_sub(CELLS_PER_ROW).max(log.log_start().0));
                                let records: Vec<&Record> = log.records().filter(|r| r.offset >= first).collect();
                                let bases: Vec<Offset> = log.segments().iter().map(|s| s.base_offset).collect();
                                let commits: Vec<GroupCommit> = cluster.groups().iter().filter_map(|(name, g)| g.committed().get(&tp).map(|c| GroupCommit { group: name.clone(), committed: Some(c.offset.0) })).collect();
                                let hw = p.hw().0;
                                let markers = log.marker_offsets();
                                let aborted = if markers.is_empty() { Default::default() } else { log.hidden_from_read_committed(log.leo()) };
                                let lso = log.last_stable_offset(p.hw());
                                let transactional = !markers.is_empty() || lso < p.hw();
                                let before_window: Vec<&str> = commits.iter().filter(|c| c.committed.is_some_and(|o| o < first.0)).map(|c| c.group.as_str()).collect();
                                let at_end: Vec<&str> = commits.iter().filter(|c| c.committed.is_some_and(|o| o >= log.leo().0)).map(|c| c.group.as_str()).collect();
                                html! {
                                    <div class="partition-row" data-partition={format!("{}-{}", topic.name(), p.id().0)}>
                                        <div class="partition-head">
                                            <strong>{ format!("p{}", p.id().0) }</strong>
                                            <span class="muted small">{ format!(" leader b{} · log start {} · HW {} · LEO {} · {} segment(s)", p.leader().map_or(0, |b| b.0), log.log_start(), p.hw(), log.leo(), log.segments().len()) }</span>
                                            if transactional { <span class="small lso-note" title="last stable offset: read_committed consumers read below it">{ format!(" · LSO {lso}") }</span> }
                                        </div>
                                        <div class={if !commits.is_empty() { "log-cells has-commits" } else { "log-cells" }} role="group" aria-label={format!("Offsets {} to {} of {tp}", first, log.leo())}>
                                            if first > log.log_start() { <span class="log-more" title="older offsets">{ "…" }</span> }
                                            if !before_window.is_empty() { <span class="commit-off-row" title="committed offsets older than the cells shown">{ format!("◂{}", before_window.join(",")) }</span> }
                                            if log.log_start() > Offset(0) && first == log.log_start() { <span class="log-start-marker" title="log start: older offsets were deleted">{ "⟨" }</span> }
                                            // Keyed by offset: as the window slides, the cells that stay are moved, not rewritten.
                                            <>{ for (first.0..log.leo().0).map(|o| {
                                                let offset = Offset(o);
                                                let record = records.iter().find(|r| r.offset == offset).copied();
                                                let is_selected = selected.as_ref().is_some_and(|s| s.tp == tp && s.offset == offset);
                                                let marker = markers.get(&offset).copied();
                                                let place = CellPlace { segment_start: bases.contains(&offset) && o > 0, selected: is_selected, marks: cell_marks(o, hw, &commits), marker, aborted: marker.is_none() && aborted.contains(&offset) };
                                                cell(p, &tp, offset, record, place, on_select.clone())
                                            }) }</>
                                            if !at_end.is_empty() { <span class="commit-at-end" title="committed up to the log end: nothing left to read">{ format!("{}▾", at_end.join(",")) }</span> }
                                            if transactional && lso < p.hw() { <span class="lso-marker" title="last stable offset: an open transaction starts here, read_committed consumers wait">{ format!("LSO {lso}") }</span> }
                                            <span class="hw-marker" title="high watermark: consumers read below it">{ format!("HW {}", p.hw()) }</span>
                                        </div>
                                        if !commits.is_empty() {
                                            // The cluster's lag: to the LSO for a read_committed group.
                                            <p class="commits small">{ commits.iter().map(|c| {
                                                let lag = lags.iter().find(|(g, t, _)| *g == c.group && *t == tp).map_or(c.lag(hw), |(_, _, lag)| *lag);
                                                format!("{} committed {} (lag {lag})", c.group, c.committed.unwrap_or(0))
                                            }).collect::<Vec<_>>().join(" · ") }</p>
                                        }
                                    </div>
                                }
                            }) }
                        </section>
                    }
                }) }
                <div class="inspector" aria-live="polite">
                    { match inspected {
                        Some((tp, r, marker)) => inspector(cluster, &tp, &r, marker),
                        None => html! { <p class="muted small">{ "Select a cell to inspect its record. Colours are keys; outlined cells begin a segment; grey cells are null keys; striped ones were removed by compaction; lettered ones are transaction markers (C commit, A abort), and faded, crossed ones records of aborted transactions." }</p> },
                    } }
                </div>
            </div>
        }
    })
}
