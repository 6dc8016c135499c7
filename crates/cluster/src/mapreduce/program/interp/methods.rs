//! Methods: the `str` methods that clean and cut lines (`lower`, `upper`, `strip`, `lstrip`,
//! `rstrip`, `split`, `join`, `startswith`, `endswith`, `replace`, `find`, `count`, `isalpha`,
//! `isdigit`), `list.append`, `extend`, `pop` and `sort`, and `set.add`, with Python's semantics
//! (e.g. `split()` without a separator splits on runs of whitespace and drops empty strings).

use super::builtins::{reverse_flag, sorted};
use super::ops::{checked_text, position, too_long, ITEMS_MAX, STR_BYTES_MAX};
use super::{unplaced, Run, Session};
use crate::mapreduce::program::value::{raise, set_insert, Raised, Value};
use std::cell::RefCell;
use std::rc::Rc;

const STR_METHODS: [&str; 14] = [
    "lower",
    "upper",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "join",
    "startswith",
    "endswith",
    "replace",
    "find",
    "count",
    "isalpha",
    "isdigit",
];
const LIST_METHODS: [&str; 4] = ["append", "extend", "pop", "sort"];
const SET_METHODS: [&str; 1] = ["add"];

impl Session {
    pub(super) fn call_method(
        &mut self,
        receiver: &Value,
        name: &str,
        args: Vec<Value>,
        kwargs: Vec<(Rc<str>, Value)>,
    ) -> Run<Value> {
        self.charge(std::iter::once(receiver).chain(&args))?;
        let reverse = reverse_flag(name, name == "sort", &kwargs).map_err(unplaced)?;
        let result = match receiver {
            Value::Str(s) => str_method(s, name, &args).map_err(unplaced),
            Value::List(items) if name == "sort" && args.is_empty() => {
                let unsorted = items.borrow().clone();
                let sorted_items = self.with_visits(|v| sorted(unsorted, reverse, v))?;
                *items.borrow_mut() = sorted_items;
                Ok(Value::None)
            }
            Value::List(items) => list_method(items, name, args).map_err(unplaced),
            Value::Set(items) => match (name, args.as_slice()) {
                ("add", [item]) => {
                    if items.borrow().len() >= ITEMS_MAX {
                        return Err(unplaced(too_long()));
                    }
                    let item = item.clone();
                    self.with_visits(|v| set_insert(&mut items.borrow_mut(), item, v))?;
                    Ok(Value::None)
                }
                ("add", _) => wrong_args("set.add", "one item", args.len()).map_err(unplaced),
                _ => no_attribute(receiver, name, &SET_METHODS).map_err(unplaced),
            },
            other => no_attribute(other, name, &[]).map_err(unplaced),
        }?;
        self.charge([&result])?;
        Ok(result)
    }
}

fn no_attribute(receiver: &Value, name: &str, methods: &[&str]) -> Result<Value, Raised> {
    let hint = sim::text::did_you_mean(name, methods.iter().copied()).unwrap_or_else(|| {
        if methods.is_empty() {
            format!("a {} value has no methods here", receiver.type_name())
        } else {
            format!("its methods here: {}", methods.join(", "))
        }
    });
    raise(
        format!(
            "AttributeError: '{}' object has no attribute '{name}'",
            receiver.type_name()
        ),
        hint,
    )
}

fn wrong_args<T>(method: &str, wanted: &str, given: usize) -> Result<T, Raised> {
    raise(
        format!("TypeError: {method}() got {given} argument(s), expected {wanted}"),
        format!("call {method}(...) with {wanted}"),
    )
}

/// A `str` argument, or a TypeError naming the method.
fn text_arg<'a>(method: &str, value: &'a Value) -> Result<&'a str, Raised> {
    match value {
        Value::Str(s) => Ok(s),
        other => raise(
            format!(
                "TypeError: {method}() argument must be str, not {}",
                other.type_name()
            ),
            "pass text: str(x) converts a number",
        ),
    }
}

