//! The studio's edit operations (`journey_analysis::edit`) over every journey file and
//! notebook we have (`examples/`, `playbooks/`, `tests/fixtures/`, and the Turn
//! corpus in `../shared/corpus/`), on random cards, statements and options: the result
//! parses; cards the operation did not touch are byte-identical; no comment is lost
//! but those inside what was removed; and the operation's inverse gives back the
//! original bytes (or, where the inverse re-prints removed code, the same tree).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use journey_analysis::AnalysisHost;
use journey_analysis::edit::{ArgKey, EditError, EditOp, Exit, StatementAt};
use journey_diagnostics::{FileId, Severity};
use journey_model::builtins;
use journey_syntax::{Call, Card, Expr, ExprKind, Module, Parsed, Stmt, StmtKind, comment_texts};
use journey_tests::{repo_root, shared_corpus};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A file of the repository or the corpus: its project-relative path and text.
struct Source {
    path: String,
    text: String,
}

fn parse(path: &str, text: &str) -> Parsed {
    if path.ends_with(".md") {
        journey_syntax::parse_notebook(FileId(0), text)
    } else {
        journey_syntax::parse_journey(FileId(0), text)
    }
}

fn clean(parsed: &Parsed) -> bool {
    !parsed
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
}

fn sources() -> Vec<Source> {
    let root = repo_root();
    let mut files = Vec::new();
    let mut add = |dir: &Path, base: &Path, notebooks: bool| {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.expect("readable directory");
            let path = entry.path();
            let wanted = match path.extension().and_then(|e| e.to_str()) {
                Some("journey") => true,
                Some("md") => notebooks,
                _ => false,
            };
            if wanted {
                let relative = path.strip_prefix(base).unwrap_or(path);
                files.push(Source {
                    path: relative.to_string_lossy().replace('\\', "/"),
                    text: std::fs::read_to_string(path).expect("readable file"),
                });
            }
        }
    };
    for dir in ["examples", "playbooks"] {
        add(&root.join(dir), &root, false);
    }
    // Every fixture that parses (those of tests/fixtures/invalid mostly do not).
    add(&root.join("tests/fixtures"), &root, true);
    for folder in ["turn-contentrepo", "turn-platform-mnch"] {
        if let Some(corpus) = shared_corpus(folder) {
            add(&corpus, &corpus, true);
        }
    }
    files
}

/// How exactly an inverse must restore the original.
#[derive(Clone, Copy, PartialEq)]
enum Restores {
    Bytes,
    /// It prints removed code anew, in the canonical layout: the same tree.
    Tree,
}

struct Case {
    kind: &'static str,
    op: EditOp,
    inverse: Option<(EditOp, Restores)>,
    /// Cards whose text the operation may change.
    touched: Vec<String>,
}

/// Cards by (journey, name, definition): their text.
fn cards(path: &str, module: &Module, text: &str) -> BTreeMap<(String, String, usize), String> {
    let mut out = BTreeMap::new();
    for journey in &module.journeys {
        let name = journey_name(path, journey);
        for card in journey.cards() {
            let n = (0..)
                .find(|n| !out.contains_key(&(name.clone(), card.name.name.clone(), *n)))
                .expect("a free index");
            out.insert(
                (name.clone(), card.name.name.clone(), n),
                text[card.span.range()].to_owned(),
            );
        }
    }
    out
}

fn journey_name(path: &str, journey: &journey_syntax::Journey) -> String {
    match &journey.name {
        Some(name) => name.name.clone(),
        None => {
            let file = path.rsplit('/').next().unwrap_or(path);
            file.rsplit_once('.')
                .map_or(file, |(stem, _)| stem)
                .to_owned()
        }
    }
}

