//! SQL text from the syntax tree, as sqlparser 0.63's `Display` writes it for the same query
//! (`a + 1`, `count(*)`, `CAST(x AS DOUBLE)`, `x::INT`, `EXTRACT(YEAR FROM d)`): output column
//! names are made from it, and the streaming rewrite prints SQL that [`super::parse`] reads
//! back. Parentheses are printed only where the text had them (`Expr::Nested`), so the text
//! parses back to the same tree. Where the tree keeps less than sqlparser's (whether `AS` came
//! before a table alias, `INNER` or `OUTER` in a join), one spelling is chosen: `AS alias`,
//! `JOIN`, `LEFT JOIN`.

use super::ast::*;
use std::fmt::{self, Display, Formatter, Write};

/// Items separated by `sep`.
struct Separated<'a, T>(&'a [T], &'a str);

impl<T: Display> Display for Separated<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            item.fmt(f)?;
        }
        Ok(())
    }
}

fn commas<T>(items: &[T]) -> Separated<'_, T> {
    Separated(items, ", ")
}

fn not(negated: bool) -> &'static str {
    if negated {
        "NOT "
    } else {
        ""
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Query(q) => q.fmt(f),
            Statement::Explain {
                analyze, statement, ..
            } => {
                f.write_str("EXPLAIN ")?;
                if *analyze {
                    f.write_str("ANALYZE ")?;
                }
                statement.fmt(f)
            }
            Statement::CreateTable(ct) => {
                write!(f, "CREATE TABLE {}", ct.name)?;
                if !ct.columns.is_empty() {
                    write!(f, " ({})", commas(&ct.columns))?;
                }
                if let Some(q) = &ct.query {
                    write!(f, " AS {q}")?;
                }
                Ok(())
            }
            Statement::Insert(i) => {
                write!(f, "INSERT INTO {} ", i.table)?;
                if !i.columns.is_empty() {
                    write!(f, "({}) ", commas(&i.columns))?;
                }
                i.source.fmt(f)
            }
            Statement::Drop {
                if_exists, names, ..
            } => write!(
                f,
                "DROP TABLE {}{}",
                if *if_exists { "IF EXISTS " } else { "" },
                commas(names)
            ),
        }
    }
}

impl Display for ColumnDef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.data_type)
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(with) = &self.with {
            write!(f, "{with} ")?;
        }
        self.body.fmt(f)?;
        if !self.order_by.is_empty() {
            write!(f, " ORDER BY {}", commas(&self.order_by))?;
        }
        if let Some(limit) = &self.limit_clause {
            limit.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for With {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("WITH ")?;
        if self.recursive {
            f.write_str("RECURSIVE ")?;
        }
        commas(&self.cte_tables).fmt(f)
    }
}

impl Display for Cte {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // sqlparser prints a CTE's alias without AS.
        self.alias.name.fmt(f)?;
        if !self.alias.columns.is_empty() {
            write!(f, " ({})", commas(&self.alias.columns))?;
        }
        write!(f, " AS ({})", self.query)
    }
}

impl Display for LimitClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LimitClause::LimitOffset { limit, offset } => {
                if let Some(limit) = limit {
                    write!(f, " LIMIT {limit}")?;
                }
                if let Some(offset) = offset {
                    write!(f, " OFFSET {offset}")?;
                }
                Ok(())
            }
            LimitClause::OffsetCommaLimit { offset, limit } => {
                write!(f, " LIMIT {offset}, {limit}")
            }
        }
    }
}

impl Display for SetExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SetExpr::Select(s) => s.fmt(f),
            SetExpr::Query(q) => write!(f, "({q})"),
            SetExpr::Values(v) => v.fmt(f),
            SetExpr::SetOperation {
                op,
                all,
                left,
                right,
            } => {
                write!(f, "{left} {op} {}{right}", if *all { "ALL " } else { "" })
            }
        }
    }
}

