//! The lab store: one [`LabSession`] per lab on screen, driven by [`LabAction`]s.
//!
//! The session owns a [`Timeline`] (journal + checkpoints) and a cursor: the tick the learner is
//! looking at. Every view renders `session.view`, the state at the cursor, so scrubbing redraws
//! everything. Playing moves the cursor forward; at the end of the journal it extends time. A
//! command issued while looking at the past forks the timeline there (the core decides what that
//! means; the store only reports it).

use lab::clock::Tick;
use lab::metric::Observation;
use lab::share_link;
use lab::state::{Command, Lab, LabConfig};
use lab::steps::Step;
use lab::timeline::Timeline;
use std::rc::Rc;
use yew::prelude::*;

/// Speeds offered by the time controls, in ticks per second.
pub const SPEEDS_TICKS_PER_SECOND: &[u32] = &[1, 2, 5, 10, 25, 50, 100];
/// Speed a lab starts at.
pub const DEFAULT_SPEED_TICKS_PER_SECOND: u32 = 10;

/// A message shown above a lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub is_error: bool,
    pub text: String,
    pub hint: String,
}

/// One lab's state as the UI sees it. A value: the reducer builds the next session from a copy
/// and never changes the one it was given (the timeline is copied on write, and cloning it copies
/// pointers: see [`Timeline::head_shared`]).
#[derive(Clone)]
pub struct LabSession {
    timeline: Rc<Timeline>,
    default_config: LabConfig,
    /// The tick on screen.
    pub cursor: Tick,
    /// The state at `cursor`.
    pub view: Rc<Lab>,
    pub playing: bool,
    pub speed_ticks_per_second: u32,
    pub notice: Option<Notice>,
    /// Bumped on every change, so effects can depend on it.
    pub revision: u64,
    /// Bumped whenever the journal (and so the timeline) changes: a command, time running past
    /// the end, a reset, a loaded timeline. Views derived from the whole timeline (a comparison,
    /// the election timeline) are stale when it moves.
    pub journal_revision: u64,
    /// What the timeline was loaded from ([`LabAction::Load`]), until a reset.
    pub loaded_from: Option<String>,
    /// The latest action ran steps ([`LabAction::Steps`]: a "Do it" button, a steps block) and
    /// nothing has changed since: a goal met now is credited to the lesson's steps.
    pub by_steps: bool,
    /// The timeline and cursor before the last fork, while nothing else has changed the journal
    /// since: [`LabAction::Undo`] brings the dropped future back. Keeping it costs a pointer
    /// (timelines are shared, copied on write).
    undo: Option<(Rc<Timeline>, Tick)>,
}

impl PartialEq for LabSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.timeline, &other.timeline) && self.revision == other.revision
    }
}

/// A lab resumed from saved text ([`LabSession::resume`]).
pub struct Resumed {
    pub session: LabSession,
    /// The saved text could not be used: keep it aside.
    pub refused: bool,
}

impl Resumed {
    fn refused(session: LabSession) -> Resumed {
        Resumed {
            session,
            refused: true,
        }
    }
}

/// What the UI can ask of a lab.
#[derive(Clone, Debug, PartialEq)]
pub enum LabAction {
    TogglePlay,
    Pause,
    /// Moves `n` ticks forward (a play timer fire or the Step button).
    Forward(u32),
    /// Moves one tick back.
    StepBack,
    Seek(Tick),
    SetSpeed(u32),
    Reset,
    Command(Command),
    /// Pauses and runs steps of the steps language (a "Do it" button, a steps block's beat or
    /// its "Skip to the end"): each command at the cursor, then the ticks, as `lab scenario run`
    /// does.
    Steps(Rc<Vec<Step>>),
    /// Brings back the future the last fork dropped (see [`LabSession::can_undo`]).
    Undo,
    DismissNotice,
    /// Shows a notice that no lab action caused (a lesson's own message).
    Notify(Notice),
    /// Replaces the lab with another timeline (a preset that ran, a fork), at its end.
    Load(Loaded),
}

/// A timeline to open in place of the session's, with the notice that says what it is.
#[derive(Clone)]
pub struct Loaded {
    pub timeline: Rc<Timeline>,
    /// A name for where it came from (a preset's id), kept in [`LabSession::loaded_from`].
    pub from: String,
    pub notice: Notice,
}

impl PartialEq for Loaded {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.timeline, &other.timeline)
            && self.from == other.from
            && self.notice == other.notice
    }
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loaded(a timeline ending at {})", self.timeline.end())
    }
}

