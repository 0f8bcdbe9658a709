//! Dates and times. A date is a `DateTime` (an instant); calendar questions (which day, which
//! hour, midnight, "next 09:00") are answered in the contact's time zone, and date text without
//! an offset means a time there. A time of day is text `"HH:MM:SS"`.

use std::sync::LazyLock;

use jiff::civil::{self, Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, Zoned};
use regex::{Captures, Regex};

use crate::eval::Evaluator;
use crate::library::{Args, Fail, Imp, Outcome, Table, describe};
use crate::value::Value;

pub(crate) const FUNCTIONS: Table = &[
    ("now", Imp::Eager(now)),
    ("today", Imp::Eager(today)),
    ("date", Imp::Eager(date)),
    ("time", Imp::Eager(time)),
    ("timevalue", Imp::Eager(timevalue)),
    ("datevalue", Imp::Eager(datevalue)),
    ("datetime_add", Imp::Eager(datetime_add)),
    ("edate", Imp::Eager(edate)),
    ("local_time", Imp::Eager(local_time)),
    ("year", Imp::Eager(year)),
    ("month", Imp::Eager(month)),
    ("day", Imp::Eager(day)),
    ("hour", Imp::Eager(hour)),
    ("minute", Imp::Eager(minute)),
    ("second", Imp::Eager(second)),
    ("weekday", Imp::Eager(weekday)),
];

// ------------------------------------------------------------------ reading dates and times

/// A date or date-time in text: `(date)(time)?`, the date ISO (`2026-01-15`), day first
/// (`15/01/2026`, `15-01-26`, `15.1.2026`) or with an English month (`15 January 2026`,
/// `Jan 15, 2026`); the time `10:30[:45]`.
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:
            (?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})
          | (?P<nd>\d{1,2})[/.-](?P<nm>\d{1,2})[/.-](?P<ny>\d{4}|\d{2})
          | (?P<td>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<tm>[a-z]{3,9})\.?,?\s+(?P<ty>\d{4})
          | (?P<um>[a-z]{3,9})\.?\s+(?P<ud>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<uy>\d{4})
        )
        (?:(?:T|\s+(?:at\s+)?)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?\b",
    )
    .expect("the date pattern is valid")
});

/// A clock time in text: `10:30`, `10:30:45`, `9:05 pm`, `9pm`, `9 a.m.`.
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:
            (?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<ap>[ap])\.?m\b\.?)?
          | (?P<h2>\d{1,2})\s*(?P<ap2>[ap])\.?m\b\.?
        )",
    )
    .expect("the time pattern is valid")
});

/// Text that is a date or date-time and nothing else: ISO 8601 / RFC 3339 first (an offset
/// or `Z` is honoured; without one it is a local time), then the forms of [`DATE`].
pub(crate) fn parse_instant(text: &str, tz: &TimeZone) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    if let Ok(local) = text.parse::<civil::DateTime>() {
        return local.to_zoned(tz.clone()).ok().map(|z| z.timestamp());
    }
    let whole = DATE.captures(text).filter(|c| {
        c.get(0)
            .is_some_and(|m| m.start() == 0 && m.end() == text.len())
    })?;
    date_from(&whole, tz)
}

/// The first date written anywhere in the text (`has_date`).
pub(crate) fn find_date(text: &str, tz: &TimeZone) -> Option<Timestamp> {
    DATE.captures_iter(text).find_map(|c| date_from(&c, tz))
}

fn date_from(c: &Captures<'_>, tz: &TimeZone) -> Option<Timestamp> {
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<i64>().ok());
    let (year, month, day) = if let Some(year) = num("iy") {
        (year, num("im")?, num("id")?)
    } else if let Some(year) = num("ny") {
        (
            if year < 100 { 2000 + year } else { year },
            num("nm")?,
            num("nd")?,
        )
    } else if let Some(year) = num("ty") {
        (year, month_number(c.name("tm")?.as_str())?, num("td")?)
    } else {
        (
            num("uy")?,
            month_number(c.name("um")?.as_str())?,
            num("ud")?,
        )
    };
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let time = match num("h") {
        Some(hour) => clock(hour, num("mi")?, num("s").unwrap_or(0))?,
        None => Time::midnight(),
    };
    date.to_datetime(time)
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// `jan`, `Sept`, `january` (a month's name or its first three or four letters).
fn month_number(word: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.to_lowercase();
    let found = MONTHS
        .iter()
        .position(|m| word == *m || (word.len() <= 4 && m.starts_with(&word)))?;
    Some(i64::try_from(found).ok()? + 1)
}

