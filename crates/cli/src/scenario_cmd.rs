//! `lab scenario run FILE`: runs a scenario file (the lesson format: front matter for the seed and
//! preset, ```` ```steps ```` blocks, optional ```` ```check ```` goals) and prints the trace and
//! a summary, with every goal's verdict. The replication invariants ([`invariants`]) are checked
//! after every tick and command; the summary lists each one broken (the first time, per
//! partition), and says when unclean leader election permits it. Any other is a breach, and so is
//! any broken transaction invariant ([`TxnChecker`]), checked at the same points.

use lab::broker::group::{GroupEvent, TopicPartition};
use lab::broker::invariants::{self, Violation};
use lab::broker::narrate;
use lab::broker::transaction::invariants::TxnChecker;
use lab::check::Verdict;
use lab::clock::Tick;
use lab::lesson::parse_lesson;
use lab::metric::Observation;
use lab::state::Event;
use std::fmt::Write as _;

/// What a run printed, and how many invariants it broke that unclean election does not permit.
pub struct Report {
    pub output: String,
    pub breaches: usize,
}

/// An invariant broken, first seen at a tick.
struct Finding {
    at: Tick,
    violation: Violation,
    /// Unclean leader election permits it, and was enabled or happened.
    permitted: bool,
}

/// Runs the command; returns its standard output.
pub fn run(args: &[String]) -> Result<Report, String> {
    let mut verbose = false;
    let mut file = None;
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        Some("run") => {}
        Some(other) => {
            return Err(format!(
                "unknown scenario command \"{other}\" (try: lab scenario run FILE)"
            ))
        }
        None => return Err("try: lab scenario run FILE".into()),
    }
    for arg in rest {
        match arg.as_str() {
            "--verbose" => verbose = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(format!("unexpected argument \"{extra}\"")),
        }
    }
    let file = file.ok_or("give a scenario FILE")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let lesson = parse_lesson(&text).map_err(|e| format!("{file}: {e}"))?;
    let steps: Vec<_> = lesson.steps().cloned().collect();
    if steps.is_empty() {
        return Err(format!("{file} has no ```steps block to run"));
    }
    let mut checker = invariants::Checker::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut txn_checker = TxnChecker::new();
    let mut txn_findings: Vec<(Tick, String)> = Vec::new();
    let mut seen: std::collections::BTreeSet<(&'static str, TopicPartition)> = Default::default();
    let watch = |at: Tick, lab: &lab::state::Lab| {
        let Some(cluster) = lab.cluster() else {
            return;
        };
        for v in txn_checker.check(cluster, at) {
            txn_findings.push((at, format!("{}: {v}", v.invariant())));
        }
        for violation in checker.check(cluster) {
            if seen.insert((violation.invariant(), violation.tp().clone())) {
                let permitted = checker.permits(&violation);
                findings.push(Finding {
                    at,
                    violation,
                    permitted,
                });
            }
        }
    };
    let ran = lab::steps::run_watched(lesson.meta.config, &steps, watch).map_err(|e| {
        format!(
            "{file}: step {} was refused: {} (hint: {})",
            e.step + 1,
            e.message,
            e.hint
        )
    })?;
    let head_is_pipeline = ran.timeline.head().pipeline().is_some();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} (seed {}, preset {})",
        lesson.meta.title,
        lesson.meta.config.seed.0,
        lesson.meta.config.preset.name()
    );
    for (at, event) in &ran.trace {
        // The pipeline world's own events and its rollout's, told as the lab's trace tells them.
        let told = match event {
            Event::Pipeline(e) => Some(lab::pipeline_lab::glue::describe_event(e)),
            Event::Rollout(e) if head_is_pipeline => {
                Some(lab::rollout_lab::glue::describe_event(e))
            }
            _ => None,
        };
        if let Some(text) = told {
            let _ = writeln!(out, "{at:>6}  {text}");
            continue;
        }
        let Event::Broker(event) = event else {
            continue;
        };
        if !verbose
            && matches!(
                event,
                lab::broker::cluster::BrokerEvent::Group(GroupEvent::Polled { .. })
            )
        {
            continue;
        }
        let _ = writeln!(out, "{at:>6}  {}", narrate::event(event));
    }
    let head = ran.timeline.head();
    let journal = ran.timeline.journal();
    let _ = writeln!(
        out,
        "\n## Summary at {} after {} commands",
        journal.end(),
        journal.entries().len()
    );
    if let Some(cluster) = head.cluster() {
        for topic in cluster.topics().values() {
            let _ = writeln!(
                out,
                "topic {}: {} records in {} partitions",
                topic.name(),
                topic.record_count(),
                topic.partitions().len()
            );
            if topic.settings().replication_factor < 2 {
                continue;
            }
            for p in topic.partitions() {
                let leader = p.leader().map_or("none".to_string(), |b| b.0.to_string());
                let replicas: Vec<String> = p
                    .replica_states()
                    .iter()
                    .map(|(b, r)| format!("{}:{}/{}", b.0, r.log().leo(), r.hw()))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {}-{}: leader {leader}, epoch {}, ISR {}, HW {}, replicas LEO/HW {}",
                    topic.name(),
                    p.id(),
                    p.leader_epoch(),
                    narrate::brokers(p.isr()),
                    p.hw(),
                    replicas.join(" ")
                );
            }
        }
        let ledger = cluster.ledger();
        if ledger.acked() > 0 || !ledger.lost().is_empty() {
            let _ = writeln!(
                out,
                "ledger: {} acknowledged, {} lost ({} with acks=all)",
                ledger.acked(),
                ledger.lost().len(),
                ledger.lost_acks_all()
            );
        }
        for (name, g) in cluster.groups() {
            let lag: u64 = cluster
                .lags()
                .iter()
                .filter(|(n, _, _)| n == name)
                .map(|(_, _, l)| l)
                .sum();
            let _ = writeln!(
                out,
                "group {name}: {} member(s), generation {}, {} rebalance(s), lag {lag}",
                g.members().len(),
                g.generation(),
                g.rebalances()
            );
        }
        let report = cluster.history_report();
        let _ = writeln!(
            out,
            "history: {} written twice, {} reordered, {} delivered again, {} skipped, {} lost",
            report.duplicates.len(),
            report.nonmonotonic_sends.len(),
            report.redeliveries.len(),
            report.skipped.len(),
            report.lost_writes.len()
        );
    }
    if head.pipeline().is_some() {
        let v = |f: &str| lab::pipeline_lab::glue::pipeline_value(head, f).unwrap_or(0);
        let _ = writeln!(
            out,
            "pipeline: {} clicks sent, {} lost; job running {}, lag {}; {} stale users, oldest feature {} ms; quality v1 {}, candidate {}; {} release(s) aborted, {} completed",
            v("clicks_sent"),
            v("clicks_lost"),
            v("job_running"),
            v("job_lag_records"),
            v("stale_users"),
            v("feature_age_ms"),
            v("v1_quality_permille"),
            v("candidate_quality_permille"),
            v("rollout_aborts"),
            v("rollout_completed")
        );
    }
    write_findings(&mut out, &findings);
    if !txn_findings.is_empty() {
        let _ = writeln!(
            out,
            "transaction invariants: {} broken (a bug in the model):",
            txn_findings.len()
        );
        for (at, line) in &txn_findings {
            let _ = writeln!(out, "{:>6}  {line}", at.to_string());
        }
    }
    let observation = Observation { lab: head, journal };
    for check in lesson.checks() {
        let _ = match check.when.evaluate(&observation) {
            Verdict::Met => writeln!(out, "goal {}: met", check.id),
            Verdict::NotYet(reasons) => {
                writeln!(out, "goal {}: not met ({})", check.id, reasons.join("; "))
            }
        };
    }
    let _ = writeln!(out, "state hash {:016x}", head.state_hash());
    Ok(Report {
        output: out,
        breaches: findings.iter().filter(|f| !f.permitted).count() + txn_findings.len(),
    })
}

