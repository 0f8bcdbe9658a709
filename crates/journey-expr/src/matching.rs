//! The `has_*` tests on what a contact typed. Word and phrase tests ignore case and
//! punctuation: both sides are cut into words of letters and digits first.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::dates;
use crate::eval::Evaluator;
use crate::library::{Args, Fail, Imp, Outcome, Table};
use crate::value::Value;

pub(crate) const FUNCTIONS: Table = &[
    ("has_text", Imp::Eager(has_text)),
    ("has_only_text", Imp::Eager(has_only_text)),
    ("has_beginning", Imp::Eager(has_beginning)),
    ("has_all_words", Imp::Eager(has_all_words)),
    ("has_any_word", Imp::Eager(has_any_word)),
    ("has_phrase", Imp::Eager(has_phrase)),
    ("has_any_phrase", Imp::Eager(has_any_phrase)),
    ("has_only_phrase", Imp::Eager(has_only_phrase)),
    ("has_any_exact_phrase", Imp::Eager(has_any_exact_phrase)),
    ("has_number", Imp::Eager(has_number)),
    ("has_number_eq", Imp::Eager(has_number_eq)),
    ("has_number_gt", Imp::Eager(has_number_gt)),
    ("has_number_gte", Imp::Eager(has_number_gte)),
    ("has_number_lt", Imp::Eager(has_number_lt)),
    ("has_number_lte", Imp::Eager(has_number_lte)),
    ("has_number_between", Imp::Eager(has_number_between)),
    ("has_date", Imp::Eager(has_date)),
    ("has_date_eq", Imp::Eager(has_date_eq)),
    ("has_date_gt", Imp::Eager(has_date_gt)),
    ("has_date_lt", Imp::Eager(has_date_lt)),
    ("has_time", Imp::Eager(has_time)),
    ("has_email", Imp::Eager(has_email)),
    ("has_phone", Imp::Eager(has_phone)),
    ("has_pattern", Imp::Eager(has_pattern)),
    ("has_group", Imp::Eager(has_group)),
];

fn yes(b: bool) -> Outcome {
    Ok(Value::Bool(b))
}

/// Lower-case words of letters and digits; everything else separates them.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Phrases given as a list, or as one text of comma-separated phrases (Turn accepts both).
fn phrases(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items.iter().map(Value::to_text).collect(),
        other => other
            .to_text()
            .split(',')
            .map(|p| p.trim().to_owned())
            .collect(),
    }
}

fn contains_phrase(text: &[String], phrase: &[String]) -> bool {
    phrase.is_empty() || text.windows(phrase.len()).any(|window| window == phrase)
}

/// Not empty once surrounding blanks are gone.
fn has_text(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(!args.text(0).trim().is_empty())
}

/// Equal after trimming surrounding blanks; case counts (as in Turn and RapidPro).
fn has_only_text(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(args.text(0).trim() == args.text(1).trim())
}

/// Starts with the text, ignoring case and surrounding blanks.
fn has_beginning(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (text, start) = (args.text(0), args.text(1));
    yes(text
        .trim()
        .to_lowercase()
        .starts_with(&start.trim().to_lowercase()))
}

fn has_all_words(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = words(&args.text(0));
    yes(words(&args.text(1)).iter().all(|w| text.contains(w)))
}

fn has_any_word(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = words(&args.text(0));
    yes(words(&args.text(1)).iter().any(|w| text.contains(w)))
}

/// The phrase's words appear together and in order.
fn has_phrase(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(contains_phrase(
        &words(&args.text(0)),
        &words(&args.text(1)),
    ))
}

fn has_any_phrase(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = words(&args.text(0));
    yes(phrases(args.get(1))
        .iter()
        .any(|p| !p.is_empty() && contains_phrase(&text, &words(p))))
}

/// The text is the phrase and nothing more (case and punctuation aside): "Yes!" is "yes".
fn has_only_phrase(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(words(&args.text(0)) == words(&args.text(1)))
}

/// The whole text is one of the phrases, ignoring case and surrounding blanks only.
fn has_any_exact_phrase(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0).trim().to_lowercase();
    yes(phrases(args.get(1))
        .iter()
        .any(|p| p.trim().to_lowercase() == text))
}

/// The first number written in the text: digits with an optional decimal part (Arabic-Indic
/// digits too), or the value itself when it is a number.
fn first_number(value: &Value) -> Option<f64> {
    if let Value::Number(n) = value {
        return Some(*n);
    }
    let digits: String = value
        .to_text()
        .chars()
        .map(|c| match c {
            '\u{660}'..='\u{669}' => {
                char::from_u32(u32::from(c) - 0x660 + u32::from('0')).unwrap_or(c)
            }
            '\u{6F0}'..='\u{6F9}' => {
                char::from_u32(u32::from(c) - 0x6F0 + u32::from('0')).unwrap_or(c)
            }
            c => c,
        })
        .collect();
    let start = digits.find(|c: char| c.is_ascii_digit())?;
    let rest = &digits[start..];
    let int_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let frac = rest[int_end..].strip_prefix('.').map_or(0, |f| {
        f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len())
    });
    let end = if frac > 0 {
        int_end + 1 + frac
    } else {
        int_end
    };
    rest[..end].parse().ok()
}

