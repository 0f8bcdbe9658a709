//! Where each value of journey.toml was written, so that the checker can point at a
//! template or a field in the file, and so that our own checks can.

use std::collections::HashMap;

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};
use toml::de::DeTable;

use crate::tree;
use crate::{INVALID_CONFIG, UNKNOWN_CONFIG_KEY};

/// Spans of journey.toml by dotted path: `project.name`, `fields.due_date`,
/// `templates[0]`, `templates[0].buttons[1].payload`, `check.severity.WA103`.
/// Indexes follow the vectors of [`crate::ProjectConfig`]. Empty for a default config.
#[derive(Clone, Debug, Default)]
pub struct Locations {
    file: FileId,
    spans: HashMap<String, Span>,
}

impl Locations {
    pub(crate) fn new(file: FileId, root: &DeTable<'_>) -> Self {
        let spans = tree::spans(root)
            .into_iter()
            .map(|(path, range)| (path.to_string(), Span::new(range.start, range.end)))
            .collect();
        Locations { file, spans }
    }

    /// The file given to [`crate::parse_config`].
    pub fn file(&self) -> FileId {
        self.file
    }

    /// No value was read: the file was missing or not valid TOML.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The span of a whole entry (`key = value`, a `[table]` header, an array element).
    pub fn span(&self, path: &str) -> Option<Span> {
        self.spans.get(path).copied()
    }

    /// A J002 error at `path` (at the start of the file if the path was never written).
    pub fn invalid(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let span = self.span(path).unwrap_or_default();
        Diagnostic::new(INVALID_CONFIG, Severity::Error, self.file, span, message)
    }

    /// A J003 warning at `path`, for a key that has no effect where it is.
    pub fn ignored(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let span = self.span(path).unwrap_or_default();
        Diagnostic::new(
            UNKNOWN_CONFIG_KEY,
            Severity::Warning,
            self.file,
            span,
            message,
        )
        .with_label("journey ignores this key")
    }
}
