//! The template registry: the approved WhatsApp message templates a journey may send,
//! as Meta lists them for the account. A template exists per (name, language).

use journey_diagnostics::{Diagnostic, Severity};
use serde::{Deserialize, Serialize};

use crate::TEMPLATE_SHAPE;
use crate::locations::Locations;
use crate::schema::Shape;

/// `[[templates]]`: one template in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    /// Meta's language code, e.g. `en`, `en_US`, `pt_BR`.
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    /// The text, with parameters `{{1}}` (positional) or `{{first_name}}` (named).
    pub body: String,
    /// Names of the body parameters in sending order; read from the body when absent.
    /// For a positional body they name `{{1}}`, `{{2}}`, … for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<TemplateHeader>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<TemplateButton>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

/// Where Meta's review left the template. Only approved templates can be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

impl TemplateStatus {
    /// Every status, as journey.toml writes them.
    pub const NAMES: [&'static str; 5] = ["approved", "pending", "rejected", "paused", "disabled"];
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateHeader {
    #[serde(rename = "type")]
    pub kind: HeaderKind,
    /// The text of a text header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderKind {
    Text,
    Image,
    Video,
    Document,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateButton {
    #[serde(rename = "type")]
    pub kind: ButtonKind,
    /// The label the contact sees.
    pub text: String,
    /// For quick replies: what comes back in the webhook when the contact taps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonKind {
    QuickReply,
    Url,
    PhoneNumber,
}

impl Template {
    /// The body parameters in sending order: `parameters` if given, otherwise the
    /// placeholders of the body (positional ones by number, named ones as they appear).
    pub fn parameter_names(&self) -> Vec<String> {
        self.parameters
            .clone()
            .unwrap_or_else(|| placeholders(&self.body))
    }
}

/// The distinct `{{…}}` placeholders of a text.
fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        rest = &rest[open + 2..];
        let Some(close) = rest.find("}}") else { break };
        let name = rest[..close].trim();
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !found.iter().any(|f| f == name)
        {
            found.push(name.to_owned());
        }
        rest = &rest[close + 2..];
    }
    // Positional parameters are sent in number order, whatever order the text uses.
    if !found.is_empty() && found.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit())) {
        found.sort_by_key(|n| n.parse::<u64>().unwrap_or(u64::MAX));
    }
    found
}

/// The keys of a `[[templates]]` entry.
pub(crate) const SHAPE: Shape = Shape::Table(&[
    ("name", Shape::Value),
    ("language", Shape::Value),
    ("category", Shape::Value),
    ("status", Shape::Value),
    ("body", Shape::Value),
    ("parameters", Shape::Value),
    (
        "header",
        Shape::Table(&[("type", Shape::Value), ("text", Shape::Value)]),
    ),
    ("footer", Shape::Value),
    (
        "buttons",
        Shape::Array(&Shape::Table(&[
            ("type", Shape::Value),
            ("text", Shape::Value),
            ("payload", Shape::Value),
        ])),
    ),
]);

pub(crate) fn validate(templates: &[Template], at: &Locations, found: &mut Vec<Diagnostic>) {
    for (i, template) in templates.iter().enumerate() {
        let path = format!("templates[{i}]");
        let name = &template.name;
        if !is_template_name(name) {
            found.push(
                at.invalid(&format!("{path}.name"), format!("`{name}` is not a WhatsApp template name"))
                    .with_help("template names use lowercase letters, digits and `_`, as in Meta's template manager"),
            );
        }
        if let Some(first) = templates[..i]
            .iter()
            .position(|t| t.name == *name && t.language == template.language)
        {
            found.push(
                at.invalid(
                    &format!("{path}.name"),
                    format!(
                        "template `{name}` in `{}` is registered twice",
                        template.language
                    ),
                )
                .with_secondary(
                    at.file(),
                    at.span(&format!("templates[{first}].name"))
                        .unwrap_or_default(),
                    "first registered here",
                )
                .with_help("remove one; a template exists once per language"),
            );
        }
        if let Some(header) = &template.header
            && header.kind == HeaderKind::Text
            && header.text.is_none()
        {
            found.push(at.invalid(
                &format!("{path}.header"),
                format!("the text header of `{name}` has no `text`"),
            ));
        }
        check_shape(template, &path, at, found);
        if let Some(parameters) = &template.parameters {
            check_parameters(
                template,
                parameters,
                &format!("{path}.parameters"),
                at,
                found,
            );
        }
    }
}

