//! Python's operators and item access on values: `+ - * // %` on ints (64-bit, overflow an
//! error), strs, lists and tuples; comparisons, `in` and `is`; indexing with negative indices
//! and clamped slices; and the size caps that keep a program from building huge values.

use crate::mapreduce::program::ast::{BinOp, CmpOp, UnaryOp};
use crate::mapreduce::program::value::{py_cmp, py_eq, raise, set_contains, Raised, Value, Visits};
use std::rc::Rc;

/// Longest string a program may build, in bytes.
pub const STR_BYTES_MAX: usize = 1_000_000;
/// Longest list, tuple or range a program may build.
pub const ITEMS_MAX: usize = 1_000_000;

/// A non-negative position for `index` in a sequence of `len`, Python style (negative counts
/// from the end).
pub(super) fn position(index: &Value, len: usize, what: &str) -> Result<usize, Raised> {
    let Some(i) = index.as_int() else {
        let message = if what == "string" {
            format!(
                "TypeError: string indices must be integers, not '{}'",
                index.type_name()
            )
        } else {
            format!(
                "TypeError: {what} indices must be integers or slices, not {}",
                index.type_name()
            )
        };
        return raise(message, "index with a whole number: x[0], x[-1]");
    };
    let len = len as i64;
    let at = if i < 0 { i + len } else { i };
    if at < 0 || at >= len {
        return raise(
            format!("IndexError: {what} index out of range"),
            format!(
                "it has {len} items: valid indices are 0 to {} (or -1 for the last)",
                len - 1
            ),
        );
    }
    Ok(at as usize)
}

pub(super) fn get_item(obj: &Value, index: &Value) -> Result<Value, Raised> {
    match obj {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let at = position(index, chars.len(), "string")?;
            Ok(Value::str(chars[at].encode_utf8(&mut [0; 4])))
        }
        Value::List(items) => {
            let items = items.borrow();
            let at = position(index, items.len(), "list")?;
            Ok(items[at].clone())
        }
        Value::Tuple(items) => {
            let at = position(index, items.len(), "tuple")?;
            Ok(items[at].clone())
        }
        other => raise(
            format!(
                "TypeError: '{}' object is not subscriptable",
                other.type_name()
            ),
            "only str, list and tuple values have items x[i]",
        ),
    }
}

pub(super) fn set_item(obj: &Value, index: &Value, value: Value) -> Result<(), Raised> {
    match obj {
        Value::List(items) => {
            let len = items.borrow().len();
            let at = position(index, len, "list assignment")?;
            items.borrow_mut()[at] = value;
            Ok(())
        }
        other => raise(
            format!(
                "TypeError: '{}' object does not support item assignment",
                other.type_name()
            ),
            "only lists can change in place: build a new str or tuple instead",
        ),
    }
}

/// The `[lower, upper)` range of a slice over `len` items, clamped as Python does.
fn slice_range(lower: Option<i64>, upper: Option<i64>, len: usize) -> (usize, usize) {
    let len = len as i64;
    let clamp = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    let start = lower.map_or(0, clamp);
    let end = upper.map_or(len, clamp);
    (start as usize, end.max(start) as usize)
}

pub(super) fn slice(obj: &Value, lower: Option<i64>, upper: Option<i64>) -> Result<Value, Raised> {
    match obj {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let (a, b) = slice_range(lower, upper, chars.len());
            Ok(Value::Str(Rc::from(chars[a..b].iter().collect::<String>())))
        }
        Value::List(items) => {
            let items = items.borrow();
            let (a, b) = slice_range(lower, upper, items.len());
            Ok(Value::list(items[a..b].to_vec()))
        }
        Value::Tuple(items) => {
            let (a, b) = slice_range(lower, upper, items.len());
            Ok(Value::tuple(items[a..b].to_vec()))
        }
        other => raise(
            format!(
                "TypeError: '{}' object is not subscriptable",
                other.type_name()
            ),
            "only str, list and tuple values can be sliced",
        ),
    }
}

