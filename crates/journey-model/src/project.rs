//! The names a project defines across its files: journeys and helper functions.

use std::collections::HashMap;

use journey_diagnostics::{FileId, Span};

use crate::suggest::suggest;

#[derive(Clone, Debug, Default)]
pub struct ProjectIndex {
    journeys: HashMap<String, (FileId, Span)>,
    /// `functions/*.rhai` helpers and their arities.
    functions: HashMap<String, usize>,
}

impl ProjectIndex {
    /// Records a journey name; returns the first definition when it is taken.
    pub fn add_journey(&mut self, name: &str, file: FileId, span: Span) -> Option<(FileId, Span)> {
        match self.journeys.get(name) {
            Some(&first) => Some(first),
            None => {
                self.journeys.insert(name.to_owned(), (file, span));
                None
            }
        }
    }

    pub fn add_function(&mut self, name: &str, arity: usize) {
        self.functions.insert(name.to_owned(), arity);
    }

    pub fn contains(&self, journey: &str) -> bool {
        self.journeys.contains_key(journey)
    }

    pub fn suggest(&self, journey: &str) -> Option<String> {
        suggest(journey, self.journeys.keys().map(String::as_str))
    }

    pub fn function_arity(&self, name: &str) -> Option<usize> {
        self.functions.get(name).copied()
    }

    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }
}