fn clock(hour: i64, minute: i64, second: i64) -> Option<Time> {
    Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()
}

/// The first clock time written anywhere in the text (`has_time`), with its span.
pub(crate) fn find_time(text: &str) -> Option<(Time, std::ops::Range<usize>)> {
    TIME.captures_iter(text).find_map(|c| {
        let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<i64>().ok());
        let (hour, minute, second, half) = match num("h") {
            Some(hour) => (hour, num("m")?, num("s").unwrap_or(0), c.name("ap")),
            None => (num("h2")?, 0, 0, c.name("ap2")),
        };
        let hour = match half.map(|m| m.as_str().to_ascii_lowercase()) {
            None => hour,
            Some(_) if !(1..=12).contains(&hour) => return None,
            Some(half) => hour % 12 + if half == "p" { 12 } else { 0 },
        };
        Some((clock(hour, minute, second)?, c.get(0)?.range()))
    })
}

/// Text that is a clock time and nothing else.
fn parse_clock(text: &str) -> Option<Time> {
    let text = text.trim();
    find_time(text).and_then(|(time, range)| (range == (0..text.len())).then_some(time))
}

/// A date argument: a `DateTime`, or text that reads as one; nil stays nil.
pub(crate) fn instant(value: &Value, tz: &TimeZone) -> Result<Option<Timestamp>, String> {
    match value {
        Value::Nil => Ok(None),
        Value::DateTime(at) => Ok(Some(*at)),
        Value::Text(text) => parse_instant(text, tz)
            .map(Some)
            .ok_or_else(|| format!("not a date: \"{text}\"")),
        other => Err(format!("expected a date, not {}", describe(other))),
    }
}

fn instant_arg(ev: &Evaluator<'_>, args: &Args, i: usize) -> Result<Option<Timestamp>, Fail> {
    instant(args.get(i), &ev.env.time_zone).map_err(|message| Fail::arg(i, message))
}

/// A time-of-day argument: clock text, or the local time of a date-time; nil stays nil.
fn time_arg(ev: &Evaluator<'_>, args: &Args, i: usize) -> Result<Option<Time>, Fail> {
    let tz = &ev.env.time_zone;
    let value = args.get(i);
    if let Some(time) = value.as_text().and_then(parse_clock) {
        return Ok(Some(time));
    }
    instant(value, tz)
        .map(|at| at.map(|at| at.to_zoned(tz.clone()).time()))
        .map_err(|message| match value {
            Value::Text(text) => Fail::arg(i, format!("not a time: \"{text}\"")),
            _ => Fail::arg(i, message),
        })
}

fn zoned(ev: &Evaluator<'_>, at: Timestamp) -> Zoned {
    at.to_zoned(ev.env.time_zone.clone())
}

fn start_of(date: Date, tz: &TimeZone) -> Result<Value, Fail> {
    date.to_zoned(tz.clone())
        .map(|z| Value::DateTime(z.timestamp()))
        .map_err(|e| Fail::new(format!("no such date: {e}")))
}

// ------------------------------------------------------------------ arithmetic

/// An exact shift by seconds (the operators `+`/`-` and the units s, m, h).
pub(crate) fn shift(at: Timestamp, seconds: f64) -> Option<Timestamp> {
    let by = SignedDuration::try_from_secs_f64(seconds).ok()?;
    at.checked_add(by).ok()
}

fn out_of_range() -> Fail {
    Fail::new("the date is out of range")
}

/// `Span::try_days` and friends.
type MakeSpan = fn(Span, i64) -> Result<Span, jiff::Error>;

enum Unit {
    Seconds(f64),
    Calendar(MakeSpan),
}

