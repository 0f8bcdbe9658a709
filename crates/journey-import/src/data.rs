//! A notebook's data cells as journey settings: the `config` dictionary becomes
//! `config(key: "value", …)` (read as `config.items.<key>`, as in Turn), each table
//! `table("name", columns: […], rows: […])` (read as `name.rows`). Secrets in the
//! dictionary (API tokens, keys, passwords) stay out: their readers become
//! `secret("NAME")`, and the report names what to set.

use std::collections::BTreeMap;

use journey_diagnostics::Span;
use journey_syntax::{
    Arg, Call, ConfigEntry, DataTable, Expr, ExprKind, Ident, Quote, Setting, Template,
    TemplatePart,
};

use crate::map::is_identifier;

/// What the data cells became.
#[derive(Default)]
pub(crate) struct Data {
    /// `config(…)` and `table(…)` settings, each with the span of its cell.
    pub(crate) settings: Vec<Setting>,
    /// Config keys that hold secrets, and the secret name each becomes.
    pub(crate) secrets: BTreeMap<String, String>,
    /// Entries left out, and why: (span, reason).
    pub(crate) left_out: Vec<(Span, String)>,
    /// Secrets found, and why each is one: (span, reason).
    pub(crate) found: Vec<(Span, String)>,
}

pub(crate) fn convert(config: &[ConfigEntry], tables: &[DataTable]) -> Data {
    let mut data = Data::default();
    let mut args = Vec::new();
    for entry in config {
        if entry.dictionary != "config" {
            let reason = format!(
                "dictionary `{}`: only the `config` dictionary is read by journeys (`config.items.…`)",
                entry.dictionary
            );
            data.left_out.push((entry.span, reason));
        } else if let Some(why) = secret_reason(&entry.key, &entry.value) {
            let name = secret_name(&entry.key);
            data.found.push((
                entry.span,
                format!(
                    "config `{}` {why}: read as `secret(\"{name}\")`, its value left out",
                    entry.key
                ),
            ));
            data.secrets.insert(entry.key.clone(), name);
        } else if !is_identifier(&entry.key) {
            let reason = format!(
                "config key `{}` is not a name journey code can write (`config.items.<name>`)",
                entry.key
            );
            data.left_out.push((entry.span, reason));
        } else {
            args.push(Arg {
                name: Some(ident(&entry.key, entry.span)),
                value: text(&entry.value, entry.span),
                span: entry.span,
            });
        }
    }
    if let (Some(first), Some(last)) = (args.first(), args.last()) {
        let span = first.span.to(last.span);
        data.settings.push(setting("config", args, span));
    }
    for table in tables {
        data.settings.push(table_setting(table));
    }
    data
}

/// Why a config entry looks like a secret, if it does: its key names a credential, or
/// its value looks like one.
fn secret_reason(key: &str, value: &str) -> Option<&'static str> {
    const WORDS: [&str; 9] = [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "credential",
        "auth",
        "bearer",
    ];
    let lower = key.to_ascii_lowercase();
    let key_word = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "key");
    if key_word || WORDS.iter().any(|w| lower.contains(w)) {
        return Some("names a credential");
    }
    let value = value.trim();
    if value.to_ascii_lowercase().starts_with("bearer ") || looks_random(value) {
        return Some("holds what looks like a credential");
    }
    None
}

/// A long run of letters and digits with both in it and no spaces, like an API key.
fn looks_random(value: &str) -> bool {
    value.len() >= 24
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.=+/".contains(c))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic())
}

/// The secret a config key becomes: `contentrepo_token` → `CONTENTREPO_TOKEN`, the
/// form `[secrets]` accepts.
pub fn secret_name(key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("S_{name}")
    } else {
        name
    }
}

fn table_setting(table: &DataTable) -> Setting {
    let span = table.span;
    let texts = |cells: &[String]| list(cells.iter().map(|c| text(c, span)).collect(), span);
    let rows = table.rows.iter().map(|row| texts(row)).collect();
    let args = vec![
        Arg {
            name: None,
            value: text(&table.name, span),
            span,
        },
        Arg {
            name: Some(ident("columns", span)),
            value: texts(&table.columns),
            span,
        },
        Arg {
            name: Some(ident("rows", span)),
            value: list(rows, span),
            span,
        },
    ];
    setting("table", args, span)
}

fn setting(name: &str, args: Vec<Arg>, span: Span) -> Setting {
    Setting {
        call: Call {
            callee: ident(name, span),
            args,
            block: None,
            span,
        },
        guard: None,
        span,
    }
}

fn ident(name: &str, span: Span) -> Ident {
    Ident {
        name: name.to_owned(),
        span,
    }
}

pub(crate) fn text(value: &str, span: Span) -> Expr {
    let parts = if value.is_empty() {
        Vec::new()
    } else {
        vec![TemplatePart::Text {
            value: value.to_owned(),
            span,
        }]
    };
    Expr {
        kind: ExprKind::Str(Template {
            parts,
            quote: Quote::Double,
        }),
        span,
    }
}

fn list(items: Vec<Expr>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::List(items),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_secrets_by_key_or_value() {
        let cases = [
            ("contentrepo_token", "xxxx", true),
            ("api_key", "1", true),
            ("openai-apikey", "1", true),
            ("Password", "hunter2", true),
            ("key", "v", true),
            ("keyword", "hi", false),
            ("parent_page_id", "651", false),
            ("webhook", "Bearer abc", true),
            ("cms", "sk_live_51Hc8aVbQ2xYz7", false),
            ("cms", "sk_live_51Hc8aVbQ2xYz7Pq9rT3", true),
            ("greeting", "Hello there, how are you today?", false),
        ];
        for (key, value, secret) in cases {
            assert_eq!(
                secret_reason(key, value).is_some(),
                secret,
                "{key} = {value}"
            );
        }
        assert_eq!(secret_name("openai-apikey"), "OPENAI_APIKEY");
        assert_eq!(secret_name("2fa_code"), "S_2FA_CODE");
    }
}
