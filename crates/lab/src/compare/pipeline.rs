//! Fork and compare across engines, for the pipeline world: "what if, from this tick on, the
//! clicks had been written with acks=1, the job had waited longer for late clicks, serving had
//! trusted older features, or the canary's analysis had asked for less?" Both timelines run
//! from the fork tick to the same end with the same later commands (the fork's settings pinned,
//! as in [`super::Changes::pin`]), watched tick by tick, and are compared where the learner
//! sees the consequences: clicks lost, features stale, the rollout's final phase and the
//! experiment's decision, next to the broker's outcome.
//!
//! Both sides are re-run from the state at the fork tick, the original with no change, so each
//! side's freshness numbers cover the same ticks; the original's re-run ends in the original's
//! own state (same seed, same commands), which the tests check.

use super::{outcome, Changes, CompareError, Outcome, EXTRA_TICKS_MAX};
use crate::journal::{Entry, Journal};
use crate::pipeline_lab::command::{PipelineCommand, Strategy};
use crate::pipeline_lab::glue::pipeline_value;
use crate::state::{Command, Lab};
use crate::timeline::Timeline;
use sim::clock::Tick;

/// Milliseconds of lab time per tick.
const MS_PER_TICK: u64 = 100;

/// The settings a pipeline fork changes; `None` keeps the original's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineChanges {
    /// acks, min.insync.replicas, unclean.leader.election (every producer and topic).
    pub broker: Changes,
    /// The stream job's watermark delay (the job redeploys from the earliest offsets).
    pub watermark_delay_ms: Option<u32>,
    /// The age past which serving reads a feature as NULL.
    pub ttl_seconds: Option<u32>,
    /// The canary analysis's threshold on prediction quality.
    pub threshold_permille: Option<u16>,
    /// Canary or blue-green.
    pub strategy: Option<Strategy>,
}

impl PipelineChanges {
    pub fn is_empty(&self) -> bool {
        *self == PipelineChanges::default()
    }

    fn touches_pipeline(&self) -> bool {
        self.watermark_delay_ms.is_some()
            || self.ttl_seconds.is_some()
            || self.threshold_permille.is_some()
            || self.strategy.is_some()
    }

    /// "acks=1, TTL 120 s" for headings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let broker = self.broker.describe();
        if !broker.is_empty() {
            parts.push(broker);
        }
        if let Some(ms) = self.watermark_delay_ms {
            parts.push(format!(
                "watermark delay {}",
                crate::pipeline_lab::glue::ms_text(u64::from(ms))
            ));
        }
        if let Some(s) = self.ttl_seconds {
            parts.push(format!("TTL {s} s"));
        }
        if let Some(p) = self.threshold_permille {
            parts.push(format!(
                "quality threshold {}",
                crate::pipeline_lab::glue::permille_text(p)
            ));
        }
        if let Some(s) = self.strategy {
            parts.push(format!("strategy {}", s.name()));
        }
        parts.join(", ")
    }

    /// A pipeline command with the fork's pinned setting in place of its own.
    fn pin_pipeline(&self, command: &PipelineCommand) -> PipelineCommand {
        match command {
            PipelineCommand::SetTtl { seconds } => PipelineCommand::SetTtl {
                seconds: self.ttl_seconds.unwrap_or(*seconds),
            },
            PipelineCommand::SetWatermarkDelay { ms } => PipelineCommand::SetWatermarkDelay {
                ms: self.watermark_delay_ms.unwrap_or(*ms),
            },
            PipelineCommand::SetThreshold { permille } => PipelineCommand::SetThreshold {
                permille: self.threshold_permille.unwrap_or(*permille),
            },
            PipelineCommand::SetStrategy { strategy } => PipelineCommand::SetStrategy {
                strategy: self.strategy.unwrap_or(*strategy),
            },
            other => other.clone(),
        }
    }

    /// A later command as the fork replays it: its settings replaced by the fork's.
    pub fn pin(&self, command: &Command) -> Command {
        match command {
            Command::Pipeline(p) => Command::Pipeline(self.pin_pipeline(p)),
            other => self.broker.pin(other),
        }
    }

    /// The commands that put the pipeline settings in place (the broker's come from
    /// [`Changes::commands`]); only those that differ from `lab`'s current settings.
    fn pipeline_commands(&self, lab: &Lab) -> Vec<Command> {
        let Some(p) = lab.pipeline() else {
            return Vec::new();
        };
        let now = p.settings();
        let mut commands = Vec::new();
        let mut push = |differs: bool, command: PipelineCommand| {
            if differs {
                commands.push(Command::Pipeline(command));
            }
        };
        if let Some(ms) = self.watermark_delay_ms {
            push(
                ms != now.watermark_delay_ms,
                PipelineCommand::SetWatermarkDelay { ms },
            );
        }
        if let Some(seconds) = self.ttl_seconds {
            push(
                seconds != now.ttl_seconds,
                PipelineCommand::SetTtl { seconds },
            );
        }
        if let Some(permille) = self.threshold_permille {
            push(
                permille != now.threshold_permille,
                PipelineCommand::SetThreshold { permille },
            );
        }
        if let Some(strategy) = self.strategy {
            push(
                strategy != now.strategy,
                PipelineCommand::SetStrategy { strategy },
            );
        }
        commands
    }

    /// Whether the broker settings asked for already hold on `lab`'s clicks producer and topic.
    fn broker_unchanged(&self, lab: &Lab) -> bool {
        let Some(cluster) = lab.cluster() else {
            return self.broker.is_empty();
        };
        let acks_same = self.broker.acks.is_none_or(|acks| {
            cluster
                .producers()
                .values()
                .all(|p| p.config().acks == acks)
        });
        let topic_same = cluster.topics().values().all(|t| {
            let s = t.settings();
            self.broker
                .min_insync_replicas
                .is_none_or(|n| s.min_insync_replicas == n)
                && self
                    .broker
                    .unclean_leader_election
                    .is_none_or(|on| s.unclean_leader_election == on)
        });
        acks_same && topic_same
    }
}

