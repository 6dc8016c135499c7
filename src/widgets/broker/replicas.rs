//! The replication picture (Kafka's Partition.scala, KIP-101 and KIP-279), read at a glance: the
//! brokers as nodes with their state and a fault menu each ([`super::broker_node`]), then per
//! partition one horizontal bar per replica, as long as its log end offset (LEO), with the
//! partition's high watermark (HW) drawn as one line across every bar. Below the HW a replica's
//! records are committed; at or above it they are not yet on every in-sync replica (amber, striped);
//! what the leader holds that a follower has not fetched is an empty dashed outline; acknowledged
//! records that the leader no longer holds are a red, cross-hatched "lost" row. Leader, ISR
//! membership and what each replica believes are words beside its bar, and every bar carries its
//! numbers as a text alternative, so colour is never the only signal.

use super::broker_node::{badge, badges_html, broker_nodes, node, Badge};
use super::{send, with_cluster};
use crate::icons::{icon, Icon};
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::group::TopicPartition;
use lab::broker::ledger::Entry;
use lab::broker::node::Broker;
use lab::broker::topic::{Partition, Topic};
use lab::broker::BrokerId;
use yew::prelude::*;

/// Leader epochs labelled per replica (older epochs are merged into the first).
pub const EPOCH_MARKS_MAX: usize = 8;

/// A stretch of offsets, `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

impl Span {
    /// The span, or `None` when it holds no offset.
    fn of(start: u64, end: u64) -> Option<Span> {
        (end > start).then_some(Span { start, end })
    }

    /// "7–8", or "7" for one offset.
    pub fn text(self) -> String {
        if self.end - self.start == 1 {
            self.start.to_string()
        } else {
            format!("{}–{}", self.start, self.end - 1)
        }
    }

    fn len(self) -> u64 {
        self.end - self.start
    }
}

/// How one replica's log divides on its bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarParts {
    /// Offsets it holds below the partition's high watermark: committed.
    pub committed: Option<Span>,
    /// Offsets it holds at or above the high watermark: not yet on every in-sync replica.
    pub above_hw: Option<Span>,
    /// Offsets the leader holds that it has not fetched yet.
    pub missing: Option<Span>,
}

/// Splits a replica's log `log_start..leo` at the partition's `hw`, and notes what it lacks of
/// the leader's log (`leader_leo`).
pub fn bar_parts(log_start: u64, leo: u64, hw: u64, leader_leo: Option<u64>) -> BarParts {
    BarParts {
        committed: Span::of(log_start, leo.min(hw)),
        above_hw: Span::of(hw.max(log_start), leo),
        missing: leader_leo.and_then(|l| Span::of(leo, l)),
    }
}

/// Sorted offsets merged into runs of consecutive ones.
pub fn offset_runs(offsets: impl IntoIterator<Item = u64>) -> Vec<Span> {
    let mut runs: Vec<Span> = Vec::new();
    for o in offsets {
        match runs.last_mut() {
            Some(run) if run.end == o => run.end += 1,
            Some(run) if run.start <= o && o < run.end => {}
            _ => runs.push(Span {
                start: o,
                end: o + 1,
            }),
        }
    }
    runs
}

/// Position of `offset` on a bar of `scale` offsets, in percent.
fn pct(offset: u64, scale: u64) -> f64 {
    (offset.min(scale) as f64) * 100.0 / (scale.max(1) as f64)
}

/// `left` and `width` of `span` on a bar of `scale` offsets.
fn place(span: Span, scale: u64) -> String {
    let left = pct(span.start, scale);
    format!("left:{left:.2}%;width:{:.2}%", pct(span.end, scale) - left)
}

/// Where each leader epoch starts in a replica's log (at most [`EPOCH_MARKS_MAX`]), for the
/// epochs that hold records.
fn epoch_starts(p: &Partition, broker: BrokerId) -> Vec<(u32, u64)> {
    let Some(log) = p.log_on(broker) else {
        return Vec::new();
    };
    let (start, leo) = (log.log_start().0, log.leo().0);
    let epochs = log.epochs();
    let skip = epochs.len().saturating_sub(EPOCH_MARKS_MAX);
    epochs
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, (epoch, at))| (*epoch, if i == skip { start } else { at.0.max(start) }))
        .filter(|(_, at)| *at < leo)
        .collect()
}

/// What the partition's acknowledged records look like: lost runs, and how many acknowledged
/// ones are still above the high watermark (on the leader only, so at risk).
struct Acknowledged {
    lost: Vec<Span>,
    lost_count: usize,
    at_risk: usize,
}

