//! `journey import turn NOTEBOOK.md… [--map uuids.toml] [--out DIR]`: Turn notebook
//! exports become `.journey` files, with a report of what was not converted. The
//! conversion is `journey-import` (pure); this reads and writes the files.
//!
//! Nothing is written unless every output can be: an existing file is an error without
//! `--force`, and two notebooks that would make the same file are an error.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use journey_import::{ImportError, Imported, Notebook, Report, UuidMap};

use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(Subcommand)]
enum Source {
    /// Convert Turn notebook exports (`.md`) into `.journey` files.
    Turn(TurnArgs),
}

#[derive(clap::Args)]
struct TurnArgs {
    /// Turn notebook exports (markdown with ```stack cells).
    #[arg(required = true)]
    notebooks: Vec<PathBuf>,
    /// Journey UUIDs and the names they become: a `uuids.toml` of lines
    /// `"<uuid>" = "JourneyName"`, or a Turn team's `stacks_config.yaml` (`.yaml`/`.yml`).
    #[arg(long)]
    map: Option<PathBuf>,
    /// Where to write the `.journey` files.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Overwrite output files that exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    match args.source {
        Source::Turn(args) => turn(args, io),
    }
}

fn turn(args: TurnArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let map = match &args.map {
        Some(path) => read_map(path)?,
        None => UuidMap::default(),
    };
    let mut imported = Vec::new();
    let mut failed = 0;
    for path in &args.notebooks {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        let notebook = Notebook {
            path: &shown,
            text: &text,
        };
        match journey_import::import_notebook(notebook, &map) {
            Ok(result) => imported.push((path.clone(), result)),
            Err(error) => {
                failed += 1;
                report_failure(io, &shown, &text, error)?;
            }
        }
    }
    let outputs = plan_outputs(&args, &imported)?;
    for ((_, result), output) in imported.iter_mut().zip(&outputs) {
        write(output, &result.text)?;
        result.report.output = output.display().to_string();
    }
    let reports: Vec<&Report> = imported.iter().map(|(_, r)| &r.report).collect();
    for report in &reports {
        io.print(&report.render())?;
    }
    io.print(&summary(&reports, failed))?;
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&reports)
            .map_err(|e| format!("cannot write the report as JSON: {e}"))?;
        write(path, &format!("{json}\n"))?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn read_map(path: &Path) -> Result<UuidMap, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the map `{}`: {e}", path.display()))?;
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let map = if yaml {
        UuidMap::parse_stacks_config(&text)
    } else {
        UuidMap::parse(&text)
    };
    map.map_err(|e| format!("{}:{e}", path.display()))
}

/// Why a notebook was not imported: its syntax errors as `journey check` shows them.
fn report_failure(
    io: &mut Io<'_>,
    shown: &str,
    text: &str,
    error: ImportError,
) -> Result<(), String> {
    let message = match error {
        ImportError::Syntax(diagnostics) => {
            let rendered = Io::render_file(shown, text, &diagnostics);
            format!(
                "error: `{shown}` was not imported: its stack cells have syntax errors\n{rendered}"
            )
        }
        ImportError::NoJourney => {
            format!(
                "error: `{shown}` was not imported: it has no ```stack cell with a card or trigger\n"
            )
        }
    };
    io.eprint(&message)
}

/// Every output path, checked before anything is written: two notebooks may not make
/// the same file, and an existing file needs `--force`.
fn plan_outputs(args: &TurnArgs, imported: &[(PathBuf, Imported)]) -> Result<Vec<PathBuf>, String> {
    let mut outputs: Vec<PathBuf> = Vec::new();
    for (notebook, result) in imported {
        let output = args.out.join(&result.file_name);
        if let Some(first) = outputs.iter().position(|o| o == &output) {
            return Err(format!(
                "`{}` and `{}` would both become `{}`: import them into different --out directories",
                imported[first].0.display(),
                notebook.display(),
                output.display()
            ));
        }
        outputs.push(output);
    }
    let mut to_write: Vec<&Path> = outputs.iter().map(PathBuf::as_path).collect();
    to_write.extend(args.report.as_deref());
    if !args.force
        && let Some(existing) = to_write.iter().find(|p| p.exists())
    {
        return Err(format!(
            "`{}` exists; nothing was written (pass --force to overwrite it)",
            existing.display()
        ));
    }
    Ok(outputs)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn summary(reports: &[&Report], failed: usize) -> String {
    let notes: usize = reports.iter().map(|r| r.not_converted.len()).sum();
    let mut secrets: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.secrets.iter().map(String::as_str))
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    let mut text = format!(
        "\nImported {} notebook{}",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" }
    );
    if failed > 0 {
        text.push_str(&format!(", {failed} not imported"));
    }
    text.push_str(&format!(
        "; {notes} thing{} not converted.\n",
        if notes == 1 { "" } else { "s" }
    ));
    if !secrets.is_empty() {
        text.push_str(&format!(
            "Set these secrets where the journeys run (and list them in journey.toml [secrets]): {}\n",
            secrets.join(", ")
        ));
    }
    text
}
