//! The plan of an import: every file to write with its final contents, the new
//! journey.toml, and what the operator must still do. Nothing is written here; the
//! CLI writes the plan only when it has no conflict, so an import is all or nothing.

use std::collections::{BTreeMap, BTreeSet};

use journey_diagnostics::{FileId, Severity, SourceMap};
use journey_project::{ProjectConfig, Secrets, TemplateStatus};
use journey_syntax::{Parsed, Quote};

use crate::manifest::Playbook;
use crate::merge::{self, Additions};
use crate::params::{self, ParamValue};
use crate::rewrite::{self, Edit, JourneyFile, PARAMETER_ROOT, Place};
use crate::testfile;

/// A text file, by its path relative to the playbook or the project (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFile {
    pub path: String,
    pub text: String,
}

/// The project an import goes into, as the CLI read it.
#[derive(Clone, Debug, Default)]
pub struct Project {
    /// journey.toml's text.
    pub config_text: String,
    /// Every file of the project, relative to its root, `/`-separated.
    pub files: BTreeSet<String>,
    /// The names of the project's journeys, and the file of each.
    pub journeys: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Prepended to the name of every journey (`Clinic` makes `Onboarding`
    /// `ClinicOnboarding`) and, in snake case, to file names.
    pub prefix: Option<String>,
    /// `NAME=value`, as given to `--set`.
    pub sets: Vec<String>,
}

/// Everything an import does, for the CLI to write.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The journeys and tests, adapted, by their path in the project.
    pub files: Vec<TextFile>,
    /// journey.toml with the playbook's needs added (unchanged when it had them).
    pub config_text: String,
    pub additions: Additions,
    /// Old journey name → new one.
    pub renamed: BTreeMap<String, String>,
    /// The parameters and the value each got.
    pub values: BTreeMap<String, ParamValue>,
    /// What the operator must still configure, one sentence each.
    pub todo: Vec<String>,
}

/// Why nothing can be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// Bad `--set` or `--prefix` values.
    Usage(Vec<String>),
    /// Files or journeys the import would overwrite, or fields of another type.
    Conflicts(Vec<String>),
    /// The playbook's own journeys cannot be imported as written.
    Playbook(Vec<String>),
}

/// Plans importing `playbook` (its `.journey` and `.test` files in `files`) into
/// `project`.
pub fn plan(
    playbook: &Playbook,
    files: &[TextFile],
    project: &Project,
    options: &Options,
) -> Result<Plan, ImportError> {
    let prefix = check_prefix(options.prefix.as_deref())?;
    let values = params::fill(playbook, &options.sets).map_err(ImportError::Usage)?;
    let (config, _) = journey_project::parse_config(FileId::default(), &project.config_text);

    let mut sources = SourceMap::new();
    let journeys: Vec<(&TextFile, FileId, Parsed)> = files
        .iter()
        .filter(|f| f.path.ends_with(".journey"))
        .map(|f| {
            let id = sources.add(f.path.clone(), f.text.clone());
            (f, id, journey_syntax::parse_journey(id, &f.text))
        })
        .collect();
    let parsed: Vec<JourneyFile<'_>> = journeys
        .iter()
        .map(|(f, id, parsed)| JourneyFile {
            file: *id,
            text: &f.text,
            module: &parsed.module,
            stem: file_stem(&f.path),
        })
        .collect();
    check_journeys(playbook, &journeys, &values)?;

    let renamed: BTreeMap<String, String> = rewrite::journey_names(&parsed)
        .into_iter()
        .map(|name| (name.clone(), format!("{}{name}", prefix.unwrap_or(""))))
        .filter(|(old, new)| old != new)
        .collect();
    let mut renames = rewrite::rename_journeys(&parsed, &renamed);
    let mut planned = Vec::new();
    for file in &parsed {
        let mut edits: Vec<Edit> = renames.remove(&file.file).unwrap_or_default();
        let uses = rewrite::parameter_uses(file.module, file.text);
        edits.extend(rewrite::fill_parameters(&uses, &values));
        planned.push(TextFile {
            path: target_path(sources.get(file.file).name.as_str(), prefix),
            text: rewrite::apply(file.text, edits),
        });
    }
    check_written(&planned)?;
    for test in files.iter().filter(|f| f.path.ends_with(".test")) {
        planned.push(TextFile {
            path: target_path(&test.path, prefix),
            text: testfile::adapt(&test.text, &renamed, &values),
        });
    }

    let (config_text, additions) = merge::merge(playbook, &project.config_text, &config)
        .map_err(|clashes| {
            ImportError::Conflicts(
                clashes
                    .iter()
                    .map(|c| {
                        format!(
                            "contact field `{}` is {} in the project's journey.toml; the playbook needs {}",
                            c.name,
                            c.project.kind.as_str(),
                            c.playbook.kind.as_str()
                        )
                    })
                    .collect(),
            )
        })?;
    check_conflicts(project, &planned, &renamed, &parsed)?;
    let todo = todo(playbook, &config, &values);
    Ok(Plan {
        files: planned,
        config_text,
        additions,
        renamed,
        values,
        todo,
    })
}

