//! The job's consumer lag (committed clicks it has not read) and the age of the newest
//! `user_activity` value in the online store, over the last minute of lab time. While the job
//! runs both stay low; crash it and the lag climbs with every click while the feature goes stale,
//! and after a restart both fall back as the job catches up.
//!
//! The states of earlier ticks come from the timeline: the widget keeps one sample per tick it
//! has seen (the state on screen as time moves), drops the samples a fork made stale (those at or
//! after the first journal entry that changed), and when the minute before the cursor is not
//! covered (a scrub far back, a shared link opened at its end) it replays that minute once from
//! the timeline's state at its start.

use super::no_stream_job;
use crate::charts;
use lab::sim::journal::Entry;
use lab::sim::model::Model;
use lab::state::{Command, Lab, LabConfig};
use lab::stream_lab::glue::stream_value;
use lab::timeline::Timeline;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// The span the chart shows, in ticks (one minute of lab time).
pub const SPAN_TICKS: u64 = 600;
/// A gap at the start of the span the chart accepts before replaying it.
const COVER_SLACK_TICKS: u64 = 20;

/// What the chart plots at one tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub lag: u64,
    /// Seconds since the newest `user_activity` value's event time (None before the first push).
    pub freshness_s: Option<u64>,
}

/// The sample of a state.
pub fn sample(lab: &Lab) -> Sample {
    Sample {
        lag: stream_value(lab, "lag").map_or(0, |v| v.max(0) as u64),
        freshness_s: stream_value(lab, "freshness_s").map(|v| v.max(0) as u64),
    }
}

/// Samples by tick, valid for the journal they were taken under.
#[derive(Default)]
pub struct History {
    config: Option<LabConfig>,
    entries: Vec<Entry<Command>>,
    pub samples: BTreeMap<u64, Sample>,
}

impl History {
    /// Forgets the samples a change of journal made stale: with another config, all of them;
    /// otherwise those at or after the first entry that differs (a state at tick t depends only
    /// on the entries stamped at or before t).
    fn follow(&mut self, timeline: &Timeline) {
        let journal = timeline.journal();
        if self.config != Some(*journal.config()) {
            self.config = Some(*journal.config());
            self.samples.clear();
            self.entries = journal.entries().to_vec();
            return;
        }
        let new = journal.entries();
        let old = &self.entries;
        let same = new.iter().zip(old).take_while(|(a, b)| a == b).count();
        if same == new.len() && same == old.len() {
            return;
        }
        let stale_from = [new.get(same), old.get(same)]
            .into_iter()
            .flatten()
            .map(|e| e.at.0)
            .min()
            .unwrap_or(0);
        self.samples.retain(|&tick, _| tick < stale_from);
        self.entries = new.to_vec();
    }

    /// Brings the samples up to date for the state on screen at `cursor`.
    pub fn update(&mut self, timeline: &Timeline, view: &Lab, cursor: u64) {
        self.follow(timeline);
        self.samples.insert(cursor, sample(view));
        let from = cursor.saturating_sub(SPAN_TICKS);
        let covered = self
            .samples
            .range(from..=from + COVER_SLACK_TICKS)
            .next()
            .is_some();
        if !covered {
            // Up to the first sample already known (a scrub back replays only what it uncovers).
            let until = self
                .samples
                .range(from..)
                .next()
                .map_or(cursor, |(tick, _)| *tick)
                .min(cursor);
            replay(timeline, from, until, &mut self.samples);
        }
        // Keep a few spans around the cursor: enough to scrub back and forth without replaying.
        let keep = from.saturating_sub(3 * SPAN_TICKS)..=cursor + 3 * SPAN_TICKS;
        self.samples.retain(|tick, _| keep.contains(tick));
    }

    /// The samples in the span ending at `cursor`.
    pub fn span(&self, cursor: u64) -> Vec<(u64, Sample)> {
        self.samples
            .range(cursor.saturating_sub(SPAN_TICKS)..=cursor)
            .map(|(t, s)| (*t, *s))
            .collect()
    }
}

/// Replays the timeline from `from` to `to`, sampling every tick.
fn replay(timeline: &Timeline, from: u64, to: u64, samples: &mut BTreeMap<u64, Sample>) {
    let entries = timeline.journal().entries();
    let mut state = timeline.state_at(lab::clock::Tick(from));
    samples.insert(from, sample(&state));
    while state.now().0 < to {
        state.tick();
        let now = state.now();
        let first = entries.partition_point(|e| e.at < now);
        for entry in entries[first..].iter().take_while(|e| e.at == now) {
            // The journal's commands were accepted at their ticks, so they apply again.
            let _ = state.apply(&entry.command);
        }
        samples.insert(now.0, sample(&state));
    }
}

/// The chart's two lines.
pub fn series(span: &[(u64, Sample)]) -> Vec<(String, Vec<(u64, u64)>)> {
    vec![
        (
            "consumer lag (records)".to_string(),
            span.iter().map(|(t, s)| (*t, s.lag)).collect(),
        ),
        (
            "user_activity age (s)".to_string(),
            span.iter()
                .filter_map(|(t, s)| s.freshness_s.map(|f| (*t, f)))
                .collect(),
        ),
    ]
}

