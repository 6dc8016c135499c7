//! Hash routes, so every page has its own URL on any static host (no server rewrites needed).

use yew_router::prelude::*;

/// Every page of the site.
#[derive(Clone, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/lessons")]
    Lessons,
    #[at("/lessons/:id")]
    Lesson { id: String },
    #[at("/labs/:id")]
    Lab { id: String },
    #[at("/bench")]
    Bench,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// A playground page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabInfo {
    /// The URL id: `#/labs/{id}`.
    pub id: &'static str,
    pub title: &'static str,
    /// The lab's name on its button in the home page's track map (`blurb` is the button's
    /// tooltip).
    pub card: &'static str,
    pub blurb: &'static str,
}

/// The playgrounds.
pub const LABS: &[LabInfo] = &[
    LabInfo {
        id: "stream",
        title: "Event stream playground",
        card: "Playground",
        blurb: "Every widget on one page, for free exploration.",
    },
    LabInfo {
        id: "broker",
        title: "Kafka broker lab",
        card: "Kafka lab",
        blurb: "A live Kafka 4.x cluster: partitions, keys, consumer groups, retention, compaction.",
    },
    LabInfo {
        id: "replication",
        title: "Replication and failover lab",
        card: "Replication lab",
        blurb: "Replicas, the ISR, the high watermark and KRaft elections: kill brokers, cut the network, and count what acknowledged writes survive.",
    },
    LabInfo {
        id: "overview",
        title: "Cluster overview",
        card: "Cluster overview",
        blurb: "A Control Center-style dashboard of the replicated cluster: under-replicated and offline partitions, per-broker traffic and consumer lag in records and seconds, each named by its JMX metric. Kill a broker and watch the numbers move.",
    },
    LabInfo {
        id: "features",
        title: "Feature store lab",
        card: "Feature store lab",
        blurb: "Feast's model on generated rides and spam data: point-in-time joins with a reason for every NULL, the naive join that leaks the future, the online store, materialization and training/serving skew.",
    },
    LabInfo {
        id: "streaming",
        title: "Stream processing lab",
        card: "Streaming lab",
        blurb: "A stream job over a live Kafka topic of clicks: windowed SQL, watermarks and late clicks, emit modes, checkpoints, crash and restart under at-least-once or exactly-once, and a feature it keeps fresh.",
    },
    LabInfo {
        id: "rollouts",
        title: "Rollouts lab",
        card: "Rollouts lab",
        blurb: "Release a model version the way Argo Rollouts and Flagger do: canary steps and pauses, analysis that measures each step and rolls a bad version back by itself, shadow traffic, and the alerts and drift checks that watch it after a full rollout.",
    },
    LabInfo {
        id: "experiments",
        title: "Experiments lab",
        card: "Experiments lab",
        blurb: "A/B tests with the statistics GrowthBook computes: users hashed into arms, a results table with lifts and intervals, sample ratio mismatch, the cost of peeking and the sequential fix, CUPED, interleaving for rankers and bandits.",
    },
    LabInfo {
        id: "pipeline",
        title: "Pipeline lab",
        card: "Pipeline lab",
        blurb: "The whole ML pipeline on one clock: clicks through a replicated Kafka topic, a stream job, the online store, model versions and a canary release with its analysis and A/B reading. Kill a broker or crash the job and follow the effect downstream.",
    },
    LabInfo {
        id: "cluster",
        title: "Distributed execution lab",
        card: "Cluster lab",
        blurb: "Spark's model of a query on a cluster: stages split at shuffles, one task per partition on executor slots, broadcast and sort-merge joins, adaptive coalescing and skew splits, cached tables, lost executors recomputed from lineage and stragglers copied; and Hadoop streaming MapReduce jobs in Python.",
    },
    LabInfo {
        id: "sql",
        title: "SQL lab",
        card: "SQL lab",
        blurb: "Query sample tables with SQL in the browser, and watch each clause run: the trace, the plan, a chart, CSV in and out.",
    },
];
