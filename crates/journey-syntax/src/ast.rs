//! The syntax tree. Every node carries the byte span it came from, relative to the
//! start of its source file (for notebooks: of the whole markdown file).

use journey_diagnostics::Span;
use serde::{Deserialize, Serialize};

/// A parsed source file: one or more journeys, plus the notebook's config tables.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub journeys: Vec<Journey>,
    /// `| Key | Value |` rows of a notebook's dictionary cells (`config.items.<key>`).
    pub config: Vec<ConfigEntry>,
    /// A notebook's data tables (`<name>.rows`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<DataTable>,
    /// Read from a Turn notebook: lowered with Turn's behaviour where a `.journey` file's
    /// differs by design (docs/import.md lists each difference).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub turn: bool,
}

/// `stack Name do … end`, `journey Name do … end`, or the implicit journey formed by
/// the top-level items of a file (its `name` is then `None` and the file stem names it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub name: Option<Ident>,
    pub span: Span,
    pub items: Vec<Item>,
}

impl Journey {
    pub fn cards(&self) -> impl Iterator<Item = &Card> {
        self.items.iter().filter_map(|item| match item {
            Item::Card(card) => Some(card),
            Item::Setting(_) => None,
        })
    }

    pub fn settings(&self) -> impl Iterator<Item = &Setting> {
        self.items.iter().filter_map(|item| match item {
            Item::Setting(setting) => Some(setting),
            Item::Card(_) => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Item {
    Card(Card),
    Setting(Setting),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Card(card) => card.span,
            Item::Setting(setting) => setting.span,
        }
    }
}

/// A journey-level call: `trigger(...) when <expr>`, `interrupt(...)`,
/// `interaction_timeout(300)`. The model decides what each name means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub call: Call,
    pub guard: Option<Expr>,
    pub span: Span,
}

/// `card Name [when <guard>][, "Label"][, then: Next][, escalation: "phone"] do … end`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub name: Ident,
    pub guard: Option<Expr>,
    /// Positional and named header options (`"Display label"`, `then:`, `escalation:`).
    pub options: Vec<Arg>,
    pub body: Vec<Stmt>,
    pub span: Span,
    /// `card Name … do`: what diagnostics about the card as a whole point at.
    pub header_span: Span,
    /// The card could not be parsed; only its name is known. Later passes treat it
    /// as opaque so one syntax error does not cascade into unknown-card errors.
    pub recovered: bool,
}

impl Card {
    pub fn option(&self, name: &str) -> Option<&Expr> {
        self.options
            .iter()
            .find(|arg| arg.name.as_ref().is_some_and(|n| n.name == name))
            .map(|arg| &arg.value)
    }

