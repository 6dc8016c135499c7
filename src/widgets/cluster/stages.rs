//! The latest job's stages as a DAG, left to right as Spark's UI draws a job: a box per stage with
//! the operators it runs (bottom-up, as the plan lists them), its task count and how many are
//! done, and whether it is waiting, running or done; on each arrow the exchange that ends the
//! parent stage (`hashpartitioning(keys, n)`, `rangepartitioning`, `SinglePartition`,
//! `BroadcastExchange`, or a MapReduce shuffle with its partitioner) and the bytes it moved (the
//! parent's tasks' shuffle writes). Adaptive query execution's changes are noted in the stage
//! they changed: partitions coalesced (8 → 3) and skewed partitions split (see Spark's SQL
//! Performance Tuning page, "Adaptive Query Execution").

use super::format::{bytes_text, exchange_text};
use super::layout::{
    dag_layout, edge_path, DagNode, BOX_WIDTH, LABEL_CHARS, LINES_MAX, LINE_HEIGHT,
};
use super::{job_attempts, job_cluster, latest_job, no_cluster_lab, no_job_yet, stage_class};
use crate::widgets::markup::svg_text;
use lab::cluster::mapreduce::Partitioner;
use lab::cluster::sched::{AttemptState, Cluster, JobId};
use lab::cluster_lab::{JobKind, LabJob};
use std::collections::BTreeSet;
use yew::prelude::*;

/// A stage as the DAG shows it, whatever planned it.
#[derive(Clone, Debug, PartialEq)]
pub struct StageBox {
    pub id: u16,
    pub parents: Vec<u16>,
    pub operators: Vec<String>,
    /// The exchange its output goes to.
    pub output: Option<Output>,
    pub tasks: usize,
    /// Adaptive query execution's notes.
    pub notes: Vec<String>,
}

/// Where a stage's output goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The label on the arrow: `hashpartitioning(page, 8)`.
    pub label: String,
    /// The exchange in full, for the arrow's title.
    pub title: String,
    /// The bytes the stage's tasks wrote to it.
    pub bytes: u64,
}

/// The stages of a job, from its SQL plan or its MapReduce run.
pub fn stage_boxes(job: &LabJob) -> Vec<StageBox> {
    match &job.kind {
        JobKind::Sql { run, .. } => run
            .stages
            .iter()
            .map(|stage| {
                let written: u64 = stage.tasks.iter().map(|t| t.shuffle_write_bytes).sum();
                let mut notes = Vec::new();
                if let Some(from) = stage.coalesced_from {
                    notes.push(format!("AQE: coalesced {from} → {}", stage.tasks.len()));
                }
                for (partition, pieces) in &stage.skew_splits {
                    notes.push(format!("AQE: skew split p{partition} into {pieces}"));
                }
                StageBox {
                    id: stage.id,
                    parents: stage.parents.clone(),
                    operators: stage.operators.clone(),
                    output: stage.output.as_ref().map(|e| Output {
                        label: exchange_text(e),
                        title: exchange_text(e),
                        bytes: written,
                    }),
                    tasks: stage.tasks.len(),
                    notes,
                }
            })
            .collect(),
        JobKind::MapReduce { spec, run } => {
            let shuffled: u64 = run.maps.iter().flat_map(|m| &m.bytes_per_reducer).sum();
            // The arrow's label is short ("KeyFieldBased(-k1,2)": the reducers are the next
            // stage's tasks), its title whole.
            let (label, title) = match &spec.partitioner {
                Partitioner::Hash => (
                    "HashPartitioner".to_string(),
                    format!("shuffle: HashPartitioner, {} reducers", spec.reducers),
                ),
                Partitioner::KeyFields { options } => (
                    format!("KeyFieldBased({options})"),
                    format!(
                        "shuffle: KeyFieldBasedPartitioner {options}, {} reducers",
                        spec.reducers
                    ),
                ),
            };
            run.job
                .stages
                .iter()
                .enumerate()
                .map(|(i, stage)| {
                    let last = i + 1 == run.job.stages.len();
                    let mut operators = vec![stage.name.clone()];
                    if i == 0 && spec.combiner {
                        operators.push("combine (the combiner)".into());
                    }
                    StageBox {
                        id: stage.id.0,
                        parents: stage.parents.iter().map(|p| p.0).collect(),
                        operators,
                        output: (!last).then(|| Output {
                            label: label.clone(),
                            title: title.clone(),
                            bytes: shuffled,
                        }),
                        tasks: stage.tasks.len(),
                        notes: Vec::new(),
                    }
                })
                .collect()
        }
    }
}

