//! Function calls: `name([DISTINCT] args) [FILTER (WHERE ...)] [OVER (...)]`, the arguments
//! of a call or a table function, and window specifications with their ROWS and RANGE frames.
//! Named arguments, a subquery as an argument, ORDER BY inside the arguments, WITHIN GROUP,
//! IGNORE NULLS, named windows, GROUPS frames and EXCLUDE are refused where they start.

use super::ast::*;
use super::expr::{value, INTERVAL_UNITS};
use super::lexer::TokenKind;
use super::parser::Parser;
use super::refuse;
use crate::error::SqlError;

impl Parser {
    /// `name([DISTINCT] args) [FILTER (WHERE ...)] [OVER (...)]`, at the `(`.
    pub(super) fn call(&mut self, name: ObjectName) -> Result<Expr, SqlError> {
        let start = name.span();
        self.expect_symbol("(")?;
        let mut distinct = false;
        let args = if self.peek().is_symbol(")") {
            Vec::new()
        } else {
            if self.eat_keyword("DISTINCT") {
                distinct = true;
            } else {
                self.eat_keyword("ALL");
            }
            self.function_args()?
        };
        if self.peek_keywords(&["ORDER", "BY"]) {
            return Err(self.refuse_at(refuse::argument_order_by(), self.peek()));
        }
        if self.peek_keyword("IGNORE") || self.peek_keyword("RESPECT") {
            return Err(self.refuse_at(refuse::within_group_or_nulls(), self.peek()));
        }
        self.expect_symbol(")")?;
        if self.peek_keywords(&["WITHIN", "GROUP"])
            || self.peek_keywords(&["IGNORE", "NULLS"])
            || self.peek_keywords(&["RESPECT", "NULLS"])
        {
            return Err(self.refuse_at(refuse::within_group_or_nulls(), self.peek()));
        }
        let filter = if self.peek_keyword("FILTER") && self.peek_nth(1).is_symbol("(") {
            self.advance();
            self.advance();
            self.expect_keyword("WHERE")?;
            let condition = self.expr()?;
            self.expect_symbol(")")?;
            Some(Box::new(condition))
        } else {
            None
        };
        let over = if self.eat_keyword("OVER") {
            Some(self.window_spec()?)
        } else {
            None
        };
        Ok(Expr::Function(Function {
            name,
            args: Some(args),
            distinct,
            filter,
            over,
            span: start.union(self.previous().span),
        }))
    }

    /// A call's arguments (or a table function's): expressions, or `*`.
    pub fn function_args(&mut self) -> Result<Vec<FunctionArg>, SqlError> {
        let mut args = Vec::new();
        loop {
            let t = self.peek().clone();
            if t.is_symbol("*") {
                self.advance();
                args.push(FunctionArg::Wildcard(t.span));
            } else if t.is_keyword("SELECT") || t.is_keyword("WITH") {
                return Err(self.refuse_at(refuse::subquery_argument(), &t));
            } else if self.peek_nth(1).is_symbol("=>") {
                return Err(self.refuse_at(refuse::named_argument(&t.text), &t));
            } else {
                args.push(FunctionArg::Expr(self.expr()?));
            }
            if !self.eat_symbol(",") {
                return Ok(args);
            }
        }
    }

    /// `(PARTITION BY ... ORDER BY ... frame)` after OVER.
    fn window_spec(&mut self) -> Result<WindowSpec, SqlError> {
        let t = self.peek().clone();
        if !t.is_symbol("(") {
            if t.kind == TokenKind::Word || t.kind == TokenKind::QuotedIdent {
                return Err(self.refuse_at(refuse::named_windows(), &t));
            }
            return Err(self.expected("("));
        }
        self.advance();
        let first = self.peek().clone();
        let starts_spec = ["PARTITION", "ORDER", "ROWS", "RANGE", "GROUPS"]
            .iter()
            .any(|k| first.is_keyword(k))
            || first.is_symbol(")");
        if !starts_spec {
            return Err(self.refuse_at(refuse::named_windows(), &first));
        }
        let partition_by = if self.eat_keywords(&["PARTITION", "BY"]) {
            self.expr_list()?
        } else {
            Vec::new()
        };
        let order_by = if self.eat_keywords(&["ORDER", "BY"]) {
            self.order_by_list()?
        } else {
            Vec::new()
        };
        let window_frame = self.window_frame()?;
        self.expect_symbol(")")?;
        Ok(WindowSpec {
            partition_by,
            order_by,
            window_frame,
        })
    }

    fn window_frame(&mut self) -> Result<Option<WindowFrame>, SqlError> {
        let units = if self.eat_keyword("ROWS") {
            WindowFrameUnits::Rows
        } else if self.eat_keyword("RANGE") {
            WindowFrameUnits::Range
        } else if self.peek_keyword("GROUPS") {
            return Err(self.refuse_at(refuse::groups_frames(), self.peek()));
        } else {
            return Ok(None);
        };
        let (start_bound, end_bound) = if self.eat_keyword("BETWEEN") {
            let start = self.frame_bound()?;
            self.expect_keyword("AND")?;
            (start, Some(self.frame_bound()?))
        } else {
            (self.frame_bound()?, None)
        };
        if self.peek_keyword("EXCLUDE") {
            return Err(self.refuse_at(refuse::frame_exclusion(), self.peek()));
        }
        Ok(Some(WindowFrame {
            units,
            start_bound,
            end_bound,
        }))
    }

    fn frame_bound(&mut self) -> Result<WindowFrameBound, SqlError> {
        if self.eat_keywords(&["CURRENT", "ROW"]) {
            return Ok(WindowFrameBound::CurrentRow);
        }
        let offset = if self.eat_keyword("UNBOUNDED") {
            None
        } else {
            Some(Box::new(self.frame_offset()?))
        };
        if self.eat_keyword("PRECEDING") {
            Ok(WindowFrameBound::Preceding(offset))
        } else if self.eat_keyword("FOLLOWING") {
            Ok(WindowFrameBound::Following(offset))
        } else {
            Err(self.expected("PRECEDING or FOLLOWING"))
        }
    }

    /// A frame offset: an expression, or a bare string read as an interval (sqlparser's way).
    fn frame_offset(&mut self) -> Result<Expr, SqlError> {
        let t = self.peek().clone();
        if t.kind != TokenKind::String {
            return self.expr();
        }
        self.advance();
        let unit = self.peek();
        let leading_field = if INTERVAL_UNITS.iter().any(|u| unit.is_keyword(u)) {
            Some(self.advance().text.to_ascii_uppercase())
        } else {
            None
        };
        Ok(Expr::Interval {
            value: Box::new(value(Value::SingleQuotedString(t.text), t.span)),
            leading_field,
            span: t.span.union(self.previous().span),
        })
    }
}