impl Display for SetOperator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetOperator::Union => "UNION",
            SetOperator::Intersect => "INTERSECT",
            SetOperator::Except => "EXCEPT",
        })
    }
}

impl Display for Values {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("VALUES")?;
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write!(f, " ({})", commas(&row.content))?;
        }
        Ok(())
    }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT")?;
        if self.distinct {
            f.write_str(" DISTINCT")?;
        }
        write!(f, " {}", commas(&self.projection))?;
        if !self.from.is_empty() {
            write!(f, " FROM {}", commas(&self.from))?;
        }
        if let Some(selection) = &self.selection {
            write!(f, " WHERE {selection}")?;
        }
        if !self.group_by.is_empty() {
            write!(f, " GROUP BY {}", commas(&self.group_by))?;
        }
        if let Some(having) = &self.having {
            write!(f, " HAVING {having}")?;
        }
        Ok(())
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::UnnamedExpr(e) => e.fmt(f),
            SelectItem::ExprWithAlias { expr, alias } => write!(f, "{expr} AS {alias}"),
            SelectItem::QualifiedWildcard(name) => write!(f, "{name}.*"),
            SelectItem::Wildcard(_) => f.write_char('*'),
        }
    }
}

impl Display for TableWithJoins {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.relation.fmt(f)?;
        for join in &self.joins {
            write!(f, " {join}")?;
        }
        Ok(())
    }
}

impl Display for TableFactor {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let alias = match self {
            TableFactor::Table { name, args, alias } => {
                name.fmt(f)?;
                if let Some(args) = args {
                    write!(f, "({})", commas(args))?;
                }
                alias
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                write!(f, "({subquery})")?;
                alias
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
                ..
            } => {
                write!(f, "({table_with_joins})")?;
                alias
            }
        };
        match alias {
            Some(alias) => write!(f, " {alias}"),
            None => Ok(()),
        }
    }
}

impl Display for TableAlias {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "AS {}", self.name)?;
        if !self.columns.is_empty() {
            write!(f, " ({})", commas(&self.columns))?;
        }
        Ok(())
    }
}

impl Display for Join {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (words, constraint) = match &self.join_operator {
            JoinOperator::Inner(c) => ("JOIN", Some(c)),
            JoinOperator::Left(c) => ("LEFT JOIN", Some(c)),
            JoinOperator::Right(c) => ("RIGHT JOIN", Some(c)),
            JoinOperator::FullOuter(c) => ("FULL JOIN", Some(c)),
            JoinOperator::CrossJoin => ("CROSS JOIN", None),
            JoinOperator::Semi(c) => ("SEMI JOIN", Some(c)),
            JoinOperator::AsOf {
                left: false,
                constraint,
            } => ("ASOF JOIN", Some(constraint)),
            JoinOperator::AsOf {
                left: true,
                constraint,
            } => ("ASOF LEFT JOIN", Some(constraint)),
        };
        if constraint == Some(&JoinConstraint::Natural) {
            f.write_str("NATURAL ")?;
        }
        write!(f, "{words} {}", self.relation)?;
        match constraint {
            Some(JoinConstraint::On(e)) => write!(f, " ON {e}"),
            Some(JoinConstraint::Using(columns)) => write!(f, " USING({})", commas(columns)),
            _ => Ok(()),
        }
    }
}

impl Display for OrderByExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        match self.asc {
            Some(true) => f.write_str(" ASC")?,
            Some(false) => f.write_str(" DESC")?,
            None => {}
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.quote_style {
            Some(q) => {
                f.write_char(q)?;
                for c in self.value.chars() {
                    if c == q {
                        f.write_char(q)?;
                    }
                    f.write_char(c)?;
                }
                f.write_char(q)
            }
            None => f.write_str(&self.value),
        }
    }
}

