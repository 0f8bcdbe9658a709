//! The compiled model of a journey: name resolution and lowering of the AST to a
//! petgraph state machine (brief §3), the built-in function catalogue, and pictures
//! of the graph (DOT, Mermaid).

pub mod builtins;
pub mod graph;
mod hash;
mod lower;
mod project;
pub mod render;
mod suggest;

use journey_diagnostics::FileId;
use journey_syntax::Module;

pub use graph::*;
pub use lower::{captioned_media, constant_seconds};
pub use project::ProjectIndex;
pub use suggest::suggest;

/// One parsed file of a project.
pub struct SourceModule<'a> {
    pub file: FileId,
    /// Names the file's implicit journey (the file stem).
    pub default_name: String,
    pub module: &'a Module,
    /// The file's text, for the content hash.
    pub text: &'a str,
    pub has_syntax_errors: bool,
}

/// Compiles every journey of a project. Journeys refer to each other by name, so all
/// names are collected before any journey is lowered.
pub fn compile(modules: &[SourceModule<'_>], mut index: ProjectIndex) -> Vec<CompiledJourney> {
    let mut duplicates = Vec::new();
    for source in modules {
        for journey in &source.module.journeys {
            let (name, span) = journey_name(source, journey);
            if let Some(first) = index.add_journey(&name, source.file, span) {
                duplicates.push((source.file, span, first));
            }
        }
    }
    let mut compiled = Vec::new();
    for source in modules {
        for journey in &source.module.journeys {
            let (name, span) = journey_name(source, journey);
            let mut lowered = lower::lower_journey(
                name.clone(),
                source.file,
                journey,
                source.text,
                source.has_syntax_errors,
                source.module.turn,
                &index,
            );
            // A notebook's data cells, beside what `config(…)`/`table(…)` settings gave.
            lowered.config.extend(
                source
                    .module
                    .config
                    .iter()
                    .filter(|entry| entry.dictionary == "config")
                    .map(|entry| (entry.key.clone(), entry.value.clone())),
            );
            lowered
                .tables
                .extend(source.module.tables.iter().map(|table| {
                    let rows = table
                        .rows
                        .iter()
                        .map(|row| {
                            table
                                .columns
                                .iter()
                                .cloned()
                                .zip(row.iter().cloned())
                                .collect()
                        })
                        .collect();
                    (table.name.clone(), rows)
                }));
            if let Some(&(_, _, first)) = duplicates
                .iter()
                .find(|(file, dup_span, _)| *file == source.file && *dup_span == span)
            {
                lowered
                    .issues
                    .push(Issue::DuplicateJourney { name, span, first });
            }
            compiled.push(lowered);
        }
    }
    compiled
}

fn journey_name(
    source: &SourceModule<'_>,
    journey: &journey_syntax::Journey,
) -> (String, journey_diagnostics::Span) {
    match &journey.name {
        Some(ident) => (ident.name.clone(), ident.span),
        None => (
            source.default_name.clone(),
            journey_diagnostics::Span::new(0, 0),
        ),
    }
}
