//! The distributed execution lab's widgets (`#/labs/cluster`): the controls (cluster shape, the
//! SQL planner's settings, a query box, faults), the cluster as boxes (driver, executors, their
//! slots, cached blocks and memory), the latest job's stages as a DAG with the exchanges between
//! them, a Gantt chart of task attempts per executor slot, the plan and result (or a MapReduce
//! job's counters and part files) and the MapReduce form.
//!
//! Every widget reads the cluster lab of the state on screen (`Lab::cluster_lab`); every action
//! is a `Command::Cluster`, checked with `Lab::validate` first, so a refusal is shown beside its
//! control with its hint and nothing is journaled. The names on screen are Spark's and Hadoop's
//! (see Spark's "Web UI" and "SQL Performance Tuning" pages and Hadoop's MapReduce tutorial), so a
//! learner recognizes them in a real cluster's UI.

pub mod controls;
pub mod format;
pub mod layout;
pub mod mapreduce;
pub mod plan;
pub mod stages;
pub mod timeline;
pub mod view;

use crate::store::LabHandle;
use lab::cluster::sched::{Cluster, JobId, TaskAttempt, TaskSpec};
use lab::cluster_lab::{ClusterCommand, ClusterLab, LabJob};
use lab::state::Command;
use yew::prelude::*;

/// A refusal: the message, then the hint.
pub type Refusal = Option<(String, String)>;

/// The message a cluster widget shows in a lab without the cluster.
pub fn no_cluster_lab() -> Html {
    html! { <p class="muted">{ "This lab has no cluster: open the distributed execution lab." }</p> }
}

/// The message a job widget shows before the first job.
pub fn no_job_yet(what: &str) -> Html {
    html! {
        <p class="muted dx-empty">{ format!("No job yet: run a query or a MapReduce job to see its {what}.") }</p>
    }
}

/// Checks `command` against the state on screen and, if the lab takes it, journals it; else
/// returns the lab's refusal (message, hint).
pub fn try_send(session: &LabHandle, command: ClusterCommand) -> Result<(), (String, String)> {
    crate::widgets::try_send(session, Command::Cluster(command))
}

/// Sends `command` on click, putting a refusal into `refusal`.
pub fn send_on_click(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    command: ClusterCommand,
) -> Callback<MouseEvent> {
    let (session, refusal) = (session.clone(), refusal.clone());
    Callback::from(move |_: MouseEvent| refusal.set(try_send(&session, command.clone()).err()))
}

/// A refusal as the widgets show it (the same box as the other labs').
pub fn refusal_view(refusal: &Refusal) -> Html {
    crate::widgets::streaming::refusal_view(refusal)
}

/// The latest job the learner submitted.
pub fn latest_job(lab: &ClusterLab) -> Option<&LabJob> {
    lab.jobs().last()
}

/// The cluster a job ran on: the current one, or the one a change of executors or cores
/// replaced (job ids count from 0 on each).
pub fn job_cluster<'a>(lab: &'a ClusterLab, job: &LabJob) -> &'a Cluster {
    lab.job_cluster(job)
}

/// The task a stage ran for a partition, as the scheduler was given it.
pub fn task_spec(cluster: &Cluster, job: JobId, stage: u16, partition: u32) -> Option<&TaskSpec> {
    cluster
        .job_spec(job)?
        .stages
        .get(usize::from(stage))?
        .tasks
        .iter()
        .find(|t| t.partition == partition)
}

/// The attempts of one job, in launch order.
pub fn job_attempts(cluster: &Cluster, job: JobId) -> impl Iterator<Item = &TaskAttempt> {
    cluster.attempts().iter().filter(move |a| a.job == job)
}

/// The CSS class that colours a stage (eight theme-aware colours, the sources' palette); every
/// bar and box also carries the stage's number, so nothing reads by colour alone.
pub fn stage_class(stage: u16) -> String {
    format!("dx-stage-{}", stage % 8)
}
