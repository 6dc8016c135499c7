//! Lessons as data: a markdown file with front matter, prose, live widgets and goals.
//!
//! ````text
//! ---
//! id: time-and-replay
//! title: Time, seeds and replay
//! track: Foundations
//! order: 1
//! summary: One sentence for the lesson index.
//! seed: 42
//! scenario: two-sources
//! ---
//! Prose in markdown...
//! ```widget time-controls
//! ```
//! ```check
//! id: reach-50
//! goal: Let the clock run to tick 50.
//! when: tick >= 50
//! hint: Press Play.
//! solution: Press Play and wait about ten seconds.
//! ```
//! ````
//!
//! Parsing is strict (unknown keys, widget kinds and metrics are errors with a line number) so
//! that the lesson lint catches mistakes before a learner does. Rendering the prose is the UI's
//! job; this module only splits the file into [`Block`]s.

use crate::check::Condition;
use crate::journal::Journal;
use crate::lab::{Lab, LabConfig, Scenario};
use crate::metric::Observation;
use crate::rng::Seed;
use std::collections::BTreeSet;
use std::fmt;

/// The live widgets a lesson can embed. The UI renders each; the compiler makes sure it has a
/// renderer for every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WidgetKind {
    /// Play, pause, step, speed, scrubber, reset, share link.
    TimeControls,
    /// The sources and their most recent events.
    Stream,
    /// Buttons to emit events, change chances and add sources.
    Emitter,
    /// A chart of events per tick.
    EventsChart,
    /// The most recent events, newest first.
    Trace,
    /// The journal: seed, scenario and every command with its tick.
    Journal,
    /// The state's fingerprint, live and replayed.
    StateHash,
    /// Brokers, topics and partition logs as offset cells, with a record inspector.
    Cluster,
    /// Send records and configure producers.
    Producer,
    /// Consumer groups: members, assignments, positions, commits, lag; add, crash, restart.
    Groups,
    /// Consumer lag per partition over time.
    LagChart,
    /// Create topics and edit their retention, compaction and segment settings.
    TopicConfig,
    /// Duplicates, redeliveries, skipped records and reordering found in the history.
    Deliveries,
    /// A RabbitMQ-style queue: ready messages, consumers, acknowledgements.
    Queue,
    /// Brokers with their status and fault buttons, and per partition the replica rows with
    /// LEO and HW markers, the leader, the ISR and the epoch.
    Replicas,
    /// The controller quorum, broker registrations and the election timeline.
    Controller,
    /// The acknowledged-writes ledger: acknowledged, still present, lost (and why).
    Ledger,
    /// Under-replicated and offline partitions over time.
    ReplicationChart,
    /// Fork the timeline at the tick on screen with other settings, and compare the outcomes.
    Compare,
}

impl WidgetKind {
    pub const ALL: [WidgetKind; 19] = [
        WidgetKind::TimeControls,
        WidgetKind::Stream,
        WidgetKind::Emitter,
        WidgetKind::EventsChart,
        WidgetKind::Trace,
        WidgetKind::Journal,
        WidgetKind::StateHash,
        WidgetKind::Cluster,
        WidgetKind::Producer,
        WidgetKind::Groups,
        WidgetKind::LagChart,
        WidgetKind::TopicConfig,
        WidgetKind::Deliveries,
        WidgetKind::Queue,
        WidgetKind::Replicas,
        WidgetKind::Controller,
        WidgetKind::Ledger,
        WidgetKind::ReplicationChart,
        WidgetKind::Compare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WidgetKind::TimeControls => "time-controls",
            WidgetKind::Stream => "stream",
            WidgetKind::Emitter => "emitter",
            WidgetKind::EventsChart => "events-chart",
            WidgetKind::Trace => "trace",
            WidgetKind::Journal => "journal",
            WidgetKind::StateHash => "state-hash",
            WidgetKind::Cluster => "cluster",
            WidgetKind::Producer => "producer",
            WidgetKind::Groups => "groups",
            WidgetKind::LagChart => "lag-chart",
            WidgetKind::TopicConfig => "topic-config",
            WidgetKind::Deliveries => "deliveries",
            WidgetKind::Queue => "queue",
            WidgetKind::Replicas => "replicas",
            WidgetKind::Controller => "controller",
            WidgetKind::Ledger => "ledger",
            WidgetKind::ReplicationChart => "replication-chart",
            WidgetKind::Compare => "compare",
        }
    }

    pub fn from_name(name: &str) -> Option<WidgetKind> {
        WidgetKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Widgets that show the Kafka cluster, and so need a broker scenario.
    pub fn needs_broker(self) -> bool {
        matches!(
            self,
            WidgetKind::Cluster
                | WidgetKind::Producer
                | WidgetKind::Groups
                | WidgetKind::LagChart
                | WidgetKind::TopicConfig
                | WidgetKind::Deliveries
                | WidgetKind::Replicas
                | WidgetKind::Controller
                | WidgetKind::Ledger
                | WidgetKind::ReplicationChart
                | WidgetKind::Compare
        )
    }
}

