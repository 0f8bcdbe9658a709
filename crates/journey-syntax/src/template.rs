//! Strings: escapes and `@` interpolation (Turn's rules: `@name.path`, `@fn(...)`,
//! `@(expr)`, `@@` for a literal `@`; an `@` right after a letter or digit, as in an
//! e-mail address, is literal text).

use journey_diagnostics::{Diagnostic, FileId, Span};
use pest::Parser;

use crate::ast::{Expr, ExprKind, Ident, Quote, Template, TemplatePart};
use crate::build::Builder;
use crate::errors;
use crate::parser::{JourneyParser, Rule, too_deep};

/// Parses a string body (the text between the quotes) that starts at `base` in the file.
pub(crate) fn parse(
    file: FileId,
    body: &str,
    base: usize,
    quote: Quote,
) -> (Template, Vec<Diagnostic>) {
    let mut scanner = Scanner {
        file,
        body,
        base,
        parts: Vec::new(),
        text: String::new(),
        text_start: 0,
        after_word: false,
        diagnostics: Vec::new(),
    };
    scanner.run(quote);
    (
        Template {
            parts: scanner.parts,
            quote,
        },
        scanner.diagnostics,
    )
}

struct Scanner<'a> {
    file: FileId,
    body: &'a str,
    base: usize,
    parts: Vec<TemplatePart>,
    /// Literal text gathered since the last interpolation.
    text: String,
    text_start: usize,
    /// The last character produced was a letter or digit (as in `name@example.org`).
    after_word: bool,
    diagnostics: Vec<Diagnostic>,
}

impl Scanner<'_> {
    fn run(&mut self, quote: Quote) {
        let bytes = self.body.as_bytes();
        let mut i = 0;
        while i < self.body.len() {
            let c = self.body[i..].chars().next().expect("i is a char boundary");
            match c {
                '\\' if quote != Quote::Triple => {
                    let escaped = self.body[i + 1..].chars().next();
                    self.after_word = match escaped {
                        Some('n') => self.push_escaped('\n'),
                        Some('t') => self.push_escaped('\t'),
                        Some(c @ ('"' | '\'' | '\\' | '@')) => self.push_escaped(c),
                        // An unknown escape stays as written (`\p`), so its letter ends
                        // a word like any other: `\p@x` is text, as it reprints.
                        Some(other) => {
                            self.text.push('\\');
                            self.text.push(other);
                            other.is_alphanumeric()
                        }
                        None => self.push_escaped('\\'),
                    };
                    i += 1 + escaped.map_or(0, char::len_utf8);
                }
                '@' if bytes.get(i + 1) == Some(&b'@') => {
                    self.text.push('@');
                    i += 2;
                    self.after_word = false;
                }
                '@' if self.starts_interpolation(i) => match self.interpolation(i + 1) {
                    Some((expr, consumed)) => {
                        self.flush(i);
                        self.parts.push(TemplatePart::Interp(expr));
                        i += 1 + consumed;
                        self.text_start = i;
                        self.after_word = false;
                    }
                    None => {
                        self.text.push('@');
                        i += 1;
                        self.after_word = false;
                    }
                },
                _ => {
                    // Copy the run of plain text up to the next `@` or escape at once.
                    let run = self.body[i..]
                        .find(['@', '\\'])
                        .map_or(self.body.len(), |n| i + n)
                        .max(i + c.len_utf8());
                    let plain = &self.body[i..run];
                    self.text.push_str(plain);
                    self.after_word = plain.chars().next_back().is_some_and(char::is_alphanumeric);
                    i = run;
                }
            }
        }
        self.flush(self.body.len());
    }

    /// Pushes an escaped character; what follows it is not after a word.
    fn push_escaped(&mut self, c: char) -> bool {
        self.text.push(c);
        false
    }

    fn starts_interpolation(&self, at: usize) -> bool {
        let next = self.body[at + 1..].chars().next();
        !self.after_word && next.is_some_and(|c| c == '(' || c == '_' || c.is_ascii_alphabetic())
    }

    /// Parses the interpolation that starts at `at` (just after the `@`); returns the
    /// expression and the bytes it took. `@(` that does not parse is an error;
    /// other forms that do not parse are literal text, as in Turn.
    fn interpolation(&mut self, at: usize) -> Option<(Expr, usize)> {
        let rest = &self.body[at..];
        let paren = rest.starts_with('(');
        if let Some(depth_at) = too_deep(rest) {
            let offset = self.base + at + depth_at;
            self.diagnostics
                .push(errors::too_deep(self.file, Span::new(offset, offset + 1)));
            return None;
        }
        if !paren && let Some(found) = self.dotted_path(at) {
            return Some(found);
        }
        let rule = if paren {
            Rule::interp_paren
        } else {
            Rule::interp_short
        };
        match JourneyParser::parse(rule, rest) {
            Ok(mut pairs) => {
                let pair = pairs.next().expect("the interpolation rule matched");
                let consumed = pair.as_span().end();
                let inner = pair
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::expr | Rule::term))
                    .expect("an interpolation holds an expression");
                let mut builder = Builder::new(self.file, self.base + at);
                let mut expr = if paren {
                    builder.expr(inner)
                } else {
                    builder.term(inner)
                };
                if paren {
                    // The span of `@(...)` includes its parentheses.
                    expr.span = Span::new(self.base + at, self.base + at + consumed);
                }
                self.diagnostics.append(&mut builder.diagnostics);
                Some((expr, consumed))
            }
            Err(_) if paren => {
                let start = self.base + at - 1;
                let end = self.base + at + rest.find(')').map_or(rest.len(), |i| i + 1);
                self.diagnostics
                    .push(errors::bad_interpolation(self.file, Span::new(start, end)));
                None
            }
            Err(_) => None,
        }
    }

    /// The common `@contact.name` form, read without starting the parser: names
    /// joined by dots, not followed by a call or an index (those go to pest).
    fn dotted_path(&self, at: usize) -> Option<(Expr, usize)> {
        let rest = &self.body[at..];
        let bytes = rest.as_bytes();
        let is_name_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut expr: Option<Expr> = None;
        let mut start = 0;
        loop {
            let len = bytes[start..]
                .iter()
                .take_while(|&&b| is_name_byte(b))
                .count();
            let name = &rest[start..start + len];
            let span = Span::new(self.base + at + start, self.base + at + start + len);
            expr = Some(match expr {
                None => Expr {
                    kind: ExprKind::Name(name.to_owned()),
                    span,
                },
                Some(object) => Expr {
                    span: object.span.to(span),
                    kind: ExprKind::Member {
                        object: Box::new(object),
                        field: Ident {
                            name: name.to_owned(),
                            span,
                        },
                    },
                },
            });
            let end = start + len;
            match bytes.get(end) {
                Some(b'(' | b'[') => return None,
                Some(b'.')
                    if bytes
                        .get(end + 1)
                        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_') =>
                {
                    start = end + 1;
                }
                _ => {
                    let expr = expr?;
                    // `true`, `false` and `nil` are literals, not names: leave them to pest.
                    let literal = matches!(&expr.kind, ExprKind::Name(n)
                        if n == "nil" || n.eq_ignore_ascii_case("true") || n.eq_ignore_ascii_case("false"));
                    return (!literal).then_some((expr, end));
                }
            }
        }
    }

    fn flush(&mut self, end: usize) {
        if !self.text.is_empty() {
            self.parts.push(TemplatePart::Text {
                value: std::mem::take(&mut self.text),
                span: Span::new(self.base + self.text_start, self.base + end),
            });
        }
    }
}