pub(super) fn unary(op: UnaryOp, v: &Value) -> Result<Value, Raised> {
    let symbol = match op {
        UnaryOp::Neg => "-",
        UnaryOp::Pos => "+",
    };
    match v.as_int() {
        Some(n) => match op {
            UnaryOp::Neg => n.checked_neg().map(Value::Int).ok_or_else(overflow),
            UnaryOp::Pos => Ok(Value::Int(n)),
        },
        None => raise(
            format!(
                "TypeError: bad operand type for unary {symbol}: '{}'",
                v.type_name()
            ),
            "only numbers have a sign: int(text) converts text",
        ),
    }
}

pub(super) fn overflow() -> Raised {
    (
        "OverflowError: the result does not fit in 64 bits".to_string(),
        "this lab's ints are 64-bit (Python's are unbounded): keep counts and sums smaller"
            .to_string(),
    )
}

pub(super) fn too_long() -> Raised {
    (
        format!(
            "MemoryError: a value over {} characters or items",
            sim::text::group_thousands(STR_BYTES_MAX as u64)
        ),
        "a task builds small values: is a string or list growing in a loop?".to_string(),
    )
}

pub(super) fn checked_text(s: String) -> Result<Value, Raised> {
    if s.len() > STR_BYTES_MAX {
        return Err(too_long());
    }
    Ok(Value::Str(Rc::from(s)))
}

pub(super) fn checked_items(items: Vec<Value>) -> Result<Vec<Value>, Raised> {
    if items.len() > ITEMS_MAX {
        return Err(too_long());
    }
    Ok(items)
}

/// `count` copies, or an error past the size cap (`count` ≤ 0 gives none).
fn repeat_count(count: i64, unit_len: usize) -> Result<usize, Raised> {
    let count = count.max(0) as u64;
    if unit_len == 0 {
        return Ok(0);
    }
    if count.saturating_mul(unit_len as u64) > STR_BYTES_MAX as u64 {
        return Err(too_long());
    }
    Ok(count as usize)
}

/// Python's floor division and modulo on ints.
fn floor_div_mod(a: i64, b: i64) -> Result<(i64, i64), Raised> {
    if b == 0 {
        return raise(
            "ZeroDivisionError: integer division or modulo by zero",
            "check the divisor is not 0 before dividing",
        );
    }
    let mut q = a.checked_div(b).ok_or_else(overflow)?;
    let mut r = a - q * b;
    if r != 0 && ((r < 0) != (b < 0)) {
        q -= 1;
        r += b;
    }
    Ok((q, r))
}

pub(super) fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, Raised> {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        let n = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::FloorDiv => Some(floor_div_mod(x, y)?.0),
            BinOp::Mod => Some(floor_div_mod(x, y)?.1),
        };
        return n.map(Value::Int).ok_or_else(overflow);
    }
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => {
            let mut joined = String::with_capacity(x.len() + y.len());
            joined.push_str(x);
            joined.push_str(y);
            checked_text(joined)
        }
        (BinOp::Add, Value::List(x), Value::List(y)) => {
            let mut items = x.borrow().clone();
            items.extend(y.borrow().iter().cloned());
            Ok(Value::list(checked_items(items)?))
        }
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => {
            let mut items = x.to_vec();
            items.extend(y.iter().cloned());
            Ok(Value::tuple(checked_items(items)?))
        }
        (BinOp::Mul, Value::Str(s), n) | (BinOp::Mul, n, Value::Str(s)) if n.as_int().is_some() => {
            let count = repeat_count(n.as_int().unwrap_or(0), s.len())?;
            checked_text(s.repeat(count))
        }
        (BinOp::Mul, Value::Tuple(t), n) | (BinOp::Mul, n, Value::Tuple(t))
            if n.as_int().is_some() =>
        {
            let count = repeat_count(n.as_int().unwrap_or(0), t.len())?;
            let repeated: Vec<Value> = (0..count).flat_map(|_| t.iter().cloned()).collect();
            Ok(Value::tuple(checked_items(repeated)?))
        }
        (BinOp::Mul, Value::List(l), n) | (BinOp::Mul, n, Value::List(l))
            if n.as_int().is_some() =>
        {
            let items = l.borrow().clone();
            let count = repeat_count(n.as_int().unwrap_or(0), items.len())?;
            let repeated: Vec<Value> = (0..count).flat_map(|_| items.iter().cloned()).collect();
            Ok(Value::list(checked_items(repeated)?))
        }
        (BinOp::Add, Value::Str(_) | Value::List(_) | Value::Tuple(_), other) => {
            let hint = if matches!(a, Value::Str(_)) && other.as_int().is_some() {
                "convert first: str(n) makes text of a number"
            } else {
                "join values of the same type"
            };
            raise(
                format!(
                    "TypeError: can only concatenate {} (not \"{}\") to {}",
                    a.type_name(),
                    other.type_name(),
                    a.type_name()
                ),
                hint,
            )
        }
        (BinOp::Mod, Value::Str(_), _) => raise(
            "TypeError: '%' formatting of text is not supported in this lab's Python",
            "build the text with + and str(): word + '\\t' + str(n)",
        ),
        _ => {
            let hint = match (a, b) {
                (Value::Str(_), v) | (v, Value::Str(_)) if v.as_int().is_some() => {
                    "convert first: str(n) makes text of a number, int(text) a number of text"
                }
                _ => "the operator works on two numbers, two strs, two lists or two tuples",
            };
            raise(
                format!(
                    "TypeError: unsupported operand type(s) for {}: '{}' and '{}'",
                    op.symbol(),
                    a.type_name(),
                    b.type_name()
                ),
                hint,
            )
        }
    }
}

