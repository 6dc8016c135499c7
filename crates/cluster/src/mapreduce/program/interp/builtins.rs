//! The built-in functions: `emit` and the Python built-ins these jobs use (`len`, `sum`, `min`,
//! `max`, `int`, `str`, `bool`, `sorted`, `set`, `range`, `list`, `tuple`, `abs`), with the
//! messages CPython gives when they are misused.

use super::ops::{checked_items, checked_text, overflow, too_long, ITEMS_MAX};
use super::{unplaced, Run, Session};
use crate::mapreduce::program::value::{py_cmp, raise, set_insert, Builtin, Raised, Value, Visits};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

impl Session {
    pub(super) fn call_builtin(
        &mut self,
        b: Builtin,
        args: Vec<Value>,
        kwargs: Vec<(Rc<str>, Value)>,
    ) -> Run<Value> {
        let reverse = reverse_flag(b.name(), b == Builtin::Sorted, &kwargs).map_err(unplaced)?;
        let result = match b {
            Builtin::Emit => {
                if args.len() != 2 {
                    return Err(unplaced((
                        format!("TypeError: emit() takes 2 arguments ({} given)", args.len()),
                        "emit(key, value); a key of several fields is a tuple: emit((a, b), 1)"
                            .to_string(),
                    )));
                }
                self.emit(&args[0], &args[1])?;
                return Ok(Value::None);
            }
            Builtin::Min => self.with_visits(|v| extreme("min", &args, Ordering::Less, v))?,
            Builtin::Max => self.with_visits(|v| extreme("max", &args, Ordering::Greater, v))?,
            Builtin::Sorted => {
                let items = one_arg("sorted", &args).and_then(|a| a.items());
                let items = items.map_err(unplaced)?;
                self.with_visits(|v| sorted(items, reverse, v).map(Value::list))?
            }
            Builtin::Set => self.with_visits(|v| new_set_of(&args, v))?,
            Builtin::Len => one_arg("len", &args)
                .and_then(|v| len(&v))
                .map_err(unplaced)?,
            Builtin::Sum => sum(&args).map_err(unplaced)?,
            Builtin::Int => int_of(&args).map_err(unplaced)?,
            Builtin::Str => match args.as_slice() {
                [] => Value::str(""),
                [v] => checked_text(v.to_text()).map_err(unplaced)?,
                _ => arg_count("str", 1, args.len()).map_err(unplaced)?,
            },
            Builtin::Bool => match args.as_slice() {
                [] => Value::Bool(false),
                [v] => Value::Bool(v.truthy()),
                _ => arg_count("bool", 1, args.len()).map_err(unplaced)?,
            },
            Builtin::Range => range(&args).map_err(unplaced)?,
            Builtin::List => match args.as_slice() {
                [] => Value::list(Vec::new()),
                [v] => v.items().map(Value::list).map_err(unplaced)?,
                _ => arg_count("list", 1, args.len()).map_err(unplaced)?,
            },
            Builtin::Tuple => match args.as_slice() {
                [] => Value::tuple(Vec::new()),
                [v] => v.items().map(Value::tuple).map_err(unplaced)?,
                _ => arg_count("tuple", 1, args.len()).map_err(unplaced)?,
            },
            Builtin::Abs => one_arg("abs", &args)
                .and_then(|v| abs(&v))
                .map_err(unplaced)?,
        };
        self.charge([&result])?;
        Ok(result)
    }
}

fn int_of(args: &[Value]) -> Result<Value, Raised> {
    match args {
        [] => Ok(Value::Int(0)),
        [v] => to_int(v),
        _ => arg_count("int", 1, args.len()),
    }
}

fn abs(v: &Value) -> Result<Value, Raised> {
    match v.as_int() {
        Some(n) => n.checked_abs().map(Value::Int).ok_or_else(overflow),
        None => raise(
            format!("TypeError: bad operand type for abs(): '{}'", v.type_name()),
            "abs takes a number",
        ),
    }
}

/// `set()` or `set(items)`.
fn new_set_of(args: &[Value], visits: &mut Visits) -> Result<Value, Raised> {
    match args {
        [] => Ok(new_set(Vec::new())),
        [v] => {
            let mut set = Vec::new();
            for item in v.items()? {
                set_insert(&mut set, item, visits)?;
            }
            Ok(new_set(set))
        }
        _ => arg_count("set", 1, args.len()),
    }
}

