//! `lab-bench`: prints the core's benchmark tables (run with `cargo run --release -p lab-core --bin lab-bench`).
//! `lab-bench sql [ROWS [NAME]]` prints only the SQL table, or its queries whose name contains
//! NAME (the quick loop while tuning the engine); `lab-bench sql-large [ROWS]` only the 10M-row
//! GROUP BY and join with the loaded tables' memory. `lab-bench broker [RECORDS]` prints only the
//! two broker throughput tables. `lab-bench fork [RUNS]` prints only the fork-and-compare table
//! (median of RUNS, 5 unless told). `lab-bench pit [DIR [RUNS]]` prints only the
//! point-in-time join table and writes its data (`features.csv`, `entities.csv`) and results
//! (`native.txt`) to DIR for `scripts/bench_pit.py`, the Python peers. `lab-bench stream [DIR
//! [RUNS]]` prints only the streaming table (a windowed aggregation over 1M events, 10k keys)
//! and writes its events (`events.csv`) and results (`native.txt`) to DIR for
//! `scripts/bench_stream.py`.

use std::time::Instant;

// The benchmark harness is the one place that reads a real clock (see clippy.toml).
#[allow(clippy::disallowed_methods)]
fn main() {
    let origin = Instant::now();
    let mut now_ms = || origin.elapsed().as_secs_f64() * 1000.0;
    if std::env::args().nth(1).as_deref() == Some("sql") {
        let rows = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let only = std::env::args().nth(3).unwrap_or_default();
        print_sql(rows, &only, &mut now_ms);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("sql-large") {
        let rows = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(lab::bench::SQL_LARGE_ROWS);
        print_sql_large(rows, &mut now_ms);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("pit") {
        let dir = std::env::args().nth(2);
        let runs = std::env::args()
            .nth(3)
            .and_then(|a| a.parse().ok())
            .unwrap_or(7);
        if let Err(e) = print_pit(dir.as_deref(), runs, &mut now_ms) {
            eprintln!("lab-bench pit: {e}");
            std::process::exit(1);
        }
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("stream") {
        let dir = std::env::args().nth(2);
        let runs = std::env::args()
            .nth(3)
            .and_then(|a| a.parse().ok())
            .unwrap_or(5);
        if let Err(e) = print_stream(dir.as_deref(), runs, &mut now_ms) {
            eprintln!("lab-bench stream: {e}");
            std::process::exit(1);
        }
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("fork") {
        let runs = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(5);
        print_fork(runs, &mut now_ms);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("broker") {
        let records = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        print_broker(records, &mut now_ms);
        return;
    }
    let commands = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let report = lab::bench::scrub_benchmark(commands, 1000, 9, &mut now_ms);
    println!("### Scrub benchmark (native, release)\n");
    print!("{}", report.table());
    let records = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    print_broker(records, &mut now_ms);
    let sql_rows = std::env::args()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    print_sql(sql_rows, "", &mut now_ms);
    print_sql_large(lab::bench::SQL_LARGE_ROWS, &mut now_ms);
    print_fork(5, &mut now_ms);
}

/// The fork-and-compare table, with its two replay peers.
fn print_fork(runs: usize, now_ms: &mut dyn FnMut() -> f64) {
    let fork = lab::bench::fork_benchmark(3000, runs, now_ms);
    println!("\n### Fork and compare at a past tick (native, release)\n");
    println!("| measure | value |\n|---|---|");
    for (measure, value) in fork.rows() {
        println!("| {measure} | {value} |");
    }
}

/// The two broker throughput tables (replication factor 1, and replicated under faults).
fn print_broker(records: u64, now_ms: &mut dyn FnMut() -> f64) {
    use lab::bench::{broker_throughput, ClusterShape};
    let single = broker_throughput(records, ClusterShape::Single, now_ms);
    let replicated = broker_throughput(records, ClusterShape::ReplicatedWithFaults, now_ms);
    for (title, run) in [
        ("Broker throughput, replication factor 1", &single),
        ("Replicated throughput under a fault schedule", &replicated),
    ] {
        println!("\n### {title} (native, release)\n");
        println!("| measure | value |\n|---|---|");
        for (measure, value) in run.rows() {
            println!("| {measure} | {value} |");
        }
    }
    println!(
        "\nReplicated / single throughput in the same run: {:.2}",
        replicated.records_per_second() / single.records_per_second().max(1.0)
    );
}

fn print_sql(rows: usize, only: &str, now_ms: &mut dyn FnMut() -> f64) {
    println!("\n### SQL over {rows} rows (native, release, best of 3)\n");
    println!("| query | ms | result |\n|---|---|---|");
    for (name, ms, summary) in lab::bench::sql_benchmark_of(rows, 3, only, now_ms) {
        println!("| {name} | {ms:.1} | {summary} |");
    }
}

/// The large SQL table: a GROUP BY and a join over `rows` rows, and the tables' memory.
fn print_sql_large(rows: usize, now_ms: &mut dyn FnMut() -> f64) {
    let report = lab::bench::sql_large_benchmark(rows, 3, now_ms, &mut resident_bytes);
    println!("\n### SQL over {rows} rows (native, release, best of 3)\n");
    println!("| query | ms | result |\n|---|---|---|");
    for (name, ms, summary) in &report.timings {
        println!("| {name} | {ms:.1} | {summary} |");
    }
    for (measure, value) in report.memory_rows() {
        println!("| {measure} | {value} | |");
    }
}

/// The resident set of this process (Linux's `/proc/self/statm`, in pages of 4 KiB).
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The point-in-time join table; with a directory, also the data and results for the peers.
fn print_pit(
    dir: Option<&str>,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> std::io::Result<()> {
    use lab::features::samples::bench::{pit_bench, PIT_SHAPE};
    let report = lab::bench::pit_benchmark(PIT_SHAPE, runs, now_ms);
    println!("\n### Point-in-time join (native, release, one thread)\n");
    println!("| measure | value |\n|---|---|");
    for (measure, value) in report.rows() {
        println!("| {measure} | {value} |");
    }
    if let Some(dir) = dir {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir)?;
        let data = pit_bench(PIT_SHAPE, lab::bench::PIT_BENCH_SEED);
        std::fs::write(dir.join("features.csv"), data.features_csv())?;
        std::fs::write(dir.join("entities.csv"), data.entities_csv())?;
        std::fs::write(dir.join("native.txt"), report.key_values())?;
    }
    Ok(())
}

/// The streaming table; with a directory, also the events and results for the peers.
fn print_stream(
    dir: Option<&str>,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> std::io::Result<()> {
    use lab::bench::stream::{events_csv, stream_benchmark, STREAM_SHAPE};
    let report = stream_benchmark(STREAM_SHAPE, runs, now_ms);
    println!("\n### Windowed aggregation (native, release, one thread)\n");
    println!("| measure | value |\n|---|---|");
    for (measure, value) in report.rows() {
        println!("| {measure} | {value} |");
    }
    let cost = lab::bench::stream::lab_update_cost(6_000, 6, now_ms);
    println!("\n### The streaming lab's update cost as it plays (native, release; 4 ticks per update, the previous state held)\n");
    println!("| lab time | median | p95 | median vs the first stretch |\n|---|---|---|---|");
    let first = cost.first().map_or(0.0, |c| c.1);
    for (seconds, median, p95) in &cost {
        println!(
            "| from {seconds} s | {median:.3} ms | {p95:.3} ms | {:.1}x |",
            median / first.max(1e-9)
        );
    }
    if let Some(dir) = dir {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir)?;
        let events =
            lab::streaming::generate::clicks::bench_events(STREAM_SHAPE.events, STREAM_SHAPE.keys);
        std::fs::write(dir.join("events.csv"), events_csv(&events))?;
        std::fs::write(dir.join("native.txt"), report.key_values())?;
    }
    Ok(())
}
