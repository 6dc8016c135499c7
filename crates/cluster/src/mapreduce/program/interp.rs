//! The tree-walking interpreter: one [`Session`] is one task's process running the program.
//!
//! [`Session::start`] runs the top level once (assignments make the module's state, `def`s make
//! functions); the task then calls `map`, `combine` or `reduce` once per line or key with
//! [`Session::call`], and top-level variables keep their values between calls, as in a
//! streaming task's long-lived Python process. Scoping is Python's: a name a function assigns is
//! local to it unless declared `global`.
//!
//! Every statement, loop iteration and call costs a step, and built-ins cost one step per item
//! they go through; a session stops with a [`ErrorKind::StepBudget`] error past its budget and
//! with [`ErrorKind::OutputCap`] past its output cap, so an endless loop cannot hang the page.

mod builtins;
mod methods;
mod ops;

use self::ops::{binary, compare, get_item, set_item, slice, unary};
use super::ast::{BinOp, CmpOp, Expr, ExprKind, FunctionDef, Program, Stmt, StmtKind, Target};
use super::value::{raise, Builtin, Raised, Value, Visits};
use super::{ErrorKind, ProgramError};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Deepest chain of user function calls (CPython's default is 1000; this lab's stack is small).
const CALL_DEPTH_MAX: usize = 40;
/// Deepest nesting of statements and expressions being evaluated at once, calls included: it
/// bounds the interpreter's own stack (a browser tab's is about 1 MiB).
const EVAL_DEPTH_MAX: u32 = 300;

/// What one session may spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub steps_max: u64,
    /// Bytes of emitted lines (each line's bytes plus its newline).
    pub output_bytes_max: u64,
}

/// One task's run of a program.
#[derive(Debug)]
pub struct Session {
    globals: BTreeMap<Rc<str>, Value>,
    frames: Vec<Frame>,
    steps: u64,
    limits: Limits,
    /// Joins tuple items and the key and value of an emitted line.
    separator: String,
    output: Vec<String>,
    output_bytes: u64,
    /// Statements and expressions being evaluated right now (see [`EVAL_DEPTH_MAX`]).
    depth: u32,
    /// The 128 one-character ASCII strs, shared by [`Session::chars_of`].
    ascii: Vec<Rc<str>>,
}

#[derive(Debug)]
struct Frame {
    func: Rc<FunctionDef>,
    locals: BTreeMap<Rc<str>, Value>,
}

/// How a block ended.
enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

type Run<T> = Result<T, ProgramError>;

/// A Python exception not yet placed on a program line.
fn unplaced((message, hint): Raised) -> ProgramError {
    ProgramError {
        line: 0,
        message,
        hint,
        kind: ErrorKind::Runtime,
    }
}

impl Session {
    /// Runs the program's top level; the session is then ready for calls.
    pub fn start(program: &Program, limits: Limits, separator: char) -> Run<Session> {
        let mut session = Session {
            globals: BTreeMap::new(),
            frames: Vec::new(),
            steps: 0,
            limits,
            separator: separator.to_string(),
            output: Vec::new(),
            output_bytes: 0,
            depth: 0,
            ascii: (0u8..128)
                .map(|b| Rc::from((b as char).to_string()))
                .collect(),
        };
        session.exec_block(&program.body)?;
        Ok(session)
    }

    /// Steps run so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The lines emitted since the last call of this, in emit order.
    pub fn take_output(&mut self) -> Vec<String> {
        std::mem::take(&mut self.output)
    }

    /// Whether the program defines a function `name` (at its top level, after running it).
    pub fn has_function(&self, name: &str) -> bool {
        matches!(self.globals.get(name), Some(Value::Function(_)))
    }

    /// Calls the program's function `name` with `args`.
    pub fn call(&mut self, name: &str, args: Vec<Value>) -> Run<Value> {
        match self.globals.get(name) {
            Some(Value::Function(f)) => {
                let f = f.clone();
                let line = f.line;
                self.call_function(&f, args, Vec::new())
                    .map_err(|e| e.placed(line))
            }
            _ => Err(ProgramError::runtime(
                1,
                format!("NameError: name '{name}' is not defined"),
                format!("define it: def {name}(...):"),
            )),
        }
    }

