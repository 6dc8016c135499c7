//! The benchmark page: runs the core's scrub benchmark in this browser and prints its table, so
//! the same measurement exists natively (`lab-bench`) and in WebAssembly.

use lab_core::bench::{scrub_benchmark, ScrubReport};
use yew::prelude::*;

/// Commands in the benchmark journal.
pub const BENCH_COMMANDS: usize = 100_000;

fn run() -> ScrubReport {
    let performance = web_sys::window().and_then(|w| w.performance());
    let mut now_ms = move || performance.as_ref().map_or(0.0, |p| p.now());
    scrub_benchmark(BENCH_COMMANDS, 300, 5, &mut now_ms)
}

#[component]
pub fn BenchPage() -> Html {
    let report = use_state(|| None::<ScrubReport>);
    let running = use_state(|| false);
    let on_run = {
        let (report, running) = (report.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (report, running) = (report.clone(), running.clone());
            // Let the browser paint "Running…" before the benchmark blocks the thread.
            gloo_timers::callback::Timeout::new(30, move || {
                report.set(Some(run()));
                running.set(false);
            })
            .forget();
        })
    };
    html! {
        <section class="page bench-page">
            <h1>{ "Benchmarks" }</h1>
            <p class="lead">{ format!("Scrubbing: jump to random ticks of a {BENCH_COMMANDS}-command journal through checkpoints, compared with replaying from tick 0 in the same run.") }</p>
            <button class="primary bench-run" onclick={on_run} disabled={*running}>{ if *running { "Running…" } else { "Run the scrub benchmark" } }</button>
            if let Some(report) = (*report).clone() {
                <table class="bench-table">
                    <thead><tr><th scope="col">{ "measure" }</th><th scope="col">{ "value" }</th></tr></thead>
                    <tbody>{ for report.rows().into_iter().map(|(measure, value)| html! {
                        <tr><td>{ measure }</td><td class="num">{ value }</td></tr>
                    }) }</tbody>
                </table>
            }
        </section>
    }
}
