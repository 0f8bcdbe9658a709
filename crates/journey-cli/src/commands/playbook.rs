//! `journey playbook list|show|import`: the playbook library (docs/playbooks.md).
//! journey-playbook plans an import from the files read here; this module writes the
//! plan only when it has no conflict, then checks the project.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use journey_playbook::{Entry, ImportError, MANIFEST, Options, Plan, TextFile};

use crate::Io;
use crate::workspace;

/// How the built-in library shows in messages.
const BUILT_IN: &str = "playbooks";
const LIBRARY_VARIABLE: &str = "JOURNEY_PLAYBOOKS";

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the playbooks of the library.
    List(Library),
    /// Describe a playbook: parameters, contact fields, templates and secrets.
    Show {
        /// The playbook's name, or its directory.
        playbook: String,
        #[command(flatten)]
        library: Library,
    },
    /// Copy a playbook's journeys and tests into a project, with parameters filled in.
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct Library {
    /// The playbook library, a directory (default: `$JOURNEY_PLAYBOOKS`, else the
    /// library built into `journey`).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The playbook's name, or its directory.
    playbook: String,
    /// The project to import into (a directory with a journey.toml).
    #[arg(long)]
    into: PathBuf,
    /// Prepended to the names of the playbook's journeys (and, in lowercase, its files).
    #[arg(long)]
    prefix: Option<String>,
    /// A parameter's value, `NAME=VALUE`; repeat for several.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    #[command(flatten)]
    library: Library,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    match args.command {
        Command::List(library) => list(&library, io),
        Command::Show { playbook, library } => show(&playbook, &library, io),
        Command::Import(args) => import(&args, io),
    }
}

/// A playbook read from its directory.
struct Loaded {
    dir: PathBuf,
    entry: Entry,
}

impl Loaded {
    fn read(dir: &Path) -> Result<Loaded, String> {
        let manifest = workspace::read(&dir.join(MANIFEST))?;
        let mut files = Vec::new();
        for path in files_under(dir, &["journey", "test"])? {
            files.push(TextFile {
                path: relative(dir, &path),
                text: workspace::read(&path)?,
            });
        }
        let entry = Entry::parse(
            &dir_name(dir),
            &workspace::display(&dir.join(MANIFEST)),
            &manifest,
            files,
        );
        Ok(Loaded {
            dir: dir.to_path_buf(),
            entry,
        })
    }

    /// Prints the manifest's findings; true when one is an error.
    fn report(&self, io: &mut Io<'_>) -> Result<bool, String> {
        if !self.entry.diagnostics.is_empty() {
            let color = io.terminal && std::env::var_os("NO_COLOR").is_none();
            io.print(&journey_diagnostics::render_human(
                &self.entry.diagnostics,
                &self.entry.sources,
                color,
            ))?;
        }
        Ok(self.entry.has_errors())
    }
}

/// The library's directory, or `None` for the library built into `journey`.
fn library_dir(library: &Library) -> Option<PathBuf> {
    library
        .dir
        .clone()
        .or_else(|| std::env::var_os(LIBRARY_VARIABLE).map(PathBuf::from))
}

/// Every playbook of the library, by name.
fn library(library: &Library) -> Result<Vec<Loaded>, String> {
    let Some(dir) = library_dir(library) else {
        return Ok(embedded());
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "cannot read the playbook library `{}`: {e} (give it with `--dir` or `${LIBRARY_VARIABLE}`)",
            dir.display()
        )
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Loaded::read(d)).collect()
}

/// The built-in library.
fn embedded() -> Vec<Loaded> {
    journey_playbook::builtin(BUILT_IN)
        .into_iter()
        .map(|entry| Loaded {
            dir: Path::new(BUILT_IN).join(&entry.name),
            entry,
        })
        .collect()
}

/// The playbooks of the library `dir` (`None`: `$JOURNEY_PLAYBOOKS`, else the built-in
/// one), for the studio's gallery.
pub(crate) fn entries(dir: Option<PathBuf>) -> Result<Vec<Entry>, String> {
    Ok(library(&Library { dir })?
        .into_iter()
        .map(|l| l.entry)
        .collect())
}

