//! A journal plus checkpoints: what the time controls drive.
//!
//! The state at any tick is derived by replaying the journal. Replaying from tick 0 each time the
//! learner drags the scrubber would grow with the journal, so the timeline keeps a copy of the
//! state ("checkpoint") every [`CHECKPOINT_WORK`] units of replay work (one unit per tick or
//! command), and one where a branch starts. Jumping to a tick then costs one clone plus at most that much replay, whatever the
//! journal's length. The head (the state at the journal's end) is kept live so that playing
//! forward costs one tick per tick.
//!
//! Applying a command in the past *forks* the timeline: the commands after that tick are dropped
//! and time continues from there (see [`Timeline::apply_at`]); [`Timeline::branch_at`] makes
//! such a fork as a second timeline and leaves this one as it was.
//!
//! The last state derived for a past tick is kept ([`Timeline::state_at_shared`]): the app derives
//! the state on screen, and a fork or a command from that tick then starts from it instead of
//! deriving it again.

use crate::clock::Tick;
use crate::journal::{replay_into, Journal, JournalError, JournalErrorOf, JOURNAL_COMMANDS_MAX};
use crate::model::{Model, Refusal};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Replay work (ticks plus commands) between two checkpoints.
pub const CHECKPOINT_WORK: u64 = 2048;

/// The state at the start of `state.now()`, before the commands stamped with that tick. Shared
/// (`Rc`): a checkpoint never changes, so cloning a timeline (the app's reducer, a fork) copies
/// pointers, not states.
#[derive(Debug)]
struct Checkpoint<M> {
    state: Rc<M>,
    next_entry: usize,
}

impl<M> Clone for Checkpoint<M> {
    fn clone(&self) -> Self {
        Checkpoint {
            state: Rc::clone(&self.state),
            next_entry: self.next_entry,
        }
    }
}

/// A journal with its derived states.
#[derive(Clone, Debug)]
pub struct Timeline<M: Model> {
    journal: Journal<M>,
    checkpoints: Vec<Checkpoint<M>>,
    /// The state at the journal's end. Shared (`Rc`, copied on write) with the newest checkpoint
    /// and with whoever holds [`Timeline::head_shared`] (the app's view), so neither costs a copy.
    head: Rc<M>,
    work_since_checkpoint: u64,
    /// The last state [`Timeline::state_at_shared`] derived for a tick before the end: it stays
    /// right until a command is applied at or before its tick, which forgets it.
    derived: RefCell<Option<Rc<M>>>,
}

/// What a command accepted at some tick did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied<E> {
    pub events: Vec<E>,
    /// Commands dropped from the old future when the command was applied in the past.
    pub dropped_commands: usize,
}

impl<M: Model> Timeline<M> {
    /// A fresh run at tick 0.
    pub fn new(config: M::Config) -> Timeline<M> {
        let journal = Journal::new(config);
        let head = Rc::new(M::new(&config));
        Timeline {
            checkpoints: vec![Checkpoint {
                state: Rc::clone(&head),
                next_entry: 0,
            }],
            journal,
            head,
            work_since_checkpoint: 0,
            derived: RefCell::new(None),
        }
    }

    /// Replays a whole journal (for example from a share link), checkpointing as it goes.
    /// Fails, naming the command, when the journal holds a command the lab refuses.
    pub fn from_journal(journal: Journal<M>) -> Result<Timeline<M>, JournalErrorOf<M>> {
        let mut timeline: Timeline<M> = Timeline::new(*journal.config());
        let entries = journal.entries();
        let mut next = 0;
        loop {
            while let Some(entry) = entries.get(next).filter(|e| e.at == timeline.head.now()) {
                Rc::make_mut(&mut timeline.head)
                    .apply(&entry.command)
                    .map_err(|rejection| JournalError::Rejected {
                        index: next,
                        rejection,
                    })?;
                timeline.journal.push(entry.command.clone())?;
                timeline.work_since_checkpoint += 1;
                next += 1;
            }
            if timeline.head.now() >= journal.end() {
                return Ok(timeline);
            }
            timeline.advance_head()?;
        }
    }

    pub fn journal(&self) -> &Journal<M> {
        &self.journal
    }

    /// The state at the journal's end.
    pub fn head(&self) -> &M {
        &self.head
    }

    /// The state at the journal's end, shared: holding it costs nothing until the timeline moves
    /// on (then the timeline copies its head once, and the holder keeps this one).
    pub fn head_shared(&self) -> Rc<M> {
        Rc::clone(&self.head)
    }

    pub fn end(&self) -> Tick {
        self.journal.end()
    }

