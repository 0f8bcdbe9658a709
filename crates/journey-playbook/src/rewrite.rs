//! Span-based edits of a playbook's journeys: parameters filled in and journeys renamed.
//! The edits replace only the bytes of the expressions they change, so the author's
//! comments and layout survive (the AST printer would drop comments).

use std::collections::{BTreeMap, BTreeSet};

use journey_diagnostics::{FileId, Span};
use journey_model::{CompiledJourney, JourneyRef, SourceModule, StepKind, Target};
use journey_syntax::{Call, Expr, ExprKind, Item, Module, Quote, Stmt, StmtKind, TemplatePart};

use crate::params::{ParamValue, escape};

/// Journeys read a parameter as `global.playbook.NAME`.
pub const PARAMETER_ROOT: &str = "playbook";

/// Replace the bytes of `span` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) span: Span,
    pub(crate) text: String,
}

/// Applies edits that do not overlap, from the last to the first.
pub(crate) fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    edits.dedup();
    let mut out = text.to_owned();
    for edit in edits {
        out.replace_range(edit.span.range(), &edit.text);
    }
    out
}

/// A place where a journey reads a parameter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ParameterUse {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) place: Place,
}

/// Where a parameter is read, which decides how its value is written there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Place {
    /// An expression: the value goes in as a literal (`"text"`, `3`, `2h`).
    Code,
    /// A whole `@global.playbook.NAME` in a string: the value goes in as text.
    Text(Quote),
    /// Inside a larger interpolation (`@(upper(global.playbook.x))`): a quoted
    /// literal cannot go inside a string, so this is refused.
    InsideInterpolation,
}

/// Every `global.playbook.NAME` in a module.
pub(crate) fn parameter_uses(module: &Module, text: &str) -> Vec<ParameterUse> {
    let mut walk = Walk {
        text,
        found: Vec::new(),
    };
    for journey in &module.journeys {
        for item in &journey.items {
            match item {
                Item::Card(card) => {
                    walk.opt(card.guard.as_ref(), Place::Code);
                    for arg in &card.options {
                        walk.expr(&arg.value, Place::Code);
                    }
                    walk.stmts(&card.body);
                }
                Item::Setting(setting) => {
                    walk.call(&setting.call, Place::Code);
                    walk.opt(setting.guard.as_ref(), Place::Code);
                }
            }
        }
    }
    walk.found
}

struct Walk<'t> {
    text: &'t str,
    found: Vec<ParameterUse>,
}

impl Walk<'_> {
    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Assign { value, .. } | StmtKind::Expr(value) => {
                    self.expr(value, Place::Code);
                }
                StmtKind::Then { guard, .. } => self.opt(guard.as_ref(), Place::Code),
            }
        }
    }

    fn opt(&mut self, expr: Option<&Expr>, place: Place) {
        if let Some(expr) = expr {
            self.expr(expr, place);
        }
    }

    fn call(&mut self, call: &Call, place: Place) {
        for arg in &call.args {
            self.expr(&arg.value, place);
        }
        if let Some(block) = &call.block {
            self.stmts(block);
        }
    }

    fn expr(&mut self, expr: &Expr, place: Place) {
        if let Some(name) = parameter_name(expr) {
            self.found.push(ParameterUse {
                name,
                span: expr.span,
                place,
            });
            return;
        }
        match &expr.kind {
            ExprKind::Str(template) => {
                for part in &template.parts {
                    let TemplatePart::Interp(inner) = part else {
                        continue;
                    };
                    match parameter_name(inner) {
                        Some(name) => self.found.push(ParameterUse {
                            name,
                            span: interpolation_span(self.text, inner.span),
                            place: Place::Text(template.quote),
                        }),
                        None => self.expr(inner, Place::InsideInterpolation),
                    }
                }
            }
            // A call's `do … end` block holds statements too.
            ExprKind::Call(call) => self.call(call, place),
            _ => expr.for_each_child(|child| self.expr(child, place)),
        }
    }
}

/// Every `secret(…)` a module reads: the name (`None` when it is computed) and where.
pub fn secret_reads(module: &Module) -> Vec<(Option<String>, Span)> {
    fn expr(e: &Expr, found: &mut Vec<(Option<String>, Span)>) {
        if let ExprKind::Call(call) = &e.kind {
            if call.callee.name == "secret" {
                let name = call.args.first().and_then(|a| a.value.literal_text());
                found.push((name, e.span));
            }
            call.block.iter().for_each(|b| stmts(b, found));
        }
        e.for_each_child(|child| expr(child, found));
    }
    fn stmts(body: &[Stmt], found: &mut Vec<(Option<String>, Span)>) {
        for stmt in body {
            match &stmt.kind {
                StmtKind::Assign { value, .. } | StmtKind::Expr(value) => expr(value, found),
                StmtKind::Then { guard, .. } => guard.iter().for_each(|g| expr(g, found)),
            }
        }
    }
    let mut found = Vec::new();
    for journey in &module.journeys {
        for item in &journey.items {
            match item {
                Item::Card(card) => {
                    card.guard.iter().for_each(|g| expr(g, &mut found));
                    card.options.iter().for_each(|a| expr(&a.value, &mut found));
                    stmts(&card.body, &mut found);
                }
                Item::Setting(setting) => {
                    setting
                        .call
                        .args
                        .iter()
                        .for_each(|a| expr(&a.value, &mut found));
                    setting.guard.iter().for_each(|g| expr(g, &mut found));
                }
            }
        }
    }
    found
}

