//! The pipeline as the page draws it: one node per part (users, producer, topic, job, online
//! store, offline log, models, traffic split, analysis, experiment) with its live numbers and a
//! health (ok, warn, failed) with the reason, and the edges between them. Rebuilt at the end of
//! every tick and after every command, so a frame reads it for free.

use super::series::ages;
use super::PipelineLab;
use crate::broker::cluster::Cluster;
use crate::rollout_lab::command::NarrationKind;
use crate::rollout_lab::RolloutLab;
use crate::stream_lab::clicks::tick_time;
use crate::stream_lab::CLICKS_TOPIC;
use features::store::FeatureStore;
use sim::clock::Tick;

/// A part of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    Users,
    Producer,
    Topic,
    Job,
    OnlineStore,
    OfflineLog,
    Models,
    Traffic,
    Analysis,
    Experiment,
}

impl NodeId {
    pub const ALL: [NodeId; 10] = [
        NodeId::Users,
        NodeId::Producer,
        NodeId::Topic,
        NodeId::Job,
        NodeId::OnlineStore,
        NodeId::OfflineLog,
        NodeId::Models,
        NodeId::Traffic,
        NodeId::Analysis,
        NodeId::Experiment,
    ];

    /// A stable name for the page's keys and tests.
    pub fn name(self) -> &'static str {
        match self {
            NodeId::Users => "users",
            NodeId::Producer => "producer",
            NodeId::Topic => "topic",
            NodeId::Job => "job",
            NodeId::OnlineStore => "online-store",
            NodeId::OfflineLog => "offline-log",
            NodeId::Models => "models",
            NodeId::Traffic => "traffic",
            NodeId::Analysis => "analysis",
            NodeId::Experiment => "experiment",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            NodeId::Users => "users",
            NodeId::Producer => "producer",
            NodeId::Topic => "topic clicks",
            NodeId::Job => "stream job",
            NodeId::OnlineStore => "online store",
            NodeId::OfflineLog => "offline log",
            NodeId::Models => "models",
            NodeId::Traffic => "traffic split",
            NodeId::Analysis => "analysis",
            NodeId::Experiment => "experiment",
        }
    }
}

/// How a part is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    Ok,
    Warn,
    Failed,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warn => "warn",
            Health::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    pub id: NodeId,
    pub title: &'static str,
    pub lines: Vec<String>,
    pub health: Health,
    /// Why it is not ok (empty when ok).
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphEdge {
    pub from: NodeId,
    pub to: NodeId,
    pub label: String,
    pub health: Health,
}

/// The graph, with the numbers other views reuse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    pub job_lag_records: u64,
    /// Processing time minus the job's watermark (None before the first click).
    pub watermark_lag_ms: Option<u64>,
    pub clicks_lost: u64,
}

