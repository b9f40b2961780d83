//! RFC 822 dates as qmail writes them: `D Mon YYYY HH:MM:SS -0000`, in UTC, the day not
//! zero-padded and the time fields zero-padded.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    /// 0 = Sunday
    pub wday: u32,
}

/// Unix seconds to a UTC date (days-from-civil, inverted; valid for any i64 day count
/// that fits).
pub fn tai_to_utc(secs: i64) -> DateTime {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    DateTime {
        year,
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
        hour: u32::try_from(rem / 3600).unwrap_or(0),
        min: u32::try_from(rem % 3600 / 60).unwrap_or(0),
        sec: u32::try_from(rem % 60).unwrap_or(0),
        wday: u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
    }
}

/// `Jan` … `Dec` for 1 … 12 (`Jan` for anything else).
pub fn month_name(m: u32) -> &'static str {
    usize::try_from(m)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("Jan")
}

/// `6 Sep 1995 04:46:54 -0000`
pub fn date822(secs: i64) -> String {
    let d = tai_to_utc(secs);
    format!(
        "{} {} {} {:02}:{:02}:{:02} -0000",
        d.day,
        month_name(d.month),
        d.year,
        d.hour,
        d.min,
        d.sec
    )
}

/// Day-of-week name, for formats that carry one.
pub fn weekday(secs: i64) -> &'static str {
    let days = secs.div_euclid(86400);
    let i = usize::try_from(days.rem_euclid(7)).unwrap_or(0);
    DAYS.get(i).copied().unwrap_or("Thu")
}

/// `Fri Nov 27 00:02:22 2026`: ctime(3) in UTC without its newline, the day zero-padded,
/// as in the mbox From_ line (qmail's myctime; qmail-local's UFLINE, maildir2mbox).
pub fn myctime(secs: i64) -> String {
    let d = tai_to_utc(secs);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} {}",
        weekday(secs),
        month_name(d.month),
        d.day,
        d.hour,
        d.min,
        d.sec,
        d.year
    )
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(date822(810362814), "6 Sep 1995 04:46:54 -0000");
        assert_eq!(date822(0), "1 Jan 1970 00:00:00 -0000");
        assert_eq!(date822(1795737742), "27 Nov 2026 00:02:22 -0000");
        assert_eq!(date822(951782400), "29 Feb 2000 00:00:00 -0000");
        assert_eq!(weekday(0), "Thu");
        assert_eq!(tai_to_utc(1795737742).wday, 5);
        assert_eq!(myctime(0), "Thu Jan 01 00:00:00 1970");
        assert_eq!(myctime(1_000_000_000), "Sun Sep 09 01:46:40 2001");
        assert_eq!(myctime(1_795_737_742), "Fri Nov 27 00:02:22 2026");
        assert_eq!(myctime(-1), "Wed Dec 31 23:59:59 1969");
    }
}
