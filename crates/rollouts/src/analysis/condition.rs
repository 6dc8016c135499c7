//! Success and failure conditions: the subset of expr-lang (the expression language Argo Rollouts
//! evaluates `successCondition`/`failureCondition` with) that makes sense over a Prometheus result.
//!
//! A condition is parsed once, when a spec is read ([`parse_condition`]), so a typo is reported
//! with its position and a hint before any measurement is taken. The grammar follows expr-lang's
//! operator precedence: `or`/`||` < `and`/`&&` < comparisons and `in` < `+ -` < `* / %` < unary
//! `not`/`!`/`-` < `**`/`^` (right-associative), then indexing `x[i]`, calls and parentheses.
//! Names are checked against the environment Argo gives a condition (`result` and the functions
//! `len`, `all`, `any`, `isNaN`, `isInf`, `isNil`, `default`, `asInt`, `asFloat`), so an unknown name
//! is a parse error as it is a compile error in Argo.

use std::fmt;

/// A parsed condition, ready to be evaluated against measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) root: Expr,
}

/// Why a condition does not parse: where (a byte offset into the text), what, and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionError {
    pub position: usize,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at column {}: {} (hint: {})",
            self.position + 1,
            self.message,
            self.hint
        )
    }
}

/// A node of a condition's syntax tree.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Number(f64),
    Bool(bool),
    Text(String),
    Nil,
    /// The provider's value, `result`.
    Result,
    /// `#`, the element a predicate of `all`/`any` is looking at.
    Element,
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
    /// `{ ... }`, only as the second argument of `all`/`any`.
    Predicate(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp {
    Not,
    Negate,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Power,
}

/// The functions Argo puts in a condition's environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Function {
    Len,
    All,
    Any,
    IsNaN,
    IsInf,
    IsNil,
    Default,
    AsInt,
    AsFloat,
}

impl Function {
    fn named(name: &str) -> Option<Function> {
        Some(match name {
            "len" => Function::Len,
            "all" => Function::All,
            "any" => Function::Any,
            "isNaN" => Function::IsNaN,
            "isInf" => Function::IsInf,
            "isNil" => Function::IsNil,
            "default" => Function::Default,
            "asInt" => Function::AsInt,
            "asFloat" => Function::AsFloat,
            _ => return None,
        })
    }

    fn arity(self) -> usize {
        match self {
            Function::All | Function::Any | Function::Default => 2,
            _ => 1,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::Len => "len",
            Function::All => "all",
            Function::Any => "any",
            Function::IsNaN => "isNaN",
            Function::IsInf => "isInf",
            Function::IsNil => "isNil",
            Function::Default => "default",
            Function::AsInt => "asInt",
            Function::AsFloat => "asFloat",
        }
    }
}

impl BinaryOp {
    /// expr-lang's precedence and associativity (true: right-associative).
    fn precedence(self) -> (u8, bool) {
        match self {
            BinaryOp::Or => (10, false),
            BinaryOp::And => (15, false),
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual
            | BinaryOp::In => (20, false),
            BinaryOp::Add | BinaryOp::Subtract => (30, false),
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => (60, false),
            BinaryOp::Power => (100, true),
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Power => "**",
        }
    }
}

/// Unary `not`/`!` bind tighter than every binary operator below `*`; unary `-` tighter than `*`.
const NOT_PRECEDENCE: u8 = 50;
const NEGATE_PRECEDENCE: u8 = 90;

/// How deeply a condition may nest (parentheses, operators, calls): enough for any real condition,
/// and a bound on the parser's recursion for text read from a user's spec.
const MAX_NESTING: usize = 64;

/// The longest condition accepted, which also bounds the evaluator's recursion over a long chain
/// such as `a + b + c + ...`.
const MAX_LENGTH: usize = 2000;

const KNOWN_NAMES_HINT: &str =
    "a condition may use `result` and the functions len, all, any, isNaN, isInf, isNil, default, asInt, asFloat";

/// Parses a success or failure condition.
pub fn parse_condition(text: &str) -> Result<Condition, ConditionError> {
    if text.len() > MAX_LENGTH {
        return Err(error_at(
            MAX_LENGTH,
            format!("the condition is longer than {MAX_LENGTH} characters"),
            "a condition compares a few values; move long logic into the query",
        ));
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        text_len: text.len(),
        in_predicate: false,
        depth: 0,
    };
    let root = parser.expression(0)?;
    match parser.peek() {
        None => Ok(Condition { root }),
        Some(token) => Err(error_at(
            token.position,
            format!(
                "unexpected {} after a complete expression",
                token.kind.describe()
            ),
            "join conditions with && or ||",
        )),
    }
}

