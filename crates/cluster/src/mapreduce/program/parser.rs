//! The parser: tokens to a [`Program`], by recursive descent over the grammar of the Python
//! reference ("Full Grammar specification") cut down to the subset the lab supports.
//!
//! What it refuses gets Python's own error where one exists ("SyntaxError: invalid syntax",
//! "cannot assign to function call") and a hint naming what the lab's Python offers instead.
//! Nesting is bounded (like CPython's "too many nested parentheses") so no input can exhaust the
//! stack.

mod expr;

use super::ast::{BinOp, Expr, ExprKind, FunctionDef, Program, Stmt, StmtKind, Target};
use super::lexer::{tokenize, Tok, Token};
use super::ProgramError;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Deepest nesting of expressions and blocks the parser follows.
const NESTING_MAX: u32 = 64;

/// Words that are not names.
const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Parses a whole program.
pub fn parse(source: &str) -> Result<Program, ProgramError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        loops: 0,
        in_function: false,
    };
    let mut body = Vec::new();
    while !parser.at(&Tok::End) {
        if parser.eat(&Tok::Newline) {
            continue;
        }
        body.extend(parser.statement(true)?);
    }
    Ok(Program { body })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: u32,
    /// Loops around the statement being parsed (`break` needs one).
    loops: u32,
    in_function: bool,
}

fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens
            .get(self.pos)
            .map(|t| &t.tok)
            .unwrap_or(&Tok::End)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map(|t| &t.tok)
            .unwrap_or(&Tok::End)
    }

    fn line(&self) -> u32 {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(1, |t| t.line)
    }

    fn at(&self, tok: &Tok) -> bool {
        self.peek() == tok
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if &**n == word)
    }

    fn advance(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.at(tok) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.at_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn invalid(&self, hint: impl Into<String>) -> ProgramError {
        let near = match self.peek() {
            Tok::Name(n) => format!(" near '{n}'"),
            Tok::Op(o) => format!(" near '{o}'"),
            Tok::Int(n) => format!(" near {n}"),
            Tok::Str(_) => " near a string".to_string(),
            Tok::Newline | Tok::End => " at the end of the line".to_string(),
            Tok::Indent => " (unexpected indent)".to_string(),
            Tok::Dedent => " (unexpected dedent)".to_string(),
        };
        ProgramError::syntax(
            self.line(),
            format!("SyntaxError: invalid syntax{near}"),
            hint,
        )
    }

    fn expect_op(&mut self, op: &str, hint: &str) -> Result<(), ProgramError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.invalid(format!("expected '{op}': {hint}")))
        }
    }

    fn name(&mut self, what: &str) -> Result<Rc<str>, ProgramError> {
        match self.peek().clone() {
            Tok::Name(n) if !is_keyword(&n) => {
                self.advance();
                Ok(n)
            }
            _ => Err(self.invalid(format!("expected {what} (a name)"))),
        }
    }

    fn nest(&mut self) -> Result<(), ProgramError> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(ProgramError::syntax(
                self.line(),
                "SyntaxError: too many nested parentheses or blocks",
                "split the expression into several lines with variables",
            ));
        }
        Ok(())
    }

    // ---- statements ----

    fn statement(&mut self, top_level: bool) -> Result<Vec<Stmt>, ProgramError> {
        let line = self.line();
        if self.at(&Tok::Indent) {
            return Err(ProgramError::syntax(
                line,
                "IndentationError: unexpected indent",
                "only the lines of a block (after a line ending in ':') are indented deeper",
            ));
        }
        let kind = if self.at_word("def") {
            if !top_level {
                return Err(ProgramError::syntax(
                    line,
                    "SyntaxError: functions inside functions are not supported in this lab's Python",
                    "define every function at the top level of the program (no indentation before def)",
                ));
            }
            self.function()?
        } else if self.eat_word("if") {
            self.if_statement()?
        } else if self.eat_word("for") {
            let target = self.target_list()?;
            if !self.eat_word("in") {
                return Err(self.invalid("a for loop reads: for x in items:"));
            }
            let iter = self.expr_list()?;
            let body = self.loop_body()?;
            StmtKind::For { target, iter, body }
        } else if self.eat_word("while") {
            let cond = self.expr()?;
            let body = self.loop_body()?;
            StmtKind::While { cond, body }
        } else {
            return self.simple_line();
        };
        Ok(vec![Stmt { line, kind }])
    }

    fn loop_body(&mut self) -> Result<Vec<Stmt>, ProgramError> {
        self.loops += 1;
        let body = self.block();
        self.loops -= 1;
        body
    }

    fn function(&mut self) -> Result<StmtKind, ProgramError> {
        let line = self.line();
        self.advance();
        let name = self.name("the function's name")?;
        self.expect_op("(", "def name(params):")?;
        let mut params = Vec::new();
        while !self.at_op(")") {
            params.push(self.name("a parameter")?);
            if self.at_op("=") {
                return Err(
                    self.invalid("default parameter values are not supported: pass every argument")
                );
            }
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")", "close the parameter list")?;
        self.in_function = true;
        let body = self.block();
        self.in_function = false;
        let body = body?;
        let mut assigned = BTreeSet::new();
        let mut globals = BTreeSet::new();
        collect_bindings(&body, &mut assigned, &mut globals);
        let mut locals: BTreeSet<Rc<str>> = sim::sort::collect_set(params.iter().cloned());
        locals.extend(assigned.into_iter().filter(|n| !globals.contains(n)));
        Ok(StmtKind::Def(Rc::new(FunctionDef {
            name,
            params,
            body,
            locals,
            line,
        })))
    }

    fn if_statement(&mut self) -> Result<StmtKind, ProgramError> {
        let mut branches = Vec::new();
        let cond = self.expr()?;
        branches.push((cond, self.block()?));
        let mut orelse = Vec::new();
        loop {
            if self.eat_word("elif") {
                let cond = self.expr()?;
                branches.push((cond, self.block()?));
            } else if self.eat_word("else") {
                orelse = self.block()?;
                break;
            } else {
                break;
            }
        }
        Ok(StmtKind::If { branches, orelse })
    }

    /// `:` then an indented block, or simple statements on the same line.
    fn block(&mut self) -> Result<Vec<Stmt>, ProgramError> {
        self.expect_op(":", "a block's first line ends with ':'")?;
        self.nest()?;
        let body = if self.eat(&Tok::Newline) {
            if !self.eat(&Tok::Indent) {
                return Err(ProgramError::syntax(
                    self.line(),
                    "IndentationError: expected an indented block",
                    "indent the block's lines deeper than the line ending in ':' (write pass for an empty block)",
                ));
            }
            let mut body = Vec::new();
            while !self.eat(&Tok::Dedent) {
                if self.at(&Tok::End) {
                    break;
                }
                body.extend(self.statement(false)?);
            }
            body
        } else {
            self.simple_line()?
        };
        self.depth -= 1;
        Ok(body)
    }

    /// Simple statements separated by `;`, then the end of the line.
    fn simple_line(&mut self) -> Result<Vec<Stmt>, ProgramError> {
        let mut stmts = vec![self.simple()?];
        while self.eat_op(";") {
            if self.at(&Tok::Newline) {
                break;
            }
            stmts.push(self.simple()?);
        }
        if !self.eat(&Tok::Newline) && !self.at(&Tok::End) {
            return Err(self.invalid("one statement per line (or separate them with ;)"));
        }
        Ok(stmts)
    }

    fn simple(&mut self) -> Result<Stmt, ProgramError> {
        let line = self.line();
        let kind = match self.peek().clone() {
            Tok::Name(word) => match &*word {
                "pass" => {
                    self.advance();
                    StmtKind::Pass
                }
                "break" | "continue" if self.loops == 0 => {
                    return Err(ProgramError::syntax(
                        line,
                        format!("SyntaxError: '{word}' outside loop"),
                        format!("{word} belongs inside a for or while loop"),
                    ))
                }
                "break" => {
                    self.advance();
                    StmtKind::Break
                }
                "continue" => {
                    self.advance();
                    StmtKind::Continue
                }
                "return" if !self.in_function => {
                    return Err(ProgramError::syntax(
                        line,
                        "SyntaxError: 'return' outside function",
                        "return belongs inside a def",
                    ))
                }
                "return" => {
                    self.advance();
                    if self.at(&Tok::Newline) || self.at_op(";") || self.at(&Tok::End) {
                        StmtKind::Return(None)
                    } else {
                        StmtKind::Return(Some(self.expr_list()?))
                    }
                }
                "global" => {
                    self.advance();
                    let mut names = vec![self.name("a variable after global")?];
                    while self.eat_op(",") {
                        names.push(self.name("a variable after global")?);
                    }
                    StmtKind::Global(names)
                }
                "import" | "from" => {
                    return Err(ProgramError::syntax(
                        line,
                        "SyntaxError: import is not available in this lab's Python",
                        "there are no modules: the built-ins (len, sum, sorted, set, ...) and str methods (split, strip, lower, ...) cover these jobs",
                    ))
                }
                "class" | "try" | "except" | "finally" | "with" | "lambda" | "yield"
                | "raise" | "assert" | "del" | "nonlocal" | "async" | "await" | "as" => {
                    return Err(ProgramError::syntax(
                        line,
                        format!("SyntaxError: '{word}' is not supported in this lab's Python"),
                        "the lab runs def, if/elif/else, for, while, return, global and assignments",
                    ))
                }
                _ => self.expression_statement()?,
            },
            _ => self.expression_statement()?,
        };
        Ok(Stmt { line, kind })
    }

    fn expression_statement(&mut self) -> Result<StmtKind, ProgramError> {
        let first = self.expr_list()?;
        if let Tok::Op(op) = self.peek().clone() {
            let aug = match op {
                "+=" => Some(BinOp::Add),
                "-=" => Some(BinOp::Sub),
                "*=" => Some(BinOp::Mul),
                "//=" => Some(BinOp::FloorDiv),
                "%=" => Some(BinOp::Mod),
                _ => None,
            };
            if let Some(op) = aug {
                self.advance();
                let target = to_target(first)?;
                if matches!(target, Target::Tuple(_)) {
                    return Err(ProgramError::syntax(
                        self.line(),
                        "SyntaxError: 'tuple' is an illegal expression for augmented assignment",
                        "update one variable at a time: a += 1",
                    ));
                }
                let value = self.expr_list()?;
                return Ok(StmtKind::AugAssign { target, op, value });
            }
            if op == "=" {
                let mut exprs = vec![first];
                while self.eat_op("=") {
                    exprs.push(self.expr_list()?);
                }
                let value = exprs.pop().ok_or_else(|| self.invalid("a value after ="))?;
                let targets = exprs
                    .into_iter()
                    .map(to_target)
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(StmtKind::Assign { targets, value });
            }
        }
        Ok(StmtKind::Expr(first))
    }

    /// The names after `for`: `x` or `a, b`.
    fn target_list(&mut self) -> Result<Target, ProgramError> {
        let line = self.line();
        // Targets stop before `in`: parse them above the comparisons.
        let mut items = vec![self.arith()?];
        let mut tuple = false;
        while self.eat_op(",") {
            tuple = true;
            if self.at_word("in") {
                break;
            }
            items.push(self.arith()?);
        }
        let expr = if tuple {
            Expr {
                line,
                kind: ExprKind::Tuple(items),
            }
        } else {
            items.remove(0)
        };
        to_target(expr)
    }
}

