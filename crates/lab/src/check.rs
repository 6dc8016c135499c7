//! Lesson goals: small predicates over [`Metric`]s, checked as the learner acts.
//!
//! Grammar: `condition := all ("or" all)*`, `all := comparison ("and" comparison)*`,
//! `comparison := operand op operand`, `op := < <= == != >= >`, `operand := metric | integer`.
//! A goal that is not met says why in a plain sentence per unmet comparison, built from the words
//! of the metrics it mentions ([`Metric::describe`]): `end_tick >= 50` at tick 12 reads "The
//! furthest tick the clock has run to is tick 12; the goal needs tick 50 or later." A lesson can
//! replace the sentence of any comparison with its own ([`Feedback`]).
//!
//! ```
//! use lab::check::Condition;
//! let goal = Condition::parse("tick >= 50 and events_by_hand >= 3").unwrap();
//! assert_eq!(goal.metrics().count(), 2);
//! assert!(Condition::parse("tick >=").is_err());
//! ```

use crate::metric::{grouped, Description, Metric, Observation, Unit};
use std::fmt;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl Op {
    /// Whether `left op right`.
    pub fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Ge => left >= right,
            Op::Gt => left > right,
        }
    }

    /// The same comparison read from the other side: `5 < x` is `x > 5`.
    fn flipped(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Eq => Op::Eq,
            Op::Ne => Op::Ne,
            Op::Ge => Op::Le,
            Op::Gt => Op::Lt,
        }
    }

    /// How the comparison reads between two noun phrases: "greater than".
    fn between(self) -> &'static str {
        match self {
            Op::Lt => "less than",
            Op::Le => "at most",
            Op::Eq => "equal to",
            Op::Ne => "different from",
            Op::Ge => "at least",
            Op::Gt => "greater than",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    Metric(Metric),
    Number(i64),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Metric(m) => write!(f, "{}", m.name()),
            Operand::Number(n) => write!(f, "{n}"),
        }
    }
}

/// `left op right`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op.symbol(), self.right)
    }
}

/// A goal: any one of several groups of comparisons that must all hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    any_of: Vec<Vec<Comparison>>,
}

/// The outcome of checking a goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    /// Not met, with one reason per unmet comparison of the closest group.
    NotYet(Vec<String>),
}

/// Why a goal's text did not parse; `column` is 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Number(i64),
    Op(Op),
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ConditionError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let number = text[start..i].parse().map_err(|_| ConditionError {
                column: start + 1,
                message: "number too large".into(),
            })?;
            tokens.push((start, Token::Number(number)));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || b"_.-".contains(&bytes[i]))
            {
                i += 1;
            }
            tokens.push((start, Token::Word(text[start..i].to_string())));
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            let (op, len) = match (two, c) {
                ("<=", _) => (Op::Le, 2),
                (">=", _) => (Op::Ge, 2),
                ("==", _) => (Op::Eq, 2),
                ("!=", _) => (Op::Ne, 2),
                ("&&", _) => {
                    tokens.push((start, Token::Word("and".into())));
                    i += 2;
                    continue;
                }
                ("||", _) => {
                    tokens.push((start, Token::Word("or".into())));
                    i += 2;
                    continue;
                }
                (_, b'<') => (Op::Lt, 1),
                (_, b'>') => (Op::Gt, 1),
                _ => {
                    return Err(ConditionError {
                        column: start + 1,
                        message: format!(
                            "unexpected character '{}'",
                            text[start..].chars().next().unwrap_or('?')
                        ),
                    })
                }
            };
            i += len;
            tokens.push((start, Token::Op(op)));
        }
    }
    Ok(tokens)
}

