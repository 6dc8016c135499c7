//! Expressions, by precedence climbing with PostgreSQL's operator precedence (the numbers of
//! sqlparser's generic dialect, so that both read `a OR b AND NOT c = d + e * f::INT` the same
//! way): `::` 50, `* / % ||` 40, `+ -` 30, comparisons, `[NOT] IN` and `BETWEEN` 20,
//! `LIKE` 19, `IS` 17, prefix `NOT` 15, `AND` 10, `OR` 5. Prefix `-` and `+` bind tighter than
//! `*`. Also the special forms (CAST, EXTRACT, SUBSTRING, TRIM, POSITION, CEIL, FLOOR,
//! INTERVAL, typed strings, CASE). Calls are read in `call.rs`, type names in `types.rs`.

use super::ast::*;
use super::lexer::{Token, TokenKind};
use super::parser::{is_reserved_in_expr, Parser};
use super::refuse;
use super::span::Span;
use crate::error::SqlError;

const PREC_OR: u8 = 5;
const PREC_AND: u8 = 10;
const PREC_NOT: u8 = 15;
const PREC_IS: u8 = 17;
const PREC_LIKE: u8 = 19;
const PREC_COMPARE: u8 = 20;
const PREC_PLUS: u8 = 30;
const PREC_TIMES: u8 = 40;
const PREC_CAST: u8 = 50;

/// Units an INTERVAL's text may be followed by (sqlparser's temporal units).
pub(super) const INTERVAL_UNITS: &[&str] = &[
    "YEAR",
    "YEARS",
    "MONTH",
    "MONTHS",
    "WEEK",
    "WEEKS",
    "DAY",
    "DAYS",
    "HOUR",
    "HOURS",
    "MINUTE",
    "MINUTES",
    "SECOND",
    "SECONDS",
    "CENTURY",
    "DECADE",
    "DOW",
    "DOY",
    "EPOCH",
    "ISODOW",
    "ISOYEAR",
    "JULIAN",
    "MICROSECOND",
    "MICROSECONDS",
    "MILLENIUM",
    "MILLENNIUM",
    "MILLISECOND",
    "MILLISECONDS",
    "NANOSECOND",
    "NANOSECONDS",
    "QUARTER",
    "TIMEZONE",
    "TIMEZONE_HOUR",
    "TIMEZONE_MINUTE",
];

/// Type names that may start a typed string (`DATE '2024-01-15'`).
const TYPED_STRING_TYPES: &[&str] = &[
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "DATETIME",
    "INT",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "DECIMAL",
    "NUMERIC",
    "VARCHAR",
    "CHAR",
    "TEXT",
    "BOOLEAN",
    "BOOL",
    "JSON",
    "UUID",
    "STRING",
];

/// Functions written without parentheses.
const NILADIC: &[&str] = &[
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "SESSION_USER",
    "CURRENT_CATALOG",
    "USER",
];

impl Parser {
    pub fn expr(&mut self) -> Result<Expr, SqlError> {
        self.subexpr(0)
    }

