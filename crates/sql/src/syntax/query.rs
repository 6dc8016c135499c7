//! Queries: WITH, set operations (INTERSECT binding tighter than UNION and EXCEPT), SELECT
//! with its clauses, VALUES, FROM items and joins (DuckDB's ASOF and SEMI joins among them),
//! ORDER BY and LIMIT/OFFSET. Clauses a learner may type but the lab does not run are refused
//! at their first word.

use super::ast::*;
use super::lexer::{Token, TokenKind};
use super::parser::{is_reserved, Parser};
use super::refuse;
use crate::error::SqlError;

impl Parser {
    /// `[WITH ...] body [ORDER BY ...] [LIMIT ...] [OFFSET ...]`.
    pub fn query(&mut self) -> Result<Query, SqlError> {
        let guard = self.enter()?;
        let first = self.peek().span;
        let with = if self.peek_keyword("WITH") {
            Some(self.with()?)
        } else {
            None
        };
        let body = self.set_expr(0)?;
        let order_by = if self.peek_keywords(&["ORDER", "BY"]) {
            let order = self.advance();
            self.advance();
            if self.peek_keyword("ALL") && !self.peek_nth(1).is_symbol(".") {
                return Err(self.refuse_at(refuse::order_by_all(), &order));
            }
            self.order_by_list()?
        } else {
            Vec::new()
        };
        let limit_clause = self.limit_clause()?;
        let next = self.peek().clone();
        if next.is_keyword("FETCH") || next.is_keyword("FOR") {
            return Err(self.refuse_at(refuse::fetch_or_lock(), &next));
        }
        let span = first.union(self.previous().span);
        self.leave(guard);
        Ok(Query {
            with,
            body: Box::new(body),
            order_by,
            limit_clause,
            span,
        })
    }

    fn with(&mut self) -> Result<With, SqlError> {
        self.advance();
        let recursive = self.eat_keyword("RECURSIVE");
        let mut cte_tables = Vec::new();
        loop {
            let name = self.ident()?;
            let columns = if self.eat_symbol("(") {
                let columns = self.ident_list()?;
                self.expect_symbol(")")?;
                columns
            } else {
                Vec::new()
            };
            self.expect_keyword("AS")?;
            if self.peek_keyword("MATERIALIZED") || self.peek_keywords(&["NOT", "MATERIALIZED"]) {
                return Err(self.refuse_at(refuse::materialized_cte(), self.peek()));
            }
            self.expect_symbol("(")?;
            let query = self.query()?;
            self.expect_symbol(")")?;
            cte_tables.push(Cte {
                alias: TableAlias { name, columns },
                query: Box::new(query),
            });
            if !self.eat_symbol(",") {
                return Ok(With {
                    recursive,
                    cte_tables,
                });
            }
        }
    }

