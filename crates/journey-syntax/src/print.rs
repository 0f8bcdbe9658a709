//! The canonical pretty-printer: turns a syntax tree back into journey source. `journey
//! fmt` is built on it, so the output is meant for people: two-space indentation, one
//! statement per line, a blank line around every card, and a call whose arguments would
//! pass column `WIDTH` printed one argument per line.
//!
//! Parsing the output gives back the same tree, spans and quote styles aside. Comments
//! and notebook config tables are not in the tree, so `module` does not print them;
//! `module_with_comments` prints comments a caller gathered (by span) in their places,
//! which the parser skips, so they leave the tree unchanged. Some trees
//! have no source form, and print as their nearest one: a negative number is unary
//! minus applied to a literal, an infinite float has no literal at all, a `do` block is
//! only read after a statement's call, strings nest at most three deep (and the third
//! level cannot hold `"`), and only a triple-quoted outermost string can have a line
//! break right before an interpolation.

use std::collections::BTreeMap;

use crate::ast::*;

/// Prints a file: the implicit journey's items at the top level, named journeys as
/// `stack Name do … end`.
pub fn module(m: &Module) -> String {
    module_with_comments(m, &Comments::default())
}

/// `# comment` lines to print with a tree, placed by the spans of its nodes. Each line is
/// the comment's text without the `#`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comments {
    /// Printed above the named journey, item or statement whose span starts at this
    /// offset.
    pub before: BTreeMap<u32, Vec<String>>,
    /// Printed last inside the journey, card or `do … end` block whose span ends at
    /// this offset (the notes after its last statement).
    pub closing: BTreeMap<u32, Vec<String>>,
    /// Printed at the end of the file.
    pub trailing: Vec<String>,
    /// Printed above the call argument whose span starts at this offset (a comment the
    /// author wrote inside the call); that call is printed one argument per line.
    pub arguments: BTreeMap<u32, Vec<String>>,
    /// Printed last inside the argument list of the call whose span starts at this
    /// offset (after its last argument).
    pub after_arguments: BTreeMap<u32, Vec<String>>,
}

/// Prints a file as `module` does, with these comments in their places.
pub fn module_with_comments(m: &Module, comments: &Comments) -> String {
    let mut printer = Printer {
        comments: Some(comments),
        ..Printer::default()
    };
    for (i, journey) in m.journeys.iter().enumerate() {
        if i > 0 {
            printer.out.push('\n');
        }
        printer.journey(journey);
    }
    if !comments.trailing.is_empty() {
        if !printer.out.is_empty() {
            printer.out.push('\n');
        }
        printer.comment_lines(&comments.trailing);
    }
    printer.out
}

/// Prints one expression, as it would appear in code, on one line (for messages and
/// labels: calls do not wrap).
pub fn expr(e: &Expr) -> String {
    let mut printer = Printer {
        flat: true,
        ..Printer::default()
    };
    printer.expr(e, LOWEST);
    printer.out
}

/// The widest a line may be: a call whose arguments would reach past it is printed
/// one argument per line.
pub const WIDTH: usize = 100;

// Binding strength, loosest first, as in grammar/expr.pest. An operand whose own
// strength is below what its position requires gets parentheses.
const LOWEST: u8 = 0;
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARE: u8 = 4;
const RANGE: u8 = 5;
const CONCAT: u8 = 6;
const SUM: u8 = 7;
const PRODUCT: u8 = 8;
const POWER: u8 = 9;
const NEG: u8 = 10;
/// `&(…)` is an operand, but `&(x).f` would put `.f` inside the lambda.
const LAMBDA: u8 = 11;
/// What `.field`, `[index]` may follow.
const ATOM: u8 = 12;

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => OR,
            BinaryOp::And => AND,
            BinaryOp::Eq
            | BinaryOp::Neq
            | BinaryOp::Lt
            | BinaryOp::Lte
            | BinaryOp::Gt
            | BinaryOp::Gte => COMPARE,
            BinaryOp::Range => RANGE,
            BinaryOp::Concat => CONCAT,
            BinaryOp::Add | BinaryOp::Sub => SUM,
            BinaryOp::Mul | BinaryOp::Div => PRODUCT,
            BinaryOp::Pow => POWER,
        },
        ExprKind::Unary { op, .. } => match op {
            UnaryOp::Not => NOT,
            UnaryOp::Neg => NEG,
        },
        ExprKind::Int(n) if *n < 0 => NEG,
        ExprKind::Float(f) if f.is_sign_negative() => NEG,
        ExprKind::Lambda(_) => LAMBDA,
        _ => ATOM,
    }
}

