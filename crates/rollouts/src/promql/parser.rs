//! PromQL text to an expression tree, for the subset the lab evaluates.
//!
//! The grammar follows Prometheus's: binary operators by precedence (comparisons below `+ -`,
//! below `* / %`, below unary minus), each binary operator optionally followed by `bool` and
//! `on (...)`/`ignoring (...)`; aggregations with `by`/`without` before or after their argument;
//! function calls; selectors `name{label op "value", ...}` with an optional range `[5m]`.
//! Anything else (offset, `@`, subqueries, `group_left`, other functions) is an error at its
//! character position naming what is supported.

use super::regex::Regex;
use super::PromqlError;
use crate::value::DurationMs;

/// How a label matcher compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    RegexMatch,
    RegexNoMatch,
}

/// One `label op "value"` of a selector.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<Regex>,
}

impl Matcher {
    /// Whether a label value (empty when the label is absent) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::RegexMatch, Some(regex)) => regex.is_match(value),
            (MatchOp::RegexNoMatch, Some(regex)) => !regex.is_match(value),
            (_, None) => false,
        }
    }
}

/// A selector: the series whose labels satisfy every matcher (the metric name is a `__name__`
/// matcher).
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
    pub position: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
}

/// `by (labels)` keeps only these labels; `without (labels)` drops them (and the name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grouping {
    By(Vec<String>),
    Without(Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Rate,
    Irate,
    Increase,
    HistogramQuantile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl BinaryOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Gt | BinaryOp::Lt | BinaryOp::Ge | BinaryOp::Le
        )
    }

    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 3,
            BinaryOp::Add | BinaryOp::Sub => 2,
            _ => 1,
        }
    }
}

/// `on (labels)` matches on these labels only; `ignoring (labels)` on all but these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VectorMatching {
    On(Vec<String>),
    Ignoring(Vec<String>),
}

/// A parsed expression; `position` fields are character offsets for error messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Instant(Selector),
    Range {
        selector: Selector,
        range: DurationMs,
        position: usize,
    },
    Call {
        function: Function,
        args: Vec<Expr>,
        position: usize,
    },
    Aggregate {
        op: AggregateOp,
        grouping: Option<Grouping>,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        return_bool: bool,
        matching: Option<VectorMatching>,
        position: usize,
    },
    Negate(Box<Expr>),
}

const SUPPORTED: &str = "the lab's PromQL supports selectors with =, !=, =~, !~ and a [range], rate, irate, increase, histogram_quantile, sum/avg/min/max/count with by/without, + - * / %, comparisons (with bool), on/ignoring, numbers and parentheses";

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Number(f64),
    Str(String),
    Duration(DurationMs),
    NotANumber(String),
    Punct(&'static str),
}

/// Parses a whole query.
pub fn parse(text: &str) -> Result<Expr, PromqlError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        index: 0,
        end: text.chars().count(),
        depth: 0,
    };
    let expr = parser.expression(0)?;
    if let Some((_, position)) = parser.tokens.get(parser.index) {
        return Err(PromqlError::at(
            *position,
            "unexpected text after the end of the expression",
        ));
    }
    Ok(expr)
}

const PUNCTUATION: [&str; 19] = [
    "==", "!=", "=~", "!~", ">=", "<=", "(", ")", "{", "}", ",", "=", "+", "-", "*", "/", "%", ">",
    "<",
];

