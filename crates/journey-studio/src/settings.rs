//! journey.toml as forms (API.md `GET/PUT /api/settings`): what the forms show, read
//! from the host's parsed config, and each form's change applied to the file's text with
//! `toml_edit`, so every other line, comment and blank line stays as it was. A change
//! whose result journey-project reads as a new J002 error is refused in its words.

use journey_analysis::Analysis;
use journey_diagnostics::Severity;
use journey_model::builtins::is_language_code;
use journey_project::{BUILTIN_FIELDS, FieldSpec, FieldType, ProjectSettings, TemplateStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use toml_edit::{Array, DocumentMut, Item, Table, Value as TomlValue};

/// What the settings forms show (API.md `Settings`).
pub(crate) fn view(analysis: Analysis<'_>) -> Value {
    let config = analysis.config();
    let fields: Vec<Value> = config
        .all_fields()
        .into_iter()
        .map(|(name, spec)| {
            json!({
                "builtin": BUILTIN_FIELDS.contains(&name.as_str()),
                "declared": config.fields.contains_key(&name),
                "name": name,
                "type": spec.kind.as_str(),
                "max_length": spec.max_length,
                "choices": spec.choices,
                "description": spec.description,
                "required": spec.required,
                "max_chars": spec.max_chars(),
            })
        })
        .collect();
    let templates: Vec<Value> = config
        .templates
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "language": t.language,
                "category": t.category,
                "status": t.status,
                "body": t.body,
                "parameters": t.parameter_names(),
            })
        })
        .collect();
    json!({
        "default_language": config.project.default_language,
        "languages": config.languages(),
        "keywords": config.keywords,
        "fields": fields,
        "templates": templates,
        "field_types": FieldType::ALL.map(FieldType::as_str),
        "statuses": TemplateStatus::NAMES,
    })
}

/// One form's change to journey.toml.
#[derive(Debug, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub(crate) enum SettingsChange {
    /// `[project] default_language` and `languages` (the default among them).
    Languages {
        default_language: String,
        languages: Vec<String>,
    },
    /// `[keywords]`: the three lists, each word as typed.
    Keywords {
        help: Vec<String>,
        opt_out: Vec<String>,
        opt_in: Vec<String>,
    },
    /// `[fields.NAME]`, added or replaced; `rename_from` renames a declared field.
    Field {
        name: String,
        #[serde(rename = "type")]
        kind: String,
        max_length: Option<u32>,
        #[serde(default)]
        choices: Vec<String>,
        description: Option<String>,
        #[serde(default)]
        required: bool,
    },
    RemoveField {
        name: String,
    },
    /// The `status` of the `[[templates]]` entry with this name and language.
    TemplateStatus {
        name: String,
        language: String,
        status: String,
    },
}

/// journey.toml's text after `change`, or why not in plain words.
pub(crate) fn apply(text: &str, change: &SettingsChange) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|_| {
        "journey.toml has a mistake the forms cannot work around: fix it in the Code tab first"
            .to_owned()
    })?;
    match change {
        SettingsChange::Languages {
            default_language,
            languages,
        } => set_languages(&mut doc, default_language, languages)?,
        SettingsChange::Keywords {
            help,
            opt_out,
            opt_in,
        } => set_keywords(
            &mut doc,
            [("help", help), ("opt_out", opt_out), ("opt_in", opt_in)],
        )?,
        SettingsChange::Field {
            name,
            kind,
            max_length,
            choices,
            description,
            required,
        } => {
            let kind = field_type(kind)?;
            let spec = FieldSpec {
                kind,
                max_length: *max_length,
                choices: choices.clone(),
                description: description.clone().filter(|d| !d.trim().is_empty()),
                required: *required,
            };
            set_field(&mut doc, name, &spec)?;
        }
        SettingsChange::RemoveField { name } => {
            let removed = doc
                .get_mut("fields")
                .and_then(Item::as_table_like_mut)
                .and_then(|fields| fields.remove(name));
            if removed.is_none() {
                return Err(format!("journey.toml declares no contact field `{name}`"));
            }
        }
        SettingsChange::TemplateStatus {
            name,
            language,
            status,
        } => set_template_status(&mut doc, name, language, status)?,
    }
    let after = doc.to_string();
    refuse_new_errors(text, &after)?;
    Ok(after)
}