/// Front matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonMeta {
    pub id: String,
    pub title: String,
    pub track: String,
    pub order: u32,
    pub summary: String,
    pub config: LabConfig,
}

/// An embedded widget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WidgetSpec {
    pub kind: WidgetKind,
    /// Optional caption shown above the widget.
    pub caption: Option<String>,
}

/// A goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: String,
    pub goal: String,
    pub when: Condition,
    pub when_text: String,
    pub hint: String,
    pub solution: String,
}

/// A piece of a lesson, in reading order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Markdown(String),
    Widget(WidgetSpec),
    Check(CheckSpec),
    /// Steps the learner can run with one click (see [`crate::scenario`]); the source text is kept
    /// for display.
    Steps {
        text: String,
        steps: Vec<crate::scenario::Step>,
    },
}

/// A parsed lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub meta: LessonMeta,
    pub blocks: Vec<Block>,
}

impl Lesson {
    pub fn checks(&self) -> impl Iterator<Item = &CheckSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Check(c) => Some(c),
            _ => None,
        })
    }

    /// Every step of every ```` ```steps ```` block, in order: the lesson as a runnable scenario.
    pub fn steps(&self) -> impl Iterator<Item = &crate::scenario::Step> {
        self.blocks.iter().flat_map(|b| match b {
            Block::Steps { steps, .. } => steps.as_slice(),
            _ => &[],
        })
    }

    pub fn widgets(&self) -> impl Iterator<Item = &WidgetSpec> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Widget(w) => Some(w),
            _ => None,
        })
    }
}

/// A problem in a lesson file; `line` is 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn error(line: usize, message: impl Into<String>) -> LessonError {
    LessonError {
        line,
        message: message.into(),
    }
}

/// Splits `key: value` and checks the key is allowed.
fn key_value<'a>(
    line_no: usize,
    line: &'a str,
    allowed: &[&str],
) -> Result<(&'a str, &'a str), LessonError> {
    let (key, value) = line.split_once(':').ok_or_else(|| {
        error(
            line_no,
            format!("expected \"key: value\", found \"{line}\""),
        )
    })?;
    let key = key.trim();
    if !allowed.contains(&key) {
        return Err(error(
            line_no,
            format!("unknown key \"{key}\" (allowed: {})", allowed.join(", ")),
        ));
    }
    Ok((key, value.trim()))
}

const META_KEYS: &[&str] = &[
    "id", "title", "track", "order", "summary", "seed", "scenario",
];
const WIDGET_KEYS: &[&str] = &["caption"];
const CHECK_KEYS: &[&str] = &["id", "goal", "when", "hint", "solution"];

/// The fenced blocks a lesson gives meaning to.
#[derive(Clone, Copy)]
enum FenceKind {
    Widget,
    Check,
    Steps,
}