/// An expression on the left of `=` as the place it stores to.
fn to_target(expr: Expr) -> Result<Target, ProgramError> {
    let refuse = |what: &str| {
        Err(ProgramError::syntax(
            expr.line,
            format!("SyntaxError: cannot assign to {what}"),
            "the left of = is a variable, several (a, b = ...) or an item (xs[0] = ...)",
        ))
    };
    match expr.kind {
        ExprKind::Name(n) => Ok(Target::Name(n)),
        ExprKind::Tuple(items) | ExprKind::List(items) => Ok(Target::Tuple(
            items.into_iter().map(to_target).collect::<Result<_, _>>()?,
        )),
        ExprKind::Index { obj, index } => Ok(Target::Index {
            obj: *obj,
            index: *index,
        }),
        ExprKind::Call { .. } => refuse("function call"),
        ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::None => {
            refuse("literal")
        }
        _ => refuse("expression"),
    }
}

/// Names a block binds (assignments, loop variables, comprehension variables) and the names it
/// declares `global`.
fn collect_bindings(
    body: &[Stmt],
    assigned: &mut BTreeSet<Rc<str>>,
    globals: &mut BTreeSet<Rc<str>>,
) {
    for stmt in body {
        match &stmt.kind {
            StmtKind::Assign { targets, value } => {
                targets.iter().for_each(|t| target_names(t, assigned));
                expr_bindings(value, assigned);
            }
            StmtKind::AugAssign { target, value, .. } => {
                target_names(target, assigned);
                expr_bindings(value, assigned);
            }
            StmtKind::If { branches, orelse } => {
                for (cond, block) in branches {
                    expr_bindings(cond, assigned);
                    collect_bindings(block, assigned, globals);
                }
                collect_bindings(orelse, assigned, globals);
            }
            StmtKind::For { target, iter, body } => {
                target_names(target, assigned);
                expr_bindings(iter, assigned);
                collect_bindings(body, assigned, globals);
            }
            StmtKind::While { cond, body } => {
                expr_bindings(cond, assigned);
                collect_bindings(body, assigned, globals);
            }
            StmtKind::Global(names) => globals.extend(names.iter().cloned()),
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => expr_bindings(e, assigned),
            StmtKind::Def(_)
            | StmtKind::Return(None)
            | StmtKind::Pass
            | StmtKind::Break
            | StmtKind::Continue => {}
        }
    }
}

