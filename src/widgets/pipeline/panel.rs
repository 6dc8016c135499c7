//! The open node's panel: the engine behind a card, at the tick on screen (it scrubs with the
//! shared time controls like everything else). Where the pipeline holds the same engine as
//! another lab, the panel is that lab's widget: the broker's replicas (brokers with their fault
//! menus, partitions with leader, ISR and high watermark) and its ledger of acknowledged writes,
//! the rollout's step strip, traffic split and analysis runs. The rest reads the pipeline world's
//! views: the job, the online store's freshness per user, the offline log and training, the model
//! versions and the experiment's reading.

use super::over_time::{SeriesChart, Which};
use super::reading::reading_view;
use super::{
    age_text, command_button, health_badge, no_pipeline, permille_text, refusal_view, Refusal,
};
use crate::store::LabHandle;
use crate::widgets::hooks::use_refusal;
use crate::widgets::markup::plain_heads;
use crate::widgets::render;
use lab::lesson::WidgetKind;
use lab::pipeline_lab::command::{PipelineCommand, TrainJoin};
use lab::pipeline_lab::graph::NodeId;
use lab::pipeline_lab::model::{ModelVersion, OfflineScore};
use lab::pipeline_lab::PipelineLab;
use lab::state::Command;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NodePanelProps {
    pub node: NodeId,
}

#[component]
pub fn NodePanel(props: &NodePanelProps) -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let Some(pipeline) = session.view.pipeline() else {
        return no_pipeline();
    };
    let Some(node) = pipeline.graph().node(props.node) else {
        return no_pipeline();
    };
    let body = match props.node {
        NodeId::Users => users_body(pipeline),
        NodeId::Producer => html! {
            <>
                { facts(&[("clicks sent", pipeline.clicks_sent().to_string())]) }
                { render(WidgetKind::Ledger, Some("Acknowledged clicks: kept or lost")) }
            </>
        },
        NodeId::Topic => render(
            WidgetKind::Replicas,
            Some("Brokers and the replicas of clicks"),
        ),
        NodeId::Job => job_body(&session, &refusal, pipeline),
        NodeId::OnlineStore => html! {
            <>
                <SeriesChart which={Which::FeatureAge} />
                { users_body(pipeline) }
            </>
        },
        NodeId::OfflineLog => training_body(&session, &refusal, pipeline),
        NodeId::Models => models_body(&session, &refusal, pipeline),
        NodeId::Traffic => html! {
            <>
                { render(WidgetKind::RolloutSteps, Some("The rollout's steps")) }
                { render(WidgetKind::RolloutTraffic, Some("Traffic split")) }
            </>
        },
        NodeId::Analysis => html! {
            <>
                { render(WidgetKind::RolloutSteps, Some("The rollout's steps")) }
                { render(WidgetKind::RolloutAnalysis, Some("Analysis runs")) }
            </>
        },
        NodeId::Experiment => reading_view(pipeline.reading()),
    };
    let name = props.node.name();
    html! {
        <section id="pipe-panel" class="pipe-panel" data-panel={name} aria-label={format!("{} panel", node.title)}>
            <h2 class="pipe-panel-title">
                { node.title }{ " " }{ health_badge(node.health) }
                <span class="small muted">{ format!(" at tick {}", session.view.now().0) }</span>
            </h2>
            if !node.reason.is_empty() {
                <p class="small pipe-panel-reason">{ node.reason.clone() }</p>
            }
            { body }
            { refusal_view(&refusal) }
        </section>
    }
}

/// A few labelled numbers in one line.
fn facts(items: &[(&str, String)]) -> Html {
    html! {
        <dl class="pipe-facts">
            { for items.iter().map(|(label, value)| html! {
                <div><dt>{ *label }</dt><dd>{ value.clone() }</dd></div>
            }) }
        </dl>
    }
}