/// What happened downstream of the broker between the fork tick and the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downstream {
    /// Clicks sent by the users, and acknowledged clicks the topic no longer has, at the end.
    pub clicks_sent: u64,
    pub clicks_lost: u64,
    /// The oldest feature any user was served between the fork tick and the end.
    pub max_feature_age_ms: u64,
    /// Time during which at least one user's feature was stale (past the TTL, or absent).
    pub stale_ms: u64,
    /// Stale time summed over users (a user stale for 2 s and another for 3 s: 5 000).
    pub stale_user_ms: u64,
    /// The rollout's phase at the end ("Healthy", "Paused", "Degraded"...).
    pub rollout_phase: &'static str,
    /// Releases aborted and completed, over the whole run.
    pub rollout_aborts: u64,
    pub rollout_completed: u64,
    /// The candidate being released at the end, if any.
    pub candidate: Option<String>,
    /// The candidate's measured quality at the end (0 without one).
    pub candidate_quality_permille: u16,
    /// The experiment's decision at the end ("keep running", "ship", "stop"), if it has a reading.
    pub decision: Option<&'static str>,
    /// Its p-value, in millionths (1 000 000 without a reading).
    pub p_value_x1e6: u64,
}

/// One side of a pipeline comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineOutcome {
    pub broker: Outcome,
    pub downstream: Downstream,
    /// The whole lab's state hash at the end (the tests' proof that a fork replays to itself).
    pub state_hash: u64,
}

/// A row of the comparison as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    pub label: &'static str,
    pub original: String,
    pub fork: String,
}

impl SummaryRow {
    pub fn differs(&self) -> bool {
        self.original != self.fork
    }
}

/// The summary of a pipeline fork: both outcomes, what the fork refused, and its journal.
#[derive(Clone, Debug)]
pub struct PipelineComparison {
    /// The tick the fork starts from, and the tick both sides ran to.
    pub at: Tick,
    pub end: Tick,
    pub changes: PipelineChanges,
    pub original: PipelineOutcome,
    pub fork: PipelineOutcome,
    /// Later commands replayed in the fork.
    pub replayed: usize,
    /// Commands the fork refused (its state had diverged), as (tick, reason).
    pub refused: Vec<(Tick, String)>,
    /// Change commands refused at the fork tick, with the reason.
    pub change_refusals: Vec<String>,
    /// The fork's journal (open it with `Timeline::from_journal`).
    pub journal: Journal,
}

