//! Notification bodies (§5.1–§5.3): every entry, change, message and status, in order.
//!
//! Nothing is dropped: a message type we do not know becomes an [`Inbound`] of that
//! kind with empty text, so a journey's fallback handles it; a change of a field we do
//! not act on comes back as [`Notice::Other`] so the server can count it. One message,
//! status or preference that cannot be read becomes a [`Notice::Rejected`] with the
//! reason: it must not cost the notification's other items their acknowledgement.

use journey_runtime::Inbound;
use serde_json::{Map, Value};

/// One thing a notification tells us.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Message(Message),
    Status(Status),
    Preference(Preference),
    /// A change we do not act on (template status, quality rating, …), or an
    /// `errors[]` entry of a `messages` change.
    Other {
        field: String,
        detail: String,
    },
    /// An item that cannot be read (a missing or invalid id, a control character in
    /// an id…), set aside with the reason while the rest is kept.
    Rejected {
        at: String,
        reason: String,
    },
}

/// A message from a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Our number it was sent to.
    pub phone_number_id: String,
    /// `from`, or `from_user_id` for a username user.
    pub contact: String,
    /// `contacts[].profile.name`, when Meta sends it.
    pub profile_name: Option<String>,
    /// The wamid: the key for de-duplication.
    pub id: String,
    /// Epoch seconds (Meta's occasional milliseconds converted); `None` when Meta sent
    /// none (the server then uses the time of receipt).
    pub timestamp: Option<i64>,
    pub inbound: Inbound,
}

/// A delivery report for a message we sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub phone_number_id: String,
    /// The wamid Meta gave our message.
    pub message_id: String,
    pub status: Delivery,
    pub timestamp: i64,
    pub recipient: String,
    /// What we sent as `biz_opaque_callback_data`.
    pub callback: Option<String>,
    pub errors: Vec<ApiError>,
}

/// Where a sent message got to. Order matters: a status never moves backwards, and
/// `read` implies `delivered` (§8 runtime invariants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Delivery {
    Sent,
    Delivered,
    Read,
    Played,
    /// Terminal.
    Failed,
    /// The user deleted it; ignorable (courier's `IgnoreStatuses`).
    Deleted,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
            Delivery::Played => "played",
            Delivery::Failed => "failed",
            Delivery::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Delivery> {
        Some(match text {
            "sent" => Delivery::Sent,
            "delivered" => Delivery::Delivered,
            "read" => Delivery::Read,
            "played" => Delivery::Played,
            "failed" => Delivery::Failed,
            "deleted" => Delivery::Deleted,
            _ => return None,
        })
    }
}

/// An error Meta reports, synchronously or in a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: i64,
    pub message: String,
}

/// A `user_preferences` change: the user stopped or resumed marketing messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Preference {
    pub contact: String,
    pub category: String,
    /// `stop`, `resume` or `signup`.
    pub value: String,
    pub timestamp: i64,
}

/// Why a body is not a notification we can read: the webhook answers 400 with this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Reads a whole notification body.
pub fn parse(body: &[u8]) -> Result<Vec<Notice>, ParseError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("the body is not valid JSON: {e}")))?;
    let root = root
        .as_object()
        .ok_or_else(|| ParseError("the body is not a JSON object".to_owned()))?;
    match root.get("object").and_then(Value::as_str) {
        Some("whatsapp_business_account") => {}
        Some(other) => {
            return Err(ParseError(format!(
                "`object` is `{other}`, not `whatsapp_business_account`"
            )));
        }
        None => return Err(ParseError("`object` is missing".to_owned())),
    }
    let mut notices = Vec::new();
    for (e, entry) in array(root, "entry", "")?.iter().enumerate() {
        let at = format!("entry[{e}]");
        let entry = object(entry, &at)?;
        for (c, change) in array(entry, "changes", &at)?.iter().enumerate() {
            let at = format!("{at}.changes[{c}]");
            let change = object(change, &at)?;
            let field = text(change, "field", &at)?;
            let value = object(
                change
                    .get("value")
                    .ok_or_else(|| ParseError(format!("{at}.value is missing")))?,
                &format!("{at}.value"),
            )?;
            let at = format!("{at}.value");
            match field.as_str() {
                "messages" => messages_change(value, &at, &mut notices)?,
                "user_preferences" => preferences(value, &at, &mut notices)?,
                _ => notices.push(Notice::Other {
                    detail: serde_json::to_string(value).unwrap_or_default(),
                    field,
                }),
            }
        }
    }
    Ok(notices)
}

