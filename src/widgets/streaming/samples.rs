//! The training-samples diagnosis: the label wait (a slider and the sweep's four settings), the
//! stream's samples against the same samples built in batch SQL (count, positive ratio, features
//! that differ), label recall against freshness over the wait sweep (a canvas chart), and the
//! fake negatives, each with how long after its exposure the click came.
//!
//! Everything is read from `StreamLab::pipes` (replays computed on first use and kept); the wait
//! goes through the journal after `StreamLab::validate`. Once the learner (or a lesson) has the
//! pipeline write to the `samples` topic, a second comparison reads the samples back from the
//! topic, as a trainer would, against the same batch build.

use super::{no_stream_job, refusal_view, time_text, try_send};
use crate::charts::{self, Palette};
use crate::widgets::form::bind;
use crate::widgets::markup::{facts, plain_header_row};
use lab::state::Lab;
use lab::stream_lab::command::StreamCommand;
use lab::stream_lab::samples_lab::{
    batch_query, samples_config, SampleRun, SAMPLE_WAIT_MAX, SWEEP_WAITS_S,
};
use lab::stream_lab::samples_topic::{topic_diagnosis, SAMPLES_TOPIC};
use lab::streaming::value::{DurationUs, US_PER_SECOND};
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// Fake negatives shown in the list.
const FAKE_NEGATIVES_SHOWN: usize = 25;

/// The sweep as (freshness, recall %, label) points and which one is the current wait.
type SweepPoints = (Vec<(f64, f64, String)>, Option<usize>);

/// The sweep's points in the lab on screen.
fn sweep_points(lab: &Lab) -> SweepPoints {
    let Some(streams) = lab.streams() else {
        return (Vec::new(), None);
    };
    let pipes = streams.pipes();
    let mut points: Vec<(i64, f64, f64, String)> = pipes
        .sweep()
        .iter()
        .map(|p| {
            (
                p.wait_s,
                p.freshness_s as f64,
                p.recall_permille as f64 / 10.0,
                format!("{} s", p.wait_s),
            )
        })
        .collect();
    let wait_s = pipes.sample_wait().0 / US_PER_SECOND;
    if !points.iter().any(|p| p.0 == wait_s) {
        let run = pipes.samples();
        if let Ok(run) = run.as_ref() {
            if let (Some(fresh), Some(recall)) = (run.freshness_s(), run.recall_permille()) {
                points.push((
                    wait_s,
                    fresh as f64,
                    recall as f64 / 10.0,
                    format!("{wait_s} s"),
                ));
                lab::sim::sort::sort_by_key(&mut points, |p| p.0);
            }
        }
    }
    let current = points.iter().position(|p| p.0 == wait_s);
    (
        points.into_iter().map(|(_, x, y, l)| (x, y, l)).collect(),
        current,
    )
}

fn draw_sweep(
    canvas: HtmlCanvasElement,
    sweep: &SweepPoints,
    palette: Palette,
    scale: f64,
) -> Result<(), String> {
    let (points, current) = sweep;
    charts::labelled_points(
        canvas,
        points,
        *current,
        (
            "mean freshness (s from exposure to sample)",
            "label recall (%)",
        ),
        palette,
        scale,
    )
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The comparison table: the stream's samples next to the batch's.
fn comparison(run: &SampleRun) -> Html {
    let Some(d) = run.diagnosis else {
        return html! { <p class="stream-refusal">{ "The batch query failed: nothing to compare with." }</p> };
    };
    let row = |what: &str, stream: String, batch: String, class: &'static str| {
        html! {
            <tr class={class}>
                <th scope="row">{ what.to_string() }</th>
                <td class="num">{ stream }</td>
                <td class="num">{ batch }</td>
            </tr>
        }
    };
    let g = lab::sim::text::group_thousands;
    html! {
        <div class="table-scroll">
            <table class="samples-compare">
                <thead><tr><th></th><th>{ "stream" }</th><th>{ "batch (SQL)" }</th></tr></thead>
                <tbody>
                    { row("samples", g(d.streaming_samples), g(d.batch_samples), "samples-count") }
                    { row("positives (clicked)", g(d.streaming_positives), g(d.batch_positives), "samples-positives") }
                    { row("negatives", g(d.streaming_samples - d.streaming_positives),
                        g(d.batch_samples - d.batch_positives), "samples-negatives") }
                    { row("positive ratio", percent(d.streaming_positives, d.streaming_samples),
                        percent(d.batch_positives, d.batch_samples), "samples-ratio") }
                    { row("missing / extra samples", format!("{} / {}", d.missing_in_stream, d.extra_in_stream),
                        "-".into(), "samples-missing") }
                    { row("features that differ", g(d.feature_mismatches), "-".into(), "samples-features") }
                    { row("labels that differ (fake negatives)", g(d.label_mismatches), "-".into(), "samples-fake") }
                </tbody>
            </table>
        </div>
    }
}