fn str_method(s: &str, name: &str, args: &[Value]) -> Result<Value, Raised> {
    match (name, args) {
        ("lower", []) => checked_text(s.to_lowercase()),
        ("upper", []) => checked_text(s.to_uppercase()),
        ("strip" | "lstrip" | "rstrip", []) => Ok(Value::str(strip(s, name, None))),
        ("strip" | "lstrip" | "rstrip", [Value::None]) => Ok(Value::str(strip(s, name, None))),
        ("strip" | "lstrip" | "rstrip", [chars]) => {
            let chars = text_arg(name, chars)?;
            Ok(Value::str(strip(s, name, Some(chars))))
        }
        ("split", []) => Ok(split(s, None, -1)),
        ("split", [sep]) => split_by(s, sep, -1),
        ("split", [sep, Value::Int(max)]) => split_by(s, sep, *max),
        ("join", [items]) => join(s, items),
        ("startswith" | "endswith", [affix]) => affix_test(s, name, affix),
        ("replace", [old, new]) => {
            let (old, new) = (text_arg(name, old)?, text_arg(name, new)?);
            // Sized before it is built: replacing '' inserts between every character.
            let matches = if old.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(old).count()
            };
            let grown = (s.len() as u64 + matches as u64 * new.len() as u64)
                .saturating_sub(matches as u64 * old.len() as u64);
            if grown > STR_BYTES_MAX as u64 {
                return Err(too_long());
            }
            checked_text(s.replace(old, new))
        }
        ("find", [needle]) => {
            let needle = text_arg(name, needle)?;
            Ok(Value::Int(
                s.find(needle)
                    .map_or(-1, |at| s[..at].chars().count() as i64),
            ))
        }
        ("count", [needle]) => {
            let needle = text_arg(name, needle)?;
            if needle.is_empty() {
                return Ok(Value::Int(s.chars().count() as i64 + 1));
            }
            Ok(Value::Int(s.matches(needle).count() as i64))
        }
        ("isalpha", []) => Ok(Value::Bool(
            !s.is_empty() && s.chars().all(char::is_alphabetic),
        )),
        ("isdigit", []) => Ok(Value::Bool(
            !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
        )),
        _ if STR_METHODS.contains(&name) => raise(
            format!(
                "TypeError: str.{name}() got {} argument(s) it does not take",
                args.len()
            ),
            str_usage(name),
        ),
        _ => no_attribute(&Value::str(s), name, &STR_METHODS),
    }
}

fn str_usage(name: &str) -> &'static str {
    match name {
        "split" => "line.split() splits on whitespace, line.split('\\t') on tabs",
        "join" => "', '.join(items) joins a list of str",
        "replace" => "text.replace(old, new)",
        "strip" | "lstrip" | "rstrip" => "text.strip() or text.strip(chars)",
        "startswith" | "endswith" => "text.startswith('prefix')",
        _ => "see Python's str methods",
    }
}

fn strip<'a>(s: &'a str, side: &str, chars: Option<&str>) -> &'a str {
    let strip_char = |c: char| match chars {
        Some(set) => set.contains(c),
        None => c.is_whitespace(),
    };
    match side {
        "lstrip" => s.trim_start_matches(strip_char),
        "rstrip" => s.trim_end_matches(strip_char),
        _ => s.trim_matches(strip_char),
    }
}

fn split_by(s: &str, sep: &Value, max: i64) -> Result<Value, Raised> {
    match sep {
        Value::None => Ok(split(s, None, max)),
        Value::Str(sep) if sep.is_empty() => raise(
            "ValueError: empty separator",
            "split() with no argument splits on whitespace; split('\\t') on tabs",
        ),
        Value::Str(sep) => Ok(split(s, Some(sep), max)),
        other => raise(
            format!("TypeError: must be str or None, not {}", other.type_name()),
            "split takes the separator as text: split(',')",
        ),
    }
}

/// Python's `str.split(sep, maxsplit)` (`max` < 0: no limit).
fn split(s: &str, sep: Option<&str>, max: i64) -> Value {
    let pieces: Vec<&str> = match (sep, usize::try_from(max)) {
        (Some(sep), Err(_)) => s.split(sep).collect(),
        (Some(sep), Ok(max)) => s.splitn(max.saturating_add(1), sep).collect(),
        (None, Err(_)) => s.split_whitespace().collect(),
        (None, Ok(max)) => {
            let mut pieces = Vec::new();
            let mut rest = s.trim_start();
            while pieces.len() < max && !rest.is_empty() {
                match rest.find(char::is_whitespace) {
                    Some(at) => {
                        pieces.push(&rest[..at]);
                        rest = rest[at..].trim_start();
                    }
                    None => break,
                }
            }
            if !rest.is_empty() {
                pieces.push(rest);
            }
            pieces
        }
    };
    Value::list(pieces.into_iter().map(Value::str).collect())
}

