//! The journey language's syntax: a pest grammar (`grammar/*.pest`) and the AST it
//! builds, for `.journey` files and for the `stack` cells of Turn markdown notebooks.
//!
//! Invariant: no input makes this crate panic. Every function returns what it could
//! parse together with diagnostics for what it could not.

pub mod ast;
mod build;
mod code;
pub mod comments;
mod errors;
mod format;
mod incremental;
mod notebook;
mod parser;
pub mod print;
mod template;

use journey_diagnostics::{Diagnostic, FileId};

pub use ast::*;
pub use build::MAX_EXPR_DEPTH;
pub use format::{FormatError, comment_texts, format_journey};
pub use notebook::Outline;
pub use parser::Rule;

/// The rule code of every syntax error.
pub const SYNTAX_ERROR: &str = "J001";

/// What the parser made of one file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub module: Module,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a `.journey` source file.
pub fn parse_journey(file: FileId, text: &str) -> Parsed {
    let mut driver = parser::Driver::new(file, text);
    driver.parse_region(0, text.len());
    driver.finish()
}

pub use incremental::{changed_range, reparse_journey};

/// Parses a Turn markdown notebook: its ```` ```stack ```` cells form one journey, and its
/// dictionary tables become `config` entries. Spans point into the markdown file.
pub fn parse_notebook(file: FileId, text: &str) -> Parsed {
    let layout = notebook::scan(file, text);
    let mut driver = parser::Driver::new(file, text);
    for cell in &layout.cells {
        driver.parse_region(cell.start, cell.end);
    }
    let mut parsed = driver.finish();
    parsed.module.config = layout.config;
    parsed.module.tables = layout.tables;
    parsed.module.turn = true;
    parsed.diagnostics.extend(layout.diagnostics);
    parsed
}

/// Where a Turn notebook's prose lines and non-journey code cells are (the parser
/// skips them), for tools that carry them over or report them.
pub fn notebook_outline(text: &str) -> Outline {
    notebook::scan(FileId(0), text).outline
}

/// Parses one expression, e.g. a guard given on the command line or in a test.
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Box<Diagnostic>> {
    parser::parse_standalone_expr(file, text)
}