fn call_of(stmt: &Stmt) -> Option<&Call> {
    match &stmt.kind {
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

/// A menu's options: the card each leads to, and its label (`Card: "Label"`).
type Options<'a> = Vec<(String, Option<&'a Expr>)>;

/// A menu's options: `Card: "Label"` arguments or a list of cards.
fn options<'a>(call: &'a Call, text: &'a str) -> Option<Options<'a>> {
    let cards = |list: &Expr| match &list.kind {
        ExprKind::List(items) => items
            .iter()
            .map(|item| match &item.kind {
                ExprKind::Name(name) if text[item.span.range()] == **name => {
                    Some((name.clone(), None))
                }
                _ => None,
            })
            .collect(),
        _ => None,
    };
    match call.callee.name.as_str() {
        name @ ("buttons" | "list") => {
            let builtin = builtins::lookup(name)?;
            let mut positional: Vec<&Expr> = call.positional().collect();
            if name == "list" && !positional.is_empty() {
                positional.remove(0);
            }
            match positional.as_slice() {
                [] => Some(
                    call.args
                        .iter()
                        .filter_map(|a| {
                            let n = a.name.as_ref()?;
                            builtin
                                .named_param(&n.name)
                                .is_none()
                                .then(|| (n.name.clone(), Some(&a.value)))
                        })
                        .collect(),
                ),
                [list] => cards(list),
                _ => None,
            }
        }
        "send_message_template" => cards(&call.named("buttons")?.value),
        _ => None,
    }
}

struct Picker<'a> {
    rng: fastrand::Rng,
    path: &'a str,
    text: &'a str,
}