    /// How many checkpoints are held (for the benchmark and tests).
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// The state at `at` (clamped to the end), with every command stamped `at` applied.
    pub fn state_at(&self, at: Tick) -> M {
        let at = at.min(self.end());
        if at == self.end() {
            return (*self.head).clone();
        }
        if let Some(derived) = self.derived_at(at) {
            return (*derived).clone();
        }
        self.replay_to(at)
    }

    /// [`Timeline::state_at`], shared: the state on screen. The timeline keeps the last one it
    /// derived, so asking again for that tick, or forking there ([`Timeline::branch_at`],
    /// [`Timeline::apply_at`]), neither replays nor copies it.
    pub fn state_at_shared(&self, at: Tick) -> Rc<M> {
        let at = at.min(self.end());
        if at == self.end() {
            return self.head_shared();
        }
        if let Some(derived) = self.derived_at(at) {
            return derived;
        }
        let state = Rc::new(self.replay_to(at));
        *self.derived.borrow_mut() = Some(Rc::clone(&state));
        state
    }

    /// The kept state, if it is the one at `at`.
    fn derived_at(&self, at: Tick) -> Option<Rc<M>> {
        self.derived
            .borrow()
            .as_ref()
            .filter(|state| state.now() == at)
            .map(Rc::clone)
    }

    /// The state at `at` (before the end) from the nearest checkpoint.
    fn replay_to(&self, at: Tick) -> M {
        let index = self.checkpoints.partition_point(|c| c.state.now() <= at) - 1;
        let checkpoint = &self.checkpoints[index];
        let mut state = (*checkpoint.state).clone();
        replay_into(
            &mut state,
            self.journal.entries(),
            checkpoint.next_entry,
            at,
        )
        .expect("a timeline's journal only holds commands that replayed when accepted");
        state
    }

    /// Moves the end of time forward by one tick and returns what happened in the tick closed.
    pub fn advance_head(&mut self) -> Result<Vec<M::Event>, JournalErrorOf<M>> {
        self.journal.advance_end()?;
        let events = Rc::make_mut(&mut self.head).tick();
        self.work_since_checkpoint += 1;
        if self.work_since_checkpoint >= CHECKPOINT_WORK {
            self.checkpoints.push(Checkpoint {
                state: Rc::clone(&self.head),
                next_entry: self.journal.entries().len(),
            });
            self.work_since_checkpoint = 0;
        }
        Ok(events)
    }

    /// Applies `command` at tick `at`. At the end of time this just appends it; in the past it
    /// forks: the state at `at` takes the command, everything after `at` is forgotten, and `at`
    /// becomes the new end. A refused command changes nothing.
    pub fn apply_at(
        &mut self,
        at: Tick,
        command: M::Command,
    ) -> Result<Applied<M::Event>, TimelineError<M::Rejection>> {
        if self.journal.entries().len() >= JOURNAL_COMMANDS_MAX {
            return Err(TimelineError::Journal(JournalError::TooManyCommands));
        }
        let at = at.min(self.end());
        if at == self.end() {
            self.head
                .validate(&command)
                .map_err(TimelineError::Rejected)?;
            let events = Rc::make_mut(&mut self.head)
                .apply(&command)
                .map_err(TimelineError::Rejected)?;
            self.journal.push(command).map_err(TimelineError::Journal)?;
            self.work_since_checkpoint += 1;
            return Ok(Applied {
                events,
                dropped_commands: 0,
            });
        }
        let mut forked = self.state_at(at);
        let events = forked.apply(&command).map_err(TimelineError::Rejected)?;
        let dropped_commands = self.cut_at(at, Rc::new(forked));
        self.journal.push(command).map_err(TimelineError::Journal)?;
        self.work_since_checkpoint += 1;
        Ok(Applied {
            events,
            dropped_commands,
        })
    }

    /// A second timeline that ends at `at` (clamped to the end): this one's journal up to and
    /// including the commands stamped `at`, and its checkpoints up to there. Commands applied to
    /// it at its end are a fork of this timeline, which stays as it was. Costs one
    /// [`Timeline::state_at_shared`]; the branch copies that state only when it moves on. That
    /// state becomes the branch's newest checkpoint (shared, not copied): the branch replays from
    /// it, and a checkpoint taken partway through its replay would cost one more copy of the
    /// state it is changing.
    pub fn branch_at(&self, at: Tick) -> Timeline<M> {
        let at = at.min(self.end());
        let mut branch = self.clone();
        if at < self.end() {
            branch.cut_at(at, self.state_at_shared(at));
            branch.checkpoint_head();
        }
        branch
    }