/// How a string literal is delimited. Interpolations are read from the raw text of the
/// string around them, so a string inside `@(…)` must be written with characters its
/// enclosing strings accept: the outermost takes `"`, the next `'`, the third `\"`.
#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    Double,
    Triple,
    Single,
    Escaped,
}

impl Quoting {
    fn delimiter(self) -> &'static str {
        match self {
            Quoting::Double => "\"",
            Quoting::Triple => "\"\"\"",
            Quoting::Single => "'",
            Quoting::Escaped => "\\\"",
        }
    }

    fn escape(self, c: char) -> Option<&'static str> {
        match (self, c) {
            // Triple-quoted text has no escapes.
            (Quoting::Triple, _) => None,
            (_, '\\') => Some("\\\\"),
            (_, '"') => Some("\\\""),
            (_, '\n') => Some("\\n"),
            (_, '\t') => Some("\\t"),
            (Quoting::Single | Quoting::Escaped, '\'') => Some("\\'"),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Printer<'c> {
    out: String,
    indent: usize,
    /// How many string literals enclose what is being printed.
    strings: usize,
    comments: Option<&'c Comments>,
    /// Whether calls stay on one line whatever their width: while a call's arguments
    /// are tried on one line (`args_fit`), and in `expr`.
    flat: bool,
}