impl Condition {
    /// Parses a goal's `when:` text.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let tokens = tokenize(text)?;
        let end_column = text.len() + 1;
        let mut any_of = vec![Vec::new()];
        let mut i = 0;
        loop {
            let left = operand(&tokens, i, end_column)?;
            let op = match tokens.get(i + 1) {
                Some((_, Token::Op(op))) => *op,
                Some((column, _)) => return Err(expected(*column + 1, "a comparison such as >=")),
                None => return Err(expected(end_column, "a comparison such as >=")),
            };
            let right = operand(&tokens, i + 2, end_column)?;
            any_of
                .last_mut()
                .expect("starts with one group")
                .push(Comparison { left, op, right });
            i += 3;
            match tokens.get(i) {
                None => break,
                Some((_, Token::Word(w))) if w == "and" => {}
                Some((_, Token::Word(w))) if w == "or" => any_of.push(Vec::new()),
                Some((column, _)) => return Err(expected(*column + 1, "\"and\" or \"or\"")),
            }
            i += 1;
        }
        Ok(Condition { any_of })
    }

    /// Every metric the goal mentions.
    pub fn metrics(&self) -> impl Iterator<Item = &Metric> {
        self.any_of
            .iter()
            .flatten()
            .flat_map(|c| [&c.left, &c.right])
            .filter_map(|o| match o {
                Operand::Metric(m) => Some(m),
                Operand::Number(_) => None,
            })
    }

    /// Checks the goal against what the learner sees.
    pub fn evaluate(&self, observation: &Observation<'_>) -> Verdict {
        self.evaluate_with(observation, &Feedback::default())
    }

    /// Checks the goal, saying why not with the lesson's own sentences where it has them.
    pub fn evaluate_with(&self, observation: &Observation<'_>, feedback: &Feedback) -> Verdict {
        let value = |operand: &Operand| match operand {
            Operand::Metric(m) => observation.value(m),
            Operand::Number(n) => Some(*n),
        };
        let mut closest: Option<Vec<String>> = None;
        for group in &self.any_of {
            let reasons: Vec<String> = group
                .iter()
                .filter_map(|c| match (value(&c.left), value(&c.right)) {
                    (Some(l), Some(r)) if c.op.holds(l, r) => None,
                    _ => Some(feedback.reason(c, |m| observation.value(m))),
                })
                .collect();
            if reasons.is_empty() {
                return Verdict::Met;
            }
            if closest
                .as_ref()
                .is_none_or(|best| reasons.len() < best.len())
            {
                closest = Some(reasons);
            }
        }
        Verdict::NotYet(closest.unwrap_or_default())
    }

    /// Every comparison of the goal, in the order written.
    pub fn comparisons(&self) -> impl Iterator<Item = &Comparison> {
        self.any_of.iter().flatten()
    }
}

impl Comparison {
    /// Why the comparison does not hold, as a plain sentence, given each metric's value
    /// (`None`: the lab has no such thing, such as a source that does not exist).
    pub fn unmet_sentence(&self, value: impl Fn(&Metric) -> Option<i64>) -> String {
        fn side<'a>(
            operand: &'a Operand,
            value: &impl Fn(&Metric) -> Option<i64>,
        ) -> Result<i64, &'a Metric> {
            match operand {
                Operand::Metric(m) => value(m).ok_or(m),
                Operand::Number(n) => Ok(*n),
            }
        }
        let (left, right) = match (side(&self.left, &value), side(&self.right, &value)) {
            (Ok(left), Ok(right)) => (left, right),
            (Err(missing), _) | (_, Err(missing)) => return missing_sentence(missing),
        };
        match (&self.left, &self.right) {
            (Operand::Metric(m), Operand::Number(_)) => {
                needs_sentence(&m.describe(), self.op, left, right)
            }
            (Operand::Number(_), Operand::Metric(m)) => {
                needs_sentence(&m.describe(), self.op.flipped(), right, left)
            }
            (Operand::Metric(a), Operand::Metric(b)) => {
                let (a, b) = (a.describe(), b.describe());
                capitalized(&format!(
                    "{} ({}) needs to be {} {} ({}).",
                    a.subject(),
                    a.brief(left),
                    self.op.between(),
                    b.subject(),
                    b.brief(right)
                ))
            }
            (Operand::Number(_), Operand::Number(_)) => format!(
                "This goal compares two fixed numbers, {left} and {right}, so nothing in the lab can meet it."
            ),
        }
    }
}

/// A sentence for a goal naming something this lab does not have.
fn missing_sentence(metric: &Metric) -> String {
    capitalized(&format!(
        "{} cannot be checked: this lab does not have it.",
        metric.describe().subject()
    ))
}

/// "Where the metric is; what the goal needs": the sentence for `metric op target` not holding
/// at `value`.
fn needs_sentence(description: &Description, op: Op, value: i64, target: i64) -> String {
    let now = match description {
        Description::Count { many, so_far, .. } if value == 0 => {
            format!("No {many}{}", if *so_far { " yet" } else { "" })
        }
        Description::Count { so_far, .. } => format!(
            "{}{}",
            description.amount(value),
            if *so_far { " so far" } else { "" }
        ),
        Description::Level { noun, .. } => {
            capitalized(&format!("{noun} is {}", description.amount(value)))
        }
        Description::Flag { .. } => capitalized(&description.amount(value)),
    };
    format!("{now}; the goal needs {}.", wanted(description, op, target))
}