fn lex(text: &str) -> Result<Vec<(Token, usize)>, PromqlError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        let start = pos;
        if c.is_whitespace() {
            pos += 1;
            continue;
        }
        if c == '#' {
            while pos < chars.len() && chars[pos] != '\n' {
                pos += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            while pos < chars.len()
                && (chars[pos].is_ascii_alphanumeric() || chars[pos] == '_' || chars[pos] == ':')
            {
                pos += 1;
            }
            let word: String = chars[start..pos].iter().collect();
            let token = match word.to_ascii_lowercase().as_str() {
                "inf" => Token::Number(f64::INFINITY),
                "nan" => Token::Number(f64::NAN),
                _ => Token::Ident(word),
            };
            tokens.push((token, start));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(pos + 1).is_some_and(char::is_ascii_digit))
        {
            while pos < chars.len() && (chars[pos].is_ascii_alphanumeric() || chars[pos] == '.') {
                // An exponent's sign belongs to the number: 1e-3.
                let exponent = matches!(chars[pos], 'e' | 'E')
                    && matches!(chars.get(pos + 1), Some('+' | '-'))
                    && chars[start..pos]
                        .iter()
                        .all(|d| d.is_ascii_digit() || *d == '.');
                pos += if exponent { 2 } else { 1 };
            }
            let word: String = chars[start..pos].iter().collect();
            // A word that is not a number (a stray duration such as "1m") is reported where the
            // parser meets it, so that an earlier unsupported construct is named first.
            let token = word
                .parse::<f64>()
                .map_or(Token::NotANumber(word), Token::Number);
            tokens.push((token, start));
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            let (value, next) = lex_string(&chars, pos)?;
            tokens.push((Token::Str(value), start));
            pos = next;
            continue;
        }
        if c == '[' {
            let close = chars[pos..]
                .iter()
                .position(|&x| x == ']')
                .ok_or_else(|| PromqlError::at(start, "missing ']' after a range"))?;
            let inner: String = chars[pos + 1..pos + close].iter().collect();
            if inner.contains(':') {
                return Err(PromqlError::at(
                    start,
                    &format!("subqueries are not supported: {SUPPORTED}"),
                ));
            }
            let range = parse_duration(inner.trim()).map_err(|e| PromqlError::at(start + 1, &e))?;
            tokens.push((Token::Duration(range), start));
            pos += close + 1;
            continue;
        }
        let Some(punct) = PUNCTUATION.iter().find(|p| {
            p.chars()
                .enumerate()
                .all(|(i, pc)| chars.get(pos + i) == Some(&pc))
        }) else {
            return Err(PromqlError::at(
                start,
                &format!("unexpected character '{c}': {SUPPORTED}"),
            ));
        };
        tokens.push((Token::Punct(punct), start));
        pos += punct.chars().count();
    }
    Ok(tokens)
}

/// A quoted string starting at `start`; returns its value and the position after the quote.
fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), PromqlError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut pos = start + 1;
    while let Some(&c) = chars.get(pos) {
        pos += 1;
        if c == quote {
            return Ok((value, pos));
        }
        if c == '\\' && quote != '`' {
            let escaped = *chars
                .get(pos)
                .ok_or_else(|| PromqlError::at(pos, "a string ends in '\\'"))?;
            pos += 1;
            value.push(match escaped {
                'n' => '\n',
                't' => '\t',
                other => other,
            });
        } else {
            value.push(c);
        }
    }
    Err(PromqlError::at(start, "a string is not closed"))
}

/// A Prometheus duration: units ms, s, m, h, d, w, y, largest first ("1m30s").
pub fn parse_duration(text: &str) -> Result<DurationMs, String> {
    const UNITS: [(&str, u64); 7] = [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
        ("w", 604_800_000),
        ("y", 31_536_000_000),
    ];
    let bad = || format!("'{text}' is not a duration: write e.g. 30s, 5m, 1h or 1m30s");
    let mut rest = text;
    let mut total = 0u64;
    let mut last_unit = u64::MAX;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, ms) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .max_by_key(|(u, _)| u.len())
            .ok_or_else(bad)?;
        if *ms >= last_unit {
            return Err(bad());
        }
        last_unit = *ms;
        total = number
            .checked_mul(*ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = &rest[unit.len()..];
    }
    if total == 0 {
        return Err(format!("a range of '{text}' is empty: it must be positive"));
    }
    Ok(DurationMs(total))
}

/// How deeply expressions may nest (parentheses, unary minus, function arguments): far beyond
/// any real query, and well within the browser's stack.
const MAX_NESTING: usize = 100;

