//! A job's task attempts as a Gantt chart, like the event timeline of Spark's stage page: one
//! row per executor slot, one bar per attempt from its launch to its end (or to now while it
//! runs), coloured by stage and named by task (stage.partition). Failed attempts are hatched,
//! speculative copies outlined with dashes, the losers of a speculative race struck through;
//! the current tick is a line. A skewed partition is the one long bar its stage waits for. The
//! chart scrolls sideways inside the widget on a narrow screen, never the page.

use super::format::{bytes_text, state_class, state_text, task_name};
use super::layout::{axis_ticks, bar_percent, gantt_span, gantt_width_px};
use super::{job_attempts, job_cluster, no_cluster_lab, no_job_yet, stage_class, task_spec};
use crate::widgets::form::bind_select;
use crate::widgets::hooks::use_text;
use lab::cluster::sched::{AttemptState, Cluster, ExecutorView, TaskAttempt};
use lab::cluster_lab::{ClusterLab, LabJob};
use yew::prelude::*;

/// The narrowest the chart's track gets, in CSS pixels (below, the widget scrolls).
const TRACK_MIN_PX: u64 = 300;

/// The attempt's title: everything a hover should tell.
fn attempt_title(cluster: &Cluster, attempt: &TaskAttempt, now_tick: u64) -> String {
    let end = attempt.end_tick.unwrap_or(now_tick);
    let mut title = format!(
        "stage {}, partition {}, attempt {}{}\nticks {}–{} ({} ticks): {}",
        attempt.stage.0,
        attempt.partition,
        attempt.attempt,
        if attempt.speculative {
            " (speculative copy)"
        } else {
            ""
        },
        attempt.start_tick,
        if attempt.end_tick.is_some() {
            end.to_string()
        } else {
            format!("{end}, running")
        },
        end - attempt.start_tick,
        state_text(attempt.state),
    );
    if let Some(task) = task_spec(cluster, attempt.job, attempt.stage.0, attempt.partition) {
        title.push_str(&format!(
            "\nshuffle read {}, shuffle write {}",
            bytes_text(task.shuffle_read_bytes),
            bytes_text(task.shuffle_write_bytes)
        ));
        if let Some(cache) = &task.cache {
            title.push_str(&format!(
                "\ncached block {}: {}",
                cache.block,
                if attempt.cache_hit {
                    "found in memory"
                } else {
                    "computed"
                }
            ));
        }
    }
    title
}

/// The median and the longest finished task of a job, in ticks, with the longest's name.
pub fn task_lengths(attempts: &[&TaskAttempt]) -> Option<(u64, u64, String)> {
    let mut finished: Vec<(u64, String)> = attempts
        .iter()
        .filter(|a| a.state == AttemptState::Succeeded)
        .filter_map(|a| {
            let end = a.end_tick?;
            Some((end - a.start_tick, task_name(a.stage.0, a.partition)))
        })
        .collect();
    if finished.is_empty() {
        return None;
    }
    lab::sim::sort::sort(&mut finished);
    let median = finished[(finished.len() - 1) / 2].0;
    let (longest, name) = finished.last()?.clone();
    Some((median, longest, name))
}

/// One executor slot's row.
fn slot_row(
    cluster: &Cluster,
    executor: &ExecutorView,
    slot: u16,
    attempts: &[&TaskAttempt],
    span: (u64, u64),
) -> Html {
    let now = cluster.now_tick();
    let bars = attempts
        .iter()
        .filter(|a| a.executor == executor.id && a.slot == slot)
        .map(|a| {
            let (left, width) = bar_percent(span, a.start_tick, a.end_tick.unwrap_or(now));
            let name = task_name(a.stage.0, a.partition);
            html! {
                <span class={classes!("dx-bar", stage_class(a.stage.0), state_class(a.state), a.speculative.then_some("dx-speculative"))}
                    style={format!("left: {left:.2}%; width: {width:.2}%")}
                    data-task={name.clone()} data-attempt={a.attempt.to_string()}
                    title={attempt_title(cluster, a, now)}>
                    <span class="dx-bar-text">{ name }</span>
                </span>
            }
        });
    let now_left = bar_percent(span, now, now).0;
    html! {
        <div class={classes!("dx-row", (!executor.alive).then_some("dx-dead"))} data-executor={executor.id.0.to_string()} data-slot={slot.to_string()}>
            <span class="dx-row-label small">
                { format!("E{} · {slot}", executor.id.0) }
                if !executor.alive { <span class="dx-cross" title="executor lost">{ " ✕" }</span> }
            </span>
            <span class="dx-track">
                { for bars }
                if now >= span.0 && now <= span.1 { <span class="dx-now" style={format!("left: {now_left:.2}%")} aria-hidden="true"></span> }
            </span>
        </div>
    }
}