/// What the goal asks of a metric, as the object of "the goal needs ...".
fn wanted(description: &Description, op: Op, target: i64) -> String {
    match description {
        Description::Count { .. } => match op {
            Op::Ge | Op::Gt if target <= 0 && op.holds(1, target) => "at least 1".into(),
            Op::Ge => format!("at least {}", grouped(target)),
            Op::Gt => format!("more than {}", grouped(target)),
            Op::Le | Op::Eq if target == 0 => "none".into(),
            Op::Lt if target == 1 => "none".into(),
            Op::Le => format!("at most {}", grouped(target)),
            Op::Lt => format!("fewer than {}", grouped(target)),
            Op::Eq => format!("exactly {}", grouped(target)),
            Op::Ne if target == 0 => "at least 1".into(),
            Op::Ne => format!("any number but {}", grouped(target)),
        },
        Description::Level { unit, .. } => {
            let amount = unit.format(target);
            match (op, unit) {
                (Op::Ge, Unit::Tick) => format!("{amount} or later"),
                (Op::Gt, Unit::Tick) => format!("a tick after {}", grouped(target)),
                (Op::Le, Unit::Tick) => format!("{amount} or earlier"),
                (Op::Lt, Unit::Tick) => format!("a tick before {}", grouped(target)),
                (Op::Ge, _) => format!("at least {amount}"),
                (Op::Gt, _) => format!("more than {amount}"),
                (Op::Le, _) => format!("at most {amount}"),
                (Op::Lt, _) => format!("less than {amount}"),
                (Op::Eq, _) => format!("exactly {amount}"),
                (Op::Ne, _) => format!("anything but {amount}"),
            }
        }
        Description::Flag { yes, no } => match [1, 0].into_iter().find(|v| op.holds(*v, target)) {
            Some(1) => format!("the opposite: {yes}"),
            Some(_) => format!("the opposite: {no}"),
            None => "a value that a yes-or-no fact never has".into(),
        },
    }
}

/// The text with its first letter in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A lesson's own sentences for some comparisons of a goal, written where the generated one
/// would be clumsy. In a lesson file, the check's `feedback:` key holds one indented line per
/// comparison, `COMPARISON: SENTENCE`; the sentence may show the current value of a metric of
/// that comparison as `{NAME}`:
///
/// ```
/// use lab::check::{Condition, Feedback};
/// let when = Condition::parse("end_tick >= 50").unwrap();
/// let feedback = Feedback::parse("end_tick >= 50: The clock is at tick {end_tick}: run it to tick 50.", &when).unwrap();
/// let comparison = when.comparisons().next().unwrap();
/// let reason = feedback.reason(comparison, |_| Some(12));
/// assert_eq!(reason, "The clock is at tick 12: run it to tick 50.");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feedback {
    sentences: Vec<(Comparison, String)>,
}