/// Journals the wait typed as `text` (whole seconds), or says why not.
fn set_wait(session: &crate::store::LabHandle, text: &str) -> Option<(String, String)> {
    let streams = session.view.streams()?;
    let seconds = text.trim().parse::<i64>().map_err(|_| {
        (
            format!("\"{}\" is not a whole number of seconds", text.trim()),
            "type a wait such as 900".to_string(),
        )
    });
    let wait = seconds.and_then(|s| {
        s.checked_mul(US_PER_SECOND).map(DurationUs).ok_or((
            format!("{s} s is out of range"),
            "give a wait between 1 s and 1800 s".to_string(),
        ))
    });
    wait.and_then(|wait| try_send(session, streams, StreamCommand::SetSampleWait { wait }))
        .err()
}

/// A replay's results: the comparison with the batch build and the fake negatives.
#[derive(Properties)]
struct SampleRunProps {
    run: Rc<Result<SampleRun, String>>,
    /// The current label wait, in seconds.
    current: i64,
}

/// The same replay (the pipes keep each one) is the same view: the body is not rebuilt while
/// the lab plays.
impl PartialEq for SampleRunProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.run, &other.run) && self.current == other.current
    }
}

#[component]
fn SampleRunView(props: &SampleRunProps) -> Html {
    let current = props.current;
    match props.run.as_ref() {
        Err(message) => html! { <p class="stream-refusal" role="alert">{ message.clone() }</p> },
        Ok(run) => {
            let s = run.stats;
            let recall = run
                .recall_permille()
                .map_or("-".to_string(), |r| format!("{:.1}%", r as f64 / 10.0));
            let fresh = run
                .freshness_s()
                .map_or("-".to_string(), |f| format!("{f} s"));
            html! {
                <>
                    { facts("pipes-stats samples-stats", &[
                        ("label recall", "samples-recall", recall),
                        ("mean freshness", "samples-freshness", fresh),
                        ("fake negatives", "samples-fake-count", run.fake_negative_count().to_string()),
                        ("late clicks seen by the job", "", s.late_positives.to_string()),
                        ("repeated callbacks dropped", "", s.duplicate_callbacks.to_string()),
                        ("rows lost to the state TTL", "", s.rows_lost_to_ttl.to_string()),
                    ]) }
                    { comparison(run) }
                    <h4 class="small">{ format!("Fake negatives ({} in all; the first {} by request)",
                        run.fake_negative_count(), FAKE_NEGATIVES_SHOWN.min(run.fake_negatives.len())) }</h4>
                    if run.fake_negatives.is_empty() {
                        <p class="small muted">{ "None: every click came within the wait." }</p>
                    } else {
                        <div class="table-scroll">
                            <table class="samples-fake-negatives">
                                { plain_header_row(&["request", "item", "shown at", "sample out at", "clicked after"]) }
                                <tbody>
                                    { for run.fake_negatives.iter().take(FAKE_NEGATIVES_SHOWN).map(|f| html! {
                                        <tr>
                                            <td class="num">{ f.key.0.0 }</td>
                                            <td class="num">{ f.key.1.0 }</td>
                                            <td class="num">{ time_text(f.exposure_ts) }</td>
                                            <td class="num">{ time_text(f.emitted_at) }</td>
                                            <td class="num">
                                                <strong>{ format!("{} s", f.click_delay_s()) }</strong>
                                                if f.click_delay_s() < current {
                                                    <span class="small muted">{ " (arrived after the label was fixed)" }</span>
                                                }
                                            </td>
                                        </tr>
                                    }) }
                                </tbody>
                            </table>
                        </div>
                    }
                </>
            }
        }
    }
}

/// The samples topic's part of the panel: the lab it reads and how far the topic has grown.
#[derive(Properties)]
struct TopicSamplesProps {
    lab: Rc<Lab>,
    /// The topic's committed records, summed over partitions.
    end: u64,
}

/// The topic is read again only when it has grown.
impl PartialEq for TopicSamplesProps {
    fn eq(&self, other: &Self) -> bool {
        self.end == other.end
    }
}

/// The samples topic's committed records, summed over its partitions (0 before it exists).
fn topic_end(lab: &Lab) -> u64 {
    lab.cluster()
        .and_then(|c| c.topics().get(SAMPLES_TOPIC))
        .map_or(0, |t| t.partitions().iter().map(|p| p.hw().0).sum())
}

#[component]
fn TopicSamples(props: &TopicSamplesProps) -> Html {
    let (Some(streams), Some(cluster)) = (props.lab.streams(), props.lab.cluster()) else {
        return html! {};
    };
    let g = lab::sim::text::group_thousands;
    match topic_diagnosis(streams.pipes(), cluster) {
        Err(message) => html! { <p class="stream-refusal" role="alert">{ message }</p> },
        Ok(d) => facts(
            "pipes-stats samples-topic-stats",
            &[
                (
                    "samples on the topic",
                    "samples-topic-count",
                    g(d.streaming_samples),
                ),
                (
                    "positive ratio",
                    "samples-topic-ratio",
                    percent(d.streaming_positives, d.streaming_samples),
                ),
                (
                    "labels that differ from batch",
                    "samples-topic-fake",
                    g(d.label_mismatches),
                ),
                (
                    "features that differ",
                    "samples-topic-features",
                    g(d.feature_mismatches),
                ),
                (
                    "batch samples not on the topic yet",
                    "samples-topic-missing",
                    g(d.missing_in_stream),
                ),
            ],
        ),
    }
}