/// The invariants broken, if any: those unclean election permits, then the breaches.
fn write_findings(out: &mut String, findings: &[Finding]) {
    for (permitted, heading) in [
        (true, "broken, as unclean leader election permits"),
        (false, "broken (a bug in the model)"),
    ] {
        let these: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.permitted == permitted)
            .collect();
        if these.is_empty() {
            continue;
        }
        let _ = writeln!(out, "invariants: {} {heading}:", these.len());
        for f in these {
            let _ = writeln!(
                out,
                "{:>6}  {}: {}",
                f.at.to_string(),
                f.violation.invariant(),
                f.violation
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::broker::log::Offset;
    use lab::broker::{BrokerId, PartitionId};

    #[test]
    fn findings_say_which_unclean_election_permits_and_which_are_bugs() {
        let tp = TopicPartition {
            topic: "orders".into(),
            partition: PartitionId(0),
        };
        let findings = [
            Finding {
                at: Tick(7),
                violation: Violation::EmptyIsr { tp: tp.clone() },
                permitted: false,
            },
            Finding {
                at: Tick(5),
                violation: Violation::LogMatching {
                    tp,
                    brokers: (BrokerId(1), BrokerId(2)),
                    below: Offset(10),
                },
                permitted: true,
            },
        ];
        let mut out = String::new();
        write_findings(&mut out, &findings);
        assert_eq!(
            out,
            "invariants: 1 broken, as unclean leader election permits:\n    \
             t5  LogMatching: orders-0: broker 1 and broker 2 hold different records below \
             offset 10, their lesser HW\ninvariants: 1 broken (a bug in the model):\n    \
             t7  IsrNotEmpty: orders-0 has an empty ISR\n"
        );
        let mut none = String::new();
        write_findings(&mut none, &[]);
        assert_eq!(none, "", "nothing is printed when every invariant holds");
    }
}
