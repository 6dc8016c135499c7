//! The cluster as Spark's Executors page would draw it if it were a picture: the driver with the
//! job it runs, then one box per executor with its task slots (`spark.executor.cores`), the task
//! each busy slot runs (stage.partition and attempt) filling as it progresses on the lab clock,
//! the cached blocks it holds against its storage memory, and the map outputs it serves to the
//! next stage. A lost executor stays on screen, greyed and crossed out: its blocks and map
//! outputs went with it.

use super::format::{bytes_text, expected_ticks, progress_percent, task_name};
use super::{job_cluster, latest_job, no_cluster_lab, stage_class, task_spec};
use lab::cluster::sched::{Cluster, ExecutorView, JobState};
use lab::cluster_lab::{ClusterLab, JobKind};
use yew::prelude::*;

/// Cached blocks listed per executor at most (the rest are counted).
const BLOCKS_SHOWN_MAX: usize = 4;

/// The driver's line about the latest job.
fn driver_status(lab: &ClusterLab) -> String {
    let Some(job) = latest_job(lab) else {
        return "No job yet.".into();
    };
    let cluster = job_cluster(lab, job);
    let kind = match job.kind {
        JobKind::Sql { .. } => "SQL",
        JobKind::MapReduce { .. } => "MapReduce",
    };
    let done = cluster.stages_done(job.id);
    let finished = done.iter().filter(|d| **d).count();
    let state = match cluster.job_state(job.id) {
        Some(JobState::Waiting) => "waiting".to_string(),
        Some(JobState::Running) => format!("running, {finished} of {} stages done", done.len()),
        Some(JobState::Succeeded) => match cluster.job_span(job.id) {
            Some((start, Some(end))) => format!("succeeded in {} ticks", end - start),
            _ => "succeeded".into(),
        },
        Some(JobState::Failed) => "failed".into(),
        None => "not submitted".into(),
    };
    format!("Job {} ({kind}): {state}", job.id.0)
}

/// One busy or idle slot.
fn slot_view(cluster: &Cluster, executor: &ExecutorView, slot: usize) -> Html {
    let running = executor
        .running
        .get(slot)
        .copied()
        .flatten()
        .and_then(|i| cluster.attempts().get(i));
    let Some(attempt) = running else {
        return html! { <li class="dx-slot dx-idle" data-slot={slot.to_string()}><span class="small muted">{ "idle" }</span></li> };
    };
    let elapsed = cluster.now_tick().saturating_sub(attempt.start_tick);
    let percent =
        task_spec(cluster, attempt.job, attempt.stage.0, attempt.partition).map_or(0, |task| {
            let expected = expected_ticks(
                task,
                cluster.config(),
                executor.speed_percent,
                attempt.cache_hit,
            );
            progress_percent(elapsed, expected)
        });
    let name = task_name(attempt.stage.0, attempt.partition);
    let title = format!(
        "task {name} (stage {}, partition {}), attempt {}{}: running for {elapsed} ticks, about {percent}% done",
        attempt.stage.0,
        attempt.partition,
        attempt.attempt,
        if attempt.speculative { ", a speculative copy" } else { "" },
    );
    html! {
        <li class={classes!("dx-slot", "dx-busy", stage_class(attempt.stage.0))} data-slot={slot.to_string()} data-task={name.clone()} {title}>
            <span class="dx-fill" style={format!("width: {percent}%")}></span>
            <span class="dx-slot-text">
                <strong>{ name }</strong>
                <span class="small">{ format!(" attempt {}", attempt.attempt) }</span>
                if attempt.speculative { <span class="dx-spec-mark small" title="speculative copy">{ " spec" }</span> }
            </span>
        </li>
    }
}

/// One executor's box.
fn executor_view(cluster: &Cluster, executor: &ExecutorView) -> Html {
    let capacity = cluster.config().storage_bytes_per_executor.max(1);
    let used_percent = (executor.storage_used_bytes * 100 / capacity).min(100);
    let status = if !executor.alive {
        "lost".to_string()
    } else if executor.speed_percent < 100 {
        format!("slow: {}% speed", executor.speed_percent)
    } else {
        "alive".to_string()
    };
    let more_blocks = executor.blocks.len().saturating_sub(BLOCKS_SHOWN_MAX);
    html! {
        <article class={classes!("dx-executor", (!executor.alive).then_some("dx-dead"), (executor.speed_percent < 100).then_some("dx-slow"))}
            data-executor={executor.id.0.to_string()} data-alive={executor.alive.to_string()}
            aria-label={format!("Executor {}: {status}", executor.id.0)}>
            <header class="dx-executor-head">
                <strong>{ format!("Executor {}", executor.id.0) }</strong>
                <span class="dx-executor-status small">
                    if !executor.alive { <span class="dx-cross" aria-hidden="true">{ "✕ " }</span> }
                    { status }
                </span>
            </header>
            <ul class="dx-slots" aria-label="Task slots">
                { for (0..usize::from(executor.slots)).map(|slot| slot_view(cluster, executor, slot)) }
            </ul>
            <div class="dx-memory small" title={format!("storage memory: {} of {} used by cached blocks", bytes_text(executor.storage_used_bytes), bytes_text(capacity))}>
                <span class="dx-memory-bar" role="img" aria-label={format!("storage memory {used_percent}% used")}>
                    <span class="dx-memory-used" style={format!("width: {used_percent}%")}></span>
                </span>
                <span>{ format!("{} cached", bytes_text(executor.storage_used_bytes)) }</span>
                <span class="dx-map-outputs" title="map outputs this executor serves to the next stage">{ format!("{} map outputs", executor.map_outputs) }</span>
            </div>
            if !executor.blocks.is_empty() {
                <ul class="dx-blocks small" aria-label="Cached blocks">
                    { for executor.blocks.iter().take(BLOCKS_SHOWN_MAX).map(|(block, bytes)| html! {
                        <li class="dx-block" title={format!("{block}: {}", bytes_text(*bytes))}>{ block.clone() }</li>
                    }) }
                    if more_blocks > 0 { <li class="muted">{ format!("+{more_blocks} more") }</li> }
                </ul>
            }
        </article>
    }
}

#[component]
pub fn ClusterView() -> Html {
    let session = crate::widgets::use_lab();
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let cluster = lab.cluster();
    let executors = cluster.executors();
    let alive = executors.iter().filter(|e| e.alive).count();
    let busy: usize = executors
        .iter()
        .map(|e| e.running.iter().filter(|r| r.is_some()).count())
        .sum();
    html! {
        <div class="cluster-executors" data-alive={alive.to_string()} data-busy={busy.to_string()}>
            <div class="dx-driver">
                <strong>{ "Driver" }</strong>
                <span class="dx-driver-job">{ driver_status(lab) }</span>
                <span class="small muted">{ format!("tick {} · {alive} executors alive, {busy} tasks running", cluster.now_tick()) }</span>
            </div>
            <div class="dx-executors">
                { for executors.iter().map(|e| executor_view(cluster, e)) }
            </div>
        </div>
    }
}