fn read_message(
    message: &Value,
    contacts: &[Value],
    phone_number_id: &str,
    at: &str,
) -> Result<Message, ParseError> {
    let message = object(message, at)?;
    let contact = match message.get("from").and_then(Value::as_str) {
        Some(from) => from.to_owned(),
        None => text(message, "from_user_id", at)
            .map_err(|_| ParseError(format!("{at} has neither `from` nor `from_user_id`")))?,
    };
    let contact = identifier(contact, "from", at)?;
    let profile_name = contacts
        .iter()
        .find(|c| {
            c.get("wa_id").and_then(Value::as_str) == Some(&contact)
                || c.get("user_id").and_then(Value::as_str) == Some(&contact)
        })
        .or(contacts.first())
        .and_then(|c| c.get("profile")?.get("name")?.as_str())
        .map(str::to_owned);
    Ok(Message {
        phone_number_id: phone_number_id.to_owned(),
        id: identifier(text(message, "id", at)?, "id", at)?,
        timestamp: match message.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(_) => Some(timestamp(message, at)?),
        },
        inbound: inbound(message),
        contact,
        profile_name,
    })
}

fn rejected(at: &str, error: ParseError) -> Notice {
    Notice::Rejected {
        at: at.to_owned(),
        reason: error.0,
    }
}

/// Ids are keys in the store: printable, without control characters (PostgreSQL text
/// cannot hold NUL), of a sane length.
fn identifier(id: String, name: &str, at: &str) -> Result<String, ParseError> {
    if id.is_empty() || id.len() > MAX_ID_BYTES || id.chars().any(char::is_control) {
        return Err(ParseError(format!(
            "{at}.{name} is empty, longer than {MAX_ID_BYTES} bytes or has control characters"
        )));
    }
    Ok(id)
}

const MAX_ID_BYTES: usize = 512;