/// Turn's units (`s m h D W M Y`), with lower-case aliases where they are not ambiguous (`m`
/// is minutes, `M` months) and the words (`days`, `month`…).
fn unit(name: &str) -> Option<Unit> {
    Some(match name {
        "s" | "second" | "seconds" => Unit::Seconds(1.0),
        "m" | "minute" | "minutes" => Unit::Seconds(60.0),
        "h" | "hour" | "hours" => Unit::Seconds(3600.0),
        "D" | "d" | "day" | "days" => Unit::Calendar(Span::try_days::<i64>),
        "W" | "w" | "week" | "weeks" => Unit::Calendar(Span::try_weeks::<i64>),
        "M" | "month" | "months" => Unit::Calendar(Span::try_months::<i64>),
        "Y" | "y" | "year" | "years" => Unit::Calendar(Span::try_years::<i64>),
        _ => return None,
    })
}

/// A calendar shift by `n` units in the contact's time zone: days keep the wall-clock time
/// across daylight-saving changes; months keep the day, or take the month's last day when it
/// has fewer.
fn calendar(ev: &Evaluator<'_>, at: Timestamp, unit: MakeSpan, n: i64) -> Outcome {
    let span =
        unit(Span::new(), n).map_err(|_| Fail::new(format!("cannot shift a date by {n}")))?;
    zoned(ev, at)
        .checked_add(span)
        .map(|z| Value::DateTime(z.timestamp()))
        .map_err(|_| out_of_range())
}

/// `datetime_add(dt, n, unit)`; n may be negative, and fractional for s, m and h.
fn datetime_add(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let Some(at) = instant_arg(ev, args, 0)? else {
        return Ok(Value::Nil);
    };
    let name = args.text(2);
    let unit = unit(&name).ok_or_else(|| {
        Fail::arg(
            2,
            format!("unknown unit \"{name}\": use s, m, h, D, W, M or Y"),
        )
    })?;
    match unit {
        Unit::Seconds(factor) => shift(at, args.number(1)? * factor)
            .map(Value::DateTime)
            .ok_or_else(out_of_range),
        Unit::Calendar(make) => calendar(ev, at, make, args.whole(1)?),
    }
}

/// `edate(dt, n)`: n calendar months later (earlier when negative).
fn edate(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    match instant_arg(ev, args, 0)? {
        Some(at) => calendar(ev, at, Span::try_months::<i64>, args.whole(1)?),
        None => Ok(Value::Nil),
    }
}

// ------------------------------------------------------------------ functions

fn now(ev: &mut Evaluator<'_>, _: &Args) -> Outcome {
    Ok(Value::DateTime(ev.env.now))
}

/// Midnight at the start of today in the contact's time zone.
fn today(ev: &mut Evaluator<'_>, _: &Args) -> Outcome {
    start_of(zoned(ev, ev.env.now).date(), &ev.env.time_zone)
}

/// `date(y, m, d)`: midnight of that day in the contact's time zone.
fn date(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let part = |i: usize| args.whole(i);
    let (y, m, d) = (part(0)?, part(1)?, part(2)?);
    let date = i16::try_from(y)
        .ok()
        .zip(i8::try_from(m).ok())
        .zip(i8::try_from(d).ok())
        .and_then(|((y, m), d)| Date::new(y, m, d).ok());
    // No such day (`date(2023, 2, 29)`): Turn goes on without a date, and so does this.
    date.map_or(Ok(Value::Nil), |date| start_of(date, &ev.env.time_zone))
}

/// `time(h, m, s)`: a time of day, as text `"HH:MM:SS"`.
fn time(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (h, m, s) = (args.whole(0)?, args.whole(1)?, args.whole(2)?);
    clock(h, m, s)
        .map(|t| Value::Text(t.to_string()))
        .ok_or_else(|| Fail::new(format!("no such time: {h}:{m}:{s}")))
}

/// `timevalue("2:30 pm")`: the time of day written in text (or of a date-time) as `"HH:MM:SS"`.
fn timevalue(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(time_arg(ev, args, 0)?.map_or(Value::Nil, |t| Value::Text(t.to_string())))
}