/// journey-project's own reading of the result: an error (J002) or a warning (J003: a
/// setting without effect) the text did not have before means the value cannot work.
fn refuse_new_errors(before: &str, after: &str) -> Result<(), String> {
    let errors = |text: &str| -> Vec<String> {
        let (_, diagnostics) = journey_project::parse_config(journey_diagnostics::FileId(0), text);
        diagnostics
            .into_iter()
            .filter(|d| matches!(d.severity, Severity::Error | Severity::Warning))
            .map(|d| match &d.help {
                Some(help) => format!("{}: {help}", d.message),
                None => d.message.clone(),
            })
            .collect()
    };
    let old = errors(before);
    let new: Vec<String> = errors(after)
        .into_iter()
        .filter(|e| !old.contains(e))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(format!("journey.toml was not changed: {}", new.join("; ")))
    }
}

/// A table of the document, created when missing.
fn table<'d>(doc: &'d mut DocumentMut, name: &str) -> Result<&'d mut Table, String> {
    doc.entry(name)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_mut()
        .ok_or_else(|| {
            format!("`{name}` in journey.toml is not a section: change it in the Code tab")
        })
}

/// Sets `key` to `value`, keeping the comment and spacing around the old value.
fn set_value(table: &mut Table, key: &str, value: impl Into<TomlValue>) {
    let mut value = value.into();
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

fn array(words: &[String]) -> Array {
    words.iter().map(String::as_str).collect()
}

fn set_languages(
    doc: &mut DocumentMut,
    default_language: &str,
    languages: &[String],
) -> Result<(), String> {
    let default_language = default_language.trim();
    let mut all: Vec<String> = Vec::new();
    for language in std::iter::once(default_language).chain(languages.iter().map(|l| l.trim())) {
        if !is_language_code(language) {
            return Err(format!(
                "`{language}` is not a language code: write two letters, like pt, optionally with a region, like pt_BR"
            ));
        }
        if !all.iter().any(|l| l == language) {
            all.push(language.to_owned());
        }
    }
    let project = table(doc, "project")?;
    // Written when it says something: a file without the line has the default.
    if project.contains_key("default_language")
        || default_language != ProjectSettings::default().default_language
    {
        set_value(project, "default_language", default_language);
    }
    if all.len() > 1 || project.contains_key("languages") {
        set_value(project, "languages", array(&all));
    }
    Ok(())
}

fn set_keywords(doc: &mut DocumentMut, lists: [(&str, &Vec<String>); 3]) -> Result<(), String> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    let mut cleaned = Vec::new();
    for (key, words) in lists {
        let mut list = Vec::new();
        for word in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let lower = word.to_lowercase();
            if let Some((_, other)) = seen.iter().find(|(w, _)| *w == lower) {
                if *other != key {
                    return Err(format!(
                        "`{word}` cannot be both a {} keyword and a {} keyword",
                        keyword_words(other),
                        keyword_words(key)
                    ));
                }
                continue;
            }
            seen.push((lower, key));
            list.push(word.to_owned());
        }
        cleaned.push((key, list));
    }
    let keywords = table(doc, "keywords")?;
    for (key, list) in cleaned {
        set_value(keywords, key, array(&list));
    }
    Ok(())
}

fn keyword_words(key: &str) -> &'static str {
    match key {
        "help" => "help",
        "opt_out" => "stop",
        _ => "start again",
    }
}

fn field_type(kind: &str) -> Result<FieldType, String> {
    FieldType::ALL
        .into_iter()
        .find(|t| t.as_str() == kind)
        .ok_or_else(|| {
            format!(
                "`{kind}` is not a type of contact field: use one of {}",
                FieldType::ALL.map(FieldType::as_str).join(", ")
            )
        })
}