fn messages_change(
    value: &Map<String, Value>,
    at: &str,
    out: &mut Vec<Notice>,
) -> Result<(), ParseError> {
    let phone_number_id = value
        .get("metadata")
        .and_then(|m| m.get("phone_number_id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let contacts = optional_array(value, "contacts", at)?;
    for (m, message) in optional_array(value, "messages", at)?.iter().enumerate() {
        let at = format!("{at}.messages[{m}]");
        out.push(
            read_message(message, contacts, &phone_number_id, &at)
                .map_or_else(|e| rejected(&at, e), Notice::Message),
        );
    }
    for (s, status) in optional_array(value, "statuses", at)?.iter().enumerate() {
        let at = format!("{at}.statuses[{s}]");
        let status = object(status, &at).and_then(|status| {
            match status.get("status").and_then(Value::as_str) {
                // A status we do not know (`warning`, and whatever Meta adds) is news,
                // not an error in the notification.
                Some(name) if Delivery::parse(name).is_none() => Ok(Notice::Other {
                    field: "statuses".to_owned(),
                    detail: Value::Object(status.clone()).to_string(),
                }),
                _ => parse_status(status, &phone_number_id, &at).map(Notice::Status),
            }
        });
        out.push(status.unwrap_or_else(|e| rejected(&at, e)));
    }
    for error in optional_array(value, "errors", at)? {
        out.push(Notice::Other {
            field: "errors".to_owned(),
            detail: error.to_string(),
        });
    }
    Ok(())
}

/// One `statuses[]` entry (also the shape of fixture 18, a legacy status alone).
pub fn parse_status(
    status: &Map<String, Value>,
    phone_number_id: &str,
    at: &str,
) -> Result<Status, ParseError> {
    let name = text(status, "status", at)?;
    let delivery = Delivery::parse(&name)
        .ok_or_else(|| ParseError(format!("{at}.status `{name}` is not a known status")))?;
    Ok(Status {
        phone_number_id: phone_number_id.to_owned(),
        message_id: identifier(text(status, "id", at)?, "id", at)?,
        status: delivery,
        timestamp: timestamp(status, at)?,
        recipient: status
            .get("recipient_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        // Ours, echoed back: one that is not what we could have sent is ignored.
        callback: status
            .get("biz_opaque_callback_data")
            .and_then(Value::as_str)
            .and_then(|c| identifier(c.to_owned(), "biz_opaque_callback_data", at).ok()),
        errors: status
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| errors.iter().map(api_error).collect())
            .unwrap_or_default(),
    })
}

/// An error object: `{code, title, message, error_data{details}}`.
pub fn api_error(error: &Value) -> ApiError {
    let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = error
        .get("error_data")
        .and_then(|d| d.get("details"))
        .or_else(|| error.get("message"))
        .or_else(|| error.get("title"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    ApiError { code, message }
}

fn preferences(
    value: &Map<String, Value>,
    at: &str,
    out: &mut Vec<Notice>,
) -> Result<(), ParseError> {
    for (p, preference) in optional_array(value, "user_preferences", at)?
        .iter()
        .enumerate()
    {
        let at = format!("{at}.user_preferences[{p}]");
        out.push(read_preference(preference, &at).unwrap_or_else(|e| rejected(&at, e)));
    }
    Ok(())
}

fn read_preference(preference: &Value, at: &str) -> Result<Notice, ParseError> {
    let preference = object(preference, at)?;
    let contact = match preference.get("wa_id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => text(preference, "user_id", at)?,
    };
    Ok(Notice::Preference(Preference {
        contact: identifier(contact, "wa_id", at)?,
        category: text(preference, "category", at)?,
        value: text(preference, "value", at)?,
        timestamp: timestamp(preference, at)?,
    }))
}

/// A message as journeys read it. Unknown types keep their type name, so a journey
/// can branch on `event.message.type`, and never disappear.
fn inbound(message: &Map<String, Value>) -> Inbound {
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unsupported")
        .to_owned();
    let part = message.get(&kind);
    let field = |name: &str| -> Option<String> {
        part.and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut inbound = Inbound {
        kind: kind.clone(),
        ..Inbound::default()
    };
    match kind.as_str() {
        "text" => inbound.text = field("body").unwrap_or_default(),
        "interactive" => {
            let interactive = part.cloned().unwrap_or_default();
            let sub = interactive
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let reply = interactive.get(sub);
            let get = |name: &str| {
                reply
                    .and_then(|r| r.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            match sub {
                "button_reply" | "list_reply" => {
                    inbound.text = get("title").unwrap_or_default();
                    inbound.reply_id = get("id");
                }
                // A Flow's answers are JSON in a string; journeys read them with
                // parse_json(event.message.text.body).
                "nfm_reply" => inbound.text = get("response_json").unwrap_or_default(),
                _ => {}
            }
        }
        // A quick reply tapped on a template.
        "button" => {
            inbound.text = field("text").unwrap_or_default();
            inbound.reply_id = field("payload");
        }
        "image" | "video" | "document" | "audio" | "sticker" | "voice" => {
            inbound.text = field("caption").unwrap_or_default();
            inbound.media_id = field("id");
        }
        "location" => {
            let number = |name: &str| part.and_then(|p| p.get(name)).and_then(Value::as_f64);
            let mut text = match (number("latitude"), number("longitude")) {
                (Some(lat), Some(long)) => format!("{lat},{long}"),
                _ => String::new(),
            };
            for name in ["name", "address"] {
                if let Some(value) = field(name) {
                    text.push_str(&format!(" {value}"));
                }
            }
            inbound.text = text;
        }
        "contacts" => {
            let names: Vec<&str> = part
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("name")?.get("formatted_name")?.as_str())
                .collect();
            inbound.text = names.join(", ");
        }
        "reaction" => inbound.text = field("emoji").unwrap_or_default(),
        "order" | "system" => inbound.text = field("text").or(field("body")).unwrap_or_default(),
        _ => {}
    }
    inbound
}

fn timestamp(object: &Map<String, Value>, at: &str) -> Result<i64, ParseError> {
    let raw = match object.get("timestamp") {
        Some(Value::String(text)) => text.parse::<i64>().ok(),
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    }
    .ok_or_else(|| ParseError(format!("{at}.timestamp is missing or not a number")))?;
    // Meta occasionally sends milliseconds (courier's parseTimestamp).
    Ok(if raw > 100_000_000_000 {
        raw / 1000
    } else {
        raw
    })
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, ParseError> {
    value
        .as_object()
        .ok_or_else(|| ParseError(format!("{at} is not an object")))
}

fn array<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    at: &str,
) -> Result<&'a Vec<Value>, ParseError> {
    let path = if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    };
    object
        .get(name)
        .ok_or_else(|| ParseError(format!("`{path}` is missing")))?
        .as_array()
        .ok_or_else(|| ParseError(format!("`{path}` is not an array")))
}

fn optional_array<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    at: &str,
) -> Result<&'a [Value], ParseError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ParseError(format!("`{at}.{name}` is not an array"))),
    }
}

fn text(object: &Map<String, Value>, name: &str, at: &str) -> Result<String, ParseError> {
    object
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ParseError(format!("{at}.{name} is missing or not text")))
}
