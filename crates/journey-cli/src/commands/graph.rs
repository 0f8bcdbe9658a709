//! `journey graph PATH`: the compiled state machine as DOT, Mermaid or SVG.

use std::path::PathBuf;

use clap::ValueEnum;
use journey_model::CompiledJourney;
use journey_model::render::Detail;

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
    /// One node per card and the ways between cards, without the steps inside: an
    /// overview that stays readable for large journeys.
    #[arg(long)]
    cards: bool,
}

/// Journeys with more cards than this get a hint about `--cards`.
const LARGE: usize = 12;

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let workspace = workspace::load(std::slice::from_ref(&args.path))?;
    let mut compiled: Vec<CompiledJourney> = Vec::new();
    let mut syntax_errors = false;
    for project in &workspace.projects {
        let analysis = project.host.analysis();
        compiled.extend(analysis.journeys().iter().cloned());
        syntax_errors |= analysis.has_syntax_errors();
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
    let detail = if args.cards {
        Detail::Cards
    } else {
        Detail::Steps
    };
    let picture = match args.format {
        Format::Dot => journey_model::render::dot_all(&compiled, detail),
        Format::Mermaid => journey_model::render::mermaid_all(&compiled, detail),
        Format::Svg => svg(&compiled, detail)?,
    };
    io.print(&picture)?;
    if let Some(large) = compiled.iter().find(|j| j.cards.len() > LARGE)
        && !args.cards
    {
        io.warn(&format!(
            "`{}` has {} cards; `--cards` draws one node per card, which stays readable",
            large.name,
            large.cards.len()
        ))?;
    }
    if syntax_errors {
        io.warn(&format!(
            "`{}` has syntax errors; the picture shows what could be read (run `journey check`)",
            args.path.display()
        ))?;
    }
    Ok(0)
}

/// Lays each journey out and draws it as SVG in-process (layout-rs), so that no
/// Graphviz installation is needed; several journeys are stacked top to bottom, each
/// under its name, so that the picture grows down rather than across.
fn svg(journeys: &[CompiledJourney], detail: Detail) -> Result<String, String> {
    const TITLE: f64 = 28.0;
    let mut parts = Vec::new();
    for journey in journeys {
        let picture = layout(&journey_model::render::dot_flat(
            std::slice::from_ref(journey),
            detail,
        ))?;
        let (width, height) = size(&picture);
        parts.push((journey.name.as_str(), picture, width, height));
    }
    if let [(_, picture, _, _)] = parts.as_slice() {
        return Ok(picture.clone());
    }
    let width = parts.iter().map(|p| p.2).fold(0.0, f64::max);
    let height: f64 = parts.iter().map(|p| p.3 + TITLE).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let mut y = 0.0;
    for (name, picture, _, h) in &parts {
        let name = name.replace('&', "&amp;").replace('<', "&lt;");
        out.push_str(&format!(
            "<text x=\"8\" y=\"{}\" font-family=\"Helvetica, sans-serif\" font-size=\"18\" font-weight=\"bold\">{name}</text>\n",
            y + TITLE - 8.0
        ));
        // A nested <svg> keeps each picture's own coordinates and ids apart.
        let body = picture
            .split_once("?>")
            .map_or(picture.as_str(), |(_, rest)| rest);
        out.push_str(&body.replacen("<svg ", &format!("<svg x=\"0\" y=\"{}\" ", y + TITLE), 1));
        out.push('\n');
        y += TITLE + h;
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// One DOT picture as SVG.
fn layout(dot: &str) -> Result<String, String> {
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

/// The `width` and `height` of an SVG's root element.
fn size(svg: &str) -> (f64, f64) {
    let attribute = |name: &str| {
        svg.split_once(&format!(" {name}=\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .and_then(|(value, _)| value.parse().ok())
            .unwrap_or(0.0)
    };
    (attribute("width"), attribute("height"))
}
