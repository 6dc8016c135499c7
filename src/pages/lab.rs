//! A playground: every widget of a lab on one page.

use crate::pages::not_found::NotFound;
use crate::pages::sql_lab::SqlLabPage;
use crate::pages::use_share_param;
use crate::route::{Route, LABS};
use crate::widgets::pipeline::PipelineWorkbench;
use crate::widgets::{self, broker::presets_panel::PresetsPanel, lab_provider::LabProvider};
use lab::lesson::WidgetKind;
use lab::state::{LabConfig, Preset};
use yew::prelude::*;
use yew_router::prelude::Link;

/// A widget with its caption.
type Captioned = (WidgetKind, &'static str);

#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    pub id: AttrValue,
}

#[component]
pub fn LabPage(props: &LabPageProps) -> Html {
    let share = use_share_param();
    let Some(title) = LABS
        .iter()
        .find(|lab| lab.id == props.id.as_str())
        .map(|lab| lab.title)
    else {
        return html! { <NotFound what={AttrValue::from(format!("There is no lab called \"{}\".", props.id))} /> };
    };
    if props.id.as_str() == "sql" {
        return html! { <SqlLabPage title={title} /> };
    }
    // Each lab page owns its lab: a key per page (and per share link) makes Yew build a fresh
    // provider, with this page's preset, instead of reusing the previous page's session.
    let key = format!("{}|{}", props.id, share.clone().unwrap_or_default());
    let replication = props.id.as_str() == "replication";
    let pipeline = props.id.as_str() == "pipeline";
    // The cluster lab's board: its controls beside the cluster, the stages and the tasks, so a
    // change and its effect are on screen together.
    let board: Option<(Captioned, Vec<Captioned>)> = (props.id.as_str() == "cluster").then(|| {
        (
            (WidgetKind::ClusterControls, "Cluster, planner and faults"),
            vec![
                (WidgetKind::ClusterView, "The cluster: driver and executors"),
                (WidgetKind::ClusterStages, "Stages of the latest job"),
                (WidgetKind::ClusterTimeline, "Tasks over time"),
            ],
        )
    });
    // The replication lab and the overview show the same cluster two ways: each links the other.
    let companion = match props.id.as_str() {
        "replication" => Some((
            "overview",
            "See this cluster's numbers as an operator does: the cluster overview",
        )),
        "overview" => Some((
            "replication",
            "See the replicas, the ISR and the elections behind these numbers: the replication lab",
        )),
        _ => None,
    };
    let (lead, config, top, grid): (&str, LabConfig, Vec<WidgetKind>, Vec<(WidgetKind, &str)>) = match props.id.as_str() {
        "replication" => (
            "Three brokers, a KRaft controller quorum and topic orders with replication factor 3 and min.insync.replicas 2. \
             Kill and cut off brokers, watch the ISR, the high watermark and leader elections, and count which acknowledged writes survive. \
             Load a failover scenario, scrub back to before the failure, and fork it with other settings to compare.",
            LabConfig { preset: Preset::Replicated, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::Replicas],
            vec![
                (WidgetKind::Controller, "Controller and elections"),
                (WidgetKind::Ledger, "Acknowledged writes"),
                (WidgetKind::ReplicationChart, "Partition health"),
                (WidgetKind::Compare, "Fork and compare"),
                (WidgetKind::Producer, "Produce"),
                (WidgetKind::TopicConfig, "Topics"),
                (WidgetKind::Cluster, "Partition logs (as consumers see them)"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "overview" => (
            "The numbers an operator watches, as Confluent Control Center shows them, on the replicated cluster (three brokers, topic orders with replication factor 3 and min.insync.replicas 2). \
             Start traffic, press Play, then kill a broker and watch which numbers move, and when.",
            LabConfig { preset: Preset::Replicated, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::Overview],
            vec![
                (WidgetKind::LagChart, "Consumer lag over time"),
                (WidgetKind::Groups, "Consumer groups"),
                (WidgetKind::ReplicationChart, "Partition health"),
                (WidgetKind::Trace, "Event trace"),
            ],
        ),
        "features" => (
            "A feature store after Feast, over generated rides and spam comments: build a training set with a point-in-time join, see why each NULL is NULL and what the naive join leaks, then materialize to the online store, serve, and compare what the model saw with what it was trained on.",
            LabConfig { preset: Preset::FeatureStore, ..LabConfig::default() },
            vec![WidgetKind::FeatureDefinitions],
            vec![
                (WidgetKind::TrainingSet, "Training set"),
                (WidgetKind::FeatureTimeline, "One key over time"),
                (WidgetKind::FeatureModel, "Model: offline vs later"),
                (WidgetKind::OnlineStore, "Online store"),
                (WidgetKind::SkewReport, "Training/serving skew"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "streaming" => (
            "A click generator writes to topic clicks (3 partitions); a stream job runs a windowed SQL query over it on the lab's clock and writes each window's row to topic clicks_per_window and to the feature view user_activity. \
             Press Play, send a click that is 30 s late and watch the watermark drop it, then crash and restart the job under at-least-once and exactly-once and compare what reaches the output.",
            LabConfig { preset: Preset::Streaming, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::StreamJobGraph],
            vec![
                (WidgetKind::StreamControls, "The job and its input"),
                (WidgetKind::StreamFreshness, "Lag and feature freshness"),
                (WidgetKind::StreamTimeline, "Event time vs arrival"),
                (WidgetKind::StreamOutput, "What the job wrote"),
                (WidgetKind::StreamJoins, "Stream joins"),
                (WidgetKind::SampleDiagnosis, "Training samples: stream vs batch"),
                (WidgetKind::Medallion, "Medallion: bronze, silver, gold"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "rollouts" => (
            "A model served to live traffic (v1 stable, 20 requests/s) and released the way Argo Rollouts and Flagger release it. \
             Deploy v2, press Play and watch each step, its analysis and the traffic split; promote on a pause, or let a failed measurement roll it back.",
            LabConfig { preset: Preset::Rollouts, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::RolloutSteps],
            vec![
                (WidgetKind::RolloutTraffic, "Traffic split"),
                (WidgetKind::RolloutAnalysis, "Analysis runs"),
                (WidgetKind::RolloutDeploy, "Deploy a version, inject a fault"),
                (WidgetKind::RolloutJudge, "Baseline vs canary judge"),
                (WidgetKind::RolloutSpec, "Rollout spec"),
                (WidgetKind::RolloutMetrics, "Per-version metrics"),
                (WidgetKind::RolloutAlerts, "Alerts"),
                (WidgetKind::RolloutDrift, "Drift: training vs serving"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "experiments" => (
            "An A/B test on simulated shoppers (400 an hour; one tick is one hour), read as GrowthBook reads it. \
             Press Play and watch the results fill in, then break it: lose one arm's logs, peek every day, change the weights without sticky bucketing. \
             Below: peeking, interleaving and a bandit.",
            LabConfig { preset: Preset::Experiments, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::ExperimentResults],
            vec![
                (WidgetKind::ExperimentSetup, "Experiment setup"),
                (WidgetKind::ExperimentAllocation, "Allocation: users hashed into arms"),
                (WidgetKind::ExperimentPower, "Power and minimum detectable effect"),
                (WidgetKind::ExperimentPeeking, "The cost of peeking (A/A tests)"),
                (WidgetKind::ExperimentInterleaving, "Interleaving two rankers"),
                (WidgetKind::ExperimentBandit, "Bandit: explore and exploit"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "cluster" => (
            "A query run the way Spark runs it on a cluster: a driver, four executors of two cores, the lab's tables split into partitions. \
             Run an example query, press Play and watch its stages and tasks; then change the partitions, turn AQE off, broadcast nothing, cache a table, kill an executor mid-job or slow one down. \
             Below: the plan and result, and MapReduce jobs written in Python.",
            LabConfig { preset: Preset::Cluster, ..LabConfig::default() },
            vec![WidgetKind::TimeControls],
            vec![
                (WidgetKind::ClusterPlan, "Plan and result"),
                (WidgetKind::ClusterMapReduce, "MapReduce (Hadoop streaming)"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "pipeline" => (
            "Clicks flow through a replicated Kafka topic, a stream job, the online store, model versions and a canary release, all on one clock. \
             Press Play, open a node, inject a fault and follow it downstream.",
            LabConfig { preset: Preset::Pipeline, ..LabConfig::default() },
            vec![WidgetKind::TimeControls],
            vec![
                (WidgetKind::PipelineCharts, "Over time"),
                (WidgetKind::PipelineCompare, "Fork and compare"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        "broker" => (
            "A Kafka 4.x cluster: produce records, watch them land in partition logs, run consumer groups, and break things on purpose.",
            LabConfig { preset: Preset::Broker, ..LabConfig::default() },
            vec![WidgetKind::TimeControls, WidgetKind::Cluster],
            vec![
                (WidgetKind::Producer, "Produce"),
                (WidgetKind::Groups, "Consumer groups"),
                (WidgetKind::LagChart, "Consumer lag per partition"),
                (WidgetKind::Deliveries, "Delivery guarantees"),
                (WidgetKind::TopicConfig, "Topics"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
        _ => (
            "Sources emit events over logical time. Drive the clock, act on the sources, rewind, fork, and share what you see.",
            LabConfig::default(),
            vec![WidgetKind::TimeControls],
            vec![
                (WidgetKind::Stream, "Sources and their recent events"),
                (WidgetKind::Emitter, "Act on the sources"),
                (WidgetKind::EventsChart, "Events per tick"),
                (WidgetKind::Trace, "Event trace"),
                (WidgetKind::Journal, "Journal"),
                (WidgetKind::StateHash, "Determinism check"),
            ],
        ),
    };
    html! {
        <section class="page lab-page">
            <h1>{ title }</h1>
            <p class="lead">{ lead }</p>
            if let Some((to, text)) = companion {
                <p class="lab-companion"><Link<Route> to={Route::Lab { id: to.to_string() }}>{ text }</Link<Route>></p>
            }
            <LabProvider key={key} config={config} share={share} persist={AttrValue::from(format!("lab.{}", props.id))}>
                if replication {
                    <figure class="widget widget-presets" data-widget="presets">
                        <figcaption>{ "Failover scenarios" }</figcaption>
                        <PresetsPanel />
                    </figure>
                }
                <div class="lab-top">{ for top.into_iter().map(|kind| widgets::render(kind, None)) }</div>
                if pipeline {
                    <PipelineWorkbench />
                }
                if let Some(((controls, caption), watched)) = board {
                    <div class="dx-board">
                        { widgets::render(controls, Some(caption)) }
                        <div class="dx-board-main">
                            { for watched.into_iter().map(|(kind, caption)| widgets::render(kind, Some(caption))) }
                        </div>
                    </div>
                }
                <div class="lab-grid">
                    { for grid.into_iter().map(|(kind, caption)| widgets::render(kind, Some(caption))) }
                </div>
            </LabProvider>
        </section>
    }
}