impl Display for ObjectName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Separated(&self.0, ".").fmt(f)
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => f.write_str(n),
            Value::SingleQuotedString(s) => {
                f.write_char('\'')?;
                for c in s.chars() {
                    if c == '\'' {
                        f.write_char('\'')?;
                    }
                    f.write_char(c)?;
                }
                f.write_char('\'')
            }
            Value::EscapedStringLiteral(s) => {
                f.write_str("E'")?;
                for c in s.chars() {
                    match c {
                        '\'' => f.write_str("\\'")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c => f.write_char(c)?,
                    }
                }
                f.write_char('\'')
            }
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Null => f.write_str("NULL"),
        }
    }
}

impl Display for ValueWithSpan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl Display for DataType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.args.is_empty() {
            write!(f, "({})", Separated(&self.args, ","))?;
        }
        Ok(())
    }
}

impl Display for BinaryOperator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOperator::Plus => "+",
            BinaryOperator::Minus => "-",
            BinaryOperator::Multiply => "*",
            BinaryOperator::Divide => "/",
            BinaryOperator::Modulo => "%",
            BinaryOperator::StringConcat => "||",
            BinaryOperator::Gt => ">",
            BinaryOperator::Lt => "<",
            BinaryOperator::GtEq => ">=",
            BinaryOperator::LtEq => "<=",
            BinaryOperator::Eq => "=",
            BinaryOperator::NotEq => "<>",
            BinaryOperator::And => "AND",
            BinaryOperator::Or => "OR",
        })
    }
}

impl Display for UnaryOperator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnaryOperator::Plus => "+",
            UnaryOperator::Minus => "-",
            UnaryOperator::Not => "NOT",
        })
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Identifier(i) => i.fmt(f),
            Expr::CompoundIdentifier(parts) => Separated(parts, ".").fmt(f),
            Expr::Value(v) => v.fmt(f),
            Expr::BinaryOp { left, op, right } => write!(f, "{left} {op} {right}"),
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
                ..
            } => write!(f, "NOT {expr}"),
            Expr::UnaryOp { op, expr, .. } => write!(f, "{op}{expr}"),
            Expr::Nested(e) => write!(f, "({e})"),
            Expr::Cast {
                kind,
                expr,
                data_type,
                ..
            } => match kind {
                CastKind::Cast => write!(f, "CAST({expr} AS {data_type})"),
                CastKind::TryCast => write!(f, "TRY_CAST({expr} AS {data_type})"),
                CastKind::DoubleColon => write!(f, "{expr}::{data_type}"),
            },
            Expr::IsNull(e) => write!(f, "{e} IS NULL"),
            Expr::IsNotNull(e) => write!(f, "{e} IS NOT NULL"),
            Expr::IsTrue(e) => write!(f, "{e} IS TRUE"),
            Expr::IsNotTrue(e) => write!(f, "{e} IS NOT TRUE"),
            Expr::IsFalse(e) => write!(f, "{e} IS FALSE"),
            Expr::IsNotFalse(e) => write!(f, "{e} IS NOT FALSE"),
            Expr::IsDistinctFrom(a, b) => write!(f, "{a} IS DISTINCT FROM {b}"),
            Expr::IsNotDistinctFrom(a, b) => write!(f, "{a} IS NOT DISTINCT FROM {b}"),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => write!(f, "{expr} {}BETWEEN {low} AND {high}", not(*negated)),
            Expr::InList {
                expr,
                list,
                negated,
            } => write!(f, "{expr} {}IN ({})", not(*negated), commas(list)),
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => write!(f, "{expr} {}IN ({subquery})", not(*negated)),
            Expr::Exists {
                subquery, negated, ..
            } => write!(f, "{}EXISTS ({subquery})", not(*negated)),
            Expr::Subquery(q, _) => write!(f, "({q})"),
            Expr::Like {
                case_insensitive,
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                let like = if *case_insensitive { "ILIKE" } else { "LIKE" };
                write!(f, "{expr} {}{like} {pattern}", not(*negated))?;
                match escape_char {
                    Some(c) => write!(f, " ESCAPE {c}"),
                    None => Ok(()),
                }
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {operand}")?;
                }
                for when in conditions {
                    write!(f, " {when}")?;
                }
                if let Some(e) = else_result {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::Function(call) => call.fmt(f),
            Expr::Extract { field, expr, .. } => {
                write!(f, "EXTRACT({} FROM {expr})", field.to_ascii_uppercase())
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                special,
                ..
            } => {
                write!(f, "SUBSTRING({expr}")?;
                let (from, for_) = if *special {
                    (", ", ", ")
                } else {
                    (" FROM ", " FOR ")
                };
                if let Some(e) = substring_from {
                    write!(f, "{from}{e}")?;
                }
                if let Some(e) = substring_for {
                    write!(f, "{for_}{e}")?;
                }
                f.write_char(')')
            }
            Expr::Trim {
                expr,
                trim_where,
                trim_what,
                ..
            } => {
                f.write_str("TRIM(")?;
                if let Some(trim_where) = trim_where {
                    write!(f, "{trim_where} ")?;
                }
                if let Some(what) = trim_what {
                    write!(f, "{what} FROM ")?;
                }
                write!(f, "{expr})")
            }
            Expr::Position { expr, r#in, .. } => write!(f, "POSITION({expr} IN {in})"),
            Expr::Ceil { expr, .. } => write!(f, "CEIL({expr})"),
            Expr::Floor { expr, .. } => write!(f, "FLOOR({expr})"),
            Expr::Interval {
                value,
                leading_field,
                ..
            } => {
                write!(f, "INTERVAL {value}")?;
                match leading_field {
                    Some(unit) => write!(f, " {unit}"),
                    None => Ok(()),
                }
            }
            Expr::TypedString {
                data_type, value, ..
            } => write!(f, "{data_type} {value}"),
        }
    }
}