fn has_number(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(first_number(args.get(0)).is_some())
}

/// The text's first number against bounds given as numbers or numeric text; false when
/// there is no number or a bound is not one (Turn's behaviour).
fn number_test(args: &Args, test: impl Fn(f64, &[f64]) -> bool) -> Outcome {
    let given = args.all().get(1..).unwrap_or_default();
    let bounds: Option<Vec<f64>> = given.iter().map(Value::as_number).collect();
    yes(first_number(args.get(0))
        .zip(bounds)
        .is_some_and(|(n, bounds)| test(n, &bounds)))
}

fn has_number_eq(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(args, |n, b| matches!(b, [x] if n == *x))
}

fn has_number_gt(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(args, |n, b| matches!(b, [x] if n > *x))
}

fn has_number_gte(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(args, |n, b| matches!(b, [x] if n >= *x))
}

fn has_number_lt(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(args, |n, b| matches!(b, [x] if n < *x))
}

fn has_number_lte(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(args, |n, b| matches!(b, [x] if n <= *x))
}

/// Both bounds included.
fn has_number_between(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    number_test(
        args,
        |n, b| matches!(b, [low, high] if *low <= n && n <= *high),
    )
}

/// A date written in the text (see `dates::find_date` for the forms), or a date-time value.
fn found_date(ev: &Evaluator<'_>, value: &Value) -> Option<jiff::civil::Date> {
    let tz = &ev.env.time_zone;
    let at = match value {
        Value::DateTime(at) => Some(*at),
        other => dates::find_date(&other.to_text(), tz),
    }?;
    Some(at.to_zoned(tz.clone()).date())
}

fn has_date(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(found_date(ev, args.get(0)).is_some())
}

/// The text's date against another, by calendar day in the contact's time zone; false when
/// the text has no date.
fn date_test(ev: &Evaluator<'_>, args: &Args, test: fn(std::cmp::Ordering) -> bool) -> Outcome {
    let tz = &ev.env.time_zone;
    let against = dates::instant(args.get(1), tz)
        .map_err(|message| Fail::arg(1, message))?
        .map(|at| at.to_zoned(tz.clone()).date());
    yes(found_date(ev, args.get(0))
        .zip(against)
        .is_some_and(|(found, against)| test(found.cmp(&against))))
}

fn has_date_eq(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    date_test(ev, args, std::cmp::Ordering::is_eq)
}

fn has_date_gt(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    date_test(ev, args, std::cmp::Ordering::is_gt)
}

fn has_date_lt(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    date_test(ev, args, std::cmp::Ordering::is_lt)
}

fn has_time(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(matches!(args.get(0), Value::DateTime(_)) || dates::find_time(&args.text(0)).is_some())
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z0-9]")
        .expect("the e-mail pattern is valid")
});

fn has_email(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    yes(EMAIL.is_match(&args.text(0)))
}

/// A phone number in the text, by shape (no numbering-plan database): a run of digits with
/// blanks, dots, dashes or brackets between them. International (`+` or `00` first) with 8 to
/// 15 digits always counts; with a country (ISO code, `"ZA"`), a national number of 7 to 12
/// digits after its trunk `0` counts too.
fn has_phone(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let national = match args.opt(1) {
        None | Some(Value::Nil) => false,
        Some(country) => {
            let code = country.to_text();
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(Fail::arg(
                    1,
                    format!("\"{code}\" is not a two-letter country code"),
                ));
            }
            true
        }
    };
    let text = args.text(0);
    yes(phone_runs(&text).iter().any(|run| {
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let international = run.starts_with('+') || digits.starts_with("00");
        if international {
            let significant = digits.strip_prefix("00").unwrap_or(&digits).len();
            (8..=15).contains(&significant)
        } else {
            national && (7..=12).contains(&digits.strip_prefix('0').unwrap_or(&digits).len())
        }
    }))
}

/// Maximal runs of digits and phone punctuation, a `+` allowed only first.
fn phone_runs(text: &str) -> Vec<&str> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inside = c.is_ascii_digit() || (start.is_some() && " .-()".contains(c));
        match (start, inside) {
            (None, true) => start = Some(i),
            (None, false) if c == '+' => start = Some(i),
            (Some(s), false) => {
                runs.push(&text[s..i]);
                start = (c == '+').then_some(i);
            }
            _ => {}
        }
    }
    runs.extend(start.map(|s| &text[s..]));
    runs
}

/// Longest pattern accepted, and the compiled size allowed: a contact's reply is matched
/// against it, so it must stay cheap.
const MAX_PATTERN: usize = 1_000;
const MAX_REGEX_SIZE: usize = 1 << 20;