struct Parser {
    tokens: Vec<(Token, usize)>,
    index: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index).map(|(t, _)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.index).map_or(self.end, |(_, p)| *p)
    }

    fn peek_punct(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Token::Punct(p)) if *p == punct)
    }

    fn peek_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, punct: &str) -> Result<(), PromqlError> {
        if self.peek_punct(punct) {
            self.index += 1;
            Ok(())
        } else {
            Err(PromqlError::at(
                self.position(),
                &format!("expected '{punct}'"),
            ))
        }
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        let Some(Token::Punct(p)) = self.peek() else {
            return None;
        };
        Some(match *p {
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "%" => BinaryOp::Mod,
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            ">" => BinaryOp::Gt,
            "<" => BinaryOp::Lt,
            ">=" => BinaryOp::Ge,
            "<=" => BinaryOp::Le,
            _ => return None,
        })
    }

    /// Precedence climbing: operators of the same level associate to the left.
    fn expression(&mut self, min_precedence: u8) -> Result<Expr, PromqlError> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.binary_op() {
            if op.precedence() < min_precedence.max(1) {
                break;
            }
            let position = self.position();
            self.index += 1;
            let return_bool = self.peek_keyword("bool");
            if return_bool {
                if !op.is_comparison() {
                    return Err(PromqlError::at(
                        self.position(),
                        "bool is only allowed after a comparison",
                    ));
                }
                self.index += 1;
            }
            let matching = self.vector_matching()?;
            let rhs = self.expression(op.precedence() + 1)?;
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                return_bool,
                matching,
                position,
            };
        }
        Ok(lhs)
    }

    fn vector_matching(&mut self) -> Result<Option<VectorMatching>, PromqlError> {
        let matching = if self.peek_keyword("on") {
            self.index += 1;
            Some(VectorMatching::On(self.label_list()?))
        } else if self.peek_keyword("ignoring") {
            self.index += 1;
            Some(VectorMatching::Ignoring(self.label_list()?))
        } else {
            None
        };
        if self.peek_keyword("group_left") || self.peek_keyword("group_right") {
            return Err(PromqlError::at(
                self.position(),
                "many-to-one matching (group_left/group_right) is not supported: only one-to-one matching",
            ));
        }
        Ok(matching)
    }

    fn unary(&mut self) -> Result<Expr, PromqlError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(PromqlError::at(
                self.position(),
                &format!("the expression nests more than {MAX_NESTING} levels deep"),
            ));
        }
        let expr = self.unary_at_this_depth();
        self.depth -= 1;
        expr
    }

    fn unary_at_this_depth(&mut self) -> Result<Expr, PromqlError> {
        if self.peek_punct("-") {
            self.index += 1;
            let inner = self.unary()?;
            return Ok(match inner {
                Expr::Number(n) => Expr::Number(-n),
                other => Expr::Negate(Box::new(other)),
            });
        }
        if self.peek_punct("+") {
            self.index += 1;
            return self.unary();
        }
        let expr = self.primary()?;
        if self.peek_keyword("offset") || self.peek_punct("@") {
            return Err(PromqlError::at(
                self.position(),
                &format!("offset and @ are not supported: {SUPPORTED}"),
            ));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, PromqlError> {
        let position = self.position();
        let Some(token) = self.peek().cloned() else {
            return Err(PromqlError::at(position, "the expression ends too early"));
        };
        match token {
            Token::Number(n) => {
                self.index += 1;
                Ok(Expr::Number(n))
            }
            Token::Punct("(") => {
                self.index += 1;
                let inner = self.expression(0)?;
                self.expect(")")?;
                if let Some(Token::Duration(_)) = self.peek() {
                    return Err(PromqlError::at(
                        self.position(),
                        "a range applies to a selector only",
                    ));
                }
                Ok(inner)
            }
            Token::Punct("{") => self.selector(None, position),
            Token::Ident(word) => {
                self.index += 1;
                self.after_identifier(word, position)
            }
            Token::NotANumber(word) => Err(PromqlError::at(
                position,
                &format!("{word} is not a number"),
            )),
            Token::Str(_) => Err(PromqlError::at(
                position,
                "a string is only allowed as a label value",
            )),
            Token::Duration(_) => Err(PromqlError::at(position, "a range must follow a selector")),
            Token::Punct(p) => Err(PromqlError::at(position, &format!("unexpected '{p}'"))),
        }
    }

    fn after_identifier(&mut self, word: String, position: usize) -> Result<Expr, PromqlError> {
        if let Some(op) = aggregate_op(&word) {
            if self.peek_punct("(") || self.peek_keyword("by") || self.peek_keyword("without") {
                return self.aggregation(op);
            }
        }
        if self.peek_punct("(") {
            let Some(function) = function(&word) else {
                return Err(PromqlError::at(
                    position,
                    &format!("the function {word} is not supported: {SUPPORTED}"),
                ));
            };
            self.index += 1;
            let mut args = Vec::new();
            if !self.peek_punct(")") {
                args.push(self.expression(0)?);
                while self.peek_punct(",") {
                    self.index += 1;
                    args.push(self.expression(0)?);
                }
            }
            self.expect(")")?;
            return Ok(Expr::Call {
                function,
                args,
                position,
            });
        }
        if ["and", "or", "unless"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k))
        {
            return Err(PromqlError::at(
                position,
                &format!("the set operator {word} is not supported: {SUPPORTED}"),
            ));
        }
        self.selector(Some(word), position)
    }

    fn aggregation(&mut self, op: AggregateOp) -> Result<Expr, PromqlError> {
        let mut grouping = self.grouping()?;
        self.expect("(")?;
        let expr = self.expression(0)?;
        if self.peek_punct(",") {
            return Err(PromqlError::at(
                self.position(),
                "this aggregation takes one argument",
            ));
        }
        self.expect(")")?;
        if grouping.is_none() {
            grouping = self.grouping()?;
        }
        Ok(Expr::Aggregate {
            op,
            grouping,
            expr: Box::new(expr),
        })
    }

    fn grouping(&mut self) -> Result<Option<Grouping>, PromqlError> {
        if self.peek_keyword("by") {
            self.index += 1;
            return Ok(Some(Grouping::By(self.label_list()?)));
        }
        if self.peek_keyword("without") {
            self.index += 1;
            return Ok(Some(Grouping::Without(self.label_list()?)));
        }
        Ok(None)
    }

    fn label_list(&mut self) -> Result<Vec<String>, PromqlError> {
        self.expect("(")?;
        let mut labels = Vec::new();
        while let Some(Token::Ident(name)) = self.peek().cloned() {
            labels.push(name);
            self.index += 1;
            if !self.peek_punct(",") {
                break;
            }
            self.index += 1;
        }
        self.expect(")")?;
        Ok(labels)
    }

    fn selector(&mut self, name: Option<String>, position: usize) -> Result<Expr, PromqlError> {
        let mut matchers = Vec::new();
        if let Some(name) = name {
            matchers.push(new_matcher(
                "__name__".to_string(),
                MatchOp::Equal,
                name,
                position,
            )?);
        }
        if self.peek_punct("{") {
            self.index += 1;
            while !self.peek_punct("}") {
                matchers.push(self.matcher()?);
                if !self.peek_punct(",") {
                    break;
                }
                self.index += 1;
            }
            self.expect("}")?;
        }
        if matchers.iter().all(|m| m.matches("")) {
            return Err(PromqlError::at(
                position,
                "a selector needs a metric name or a matcher that does not match the empty value",
            ));
        }
        let selector = Selector { matchers, position };
        if let Some(Token::Duration(range)) = self.peek().cloned() {
            let range_position = self.position();
            self.index += 1;
            return Ok(Expr::Range {
                selector,
                range,
                position: range_position,
            });
        }
        Ok(Expr::Instant(selector))
    }

    fn matcher(&mut self) -> Result<Matcher, PromqlError> {
        let position = self.position();
        let Some(Token::Ident(label)) = self.peek().cloned() else {
            return Err(PromqlError::at(position, "expected a label name"));
        };
        self.index += 1;
        let op_position = self.position();
        let op = match self.peek() {
            Some(Token::Punct("=")) => MatchOp::Equal,
            Some(Token::Punct("!=")) => MatchOp::NotEqual,
            Some(Token::Punct("=~")) => MatchOp::RegexMatch,
            Some(Token::Punct("!~")) => MatchOp::RegexNoMatch,
            _ => return Err(PromqlError::at(op_position, "expected =, !=, =~ or !~")),
        };
        self.index += 1;
        let value_position = self.position();
        let Some(Token::Str(value)) = self.peek().cloned() else {
            return Err(PromqlError::at(
                value_position,
                "expected a quoted label value",
            ));
        };
        self.index += 1;
        new_matcher(label, op, value, value_position)
    }
}

