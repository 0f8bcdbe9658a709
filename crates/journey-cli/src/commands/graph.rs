//! `journey graph PATH`: the compiled state machine as DOT, Mermaid or SVG.

use std::path::PathBuf;

use clap::ValueEnum;
use journey_model::CompiledJourney;

use crate::Io;
use crate::workspace;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Graphviz DOT, for `dot -Tsvg` and other Graphviz tools.
    Dot,
    /// A Mermaid flowchart (GitHub and many wikis draw it).
    Mermaid,
    /// An SVG picture, drawn without Graphviz.
    Svg,
}

#[derive(clap::Args)]
pub struct Args {
    /// A `.journey` file, a Turn `.md` notebook, or a directory: every journey in it is
    /// drawn, each in a box named after it.
    path: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
    /// Draw only this journey (`stack Name do`) of the file or directory.
    #[arg(long)]
    journey: Option<String>,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let workspace = workspace::load(std::slice::from_ref(&args.path))?;
    let mut compiled: Vec<CompiledJourney> = Vec::new();
    let mut syntax_errors = false;
    for project in &workspace.projects {
        compiled.extend(project.compile(&workspace.sources));
        syntax_errors |= !project.diagnostics.is_empty();
    }
    if compiled.is_empty() {
        return Err(format!("`{}` holds no journey", args.path.display()));
    }
    if let Some(name) = &args.journey {
        let names: Vec<String> = compiled.iter().map(|j| j.name.clone()).collect();
        compiled.retain(|j| &j.name == name);
        if compiled.is_empty() {
            return Err(format!(
                "no journey `{name}` in `{}`; it has: {}",
                args.path.display(),
                names.join(", ")
            ));
        }
    }
    let picture = match args.format {
        Format::Dot => journey_model::render::dot_all(&compiled),
        Format::Mermaid => journey_model::render::mermaid_all(&compiled),
        Format::Svg => svg(&journey_model::render::dot_flat(&compiled))?,
    };
    io.print(&picture)?;
    if syntax_errors {
        io.warn(&format!(
            "`{}` has syntax errors; the picture shows what could be read (run `journey check`)",
            args.path.display()
        ))?;
    }
    Ok(0)
}

/// Lays the DOT picture out and draws it as SVG in-process (layout-rs), so that no
/// Graphviz installation is needed.
fn svg(dot: &str) -> Result<String, String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};

    let graph = DotParser::new(dot)
        .process()
        .map_err(|e| format!("cannot lay out the picture: {e}"))?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut writer = SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    Ok(writer.finalize())
}
