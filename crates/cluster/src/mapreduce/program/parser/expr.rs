//! The expression half of the parser: Python's precedence from conditional expressions down
//! through `or`, `and`, `not`, comparisons, `+ -`, `* // %`, unary signs and the primaries
//! (calls, indexing, slicing, methods) to atoms (names, numbers, strings, tuples, lists and
//! list comprehensions).

use super::{is_keyword, Parser};
use crate::mapreduce::program::ast::{BinOp, CmpOp, Expr, ExprKind, UnaryOp};
use crate::mapreduce::program::lexer::Tok;
use crate::mapreduce::program::ProgramError;
use std::rc::Rc;

impl Parser {
    /// `a, b, c` (a tuple when there is a comma) or one expression.
    pub(super) fn expr_list(&mut self) -> Result<Expr, ProgramError> {
        let line = self.line();
        let first = self.expr()?;
        if !self.at_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.ends_expr_list() {
                break;
            }
            items.push(self.expr()?);
        }
        Ok(Expr {
            line,
            kind: ExprKind::Tuple(items),
        })
    }

    fn ends_expr_list(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::End)
            || ["=", ")", "]", ":", ";", "+=", "-="]
                .iter()
                .any(|op| self.at_op(op))
    }

    pub(super) fn expr(&mut self) -> Result<Expr, ProgramError> {
        self.nest()?;
        let line = self.line();
        let then = self.or_test()?;
        let result = if self.eat_word("if") {
            let cond = self.or_test()?;
            if !self.eat_word("else") {
                return Err(self.invalid("a conditional expression reads: a if condition else b"));
            }
            let otherwise = self.expr()?;
            Expr {
                line,
                kind: ExprKind::IfElse {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
            }
        } else {
            then
        };
        self.depth -= 1;
        Ok(result)
    }

    // A chain `a + b + c` builds a tree as deep as it is long: each operator in a chain counts
    // as a level of nesting, so no expression tree outgrows the stacks that evaluate and drop it.

    pub(super) fn or_test(&mut self) -> Result<Expr, ProgramError> {
        let entry = self.depth;
        let mut left = self.and_test()?;
        while self.at_word("or") {
            let line = self.line();
            self.advance();
            self.nest()?;
            let right = self.and_test()?;
            left = Expr {
                line,
                kind: ExprKind::Or(Box::new(left), Box::new(right)),
            };
        }
        self.depth = entry;
        Ok(left)
    }

    fn and_test(&mut self) -> Result<Expr, ProgramError> {
        let entry = self.depth;
        let mut left = self.not_test()?;
        while self.at_word("and") {
            let line = self.line();
            self.advance();
            self.nest()?;
            let right = self.not_test()?;
            left = Expr {
                line,
                kind: ExprKind::And(Box::new(left), Box::new(right)),
            };
        }
        self.depth = entry;
        Ok(left)
    }

    fn not_test(&mut self) -> Result<Expr, ProgramError> {
        let line = self.line();
        if self.eat_word("not") {
            self.nest()?;
            let operand = self.not_test()?;
            self.depth -= 1;
            return Ok(Expr {
                line,
                kind: ExprKind::Not(Box::new(operand)),
            });
        }
        self.comparison()
    }

    fn comparison_op(&mut self) -> Option<CmpOp> {
        let op = match self.peek() {
            Tok::Op("==") => CmpOp::Eq,
            Tok::Op("!=") => CmpOp::Ne,
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            Tok::Name(n) if &**n == "in" => CmpOp::In,
            Tok::Name(n) if &**n == "not" => {
                if !matches!(self.peek_at(1), Tok::Name(m) if &**m == "in") {
                    return None;
                }
                self.advance();
                CmpOp::NotIn
            }
            Tok::Name(n) if &**n == "is" => {
                if matches!(self.peek_at(1), Tok::Name(m) if &**m == "not") {
                    self.advance();
                    CmpOp::IsNot
                } else {
                    CmpOp::Is
                }
            }
            _ => return None,
        };
        self.advance();
        Some(op)
    }

    fn comparison(&mut self) -> Result<Expr, ProgramError> {
        let line = self.line();
        let first = self.arith()?;
        let mut rest = Vec::new();
        while let Some(op) = self.comparison_op() {
            rest.push((op, self.arith()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(Expr {
            line,
            kind: ExprKind::Compare {
                first: Box::new(first),
                rest,
            },
        })
    }

    pub(super) fn arith(&mut self) -> Result<Expr, ProgramError> {
        let entry = self.depth;
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => break,
            };
            let line = self.line();
            self.advance();
            self.nest()?;
            let right = self.term()?;
            left = binary(line, op, left, right);
        }
        self.depth = entry;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, ProgramError> {
        let entry = self.depth;
        let mut left = self.factor()?;
        loop {
            let op =
                match self.peek() {
                    Tok::Op("*") => BinOp::Mul,
                    Tok::Op("//") => BinOp::FloorDiv,
                    Tok::Op("%") => BinOp::Mod,
                    Tok::Op("/") => return Err(ProgramError::syntax(
                        self.line(),
                        "SyntaxError: '/' (true division) is not supported in this lab's Python",
                        "numbers are whole numbers here: use // for division (7 // 2 == 3)",
                    )),
                    _ => break,
                };
            let line = self.line();
            self.advance();
            self.nest()?;
            let right = self.factor()?;
            left = binary(line, op, left, right);
        }
        self.depth = entry;
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, ProgramError> {
        let line = self.line();
        let op = match self.peek() {
            Tok::Op("-") => UnaryOp::Neg,
            Tok::Op("+") => UnaryOp::Pos,
            _ => return self.power(),
        };
        self.advance();
        self.nest()?;
        let operand = self.factor()?;
        self.depth -= 1;
        Ok(Expr {
            line,
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
        })
    }

    fn power(&mut self) -> Result<Expr, ProgramError> {
        let expr = self.primary()?;
        if self.at_op("**") {
            return Err(ProgramError::syntax(
                self.line(),
                "SyntaxError: '**' is not supported in this lab's Python",
                "multiply instead: x * x",
            ));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, ProgramError> {
        let mut expr = self.atom()?;
        loop {
            let line = self.line();
            if self.eat_op("(") {
                self.nest()?;
                let (args, kwargs) = self.call_args()?;
                self.depth -= 1;
                expr = Expr {
                    line,
                    kind: ExprKind::Call {
                        func: Box::new(expr),
                        args,
                        kwargs,
                    },
                };
            } else if self.eat_op("[") {
                self.nest()?;
                expr = self.subscript(expr, line)?;
                self.depth -= 1;
            } else if self.eat_op(".") {
                let name = self.name("a method name after '.'")?;
                expr = Expr {
                    line,
                    kind: ExprKind::Attribute {
                        obj: Box::new(expr),
                        name,
                    },
                };
            } else {
                return Ok(expr);
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn call_args(&mut self) -> Result<(Vec<Expr>, Vec<(Rc<str>, Expr)>), ProgramError> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !self.at_op(")") {
            let is_keyword_arg =
                matches!(self.peek(), Tok::Name(_)) && matches!(self.peek_at(1), Tok::Op("="));
            if is_keyword_arg {
                let name = self.name("an argument name")?;
                self.advance();
                kwargs.push((name, self.expr()?));
            } else {
                if !kwargs.is_empty() {
                    return Err(self.invalid("positional arguments come before name=value ones"));
                }
                args.push(self.expr()?);
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")", "close the call's arguments")?;
        Ok((args, kwargs))
    }

    fn subscript(&mut self, obj: Expr, line: u32) -> Result<Expr, ProgramError> {
        let lower = if self.at_op(":") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        if !self.eat_op(":") {
            self.expect_op("]", "close the index")?;
            let index = lower.ok_or_else(|| self.invalid("an index inside [ ]"))?;
            return Ok(Expr {
                line,
                kind: ExprKind::Index {
                    obj: Box::new(obj),
                    index,
                },
            });
        }
        let upper = if self.at_op("]") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        if self.at_op(":") {
            return Err(self.invalid("slices with a step (x[a:b:c]) are not supported"));
        }
        self.expect_op("]", "close the slice")?;
        Ok(Expr {
            line,
            kind: ExprKind::Slice {
                obj: Box::new(obj),
                lower,
                upper,
            },
        })
    }

    fn atom(&mut self) -> Result<Expr, ProgramError> {
        let line = self.line();
        let kind = match self.peek().clone() {
            Tok::Int(n) => {
                self.advance();
                ExprKind::Int(n)
            }
            Tok::Str(s) => {
                self.advance();
                let mut text = s.to_string();
                while let Tok::Str(more) = self.peek().clone() {
                    self.advance();
                    text.push_str(&more);
                }
                ExprKind::Str(Rc::from(text))
            }
            Tok::Name(n) => match &*n {
                "None" => {
                    self.advance();
                    ExprKind::None
                }
                "True" | "False" => {
                    self.advance();
                    ExprKind::Bool(&*n == "True")
                }
                _ if is_keyword(&n) => {
                    return Err(self.invalid(format!("'{n}' is a keyword, not a value")))
                }
                _ => {
                    self.advance();
                    ExprKind::Name(n)
                }
            },
            Tok::Op("(") => {
                self.advance();
                self.nest()?;
                let kind = self.parenthesized()?;
                self.depth -= 1;
                kind
            }
            Tok::Op("[") => {
                self.advance();
                self.nest()?;
                let kind = self.list_display()?;
                self.depth -= 1;
                kind
            }
            _ => return Err(self.invalid("expected a value: a name, a number, a string, ( or [")),
        };
        Ok(Expr { line, kind })
    }

    fn parenthesized(&mut self) -> Result<ExprKind, ProgramError> {
        if self.eat_op(")") {
            return Ok(ExprKind::Tuple(Vec::new()));
        }
        let first = self.expr()?;
        if self.eat_op(")") {
            return Ok(first.kind);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_op(")") {
                break;
            }
            items.push(self.expr()?);
        }
        self.expect_op(")", "close the parenthesis")?;
        Ok(ExprKind::Tuple(items))
    }

    fn list_display(&mut self) -> Result<ExprKind, ProgramError> {
        if self.eat_op("]") {
            return Ok(ExprKind::List(Vec::new()));
        }
        let first = self.expr()?;
        if self.eat_word("for") {
            let target = self.target_list()?;
            if !self.eat_word("in") {
                return Err(self.invalid("a list comprehension reads: [x for x in items]"));
            }
            let iter = self.or_test()?;
            let cond = if self.eat_word("if") {
                Some(Box::new(self.or_test()?))
            } else {
                None
            };
            self.expect_op("]", "close the list comprehension")?;
            return Ok(ExprKind::ListComp {
                elt: Box::new(first),
                target: Box::new(target),
                iter: Box::new(iter),
                cond,
            });
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_op("]") {
                break;
            }
            items.push(self.expr()?);
        }
        self.expect_op("]", "close the list")?;
        Ok(ExprKind::List(items))
    }
}

fn binary(line: u32, op: BinOp, left: Expr, right: Expr) -> Expr {
    Expr {
        line,
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
    }
}
