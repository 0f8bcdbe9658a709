//! What a playbook adds to the project's journey.toml: the contact fields and templates
//! it needs that the project lacks, and the names of its secrets. The additions are
//! appended as text, so the operator's comments and layout stay as they were.

use journey_project::{FieldSpec, ProjectConfig, Template};

use crate::manifest::Playbook;

/// What was added, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Additions {
    pub fields: Vec<String>,
    /// Name and language.
    pub templates: Vec<(String, String)>,
    pub secrets: Vec<String>,
}

impl Additions {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.templates.is_empty() && self.secrets.is_empty()
    }
}

/// A field the project declares with another type than the playbook needs.
pub(crate) struct FieldClash {
    pub(crate) name: String,
    pub(crate) project: FieldSpec,
    pub(crate) playbook: FieldSpec,
}

/// The journey.toml text with the playbook's needs appended, or the fields whose
/// types clash.
pub(crate) fn merge(
    playbook: &Playbook,
    project_text: &str,
    project: &ProjectConfig,
) -> Result<(String, Additions), Vec<FieldClash>> {
    let clashes: Vec<FieldClash> = playbook
        .fields
        .iter()
        .filter_map(|(name, spec)| {
            let declared = project.field(name)?;
            (declared.kind != spec.kind).then(|| FieldClash {
                name: name.clone(),
                project: declared,
                playbook: spec.clone(),
            })
        })
        .collect();
    if !clashes.is_empty() {
        return Err(clashes);
    }
    let mut additions = Additions::default();
    let mut blocks: Vec<String> = Vec::new();
    for (name, spec) in &playbook.fields {
        if project.field(name).is_none() {
            blocks.push(field_block(playbook, name, spec));
            additions.fields.push(name.clone());
        }
    }
    for (i, template) in playbook.templates.iter().enumerate() {
        if project
            .template(&template.name, &template.language)
            .is_none()
        {
            blocks.push(template_block(playbook, i, template));
            additions
                .templates
                .push((template.name.clone(), template.language.clone()));
        }
    }
    let mut text = project_text.to_owned();
    let new_secrets: Vec<String> = playbook
        .secrets
        .iter()
        .map(|s| s.name.clone())
        .filter(|name| !project.secrets.names.contains(name))
        .collect();
    if !new_secrets.is_empty() {
        text = with_secrets(&text, project, &new_secrets);
        additions.secrets = new_secrets;
    }
    if !blocks.is_empty() {
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "\n# ---------------------------------------------------------------- playbook {}\n\
             # Added by `journey playbook import` ({} {}): the fields and templates its\n\
             # journeys need. A template added here is pending until Meta approves it.\n",
            playbook.about.name, playbook.about.name, playbook.about.version
        ));
        for block in blocks {
            text.push('\n');
            text.push_str(&block);
        }
    }
    Ok((text, additions))
}

/// The `[fields.NAME]` block as the playbook wrote it, or else serialised.
fn field_block(playbook: &Playbook, name: &str, spec: &FieldSpec) -> String {
    let header = format!("[fields.{name}]");
    block_after_header(&playbook.text, &header, 0).unwrap_or_else(|| {
        let table = toml::Table::from_iter([(
            name.to_owned(),
            toml::Value::try_from(spec).unwrap_or(toml::Value::Table(toml::Table::new())),
        )]);
        serialised("fields", toml::Value::Table(table))
    })
}

/// The `index`-th `[[templates]]` block as the playbook wrote it, or else serialised.
fn template_block(playbook: &Playbook, index: usize, template: &Template) -> String {
    block_after_header(&playbook.text, "[[templates]]", index).unwrap_or_else(|| {
        let value =
            toml::Value::try_from(template).unwrap_or(toml::Value::Table(toml::Table::new()));
        serialised("templates", toml::Value::Array(vec![value]))
    })
}

fn serialised(key: &str, value: toml::Value) -> String {
    let table = toml::Table::from_iter([(key.to_owned(), value)]);
    toml::to_string(&table).unwrap_or_default()
}

/// The text from the `nth` line that is `header` up to the next table header, with
/// the comment lines right above the header (they describe it) and without the blank
/// and comment lines at its end (they describe what follows).
fn block_after_header(text: &str, header: &str, nth: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .nth(nth)?
        .0;
    let mut first = start;
    while first > 0 && lines[first - 1].trim_start().starts_with('#') {
        first -= 1;
    }
    let mut end = lines[start + 1..]
        .iter()
        .position(|line| line.trim_start().starts_with('['))
        .map_or(lines.len(), |at| start + 1 + at);
    while end > start + 1 && {
        let line = lines[end - 1].trim();
        line.is_empty() || line.starts_with('#')
    } {
        end -= 1;
    }
    Some(lines[first..end].iter().map(|l| format!("{l}\n")).collect())
}

/// The text with `names` added to `[secrets] names`: the list is rewritten in place,
/// or the section is added at the end.
fn with_secrets(text: &str, project: &ProjectConfig, names: &[String]) -> String {
    let all: Vec<String> = project
        .secrets
        .names
        .iter()
        .chain(names)
        .map(|n| format!("\"{n}\""))
        .collect();
    let line = format!("names = [{}]", all.join(", "));
    match project.locations.span("secrets.names") {
        Some(span) => {
            let mut out = text.to_owned();
            out.replace_range(span.range(), &line);
            out
        }
        None if project.locations.span("secrets").is_some() => {
            // `[secrets]` without `names`: the key goes right under the header.
            let mut out = String::new();
            let mut added = false;
            for l in text.split_inclusive('\n') {
                out.push_str(l);
                if !added && l.trim() == "[secrets]" {
                    if !l.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&line);
                    out.push('\n');
                    added = true;
                }
            }
            out
        }
        None => {
            let mut out = text.to_owned();
            if !out.ends_with('\n') && !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("\n[secrets]\n{line}\n"));
            out
        }
    }
}
