//! The benchmark page: runs the core's benchmarks in this browser and prints their tables, so
//! the same measurements exist natively (`lab-bench`) and in WebAssembly. Built with the
//! `bench-page` feature only (scripts/bench.sh and the test command): the release bundle leaves
//! the harness out.

use lab::bench::stream::{stream_benchmark, StreamReport, STREAM_SHAPE};
use lab::bench::{
    broker_throughput, fork_benchmark, pit_benchmark, scrub_benchmark, sql_benchmark,
    sql_large_benchmark, BrokerThroughput, ClusterShape, ForkReport, PitReport, ScrubReport,
    SqlReport, SQL_LARGE_ROWS,
};
use lab::features::samples::bench::PIT_SHAPE;
use yew::prelude::*;

/// Commands in the benchmark journal.
pub const BENCH_COMMANDS: usize = 100_000;
/// Records in the broker throughput benchmark.
pub const BENCH_RECORDS: u64 = 1_000_000;
/// Rows of the SQL benchmark's big table.
pub const BENCH_SQL_ROWS: usize = 1_000_000;
/// Ticks of the replicated lab the fork benchmark forks.
pub const BENCH_FORK_TICKS: u64 = 3_000;
/// Runs of each point-in-time join variant (the table gives their median).
pub const BENCH_PIT_RUNS: usize = 5;
/// Runs of each form of the streaming benchmark (the table gives their median).
pub const BENCH_STREAM_RUNS: usize = 5;

fn clock() -> impl FnMut() -> f64 {
    let performance = web_sys::window().and_then(|w| w.performance());
    move || performance.as_ref().map_or(0.0, |p| p.now())
}

/// This page's WebAssembly linear memory, in bytes (it grows and never shrinks).
fn linear_memory_bytes() -> Option<usize> {
    use wasm_bindgen::JsCast;
    let memory = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()?;
    let buffer = memory.buffer().dyn_into::<js_sys::ArrayBuffer>().ok()?;
    Some(buffer.byte_length() as usize)
}

fn run() -> ScrubReport {
    scrub_benchmark(BENCH_COMMANDS, 300, 5, &mut clock())
}

/// A SQL benchmark's timings as table rows: "12.3 ms (1 row(s))".
fn timing_rows(timings: Vec<(String, f64, String)>) -> Vec<(String, String)> {
    timings
        .into_iter()
        .map(|(name, ms, summary)| (name, format!("{ms:.1} ms ({summary})")))
        .collect()
}

fn table(class: &'static str, rows: Vec<(String, String)>) -> Html {
    html! {
        <table class={classes!("bench-table", class)}>
            <thead><tr><th scope="col">{ "measure" }</th><th scope="col">{ "value" }</th></tr></thead>
            <tbody>{ for rows.into_iter().map(|(measure, value)| html! {
                <tr><td>{ measure }</td><td class="num">{ value }</td></tr>
            }) }</tbody>
        </table>
    }
}

