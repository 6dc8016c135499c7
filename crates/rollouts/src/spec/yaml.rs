//! One YAML document as a tree built from saphyr-parser's events, every node keeping the 1-based
//! line and column where it is written, so the readers of [`super::read`] can put an error on the
//! learner's line.
//!
//! Scalars keep their text and whether they were plain: the YAML 1.2 core schema
//! (<https://yaml.org/spec/1.2.2/#1032-tag-resolution>) reads `10`, `true` or `~` as a number, a
//! boolean or null only when written plain, so `"10"` stays a string. Aliases are replaced by a copy
//! of the anchored node. A syntax error does not discard what came before it: the tree holds
//! everything parsed up to the error and a [`Value::Cut`] where parsing stopped, so a mistake
//! earlier in the document is reported first, as a reader walking the events in order would.
//!
//! Positions follow libyaml's marks (the reference YAML implementation): an empty value sits just
//! after its `:` or `-`, and a block scalar (`|`, `>`) at its indicator rather than its first line.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::BTreeMap;

/// A node and where it starts (1-based line and column in the document).
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub line: usize,
    pub column: usize,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A scalar's text; `plain` when written without quotes or a block indicator.
    Scalar {
        text: String,
        plain: bool,
    },
    Sequence(Vec<Node>),
    /// Entries in document order; keys are nodes too (a key may be a mapping in YAML).
    Mapping(Vec<(Node, Node)>),
    /// Where a syntax error stopped the parser: reading it yields [`Document::syntax`].
    Cut,
}

