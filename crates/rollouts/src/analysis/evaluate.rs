//! Evaluating conditions, and a measurement's phase from its two conditions, as Argo Rollouts'
//! `evaluate` package does.
//!
//! A Prometheus provider hands the condition its result as a list of floats (`[]float64`) for a
//! vector or matrix, a single float only for a scalar; so `result[0] > 0.9` is how a vector is
//! compared, and `result > 0.9` on a vector is a type error (the measurement is `Error`). A
//! measurement's phase follows Argo's table: no conditions → Successful; only a success condition
//! → failed when it is false; only a failure condition → successful when it is false; a true
//! failure condition → Failed; neither true → Inconclusive; a condition that cannot be evaluated
//! → Error, with a message that says so (and that the result was empty when it was).

use super::assess::AnalysisPhase;
use super::condition::{
    parse_condition, BinaryOp, Condition, ConditionError, Expr, Function, UnaryOp,
};

/// A value a condition computes with. `result` is a `List` of numbers for a Prometheus vector.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
    List(Vec<Value>),
    Nil,
}

impl Value {
    /// A Prometheus vector as a condition sees it.
    pub fn from_samples(samples: &[f64]) -> Value {
        Value::List(samples.iter().map(|s| Value::Number(*s)).collect())
    }

    fn type_name(&self) -> &'static str {
        match self {
            Value::Number(_) => "number",
            Value::Bool(_) => "bool",
            Value::Text(_) => "string",
            Value::List(_) => "list",
            Value::Nil => "nil",
        }
    }

    /// Argo's "nil or empty" test, used to explain an evaluation error.
    fn is_nil_or_empty(&self) -> bool {
        match self {
            Value::Nil => true,
            Value::List(items) => items.is_empty(),
            _ => false,
        }
    }
}

/// Why a condition could not be evaluated against a result.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub message: String,
}

fn fail<T>(message: String) -> Result<T, EvalError> {
    Err(EvalError { message })
}

impl Condition {
    /// Evaluates the condition with `result` bound to `result`; it must produce a bool.
    pub fn evaluate(&self, result: &Value) -> Result<bool, EvalError> {
        let scope = Scope {
            result,
            element: None,
        };
        match scope.eval(&self.root)? {
            Value::Bool(b) => Ok(b),
            other => fail(format!("expected bool, but got {}", other.type_name())),
        }
    }
}

struct Scope<'a> {
    result: &'a Value,
    element: Option<&'a Value>,
}

impl Scope<'_> {
    fn eval(&self, expr: &Expr) -> Result<Value, EvalError> {
        match expr {
            Expr::Number(n) => Ok(Value::Number(*n)),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::Text(t) => Ok(Value::Text(t.clone())),
            Expr::Nil => Ok(Value::Nil),
            Expr::Result => Ok(self.result.clone()),
            Expr::Element => Ok(self.element.cloned().unwrap_or(Value::Nil)),
            Expr::Unary(op, operand) => unary(*op, self.eval(operand)?),
            Expr::Binary(BinaryOp::And, left, right) => self.logical(left, right, false),
            Expr::Binary(BinaryOp::Or, left, right) => self.logical(left, right, true),
            Expr::Binary(op, left, right) => binary(*op, self.eval(left)?, self.eval(right)?),
            Expr::Index(list, index) => index_into(self.eval(list)?, self.eval(index)?),
            Expr::Call(function, arguments) => self.call(*function, arguments),
            Expr::Predicate(_) => {
                fail("a predicate is only allowed inside all() or any()".to_string())
            }
        }
    }

    /// `&&`/`||` with short-circuit: `||` stops at the first true, `&&` at the first false.
    fn logical(&self, left: &Expr, right: &Expr, stop_on: bool) -> Result<Value, EvalError> {
        let symbol = if stop_on { "||" } else { "&&" };
        let left = expect_bool(self.eval(left)?, symbol)?;
        if left == stop_on {
            return Ok(Value::Bool(left));
        }
        Ok(Value::Bool(expect_bool(self.eval(right)?, symbol)?))
    }

    fn call(&self, function: Function, arguments: &[Expr]) -> Result<Value, EvalError> {
        match (function, arguments) {
            (Function::All, [list, Expr::Predicate(body)]) => self.quantify(list, body, true),
            (Function::Any, [list, Expr::Predicate(body)]) => self.quantify(list, body, false),
            // Argo's default() and isNil() evaluate their argument (so `result[0]` on an empty
            // vector is still an error) but then look at the provider's whole result instead:
            // `default(result[0], 0)` is the result list, not its first value.
            (Function::Default, [argument, fallback]) => {
                self.eval(argument)?;
                match self.result {
                    Value::Nil => self.eval(fallback),
                    result => Ok(result.clone()),
                }
            }
            (Function::IsNil, [argument]) => {
                self.eval(argument)?;
                Ok(Value::Bool(matches!(self.result, Value::Nil)))
            }
            (_, [argument]) => apply(function, self.eval(argument)?),
            _ => fail(format!(
                "{}() called with the wrong arguments",
                function.name()
            )),
        }
    }

    /// `all` (every element satisfies the predicate) or `any` (some element does).
    fn quantify(&self, list: &Expr, body: &Expr, every: bool) -> Result<Value, EvalError> {
        let name = if every { "all" } else { "any" };
        let Value::List(items) = self.eval(list)? else {
            return fail(format!("{name}() needs a list as its first argument"));
        };
        for item in &items {
            let inner = Scope {
                result: self.result,
                element: Some(item),
            };
            let holds = match inner.eval(body)? {
                Value::Bool(b) => b,
                other => {
                    return fail(format!(
                        "{name}() predicate must be bool, got {}",
                        other.type_name()
                    ))
                }
            };
            if holds != every {
                return Ok(Value::Bool(!every));
            }
        }
        Ok(Value::Bool(every))
    }
}