/// The `reverse=` argument, for `sorted` and `list.sort`; any other keyword is refused.
pub(super) fn reverse_flag(
    name: &str,
    takes_reverse: bool,
    kwargs: &[(Rc<str>, Value)],
) -> Result<bool, Raised> {
    let mut reverse = false;
    for (key, value) in kwargs {
        if takes_reverse && &**key == "reverse" {
            reverse = value.truthy();
        } else {
            return raise(
                format!("TypeError: {name}() got an unexpected keyword argument '{key}'"),
                if takes_reverse {
                    "the only keyword it takes here is reverse=True"
                } else {
                    "pass the arguments by position"
                },
            );
        }
    }
    Ok(reverse)
}

fn arg_count<T>(name: &str, most: usize, given: usize) -> Result<T, Raised> {
    raise(
        format!(
            "TypeError: {name}() takes at most {most} argument{} ({given} given)",
            if most == 1 { "" } else { "s" }
        ),
        format!(
            "call {name}(...) with {most} argument{}",
            if most == 1 { "" } else { "s" }
        ),
    )
}

fn one_arg(name: &str, args: &[Value]) -> Result<Value, Raised> {
    match args {
        [v] => Ok(v.clone()),
        _ => raise(
            format!(
                "TypeError: {name}() takes exactly one argument ({} given)",
                args.len()
            ),
            format!("call {name}(x) with one value"),
        ),
    }
}

fn new_set(items: Vec<Value>) -> Value {
    Value::Set(Rc::new(RefCell::new(items)))
}

fn len(v: &Value) -> Result<Value, Raised> {
    let n = match v {
        Value::Str(s) => s.chars().count(),
        Value::Tuple(items) => items.len(),
        Value::List(items) | Value::Set(items) => items.borrow().len(),
        other => {
            return raise(
                format!(
                    "TypeError: object of type '{}' has no len()",
                    other.type_name()
                ),
                "len counts the items of a str, list, tuple or set",
            )
        }
    };
    Ok(Value::Int(n as i64))
}

fn sum(args: &[Value]) -> Result<Value, Raised> {
    let (iterable, start) = match args {
        [v] => (v, 0),
        [v, s] => match s.as_int() {
            Some(n) => (v, n),
            None => {
                return raise(
                    "TypeError: sum() can't sum strings [use ''.join(seq) instead]",
                    "join text with ''.join(items)",
                )
            }
        },
        _ => return arg_count("sum", 2, args.len()),
    };
    let mut total = start;
    for item in iterable.items()? {
        let Some(n) = item.as_int() else {
            return raise(
                format!(
                    "TypeError: unsupported operand type(s) for +: 'int' and '{}'",
                    item.type_name()
                ),
                "sum adds numbers; a value that is not a decimal integer arrives as text (str): convert with int(v), or emit numbers",
            );
        };
        total = total.checked_add(n).ok_or_else(overflow)?;
    }
    Ok(Value::Int(total))
}

/// `min` or `max` (`wanted` is the ordering that makes a candidate the new best).
fn extreme(
    name: &str,
    args: &[Value],
    wanted: Ordering,
    visits: &mut Visits,
) -> Result<Value, Raised> {
    let items = match args {
        [] => {
            return raise(
                format!("TypeError: {name} expected at least 1 argument, got 0"),
                format!("{name}(items) or {name}(a, b)"),
            )
        }
        [one] => one.items()?,
        many => many.to_vec(),
    };
    let mut best: Option<Value> = None;
    for item in items {
        best = Some(match best {
            Some(b) if py_cmp(&item, &b, visits)? != wanted => b,
            _ => item,
        });
    }
    best.map_or_else(
        || {
            raise(
                format!("ValueError: {name}() arg is an empty sequence"),
                format!("check the items are not empty before {name}(...)"),
            )
        },
        Ok,
    )
}

