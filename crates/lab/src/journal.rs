//! The kernel's journal ([`sim::journal`]) specialised to the [`Lab`]: its seed and preset, the
//! timed commands, and how far time has run. The byte layout of the config and of each command is
//! [`crate::command_codec`]'s.

use crate::state::Lab;
pub use sim::journal::{JOURNAL_COMMANDS_MAX, JOURNAL_TICKS_MAX};

/// A lab's journal.
pub type Journal = sim::journal::Journal<Lab>;
/// One timed command of a lab's journal.
pub type Entry = sim::journal::Entry<crate::state::Command>;
/// Why a lab's journal could not be built, extended or replayed.
pub type JournalError = sim::journal::JournalError<crate::state::Rejection>;

/// The reference replay, from tick 0 with no checkpoints: the lab at `until` (clamped to the
/// journal's end).
pub fn replay(journal: &Journal, until: sim::clock::Tick) -> Result<Lab, JournalError> {
    sim::journal::replay(journal, until)
}