    fn step(&mut self, n: u64) -> Run<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.steps_max {
            return Err(ProgramError {
                line: 0,
                message: format!(
                    "the program ran over {} steps",
                    sim::text::group_thousands(self.limits.steps_max)
                ),
                hint: "is there a loop that never ends (a while whose condition stays true)?"
                    .to_string(),
                kind: ErrorKind::StepBudget,
            });
        }
        Ok(())
    }

    /// Charges steps for the size of the values an operation goes through (a step per 64 bytes
    /// of text and per 16 items), so work on big values counts against the budget too.
    fn charge<'v>(&mut self, values: impl IntoIterator<Item = &'v Value>) -> Run<()> {
        let cost: u64 = values.into_iter().map(size_cost).sum();
        if cost == 0 {
            return Ok(());
        }
        self.step(cost)
    }

    /// Runs an operation that compares values with a visit budget taken from the step budget,
    /// then charges the items it visited (a step per 16).
    fn with_visits<T>(
        &mut self,
        operation: impl FnOnce(&mut Visits) -> Result<T, Raised>,
    ) -> Run<T> {
        let steps_left = self.limits.steps_max.saturating_sub(self.steps);
        let allowed = steps_left.saturating_mul(16).saturating_add(16);
        let mut visits = Visits(allowed);
        let outcome = operation(&mut visits);
        self.step((allowed - visits.0) / 16)?;
        outcome.map_err(unplaced)
    }

    /// Writes one output line (`emit`).
    fn write_line(&mut self, line: String) -> Run<()> {
        self.output_bytes = self.output_bytes.saturating_add(line.len() as u64 + 1);
        if self.output_bytes > self.limits.output_bytes_max {
            return Err(self.output_cap_error());
        }
        self.output.push(line);
        Ok(())
    }

    fn output_cap_error(&self) -> ProgramError {
        ProgramError {
            line: 0,
            message: format!(
                "the program emitted over {} bytes",
                sim::text::group_thousands(self.limits.output_bytes_max)
            ),
            hint: "emit once per word or key, not inside a loop that repeats".to_string(),
            kind: ErrorKind::OutputCap,
        }
    }

    // ---- names ----

    fn load(&self, name: &Rc<str>) -> Result<Value, Raised> {
        if let Some(frame) = self.frames.last() {
            if frame.func.locals.contains(name) {
                return match frame.locals.get(name) {
                    Some(v) => Ok(v.clone()),
                    None => self.unbound_local(name),
                };
            }
        }
        if let Some(v) = self.globals.get(name) {
            return Ok(v.clone());
        }
        if let Some(b) = Builtin::named(name) {
            return Ok(Value::Builtin(b));
        }
        let mut known: Vec<&str> = self.globals.keys().map(|k| &**k).collect();
        if let Some(frame) = self.frames.last() {
            known.extend(frame.func.locals.iter().map(|k| &**k));
        }
        known.extend(Builtin::ALL.iter().map(|(n, _)| *n));
        let hint = match &**name {
            "print" => "print is not available: emit(key, value) writes the task's output lines"
                .to_string(),
            "dict" => {
                "dicts are not available: emit (key, 1) pairs and let the reducer add them up"
                    .to_string()
            }
            _ => sim::text::did_you_mean(name, known)
                .unwrap_or_else(|| "assign it before using it, or check the spelling".to_string()),
        };
        raise(format!("NameError: name '{name}' is not defined"), hint)
    }

    fn unbound_local(&self, name: &str) -> Result<Value, Raised> {
        let hint = if self.globals.contains_key(name) {
            format!(
                "the function assigns {name}, so Python treats it as local: add 'global {name}' as the function's first line to update the top-level variable"
            )
        } else {
            format!("assign {name} before using it")
        };
        raise(
            format!(
                "UnboundLocalError: cannot access local variable '{name}' where it is not associated with a value"
            ),
            hint,
        )
    }

    fn store(&mut self, name: &Rc<str>, value: Value) {
        if let Some(frame) = self.frames.last_mut() {
            if frame.func.locals.contains(name) {
                frame.locals.insert(name.clone(), value);
                return;
            }
        }
        self.globals.insert(name.clone(), value);
    }

    // ---- statements ----

    /// What a `for` loop or a comprehension goes through, its size charged up front (a loop
    /// may `break` after one item).
    fn loop_items(&mut self, iter: &Expr) -> Run<Vec<Value>> {
        let iterable = self.eval(iter)?;
        self.charge([&iterable])?;
        match &iterable {
            Value::Str(text) => Ok(self.chars_of(text)),
            other => other.items().map_err(unplaced),
        }
    }

    /// The characters of a text as one-character strs, ASCII ones shared from a cache (a word
    /// count's mapper loops over every character of its input).
    fn chars_of(&mut self, text: &str) -> Vec<Value> {
        text.chars()
            .map(|c| match self.ascii.get(c as usize) {
                Some(shared) => Value::Str(shared.clone()),
                None => Value::str(c.encode_utf8(&mut [0; 4])),
            })
            .collect()
    }

    /// Enters one more level of nesting, or fails with Python's RecursionError.
    fn descend(&mut self) -> Run<()> {
        self.depth += 1;
        if self.depth > EVAL_DEPTH_MAX {
            self.depth -= 1;
            return Err(unplaced((
                "RecursionError: maximum recursion depth exceeded".into(),
                "a function calls itself too deeply (or expressions nest too deeply): use a loop"
                    .into(),
            )));
        }
        Ok(())
    }

    fn exec_block(&mut self, body: &[Stmt]) -> Run<Flow> {
        for stmt in body {
            self.descend()?;
            let flow = self.exec(stmt).map_err(|e| e.placed(stmt.line));
            self.depth -= 1;
            let flow = flow?;
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs one statement; compound statements each have their own function (see
    /// [`Session::eval_kind`] on frame sizes).
    fn exec(&mut self, stmt: &Stmt) -> Run<Flow> {
        self.step(1)?;
        match &stmt.kind {
            StmtKind::Expr(e) => self.eval(e).map(|_| Flow::Normal),
            StmtKind::Assign { targets, value } => self.exec_assign(targets, value),
            StmtKind::AugAssign { target, op, value } => {
                self.augmented(target, *op, value).map(|()| Flow::Normal)
            }
            StmtKind::If { branches, orelse } => self.exec_if(branches, orelse),
            StmtKind::For { target, iter, body } => self.exec_for(target, iter, body),
            StmtKind::While { cond, body } => self.exec_while(cond, body),
            StmtKind::Def(f) => {
                self.store(&f.name, Value::Function(f.clone()));
                Ok(Flow::Normal)
            }
            StmtKind::Return(value) => self.exec_return(value.as_ref()),
            StmtKind::Global(_) | StmtKind::Pass => Ok(Flow::Normal),
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
        }
    }

    fn exec_assign(&mut self, targets: &[Target], value: &Expr) -> Run<Flow> {
        let value = self.eval(value)?;
        for target in targets {
            self.assign(target, value.clone())?;
        }
        Ok(Flow::Normal)
    }

    fn exec_if(&mut self, branches: &[(Expr, Vec<Stmt>)], orelse: &[Stmt]) -> Run<Flow> {
        for (cond, block) in branches {
            if self.eval(cond)?.truthy() {
                return self.exec_block(block);
            }
        }
        self.exec_block(orelse)
    }

    fn exec_for(&mut self, target: &Target, iter: &Expr, body: &[Stmt]) -> Run<Flow> {
        let items = self.loop_items(iter)?;
        for item in items {
            self.step(1)?;
            self.assign(target, item)?;
            match self.exec_block(body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal | Flow::Continue => {}
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_while(&mut self, cond: &Expr, body: &[Stmt]) -> Run<Flow> {
        while self.eval(cond)?.truthy() {
            self.step(1)?;
            match self.exec_block(body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal | Flow::Continue => {}
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_return(&mut self, value: Option<&Expr>) -> Run<Flow> {
        let value = match value {
            Some(e) => self.eval(e)?,
            None => Value::None,
        };
        Ok(Flow::Return(value))
    }

    fn assign(&mut self, target: &Target, value: Value) -> Run<()> {
        match target {
            Target::Name(name) => {
                self.store(name, value);
                Ok(())
            }
            Target::Tuple(targets) => {
                let items = value.items().map_err(unplaced)?;
                if items.len() != targets.len() {
                    return Err(unplaced(unpack_mismatch(targets.len(), items.len())));
                }
                for (t, item) in targets.iter().zip(items) {
                    self.assign(t, item)?;
                }
                Ok(())
            }
            Target::Index { obj, index } => {
                let obj = self.eval(obj)?;
                let index = self.eval(index)?;
                set_item(&obj, &index, value).map_err(unplaced)
            }
        }
    }

    fn augmented(&mut self, target: &Target, op: BinOp, value: &Expr) -> Run<()> {
        match target {
            Target::Name(name) => {
                let current = self.load(name).map_err(unplaced)?;
                let value = self.eval(value)?;
                self.charge([&current, &value])?;
                let result = binary(op, &current, &value).map_err(unplaced)?;
                self.store(name, result);
                Ok(())
            }
            Target::Index { obj, index } => {
                let obj = self.eval(obj)?;
                let index = self.eval(index)?;
                let current = get_item(&obj, &index).map_err(unplaced)?;
                let value = self.eval(value)?;
                self.charge([&obj, &current, &value])?;
                let result = binary(op, &current, &value).map_err(unplaced)?;
                set_item(&obj, &index, result).map_err(unplaced)
            }
            Target::Tuple(_) => Err(unplaced((
                "SyntaxError: 'tuple' is an illegal expression for augmented assignment".into(),
                "update one variable at a time".into(),
            ))),
        }
    }

    // ---- expressions ----

    fn eval(&mut self, expr: &Expr) -> Run<Value> {
        self.descend().map_err(|e| e.placed(expr.line))?;
        let value = self.eval_kind(&expr.kind).map_err(|e| e.placed(expr.line));
        self.depth -= 1;
        value
    }

    fn eval_all(&mut self, exprs: &[Expr]) -> Run<Vec<Value>> {
        exprs.iter().map(|e| self.eval(e)).collect()
    }

    /// Dispatches to one small function per kind of expression: in an unoptimized build a
    /// frame holds every arm's temporaries, and this function is on the stack once per level
    /// of nesting.
    fn eval_kind(&mut self, kind: &ExprKind) -> Run<Value> {
        match kind {
            ExprKind::Int(n) => Ok(Value::Int(*n)),
            ExprKind::Str(s) => Ok(Value::Str(s.clone())),
            ExprKind::None => Ok(Value::None),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Name(n) => self.load(n).map_err(unplaced),
            ExprKind::Tuple(items) => self.eval_all(items).map(Value::tuple),
            ExprKind::List(items) => self.eval_all(items).map(Value::list),
            ExprKind::ListComp {
                elt,
                target,
                iter,
                cond,
            } => self.list_comprehension(elt, target, iter, cond.as_deref()),
            ExprKind::Index { obj, index } => self.eval_index(obj, index),
            ExprKind::Slice { obj, lower, upper } => {
                self.eval_slice(obj, lower.as_deref(), upper.as_deref())
            }
            ExprKind::Attribute { obj, name } => self.eval_attribute(obj, name),
            ExprKind::Call { func, args, kwargs } => self.eval_call(func, args, kwargs),
            ExprKind::Unary { op, operand } => self.eval_unary(*op, operand),
            ExprKind::Binary { op, left, right } => self.eval_binary(*op, left, right),
            ExprKind::Compare { first, rest } => self.eval_compare(first, rest),
            ExprKind::And(l, r) => self.eval_and_or(l, r, true),
            ExprKind::Or(l, r) => self.eval_and_or(l, r, false),
            ExprKind::Not(e) => self.eval_not(e),
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => self.eval_if_else(cond, then, otherwise),
        }
    }

    fn eval_index(&mut self, obj: &Expr, index: &Expr) -> Run<Value> {
        let obj = self.eval(obj)?;
        let index = self.eval(index)?;
        self.charge([&obj])?;
        get_item(&obj, &index).map_err(unplaced)
    }

    fn eval_slice(&mut self, obj: &Expr, lower: Option<&Expr>, upper: Option<&Expr>) -> Run<Value> {
        let obj = self.eval(obj)?;
        let lower = self.eval_bound(lower)?;
        let upper = self.eval_bound(upper)?;
        self.charge([&obj])?;
        slice(&obj, lower, upper).map_err(unplaced)
    }

    fn eval_attribute(&mut self, obj: &Expr, name: &str) -> Run<Value> {
        let obj = self.eval(obj)?;
        Err(unplaced((
            format!(
                "TypeError: this lab's Python only calls methods: '{}' object's {name} needs ( )",
                obj.type_name()
            ),
            format!("write x.{name}(...)"),
        )))
    }

    fn eval_unary(&mut self, op: super::ast::UnaryOp, operand: &Expr) -> Run<Value> {
        let v = self.eval(operand)?;
        unary(op, &v).map_err(unplaced)
    }

    fn eval_binary(&mut self, op: BinOp, left: &Expr, right: &Expr) -> Run<Value> {
        let l = self.eval(left)?;
        let r = self.eval(right)?;
        self.charge([&l, &r])?;
        binary(op, &l, &r).map_err(unplaced)
    }

    fn eval_compare(&mut self, first: &Expr, rest: &[(CmpOp, Expr)]) -> Run<Value> {
        let mut left = self.eval(first)?;
        for (op, right) in rest {
            let right = self.eval(right)?;
            self.charge([&left, &right])?;
            if !self.with_visits(|visits| compare(*op, &left, &right, visits))? {
                return Ok(Value::Bool(false));
            }
            left = right;
        }
        Ok(Value::Bool(true))
    }

    /// `l and r` (`is_and`) or `l or r`: Python returns the deciding operand itself.
    fn eval_and_or(&mut self, l: &Expr, r: &Expr, is_and: bool) -> Run<Value> {
        let l = self.eval(l)?;
        if l.truthy() == is_and {
            self.eval(r)
        } else {
            Ok(l)
        }
    }

    fn eval_not(&mut self, e: &Expr) -> Run<Value> {
        Ok(Value::Bool(!self.eval(e)?.truthy()))
    }

    fn eval_if_else(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr) -> Run<Value> {
        if self.eval(cond)?.truthy() {
            self.eval(then)
        } else {
            self.eval(otherwise)
        }
    }

    fn eval_bound(&mut self, bound: Option<&Expr>) -> Run<Option<i64>> {
        let Some(e) = bound else { return Ok(None) };
        match self.eval(e)? {
            Value::None => Ok(None),
            v => match v.as_int() {
                Some(n) => Ok(Some(n)),
                None => Err(unplaced((
                    "TypeError: slice indices must be integers or None".into(),
                    "write x[1:], x[:3] or x[i:j] with whole numbers".into(),
                ))),
            },
        }
    }

    fn list_comprehension(
        &mut self,
        elt: &Expr,
        target: &Target,
        iter: &Expr,
        cond: Option<&Expr>,
    ) -> Run<Value> {
        let items = self.loop_items(iter)?;
        let mut out = Vec::new();
        for item in items {
            self.step(1)?;
            self.assign(target, item)?;
            if let Some(c) = cond {
                if !self.eval(c)?.truthy() {
                    continue;
                }
            }
            out.push(self.eval(elt)?);
        }
        Ok(Value::list(out))
    }

    fn eval_call(&mut self, func: &Expr, args: &[Expr], kwargs: &[(Rc<str>, Expr)]) -> Run<Value> {
        self.step(1)?;
        if let ExprKind::Attribute { obj, name } = &func.kind {
            let receiver = self.eval(obj)?;
            let args = self.eval_all(args)?;
            let kwargs = self.eval_kwargs(kwargs)?;
            return self.call_method(&receiver, name, args, kwargs);
        }
        let callee = self.eval(func)?;
        let args = self.eval_all(args)?;
        let kwargs = self.eval_kwargs(kwargs)?;
        match &callee {
            Value::Function(f) => self.call_function(f, args, kwargs),
            Value::Builtin(b) => {
                let b = *b;
                self.charge(&args)?;
                self.call_builtin(b, args, kwargs)
            }
            other => Err(unplaced((
                format!("TypeError: '{}' object is not callable", other.type_name()),
                "a variable with this name hides the function: rename the variable".into(),
            ))),
        }
    }

    fn eval_kwargs(&mut self, kwargs: &[(Rc<str>, Expr)]) -> Run<Vec<(Rc<str>, Value)>> {
        kwargs
            .iter()
            .map(|(n, e)| Ok((n.clone(), self.eval(e)?)))
            .collect()
    }

    fn call_function(
        &mut self,
        f: &Rc<FunctionDef>,
        args: Vec<Value>,
        kwargs: Vec<(Rc<str>, Value)>,
    ) -> Run<Value> {
        if let Some((name, _)) = kwargs.first() {
            return Err(unplaced((
                format!(
                    "TypeError: {}() got an unexpected keyword argument '{name}'",
                    f.name
                ),
                "pass the arguments by position".into(),
            )));
        }
        if args.len() != f.params.len() {
            return Err(unplaced(arity_mismatch(f, args.len())));
        }
        if self.frames.len() >= CALL_DEPTH_MAX {
            return Err(unplaced((
                "RecursionError: maximum recursion depth exceeded".into(),
                format!(
                    "{}() calls itself without end: stop the recursion, or use a loop",
                    f.name
                ),
            )));
        }
        let locals = sim::sort::collect_map(f.params.iter().cloned().zip(args));
        self.frames.push(Frame {
            func: f.clone(),
            locals,
        });
        let flow = self.exec_block(&f.body);
        self.frames.pop();
        Ok(match flow? {
            Flow::Return(v) => v,
            Flow::Normal | Flow::Break | Flow::Continue => Value::None,
        })
    }

    /// `emit(key, value)`: one output line, `key<sep>value`, tuples joined by the separator.
    fn emit(&mut self, key: &Value, value: &Value) -> Run<()> {
        let mut line = String::new();
        self.write_field(&mut line, key)?;
        line.push_str(&self.separator);
        self.write_field(&mut line, value)?;
        self.write_line(line)
    }

    /// Appends a key or value's text; a tuple's items joined by the separator. It stops at the
    /// output cap: a tuple of a thousand big values must not build a gigabyte first.
    fn write_field(&self, line: &mut String, value: &Value) -> Run<()> {
        let items = match value {
            Value::Tuple(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                line.push_str(&self.separator);
            }
            line.push_str(&item.to_text());
            if self.output_bytes + line.len() as u64 > self.limits.output_bytes_max {
                return Err(self.output_cap_error());
            }
        }
        Ok(())
    }
}

/// Steps a value's size costs (see [`Session::charge`]).
fn size_cost(value: &Value) -> u64 {
    let items = match value {
        Value::Str(s) => return s.len() as u64 / 64,
        Value::Tuple(items) => items.len(),
        Value::List(items) | Value::Set(items) => items.borrow().len(),
        _ => 0,
    };
    items as u64 / 16
}

fn arity_mismatch(f: &FunctionDef, given: usize) -> Raised {
    let wanted = f.params.len();
    let message = if given < wanted {
        let missing: Vec<String> = f.params[given..].iter().map(|p| format!("'{p}'")).collect();
        format!(
            "TypeError: {}() missing {} required positional argument{}: {}",
            f.name,
            wanted - given,
            if wanted - given == 1 { "" } else { "s" },
            missing.join(", ")
        )
    } else {
        format!(
            "TypeError: {}() takes {wanted} positional argument{} but {given} {} given",
            f.name,
            if wanted == 1 { "" } else { "s" },
            if given == 1 { "was" } else { "were" }
        )
    };
    let hint = match &*f.name {
        "map" => "the mapper is def map(line): one argument, the input line",
        "combine" | "reduce" => "combine and reduce take two arguments: (key, values)",
        "close" => "close takes no arguments: def close():",
        _ => "call it with as many arguments as its def lists",
    };
    (message, hint.to_string())
}

fn unpack_mismatch(wanted: usize, got: usize) -> Raised {
    let message = if got < wanted {
        format!("ValueError: not enough values to unpack (expected {wanted}, got {got})")
    } else {
        format!("ValueError: too many values to unpack (expected {wanted})")
    };
    (
        message,
        "the number of names on the left must match the items: check the separator split() cuts on (a tab is '\\t')"
            .to_string(),
    )
}

#[cfg(test)]
mod tests;