/// Parses a lesson file.
pub fn parse_lesson(source: &str) -> Result<Lesson, LessonError> {
    let lines: Vec<&str> = source.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return Err(error(
            1,
            "a lesson starts with front matter between two \"---\" lines",
        ));
    }
    let close = lines[1..]
        .iter()
        .position(|l| l.trim() == "---")
        .map(|p| p + 1)
        .ok_or_else(|| error(1, "the front matter is not closed with \"---\""))?;
    let meta = parse_meta(&lines[1..close])?;
    let mut blocks = Vec::new();
    let mut prose = String::new();
    let mut i = close + 1;
    while i < lines.len() {
        let line = lines[i];
        let fence = line.trim_start().strip_prefix("```").map(str::trim);
        let (fence_kind, kind_text) = match fence {
            Some("check") => (FenceKind::Check, ""),
            Some("steps") => (FenceKind::Steps, ""),
            Some(info) if info == "widget" || info.starts_with("widget ") => {
                (FenceKind::Widget, info["widget".len()..].trim())
            }
            _ => {
                prose.push_str(line);
                prose.push('\n');
                i += 1;
                // Keep ordinary fenced code blocks whole, so "```" inside them is not misread.
                if let Some(info) = fence {
                    if !info.is_empty() || line.trim() == "```" {
                        while i < lines.len() {
                            prose.push_str(lines[i]);
                            prose.push('\n');
                            i += 1;
                            if lines[i - 1].trim() == "```" {
                                break;
                            }
                        }
                    }
                }
                continue;
            }
        };
        let start = i + 1;
        let end = lines[start..]
            .iter()
            .position(|l| l.trim() == "```")
            .map(|p| start + p)
            .ok_or_else(|| error(i + 1, "this block is not closed with ```"))?;
        if !prose.trim().is_empty() {
            blocks.push(Block::Markdown(std::mem::take(&mut prose)));
        }
        prose.clear();
        let body: Vec<(usize, &str)> = (start..end)
            .map(|n| (n + 1, lines[n]))
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        blocks.push(match fence_kind {
            FenceKind::Widget => parse_widget(i + 1, kind_text, &body)?,
            FenceKind::Check => parse_check(i + 1, &body)?,
            FenceKind::Steps => {
                let text = lines[start..end].join("\n");
                let steps = crate::scenario::parse_steps(&text)
                    .map_err(|e| error(start + e.line, format!("in steps: {}", e.message)))?;
                Block::Steps { text, steps }
            }
        });
        i = end + 1;
    }
    if !prose.trim().is_empty() {
        blocks.push(Block::Markdown(prose));
    }
    let mut seen = BTreeSet::new();
    for check in blocks.iter().filter_map(|b| {
        if let Block::Check(c) = b {
            Some(c)
        } else {
            None
        }
    }) {
        if !seen.insert(check.id.clone()) {
            return Err(error(1, format!("two goals share the id \"{}\"", check.id)));
        }
    }
    Ok(Lesson { meta, blocks })
}

fn parse_meta(lines: &[&str]) -> Result<LessonMeta, LessonError> {
    let mut meta = LessonMeta {
        id: String::new(),
        title: String::new(),
        track: String::new(),
        order: 0,
        summary: String::new(),
        config: LabConfig::default(),
    };
    for (offset, line) in lines.iter().enumerate() {
        let line_no = offset + 2;
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = key_value(line_no, line, META_KEYS)?;
        match key {
            "id" => {
                if value.is_empty()
                    || !value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                {
                    return Err(error(
                        line_no,
                        "an id uses lowercase letters, digits and '-'",
                    ));
                }
                meta.id = value.to_string();
            }
            "title" => meta.title = value.to_string(),
            "track" => meta.track = value.to_string(),
            "summary" => meta.summary = value.to_string(),
            "order" => {
                meta.order = value
                    .parse()
                    .map_err(|_| error(line_no, "order is a whole number"))?
            }
            "seed" => {
                meta.config.seed = Seed(
                    value
                        .parse()
                        .map_err(|_| error(line_no, "seed is a whole number"))?,
                )
            }
            "scenario" => {
                meta.config.scenario = Scenario::from_name(value).ok_or_else(|| {
                    let known: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                    error(
                        line_no,
                        format!("unknown scenario \"{value}\" (known: {})", known.join(", ")),
                    )
                })?
            }
            _ => unreachable!("key_value only returns allowed keys"),
        }
    }
    for (key, value) in [
        ("id", &meta.id),
        ("title", &meta.title),
        ("track", &meta.track),
        ("summary", &meta.summary),
    ] {
        if value.is_empty() {
            return Err(error(1, format!("the front matter needs \"{key}\"")));
        }
    }
    Ok(meta)
}