#[component]
pub fn BenchPage() -> Html {
    let report = use_state(|| None::<ScrubReport>);
    let broker = use_state(|| None::<(BrokerThroughput, BrokerThroughput)>);
    let running = use_state(|| false);
    let fork = use_state(|| None::<ForkReport>);
    let sql = use_state(|| None::<Vec<(String, f64, String)>>);
    let sql_large = use_state(|| None::<SqlReport>);
    let pit = use_state(|| None::<PitReport>);
    let stream = use_state(|| None::<StreamReport>);
    let on_stream = {
        let (stream, running) = (stream.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (stream, running) = (stream.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                stream.set(Some(stream_benchmark(
                    STREAM_SHAPE,
                    BENCH_STREAM_RUNS,
                    &mut clock(),
                )));
                running.set(false);
            })
            .forget();
        })
    };
    let on_pit = {
        let (pit, running) = (pit.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (pit, running) = (pit.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                pit.set(Some(pit_benchmark(PIT_SHAPE, BENCH_PIT_RUNS, &mut clock())));
                running.set(false);
            })
            .forget();
        })
    };
    let on_sql = {
        let (sql, running) = (sql.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (sql, running) = (sql.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                sql.set(Some(sql_benchmark(BENCH_SQL_ROWS, 3, &mut clock())));
                running.set(false);
            })
            .forget();
        })
    };
    let on_sql_large = {
        let (sql_large, running) = (sql_large.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (sql_large, running) = (sql_large.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                sql_large.set(Some(sql_large_benchmark(
                    SQL_LARGE_ROWS,
                    3,
                    &mut clock(),
                    &mut linear_memory_bytes,
                )));
                running.set(false);
            })
            .forget();
        })
    };
    let on_fork = {
        let (fork, running) = (fork.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (fork, running) = (fork.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                fork.set(Some(fork_benchmark(BENCH_FORK_TICKS, 5, &mut clock())));
                running.set(false);
            })
            .forget();
        })
    };
    let on_broker = {
        let (broker, running) = (broker.clone(), running.clone());
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (broker, running) = (broker.clone(), running.clone());
            gloo_timers::callback::Timeout::new(30, move || {
                let single = broker_throughput(BENCH_RECORDS, ClusterShape::Single, &mut clock());
                let replicated = broker_throughput(
                    BENCH_RECORDS,
                    ClusterShape::ReplicatedWithFaults,
                    &mut clock(),
                );
                broker.set(Some((single, replicated)));
                running.set(false);
            })
            .forget();
        })
    };
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
                { table("scrub-table", report.rows()) }
            }
            <h2>{ "Broker throughput" }</h2>
            <p>{ format!("Produce {BENCH_RECORDS} keyed records through a 12-partition topic and consume them with a 4-member group, in this browser: once at replication factor 1, then at replication factor 3 with acks=all while brokers crash and restart.") }</p>
            <button class="primary bench-broker" onclick={on_broker} disabled={*running}>{ if *running { "Running…" } else { "Run the broker benchmark" } }</button>
            if let Some((single, replicated)) = (*broker).clone() {
                { table("broker-table", single.rows()) }
                <h3>{ "Replicated, under a fault schedule" }</h3>
                { table("replicated-table", replicated.rows()) }
                <p class="replicated-ratio">{ format!("Replicated / single throughput in this run: {:.2}", replicated.records_per_second() / single.records_per_second().max(1.0)) }</p>
            }
            <h2>{ "Fork and compare" }</h2>
            <p>{ format!("Fork a {BENCH_FORK_TICKS}-tick replicated lab (a broker crash every 100 ticks) at its middle with unclean election switched off, replay the later commands and compare both outcomes, next to replaying the whole journal, and the later commands alone from the state at the fork point, in the same run.") }</p>
            <button class="primary bench-fork" onclick={on_fork} disabled={*running}>{ if *running { "Running…" } else { "Run the fork benchmark" } }</button>
            if let Some(report) = (*fork).clone() {
                { table("fork-table", report.rows()) }
            }
            <h2>{ "SQL" }</h2>
            <p>{ format!("Five queries over a {BENCH_SQL_ROWS}-row table and a 100,000-row table built by formula (best of 3): the same tables and queries as the native benchmark and as the sql.js and DuckDB-WASM peers of scripts/bench.sh.") }</p>
            <button class="primary bench-sql" onclick={on_sql} disabled={*running}>{ if *running { "Running…" } else { "Run the SQL benchmark" } }</button>
            if let Some(rows) = (*sql).clone() {
                { table("sql-table", timing_rows(rows)) }
            }
            <p>{ format!("A GROUP BY and a join over {SQL_LARGE_ROWS} rows, and the memory the loaded tables hold (the whole WebAssembly memory next to it).") }</p>
            <button class="primary bench-sql-large" onclick={on_sql_large} disabled={*running}>{ if *running { "Running…" } else { "Run the 10M-row SQL benchmark" } }</button>
            if let Some(report) = (*sql_large).clone() {
                { table("sql-large-table", timing_rows(report.timings.clone()).into_iter().chain(report.memory_rows()).collect()) }
            }
            <h2>{ "Point-in-time join" }</h2>
            <p>{ format!("The feature store's training-set join (Feast's get_historical_features): {} feature rows and {} entity rows over {} keys, TTL one day, without and with the created-time cutoff, median of {BENCH_PIT_RUNS}. The same generated rows as the native benchmark and its pandas, Polars and DuckDB peers in scripts/bench.sh.", PIT_SHAPE.feature_rows, PIT_SHAPE.entity_rows, PIT_SHAPE.keys) }</p>
            <button class="primary bench-pit" onclick={on_pit} disabled={*running}>{ if *running { "Running…" } else { "Run the point-in-time join benchmark" } }</button>
            if let Some(report) = (*pit).clone() {
                { table("pit-table", report.rows()) }
            }
            <h2>{ "Windowed aggregation" }</h2>
            <p>{ format!("Clicks and checkout amount per user per 10-second tumbling window over {} generated events of {} users on 4 partitions (watermark delay 2 s, advanced after every row), median of {BENCH_STREAM_RUNS}: the stream operator row by row, the same query as streaming SQL, and as one batch GROUP BY in the SQL engine. The same events as the native benchmark and its DuckDB, Polars and pandas peers in scripts/bench.sh.", STREAM_SHAPE.events, STREAM_SHAPE.keys) }</p>
            <button class="primary bench-stream" onclick={on_stream} disabled={*running}>{ if *running { "Running…" } else { "Run the streaming benchmark" } }</button>
            if let Some(report) = (*stream).clone() {
                { table("stream-table", report.rows()) }
            }
        </section>
    }
}