impl Picker<'_> {
    fn below(&mut self, n: usize) -> usize {
        self.rng.usize(0..n.max(1))
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }

    fn file(&self) -> String {
        self.path.to_owned()
    }

    /// One random operation on `module`, with its inverse.
    fn case(&mut self, module: &Module) -> Option<Case> {
        let journeys: Vec<_> = module
            .journeys
            .iter()
            .filter(|j| j.cards().next().is_some())
            .collect();
        let journey = *self.pick(&journeys)?;
        let jname = journey_name(self.path, journey);
        let all: Vec<&Card> = journey.cards().collect();
        let kind = self.below(16);
        // Menus are rare: the option operations pick among the cards that have one.
        let candidates: Vec<&Card> = match kind {
            13 | 14 => all
                .iter()
                .copied()
                .filter(|c| has_menu(c, self.text))
                .collect(),
            _ => all.clone(),
        };
        let card = *self.pick(&candidates)?;
        let name = card.name.name.clone();
        let definitions: Vec<&Card> = all
            .iter()
            .copied()
            .filter(|c| c.name.name == name)
            .collect();
        let definition = self.below(definitions.len());
        let def = definitions[definition];
        let names: Vec<String> = all.iter().map(|c| c.name.name.clone()).collect();
        let other = self.pick(&names)?.clone();
        let at = |statement: usize, inner: Option<usize>| StatementAt {
            journey: jname.clone(),
            card: name.clone(),
            definition,
            statement,
            inner,
        };
        let file = self.file();
        let touched = vec![name.clone()];
        // Statements with a call, and those holding a menu's options.
        let mut calls: Vec<(StatementAt, &Call)> = Vec::new();
        for (i, stmt) in def.body.iter().enumerate() {
            if let Some(call) = call_of(stmt) {
                calls.push((at(i, None), call));
                for (j, inner) in call.block.iter().flatten().enumerate() {
                    if let Some(call) = call_of(inner) {
                        calls.push((at(i, Some(j)), call));
                    }
                }
            }
        }
        let menus: Vec<(StatementAt, &Call, Options<'_>)> = calls
            .iter()
            .filter_map(|(at, call)| Some((at.clone(), *call, options(call, self.text)?)))
            .collect();
        let source = |span: journey_diagnostics::Span| self.text[span.range()].to_owned();
        Some(match kind {
            0 => Case {
                kind: "rename_card",
                op: EditOp::RenameCard {
                    file: file.clone(),
                    journey: jname.clone(),
                    card: name.clone(),
                    new_name: format!("{name}Renamed"),
                },
                inverse: Some((
                    EditOp::RenameCard {
                        file,
                        journey: jname,
                        card: format!("{name}Renamed"),
                        new_name: name.clone(),
                    },
                    Restores::Bytes,
                )),
                touched: names
                    .iter()
                    .filter(|n| {
                        all.iter().any(|c| {
                            c.name.name == **n && mentions(&self.text[c.span.range()], &name)
                        })
                    })
                    .cloned()
                    .collect(),
            },
            1 => {
                let after = (self.below(2) == 0).then(|| other.clone());
                let body = (self.below(2) == 0).then(|| "text(\"Added\")\nthen(Added)".to_owned());
                Case {
                    kind: "add_card",
                    op: EditOp::AddCard {
                        file: file.clone(),
                        journey: jname.clone(),
                        name: "Added".into(),
                        after,
                        body,
                    },
                    inverse: Some((
                        EditOp::DeleteCard {
                            file,
                            journey: jname,
                            card: "Added".into(),
                        },
                        Restores::Bytes,
                    )),
                    touched: vec![],
                }
            }
            2 => Case {
                kind: "duplicate_card",
                op: EditOp::DuplicateCard {
                    file: file.clone(),
                    journey: jname.clone(),
                    card: name.clone(),
                    new_name: "Copy".into(),
                },
                inverse: Some((
                    EditOp::DeleteCard {
                        file,
                        journey: jname,
                        card: "Copy".into(),
                    },
                    Restores::Bytes,
                )),
                touched: vec![],
            },
            3 => {
                let index = self.below(definitions.len() + 1);
                Case {
                    kind: "add_definition",
                    op: EditOp::AddDefinition {
                        file: file.clone(),
                        journey: jname.clone(),
                        card: name.clone(),
                        guard: "contact.age > 17".into(),
                        index: Some(index),
                        body: Some("log(\"adult\")".into()),
                    },
                    inverse: Some((
                        EditOp::RemoveDefinition {
                            file,
                            journey: jname,
                            card: name,
                            definition: index,
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            4 => Case {
                kind: "delete_card",
                op: EditOp::DeleteCard {
                    file,
                    journey: jname,
                    card: name,
                },
                inverse: None,
                touched,
            },
            5 => Case {
                kind: "remove_definition",
                op: EditOp::RemoveDefinition {
                    file,
                    journey: jname,
                    card: name,
                    definition,
                },
                inverse: None,
                touched,
            },
            6 => {
                let index = self.below(def.body.len() + 1);
                Case {
                    kind: "add_statement",
                    op: EditOp::AddStatement {
                        file: file.clone(),
                        at: at(index, None),
                        source: "log(\"added\")".into(),
                    },
                    inverse: Some((
                        EditOp::RemoveStatement {
                            file,
                            at: at(index, None),
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            7 => {
                let index = self.below(def.body.len());
                let stmt = def.body.get(index)?;
                Case {
                    kind: "remove_statement",
                    op: EditOp::RemoveStatement {
                        file: file.clone(),
                        at: at(index, None),
                    },
                    inverse: Some((
                        EditOp::AddStatement {
                            file,
                            at: at(index, None),
                            source: source(stmt.span),
                        },
                        Restores::Tree,
                    )),
                    touched,
                }
            }
            8 => {
                let (at, call) = self.pick(&calls)?.clone();
                let position = self.below(call.args.len());
                let arg = call.args.get(position)?;
                let key = match &arg.name {
                    Some(n) => ArgKey::Name(n.name.clone()),
                    None => ArgKey::Position(
                        call.args[..position]
                            .iter()
                            .filter(|a| a.name.is_none())
                            .count(),
                    ),
                };
                Case {
                    kind: "set_argument",
                    op: EditOp::SetArgument {
                        file: file.clone(),
                        at: at.clone(),
                        arg: key.clone(),
                        value: "nil".into(),
                    },
                    inverse: Some((
                        EditOp::SetArgument {
                            file,
                            at,
                            arg: key,
                            value: source(arg.value.span),
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            9 => {
                let (at, call) = self.pick(&calls)?.clone();
                if call.named("note_added").is_some() {
                    return None;
                }
                let key = ArgKey::Name("note_added".into());
                Case {
                    kind: "add_argument",
                    op: EditOp::SetArgument {
                        file: file.clone(),
                        at: at.clone(),
                        arg: key.clone(),
                        value: "1".into(),
                    },
                    inverse: Some((
                        EditOp::ClearArgument { file, at, arg: key },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            10 => {
                let (at, call) = self.pick(&calls)?.clone();
                let last = call.args.last()?;
                let name = last.name.as_ref()?.name.clone();
                // A name given twice is cleared at its first place.
                if call
                    .args
                    .iter()
                    .filter(|a| a.name.as_ref().is_some_and(|n| n.name == name))
                    .count()
                    > 1
                {
                    return None;
                }
                Case {
                    kind: "clear_argument",
                    op: EditOp::ClearArgument {
                        file: file.clone(),
                        at: at.clone(),
                        arg: ArgKey::Name(name.clone()),
                    },
                    inverse: Some((
                        EditOp::SetArgument {
                            file,
                            at,
                            arg: ArgKey::Name(name),
                            value: source(last.value.span),
                        },
                        Restores::Tree,
                    )),
                    touched,
                }
            }
            11 => {
                let (at, call) = self.pick(&calls)?.clone();
                let first = call.positional().next()?;
                first.literal_text()?;
                Case {
                    kind: "set_text",
                    op: EditOp::SetText {
                        file: file.clone(),
                        at: at.clone(),
                        text: "Changed \"text\"\nwith @contact.name and a\\backslash".into(),
                    },
                    inverse: Some((
                        EditOp::SetArgument {
                            file,
                            at,
                            arg: ArgKey::Position(0),
                            value: source(first.span),
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            12 => {
                let (at, call) = self.pick(&calls)?.clone();
                if !builtins::lookup(&call.callee.name).is_some_and(|b| b.translations)
                    || call.named("zu").is_some()
                {
                    return None;
                }
                Case {
                    kind: "set_translation",
                    op: EditOp::SetTranslation {
                        file: file.clone(),
                        at: at.clone(),
                        language: "zu".into(),
                        text: Some("Sawubona".into()),
                    },
                    inverse: Some((
                        EditOp::SetTranslation {
                            file,
                            at,
                            language: "zu".into(),
                            text: None,
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
            13 => {
                let (at, _, options) = self.pick(&menus)?.clone();
                let index = self.below(options.len() + 1);
                let card = names
                    .iter()
                    .find(|n| !options.iter().any(|(o, _)| o == *n))?
                    .clone();
                Case {
                    kind: "add_option",
                    op: EditOp::AddOption {
                        file: file.clone(),
                        at: at.clone(),
                        card,
                        label: None,
                        index: Some(index),
                    },
                    inverse: Some((EditOp::RemoveOption { file, at, index }, Restores::Bytes)),
                    touched,
                }
            }
            14 => {
                let (at, _, options) = self.pick(&menus)?.clone();
                let index = self.below(options.len());
                let (card, label) = options.get(index)?.clone();
                let label = match label {
                    Some(expr) => Some(expr.literal_text()?),
                    None => None,
                };
                match self.below(3) {
                    0 => Case {
                        kind: "remove_option",
                        op: EditOp::RemoveOption {
                            file: file.clone(),
                            at: at.clone(),
                            index,
                        },
                        // An option leading to no card (a J101 finding) has no inverse:
                        // adding an option refuses a card the journey does not have.
                        inverse: names.contains(&card).then_some((
                            EditOp::AddOption {
                                file,
                                at,
                                card,
                                label,
                                index: Some(index),
                            },
                            Restores::Tree,
                        )),
                        touched,
                    },
                    1 => {
                        let to = self.below(options.len());
                        Case {
                            kind: "move_option",
                            op: EditOp::MoveOption {
                                file: file.clone(),
                                at: at.clone(),
                                from: index,
                                to,
                            },
                            inverse: Some((
                                EditOp::MoveOption {
                                    file,
                                    at,
                                    from: to,
                                    to: index,
                                },
                                Restores::Bytes,
                            )),
                            touched,
                        }
                    }
                    _ => {
                        let (_, Some(expr)) = &options[index] else {
                            return None;
                        };
                        // The inverse names the option by its card: a card led to twice is
                        // named at its first option.
                        if options.iter().filter(|(c, _)| *c == card).count() > 1 {
                            return None;
                        }
                        Case {
                            kind: "set_option_label",
                            op: EditOp::SetOptionLabel {
                                file: file.clone(),
                                at: at.clone(),
                                index,
                                label: "Renamed option".into(),
                            },
                            inverse: Some((
                                EditOp::SetArgument {
                                    file,
                                    at,
                                    arg: ArgKey::Name(card),
                                    value: source(expr.span),
                                },
                                Restores::Bytes,
                            )),
                            touched,
                        }
                    }
                }
            }
            _ => {
                // An exit of this definition, pointed elsewhere and back.
                let mut exits: Vec<(Exit, Option<String>)> = Vec::new();
                let then = def.option("then");
                exits.push((
                    Exit::Next {
                        journey: jname.clone(),
                        card: name.clone(),
                        definition,
                    },
                    then.map(|e| source(e.span)),
                ));
                for (i, stmt) in def.body.iter().enumerate() {
                    if let StmtKind::Then { target, .. } = &stmt.kind {
                        exits.push((Exit::Branch { at: at(i, None) }, Some(target.name.clone())));
                    }
                    let Some(call) = call_of(stmt) else { continue };
                    for (arg, exit) in [
                        ("on_timeout", Exit::Timeout { at: at(i, None) }),
                        ("on_invalid", Exit::Invalid { at: at(i, None) }),
                        ("on_error", Exit::Error { at: at(i, None) }),
                        ("on_return", Exit::Return { at: at(i, None) }),
                    ] {
                        if let Some(a) = call.named(arg) {
                            exits.push((exit, Some(source(a.value.span))));
                        }
                    }
                    if call.callee.name == "schedule"
                        && let Some(first) = call.positional().next()
                    {
                        exits.push((Exit::Timer { at: at(i, None) }, Some(source(first.span))));
                    }
                }
                for (at, _, options) in &menus {
                    for (index, (card, _)) in options.iter().enumerate() {
                        exits.push((
                            Exit::Option {
                                at: at.clone(),
                                index,
                            },
                            Some(card.clone()),
                        ));
                    }
                }
                let (exit, before) = self.pick(&exits)?.clone();
                // Only a bare card name comes back as written.
                if before.as_ref().is_some_and(|b| !names.contains(b)) {
                    return None;
                }
                Case {
                    kind: "connect_exit",
                    op: EditOp::ConnectExit {
                        file: file.clone(),
                        exit: exit.clone(),
                        target: Some(other),
                    },
                    inverse: Some((
                        EditOp::ConnectExit {
                            file,
                            exit,
                            target: before,
                        },
                        Restores::Bytes,
                    )),
                    touched,
                }
            }
        })
    }
}

fn has_menu(card: &Card, text: &str) -> bool {
    card.body
        .iter()
        .filter_map(call_of)
        .any(|call| options(call, text).is_some())
}

/// Whether `text` names `name` as a whole word.
fn mentions(text: &str, name: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == name)
}

/// What changed from `a` to `b`, for failure messages.
fn diff(a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(2)
        .to_string()
}

fn edited(path: &str, text: &str, op: &EditOp) -> Result<String, EditError> {
    let mut host = AnalysisHost::new();
    host.set_file_text(path, text);
    let change = host.analysis().edit(op)?;
    Ok(change.apply(path, text))
}

/// The comments of a file's code: a notebook's stack cells only (its prose is not code).
fn comments(path: &str, text: &str) -> Vec<String> {
    if !path.ends_with(".md") {
        return comment_texts(text);
    }
    journey_syntax::notebook_outline(text)
        .stack_cells
        .iter()
        .flat_map(|cell| comment_texts(&text[cell.range()]))
        .collect()
}

/// The comments of `before` missing from `after`.
fn lost_comments(before: Vec<String>, after: Vec<String>) -> Vec<String> {
    let mut left = after;
    let mut lost = Vec::new();
    for comment in before {
        match left.iter().position(|c| *c == comment) {
            Some(i) => {
                left.remove(i);
            }
            None => lost.push(comment),
        }
    }
    lost
}

/// Checks one case; `Ok(Some(why))` when the operation was refused (as it may be).
fn check(source: &Source, case: &Case) -> Result<Option<String>, String> {
    let (path, text) = (source.path.as_str(), source.text.as_str());
    let mut host = AnalysisHost::new();
    host.set_file_text(path, text);
    let change = match host.analysis().edit(&case.op) {
        Ok(change) => change,
        Err(error @ EditError::Unsafe { .. }) => return Err(format!("unsafe: {error}")),
        Err(EditError::CardInUse { used_by, .. }) if used_by.is_empty() => {
            return Err("refused as in use by nothing".into());
        }
        Err(error) => return Ok(Some(error.to_string())),
    };
    let after = change.apply(path, text);
    let parsed = parse(path, &after);
    if !clean(&parsed) {
        return Err(format!(
            "the result does not parse:\n{}",
            diff(text, &after)
        ));
    }
    let old = cards(path, &parse(path, text).module, text);
    let new = cards(path, &parsed.module, &after);
    for (key, card) in &old {
        if !case.touched.contains(&key.1) && new.get(key) != Some(card) {
            return Err(format!(
                "card {key:?} changed though untouched:\n{}",
                diff(text, &after)
            ));
        }
    }
    // Only comments inside removed bytes may go.
    let removed: String = change
        .edits
        .iter()
        .map(|e| format!("{}\n", &text[e.span.range()]))
        .collect();
    let lost = lost_comments(comments(path, text), comments(path, &after));
    if !lost_comments(lost.clone(), comment_texts(&removed)).is_empty() {
        return Err(format!("comments lost: {lost:?}\n{}", diff(text, &after)));
    }
    if let Some((inverse, restores)) = &case.inverse {
        let back = edited(path, &after, inverse).map_err(|e| {
            format!(
                "the inverse {inverse:?} was refused: {e}\n{}",
                diff(text, &after)
            )
        })?;
        let same_tree = || {
            journey_syntax::print::module(&parse(path, &back).module)
                == journey_syntax::print::module(&parse(path, text).module)
        };
        let restored = match restores {
            Restores::Bytes => back == text,
            Restores::Tree => same_tree(),
        };
        if !restored {
            return Err(format!(
                "the operation gives:\n{}\nand its inverse:\n{}",
                diff(text, &after),
                diff(&after, &back)
            ));
        }
    }
    Ok(None)
}

#[test]
fn edit_operations_keep_what_they_do_not_touch_and_undo_exactly() {
    let sources: Vec<Source> = sources()
        .into_iter()
        .filter(|s| clean(&parse(&s.path, &s.text)))
        .collect();
    assert!(
        sources.len() >= 150,
        "expected the repository's files, found {}",
        sources.len()
    );
    let reasons: RefCell<BTreeMap<(&'static str, String), usize>> = RefCell::default();
    // (applied, refused) per operation.
    let tally: RefCell<BTreeMap<&'static str, (usize, usize)>> = RefCell::default();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let result = runner.run(
        &(0..sources.len(), proptest::prelude::any::<u64>()),
        |(file, seed)| {
            let source = &sources[file];
            let parsed = parse(&source.path, &source.text);
            let mut picker = Picker {
                rng: fastrand::Rng::with_seed(seed),
                path: &source.path,
                text: &source.text,
            };
            let Some(case) = picker.case(&parsed.module) else {
                return Ok(());
            };
            let refused = check(source, &case).map_err(|e| {
                proptest::test_runner::TestCaseError::fail(format!(
                    "{} {:?} on {}: {e}",
                    case.kind, case.op, source.path
                ))
            })?;
            let mut tally = tally.borrow_mut();
            let entry = tally.entry(case.kind).or_default();
            match refused {
                None => entry.0 += 1,
                Some(why) => {
                    entry.1 += 1;
                    // The first word of each refusal, to see what refuses.
                    let head = why.split(':').next().unwrap_or(&why).to_owned();
                    *reasons.borrow_mut().entry((case.kind, head)).or_insert(0) += 1;
                }
            }
            Ok(())
        },
    );
    if let Err(error) = result {
        panic!("{error}");
    }
    let tally = tally.into_inner();
    eprintln!(
        "{} files; (applied, refused) per operation: {tally:?}; refusals: {:#?}",
        sources.len(),
        reasons.into_inner()
    );
    for kind in [
        "rename_card",
        "add_card",
        "duplicate_card",
        "add_definition",
        "delete_card",
        "remove_definition",
        "add_statement",
        "remove_statement",
        "set_argument",
        "add_argument",
        "clear_argument",
        "set_text",
        "set_translation",
        "add_option",
        "remove_option",
        "move_option",
        "set_option_label",
        "connect_exit",
    ] {
        assert!(
            tally.get(kind).is_some_and(|(applied, _)| *applied >= 5),
            "{kind} was applied too rarely to say anything: {tally:?}"
        );
    }
}

#[test]
fn bench_edit_times_a_studio_operation() {
    let run = journey_tests::journey(&[
        "bench", "edit", "--op", "--cards", "40", "--files", "2", "--edits", "4",
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("studio operation (set_text) → fresh diagnostics (4 edits)"),
        "{}",
        run.transcript()
    );
}