    /// The display label: the first positional header option.
    pub fn label(&self) -> Option<&Expr> {
        self.options
            .iter()
            .find(|arg| arg.name.is_none())
            .map(|arg| &arg.value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

impl Stmt {
    /// The call of a statement line: `call(…)` or `x = call(…)`.
    pub fn call(&self) -> Option<&Call> {
        match &self.kind {
            StmtKind::Expr(Expr {
                kind: ExprKind::Call(call),
                ..
            })
            | StmtKind::Assign {
                value:
                    Expr {
                        kind: ExprKind::Call(call),
                        ..
                    },
                ..
            } => Some(call),
            _ => None,
        }
    }

    /// [`Stmt::call`], to change.
    pub fn call_mut(&mut self) -> Option<&mut Call> {
        match &mut self.kind {
            StmtKind::Expr(Expr {
                kind: ExprKind::Call(call),
                ..
            })
            | StmtKind::Assign {
                value:
                    Expr {
                        kind: ExprKind::Call(call),
                        ..
                    },
                ..
            } => Some(call),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StmtKind {
    /// `name = <expr>`
    Assign { target: Ident, value: Expr },
    /// A call (or any expression) evaluated for its effect.
    Expr(Expr),
    /// `then(Target)` or `then(Target when <expr>)`.
    Then { target: Ident, guard: Option<Expr> },
}

/// The children of an expression, shared or mutable (`iter`/`iter_mut` and `mut`).
macro_rules! children {
    ($kind:expr, $f:ident, $iter:ident, $($mutability:tt)?) => {
        match $kind {
            ExprKind::Str(template) => {
                for part in template.parts.$iter() {
                    if let TemplatePart::Interp(inner) = part {
                        $f(inner);
                    }
                }
            }
            ExprKind::List(items) => items.$iter().for_each($f),
            ExprKind::Member { object, .. } => $f(object),
            ExprKind::Index { object, index } => {
                $f(object);
                $f(index);
            }
            ExprKind::Call(call) => call.args.$iter().for_each(|arg| $f(&$($mutability)? arg.value)),
            ExprKind::Unary { operand, .. } => $f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                $f(lhs);
                $f(rhs);
            }
            ExprKind::Lambda(body) => $f(body),
            ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Duration(_)
            | ExprKind::Name(_)
            | ExprKind::Placeholder(_) => {}
        }
    };
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in source order: the
    /// interpolations of a string, list items, operands, a call's argument values, a
    /// lambda's body. The one place that knows the shape of every expression, for the
    /// walkers of the checker, the lowering, the importer and the playbook rewriter.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        children!(&self.kind, f, iter,);
    }

    /// [`Expr::for_each_child`], for rewriting.
    pub fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut Expr)) {
        children!(&mut self.kind, f, iter_mut, mut);
    }

    /// The text of a string without interpolation (`"stop"`), which is known without
    /// running the journey.
    pub fn literal_text(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(template) => template.as_literal(),
            _ => None,
        }
    }

    /// The literal texts of a list (`["stop", "unsubscribe"]`), or of a single string.
    pub fn literal_texts(&self) -> Vec<String> {
        match &self.kind {
            ExprKind::List(items) => items.iter().filter_map(Expr::literal_text).collect(),
            _ => self.literal_text().into_iter().collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `30m`, `23h`, `7d`, in seconds.
    Duration(u64),
    Str(Template),
    List(Vec<Expr>),
    /// A bare name: a run variable, a context root (`contact`, `event`, …) or a card.
    Name(String),
    Member {
        object: Box<Expr>,
        field: Ident,
    },
    Index {
        object: Box<Expr>,
        index: Box<Expr>,
    },
    Call(Box<Call>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `&(&1 + 1)`: an anonymous function of its placeholders.
    Lambda(Box<Expr>),
    /// `&1`, `&2`, … inside a lambda.
    Placeholder(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Range,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::Range => "..",
            BinaryOp::Concat => "&",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
        }
    }
}

/// `name(args) [do … end]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub callee: Ident,
    pub args: Vec<Arg>,
    /// The `do … end` body of `buttons`/`list`.
    pub block: Option<Vec<Stmt>>,
    pub span: Span,
}

impl Call {
    pub fn positional(&self) -> impl Iterator<Item = &Expr> {
        self.args
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| &a.value)
    }

    pub fn named(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == name))
    }
}

/// A positional (`expr`) or named (`name: expr`) argument.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

/// A string literal, split into literal text and `@` interpolations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub quote: Quote,
}

impl Template {
    /// The text when the string has no interpolation, as it is sent.
    pub fn as_literal(&self) -> Option<String> {
        let mut text = String::new();
        for index in 0..self.parts.len() {
            text.push_str(&self.text_as_sent(index)?);
        }
        Some(text)
    }