/// A syntax error at a 1-based line and column of the document.
#[derive(Clone, Debug)]
pub(crate) struct Syntax {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A parsed document: its root, the syntax error that cut it short, and whether the text went on
/// into a second document (after `...` or an indented `---`).
pub(crate) struct Document {
    pub root: Node,
    pub syntax: Option<Syntax>,
    pub more_documents: bool,
}

/// Deeper nesting than this is refused, so building, copying and dropping a tree stays shallow.
const MAX_DEPTH: usize = 1000;
/// How many nodes aliases may copy in one document (an alias of an alias of ... grows
/// exponentially: the "billion laughs" document).
const MAX_ALIAS_NODES: usize = 100_000;

impl Node {
    /// A plain empty scalar, `~` or `null`: YAML's null.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if text.is_empty() || is_null_word(text))
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Scalar { .. } | Value::Cut => 1,
            Value::Sequence(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Mapping(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

/// `~`, `null`, `Null`, `NULL`.
pub(crate) fn is_null_word(text: &str) -> bool {
    matches!(text, "~" | "null" | "Null" | "NULL")
}

/// A collection being filled while its events arrive.
enum Open {
    Sequence(Node, Vec<Node>, usize),
    Mapping(Node, Vec<(Node, Node)>, Option<Node>, usize),
}

/// Builds the tree of the first document of `text`.
pub(crate) fn parse(text: &str) -> Document {
    Builder::new(text).run()
}

struct Builder<'t> {
    lines: Vec<&'t str>,
    /// The input's length in characters (saphyr-parser's marker index) and its last character.
    length: usize,
    ends_with_newline: bool,
    parser: Parser<'t, saphyr_parser::StrInput<'t>>,
    stack: Vec<Open>,
    anchors: BTreeMap<usize, Node>,
    copied: usize,
    /// Where the previous event ended (line, 0-based column), to find a block scalar's indicator.
    last_end: (usize, usize),
    root: Option<Node>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Builder {
            lines: text.lines().collect(),
            length: text.chars().count(),
            ends_with_newline: text.ends_with('\n'),
            parser: Parser::new_from_str(text),
            stack: Vec::new(),
            anchors: BTreeMap::new(),
            copied: 0,
            last_end: (1, 0),
            root: None,
        }
    }

    fn run(mut self) -> Document {
        let mut syntax = None;
        let mut more_documents = false;
        while let Some(next) = self.parser.next_event() {
            match next {
                Err(error) => {
                    let mark = error.marker();
                    let message = problem(error.info());
                    let (line, mut column) = (mark.line(), mark.col() + 1);
                    if message == "did not find expected key" {
                        column = self.block_entry_before(line, column).unwrap_or(column);
                    }
                    let failure = Syntax {
                        line,
                        column,
                        message,
                    };
                    if self.root.is_some() && self.stack.is_empty() {
                        more_documents = true;
                    } else {
                        syntax = Some(failure);
                    }
                    break;
                }
                Ok((Event::DocumentStart(_), _)) if self.root.is_some() => {
                    more_documents = true;
                    break;
                }
                Ok((event, span)) => {
                    if let Err(failure) = self.event(event, span) {
                        syntax = Some(failure);
                        break;
                    }
                    self.last_end = (span.end.line(), span.end.col());
                }
            }
        }
        if let Some(failure) = &syntax {
            self.cut(failure);
        }
        Document {
            root: self.root.unwrap_or(Node {
                line: 1,
                column: 1,
                value: Value::Scalar {
                    text: String::new(),
                    plain: true,
                },
            }),
            syntax,
            more_documents,
        }
    }

    fn event(&mut self, event: Event<'t>, span: Span) -> Result<(), Syntax> {
        let (line, column) = (span.start.line(), span.start.col() + 1);
        let at = |value| Node {
            line,
            column,
            value,
        };
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let (line, column) = match style {
                    ScalarStyle::Plain if text.is_empty() && span.start == span.end => {
                        self.after_indicator(line, column)
                    }
                    ScalarStyle::Literal | ScalarStyle::Folded if anchor == 0 && tag.is_none() => {
                        self.block_indicator().unwrap_or((line, column))
                    }
                    _ => (line, column),
                };
                let mut text = text.into_owned();
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && span.end.index() == self.length
                    && !self.ends_with_newline
                {
                    // A block scalar's last line break is kept only if the input has one
                    // (YAML 1.2 §8.1.1.2); saphyr-parser adds one at the end of input.
                    if text.ends_with('\n') {
                        text.pop();
                    }
                }
                let node = Node {
                    line,
                    column,
                    value: Value::Scalar { text, plain },
                };
                self.complete(node, anchor);
            }
            Event::Alias(anchor) => {
                let node = self.anchors.get(&anchor).cloned().ok_or_else(|| Syntax {
                    line,
                    column,
                    message: "unknown anchor".to_string(),
                })?;
                self.copied += node.size();
                if self.copied > MAX_ALIAS_NODES {
                    return Err(Syntax {
                        line,
                        column,
                        message: "repetition limit exceeded".to_string(),
                    });
                }
                self.complete(node, 0);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                return Err(Syntax {
                    line,
                    column,
                    message: "recursion limit exceeded".to_string(),
                });
            }
            Event::SequenceStart(anchor, tag) => {
                let mut start = at(Value::Sequence(Vec::new()));
                if anchor == 0 && tag.is_none() && self.char_at(line, column) != Some('[') {
                    start.column = self.block_entry_before(line, column).unwrap_or(column);
                }
                self.stack.push(Open::Sequence(start, Vec::new(), anchor));
            }
            Event::MappingStart(anchor, _) => {
                let start = at(Value::Mapping(Vec::new()));
                self.stack
                    .push(Open::Mapping(start, Vec::new(), None, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let (node, anchor) = close(open);
                    self.complete(node, anchor);
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
        Ok(())
    }

    /// A finished node goes into the open collection, or becomes the root.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Sequence(_, items, _)) => items.push(node),
            Some(Open::Mapping(_, entries, key, _)) => match key.take() {
                Some(key) => entries.push((key, node)),
                None => *key = Some(node),
            },
            None => self.root = Some(node),
        }
    }

    /// Marks where parsing stopped and closes every open collection around it.
    fn cut(&mut self, failure: &Syntax) {
        let cut = || Node {
            line: failure.line,
            column: failure.column,
            value: Value::Cut,
        };
        match self.stack.last() {
            Some(Open::Mapping(_, _, None, _)) => {
                self.complete(cut(), 0);
                self.complete(cut(), 0);
            }
            Some(_) => self.complete(cut(), 0),
            None if self.root.is_none() => self.root = Some(cut()),
            None => {}
        }
        while let Some(open) = self.stack.pop() {
            let (node, _) = close(open);
            self.complete(node, 0);
        }
    }

    fn char_at(&self, line: usize, column: usize) -> Option<char> {
        let text = self.lines.get(line.checked_sub(1)?)?;
        text.chars().nth(column.checked_sub(1)?)
    }

    /// The column of the `- ` just before (line, column): libyaml marks a block sequence, and an
    /// error inside its entry, at the dash; saphyr-parser after it.
    fn block_entry_before(&self, line: usize, column: usize) -> Option<usize> {
        let dash = column.checked_sub(2)?;
        (self.char_at(line, dash) == Some('-') && self.char_at(line, dash + 1) == Some(' '))
            .then_some(dash)
    }

    /// libyaml puts an empty value just after the `:` or `-` it follows; saphyr-parser on it.
    fn after_indicator(&self, line: usize, column: usize) -> (usize, usize) {
        match self.char_at(line, column) {
            Some(':' | '-') => (line, column + 1),
            _ => (line, column),
        }
    }

    /// The `|` or `>` that opened the block scalar just read: the first after the previous event.
    fn block_indicator(&self) -> Option<(usize, usize)> {
        let (from_line, from_column) = self.last_end;
        for (index, text) in self
            .lines
            .iter()
            .enumerate()
            .skip(from_line.checked_sub(1)?)
        {
            let skip = if index + 1 == from_line {
                from_column
            } else {
                0
            };
            if let Some(found) = text.chars().skip(skip).position(|c| c == '|' || c == '>') {
                return Some((index + 1, skip + found + 1));
            }
        }
        None
    }
}

fn close(open: Open) -> (Node, usize) {
    match open {
        Open::Sequence(start, items, anchor) => (
            Node {
                value: Value::Sequence(items),
                ..start
            },
            anchor,
        ),
        Open::Mapping(start, entries, _, anchor) => (
            Node {
                value: Value::Mapping(entries),
                ..start
            },
            anchor,
        ),
    }
}

/// The lab's wording for a saphyr-parser error: libyaml's problem text (what serde_norway showed),
/// without saphyr-parser's "while <context>, " prefix.
fn problem(info: &str) -> String {
    let problem = match info.strip_prefix("while ") {
        Some(rest) => rest.split_once(", ").map_or(info, |(_, problem)| problem),
        None => info,
    };
    let libyaml = match problem {
        "simple key expected" | "simple key expect ':'" => "could not find expected ':'",
        "expected ',' or ']'" => "did not find expected ',' or ']'",
        "found unknown anchor" => "unknown anchor",
        "tab cannot be used as indentation"
        | "tabs disallowed in this context"
        | "tabs disallowed within this context (block indentation)" => {
            "found character that cannot start any token"
        }
        _ if problem.starts_with("unexpected character: ") => {
            "found character that cannot start any token"
        }
        _ => problem,
    };
    libyaml.to_string()
}

/// The YAML 1.2 core schema's reading of a plain scalar, as serde_norway resolves it.
#[derive(Debug, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    /// An integer that fits u64 or, if negative, i64.
    Unsigned(u64),
    Signed(i64),
    /// An integer beyond 64 bits, as its decimal text.
    Wide(String, &'static str),
    Float(f64),
    Str,
}

/// What a plain scalar means: null, a boolean, an integer (decimal, `0x`, `0o`, `0b`, with an
/// optional sign), a float (`1.5`, `1e3`, `.inf`, `.nan`) or otherwise a string. Like
/// serde_norway, `yes`/`no` and `1_000` are strings and a leading zero (`010`) makes a string.
pub(crate) fn resolve(text: &str) -> Resolved {
    if text.is_empty() || is_null_word(text) {
        return Resolved::Null;
    }
    if let Some(value) = parse_bool(text) {
        return Resolved::Bool(value);
    }
    if let Some(value) = parse_unsigned(text, u64::from_str_radix) {
        return Resolved::Unsigned(value);
    }
    if let Some(value) = parse_negative(text, i64::from_str_radix) {
        return Resolved::Signed(value);
    }
    if let Some(value) = parse_unsigned(text, u128::from_str_radix) {
        return Resolved::Wide(value.to_string(), "u128");
    }
    if let Some(value) = parse_negative(text, i128::from_str_radix) {
        return Resolved::Wide(value.to_string(), "i128");
    }
    if !leading_zero_digits(text) {
        if let Some(value) = parse_f64(text) {
            return Resolved::Float(value);
        }
    }
    Resolved::Str
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// `0x`, `0o` and `0b` prefixes after an optional sign (the sign applied to the digits).
fn prefixed<T>(sign: &str, digits: &str, from_str_radix: Radix<T>) -> Option<T> {
    [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| {
            let rest = digits.strip_prefix(prefix)?;
            if rest.starts_with(['+', '-']) {
                return None;
            }
            from_str_radix(&format!("{sign}{rest}"), radix).ok()
        })
}

fn parse_unsigned<T>(text: &str, from_str_radix: Radix<T>) -> Option<T> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Some(value) = prefixed("", unsigned, from_str_radix) {
        return Some(value);
    }
    if unsigned.starts_with(['+', '-']) || leading_zero_digits(text) {
        return None;
    }
    from_str_radix(unsigned, 10).ok()
}

fn parse_negative<T>(text: &str, from_str_radix: Radix<T>) -> Option<T> {
    if let Some(value) = text
        .strip_prefix('-')
        .and_then(|digits| prefixed("-", digits, from_str_radix))
    {
        return Some(value);
    }
    if leading_zero_digits(text) {
        return None;
    }
    from_str_radix(text, 10).ok()
}

/// An i64 as serde_norway reads one into an integer field.
pub(crate) fn parse_i64(text: &str) -> Option<i64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if let Some(value) = prefixed("", unsigned, i64::from_str_radix) {
        return Some(value);
    }
    if let Some(value) = text
        .strip_prefix('-')
        .and_then(|digits| prefixed("-", digits, i64::from_str_radix))
    {
        return Some(value);
    }
    if leading_zero_digits(text) {
        return None;
    }
    unsigned.parse::<i64>().ok()
}

/// A float: Rust's syntax plus `.inf`, `-.inf` and `.nan` in YAML's three spellings.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if let ".inf" | ".Inf" | ".INF" = unsigned {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = text {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = text {
        return Some(f64::NAN);
    }
    unsigned
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
}

