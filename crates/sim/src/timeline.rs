//! A journal plus checkpoints: what the time controls drive.
//!
//! The state at any tick is derived by replaying the journal. Replaying from tick 0 each time the
//! learner drags the scrubber would grow with the journal, so the timeline keeps a copy of the
//! state ("checkpoint") every [`CHECKPOINT_WORK`] units of replay work (one unit per tick or
//! command). Jumping to a tick then costs one clone plus at most that much replay, whatever the
//! journal's length. The head (the state at the journal's end) is kept live so that playing
//! forward costs one tick per tick.
//!
//! Applying a command in the past *forks* the timeline: the commands after that tick are dropped
//! and time continues from there (see [`Timeline::apply_at`]).

use crate::clock::Tick;
use crate::journal::{replay_into, Journal, JournalError, JournalErrorOf, JOURNAL_COMMANDS_MAX};
use crate::model::{Model, Refusal};
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
        let dropped_commands = self.journal.truncate_after(at);
        self.checkpoints.retain(|c| c.state.now() <= at);
        let last = self
            .checkpoints
            .last()
            .expect("the tick-0 checkpoint is never dropped");
        self.work_since_checkpoint = at.ticks_since(last.state.now())
            + (self.journal.entries().len() - last.next_entry) as u64;
        self.head = Rc::new(forked);
        self.journal.push(command).map_err(TimelineError::Journal)?;
        self.work_since_checkpoint += 1;
        Ok(Applied {
            events,
            dropped_commands,
        })
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
