//! Syntax errors in the words of a journey author: what was expected, what was found,
//! and how to fix it. pest's rule names never reach the user.

use std::collections::BTreeSet;

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};
use pest::error::{ErrorVariant, InputLocation};

use crate::SYNTAX_ERROR;
use crate::parser::{MAX_NESTING, Rule, starts_with_word};

fn error(file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(SYNTAX_ERROR, Severity::Error, file, span, message)
}

/// What an author would call the thing a rule stands for.
fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::card | Rule::kw_card => "a card (`card Name do … end`)",
        Rule::setting => "a journey setting such as `trigger(...)`",
        Rule::name | Rule::callee => "a name",
        Rule::card_name => "the card's name",
        Rule::ident => "a variable name",
        Rule::kw_do => "`do`",
        Rule::kw_end => "`end`",
        Rule::kw_when => "`when`",
        Rule::kw_else => "`else`",
        Rule::kw_stack | Rule::kw_journey => "`stack Name do`",
        Rule::expr | Rule::term | Rule::paren | Rule::list | Rule::lambda | Rule::reference => {
            "an expression"
        }
        Rule::number | Rule::duration => "a number",
        Rule::string | Rule::single_string | Rule::triple_string => "a text in quotes",
        Rule::arg => "an argument",
        Rule::arg_name => "an argument name (`name:`)",
        Rule::then_stmt | Rule::assign | Rule::expr_stmt => "a statement",
        Rule::infix => "an operator",
        Rule::member => "`.field`",
        Rule::index => "`[index]`",
        Rule::call_args => "`(`",
        _ => return None,
    })
}

/// What an author would call a literal token the grammar expected.
fn describe_token(token: &str) -> Option<&'static str> {
    Some(match token {
        ")" => "`)`",
        "]" => "`]`",
        "," => "`,`",
        ":" => "`:`",
        "(" => "`(`",
        "+" | "-" | "*" | "/" | "^" | "==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" | "&"
        | ".." | "and" | "or" => "an operator",
        "\"" | "'" | "\"\"\"" | "[" | "not" | "nil" | "true" | "false" | "\\\"" => "an expression",
        "." => "`.field`",
        _ => return None,
    })
}

/// Orders phrases so that the most useful come first in "expected a, b or c".
fn rank(phrase: &str) -> u8 {
    match phrase {
        "`end`" | "`)`" | "`]`" | "`do`" => 0,
        "`,`" => 1,
        "an expression" | "a name" | "a variable name" | "an argument" => 2,
        "an operator" => 9,
        _ => 5,
    }
}

pub(crate) fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    rest: &str,
    pest_error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let local = match pest_error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let mut phrases = BTreeSet::new();
    if let ErrorVariant::ParsingError { positives, .. } = &pest_error.variant {
        phrases.extend(positives.iter().filter_map(|&r| describe_rule(r)));
    }
    if let Some(attempts) = pest_error.parse_attempts() {
        // pest does not export its token type; its text form is the token itself.
        for token in attempts.expected_tokens() {
            if let Some(phrase) = describe_token(&token.to_string().to_lowercase()) {
                phrases.insert(phrase);
            }
        }
        for stack in attempts.call_stacks() {
            if let Some(phrase) = stack.deepest.get_rule().and_then(|&r| describe_rule(r)) {
                phrases.insert(phrase);
            }
        }
    }
    if phrases.contains("an expression") {
        // An expression can be a name; saying both reads as two different things.
        phrases.remove("a name");
        phrases.remove("a variable name");
    }
    let at = offset + local;
    let (found, span) = found_at(text, at, offset + rest.len());
    let mut phrases: Vec<&str> = phrases.into_iter().collect();
    // The thing found is never among the things expected.
    phrases.retain(|p| {
        let is_found =
            p.starts_with(found.as_str()) || (found == "`card`" && p.starts_with("a card"));
        !is_found
    });
    phrases.sort_by_key(|p| (rank(p), *p));
    // More than four alternatives reads as noise; the first ones are the likely fix.
    phrases.truncate(4);

    let expected = join_or(&phrases);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let mut diagnostic = error(file, span, message).with_label(if expected.is_empty() {
        "not understood here".to_owned()
    } else {
        format!("expected {expected} here")
    });
    if let Some(help) = help_for(text, offset, at, span, &phrases, rest) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// Describes the token at `at` and returns its span (after skipping blanks, so the
/// carets land on the thing that is wrong).
fn found_at(text: &str, at: usize, region_end: usize) -> (String, Span) {
    let trimmed = text[at..region_end].trim_start_matches([' ', '\t', '\r', '\n']);
    let start = region_end - trimmed.len();
    if trimmed.is_empty() {
        return ("the end of the file".to_owned(), Span::new(at, at));
    }
    let word_len = trimmed
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    if word_len > 0 {
        let word = &trimmed[..word_len];
        return (format!("`{word}`"), Span::new(start, start + word_len));
    }
    let c = trimmed.chars().next().expect("trimmed is not empty");
    let described = match c {
        '"' | '\'' => "a quote".to_owned(),
        _ => format!("`{c}`"),
    };
    (described, Span::new(start, start + c.len_utf8()))
}

