//! Template sends of a journey, as the registry rules (WA5xx) read them.

use journey_diagnostics::Span;
use journey_model::{CompiledJourney, StepKind, TemplateSend};

/// A `send_message_template(...)` whose name is literal (a computed name cannot be
/// checked against the registry).
pub(crate) struct Send<'a> {
    pub(crate) template: &'a TemplateSend,
    pub(crate) name: String,
    /// The literal language, or `None` when it is computed (`contact.language`).
    pub(crate) language: Option<String>,
    pub(crate) span: Span,
}

pub(crate) fn sends(journey: &CompiledJourney) -> impl Iterator<Item = Send<'_>> {
    journey
        .graph
        .node_weights()
        .filter_map(|step| match &step.kind {
            StepKind::Template(template) => Some(Send {
                name: template.name.literal_text()?,
                language: template.language.literal_text(),
                template,
                span: step.span,
            }),
            _ => None,
        })
}
