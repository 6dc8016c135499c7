//! The job as a graph, top to bottom so it stays readable on a phone: the clicks topic's
//! partitions (where the job reads in each, the partition's high watermark, its own watermark and
//! whether the watermark leaves it out as idle), the window operator (rows per second, windows in
//! state, the job's watermark, late rows dropped), and the two sinks (the output topic and the
//! feature view it pushes to, with the view's freshness). Below: the job's status, guarantee and
//! last checkpoint.

use super::{high_watermarks, no_stream_job, now_time, recent_clicks, time_text};
use lab::state::Lab;
use lab::stream_lab::glue::{partitions, stream_value};
use lab::stream_lab::{guarantee_name, seconds, OUTPUT_TOPIC, PUSH_VIEW};
use lab::streaming::watermark::PartitionId;
use yew::prelude::*;

/// The span rows per second are averaged over, in seconds.
const RATE_SPAN_SECONDS: i64 = 10;

/// One source partition's box.
struct SourceBox {
    partition: u32,
    read_at: u64,
    hw: u64,
    watermark: String,
    state: &'static str,
}

fn sources(lab: &Lab) -> Vec<SourceBox> {
    let (Some(streams), Some(cluster)) = (lab.streams(), lab.cluster()) else {
        return Vec::new();
    };
    let job = streams.job();
    let hws = high_watermarks(cluster);
    let watermarks = job.view().operator.watermarks();
    partitions()
        .map(|p| {
            let mark = watermarks.iter().find(|w| w.partition == PartitionId(p));
            let state = if streams.paused_partitions().contains(&p) {
                "paused"
            } else if mark.is_some_and(|m| m.idle) {
                "idle"
            } else {
                "active"
            };
            SourceBox {
                partition: p,
                read_at: job.job().next_offset(PartitionId(p)),
                hw: hws.get(&p).copied().unwrap_or(0),
                watermark: mark.map_or_else(|| "-".into(), |m| time_text(m.watermark)),
                state,
            }
        })
        .collect()
}

/// Rows the job read per second over the last [`RATE_SPAN_SECONDS`].
fn rows_per_second(lab: &Lab) -> f64 {
    let Some(streams) = lab.streams() else {
        return 0.0;
    };
    let job = streams.job().job();
    let read = recent_clicks(lab, RATE_SPAN_SECONDS)
        .into_iter()
        .filter(|c| c.offset < job.next_offset(PartitionId(c.partition)))
        .count();
    let span = (lab.now().0 as f64 / 10.0).clamp(0.1, RATE_SPAN_SECONDS as f64);
    read as f64 / span
}

