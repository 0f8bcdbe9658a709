//! Numbers. Arguments may be numeric text (`"27"`), as contact fields are; rounding is decimal
//! and half away from zero, on the number as written (`round(2.675, 2)` is 2.68).

use crate::eval::Evaluator;
use crate::library::{Args, Fail, Imp, Outcome, Table, describe};
use crate::ops::finite;
use crate::value::{Value, parse_number};

pub(crate) const FUNCTIONS: Table = &[
    ("abs", Imp::Eager(abs)),
    ("max", Imp::Eager(max)),
    ("min", Imp::Eager(min)),
    ("sum", Imp::Eager(sum)),
    ("power", Imp::Eager(power)),
    ("rem", Imp::Eager(rem)),
    ("round", Imp::Eager(round)),
    ("fixed", Imp::Eager(fixed)),
    ("percent", Imp::Eager(percent)),
    ("parse_float", Imp::Eager(parse_float)),
    ("parse_int", Imp::Eager(parse_int)),
    ("rand_between", Imp::Eager(rand_between)),
];

fn abs(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Number(args.number(0)?.abs()))
}

/// The arguments as numbers, lists spread out: `max(scores)` and `max(1, 2)` both work.
fn spread(args: &Args) -> Result<Vec<f64>, Fail> {
    let mut numbers = Vec::new();
    for (i, arg) in args.all().iter().enumerate() {
        let items = match arg {
            Value::List(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in items {
            numbers.push(item.as_number().ok_or_else(|| {
                Fail::arg(i, format!("expected numbers, not {}", describe(item)))
            })?);
        }
    }
    Ok(numbers)
}

/// The largest or smallest of the numbers, as `pick` chooses between two.
fn extreme(args: &Args, pick: fn(f64, f64) -> f64) -> Outcome {
    spread(args)?
        .into_iter()
        .reduce(pick)
        .map(Value::Number)
        .ok_or_else(|| Fail::new("no numbers to choose from"))
}

fn max(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    extreme(args, f64::max)
}

fn min(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    extreme(args, f64::min)
}

fn sum(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    finite(spread(args)?.into_iter().sum(), "sum").map_err(Fail::new)
}

fn power(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    finite(args.number(0)?.powf(args.number(1)?), "power").map_err(Fail::new)
}

/// The remainder of a division, with the sign of the dividend (`rem(-7, 3)` is -1).
fn rem(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (a, b) = (args.number(0)?, args.number(1)?);
    if b == 0.0 {
        return Err(Fail::arg(1, "division by zero"));
    }
    Ok(Value::Number(a % b))
}

/// Decimal places for `round` and `fixed`: 0 to 15 (an f64 holds no more).
fn places(args: &Args, i: usize, default: i64) -> Result<usize, Fail> {
    let n = if args.opt(i).is_some() {
        args.whole(i)?
    } else {
        default
    };
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= 15)
        .ok_or_else(|| Fail::arg(i, format!("decimal places must be 0 to 15, not {n}")))
}

/// `x` rounded to `places` decimals, as decimal digits: sign, whole part, fraction. Works on
/// the shortest text that reads back as `x`, so 2.675 rounds as the 2.675 the author wrote.
fn decimal(x: f64, places: usize) -> (bool, String, String) {
    let written = format!("{}", x.abs());
    let (whole, frac) = written.split_once('.').unwrap_or((&written, ""));
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(places))
        .collect();
    if frac.as_bytes().get(places).is_some_and(|d| *d >= b'5') {
        // Carry the rounding up through the nines.
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - places;
    let text = String::from_utf8(digits).unwrap_or_default();
    let negative = x < 0.0 && text.bytes().any(|d| d != b'0');
    (negative, text[..split].to_owned(), text[split..].to_owned())
}

/// `round(x[, places])`: a number (Turn gives text; a number renders the same and still
/// computes).
fn round(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (negative, whole, frac) = decimal(args.number(0)?, places(args, 1, 0)?);
    let text = format!("{}{whole}.{frac}0", if negative { "-" } else { "" });
    parse_number(&text)
        .map(Value::Number)
        .ok_or_else(|| Fail::new("cannot round this number"))
}

/// `fixed(x[, places[, no_commas]])`: text with exactly `places` decimals (default 2) and
/// commas between thousands unless `no_commas` is true.
fn fixed(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (negative, whole, frac) = decimal(args.number(0)?, places(args, 1, 2)?);
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 && !args.flag(2) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if negative { "-" } else { "" };
    let point = if frac.is_empty() { "" } else { "." };
    Ok(Value::Text(format!("{sign}{grouped}{point}{frac}")))
}

/// `percent(0.256)` is `"26%"`: a fraction as a whole percentage.
fn percent(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (negative, whole, _) = decimal(args.number(0)? * 100.0, 0);
    Ok(Value::Text(format!(
        "{}{whole}%",
        if negative { "-" } else { "" }
    )))
}

/// The number written in the text (the whole text, blanks aside), else nil.
fn parse_float(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(args.get(0).as_number().map_or(Value::Nil, Value::Number))
}

/// Like `parse_float`, keeping the whole part (towards zero).
fn parse_int(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(args
        .get(0)
        .as_number()
        .map_or(Value::Nil, |n| Value::Number(n.trunc())))
}

/// `rand_between(a, b)`: a whole number from a to b, both included, drawn from the run's seed.
fn rand_between(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (a, b) = (args.whole(0)?, args.whole(1)?);
    let (low, high) = (a.min(b), a.max(b));
    // Both within 2^53, so the width fits and the modulo bias is negligible.
    let width = high.abs_diff(low) + 1;
    let offset = ev.draw() % width;
    Ok(Value::Number((low as f64) + offset as f64))
}

#[cfg(test)]
mod tests {
    use crate::eval::tests::{check, fails, fixture_env_with_seed, run_with};

    #[test]
    fn arithmetic_functions() {
        check(r#"abs(-0.5) == 0.5 and abs("-3") == 3"#);
        check("max(1, 3, 2) == 3 and min([4, 2], 3) == 2 and sum(1, [2, 3]) == 6");
        check(
            r#"sum("1", "2") == 3 and power(2, 3) == 8 and rem(85, 3) == 1 and rem(-7, 3) == -1"#,
        );
        fails("max()", "at least 1");
        fails("max([])", "no numbers");
        fails("min([], [])", "no numbers");
        fails(r#"sum(1, "x")"#, "expected numbers");
        fails("rem(1, 0)", "division by zero");
        fails("power(10, 400)", "not a finite number");
    }

    #[test]
    fn rounding_and_formatting() {
        check("round(23.7825, 2) == 23.78 and round(23.5) == 24 and round(-2.5) == -3");
        check("round(2.675, 2) == 2.68 and round(9.995, 2) == 10 and round(-0.001, 2) == 0");
        check(r#"fixed(4.209922, 2) == "4.21" and fixed(3.7979, 2, false) == "3.80""#);
        check(
            r#"fixed(4000.424242, 4, true) == "4000.4242" and fixed(1234567.891) == "1,234,567.89""#,
        );
        check(r#"fixed(-1234.5, 0) == "-1,235" and fixed(0.0909, 2) == "0.09""#);
        check(r#"percent(0.2) == "20%" and percent("0.256") == "26%" and percent(2/10) == "20%""#);
        fails("round(1.5, 16)", "0 to 15");
        fails("fixed(1, -1)", "0 to 15");
    }

    #[test]
    fn parsing() {
        check(
            r#"parse_float(" 3.5 ") == 3.5 and parse_float("3.5 kg") == nil and parse_float(2) == 2"#,
        );
        check(r#"parse_int("42") == 42 and parse_int("-42.9") == -42 and parse_int("x") == nil"#);
    }

    #[test]
    fn random_numbers_follow_the_seed() {
        check("rand_between(1, 6) >= 1 and rand_between(1, 6) <= 6 and rand_between(5, 5) == 5");
        let draw = |seed| {
            run_with(
                "[rand_between(1, 1000000), rand_between(1, 1000000)]",
                &fixture_env_with_seed(seed),
            )
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let Ok(crate::Value::List(pair)) = draw(7) else {
            panic!("a list")
        };
        assert_ne!(pair[0], pair[1], "two calls draw two numbers");
    }
}
