//! Lesson goals: small predicates over [`Metric`]s, checked as the learner acts.
//!
//! Grammar: `condition := all ("or" all)*`, `all := comparison ("and" comparison)*`,
//! `comparison := operand op operand`, `op := < <= == != >= >`, `operand := metric | integer`.
//! A goal that is not met says why, in terms of the metrics it mentions
//! ("tick is 12; the goal needs tick >= 50"), so a learner knows what to change.
//!
//! ```
//! use lab::check::Condition;
//! let goal = Condition::parse("tick >= 50 and events_by_hand >= 3").unwrap();
//! assert_eq!(goal.metrics().count(), 2);
//! assert!(Condition::parse("tick >=").is_err());
//! ```

use crate::metric::{Metric, Observation};
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
    fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Ge => left >= right,
            Op::Gt => left > right,
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
                    (Some(l), Some(r)) => Some(describe_unmet(c, l, r)),
                    _ => Some(format!(
                        "{c} cannot be checked yet: it names something not in this lab"
                    )),
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
}

fn describe_unmet(c: &Comparison, left: i64, right: i64) -> String {
    match (&c.left, &c.right) {
        (Operand::Metric(m), Operand::Number(_)) => {
            format!("{} is {left}; the goal needs {c}", m.name())
        }
        (Operand::Number(_), Operand::Metric(m)) => {
            format!("{} is {right}; the goal needs {c}", m.name())
        }
        _ => format!(
            "{} is {left} and {} is {right}; the goal needs {c}",
            c.left, c.right
        ),
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
            Verdict::NotYet(vec!["tick is 12; the goal needs tick >= 50".into()])
        );
        assert_eq!(verdict("tick > 100 or end_tick == 7", 7), Verdict::Met);
        assert_eq!(verdict("tick >= 1 && commands == 0", 3), Verdict::Met);
        let Verdict::NotYet(reasons) = verdict("source.zz.events > 1", 3) else {
            panic!()
        };
        assert!(reasons[0].contains("not in this lab"));
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
