//! `journey graph FILE`: the compiled state machine as DOT or Mermaid.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::Io;
use crate::workspace;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

#[derive(clap::Args)]
pub struct Args {
    /// A `.journey` file or Turn `.md` notebook.
    file: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
    /// Which journey of the file, when it holds several (`stack Name do`).
    #[arg(long)]
    journey: Option<String>,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let workspace = workspace::load(std::slice::from_ref(&args.file))?;
    let project = workspace
        .projects
        .first()
        .ok_or_else(|| format!("`{}` holds no journey", args.file.display()))?;
    let analysis = project.host.analysis();
    let compiled = analysis.journeys();
    let journey = match &args.journey {
        Some(name) => compiled.iter().find(|j| &j.name == name).ok_or_else(|| {
            let names: Vec<&str> = compiled.iter().map(|j| j.name.as_str()).collect();
            format!(
                "no journey `{name}` in `{}`; it has: {}",
                args.file.display(),
                names.join(", ")
            )
        })?,
        None => compiled
            .first()
            .ok_or_else(|| format!("`{}` holds no journey", args.file.display()))?,
    };
    let picture = match args.format {
        Format::Dot => journey_model::render::dot(journey),
        Format::Mermaid => journey_model::render::mermaid(journey),
    };
    io.print(&picture)?;
    if analysis.has_syntax_errors() {
        io.warn(&format!(
            "`{}` has syntax errors; the picture shows what could be read (run `journey check`)",
            args.file.display()
        ))?;
    }
    Ok(0)
}
