//! Live widgets: small components that read the lab session from context and dispatch commands.
//! Lessons embed them by kind ([`lab::lesson::WidgetKind`]); the playground shows them all.

pub mod broker;
pub mod chart_canvas;
pub mod cluster;
pub mod emitter;
pub mod events_chart;
pub mod experiments;
pub mod features;
pub mod fields;
pub mod form;
pub mod goal;
pub mod hooks;
pub mod journal_view;
pub mod lab_provider;
pub mod lesson_layout;
pub mod markup;
pub mod pipeline;
pub mod predict;
pub mod queue_view;
pub mod rollouts;
pub mod schema_registry;
pub mod sql;
pub mod sql_lesson;
pub mod state_hash;
pub mod steps;
pub mod stream_view;
pub mod streaming;
pub mod time_controls;
pub mod trace;

use crate::store::LabHandle;
use lab::lesson::WidgetKind;
use lab::stream::SourceId;
use yew::prelude::*;

/// The lab session of the enclosing [`lab_provider::LabProvider`].
#[hook]
pub fn use_lab() -> LabHandle {
    use_context::<LabHandle>().expect("widgets are only rendered inside a LabProvider")
}

/// Checks `command` against the state on screen and, if the lab takes it, journals it; else
/// returns the lab's refusal (message, hint).
pub fn try_send(session: &LabHandle, command: lab::state::Command) -> Result<(), (String, String)> {
    session
        .view
        .validate(&command)
        .map_err(|r| (r.to_string(), r.hint()))?;
    session.dispatch(crate::store::LabAction::Command(command));
    Ok(())
}