fn acknowledged(entries: &[Entry], hw: u64) -> Acknowledged {
    let mut lost: Vec<u64> = entries
        .iter()
        .filter(|e| e.lost)
        .map(|e| e.offset.0)
        .collect();
    lab::sim::sort::sort(&mut lost);
    Acknowledged {
        lost_count: lost.len(),
        lost: offset_runs(lost),
        at_risk: entries
            .iter()
            .filter(|e| !e.lost && e.offset.0 >= hw)
            .count(),
    }
}

/// Words beside a replica's bar: leader, in sync or not, down, and what it believes.
fn replica_tags(p: &Partition, broker: BrokerId, node: Option<&Broker>) -> Vec<Badge> {
    let running = node.is_some_and(Broker::running);
    let is_leader = p.leader() == Some(broker);
    let mut tags = Vec::new();
    if is_leader {
        tags.push(badge("leader", "leader"));
    }
    if p.isr().contains(&broker) {
        tags.push(badge("ok", "ISR"));
    } else {
        tags.push(badge("warn", "out of sync"));
    }
    if !running {
        tags.push(badge("bad", "down"));
    }
    if p.replicas().first() == Some(&broker) && !is_leader {
        tags.push(badge("preferred", "preferred"));
    }
    if let Some(r) = p.replica_states().get(&broker) {
        let believes_leader = r.leading().is_some();
        if believes_leader && !is_leader {
            tags.push(badge(
                "bad",
                format!("still thinks it leads (epoch {})", r.known_epoch()),
            ));
        } else if running && !believes_leader && r.known_epoch() < p.leader_epoch() {
            tags.push(badge(
                "muted",
                format!("knows epoch {} of {}", r.known_epoch(), p.leader_epoch()),
            ));
        }
    }
    tags
}