/// `datevalue(text)` reads a date; `datevalue(dt, "%d %B %Y")` formats one (strftime, in the
/// contact's time zone).
fn datevalue(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let Some(at) = instant_arg(ev, args, 0)? else {
        return Ok(Value::Nil);
    };
    if args.opt(1).is_none() {
        return Ok(Value::DateTime(at));
    }
    let format = args.text(1);
    jiff::fmt::strtime::format(&format, &zoned(ev, at))
        .map(Value::Text)
        .map_err(|e| Fail::arg(1, format!("bad date format \"{format}\": {e}")))
}

/// `local_time("09:00"[, from])`: the first moment at or after `from` (default: now) when the
/// contact's clock shows that time; today's if it is still ahead, else tomorrow's.
fn local_time(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let Some(time) = time_arg(ev, args, 0)? else {
        return Ok(Value::Nil);
    };
    let from = match args.opt(1) {
        Some(_) => instant_arg(ev, args, 1)?.ok_or_else(|| Fail::arg(1, "`from` is nil"))?,
        None => ev.env.now,
    };
    let tz = &ev.env.time_zone;
    let at = |date: Date| {
        date.to_datetime(time)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| out_of_range())
    };
    let day = zoned(ev, from).date();
    let mut next = at(day)?;
    if next < from {
        next = at(day.tomorrow().map_err(|_| out_of_range())?)?;
    }
    Ok(Value::DateTime(next))
}

/// A calendar part of a date-time in the contact's time zone (also `dt.day` and friends).
pub(crate) fn part(at: Timestamp, name: &str, tz: &TimeZone) -> Option<i32> {
    let z = at.to_zoned(tz.clone());
    Some(match name {
        "year" => z.year().into(),
        "month" => z.month().into(),
        "day" => z.day().into(),
        "weekday" => z.weekday().to_sunday_one_offset().into(),
        _ => clock_part(z.time(), name)?,
    })
}

fn clock_part(time: Time, name: &str) -> Option<i32> {
    Some(match name {
        "hour" => time.hour().into(),
        "minute" => time.minute().into(),
        "second" => time.second().into(),
        _ => return None,
    })
}

/// The part functions: a date (or date text); hour, minute and second also read clock text.
fn part_of(ev: &Evaluator<'_>, args: &Args, name: &str) -> Outcome {
    let tz = &ev.env.time_zone;
    let found = match args.get(0) {
        Value::Text(text) if parse_instant(text, tz).is_none() => {
            let time =
                parse_clock(text).ok_or_else(|| Fail::arg(0, format!("not a date: \"{text}\"")))?;
            clock_part(time, name)
                .ok_or_else(|| Fail::arg(0, format!("a time of day has no {name}")))?
        }
        value => match instant(value, tz).map_err(|message| Fail::arg(0, message))? {
            Some(at) => part(at, name, tz).unwrap_or_default(),
            None => return Ok(Value::Nil),
        },
    };
    Ok(Value::Number(f64::from(found)))
}

fn year(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "year")
}

fn month(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "month")
}

fn day(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "day")
}

fn hour(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "hour")
}

fn minute(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "minute")
}

fn second(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "second")
}

