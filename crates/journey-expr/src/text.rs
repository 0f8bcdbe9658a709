//! Text functions. Every argument is read as its text (nil as ""); positions and lengths count
//! characters, not bytes.

use crate::collections::size;
use crate::eval::Evaluator;
use crate::library::{self, Args, Fail, Imp, Outcome, Table};
use crate::value::Value;

pub(crate) const FUNCTIONS: Table = &[
    ("char", Imp::Eager(character)),
    ("unichar", Imp::Eager(character)),
    ("code", Imp::Eager(code_point)),
    ("unicode", Imp::Eager(code_point)),
    ("clean", Imp::Eager(clean)),
    ("concatenate", Imp::Eager(concatenate)),
    ("left", Imp::Eager(left)),
    ("right", Imp::Eager(right)),
    ("len", Imp::Eager(len)),
    ("lower", Imp::Eager(lower)),
    ("upper", Imp::Eager(upper)),
    ("proper", Imp::Eager(proper)),
    ("rept", Imp::Eager(rept)),
    ("substitute", Imp::Eager(substitute)),
    ("trim", Imp::Eager(trim)),
    ("first_word", Imp::Eager(first_word)),
    ("remove_first_word", Imp::Eager(remove_first_word)),
    ("word", Imp::Eager(word)),
    ("word_count", Imp::Eager(word_count)),
    ("word_slice", Imp::Eager(word_slice)),
    ("read_digits", Imp::Eager(read_digits)),
    ("split", Imp::Eager(split)),
];

/// `char(65)`, `unichar(233)`: one Unicode character (Turn's `char` is byte-based; here both
/// take any code point).
fn character(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let code = args.whole(0)?;
    u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .map(|c| Value::Text(c.to_string()))
        .ok_or_else(|| Fail::arg(0, format!("{code} is not a Unicode character code")))
}

/// `code("A")`, `unicode("é")`: the code point of the first character; nil for empty text.
fn code_point(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(args
        .text(0)
        .chars()
        .next()
        .map_or(Value::Nil, |c| Value::Number(f64::from(u32::from(c)))))
}

/// Control characters out; line breaks and tabs stay, since messages use them.
fn clean(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    Ok(Value::Text(
        text.chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            .collect(),
    ))
}

fn concatenate(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    library::text(args.all().iter().map(Value::to_text).collect())
}

fn left(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let n = args.count(1, 0)?;
    Ok(Value::Text(args.text(0).chars().take(n).collect()))
}

fn right(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let n = args.count(1, 0)?;
    let text = args.text(0);
    let skip = text.chars().count().saturating_sub(n);
    Ok(Value::Text(text.chars().skip(skip).collect()))
}

/// Characters of text; items of a list or map (as `count`), so `len` never surprises.
fn len(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let value = args.get(0);
    let n = size(value).unwrap_or_else(|| value.to_text().chars().count());
    Ok(Value::Number(n as f64))
}

fn lower(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Text(args.text(0).to_lowercase()))
}

fn upper(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Text(args.text(0).to_uppercase()))
}

/// Excel's PROPER: a letter after a non-letter is upper case, every other letter lower case.
fn proper(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let mut out = String::new();
    let mut after_letter = false;
    for c in args.text(0).chars() {
        if after_letter {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        after_letter = c.is_alphabetic();
    }
    Ok(Value::Text(out))
}

fn rept(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    let times = args.count(1, 0)?;
    // Refuse before allocating: `rept("x", 1e12)` must not reach the allocator.
    if text
        .len()
        .checked_mul(times)
        .is_none_or(|n| n > library::MAX_TEXT)
    {
        return Err(Fail::arg(1, "the repeated text would be too long"));
    }
    Ok(Value::Text(text.repeat(times)))
}

/// `substitute(text, old, new)` replaces every `old`; with a fourth argument n, only the n-th.
fn substitute(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let (text, old, new) = (args.text(0), args.text(1), args.text(2));
    if old.is_empty() {
        return Ok(Value::Text(text));
    }
    if args.opt(3).is_some() {
        let n = args.count(3, 1)?;
        return Ok(Value::Text(match text.match_indices(&old).nth(n - 1) {
            Some((at, _)) => format!("{}{new}{}", &text[..at], &text[at + old.len()..]),
            None => text,
        }));
    }
    // Refuse before building: many matches times a long replacement could be huge.
    let matches = text.matches(&old).count();
    let grown = new.len().saturating_sub(old.len()).saturating_mul(matches);
    if text.len().saturating_add(grown) > library::MAX_TEXT {
        return Err(Fail::new("the substituted text would be too long"));
    }
    Ok(Value::Text(text.replace(&old, &new)))
}

fn trim(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Text(args.text(0).trim().to_owned()))
}

/// Words for `word`, `word_count` and `word_slice`: split at blanks and, unless `by_spaces`,
/// at the punctuation `, : ; ! ? . -` too (Turn's rule). Empty pieces are not words.
fn words(text: &str, by_spaces: bool) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || (!by_spaces && ",:;!?.-".contains(c)))
        .filter(|w| !w.is_empty())
        .collect()
}