fn expect_bool(value: Value, operator: &str) -> Result<bool, EvalError> {
    match value {
        Value::Bool(b) => Ok(b),
        other => fail(format!(
            "invalid operation: {operator} needs bool operands, got {}",
            other.type_name()
        )),
    }
}

fn unary(op: UnaryOp, operand: Value) -> Result<Value, EvalError> {
    match (op, operand) {
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Negate, Value::Number(n)) => Ok(Value::Number(-n)),
        (UnaryOp::Not, other) => fail(format!("invalid operation: ! on {}", other.type_name())),
        (UnaryOp::Negate, other) => fail(format!("invalid operation: - on {}", other.type_name())),
    }
}

fn binary(op: BinaryOp, left: Value, right: Value) -> Result<Value, EvalError> {
    match op {
        BinaryOp::Equal => Ok(Value::Bool(equal(&left, &right)?)),
        BinaryOp::NotEqual => Ok(Value::Bool(!equal(&left, &right)?)),
        BinaryOp::In => match right {
            Value::List(items) => {
                for item in &items {
                    if equal(&left, item)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            other => fail(format!(
                "invalid operation: in needs a list on its right, got {}",
                other.type_name()
            )),
        },
        BinaryOp::Less | BinaryOp::LessOrEqual | BinaryOp::Greater | BinaryOp::GreaterOrEqual => {
            compare(op, &left, &right)
        }
        BinaryOp::Add => match (left, right) {
            (Value::Text(a), Value::Text(b)) => Ok(Value::Text(a + &b)),
            (left, right) => arithmetic(op, &left, &right),
        },
        _ => arithmetic(op, &left, &right),
    }
}

/// expr-lang's equality: numbers by value, lists element-wise, `nil` equal only to `nil`; two
/// values of different types cannot be compared (expr-lang rejects `1.1 == "1.1"`).
fn equal(left: &Value, right: &Value) -> Result<bool, EvalError> {
    Ok(match (left, right) {
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Text(a), Value::Text(b)) => a == b,
        (Value::Nil, other) | (other, Value::Nil) => matches!(other, Value::Nil),
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return Ok(false);
            }
            for (x, y) in a.iter().zip(b) {
                if !equal(x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => return mismatched(BinaryOp::Equal, left, right),
    })
}

fn compare(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, EvalError> {
    let ordering = match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
        (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        _ => return mismatched(op, left, right),
    };
    // A comparison with NaN is false, as in Go.
    let holds = ordering.is_some_and(|o| match op {
        BinaryOp::Less => o.is_lt(),
        BinaryOp::LessOrEqual => o.is_le(),
        BinaryOp::Greater => o.is_gt(),
        _ => o.is_ge(),
    });
    Ok(Value::Bool(holds))
}

fn mismatched<T>(op: BinaryOp, left: &Value, right: &Value) -> Result<T, EvalError> {
    let hint = if matches!(left, Value::List(_)) || matches!(right, Value::List(_)) {
        " (a Prometheus result is a list: compare result[0])"
    } else {
        ""
    };
    fail(format!(
        "invalid operation: {} (mismatched types {} and {}){hint}",
        op.symbol(),
        left.type_name(),
        right.type_name()
    ))
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, EvalError> {
    let (Value::Number(a), Value::Number(b)) = (left, right) else {
        return mismatched(op, left, right);
    };
    let (a, b) = (*a, *b);
    Ok(Value::Number(match op {
        BinaryOp::Add => a + b,
        BinaryOp::Subtract => a - b,
        BinaryOp::Multiply => a * b,
        // expr-lang divides as floats: x / 0 is ±Inf (or NaN), not an error.
        BinaryOp::Divide => a / b,
        BinaryOp::Modulo => {
            if a.fract() != 0.0 || b.fract() != 0.0 {
                return fail("invalid operation: % needs integer operands".to_string());
            }
            if b == 0.0 {
                return fail("integer divide by zero in %".to_string());
            }
            a % b
        }
        _ => a.powf(b),
    }))
}

fn index_into(list: Value, index: Value) -> Result<Value, EvalError> {
    let (Value::List(items), Value::Number(position)) = (&list, &index) else {
        return fail(format!(
            "cannot index {} with {}",
            list.type_name(),
            index.type_name()
        ));
    };
    if position.fract() != 0.0 {
        return fail(format!("index {position} is not an integer"));
    }
    let length = items.len() as f64;
    // expr-lang counts negative indices from the end: result[-1] is the last value.
    let from_start = if *position < 0.0 {
        length + position
    } else {
        *position
    };
    if from_start < 0.0 || from_start >= length {
        return fail(format!(
            "index out of range: {position} (the list has {} values)",
            items.len()
        ));
    }
    Ok(items[from_start as usize].clone())
}

fn apply(function: Function, argument: Value) -> Result<Value, EvalError> {
    match (function, argument) {
        (Function::Len, Value::List(items)) => Ok(Value::Number(items.len() as f64)),
        (Function::Len, Value::Text(text)) => Ok(Value::Number(text.chars().count() as f64)),
        (Function::IsNaN, Value::Number(n)) => Ok(Value::Bool(n.is_nan())),
        (Function::IsInf, Value::Number(n)) => Ok(Value::Bool(n.is_infinite())),
        (Function::AsInt, Value::Number(n)) => Ok(Value::Number(n.trunc())),
        (Function::AsFloat, Value::Number(n)) => Ok(Value::Number(n)),
        (Function::AsInt, Value::Text(text)) => match text.parse::<i64>() {
            Ok(n) => Ok(Value::Number(n as f64)),
            Err(_) => fail(format!("asInt(): '{text}' is not an integer")),
        },
        (Function::AsFloat, Value::Text(text)) => match text.parse::<f64>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => fail(format!("asFloat(): '{text}' is not a number")),
        },
        (function, other) => fail(format!(
            "{}() not supported on {}",
            function.name(),
            other.type_name()
        )),
    }
}

/// A metric's two conditions, parsed once; an empty or absent condition is no condition.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricConditions {
    success: Option<ParsedCondition>,
    failure: Option<ParsedCondition>,
}

#[derive(Clone, Debug, PartialEq)]
struct ParsedCondition {
    text: String,
    parsed: Result<Condition, ConditionError>,
}

impl ParsedCondition {
    fn from_text(text: Option<&str>) -> Option<ParsedCondition> {
        let text = text?.trim();
        (!text.is_empty()).then(|| ParsedCondition {
            text: text.to_string(),
            parsed: parse_condition(text),
        })
    }

    /// The condition's value, or Argo's explanation of why it has none.
    fn holds(&self, result: &Value, kind: &str) -> Result<bool, String> {
        let outcome = match &self.parsed {
            Ok(condition) => condition.evaluate(result).map_err(|e| e.message),
            Err(error) => Err(error.to_string()),
        };
        outcome.map_err(|cause| {
            if result.is_nil_or_empty() {
                format!(
                    "could not evaluate {kind} \"{}\": metric result is nil or empty: no data returned from the metric provider",
                    self.text
                )
            } else {
                format!("could not evaluate {kind} \"{}\": {cause}", self.text)
            }
        })
    }
}

/// A measurement's verdict: its phase and, for `Error`, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub phase: AnalysisPhase,
    pub error: Option<String>,
}

impl MetricConditions {
    pub fn parse(success: Option<&str>, failure: Option<&str>) -> MetricConditions {
        MetricConditions {
            success: ParsedCondition::from_text(success),
            failure: ParsedCondition::from_text(failure),
        }
    }

    /// Argo's `EvaluateResult`: the measurement phase for `result`.
    pub fn evaluate_result(&self, result: &Value) -> Verdict {
        let error = |message: String| Verdict {
            phase: AnalysisPhase::Error,
            error: Some(message),
        };
        let success = match &self.success {
            Some(condition) => match condition.holds(result, "successCondition") {
                Ok(holds) => Some(holds),
                Err(message) => return error(message),
            },
            None => None,
        };
        let failure = match &self.failure {
            Some(condition) => match condition.holds(result, "failureCondition") {
                Ok(holds) => Some(holds),
                Err(message) => return error(message),
            },
            None => None,
        };
        let (succeeded, failed) = match (success, failure) {
            (None, None) => (true, false),
            (Some(succeeded), None) => (succeeded, !succeeded),
            (None, Some(failed)) => (!failed, failed),
            (Some(succeeded), Some(failed)) => (succeeded, failed),
        };
        let phase = if failed {
            AnalysisPhase::Failed
        } else if !succeeded {
            AnalysisPhase::Inconclusive
        } else {
            AnalysisPhase::Successful
        };
        Verdict { phase, error: None }
    }
}

/// Parses both conditions and judges one result: a convenience over [`MetricConditions`].
pub fn evaluate_result(result: &Value, success: Option<&str>, failure: Option<&str>) -> Verdict {
    MetricConditions::parse(success, failure).evaluate_result(result)
}