/// 1 = Sunday … 7 = Saturday (Excel's and Turn's numbering).
fn weekday(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    part_of(ev, args, "weekday")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::tests::{check, eval_in, fails};

    fn tz() -> TimeZone {
        TimeZone::get("Africa/Johannesburg").unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn reads_date_text() {
        let tz = tz();
        assert_eq!(
            parse_instant("2026-01-15T10:00:00Z", &tz),
            Some(ts("2026-01-15T10:00:00Z"))
        );
        assert_eq!(
            parse_instant("2026-01-15", &tz),
            Some(ts("2026-01-14T22:00:00Z"))
        );
        assert_eq!(
            parse_instant("15/01/2026 09:30", &tz),
            Some(ts("2026-01-15T07:30:00Z"))
        );
        assert_eq!(
            parse_instant(" 5 Jan 2026 ", &tz),
            Some(ts("2026-01-04T22:00:00Z"))
        );
        assert_eq!(
            parse_instant("January 5th, 2026", &tz),
            Some(ts("2026-01-04T22:00:00Z"))
        );
        assert_eq!(
            parse_instant("15-01-26", &tz),
            Some(ts("2026-01-14T22:00:00Z"))
        );
        for bad in [
            "31/02/2026",
            "tomorrow",
            "2026-01-15 and more",
            "15 Janitor 2026",
            "",
        ] {
            assert_eq!(parse_instant(bad, &tz), None, "{bad}");
        }
    }

    #[test]
    fn finds_dates_and_times_in_text() {
        let tz = tz();
        assert_eq!(
            find_date("due on 3/4/2026, ok?", &tz),
            Some(ts("2026-04-02T22:00:00Z"))
        );
        assert_eq!(find_date("just a year 2017", &tz), None);
        let time = |text: &str| find_time(text).map(|(t, _)| t.to_string());
        assert_eq!(time("at 9:05 pm please"), Some("21:05:00".into()));
        assert_eq!(time("9am"), Some("09:00:00".into()));
        assert_eq!(time("12 a.m."), Some("00:00:00".into()));
        assert_eq!(time("10:30:45"), Some("10:30:45".into()));
        assert_eq!(time("the number 25"), None);
        assert_eq!(time("25:00"), None);
        assert_eq!(time("13pm"), None);
    }

    #[test]
    fn calendar_functions() {
        check(r#"today() == "2026-01-15" and date(2026, 1, 15) == today()"#);
        check(r#"datevalue(date(2026, 3, 1), "%-d %B %Y") == "1 March 2026""#);
        check(r#"datevalue("2026-01-15T22:30:00Z", "%Y-%m-%d %H:%M") == "2026-01-16 00:30""#);
        check(r#"edate(date(2026, 1, 31), 1) == date(2026, 2, 28)"#);
        check(r#"datetime_add(date(2020, 2, 28), 1, "D") == date(2020, 2, 29)"#);
        check(r#"datetime_add(now(), -90, "m") == "2026-01-15T08:30:00Z""#);
        check(r#"datetime_add(now(), 1.5, "h") == now() + 90m"#);
        check(r#"datetime_add(nil, 1, "D") == nil"#);
        check(r#"weekday(date(2022, 11, 6)) == 1 and now().weekday == 5"#);
        check(r#"hour(now()) == 12 and hour("10:30") == 10 and minute("2:45 pm") == 45"#);
        check(r#"time(9, 5, 0) == "09:05:00" and timevalue("2:30 pm") == "14:30:00""#);
        check(r#"local_time("13:00") == "2026-01-15T11:00:00Z""#);
        check(r#"local_time("09:00") == "2026-01-16T07:00:00Z""#);
        check(r#"local_time("09:00", date(2026, 2, 1)) == "2026-02-01T07:00:00Z""#);
        fails(r#"datetime_add(now(), 1, "fortnights")"#, "unknown unit");
        fails(r#"datetime_add(now(), 1.5, "D")"#, "whole number");
        check(r#"date(2026, 2, 30) == nil"#);
        fails(r#"datevalue(now(), "%J")"#, "bad date format");
        fails(r#"year("soon")"#, "not a date");
        fails(r#"year("10:30")"#, "has no year");
        fails(r#"local_time("25:00")"#, "not a time");
    }

    #[test]
    fn daylight_saving_keeps_the_wall_clock() {
        // London moves to summer time on 29 March 2026: a day later is 09:00 local again.
        let day = eval_in(
            r#"datetime_add("2026-03-28T09:00:00Z", 1, "D")"#,
            "Europe/London",
        );
        assert_eq!(day, Ok(Value::DateTime(ts("2026-03-29T08:00:00Z"))));
        let hours = eval_in(
            r#"datetime_add("2026-03-28T09:00:00Z", 24, "h")"#,
            "Europe/London",
        );
        assert_eq!(hours, Ok(Value::DateTime(ts("2026-03-29T09:00:00Z"))));
    }
}
