//! `journey check`: parse, lower and run every rule; print in the chosen format.

use std::path::PathBuf;

use clap::ValueEnum;
use journey_diagnostics::Severity;

use crate::Io;
use crate::workspace;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.journey` and `.md` files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit with 1 when a finding of at least this severity exists
    /// (default: `[check] fail_on` in journey.toml, else `error`).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Run only these rules: codes or prefixes, comma-separated (`--select J1,WA101`);
    /// replaces `[check] select` of journey.toml.
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Report every finding in detail where a rule otherwise says a project-wide cause
    /// once (`[check] show_all`).
    #[arg(long)]
    show_all: bool,
    /// Colour in human output: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, default_value = "auto")]
    color: Color,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let mut workspace = workspace::load(&args.paths)?;
    let mut fail_on = Severity::Error;
    for project in &mut workspace.projects {
        if !args.select.is_empty() {
            project.host.set_select(Some(args.select.clone()));
        }
        if args.show_all {
            project.host.set_show_all(true);
        }
        fail_on = fail_on.min(project.host.analysis().config().check.fail_on);
    }
    let (sources, diagnostics) = workspace.diagnostics();
    if let Some(flag) = args.fail_on {
        fail_on = match flag {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        };
    }

    let sources = &sources;
    let output = match args.format {
        Format::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => io.terminal && std::env::var_os("NO_COLOR").is_none(),
            };
            let mut text = journey_diagnostics::render_human(&diagnostics, sources, color);
            if diagnostics.is_empty() {
                let files = workspace.file_count();
                text = format!(
                    "No problems found in {files} file{}.\n",
                    if files == 1 { "" } else { "s" }
                );
            }
            text
        }
        Format::Json => journey_diagnostics::render_json(&diagnostics, sources),
        Format::Github => journey_diagnostics::render_github(&diagnostics, sources),
        Format::Sarif => {
            let rules: Vec<_> = journey_check::RULES.iter().map(|r| r.meta()).collect();
            journey_diagnostics::render_sarif(
                &diagnostics,
                sources,
                &rules,
                env!("CARGO_PKG_VERSION"),
            )
        }
    };
    io.print(&output)?;
    let failed = diagnostics.iter().any(|d| d.severity >= fail_on);
    Ok(u8::from(failed))
}
