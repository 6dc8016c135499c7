//! The interpreter against Python's behaviour, one feature or error per test.

use super::*;
use crate::mapreduce::program::parse;

const LIMITS: Limits = Limits {
    steps_max: 100_000,
    output_bytes_max: 100_000,
};

/// Runs `source`, calls `f(arg)` and returns the emitted lines.
fn emitted(source: &str, arg: &str) -> Result<Vec<String>, ProgramError> {
    let program = parse(source)?;
    let mut session = Session::start(&program, LIMITS, '\t')?;
    session.call("f", vec![Value::str(arg)])?;
    Ok(session.take_output())
}

fn error(source: &str, arg: &str) -> ProgramError {
    match emitted(source, arg) {
        Ok(lines) => panic!("expected an error, got {lines:?}"),
        Err(e) => e,
    }
}

#[test]
fn emit_joins_tuple_keys_and_values_with_the_separator() {
    let out = emitted(
        "def f(x):\n    emit((x, 'b'), (1, 2))\n    emit(x, None)\n",
        "a",
    );
    assert_eq!(
        out.ok(),
        Some(vec!["a\tb\t1\t2".to_string(), "a\tNone".to_string()])
    );
}

#[test]
fn word_cleaning_with_loops_and_methods() {
    let source = "\
def f(line):
    clean = ''
    for c in line.lower():
        if c.isalpha() or c == \"'\":
            clean += c
        else:
            clean += ' '
    for w in clean.split():
        emit(w, 1)
";
    let out = emitted(source, "It's a Dog, a DOG!").unwrap_or_default();
    assert_eq!(out, ["it's\t1", "a\t1", "dog\t1", "a\t1", "dog\t1"]);
}

#[test]
fn arithmetic_follows_python_floor_semantics() {
    let source = "def f(x):\n    emit(-7 // 2, -7 % 2)\n    emit(7 // -2, 7 % -2)\n    emit(2 + 3 * 4, (2 + 3) * 4)\n";
    let out = emitted(source, "").unwrap_or_default();
    assert_eq!(out, ["-4\t1", "-4\t-1", "14\t20"]);
}

#[test]
fn indexing_slicing_and_comparisons() {
    let source = "\
def f(x):
    xs = x.split(',')
    emit(xs[-1], xs[1:])
    emit(x[:3], len(x))
    emit(1 < 2 <= 2, (1, 'b') < (1, 'c'))
    emit('b' in xs, 'z' not in xs)
    emit(sorted(xs, reverse=True), max(3, 9, 4))
";
    let out = emitted(source, "a,b,c").unwrap_or_default();
    assert_eq!(
        out,
        [
            "c\t['b', 'c']",
            "a,b\t5",
            "True\tTrue",
            "True\tTrue",
            "['c', 'b', 'a']\t9"
        ]
    );
}

#[test]
fn module_state_persists_across_calls_with_global() {
    let program = parse("n = 0\ndef f(x):\n    global n\n    n += 1\n    emit(x, n)\n");
    let program = program.unwrap_or_else(|e| panic!("{e:?}"));
    let mut session = Session::start(&program, LIMITS, '\t').unwrap_or_else(|e| panic!("{e:?}"));
    for word in ["a", "b"] {
        assert!(session.call("f", vec![Value::str(word)]).is_ok());
    }
    assert_eq!(session.take_output(), ["a\t1", "b\t2"]);
}

#[test]
fn assigning_a_global_without_declaring_it_is_unbound_local_with_a_hint() {
    let e = error("n = 0\ndef f(x):\n    n += 1\n", "");
    assert_eq!(e.line, 3);
    assert!(e
        .message
        .starts_with("UnboundLocalError: cannot access local variable 'n'"));
    assert!(e.hint.contains("global n"));
}

#[test]
fn a_misspelt_name_is_a_name_error_with_a_suggestion() {
    let e = error("def f(word):\n    x = 1\n    emit(wrod, 1)\n", "");
    assert_eq!(
        (e.line, e.message.as_str()),
        (3, "NameError: name 'wrod' is not defined")
    );
    assert!(e.hint.contains("did you mean \"word\""), "{}", e.hint);
}

#[test]
fn run_time_errors_use_python_words() {
    let cases = [
        ("def f(x):\n    return 1 // 0\n", "ZeroDivisionError"),
        (
            "def f(x):\n    return [1][3]\n",
            "IndexError: list index out of range",
        ),
        (
            "def f(x):\n    return x + 1\n",
            "can only concatenate str (not \"int\") to str",
        ),
        (
            "def f(x):\n    return 1 + x\n",
            "unsupported operand type(s) for +: 'int' and 'str'",
        ),
        (
            "def f(x):\n    return int('\\\\N')\n",
            "invalid literal for int() with base 10",
        ),
        (
            "def f(x):\n    a, b = 'a b c'.split()\n",
            "too many values to unpack (expected 2)",
        ),
        (
            "def f(x):\n    return x.lowr()\n",
            "'str' object has no attribute 'lowr'",
        ),
        (
            "def f(x):\n    return sum(['1'])\n",
            "unsupported operand type(s) for +: 'int' and 'str'",
        ),
        ("def f(x):\n    return f(x)\n", "RecursionError"),
        (
            "def f(x):\n    s = set()\n    s.add([1])\n",
            "unhashable type: 'list'",
        ),
        (
            "def f(x):\n    return 9223372036854775807 + 1\n",
            "OverflowError",
        ),
        (
            "def f(x, y):\n    pass\n",
            "missing 1 required positional argument: 'y'",
        ),
    ];
    for (source, needle) in cases {
        let e = error(source, "a");
        assert!(e.message.contains(needle), "{source:?}: {e:?}");
        assert!(e.line >= 1 && !e.hint.is_empty(), "{source:?}: {e:?}");
    }
}

