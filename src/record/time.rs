//! RFC 3339 timestamps in UTC with microseconds (`2025-06-01T12:00:00.123456Z`), the
//! only form the recorder writes, and a parser for it (and for plain dates, for the
//! `--since`/`--until` options of the command-line tool).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Formats `time` as RFC 3339 in UTC with microseconds. Times before 1970 are written
/// as the epoch (the recorder never produces them).
pub fn format_rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let micros = i64::try_from(since.as_micros()).unwrap_or(i64::MAX);
    format_micros(micros)
}

/// Formats microseconds since the Unix epoch as RFC 3339 in UTC with microseconds.
pub fn format_micros(micros: i64) -> String {
    let seconds = micros.div_euclid(MICROS_PER_SECOND);
    let fraction = micros.rem_euclid(MICROS_PER_SECOND);
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let in_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:06}Z",
        in_day / 3600,
        (in_day / 60) % 60,
        in_day % 60
    )
}

/// Microseconds since the Unix epoch of an RFC 3339 timestamp (any offset, any number
/// of fraction digits, `T` or space), or of a plain date `YYYY-MM-DD` (its midnight UTC).
/// `None` when `text` is neither.
pub fn parse_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let date = text.get(..10)?;
    let year: i64 = date.get(..4)?.parse().ok()?;
    let month: u32 = date.get(5..7)?.parse().ok()?;
    let day: u32 = date.get(8..10)?.parse().ok()?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if bytes.len() == 10 {
        return Some(days * SECONDS_PER_DAY * MICROS_PER_SECOND);
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour: i64 = text.get(11..13)?.parse().ok()?;
    let minute: i64 = text.get(14..16)?.parse().ok()?;
    let second: i64 = text.get(17..19)?.parse().ok()?;
    if bytes.get(13) != Some(&b':') || bytes.get(16) != Some(&b':') {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = text.get(19..)?;
    let mut fraction_micros = 0i64;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let fraction = after_dot.get(..digits)?;
        let mut scaled = 0i64;
        for (i, b) in fraction.bytes().take(6).enumerate() {
            scaled += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
        }
        fraction_micros = scaled;
        rest = after_dot.get(digits..)?;
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * MICROS_PER_SECOND + fraction_micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            format_micros(1_709_210_096_789_012),
            "2024-02-29T12:34:56.789012Z"
        );
    }

    #[test]
    fn parse_inverts_format() {
        for micros in [
            0,
            1,
            951_782_400_000_000,
            1_709_210_096_789_012,
            4_102_444_799_999_999,
        ] {
            assert_eq!(parse_micros(&format_micros(micros)), Some(micros));
        }
    }

    #[test]
    fn parses_offsets_dates_and_rejects_junk() {
        assert_eq!(
            parse_micros("2024-02-29T14:34:56.5+02:00"),
            parse_micros("2024-02-29T12:34:56.500000Z")
        );
        assert_eq!(
            parse_micros("2024-03-01"),
            parse_micros("2024-03-01T00:00:00Z")
        );
        for junk in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-02-29T25:00:00Z",
            "2024-02-29T12:00:00",
        ] {
            assert_eq!(parse_micros(junk), None, "{junk}");
        }
    }
}
