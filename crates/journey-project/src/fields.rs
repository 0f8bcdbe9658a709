//! The contact field schema: what `@contact.NAME` can hold, and how long it can get
//! (the checker measures personalised text against WhatsApp's limits with it).

use std::collections::BTreeMap;
use std::fmt;

use journey_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::locations::Locations;
use crate::schema::Shape;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    #[default]
    Text,
    Number,
    Boolean,
    /// A calendar date, shown as `2025-01-31`.
    Date,
    /// A moment in time, shown as `2025-01-31T09:00:00+02:00`.
    Datetime,
    /// A phone number in international format.
    Phone,
    Email,
    /// One of the field's `choices`.
    Choice,
}

impl FieldType {
    /// Every type, in the order forms offer them.
    pub const ALL: [FieldType; 8] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Phone,
        FieldType::Email,
        FieldType::Choice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::Choice => "choice",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[fields.NAME]`: one contact field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// For text fields: the longest value, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// For choice fields: the allowed values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every contact has a value.
    pub required: bool,
}

impl FieldSpec {
    /// The most characters a value can take once written into a message; `None` when
    /// the schema sets no bound (a text field without `max_length`, a number).
    pub fn max_chars(&self) -> Option<usize> {
        match self.kind {
            FieldType::Text => self.max_length.map(|n| n as usize),
            FieldType::Number => None,
            FieldType::Boolean => Some("false".len()),
            FieldType::Date => Some("2025-01-31".len()),
            FieldType::Datetime => Some("2025-01-31T09:00:00+02:00".len()),
            // `+` and at most 15 digits (E.164).
            FieldType::Phone => Some(16),
            // The longest address SMTP allows (RFC 5321).
            FieldType::Email => Some(254),
            FieldType::Choice => self.choices.iter().map(|c| c.chars().count()).max(),
        }
    }
}

/// Fields every contact has, whether or not journey.toml declares them.
pub const BUILTIN_FIELDS: [&str; 4] = ["name", "whatsapp_id", "language", "opted_in"];

/// A built-in field. `language` is a choice of the project's languages.
pub(crate) fn builtin(name: &str, languages: &[&str]) -> Option<FieldSpec> {
    let spec = |kind, description: &str| FieldSpec {
        kind,
        description: Some(description.to_owned()),
        ..FieldSpec::default()
    };
    Some(match name {
        // WhatsApp profile names are at most 25 characters, but journeys often store a
        // typed name here; 60 is also the limit of a header, so `@contact.name` fits one.
        "name" => FieldSpec {
            max_length: Some(60),
            ..spec(
                FieldType::Text,
                "The contact's name, from their WhatsApp profile unless a journey sets it",
            )
        },
        "whatsapp_id" => FieldSpec {
            required: true,
            ..spec(
                FieldType::Phone,
                "The contact's WhatsApp ID (wa_id): their number, digits only",
            )
        },
        "language" => FieldSpec {
            choices: languages.iter().map(|l| (*l).to_owned()).collect(),
            ..spec(FieldType::Choice, "The language messages are sent in")
        },
        "opted_in" => spec(
            FieldType::Boolean,
            "Whether the contact agreed to messages the business starts",
        ),
        _ => return None,
    })
}

/// The keys of `[fields.NAME]`.
pub(crate) const SHAPE: Shape = Shape::Table(&[
    ("type", Shape::Value),
    ("max_length", Shape::Value),
    ("choices", Shape::Value),
    ("description", Shape::Value),
    ("required", Shape::Value),
]);

pub(crate) fn validate(
    fields: &BTreeMap<String, FieldSpec>,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    for (name, spec) in fields {
        let path = format!("fields.{name}");
        if !is_identifier(name) {
            found.push(
                at.invalid(
                    &path,
                    format!("field name `{name}` cannot be written as `@contact.{name}`"),
                )
                .with_help("use letters, digits and `_`, starting with a letter"),
            );
        }
        if let Some(builtin) = builtin(name, &[]).filter(|b| b.kind != spec.kind) {
            // Without a `type` line the field is text; point at the table then.
            let type_path = format!("{path}.type");
            let at_type = if at.span(&type_path).is_some() {
                &type_path
            } else {
                &path
            };
            found.push(
                at.invalid(
                    at_type,
                    format!(
                        "`{name}` is a built-in {} field; it cannot become {}",
                        builtin.kind, spec.kind
                    ),
                )
                .with_help(format!(
                    "write `type = \"{}\"` to refine the built-in field, or give yours another name",
                    builtin.kind
                )),
            );
        }
        if spec.kind == FieldType::Choice && spec.choices.is_empty() {
            found.push(
                at.invalid(&path, format!("choice field `{name}` has no `choices`"))
                    .with_help("list the allowed values, e.g. `choices = [\"yes\", \"no\"]`"),
            );
        }
        if spec.max_length.is_some() && spec.kind != FieldType::Text {
            found.push(at.ignored(
                &format!("{path}.max_length"),
                format!(
                    "`max_length` applies to text fields only, and `{name}` is a {} field",
                    spec.kind
                ),
            ));
        }
        if !spec.choices.is_empty() && spec.kind != FieldType::Choice {
            found.push(
                at.ignored(
                    &format!("{path}.choices"),
                    format!(
                        "`choices` applies to choice fields only, and `{name}` is a {} field",
                        spec.kind
                    ),
                )
                .with_help("add `type = \"choice\"` to restrict the field to these values"),
            );
        }
    }
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