fn join(sep: &str, items: &Value) -> Result<Value, Raised> {
    let mut out = String::new();
    for (i, item) in items.items()?.iter().enumerate() {
        let Value::Str(text) = item else {
            return raise(
                format!(
                    "TypeError: sequence item {i}: expected str instance, {} found",
                    item.type_name()
                ),
                "convert each item first: sep.join([str(x) for x in items])",
            );
        };
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(text);
        if out.len() > STR_BYTES_MAX {
            return Err(too_long());
        }
    }
    Ok(Value::str(&out))
}

fn affix_test(s: &str, name: &str, affix: &Value) -> Result<Value, Raised> {
    let test = |a: &str| {
        if name == "startswith" {
            s.starts_with(a)
        } else {
            s.ends_with(a)
        }
    };
    match affix {
        Value::Str(a) => Ok(Value::Bool(test(a))),
        Value::Tuple(options) => {
            for option in options.iter() {
                if test(text_arg(name, option)?) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        other => raise(
            format!(
                "TypeError: {name} first arg must be str or a tuple of str, not {}",
                other.type_name()
            ),
            "pass text: line.startswith('#')",
        ),
    }
}

/// A list method other than a valid `sort()` call; the list is borrowed only while it changes
/// (its items may be the list itself).
fn list_method(list: &RefCell<Vec<Value>>, name: &str, args: Vec<Value>) -> Result<Value, Raised> {
    match (name, args.as_slice()) {
        ("append", [item]) => {
            let mut items = list.borrow_mut();
            if items.len() >= ITEMS_MAX {
                return Err(too_long());
            }
            items.push(item.clone());
            Ok(Value::None)
        }
        ("extend", [more]) => {
            let more = more.items()?;
            let mut items = list.borrow_mut();
            if items.len() + more.len() > ITEMS_MAX {
                return Err(too_long());
            }
            items.extend(more);
            Ok(Value::None)
        }
        ("pop", []) => list.borrow_mut().pop().ok_or_else(|| {
            (
                "IndexError: pop from empty list".to_string(),
                "check len(xs) > 0 before xs.pop()".to_string(),
            )
        }),
        ("pop", [index]) => {
            let mut items = list.borrow_mut();
            let at = position(index, items.len(), "pop")?;
            Ok(items.remove(at))
        }
        ("append" | "extend", _) => wrong_args(&format!("list.{name}"), "one argument", args.len()),
        ("pop" | "sort", _) => wrong_args(&format!("list.{name}"), "no argument", args.len()),
        _ => no_attribute(&Value::list(Vec::new()), name, &LIST_METHODS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &Value) -> Vec<String> {
        v.items()
            .unwrap_or_default()
            .iter()
            .map(Value::to_text)
            .collect()
    }

    #[test]
    fn split_follows_python() {
        assert_eq!(texts(&split("  a b\t c ", None, -1)), ["a", "b", "c"]);
        assert_eq!(texts(&split("a\t\tb", Some("\t"), -1)), ["a", "", "b"]);
        assert_eq!(texts(&split("a b c", None, 1)), ["a", "b c"]);
        assert_eq!(texts(&split("a,b,c", Some(","), 1)), ["a", "b,c"]);
        assert_eq!(texts(&split("", None, -1)), Vec::<String>::new());
        assert_eq!(texts(&split("", Some(","), -1)), [""]);
    }

    #[test]
    fn strip_with_and_without_chars() {
        assert_eq!(strip("  hi \n", "strip", None), "hi");
        assert_eq!(strip("..hi!", "strip", Some(".!")), "hi");
        assert_eq!(strip("xxhixx", "lstrip", Some("x")), "hixx");
    }

    #[test]
    fn join_refuses_numbers_with_a_hint() {
        let items = Value::list(vec![Value::str("a"), Value::Int(1)]);
        let err = join(",", &items).err();
        assert!(err
            .is_some_and(|(m, _)| m.contains("sequence item 1: expected str instance, int found")));
    }
}