impl Printer<'_> {
    fn indentation(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn comment_lines(&mut self, lines: &[String]) {
        for line in lines {
            self.indentation();
            self.out.push('#');
            if !line.is_empty() {
                self.out.push(' ');
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }

    /// The comments that go above the node starting at `span`.
    fn comments_before(&mut self, span: journey_diagnostics::Span) {
        if let Some(lines) = self.comments.and_then(|c| c.before.get(&span.start)) {
            self.comment_lines(lines);
        }
    }

    /// The comments that close the block ending at `span`, at the block's indentation.
    fn comments_closing(&mut self, span: journey_diagnostics::Span) {
        if let Some(lines) = self.comments.and_then(|c| c.closing.get(&span.end)) {
            self.comment_lines(lines);
        }
    }

    fn journey(&mut self, journey: &Journey) {
        match &journey.name {
            Some(name) => {
                // What is written above a `stack` describes the file or the journey
                // as a whole: a blank line sets it off from the code.
                let start = self.out.len();
                self.comments_before(journey.span);
                if self.out.len() > start {
                    self.out.push('\n');
                }
                self.out.push_str("stack ");
                self.out.push_str(&name.name);
                self.block(|p| {
                    p.items(&journey.items);
                    p.comments_closing(journey.span);
                });
                self.out.push('\n');
            }
            None => self.items(&journey.items),
        }
    }

    fn items(&mut self, items: &[Item]) {
        let mut previous: Option<&Item> = None;
        for item in items {
            // Consecutive settings read as one group; cards, and a setting under a
            // comment, stand apart.
            let is_card = |item: &Item| matches!(item, Item::Card(_));
            let commented = self
                .comments
                .is_some_and(|c| c.before.contains_key(&item.span().start));
            if previous.is_some_and(|p| is_card(p) || is_card(item) || commented) {
                self.out.push('\n');
            }
            match item {
                Item::Card(card) => self.card(card),
                Item::Setting(setting) => self.setting(setting),
            }
            previous = Some(item);
        }
    }

    fn setting(&mut self, setting: &Setting) {
        self.comments_before(setting.span);
        self.indentation();
        self.call(&setting.call);
        self.guard(setting.guard.as_ref());
        self.out.push('\n');
    }

    fn card(&mut self, card: &Card) {
        self.comments_before(card.span);
        self.indentation();
        self.out.push_str("card ");
        self.out.push_str(&card.name.name);
        self.guard(card.guard.as_ref());
        for option in &card.options {
            self.out.push_str(", ");
            self.arg(option);
        }
        self.block(|p| {
            p.stmts(&card.body);
            p.comments_closing(card.span);
        });
        self.out.push('\n');
    }

    fn guard(&mut self, guard: Option<&Expr>) {
        if let Some(guard) = guard {
            self.out.push_str(" when ");
            self.expr(guard, LOWEST);
        }
    }

    /// ` do`, the indented body, and `end` on a line of its own.
    fn block(&mut self, body: impl FnOnce(&mut Self)) {
        self.out.push_str(" do\n");
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.indentation();
        self.out.push_str("end");
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        self.comments_before(stmt.span);
        self.indentation();
        match &stmt.kind {
            StmtKind::Assign { target, value } => {
                self.out.push_str(&target.name);
                self.out.push_str(" = ");
                self.expr(value, LOWEST);
            }
            StmtKind::Expr(value) => {
                let start = self.out.len();
                self.expr(value, LOWEST);
                // Only line breaks separate statements, and the grammar skips them
                // between operands: a leading `-` or `&` would continue the statement
                // above as a subtraction or a join.
                if self.out[start..].starts_with(['-', '&']) {
                    self.out.insert(start, '(');
                    self.out.push(')');
                }
            }
            StmtKind::Then { target, guard } => {
                self.out.push_str("then(");
                self.out.push_str(&target.name);
                self.guard(guard.as_ref());
                self.out.push(')');
            }
        }
        self.out.push('\n');
    }

    fn expr(&mut self, e: &Expr, min: u8) {
        let parens = precedence(e) < min;
        if parens {
            self.out.push('(');
        }
        match &e.kind {
            ExprKind::Nil => self.out.push_str("nil"),
            ExprKind::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Int(n) => {
                if *n < 0 {
                    self.out.push('-');
                }
                self.out.push_str(&n.unsigned_abs().to_string());
            }
            ExprKind::Float(f) => {
                if f.is_sign_negative() {
                    self.out.push('-');
                }
                // `Display` gives the shortest digits that read back as the same value,
                // never in exponent form (which the grammar lacks), but may omit the `.`.
                let digits = f.abs().to_string();
                self.out.push_str(&digits);
                if !digits.contains('.') {
                    self.out.push_str(".0");
                }
            }
            ExprKind::Duration(seconds) => self.duration(*seconds),
            ExprKind::Str(template) => self.template(template),
            ExprKind::List(items) => {
                self.out.push('[');
                self.comma_separated(items, |p, item| p.expr(item, LOWEST));
                self.out.push(']');
            }
            ExprKind::Name(name) => self.out.push_str(name),
            ExprKind::Member { object, field } => {
                self.expr(object, ATOM);
                self.out.push('.');
                self.out.push_str(&field.name);
            }
            ExprKind::Index { object, index } => {
                self.expr(object, ATOM);
                self.out.push('[');
                self.expr(index, LOWEST);
                self.out.push(']');
            }
            ExprKind::Call(call) => self.call(call),
            ExprKind::Unary { op, operand } => {
                let (symbol, strength) = match op {
                    UnaryOp::Neg => ("-", NEG),
                    UnaryOp::Not => ("not ", NOT),
                };
                self.out.push_str(symbol);
                self.expr(operand, strength);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let strength = precedence(e);
                let (left, right) = match op {
                    BinaryOp::Pow => (strength + 1, strength),
                    _ => (strength, strength + 1),
                };
                self.expr(lhs, left);
                self.out.push(' ');
                self.out.push_str(op.symbol());
                self.out.push(' ');
                self.expr(rhs, right);
            }
            ExprKind::Lambda(body) => {
                self.out.push_str("&(");
                self.expr(body, LOWEST);
                self.out.push(')');
            }
            ExprKind::Placeholder(n) => {
                self.out.push('&');
                self.out.push_str(&n.to_string());
            }
        }
        if parens {
            self.out.push(')');
        }
    }

    /// In the largest unit that divides it exactly: `5400` seconds is `90m`.
    fn duration(&mut self, seconds: u64) {
        const UNITS: [(u64, char); 5] = [
            (604_800, 'w'),
            (86_400, 'd'),
            (3_600, 'h'),
            (60, 'm'),
            (1, 's'),
        ];
        let &(size, unit) = UNITS
            .iter()
            .find(|&&(size, _)| seconds >= size && seconds.is_multiple_of(size))
            .unwrap_or(&(1, 's'));
        self.out.push_str(&(seconds / size).to_string());
        self.out.push(unit);
    }

    fn call(&mut self, call: &Call) {
        self.out.push_str(&call.callee.name);
        self.out.push('(');
        let commented = self.comments.is_some_and(|c| {
            c.after_arguments.contains_key(&call.span.start)
                || call
                    .args
                    .iter()
                    .any(|a| c.arguments.contains_key(&a.span.start))
        });
        if commented || !self.args_fit(call) {
            self.args_one_per_line(call);
        }
        self.out.push(')');
        if let Some(body) = &call.block {
            let flat = std::mem::take(&mut self.flat);
            self.block(|p| {
                p.stmts(body);
                p.comments_closing(call.span);
            });
            self.flat = flat;
        }
    }

    /// Prints the arguments on the call's line (nested calls too) and keeps them there
    /// if every line stays within `WIDTH`; else takes them back. Inside an enclosing
    /// trial nothing is taken back: the enclosing call measures. Inside a string's
    /// `@(…)` a line break would be text, so calls there stay on one line.
    fn args_fit(&mut self, call: &Call) -> bool {
        let start = self.out.len();
        let flat = std::mem::replace(&mut self.flat, true);
        self.comma_separated(&call.args, Self::arg);
        self.flat = flat;
        let line_start = self.out[..start].rfind('\n').map_or(0, |n| n + 1);
        // The `)` is not printed yet.
        // A lone string argument gains nothing on a line of its own.
        let lone_string =
            matches!(&call.args[..], [arg] if matches!(arg.value.kind, ExprKind::Str(_)));
        let fits = flat
            || self.strings > 0
            || call.args.is_empty()
            || lone_string
            || self.out[line_start..]
                .lines()
                .all(|line| line.chars().count() <= WIDTH);
        if !fits {
            self.out.truncate(start);
        }
        fits
    }

    /// One argument per line, each under the comments written above it.
    fn args_one_per_line(&mut self, call: &Call) {
        let comments = self.comments;
        self.out.push('\n');
        self.indent += 1;
        for arg in &call.args {
            if let Some(lines) = comments.and_then(|c| c.arguments.get(&arg.span.start)) {
                self.comment_lines(lines);
            }
            self.indentation();
            self.arg(arg);
            self.out.push_str(",\n");
        }
        if let Some(lines) = comments.and_then(|c| c.after_arguments.get(&call.span.start)) {
            self.comment_lines(lines);
        }
        self.indent -= 1;
        self.indentation();
    }

    fn arg(&mut self, arg: &Arg) {
        if let Some(name) = &arg.name {
            self.out.push_str(&name.name);
            self.out.push_str(": ");
        }
        self.expr(&arg.value, LOWEST);
    }

    fn comma_separated<T>(&mut self, items: &[T], mut print: impl FnMut(&mut Self, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            print(self, item);
        }
    }

    fn template(&mut self, template: &Template) {
        let quoting = match self.strings {
            0 if template.quote == Quote::Triple => Quoting::Triple,
            0 => Quoting::Double,
            1 => Quoting::Single,
            _ => Quoting::Escaped,
        };
        let start = self.out.len();
        self.string(template, quoting);
        if quoting == Quoting::Triple {
            // Keep the author's `"""` unless the text makes it end early.
            let body = &self.out[start + 3..self.out.len() - 3];
            if body.contains("\"\"\"") || body.ends_with('"') {
                self.out.truncate(start);
                self.string(template, Quoting::Double);
            }
        }
    }

    fn string(&mut self, template: &Template, quoting: Quoting) {
        self.out.push_str(quoting.delimiter());
        let parts = &template.parts;
        for (i, part) in parts.iter().enumerate() {
            let next = parts.get(i + 1);
            match part {
                TemplatePart::Text { value, .. } => {
                    let before_interp = matches!(next, Some(TemplatePart::Interp(_)));
                    self.text(value, quoting, before_interp);
                }
                TemplatePart::Interp(e) => {
                    self.out.push('@');
                    self.strings += 1;
                    if short_form_fits(e, next) {
                        self.expr(e, ATOM);
                    } else {
                        self.out.push('(');
                        self.expr(e, LOWEST);
                        self.out.push(')');
                    }
                    self.strings -= 1;
                }
            }
        }
        self.out.push_str(quoting.delimiter());
    }

    fn text(&mut self, value: &str, quoting: Quoting, before_interp: bool) {
        let mut previous = None;
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            // An interpolation's raw text starts with `@`.
            let next = chars.peek().copied().or(before_interp.then_some('@'));
            if c == '@' {
                self.out.push('@');
                if !bare_at_fits(previous, next) {
                    self.out.push('@');
                }
            } else if c == '\t' && next == Some('@') {
                // After `\t` the scanner sees a letter and reads the `@` literally. (A
                // line break there has no escape that works: it needs `"""`.)
                self.out.push(c);
            } else {
                match quoting.escape(c) {
                    Some(escaped) => self.out.push_str(escaped),
                    None => self.out.push(c),
                }
            }
            previous = Some(c);
        }
    }
}

/// Whether a literal `@` can stay bare, as in `help@clinic.org` or `5 @ 3`: the string
/// scanner reads `@@` as one `@`, and starts an interpolation at an `@` that follows no
/// letter or digit and precedes `(`, `_` or a letter. `previous` is `None` at the start
/// of a text part, where the character before may be the end of an interpolation.
fn bare_at_fits(previous: Option<char>, next: Option<char>) -> bool {
    let after_word = previous.is_some_and(char::is_alphanumeric);
    let opens = next.is_some_and(|c| c == '(' || c == '_' || c.is_ascii_alphabetic());
    next != Some('@') && (after_word || !opens)
}

/// Whether an interpolation can be written `@contact.name` rather than
/// `@(contact.name)`: it is a dotted name, and what follows would neither read as more
/// of it (a name character, a call, an index, a member) nor be an `@` right after a
/// letter, which the scanner takes literally.
fn short_form_fits(e: &Expr, next: Option<&TemplatePart>) -> bool {
    fn is_path(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(_) => true,
            ExprKind::Member { object, .. } => is_path(object),
            _ => false,
        }
    }
    let extends = match next {
        Some(TemplatePart::Text { value, .. }) => {
            let mut chars = value.chars();
            let starts_name = |c: char| c.is_ascii_alphabetic() || c == '_';
            match chars.next() {
                Some('.') => chars.next().is_some_and(starts_name),
                Some(c) => c.is_ascii_digit() || starts_name(c) || c == '(' || c == '[',
                None => false,
            }
        }
        Some(TemplatePart::Interp(_)) => true,
        None => false,
    };
    is_path(e) && !extends
}

