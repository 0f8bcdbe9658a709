//! Turns pest pairs into the AST. The grammar has already accepted the input, so the
//! shapes here are known; spans are shifted by `offset` to be file-relative.

use journey_diagnostics::{Diagnostic, FileId, Span};
use pest::iterators::Pair;

use crate::ast::*;
use crate::errors;
use crate::parser::Rule;
use crate::template;

/// Binding power of a binary operator (higher binds tighter) and whether it groups
/// to the right. `not` sits between `and` and the comparisons; unary minus above all.
fn binary(op: &str) -> (BinaryOp, u8, bool) {
    match op {
        "or" => (BinaryOp::Or, 1, false),
        "and" => (BinaryOp::And, 2, false),
        "==" | "=" => (BinaryOp::Eq, 4, false),
        "!=" | "<>" => (BinaryOp::Neq, 4, false),
        "<" => (BinaryOp::Lt, 4, false),
        "<=" => (BinaryOp::Lte, 4, false),
        ">" => (BinaryOp::Gt, 4, false),
        ">=" => (BinaryOp::Gte, 4, false),
        ".." => (BinaryOp::Range, 5, false),
        "&" => (BinaryOp::Concat, 6, false),
        "+" => (BinaryOp::Add, 7, false),
        "-" => (BinaryOp::Sub, 7, false),
        "*" => (BinaryOp::Mul, 8, false),
        "/" => (BinaryOp::Div, 8, false),
        _ => (BinaryOp::Pow, 9, true),
    }
}

/// Where a pair's own text ends. A rule ending in `x*` or `x?` keeps the blanks and
/// comments skipped before the failed attempt; its last child ends it then.
fn exact_end(pair: &Pair<'_, Rule>) -> usize {
    let end = pair.as_span().end();
    if !pair.as_str().ends_with(char::is_whitespace) {
        return end;
    }
    let Some(last) = pair.clone().into_inner().last() else {
        return end;
    };
    let last_end = exact_end(&last);
    let rest = &pair.get_input()[last_end..end];
    if is_trivia(rest) { last_end } else { end }
}

/// Only blanks and `#` comments.
fn is_trivia(text: &str) -> bool {
    let mut in_comment = false;
    text.chars().all(|c| {
        if c == '\n' {
            in_comment = false;
        } else if c == '#' {
            in_comment = true;
        }
        in_comment || c.is_whitespace()
    })
}

/// The operators and operands of one expression, in source order.
type Tokens<'i> = std::iter::Peekable<pest::iterators::Pairs<'i, Rule>>;

/// How deep an expression's tree may be, counting operators, `.field` and `[index]`
/// suffixes and nested terms along the way down. Every later pass (printing, lowering,
/// the rules, evaluation, and Rust's own `Clone` and `Drop` of the tree) recurses once
/// per level, about 1 KiB of stack a level in a debug build: this keeps them well within
/// a 2 MiB thread stack (a server worker's), and matches the evaluator's own limit, so
/// what the checker accepts also runs. `- - - … 1` 20,000 times is refused here.
pub const MAX_EXPR_DEPTH: usize = 256;

/// What `not` applies to: everything binding tighter than `and`.
const NOT_OPERAND: u8 = 4;

pub(crate) struct Builder {
    file: FileId,
    offset: usize,
    /// Operators, suffixes and terms open around the expression being built: a bound on
    /// the depth of the tree it makes (see [`MAX_EXPR_DEPTH`]).
    depth: usize,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// `card X, then(Y) do`: Turn's other spelling of `then: Y` in a card header (Turn
/// compiles both to the card's `then` route), read as the named option.
fn then_option(arg: Arg) -> Arg {
    if arg.name.is_some() {
        return arg;
    }
    match arg.value.kind {
        ExprKind::Call(call)
            if call.callee.name == "then"
                && call.block.is_none()
                && call.args.len() == 1
                && call.args[0].name.is_none() =>
        {
            let target = call.args.into_iter().next().expect("one argument");
            Arg {
                name: Some(call.callee),
                value: target.value,
                span: arg.span,
            }
        }
        kind => Arg {
            value: Expr {
                kind,
                span: arg.value.span,
            },
            ..arg
        },
    }
}

impl Builder {
    pub(crate) fn new(file: FileId, offset: usize) -> Self {
        Builder {
            file,
            offset,
            depth: 0,
            diagnostics: Vec::new(),
        }
    }