fn check_prefix(prefix: Option<&str>) -> Result<Option<&str>, ImportError> {
    let Some(prefix) = prefix else {
        return Ok(None);
    };
    let ok = prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(Some(prefix))
    } else {
        Err(ImportError::Usage(vec![format!(
            "`--prefix {prefix}` cannot start a journey name: use letters, digits and `_`, starting with a letter (e.g. `Clinic`)"
        )]))
    }
}

/// The playbook's journeys must parse, read only the parameters it declares, and read
/// a filled one where its value can be written.
fn check_journeys(
    playbook: &Playbook,
    journeys: &[(&TextFile, FileId, Parsed)],
    values: &BTreeMap<String, ParamValue>,
) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    for (file, _, parsed) in journeys {
        let at = |offset: usize| place(file, offset);
        if let Some(error) = parsed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            errors.push(format!(
                "{}: {}",
                at(error.span().range().start),
                error.message
            ));
            continue;
        }
        for journey in &parsed.module.journeys {
            if journey.name.is_none() && !journey.items.is_empty() {
                errors.push(format!(
                    "{}: a playbook journey is written `stack Name do … end`, so that `--prefix` can rename it",
                    at(journey.span.range().start)
                ));
            }
        }
        // A playbook says which secrets it reads, so an operator knows what it sends
        // where: reading an undeclared one is refused.
        for (name, span) in rewrite::secret_reads(&parsed.module) {
            let declared = name
                .as_ref()
                .is_some_and(|n| playbook.secrets.iter().any(|s| &s.name == n));
            if !declared {
                errors.push(match name {
                    Some(name) => format!(
                        "{}: the journey reads secret `{name}`, which playbook.toml does not declare; add `[secrets.{name}]` with a description",
                        at(span.range().start)
                    ),
                    None => format!(
                        "{}: `secret(…)` with a computed name; write the name, and declare it in playbook.toml under `[secrets.NAME]`",
                        at(span.range().start)
                    ),
                });
            }
        }
        for u in rewrite::parameter_uses(&parsed.module, &file.text) {
            if playbook.parameter(&u.name).is_none() {
                let hint = journey_model::suggest(
                    &u.name,
                    playbook.parameters.iter().map(|p| p.name.as_str()),
                )
                .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
                errors.push(format!(
                    "{}: `global.{PARAMETER_ROOT}.{}` is not a parameter of playbook.toml{hint}",
                    at(u.span.range().start),
                    u.name
                ));
            } else if u.place == Place::Text(Quote::Triple)
                && values
                    .get(&u.name)
                    .is_some_and(|v| v.as_text().contains('"'))
            {
                // `"""` strings have no escapes: a `"` at the value's end would close it.
                errors.push(format!(
                    "{}: parameter `{}` is written into a `\"\"\"` string, which cannot hold a `\"` from a value; give a value without `\"`",
                    at(u.span.range().start),
                    u.name
                ));
            } else if u.place == Place::InsideInterpolation && values.contains_key(&u.name) {
                errors.push(format!(
                    "{}: parameter `{}` is read inside a larger `@(...)`; write it alone as `@global.{PARAMETER_ROOT}.{}` so that its value can be written into the text",
                    at(u.span.range().start),
                    u.name,
                    u.name
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Playbook(errors))
    }
}

/// The journeys as they will be written must parse: a value is escaped for the string
/// it goes into, but this holds whatever slipped through.
pub(crate) fn check_written(planned: &[TextFile]) -> Result<(), ImportError> {
    let errors: Vec<String> = planned
        .iter()
        .filter(|f| f.path.ends_with(".journey"))
        .filter_map(|f| {
            let parsed = journey_syntax::parse_journey(FileId::default(), &f.text);
            let error = parsed
                .diagnostics
                .into_iter()
                .find(|d| d.severity == Severity::Error)?;
            Some(format!(
                "{}: the journey would not parse with the values given ({}); change the `--set` values",
                place(f, error.span().range().start),
                error.message
            ))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Usage(errors))
    }
}

/// `path:line:column` of a byte offset.
fn place(file: &TextFile, offset: usize) -> String {
    let line = file.text[..offset].matches('\n').count() + 1;
    let column = file.text[..offset].rsplit('\n').next().map_or(0, str::len) + 1;
    format!("{}:{line}:{column}", file.path)
}

fn check_conflicts(
    project: &Project,
    planned: &[TextFile],
    renamed: &BTreeMap<String, String>,
    parsed: &[JourneyFile<'_>],
) -> Result<(), ImportError> {
    let mut conflicts: Vec<String> = planned
        .iter()
        .filter(|f| project.files.contains(&f.path))
        .map(|f| format!("`{}` already exists in the project", f.path))
        .collect();
    for name in rewrite::journey_names(parsed) {
        let name = renamed.get(&name).unwrap_or(&name);
        if let Some(file) = project.journeys.get(name) {
            conflicts.push(format!(
                "the project already has a journey `{name}` (in `{file}`)"
            ));
        }
    }
    if conflicts.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Conflicts(conflicts))
    }
}