#[cfg(test)]
mod tests {
    use journey_diagnostics::FileId;

    use super::*;
    use crate::{parse_expr, parse_journey};

    fn reformat_expr(text: &str) -> String {
        let parsed = parse_expr(FileId(0), text).expect("the test input parses");
        expr(&parsed)
    }

    fn reformat(text: &str) -> String {
        let parsed = parse_journey(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        module(&parsed.module)
    }

    #[test]
    fn parenthesises_only_where_precedence_requires() {
        let cases = [
            ("(a + b) * c", "(a + b) * c"),
            ("a + (b * c)", "a + b * c"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a - b) - c", "a - b - c"),
            ("2 ^ (3 ^ 4)", "2 ^ 3 ^ 4"),
            ("(2 ^ 3) ^ 4", "(2 ^ 3) ^ 4"),
            ("-2 ^ 2", "-2 ^ 2"),
            ("-(2 ^ 2)", "-(2 ^ 2)"),
            ("not (a and b) or c", "not (a and b) or c"),
            ("(not a) = b", "(not a) == b"),
            ("not a = b", "not a == b"),
            ("a + (not b) < c", "a + (not b) < c"),
            (
                "x.y <> 1 & \"z\" and (p or q)",
                "x.y != 1 & \"z\" and (p or q)",
            ),
            ("(-x).y[0]", "(-x).y[0]"),
            ("(&(&1 + 1)).f", "(&(&1 + 1)).f"),
            ("map(xs, & &1.title)", "map(xs, &(&1.title))"),
            ("a .. b + 1", "a .. b + 1"),
        ];
        for (input, expected) in cases {
            assert_eq!(reformat_expr(input), expected, "input: {input}");
        }
    }

    #[test]
    fn prints_numbers_and_durations_canonically() {
        let cases = [
            ("90m", "90m"),
            ("120m", "2h"),
            ("14d", "2w"),
            ("0h", "0s"),
            ("1_000", "1000"),
            ("1.50", "1.5"),
            ("100000000000000000000000.0", "100000000000000000000000.0"),
            ("0.1", "0.1"),
        ];
        for (input, expected) in cases {
            assert_eq!(reformat_expr(input), expected, "input: {input}");
        }
    }

    #[test]
    fn escapes_strings_and_at_signs() {
        let cases = [
            (r#""say \"hi\"""#, r#""say \"hi\"""#),
            (r"'don\'t'", r#""don't""#),
            (r#""a\\b\tc""#, r#""a\\b\tc""#),
            ("\"\"\"two\nlines\"\"\"", "\"\"\"two\nlines\"\"\""),
            (r#""@@home""#, r#""@@home""#),
            (
                r#""write to help@clinic.org""#,
                r#""write to help@clinic.org""#,
            ),
            (r#""5 @ 3 @""#, r#""5 @ 3 @""#),
            (r#""a@@@@b""#, r#""a@@@@b""#),
        ];
        for (input, expected) in cases {
            assert_eq!(reformat_expr(input), expected, "input: {input}");
        }
    }

    #[test]
    fn falls_back_to_double_quotes_when_triple_quotes_cannot_hold_the_text() {
        let mut quoted = parse_expr(FileId(0), r#""say \"hi\"""#).expect("parses");
        let ExprKind::Str(template) = &mut quoted.kind else {
            panic!("a string")
        };
        template.quote = Quote::Triple;
        assert_eq!(expr(&quoted), r#""say \"hi\"""#);
    }

    #[test]
    fn prints_interpolations() {
        let cases = [
            (r#""Hi @contact.name!""#, r#""Hi @contact.name!""#),
            (r#""Hi @(contact.name). Bye""#, r#""Hi @contact.name. Bye""#),
            (
                r#""@(a)b @(a).b @(a)[0] @(a)@b""#,
                r#""@(a)b @(a).b @(a)[0] @(a)@b""#,
            ),
            ("\"\t@(a)\"", "\"\t@a\""),
            ("\"\"\"\n@(b)\"\"\"", "\"\"\"\n@b\"\"\""),
            (r#""@(x + 1) items""#, r#""@(x + 1) items""#),
            (r#""@@@(x)""#, r#""@@@x""#),
            (
                r#""Bearer @(secret('TOKEN'))""#,
                r#""Bearer @(secret('TOKEN'))""#,
            ),
            (r#""@datevalue(d, \"%B\")""#, r#""@(datevalue(d, '%B'))""#),
            (
                r#""@(f('it\'s @(g(\"x\"))'))""#,
                r#""@(f('it\'s @(g(\"x\"))'))""#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(reformat_expr(input), expected, "input: {input}");
        }
    }

    #[test]
    fn lays_out_journeys_cards_and_blocks() {
        let input = r#"interaction_timeout(300)
trigger(on: "MESSAGE RECEIVED") when has_text(event.message)
card Start, "Welcome", then: Menu do x = 1 end
stack Clinic do
card Menu when contact.age >= 18 do
choice = buttons(Yes: "Yes", No: "No", timeout: 2h) do
text("Pick one")
list("More", A: "a") do
text("Nested")
end
end
then(Yes when choice == "Yes")
log(x)
(-x)
end
card Empty do end
end
"#;
        let expected = r#"interaction_timeout(300)
trigger(on: "MESSAGE RECEIVED") when has_text(event.message)

card Start, "Welcome", then: Menu do
  x = 1
end

stack Clinic do
  card Menu when contact.age >= 18 do
    choice = buttons(Yes: "Yes", No: "No", timeout: 2h) do
      text("Pick one")
      list("More", A: "a") do
        text("Nested")
      end
    end
    then(Yes when choice == "Yes")
    log(x)
    (-x)
  end

  card Empty do
  end
end
"#;
        assert_eq!(reformat(input), expected);
        assert_eq!(reformat(expected), expected);
    }

    #[test]
    fn prints_comments_where_the_caller_placed_them() {
        let input = "trigger(on: \"FIRST VISIT\")\ncard A do\n  x = buttons(B: \"b\") do\n    text(\"hi\")\n  end\nend\n";
        let parsed = parse_journey(FileId(0), input);
        let journey = &parsed.module.journeys[0];
        let Item::Card(card) = &journey.items[1] else {
            panic!("the second item is a card")
        };
        let StmtKind::Assign { value, .. } = &card.body[0].kind else {
            panic!("an assignment")
        };
        let mut comments = Comments::default();
        comments
            .before
            .insert(journey.items[0].span().start, vec!["Starts it".into()]);
        comments
            .before
            .insert(card.body[0].span.start, vec!["Ask".into(), String::new()]);
        comments
            .closing
            .insert(value.span.end, vec!["after the text".into()]);
        comments
            .closing
            .insert(card.span.end, vec!["last in A".into()]);
        comments.trailing = vec!["the end".into()];
        let printed = module_with_comments(&parsed.module, &comments);
        let expected = "# Starts it\ntrigger(on: \"FIRST VISIT\")\n\ncard A do\n  # Ask\n  #\n  x = buttons(B: \"b\") do\n    text(\"hi\")\n    # after the text\n  end\n  # last in A\nend\n\n# the end\n";
        assert_eq!(printed, expected);
        assert_eq!(
            parse_journey(FileId(0), &printed).module.journeys[0]
                .items
                .len(),
            2
        );
    }
}
