//! The kernel's [`sim::timeline::Timeline`] over the [`Lab`]: the journal plus checkpoints that
//! the time controls drive.

use crate::state::Lab;
pub use sim::timeline::CHECKPOINT_WORK;

/// A lab's journal with its derived states.
pub type Timeline = sim::timeline::Timeline<Lab>;
/// What a command accepted at some tick did.
pub type Applied = sim::timeline::Applied<crate::state::Event>;
/// Why [`Timeline::apply_at`] refused a command.
pub type TimelineError = sim::timeline::TimelineError<crate::state::Rejection>;