    /// `a, b, c`
    pub fn expr_list(&mut self) -> Result<Vec<Expr>, SqlError> {
        let mut out = vec![self.expr()?];
        while self.eat_symbol(",") {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    /// An expression whose operators all bind tighter than `precedence`.
    pub(super) fn subexpr(&mut self, precedence: u8) -> Result<Expr, SqlError> {
        let guard = self.enter()?;
        let mut expr = self.prefix()?;
        loop {
            let next = self.next_precedence();
            if precedence >= next {
                break;
            }
            expr = self.infix(expr, next)?;
            self.grow_chain()?;
        }
        self.leave(guard);
        Ok(expr)
    }

    fn next_precedence(&self) -> u8 {
        let t = self.peek();
        match t.kind {
            TokenKind::Word => {
                let w = t.text.to_ascii_uppercase();
                match w.as_str() {
                    "OR" => PREC_OR,
                    "AND" => PREC_AND,
                    "NOT" => {
                        let n = self.peek_nth(1);
                        if n.is_keyword("IN") || n.is_keyword("BETWEEN") {
                            PREC_COMPARE
                        } else if ["LIKE", "ILIKE", "SIMILAR", "RLIKE", "REGEXP", "GLOB"]
                            .iter()
                            .any(|k| n.is_keyword(k))
                        {
                            PREC_LIKE
                        } else {
                            0
                        }
                    }
                    "IS" => PREC_IS,
                    "IN" | "BETWEEN" => PREC_COMPARE,
                    "LIKE" | "ILIKE" | "SIMILAR" | "RLIKE" | "REGEXP" | "GLOB" => PREC_LIKE,
                    "AT" if self.peek_nth(1).is_keyword("TIME") => 41,
                    "COLLATE" => 42,
                    _ => 0,
                }
            }
            TokenKind::Symbol => match t.text.as_str() {
                "=" | "<" | "<=" | "<>" | "!=" | ">" | ">=" | "~" => PREC_COMPARE,
                "+" | "-" => PREC_PLUS,
                "*" | "/" | "%" | "||" => PREC_TIMES,
                "::" => PREC_CAST,
                "^" | "#" => 22,
                "&" => 23,
                "|" => 21,
                _ => 0,
            },
            _ => 0,
        }
    }

    fn infix(&mut self, left: Expr, precedence: u8) -> Result<Expr, SqlError> {
        let t = self.advance();
        if t.kind == TokenKind::Symbol {
            let op = match t.text.as_str() {
                "=" => BinaryOperator::Eq,
                "<" => BinaryOperator::Lt,
                "<=" => BinaryOperator::LtEq,
                "<>" | "!=" => BinaryOperator::NotEq,
                ">" => BinaryOperator::Gt,
                ">=" => BinaryOperator::GtEq,
                "+" => BinaryOperator::Plus,
                "-" => BinaryOperator::Minus,
                "*" => BinaryOperator::Multiply,
                "/" => BinaryOperator::Divide,
                "%" => BinaryOperator::Modulo,
                "||" => BinaryOperator::StringConcat,
                "::" => {
                    let data_type = self.data_type()?;
                    let span = left.span().union(self.previous().span);
                    return Ok(Expr::Cast {
                        kind: CastKind::DoubleColon,
                        expr: Box::new(left),
                        data_type,
                        span,
                    });
                }
                other => return Err(self.refuse_at(refuse::operator(other), &t)),
            };
            let right = self.subexpr(precedence)?;
            return Ok(Expr::BinaryOp {
                left: Box::new(left),
                op,
                right: Box::new(right),
            });
        }
        let word = t.text.to_ascii_uppercase();
        match word.as_str() {
            "OR" | "AND" => {
                let op = if word == "OR" {
                    BinaryOperator::Or
                } else {
                    BinaryOperator::And
                };
                let right = self.subexpr(precedence)?;
                Ok(Expr::BinaryOp {
                    left: Box::new(left),
                    op,
                    right: Box::new(right),
                })
            }
            "IS" => self.is_test(left, precedence),
            "AT" | "COLLATE" => {
                let name = if word == "AT" {
                    "AT TIME ZONE"
                } else {
                    "COLLATE"
                };
                Err(self.refuse_at(refuse::operator(name), &t))
            }
            _ => {
                let negated = word == "NOT";
                let op = if negated { self.advance() } else { t };
                self.negatable(left, negated, &op)
            }
        }
    }

    /// What follows `IS`.
    fn is_test(&mut self, left: Expr, precedence: u8) -> Result<Expr, SqlError> {
        let left = Box::new(left);
        let negated = self.eat_keyword("NOT");
        let t = self.peek().clone();
        let test = if self.eat_keyword("NULL") {
            if negated {
                Expr::IsNotNull(left)
            } else {
                Expr::IsNull(left)
            }
        } else if self.eat_keyword("TRUE") {
            if negated {
                Expr::IsNotTrue(left)
            } else {
                Expr::IsTrue(left)
            }
        } else if self.eat_keyword("FALSE") {
            if negated {
                Expr::IsNotFalse(left)
            } else {
                Expr::IsFalse(left)
            }
        } else if self.eat_keywords(&["DISTINCT", "FROM"]) {
            let right = Box::new(self.subexpr(precedence)?);
            if negated {
                Expr::IsNotDistinctFrom(left, right)
            } else {
                Expr::IsDistinctFrom(left, right)
            }
        } else if t.is_keyword("UNKNOWN") || t.is_keyword("JSON") || t.is_keyword("NORMALIZED") {
            let what = format!("IS {}", t.text.to_ascii_uppercase());
            return Err(self.refuse_at(refuse::expression(&what), &t));
        } else {
            return Err(self.expected(
                "[NOT] NULL | TRUE | FALSE | DISTINCT | [form] NORMALIZED FROM after IS",
            ));
        };
        Ok(test)
    }

    /// `[NOT] IN`, `[NOT] BETWEEN`, `[NOT] LIKE`/`ILIKE`; `op` is the word after any NOT.
    fn negatable(&mut self, left: Expr, negated: bool, op: &Token) -> Result<Expr, SqlError> {
        let expr = Box::new(left);
        let word = op.text.to_ascii_uppercase();
        match word.as_str() {
            "IN" => self.in_rest(expr, negated),
            "BETWEEN" => {
                let low = Box::new(self.subexpr(PREC_COMPARE)?);
                self.expect_keyword("AND")?;
                let high = Box::new(self.subexpr(PREC_COMPARE)?);
                Ok(Expr::Between {
                    expr,
                    negated,
                    low,
                    high,
                })
            }
            "LIKE" | "ILIKE" => {
                if self.peek_keyword("ANY") || self.peek_keyword("ALL") || self.peek_keyword("SOME")
                {
                    return Err(self.refuse_at(refuse::like_any(), op));
                }
                let pattern = Box::new(self.subexpr(PREC_LIKE)?);
                let escape_char = if self.eat_keyword("ESCAPE") {
                    Some(Box::new(self.subexpr(PREC_LIKE)?))
                } else {
                    None
                };
                Ok(Expr::Like {
                    case_insensitive: word == "ILIKE",
                    negated,
                    expr,
                    pattern,
                    escape_char,
                })
            }
            "SIMILAR" => Err(self.refuse_at(refuse::operator("SIMILAR TO"), op)),
            other => Err(self.refuse_at(refuse::operator(other), op)),
        }
    }

    fn in_rest(&mut self, expr: Box<Expr>, negated: bool) -> Result<Expr, SqlError> {
        if self.peek_keyword("UNNEST") {
            return Err(self.refuse_at(refuse::expression("IN UNNEST"), self.peek()));
        }
        self.expect_symbol("(")?;
        if self.peek_keyword("SELECT") || self.peek_keyword("WITH") {
            let subquery = Box::new(self.query()?);
            self.expect_symbol(")")?;
            return Ok(Expr::InSubquery {
                expr,
                subquery,
                negated,
            });
        }
        let list = self.expr_list()?;
        self.expect_symbol(")")?;
        Ok(Expr::InList {
            expr,
            list,
            negated,
        })
    }

    // ---- prefix forms -------------------------------------------------------------------

    fn prefix(&mut self) -> Result<Expr, SqlError> {
        let t = self.peek().clone();
        match t.kind {
            TokenKind::Number => {
                self.advance();
                Ok(value(Value::Number(t.text), t.span))
            }
            TokenKind::String => {
                self.advance();
                Ok(value(Value::SingleQuotedString(t.text), t.span))
            }
            TokenKind::EscapedString => {
                self.advance();
                Ok(value(Value::EscapedStringLiteral(t.text), t.span))
            }
            TokenKind::Symbol if t.text == "(" => self.parenthesized(),
            TokenKind::Symbol if t.text == "-" || t.text == "+" => {
                self.advance();
                let op = if t.text == "-" {
                    UnaryOperator::Minus
                } else {
                    UnaryOperator::Plus
                };
                let expr = self.subexpr(PREC_TIMES)?;
                Ok(Expr::UnaryOp {
                    op,
                    expr: Box::new(expr),
                    span: t.span,
                })
            }
            TokenKind::Word => self.word_prefix(&t),
            TokenKind::QuotedIdent => self.name_or_call(),
            _ => Err(self.expected("an expression")),
        }
    }

    /// `(expr)` or a scalar subquery `(SELECT ...)`.
    fn parenthesized(&mut self) -> Result<Expr, SqlError> {
        let open = self.advance();
        if self.peek_keyword("SELECT") || self.peek_keyword("WITH") {
            let query = self.query()?;
            let close = self.expect_symbol(")")?;
            return Ok(Expr::Subquery(Box::new(query), open.span.union(close.span)));
        }
        let inner = self.expr()?;
        if self.peek().is_symbol(",") {
            return Err(self.refuse_at(refuse::expression("(a, b), a row value"), &open));
        }
        self.expect_symbol(")")?;
        Ok(Expr::Nested(Box::new(inner)))
    }

    fn word_prefix(&mut self, t: &Token) -> Result<Expr, SqlError> {
        let word = t.text.to_ascii_uppercase();
        let paren_next = self.peek_nth(1).is_symbol("(");
        match word.as_str() {
            "NULL" => {
                self.advance();
                Ok(value(Value::Null, t.span))
            }
            "TRUE" | "FALSE" => {
                self.advance();
                Ok(value(Value::Boolean(word == "TRUE"), t.span))
            }
            "NOT" => {
                self.advance();
                if self.peek_keyword("EXISTS") && self.peek_nth(1).is_symbol("(") {
                    self.advance();
                    return self.exists(t, true);
                }
                let expr = self.subexpr(PREC_NOT)?;
                Ok(Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: Box::new(expr),
                    span: t.span,
                })
            }
            "EXISTS" if paren_next => {
                self.advance();
                self.exists(t, false)
            }
            "CASE" => self.case(),
            "CAST" | "TRY_CAST" if paren_next => self.cast(word == "TRY_CAST"),
            "EXTRACT" if paren_next => self.extract(),
            "SUBSTRING" if paren_next => self.substring(),
            "TRIM" if paren_next => self.trim(),
            "POSITION" if paren_next => self.position(),
            "CEIL" | "FLOOR" if paren_next => self.ceil_floor(word == "CEIL"),
            "INTERVAL" => self.interval(),
            _ if NILADIC.contains(&word.as_str()) && !paren_next => {
                self.advance();
                Ok(Expr::Function(Function {
                    name: ObjectName(vec![Ident {
                        value: t.text.clone(),
                        quote_style: None,
                        span: t.span,
                    }]),
                    args: None,
                    distinct: false,
                    filter: None,
                    over: None,
                    span: t.span,
                }))
            }
            _ if TYPED_STRING_TYPES.contains(&word.as_str()) => match self.typed_string()? {
                Some(e) => Ok(e),
                None => self.name_or_call(),
            },
            // `left(s, 2)`: a keyword as a function's name.
            _ if paren_next => self.name_or_call(),
            _ if is_reserved_in_expr(&t.text) => Err(self.expected("an expression")),
            _ => self.name_or_call(),
        }
    }

    /// `DATE '2024-01-15'`, when a type name and a string are ahead (else nothing is read).
    fn typed_string(&mut self) -> Result<Option<Expr>, SqlError> {
        let mark = self.mark();
        let start = self.peek().span;
        let Ok(data_type) = self.data_type() else {
            self.reset(mark);
            return Ok(None);
        };
        let t = self.peek().clone();
        let value = match t.kind {
            TokenKind::String => Value::SingleQuotedString(t.text),
            TokenKind::EscapedString => Value::EscapedStringLiteral(t.text),
            _ => {
                self.reset(mark);
                return Ok(None);
            }
        };
        self.advance();
        Ok(Some(Expr::TypedString {
            data_type,
            value: ValueWithSpan {
                value,
                span: t.span,
            },
            span: start.union(t.span),
        }))
    }

    /// A column (`c`, `t.c`) or a call (`f(...)`, `s.f(...)`).
    fn name_or_call(&mut self) -> Result<Expr, SqlError> {
        let first = self.advance();
        let mut parts = vec![Ident {
            value: first.text.clone(),
            quote_style: (first.kind == TokenKind::QuotedIdent).then_some('"'),
            span: first.span,
        }];
        while self.peek().is_symbol(".") {
            self.advance();
            if self.peek().is_symbol("*") {
                return Err(self.expected("an identifier after ."));
            }
            parts.push(self.ident()?);
        }
        if self.peek().is_symbol("(") {
            return self.call(ObjectName(parts));
        }
        Ok(match parts.len() {
            1 => Expr::Identifier(parts.remove(0)),
            _ => Expr::CompoundIdentifier(parts),
        })
    }

    fn exists(&mut self, start: &Token, negated: bool) -> Result<Expr, SqlError> {
        self.expect_symbol("(")?;
        let subquery = self.query()?;
        let close = self.expect_symbol(")")?;
        Ok(Expr::Exists {
            subquery: Box::new(subquery),
            negated,
            span: start.span.union(close.span),
        })
    }

    fn case(&mut self) -> Result<Expr, SqlError> {
        let case = self.advance();
        let operand = if self.peek_keyword("WHEN") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut conditions = Vec::new();
        self.expect_keyword("WHEN")?;
        loop {
            let condition = self.expr()?;
            self.expect_keyword("THEN")?;
            let result = self.expr()?;
            conditions.push(CaseWhen { condition, result });
            if !self.eat_keyword("WHEN") {
                break;
            }
        }
        let else_result = if self.eat_keyword("ELSE") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        let end = self.expect_keyword("END")?;
        Ok(Expr::Case {
            operand,
            conditions,
            else_result,
            span: case.span.union(end.span),
        })
    }

    fn cast(&mut self, is_try: bool) -> Result<Expr, SqlError> {
        let cast = self.advance();
        self.expect_symbol("(")?;
        let expr = self.expr()?;
        self.expect_keyword("AS")?;
        let data_type = self.data_type()?;
        let close = self.expect_symbol(")")?;
        Ok(Expr::Cast {
            kind: if is_try {
                CastKind::TryCast
            } else {
                CastKind::Cast
            },
            expr: Box::new(expr),
            data_type,
            span: cast.span.union(close.span),
        })
    }

    fn extract(&mut self) -> Result<Expr, SqlError> {
        let extract = self.advance();
        self.expect_symbol("(")?;
        let field = match self.peek().kind {
            TokenKind::Word | TokenKind::String | TokenKind::QuotedIdent => {
                self.advance().text.to_ascii_lowercase()
            }
            _ => return Err(self.expected("date/time field")),
        };
        self.expect_keyword("FROM")?;
        let expr = self.expr()?;
        let close = self.expect_symbol(")")?;
        Ok(Expr::Extract {
            field,
            expr: Box::new(expr),
            span: extract.span.union(close.span),
        })
    }

    fn substring(&mut self) -> Result<Expr, SqlError> {
        let substring = self.advance();
        self.expect_symbol("(")?;
        let expr = self.expr()?;
        let special = self.eat_symbol(",");
        let substring_from = if special || self.eat_keyword("FROM") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        let substring_for = if self.eat_keyword("FOR") || self.eat_symbol(",") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        let close = self.expect_symbol(")")?;
        Ok(Expr::Substring {
            expr: Box::new(expr),
            substring_from,
            substring_for,
            special,
            span: substring.span.union(close.span),
        })
    }

    fn trim(&mut self) -> Result<Expr, SqlError> {
        let trim = self.advance();
        self.expect_symbol("(")?;
        let trim_where = if self.eat_keyword("BOTH") {
            Some(TrimWhereField::Both)
        } else if self.eat_keyword("LEADING") {
            Some(TrimWhereField::Leading)
        } else if self.eat_keyword("TRAILING") {
            Some(TrimWhereField::Trailing)
        } else {
            None
        };
        let first = self.expr()?;
        let (expr, trim_what) = if self.eat_keyword("FROM") {
            (self.expr()?, Some(Box::new(first)))
        } else {
            if self.peek().is_symbol(",") {
                return Err(self.refuse_at(refuse::trim_characters(), &trim));
            }
            (first, None)
        };
        let close = self.expect_symbol(")")?;
        Ok(Expr::Trim {
            expr: Box::new(expr),
            trim_where,
            trim_what,
            span: trim.span.union(close.span),
        })
    }

    fn position(&mut self) -> Result<Expr, SqlError> {
        let position = self.advance();
        self.expect_symbol("(")?;
        let expr = self.subexpr(PREC_COMPARE)?;
        self.expect_keyword("IN")?;
        let r#in = self.expr()?;
        let close = self.expect_symbol(")")?;
        Ok(Expr::Position {
            expr: Box::new(expr),
            r#in: Box::new(r#in),
            span: position.span.union(close.span),
        })
    }

    fn ceil_floor(&mut self, ceil: bool) -> Result<Expr, SqlError> {
        let word = self.advance();
        self.expect_symbol("(")?;
        let expr = Box::new(self.expr()?);
        if self.peek_keyword("TO") || self.peek().is_symbol(",") {
            let what = if ceil { "CEIL" } else { "FLOOR" };
            return Err(self.refuse_at(
                refuse::expression(&format!("{what} with a field or a scale")),
                &word,
            ));
        }
        let close = self.expect_symbol(")")?;
        let span = word.span.union(close.span);
        Ok(if ceil {
            Expr::Ceil { expr, span }
        } else {
            Expr::Floor { expr, span }
        })
    }

    /// `INTERVAL '2' HOUR`, `INTERVAL '5 minutes'`: the value is a prefix expression, as in
    /// sqlparser's generic dialect (so `INTERVAL '1 day' > ...` compares the interval).
    fn interval(&mut self) -> Result<Expr, SqlError> {
        let interval = self.advance();
        let guard = self.enter()?;
        let value = self.prefix()?;
        self.leave(guard);
        let unit = self.peek();
        let leading_field =
            if unit.kind == TokenKind::Word && INTERVAL_UNITS.iter().any(|u| unit.is_keyword(u)) {
                Some(self.advance().text.to_ascii_uppercase())
            } else {
                None
            };
        if self.peek_keyword("TO") || (leading_field.is_some() && self.peek().is_symbol("(")) {
            return Err(self.refuse_at(
                refuse::expression("INTERVAL with a precision or a range of fields"),
                &interval,
            ));
        }
        Ok(Expr::Interval {
            value: Box::new(value),
            leading_field,
            span: interval.span.union(self.previous().span),
        })
    }
}

pub(super) fn value(value: Value, span: Span) -> Expr {
    Expr::Value(ValueWithSpan { value, span })
}
