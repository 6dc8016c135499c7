//! Run-time values of the Python subset and the Python semantics of comparing and printing them.
//!
//! Ints are 64-bit (Python's are unbounded; overflow is an error here, never a wrap). Lists are
//! shared and mutable like Python's (`Rc<RefCell<..>>`). Sets keep their items sorted by a total
//! order, so iterating one is deterministic (Python's own set order depends on string hashing,
//! which is randomized per process: any order is a valid Python order).

use super::ast::FunctionDef;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

/// Deepest nesting of lists and tuples compared or printed (a list can contain itself).
const NESTING_MAX: u32 = 64;
/// Where printing a value stops (with "..."): past the longest string a program may build.
const REPR_BYTES_MAX: usize = 1_000_000;

#[derive(Clone, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    Tuple(Rc<Vec<Value>>),
    List(Rc<RefCell<Vec<Value>>>),
    /// Items sorted by [`set_order`], without duplicates.
    Set(Rc<RefCell<Vec<Value>>>),
    Function(Rc<FunctionDef>),
    Builtin(Builtin),
}

/// The built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Emit,
    Len,
    Sum,
    Min,
    Max,
    Int,
    Str,
    Bool,
    Sorted,
    Set,
    Range,
    List,
    Tuple,
    Abs,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 14] = [
        ("emit", Builtin::Emit),
        ("len", Builtin::Len),
        ("sum", Builtin::Sum),
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("int", Builtin::Int),
        ("str", Builtin::Str),
        ("bool", Builtin::Bool),
        ("sorted", Builtin::Sorted),
        ("set", Builtin::Set),
        ("range", Builtin::Range),
        ("list", Builtin::List),
        ("tuple", Builtin::Tuple),
        ("abs", Builtin::Abs),
    ];

    pub fn named(name: &str) -> Option<Builtin> {
        Builtin::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
    }

    pub fn name(self) -> &'static str {
        Builtin::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A Python exception before the interpreter places it on a line: (message, hint).
pub type Raised = (String, String);

pub fn raise<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, Raised> {
    Err((message.into(), hint.into()))
}

fn too_deep<T>() -> Result<T, Raised> {
    raise(
        "RecursionError: maximum recursion depth exceeded in comparison",
        "a list that contains itself cannot be compared",
    )
}