/// `NAME` of `global.playbook.NAME`.
fn parameter_name(expr: &Expr) -> Option<String> {
    let ExprKind::Member { object, field } = &expr.kind else {
        return None;
    };
    let ExprKind::Member {
        object: root,
        field: dictionary,
    } = &object.kind
    else {
        return None;
    };
    let is_global = matches!(&root.kind, ExprKind::Name(name) if name == "global");
    (is_global && dictionary.name == PARAMETER_ROOT).then(|| field.name.clone())
}

/// The whole interpolation around an expression: `@global.playbook.x` or
/// `@(global.playbook.x)`, from the `@` to the closing parenthesis.
fn interpolation_span(text: &str, inner: Span) -> Span {
    let (inner_start, inner_end) = (inner.range().start, inner.range().end);
    let before = &text[..inner_start];
    let open = before.trim_end();
    let (start, parenthesised) = match open.strip_suffix('(') {
        Some(rest) if rest.trim_end().ends_with('@') => (rest.trim_end().len() - 1, true),
        _ if open.ends_with('@') => (open.len() - 1, false),
        _ => return inner,
    };
    let mut end = inner_end;
    if parenthesised {
        let after = &text[inner_end..];
        let skipped = after.len() - after.trim_start().len();
        if after.trim_start().starts_with(')') {
            end = inner_end + skipped + 1;
        }
    }
    Span::new(start, end)
}

/// The edits that write each filled parameter's value where the journeys read it.
/// Parameters without a value stay as they are: the journeys read them as globals.
pub(crate) fn fill_parameters(
    uses: &[ParameterUse],
    values: &BTreeMap<String, ParamValue>,
) -> Vec<Edit> {
    uses.iter()
        .filter_map(|u| {
            let value = values.get(&u.name)?;
            let text = match u.place {
                Place::Code => value.as_code(),
                Place::Text(quote) => escape(&value.as_text(), quote),
                Place::InsideInterpolation => return None,
            };
            Some(Edit { span: u.span, text })
        })
        .collect()
}

/// One journey file of a playbook, parsed.
pub(crate) struct JourneyFile<'a> {
    pub(crate) file: FileId,
    pub(crate) text: &'a str,
    pub(crate) module: &'a Module,
    pub(crate) stem: String,
}

/// The edits that rename the playbook's journeys: `stack Name` and every reference
/// the compiler resolved to one of them (`run_stack`, `schedule_stack`, `schedule`,
/// `cancel_scheduled`, by name or in quotes), per file.
pub(crate) fn rename_journeys(
    files: &[JourneyFile<'_>],
    renames: &BTreeMap<String, String>,
) -> BTreeMap<FileId, Vec<Edit>> {
    let mut edits: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    for file in files {
        for journey in &file.module.journeys {
            if let Some(ident) = &journey.name
                && let Some(new) = renames.get(&ident.name)
            {
                edits.entry(file.file).or_default().push(Edit {
                    span: ident.span,
                    text: new.clone(),
                });
            }
        }
    }
    for journey in compile(files) {
        let Some(file) = files.iter().find(|f| f.file == journey.file) else {
            continue;
        };
        for reference in journey_refs(&journey) {
            let Some(new) = renames.get(&reference.name).filter(|_| reference.resolved) else {
                continue;
            };
            let written = &file.text[reference.span.range()];
            let text = if written.starts_with(['"', '\'']) {
                format!("\"{new}\"")
            } else {
                new.clone()
            };
            edits.entry(file.file).or_default().push(Edit {
                span: reference.span,
                text,
            });
        }
    }
    edits
}

/// The names of the journeys the files define.
pub(crate) fn journey_names(files: &[JourneyFile<'_>]) -> BTreeSet<String> {
    files
        .iter()
        .flat_map(|f| {
            f.module.journeys.iter().map(|j| {
                j.name
                    .as_ref()
                    .map_or_else(|| f.stem.clone(), |i| i.name.clone())
            })
        })
        .collect()
}

fn compile(files: &[JourneyFile<'_>]) -> Vec<CompiledJourney> {
    let modules: Vec<SourceModule<'_>> = files
        .iter()
        .map(|f| SourceModule {
            file: f.file,
            default_name: f.stem.clone(),
            module: f.module,
            text: f.text,
            has_syntax_errors: false,
        })
        .collect();
    journey_model::compile(&modules, journey_model::ProjectIndex::default())
}

fn journey_refs(journey: &CompiledJourney) -> Vec<&JourneyRef> {
    journey
        .graph
        .node_weights()
        .filter_map(|step| match &step.kind {
            StepKind::RunJourney { journey } => Some(journey),
            StepKind::Schedule {
                target: Target::Journey(journey),
                ..
            }
            | StepKind::Cancel {
                target: Some(Target::Journey(journey)),
            } => Some(journey),
            _ => None,
        })
        .collect()
}
