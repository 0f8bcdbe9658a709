//! A lexical view of journey code that knows only strings and `#` comments: enough to
//! find the author's comments (which the parser skips) and to tell whether a piece of
//! code is one parenthesised group.

/// Where the scanner is.
#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    Quoted(char),
    Triple,
}

/// Calls `code` for each character outside strings and comments, and `comment` with
/// the offset of each `#` and the text after it up to the line's end.
fn scan(text: &str, mut code: impl FnMut(usize, char), mut comment: impl FnMut(usize, &str)) {
    let mut state = State::Code;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match state {
            State::Code if c == '#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                comment(i, &text[i + 1..end]);
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            State::Code if text[i..].starts_with("\"\"\"") => {
                state = State::Triple;
                chars.nth(1);
            }
            State::Code if c == '"' || c == '\'' => state = State::Quoted(c),
            State::Code => code(i, c),
            State::Quoted(_) if c == '\\' => {
                chars.next();
            }
            State::Quoted(quote) if c == quote => state = State::Code,
            State::Triple if text[i..].starts_with("\"\"\"") => {
                state = State::Code;
                chars.nth(1);
            }
            State::Quoted(_) | State::Triple => {}
        }
    }
}

/// The `#` comments of a piece of code: the offset of each `#` (relative to `text`)
/// and its text, without the `#`, the one space after it and trailing blanks (the
/// author's indentation inside the comment stays).
pub fn comments(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    scan(
        text,
        |_, _| {},
        |at, body| {
            let body = body.trim_end();
            found.push((at, body.strip_prefix(' ').unwrap_or(body).to_owned()));
        },
    );
    found
}

/// Whether every `(` of the code is closed within it and no `)` closes one opened
/// before it, strings and comments aside.
pub fn parens_balance(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut never_negative = true;
    scan(
        text,
        |_, c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            never_negative &= depth >= 0;
        },
        |_, _| {},
    );
    never_negative && depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let text = "x = \"# not\" # yes\ny = '#' \"\"\"\n# no\n\"\"\"\n  #   indented  ";
        let found: Vec<String> = comments(text).into_iter().map(|(_, c)| c).collect();
        assert_eq!(found, ["yes", "  indented"]);
    }

    #[test]
    fn balances_parentheses_outside_strings() {
        assert!(parens_balance("a + (b * c) + f(\")\")"));
        assert!(!parens_balance("b) + (c"));
        assert!(!parens_balance("(a"));
    }
}