fn help_for(
    text: &str,
    offset: usize,
    at: usize,
    span: Span,
    expected: &[&str],
    rest: &str,
) -> Option<String> {
    let found = &text[span.range()];
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    if expected.contains(&"`end`") && found == "card" {
        return Some(
            "every card ends with `end`: add `end` on its own line before this card".to_owned(),
        );
    }
    if expected.contains(&"`end`") && span.is_empty() {
        return Some("a `do` is not closed: add the missing `end`".to_owned());
    }
    if found == "\"" && text[..span.start as usize].ends_with("\"\"") {
        return Some(
            "this text opens with \"\"\" but is never closed: end it with \"\"\"".to_owned(),
        );
    }
    if found.starts_with(['"', '\'']) {
        let quote = &found[..1];
        // The rest of the quote's own line (the quote may sit on a later line than `at`).
        let quote_end = span.end as usize;
        let quote_line_end = text[quote_end..]
            .find('\n')
            .map_or(text.len(), |i| quote_end + i);
        let after = &text[quote_end..quote_line_end];
        if !after.contains(quote) {
            return Some(format!(
                "this text has no closing {quote} on its line; use \"\"\"…\"\"\" for text over several lines"
            ));
        }
    }
    if line.trim_start().starts_with("then:") {
        return Some("`then:` belongs in the card header: `card Name, then: Next do`".to_owned());
    }
    let header_done = text[offset.min(at)..at]
        .split_whitespace()
        .any(|w| w == "do");
    if expected.contains(&"`do`") && starts_with_word(rest, "card") && !header_done {
        return Some("a card header ends with `do`, e.g. `card Welcome, then: Menu do`".to_owned());
    }
    if expected.contains(&"`,`") && expected.contains(&"`)`") {
        return Some("separate the arguments with a comma, and close the call with `)`".to_owned());
    }
    if let Some(word) = first_word(rest)
        && word != "card"
        && strsim_card(word)
    {
        return Some(format!("`{word}` is not a keyword; did you mean `card`?"));
    }
    None
}

fn first_word(text: &str) -> Option<&str> {
    let len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (len > 0).then(|| &text[..len])
}

/// `card` or a misspelling one edit away.
pub(crate) fn looks_like_card(word: &str) -> bool {
    word == "card" || strsim_card(word)
}

/// A misspelt `card`: same letters, one edit away.
fn strsim_card(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    word.len() >= 3 && word.len() <= 5 && strsim::damerau_levenshtein(&word, "card") == 1
}

fn join_or(phrases: &[&str]) -> String {
    match phrases {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

pub(crate) fn not_an_item(file: FileId, span: Span, word: &str) -> Diagnostic {
    let diagnostic = error(
        file,
        span,
        format!("expected a card or a journey setting such as `trigger(...)`, found `{word}`"),
    )
    .with_label("not a card or a setting");
    if strsim_card(word) {
        diagnostic.with_help(format!("did you mean `card`? `card {}` … `do`", "Name"))
    } else {
        diagnostic.with_help(
            "a journey is made of `card Name do … end` blocks; statements go inside a card",
        )
    }
}

pub(crate) fn block_without_call(file: FileId, span: Span) -> Diagnostic {
    error(file, span, "only a call can take a `do … end` body")
        .with_label("not a call")
        .with_help("write the body after `buttons(...)` or `list(...)`")
}

pub(crate) fn stray_end(file: FileId, span: Span) -> Diagnostic {
    error(file, span, "this `end` closes nothing")
        .with_label("no `do` is open here")
        .with_help("remove it, or check that the card above does not already end earlier")
}

pub(crate) fn nested_journey(file: FileId, span: Span, outer: Span) -> Diagnostic {
    error(file, span, "a journey cannot be inside another journey")
        .with_label("this starts a new journey")
        .with_secondary(file, outer, "while this one is still open")
        .with_help("close the first journey with `end` before starting the next")
}

pub(crate) fn unclosed_journey(file: FileId, header: Span) -> Diagnostic {
    error(file, header, "this journey is never closed")
        .with_label("opened here")
        .with_help("add `end` after its last card")
}

pub(crate) fn too_deep(file: FileId, span: Span) -> Diagnostic {
    error(
        file,
        span,
        format!(
            "brackets, `do` blocks or `&` and `@` prefixes are nested more than {MAX_NESTING} deep"
        ),
    )
    .with_label("too deep from here")
    .with_help("split the expression into several assignments")
}

pub(crate) fn expression_too_deep(file: FileId, span: Span) -> Diagnostic {
    error(
        file,
        span,
        format!(
            "this expression nests more than {} operators deep",
            crate::build::MAX_EXPR_DEPTH
        ),
    )
    .with_label("too deep from here")
    .with_help("split the expression into several assignments")
}

pub(crate) fn bad_number(file: FileId, span: Span, what: &str) -> Diagnostic {
    error(file, span, format!("this {what} is too large"))
        .with_label("out of range")
        .with_help("whole numbers must fit in 64 bits; durations in seconds too")
}

pub(crate) fn bad_interpolation(file: FileId, span: Span) -> Diagnostic {
    error(file, span, "this `@(...)` is not a valid expression")
        .with_label("cannot read this interpolation")
        .with_help("write `@@` for a literal `@`, or fix the expression inside `@(...)`")
}