fn parse_widget(
    line_no: usize,
    kind_text: &str,
    body: &[(usize, &str)],
) -> Result<Block, LessonError> {
    let kind = WidgetKind::from_name(kind_text).ok_or_else(|| {
        let known: Vec<&str> = WidgetKind::ALL.iter().map(|k| k.name()).collect();
        error(
            line_no,
            format!(
                "unknown widget \"{kind_text}\" (known: {})",
                known.join(", ")
            ),
        )
    })?;
    let mut caption = None;
    for (n, line) in body {
        let (_, value) = key_value(*n, line, WIDGET_KEYS)?;
        caption = Some(value.to_string());
    }
    Ok(Block::Widget(WidgetSpec { kind, caption }))
}

fn parse_check(line_no: usize, body: &[(usize, &str)]) -> Result<Block, LessonError> {
    let mut fields: [Option<(usize, String)>; 5] = Default::default();
    for (n, line) in body {
        let (key, value) = key_value(*n, line, CHECK_KEYS)?;
        let slot = CHECK_KEYS
            .iter()
            .position(|k| *k == key)
            .expect("allowed key");
        if fields[slot].is_some() {
            return Err(error(*n, format!("\"{key}\" is given twice")));
        }
        fields[slot] = Some((*n, value.to_string()));
    }
    let mut take = |key: &str| {
        let slot = CHECK_KEYS
            .iter()
            .position(|k| *k == key)
            .expect("known key");
        fields[slot]
            .take()
            .filter(|(_, v)| !v.is_empty())
            .ok_or_else(|| error(line_no, format!("a goal needs \"{key}\"")))
    };
    let (_, id) = take("id")?;
    let (_, goal) = take("goal")?;
    let (when_line, when_text) = take("when")?;
    let (_, hint) = take("hint")?;
    let (_, solution) = take("solution")?;
    let when =
        Condition::parse(&when_text).map_err(|e| error(when_line, format!("in \"when\", {e}")))?;
    Ok(Block::Check(CheckSpec {
        id,
        goal,
        when,
        when_text,
        hint,
        solution,
    }))
}