/// What the operator must still do: approvals, secrets, values and languages.
fn todo(
    playbook: &Playbook,
    project: &ProjectConfig,
    values: &BTreeMap<String, ParamValue>,
) -> Vec<String> {
    let mut todo = Vec::new();
    for template in &playbook.templates {
        let status = project
            .template(&template.name, &template.language)
            .map_or(template.status, |t| t.status);
        if status != TemplateStatus::Approved {
            todo.push(format!(
                "template `{}` ({}, {}) is not approved yet: submit it in WhatsApp Manager, then set `status = \"approved\"` in journey.toml",
                template.name,
                template.language,
                format!("{:?}", template.category).to_lowercase()
            ));
        }
    }
    for secret in &playbook.secrets {
        todo.push(format!(
            "secret `{}`: set the environment variable `{}` where the journeys run ({})",
            secret.name,
            Secrets::env_var(&secret.name),
            secret.description
        ));
    }
    for parameter in playbook
        .parameters
        .iter()
        .filter(|p| !values.contains_key(&p.name))
    {
        todo.push(format!(
            "parameter `{}` ({}) has no value: the journeys read it as `global.{PARAMETER_ROOT}.{}` at run time; import again with `--set {}=…` to write it in",
            parameter.name,
            parameter.kind.as_str(),
            parameter.name,
            parameter.name
        ));
    }
    let languages = project.languages();
    for language in playbook
        .about
        .languages
        .iter()
        .filter(|l| !languages.contains(&l.as_str()))
    {
        todo.push(format!(
            "the journeys speak `{language}`: add it to `[project] languages` in journey.toml so that `journey check` verifies those translations"
        ));
    }
    todo
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_owned()
}

/// The file's path in the project: the prefix, in lowercase, before its name.
fn target_path(path: &str, prefix: Option<&str>) -> String {
    let Some(prefix) = prefix else {
        return path.to_owned();
    };
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
    let name = format!("{}_{name}", prefix.to_lowercase());
    if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    }
}