#[test]
fn an_endless_loop_stops_at_the_step_budget() {
    let e = error("def f(x):\n    while True:\n        pass\n", "");
    assert_eq!(e.kind, ErrorKind::StepBudget);
    assert!(e.message.contains("100,000 steps"));
}

#[test]
fn an_emit_loop_stops_at_the_output_cap() {
    let e = error(
        "def f(x):\n    for i in range(10000):\n        emit('key', 'value' * 10)\n",
        "",
    );
    assert_eq!(e.kind, ErrorKind::OutputCap);
}

#[test]
fn a_string_doubling_loop_stops_instead_of_exhausting_memory() {
    let e = error(
        "def f(x):\n    s = 'ab'\n    while True:\n        s = s + s\n",
        "",
    );
    assert!(matches!(e.kind, ErrorKind::Runtime | ErrorKind::StepBudget));
    assert!(e.message.contains("MemoryError") || e.kind == ErrorKind::StepBudget);
}

#[test]
fn list_comprehensions_sets_and_conditional_expressions() {
    let source = "\
def f(x):
    words = [w.upper() for w in x.split() if len(w) > 1]
    seen = set(words)
    seen.add('ZZ')
    emit(len(seen), sorted(seen))
    emit('big' if len(words) > 2 else 'small', words[0])
";
    let out = emitted(source, "ab a cd ab").unwrap_or_default();
    assert_eq!(out, ["3\t['AB', 'CD', 'ZZ']", "big\tAB"]);
}

/// Deep recursion through deeply nested expressions ends in a RecursionError, within a
/// browser-sized stack (1 MiB), even in an unoptimized build.
#[test]
fn deep_recursion_fits_a_small_stack() {
    let nested = format!("{}f(n - 1){}", "-(".repeat(15), ")".repeat(15));
    let source = format!("def f(n):\n    if n == 0:\n        return 0\n    return {nested}\n");
    let outcome = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let program = parse(&source).map_err(|e| e.message)?;
            let mut session = Session::start(&program, LIMITS, '\t').map_err(|e| e.message)?;
            match session.call("f", vec![Value::Int(1000)]) {
                Ok(v) => Err(format!("returned {v:?}")),
                Err(e) => Ok(e.message),
            }
        })
        .map(|handle| handle.join());
    let message = match outcome {
        Ok(Ok(Ok(message))) => message,
        other => panic!("{other:?}"),
    };
    assert!(message.starts_with("RecursionError"), "{message}");
}

/// Lists that share their rows hold a billion items in a few steps: comparing or printing them
/// must stop at the budgets, not run for minutes.
#[test]
fn shared_nested_lists_cannot_hide_huge_work() {
    let build =
        "    cube = [[[0] * 1000] * 1000] * 1000\n    other = [[[0] * 1000] * 1000] * 1000\n";
    let e = error(&format!("def f(x):\n{build}    return cube == other\n"), "");
    assert_eq!((e.kind, e.line), (ErrorKind::StepBudget, 4));
    let e = error(
        &format!("def f(x):\n{build}    return sorted([cube, other])\n"),
        "",
    );
    assert_eq!(e.kind, ErrorKind::StepBudget);
    let e = error(&format!("def f(x):\n{build}    return str(cube)\n"), "");
    assert!(e.message.starts_with("MemoryError"), "{e:?}");
    let e = error(
        &format!("def f(x):\n{build}    s = set()\n    s.add(tuple(cube))\n"),
        "",
    );
    assert!(e.message.contains("unhashable"), "{e:?}");
}

#[test]
fn growth_is_sized_before_it_is_built() {
    let e = error(
        "def f(x):\n    s = 'a' * 100000\n    return s.replace('', s)\n",
        "",
    );
    assert!(e.message.starts_with("MemoryError"), "{e:?}");
    let e = error(
        "def f(x):\n    s = 'a' * 100000\n    emit((s,) * 100000, 1)\n",
        "",
    );
    assert_eq!(e.kind, ErrorKind::OutputCap);
    let e = error(
        "def f(x):\n    xs = [1] * 1000000\n    while True:\n        for y in xs:\n            break\n",
        "",
    );
    assert_eq!(e.kind, ErrorKind::StepBudget);
}