/// Python's `int(x)` for ints, bools and decimal text.
pub(super) fn to_int(v: &Value) -> Result<Value, Raised> {
    match v {
        Value::Str(s) => parse_int(s).map(Value::Int).ok_or_else(|| {
            let hint = if s.trim() == "\\N" {
                "\\N is how Hive's text format writes NULL: test for it (if x == '\\\\N') before converting"
            } else {
                "int() converts text made of digits (with an optional sign): check which field you converted"
            };
            (
                format!("ValueError: invalid literal for int() with base 10: {}", v.repr()),
                hint.to_string(),
            )
        }),
        other => match other.as_int() {
            Some(n) => Ok(Value::Int(n)),
            None => raise(
                format!(
                    "TypeError: int() argument must be a string or a number, not '{}'",
                    other.type_name()
                ),
                "convert a str or a number",
            ),
        },
    }
}

/// Decimal digits with an optional sign and single `_` between digits, around whitespace.
fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let n: i64 = clean.parse().ok()?;
    Some(if negative { -n } else { n })
}

/// A stable sort by Python's ordering (`reverse` keeps equal items in their order, as Python's
/// does).
/// After a failed comparison the rest compare equal at no cost, and the error is returned.
pub(super) fn sorted(
    mut items: Vec<Value>,
    reverse: bool,
    visits: &mut Visits,
) -> Result<Vec<Value>, Raised> {
    let mut failure: Option<Raised> = None;
    sim::sort::sort_by(&mut items, |a, b| {
        if failure.is_some() {
            return Ordering::Equal;
        }
        let (x, y) = if reverse { (b, a) } else { (a, b) };
        py_cmp(x, y, visits).unwrap_or_else(|e| {
            failure = Some(e);
            Ordering::Equal
        })
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(items),
    }
}

fn range(args: &[Value]) -> Result<Value, Raised> {
    let ints: Vec<i64> = args
        .iter()
        .map(|a| {
            a.as_int().ok_or_else(|| {
                (
                    format!(
                        "TypeError: '{}' object cannot be interpreted as an integer",
                        a.type_name()
                    ),
                    "range takes whole numbers: int(text) converts".to_string(),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let (start, stop, step) = match ints.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        _ => {
            return raise(
                format!(
                    "TypeError: range expected 1 to 3 arguments, got {}",
                    args.len()
                ),
                "range(stop), range(start, stop) or range(start, stop, step)",
            )
        }
    };
    if step == 0 {
        return raise(
            "ValueError: range() arg 3 must not be zero",
            "use a step of 1 or -1",
        );
    }
    let span = if step > 0 {
        i128::from(stop) - i128::from(start)
    } else {
        i128::from(start) - i128::from(stop)
    };
    let count = if span <= 0 {
        0
    } else {
        (span - 1) / i128::from(step).abs() + 1
    };
    if count > ITEMS_MAX as i128 {
        return Err(too_long());
    }
    // Every item lies between start and stop, so it fits; i * step alone may not.
    let items = (0..count)
        .map(|i| Value::Int((i128::from(start) + i * i128::from(step)) as i64))
        .collect();
    Ok(Value::list(checked_items(items)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_parses_like_python() {
        assert_eq!(parse_int(" 42 "), Some(42));
        assert_eq!(parse_int("-7"), Some(-7));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn range_counts_like_python() {
        let len_of = |args: &[i64]| {
            let args: Vec<Value> = args.iter().map(|n| Value::Int(*n)).collect();
            match &range(&args) {
                Ok(Value::List(items)) => items.borrow().len(),
                _ => usize::MAX,
            }
        };
        assert_eq!(len_of(&[5]), 5);
        assert_eq!(len_of(&[2, 5]), 3);
        assert_eq!(len_of(&[0, 10, 3]), 4);
        assert_eq!(len_of(&[10, 0, -3]), 4);
        assert_eq!(len_of(&[5, 2]), 0);
        assert!(range(&[Value::Int(i64::MIN), Value::Int(i64::MAX)]).is_err());
        assert_eq!(len_of(&[i64::MIN, i64::MAX, 1 << 62]), 4);
    }

    #[test]
    fn sorted_reverse_is_stable_and_mixed_types_fail() {
        let items = vec![
            Value::tuple(vec![Value::Int(1), Value::str("a")]),
            Value::tuple(vec![Value::Int(2), Value::str("b")]),
        ];
        let out = sorted(items, true, &mut Visits(100)).unwrap_or_default();
        assert_eq!(out.first().map(Value::repr).as_deref(), Some("(2, 'b')"));
        assert!(sorted(
            vec![Value::Int(1), Value::str("a")],
            false,
            &mut Visits(100)
        )
        .is_err());
    }
}