    /// Keeps the head as a checkpoint, if it is later than the newest one.
    fn checkpoint_head(&mut self) {
        let newest = self.checkpoints.last().map(|c| c.state.now());
        if newest.is_some_and(|tick| tick < self.head.now()) {
            self.checkpoints.push(Checkpoint {
                state: Rc::clone(&self.head),
                next_entry: self.journal.entries().len(),
            });
            self.work_since_checkpoint = 0;
        }
    }

    /// Forgets everything after `at` (a tick before the end) and makes `head`, the state at `at`,
    /// the new end; returns how many commands were dropped.
    fn cut_at(&mut self, at: Tick, head: Rc<M>) -> usize {
        let dropped_commands = self.journal.truncate_after(at);
        self.checkpoints.retain(|c| c.state.now() <= at);
        let last = self
            .checkpoints
            .last()
            .expect("the tick-0 checkpoint is never dropped");
        self.work_since_checkpoint = at.ticks_since(last.state.now())
            + (self.journal.entries().len() - last.next_entry) as u64;
        self.head = head;
        self.forget_derived_from(at);
        dropped_commands
    }

    /// Forgets the kept state if a command at `at` changes it.
    fn forget_derived_from(&mut self, at: Tick) {
        let derived = self.derived.get_mut();
        if derived.as_ref().is_some_and(|state| state.now() >= at) {
            *derived = None;
        }
    }
}

/// Why [`Timeline::apply_at`] refused a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineError<R> {
    Rejected(R),
    Journal(JournalError<R>),
}

impl<R: fmt::Display> fmt::Display for TimelineError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimelineError::Rejected(r) => write!(f, "{r}"),
            TimelineError::Journal(j) => write!(f, "{j}"),
        }
    }
}