impl Value {
    pub fn str(text: &str) -> Value {
        Value::Str(Rc::from(text))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(items))
    }

    /// Python's `type(x).__name__`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Function(_) => "function",
            Value::Builtin(_) => "builtin_function_or_method",
        }
    }

    /// Python's truth value.
    pub fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(items) => !items.is_empty(),
            Value::List(items) | Value::Set(items) => !items.borrow().is_empty(),
            Value::Function(_) | Value::Builtin(_) => true,
        }
    }

    /// The number, for ints and bools (Python's bool is an int).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Python's `str(x)`.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            _ => self.repr(),
        }
    }

    /// Python's `repr(x)`.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, 0);
        out
    }

    fn write_repr(&self, out: &mut String, depth: u32) {
        if depth > NESTING_MAX || out.len() > REPR_BYTES_MAX {
            out.push_str("...");
            return;
        }
        let items = |out: &mut String, items: &[Value], open: &str, close: &str| {
            out.push_str(open);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                item.write_repr(out, depth + 1);
            }
            out.push_str(close);
        };
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(n) => out.push_str(&n.to_string()),
            Value::Str(s) => write_str_repr(out, s),
            Value::Tuple(t) if t.len() == 1 => items(out, t, "(", ",)"),
            Value::Tuple(t) => items(out, t, "(", ")"),
            Value::List(l) => items(out, &l.borrow(), "[", "]"),
            Value::Set(s) if s.borrow().is_empty() => out.push_str("set()"),
            Value::Set(s) => items(out, &s.borrow(), "{", "}"),
            Value::Function(f) => out.push_str(&format!("<function {}>", f.name)),
            Value::Builtin(b) => out.push_str(&format!("<built-in function {}>", b.name())),
        }
    }

    /// Whether it can be a set item (Python: hashable; here also nested at most
    /// `NESTING_MAX` deep, so that ordering set items never recurses deeper, and visiting its
    /// items within `visits`).
    pub fn hashable(&self, visits: &mut Visits) -> Result<bool, Raised> {
        self.hashable_at(0, visits)
    }

    fn hashable_at(&self, depth: u32, visits: &mut Visits) -> Result<bool, Raised> {
        visits.spend()?;
        match self {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Str(_) => Ok(true),
            Value::Tuple(items) if depth < NESTING_MAX => {
                for item in items.iter() {
                    if !item.hashable_at(depth + 1, visits)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The items of a str, list, tuple or set, as a `for` loop visits them.
    pub fn items(&self) -> Result<Vec<Value>, Raised> {
        match self {
            Value::Str(s) => Ok(s
                .chars()
                .map(|c| Value::str(c.encode_utf8(&mut [0; 4])))
                .collect()),
            Value::Tuple(items) => Ok(items.to_vec()),
            Value::List(items) | Value::Set(items) => Ok(items.borrow().clone()),
            other => raise(
                format!("TypeError: '{}' object is not iterable", other.type_name()),
                "loop over a str, list, tuple, set or range(...)",
            ),
        }
    }
}

/// Drops nested lists and tuples with a loop instead of recursion: a program can nest a list a
/// hundred thousand deep (`x = [x]` in a loop), and the default recursive drop would overflow
/// the stack.
impl Drop for Value {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        take_children(self, &mut pending);
        while let Some(mut child) = pending.pop() {
            take_children(&mut child, &mut pending);
        }
    }
}

/// Moves the items out of a list, set or tuple this handle is the last owner of.
fn take_children(value: &mut Value, pending: &mut Vec<Value>) {
    match value {
        Value::List(items) | Value::Set(items) => {
            if let Some(cell) = Rc::get_mut(items) {
                pending.append(cell.get_mut());
            }
        }
        Value::Tuple(items) => {
            if let Some(items) = Rc::get_mut(items) {
                pending.append(items);
            }
        }
        _ => {}
    }
}

fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// How many items comparisons may still visit. Values that share their parts (`[x] * 1000`
/// three levels deep) can make one comparison visit a billion items, so every comparison spends
/// from a budget the interpreter takes out of its step budget.
#[derive(Debug)]
pub struct Visits(pub u64);

impl Visits {
    fn spend(&mut self) -> Result<(), Raised> {
        match self.0.checked_sub(1) {
            Some(left) => {
                self.0 = left;
                Ok(())
            }
            None => raise(
                "the program ran over its step budget comparing nested values",
                "compare small values: a list of lists repeated with * can hold more items than it looks",
            ),
        }
    }
}

/// Python's `==`.
pub fn py_eq(a: &Value, b: &Value, visits: &mut Visits) -> Result<bool, Raised> {
    eq_at(a, b, 0, visits)
}

fn eq_at(a: &Value, b: &Value, depth: u32, visits: &mut Visits) -> Result<bool, Raised> {
    if depth > NESTING_MAX {
        return too_deep();
    }
    visits.spend()?;
    Ok(match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Tuple(x), Value::Tuple(y)) => seq_eq(x, y, depth, visits)?,
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (x, y) = (x.borrow().clone(), y.borrow().clone());
            seq_eq(&x, &y, depth, visits)?
        }
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        _ => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    })
}

fn seq_eq(x: &[Value], y: &[Value], depth: u32, visits: &mut Visits) -> Result<bool, Raised> {
    if x.len() != y.len() {
        return Ok(false);
    }
    for (p, q) in x.iter().zip(y) {
        if !eq_at(p, q, depth + 1, visits)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Python's ordering for `<`, `sorted`, `min` and `max`: numbers, strs (by code point, which
/// for UTF-8 is byte order), and tuples or lists item by item.
pub fn py_cmp(a: &Value, b: &Value, visits: &mut Visits) -> Result<Ordering, Raised> {
    cmp_at(a, b, 0, visits)
}

fn cmp_at(a: &Value, b: &Value, depth: u32, visits: &mut Visits) -> Result<Ordering, Raised> {
    if depth > NESTING_MAX {
        return too_deep();
    }
    visits.spend()?;
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Tuple(x), Value::Tuple(y)) => seq_cmp(x, y, depth, visits),
        (Value::List(x), Value::List(y)) => {
            let (x, y) = (x.borrow().clone(), y.borrow().clone());
            seq_cmp(&x, &y, depth, visits)
        }
        _ => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => Ok(x.cmp(&y)),
            _ => raise(
                format!(
                    "TypeError: '<' not supported between instances of '{}' and '{}'",
                    a.type_name(),
                    b.type_name()
                ),
                "compare numbers with numbers and text with text: int(text) or str(n) converts",
            ),
        },
    }
}

fn seq_cmp(x: &[Value], y: &[Value], depth: u32, visits: &mut Visits) -> Result<Ordering, Raised> {
    for (p, q) in x.iter().zip(y) {
        match cmp_at(p, q, depth + 1, visits)? {
            Ordering::Equal => {}
            other => return Ok(other),
        }
    }
    Ok(x.len().cmp(&y.len()))
}

