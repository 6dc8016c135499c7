//! "Do it" links: a numbered instruction in a lesson's prose can end with a link that performs
//! that instruction on the live lab, written in the steps language with `;` between steps:
//!
//! ```text
//! 2. **Kill** brokers 2 and 3 and Play about 100 ticks. [Do it](<do:kill-broker 2; kill-broker 3; tick 100> "fenced == 2")
//! ```
//!
//! The link's title is what the prose promises once the instruction is done, as a goal
//! condition over the lab (see [`crate::check`]). The page never shows it; the lesson tests run
//! every lesson's instructions in order, as a learner pressing each "Do it" would, and check each
//! promise, so the numbers in the prose cannot drift away from what the lab does.

use crate::check::Condition;
use crate::steps::{parse_steps, Step};

/// The scheme of a "Do it" link's destination, and its steps one per line (the prose crate owns
/// the link syntax: the app's build script renders the links as buttons with it).
pub use prose::{steps_of_destination, DO_SCHEME};

/// One "Do it" link of a lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// The lesson file's line the link is on (1-based).
    pub line: usize,
    /// The steps as written in the link, one per line.
    pub steps_text: String,
    pub steps: Vec<Step>,
    /// What must hold once the steps ran, if the prose states a result.
    pub promise: Option<Promise>,
}

/// What the prose says the lab shows after an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promise {
    pub text: String,
    pub condition: Condition,
}

/// A "Do it" link that does not parse: the line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstructionError {
    pub line: usize,
    pub message: String,
}

const LINK_FORM: &str =
    "a \"Do it\" link is written [Do it](<do:steps>) or [Do it](<do:steps> \"promise\")";

/// Every "Do it" link in `markdown`, whose first line is line `first_line` of the lesson file.
pub fn find_instructions(
    markdown: &str,
    first_line: usize,
) -> Result<Vec<Instruction>, InstructionError> {
    let mut found = Vec::new();
    for (n, text) in markdown.lines().enumerate() {
        let line = first_line + n;
        let mut rest = text;
        while let Some(start) = rest.find("](<do:") {
            let after = &rest[start + "](<".len() + DO_SCHEME.len()..];
            let fail = || InstructionError {
                line,
                message: LINK_FORM.into(),
            };
            let (destination, tail) = after.split_once('>').ok_or_else(fail)?;
            let (promise, tail) = match tail.strip_prefix(" \"") {
                Some(quoted) => {
                    let (promise, tail) = quoted.split_once('"').ok_or_else(fail)?;
                    (Some(promise), tail)
                }
                None => (None, tail),
            };
            rest = tail.strip_prefix(')').ok_or_else(fail)?;
            found.push(instruction(line, destination, promise)?);
        }
    }
    Ok(found)
}

fn instruction(
    line: usize,
    destination: &str,
    promise: Option<&str>,
) -> Result<Instruction, InstructionError> {
    let steps_text = steps_of_destination(destination);
    let steps = parse_steps(&steps_text).map_err(|e| InstructionError {
        line,
        message: format!("in a \"Do it\" link, step {}: {}", e.line, e.message),
    })?;
    if steps.is_empty() {
        return Err(InstructionError {
            line,
            message: "a \"Do it\" link needs at least one step".into(),
        });
    }
    let promise = promise
        .map(|text| {
            Condition::parse(text)
                .map(|condition| Promise {
                    text: text.to_string(),
                    condition,
                })
                .map_err(|e| InstructionError {
                    line,
                    message: format!("in a \"Do it\" link's promise (its title): {e}"),
                })
        })
        .transpose()?;
    Ok(Instruction {
        line,
        steps_text,
        steps,
        promise,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_with_their_steps_promises_and_lines() {
        let text = "Intro.\n\n1. Send 30. [Do it](<do:produce orders count=30; tick 5> \"acked >= 30\")\n2. Kill. [Do it](<do:kill-broker 2>) and [again](<do:tick 1>)\n";
        let found = find_instructions(text, 10).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].line, 12);
        assert_eq!(found[0].steps_text, "produce orders count=30\ntick 5");
        assert!(matches!(found[0].steps[1], Step::Ticks(5)));
        assert_eq!(found[0].promise.as_ref().unwrap().text, "acked >= 30");
        assert_eq!((found[1].line, found[1].promise.is_none()), (13, true));
        assert_eq!(found[2].steps, vec![Step::Ticks(1)]);
    }

    #[test]
    fn ordinary_links_are_not_instructions() {
        let text = "See [KIP-966](https://cwiki.apache.org/confluence/display/KAFKA/KIP-966) and <do:not-a-link>.";
        assert_eq!(find_instructions(text, 1).unwrap(), vec![]);
    }

    #[test]
    fn bad_links_name_their_line_and_fault() {
        let unclosed = find_instructions("a\n[Do it](<do:tick 5)", 3).unwrap_err();
        assert_eq!(unclosed.line, 4);
        assert!(
            unclosed.message.contains("is written"),
            "{}",
            unclosed.message
        );
        let bad_step = find_instructions("[Do it](<do:tick 5; kil-broker 2>)", 1).unwrap_err();
        assert!(bad_step.message.contains("step 2"), "{}", bad_step.message);
        let bad_promise = find_instructions("[Do it](<do:tick 5> \"acked >>= 1\")", 1).unwrap_err();
        assert!(
            bad_promise.message.contains("promise"),
            "{}",
            bad_promise.message
        );
        let empty = find_instructions("[Do it](<do: >)", 1).unwrap_err();
        assert!(empty.message.contains("at least one step"));
    }
}