fn set_field(doc: &mut DocumentMut, name: &str, spec: &FieldSpec) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a contact field needs a name".to_owned());
    }
    if spec.max_length == Some(0) {
        return Err("the longest length must be at least 1 character".to_owned());
    }
    let fields = doc
        .entry("fields")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or("`fields` in journey.toml is not a section: change it in the Code tab")?;
    let is_new = !fields.contains_key(name);
    if is_new {
        // After the last field declared, not at the end of the file.
        let last = fields
            .iter()
            .filter_map(|(_, item)| item.as_table()?.position())
            .max();
        let mut table = Table::new();
        if let Some(last) = last {
            table.set_position(Some(last));
        }
        fields.insert(name, Item::Table(table));
    }
    let field = fields
        .get_mut(name)
        .and_then(Item::as_table_mut)
        .ok_or_else(|| {
            format!("`fields.{name}` in journey.toml is not a section: change it in the Code tab")
        })?;
    set_value(field, "type", spec.kind.as_str());
    let optional: [(&str, Option<TomlValue>); 4] = [
        (
            "max_length",
            spec.max_length.map(|n| TomlValue::from(i64::from(n))),
        ),
        (
            "choices",
            (!spec.choices.is_empty()).then(|| {
                TomlValue::Array(
                    spec.choices
                        .iter()
                        .map(|c| c.trim())
                        .filter(|c| !c.is_empty())
                        .collect(),
                )
            }),
        ),
        (
            "description",
            spec.description.as_deref().map(TomlValue::from),
        ),
        ("required", spec.required.then(|| TomlValue::from(true))),
    ];
    for (key, value) in optional {
        match value {
            Some(value) => set_value(field, key, value),
            None => {
                field.remove(key);
            }
        }
    }
    Ok(())
}

fn set_template_status(
    doc: &mut DocumentMut,
    name: &str,
    language: &str,
    status: &str,
) -> Result<(), String> {
    if serde_json::from_value::<TemplateStatus>(json!(status)).is_err() {
        return Err(format!(
            "`{status}` is not a template status: use one of {}",
            TemplateStatus::NAMES.join(", ")
        ));
    }
    let entry = doc
        .get_mut("templates")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|templates| {
            templates.iter_mut().find(|t| {
                t.get("name").and_then(Item::as_str) == Some(name)
                    && t.get("language").and_then(Item::as_str) == Some(language)
            })
        })
        .ok_or_else(|| format!("journey.toml has no template `{name}` in `{language}`"))?;
    set_value(entry, "status", status);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"# The clinic's settings.

[project]
name = "clinic"
default_language = "en" # most mothers read English
timezone = "Africa/Johannesburg"

# Keywords
[keywords]
help = ["help", "nurse"]

# ---- fields
[fields.due_date]
type = "date" # from the clinic card

[fields.baby_name]
type = "text"
max_length = 20

