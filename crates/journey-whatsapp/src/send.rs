//! Bodies for `POST /{phone-number-id}/messages` (§5.5, fixtures 20–25).

use journey_runtime::{Header, MenuKind, Outbound};
use serde_json::{Value, json};

/// What a message carries besides itself.
pub struct Envelope<'a> {
    /// The contact: a phone goes in `to`, a business-scoped user id in `recipient`.
    pub contact: &'a str,
    /// Our outbox key, sent as `biz_opaque_callback_data` (at most 512 characters) so
    /// that statuses can be matched back to the row that sent them.
    pub callback: &'a str,
    /// For templates: the registry's names of the body parameters (named templates),
    /// or empty for positional `{{1}}` ones.
    pub parameter_names: &'a [String],
}

/// The JSON body that sends `message`.
pub fn body(message: &Outbound, envelope: &Envelope<'_>) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
    });
    let address = if crate::is_phone(envelope.contact) {
        "to"
    } else {
        "recipient"
    };
    body[address] = json!(envelope.contact);
    if !envelope.callback.is_empty() {
        body["biz_opaque_callback_data"] = json!(truncate(envelope.callback, 512));
    }
    match message {
        Outbound::Text { body: text } => {
            body["type"] = json!("text");
            body["text"] = json!({"preview_url": false, "body": text});
        }
        Outbound::Media { kind, url, caption } => {
            let mut media = json!({ "link": url });
            // Audio and stickers take no caption.
            if let Some(caption) = caption
                && matches!(kind.as_str(), "image" | "video" | "document")
            {
                media["caption"] = json!(caption);
            }
            body["type"] = json!(kind);
            body[kind.as_str()] = media;
        }
        Outbound::Interactive {
            kind,
            header,
            body: text,
            footer,
            button,
            options,
        } => {
            let mut interactive = json!({ "body": { "text": text } });
            match header {
                Some(Header::Text(text)) => {
                    interactive["header"] = json!({"type": "text", "text": text});
                }
                Some(Header::Media { kind, url }) => {
                    interactive["header"] = json!({"type": kind, (kind.as_str()): {"link": url}});
                }
                None => {}
            }
            if let Some(footer) = footer {
                interactive["footer"] = json!({ "text": footer });
            }
            match kind {
                MenuKind::Buttons => {
                    interactive["type"] = json!("button");
                    let buttons: Vec<Value> = options
                        .iter()
                        .map(|(id, title)| json!({"type": "reply", "reply": {"id": id, "title": title}}))
                        .collect();
                    interactive["action"] = json!({ "buttons": buttons });
                }
                MenuKind::List => {
                    interactive["type"] = json!("list");
                    let rows: Vec<Value> = options
                        .iter()
                        .map(|(id, title)| json!({"id": id, "title": title}))
                        .collect();
                    interactive["action"] = json!({
                        "button": button.clone().unwrap_or_else(|| "Choose".to_owned()),
                        "sections": [{ "rows": rows }],
                    });
                }
            }
            body["type"] = json!("interactive");
            body["interactive"] = interactive;
        }
        Outbound::Template {
            name,
            language,
            params,
            buttons,
        } => {
            let parameters: Vec<Value> = params
                .iter()
                .enumerate()
                .map(|(i, value)| match envelope.parameter_names.get(i) {
                    Some(name) => json!({"type": "text", "parameter_name": name, "text": value}),
                    None => json!({"type": "text", "text": value}),
                })
                .collect();
            let mut components = Vec::new();
            if !parameters.is_empty() {
                components.push(json!({"type": "body", "parameters": parameters}));
            }
            // A quick reply's payload is its title: the runtime matches the tap by it.
            for (index, title) in buttons.iter().enumerate() {
                components.push(json!({
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": index.to_string(),
                    "parameters": [{"type": "payload", "payload": title}],
                }));
            }
            let mut template = json!({
                "name": name,
                "language": {"code": language, "policy": "deterministic"},
            });
            if !components.is_empty() {
                template["components"] = json!(components);
            }
            body["type"] = json!("template");
            body["template"] = template;
        }
    }
    body
}

/// Marks an inbound message read (fixture 26), with the typing indicator.
pub fn mark_read(message_id: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": message_id,
        "typing_indicator": {"type": "text"},
    })
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
