//! Strings with `@` interpolations, as a message shows them.

use journey_syntax::{Template, TemplatePart};

use crate::eval::{Budget, Env, EvalError, Evaluator, redact};
use crate::library;

/// Renders a string: each interpolation shows as its value's text, and nil as nothing. That is
/// the documented fallback; the raw `@name` never reaches a contact.
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
                    out.push_str(&self.eval(expr)?.to_text());
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
