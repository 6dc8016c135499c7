//! The lexer: SQL text to tokens, each with the span of text it came from.
//!
//! It reads words (keywords and names, `"quoted"` names with `""` for a quote), numbers (`1`,
//! `1.5`, `.5`, `1e3`), strings (`'it''s'`, PostgreSQL's `E'\n'`), the operators the parser
//! knows, and skips `--` and `/* */` comments. Lines and columns are 1-based and count
//! characters, so a caret lands under the right letter after an `é`.

use super::span::{Location, Span};
use crate::error::{ErrorKind, Position, SqlError};

/// What a token is; its text is in [`Token::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword or an unquoted name, as written.
    Word,
    /// A `"quoted"` name, its quotes removed and `""` resolved.
    QuotedIdent,
    Number,
    /// A `'...'` string, `''` resolved.
    String,
    /// An `E'...'` string, its escapes resolved.
    EscapedString,
    /// An operator or punctuation: `+`, `<=`, `::`, `(`, ...
    Symbol,
    /// The end of the text.
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
    pub span: Span,
}

impl Token {
    /// Whether this is the unquoted word `keyword` (any case).
    pub fn is_keyword(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub fn is_symbol(&self, symbol: &str) -> bool {
        self.kind == TokenKind::Symbol && self.text == symbol
    }

    /// The token as an error message names it (sqlparser's wording: `EOF` at the end).
    pub fn describe(&self) -> String {
        match self.kind {
            TokenKind::Eof => "EOF".to_string(),
            TokenKind::QuotedIdent => format!("\"{}\"", self.text.replace('"', "\"\"")),
            TokenKind::String => format!("'{}'", self.text.replace('\'', "''")),
            TokenKind::EscapedString => format!("E'{}'", self.text),
            TokenKind::Word | TokenKind::Number | TokenKind::Symbol => self.text.clone(),
        }
    }
}

/// Operators of two characters, tried before those of one.
const SYMBOLS_2: [&str; 7] = ["||", "<>", "!=", "<=", ">=", "::", "=>"];
/// `^ & | ~ #` are read so that the parser can refuse them as operators.
const SYMBOLS_1: &str = "+-*/%=<>(),.;^&|~#";

/// Splits `sql` into tokens, the last one [`TokenKind::Eof`].
pub fn tokenize(sql: &str) -> Result<Vec<Token>, SqlError> {
    let mut lexer = Lexer {
        chars: sql.chars().collect(),
        at: 0,
        location: Location { line: 1, column: 1 },
    };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_blanks_and_comments()?;
        let start = lexer.location;
        let Some(c) = lexer.peek(0) else {
            let end = end_of_text(sql);
            tokens.push(Token {
                kind: TokenKind::Eof,
                text: String::new(),
                span: Span { start: end, end },
            });
            return Ok(tokens);
        };
        let (kind, text) = lexer.token(c)?;
        tokens.push(Token {
            kind,
            text,
            span: Span {
                start,
                end: lexer.location,
            },
        });
    }
}