impl Feedback {
    /// Reads `COMPARISON: SENTENCE` lines; each comparison must be one the goal checks, and each
    /// `{NAME}` a metric of that comparison. A refusal quotes the line it is about.
    pub fn parse(text: &str, when: &Condition) -> Result<Feedback, String> {
        let mut sentences = Vec::new();
        for entry in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let fail = |message: String| format!("\"{entry}\": {message}");
            let (written, sentence) = entry
                .split_once(':')
                .ok_or_else(|| fail("expected \"COMPARISON: SENTENCE\"".into()))?;
            let parsed = Condition::parse(written)
                .map_err(|e| fail(format!("in \"{}\", {e}", written.trim())))?;
            let comparison = match parsed.any_of.as_slice() {
                [group] if group.len() == 1 => group[0].clone(),
                _ => return Err(fail("one comparison per line".into())),
            };
            if !when.comparisons().any(|c| *c == comparison) {
                return Err(fail(format!(
                    "the goal does not check \"{comparison}\" (it checks: {})",
                    when.comparisons()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let sentence = sentence.trim().to_string();
            for name in placeholders(&sentence) {
                if !comparison.mentions(name) {
                    return Err(fail(format!(
                        "{{{name}}} is not a metric of \"{comparison}\""
                    )));
                }
            }
            if sentence.is_empty() {
                return Err(fail("the sentence is empty".into()));
            }
            sentences.push((comparison, sentence));
        }
        Ok(Feedback { sentences })
    }

    /// Why `comparison` does not hold, given each metric's value: the lesson's sentence if it
    /// has one, else the generated one.
    pub fn reason(
        &self,
        comparison: &Comparison,
        value: impl Fn(&Metric) -> Option<i64>,
    ) -> String {
        let own = self.sentences.iter().find(|(c, _)| c == comparison);
        let Some((_, sentence)) = own else {
            return comparison.unmet_sentence(value);
        };
        let mut out = sentence.clone();
        for operand in [&comparison.left, &comparison.right] {
            if let Operand::Metric(m) = operand {
                let Some(v) = value(m) else {
                    return comparison.unmet_sentence(value);
                };
                out = out.replace(&format!("{{{}}}", m.name()), &grouped(v));
            }
        }
        out
    }
}

/// The `{NAME}`s of a feedback sentence.
fn placeholders(sentence: &str) -> impl Iterator<Item = &str> {
    sentence
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

impl Comparison {
    /// Whether a side of the comparison is the metric called `name`.
    fn mentions(&self, name: &str) -> bool {
        [&self.left, &self.right]
            .into_iter()
            .any(|o| matches!(o, Operand::Metric(m) if m.name() == name))
    }
}

fn expected(column: usize, what: &str) -> ConditionError {
    ConditionError {
        column,
        message: format!("expected {what}"),
    }
}

fn operand(
    tokens: &[(usize, Token)],
    i: usize,
    end_column: usize,
) -> Result<Operand, ConditionError> {
    match tokens.get(i) {
        Some((_, Token::Number(n))) => Ok(Operand::Number(*n)),
        Some((column, Token::Word(w))) => {
            Metric::parse(w)
                .map(Operand::Metric)
                .map_err(|message| ConditionError {
                    column: column + 1,
                    message,
                })
        }
        Some((column, Token::Op(_))) => Err(expected(column + 1, "a metric or a number")),
        None => Err(expected(end_column, "a metric or a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::LabConfig;
    use crate::timeline::Timeline;
    use proptest::prelude::*;

    fn verdict(text: &str, ticks: u64) -> Verdict {
        let mut timeline = Timeline::new(LabConfig::default());
        for _ in 0..ticks {
            timeline.advance_head().unwrap();
        }
        let lab = timeline.head().clone();
        Condition::parse(text).unwrap().evaluate(&Observation {
            lab: &lab,
            journal: timeline.journal(),
        })
    }

    #[test]
    fn met_and_unmet_with_reasons() {
        assert_eq!(verdict("tick >= 5", 5), Verdict::Met);
        assert_eq!(
            verdict("tick >= 50", 12),
            Verdict::NotYet(vec![
                "The tick on screen is tick 12; the goal needs tick 50 or later.".into()
            ])
        );
        assert_eq!(verdict("tick > 100 or end_tick == 7", 7), Verdict::Met);
        assert_eq!(verdict("tick >= 1 && commands == 0", 3), Verdict::Met);
        let Verdict::NotYet(reasons) = verdict("source.zz.events > 1", 3) else {
            panic!()
        };
        assert_eq!(
            reasons,
            ["The number of events from source \u{201c}zz\u{201d} cannot be checked: this lab does not have it."]
        );
    }

    /// The sentence for `text` (one comparison) when its metrics have the given values.
    fn sentence(text: &str, values: &[i64]) -> String {
        let condition = Condition::parse(text).unwrap();
        let comparison = condition.comparisons().next().unwrap();
        let mut next = values.iter().copied();
        let first = next.next();
        let second = next.next().or(first);
        comparison.unmet_sentence(|m| {
            if comparison.left == Operand::Metric(m.clone()) {
                first
            } else {
                second
            }
        })
    }

    #[test]
    fn counts_read_as_how_many_and_what_the_goal_needs() {
        assert_eq!(
            sentence("lost_acked_all >= 1", &[0]),
            "No acknowledged acks=all records lost yet; the goal needs at least 1."
        );
        assert_eq!(
            sentence("lost_acked == 0", &[20]),
            "20 acknowledged records lost so far; the goal needs none."
        );
        assert_eq!(
            sentence("brokers_up == 3", &[1]),
            "1 broker running; the goal needs exactly 3."
        );
        assert_eq!(
            sentence("0 < offline", &[0]),
            "No partitions offline (no leader); the goal needs at least 1."
        );
        assert_eq!(
            sentence("topic.orders.records >= 1200", &[10]),
            "10 records in topic \u{201c}orders\u{201d}; the goal needs at least 1,200."
        );
        assert_eq!(
            sentence("group.g.idle != 0", &[0]),
            "No idle members in group \u{201c}g\u{201d}; the goal needs at least 1."
        );
    }

    #[test]
    fn levels_read_in_their_unit() {
        assert_eq!(
            sentence("end_tick < 100", &[150]),
            "The furthest tick the clock has run to is tick 150; the goal needs a tick before 100."
        );
        assert_eq!(
            sentence("source.clicks.chance == 0", &[125]),
            "The chance per tick of source \u{201c}clicks\u{201d} is 12.5%; the goal needs exactly 0%."
        );
        assert_eq!(
            sentence("topic.orders.bytes_per_record <= 12", &[45]),
            "The average record size in topic \u{201c}orders\u{201d} is 45 bytes; the goal needs at most 12 bytes."
        );
        assert_eq!(
            sentence("topic.orders.isr_min <= 2", &[3]),
            "The smallest ISR of topic \u{201c}orders\u{201d} is 3 replicas; the goal needs at most 2 replicas."
        );
        assert_eq!(
            sentence("group.g.cooperative == 1", &[0]),
            "Group \u{201c}g\u{201d} uses an eager assignor; the goal needs the opposite: group \u{201c}g\u{201d} uses a cooperative assignor."
        );
    }

    #[test]
    fn two_metrics_compare_by_their_subjects() {
        assert_eq!(
            sentence("topic.orders.records > topic.orders.hw", &[30, 30]),
            "The number of records in topic \u{201c}orders\u{201d} (30) needs to be greater than the total of the high watermarks of topic \u{201c}orders\u{201d} (30)."
        );
        assert!(sentence("1 > 2", &[]).contains("two fixed numbers"));
    }

    #[test]
    fn a_lesson_can_word_a_comparison_itself() {
        let when = Condition::parse("end_tick >= 50 and events_by_hand >= 3").unwrap();
        let feedback = Feedback::parse(
            "end_tick >= 50: The clock is at tick {end_tick}: run it to tick 50.",
            &when,
        )
        .unwrap();
        let mut comparisons = when.comparisons();
        let (clock, hand) = (comparisons.next().unwrap(), comparisons.next().unwrap());
        assert_eq!(
            feedback.reason(clock, |_| Some(7)),
            "The clock is at tick 7: run it to tick 50."
        );
        // Comparisons the lesson does not word keep the generated sentence.
        assert_eq!(
            feedback.reason(hand, |_| Some(1)),
            "1 event emitted with the Emit button so far; the goal needs at least 3."
        );
        let refused = |text: &str| Feedback::parse(text, &when).unwrap_err();
        assert!(refused("tick >= 50: Run.").contains("does not check"));
        assert!(refused("end_tick >= 50: At {tick}.").contains("not a metric of"));
        assert!(refused("end_tick >= 50 and tick > 1: Run.").contains("one comparison"));
        assert!(refused("Run it to tick 50.").contains("COMPARISON: SENTENCE"));
        assert!(refused("end_tick >= 50:").contains("empty"));
        assert!(refused("end_tick >= 50: x\nend_tick >= : y").starts_with("\"end_tick >= : y\""));
    }

    #[test]
    fn parse_errors_point_at_the_column() {
        let err = Condition::parse("tick >= ").unwrap_err();
        assert_eq!(err.column, 9);
        let err = Condition::parse("tick >= 5 but x").unwrap_err();
        assert_eq!(
            (err.column, err.message.as_str()),
            (11, "expected \"and\" or \"or\"")
        );
        let err = Condition::parse("tikc >= 5").unwrap_err();
        assert!(err.message.contains("did you mean \"tick\""));
        assert_eq!(Condition::parse("tick = 5").unwrap_err().column, 6);
        assert!(Condition::parse("99999999999999999999 > tick").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "[a-z_.<>=!&| 0-9-]{0,40}") {
            let _ = Condition::parse(&text);
        }
    }
}
