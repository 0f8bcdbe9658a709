//! Data: JSON in and out, type tests, secrets and attachment links.

use crate::eval::Evaluator;
use crate::library::{self, Args, Fail, Imp, Outcome, Table};
use crate::value::Value;

pub(crate) const FUNCTIONS: Table = &[
    ("parse_json", Imp::Eager(parse_json)),
    ("json", Imp::Eager(json)),
    ("isnumber", Imp::Eager(isnumber)),
    ("isbool", Imp::Eager(isbool)),
    ("isstring", Imp::Eager(isstring)),
    ("secret", Imp::Eager(secret)),
    ("attachment_url", Imp::Eager(attachment_url)),
];

/// `parse_json(text)`: the data the JSON text describes; other values come back unchanged
/// (Turn's behaviour, so parsing twice is harmless). Larger than [`library::MAX_TEXT`] is
/// refused; nesting is limited by the JSON reader (128 levels).
fn parse_json(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let Value::Text(text) = args.get(0) else {
        return Ok(args.get(0).clone());
    };
    if text.len() > library::MAX_TEXT {
        return Err(Fail::arg(
            0,
            format!("JSON text over {} bytes", library::MAX_TEXT),
        ));
    }
    // Paying per 64 bytes keeps parsing inside the same budget as everything else.
    ev.charge(text.len() / 64)?;
    serde_json::from_str::<serde_json::Value>(text)
        .map(|json| Value::from_json(&json))
        .map_err(|e| Fail::arg(0, format!("not valid JSON: {e}")))
}

/// `json(value)`: compact JSON text (date-times as ISO 8601 strings).
fn json(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    library::text(args.get(0).to_json().to_string())
}

/// A number, or text that is one (`"1.5"`).
fn isnumber(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Bool(args.get(0).as_number().is_some()))
}

/// A boolean, or text that spells one (`"false"`), as Turn reads stored text.
fn isbool(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    Ok(Value::Bool(args.get(0).as_bool().is_some()))
}

/// Text that is neither a number nor a boolean: consistent with `isnumber` and `isbool`,
/// so exactly one of the three holds for any text.
fn isstring(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let value = args.get(0);
    Ok(Value::Bool(
        matches!(value, Value::Text(_)) && value.as_number().is_none() && value.as_bool().is_none(),
    ))
}

/// `secret("NAME")`: what the runtime provides under the scope root `secrets`; nil when unset.
fn secret(ev: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let name = args.text(0);
    Ok(ev
        .env
        .scope
        .get("secrets")
        .and_then(|secrets| secrets.get(&name).cloned())
        .unwrap_or(Value::Nil))
}

/// `attachment_url(media_id[, ttl])`: a placeholder link, `attachment://<id>[?ttl=<seconds>]`,
/// that the runtime swaps for a real download URL when it sends or fetches.
fn attachment_url(_: &mut Evaluator<'_>, args: &Args) -> Outcome {
    let id = args.text(0);
    if id.is_empty() {
        return Err(Fail::arg(0, "the media id is empty"));
    }
    let mut url = format!("attachment://{}", percent_encode(&id));
    if args.opt(1).is_some() {
        url.push_str(&format!("?ttl={}", args.count(1, 1)?));
    }
    Ok(Value::Text(url))
}

/// Everything but RFC 3986's unreserved characters, as `%XX` bytes.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::eval::tests::{check, fails};

    #[test]
    fn json_in_and_out() {
        check(
            r#"parse_json("[1,2,3]") == [1, 2, 3] and parse_json('{"a": {"b": "c"}}').a.b == "c""#,
        );
        check(r#"parse_json([1]) == [1] and parse_json("null") == nil"#);
        check(
            r#"json(parse_json('{"b": [1, 2.5, null], "a": true}')) == '{"a":true,"b":[1,2.5,null]}'"#,
        );
        check(r#"json("x") == '"x"' and json(date(2026, 1, 15)) == '"2026-01-14T22:00:00Z"'"#);
        fails(r#"parse_json("{oops")"#, "not valid JSON");
        fails(
            r#"parse_json(rept("[", 200) & rept("]", 200))"#,
            "not valid JSON",
        );
    }

    #[test]
    fn types() {
        check(r#"isnumber(1) and isnumber("1.0") and not isnumber("a") and not isnumber(nil)"#);
        check(r#"isbool(false) and isbool("true") and not isbool("yes") and isstring("")"#);
        check(r#"not isstring(1) and not isstring("1990") and not isstring("false")"#);
    }

    #[test]
    fn secrets_and_attachments() {
        check(
            r#"secret("CLINIC_API_TOKEN") == "[secret:CLINIC_API_TOKEN]" and secret("MISSING") == nil"#,
        );
        check(r#"attachment_url("123") == "attachment://123""#);
        check(r#"attachment_url("a b/c", 3600) == "attachment://a%20b%2Fc?ttl=3600""#);
        fails(r#"attachment_url("")"#, "empty");
    }
}
