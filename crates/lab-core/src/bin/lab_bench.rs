//! `lab-bench`: prints the core's benchmark tables (run with `cargo run --release -p lab-core --bin lab-bench`).

use std::time::Instant;

// The benchmark harness is the one place that reads a real clock (see clippy.toml).
#[allow(clippy::disallowed_methods)]
fn main() {
    let commands = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let origin = Instant::now();
    let mut now_ms = || origin.elapsed().as_secs_f64() * 1000.0;
    let report = lab_core::bench::scrub_benchmark(commands, 1000, 9, &mut now_ms);
    println!("### Scrub benchmark (native, release)\n");
    print!("{}", report.table());
    let records = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let broker = lab_core::bench::broker_throughput(records, &mut now_ms);
    println!("\n### Broker throughput (native, release)\n");
    println!("| measure | value |\n|---|---|");
    for (measure, value) in broker.rows() {
        println!("| {measure} | {value} |");
    }
}