/// Just past the text's last character, as an error at the end points (a last empty line
/// does not count: the caret goes after the last word).
fn end_of_text(sql: &str) -> Location {
    let line = sql.lines().count().max(1) as u64;
    let column = sql.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1;
    Location { line, column }
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    location: Location,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.location.line += 1;
            self.location.column = 1;
        } else {
            self.location.column += 1;
        }
        Some(c)
    }

    fn error_at(&self, start: Location, message: &str, hint: &str) -> SqlError {
        SqlError::new(ErrorKind::Syntax, message)
            .with_hint(hint)
            .at(Some(Position {
                line: start.line as usize,
                column: start.column as usize,
            }))
    }

    fn skip_blanks_and_comments(&mut self) -> Result<(), SqlError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('-'), Some('-')) => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => self.skip_block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), SqlError> {
        let start = self.location;
        self.bump();
        self.bump();
        let mut depth = 1usize;
        while depth > 0 {
            match (self.bump(), self.peek(0)) {
                (None, _) => {
                    return Err(self.error_at(
                        start,
                        "Unexpected EOF while in a multi-line comment",
                        "close the comment with */",
                    ))
                }
                (Some('*'), Some('/')) => {
                    self.bump();
                    depth -= 1;
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    depth += 1;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads the token starting with `c`.
    fn token(&mut self, c: char) -> Result<(TokenKind, String), SqlError> {
        let start = self.location;
        if (c == 'E' || c == 'e') && self.peek(1) == Some('\'') {
            self.bump();
            return Ok((TokenKind::EscapedString, self.escaped_string(start)?));
        }
        if c.is_alphabetic() || c == '_' {
            let mut word = String::new();
            while let Some(c) = self
                .peek(0)
                .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            {
                word.push(c);
                self.bump();
            }
            return Ok((TokenKind::Word, word));
        }
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            return Ok((TokenKind::Number, self.number()));
        }
        match c {
            '\'' => Ok((TokenKind::String, self.quoted(start, '\'')?)),
            '"' => Ok((TokenKind::QuotedIdent, self.quoted(start, '"')?)),
            _ => self.symbol(start, c),
        }
    }

    fn symbol(&mut self, start: Location, c: char) -> Result<(TokenKind, String), SqlError> {
        if let Some(two) = self.peek(1).map(|d| format!("{c}{d}")) {
            if SYMBOLS_2.contains(&two.as_str()) {
                self.bump();
                self.bump();
                return Ok((TokenKind::Symbol, two));
            }
        }
        if SYMBOLS_1.contains(c) {
            self.bump();
            return Ok((TokenKind::Symbol, c.to_string()));
        }
        Err(self.error_at(
            start,
            &format!("Unexpected character '{c}'"),
            "this character is no part of the SQL the lab reads: check the SQL near the caret",
        ))
    }

    /// `1`, `1.5`, `.5`, `1.`, `1e3`, `2.5E-4`.
    fn number(&mut self) -> String {
        let mut text = String::new();
        let take_digits = |lexer: &mut Lexer, text: &mut String| {
            while let Some(d) = lexer.peek(0).filter(char::is_ascii_digit) {
                text.push(d);
                lexer.bump();
            }
        };
        take_digits(self, &mut text);
        if self.peek(0) == Some('.') {
            text.push('.');
            self.bump();
            take_digits(self, &mut text);
        }
        let exponent_digit = |ahead: usize| self.peek(ahead).is_some_and(|d| d.is_ascii_digit());
        if matches!(self.peek(0), Some('e' | 'E'))
            && (exponent_digit(1) || (matches!(self.peek(1), Some('+' | '-')) && exponent_digit(2)))
        {
            for _ in 0..2 {
                if let Some(c) = self.bump() {
                    text.push(c);
                }
            }
            take_digits(self, &mut text);
        }
        text
    }

    /// A string or quoted name closed by `quote`, a doubled quote standing for one.
    fn quoted(&mut self, start: Location, quote: char) -> Result<String, SqlError> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(unterminated(self, start, quote)),
                Some(c) if c == quote => {
                    if self.peek(0) == Some(quote) {
                        self.bump();
                        text.push(quote);
                    } else {
                        return Ok(text);
                    }
                }
                Some(c) => text.push(c),
            }
        }
    }

    /// The body of `E'...'` (after the `E`), backslash escapes resolved.
    fn escaped_string(&mut self, start: Location) -> Result<String, SqlError> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(unterminated(self, start, '\'')),
                Some('\'') if self.peek(0) == Some('\'') => {
                    self.bump();
                    text.push('\'');
                }
                Some('\'') => return Ok(text),
                Some('\\') => match self.bump() {
                    None => return Err(unterminated(self, start, '\'')),
                    Some(e) => text.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '0' => '\0',
                        other => other,
                    }),
                },
                Some(c) => text.push(c),
            }
        }
    }
}

fn unterminated(lexer: &Lexer, start: Location, quote: char) -> SqlError {
    let (what, hint) = if quote == '"' {
        ("quoted identifier", "close the name with \"")
    } else {
        (
            "string literal",
            "close the string with '; write '' for a quote inside it",
        )
    };
    lexer.error_at(start, &format!("Unterminated {what}"), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, String)> {
        tokenize(sql)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn reads_each_kind_of_token() {
        use TokenKind::*;
        let got = kinds("SELECT \"a\"\"b\", 'it''s', E'x\\ny', 1.5e3, .5 <> a::INT -- c\n/* d */;");
        let want = [
            (Word, "SELECT"),
            (QuotedIdent, "a\"b"),
            (Symbol, ","),
            (String, "it's"),
            (Symbol, ","),
            (EscapedString, "x\ny"),
            (Symbol, ","),
            (Number, "1.5e3"),
            (Symbol, ","),
            (Number, ".5"),
            (Symbol, "<>"),
            (Word, "a"),
            (Symbol, "::"),
            (Word, "INT"),
            (Symbol, ";"),
            (Eof, ""),
        ];
        let want: Vec<(TokenKind, std::string::String)> =
            want.iter().map(|(k, t)| (*k, t.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn spans_count_characters_on_1_based_lines() {
        let tokens = tokenize("SELECT 'é→'\n  , x").unwrap();
        let x = &tokens[3];
        assert_eq!(x.text, "x");
        assert_eq!(x.span.start, Location { line: 2, column: 5 });
        assert_eq!(x.span.end, Location { line: 2, column: 6 });
        assert_eq!(
            tokens[1].span.end,
            Location {
                line: 1,
                column: 12
            }
        );
    }

    #[test]
    fn unterminated_text_and_stray_characters_are_syntax_errors_with_a_hint() {
        for (sql, column) in [
            ("SELECT 'abc", 8),
            ("SELECT \"abc", 8),
            ("SELECT 1 /* x", 10),
            ("SELECT ?", 8),
        ] {
            let e = tokenize(sql).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Syntax, "{sql}");
            assert!(e.hint.is_some(), "{sql}");
            assert_eq!(e.position, Some(Position { line: 1, column }), "{sql}");
        }
    }
}
