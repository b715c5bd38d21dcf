//! Times as the pages show them: `2026-12-03 09:41:07 UTC (in 30 days)`,
//! with no date crate.

use std::fmt::{self, Display, Formatter};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last second of year 9999: later times are shown as that, so the
/// arithmetic below never overflows.
const MAX_SECS: u64 = 253_402_300_799;

/// A point in time, in UTC and relative to `now`.
pub(crate) struct When {
    pub(crate) at: SystemTime,
    pub(crate) now: SystemTime,
}

impl Display for When {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", Utc(self.at))?;
        match self.at.duration_since(self.now) {
            Ok(ahead) => write!(f, "in {})", Span(ahead)),
            Err(behind) => write!(f, "{} ago)", Span(behind.duration())),
        }
    }
}

/// `2026-12-03 09:41:07 UTC`; a time before 1970 shows as 1970.
struct Utc(SystemTime);

impl Display for Utc {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let secs = self
            .0
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
            .min(MAX_SECS);
        let (year, month, day) = civil_from_days(secs / 86_400);
        let time = secs % 86_400;
        let (hour, minute, second) = (time / 3600, time / 60 % 60, time % 60);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC"
        )
    }
}

/// A duration, rounded to the largest unit that reads well: `less than a
/// minute`, `5 minutes`, `1 hour`, `30 days`.
struct Span(Duration);

impl Display for Span {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let rounded = |unit: u64| (secs + unit / 2) / unit;
        let (count, unit) = match (rounded(60), rounded(3600)) {
            (0, _) => return f.write_str("less than a minute"),
            (minutes @ ..60, _) => (minutes, "minute"),
            (_, hours @ ..24) => (hours, "hour"),
            _ => (rounded(86_400), "day"),
        };
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} {unit}{plural}")
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days since the epoch only).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Counted from 0000-03-01, so that the leap day ends each year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::{Utc, When, civil_from_days};

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(19_722), (2023, 12, 31));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }

    #[test]
    fn utc() {
        let at = |secs| Utc(UNIX_EPOCH + Duration::from_secs(secs)).to_string();
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(1_709_210_096), "2024-02-29 12:34:56 UTC");
        assert_eq!(at(u64::MAX / 2), "9999-12-31 23:59:59 UTC", "clamped");
        let before = Utc(UNIX_EPOCH - Duration::from_secs(5)).to_string();
        assert_eq!(before, "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn relative() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let when = |at| When { at, now }.to_string();
        assert!(when(now).ends_with("(in less than a minute)"));
        assert!(when(now - Duration::from_secs(61)).ends_with("(1 minute ago)"));
        assert!(when(now + Duration::from_hours(2)).ends_with("(in 2 hours)"));
        assert!(when(now + Duration::from_hours(24 * 30)).ends_with("(in 30 days)"));
        let almost = Duration::from_hours(24 * 30) - Duration::from_secs(3);
        assert!(when(now + almost).ends_with("(in 30 days)"), "rounded");
        assert!(when(now + Duration::from_secs(3599)).ends_with("(in 1 hour)"));
        assert!(when(now + Duration::from_secs(29)).ends_with("(in less than a minute)"));
        assert_eq!(
            when(now - Duration::from_secs(86_400 * 3 + 5)),
            "1970-01-09 13:46:35 UTC (3 days ago)"
        );
    }
}