/// Each user's feature in the online store: its age when read now, and whether serving reads it
/// as missing (older than the TTL, or never written).
fn users_body(pipeline: &PipelineLab) -> Html {
    let users = pipeline.freshness();
    let stale = users.iter().filter(|u| u.stale).count();
    let settings = pipeline.settings();
    html! {
        <>
            { facts(&[
                ("users", users.len().to_string()),
                ("stale", stale.to_string()),
                ("TTL", format!("{} s", settings.ttl_seconds)),
                ("push", if settings.push_on { "on".into() } else { "off".into() }),
            ]) }
            <div class="table-scroll pipe-users">
                <table>
                    <caption class="visually-hidden">{ "Each user's user_activity feature in the online store" }</caption>
                    <thead><tr>{ plain_heads(&["user", "clicks (10 s)", "age", "read as"]) }</tr></thead>
                    <tbody>
                        { for users.iter().map(|u| html! {
                            <tr class={classes!(u.stale.then_some("pipe-stale-row"))}>
                                <td>{ u.user.clone() }</td>
                                <td>{ u.clicks.map_or_else(|| "-".to_string(), |c| c.to_string()) }</td>
                                <td>{ u.age_ms.map_or_else(|| "no value".to_string(), age_text) }</td>
                                <td>{ if u.stale { "NULL (stale)" } else { "value" } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </>
    }
}

/// The stream job: running or crashed, where it reads, its watermark, checkpoints; its buttons.
fn job_body(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    pipeline: &PipelineLab,
) -> Html {
    let job = pipeline.job();
    let running = job.is_running();
    let stats = job.job().stats();
    let settings = pipeline.settings();
    let button = |command: PipelineCommand, class, text: &str| {
        command_button(
            session,
            refusal,
            Command::Pipeline(command),
            (class, text.to_string()),
        )
    };
    html! {
        <div class="pipe-job" data-running={running.to_string()}>
            { facts(&[
                ("state", if running { "running".into() } else { "crashed".into() }),
                ("rows read", job.view().operator.stats().rows_in.to_string()),
                ("watermark delay", age_text(u64::from(settings.watermark_delay_ms))),
                ("checkpoint", format!("#{}", job.job().last_checkpoint().id)),
                ("restarts", stats.restarts.to_string()),
                ("speed", settings.slow_records_per_tick.map_or_else(|| "full".to_string(), |n| format!("{n} records/tick"))),
            ]) }
            <div class="inline-form">
                { button(PipelineCommand::CrashJob, "danger pipe-crash-job", "Crash the job") }
                { button(PipelineCommand::RestartJob, "pipe-restart-job", "Restart from checkpoint") }
                { button(PipelineCommand::SlowJob { records_per_tick: Some(2) }, "pipe-slow-job", "Slow: 2 records/tick") }
                { button(PipelineCommand::SlowJob { records_per_tick: None }, "pipe-full-speed", "Full speed") }
            </div>
            <SeriesChart which={Which::JobLag} />
        </div>
    }
}

/// The offline log of served features and observed labels, and training on it.
fn training_body(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    pipeline: &PipelineLab,
) -> Html {
    let next = next_model_name(pipeline);
    let button = |join: TrainJoin, class| {
        command_button(
            session,
            refusal,
            Command::Pipeline(PipelineCommand::Train {
                name: next.clone(),
                join,
            }),
            (class, format!("Train {next} ({})", join.name())),
        )
    };
    html! {
        <div class="pipe-training">
            { facts(&[
                ("requests scored", pipeline.requests_scored().to_string()),
                ("samples logged", pipeline.samples().logged().to_string()),
            ]) }
            <p class="small">{ "Point-in-time trains on the values served at request time; leaky joins each request to the feature's latest value, computed after the request (it holds the purchase's own clicks)." }</p>
            <div class="inline-form">
                { button(TrainJoin::PointInTime, "primary pipe-train-pit") }
                { button(TrainJoin::Leaky, "pipe-train-leaky") }
            </div>
            { models_table(pipeline) }
        </div>
    }
}

/// The first free version name after the ones the world holds (`v3` when `v1` and `v2` exist).
pub fn next_model_name(pipeline: &PipelineLab) -> String {
    (1..)
        .map(|n: u32| format!("v{n}"))
        .find(|name| !pipeline.models().contains_key(name))
        .unwrap_or_default()
}

/// The model versions: what each reads, its offline numbers, its measured quality.
fn models_table(pipeline: &PipelineLab) -> Html {
    let opt = |v: Option<u16>| v.map_or_else(|| "-".to_string(), |p| permille_text(i64::from(p)));
    let offline =
        |m: &ModelVersion, pick: fn(&OfflineScore) -> u16| opt(m.offline.as_ref().map(pick));
    html! {
        <div class="table-scroll">
            <table class="pipe-models">
                <thead><tr>
                    { plain_heads(&["version", "trained on", "offline accuracy", "offline AUC", "quality (last 10 s)"]) }
                </tr></thead>
                <tbody>
                    { for pipeline.models().values().map(|m| html! {
                        <tr data-version={m.name.clone()}>
                            <td>{ m.name.clone() }</td>
                            <td>{ m.trained_on.map_or("base rate", TrainJoin::name) }</td>
                            <td>{ offline(m, |o| o.accuracy_permille) }</td>
                            <td>{ offline(m, |o| o.auc_permille) }</td>
                            <td>{ opt(m.quality_permille) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

/// The model versions, their quality over time, and the deploy buttons.
fn models_body(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    pipeline: &PipelineLab,
) -> Html {
    html! {
        <div class="pipe-models-panel">
            { models_table(pipeline) }
            <div class="inline-form">
                { for pipeline.models().keys().filter(|name| name.as_str() != "v1").map(|name| command_button(
                    session,
                    refusal,
                    Command::Pipeline(PipelineCommand::Deploy { name: name.clone() }),
                    ("pipe-deploy", format!("Deploy {name}")),
                )) }
            </div>
            <SeriesChart which={Which::Quality} />
        </div>
    }
}