impl PipelineComparison {
    /// The numbers side by side, in the order a page lists them.
    pub fn rows(&self) -> Vec<SummaryRow> {
        let (a, b) = (&self.original, &self.fork);
        let row = |label: &'static str, f: &dyn Fn(&PipelineOutcome) -> String| SummaryRow {
            label,
            original: f(a),
            fork: f(b),
        };
        let seconds = |ms: u64| format!("{}.{} s", ms / 1000, (ms % 1000) / 100);
        vec![
            row("clicks lost", &|o| o.downstream.clicks_lost.to_string()),
            row("acknowledged records lost", &|o| {
                o.broker.ledger.lost.to_string()
            }),
            row("leader elections", &|o| o.broker.elections.to_string()),
            row("oldest feature served", &|o| {
                seconds(o.downstream.max_feature_age_ms)
            }),
            row("time with stale users", &|o| seconds(o.downstream.stale_ms)),
            row("stale user-seconds", &|o| {
                seconds(o.downstream.stale_user_ms)
            }),
            row("rollout phase", &|o| o.downstream.rollout_phase.to_string()),
            row("releases aborted", &|o| {
                o.downstream.rollout_aborts.to_string()
            }),
            row("releases completed", &|o| {
                o.downstream.rollout_completed.to_string()
            }),
            row("candidate quality", &|o| {
                crate::pipeline_lab::glue::permille_text(o.downstream.candidate_quality_permille)
            }),
            row("experiment decision", &|o| {
                o.downstream.decision.unwrap_or("no reading").to_string()
            }),
        ]
    }
}

/// Freshness watched tick by tick on one side.
#[derive(Clone, Copy, Debug, Default)]
struct Watch {
    max_age_ms: u64,
    stale_ticks: u64,
    stale_user_ticks: u64,
}

impl Watch {
    fn observe(&mut self, lab: &Lab) {
        let Some(p) = lab.pipeline() else {
            return;
        };
        let mut stale = 0;
        for f in p.freshness() {
            self.max_age_ms = self.max_age_ms.max(f.age_ms.unwrap_or(0));
            stale += u64::from(f.stale);
        }
        self.stale_ticks += u64::from(stale > 0);
        self.stale_user_ticks += stale;
    }
}

/// One side re-run from the fork tick.
struct Run {
    lab: Lab,
    watch: Watch,
    /// The commands it accepted after the journal's prefix (changes, then replayed ones).
    accepted: Vec<Entry>,
    replayed: usize,
    refused: Vec<(Tick, String)>,
    change_refusals: Vec<String>,
}

fn advance_to(run: &mut Run, until: Tick) {
    while run.lab.now() < until {
        run.lab.advance();
        run.watch.observe(&run.lab);
    }
}

fn refusal_text(r: &crate::state::Rejection) -> String {
    format!("{r} ({})", r.hint())
}

/// Re-runs `timeline` from `start` (its state at `at`) to `end`: the change commands at `at`,
/// then every later command pinned by `changes`.
fn rerun(
    timeline: &Timeline,
    start: Lab,
    at: Tick,
    changes: &PipelineChanges,
    change_commands: Vec<Command>,
    end: Tick,
) -> Run {
    let mut run = Run {
        lab: start,
        watch: Watch::default(),
        accepted: Vec::new(),
        replayed: 0,
        refused: Vec::new(),
        change_refusals: Vec::new(),
    };
    for command in change_commands {
        match run.lab.apply(&command) {
            Ok(_) => run.accepted.push(Entry { at, command }),
            Err(r) => run.change_refusals.push(refusal_text(&r)),
        }
    }
    for entry in timeline.journal().entries().iter().filter(|e| e.at > at) {
        advance_to(&mut run, entry.at);
        let command = changes.pin(&entry.command);
        match run.lab.apply(&command) {
            Ok(_) => {
                run.replayed += 1;
                run.accepted.push(Entry {
                    at: entry.at,
                    command,
                });
            }
            Err(r) => run.refused.push((entry.at, refusal_text(&r))),
        }
    }
    advance_to(&mut run, end);
    run
}

fn downstream(lab: &Lab, watch: &Watch) -> Option<Downstream> {
    let rollouts = lab.rollouts()?;
    let field = |name: &str| pipeline_value(lab, name).map(|v| v.max(0) as u64);
    let reading = lab.pipeline()?.reading();
    let strip = rollouts.steps();
    Some(Downstream {
        clicks_sent: field("clicks_sent")?,
        clicks_lost: field("clicks_lost")?,
        max_feature_age_ms: watch.max_age_ms,
        stale_ms: watch.stale_ticks * MS_PER_TICK,
        stale_user_ms: watch.stale_user_ticks * MS_PER_TICK,
        rollout_phase: strip.phase,
        rollout_aborts: rollouts.tallies().aborts,
        rollout_completed: rollouts.tallies().completed,
        candidate: strip.candidate.clone(),
        candidate_quality_permille: u16::try_from(field("candidate_quality_permille")?)
            .unwrap_or(u16::MAX),
        decision: reading.map(|r| r.decision.name()),
        p_value_x1e6: field("ab_p_value_x1e6")?,
    })
}