impl<R: Refusal> TimelineError<R> {
    pub fn hint(&self) -> String {
        match self {
            TimelineError::Rejected(r) => r.hint(),
            TimelineError::Journal(_) => "reset the lab to start a new journal".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{replay, Entry};
    use crate::test_model::{Counter, CounterCommand, CounterConfig};

    fn add(n: u8) -> CounterCommand {
        CounterCommand::Add(n)
    }

    fn fresh() -> Timeline<Counter> {
        Timeline::new(CounterConfig { seed: 7 })
    }

    #[test]
    fn state_at_agrees_with_reference_replay() {
        let mut timeline = fresh();
        for t in 0..5000u64 {
            if t % 7 == 0 {
                timeline.apply_at(Tick(t), add(1 + (t % 3) as u8)).unwrap();
            }
            timeline.advance_head().unwrap();
        }
        assert!(timeline.checkpoint_count() > 2);
        for t in [0, 1, 6, 7, 2047, 2048, 2049, 3000, 4999, 5000] {
            let fast = timeline.state_at(Tick(t));
            let slow = replay(timeline.journal(), Tick(t)).unwrap();
            assert_eq!(fast, slow, "tick {t}");
            assert_eq!(fast.now(), Tick(t));
        }
    }

    #[test]
    fn applying_in_the_past_forks() {
        let mut timeline = fresh();
        for t in 0..100u64 {
            timeline.apply_at(Tick(t), add(1)).unwrap();
            timeline.advance_head().unwrap();
        }
        let applied = timeline.apply_at(Tick(40), add(5)).unwrap();
        assert_eq!(applied.dropped_commands, 59);
        assert_eq!(timeline.end(), Tick(40));
        assert_eq!(timeline.journal().entries().len(), 42);
        let replayed = Timeline::from_journal(timeline.journal().clone()).unwrap();
        assert_eq!(replayed.head(), timeline.head());
    }

    #[test]
    fn a_refused_fork_changes_nothing() {
        let mut timeline = fresh();
        for _ in 0..10 {
            timeline.advance_head().unwrap();
        }
        let before = timeline.head().clone();
        let refused = timeline.apply_at(Tick(3), add(0)).unwrap_err();
        assert_eq!(refused.hint(), "add 1 or more");
        assert_eq!(timeline.end(), Tick(10));
        assert_eq!(timeline.head(), &before);
    }

    #[test]
    fn from_journal_reports_the_refused_command() {
        let entries = vec![
            Entry {
                at: Tick(2),
                command: add(1),
            },
            Entry {
                at: Tick(3),
                command: add(0),
            },
        ];
        let journal = Journal::from_parts(CounterConfig { seed: 1 }, entries, Tick(5)).unwrap();
        assert!(matches!(
            Timeline::<Counter>::from_journal(journal),
            Err(JournalError::Rejected { index: 1, .. })
        ));
    }

    /// A branch is the fork `apply_at` in the past makes, as a second timeline: same journal,
    /// same head, and the original stays as it was.
    #[test]
    fn a_branch_is_a_fork_that_leaves_the_original_alone() {
        let mut original = fresh();
        for t in 0..3000u64 {
            if t % 5 == 0 {
                original.apply_at(Tick(t), add(1 + (t % 4) as u8)).unwrap();
            }
            original.advance_head().unwrap();
        }
        let before = (original.head().clone(), original.journal().clone());
        for at in [0, 1, 2047, 2500, 3000, 9000] {
            let mut branch = original.branch_at(Tick(at));
            let mut forked = original.clone();
            let at = Tick(at).min(original.end());
            assert_eq!(branch.end(), at);
            assert_eq!(*branch.head(), replay(original.journal(), at).unwrap());
            if at < original.end() {
                // The branch point is the branch's newest checkpoint: the one the original had
                // there, or the branch's head itself, shared (the commands stamped `at` applied).
                let newest = branch.checkpoints.last().unwrap();
                assert_eq!(newest.state.now(), at);
                if !original.checkpoints.iter().any(|c| c.state.now() == at) {
                    assert!(Rc::ptr_eq(&newest.state, &branch.head), "at {at:?}");
                    assert_eq!(newest.next_entry, branch.journal().entries().len());
                }
            }
            branch.apply_at(at, add(7)).unwrap();
            forked.apply_at(at, add(7)).unwrap();
            for _ in 0..600 {
                branch.advance_head().unwrap();
                forked.advance_head().unwrap();
            }
            assert_eq!(branch.journal(), forked.journal());
            assert_eq!(branch.head(), forked.head());
            assert_eq!(
                branch.state_at(Tick(at.0 + 300)),
                forked.state_at(Tick(at.0 + 300))
            );
            let replayed = Timeline::from_journal(branch.journal().clone()).unwrap();
            assert_eq!(replayed.head(), branch.head());
        }
        assert_eq!(
            (original.head(), original.journal()),
            (&before.0, &before.1)
        );
    }

    /// The kept state is handed out again for its tick, and forgotten when a command changes it.
    #[test]
    fn the_kept_state_is_shared_and_forgotten_when_its_past_changes() {
        let mut timeline = fresh();
        for t in 0..3000u64 {
            if t % 3 == 0 {
                timeline.apply_at(Tick(t), add(1)).unwrap();
            }
            timeline.advance_head().unwrap();
        }
        let shown = timeline.state_at_shared(Tick(1500));
        assert!(Rc::ptr_eq(&shown, &timeline.state_at_shared(Tick(1500))));
        assert_eq!(timeline.state_at(Tick(1500)), *shown);
        assert!(Rc::ptr_eq(
            &timeline.state_at_shared(Tick(3000)),
            &timeline.head_shared()
        ));
        // A fork after the kept tick leaves it right; one at it forgets it.
        timeline.apply_at(Tick(2000), add(5)).unwrap();
        assert!(Rc::ptr_eq(&shown, &timeline.state_at_shared(Tick(1500))));
        timeline.apply_at(Tick(1500), add(9)).unwrap();
        timeline.advance_head().unwrap();
        let again = timeline.state_at_shared(Tick(1500));
        assert!(!Rc::ptr_eq(&shown, &again));
        assert_eq!(*again, replay(timeline.journal(), Tick(1500)).unwrap());
        assert_eq!(again.by_hand, shown.by_hand + 9);
        // A fork before it, too.
        timeline.apply_at(Tick(1000), add(2)).unwrap();
        for _ in 0..1000 {
            timeline.advance_head().unwrap();
        }
        assert_eq!(
            timeline.state_at(Tick(1500)),
            replay(timeline.journal(), Tick(1500)).unwrap()
        );
    }

    /// A clone (the app's reducer keeps the previous session) is a separate timeline: changing
    /// one never shows in the other, and a shared head stays as it was when taken.
    #[test]
    fn clones_and_shared_heads_are_unaffected_by_later_changes() {
        let mut original = fresh();
        for _ in 0..10 {
            original.advance_head().unwrap();
        }
        let kept = original.clone();
        let shown = original.head_shared();
        original.apply_at(Tick(10), add(3)).unwrap();
        original.advance_head().unwrap();
        original.apply_at(Tick(4), add(9)).unwrap();
        assert_eq!((kept.end(), kept.head().by_hand), (Tick(10), 0));
        assert_eq!(kept.journal().entries().len(), 0);
        assert_eq!((shown.now(), shown.by_hand), (Tick(10), 0));
        assert_eq!((original.end(), original.head().by_hand), (Tick(4), 9));
        assert_eq!(kept.state_at(Tick(10)), *shown);
    }
}
