//! Hints for syntax errors: what a learner most likely meant. A keyword that looks misspelled
//! gets a did-you-mean (`SELECT city FORM rides` fails at `rides`, after `FORM` was read as an
//! alias, so the word before the failing token is tried too); `SELECT top` gets the reason it
//! failed (SQL Server's `TOP n`); anything else, "check the SQL near the caret".

use crate::error::{did_you_mean, Position};

/// Keywords a learner types, for "did you mean" on a syntax error.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "OUTER",
    "CROSS",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "DISTINCT",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "WITH",
    "VALUES",
    "INSERT",
    "CREATE",
    "TABLE",
    "DELETE",
    "EXISTS",
    "LIKE",
    "ILIKE",
    "NULL",
    "PARTITION",
    "OVER",
    "RECURSIVE",
    "EXPLAIN",
];

/// The hint for a syntax error with `message` at `at` in `sql`.
pub fn syntax_hint(sql: &str, message: &str, at: Option<Position>) -> String {
    if top_as_a_name(sql) {
        "TOP after SELECT is read as SQL Server's TOP n: write a column named top as \"top\""
            .to_string()
    } else if let Some(suggestion) = misspelled_keyword(sql, message, at) {
        format!("{suggestion} (a keyword looks misspelled near the caret)")
    } else {
        "check the SQL near the caret".to_string()
    }
}

/// Whether the text has `SELECT [DISTINCT] top` not followed by a number: a column named top,
/// which the parser takes for SQL Server's `TOP n`.
fn top_as_a_name(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    (0..words.len()).any(|i| {
        let mut at = i + 1;
        if words.get(at).is_some_and(|w| w == "distinct") {
            at += 1;
        }
        words[i] == "select"
            && words.get(at).is_some_and(|w| w == "top")
            && words.get(at + 1).is_none_or(|n| n.parse::<u64>().is_err())
    })
}

/// A keyword the failing token (or the word before it) looks like a misspelling of, as a
/// suggestion. Words shorter than 4 letters are left alone: `id` is not a misspelled `IN`.
fn misspelled_keyword(sql: &str, message: &str, at: Option<Position>) -> Option<String> {
    let found = message.rsplit_once("found: ")?.1.trim();
    // The word before the failing token: the text up to the error's position, last word.
    let offset = at.and_then(|p| {
        let line_start: usize = sql
            .split_inclusive('\n')
            .take(p.line.checked_sub(1)?)
            .map(str::len)
            .sum();
        let column = sql
            .get(line_start..)?
            .char_indices()
            .nth(p.column.checked_sub(1)?)
            .map_or(sql.len() - line_start, |(b, _)| b);
        Some(line_start + column)
    });
    let before = offset.and_then(|o| {
        sql.get(..o)?
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .rfind(|w| !w.is_empty())
    });
    [Some(found), before]
        .into_iter()
        .flatten()
        .find_map(|word| {
            let is_keyword = KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word));
            (word.chars().count() >= 4 && !is_keyword)
                .then(|| did_you_mean(word, KEYWORDS.iter().copied()))
                .flatten()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_keyword_gets_a_did_you_mean() {
        let nowhere = Some(Position { line: 0, column: 0 });
        assert_eq!(
            misspelled_keyword("SELEC", "found: SELEC", nowhere).as_deref(),
            Some("did you mean \"SELECT\"?")
        );
        let at_rides = Some(Position {
            line: 1,
            column: 18,
        });
        let hint = syntax_hint(
            "SELECT city FORM rides",
            "Expected: end of statement, found: rides",
            at_rides,
        );
        assert!(hint.contains("did you mean \"FROM\"?"), "{hint}");
        assert_eq!(
            syntax_hint("SELECT id FROM", "Expected: identifier, found: EOF", None),
            "check the SQL near the caret"
        );
    }

    #[test]
    fn a_column_named_top_is_explained() {
        assert!(top_as_a_name("SELECT top FROM t"));
        assert!(top_as_a_name("select distinct TOP, x FROM t"));
        assert!(!top_as_a_name("SELECT TOP 5 x FROM t"));
        assert!(syntax_hint(
            "SELECT top FROM t",
            "Expected: literal int, found: FROM",
            None
        )
        .contains("\"top\""));
    }
}