/// The words of a replica's bar, for screen readers and tooltips.
fn bar_label(
    broker: BrokerId,
    tags: &[Badge],
    parts: BarParts,
    numbers: (u64, u64, u64),
) -> String {
    let (log_start, leo, own_hw) = numbers;
    let mut words = vec![format!(
        "broker {}: {}; log start {log_start}, LEO {leo}, its HW {own_hw}",
        broker.0,
        tags.iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if let Some(s) = parts.above_hw {
        words.push(format!(
            "{} record(s) at offsets {} above the high watermark, not yet on every in-sync replica",
            s.len(),
            s.text()
        ));
    }
    if let Some(s) = parts.missing {
        words.push(format!("lacks offsets {} that the leader holds", s.text()));
    }
    words.join("; ")
}

/// How a bar is drawn: offsets per full width, and whether its epochs are labelled (only when
/// some replica of the partition holds records of more than one leader epoch).
#[derive(Clone, Copy)]
struct Drawing {
    scale: u64,
    epochs: bool,
}

/// Which side of a line at `pct` percent its label sits on, so it stays inside the track.
fn label_side(pct: f64) -> &'static str {
    if pct > 85.0 {
        "label-before"
    } else if pct < 15.0 {
        "label-after"
    } else {
        "label-centred"
    }
}

fn replica_row(cluster: &Cluster, p: &Partition, broker: BrokerId, drawing: Drawing) -> Html {
    let scale = drawing.scale;
    let host = node(cluster, broker);
    let Some(replica) = p.replica_states().get(&broker) else {
        return html! {};
    };
    let log = replica.log();
    let (log_start, leo) = (log.log_start().0, log.leo().0);
    let is_leader = p.leader() == Some(broker);
    let leader_leo = p
        .elected_leader_log()
        .map(|l| l.leo().0)
        .filter(|_| !is_leader);
    let parts = bar_parts(log_start, leo, p.hw().0, leader_leo);
    let tags = replica_tags(p, broker, host);
    let label = bar_label(broker, &tags, parts, (log_start, leo, replica.hw().0));
    let running = host.is_some_and(Broker::running);
    html! {
        <li class={classes!("replica-row", is_leader.then_some("is-leader"), (!running).then_some("is-down"))} data-replica={broker.0.to_string()}>
            <div class="replica-name">
                if is_leader { <span class="crown">{ icon(Icon::Crown) }</span> }
                <strong>{ format!("b{}", broker.0) }</strong>
                <span class="replica-tags">{ badges_html(&tags) }</span>
            </div>
            <div class="replica-bar" role="img" aria-label={label.clone()} title={label}>
                if let Some(s) = parts.committed { <span class="bar-committed" style={place(s, scale)}></span> }
                if let Some(s) = parts.above_hw { <span class="bar-above-hw" style={place(s, scale)}></span> }
                if let Some(s) = parts.missing { <span class="bar-missing" style={place(s, scale)}></span> }
                { for epoch_starts(p, broker).into_iter().filter(|_| drawing.epochs).map(|(epoch, at)| html! {
                    <span class="epoch-mark" style={format!("left:{:.2}%", pct(at, scale))}>{ format!("e{epoch}") }</span>
                }) }
            </div>
            <div class="replica-numbers small"><span class="nums-unit">{ "LEO " }</span>{ leo }</div>
        </li>
    }
}

/// The red row of acknowledged records the leader no longer holds.
fn lost_row(acked: &Acknowledged, scale: u64) -> Html {
    if acked.lost.is_empty() {
        return html! {};
    }
    let offsets = acked
        .lost
        .iter()
        .map(|s| s.text())
        .collect::<Vec<_>>()
        .join(", ");
    let label = format!(
        "{} acknowledged record(s) lost at offsets {offsets}: the leader holds other records there, or none",
        acked.lost_count
    );
    html! {
        <li class="replica-row replica-lost">
            <div class="replica-name"><strong>{ "lost" }</strong></div>
            <div class="replica-bar lost-bar" role="img" aria-label={label.clone()} title={label}>
                { for acked.lost.iter().map(|s| html! { <span class="bar-lost" style={place(*s, scale)}></span> }) }
            </div>
            <div class="replica-numbers small bad">{ acked.lost_count }<span class="nums-unit">{ " lost" }</span></div>
        </li>
    }
}

/// The offsets under the bars: the high watermark's label at its line.
fn axis_row(hw: u64, scale: u64) -> Html {
    html! {
        <li class="replica-row replica-axis" aria-hidden="true">
            <div class="replica-name"></div>
            <div class="axis-track">
                <span class={classes!("hw-label", label_side(pct(hw, scale)))} style={format!("left:{:.2}%", pct(hw, scale))}>{ format!("HW {hw}") }</span>
            </div>
            <div class="replica-numbers small axis-unit">{ "LEO" }</div>
        </li>
    }
}

fn partition_badges(p: &Partition, min_isr: usize) -> Vec<Badge> {
    let mut badges = Vec::new();
    if p.offline() {
        badges.push(badge("bad", "offline"));
    } else if p.isr().len() < min_isr {
        badges.push(badge("bad", format!("ISR below min {min_isr}")));
    } else if p.under_replicated() {
        badges.push(badge("warn", "under-replicated"));
    }
    if !p.offline() && !p.serving() {
        badges.push(badge("warn", "not serving"));
    }
    badges
}

fn partition_facts(p: &Partition, min_isr: usize, acked: &Acknowledged) -> String {
    let leader = p
        .leader()
        .map_or_else(|| "no leader".to_string(), |b| format!("leader b{}", b.0));
    let isr: Vec<String> = p.isr().iter().map(|b| b.0.to_string()).collect();
    let mut facts = format!(
        "{leader} · leader epoch {} · partition epoch {} · ISR {{{}}} · min ISR {min_isr} · HW {} · last election: {}",
        p.leader_epoch(),
        p.partition_epoch(),
        isr.join(","),
        p.hw(),
        p.last_election().name()
    );
    if acked.at_risk > 0 {
        facts.push_str(&format!(" · {} acknowledged above the HW", acked.at_risk));
    }
    facts
}

fn partition_view(cluster: &Cluster, topic: &Topic, p: &Partition) -> Html {
    let name = format!("{}-{}", topic.name(), p.id().0);
    let tp = TopicPartition {
        topic: topic.name().to_string(),
        partition: p.id(),
    };
    let hw = p.hw().0;
    let acked = acknowledged(cluster.ledger().entries(&tp), hw);
    let scale = p
        .replica_states()
        .values()
        .map(|r| r.log().leo().0)
        .chain(acked.lost.last().map(|s| s.end))
        .chain([hw, 1])
        .max()
        .unwrap_or(1);
    let drawing = Drawing {
        scale,
        epochs: p.replicas().iter().any(|b| epoch_starts(p, *b).len() > 1),
    };
    let min_isr = p.effective_min_isr(topic.settings());
    html! {
        <section class="replica-partition" data-partition={name.clone()} aria-label={format!("Partition {name}")}>
            <div class="partition-title">
                <h4>{ &name }{ " " }{ badges_html(&partition_badges(p, min_isr)) }</h4>
                <p class="muted small partition-facts">{ partition_facts(p, min_isr, &acked) }</p>
            </div>
            <div class="replica-grid">
                <ul class="replica-rows">
                    { for p.replicas().iter().map(|b| replica_row(cluster, p, *b, drawing)) }
                    { lost_row(&acked, scale) }
                    { axis_row(hw, scale) }
                </ul>
                <div class="hw-overlay" aria-hidden="true">
                    <span class="hw-line" style={format!("left:{:.2}%", pct(hw, scale))} title={format!("high watermark {hw}")}></span>
                </div>
            </div>
        </section>
    }
}

/// What the bars' fills and marks mean, each drawn as on the bars.
fn legend() -> Html {
    html! {
        <ul class="bar-legend small" aria-label="How to read the bars">
            <li><span class="swatch bar-committed" aria-hidden="true"></span>{ "committed (below the HW)" }</li>
            <li><span class="swatch bar-above-hw" aria-hidden="true"></span>{ "above the HW: not on every in-sync replica yet" }</li>
            <li><span class="swatch bar-missing" aria-hidden="true"></span>{ "on the leader, not fetched yet" }</li>
            <li><span class="swatch bar-lost" aria-hidden="true"></span>{ "acknowledged, then lost" }</li>
            <li><span class="swatch swatch-hw" aria-hidden="true"></span>{ "high watermark · e1 = leader epoch 1 starts · " }<span class="crown">{ icon(Icon::Crown) }</span>{ " leader" }</li>
        </ul>
    }
}

fn topic_view(cluster: &Cluster, topic: &Topic) -> Html {
    let s = topic.settings();
    html! {
        <div class="replica-topic">
            <h3 class="replica-topic-name">{ format!("{} · RF {} · min.insync.replicas {} · unclean election {}", topic.name(), s.replication_factor,
                s.min_insync_replicas, if s.unclean_leader_election { "on" } else { "off" }) }</h3>
            { for topic.partitions().iter().map(|p| partition_view(cluster, topic, p)) }
        </div>
    }
}

#[component]
pub fn Replicas() -> Html {
    let session = crate::widgets::use_lab();
    with_cluster(&session, |cluster| {
        let on_preferred = {
            let session = session.clone();
            Callback::from(move |_| send(&session, BrokerCommand::ElectPreferredLeaders))
        };
        html! {
            <div class="replicas cluster-picture">
                { broker_nodes(cluster) }
                <div class="replica-actions">
                    <button type="button" class="small-button elect-preferred" onclick={on_preferred}
                        title="kafka-leader-election --election-type PREFERRED: move leadership back to the first replica where it is in sync">{ "Elect preferred leaders" }</button>
                    <span class="muted small">{ "Kafka 4.x, KRaft · 1 tick ≈ 100 ms" }</span>
                </div>
                { legend() }
                { for cluster.topics().values().map(|topic| topic_view(cluster, topic)) }
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_splits_at_the_high_watermark_and_shows_what_the_leader_has_more() {
        let leader = bar_parts(0, 9, 7, None);
        assert_eq!(leader.committed, Some(Span { start: 0, end: 7 }));
        assert_eq!(leader.above_hw, Some(Span { start: 7, end: 9 }));
        assert_eq!(leader.missing, None);
        let follower = bar_parts(0, 5, 7, Some(9));
        assert_eq!(follower.committed, Some(Span { start: 0, end: 5 }));
        assert_eq!(follower.above_hw, None);
        assert_eq!(follower.missing, Some(Span { start: 5, end: 9 }));
        // Retention deleted everything below 8: nothing committed is left on the bar.
        let trimmed = bar_parts(8, 9, 7, None);
        assert_eq!(trimmed.committed, None);
        assert_eq!(trimmed.above_hw, Some(Span { start: 8, end: 9 }));
        assert_eq!(
            bar_parts(0, 0, 0, Some(0)),
            BarParts {
                committed: None,
                above_hw: None,
                missing: None
            }
        );
    }

    #[test]
    fn lost_offsets_become_runs() {
        let runs = offset_runs([3, 4, 5, 5, 9, 11, 12]);
        let texts: Vec<String> = runs.iter().map(|s| s.text()).collect();
        assert_eq!(texts, ["3–5", "9", "11–12"]);
        assert!(offset_runs([]).is_empty());
    }

    #[test]
    fn acknowledged_records_are_lost_or_at_risk_or_safe() {
        let entry = |offset: u64, lost: bool| Entry {
            send: 0,
            offset: lab::broker::log::Offset(offset),
            epoch: 0,
            acks: lab::broker::producer::Acks::One,
            lost,
        };
        let a = acknowledged(
            &[
                entry(1, false),
                entry(8, true),
                entry(7, true),
                entry(9, false),
            ],
            5,
        );
        assert_eq!(a.lost, vec![Span { start: 7, end: 9 }]);
        assert_eq!((a.lost_count, a.at_risk), (2, 1));
    }

    #[test]
    fn positions_stay_on_the_bar() {
        assert_eq!(pct(5, 10), 50.0);
        assert_eq!(pct(15, 10), 100.0);
        assert_eq!(pct(0, 0), 0.0);
        assert_eq!(
            place(Span { start: 2, end: 4 }, 8),
            "left:25.00%;width:25.00%"
        );
        assert_eq!(label_side(100.0), "label-before");
        assert_eq!(label_side(50.0), "label-centred");
        assert_eq!(label_side(0.0), "label-after");
    }
}