/// `parameters` must name exactly the body's placeholders.
fn check_parameters(
    template: &Template,
    parameters: &[String],
    path: &str,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    let in_body = placeholders(&template.body);
    let positional = in_body
        .iter()
        .all(|n| n.bytes().all(|b| b.is_ascii_digit()));
    let matches = if positional {
        parameters.len() == in_body.len()
    } else {
        let mut given = parameters.to_vec();
        let mut wanted = in_body.clone();
        given.sort();
        wanted.sort();
        given == wanted
    };
    if !matches {
        let shown: Vec<String> = in_body.iter().map(|n| format!("`{{{{{n}}}}}`")).collect();
        let body = if shown.is_empty() {
            "no parameters".to_owned()
        } else {
            shown.join(", ")
        };
        found.push(
            at.invalid(
                path,
                format!(
                    "`parameters` of `{}` list {} name(s), but its body has {body}",
                    template.name,
                    parameters.len()
                ),
            )
            .with_help("name each body parameter once, or leave `parameters` out to read them from the body"),
        );
    }
}

/// WhatsApp's limits on a template's parts (WA504).
fn check_shape(template: &Template, path: &str, at: &Locations, found: &mut Vec<Diagnostic>) {
    let mut problem = |key: &str, message: String, help: &str| {
        let key = format!("{path}.{key}");
        let span = at.span(&key).or_else(|| at.span(path)).unwrap_or_default();
        found.push(
            Diagnostic::new(TEMPLATE_SHAPE, Severity::Error, at.file(), span, message)
                .with_help(help),
        );
    };
    let chars = |text: &str| text.chars().count();
    let name = &template.name;
    if chars(&template.body) > 1024 {
        problem(
            "body",
            format!(
                "the body of `{name}` has {} characters; a template body may have 1024",
                chars(&template.body)
            ),
            "shorten the body; send details in a free-form message once the contact replies",
        );
    }
    if let Some(text) = template.header.as_ref().and_then(|h| h.text.as_deref()) {
        if chars(text) > 60 {
            problem(
                "header",
                format!(
                    "the header of `{name}` has {} characters; a header may have 60",
                    chars(text)
                ),
                "shorten the header",
            );
        }
        if placeholders(text).len() > 1 {
            problem(
                "header",
                format!(
                    "the header of `{name}` has {} parameters; a header may have one",
                    placeholders(text).len()
                ),
                "keep one `{{1}}` in the header and move the others into the body",
            );
        }
    }
    if let Some(footer) = &template.footer
        && chars(footer) > 60
    {
        problem(
            "footer",
            format!(
                "the footer of `{name}` has {} characters; a footer may have 60",
                chars(footer)
            ),
            "shorten the footer",
        );
    }
    let buttons = &template.buttons;
    if buttons.len() > 10 {
        problem(
            "buttons",
            format!(
                "`{name}` has {} buttons; a template may have 10",
                buttons.len()
            ),
            "keep the 10 that matter; a list message can offer more once the contact replies",
        );
    }
    for (i, button) in buttons.iter().enumerate() {
        if chars(&button.text) > 25 {
            problem(
                &format!("buttons[{i}].text"),
                format!(
                    "this button text has {} characters; a template button may have 25",
                    chars(&button.text)
                ),
                "shorten the button text",
            );
        }
    }
    let count = |kind: ButtonKind| buttons.iter().filter(|b| b.kind == kind).count();
    if count(ButtonKind::Url) > 2 {
        problem(
            "buttons",
            format!(
                "`{name}` has {} URL buttons; a template may have 2",
                count(ButtonKind::Url)
            ),
            "keep two links; put others in the body",
        );
    }
    if count(ButtonKind::PhoneNumber) > 1 {
        problem(
            "buttons",
            format!(
                "`{name}` has {} phone buttons; a template may have 1",
                count(ButtonKind::PhoneNumber)
            ),
            "keep one number; put others in the body",
        );
    }
    // Meta groups quick replies together, before or after the call-to-action buttons.
    let groups = 1 + buttons
        .windows(2)
        .filter(|pair| {
            (pair[0].kind == ButtonKind::QuickReply) != (pair[1].kind == ButtonKind::QuickReply)
        })
        .count();
    if groups > 2 {
        problem(
            "buttons",
            format!("the quick replies of `{name}` are mixed in among its link and phone buttons"),
            "list the quick replies together, before or after the other buttons",
        );
    }
}

fn is_template_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn reads_placeholders_from_the_body() {
        assert_eq!(placeholders("Hi {{2}}, {{1}} and {{2}}"), ["1", "2"]);
        assert_eq!(
            placeholders("Hi {{ first_name }}, see {{clinic}}"),
            ["first_name", "clinic"]
        );
        assert_eq!(
            placeholders("no {{ parameters here {{"),
            Vec::<String>::new()
        );
    }
}