fn first_word(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    Ok(Value::Text(
        words(&text, true)
            .first()
            .copied()
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Everything after the first word, without the blanks that followed it.
fn remove_first_word(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    let rest = text
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest.trim_start());
    Ok(Value::Text(rest.to_owned()))
}

/// A 1-based word position, negative from the end, as a 0-based index (may be past the end).
fn position(args: &Args, i: usize, len: usize) -> Result<usize, Fail> {
    let n = args.whole(i)?;
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    match n {
        0 => Err(Fail::arg(
            i,
            "word positions start at 1 (or -1 from the end)",
        )),
        n if n > 0 => Ok(usize::try_from(n - 1).unwrap_or(usize::MAX)),
        n => Ok(usize::try_from(len + n).unwrap_or(0)),
    }
}

/// `word(text, n[, by_spaces])`: the n-th word; "" past the end.
fn word(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    let words = words(&text, args.flag(2));
    let at = position(args, 1, words.len())?;
    Ok(Value::Text(
        words.get(at).copied().unwrap_or_default().to_owned(),
    ))
}

fn word_count(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    Ok(Value::Number(words(&text, args.flag(1)).len() as f64))
}

/// `word_slice(text, start[, stop[, by_spaces]])`: words from `start` up to, not including,
/// `stop` (to the end without it), joined by single spaces.
fn word_slice(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    let words = words(&text, args.flag(3));
    let start = position(args, 1, words.len())?.min(words.len());
    let stop = match args.get(2) {
        Value::Nil => words.len(),
        _ => position(args, 2, words.len())?.min(words.len()),
    };
    Ok(Value::Text(
        words
            .get(start..stop.max(start))
            .unwrap_or_default()
            .join(" "),
    ))
}

/// Turn's `read_digits`: digits (and `+`) as words for text-to-speech, "+27" → "plus two
/// seven"; other characters are dropped.
fn read_digits(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    const DIGITS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let text = args.text(0);
    let spoken: Vec<&str> = text
        .chars()
        .filter_map(|c| match c {
            '+' => Some("plus"),
            c => c.to_digit(10).map(|d| DIGITS[d as usize]),
        })
        .collect();
    Ok(Value::Text(spoken.join(" ")))
}

/// `split(text, separator)`: the pieces between separators, empty ones included; an empty
/// separator splits into characters.
/// `split(text)` splits on runs of blanks (Turn's default); `split(text, "")` into
/// characters; otherwise on the separator.
fn split(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let text = args.text(0);
    let pieces: Vec<Value> = match args.len() {
        1 => text
            .split_whitespace()
            .map(|w| Value::Text(w.to_owned()))
            .collect(),
        _ => {
            let separator = args.text(1);
            if separator.is_empty() {
                text.chars().map(|c| Value::Text(c.to_string())).collect()
            } else {
                text.split(separator.as_str())
                    .map(|piece| Value::Text(piece.to_owned()))
                    .collect()
            }
        }
    };
    ev.charge(pieces.len())?;
    Ok(Value::List(pieces))
}

#[cfg(test)]
mod tests {
    use crate::eval::tests::{check, fails};

    #[test]
    fn characters_and_case() {
        check(r#"char(65) & unichar(233) == "Aé""#);
        check(r#"code("A") == 65 and unicode("é") == 233 and code("") == nil"#);
        check(r#"upper(nil) == "" and lower("ÀB") == "àb""#);
        check(r#"proper("hello o'NEIL-smith") == "Hello O'Neil-Smith""#);
        check(r#"clean("a" & char(7) & "b") == "ab""#);
        fails("char(-1)", "not a Unicode character");
    }

    #[test]
    fn slicing() {
        check(r#"left("héllo", 2) == "hé" and right("héllo", 3) == "llo""#);
        check(r#"left("ab", 10) == "ab" and right("ab", 0) == """#);
        check(r#"len("zoë") == 3 and len([1, 2]) == 2 and len(nil) == 0 and len(12.5) == 4"#);
        fails(r#"left("ab", -1)"#, "at least 0");
    }

    #[test]
    fn repeating_and_replacing() {
        check(r#"rept("ab", 3) == "ababab" and rept("x", 0) == """#);
        check(r#"substitute("a-b-c", "-", "+") == "a+b+c""#);
        check(r#"substitute("a-b-c", "-", "+", 2) == "a-b+c""#);
        check(r#"substitute("abc", "", "x") == "abc""#);
        fails(r#"rept("x", 100000000)"#, "too long");
        fails(
            r#"substitute(rept("a", 1000), "a", rept("b", 2000))"#,
            "too long",
        );
    }

    #[test]
    fn words() {
        check(
            r#"first_word("  foo bar") == "foo" and remove_first_word("foo  bar baz") == "bar baz""#,
        );
        check(
            r#"word("hello cow-boy", 2) == "cow" and word("hello cow-boy", 2, true) == "cow-boy""#,
        );
        check(r#"word("hello cow-boy", -1) == "boy" and word("a b", 5) == """#);
        check(r#"word_count("hello cow-boy") == 3 and word_count("a  b", true) == 2"#);
        check(r#"word_slice("FLOIP expressions are fun", 2, 4) == "expressions are""#);
        check(r#"word_slice("FLOIP expressions are fun", 2) == "expressions are fun""#);
        check(r#"word_slice("FLOIP expressions are fun", 1, -2) == "FLOIP expressions""#);
        check(r#"word_slice("FLOIP expressions are fun", -1) == "fun""#);
        check(r#"word_slice("a b", 3, 1) == """#);
        fails(r#"word("a b", 0)"#, "start at 1");
    }

    #[test]
    fn digits_and_splitting() {
        check(r#"read_digits("+27 82") == "plus two seven eight two""#);
        check(r#"split("a,,b", ",") == ["a", "", "b"] and split("ab", "") == ["a", "b"]"#);
        check(r#"trim("  x  ") == "x" and concatenate("a", 1, nil, true) == "a1true""#);
    }
}