fn library_name(library: &Library) -> String {
    library_dir(library).map_or_else(
        || {
            format!(
                "the built-in library (`{BUILT_IN}/` of journey {})",
                env!("CARGO_PKG_VERSION")
            )
        },
        |dir| format!("`{}`", workspace::display(&dir)),
    )
}

/// A playbook given as a directory, or by name in the library.
fn find(playbook: &str, library: &Library) -> Result<Loaded, String> {
    let as_dir = Path::new(playbook);
    if as_dir.join(MANIFEST).is_file() {
        return Loaded::read(as_dir);
    }
    let mut all = self::library(library)?;
    let names: Vec<String> = all.iter().map(|l| dir_name(&l.dir)).collect();
    if let Some(at) = names.iter().position(|n| n == playbook) {
        return Ok(all.swap_remove(at));
    }
    let hint = journey_model::suggest(playbook, names.iter().map(String::as_str))
        .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
    Err(format!(
        "no playbook `{playbook}` in {}{hint} (`journey playbook list` shows them)",
        library_name(library)
    ))
}

fn list(library: &Library, io: &mut Io<'_>) -> Result<u8, String> {
    let loaded = self::library(library)?;
    if loaded.is_empty() {
        io.print(&format!("No playbooks in {}.\n", library_name(library)))?;
        return Ok(0);
    }
    let width = loaded
        .iter()
        .map(|l| dir_name(&l.dir).len())
        .max()
        .unwrap_or(0);
    let mut code = 0;
    for playbook in &loaded {
        let summary = if playbook.entry.has_errors() {
            code = 1;
            format!(
                "(playbook.toml has errors: `journey playbook show {}`)",
                dir_name(&playbook.dir)
            )
        } else {
            playbook.entry.playbook.about.summary.clone()
        };
        io.print(&printable(&format!(
            "{:width$}  {:8}  {summary}\n",
            dir_name(&playbook.dir),
            playbook.entry.playbook.about.version
        )))?;
    }
    Ok(code)
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

fn show(name: &str, library: &Library, io: &mut Io<'_>) -> Result<u8, String> {
    let loaded = find(name, library)?;
    if loaded.report(io)? {
        return Ok(1);
    }
    io.print(&printable(&describe(&loaded)))?;
    Ok(0)
}

fn describe(loaded: &Loaded) -> String {
    let playbook = &loaded.entry.playbook;
    let about = &playbook.about;
    let mut out = format!(
        "{} ({})\n{}\n",
        loaded.entry.title(),
        about.licence,
        about.summary
    );
    let journeys: Vec<&str> = loaded
        .entry
        .files
        .iter()
        .filter(|f| f.path.ends_with(".journey"))
        .map(|f| f.path.as_str())
        .collect();
    out.push_str(&format!("\nJourneys: {}\n", journeys.join(", ")));
    if !about.languages.is_empty() {
        out.push_str(&format!("Languages: {}\n", about.languages.join(", ")));
    }
    section(
        &mut out,
        "Parameters",
        playbook.parameters.iter().map(|p| {
            let default = p
                .default
                .as_ref()
                .map_or_else(|| "required".to_owned(), |d| format!("default {d}"));
            format!(
                "{} ({}, {default}): {}",
                p.name,
                p.kind.as_str(),
                p.description
            )
        }),
    );
    section(
        &mut out,
        "Contact fields",
        playbook.fields.iter().map(|(name, spec)| {
            let description = spec.description.as_deref().unwrap_or("");
            format!("{name} ({}): {description}", spec.kind.as_str())
        }),
    );
    section(
        &mut out,
        "Templates",
        playbook.templates.iter().map(|t| {
            format!(
                "{} ({}, {}, imported as {}): {}",
                t.name,
                t.language,
                format!("{:?}", t.category).to_lowercase(),
                format!("{:?}", t.status).to_lowercase(),
                t.body
            )
        }),
    );
    // The secrets the journeys read, whatever playbook.toml declares.
    let read: BTreeSet<String> = loaded
        .entry
        .files
        .iter()
        .filter(|f| f.path.ends_with(".journey"))
        .flat_map(|f| {
            let parsed = journey_syntax::parse_journey(journey_diagnostics::FileId(0), &f.text);
            journey_playbook::secret_reads(&parsed.module)
        })
        .map(|(name, _)| name.unwrap_or_else(|| "(a computed name)".to_owned()))
        .collect();
    let declared = playbook.secrets.iter().map(|s| {
        let unused = if read.contains(&s.name) {
            ""
        } else {
            " (declared, not read by the journeys)"
        };
        format!("{}: {}{unused}", s.name, s.description)
    });
    let undeclared = read
        .iter()
        .filter(|name| !playbook.secrets.iter().any(|s| &&s.name == name))
        .map(|name| format!("{name}: read by the journeys but not declared in playbook.toml (an import refuses it)"));
    section(&mut out, "Secrets", declared.chain(undeclared));
    out
}

fn section(out: &mut String, title: &str, lines: impl Iterator<Item = String>) {
    let lines: Vec<String> = lines.collect();
    out.push_str(&format!("\n{title}:"));
    if lines.is_empty() {
        out.push_str(" none\n");
        return;
    }
    out.push('\n');
    for line in lines {
        out.push_str(&format!("  - {line}\n"));
    }
}

fn import(args: &ImportArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let loaded = find(&args.playbook, &args.library)?;
    if loaded.report(io)? {
        io.print("error: not importing: the playbook's playbook.toml has errors\n")?;
        return Ok(1);
    }
    let project = read_project(&args.into)?;
    let options = Options {
        prefix: args.prefix.clone(),
        sets: args.sets.clone(),
    };
    let plan = match journey_playbook::plan(
        &loaded.entry.playbook,
        &loaded.entry.files,
        &project,
        &options,
    ) {
        Ok(plan) => plan,
        Err(error) => return refuse(&error, &loaded, io),
    };
    write_plan(&args.into, &project, &plan)?;
    report(&loaded, &args.into, &plan, io)?;
    io.print(&format!("\nChecking {}:\n", workspace::display(&args.into)))?;
    let code = crate::run(
        [
            "journey".into(),
            "check".into(),
            args.into.clone().into_os_string(),
        ],
        io,
    );
    print_todo(&plan, io)?;
    Ok(code)
}

/// Says why nothing was imported. Conflicts and bad values are usage errors (2); a
/// playbook whose journeys cannot be imported has errors (1).
fn refuse(error: &ImportError, loaded: &Loaded, io: &mut Io<'_>) -> Result<u8, String> {
    let (intro, lines, code) = match error {
        ImportError::Usage(lines) => ("cannot import", lines, 2),
        ImportError::Conflicts(lines) => (
            "nothing was imported, because the import would overwrite what the project has",
            lines,
            2,
        ),
        ImportError::Playbook(lines) => ("the playbook's journeys cannot be imported", lines, 1),
    };
    writeln_err(io, &format!("error: {intro} ({}):", loaded.entry.title()))?;
    for line in lines {
        writeln_err(io, &format!("  - {line}"))?;
    }
    if matches!(error, ImportError::Conflicts(_)) {
        writeln_err(
            io,
            "  = help: import with `--prefix P` to give the playbook's journeys and files other names",
        )?;
    }
    Ok(code)
}

fn writeln_err(io: &mut Io<'_>, line: &str) -> Result<(), String> {
    writeln!(io.stderr, "{}", printable(line)).map_err(|e| format!("cannot write an error: {e}"))
}

/// Text from a playbook made safe for a terminal: control characters (ESC starting a
/// colour or cursor sequence, a carriage return overwriting a line) are shown as
/// escapes such as `\u{1b}`, so that a playbook cannot drive the operator's terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses a plan that would write through a symbolic link inside the project: a linked
/// directory would take the playbook's files outside it.
fn refuse_links(dir: &Path, plan: &Plan) -> Result<(), String> {
    for file in &plan.files {
        let mut at = dir.to_path_buf();
        for part in Path::new(&file.path).components() {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(format!(
                        "not importing: `{}` is a symbolic link, and an import writes only inside the project",
                        printable(&workspace::display(&at))
                    ));
                }
                Ok(_) => {}
                // Not there yet: the import creates it.
                Err(_) => break,
            }
        }
    }
    Ok(())
}

