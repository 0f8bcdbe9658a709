use journey_diagnostics::{Diagnostic, Severity, Span};
use journey_model::{EffectStep, StepKind, suggest};
use journey_syntax::ExprKind;

use crate::rule::{Context, Rule};
use crate::visit;

pub(crate) static RULE: Rule = Rule {
    code: "J306",
    name: "unknown-contact-field",
    summary: "A contact field is read or written that journey.toml does not declare.",
    default_severity: Severity::Error,
    doc: r#"## What it does
When `journey.toml` declares contact fields (`[fields.NAME]`), reports every
`contact.NAME` read and every `update_contact(NAME: …)` write of a field that is neither
declared nor built in (`name`, `whatsapp_id`, `language`, `opted_in`), with the closest
declared name. A project that declares no fields is not checked: any field is allowed
then, as in Turn.

## Why is this bad?
A misspelt field is always empty when read (`Hi @contact.nmae` greets "Hi !") and, when
written, stores the answer where no journey will ever look for it.

## Example
```journey
card Start do
  district = ask("Which district do you live in?")
  update_contact(distrct: district)
  text("Hi @contact.nmae!")
end
```
…in a project whose journey.toml declares `[fields.district]`.

## How to fix
Use the suggested name, or declare the field in journey.toml:
`[fields.NAME] type = "text"`.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.config.fields.is_empty() {
        return;
    }
    let known = ctx.config.all_fields();
    let mut report = |name: &str, span: Span, what: &str| {
        if known.contains_key(name) {
            return;
        }
        let diagnostic = RULE
            .diagnostic(
                ctx,
                span,
                format!("contact field `{name}` is not declared in journey.toml"),
            )
            .with_label(format!("{what} an undeclared field"));
        out.push(match suggest(name, known.keys().map(String::as_str)) {
            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
            None => diagnostic.with_help(format!(
                "declare it in journey.toml: `[fields.{name}]` with `type = \"text\"`"
            )),
        });
    };
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let step = &graph[node];
        let edges = graph.edges(node).map(|e| e.weight());
        visit::step_exprs(step, edges, &mut |top| {
            visit::walk(top, &mut |expr| {
                if let ExprKind::Member { object, field } = &expr.kind
                    && matches!(&object.kind, ExprKind::Name(root) if root == "contact")
                {
                    report(&field.name, field.span, "reads");
                }
            })
        });
        if let StepKind::Effect(effect) = &step.kind
            && let EffectStep::UpdateContact(fields) = &**effect
        {
            for (name, _) in fields {
                report(&name.name, name.span, "writes");
            }
        }
    }
}
