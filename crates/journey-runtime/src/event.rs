//! What happens to a run from outside, and what the run asks the world to do.

use std::collections::BTreeMap;

use journey_expr::Value;
use serde::{Deserialize, Serialize};

/// An event delivered to a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A message from the contact.
    Message(Inbound),
    /// A timer this run scheduled has come due (the target it was scheduled with).
    Timer { id: String, target: TimerTarget },
    /// The response to an HTTP request the run made (`status` 0: it failed or timed out).
    Http {
        request: String,
        status: u16,
        body: Value,
    },
    /// An agent handed the contact back to the bot.
    HandoffReturned,
}

/// An inbound WhatsApp message, reduced to what journeys read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// `text`, `button`, `interactive`, `image`, `location`, … (the Cloud API type).
    pub kind: String,
    /// The text, the tapped button's or list row's title, or a caption.
    pub text: String,
    /// The tapped reply button's or list row's id, or a template quick reply's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

impl Inbound {
    pub fn text(text: impl Into<String>) -> Self {
        Inbound {
            kind: "text".to_owned(),
            text: text.into(),
            ..Inbound::default()
        }
    }
}

/// What a step asks the world to do. The container performs effects in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    Send(Outbound),
    /// Fire `Event::Timer { id }` at `at` (or start `journey` then, for `schedule_stack`).
    ScheduleTimer {
        id: String,
        at: jiff::Timestamp,
        target: TimerTarget,
    },
    /// Cancel this run's pending timers for a target (`None`: all of them).
    CancelTimers {
        target: Option<TimerTarget>,
    },
    /// Cancel one timer (a timeout that is no longer needed).
    CancelTimer {
        id: String,
    },
    Http(HttpRequest),
    UpdateContact {
        field: String,
        value: Value,
    },
    WriteResult {
        key: String,
        value: Value,
    },
    AddLabel {
        label: String,
    },
    Handoff {
        queue: String,
        note: String,
        /// The registered template an agent's first message uses when the 24-hour
        /// window has closed (`handoff(template: "agent_reply")`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
    },
    Log {
        text: String,
    },
    /// The run failed: said once, with the reason, so that operators see it.
    Error {
        message: String,
    },
    /// The run reached its end.
    Ended,
}

/// Where a scheduled timer leads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TimerTarget {
    /// A question's timeout.
    Timeout,
    /// A card of the run's journey.
    Card { journey: String, card: String },
    /// A journey started afresh for the contact.
    Journey { journey: String },
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Outbound {
    Text {
        body: String,
    },
    Media {
        kind: String,
        url: String,
        caption: Option<String>,
    },
    /// Reply buttons or a list: options are (id, title).
    Interactive {
        kind: MenuKind,
        header: Option<Header>,
        body: String,
        footer: Option<String>,
        button: Option<String>,
        options: Vec<(String, String)>,
    },
    Template {
        name: String,
        language: String,
        params: Vec<String>,
        buttons: Vec<String>,
    },
}

/// The header of an interactive message: text (buttons and lists) or media (buttons).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Header {
    Text(String),
    /// `kind`: `image`, `video` or `document`.
    Media {
        kind: String,
        url: String,
    },
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Header::Text(text) => f.write_str(text),
            Header::Media { kind, url } => write!(f, "[{kind}] {url}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MenuKind {
    Buttons,
    List,
}

/// A request as the run asked for it: a secret it read appears as its placeholder
/// ([`secret_placeholder`]), so the request can be stored, logged and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub id: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Option<String>,
    /// Milliseconds.
    pub timeout: u64,
}

/// What a run sees of the secret `name` (`secret("NAME")`): a placeholder, never the
/// value, so that no secret enters a run's state, its effects or a log (ARCHITECTURE
/// invariant 8). Only the container performing an HTTP request puts the values in, at
/// the moment of sending ([`HttpRequest::revealed`]); a message to a contact shows the
/// placeholder.
pub fn secret_placeholder(name: &str) -> String {
    format!("[secret:{name}]")
}

impl HttpRequest {
    /// The request to send: each secret's placeholder replaced by its value, in the
    /// address, the query, the headers and the body. Never store or log the result.
    pub fn revealed(&self, secrets: &BTreeMap<String, String>) -> HttpRequest {
        let reveal = |text: &str| {
            secrets.iter().fold(text.to_owned(), |text, (name, value)| {
                text.replace(&secret_placeholder(name), value)
            })
        };
        let pairs = |pairs: &[(String, String)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (reveal(k), reveal(v))).collect()
        };
        HttpRequest {
            id: self.id.clone(),
            method: self.method.clone(),
            url: reveal(&self.url),
            headers: pairs(&self.headers),
            query: pairs(&self.query),
            body: self.body.as_deref().map(reveal),
            timeout: self.timeout,
        }
    }
}