    /// Literal part `index` as it is sent (`None` for an interpolation). A `"""` string
    /// opened by a line break is a heredoc, as in Turn (Elixir): the line breaks after
    /// the opening `"""` and before the closing one are not part of the text, and the
    /// closing line's indentation is removed from every line, so the text can be
    /// indented with the code around it.
    pub fn text_as_sent(&self, index: usize) -> Option<std::borrow::Cow<'_, str>> {
        let TemplatePart::Text { value, .. } = self.parts.get(index)? else {
            return None;
        };
        Some(match self.heredoc_indent() {
            Some(indent) => std::borrow::Cow::Owned(heredoc_part(
                value,
                index == 0,
                index + 1 == self.parts.len(),
                indent,
            )),
            None => std::borrow::Cow::Borrowed(value),
        })
    }

    /// The indentation of a heredoc's closing line, or `None` when this is not one.
    fn heredoc_indent(&self) -> Option<usize> {
        let blank = |c: char| c == ' ' || c == '\t';
        if self.quote != Quote::Triple {
            return None;
        }
        let Some(TemplatePart::Text { value: first, .. }) = self.parts.first() else {
            return None;
        };
        let (opening, _) = first.split_once('\n')?;
        let Some(TemplatePart::Text { value: last, .. }) = self.parts.last() else {
            return None;
        };
        let (_, closing) = last.rsplit_once('\n')?;
        (opening.chars().all(blank) && closing.chars().all(blank)).then_some(closing.len())
    }
}

/// One literal part of a heredoc: without the opening line (in the first part) and the
/// closing one (in the last), each line losing up to `indent` leading blanks.
fn heredoc_part(value: &str, first: bool, last: bool, indent: usize) -> String {
    let mut rest = value;
    if first {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    if last {
        rest = rest.rsplit_once('\n').map_or("", |(before, _)| before);
    }
    let mut out = String::with_capacity(rest.len());
    for (n, line) in rest.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        // A part that starts mid-line (after an interpolation) keeps its start.
        if n > 0 || first {
            let blanks = line
                .bytes()
                .take(indent)
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
            out.push_str(&line[blanks..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quote {
    Double,
    Single,
    Triple,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TemplatePart {
    /// Literal text with escapes resolved (`@@` is already a single `@`).
    Text { value: String, span: Span },
    /// `@contact.name`, `@fn(x)` or `@(expr)`.
    Interp(Expr),
}

/// One row of a notebook dictionary cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEntry {
    pub dictionary: String,
    pub key: String,
    pub value: String,
    pub span: Span,
}

/// A notebook table cell (`<!-- table: "quizzes" … -->` and a markdown table), read by
/// journeys as `quizzes.rows`: one map per row, keyed by the column names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use journey_diagnostics::FileId;

    use super::{ExprKind, Template};

    fn template(source: &str) -> Template {
        match crate::parse_expr(FileId(0), source).expect("parses").kind {
            ExprKind::Str(template) => template,
            other => panic!("{other:?}"),
        }
    }

    /// The literal parts as sent, with `{}` for each interpolation.
    fn sent(source: &str) -> String {
        let template = template(source);
        (0..template.parts.len())
            .map(|i| {
                template
                    .text_as_sent(i)
                    .map_or("{}".into(), |t| t.into_owned())
            })
            .collect()
    }

    #[test]
    fn a_heredoc_loses_its_opening_and_closing_lines_and_the_closing_indentation() {
        let heredoc = "\"\"\"\n      *How can I help?*\n        - tips\n      \"\"\"";
        assert_eq!(sent(heredoc), "*How can I help?*\n  - tips");
        let with_values = "\"\"\"  \n    @title\n    Hi @name, bye\n    \"\"\"";
        assert_eq!(sent(with_values), "{}\nHi {}, bye");
        assert_eq!(sent("\"\"\"\n  \"\"\""), "");
    }

    #[test]
    fn other_strings_are_sent_as_written() {
        for (source, text) in [
            ("\"\"\"a \"quoted\" word\"\"\"", "a \"quoted\" word"),
            ("\"\"\"one\n  two\"\"\"", "one\n  two"),
            ("\"\"\"\n  text ends here\"\"\"", "\n  text ends here"),
            ("\"  spaced\\n  \"", "  spaced\n  "),
        ] {
            assert_eq!(sent(source), text, "{source}");
        }
    }
}