impl Graph {
    pub fn node(&self, id: NodeId) -> Option<&GraphNode> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

fn node(id: NodeId, lines: Vec<String>, health: (Health, String)) -> GraphNode {
    GraphNode {
        id,
        title: id.title(),
        lines,
        health: health.0,
        reason: health.1,
    }
}

fn ok() -> (Health, String) {
    (Health::Ok, String::new())
}

fn seconds_text(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// The graph of `lab` at tick `now`.
pub fn build(
    lab: &PipelineLab,
    cluster: &Cluster,
    store: &FeatureStore,
    rollouts: &RolloutLab,
    now: Tick,
) -> Graph {
    let job_lag_records = lab.job.lag(cluster);
    let watermark = lab.job.job().operator().watermark();
    let now_us = tick_time(now.0).0;
    let watermark_lag_ms =
        (watermark.0 > 0 && watermark.0 <= now_us).then(|| ((now_us - watermark.0) / 1_000) as u64);
    let clicks_lost = cluster
        .ledger()
        .lost()
        .iter()
        .filter(|l| l.tp.topic == CLICKS_TOPIC)
        .count() as u64;
    let topic = cluster.topics().get(CLICKS_TOPIC);
    let leaderless = topic.map_or(0, |t| {
        t.partitions()
            .iter()
            .filter(|p| p.leader().is_none())
            .count()
    });
    let under_min_isr = topic.map_or(0, |t| {
        t.partitions()
            .iter()
            .filter(|p| p.isr().len() < usize::from(t.settings().min_insync_replicas))
            .count()
    });
    let per_second = lab.series.clicks_per_second();
    let acks = cluster
        .producer(super::CLICKS_PRODUCER)
        .map_or("?", |p| match p.config().acks {
            crate::broker::producer::Acks::All => "all",
            crate::broker::producer::Acks::One => "1",
            crate::broker::producer::Acks::Zero => "0",
        });
    let (age_max, age_mean) = ages(&lab.freshness);
    let stale = lab.freshness.iter().filter(|f| f.stale).count();
    let strip = rollouts.steps();
    let mut nodes = Vec::with_capacity(NodeId::ALL.len());
    nodes.push(node(
        NodeId::Users,
        vec![
            format!(
                "{} users, {} buying",
                super::USERS,
                lab.users.buying_count()
            ),
            format!("{} requests scored", lab.requests_scored),
        ],
        ok(),
    ));
    nodes.push(node(
        NodeId::Producer,
        vec![
            format!("acks={acks}"),
            format!("{per_second} clicks/s"),
            format!("{} sent", lab.clicks_sent),
        ],
        if leaderless > 0 {
            (
                Health::Warn,
                "a partition has no leader: its clicks wait in the producer".into(),
            )
        } else {
            ok()
        },
    ));
    let mut topic_lines: Vec<String> = topic.map_or_else(Vec::new, |t| {
        t.partitions()
            .iter()
            .map(|p| {
                let isr: Vec<String> = p.isr().iter().map(|b| b.0.to_string()).collect();
                format!(
                    "p{}: leader {}, ISR [{}]",
                    p.id().0,
                    p.leader().map_or("none".into(), |b| b.0.to_string()),
                    isr.join(",")
                )
            })
            .collect()
    });
    topic_lines.push(format!("{clicks_lost} clicks lost"));
    nodes.push(node(
        NodeId::Topic,
        topic_lines,
        if leaderless > 0 {
            (
                Health::Failed,
                format!("{leaderless} partitions without a leader"),
            )
        } else if clicks_lost > 0 {
            (
                Health::Failed,
                format!("{clicks_lost} acknowledged clicks lost"),
            )
        } else if under_min_isr > 0 {
            (
                Health::Warn,
                format!("{under_min_isr} partitions under min ISR: acks=all writes are refused"),
            )
        } else {
            ok()
        },
    ));
    let running = lab.job.is_running();
    nodes.push(node(
        NodeId::Job,
        vec![
            match (running, lab.settings.slow_records_per_tick) {
                (false, _) => "crashed".into(),
                (true, Some(n)) => format!("slowed to {n}/partition/tick"),
                (true, None) => "running".into(),
            },
            format!("lag {job_lag_records} records"),
            watermark_lag_ms.map_or("no watermark yet".into(), |ms| {
                format!("watermark {} behind", seconds_text(ms))
            }),
        ],
        if !running {
            (Health::Failed, "the job crashed: nothing is pushed".into())
        } else if job_lag_records > 100 || watermark_lag_ms.is_some_and(|ms| ms > 15_000) {
            (Health::Warn, "the job is behind".into())
        } else if lab.settings.slow_records_per_tick.is_some() {
            (Health::Warn, "the job is slowed".into())
        } else {
            ok()
        },
    ));
    nodes.push(node(
        NodeId::OnlineStore,
        vec![
            age_max.map_or("no values yet".into(), |ms| {
                format!("max age {}", seconds_text(ms))
            }),
            age_mean.map_or(String::new(), |ms| format!("mean age {}", seconds_text(ms))),
            format!("{stale}/{} stale", super::USERS),
            format!(
                "push {}, TTL {} s",
                if lab.settings.push_on { "on" } else { "off" },
                lab.settings.ttl_seconds
            ),
        ],
        if stale * 2 > super::USERS {
            (
                Health::Failed,
                format!("{stale} users' features are stale (served as NULL)"),
            )
        } else if !lab.settings.push_on {
            (Health::Warn, "the job does not push here".into())
        } else if age_max.is_some_and(|ms| ms > 30_000) {
            (Health::Warn, "features are getting old".into())
        } else {
            ok()
        },
    ));
    let offline_rows = store
        .sources()
        .get(crate::stream_lab::PUSH_VIEW)
        .map_or(0, |v| v.rows.len());
    nodes.push(node(
        NodeId::OfflineLog,
        vec![
            format!("{offline_rows} rows"),
            format!("{} requests logged", lab.samples.logged()),
        ],
        ok(),
    ));
    let threshold = lab.settings.threshold_permille;
    let candidate = strip.candidate.clone();
    let candidate_quality = candidate
        .as_ref()
        .and_then(|c| lab.models.get(c))
        .and_then(|m| m.quality_permille);
    nodes.push(node(
        NodeId::Models,
        lab.models
            .values()
            .map(|m| {
                format!(
                    "{}: {}",
                    m.name,
                    m.quality_permille
                        .map_or("not measured".into(), super::glue::permille_text)
                )
            })
            .collect(),
        match (&candidate, candidate_quality) {
            (Some(c), Some(q)) if q < threshold => (
                Health::Warn,
                format!(
                    "{c} scores {} (threshold {})",
                    super::glue::permille_text(q),
                    super::glue::permille_text(threshold)
                ),
            ),
            _ => ok(),
        },
    ));
    let weight = rollouts.plan().canary_weight_percent;
    nodes.push(node(
        NodeId::Traffic,
        vec![match &candidate {
            Some(c) => format!("{} {}% / {c} {weight}%", strip.stable, 100 - weight),
            None => format!("{} 100%", strip.stable),
        }],
        ok(),
    ));
    let measured = rollouts
        .timeline()
        .rev()
        .find(|e| e.kind == NarrationKind::Measurement)
        .map_or(String::new(), |e| e.text.clone());
    nodes.push(node(
        NodeId::Analysis,
        vec![strip.phase.to_string(), measured],
        match strip.phase {
            "Degraded" => (Health::Failed, strip.detail.clone()),
            "Paused" => (Health::Warn, strip.detail.clone()),
            _ => ok(),
        },
    ));
    nodes.push(node(
        NodeId::Experiment,
        match lab.reading.view() {
            Some(r) => vec![
                format!(
                    "{} vs {}: {} pts",
                    r.candidate,
                    r.stable,
                    super::glue::signed_permille_text(r.lift_permille)
                ),
                format!("p = {:.4}", r.p_value),
                r.decision.name().to_string(),
            ],
            None => vec!["no release under test".into()],
        },
        ok(),
    ));
    let edge = |from, to, label: String, health| GraphEdge {
        from,
        to,
        label,
        health,
    };
    let health_of = |id: NodeId| {
        nodes
            .iter()
            .find(|n| n.id == id)
            .map_or(Health::Ok, |n| n.health)
    };
    let edges = vec![
        edge(
            NodeId::Users,
            NodeId::Producer,
            format!("{per_second} clicks/s"),
            Health::Ok,
        ),
        edge(
            NodeId::Producer,
            NodeId::Topic,
            format!("acks={acks}"),
            health_of(NodeId::Topic),
        ),
        edge(
            NodeId::Topic,
            NodeId::Job,
            format!("lag {job_lag_records}"),
            health_of(NodeId::Job),
        ),
        edge(
            NodeId::Job,
            NodeId::OnlineStore,
            if lab.settings.push_on {
                "push".into()
            } else {
                "push off".into()
            },
            health_of(NodeId::OnlineStore),
        ),
        edge(NodeId::Job, NodeId::OfflineLog, "log".into(), Health::Ok),
        edge(
            NodeId::OnlineStore,
            NodeId::Models,
            age_max.map_or("no features".into(), seconds_text),
            health_of(NodeId::OnlineStore),
        ),
        edge(
            NodeId::OfflineLog,
            NodeId::Models,
            "training".into(),
            Health::Ok,
        ),
        edge(
            NodeId::Models,
            NodeId::Traffic,
            "predictions".into(),
            health_of(NodeId::Models),
        ),
        edge(
            NodeId::Traffic,
            NodeId::Analysis,
            "predictions_total".into(),
            health_of(NodeId::Analysis),
        ),
        edge(
            NodeId::Traffic,
            NodeId::Experiment,
            "counts".into(),
            Health::Ok,
        ),
    ];
    Graph {
        nodes,
        edges,
        job_lag_records,
        watermark_lag_ms,
        clicks_lost,
    }
}
