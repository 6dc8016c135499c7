//! Go's duration syntax, as Argo Rollouts reads `pause.duration`, `interval` and `initialDelay`
//! and Flagger reads `interval`: a sequence of decimal numbers each with a unit (`10s`, `1m30s`,
//! `1.5h`, `250ms`), or `0`. A bare integer pause duration means seconds, as Argo's IntOrString does.
//! Sub-millisecond parts are dropped: lab time counts milliseconds.

use crate::value::DurationMs;

/// Units Go accepts, with their length in nanoseconds.
const UNITS: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a Go duration; the error says what is wrong in words.
pub fn parse_go_duration(text: &str) -> Result<DurationMs, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(DurationMs(0));
    }
    if text.is_empty() {
        return Err("an empty duration".to_string());
    }
    if text.starts_with('-') {
        return Err(format!("`{text}` is negative"));
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return Err(format!("`{text}` has a unit without a number before it"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!(
                "`{text}` has a number without a unit (s, m, h, ms)"
            ));
        }
        let Some(&(_, unit_ns)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!(
                "`{unit}` in `{text}` is not a duration unit (ns, us, ms, s, m, h)"
            ));
        };
        total_ns = total_ns.saturating_add(scaled(number, unit_ns, text)?);
        rest = next;
    }
    let ms = total_ns / 1_000_000;
    Ok(DurationMs(u64::try_from(ms).unwrap_or(u64::MAX)))
}

/// `number` (digits with at most one decimal point) times `unit_ns`, in nanoseconds.
fn scaled(number: &str, unit_ns: u128, whole: &str) -> Result<u128, String> {
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if frac_part.contains('.') {
        return Err(format!("`{whole}` has a number with two decimal points"));
    }
    let int_value: u128 = if int_part.is_empty() {
        0
    } else {
        int_part
            .parse()
            .map_err(|_| format!("`{whole}` is too large"))?
    };
    let mut result = int_value.saturating_mul(unit_ns);
    let mut place = unit_ns;
    for digit in frac_part.chars().filter_map(|c| c.to_digit(10)) {
        place /= 10;
        result = result.saturating_add(u128::from(digit) * place);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_examples() {
        assert_eq!(parse_go_duration("10s"), Ok(DurationMs(10_000)));
        assert_eq!(parse_go_duration("1m30s"), Ok(DurationMs(90_000)));
        assert_eq!(parse_go_duration("1h"), Ok(DurationMs(3_600_000)));
        assert_eq!(parse_go_duration("1.5h"), Ok(DurationMs(5_400_000)));
        assert_eq!(parse_go_duration("250ms"), Ok(DurationMs(250)));
        assert_eq!(parse_go_duration("0"), Ok(DurationMs(0)));
        assert!(parse_go_duration("10").is_err());
        assert!(parse_go_duration("10 s").is_err());
        assert!(parse_go_duration("5d").is_err());
        assert!(parse_go_duration("-1s").is_err());
        assert!(parse_go_duration("").is_err());
    }
}
