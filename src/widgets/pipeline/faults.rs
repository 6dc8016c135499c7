//! The fault buttons of every engine on one timeline: the broker (kill or restart the broker
//! that leads `clicks` partition 0, kill or restart the active controller, cut a broker off from
//! the others), the stream job (crash, restart from its checkpoint, slow down), the feature
//! pipeline (stop or resume pushing to the online store, skew the online computation of `clicks`)
//! and the model (train the next version point-in-time or leaky and deploy it). Each button is
//! disabled, with the lab's own reason as its tooltip, when the lab would refuse it now; a
//! refusal at click time is shown with its hint. Pressed while looking at the past, a fault forks
//! the timeline there.

use super::panel::next_model_name;
use super::{command_button, no_pipeline, refusal_view, Refusal};
use crate::store::{LabAction, LabHandle};
use crate::widgets::hooks::use_refusal;
use crate::widgets::try_send;
use lab::broker::cluster::{BrokerCommand, Cluster};
use lab::broker::node::Link;
use lab::broker::BrokerId;
use lab::pipeline_lab::command::{PipelineCommand, SkewFeature, TrainJoin};
use lab::state::Command;
use yew::prelude::*;

/// The topic whose partition 0's leader the broker buttons act on.
const CLICKS_TOPIC: &str = "clicks";
/// The skew a button applies to the online `clicks` feature, in percent (3 times the value).
const SKEW_PERCENT: u32 = 300;
/// How many records per partition and tick a slowed job reads.
const SLOW_RECORDS_PER_TICK: u32 = 2;

/// The broker that leads partition 0 of `clicks` now, else the first running broker.
fn leader_of_clicks(cluster: &Cluster) -> Option<BrokerId> {
    cluster
        .topics()
        .get(CLICKS_TOPIC)
        .and_then(|t| t.partitions().first())
        .and_then(|p| p.leader())
        .or_else(|| {
            cluster
                .brokers()
                .iter()
                .find(|b| b.running())
                .map(|b| b.id())
        })
}

/// The first broker that is not running (the one a restart brings back).
fn first_down(cluster: &Cluster) -> Option<BrokerId> {
    cluster
        .brokers()
        .iter()
        .find(|b| !b.running())
        .map(|b| b.id())
}

/// The first broker with its link to the other brokers cut.
fn first_cut(cluster: &Cluster) -> Option<BrokerId> {
    cluster
        .brokers()
        .iter()
        .find(|b| b.is_cut(Link::Brokers))
        .map(|b| b.id())
}

#[component]
pub fn PipelineFaults() -> Html {
    let session = crate::widgets::use_lab();
    let refusal = use_refusal();
    let Some(pipeline) = session.view.pipeline() else {
        return no_pipeline();
    };
    let button = |command: Command, class: &'static str, text: String| {
        command_button(&session, &refusal, command, (class, text))
    };
    let pipe = |command: PipelineCommand, class: &'static str, text: &str| {
        button(Command::Pipeline(command), class, text.to_string())
    };
    let settings = pipeline.settings();
    let skewed = settings.skew_percent[SkewFeature::Clicks.index()] != 100;
    let next = next_model_name(pipeline);
    html! {
        <div class="pipe-faults">
            <div class="pipe-fault-group" role="group" aria-label="Broker faults">
                <span class="pipe-fault-label">{ "Kafka" }</span>
                { broker_buttons(&session, &refusal) }
            </div>
            <div class="pipe-fault-group" role="group" aria-label="Stream job faults">
                <span class="pipe-fault-label">{ "Job" }</span>
                { pipe(PipelineCommand::CrashJob, "danger pipe-crash-job", "Crash") }
                { pipe(PipelineCommand::RestartJob, "pipe-restart-job", "Restart") }
                if settings.slow_records_per_tick.is_some() {
                    { pipe(PipelineCommand::SlowJob { records_per_tick: None }, "pipe-slow-job", "Full speed") }
                } else {
                    { pipe(PipelineCommand::SlowJob { records_per_tick: Some(SLOW_RECORDS_PER_TICK) }, "pipe-slow-job",
                        &format!("Slow ({SLOW_RECORDS_PER_TICK} records/tick)")) }
                }
            </div>
            <div class="pipe-fault-group" role="group" aria-label="Feature faults">
                <span class="pipe-fault-label">{ "Features" }</span>
                if settings.push_on {
                    { pipe(PipelineCommand::SetPush { on: false }, "pipe-push", "Push off") }
                } else {
                    { pipe(PipelineCommand::SetPush { on: true }, "pipe-push", "Push on") }
                }
                if skewed {
                    { pipe(PipelineCommand::SetSkew { feature: SkewFeature::Clicks, factor_percent: 100 }, "pipe-skew", "Skew off") }
                } else {
                    { pipe(PipelineCommand::SetSkew { feature: SkewFeature::Clicks, factor_percent: SKEW_PERCENT }, "pipe-skew",
                        &format!("Skew clicks ×{}", SKEW_PERCENT / 100)) }
                }
            </div>
            <div class="pipe-fault-group" role="group" aria-label="Model faults">
                <span class="pipe-fault-label">{ "Model" }</span>
                { train_and_deploy(&session, &refusal, &next, TrainJoin::PointInTime) }
                { train_and_deploy(&session, &refusal, &next, TrainJoin::Leaky) }
            </div>
            { refusal_view(&refusal) }
        </div>
    }
}

