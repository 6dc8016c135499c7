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
}
