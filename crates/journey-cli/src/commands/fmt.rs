//! `journey fmt`: rewrites `.journey` files in their canonical layout, or with
//! `--check` prints what would change (a unified diff) and exits 1. A file with syntax
//! errors is never rewritten: its errors are printed and the exit code is 2.
//!
//! Turn `.md` notebooks are left as they are: their stack cells are read with Turn's
//! operator precedence, and reprinting an expression drops parentheses that only the
//! journey language's precedence makes redundant, which could change what Turn reads.

use std::path::{Path, PathBuf};

use journey_syntax::FormatError;

use crate::Io;
use crate::workspace;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.journey` files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing: print a diff of each file that is not formatted and exit 1.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let files = workspace::journey_sources(&args.paths)?;
    let mut unformatted = 0;
    let mut rewritten = 0;
    let mut failed = false;
    let mut notebooks = 0;
    for path in &files {
        if path.extension().is_some_and(|e| e == "md") {
            notebooks += 1;
            continue;
        }
        let shown = workspace::display(path);
        let text = workspace::read(path)?;
        let formatted = match journey_syntax::format_journey(&text) {
            Ok(formatted) => formatted,
            Err(error) => {
                report_failure(io, &shown, &text, error)?;
                failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.check {
            io.print(&diff(&shown, &text, &formatted))?;
        } else {
            write(path, &formatted)?;
            rewritten += 1;
        }
    }
    if notebooks > 0 {
        io.warn(&format!(
            "{notebooks} Turn notebook(s) left as they are: `journey fmt` formats `.journey` files only"
        ))?;
    }
    let checked = files.len() - notebooks;
    let summary = if args.check {
        match unformatted {
            0 => format!("{checked} file(s) formatted\n"),
            n => format!("{n} of {checked} file(s) not formatted (run `journey fmt`)\n"),
        }
    } else {
        format!("{rewritten} of {checked} file(s) reformatted\n")
    };
    io.eprint(&summary)?;
    Ok(if failed {
        2
    } else if args.check && unformatted > 0 {
        1
    } else {
        0
    })
}

/// A unified diff of the file as it is and as `journey fmt` writes it.
fn diff(shown: &str, text: &str, formatted: &str) -> String {
    similar::TextDiff::from_lines(text, formatted)
        .unified_diff()
        .context_radius(3)
        .header(shown, &format!("{shown} (formatted)"))
        .to_string()
}

/// Replaces the file so that an interrupted write leaves the original.
fn write(path: &Path, text: &str) -> Result<(), String> {
    journey_files::replace(path, text.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn report_failure(
    io: &mut Io<'_>,
    shown: &str,
    text: &str,
    error: FormatError,
) -> Result<(), String> {
    let message = match error {
        FormatError::Syntax(diagnostics) => {
            let rendered = Io::render_file(shown, text, &diagnostics);
            format!("error: `{shown}` was not formatted: it has syntax errors\n{rendered}")
        }
        FormatError::Changed(why) => format!(
            "error: `{shown}` was not formatted: {why} (a bug in `journey fmt`; please report it)\n"
        ),
    };
    io.eprint(&message)
}