#[component]
pub fn StreamJobGraph() -> Html {
    let session = crate::widgets::use_lab();
    let lab = &session.view;
    let Some(streams) = lab.streams() else {
        return no_stream_job();
    };
    let job = streams.job();
    let view = job.view();
    let stats = view.operator.stats();
    let running = job.is_running();
    let boxes = sources(lab);
    let rate = rows_per_second(lab);
    let pushed = stream_value(lab, "pushed").unwrap_or(0);
    let freshness = stream_value(lab, "freshness_s")
        .map_or_else(|| "nothing yet".to_string(), |s| format!("{s} s old"));
    let checkpoint = job.job().last_checkpoint();
    let checkpoint_text = match checkpoint.taken_at {
        Some(at) if checkpoint.id > 0 => format!(
            "last checkpoint #{} at {} (offsets {})",
            checkpoint.id,
            time_text(at),
            checkpoint
                .positions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "no checkpoint yet (a restart starts from the beginning)".into(),
    };
    let settings = streams.settings();
    let status = if running { "running" } else { "crashed" };
    let operator_class = if running { "sg-op" } else { "sg-op sg-down" };
    let label = format!(
        "Job {status}. {} Window operator: {:.1} rows/s, {} windows in state, watermark {}, {} late rows dropped. Sinks: {} rows to {OUTPUT_TOPIC}, {pushed} rows pushed to {PUSH_VIEW}, freshness {freshness}.",
        boxes
            .iter()
            .map(|b| format!("Partition {}: read to {} of {}, watermark {}, {}.", b.partition, b.read_at, b.hw, b.watermark, b.state))
            .collect::<Vec<_>>()
            .join(" "),
        rate,
        stats.open_windows,
        time_text(view.operator.watermark()),
        stats.dropped,
        job.sink_written(),
    );
    html! {
        <div class="stream-job-graph" data-status={status} data-tick={lab.now().0.to_string()} data-guarantee={guarantee_name(settings.guarantee)}>
            <svg viewBox="0 0 360 330" role="img" aria-label={label} class="sg-svg">
                <defs>
                    <marker id="sg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="sg-arrowhead" />
                    </marker>
                </defs>
                { for boxes.iter().enumerate().map(|(i, b)| {
                    let x = 4.0 + i as f64 * 119.0;
                    let class = format!("sg-node sg-source sg-{}", b.state);
                    html! {
                        <g class={class} data-partition={b.partition.to_string()}>
                            <rect x={x.to_string()} y="4" width="114" height="92" rx="8" />
                            <text x={(x + 8.0).to_string()} y="22" class="sg-title">{ format!("clicks-{}", b.partition) }</text>
                            <text x={(x + 8.0).to_string()} y="40">{ format!("read {} of {}", b.read_at, b.hw) }</text>
                            <text x={(x + 8.0).to_string()} y="56">{ format!("lag {}", b.hw.saturating_sub(b.read_at)) }</text>
                            <text x={(x + 8.0).to_string()} y="72">{ format!("wm {}", b.watermark) }</text>
                            <text x={(x + 8.0).to_string()} y="88" class="sg-state">{ b.state }</text>
                            <line x1={(x + 57.0).to_string()} y1="96" x2="180" y2="126" class="sg-edge" marker-end="url(#sg-arrow)" />
                        </g>
                    }
                }) }
                <g class={operator_class}>
                    <rect x="30" y="128" width="300" height="92" rx="8" />
                    <text x="42" y="147" class="sg-title">{ format!("window operator · {status}") }</text>
                    <text x="42" y="165">{ format!("in {rate:.1} rows/s · {} rows in all", stats.rows_in) }</text>
                    <text x="42" y="181">{ format!("state: {} open windows", stats.open_windows) }</text>
                    <text x="42" y="197">{ format!("watermark {}", time_text(view.operator.watermark())) }</text>
                    <text x="42" y="213" class="sg-late">{ format!("late dropped {} · late counted {}", stats.dropped, stats.late_accepted) }</text>
                </g>
                <line x1="110" y1="220" x2="92" y2="246" class="sg-edge" marker-end="url(#sg-arrow)" />
                <line x1="250" y1="220" x2="268" y2="246" class="sg-edge" marker-end="url(#sg-arrow)" />
                <g class="sg-node sg-sink">
                    <rect x="4" y="248" width="172" height="76" rx="8" />
                    <text x="12" y="267" class="sg-title">{ format!("topic {OUTPUT_TOPIC}") }</text>
                    <text x="12" y="285">{ format!("{} rows written", job.sink_written()) }</text>
                    <text x="12" y="301" class="sg-dup">{ format!("{} duplicates", job.duplicates()) }</text>
                    <text x="12" y="317">{ format!("{} uncommitted", job.job().uncommitted()) }</text>
                </g>
                <g class="sg-node sg-sink">
                    <rect x="184" y="248" width="172" height="76" rx="8" />
                    <text x="192" y="267" class="sg-title">{ format!("view {PUSH_VIEW}") }</text>
                    <text x="192" y="285">{ format!("{pushed} rows pushed") }</text>
                    <text x="192" y="301" class="sg-fresh">{ format!("newest: {freshness}") }</text>
                    <text x="192" y="317">{ "online + offline" }</text>
                </g>
            </svg>
            <p class="small stream-job-status">
                <strong class={if running { "ok" } else { "bad" }}>{ format!("Job {status}") }</strong>
                { format!(" · {} · {checkpoint_text} · checkpoint every {} · {} restarts",
                    guarantee_name(settings.guarantee), seconds(settings.checkpoint_interval), job.job().stats().restarts) }
                { format!(" · now {}", time_text(now_time(lab))) }
            </p>
        </div>
    }
}