pub(super) fn compare(
    op: CmpOp,
    a: &Value,
    b: &Value,
    visits: &mut Visits,
) -> Result<bool, Raised> {
    use std::cmp::Ordering::{Greater, Less};
    Ok(match op {
        CmpOp::Eq => py_eq(a, b, visits)?,
        CmpOp::Ne => !py_eq(a, b, visits)?,
        CmpOp::Lt => py_cmp(a, b, visits)? == Less,
        CmpOp::Le => py_cmp(a, b, visits)? != Greater,
        CmpOp::Gt => py_cmp(a, b, visits)? == Greater,
        CmpOp::Ge => py_cmp(a, b, visits)? != Less,
        CmpOp::In => contains(b, a, visits)?,
        CmpOp::NotIn => !contains(b, a, visits)?,
        CmpOp::Is => identical(a, b),
        CmpOp::IsNot => !identical(a, b),
    })
}

/// Python's `is`, for what learners test with it (`x is None`).
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        _ => false,
    }
}

/// Python's `item in container`.
fn contains(container: &Value, item: &Value, visits: &mut Visits) -> Result<bool, Raised> {
    match container {
        Value::Str(s) => match item {
            Value::Str(needle) => Ok(s.contains(&**needle)),
            other => raise(
                format!(
                    "TypeError: 'in <string>' requires string as left operand, not {}",
                    other.type_name()
                ),
                "look for text in text: str(n) in line",
            ),
        },
        Value::Set(items) => set_contains(&items.borrow(), item, visits),
        Value::List(_) | Value::Tuple(_) => {
            for candidate in container.items()? {
                if py_eq(&candidate, item, visits)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => raise(
            format!(
                "TypeError: argument of type '{}' is not iterable",
                other.type_name()
            ),
            "'in' looks inside a str, list, tuple or set",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_rounds_down_like_python() {
        assert_eq!(floor_div_mod(7, 2).ok(), Some((3, 1)));
        assert_eq!(floor_div_mod(-7, 2).ok(), Some((-4, 1)));
        assert_eq!(floor_div_mod(7, -2).ok(), Some((-4, -1)));
        assert_eq!(floor_div_mod(-7, -2).ok(), Some((3, -1)));
        assert!(floor_div_mod(1, 0).is_err());
        assert!(floor_div_mod(i64::MIN, -1).is_err());
    }

    #[test]
    fn slices_clamp_like_python() {
        assert_eq!(slice_range(Some(1), None, 5), (1, 5));
        assert_eq!(slice_range(Some(-2), None, 5), (3, 5));
        assert_eq!(slice_range(None, Some(-10), 5), (0, 0));
        assert_eq!(slice_range(Some(4), Some(2), 5), (4, 4));
        assert_eq!(slice_range(Some(-99), Some(99), 5), (0, 5));
    }

    #[test]
    fn repetition_is_capped() {
        assert_eq!(repeat_count(-3, 4).ok(), Some(0));
        assert_eq!(repeat_count(i64::MAX, 0).ok(), Some(0));
        assert!(repeat_count(STR_BYTES_MAX as i64, 2).is_err());
    }
}