#[component]
pub fn SampleDiagnosis() -> Html {
    let session = crate::widgets::use_lab();
    let wait_now = session
        .view
        .streams()
        .map(|s| s.pipes().sample_wait().0 / US_PER_SECOND);
    let wait = use_state(|| wait_now.unwrap_or(900).to_string());
    let refusal = use_state(|| None::<(String, String)>);
    let canvas = use_node_ref();
    // The sweep's points follow the seed and the wait, never the tick: redrawn when they change.
    let chart_error = crate::widgets::chart_canvas::use_chart_canvas_of(
        canvas.clone(),
        sweep_points(&session.view),
        draw_sweep,
    );
    {
        let wait = wait.clone();
        use_effect_with(wait_now, move |now| {
            if let Some(s) = now {
                wait.set(s.to_string());
            }
        });
    }
    let Some(streams) = session.view.streams() else {
        return no_stream_job();
    };
    let pipes = streams.pipes();
    let on_slider = {
        let (session, refusal, wait) = (session.clone(), refusal.clone(), wait.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            wait.set(value.clone());
            refusal.set(set_wait(&session, &value));
        })
    };
    let on_submit = {
        let (session, refusal, wait) = (session.clone(), refusal.clone(), wait.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            refusal.set(set_wait(&session, &wait));
        })
    };
    let preset = |seconds: i64| {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| refusal.set(set_wait(&session, &seconds.to_string())))
    };
    let to_topic = streams.samples_topic().is_on();
    let on_topic_toggle = {
        let (session, refusal) = (session.clone(), refusal.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(streams) = session.view.streams() else {
                return;
            };
            let command = StreamCommand::SamplesToTopic { on: !to_topic };
            refusal.set(try_send(&session, streams, command).err());
        })
    };
    let topic_exists = session
        .view
        .cluster()
        .is_some_and(|c| c.topics().get(SAMPLES_TOPIC).is_some());
    let run = pipes.samples();
    let current = wait_now.unwrap_or(900);
    let body = html! { <SampleRunView run={run} current={current} /> };
    html! {
        <div class="samples-diagnosis" data-wait={current.to_string()}>
            <p class="small muted">
                { "A recorded hour of a recommender's logs (exposures, clicks, plays, feature callbacks) replayed through the samples job: \
                   each exposure's events are gathered until the watermark passes exposure + wait, labelled clicked or not, and joined \
                   with the first feature callback. The batch query builds the same samples from the complete logs." }
            </p>
            <form class="inline-form samples-wait" onsubmit={on_submit}>
                <label>{ "label wait " }
                    <input type="range" class="samples-wait-slider" min="60" max={(SAMPLE_WAIT_MAX.0 / US_PER_SECOND).to_string()}
                        step="60" value={(*wait).clone()} onchange={on_slider} aria-label="label wait in seconds" />
                </label>
                <input type="number" class="num-input samples-wait-input" min="1" value={(*wait).clone()} oninput={bind(&wait)}
                    aria-label="label wait, seconds" />
                <span class="small">{ " s " }</span>
                <button type="submit" class="samples-set-wait">{ "Set" }</button>
                { for SWEEP_WAITS_S.iter().map(|&s| html! {
                    <button type="button" class={if s == current { "samples-preset active" } else { "samples-preset" }}
                        onclick={preset(s)}>{ format!("{s} s") }</button>
                }) }
            </form>
            { refusal_view(&refusal) }
            <figure class="samples-chart">
                <canvas ref={canvas} class="chart-canvas" aria-label="label recall against freshness for waits of 60, 300, 900 and 1800 seconds" />
                <figcaption class="small muted">
                    { "Label recall (clicks captured over all clicks) against mean freshness, one point per wait; the ring is the current wait." }
                </figcaption>
                if let Some(e) = chart_error {
                    <p class="small stream-refusal">{ e }</p>
                }
            </figure>
            { body }
            <div class="samples-topic">
                <h4 class="small">{ "The samples topic" }</h4>
                <p class="small muted">
                    { "Written to topics, each sample goes to the samples topic (keyed by request id, a JSON value with the labels and \
                       features) in the tick the job emits it; a trainer reads it from there. A partition whose leader is down takes no more." }
                </p>
                <button type="button" class={if to_topic { "samples-to-topic active" } else { "samples-to-topic" }}
                    aria-pressed={to_topic.to_string()} onclick={on_topic_toggle}>
                    { if to_topic { "Stop writing to the samples topic" } else { "Write to topics" } }
                </button>
                if topic_exists {
                    <TopicSamples lab={session.view.clone()} end={topic_end(&session.view)} />
                }
            </div>
            <details class="samples-batch-query">
                <summary class="small">{ "The batch query (SQL engine)" }</summary>
                <pre class="small">{ batch_query(&samples_config(DurationUs::from_seconds(current))) }</pre>
            </details>
        </div>
    }
}