impl LabSession {
    /// A lab at tick 0, or the state a share link describes. A bad link opens the default lab with
    /// a notice saying why.
    pub fn open(config: LabConfig, share: Option<&str>) -> LabSession {
        let (timeline, notice) = match share.map(share_link::open) {
            None => (Timeline::new(config), None),
            Some(Ok(timeline)) => (
                timeline,
                Some(Notice {
                    is_error: false,
                    text: "Opened the lab from a share link.".into(),
                    hint: "Scrub back to replay its history; Reset starts over.".into(),
                }),
            ),
            Some(Err(e)) => (
                Timeline::new(config),
                Some(Notice {
                    is_error: true,
                    text: capitalise(&e.to_string()),
                    hint: capitalise(e.hint()),
                }),
            ),
        };
        let cursor = timeline.end();
        let view = timeline.head_shared();
        LabSession {
            timeline: Rc::new(timeline),
            default_config: config,
            cursor,
            view,
            playing: false,
            speed_ticks_per_second: DEFAULT_SPEED_TICKS_PER_SECOND,
            notice,
            revision: 0,
            journal_revision: 0,
            loaded_from: None,
            by_steps: false,
            undo: None,
        }
    }

    /// Whether the last command forked the past and its dropped future can still be restored.
    pub fn can_undo(&self) -> bool {
        self.undo.is_some()
    }

    /// The lab a learner left on this page, from its saved journal (share-link text), resumed at
    /// its end. A saved lab that does not replay, or that was saved for another preset or seed
    /// (the lesson changed since), gives a fresh lab with a notice saying why and `refused` set,
    /// so the caller can keep the text aside instead of losing it. An empty saved lab opens
    /// quietly.
    pub fn resume(config: LabConfig, saved: &str) -> Resumed {
        let fresh_with = |text: String| {
            let mut session = LabSession::open(config, None);
            session.notice = Some(Notice {
                is_error: true,
                text,
                hint: "This page opened a fresh lab; the saved one was kept aside.".into(),
            });
            session
        };
        let timeline = match share_link::open(saved) {
            Ok(timeline) => timeline,
            Err(e) => {
                return Resumed::refused(fresh_with(capitalise(&format!(
                    "your saved lab could not be read: {e}"
                ))))
            }
        };
        if *timeline.journal().config() != config {
            return Resumed::refused(fresh_with(
                "Your saved lab was made for another version of this page.".into(),
            ));
        }
        let mut session = LabSession::open(config, None);
        if timeline.end() > Tick::ZERO || !timeline.journal().entries().is_empty() {
            session.notice = Some(Notice {
                is_error: false,
                text: format!("Resumed where you left off: tick {}.", timeline.end().0),
                hint: "Reset starts this lab over.".into(),
            });
            session.cursor = timeline.end();
            session.view = timeline.head_shared();
            session.timeline = Rc::new(timeline);
        }
        Resumed {
            session,
            refused: false,
        }
    }

    pub fn end(&self) -> Tick {
        self.timeline.end()
    }

