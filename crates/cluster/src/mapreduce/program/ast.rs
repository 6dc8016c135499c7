//! The syntax tree the parser builds and the interpreter walks: statements and expressions of
//! the Python subset, each with the program line it starts on (for error messages).

use std::collections::BTreeSet;
use std::rc::Rc;

/// A parsed program: its top-level statements (run once per task, before any call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub body: Vec<Stmt>,
}

impl Program {
    /// The functions the top level defines, by name, in definition order.
    pub fn functions(&self) -> impl Iterator<Item = &FunctionDef> {
        self.body.iter().filter_map(|s| match &s.kind {
            StmtKind::Def(f) => Some(f.as_ref()),
            _ => None,
        })
    }

    pub fn defines(&self, name: &str) -> bool {
        self.functions().any(|f| &*f.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub line: u32,
    pub kind: StmtKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    Expr(Expr),
    /// `a = b = value`: every target gets the value.
    Assign {
        targets: Vec<Target>,
        value: Expr,
    },
    /// `target op= value`.
    AugAssign {
        target: Target,
        op: BinOp,
        value: Expr,
    },
    If {
        /// `if` and each `elif`: a condition and its block.
        branches: Vec<(Expr, Vec<Stmt>)>,
        orelse: Vec<Stmt>,
    },
    For {
        target: Target,
        iter: Expr,
        body: Vec<Stmt>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    Def(Rc<FunctionDef>),
    Return(Option<Expr>),
    Global(Vec<Rc<str>>),
    Pass,
    Break,
    Continue,
}

/// `def name(params): body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionDef {
    pub name: Rc<str>,
    pub params: Vec<Rc<str>>,
    pub body: Vec<Stmt>,
    /// Names local to the function, as Python decides it: parameters and every name the body
    /// assigns (or loops over), except those declared `global`.
    pub locals: BTreeSet<Rc<str>>,
    pub line: u32,
}

/// Where an assignment stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Name(Rc<str>),
    /// `a, b = ...` (nested too).
    Tuple(Vec<Target>),
    /// `xs[i] = ...`.
    Index {
        obj: Expr,
        index: Expr,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub line: u32,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(i64),
    Str(Rc<str>),
    None,
    Bool(bool),
    Name(Rc<str>),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    /// `[elt for target in iter if cond]`.
    ListComp {
        elt: Box<Expr>,
        target: Box<Target>,
        iter: Box<Expr>,
        cond: Option<Box<Expr>>,
    },
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
    },
    /// `obj[lower:upper]` (a missing bound is None).
    Slice {
        obj: Box<Expr>,
        lower: Option<Box<Expr>>,
        upper: Option<Box<Expr>>,
    },
    /// `obj.name`, valid only as the callee of a call (a method call).
    Attribute {
        obj: Box<Expr>,
        name: Rc<str>,
    },
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        /// `name=value` arguments (only `sorted(..., reverse=...)` takes one).
        kwargs: Vec<(Rc<str>, Expr)>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `a < b <= c`: chained comparisons.
    Compare {
        first: Box<Expr>,
        rest: Vec<(CmpOp, Expr)>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `then if cond else otherwise`.
    IfElse {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    FloorDiv,
    Mod,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}