fn error_at(position: usize, message: String, hint: &str) -> ConditionError {
    ConditionError {
        position,
        message,
        hint: hint.to_string(),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Number(f64),
    Text(String),
    Name(String),
    Symbol(&'static str),
}

impl TokenKind {
    fn describe(&self) -> String {
        match self {
            TokenKind::Number(n) => format!("number {n}"),
            TokenKind::Text(t) => format!("string '{t}'"),
            TokenKind::Name(n) => format!("name `{n}`"),
            TokenKind::Symbol(s) => format!("`{s}`"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: TokenKind,
    position: usize,
}

/// Symbols, longest first so `**` is not read as two `*`.
const SYMBOLS: [&str; 24] = [
    "**", "==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ",", "#", "+", "-",
    "*", "/", "%", "^", "<", ">", "!",
];

fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let c = bytes[at];
        if c.is_ascii_whitespace() {
            at += 1;
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit))
        {
            let (number, end) = read_number(text, at)?;
            tokens.push(Token {
                kind: TokenKind::Number(number),
                position: at,
            });
            at = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = at
                + bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
            tokens.push(Token {
                kind: TokenKind::Name(text[at..end].to_string()),
                position: at,
            });
            at = end;
        } else if c == b'\'' || c == b'"' {
            let (string, end) = read_string(text, at, c)?;
            tokens.push(Token {
                kind: TokenKind::Text(string),
                position: at,
            });
            at = end;
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| text[at..].starts_with(**s)) {
            tokens.push(Token {
                kind: TokenKind::Symbol(symbol),
                position: at,
            });
            at += symbol.len();
        } else if c == b'.' {
            return Err(error_at(
                at,
                "member access (`.name`) is not supported".to_string(),
                "a Prometheus result is a list of numbers: use result[0] or len(result)",
            ));
        } else {
            let shown = text[at..].chars().next().unwrap_or('?');
            return Err(error_at(
                at,
                format!("unexpected character '{shown}'"),
                "operators are + - * / % ** == != < <= > >= && || ! and or not in",
            ));
        }
    }
    Ok(tokens)
}

fn read_number(text: &str, start: usize) -> Result<(f64, usize), ConditionError> {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len()
        && (bytes[end].is_ascii_digit() || bytes[end] == b'.' || bytes[end] == b'_')
    {
        end += 1;
    }
    if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        end += 1;
        if end < bytes.len() && (bytes[end] == b'+' || bytes[end] == b'-') {
            end += 1;
        }
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    let digits: String = text[start..end].chars().filter(|c| *c != '_').collect();
    match digits.parse::<f64>() {
        Ok(number) => Ok((number, end)),
        Err(_) => Err(error_at(
            start,
            format!("'{}' is not a number", &text[start..end]),
            "write numbers like 0.95, 500 or 1e-3",
        )),
    }
}

fn read_string(text: &str, start: usize, quote: u8) -> Result<(String, usize), ConditionError> {
    match text[start + 1..].find(quote as char) {
        Some(length) => Ok((
            text[start + 1..start + 1 + length].to_string(),
            start + 2 + length,
        )),
        None => Err(error_at(
            start,
            "string is never closed".to_string(),
            "close the string with the quote that opened it",
        )),
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    text_len: usize,
    in_predicate: bool,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Symbol(s), .. }) if *s == symbol)
    }

    fn end_position(&self) -> usize {
        self.peek().map_or(self.text_len, |t| t.position)
    }

    fn expect_symbol(&mut self, symbol: &str, hint: &str) -> Result<(), ConditionError> {
        if self.peek_symbol(symbol) {
            self.next += 1;
            return Ok(());
        }
        let found = self
            .peek()
            .map_or("the end of the condition".to_string(), |t| {
                t.kind.describe()
            });
        Err(error_at(
            self.end_position(),
            format!("expected `{symbol}` but found {found}"),
            hint,
        ))
    }

    /// Precedence climbing: parses operands joined by operators at least `min_precedence` tight.
    fn expression(&mut self, min_precedence: u8) -> Result<Expr, ConditionError> {
        if self.depth >= MAX_NESTING {
            return Err(error_at(
                self.end_position(),
                format!("the condition nests more than {MAX_NESTING} levels deep"),
                "split the condition or remove redundant parentheses",
            ));
        }
        self.depth += 1;
        let parsed = self.operands(min_precedence);
        self.depth -= 1;
        parsed
    }

    fn operands(&mut self, min_precedence: u8) -> Result<Expr, ConditionError> {
        let mut left = self.unary()?;
        while let Some(op) = self.peek().and_then(|t| binary_operator(&t.kind)) {
            let (precedence, right_associative) = op.precedence();
            if precedence < min_precedence {
                break;
            }
            self.next += 1;
            let next_min = if right_associative {
                precedence
            } else {
                precedence + 1
            };
            let right = self.expression(next_min)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        let token = self.peek().cloned();
        let op = match token.as_ref().map(|t| &t.kind) {
            Some(TokenKind::Symbol("!")) => Some((UnaryOp::Not, NOT_PRECEDENCE)),
            Some(TokenKind::Name(name)) if name == "not" => Some((UnaryOp::Not, NOT_PRECEDENCE)),
            Some(TokenKind::Symbol("-")) => Some((UnaryOp::Negate, NEGATE_PRECEDENCE)),
            Some(TokenKind::Symbol("+")) => {
                self.next += 1;
                return self.expression(NEGATE_PRECEDENCE);
            }
            _ => None,
        };
        match op {
            Some((op, precedence)) => {
                self.next += 1;
                let operand = self.expression(precedence)?;
                Ok(Expr::Unary(op, Box::new(operand)))
            }
            None => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Expr, ConditionError> {
        let mut expr = self.primary()?;
        while self.peek_symbol("[") {
            self.next += 1;
            let index = self.expression(0)?;
            self.expect_symbol("]", "close the index, as in result[0]")?;
            expr = Expr::Index(Box::new(expr), Box::new(index));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        let Some(token) = self.peek().cloned() else {
            return Err(error_at(
                self.text_len,
                "the condition ends where a value was expected".to_string(),
                "complete the expression, e.g. result[0] >= 0.95",
            ));
        };
        self.next += 1;
        match token.kind {
            TokenKind::Number(n) => Ok(Expr::Number(n)),
            TokenKind::Text(t) => Ok(Expr::Text(t)),
            TokenKind::Symbol("(") => {
                let inner = self.expression(0)?;
                self.expect_symbol(")", "every ( needs a matching )")?;
                Ok(inner)
            }
            TokenKind::Symbol("#") if self.in_predicate => Ok(Expr::Element),
            TokenKind::Symbol("#") => Err(error_at(
                token.position,
                "`#` outside a predicate".to_string(),
                "`#` names the element inside all(result, {# > 0}) or any(...)",
            )),
            TokenKind::Name(name) => self.named(&name, token.position),
            other => Err(error_at(
                token.position,
                format!("unexpected {} where a value was expected", other.describe()),
                "a value is a number, `result`, a function call or a parenthesised expression",
            )),
        }
    }

    fn named(&mut self, name: &str, position: usize) -> Result<Expr, ConditionError> {
        match name {
            "result" => return Ok(Expr::Result),
            "true" => return Ok(Expr::Bool(true)),
            "false" => return Ok(Expr::Bool(false)),
            "nil" => return Ok(Expr::Nil),
            _ => {}
        }
        match Function::named(name) {
            Some(function) => self.call(function, position),
            None => Err(error_at(
                position,
                format!("unknown name {name}"),
                KNOWN_NAMES_HINT,
            )),
        }
    }

    fn call(&mut self, function: Function, position: usize) -> Result<Expr, ConditionError> {
        self.expect_symbol("(", "call a function with parentheses, e.g. len(result)")?;
        let mut arguments = Vec::new();
        while !self.peek_symbol(")") {
            if !arguments.is_empty() {
                self.expect_symbol(",", "separate arguments with commas")?;
            }
            let takes_predicate =
                matches!(function, Function::All | Function::Any) && arguments.len() == 1;
            arguments.push(if takes_predicate {
                self.predicate()?
            } else {
                self.expression(0)?
            });
        }
        self.next += 1;
        if arguments.len() != function.arity() {
            return Err(error_at(
                position,
                format!(
                    "{}() takes {} argument(s), got {}",
                    function.name(),
                    function.arity(),
                    arguments.len()
                ),
                "e.g. len(result), isNaN(result[0]), default(result, 0), all(result, {# > 0.9})",
            ));
        }
        Ok(Expr::Call(function, arguments))
    }

    fn predicate(&mut self) -> Result<Expr, ConditionError> {
        self.expect_symbol(
            "{",
            "the second argument is a predicate in braces, e.g. {# > 0.9}",
        )?;
        let outer = self.in_predicate;
        self.in_predicate = true;
        let body = self.expression(0);
        self.in_predicate = outer;
        let body = body?;
        self.expect_symbol("}", "close the predicate with }")?;
        Ok(Expr::Predicate(Box::new(body)))
    }
}

fn binary_operator(kind: &TokenKind) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::Symbol("||") => BinaryOp::Or,
        TokenKind::Name(n) if n == "or" => BinaryOp::Or,
        TokenKind::Symbol("&&") => BinaryOp::And,
        TokenKind::Name(n) if n == "and" => BinaryOp::And,
        TokenKind::Symbol("==") => BinaryOp::Equal,
        TokenKind::Symbol("!=") => BinaryOp::NotEqual,
        TokenKind::Symbol("<") => BinaryOp::Less,
        TokenKind::Symbol("<=") => BinaryOp::LessOrEqual,
        TokenKind::Symbol(">") => BinaryOp::Greater,
        TokenKind::Symbol(">=") => BinaryOp::GreaterOrEqual,
        TokenKind::Name(n) if n == "in" => BinaryOp::In,
        TokenKind::Symbol("+") => BinaryOp::Add,
        TokenKind::Symbol("-") => BinaryOp::Subtract,
        TokenKind::Symbol("*") => BinaryOp::Multiply,
        TokenKind::Symbol("/") => BinaryOp::Divide,
        TokenKind::Symbol("%") => BinaryOp::Modulo,
        TokenKind::Symbol("**") | TokenKind::Symbol("^") => BinaryOp::Power,
        _ => return None,
    })
}
