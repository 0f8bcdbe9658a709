//! What names mean inside a run: its variables, then the context roots.

use std::collections::BTreeMap;

use journey_expr::{Scope, Value};

use crate::Contact;
use crate::event::Inbound;

pub(crate) struct RunScope<'a> {
    pub(crate) vars: &'a BTreeMap<String, Value>,
    pub(crate) contact: &'a Contact,
    pub(crate) inbound: Option<&'a Inbound>,
    pub(crate) secrets: &'a BTreeMap<String, String>,
    pub(crate) journey: &'a str,
    /// The journey's notebook `config` dictionary (`config.items.<key>`).
    pub(crate) config: &'a BTreeMap<String, String>,
    /// Organisation-wide data (`global.<dictionary>.<key>`).
    pub(crate) globals: &'a Value,
    /// The notebook's data tables (`<name>.rows`).
    pub(crate) tables: &'a BTreeMap<String, Vec<BTreeMap<String, String>>>,
}

impl Scope for RunScope<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.vars.get(name) {
            return Some(value.clone());
        }
        match name {
            "contact" => Some(self.contact.as_value()),
            "event" => Some(event_value(self.inbound)),
            // Names that are set, each with its placeholder: the values stay outside.
            "secrets" => Some(Value::Map(
                self.secrets
                    .keys()
                    .map(|name| (name.clone(), Value::Text(crate::secret_placeholder(name))))
                    .collect(),
            )),
            "config" => Some(Value::Map(BTreeMap::from([(
                "items".to_owned(),
                Value::Map(
                    self.config
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
                        .collect(),
                ),
            )]))),
            "global" => Some(self.globals.clone()),
            table if self.tables.contains_key(table) => {
                let rows = self.tables[table]
                    .iter()
                    .map(|row| {
                        Value::Map(
                            row.iter()
                                .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
                                .collect(),
                        )
                    })
                    .collect();
                Some(Value::Map(BTreeMap::from([(
                    "rows".to_owned(),
                    Value::List(rows),
                )])))
            }
            "journey" => Some(Value::Map(BTreeMap::from([(
                "name".to_owned(),
                Value::Text(self.journey.to_owned()),
            )]))),
            _ => None,
        }
    }
}

/// `event.message.text.body`, `event.message.type`, `event.message.button.payload`:
/// the shape Turn journeys read, built from the inbound message.
fn event_value(inbound: Option<&Inbound>) -> Value {
    let Some(inbound) = inbound else {
        return Value::Map(BTreeMap::new());
    };
    let text = |s: &str| Value::Text(s.to_owned());
    let mut message = BTreeMap::from([
        ("type".to_owned(), text(&inbound.kind)),
        (
            "text".to_owned(),
            Value::Map(BTreeMap::from([("body".to_owned(), text(&inbound.text))])),
        ),
    ]);
    if let Some(id) = &inbound.reply_id {
        message.insert(
            "button".to_owned(),
            Value::Map(BTreeMap::from([
                ("payload".to_owned(), text(id)),
                ("text".to_owned(), text(&inbound.text)),
            ])),
        );
    }
    if let Some(id) = &inbound.media_id {
        message.insert(
            "media".to_owned(),
            Value::Map(BTreeMap::from([("id".to_owned(), text(id))])),
        );
    }
    Value::Map(BTreeMap::from([(
        "message".to_owned(),
        Value::Map(message),
    )]))
}