/// A regular expression (Rust syntax, linear time), case-insensitive, against the trimmed text.
fn has_pattern(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let pattern = args.text(1);
    if pattern.len() > MAX_PATTERN {
        return Err(Fail::arg(
            1,
            format!("the pattern is longer than {MAX_PATTERN} bytes"),
        ));
    }
    let regex = RegexBuilder::new(pattern.trim())
        .case_insensitive(true)
        .size_limit(MAX_REGEX_SIZE)
        .dfa_size_limit(MAX_REGEX_SIZE)
        .build()
        .map_err(|e| Fail::arg(1, format!("bad pattern: {e}")))?;
    yes(regex.is_match(args.text(0).trim()))
}

/// The contact's groups (a list of group maps with `uuid`/`name`, or of texts) include this
/// group, by uuid or name.
fn has_group(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let wanted = args.text(1);
    let groups = args.items(0)?;
    yes(groups.iter().any(|group| match group {
        Value::Map(_) => ["uuid", "name"]
            .iter()
            .any(|key| group.get(key).is_some_and(|v| v.to_text() == wanted)),
        other => other.to_text() == wanted,
    }))
}

#[cfg(test)]
mod tests {
    use crate::eval::tests::{check, fails};

    #[test]
    fn text_and_words() {
        check(r#"has_text(" x ") and not has_text(" ") and not has_text(nil) and has_text(123)"#);
        check(r#"has_only_text(" yes ", "yes") and not has_only_text("Yes", "yes")"#);
        check(
            r#"has_beginning("The Quick Brown", "the quick") and not has_beginning("The Quick", "quick")"#,
        );
        check(
            r#"has_all_words("the quick brown FOX", "fox the") and not has_all_words("the fox", "red fox")"#,
        );
        check(
            r#"has_any_word("The Quick Brown Fox", "fox yellow") and not has_any_word("there", "the")"#,
        );
    }

    #[test]
    fn phrases() {
        check(
            r#"has_phrase("The quick, brown fox!", "Quick brown") and not has_phrase("quick the brown", "quick brown")"#,
        );
        check(r#"has_phrase("anything", "")"#);
        check(r#"has_any_phrase("hey how are you?", ["hello", "how are you"])"#);
        check(
            r#"has_any_phrase("hey how are you?", "hello, how are you") and not has_any_phrase("x", [])"#,
        );
        check(r#"has_only_phrase(" Yes! ", "yes") and not has_only_phrase("yes please", "yes")"#);
        check(
            r#"has_any_exact_phrase(" HI ", ["0", "hi"]) and not has_any_exact_phrase("hi!", ["hi"])"#,
        );
    }

    #[test]
    fn numbers() {
        check(r#"has_number("the number is 42 and 5") and not has_number("none")"#);
        check(r#"has_number_eq("the number is 42.0", "42") and has_number_eq("العدد ٤٢", 42)"#);
        check(r#"has_number_gt("0.6", 0.5) and not has_number_gt("40", "40")"#);
        check(
            r#"has_number_gte("42", 42) and has_number_lt("3", "@(4)") and has_number_lte(3, 3)"#,
        );
        check(r#"not has_number_eq("40", "foo") and not has_number_lt("four", 5)"#);
        check(r#"has_number_between("I am 27", 18, 65) and not has_number_between("17", 18, 65)"#);
    }

    #[test]
    fn dates_and_times() {
        check(r#"has_date("the date is 15/01/2017 05:50") and not has_date("just a year 2017")"#);
        check(
            r#"has_date_eq("on 15/01/2017", "2017-01-15") and has_date_gt("15 Jan 2017", date(2017, 1, 1))"#,
        );
        check(
            r#"has_date_lt("on 2017-01-15", "2017-06-01") and not has_date_lt("no date", "2017-06-01")"#,
        );
        check(
            r#"has_time("at 10:30 please") and has_time("9pm") and not has_time("the number 25")"#,
        );
        fails(r#"has_date_eq("on 15/01/2017", "someday")"#, "not a date");
    }

    #[test]
    fn contacts() {
        check(r#"has_email("mail foo1@bar.com, please") and not has_email("foo@bar")"#);
        check(
            r#"has_phone("call +27 82 123 4567") and not has_phone("+27") and not has_phone("082 123 4567")"#,
        );
        check(r#"has_phone("082 123 4567", "ZA") and has_phone("(206) 779-9294", "US")"#);
        check(r#"has_phone("0027821234567") and not has_phone("I am 27", "ZA")"#);
        fails(r#"has_phone("0821234567", "South Africa")"#, "country code");
        check(r#"has_group(parse_json('[{"uuid": "b7cf", "name": "Mothers"}]'), "Mothers")"#);
        check(r#"has_group(["a"], "a") and not has_group(["a"], "b")"#);
        check(r#"not has_group(nil, "a")"#);
    }

    #[test]
    fn patterns() {
        check(
            r#"has_pattern("Buy cheese please", "buy (\\w+)") and not has_pattern("Sell", "buy")"#,
        );
        check(r#"has_pattern(" 123 ", "^[0-9]+$")"#);
        fails(r#"has_pattern("x", "(")"#, "bad pattern");
        fails(r#"has_pattern("x", rept("a", 1001))"#, "longer than");
        fails(r#"has_pattern("x", "\\w{1000}{1000}")"#, "bad pattern");
    }
}