# ---- templates
[[templates]]
name = "reminder"
language = "en"
category = "utility"
status = "pending" # waiting for Meta
body = "Hi {{1}}"
"#;

    fn change(json: Value) -> Result<String, String> {
        apply(TOML, &serde_json::from_value(json).unwrap())
    }

    /// The lines of `after` that are not in `before`, and those gone.
    fn diff(after: &str) -> (Vec<&str>, Vec<&str>) {
        let old: Vec<&str> = TOML.lines().collect();
        let new: Vec<&str> = after.lines().collect();
        (
            old.iter().filter(|l| !new.contains(l)).copied().collect(),
            new.iter().filter(|l| !old.contains(l)).copied().collect(),
        )
    }

    #[test]
    fn languages_change_one_line_and_keep_comments() {
        let after = change(json!({"change": "languages", "default_language": "en", "languages": ["en", "pt", "zu"]})).unwrap();
        assert_eq!(
            diff(&after),
            (vec![], vec![r#"languages = ["en", "pt", "zu"]"#])
        );
        let after =
            change(json!({"change": "languages", "default_language": "pt", "languages": []}))
                .unwrap();
        assert_eq!(
            diff(&after),
            (
                vec![r#"default_language = "en" # most mothers read English"#],
                vec![r#"default_language = "pt" # most mothers read English"#]
            )
        );
        assert_eq!(
            change(json!({"change": "languages", "default_language": "en", "languages": ["portuguese"]})),
            Err("`portuguese` is not a language code: write two letters, like pt, optionally with a region, like pt_BR".to_owned())
        );
    }

    #[test]
    fn keywords_are_lists_and_never_in_two() {
        let after = change(json!({"change": "keywords", "help": ["help", " nurse ", ""], "opt_out": ["stop"], "opt_in": ["start"]})).unwrap();
        assert_eq!(
            diff(&after),
            (
                vec![],
                vec![r#"opt_out = ["stop"]"#, r#"opt_in = ["start"]"#]
            )
        );
        assert_eq!(
            change(
                json!({"change": "keywords", "help": ["help"], "opt_out": ["Help"], "opt_in": []})
            ),
            Err("`Help` cannot be both a help keyword and a stop keyword".to_owned())
        );
    }

    #[test]
    fn fields_are_added_after_the_others_changed_in_place_and_removed() {
        let after =
            change(json!({"change": "field", "name": "clinic", "type": "text", "max_length": 40}))
                .unwrap();
        assert!(
            after
                .contains("max_length = 20\n\n[fields.clinic]\ntype = \"text\"\nmax_length = 40\n"),
            "{after}"
        );
        assert!(after.starts_with(TOML.split("# ---- templates").next().unwrap()));
        let after = change(
            json!({"change": "field", "name": "due_date", "type": "date", "required": true}),
        )
        .unwrap();
        assert_eq!(diff(&after), (vec![], vec!["required = true"]));
        assert!(after.contains("type = \"date\" # from the clinic card\nrequired = true\n"));
        let after = change(json!({"change": "remove_field", "name": "baby_name"})).unwrap();
        assert_eq!(
            diff(&after).0,
            vec!["[fields.baby_name]", "type = \"text\"", "max_length = 20"]
        );
        assert!(after.contains("# ---- templates"));
        for (bad, why) in [
            (
                json!({"change": "field", "name": "Due Date", "type": "date"}),
                "cannot be written as `@contact.Due Date`",
            ),
            (
                json!({"change": "field", "name": "age", "type": "integer"}),
                "`integer` is not a type of contact field",
            ),
            (
                json!({"change": "field", "name": "age", "type": "number", "max_length": 3}),
                "applies to text fields only",
            ),
            (
                json!({"change": "field", "name": "slot", "type": "choice"}),
                "has no `choices`",
            ),
            (
                json!({"change": "field", "name": "name", "type": "number"}),
                "is a built-in text field; it cannot become number",
            ),
            (
                json!({"change": "remove_field", "name": "nope"}),
                "declares no contact field `nope`",
            ),
        ] {
            let refused = change(bad).unwrap_err();
            assert!(refused.contains(why), "{refused}");
        }
    }

    #[test]
    fn template_status_keeps_its_comment() {
        let after = change(json!({"change": "template_status", "name": "reminder", "language": "en", "status": "approved"})).unwrap();
        assert_eq!(
            diff(&after),
            (
                vec![r#"status = "pending" # waiting for Meta"#],
                vec![r#"status = "approved" # waiting for Meta"#]
            )
        );
        assert!(change(json!({"change": "template_status", "name": "reminder", "language": "en", "status": "ok"})).unwrap_err().contains("not a template status"));
        assert!(change(json!({"change": "template_status", "name": "reminder", "language": "pt", "status": "approved"})).unwrap_err().contains("no template `reminder` in `pt`"));
    }

    #[test]
    fn blanks_are_left_out_and_a_broken_file_is_not_edited() {
        let after = change(json!({"change": "field", "name": "slot", "type": "choice", "choices": ["am", "pm"], "description": " "})).unwrap();
        assert!(
            after.contains("[fields.slot]\ntype = \"choice\"\nchoices = [\"am\", \"pm\"]\n"),
            "{after}"
        );
        assert!(
            apply(
                "[project\n",
                &serde_json::from_value(json!({"change": "remove_field", "name": "x"})).unwrap()
            )
            .unwrap_err()
            .contains("Code tab")
        );
    }
}