/// Problems that parsing cannot see: goals that name state this lesson's lab does not have, and
/// lessons without a goal or widget. Checked against the lesson's starting state.
pub fn lint(lesson: &Lesson) -> Vec<String> {
    let mut problems = Vec::new();
    let lab = Lab::new(&lesson.meta.config);
    let journal = Journal::new(lesson.meta.config);
    let observation = Observation {
        lab: &lab,
        journal: &journal,
    };
    for check in lesson.checks() {
        for metric in check.when.metrics() {
            if observation.value(metric).is_none() {
                problems.push(format!(
                    "goal \"{}\" names {}, which the \"{}\" scenario does not have",
                    check.id,
                    metric.name(),
                    lesson.meta.config.scenario.name()
                ));
            }
        }
    }
    if lesson.widgets().any(|w| w.kind == WidgetKind::Queue) && lab.queue().is_none() {
        problems.push(format!(
            "widget \"queue\" needs the queue-vs-log scenario, not \"{}\"",
            lesson.meta.config.scenario.name()
        ));
    }
    for widget in lesson.widgets() {
        if widget.kind.needs_broker() && lab.broker().is_none() {
            problems.push(format!(
                "widget \"{}\" shows a Kafka cluster, which the \"{}\" scenario does not have",
                widget.kind.name(),
                lesson.meta.config.scenario.name()
            ));
        }
    }
    let steps: Vec<crate::scenario::Step> = lesson.steps().cloned().collect();
    if !steps.is_empty() {
        if lab.broker().is_none() {
            problems.push("steps drive a Kafka cluster, which this scenario does not have".into());
        } else if let Err(e) = crate::scenario::run(lesson.meta.config, &steps) {
            problems.push(format!(
                "step {} of the lesson's steps is refused: {}",
                e.step + 1,
                e.message
            ));
        }
    }
    if lesson.checks().next().is_none() {
        problems.push("the lesson has no goal (```check block)".into());
    }
    if lesson.widgets().next().is_none() {
        problems.push("the lesson has no live widget (```widget block)".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: demo\ntitle: Demo\ntrack: Foundations\norder: 2\nsummary: A demo.\nseed: 7\nscenario: quiet\n---\n# Hello\n\nSome *prose*.\n\n```widget time-controls\ncaption: Drive time\n```\n\n```rust\nlet x = 1;\n```\n\n```check\nid: run\ngoal: Run.\nwhen: tick >= 10\nhint: Press play.\nsolution: Press play and wait.\n```\nBye.\n";

    #[test]
    fn parses_blocks_in_order() {
        let lesson = parse_lesson(GOOD).unwrap();
        assert_eq!(lesson.meta.id, "demo");
        assert_eq!(lesson.meta.order, 2);
        assert_eq!(
            lesson.meta.config,
            LabConfig {
                seed: Seed(7),
                scenario: Scenario::Quiet
            }
        );
        assert_eq!(lesson.blocks.len(), 5);
        assert!(matches!(&lesson.blocks[0], Block::Markdown(m) if m.contains("# Hello")));
        assert!(
            matches!(&lesson.blocks[1], Block::Widget(w) if w.kind == WidgetKind::TimeControls && w.caption.as_deref() == Some("Drive time"))
        );
        assert!(matches!(&lesson.blocks[2], Block::Markdown(m) if m.contains("```rust")));
        assert!(matches!(&lesson.blocks[3], Block::Check(c) if c.id == "run"));
        assert!(matches!(&lesson.blocks[4], Block::Markdown(m) if m.trim() == "Bye."));
        assert_eq!(lint(&lesson), Vec::<String>::new());
    }

    #[test]
    fn errors_name_the_line() {
        let bad_widget = GOOD.replace("widget time-controls", "widget time-machine");
        let e = parse_lesson(&bad_widget).unwrap_err();
        assert_eq!(e.line, 14);
        assert!(e.message.contains("unknown widget \"time-machine\""));
        let bad_metric = GOOD.replace("tick >= 10", "tock >= 10");
        let e = parse_lesson(&bad_metric).unwrap_err();
        assert_eq!(e.line, 25);
        assert!(e.message.contains("did you mean \"tick\""), "{e}");
        let missing = GOOD.replace("hint: Press play.\n", "");
        assert!(parse_lesson(&missing)
            .unwrap_err()
            .message
            .contains("needs \"hint\""));
        assert!(parse_lesson("no front matter").is_err());
        assert!(parse_lesson(&GOOD.replace("order: 2", "order: two")).is_err());
        assert!(parse_lesson(&GOOD.replace("scenario: quiet", "scenario: loud")).is_err());
        assert!(parse_lesson(&GOOD.replace("```\nBye.", "\nBye.")).is_err());
    }

    #[test]
    fn lint_finds_goals_on_missing_state() {
        let lesson = parse_lesson(&GOOD.replace("tick >= 10", "source.zebra.events >= 1")).unwrap();
        assert_eq!(lint(&lesson).len(), 1);
    }
}
