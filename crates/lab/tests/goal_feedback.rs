//! Goal feedback reads as plain sentences (issue 12): every reason every check of every lesson
//! can give, whichever of its comparisons fails and whatever the lab lacks, is free of goal
//! syntax (comparison operators, snake_case or dotted metric names).

use lab::check::{Comparison, Operand, Verdict};
use lab::lesson::{parse_lesson, CheckSpec, Lesson};
use lab::metric::{Metric, Observation};
use lab::timeline::Timeline;

fn lessons() -> Vec<Lesson> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| parse_lesson(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// What a learner should never read in feedback: the goal language itself.
fn goal_syntax(sentence: &str) -> Option<&str> {
    let operators = [">=", "<=", "==", "!=", "&&", "||", " > ", " < "];
    if let Some(op) = operators.into_iter().find(|op| sentence.contains(op)) {
        return Some(op);
    }
    sentence
        .split_whitespace()
        .find(|word| word.contains('_') || word.matches('.').count() >= 2)
}

/// A value for `metric` that makes `comparison` fail, whatever the other side is.
fn failing(comparison: &Comparison, metric: &Metric) -> i64 {
    let other = |operand: &Operand| match operand {
        Operand::Number(n) => *n,
        Operand::Metric(_) => 10,
    };
    let is_left = comparison.left == Operand::Metric(metric.clone());
    let target = if is_left {
        other(&comparison.right)
    } else {
        other(&comparison.left)
    };
    [target - 1, target + 1, target, 0]
        .into_iter()
        .filter(|v| *v >= 0)
        .find(|v| {
            let (l, r) = if is_left { (*v, target) } else { (target, *v) };
            !comparison.op.holds(l, r)
        })
        .unwrap_or(target)
}

/// Every sentence a check can show: each comparison failing on its own, each with its metrics
/// missing from the lab, and the verdicts at the lesson's start and after its steps.
fn every_reason(lesson: &Lesson, check: &CheckSpec) -> Vec<String> {
    let mut reasons = Vec::new();
    for comparison in check.when.comparisons() {
        reasons.push(
            check
                .feedback
                .reason(comparison, |m| Some(failing(comparison, m))),
        );
        reasons.push(check.feedback.reason(comparison, |_| None));
    }
    let start = Timeline::new(lesson.meta.config);
    let steps: Vec<_> = lesson.steps().cloned().collect();
    let after = lab::steps::run(lesson.meta.config, &steps).map(|run| run.timeline);
    for timeline in std::iter::once(&start).chain(after.as_ref().ok()) {
        let observation = Observation {
            lab: timeline.head(),
            journal: timeline.journal(),
        };
        if let Verdict::NotYet(why) = check.evaluate(&observation) {
            reasons.extend(why);
        }
    }
    reasons
}

#[test]
fn every_reason_of_every_goal_is_a_plain_sentence() {
    let mut rendered = 0;
    for lesson in lessons() {
        for check in lesson.checks() {
            for reason in every_reason(&lesson, check) {
                assert!(
                    goal_syntax(&reason).is_none(),
                    "{} / {}: \"{reason}\" shows {:?}",
                    lesson.meta.id,
                    check.id,
                    goal_syntax(&reason)
                );
                assert!(
                    reason.ends_with('.') && reason.starts_with(|c: char| !c.is_lowercase()),
                    "{} / {}: \"{reason}\" is not a sentence",
                    lesson.meta.id,
                    check.id
                );
                rendered += 1;
                if std::env::var_os("SHOW_REASONS").is_some() {
                    println!("{} / {}: {reason}", lesson.meta.id, check.id);
                }
            }
        }
    }
    assert!(rendered > 100, "only {rendered} reasons rendered");
}

/// The check itself fails when a reason is not plain.
#[test]
fn goal_syntax_is_recognised() {
    assert_eq!(
        goal_syntax("tick is 12; the goal needs tick >= 50"),
        Some(">=")
    );
    assert_eq!(goal_syntax("lost_acked is 0"), Some("lost_acked"));
    assert_eq!(goal_syntax("topic.orders.hw is 3"), Some("topic.orders.hw"));
    assert_eq!(
        goal_syntax("The clock is at tick 0: run it to tick 50. It is 12.5% done."),
        None
    );
}
