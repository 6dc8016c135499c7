//! Driving a lab of one preset as lessons drive it: a fresh timeline for a seed, ticks run at its
//! head, and steps-language lines applied at its end through the journal (so a refusal can be
//! checked to leave no trace).
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use lab::clock::Tick;
use lab::rng::Seed;
use lab::state::{Command, Lab, LabConfig, Preset, Rejection};
use lab::steps::{parse_steps, Step};
use lab::timeline::{Timeline, TimelineError};

/// A fresh lab of `preset` with `seed`.
pub fn fresh_lab(preset: Preset, seed: u64) -> Timeline {
    Timeline::new(LabConfig {
        seed: Seed(seed),
        preset,
    })
}

/// `ticks` more ticks at the head.
pub fn run(t: &mut Timeline, ticks: u64) {
    for _ in 0..ticks {
        t.advance_head().unwrap();
    }
}

/// Ticks until the lab's end is tick `tick`.
pub fn run_to(t: &mut Timeline, tick: u64) {
    while t.end() < Tick(tick) {
        t.advance_head().unwrap();
    }
}

/// The command of one steps-language line (a lab or a broker command, not ticks).
pub fn command(line: &str) -> Command {
    match parse_steps(line).unwrap().remove(0) {
        Step::Lab(command) => command,
        Step::Broker(command) => Command::Broker(command),
        Step::Ticks(_) => panic!("{line} is not a command"),
    }
}

/// Applies `line` at the end of the lab; a refusal fails the test.
pub fn step(t: &mut Timeline, line: &str) {
    let end = t.end();
    t.apply_at(end, command(line))
        .unwrap_or_else(|e| panic!("{line} refused: {e}"));
}

/// Applies `line` at the end of the lab, giving back the lab's refusal if it refuses.
pub fn try_step(t: &mut Timeline, line: &str) -> Result<(), Rejection> {
    let end = t.end();
    t.apply_at(end, command(line))
        .map(|_| ())
        .map_err(|e| match e {
            TimelineError::Rejected(r) => r,
            other => panic!("{other}"),
        })
}

/// The refusal of `line`, checked to leave the journal as it was.
pub fn refused(t: &mut Timeline, line: &str) -> String {
    let end = t.end();
    let before = t.journal().entries().len();
    let rejection = t
        .apply_at(end, command(line))
        .expect_err("the command should be refused");
    assert_eq!(
        t.journal().entries().len(),
        before,
        "a refusal is not journaled"
    );
    rejection.to_string()
}

/// `stream.<name>` of the streaming lab.
pub fn stream_metric(lab: &Lab, name: &str) -> i64 {
    lab::stream_lab::glue::stream_value(lab, name)
        .unwrap_or_else(|| panic!("stream.{name} has no value"))
}