/// Kill / restart the leader of `clicks`-0, kill / restart the active controller, cut / heal a
/// broker's link to the others.
fn broker_buttons(session: &LabHandle, refusal: &UseStateHandle<Refusal>) -> Html {
    let Some(cluster) = session.view.cluster() else {
        return html! {};
    };
    let broker = |command: BrokerCommand, class: &'static str, text: String| {
        command_button(session, refusal, Command::Broker(command), (class, text))
    };
    let controller = cluster.controller();
    let down_controller = controller.nodes().iter().find(|n| !n.running).map(|n| n.id);
    html! {
        <>
            if let Some(leader) = leader_of_clicks(cluster) {
                { broker(BrokerCommand::KillBroker { broker: leader }, "danger pipe-kill-broker",
                    format!("Kill {leader} (leads clicks-0)")) }
            }
            if let Some(down) = first_down(cluster) {
                { broker(BrokerCommand::RestartBroker { broker: down }, "pipe-restart-broker", format!("Restart {down}")) }
            }
            if let Some(active) = controller.active() {
                { broker(BrokerCommand::KillController { controller: active }, "danger pipe-kill-controller",
                    format!("Kill {active}")) }
            }
            if let Some(down) = down_controller {
                { broker(BrokerCommand::RestartController { controller: down }, "pipe-restart-controller",
                    format!("Restart {down}")) }
            }
            if let Some(cut) = first_cut(cluster) {
                { broker(BrokerCommand::CutLink { broker: cut, link: Link::Brokers, cut: false }, "pipe-heal-link",
                    format!("Heal {cut}'s link")) }
            } else if let Some(leader) = leader_of_clicks(cluster) {
                { broker(BrokerCommand::CutLink { broker: leader, link: Link::Brokers, cut: true }, "pipe-cut-link",
                    format!("Cut {leader} from the others")) }
            }
        </>
    }
}

/// Trains the next version with `join` and deploys it at the same tick: two journaled commands.
fn train_and_deploy(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    next: &str,
    join: TrainJoin,
) -> Html {
    let train = Command::Pipeline(PipelineCommand::Train {
        name: next.to_string(),
        join,
    });
    let unavailable = session
        .view
        .validate(&train)
        .err()
        .map(|r| format!("{} ({})", r, r.hint()));
    let onclick = {
        let (session, refusal, next) = (session.clone(), refusal.clone(), next.to_string());
        Callback::from(move |_: MouseEvent| {
            // The state on screen does not hold the new version until the training is applied,
            // so the deploy goes second and the lab checks it then (a refusal shows as the lab's
            // notice, as for any refused command).
            let trained = try_send(&session, train.clone());
            if trained.is_ok() {
                let deploy = PipelineCommand::Deploy { name: next.clone() };
                session.dispatch(LabAction::Command(Command::Pipeline(deploy)));
            }
            refusal.set(trained.err());
        })
    };
    let disabled = unavailable.is_some();
    let class = match join {
        TrainJoin::PointInTime => "pipe-deploy-pit",
        TrainJoin::Leaky => "pipe-deploy-leaky",
    };
    html! {
        <button type="button" class={class} disabled={disabled} title={unavailable} {onclick}>
            { format!("Train + deploy {next} ({})", join.name()) }
        </button>
    }
}