fn new_matcher(
    label: String,
    op: MatchOp,
    value: String,
    position: usize,
) -> Result<Matcher, PromqlError> {
    let regex = match op {
        MatchOp::RegexMatch | MatchOp::RegexNoMatch => {
            Some(Regex::parse(&value).map_err(|e| PromqlError::at(position, &e))?)
        }
        MatchOp::Equal | MatchOp::NotEqual => None,
    };
    Ok(Matcher {
        label,
        op,
        value,
        regex,
    })
}

fn aggregate_op(word: &str) -> Option<AggregateOp> {
    Some(match word {
        "sum" => AggregateOp::Sum,
        "avg" => AggregateOp::Avg,
        "min" => AggregateOp::Min,
        "max" => AggregateOp::Max,
        "count" => AggregateOp::Count,
        _ => return None,
    })
}

fn function(word: &str) -> Option<Function> {
    Some(match word {
        "rate" => Function::Rate,
        "irate" => Function::Irate,
        "increase" => Function::Increase,
        "histogram_quantile" => Function::HistogramQuantile,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_prometheus_writes_them() {
        assert_eq!(parse_duration("5m"), Ok(DurationMs(300_000)));
        assert_eq!(parse_duration("1m30s"), Ok(DurationMs(90_000)));
        assert_eq!(parse_duration("250ms"), Ok(DurationMs(250)));
        assert!(parse_duration("30s1m").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn precedence_and_grouping() {
        let e = parse("1 + 2 * 3 > bool 6").unwrap();
        let Expr::Binary {
            op, return_bool, ..
        } = e
        else {
            panic!("not a binary expression");
        };
        assert_eq!(op, BinaryOp::Gt);
        assert!(return_bool);
        let Expr::Binary { lhs, rhs, .. } = parse("1e-3 + 2.5E+2").unwrap() else {
            panic!("not a binary expression");
        };
        assert_eq!((*lhs, *rhs), (Expr::Number(0.001), Expr::Number(250.0)));
        assert!(matches!(
            parse("sum by (le) (rate(x[5m]))").unwrap(),
            Expr::Aggregate {
                grouping: Some(Grouping::By(_)),
                ..
            }
        ));
        assert!(matches!(
            parse("sum(rate(x[5m])) without (version)").unwrap(),
            Expr::Aggregate {
                grouping: Some(Grouping::Without(_)),
                ..
            }
        ));
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse("sum(rate(x[5m])) offset 1m").unwrap_err();
        assert_eq!(err.position, 17);
        assert_eq!(parse("topk(3, x)").unwrap_err().position, 0);
        assert_eq!(parse("x{a=\"1\"").unwrap_err().position, 7);
        assert_eq!(parse("x{a=~\"(\"}").unwrap_err().position, 5);
        assert!(parse("{a=\"\"}").is_err());
        assert!(parse("x[5m:1m]").is_err());
        assert!(parse("x / on(a) group_left y").is_err());
        let deep = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(parse(&deep).unwrap_err().message.contains("nests"));
        assert!(parse(&"-".repeat(5_000)).is_err());
        let fine = format!("{}1{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(parse(&fine), Ok(Expr::Number(1.0)));
    }
}
