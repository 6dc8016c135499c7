//! The lexer: program text to tokens, with Python's INDENT/DEDENT for blocks.
//!
//! It follows the Python reference's "Lexical analysis" chapter for the part learners use:
//! logical lines end in NEWLINE unless inside brackets or after a `\`; blank and comment-only lines
//! are skipped; a deeper indentation than the enclosing block opens an INDENT and a shallower one
//! closes DEDENTs back to a matching level (anything else is an `IndentationError`). Indentation
//! with tabs is refused: mixing them with spaces is the classic source of invisible block errors.

use super::ProgramError;
use std::rc::Rc;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Name(Rc<str>),
    Int(i64),
    Str(Rc<str>),
    /// An operator or delimiter: `(`, `+=`, `//`, `==`, ...
    Op(&'static str),
    Newline,
    Indent,
    Dedent,
    End,
}

/// A token and the 1-based program line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
}

/// Operators, longest first so that `//=` wins over `//` and `/`.
const OPERATORS: [&str; 28] = [
    "//=", "**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=", "%=", "->", "(", ")", "[", "]",
    ",", ":", ".", "=", "<", ">", "+", "-", "*", "%", "/", ";",
];

/// Splits `source` into tokens ending with [`Tok::End`].
pub fn tokenize(source: &str) -> Result<Vec<Token>, ProgramError> {
    Lexer {
        chars: source.chars().collect(),
        pos: 0,
        line: 1,
        tokens: Vec::new(),
        indents: vec![0],
        bracket_depth: 0,
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    tokens: Vec<Token>,
    /// Open indentation levels, in columns; the first is 0.
    indents: Vec<usize>,
    /// Open `(` and `[`: newlines inside them do not end the line.
    bracket_depth: usize,
}

impl Lexer {
    fn run(mut self) -> Result<Vec<Token>, ProgramError> {
        while self.pos < self.chars.len() {
            self.logical_line_start()?;
            self.line_body()?;
        }
        if self
            .tokens
            .last()
            .is_some_and(|t| !matches!(t.tok, Tok::Newline | Tok::Dedent))
        {
            self.push(Tok::Newline);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(Tok::Dedent);
        }
        self.push(Tok::End);
        Ok(self.tokens)
    }

    fn push(&mut self, tok: Tok) {
        self.tokens.push(Token {
            tok,
            line: self.line,
        });
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn error(&self, message: impl Into<String>, hint: impl Into<String>) -> ProgramError {
        ProgramError::syntax(self.line, message, hint)
    }

    /// Measures the indentation of the next non-blank line and emits INDENT/DEDENTs for it.
    fn logical_line_start(&mut self) -> Result<(), ProgramError> {
        loop {
            let mut column = 0;
            while let Some(c) = self.peek(0) {
                match c {
                    ' ' => column += 1,
                    '\t' => {
                        return Err(self.error(
                            "TabError: a tab in the indentation",
                            "indent blocks with spaces only (4 per level), as Python's style guide asks",
                        ))
                    }
                    '\x0c' | '\r' => {}
                    _ => break,
                }
                self.pos += 1;
            }
            match self.peek(0) {
                None => return Ok(()),
                Some('\n') => {
                    self.pos += 1;
                    self.line += 1;
                }
                Some('#') => self.skip_comment(),
                Some(_) => return self.indent_to(column),
            }
        }
    }

    fn indent_to(&mut self, column: usize) -> Result<(), ProgramError> {
        let current = self.indents.last().copied().unwrap_or(0);
        if column > current {
            self.indents.push(column);
            self.push(Tok::Indent);
        } else {
            while column < self.indents.last().copied().unwrap_or(0) {
                self.indents.pop();
                self.push(Tok::Dedent);
            }
            if column != self.indents.last().copied().unwrap_or(0) {
                return Err(self.error(
                    "IndentationError: unindent does not match any outer indentation level",
                    "line the block's end up with the line that opened it (same number of spaces)",
                ));
            }
        }
        Ok(())
    }

    fn skip_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.pos += 1;
        }
    }

    /// Tokens up to the end of the logical line (its NEWLINE included).
    fn line_body(&mut self) -> Result<(), ProgramError> {
        while let Some(c) = self.peek(0) {
            match c {
                '\n' => {
                    self.pos += 1;
                    if self.bracket_depth == 0 {
                        self.push(Tok::Newline);
                        self.line += 1;
                        return Ok(());
                    }
                    self.line += 1;
                }
                ' ' | '\t' | '\r' | '\x0c' => self.pos += 1,
                '#' => self.skip_comment(),
                '\\' if self.peek(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '\'' | '"' => self.string(c)?,
                c if c.is_ascii_digit() => self.number()?,
                c if c == '_' || c.is_alphabetic() => self.name()?,
                _ => self.operator()?,
            }
        }
        Ok(())
    }

    fn name(&mut self) -> Result<(), ProgramError> {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c == '_' || c.is_alphanumeric())
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if matches!(self.peek(0), Some('\'' | '"')) && matches!(name.as_str(), "f" | "F") {
            return Err(self.error(
                "SyntaxError: f-strings are not supported in this lab's Python",
                "build the text with + and str(), e.g. word + '\\t' + str(n)",
            ));
        }
        self.push(Tok::Name(Rc::from(name)));
        Ok(())
    }

    fn number(&mut self) -> Result<(), ProgramError> {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if text.contains('.') || text.contains('e') {
            return Err(self.error(
                format!("SyntaxError: the number {text} is not a whole number"),
                "this lab's Python has whole numbers (int) only: use // for division",
            ));
        }
        let leading_zero = text.len() > 1 && text.starts_with('0');
        match text.parse::<i64>() {
            Ok(n) if !leading_zero => {
                self.push(Tok::Int(n));
                Ok(())
            }
            _ => Err(self.error(
                format!("SyntaxError: invalid number literal {text}"),
                "write a decimal whole number without leading zeros, below 9223372036854775808",
            )),
        }
    }

    fn string(&mut self, quote: char) -> Result<(), ProgramError> {
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let opening_line = self.line;
        self.pos += if triple { 3 } else { 1 };
        let mut text = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(ProgramError::syntax(
                    opening_line,
                    "SyntaxError: unterminated string literal",
                    format!("close the text with the same quote it opened with: {quote}"),
                ));
            };
            if c == quote
                && (!triple || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote)))
            {
                self.pos += if triple { 3 } else { 1 };
                break;
            }
            match c {
                '\n' if !triple => {
                    return Err(ProgramError::syntax(
                        opening_line,
                        "SyntaxError: unterminated string literal",
                        format!("close the text with {quote} on the same line"),
                    ))
                }
                '\n' => {
                    self.line += 1;
                    text.push(c);
                    self.pos += 1;
                }
                '\\' => {
                    self.escape(&mut text);
                }
                _ => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
        self.tokens.push(Token {
            tok: Tok::Str(Rc::from(text)),
            line: opening_line,
        });
        Ok(())
    }

    /// A backslash escape: the ones Python defines that learners use; others keep the backslash.
    fn escape(&mut self, text: &mut String) {
        let escaped = match self.peek(1) {
            Some('t') => Some('\t'),
            Some('n') => Some('\n'),
            Some('\\') => Some('\\'),
            Some('\'') => Some('\''),
            Some('"') => Some('"'),
            Some('\n') => {
                self.line += 1;
                self.pos += 2;
                return;
            }
            _ => None,
        };
        match escaped {
            Some(c) => {
                text.push(c);
                self.pos += 2;
            }
            None => {
                text.push('\\');
                self.pos += 1;
            }
        }
    }

    fn operator(&mut self) -> Result<(), ProgramError> {
        for op in OPERATORS {
            let matches = op.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c));
            if matches {
                self.pos += op.chars().count();
                match op {
                    "(" | "[" => self.bracket_depth += 1,
                    ")" | "]" => self.bracket_depth = self.bracket_depth.saturating_sub(1),
                    _ => {}
                }
                self.push(Tok::Op(op));
                return Ok(());
            }
        }
        let c = self.peek(0).unwrap_or(' ');
        let hint = match c {
            '{' | '}' => "dicts and sets written with { } are not supported: use set() and lists, and let emit and the reducer do the counting",
            '!' => "Python writes 'not' for negation and != for 'not equal'",
            '&' | '|' => "Python writes 'and' and 'or'",
            _ => "remove the character, or put it inside a quoted string",
        };
        Err(self.error(format!("SyntaxError: invalid character '{c}'"), hint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        tokenize(source)
            .map(|ts| ts.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn blocks_open_and_close_with_indent_and_dedent() {
        let toks = kinds("def f(x):\n    if x:\n        return 1\n    return 2\n");
        let indents = toks.iter().filter(|t| **t == Tok::Indent).count();
        let dedents = toks.iter().filter(|t| **t == Tok::Dedent).count();
        assert_eq!((indents, dedents), (2, 2));
        assert_eq!(toks.last(), Some(&Tok::End));
    }

    #[test]
    fn escapes_and_both_quotes() {
        let toks = kinds("x = 'a\\tb' + \"c\\\"d\"\n");
        assert!(toks.contains(&Tok::Str(Rc::from("a\tb"))));
        assert!(toks.contains(&Tok::Str(Rc::from("c\"d"))));
    }

    #[test]
    fn newlines_inside_brackets_do_not_end_the_line() {
        let toks = kinds("x = (1,\n     2)\ny = 3\n");
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 2);
    }

    #[test]
    fn tabs_in_indentation_are_refused_with_a_hint() {
        let err = tokenize("def f():\n\treturn 1\n").err();
        assert!(err.is_some_and(|e| e.message.contains("TabError") && e.line == 2));
    }

    #[test]
    fn a_dedent_to_an_unknown_level_is_an_indentation_error() {
        let err = tokenize("if x:\n        y = 1\n    z = 2\n").err();
        assert!(err.is_some_and(|e| e.message.contains("unindent does not match") && e.line == 3));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let toks = kinds("# top\n\nx = 1  # trailing\n   # indented comment\ny = 2\n");
        assert!(!toks.contains(&Tok::Indent));
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 2);
    }
}
