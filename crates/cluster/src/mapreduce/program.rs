//! The mapper, combiner and reducer language: a small subset of Python 3, written by learners in
//! the page and run by a tree-walking interpreter.
//!
//! A program defines `map(line)` and, as the job needs them, `combine(key, values)`,
//! `reduce(key, values)` and `close()`; `emit(key, value)` writes an output line. The subset is
//! what these jobs need, with Python's semantics and Python's error messages: `def`, top-level
//! state and `global`, assignment (with tuple unpacking and `xs[i] = v`), `+= -= *= //= %=`,
//! `if/elif/else`, `for`, `while`, `return`, `pass`, `break`, `continue`; ints, strs, `None`,
//! booleans, tuples, lists, sets and list comprehensions; indexing (negative too) and slicing
//! (without a step); `+ - * // %`, chained comparisons, `and or not`, `in`, `is`, `x if c else
//! y`; the built-ins `emit len sum min max int str bool sorted set range list tuple abs`; the str
//! methods `lower upper strip lstrip rstrip split join startswith endswith replace find count
//! isalpha isdigit`, `list.append extend pop sort` and `set.add`. Ints are 64-bit (overflow is an
//! error), there are no floats (`/` is refused with a hint to use `//`), no imports, no dicts, no
//! classes, no nested functions; `print` is refused with a hint to use `emit`. Sets iterate in
//! sorted order (any order is a valid Python set order; this one is deterministic).
//!
//! - [`lexer`]: text to tokens, INDENT/DEDENT from the indentation (tabs refused);
//! - [`parser`]: tokens to the [`ast`], with nesting bounded;
//! - [`interp`]: runs a [`Program`] in a [`Session`], one per task, with a step budget and an
//!   output cap; [`value`]: run-time values.
//!
//! Every error, syntax or run time, is a [`ProgramError`] with the 1-based program line, Python's
//! message ("NameError: name 'wrod' is not defined") and a hint; no input makes it panic.

pub mod ast;
pub mod interp;
pub mod lexer;
pub mod parser;
pub mod value;

pub use ast::Program;
pub use interp::{Limits, Session};
pub use parser::parse;
pub use value::Value;

/// What stopped a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// It does not parse.
    Syntax,
    /// A Python exception while it ran.
    Runtime,
    /// It ran over its step budget (an endless loop, or too much work for one task).
    StepBudget,
    /// It emitted more than a task may write.
    OutputCap,
}

/// A program that does not parse or stopped while running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError {
    /// 1-based program line.
    pub line: u32,
    /// Python's words: "NameError: name 'wrod' is not defined".
    pub message: String,
    pub hint: String,
    pub kind: ErrorKind,
}

impl ProgramError {
    pub fn syntax(line: u32, message: impl Into<String>, hint: impl Into<String>) -> ProgramError {
        ProgramError {
            line,
            message: message.into(),
            hint: hint.into(),
            kind: ErrorKind::Syntax,
        }
    }

    pub fn runtime(line: u32, message: impl Into<String>, hint: impl Into<String>) -> ProgramError {
        ProgramError {
            line,
            message: message.into(),
            hint: hint.into(),
            kind: ErrorKind::Runtime,
        }
    }

    /// The error on `line`, unless an inner statement or expression already placed it.
    pub fn placed(mut self, line: u32) -> ProgramError {
        if self.line == 0 {
            self.line = line;
        }
        self
    }
}
