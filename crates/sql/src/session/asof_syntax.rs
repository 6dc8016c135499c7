//! DuckDB's ASOF JOIN syntax for a parser that knows only Snowflake's.
//!
//! sqlparser 0.63 parses `ASOF JOIN f MATCH_CONDITION (...) ON ...` (Snowflake) but not DuckDB's
//! `ASOF [LEFT] JOIN f ON ... AND e.ts >= f.ts` / `USING (k, ts)`. Before parsing, each DuckDB
//! ASOF JOIN is spelled as a SEMI JOIN (`ASOF [INNER] JOIN` becomes `SEMI JOIN`, `ASOF LEFT
//! [OUTER] JOIN` becomes `LEFT SEMI JOIN`, the dropped word blanked): same length, so error
//! carets still point at the learner's text, and the binder reads SEMI as ASOF. Why a rewrite
//! rather than a dialect: the dialect hooks of 0.63 cannot add a join operator. A SEMI JOIN
//! written by the learner is refused here, so the two never mix (the engine has no SEMI JOIN;
//! `WHERE EXISTS` says the same).

use crate::error::{ErrorKind, Position, SqlError};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::borrow::Cow;

/// `sql` with DuckDB's ASOF JOINs spelled as SEMI JOINs (unchanged when it has none, or when
/// it does not tokenize: the parser then reports the error).
pub(crate) fn duckdb_asof_as_semi(sql: &str) -> Result<Cow<'_, str>, SqlError> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() else {
        return Ok(Cow::Borrowed(sql));
    };
    let words: Vec<(usize, Keyword)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some((i, w.keyword)),
            _ => None,
        })
        .collect();
    let mut edits: Vec<(usize, &'static str)> = Vec::new();
    for (n, (i, keyword)) in words.iter().enumerate() {
        let next = |k: usize| words.get(n + k).map(|(_, kw)| *kw);
        match keyword {
            Keyword::SEMI if next(1) == Some(Keyword::JOIN) => {
                return Err(
                    SqlError::new(ErrorKind::Unsupported, "SEMI JOIN is not supported")
                        .with_hint("write WHERE EXISTS (SELECT ... WHERE ...) instead")
                        .at(start(&tokens[*i])),
                );
            }
            Keyword::ASOF
                if next(1) == Some(Keyword::JOIN)
                    && !snowflake_form(&tokens[words[n + 1].0 + 1..]) =>
            {
                edits.push((*i, "SEMI"));
            }
            Keyword::ASOF if next(1) == Some(Keyword::INNER) && next(2) == Some(Keyword::JOIN) => {
                edits.push((*i, "SEMI"));
                edits.push((words[n + 1].0, "     "));
            }
            Keyword::ASOF if next(1) == Some(Keyword::LEFT) && next(2) == Some(Keyword::JOIN) => {
                edits.push((*i, "LEFT"));
                edits.push((words[n + 1].0, "SEMI"));
            }
            Keyword::ASOF
                if next(1) == Some(Keyword::LEFT)
                    && next(2) == Some(Keyword::OUTER)
                    && next(3) == Some(Keyword::JOIN) =>
            {
                edits.push((*i, "LEFT"));
                edits.push((words[n + 1].0, "SEMI"));
                edits.push((words[n + 2].0, "     "));
            }
            Keyword::ASOF if matches!(next(1), Some(Keyword::RIGHT | Keyword::FULL)) => {
                return Err(SqlError::new(
                    ErrorKind::Unsupported,
                    "ASOF RIGHT and ASOF FULL JOIN are not supported",
                )
                .with_hint(
                    "swap the two tables and write ASOF LEFT JOIN, turning the inequality around \
                     (e.ts >= f.ts becomes f.ts <= e.ts)",
                )
                .at(start(&tokens[*i])));
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return Ok(Cow::Borrowed(sql));
    }
    // Each replacement has the length of the keyword it replaces (ASCII), so offsets into `sql`
    // stay offsets into `out`.
    let mut out = sql.to_string();
    for (i, word) in edits {
        let at = byte_offset(sql, &tokens[i]);
        out.replace_range(at..at + word.len(), word);
    }
    Ok(Cow::Owned(out))
}

/// Whether the tokens after `ASOF JOIN` reach MATCH_CONDITION (Snowflake's form) before ON,
/// USING or the end of the FROM clause, outside parentheses.
fn snowflake_form(after_join: &[TokenWithSpan]) -> bool {
    let mut depth = 0usize;
    for t in after_join {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 && w.quote_style.is_none() => match w.keyword {
                Keyword::MATCH_CONDITION => return true,
                Keyword::ON | Keyword::USING | Keyword::WHERE | Keyword::JOIN => return false,
                _ => {}
            },
            Token::SemiColon if depth == 0 => return false,
            _ => {}
        }
    }
    false
}

/// The token's line and column (1-based, in characters).
fn start(t: &TokenWithSpan) -> Option<Position> {
    Some(Position {
        line: t.span.start.line as usize,
        column: t.span.start.column as usize,
    })
}

/// The byte offset in `sql` where the token starts.
fn byte_offset(sql: &str, t: &TokenWithSpan) -> usize {
    let line = t.span.start.line as usize;
    let column = t.span.start.column as usize;
    let line_start: usize = sql
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &sql[line_start..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_forms_become_semi_joins_of_the_same_length() {
        let sql = "SELECT * FROM e ASOF JOIN f ON e.k = f.k AND e.t >= f.t";
        let out = duckdb_asof_as_semi(sql).unwrap();
        assert_eq!(
            out,
            "SELECT * FROM e SEMI JOIN f ON e.k = f.k AND e.t >= f.t"
        );
        let out = duckdb_asof_as_semi("SELECT *\nFROM e asof  left JOIN f USING (k, t)").unwrap();
        assert_eq!(out, "SELECT *\nFROM e LEFT  SEMI JOIN f USING (k, t)");
        let out = duckdb_asof_as_semi(
            "SELECT * FROM e ASOF INNER JOIN f USING (t) ASOF LEFT OUTER JOIN g USING (t)",
        );
        assert_eq!(
            out.unwrap(),
            "SELECT * FROM e SEMI       JOIN f USING (t) LEFT SEMI       JOIN g USING (t)"
        );
        // Columns count characters, not bytes.
        let out = duckdb_asof_as_semi("SELECT 'é→' AS x\n  , 'ü' FROM e ASOF JOIN f USING (t)");
        assert_eq!(
            out.unwrap(),
            "SELECT 'é→' AS x\n  , 'ü' FROM e SEMI JOIN f USING (t)"
        );
    }

    #[test]
    fn snowflake_form_and_quoted_words_are_left_alone() {
        let snowflake = "SELECT * FROM e ASOF JOIN f MATCH_CONDITION (e.t >= f.t) ON e.k = f.k";
        assert!(matches!(
            duckdb_asof_as_semi(snowflake),
            Ok(Cow::Borrowed(_))
        ));
        let quoted = "SELECT 'asof join' AS \"ASOF\" FROM e";
        assert!(matches!(duckdb_asof_as_semi(quoted), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn asof_right_and_full_joins_are_refused_with_a_hint() {
        for sql in [
            "SELECT * FROM e ASOF RIGHT JOIN f ON e.k = f.k AND e.t >= f.t",
            "SELECT * FROM e\n ASOF FULL OUTER JOIN f USING (k, t)",
        ] {
            let e = duckdb_asof_as_semi(sql).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Unsupported, "{sql}");
            assert!(e
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("ASOF LEFT JOIN")));
        }
    }

    #[test]
    fn a_written_semi_join_is_refused() {
        let e = duckdb_asof_as_semi("SELECT * FROM e SEMI JOIN f ON e.k = f.k").unwrap_err();
        assert!(e.message.contains("SEMI JOIN"), "{}", e.message);
    }
}