impl Display for CaseWhen {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "WHEN {} THEN {}", self.condition, self.result)
    }
}

impl Display for TrimWhereField {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrimWhereField::Both => "BOTH",
            TrimWhereField::Leading => "LEADING",
            TrimWhereField::Trailing => "TRAILING",
        })
    }
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)?;
        if let Some(args) = &self.args {
            f.write_char('(')?;
            if self.distinct {
                f.write_str("DISTINCT ")?;
            }
            write!(f, "{})", commas(args))?;
        }
        if let Some(filter) = &self.filter {
            write!(f, " FILTER (WHERE {filter})")?;
        }
        if let Some(over) = &self.over {
            write!(f, " OVER ({over})")?;
        }
        Ok(())
    }
}

impl Display for FunctionArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FunctionArg::Expr(e) => e.fmt(f),
            FunctionArg::Wildcard(_) => f.write_char('*'),
        }
    }
}

impl Display for WindowSpec {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if !self.partition_by.is_empty() {
            parts.push(format!("PARTITION BY {}", commas(&self.partition_by)));
        }
        if !self.order_by.is_empty() {
            parts.push(format!("ORDER BY {}", commas(&self.order_by)));
        }
        if let Some(frame) = &self.window_frame {
            parts.push(frame.to_string());
        }
        Separated(&parts, " ").fmt(f)
    }
}

impl Display for WindowFrame {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let units = self.units;
        match &self.end_bound {
            Some(end) => write!(f, "{units} BETWEEN {} AND {end}", self.start_bound),
            None => write!(f, "{units} {}", self.start_bound),
        }
    }
}

impl Display for WindowFrameUnits {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WindowFrameUnits::Rows => "ROWS",
            WindowFrameUnits::Range => "RANGE",
        })
    }
}

impl Display for WindowFrameBound {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            WindowFrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            WindowFrameBound::Preceding(None) => f.write_str("UNBOUNDED PRECEDING"),
            WindowFrameBound::Following(None) => f.write_str("UNBOUNDED FOLLOWING"),
            WindowFrameBound::Preceding(Some(n)) => write!(f, "{n} PRECEDING"),
            WindowFrameBound::Following(Some(n)) => write!(f, "{n} FOLLOWING"),
        }
    }
}