/// The project's journey.toml, files and journey names.
fn read_project(dir: &Path) -> Result<journey_playbook::Project, String> {
    let config = dir.join("journey.toml");
    if !config.is_file() {
        return Err(format!(
            "`{}` is not a project: it has no journey.toml (`journey new` makes one)",
            workspace::display(dir)
        ));
    }
    let files: BTreeSet<String> = files_under(dir, &[])?
        .iter()
        .map(|p| relative(dir, p))
        .collect();
    let loaded = workspace::load(&[dir.to_path_buf()])?;
    let mut journeys = BTreeMap::new();
    for project in &loaded.projects {
        let analysis = project.host.analysis();
        let files: Vec<(String, &journey_syntax::Module)> = analysis
            .journey_files()
            .into_iter()
            .map(|(_, name, parsed)| (relative(dir, Path::new(name)), &parsed.module))
            .collect();
        journeys.extend(journey_playbook::project_journeys(
            files.iter().map(|(path, module)| (path.as_str(), *module)),
        ));
    }
    Ok(journey_playbook::Project {
        config_text: workspace::read(&config)?,
        files,
        journeys,
    })
}

/// Writes the planned files (each must be new: a file that appeared since the plan
/// is not overwritten) and journey.toml.
fn write_plan(dir: &Path, project: &journey_playbook::Project, plan: &Plan) -> Result<(), String> {
    refuse_links(dir, plan)?;
    for file in &plan.files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        out.write_all(file.text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    if plan.config_text != project.config_text {
        let path = dir.join("journey.toml");
        std::fs::write(&path, &plan.config_text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}

fn report(loaded: &Loaded, into: &Path, plan: &Plan, io: &mut Io<'_>) -> Result<(), String> {
    let mut out = format!(
        "Imported {} into {}\n",
        loaded.entry.title(),
        workspace::display(into)
    );
    for file in &plan.files {
        out.push_str(&format!("  wrote {}\n", file.path));
    }
    for (old, new) in &plan.renamed {
        out.push_str(&format!("  renamed journey {old} to {new}\n"));
    }
    for (name, value) in &plan.values {
        out.push_str(&format!("  parameter {name} = {value}\n"));
    }
    let added = &plan.additions;
    for field in &added.fields {
        out.push_str(&format!("  journey.toml: added contact field `{field}`\n"));
    }
    for (name, language) in &added.templates {
        out.push_str(&format!(
            "  journey.toml: added template `{name}` ({language})\n"
        ));
    }
    for secret in &added.secrets {
        out.push_str(&format!("  journey.toml: added secret name `{secret}`\n"));
    }
    io.print(&printable(&out))
}

fn print_todo(plan: &Plan, io: &mut Io<'_>) -> Result<(), String> {
    if plan.todo.is_empty() {
        return io.print("\nNothing left to configure.\n");
    }
    let mut out = String::from("\nStill to configure:\n");
    for item in &plan.todo {
        out.push_str(&format!("  - {item}\n"));
    }
    io.print(&printable(&out))
}

/// Files under `dir` with one of these extensions (every file when none is given),
/// sorted, skipping hidden and build directories.
fn files_under(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for entry in journey_files::walk(dir, journey_files::Nested::Include) {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        let wanted = extensions.is_empty()
            || entry
                .path()
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x));
        if entry.file_type().is_file() && wanted {
            found.push(entry.into_path());
        }
    }
    Ok(found)
}

/// `path` relative to `dir`, `/`-separated.
fn relative(dir: &Path, path: &Path) -> String {
    workspace::display(path.strip_prefix(dir).unwrap_or(path))
}