fn target_names(target: &Target, names: &mut BTreeSet<Rc<str>>) {
    match target {
        Target::Name(n) => {
            names.insert(n.clone());
        }
        Target::Tuple(items) => items.iter().for_each(|t| target_names(t, names)),
        Target::Index { .. } => {}
    }
}

/// Comprehension variables bind in the enclosing function in this lab's Python.
fn expr_bindings(expr: &Expr, names: &mut BTreeSet<Rc<str>>) {
    match &expr.kind {
        ExprKind::ListComp {
            elt,
            target,
            iter,
            cond,
        } => {
            target_names(target, names);
            expr_bindings(elt, names);
            expr_bindings(iter, names);
            if let Some(c) = cond {
                expr_bindings(c, names);
            }
        }
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().for_each(|e| expr_bindings(e, names))
        }
        ExprKind::Call { func, args, kwargs } => {
            expr_bindings(func, names);
            args.iter().for_each(|e| expr_bindings(e, names));
            kwargs.iter().for_each(|(_, e)| expr_bindings(e, names));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_knows_its_locals_minus_globals() {
        let program = parse(
            "total = 0\ndef reduce(key, values):\n    global total\n    n = len(values)\n    total += n\n    for v in values:\n        pass\n",
        );
        let program = program.ok();
        let locals: Vec<String> = program
            .iter()
            .flat_map(|p| p.functions())
            .flat_map(|f| f.locals.iter().map(|n| n.to_string()))
            .collect();
        assert_eq!(locals, ["key", "n", "v", "values"]);
    }

    #[test]
    fn tuple_unpacking_and_chained_comparisons_parse() {
        assert!(parse("a, b, c = key.split('\\t')\nx = 1 < a <= 3\n").is_ok());
        assert!(parse("for k, v in pairs:\n    emit(k, v)\n").is_ok());
        assert!(parse("xs = [w for w in line.split() if w]\n").is_ok());
    }

    #[test]
    fn refusals_name_the_problem_and_the_line() {
        let cases = [
            ("x = 1\ny = 7 / 2\n", 2, "true division"),
            ("import sys\n", 1, "import"),
            ("f(x) = 1\n", 1, "cannot assign to function call"),
            ("if x\n    y = 1\n", 1, "invalid syntax"),
            (
                "def f():\n    def g():\n        pass\n",
                2,
                "functions inside functions",
            ),
            ("def f():\nreturn 1\n", 2, "expected an indented block"),
        ];
        for (source, line, needle) in cases {
            let err = parse(source).err();
            assert!(
                err.as_ref()
                    .is_some_and(|e| e.line == line && e.message.contains(needle)),
                "{source:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // On a browser-sized stack (1 MiB), in an unoptimized build.
        let outcome = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                let nested = [
                    format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000)),
                    format!("x = {}1\n", "-".repeat(5000)),
                    format!("x = {}1\n", "not ".repeat(5000)),
                    format!("x = {}1{}\n", "[f(".repeat(5000), ")]".repeat(5000)),
                    format!("x = 1{}\n", " + 1".repeat(100_000)),
                    format!("x = a{}\n", " and a or a * 2 // 3".repeat(50_000)),
                    (0..100)
                        .map(|depth| format!("{}if x:\n", "    ".repeat(depth)))
                        .collect::<String>(),
                ];
                nested.iter().all(|source| parse(source).is_err())
            })
            .map(|handle| handle.join());
        assert!(matches!(outcome, Ok(Ok(true))));
        // Just under the limit still parses.
        assert!(parse(&format!("x = {}1{}\n", "(".repeat(20), ")".repeat(20))).is_ok());
        assert!(parse(&format!("x = 1{}\n", " + 1".repeat(40))).is_ok());
    }
}
