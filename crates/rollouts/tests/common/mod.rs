//! What the differential tests against SciPy share: one oracle process per batch, and sample sizes.

use serde_json::Value as Json;
use sim::rng::Rng;

#[path = "../../../../tests/oracles/runner.rs"]
mod runner;

/// Runs every request through `tests/oracles/rollout_oracle.py` in one process.
pub fn ask_oracle(python: &str, requests: &[Json]) -> Vec<Json> {
    runner::ask_oracle(
        python,
        env!("CARGO_MANIFEST_DIR"),
        "rollout_oracle.py",
        "rollout",
        requests,
    )
}

pub fn size(rng: &mut Rng, low: u64, high: u64) -> usize {
    (low + rng.below(high - low + 1)) as usize
}