#[component]
pub fn StreamFreshness() -> Html {
    let session = crate::widgets::use_lab();
    let history: Rc<RefCell<History>> = use_mut_ref(History::default);
    let canvas = use_node_ref();
    let has_streams = session.view.streams().is_some();
    let span = if has_streams {
        let mut history = history.borrow_mut();
        session.with_timeline(|timeline| history.update(timeline, &session.view, session.cursor.0));
        history.span(session.cursor.0)
    } else {
        Vec::new()
    };
    let lines = series(&span);
    let draw = {
        let lines = lines.clone();
        move |canvas: HtmlCanvasElement, _: &Lab, palette: charts::Palette, scale: f64| {
            charts::lines(canvas, &lines, "records / seconds", palette, scale)
        }
    };
    // Redrawn at the charts' pace (every few changes while playing), with the latest lines.
    let error = crate::widgets::chart_canvas::use_chart_canvas_with(canvas.clone(), (), draw);
    if !has_streams {
        return no_stream_job();
    }
    let now = sample(&session.view);
    let running = session.view.streams().is_some_and(|s| s.job().is_running());
    let freshness = now
        .freshness_s
        .map_or_else(|| "no value yet".to_string(), |f| format!("{f} s old"));
    let label = format!(
        "Consumer lag and user_activity freshness over the last {} s. Now: lag {} records, newest value {freshness}.",
        SPAN_TICKS / 10,
        now.lag
    );
    html! {
        <div class="stream-freshness">
            <p class="small stream-freshness-now">
                { format!("Now: lag {} records · newest user_activity value {freshness}", now.lag) }
                if !running { <strong class="bad">{ " · job crashed: nothing is read, the feature goes stale" }</strong> }
            </p>
            <canvas ref={canvas} width="720" height="240" role="img" aria-label={label}></canvas>
            <p class="small muted">{ "Lag: committed clicks the job has not read. Age: lab time now minus the event time (window end) of the newest value in the online store." }</p>
            if let Some(e) = error { <p class="field-error" role="alert">{ format!("The chart could not be drawn: {e}") }</p> }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::clock::Tick;
    use lab::rng::Seed;
    use lab::state::Preset;
    use lab::stream_lab::command::StreamCommand;

    fn streaming() -> Timeline {
        Timeline::new(LabConfig {
            seed: Seed(3),
            preset: Preset::Streaming,
        })
    }

    fn run(t: &mut Timeline, ticks: u64) {
        for _ in 0..ticks {
            t.advance_head().unwrap();
        }
    }

    #[test]
    fn replayed_samples_are_the_timeline_states_and_a_crash_shows_lag_and_staleness() {
        let mut t = streaming();
        run(&mut t, 300);
        t.apply_at(t.end(), Command::Stream(StreamCommand::CrashJob))
            .unwrap();
        run(&mut t, 200);
        let mut history = History::default();
        let cursor = t.end().0;
        history.update(&t, t.head(), cursor);
        let span = history.span(cursor);
        assert_eq!(
            span.len() as u64,
            cursor.min(SPAN_TICKS) + 1,
            "one sample per tick"
        );
        for tick in [0, 99, 250, 300, 301, 450, 500] {
            if let Some(sample_at) = history.samples.get(&tick) {
                assert_eq!(*sample_at, sample(&t.state_at(Tick(tick))), "tick {tick}");
            }
        }
        let before = history.samples[&300];
        let after = history.samples[&500];
        assert!(after.lag > before.lag + 100, "{before:?} then {after:?}");
        assert!(
            after.freshness_s.unwrap() >= before.freshness_s.unwrap() + 20,
            "{before:?} then {after:?}"
        );
    }

    #[test]
    fn a_scrub_back_replays_only_what_it_uncovers() {
        let mut t = streaming();
        run(&mut t, 1500);
        let mut history = History::default();
        history.update(&t, t.head(), 1500);
        assert_eq!(history.samples.keys().next(), Some(&900));
        let view = t.state_at(Tick(1000));
        history.update(&t, &view, 1000);
        assert_eq!(history.span(1000).len(), 601);
        assert_eq!(history.samples[&600], sample(&t.state_at(Tick(600))));
        assert_eq!(history.samples[&899], sample(&t.state_at(Tick(899))));
    }

    #[test]
    fn a_fork_drops_the_samples_from_the_changed_tick_on() {
        let mut t = streaming();
        run(&mut t, 100);
        let mut history = History::default();
        history.update(&t, t.head(), 100);
        assert!(history.samples.contains_key(&100) && history.samples.contains_key(&40));
        // Fork at tick 50: the journal changes there.
        t.apply_at(Tick(50), Command::Stream(StreamCommand::CrashJob))
            .unwrap();
        let view = t.state_at(Tick(50));
        history.update(&t, &view, 50);
        assert!(history.samples.contains_key(&49));
        assert!(!history.samples.contains_key(&51));
        assert_eq!(history.samples[&50], sample(&view));
    }

    #[test]
    fn the_freshness_line_starts_at_the_first_push() {
        let span = [
            (
                1,
                Sample {
                    lag: 4,
                    freshness_s: None,
                },
            ),
            (
                2,
                Sample {
                    lag: 0,
                    freshness_s: Some(3),
                },
            ),
        ];
        let lines = series(&span);
        assert_eq!(lines[0].1, vec![(1, 4), (2, 0)]);
        assert_eq!(lines[1].1, vec![(2, 3)]);
    }
}