    /// Runs `f` with the journal (for the journal widget and goals).
    pub fn with_observation<R>(&self, f: impl FnOnce(&Observation<'_>) -> R) -> R {
        f(&Observation {
            lab: &self.view,
            journal: self.timeline.journal(),
        })
    }

    /// A key for memos and effects over whole-state passes: it changes on every change while
    /// paused, and on every `every`-th change while playing (those passes cost more than the
    /// rest of a frame).
    pub fn refresh_key(&self, every: u64) -> (u64, bool) {
        if self.playing {
            (self.revision / every.max(1), true)
        } else {
            (self.revision, false)
        }
    }

    /// Runs `f` with the whole timeline (for forks and comparisons).
    pub fn with_timeline<R>(&self, f: impl FnOnce(&Timeline) -> R) -> R {
        f(&self.timeline)
    }

    /// Runs `f` with the state at the end of the journal (the election timeline shows the
    /// future too, so a learner who scrubbed back can jump forward again).
    pub fn with_head<R>(&self, f: impl FnOnce(&Lab) -> R) -> R {
        f(self.timeline.head())
    }

    /// The share link text for the whole journal.
    pub fn share_link(&self) -> String {
        share_link::encode(self.timeline.journal())
    }

    /// A state hash computed by replaying the journal from tick 0 up to the cursor, to show
    /// that replay agrees with what is on screen.
    pub fn replayed_hash(&self) -> Option<u64> {
        lab::journal::replay(self.timeline.journal(), self.cursor)
            .ok()
            .map(|lab| lab.state_hash())
    }

    fn move_to(&mut self, at: Tick) {
        self.cursor = at.min(self.timeline.end());
        self.view = if self.cursor == self.timeline.end() {
            self.timeline.head_shared()
        } else {
            // Kept by the timeline too: a fork or a command at the cursor starts from it.
            self.timeline.state_at_shared(self.cursor)
        };
    }

    fn forward(&mut self, ticks: u32) {
        for _ in 0..ticks {
            let end = self.end();
            if self.cursor < end {
                self.move_to(self.cursor.next());
                continue;
            }
            self.journal_revision += 1;
            self.undo = None;
            let advanced = Rc::make_mut(&mut self.timeline).advance_head();
            if let Err(e) = advanced {
                self.playing = false;
                self.notice = Some(Notice {
                    is_error: true,
                    text: capitalise(&e.to_string()),
                    hint: "Reset the lab to start over.".into(),
                });
                break;
            }
            self.cursor = self.end();
        }
        if self.cursor == self.end() {
            self.view = self.timeline.head_shared();
        }
    }

    /// Runs steps as one action: if they fork the past, the fork's notice and one Undo (back to
    /// before the first step) outlive the steps after it, which would otherwise clear them.
    fn run_steps(&mut self, steps: &[Step]) {
        self.playing = false;
        let before = (Rc::clone(&self.timeline), self.cursor);
        let mut fork_notice = None;
        for step in steps {
            match step {
                Step::Ticks(n) => self.forward(u32::try_from(*n).unwrap_or(u32::MAX)),
                Step::Broker(command) => self.command(Command::Broker(command.clone())),
                Step::Lab(command) => self.command(command.clone()),
            }
            if fork_notice.is_none() && self.undo.is_some() {
                fork_notice = self.notice.clone();
            }
        }
        if let Some(notice) = fork_notice {
            self.undo = Some(before);
            if !self.notice.as_ref().is_some_and(|n| n.is_error) {
                self.notice = Some(notice);
            }
        }
    }

    fn command(&mut self, command: Command) {
        let ticks_dropped = self.end().ticks_since(self.cursor);
        let before = (Rc::clone(&self.timeline), self.cursor);
        let result = Rc::make_mut(&mut self.timeline).apply_at(self.cursor, command);
        match result {
            Ok(applied) => {
                self.journal_revision += 1;
                self.undo = (ticks_dropped > 0).then_some(before);
                self.cursor = self.end();
                self.view = self.timeline.head_shared();
                self.notice = (ticks_dropped > 0).then(|| Notice {
                    is_error: false,
                    text: format!(
                        "New timeline from tick {}: the old future ({ticks_dropped} {}, {} {}) was dropped.",
                        self.cursor.0,
                        plural(ticks_dropped, "tick"),
                        applied.dropped_commands,
                        plural(applied.dropped_commands as u64, "command"),
                    ),
                    hint: "Acting in the past forks history, like committing on an old git commit. Undo brings the old future back.".into(),
                });
            }
            Err(e) => {
                self.notice = Some(Notice {
                    is_error: true,
                    text: capitalise(&e.to_string()),
                    hint: capitalise(&e.hint()),
                });
            }
        }
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Reducible for LabSession {
    type Action = LabAction;

    fn reduce(self: Rc<Self>, action: LabAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.revision += 1;
        next.by_steps = matches!(action, LabAction::Steps(_));
        match action {
            LabAction::TogglePlay => next.playing = !next.playing,
            LabAction::Pause => next.playing = false,
            LabAction::Forward(ticks) => next.forward(ticks),
            LabAction::StepBack => {
                next.playing = false;
                let back = Tick(next.cursor.0.saturating_sub(1));
                next.move_to(back);
            }
            LabAction::Seek(at) => {
                next.playing = false;
                next.move_to(at);
            }
            LabAction::SetSpeed(speed) => {
                if SPEEDS_TICKS_PER_SECOND.contains(&speed) {
                    next.speed_ticks_per_second = speed;
                }
            }
            LabAction::Reset => {
                let fresh = LabSession::open(next.default_config, None);
                return Rc::new(LabSession {
                    revision: next.revision,
                    journal_revision: next.journal_revision + 1,
                    ..fresh
                });
            }
            LabAction::Load(loaded) => {
                next.timeline = loaded.timeline;
                next.undo = None;
                next.journal_revision += 1;
                next.playing = false;
                next.cursor = next.end();
                next.view = next.timeline.head_shared();
                next.notice = Some(loaded.notice);
                next.loaded_from = Some(loaded.from);
            }
            LabAction::Command(command) => next.command(command),
            LabAction::Steps(steps) => next.run_steps(&steps),
            LabAction::Undo => {
                if let Some((timeline, cursor)) = next.undo.take() {
                    next.timeline = timeline;
                    next.journal_revision += 1;
                    next.playing = false;
                    next.move_to(cursor);
                    next.notice = Some(Notice {
                        is_error: false,
                        text: format!(
                            "The old future is back: the journal runs to tick {} again.",
                            next.end().0
                        ),
                        hint: "You are at the tick where you had forked.".into(),
                    });
                }
            }
            LabAction::DismissNotice => next.notice = None,
            LabAction::Notify(notice) => next.notice = Some(notice),
        }
        Rc::new(next)
    }
}

/// The handle widgets get from context.
pub type LabHandle = UseReducerHandle<LabSession>;

#[cfg(test)]
mod tests {
    use super::*;
    use lab::stream::SourceId;

    fn reduce(session: Rc<LabSession>, action: LabAction) -> Rc<LabSession> {
        session.reduce(action)
    }

    #[test]
    fn steps_in_the_past_fork_once_with_one_undo() {
        let config = LabConfig {
            seed: lab::rng::Seed(28),
            preset: lab::state::Preset::Replicated,
        };
        let steps = |text: &str| LabAction::Steps(Rc::new(lab::steps::parse_steps(text).unwrap()));
        let mut s = Rc::new(LabSession::open(config, None));
        s = reduce(s, steps("produce orders count=30\ntick 5"));
        assert_eq!((s.cursor, s.end()), (Tick(5), Tick(5)));
        assert!(s.by_steps, "the lab is what the steps made it");
        s = reduce(s, LabAction::Seek(Tick(2)));
        assert!(!s.by_steps, "the learner moved since");
        s = reduce(s, steps("kill-broker 2\nkill-broker 3\ntick 100"));
        assert_eq!((s.cursor, s.end()), (Tick(102), Tick(102)));
        let notice = s.notice.clone().expect("the fork is explained");
        assert!(
            notice.text.contains("New timeline from tick 2"),
            "{}",
            notice.text
        );
        assert!(s.can_undo(), "the later steps did not take Undo away");
        s = reduce(s, LabAction::Undo);
        assert_eq!((s.cursor, s.end()), (Tick(2), Tick(5)));
    }

    #[test]
    fn play_scrub_and_fork() {
        let mut s = Rc::new(LabSession::open(LabConfig::default(), None));
        s = reduce(s, LabAction::Forward(30));
        assert_eq!((s.cursor, s.end()), (Tick(30), Tick(30)));
        s = reduce(s, LabAction::Seek(Tick(10)));
        assert_eq!(s.view.now(), Tick(10));
        s = reduce(s, LabAction::Forward(5));
        assert_eq!((s.cursor, s.end()), (Tick(15), Tick(30)));
        s = reduce(
            s,
            LabAction::Command(Command::Emit {
                source: SourceId(0),
                count: 2,
            }),
        );
        assert_eq!(s.end(), Tick(15));
        assert!(s
            .notice
            .as_ref()
            .is_some_and(|n| !n.is_error && n.text.contains("New timeline")));
        s = reduce(
            s,
            LabAction::Command(Command::Emit {
                source: SourceId(9),
                count: 1,
            }),
        );
        assert!(s.notice.as_ref().is_some_and(|n| n.is_error));
        s = reduce(s, LabAction::Reset);
        assert_eq!(s.end(), Tick(0));
        assert!(s.notice.is_none());
    }

    #[test]
    fn bad_share_links_open_the_default_lab_with_a_notice() {
        let s = LabSession::open(LabConfig::default(), Some("fl1.garbage!!"));
        assert_eq!(s.end(), Tick(0));
        let notice = s.notice.expect("a notice");
        assert!(notice.is_error && notice.text.starts_with("This share link is damaged"));
    }

    #[test]
    fn share_links_reopen_the_same_state() {
        let mut s = Rc::new(LabSession::open(LabConfig::default(), None));
        s = reduce(s, LabAction::Forward(40));
        s = reduce(
            s,
            LabAction::Command(Command::Emit {
                source: SourceId(1),
                count: 3,
            }),
        );
        let reopened = LabSession::open(LabConfig::default(), Some(&s.share_link()));
        assert_eq!(reopened.view.state_hash(), s.view.state_hash());
        assert_eq!(s.replayed_hash(), Some(s.view.state_hash()));
    }

    /// The reducer is pure: the session it was given is unchanged, whatever the action.
    #[test]
    fn reducing_leaves_the_previous_session_as_it_was() {
        let before = Rc::new(LabSession::open(LabConfig::default(), None));
        let before = reduce(before, LabAction::Forward(20));
        let (end, hash, journal) = (
            before.end(),
            before.view.state_hash(),
            before.with_timeline(|t| t.journal().clone()),
        );
        let emit = Command::Emit {
            source: SourceId(0),
            count: 4,
        };
        for action in [
            LabAction::Forward(7),
            LabAction::Command(emit.clone()),
            LabAction::Seek(Tick(5)),
            LabAction::Reset,
        ] {
            let after = reduce(before.clone(), action.clone());
            assert_ne!(after.revision, before.revision, "{action:?}");
            assert_eq!(before.end(), end, "{action:?}");
            assert_eq!(before.view.state_hash(), hash, "{action:?}");
            assert_eq!(
                before.with_timeline(|t| t.journal().clone()),
                journal,
                "{action:?}"
            );
        }
        let forked = reduce(
            reduce(before.clone(), LabAction::Seek(Tick(5))),
            LabAction::Command(emit),
        );
        assert_eq!(forked.end(), Tick(5));
        assert_eq!(before.end(), end);
    }

    /// A fork can be undone until the journal changes again; undoing restores the old future
    /// exactly (same journal, same state) and puts the cursor back where the fork happened.
    #[test]
    fn undo_brings_back_the_future_a_fork_dropped() {
        let emit = |count| {
            LabAction::Command(Command::Emit {
                source: SourceId(0),
                count,
            })
        };
        let mut s = Rc::new(LabSession::open(LabConfig::default(), None));
        s = reduce(s, LabAction::Forward(10));
        s = reduce(s, emit(2));
        s = reduce(s, LabAction::Forward(30));
        assert!(!s.can_undo(), "nothing was forked");
        let (journal, hash) = (
            s.with_timeline(|t| t.journal().clone()),
            s.view.state_hash(),
        );
        s = reduce(s, LabAction::Seek(Tick(5)));
        s = reduce(s, emit(3));
        assert_eq!(s.end(), Tick(5));
        assert!(s.can_undo());
        s = reduce(s, LabAction::Undo);
        assert!(!s.can_undo());
        assert_eq!(s.with_timeline(|t| t.journal().clone()), journal);
        assert_eq!((s.cursor, s.end()), (Tick(5), Tick(40)));
        s = reduce(s, LabAction::Seek(Tick(40)));
        assert_eq!(s.view.state_hash(), hash);
        // Once time moves on after a fork, the old future is gone for good.
        s = reduce(s, LabAction::Seek(Tick(5)));
        s = reduce(s, emit(3));
        s = reduce(s, LabAction::Forward(1));
        assert!(!s.can_undo());
        let end = s.end();
        s = reduce(s, LabAction::Undo);
        assert_eq!(s.end(), end, "Undo with nothing to undo changes nothing");
    }

    /// A saved lab resumes where it was; a damaged one, or one saved for another preset, opens a
    /// fresh lab with a notice (the caller keeps the text aside).
    #[test]
    fn saved_labs_resume_and_bad_ones_are_refused_with_a_notice() {
        let mut s = Rc::new(LabSession::open(LabConfig::default(), None));
        s = reduce(s, LabAction::Forward(25));
        s = reduce(
            s,
            LabAction::Command(Command::Emit {
                source: SourceId(1),
                count: 2,
            }),
        );
        let saved = s.share_link();
        let resumed = LabSession::resume(LabConfig::default(), &saved);
        assert!(!resumed.refused);
        let resumed = resumed.session;
        assert_eq!((resumed.cursor, resumed.end()), (Tick(25), Tick(25)));
        assert_eq!(resumed.view.state_hash(), s.view.state_hash());
        assert!(resumed
            .notice
            .unwrap()
            .text
            .contains("Resumed where you left off: tick 25"));
        let empty = LabSession::open(LabConfig::default(), None).share_link();
        let quiet = LabSession::resume(LabConfig::default(), &empty);
        assert!(!quiet.refused && quiet.session.notice.is_none());
        let damaged = LabSession::resume(LabConfig::default(), "fl1.garbage");
        assert!(damaged.refused);
        let damaged = damaged.session;
        assert_eq!(damaged.end(), Tick(0));
        assert!(damaged
            .notice
            .unwrap()
            .text
            .starts_with("Your saved lab could not be read"));
        let other = LabConfig {
            preset: lab::state::Preset::Busy,
            ..LabConfig::default()
        };
        let moved = LabSession::resume(other, &saved);
        assert!(moved.refused);
        let moved = moved.session;
        assert!(moved
            .notice
            .unwrap()
            .text
            .contains("another version of this page"));
    }
}
