//! The proleptic Gregorian calendar on a microsecond timeline: day numbers, dates and timestamps
//! in UTC, parsed and printed the way PostgreSQL writes them (`2024-03-01 12:30:05`). Every
//! engine that shows time to a learner (SQL values, feature timestamps) uses this one calendar,
//! so a timestamp prints the same everywhere.

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(i64::from(days));
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn format_timestamp(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (h, rest) = (rest / 3_600_000_000, rest % 3_600_000_000);
    let (min, rest) = (rest / 60_000_000, rest % 60_000_000);
    let (s, us) = (rest / 1_000_000, rest % 1_000_000);
    let date = format_date(days as i32);
    if us == 0 {
        format!("{date} {h:02}:{min:02}:{s:02}")
    } else {
        format!("{date} {h:02}:{min:02}:{s:02}.{us:06}")
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<i32> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    // PostgreSQL's date range, roughly: 4713 BC to 294276 AD.
    if !(-4713..=294_276).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || d > days_in_month(y, m)
    {
        return None;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD[ |T]HH:MM[:SS[.ffffff]]` (or a bare date, at midnight).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let days = i64::from(parse_date(date)?);
    let mut micros = 0i64;
    if !time.is_empty() {
        let time = time.trim_end_matches('Z');
        let mut parts = time.splitn(3, ':');
        let h: i64 = i64::from(parts.next()?.parse::<u8>().ok()?);
        let m: i64 = i64::from(parts.next()?.parse::<u8>().ok()?);
        let (s, frac) = match parts.next() {
            None => (0, 0),
            Some(sec) => match sec.split_once('.') {
                None => (i64::from(sec.parse::<u8>().ok()?), 0),
                Some((s, f)) => {
                    let digits: String = f.chars().take(6).collect();
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let scale = 10i64.pow(6 - digits.len() as u32);
                    (
                        i64::from(s.parse::<u8>().ok()?),
                        digits.parse::<i64>().ok()? * scale,
                    )
                }
            },
        };
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        micros = ((h * 60 + m) * 60 + s) * 1_000_000 + frac;
    }
    days.checked_mul(MICROS_PER_DAY)?.checked_add(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for (text, days) in [("1970-01-01", 0), ("2000-02-29", 11016), ("1969-12-31", -1)] {
            assert_eq!(parse_date(text), Some(days), "{text}");
            assert_eq!(format_date(days), text);
        }
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(
            parse_timestamp("2024-03-01 12:30:05.25").map(format_timestamp),
            Some("2024-03-01 12:30:05.250000".into())
        );
        assert_eq!(parse_timestamp("2024-03-01T25:00"), None);
        // Out of range or negative parts are refused, not wrapped.
        assert_eq!(parse_date("99999999999999999-01-01"), None);
        assert_eq!(parse_timestamp("2024-01-01 -5:-3"), None);
    }
}
