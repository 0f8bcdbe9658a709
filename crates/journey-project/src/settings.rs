//! The small sections of journey.toml: `[project]`, `[channel]`, `[keywords]` and
//! `[secrets]`.

use journey_diagnostics::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::locations::Locations;
use crate::schema::Shape;

/// `[project]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The language of messages without a variant for the contact's language, and of
    /// contacts whose language is unknown.
    pub default_language: String,
    /// Every language the journeys speak; the default language is always one of them.
    pub languages: Vec<String>,
    /// IANA time zone name, for dates and `at:` times of contacts without their own.
    pub timezone: String,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            name: None,
            default_language: "en".to_owned(),
            languages: Vec::new(),
            timezone: "UTC".to_owned(),
        }
    }
}

/// `[channel]`: the WhatsApp Business number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// Unique contacts the business may start conversations with per rolling 24 h.
    pub messaging_limit_tier: u64,
    /// Warn (WA103) when a free-form send can happen later than 24 h minus this.
    pub window_margin: Duration,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings {
            phone_number_id: None,
            // What Meta gives a new business portfolio.
            messaging_limit_tier: 250,
            window_margin: Duration::from_hours(1),
        }
    }
}

/// `[keywords]`: whole-message keywords, matched ignoring case and surrounding space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Keywords {
    /// Ask for a person.
    pub help: Vec<String>,
    /// Stop all messages.
    pub opt_out: Vec<String>,
    /// Receive messages again after opting out.
    pub opt_in: Vec<String>,
}

impl Default for Keywords {
    fn default() -> Self {
        let list = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
        Keywords {
            help: list(&["help", "agent", "human"]),
            opt_out: list(&["stop", "unsubscribe"]),
            opt_in: list(&["start"]),
        }
    }
}

/// `[secrets]`: the names of the secrets journeys read with `secret("NAME")`.
/// Values never live in the project: at run time `NAME` comes from the environment
/// variable `JOURNEY_SECRET_NAME`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Secrets {
    pub names: Vec<String>,
}

impl Secrets {
    /// The environment variable that holds the secret `name` at run time.
    pub fn env_var(name: &str) -> String {
        format!("JOURNEY_SECRET_{name}")
    }
}

pub(crate) const PROJECT_SHAPE: Shape = Shape::Table(&[
    ("name", Shape::Value),
    ("default_language", Shape::Value),
    ("languages", Shape::Value),
    ("timezone", Shape::Value),
]);

pub(crate) const CHANNEL_SHAPE: Shape = Shape::Table(&[
    ("phone_number_id", Shape::Value),
    ("messaging_limit_tier", Shape::Value),
    ("window_margin", Shape::Value),
]);

pub(crate) const KEYWORDS_SHAPE: Shape = Shape::Table(&[
    ("help", Shape::Value),
    ("opt_out", Shape::Value),
    ("opt_in", Shape::Value),
]);

pub(crate) const SECRETS_SHAPE: Shape = Shape::Table(&[("names", Shape::Value)]);

pub(crate) fn validate_channel(
    channel: &ChannelSettings,
    at: &Locations,
    found: &mut Vec<Diagnostic>,
) {
    if channel.window_margin >= Duration::from_hours(24) {
        found.push(
            at.invalid(
                "channel.window_margin",
                format!(
                    "`window_margin` is {}, but the window itself is 24h",
                    channel.window_margin
                ),
            )
            .with_help("use a margin well below a day, such as `1h`"),
        );
    }
}

/// Each name must fit in `JOURNEY_SECRET_NAME`.
pub(crate) fn validate_secrets(secrets: &Secrets, at: &Locations, found: &mut Vec<Diagnostic>) {
    for (i, name) in secrets.names.iter().enumerate() {
        if !is_env_name(name) {
            let fixed = name
                .to_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
            found.push(
                at.invalid(
                    &format!("secrets.names[{i}]"),
                    format!("secret name `{name}` cannot be part of an environment variable"),
                )
                .with_help(format!(
                    "use capital letters, digits and `_`, e.g. `{fixed}`"
                )),
            );
        }
    }
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