/// The chart of one job, under `picker` (the job choice, when there are several).
fn chart(lab: &ClusterLab, job: &LabJob, picker: Html) -> Html {
    let cluster = job_cluster(lab, job);
    let now = cluster.now_tick();
    let Some((start, end)) = cluster.job_span(job.id) else {
        return html! {
            <div class="dx-timeline-head">
                { picker }
                <p class="small muted dx-timeline-summary">{ "This job waits for the one before it." }</p>
            </div>
        };
    };
    let span = gantt_span(start, end, now);
    let attempts: Vec<&TaskAttempt> = job_attempts(cluster, job.id).collect();
    let executors = cluster.executors();
    let width_px = gantt_width_px(span.1 - span.0, TRACK_MIN_PX);
    let ticks = axis_ticks(span.1 - span.0);
    let stages: std::collections::BTreeSet<u16> =
        lab::sim::sort::collect_set(attempts.iter().map(|a| a.stage.0));
    let failed = attempts
        .iter()
        .filter(|a| matches!(a.state, AttemptState::Failed(_)))
        .count();
    let speculative = attempts.iter().filter(|a| a.speculative).count();
    let lengths = task_lengths(&attempts);
    html! {
        <>
            <div class="dx-timeline-head">
            { picker }
            <p class="small dx-timeline-summary" data-attempts={attempts.len().to_string()}>
                { format!("{} attempts", attempts.len()) }
                if failed > 0 { <span class="bad">{ format!(", {failed} failed") }</span> }
                if speculative > 0 { { format!(", {speculative} speculative") } }
                if let Some((median, longest, name)) = lengths {
                    { format!("; median task {median} ticks, longest {longest} (task {name})") }
                }
            </p>
            </div>
            <div class="dx-scroll dx-gantt-scroll">
                <div class="dx-gantt" style={format!("width: max(100%, {width_px}px)")}>
                    { for executors.iter().flat_map(|e| (0..e.slots).map(move |slot| (e, slot))).map(|(e, slot)| slot_row(cluster, e, slot, &attempts, span)) }
                    <div class="dx-row dx-axis" aria-hidden="true">
                        <span class="dx-row-label small">{ "ticks" }</span>
                        <span class="dx-track">
                            { for ticks.iter().map(|t| {
                                let left = bar_percent(span, span.0 + t, span.0 + t).0;
                                html! { <span class="dx-axis-tick small" style={format!("left: {left:.2}%")}>{ t.to_string() }</span> }
                            }) }
                        </span>
                    </div>
                </div>
            </div>
            <ul class="dx-legend small" aria-label="Legend">
                { for stages.iter().map(|s| html! {
                    <li><span class={classes!("dx-key", stage_class(*s))}></span>{ format!("stage {s}") }</li>
                }) }
                <li><span class="dx-key dx-failed"></span>{ "failed" }</li>
                <li><span class="dx-key dx-speculative"></span>{ "speculative copy" }</li>
                <li><span class="dx-key dx-killed"></span>{ "killed copy" }</li>
                <li><span class="dx-key dx-key-now"></span>{ "now" }</li>
            </ul>
        </>
    }
}

#[component]
pub fn ClusterTimeline() -> Html {
    let session = crate::widgets::use_lab();
    // The job shown, by its place in the lab's list: the latest unless the learner picked one.
    let picked = use_text("");
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let jobs = lab.jobs();
    if jobs.is_empty() {
        return no_job_yet("task timeline");
    }
    let latest = jobs.len() - 1;
    let shown = picked
        .parse::<usize>()
        .ok()
        .filter(|i| *i < jobs.len())
        .unwrap_or(latest);
    let job = &jobs[shown];
    let picker = if jobs.len() > 1 {
        html! {
            <label class="dx-inline-label dx-job-pick">
                <span class="small">{ "Job" }</span>
                <select onchange={bind_select(&picked)} aria-label="Job shown">
                    { for jobs.iter().enumerate().rev().map(|(i, j)| html! {
                        <option value={i.to_string()} selected={i == shown}>
                            { format!("job {}{}", j.id.0, if i == latest { " (latest)" } else { "" }) }
                        </option>
                    }) }
                </select>
            </label>
        }
    } else {
        html! {}
    };
    html! {
        <div class="cluster-timeline" data-job={job.id.0.to_string()}>
            { chart(lab, job, picker) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::cluster::sched::{ExecutorId, JobId, StageId};

    fn attempt(
        stage: u16,
        partition: u32,
        start: u64,
        end: Option<u64>,
        state: AttemptState,
    ) -> TaskAttempt {
        TaskAttempt {
            job: JobId(0),
            stage: StageId(stage),
            partition,
            attempt: 0,
            executor: ExecutorId(0),
            slot: 0,
            start_tick: start,
            end_tick: end,
            state,
            speculative: false,
            cache_hit: false,
        }
    }

    #[test]
    fn the_longest_task_is_named_and_failures_do_not_count() {
        let attempts = [
            attempt(0, 0, 0, Some(10), AttemptState::Succeeded),
            attempt(0, 1, 0, Some(12), AttemptState::Succeeded),
            attempt(0, 2, 0, Some(90), AttemptState::Succeeded),
            attempt(
                0,
                3,
                0,
                Some(500),
                AttemptState::Failed(lab::cluster::sched::FailureReason::ExecutorLost),
            ),
            attempt(1, 0, 90, None, AttemptState::Running),
        ];
        let refs: Vec<&TaskAttempt> = attempts.iter().collect();
        assert_eq!(task_lengths(&refs), Some((12, 90, "0.2".into())));
        assert_eq!(task_lengths(&refs[3..]), None);
    }
}
