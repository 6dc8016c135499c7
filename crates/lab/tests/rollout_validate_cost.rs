//! Asking the rollouts lab whether a command would be taken reads the lab in place: the page asks
//! it for every button on every frame, and the command path asks it before each apply. Counted in
//! bytes allocated (a count, not a timing): checking a command allocates a tiny fraction of what
//! one copy of the lab (its world, metric store, series and timeline) allocates, which is what
//! checking used to cost.

use lab::rng::Seed;
use lab::rollout_lab::command::RolloutCommand;
use lab::state::{LabConfig, Preset};
use lab::steps::{parse_steps, Step};
use lab::timeline::Timeline;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes asked for.
struct Counting;

static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated while `f` runs.
fn bytes_allocated<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = BYTES.load(Ordering::Relaxed);
    let out = f();
    (BYTES.load(Ordering::Relaxed) - before, out)
}

#[test]
fn checking_a_command_does_not_copy_the_lab() {
    let mut t = Timeline::new(LabConfig {
        seed: Seed(3),
        preset: Preset::Rollouts,
    });
    for line in ["deploy v2", "tick 90"] {
        for step in parse_steps(line).unwrap() {
            match step {
                Step::Lab(command) => {
                    let end = t.end();
                    t.apply_at(end, command).unwrap();
                }
                Step::Ticks(n) => (0..n).for_each(|_| {
                    t.advance_head().unwrap();
                }),
                _ => {}
            }
        }
    }
    let lab = t.head().rollouts().unwrap();
    let (copy, _) = bytes_allocated(|| lab.clone());
    let commands = [
        RolloutCommand::Promote { full: false },
        RolloutCommand::Promote { full: true },
        RolloutCommand::Abort,
        RolloutCommand::Retry,
        RolloutCommand::Undo,
        RolloutCommand::Confirm,
    ];
    let mut checked = 0;
    for command in &commands {
        let (bytes, _) = bytes_allocated(|| lab.validate(command));
        checked = checked.max(bytes);
    }
    println!(
        "one copy of the lab: {copy} bytes; checking a button's command: at most {checked} bytes"
    );
    assert!(
        copy > 100_000,
        "the lab after 15 minutes holds {copy} bytes"
    );
    assert!(
        checked * 1_000 < copy,
        "{checked} bytes to check, {copy} to copy"
    );
}
