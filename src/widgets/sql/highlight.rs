//! A small SQL lexer for the editor's colours: keywords, function names, strings, quoted names,
//! numbers, comments and punctuation. It only colours text, so it never fails: anything it does
//! not know is plain text, and an unterminated string or comment runs to the end. (Parsing is the
//! engine's job; its errors carry the position the editor marks.)

/// What a piece of the text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    /// A name followed by `(`.
    Function,
    Name,
    /// `"a name"`.
    QuotedName,
    /// `'text'`.
    String,
    Number,
    Comment,
    Punctuation,
    Space,
}

impl TokenKind {
    /// The CSS class of its span (`None`: plain text).
    pub fn class(self) -> Option<&'static str> {
        match self {
            TokenKind::Keyword => Some("tok-kw"),
            TokenKind::Function => Some("tok-fn"),
            TokenKind::QuotedName => Some("tok-qn"),
            TokenKind::String => Some("tok-str"),
            TokenKind::Number => Some("tok-num"),
            TokenKind::Comment => Some("tok-com"),
            TokenKind::Punctuation => Some("tok-op"),
            TokenKind::Name | TokenKind::Space => None,
        }
    }
}

/// One token: its kind and where it is (byte offsets into the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Words coloured as keywords (upper case; matching ignores case).
const KEYWORDS: &[&str] = &[
    "ALL",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASOF",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "CASE",
    "CAST",
    "CREATE",
    "CROSS",
    "CURRENT",
    "DATE",
    "DESC",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "EXTRACT",
    "FALSE",
    "FILTER",
    "FIRST",
    "FLOAT",
    "FOLLOWING",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH_CONDITION",
    "NATURAL",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRECEDING",
    "PRECISION",
    "RANGE",
    "REAL",
    "RECURSIVE",
    "RIGHT",
    "ROW",
    "ROWS",
    "SELECT",
    "SMALLINT",
    "TABLE",
    "TEXT",
    "THEN",
    "TIMESTAMP",
    "TRUE",
    "UNBOUNDED",
    "UNION",
    "USING",
    "VALUES",
    "VARCHAR",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Splits `sql` into tokens that cover it exactly, in order.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    // Byte offset of the next char boundary after `i`.
    let next = |i: usize| {
        let mut j = i + 1;
        while j < bytes.len() && !sql.is_char_boundary(j) {
            j += 1;
        }
        j
    };
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        let kind = if b.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            TokenKind::Space
        } else if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            TokenKind::Comment
        } else if sql[i..].starts_with("/*") {
            i = sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
            TokenKind::Comment
        } else if b == b'\'' || b == b'"' {
            // A doubled quote inside is an escaped quote.
            i += 1;
            loop {
                match sql[i..].find(b as char) {
                    None => {
                        i = bytes.len();
                        break;
                    }
                    Some(n) => {
                        i += n + 1;
                        if i < bytes.len() && bytes[i] == b {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            if b == b'\'' {
                TokenKind::String
            } else {
                TokenKind::QuotedName
            }
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                // An exponent's sign: 1e-5.
                if (bytes[i] == b'e' || bytes[i] == b'E')
                    && matches!(bytes.get(i + 1), Some(b'+' | b'-'))
                {
                    i += 1;
                }
                i += 1;
            }
            TokenKind::Number
        } else if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
            {
                i = next(i);
            }
            let word = &sql[start..i];
            let rest = sql[i..].trim_start_matches([' ', '\t']);
            if is_keyword(word) {
                TokenKind::Keyword
            } else if rest.starts_with('(') {
                TokenKind::Function
            } else {
                TokenKind::Name
            }
        } else {
            i = next(i);
            TokenKind::Punctuation
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// The byte offset of a 1-based (line, column in characters) position in `sql`, clamped to the
/// text's end.
pub fn offset_of(sql: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, text) in sql.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            let within: usize = text
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + within;
        }
        offset += text.len();
    }
    sql.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Space)
            .map(|t| (t.kind, &sql[t.start..t.end]))
            .collect()
    }

    #[test]
    fn colours_each_kind_of_token() {
        use TokenKind::*;
        assert_eq!(
            kinds(
                "select count(*), \"Odd name\" FROM t -- done\nWHERE x >= 1.5e-3 AND s = 'it''s'"
            ),
            [
                (Keyword, "select"),
                (Function, "count"),
                (Punctuation, "("),
                (Punctuation, "*"),
                (Punctuation, ")"),
                (Punctuation, ","),
                (QuotedName, "\"Odd name\""),
                (Keyword, "FROM"),
                (Name, "t"),
                (Comment, "-- done"),
                (Keyword, "WHERE"),
                (Name, "x"),
                (Punctuation, ">"),
                (Punctuation, "="),
                (Number, "1.5e-3"),
                (Keyword, "AND"),
                (Name, "s"),
                (Punctuation, "="),
                (String, "'it''s'"),
            ]
        );
    }

    #[test]
    fn the_dialects_clause_words_are_keywords() {
        for word in [
            "recursive",
            "natural",
            "escape",
            "filter",
            "exists",
            "using",
            "over",
        ] {
            assert!(is_keyword(word), "{word}");
        }
    }

    #[test]
    fn tokens_cover_any_text_exactly() {
        for sql in [
            "",
            "'unterminated",
            "/* open comment",
            "SELECT 'é', ünïcode_name, \"x\"\"y\" FROM t;",
            "\u{1F600} 1.2.3 .5 -- x",
        ] {
            let tokens = tokenize(sql);
            let mut at = 0;
            for t in &tokens {
                assert_eq!(t.start, at, "{sql:?}");
                assert!(t.end > t.start);
                at = t.end;
            }
            assert_eq!(at, sql.len(), "{sql:?}");
        }
    }

    #[test]
    fn positions_become_offsets() {
        let sql = "SELECT 1\nFROM é WHER x";
        assert_eq!(offset_of(sql, 1, 1), 0);
        assert_eq!(offset_of(sql, 2, 8), 9 + "FROM é ".len());
        assert_eq!(offset_of(sql, 9, 1), sql.len());
    }
}
