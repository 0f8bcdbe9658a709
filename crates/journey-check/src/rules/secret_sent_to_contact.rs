use journey_diagnostics::{Diagnostic, Severity};
use journey_model::{MenuOptions, StepKind};
use journey_syntax::{Expr, ExprKind};

use crate::rule::{Context, Rule};
use crate::visit;

pub(crate) static RULE: Rule = Rule {
    code: "J305",
    name: "secret-sent-to-contact",
    summary: "A message to the contact shows a secret.",
    default_severity: Severity::Warning,
    doc: r#"## What it does
Reports `secret("NAME")` inside a message the contact receives: a text, a question, a
menu's body, options or button, or a template's parameters.

## Why is this bad?
Secrets (API tokens, keys) are for the services a journey calls, never for contacts. A
run never holds a secret's value: it holds a placeholder that only an HTTP request gets
replaced by the value, at the moment of sending. So the contact receives
`[secret:NAME]`, and the message was a mistake either way.

## Example
```journey
card Debug do
  text("Your access code is @(secret('CLINIC_API_TOKEN'))")
end
```

## How to fix
Use secrets in HTTP requests only (`headers:`, `query:`, `body:`). To give a contact a
code, fetch or compute one for that contact.
"#,
    check: Some(check),
};

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let graph = &ctx.journey.graph;
    for node in graph.node_indices() {
        let mut sent: Vec<&Expr> = Vec::new();
        match &graph[node].kind {
            StepKind::Send(message) => message.exprs(&mut |e| sent.push(e)),
            StepKind::Ask { prompt, .. } => prompt.exprs(&mut |e| sent.push(e)),
            StepKind::Menu(menu) => {
                for message in &menu.body {
                    message.exprs(&mut |e| sent.push(e));
                }
                sent.extend(&menu.button_text);
                match &menu.options {
                    MenuOptions::Static(options) => {
                        sent.extend(options.iter().filter_map(|o| o.label.as_ref()));
                    }
                    MenuOptions::Dynamic { choices } => sent.push(choices),
                }
            }
            StepKind::Template(template) => {
                sent.extend(&template.params);
                sent.extend(template.header.as_ref().map(|(_, e)| e));
            }
            _ => {}
        }
        for top in sent {
            visit::walk(top, &mut |expr| {
                if let Some(name) = secret_read(expr) {
                    out.push(
                        RULE.diagnostic(ctx, expr.span, format!("secret `{name}` is sent to the contact"))
                            .with_label("the contact would see this")
                            .with_help(format!(
                                "use secrets in HTTP requests only; the message shows `[secret:{name}]`, never the value"
                            )),
                    );
                }
            });
        }
    }
}

/// `secret("NAME")`: the name, `…` when it is computed.
fn secret_read(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Call(call) if call.callee.name == "secret" => Some(
            call.args
                .first()
                .and_then(|arg| arg.value.literal_text())
                .unwrap_or_else(|| "…".to_owned()),
        ),
        _ => None,
    }
}
