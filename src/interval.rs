//! Calendar lengths as users write them (`35d`, `12 months`, `quarterly`,
//! `every 90 days`), and the arithmetic on dates they need.
//!
//! Months and years stay calendar units: a policy approved on 31 January and
//! reviewed every month is due on the last day of February, not 30 days on.

use std::fmt;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};

/// A length of calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    Days(u32),
    Months(u32),
}

impl Interval {
    /// Parses a duration such as `35d`, `35 days`, `6 weeks`, `12 months`,
    /// `1y`, `1 year`.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let trimmed = text.trim();
        let digits_end = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(digits_end);
        let number: u32 = number.parse().map_err(|_| {
            format!("`{text}` is not a duration: expected a number and a unit, such as `35d` or `12 months`")
        })?;
        if number == 0 {
            return Err(format!(
                "`{text}` is not a duration: it must be longer than zero"
            ));
        }
        let scaled = |factor: u32| {
            number
                .checked_mul(factor)
                .ok_or_else(|| format!("`{text}` is too long"))
        };
        match unit.trim().to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => Ok(Interval::Days(number)),
            "w" | "week" | "weeks" => scaled(7).map(Interval::Days),
            "m" | "mo" | "month" | "months" => Ok(Interval::Months(number)),
            "q" | "quarter" | "quarters" => scaled(3).map(Interval::Months),
            "y" | "year" | "years" => scaled(12).map(Interval::Months),
            "" => Err(format!(
                "`{text}` has no unit: write `{number}d`, `{number} weeks`, `{number} months` or `{number} years`"
            )),
            other => Err(format!(
                "`{text}` has an unknown unit `{other}`: use days, weeks, months or years"
            )),
        }
    }

    /// Parses how often a recurring activity happens: `day`, `week`,
    /// `month`, `quarter`, `year` (or `daily`, `weekly`, `monthly`,
    /// `quarterly`, `yearly`, `annually`), or a duration, optionally after
    /// `every` (`every 90 days`, `2 weeks`).
    pub fn parse_cadence(text: &str) -> Result<Interval, String> {
        let lowered = text.trim().to_ascii_lowercase();
        let rest = lowered.strip_prefix("every ").unwrap_or(&lowered).trim();
        match rest {
            "day" | "daily" => Ok(Interval::Days(1)),
            "week" | "weekly" => Ok(Interval::Days(7)),
            "fortnight" | "fortnightly" => Ok(Interval::Days(14)),
            "month" | "monthly" => Ok(Interval::Months(1)),
            "quarter" | "quarterly" => Ok(Interval::Months(3)),
            "half-year" | "half year" | "half-yearly" | "semiannually" => Ok(Interval::Months(6)),
            "year" | "yearly" | "annually" | "annual" => Ok(Interval::Months(12)),
            _ => Interval::parse(rest).map_err(|_| {
                format!(
                    "`{text}` is not a cadence: use day, week, month, quarter, year, or a length such as `90 days`"
                )
            }),
        }
    }

    /// The date this long after `date`, clamped to the end of a shorter
    /// month; `None` past the end of the calendar.
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Interval::Days(n) => date.checked_add_days(Days::new(n.into())),
            Interval::Months(n) => date.checked_add_months(Months::new(n)),
        }
    }

    /// The instant this long after `time`.
    pub fn after_time(self, time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Interval::Days(n) => time.checked_add_days(Days::new(n.into())),
            Interval::Months(n) => time.checked_add_months(Months::new(n)),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Interval::Days(n) if n % 7 == 0 => (n / 7, "week"),
            Interval::Days(n) => (n, "day"),
            Interval::Months(n) if n % 12 == 0 => (n / 12, "year"),
            Interval::Months(n) => (n, "month"),
        };
        if n == 1 {
            write!(f, "1 {unit}")
        } else {
            write!(f, "{n} {unit}s")
        }
    }
}

/// Parses an ISO 8601 calendar date (`2026-02-01`).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date: write it as YYYY-MM-DD"))
}

/// Parses a date (taken as midnight UTC) or an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let trimmed = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(time.with_timezone(&Utc));
    }
    // Only a text with a `:` can have the time of day; most are dates,
    // and trying the format first (it is parsed on every call) cost more
    // than reading the date.
    if trimmed.contains(':') {
        if let Ok(time) = chrono::NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%d %H:%M:%S") {
            return Ok(time.and_utc());
        }
    }
    parse_date(trimmed)
        .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| {
            format!("`{text}` is not a time: write a date (YYYY-MM-DD) or an RFC 3339 time")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn durations_parse_in_every_spelling() {
        assert_eq!(Interval::parse("35d"), Ok(Interval::Days(35)));
        assert_eq!(Interval::parse("35 days"), Ok(Interval::Days(35)));
        assert_eq!(Interval::parse("6 weeks"), Ok(Interval::Days(42)));
        assert_eq!(Interval::parse("12 months"), Ok(Interval::Months(12)));
        assert_eq!(Interval::parse("1y"), Ok(Interval::Months(12)));
        assert!(Interval::parse("12").unwrap_err().contains("no unit"));
        assert!(Interval::parse("soon").is_err());
        assert!(Interval::parse("0d").is_err());
        assert!(Interval::parse("99999999999d").is_err());
    }

    #[test]
    fn cadences_parse() {
        assert_eq!(
            Interval::parse_cadence("quarterly"),
            Ok(Interval::Months(3))
        );
        assert_eq!(Interval::parse_cadence("quarter"), Ok(Interval::Months(3)));
        assert_eq!(
            Interval::parse_cadence("every 90 days"),
            Ok(Interval::Days(90))
        );
        assert_eq!(Interval::parse_cadence("90 days"), Ok(Interval::Days(90)));
        assert!(Interval::parse_cadence("sometimes").is_err());
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(
            Interval::Months(1).after(date("2026-01-31")),
            Some(date("2026-02-28"))
        );
        assert_eq!(
            Interval::Months(12).after(date("2025-03-01")),
            Some(date("2026-03-01"))
        );
        assert_eq!(
            Interval::Days(35).after(date("2026-03-01")),
            Some(date("2026-04-05"))
        );
    }

    #[test]
    fn times_accept_dates_and_rfc3339() {
        assert_eq!(
            parse_time("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        assert!(parse_time("March").is_err());
    }
}
