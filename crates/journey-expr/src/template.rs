//! Strings with `@` interpolations, as a message shows them.

use journey_syntax::{ExprKind, Template, TemplatePart};

use crate::eval::{Budget, Env, EvalError, Evaluator, redact};
use crate::library;

/// Renders a string: each interpolation shows as its value's text, and nil as nothing. That is
/// the documented fallback; the raw `@contact.field` never reaches a contact. A name that
/// nothing set shows as written, as in Turn (docs/expressions.md).
pub fn render(
    template: &Template,
    env: &Env<'_>,
    budget: &mut Budget,
) -> Result<String, EvalError> {
    Evaluator::new(env, budget)
        .render(template)
        .map_err(|error| redact(error, env.scope))
}

impl Evaluator<'_> {
    pub(crate) fn render(&mut self, template: &Template) -> Result<String, EvalError> {
        let mut out = String::new();
        for (index, part) in template.parts.iter().enumerate() {
            let span = match part {
                TemplatePart::Text { span, .. } => {
                    out.push_str(&template.text_as_sent(index).unwrap_or_default());
                    *span
                }
                TemplatePart::Interp(expr) => {
                    match &expr.kind {
                        // Notebooks write placeholders such as `{@username}` in content and
                        // find them with a literal of the same text, which must stay as is.
                        ExprKind::Name(name) if self.env.scope.get(name).is_none() => {
                            out.push('@');
                            out.push_str(name);
                        }
                        _ => out.push_str(&self.eval(expr)?.to_text()),
                    }
                    expr.span
                }
            };
            if out.len() > library::MAX_TEXT {
                return Err(EvalError::new(
                    format!("text too long: the limit is {} bytes", library::MAX_TEXT),
                    span,
                ));
            }
        }
        Ok(out)
    }
}