    /// A body and the set operations after it that bind tighter than `min_precedence`.
    fn set_expr(&mut self, min_precedence: u8) -> Result<SetExpr, SqlError> {
        let mut left = self.set_primary()?;
        loop {
            let t = self.peek();
            let (op, precedence) = if t.is_keyword("UNION") {
                (SetOperator::Union, 10)
            } else if t.is_keyword("EXCEPT") || t.is_keyword("MINUS") {
                (SetOperator::Except, 10)
            } else if t.is_keyword("INTERSECT") {
                (SetOperator::Intersect, 20)
            } else {
                return Ok(left);
            };
            if min_precedence >= precedence {
                return Ok(left);
            }
            self.advance();
            let all = if self.eat_keyword("ALL") {
                true
            } else {
                self.eat_keyword("DISTINCT");
                false
            };
            if self.peek_keywords(&["BY", "NAME"]) {
                return Err(self.refuse_at(refuse::set_by_name(), self.peek()));
            }
            self.grow_chain()?;
            let right = self.set_expr(precedence)?;
            left = SetExpr::SetOperation {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn set_primary(&mut self) -> Result<SetExpr, SqlError> {
        if self.peek_keyword("SELECT") {
            Ok(SetExpr::Select(Box::new(self.select()?)))
        } else if self.peek_keyword("VALUES") {
            Ok(SetExpr::Values(self.values()?))
        } else if self.eat_symbol("(") {
            let query = self.query()?;
            self.expect_symbol(")")?;
            Ok(SetExpr::Query(Box::new(query)))
        } else {
            Err(self.expected("SELECT, VALUES, or a subquery in the query body"))
        }
    }

    fn values(&mut self) -> Result<Values, SqlError> {
        self.advance();
        let mut rows = Vec::new();
        loop {
            let open = self.expect_symbol("(")?;
            let content = self.expr_list()?;
            let close = self.expect_symbol(")")?;
            rows.push(ValuesRow {
                content,
                span: open.span.union(close.span),
            });
            if !self.eat_symbol(",") {
                return Ok(Values { rows });
            }
        }
    }

    /// `TOP n` right after SELECT (or SELECT DISTINCT): refused; `top` followed by anything
    /// else is sqlparser's syntax error (the hints explain it: a column named top).
    fn refuse_top(&mut self, select: &Token) -> Result<(), SqlError> {
        if !self.peek_keyword("TOP") {
            return Ok(());
        }
        let n = self.peek_nth(1);
        if n.kind == TokenKind::Number || n.is_symbol("(") {
            return Err(self.refuse_at(refuse::select_top(), select));
        }
        self.advance();
        Err(self.expected("literal int"))
    }

    fn select(&mut self) -> Result<Select, SqlError> {
        let select = self.advance();
        self.refuse_top(&select)?;
        let mut distinct = false;
        if self.peek_keyword("DISTINCT") {
            let word = self.advance();
            if self.peek_keyword("ON") {
                return Err(self.refuse_at(refuse::distinct_on(), &word));
            }
            distinct = true;
        } else {
            self.eat_keyword("ALL");
        }
        self.refuse_top(&select)?;
        let mut projection = vec![self.select_item()?];
        while self.eat_symbol(",") {
            if self.projection_ends() {
                break;
            }
            projection.push(self.select_item()?);
        }
        if self.peek_keyword("INTO") {
            return Err(self.refuse_at(refuse::select_clause(), &select));
        }
        let mut from = Vec::new();
        if self.eat_keyword("FROM") {
            from.push(self.table_with_joins()?);
            while self.eat_symbol(",") {
                from.push(self.table_with_joins()?);
            }
        }
        let selection = if self.eat_keyword("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let group_by = if self.peek_keywords(&["GROUP", "BY"]) {
            self.group_by()?
        } else {
            Vec::new()
        };
        let having = if self.eat_keyword("HAVING") {
            Some(self.expr()?)
        } else {
            None
        };
        if self.peek_keyword("WINDOW") || self.peek_keyword("QUALIFY") {
            return Err(self.refuse_at(refuse::select_clause(), &select));
        }
        Ok(Select {
            distinct,
            projection,
            from,
            selection,
            group_by,
            having,
            select_span: select.span,
        })
    }

    /// Whether a comma just read was the select list's last (DuckDB and sqlparser's generic
    /// dialect allow a trailing comma there): the end, or a clause's keyword, follows.
    fn projection_ends(&self) -> bool {
        const CLAUSES: [&str; 15] = [
            "FROM",
            "WHERE",
            "GROUP",
            "HAVING",
            "ORDER",
            "LIMIT",
            "OFFSET",
            "UNION",
            "EXCEPT",
            "INTERSECT",
            "WINDOW",
            "QUALIFY",
            "INTO",
            "FETCH",
            "FOR",
        ];
        let t = self.peek();
        // `SELECT a, offset FROM topic` names a column; `SELECT a, OFFSET 5` ends the list.
        let limit_word = t.is_keyword("LIMIT") || t.is_keyword("OFFSET");
        t.kind == TokenKind::Eof
            || t.is_symbol(";")
            || t.is_symbol(")")
            || (limit_word && self.peek_nth(1).kind == TokenKind::Number)
            || (!limit_word && CLAUSES.iter().any(|k| t.is_keyword(k)))
    }

    fn group_by(&mut self) -> Result<Vec<Expr>, SqlError> {
        let group = self.advance();
        self.advance();
        if self.peek_keyword("ALL") && !self.peek_nth(1).is_symbol(".") {
            return Err(self.refuse_at(refuse::group_by_all(), &group));
        }
        let mut out = Vec::new();
        loop {
            let t = self.peek();
            let grouping = ((t.is_keyword("ROLLUP") || t.is_keyword("CUBE"))
                && self.peek_nth(1).is_symbol("("))
                || self.peek_keywords(&["GROUPING", "SETS"]);
            if grouping {
                return Err(self.refuse_at(refuse::grouping_sets(), t));
            }
            out.push(self.expr()?);
            if !self.eat_symbol(",") {
                break;
            }
        }
        if self.peek_keywords(&["WITH", "ROLLUP"]) || self.peek_keywords(&["WITH", "CUBE"]) {
            return Err(self.refuse_at(refuse::grouping_sets(), self.peek()));
        }
        Ok(out)
    }

    fn select_item(&mut self) -> Result<SelectItem, SqlError> {
        if self.peek().is_symbol("*") {
            return Ok(SelectItem::Wildcard(self.advance().span));
        }
        if let Some(name) = self.qualified_wildcard()? {
            return Ok(SelectItem::QualifiedWildcard(name));
        }
        let expr = self.expr()?;
        Ok(match self.alias()? {
            Some(alias) => SelectItem::ExprWithAlias { expr, alias },
            None => SelectItem::UnnamedExpr(expr),
        })
    }

    /// `t.*` or `s.t.*`, read when the tokens ahead have that shape.
    fn qualified_wildcard(&mut self) -> Result<Option<ObjectName>, SqlError> {
        let mut n = 0;
        loop {
            let part = self.peek_nth(n);
            let is_name = part.kind == TokenKind::QuotedIdent
                || (part.kind == TokenKind::Word && !is_reserved(&part.text));
            if !is_name || !self.peek_nth(n + 1).is_symbol(".") {
                return Ok(None);
            }
            if self.peek_nth(n + 2).is_symbol("*") {
                break;
            }
            n += 2;
        }
        let name = self.object_name_before_star()?;
        Ok(Some(name))
    }

    /// The name of `name.*`, reading the `.*` too.
    fn object_name_before_star(&mut self) -> Result<ObjectName, SqlError> {
        let mut parts = vec![self.ident()?];
        loop {
            self.expect_symbol(".")?;
            if self.eat_symbol("*") {
                return Ok(ObjectName(parts));
            }
            parts.push(self.ident()?);
        }
    }

    /// A column alias: `AS name`, or a name that is not a keyword.
    fn alias(&mut self) -> Result<Option<Ident>, SqlError> {
        if self.eat_keyword("AS") {
            return Ok(Some(self.ident()?));
        }
        let t = self.peek();
        let implicit = t.kind == TokenKind::QuotedIdent
            || (t.kind == TokenKind::Word && !is_reserved(&t.text));
        if implicit {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    fn table_alias(&mut self) -> Result<Option<TableAlias>, SqlError> {
        let Some(name) = self.alias()? else {
            return Ok(None);
        };
        let columns = if self.eat_symbol("(") {
            let columns = self.ident_list()?;
            self.expect_symbol(")")?;
            columns
        } else {
            Vec::new()
        };
        Ok(Some(TableAlias { name, columns }))
    }

    pub fn order_by_list(&mut self) -> Result<Vec<OrderByExpr>, SqlError> {
        let mut out = vec![self.order_by_expr()?];
        while self.eat_symbol(",") {
            out.push(self.order_by_expr()?);
        }
        Ok(out)
    }

    fn order_by_expr(&mut self) -> Result<OrderByExpr, SqlError> {
        let expr = self.expr()?;
        let asc = if self.eat_keyword("ASC") {
            Some(true)
        } else if self.eat_keyword("DESC") {
            Some(false)
        } else {
            None
        };
        let nulls_first = if self.eat_keywords(&["NULLS", "FIRST"]) {
            Some(true)
        } else if self.eat_keywords(&["NULLS", "LAST"]) {
            Some(false)
        } else {
            None
        };
        Ok(OrderByExpr {
            expr,
            asc,
            nulls_first,
        })
    }

    /// `LIMIT n [OFFSET m]`, `OFFSET m [LIMIT n]`, `LIMIT ALL`, or `LIMIT m, n`.
    fn limit_clause(&mut self) -> Result<Option<LimitClause>, SqlError> {
        let mut limit = None;
        let mut offset = None;
        let mut seen = false;
        loop {
            if limit.is_none() && self.eat_keyword("LIMIT") {
                seen = true;
                if self.eat_keyword("ALL") {
                    continue;
                }
                let first = self.expr()?;
                if offset.is_none() && self.eat_symbol(",") {
                    let n = self.expr()?;
                    return Ok(Some(LimitClause::OffsetCommaLimit {
                        offset: first,
                        limit: n,
                    }));
                }
                if self.peek_keyword("BY") {
                    return Err(self.refuse_at(refuse::limit_by(), self.peek()));
                }
                limit = Some(first);
            } else if offset.is_none() && self.eat_keyword("OFFSET") {
                seen = true;
                offset = Some(self.expr()?);
                if !self.eat_keyword("ROWS") {
                    self.eat_keyword("ROW");
                }
            } else {
                break;
            }
        }
        Ok(seen.then_some(LimitClause::LimitOffset { limit, offset }))
    }

    // ---- FROM ---------------------------------------------------------------------------

    fn table_with_joins(&mut self) -> Result<TableWithJoins, SqlError> {
        let relation = self.table_factor()?;
        let mut joins = Vec::new();
        while let Some(join_operator) = self.join_kind()? {
            let relation = self.table_factor()?;
            let join_operator = join_operator.with_constraint(self)?;
            joins.push(Join {
                relation,
                join_operator,
            });
        }
        Ok(TableWithJoins { relation, joins })
    }

    /// The join words ahead, read (None when no join follows).
    fn join_kind(&mut self) -> Result<Option<JoinKind>, SqlError> {
        let start = self.peek().clone();
        let kind = if self.eat_keywords(&["CROSS", "JOIN"]) {
            JoinKind::Cross
        } else if self.peek_keyword("NATURAL") {
            self.advance();
            let Some(kind) = self.join_kind()? else {
                return Err(self.expected("a join type after NATURAL"));
            };
            return Ok(Some(JoinKind::Natural(Box::new(kind))));
        } else if self.eat_keyword("JOIN") || self.eat_keywords(&["INNER", "JOIN"]) {
            JoinKind::Inner
        } else if self.eat_keywords(&["LEFT", "JOIN"])
            || self.eat_keywords(&["LEFT", "OUTER", "JOIN"])
        {
            JoinKind::Left
        } else if self.eat_keywords(&["RIGHT", "JOIN"])
            || self.eat_keywords(&["RIGHT", "OUTER", "JOIN"])
        {
            JoinKind::Right
        } else if self.eat_keywords(&["FULL", "JOIN"])
            || self.eat_keywords(&["FULL", "OUTER", "JOIN"])
        {
            JoinKind::Full
        } else if self.eat_keywords(&["SEMI", "JOIN"]) {
            JoinKind::Semi
        } else if self.peek_keyword("ASOF") {
            return self.asof_join_kind(&start).map(Some);
        } else {
            return self.refuse_other_join(&start).map(|()| None);
        };
        Ok(Some(kind))
    }

    fn asof_join_kind(&mut self, asof: &Token) -> Result<JoinKind, SqlError> {
        self.advance();
        if self.peek_keyword("RIGHT") || self.peek_keyword("FULL") {
            return Err(self.refuse_at(refuse::asof_right_or_full(), asof));
        }
        if self.eat_keyword("JOIN") || self.eat_keywords(&["INNER", "JOIN"]) {
            return Ok(JoinKind::AsOf { left: false });
        }
        if self.eat_keywords(&["LEFT", "JOIN"]) || self.eat_keywords(&["LEFT", "OUTER", "JOIN"]) {
            return Ok(JoinKind::AsOf { left: true });
        }
        Err(self.expected("JOIN after ASOF"))
    }

    /// Refuses the join words the lab does not run; leaves anything else alone.
    fn refuse_other_join(&self, start: &Token) -> Result<(), SqlError> {
        const OTHER_JOINS: [(&[&str], &str); 9] = [
            (&["LEFT", "SEMI"], "LEFT SEMI JOIN"),
            (&["RIGHT", "SEMI"], "RIGHT SEMI JOIN"),
            (&["ANTI"], "ANTI JOIN"),
            (&["LEFT", "ANTI"], "ANTI JOIN"),
            (&["RIGHT", "ANTI"], "RIGHT ANTI JOIN"),
            (&["CROSS", "APPLY"], "CROSS APPLY"),
            (&["OUTER", "APPLY"], "OUTER APPLY"),
            (&["STRAIGHT_JOIN"], "STRAIGHT_JOIN"),
            (&["ARRAY", "JOIN"], "ARRAY JOIN"),
        ];
        match OTHER_JOINS
            .iter()
            .find(|(words, _)| self.peek_keywords(words))
        {
            Some((_, name)) => Err(self.refuse_at(refuse::join(name), start)),
            None => Ok(()),
        }
    }

    fn table_factor(&mut self) -> Result<TableFactor, SqlError> {
        let guard = self.enter()?;
        let factor = self.table_factor_inner()?;
        self.leave(guard);
        Ok(factor)
    }

    fn table_factor_inner(&mut self) -> Result<TableFactor, SqlError> {
        if self.peek_keyword("LATERAL") {
            return Err(self.refuse_at(refuse::lateral(), self.peek()));
        }
        if self.peek().is_symbol("(") {
            return self.parenthesized_factor();
        }
        let name = self.object_name()?;
        let args = if self.eat_symbol("(") {
            let args = if self.peek().is_symbol(")") {
                Vec::new()
            } else {
                self.function_args()?
            };
            self.expect_symbol(")")?;
            Some(args)
        } else {
            None
        };
        let alias = self.table_alias()?;
        Ok(TableFactor::Table { name, args, alias })
    }

    /// `(query) [alias]` or `(a JOIN b) [alias]`: a subquery is tried first, as sqlparser
    /// does, then a nested join.
    fn parenthesized_factor(&mut self) -> Result<TableFactor, SqlError> {
        let open = self.peek().clone();
        let mark = self.mark();
        self.advance();
        let starts_query = self.peek_keyword("SELECT")
            || self.peek_keyword("WITH")
            || self.peek_keyword("VALUES")
            || self.peek().is_symbol("(");
        if starts_query {
            let nested_open = self.peek().is_symbol("(");
            match self.query() {
                Ok(subquery) => {
                    let close = self.expect_symbol(")")?;
                    let alias = self.table_alias()?;
                    return Ok(TableFactor::Derived {
                        subquery: Box::new(subquery),
                        alias,
                        span: open.span.union(close.span),
                    });
                }
                // `((a JOIN b))`: not a query after all.
                Err(_) if nested_open => {
                    self.reset(mark);
                    self.advance();
                }
                Err(e) => return Err(e),
            }
        }
        let table_with_joins = self.table_with_joins()?;
        let close = self.expect_symbol(")")?;
        let alias = self.table_alias()?;
        Ok(TableFactor::NestedJoin {
            table_with_joins: Box::new(table_with_joins),
            alias,
            span: open.span.union(close.span),
        })
    }
}

/// The join words read, before the table after them.
#[derive(Clone, Debug, PartialEq)]
enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
    Semi,
    AsOf { left: bool },
    Natural(Box<JoinKind>),
}

impl JoinKind {
    /// The join operator, with the ON or USING that follows the table read.
    fn with_constraint(self, p: &mut Parser) -> Result<JoinOperator, SqlError> {
        let (kind, constraint) = match self {
            JoinKind::Cross => return Ok(JoinOperator::CrossJoin),
            JoinKind::Natural(kind) => (*kind, JoinConstraint::Natural),
            JoinKind::AsOf { left } if p.peek_keyword("MATCH_CONDITION") => {
                return Ok(JoinOperator::AsOf {
                    left,
                    constraint: p.snowflake_asof_constraint()?,
                })
            }
            kind => (kind, p.join_constraint()?),
        };
        Ok(match kind {
            JoinKind::Inner => JoinOperator::Inner(constraint),
            JoinKind::Left => JoinOperator::Left(constraint),
            JoinKind::Right => JoinOperator::Right(constraint),
            JoinKind::Full => JoinOperator::FullOuter(constraint),
            JoinKind::Semi => JoinOperator::Semi(constraint),
            JoinKind::AsOf { left } => JoinOperator::AsOf { left, constraint },
            JoinKind::Cross | JoinKind::Natural(_) => {
                return Err(p.expected("INNER, LEFT, RIGHT or FULL JOIN after NATURAL"))
            }
        })
    }
}

impl Parser {
    fn join_constraint(&mut self) -> Result<JoinConstraint, SqlError> {
        if self.eat_keyword("ON") {
            return Ok(JoinConstraint::On(self.expr()?));
        }
        if self.eat_keyword("USING") {
            self.expect_symbol("(")?;
            let columns = self.ident_list()?;
            self.expect_symbol(")")?;
            return Ok(JoinConstraint::Using(columns));
        }
        Ok(JoinConstraint::None)
    }

    /// Snowflake's `MATCH_CONDITION (inequality) [ON equalities]`, read as DuckDB's
    /// `ON equalities AND inequality` (the same join; Display prints DuckDB's form).
    fn snowflake_asof_constraint(&mut self) -> Result<JoinConstraint, SqlError> {
        self.advance();
        self.expect_symbol("(")?;
        let inequality = self.expr()?;
        self.expect_symbol(")")?;
        if !self.eat_keyword("ON") {
            return Ok(JoinConstraint::On(inequality));
        }
        let equalities = self.expr()?;
        // `a OR b AND c` would read back as `a OR (b AND c)`: an OR operand keeps parentheses.
        let operand = |e: Expr| match e {
            Expr::BinaryOp {
                op: BinaryOperator::Or,
                ..
            } => Expr::Nested(Box::new(e)),
            e => e,
        };
        let (equalities, inequality) = (operand(equalities), operand(inequality));
        Ok(JoinConstraint::On(Expr::BinaryOp {
            left: Box::new(equalities),
            op: BinaryOperator::And,
            right: Box::new(inequality),
        }))
    }
}