/// Renders a widget of `kind`, with an optional caption.
pub fn render(kind: WidgetKind, caption: Option<&str>) -> Html {
    let body = match kind {
        WidgetKind::TimeControls => html! { <time_controls::TimeControls /> },
        WidgetKind::Stream => html! { <stream_view::StreamView /> },
        WidgetKind::Emitter => html! { <emitter::Emitter /> },
        WidgetKind::EventsChart => html! { <events_chart::EventsChart /> },
        WidgetKind::Trace => html! { <trace::Trace /> },
        WidgetKind::Journal => html! { <journal_view::JournalView /> },
        WidgetKind::StateHash => html! { <state_hash::StateHash /> },
        WidgetKind::Cluster => html! { <broker::cluster_view::ClusterView /> },
        WidgetKind::Producer => html! { <broker::producer_panel::ProducerPanel /> },
        WidgetKind::Groups => html! { <broker::groups_panel::GroupsPanel /> },
        WidgetKind::LagChart => html! { <broker::lag_chart::LagChart /> },
        WidgetKind::TopicConfig => html! { <broker::topic_config::TopicConfig /> },
        WidgetKind::Deliveries => html! { <broker::deliveries::Deliveries /> },
        WidgetKind::Queue => html! { <queue_view::QueueView /> },
        WidgetKind::Replicas => html! { <broker::replicas::Replicas /> },
        WidgetKind::Controller => html! { <broker::controller_view::ControllerView /> },
        WidgetKind::Ledger => html! { <broker::ledger_view::LedgerView /> },
        WidgetKind::ReplicationChart => html! { <broker::replication_chart::ReplicationChart /> },
        WidgetKind::Compare => html! { <broker::compare::Compare /> },
        WidgetKind::Overview => html! { <broker::overview::Overview /> },
        WidgetKind::Sql => html! { <sql_lesson::SqlLessonEditor /> },
        WidgetKind::SqlTrace => html! { <sql_lesson::SqlLessonTrace /> },
        WidgetKind::SqlSchema => html! { <sql_lesson::SqlLessonSchema /> },
        WidgetKind::SchemaRegistry => html! { <schema_registry::SchemaRegistry /> },
        WidgetKind::FeatureDefinitions => html! { <features::definitions::FeatureDefinitions /> },
        WidgetKind::FeatureTimeline => html! { <features::timeline::FeatureTimeline /> },
        WidgetKind::TrainingSet => html! { <features::training_set::TrainingSetView /> },
        WidgetKind::FeatureModel => html! { <features::model_chart::FeatureModel /> },
        WidgetKind::OnlineStore => html! { <features::online_store::OnlineStorePanel /> },
        WidgetKind::SkewReport => html! { <features::skew::SkewReportView /> },
        WidgetKind::StreamControls => html! { <streaming::controls::StreamControls /> },
        WidgetKind::StreamJobGraph => html! { <streaming::job_graph::StreamJobGraph /> },
        WidgetKind::StreamTimeline => html! { <streaming::timeline::StreamTimeline /> },
        WidgetKind::StreamOutput => html! { <streaming::output::StreamOutput /> },
        WidgetKind::StreamFreshness => html! { <streaming::freshness::StreamFreshness /> },
        WidgetKind::StreamJoins => html! { <streaming::joins::StreamJoins /> },
        WidgetKind::SampleDiagnosis => html! { <streaming::samples::SampleDiagnosis /> },
        WidgetKind::Medallion => html! { <streaming::medallion::MedallionPanel /> },
        WidgetKind::RolloutSpec => html! { <rollouts::spec::RolloutSpecEditor /> },
        WidgetKind::RolloutSteps => html! { <rollouts::steps::RolloutSteps /> },
        WidgetKind::RolloutTraffic => html! { <rollouts::traffic::RolloutTraffic /> },
        WidgetKind::RolloutAnalysis => html! { <rollouts::analysis::RolloutAnalysis /> },
        WidgetKind::RolloutMetrics => html! { <rollouts::metrics::RolloutMetrics /> },
        WidgetKind::RolloutAlerts => html! { <rollouts::alerts::RolloutAlerts /> },
        WidgetKind::RolloutDrift => html! { <rollouts::drift::RolloutDrift /> },
        WidgetKind::RolloutJudge => html! { <rollouts::judge::RolloutJudge /> },
        WidgetKind::RolloutDeploy => html! { <rollouts::deploy::RolloutDeploy /> },
        WidgetKind::ExperimentSetup => html! { <experiments::setup::ExperimentSetup /> },
        WidgetKind::ExperimentResults => html! { <experiments::results::ExperimentResults /> },
        WidgetKind::ExperimentAllocation => {
            html! { <experiments::allocation::ExperimentAllocation /> }
        }
        WidgetKind::ExperimentPeeking => html! { <experiments::peeking::ExperimentPeeking /> },
        WidgetKind::ExperimentPower => html! { <experiments::power::ExperimentPower /> },
        WidgetKind::ExperimentInterleaving => {
            html! { <experiments::interleaving::ExperimentInterleaving /> }
        }
        WidgetKind::ExperimentBandit => html! { <experiments::bandit::ExperimentBandit /> },
        WidgetKind::PipelineGraph => html! { <pipeline::PipelineGraph /> },
        WidgetKind::PipelineFaults => html! { <pipeline::faults::PipelineFaults /> },
        WidgetKind::PipelineCharts => html! { <pipeline::over_time::PipelineCharts /> },
        WidgetKind::PipelineCompare => html! { <pipeline::compare::PipelineCompare /> },
        WidgetKind::ClusterControls => html! { <cluster::controls::ClusterControls /> },
        WidgetKind::ClusterView => html! { <cluster::view::ClusterView /> },
        WidgetKind::ClusterStages => html! { <cluster::stages::ClusterStages /> },
        WidgetKind::ClusterTimeline => html! { <cluster::timeline::ClusterTimeline /> },
        WidgetKind::ClusterPlan => html! { <cluster::plan::ClusterPlan /> },
        WidgetKind::ClusterMapReduce => html! { <cluster::mapreduce::ClusterMapReduce /> },
    };
    html! {
        <figure class={classes!("widget", format!("widget-{}", kind.name()))} data-widget={kind.name()}>
            if let Some(caption) = caption {
                <figcaption>{ caption }</figcaption>
            }
            { body }
        </figure>
    }
}

/// The CSS class that colours a source (eight distinct, theme-aware colours).
pub fn source_class(source: SourceId) -> String {
    format!("src-{}", source.0 % 8)
}

/// A source's name for display, or its id if it is unknown.
pub fn source_name(lab: &lab::state::Lab, source: SourceId) -> String {
    lab.stream()
        .source(source)
        .map_or_else(|| source.to_string(), |s| s.name.clone())
}
