//! The statement catalogue and its lowerings agree: every argument a statement's
//! signature accepts ends up in its typed step (an expression the step evaluates, or
//! an edge to the card it names), so nothing written is silently dropped, and a
//! lowering that reads an argument the signature lacks trips its debug assertion.

use journey_diagnostics::FileId;
use journey_model::builtins::{ArgKind, BUILTINS, Builtin, Kind};
use journey_model::{CompiledJourney, ProjectIndex, SourceModule, StepKind, compile};
use journey_syntax::{Expr, ExprKind};
use petgraph::visit::EdgeRef;

/// A value for a positional argument of this kind; `probe` marks an evaluated one.
fn positional(kind: ArgKind, probe: &str) -> String {
    match kind {
        ArgKind::Card | ArgKind::Target => "Other".to_owned(),
        ArgKind::Cards => "[Other]".to_owned(),
        ArgKind::Journey => "Probe".to_owned(),
        ArgKind::List | ArgKind::Pairs => format!("[{probe}]"),
        _ => probe.to_owned(),
    }
}

fn compile_card(line: &str) -> CompiledJourney {
    let text = format!(
        "stack Probe do\n  card Start do\n    {line}\n  end\n\n  card Other do\n    text(\"other\")\n  end\nend\n"
    );
    let parsed = journey_syntax::parse_journey(FileId(0), &text);
    assert!(
        parsed.diagnostics.is_empty(),
        "{line}: {:?}",
        parsed.diagnostics
    );
    let source = SourceModule {
        file: FileId(0),
        default_name: "probe".to_owned(),
        module: &parsed.module,
        text: &text,
        has_syntax_errors: false,
    };
    compile(&[source], ProjectIndex::default()).remove(0)
}

/// Every name the first step of `Start` evaluates, however deep.
fn names(journey: &CompiledJourney) -> (Vec<String>, bool) {
    let start = journey.card(journey.card_by_name("Start").unwrap());
    let entry = journey.edges_from(start.entry)[0].2;
    let mut names = Vec::new();
    fn walk(expr: &Expr, names: &mut Vec<String>) {
        if let ExprKind::Name(name) = &expr.kind {
            names.push(name.clone());
        }
        expr.for_each_child(|child| walk(child, names));
    }
    journey.graph[entry]
        .kind
        .exprs(&mut |e| walk(e, &mut names));
    let other = journey.card(journey.card_by_name("Other").unwrap()).entry;
    let exits_to_other = journey.graph.edges(entry).any(|e| e.target() == other);
    (names, exits_to_other)
}

/// The call with its required positional arguments (and a menu's options), then `extra`.
fn call(builtin: &Builtin, extra: &str) -> String {
    let wanted = if builtin.body {
        builtin.min + 1
    } else {
        builtin.min
    };
    let mut args: Vec<String> = builtin.params[..wanted]
        .iter()
        .map(|p| positional(p.kind, &format!("pos_{}", p.name)))
        .collect();
    if builtin.open_named && builtin.params.is_empty() {
        args.push("field: open_probe".to_owned());
    }
    args.extend((!extra.is_empty()).then(|| extra.to_owned()));
    format!("{}({})", builtin.name, args.join(", "))
}

fn statements() -> impl Iterator<Item = &'static Builtin> {
    BUILTINS.iter().filter(|b| b.kind == Kind::Statement)
}

#[test]
fn every_named_argument_reaches_the_typed_step() {
    for builtin in statements() {
        for param in builtin.named {
            let (value, is_exit) = match param.kind {
                ArgKind::Card => ("Other".to_owned(), true),
                ArgKind::Cards => ("[Other]".to_owned(), true),
                _ => (format!("named_{}", param.name), false),
            };
            // `on_timeout:` needs a `timeout:` to mean anything.
            let extra = match param.name {
                "on_timeout" => format!("{}: {value}, timeout: 60", param.name),
                _ => format!("{}: {value}", param.name),
            };
            let line = call(builtin, &extra);
            let (names, exits) = names(&compile_card(&line));
            if is_exit {
                assert!(
                    exits,
                    "`{line}`: no edge to the card `{}:` names",
                    param.name
                );
            } else {
                assert!(
                    names.contains(&value),
                    "`{line}`: `{}:` is not in the step ({names:?})",
                    param.name
                );
            }
        }
    }
}

#[test]
fn every_positional_and_open_argument_reaches_the_typed_step() {
    for builtin in statements() {
        let all = builtin.params.len();
        let mut args: Vec<String> = Vec::new();
        for (i, param) in builtin.params.iter().enumerate() {
            // `delete(map, key)` is an expression; as a step it is HTTP DELETE of a URL.
            if builtin.name == "delete" && i == 1 {
                break;
            }
            // `buttons(Card, choices)` and `buttons([A, B])` are two forms.
            if builtin.body && param.kind == ArgKind::Cards && i + 1 < all {
                args.push("Other".to_owned());
                continue;
            }
            args.push(positional(param.kind, &format!("pos_{}", param.name)));
        }
        if builtin.open_named && builtin.params.is_empty() {
            args.push("field: open_probe".to_owned());
        }
        if builtin.translations {
            args.push("pt: translated".to_owned());
        }
        let line = format!("{}({})", builtin.name, args.join(", "));
        let (names, _) = names(&compile_card(&line));
        for param in builtin.params.iter().take(args.len()) {
            let evaluated = !matches!(
                param.kind,
                ArgKind::Card | ArgKind::Cards | ArgKind::Journey | ArgKind::Target
            );
            let probe = format!("pos_{}", param.name);
            if evaluated && line.contains(&probe) {
                assert!(
                    names.contains(&probe),
                    "`{line}`: `{}` is not in the step ({names:?})",
                    param.name
                );
            }
        }
        for probe in ["open_probe", "translated"] {
            if line.contains(probe) {
                assert!(
                    names.iter().any(|n| n == probe),
                    "`{line}`: `{probe}` is not in the step"
                );
            }
        }
    }
}

#[test]
fn every_statement_lowers_to_a_step_of_its_own() {
    for builtin in statements() {
        let journey = compile_card(&call(builtin, ""));
        let start = journey.card(journey.card_by_name("Start").unwrap());
        let step = &journey.graph[journey.edges_from(start.entry)[0].2];
        assert!(
            !matches!(step.kind, StepKind::CardEntry),
            "`{}` lowered to nothing",
            builtin.name
        );
    }
}