/// Digits with a leading zero (`010`): a string in YAML 1.2, not an octal number.
fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let document = parse(text);
        assert!(document.syntax.is_none(), "{:?}", document.syntax);
        document.root
    }

    fn entries(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Mapping(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    fn scalar(node: &Node) -> (&str, bool) {
        match &node.value {
            Value::Scalar { text, plain } => (text, *plain),
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn nodes_keep_their_lines_and_columns() {
        let doc = root("a: 1\nb:\n  - x\n  - {c: \"2\"}\n");
        let top = entries(&doc);
        assert_eq!((top[0].1.line, top[0].1.column), (1, 4));
        let Value::Sequence(items) = &top[1].1.value else {
            panic!("not a sequence")
        };
        assert_eq!((items[0].line, items[0].column), (3, 5));
        assert_eq!((items[1].line, items[1].column), (4, 5));
        assert_eq!(scalar(&entries(&items[1])[0].1), ("2", false));
    }

    #[test]
    fn an_empty_value_sits_after_its_colon_and_a_block_scalar_at_its_indicator() {
        let doc = root("a:\nb: |\n  text\n");
        let top = entries(&doc);
        assert_eq!((top[0].1.line, top[0].1.column), (1, 3));
        assert!(top[0].1.is_null());
        assert_eq!((top[1].1.line, top[1].1.column), (2, 4));
        assert_eq!(scalar(&top[1].1), ("text\n", false));
    }

    #[test]
    fn an_alias_is_a_copy_of_its_anchored_node() {
        let doc = root("a: &x {b: 1}\nc: *x\n");
        let top = entries(&doc);
        let copy = entries(&top[1].1);
        assert_eq!(scalar(&copy[0].1), ("1", true));
        assert_eq!((top[1].1.line, top[1].1.column), (1, 4));
    }

    #[test]
    fn a_syntax_error_keeps_what_came_before_and_marks_the_cut() {
        let document = parse("a: 1\nb: @x\n");
        let syntax = document.syntax.expect("a syntax error");
        assert_eq!((syntax.line, syntax.column), (2, 4));
        let top = entries(&document.root);
        assert_eq!(scalar(&top[0].1), ("1", true));
        assert!(matches!(top[1].1.value, Value::Cut));
    }

    #[test]
    fn the_context_of_a_parser_error_is_left_out() {
        let document = parse("a: [1, 2\n");
        let syntax = document.syntax.expect("a syntax error");
        assert_eq!(syntax.message, "did not find expected ',' or ']'");
    }

    #[test]
    fn a_second_document_is_noticed() {
        assert!(parse("a: 1\n...\nb: 2\n").more_documents);
        assert!(!parse("a: 1\n").more_documents);
    }

    #[test]
    fn aliases_cannot_multiply_without_bound() {
        let mut text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for level in 1..8 {
            let refs = vec![format!("*a{}", level - 1); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        let syntax = parse(&text).syntax.expect("refused");
        assert_eq!(syntax.message, "repetition limit exceeded");
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        assert_eq!(resolve(""), Resolved::Null);
        assert_eq!(resolve("~"), Resolved::Null);
        assert_eq!(resolve("True"), Resolved::Bool(true));
        assert_eq!(resolve("yes"), Resolved::Str);
        assert_eq!(resolve("+1"), Resolved::Unsigned(1));
        assert_eq!(resolve("0x1f"), Resolved::Unsigned(31));
        assert_eq!(resolve("0o17"), Resolved::Unsigned(15));
        assert_eq!(resolve("-0x10"), Resolved::Signed(-16));
        assert_eq!(resolve("-7"), Resolved::Signed(-7));
        assert_eq!(resolve("1_000"), Resolved::Str);
        assert_eq!(resolve("010"), Resolved::Str);
        assert_eq!(resolve("1.5"), Resolved::Float(1.5));
        assert_eq!(resolve("-.inf"), Resolved::Float(f64::NEG_INFINITY));
        assert!(matches!(resolve(".nan"), Resolved::Float(v) if v.is_nan()));
        assert_eq!(resolve("inf"), Resolved::Str);
        assert_eq!(
            resolve("18446744073709551616"),
            Resolved::Wide("18446744073709551616".into(), "u128")
        );
        assert_eq!(parse_i64("+0x10"), Some(16));
        assert_eq!(parse_i64("++1"), None);
        assert_eq!(parse_i64("9223372036854775808"), None);
        assert_eq!(parse_f64("10"), Some(10.0));
        assert_eq!(parse_f64("0x10"), None);
    }
}