/// A total order over hashable values (how a set stores its items): None, then numbers (a bool
/// equal to 1 or 0 is the same item, as in Python), then strs, then tuples. It visits no more
/// items than the smaller value holds, which [`Value::hashable`] has bounded.
pub fn set_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::None => 0,
            Value::Bool(_) | Value::Int(_) => 1,
            Value::Str(_) => 2,
            _ => 3,
        }
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Tuple(x), Value::Tuple(y)) => x
            .iter()
            .zip(y.iter())
            .map(|(p, q)| set_order(p, q))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => rank(a).cmp(&rank(b)),
        },
    }
}

/// Adds a hashable item to a set's sorted items.
pub fn set_insert(items: &mut Vec<Value>, item: Value, visits: &mut Visits) -> Result<(), Raised> {
    if !item.hashable(visits)? {
        return raise(
            format!("TypeError: unhashable type: '{}'", item.type_name()),
            "sets hold numbers, text and tuples: convert a list with tuple(...)",
        );
    }
    if let Err(at) = items.binary_search_by(|probe| set_order(probe, &item)) {
        items.insert(at, item);
    }
    Ok(())
}

/// Whether a set's sorted items hold `item`.
pub fn set_contains(items: &[Value], item: &Value, visits: &mut Visits) -> Result<bool, Raised> {
    Ok(item.hashable(visits)?
        && items
            .binary_search_by(|probe| set_order(probe, item))
            .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_follows_python() {
        let t = Value::tuple(vec![Value::str("a"), Value::Int(1)]);
        assert_eq!(t.repr(), "('a', 1)");
        assert_eq!(Value::tuple(vec![Value::Int(1)]).repr(), "(1,)");
        assert_eq!(
            Value::list(vec![Value::None, Value::Bool(true)]).repr(),
            "[None, True]"
        );
        assert_eq!(Value::str("it's").repr(), "\"it's\"");
        assert_eq!(Value::str("x").to_text(), "x");
    }

    #[test]
    fn a_list_containing_itself_prints_and_compares_without_overflow() {
        let list = Value::list(Vec::new());
        if let Value::List(items) = &list {
            items.borrow_mut().push(list.clone());
        }
        assert!(list.repr().contains("..."));
        let other = Value::list(vec![list.clone()]);
        assert!(py_eq(&list, &other, &mut Visits(1000)).unwrap_or(false));
        assert!(py_cmp(&list, &other, &mut Visits(1000)).is_err());
    }

    #[test]
    fn deeply_nested_values_drop_without_overflow() {
        let mut list = Value::list(Vec::new());
        let mut tuple = Value::tuple(Vec::new());
        for _ in 0..200_000 {
            list = Value::list(vec![list]);
            tuple = Value::tuple(vec![tuple]);
        }
        assert!(!tuple.hashable(&mut Visits(1000)).unwrap_or(true));
        drop((list, tuple));
    }

    #[test]
    fn sets_dedupe_true_and_one_and_stay_sorted() {
        let mut items = Vec::new();
        for v in [
            Value::str("b"),
            Value::Int(1),
            Value::Bool(true),
            Value::str("a"),
        ] {
            assert!(set_insert(&mut items, v, &mut Visits(10)).is_ok());
        }
        assert_eq!(
            Value::Set(Rc::new(RefCell::new(items))).repr(),
            "{1, 'a', 'b'}"
        );
        assert!(set_insert(&mut Vec::new(), Value::list(Vec::new()), &mut Visits(10)).is_err());
    }

    #[test]
    fn comparing_text_with_numbers_is_a_type_error() {
        let err = py_cmp(&Value::str("1"), &Value::Int(1), &mut Visits(10)).err();
        assert!(err.is_some_and(|(m, _)| m.contains("'<' not supported")));
        assert!(!py_eq(&Value::str("1"), &Value::Int(1), &mut Visits(10)).unwrap_or(true));
    }

    #[test]
    fn comparisons_of_shared_nested_values_stop_at_the_visit_budget() {
        let row = Value::list(vec![Value::Int(0); 1000]);
        let grid = Value::list(vec![row; 1000]);
        let other = Value::list(vec![Value::list(vec![Value::Int(0); 1000]); 1000]);
        let mut visits = Visits(10_000);
        assert!(py_eq(&grid, &other, &mut visits).is_err());
        assert_eq!(visits.0, 0);
        assert!(py_eq(&grid, &other, &mut Visits(2_000_000)).unwrap_or(false));
    }
}