/// Where a stage stands.
fn stage_state(cluster: &Cluster, job: JobId, index: usize) -> (&'static str, usize) {
    let done = cluster
        .stages_done(job)
        .get(index)
        .copied()
        .unwrap_or(false);
    let attempts: Vec<_> = job_attempts(cluster, job)
        .filter(|a| usize::from(a.stage.0) == index)
        .collect();
    let finished: BTreeSet<u32> = attempts
        .iter()
        .filter(|a| a.state == AttemptState::Succeeded)
        .map(|a| a.partition)
        .collect();
    let state = if done {
        "done"
    } else if attempts.iter().any(|a| a.state == AttemptState::Running) {
        "running"
    } else {
        "waiting"
    };
    (state, finished.len())
}

/// Cuts a label's line to fit between two columns.
fn cut(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        text.to_string()
    } else {
        let kept: String = text.chars().take(LABEL_CHARS - 1).collect();
        format!("{kept}…")
    }
}

/// An exchange's label in two lines: the partitioning's name, then its arguments.
fn label_lines(exchange: &str) -> (String, String) {
    match exchange.split_once('(') {
        Some((name, args)) => (cut(name), cut(&format!("({args}"))),
        None => (cut(exchange), String::new()),
    }
}

#[component]
pub fn ClusterStages() -> Html {
    let session = crate::widgets::use_lab();
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let Some(job) = latest_job(lab) else {
        return no_job_yet("stages");
    };
    let cluster = job_cluster(lab, job);
    let boxes = stage_boxes(job);
    let nodes: Vec<DagNode> = boxes
        .iter()
        .map(|b| DagNode {
            id: b.id,
            parents: b.parents.clone(),
            lines: b.operators.len().min(LINES_MAX) + b.notes.len(),
        })
        .collect();
    let layout = dag_layout(&nodes);
    let edges = boxes.iter().flat_map(|child| {
        let layout = &layout;
        let boxes = &boxes;
        child.parents.iter().filter_map(move |p| {
            let (from, to) = (layout.placed(*p)?, layout.placed(child.id)?);
            let parent = boxes.iter().find(|b| b.id == *p)?;
            let (x1, y1) = (from.x + BOX_WIDTH, from.y + 22.0);
            let (x2, y2) = (to.x - 4.0, to.y + 22.0);
            let output = parent.output.as_ref()?;
            let (kind, bytes) = (&output.title, output.bytes);
            let (line1, line2) = label_lines(&output.label);
            Some(html! {
                <g class="dx-edge" data-from={p.to_string()} data-to={child.id.to_string()}>
                    <title>{ format!("stage {p} → stage {}: {kind}, {}", child.id, bytes_text(bytes)) }</title>
                    <path class="dx-edge-line" d={edge_path((x1, y1), (x2, y2))} marker-end="url(#dx-arrow)" />
                    { svg_text(((x1 + 6.0).to_string().into(), (y1 - 18.0).to_string().into()), None, "dx-edge-kind", line1.into()) }
                    { svg_text(((x1 + 6.0).to_string().into(), (y1 - 6.0).to_string().into()), None, "dx-edge-kind", line2.into()) }
                    { svg_text(((x1 + 6.0).to_string().into(), (y1 + 13.0).to_string().into()), None, "dx-edge-bytes", bytes_text(bytes).into()) }
                </g>
            })
        })
    });
    let stage_views = boxes.iter().enumerate().filter_map(|(index, b)| {
        let placed = layout.placed(b.id)?;
        let (state, done_tasks) = stage_state(cluster, job.id, index);
        let (x, y) = (placed.x, placed.y);
        let hidden = b.operators.len().saturating_sub(LINES_MAX);
        let mut lines: Vec<(String, &'static str)> = b
            .operators
            .iter()
            .take(if hidden > 0 { LINES_MAX - 1 } else { LINES_MAX })
            .map(|op| (op.clone(), "dx-op"))
            .collect();
        if hidden > 0 {
            lines.push((format!("+{} more", hidden + 1), "dx-op"));
        }
        lines.extend(b.notes.iter().map(|n| (n.clone(), "dx-aqe")));
        Some(html! {
            <g class={classes!("dx-stage", format!("dx-stage-{state}"), stage_class(b.id))} data-stage={b.id.to_string()} data-state={state}>
                <title>{ b.operators.join("\n") }</title>
                <rect class="dx-stage-box" x={x.to_string()} y={y.to_string()} width={BOX_WIDTH.to_string()} height={placed.height.to_string()} rx="6" />
                <rect class="dx-stage-band" x={x.to_string()} y={y.to_string()} width="6" height={placed.height.to_string()} rx="3" />
                { svg_text(((x + 12.0).to_string().into(), (y + 16.0).to_string().into()), None, "dx-stage-title", format!("Stage {}", b.id).into()) }
                { svg_text(((x + BOX_WIDTH - 8.0).to_string().into(), (y + 16.0).to_string().into()), Some("end"), "dx-stage-state", state.into()) }
                { for lines.iter().enumerate().map(|(i, (line, class))| html! {
                    { svg_text(((x + 12.0).to_string().into(), (y + 32.0 + LINE_HEIGHT * i as f64).to_string().into()), None, class, cut_op(line).into()) }
                }) }
                <text x={(x + 12.0).to_string()} y={(y + placed.height - 8.0).to_string()} class="dx-stage-tasks">
                    { format!("{} tasks · {done_tasks} done", b.tasks) }
                </text>
            </g>
        })
    });
    let (width, height) = (layout.width, layout.height);
    html! {
        <div class="cluster-stages" data-stages={boxes.len().to_string()} data-job={job.id.0.to_string()}>
            <p class="small muted dx-stages-caption">{ format!("Job {}: {} stages; each arrow is an exchange, with the bytes it moved.", job.id.0, boxes.len()) }</p>
            <div class="dx-scroll">
                <svg class="dx-dag" viewBox={format!("0 0 {width} {height}")} width={width.to_string()} height={height.to_string()}
                    style={format!("min-width: {}px", (width * 0.8).round())} role="img"
                    aria-label={format!("The stages of job {} and the exchanges between them", job.id.0)}>
                    <defs>
                        <marker id="dx-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
                            <path d="M0,0 L8,4 L0,8 z" class="dx-arrowhead" />
                        </marker>
                    </defs>
                    { for edges }
                    { for stage_views }
                </svg>
            </div>
        </div>
    }
}

/// Cuts an operator's line to the box's width.
fn cut_op(text: &str) -> String {
    const OPERATOR_CHARS: usize = 26;
    if text.chars().count() <= OPERATOR_CHARS {
        text.to_string()
    } else {
        let kept: String = text.chars().take(OPERATOR_CHARS - 1).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_label_splits_into_its_name_and_its_arguments() {
        assert_eq!(
            label_lines("hashpartitioning(page, 8)"),
            ("hashpartitioning".into(), "(page, 8)".into())
        );
        assert_eq!(
            label_lines("SinglePartition"),
            ("SinglePartition".into(), String::new())
        );
        assert_eq!(
            label_lines("KeyFieldBased(-k1,2)"),
            ("KeyFieldBased".into(), "(-k1,2)".into())
        );
        let (_, args) = label_lines("hashpartitioning(event_type, source, cuid, 8)");
        assert_eq!(args.chars().count(), LABEL_CHARS);
        assert!(args.ends_with('…'));
    }
}
