//! `Expires` dates: the IMF-fixdate of RFC 9110 §5.6.7, written by hand.
//!
//! Formatting the date through a calendar library was a seventh of a whole
//! request through the layer; this is a few integer divisions.

use std::fmt::Write as _;

use crate::codec::UnixTime;

/// 9999-12-31 23:59:59 UTC: browsers read no later date, so later ones are
/// written as this.
const LAST_DATE: u64 = 253_402_300_799;

const SECS_PER_DAY: u64 = 86_400;

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends `time` as `Thu, 01 Jan 1970 00:00:00 GMT`.
pub(super) fn write_imf_fixdate(out: &mut String, time: UnixTime) {
    let secs = time.as_secs().min(LAST_DATE);
    let days = secs / SECS_PER_DAY;
    let of_day = secs % SECS_PER_DAY;
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[usize::try_from(days % 7).expect("below 7")];
    let month = MONTHS[usize::try_from(month - 1).expect("months are 1 to 12")];
    let (hour, minute, second) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
    write!(
        out,
        "{weekday}, {day:02} {month} {year:04} {hour:02}:{minute:02}:{second:02} GMT"
    )
    .expect("writing to a String cannot fail");
}

/// Year, month (1 to 12) and day (1 to 31) of the day `days` after
/// 1970-01-01, in the proleptic Gregorian calendar (H. Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so leap days end each 400-year era.
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
    use super::*;

    fn date(secs: u64) -> String {
        let mut out = String::new();
        write_imf_fixdate(&mut out, UnixTime::from_secs(secs));
        out
    }

    #[test]
    fn known_dates() {
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date(60), "Thu, 01 Jan 1970 00:01:00 GMT");
        assert_eq!(date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(date(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
        assert_eq!(date(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(date(LAST_DATE), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(date(u64::MAX), date(LAST_DATE));
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_previous() {
        // Walking day by day from 1970 to 2370 checks every month length,
        // every leap rule (2000 is leap, 2100 is not) and the weekdays.
        let (mut year, mut month, mut day) = (1970, 1, 1);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                (day, month) = (1, month + 1);
                if month > 12 {
                    (month, year) = (1, year + 1);
                }
            }
        }
    }
}