    /// The pair's span without the blanks and comments pest skips after a rule that
    /// ends in a repetition or an option (`expr`, `text(...) do…end?`).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        Span::new(self.offset + start, self.offset + exact_end(pair))
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_owned(),
            span: self.span(&pair),
        }
    }

    pub(crate) fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        match pair.as_rule() {
            Rule::card => Item::Card(self.card(pair)),
            Rule::setting => Item::Setting(self.setting(pair)),
            rule => unexpected(rule),
        }
    }

    fn setting(&mut self, pair: Pair<'_, Rule>) -> Setting {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let call = self.call(inner.next().expect("setting starts with a call"), None);
        let guard = inner
            .find(|p| p.as_rule() == Rule::expr)
            .map(|p| self.expr(p));
        Setting { call, guard, span }
    }

    fn card(&mut self, pair: Pair<'_, Rule>) -> Card {
        let span = self.span(&pair);
        let mut name = None;
        let mut guard = None;
        let mut options = Vec::new();
        let mut body = Vec::new();
        let mut header_end = span.end;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_card | Rule::kw_end => {}
                Rule::card_name => name = Some(self.ident(part)),
                Rule::card_guard => {
                    let expr = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::expr)
                        .expect("a guard holds an expression");
                    guard = Some(self.expr(expr));
                }
                Rule::card_option => {
                    let arg = part.into_inner().next().expect("an option holds an arg");
                    options.push(then_option(self.arg(arg)));
                }
                Rule::kw_do => header_end = self.span(&part).end,
                _ => body.push(self.stmt(part)),
            }
        }
        Card {
            name: name.expect("the grammar requires a card name"),
            guard,
            options,
            body,
            header_span: Span::new(span.start as usize, header_end as usize),
            span,
            recovered: false,
        }
    }

    fn stmt(&mut self, pair: Pair<'_, Rule>) -> Stmt {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::then_stmt => {
                let mut target = None;
                let mut guard = None;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::name => target = Some(self.ident(part)),
                        Rule::expr => guard = Some(self.expr(part)),
                        _ => {}
                    }
                }
                StmtKind::Then {
                    target: target.expect("then() names a card"),
                    guard,
                }
            }
            Rule::assign => {
                let mut inner = pair.into_inner();
                let target = self.ident(inner.next().expect("assignment target"));
                let value = self.rhs(inner.next().expect("assignment value"));
                StmtKind::Assign { target, value }
            }
            Rule::expr_stmt => StmtKind::Expr(self.rhs(pair)),
            rule => unexpected(rule),
        };
        Stmt { kind, span }
    }

    fn rhs(&mut self, pair: Pair<'_, Rule>) -> Expr {
        match pair.as_rule() {
            Rule::expr_stmt => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                let mut expr = self.expr(inner.next().expect("a statement holds an expression"));
                let Some(block) = inner.next() else {
                    return expr;
                };
                let stmts: Vec<Stmt> = block
                    .into_inner()
                    .filter(|p| !matches!(p.as_rule(), Rule::kw_do | Rule::kw_end))
                    .map(|p| self.stmt(p))
                    .collect();
                match &mut expr.kind {
                    ExprKind::Call(call) => {
                        call.block = Some(stmts);
                        call.span = span;
                        expr.span = span;
                    }
                    _ => self
                        .diagnostics
                        .push(errors::block_without_call(self.file, expr.span)),
                }
                expr
            }
            Rule::if_block => {
                let span = self.span(&pair);
                let mut keyword = None;
                let mut exprs = Vec::new();
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::kw_if => keyword = Some(self.ident(part)),
                        Rule::expr => exprs.push(self.expr(part)),
                        _ => {}
                    }
                }
                let keyword = keyword.expect("if block starts with `if`");
                // `if c do a else b end` means `if(c, a, b)`.
                let args = exprs
                    .into_iter()
                    .map(|value| Arg {
                        name: None,
                        span: value.span,
                        value,
                    })
                    .collect();
                Expr {
                    kind: ExprKind::Call(Box::new(Call {
                        callee: keyword,
                        args,
                        block: None,
                        span,
                    })),
                    span,
                }
            }
            Rule::inline_if => {
                let span = self.span(&pair);
                let mut keyword = None;
                let mut args = Vec::new();
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::kw_if => keyword = Some(self.ident(part)),
                        Rule::expr => {
                            let value = self.expr(part);
                            args.push(Arg {
                                name: None,
                                span: value.span,
                                value,
                            });
                        }
                        Rule::arg => args.push(self.arg(part)),
                        rule => unexpected(rule),
                    }
                }
                Expr {
                    kind: ExprKind::Call(Box::new(Call {
                        callee: keyword.expect("inline if starts with `if`"),
                        args,
                        block: None,
                        span,
                    })),
                    span,
                }
            }
            Rule::expr => self.expr(pair),
            rule => unexpected(rule),
        }
    }

    pub(crate) fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        // Every operator may add a level to the tree: count them before building it, so
        // that `- - - … 1` is refused before anything recurses over it.
        let operators = pair
            .clone()
            .into_inner()
            .filter(|p| p.as_rule() != Rule::term);
        let mut taken = 0;
        for operator in operators {
            taken += 1;
            if self.depth + taken > MAX_EXPR_DEPTH {
                return self.too_deep(&pair, &operator);
            }
        }
        self.depth += taken;
        let mut tokens = pair.into_inner().peekable();
        let expr = self.climb(&mut tokens, 0);
        self.depth -= taken;
        expr
    }

    /// Refuses an expression that nests deeper than [`MAX_EXPR_DEPTH`] at `at`.
    fn too_deep(&mut self, whole: &Pair<'_, Rule>, at: &Pair<'_, Rule>) -> Expr {
        let at = self.span(at);
        self.diagnostics
            .push(errors::expression_too_deep(self.file, at));
        Expr {
            kind: ExprKind::Nil,
            span: self.span(whole),
        }
    }

    /// Precedence climbing over the flat `prefix* term (infix prefix* term)*` sequence.
    fn climb<'i>(&mut self, tokens: &mut Tokens<'i>, min: u8) -> Expr {
        let mut lhs = self.unary(tokens);
        while let Some(token) = tokens.peek() {
            let (op, power, right) = binary(token.as_str());
            if power < min {
                break;
            }
            tokens.next();
            let rhs = self.climb(tokens, if right { power } else { power + 1 });
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        lhs
    }

    fn unary<'i>(&mut self, tokens: &mut Tokens<'i>) -> Expr {
        let token = tokens
            .next()
            .expect("the grammar puts a term after every operator");
        if token.as_rule() != Rule::prefix {
            return self.term(token);
        }
        let (op, operand) = if token.as_str() == "-" {
            (UnaryOp::Neg, self.unary(tokens))
        } else {
            (UnaryOp::Not, self.climb(tokens, NOT_OPERAND))
        };
        Expr {
            span: self.span(&token).to(operand.span),
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
        }
    }

    /// A primary with its member and index suffixes.
    pub(crate) fn term(&mut self, pair: Pair<'_, Rule>) -> Expr {
        // The term itself (`@x` and `&x` nest terms) and each suffix is a level.
        let mut taken = 1;
        for postfix in pair.clone().into_inner().skip(1) {
            taken += 1;
            if self.depth + taken > MAX_EXPR_DEPTH {
                return self.too_deep(&pair, &postfix);
            }
        }
        if self.depth + taken > MAX_EXPR_DEPTH {
            return self.too_deep(&pair, &pair);
        }
        self.depth += taken;
        let expr = self.suffixed(pair);
        self.depth -= taken;
        expr
    }

    fn suffixed(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut inner = pair.into_inner();
        let mut expr = self.primary(inner.next().expect("a term starts with a primary"));
        for postfix in inner {
            let span = expr.span.to(self.span(&postfix));
            let kind = match postfix.as_rule() {
                Rule::member => {
                    let field = postfix.into_inner().next().expect("member name");
                    ExprKind::Member {
                        object: Box::new(expr),
                        field: self.ident(field),
                    }
                }
                Rule::index => {
                    let index = postfix.into_inner().next().expect("index expression");
                    ExprKind::Index {
                        object: Box::new(expr),
                        index: Box::new(self.expr(index)),
                    }
                }
                rule => unexpected(rule),
            };
            expr = Expr { kind, span };
        }
        expr
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => {
                let inner = pair.into_inner().next().expect("parenthesised expression");
                return self.expr(inner);
            }
            Rule::at_term => {
                let inner = pair.into_inner().next().expect("`@` is followed by a term");
                let mut expr = self.term(inner);
                expr.span = span;
                return expr;
            }
            Rule::list => ExprKind::List(pair.into_inner().map(|p| self.expr(p)).collect()),
            Rule::placeholder => match pair.as_str()[1..].parse() {
                Ok(n) => ExprKind::Placeholder(n),
                Err(_) => {
                    self.diagnostics
                        .push(errors::bad_number(self.file, span, "argument number"));
                    ExprKind::Nil
                }
            },
            Rule::lambda => {
                let body = pair.into_inner().next().expect("lambda body");
                ExprKind::Lambda(Box::new(self.term(body)))
            }
            Rule::duration => self.duration(pair.as_str(), span),
            Rule::number => self.number(pair.as_str(), span),
            Rule::string | Rule::single_string | Rule::triple_string | Rule::escaped_string => {
                let quote = match pair.as_rule() {
                    Rule::single_string => Quote::Single,
                    Rule::triple_string => Quote::Triple,
                    _ => Quote::Double,
                };
                let body = pair.into_inner().next().expect("string body");
                let body_start = self.span(&body).start as usize;
                let (template, diagnostics) =
                    template::parse(self.file, body.as_str(), body_start, quote);
                self.diagnostics.extend(diagnostics);
                ExprKind::Str(template)
            }
            Rule::reference => {
                let mut inner = pair.clone().into_inner();
                let name = inner.next().expect("a reference starts with a name");
                match (inner.next(), name.as_str()) {
                    (Some(_), _) => ExprKind::Call(Box::new(self.call(pair, None))),
                    (None, "nil") => ExprKind::Nil,
                    (None, word) if word.eq_ignore_ascii_case("true") => ExprKind::Bool(true),
                    (None, word) if word.eq_ignore_ascii_case("false") => ExprKind::Bool(false),
                    (None, word) => ExprKind::Name(word.to_owned()),
                }
            }
            rule => unexpected(rule),
        };
        Expr { kind, span }
    }

    fn duration(&mut self, text: &str, span: Span) -> ExprKind {
        let (digits, unit) = text.split_at(text.len() - 1);
        let unit_seconds: u64 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => 604_800,
        };
        match digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_seconds))
        {
            Some(seconds) => ExprKind::Duration(seconds),
            None => {
                self.diagnostics
                    .push(errors::bad_number(self.file, span, "duration"));
                ExprKind::Nil
            }
        }
    }

    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        let digits: String = text.chars().filter(|&c| c != '_').collect();
        if digits.contains('.') {
            match digits.parse::<f64>() {
                Ok(value) if value.is_finite() => ExprKind::Float(value),
                _ => {
                    self.diagnostics
                        .push(errors::bad_number(self.file, span, "number"));
                    ExprKind::Nil
                }
            }
        } else {
            match digits.parse::<i64>() {
                Ok(value) => ExprKind::Int(value),
                Err(_) => {
                    self.diagnostics
                        .push(errors::bad_number(self.file, span, "whole number"));
                    ExprKind::Nil
                }
            }
        }
    }

    fn call(&mut self, pair: Pair<'_, Rule>, block: Option<Vec<Stmt>>) -> Call {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let callee = self.ident(inner.next().expect("callee name"));
        let args = inner
            .next()
            .map(|args| args.into_inner().map(|a| self.arg(a)).collect())
            .unwrap_or_default();
        Call {
            callee,
            args,
            block,
            span,
        }
    }

    fn arg(&mut self, pair: Pair<'_, Rule>) -> Arg {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::arg_name => {
                    let ident = part.into_inner().next().expect("argument name");
                    name = Some(self.ident(ident));
                }
                Rule::expr => value = Some(self.expr(part)),
                rule => unexpected(rule),
            }
        }
        Arg {
            name,
            value: value.expect("an argument has a value"),
            span,
        }
    }
}

