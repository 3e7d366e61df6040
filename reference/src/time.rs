//! Time as the protocol sees it: whole seconds since the epoch, passed in by
//! the caller (the core never reads a clock), and civil dates for the
//! certificate validity rules.

/// Whole seconds since 1970-01-01T00:00:00Z.
pub type UnixTime = u64;

/// `now + secs`, or `time_out_of_range` when the sum does not fit (ENC-017):
/// a clock near the end of the range is refused, never a wrapped expiry or
/// a crash.
pub fn later(now: UnixTime, secs: u64) -> crate::error::Result<UnixTime> {
    now.checked_add(secs).ok_or(crate::error::Error::new(crate::error::Code::TimeOutOfRange, "time past the range"))
}

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// A proleptic Gregorian calendar date.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year, e.g. 1990.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
}

impl CivilDate {
    /// A date, if it exists in the calendar.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(CivilDate { year, month, day })
    }

    /// Parses `YYYYMMDD`.
    pub fn parse_compact(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[4..6].parse().ok()?;
        let day = text[6..8].parse().ok()?;
        CivilDate::new(year, month, day)
    }

    /// Formats as `YYYYMMDD`.
    pub fn to_compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        CivilDate { year, month, day }
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year`.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_across_leap_days() {
        for days in [-1, 0, 59, 365, 11_016, 19_782, 20_513, 47_540] {
            let date = CivilDate::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days, "{date:?}");
        }
        assert_eq!(CivilDate::new(2024, 2, 29).map(|d| d.days_since_epoch()), Some(19_782));
        assert_eq!(CivilDate::new(2023, 2, 29), None);
        assert_eq!(CivilDate::parse_compact("19900131").map(CivilDate::to_compact).as_deref(), Some("19900131"));
    }
}