fn pipeline_outcome(run: &Run) -> Option<PipelineOutcome> {
    Some(PipelineOutcome {
        broker: outcome(&run.lab)?,
        downstream: downstream(&run.lab, &run.watch)?,
        state_hash: run.lab.state_hash(),
    })
}

fn error(message: String, hint: &str) -> CompareError {
    CompareError {
        message,
        hint: hint.into(),
    }
}

/// Checks a fork request against the state at the fork tick; returns the change commands.
fn change_commands(
    timeline: &Timeline,
    start: &Lab,
    at: Tick,
    changes: &PipelineChanges,
) -> Result<Vec<Command>, CompareError> {
    if changes.is_empty() {
        return Err(error(
            "the fork would be identical: no setting was changed".into(),
            "choose acks, min ISR, a watermark delay, a TTL, a threshold or a strategy",
        ));
    }
    if changes.touches_pipeline() && start.pipeline().is_none() {
        return Err(error(
            format!("{} applies to the pipeline lab only", changes.describe()),
            "open the pipeline lab, or fork acks, min ISR or unclean election here",
        ));
    }
    if start.pipeline().is_none() {
        return Err(error(
            "this lab has no pipeline to compare downstream".into(),
            "compare broker settings with the replication lab's fork and compare",
        ));
    }
    if !changes.broker.is_empty() && start.cluster().is_none() {
        return Err(error(
            "this lab has no Kafka cluster: acks and min ISR do not apply".into(),
            "fork a pipeline setting, or open a lab with a cluster",
        ));
    }
    let pipeline_commands = changes.pipeline_commands(start);
    let later_differ = timeline
        .journal()
        .entries()
        .iter()
        .filter(|e| e.at > at)
        .any(|e| changes.pin(&e.command) != e.command);
    if changes.broker_unchanged(start) && pipeline_commands.is_empty() && !later_differ {
        return Err(error(
            format!(
                "the fork would be identical: at {at} the lab already runs with {}",
                changes.describe()
            ),
            "choose a value the lab does not have at this tick",
        ));
    }
    let mut commands = changes.broker.commands(start);
    commands.extend(pipeline_commands);
    Ok(commands)
}

/// Forks `timeline` at `at` with `changes`, replays the later commands with the fork's settings
/// pinned, runs both sides to `extra_ticks` past the journal's end, and compares them. This is
/// what the pipeline page calls on a click (it runs both sides: never call it while rendering).
pub fn compare_pipeline(
    timeline: &Timeline,
    at: Tick,
    changes: &PipelineChanges,
    extra_ticks: u64,
) -> Result<PipelineComparison, CompareError> {
    let journal_end = timeline.end();
    if at > journal_end {
        return Err(error(
            format!("{at} is beyond the end of this run ({journal_end})"),
            "move the time cursor back to the tick to fork from",
        ));
    }
    let start = timeline.state_at(at);
    let commands = change_commands(timeline, &start, at, changes)?;
    let end = Tick(journal_end.0 + extra_ticks.min(EXTRA_TICKS_MAX));
    let fork = rerun(timeline, start.clone(), at, changes, commands, end);
    if !fork.change_refusals.is_empty() && fork.accepted.iter().all(|e| e.at > at) {
        return Err(error(
            format!(
                "the fork refused every change: {}",
                fork.change_refusals.join("; ")
            ),
            "pick other settings, or fork at another tick",
        ));
    }
    let original = rerun(
        timeline,
        start,
        at,
        &PipelineChanges::default(),
        Vec::new(),
        end,
    );
    let (Some(original_outcome), Some(fork_outcome)) =
        (pipeline_outcome(&original), pipeline_outcome(&fork))
    else {
        return Err(error(
            "this lab has no pipeline to compare downstream".into(),
            "open the pipeline lab, or compare broker settings in the replication lab",
        ));
    };
    let mut entries: Vec<Entry> = timeline
        .journal()
        .entries()
        .iter()
        .filter(|e| e.at <= at)
        .cloned()
        .collect();
    entries.extend(fork.accepted.iter().cloned());
    let journal = Journal::from_parts(*timeline.journal().config(), entries, end).map_err(|e| {
        error(
            format!("the fork's journal is too long: {e}"),
            "fork later, or reset the lab",
        )
    })?;
    Ok(PipelineComparison {
        at,
        end,
        changes: changes.clone(),
        original: original_outcome,
        fork: fork_outcome,
        replayed: fork.replayed,
        refused: fork.refused,
        change_refusals: fork.change_refusals,
        journal,
    })
}