/// The grammar and this builder disagree: a bug in this crate, not in the input.
fn unexpected(rule: Rule) -> ! {
    panic!("the AST builder met an unexpected {rule:?}: grammar and builder disagree")
}

#[cfg(test)]
mod tests {
    use journey_diagnostics::{FileId, Severity};

    use super::MAX_EXPR_DEPTH;

    /// The errors of a one-card journey assigning `value`, and where `value` starts.
    fn errors(value: &str) -> (Vec<(String, usize)>, usize) {
        let text = format!("card Start do\n  x = {value}\n  text(\"@x\")\nend\n");
        let parsed = crate::parse_journey(FileId(0), &text);
        let errors = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.message.clone(), d.span().range().start))
            .collect();
        (errors, text.find(" = ").unwrap() + 3)
    }

    #[test]
    fn deep_expressions_are_refused_at_the_operator_past_the_limit() {
        for (value, first_operator, width) in [
            (format!("{}1", "-".repeat(20_000)), 0, 1),
            (format!("{}true", "not ".repeat(30_000)), 0, 4),
            (format!("contact{}", ".a".repeat(30_000)), 7, 2),
            (format!("1{}", " + 1".repeat(20_000)), 2, 4),
        ] {
            let (errors, start) = errors(&value);
            let expected =
                format!("this expression nests more than {MAX_EXPR_DEPTH} operators deep");
            assert_eq!(errors.len(), 1, "{}…: {errors:?}", &value[..12]);
            assert_eq!(errors[0].0, expected);
            // Past the limit, counting the operators from the first.
            let at = errors[0].1 - start;
            assert!(
                at >= first_operator + (MAX_EXPR_DEPTH - 2) * width,
                "{}…: at {at}",
                &value[..12]
            );
            assert!(
                at <= first_operator + MAX_EXPR_DEPTH * width,
                "{}…: at {at}",
                &value[..12]
            );
        }
    }

    #[test]
    fn expressions_within_the_limit_parse() {
        let sum = format!("1{}", " + 1".repeat(MAX_EXPR_DEPTH - 2));
        let negations = format!("{}1", "-".repeat(MAX_EXPR_DEPTH - 2));
        for value in [sum, negations] {
            assert_eq!(errors(&value).0, Vec::new());
        }
    }
}
