//! The `.test` file format (documented in `docs/testing.md`): a header of settings,
//! then cases (`## name`) written as the transcript they expect.

use jiff::{SignedDuration, Timestamp};

use crate::duration;
use crate::http::Fixture;
use crate::transcript::{Kind, Line};

/// A contact field and its value; JSON `null` (written `nil`) means "not set".
pub type Field = (String, serde_json::Value);

#[derive(Debug, Default)]
pub struct TestFile {
    pub header: Header,
    pub cases: Vec<Case>,
}

/// What every case starts from.
#[derive(Debug, Default)]
pub struct Header {
    pub journey: Option<String>,
    pub contact: Vec<Field>,
    pub now: Option<Timestamp>,
    pub http: Vec<Fixture>,
    /// Organisation-wide data, read as `global.<dictionary>.<key>`.
    pub globals: Vec<Global>,
    /// Secret values by name, read with `secret("NAME")`.
    pub secrets: Vec<(String, String)>,
    /// The Turn notebook the file tests, for runners that load journeys per test file
    /// (`tests/corpus_runs.rs`); `run_file` runs against the journeys it is given.
    pub notebook: Option<String>,
}

/// `global: config.contentrepo_token = "test-token"`.
#[derive(Debug, PartialEq)]
pub struct Global {
    pub dictionary: String,
    pub key: String,
    pub value: serde_json::Value,
}

#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub line: usize,
    /// Goes on from where the previous case left the contact.
    pub continues: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub struct Step {
    pub line: usize,
    /// The line as written, for failure messages.
    pub source: String,
    pub action: Action,
}

#[derive(Debug)]
pub enum Action {
    Say(String),
    /// Tap an option of the last message, by id, title or number.
    Tap(String),
    Advance(SignedDuration),
    Start(String),
    AgentReturns,
    Expect(Line),
    Check(Assertion),
    Contact(Vec<Field>),
    Http(Fixture),
    Journey(String),
}

#[derive(Debug, PartialEq)]
pub enum Assertion {
    Field {
        name: String,
        value: serde_json::Value,
    },
    Result {
        key: String,
        value: serde_json::Value,
    },
    Label {
        label: String,
        present: bool,
    },
    /// A pending timer by card or journey name, optionally due exactly this long from now.
    Timer {
        name: String,
        due_in: Option<SignedDuration>,
        present: bool,
    },
    NoTimers,
    /// The last HTTP request carried this header (the name in any case).
    Header {
        name: String,
        value: String,
    },
    /// With an agent (of this queue, when given), or not.
    Handoff {
        queue: Option<String>,
        present: bool,
    },
    Ended,
    Waiting,
    Failed,
}

#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// The `http:` lines of a file (`journey run --http`), or each line that could not be read
/// with its number.
pub fn http_fixtures(text: &str) -> Result<Vec<Fixture>, Vec<(usize, String)>> {
    match parse(text) {
        Ok(file) => Ok(file.header.http),
        Err(errors) => Err(errors.into_iter().map(|e| (e.line, e.message)).collect()),
    }
}

/// Parses a whole file; reports every line it could not read.
pub fn parse(text: &str) -> Result<TestFile, Vec<ParseError>> {
    let mut file = TestFile::default();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if let Err(message) = parse_line(&mut file, line, raw.trim()) {
            errors.push(ParseError { line, message });
        }
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

fn parse_line(file: &mut TestFile, line: usize, text: &str) -> Result<(), String> {
    if let Some(name) = text.strip_prefix("##") {
        let name = name.trim();
        if name.is_empty() {
            return Err("a case needs a name: `## choosing tips`".to_owned());
        }
        file.cases.push(Case {
            name: name.to_owned(),
            line,
            continues: false,
            steps: Vec::new(),
        });
        return Ok(());
    }
    if text.is_empty() || text.starts_with('#') {
        return Ok(());
    }
    let first_case = file.cases.len() == 1;
    let Some(case) = file.cases.last_mut() else {
        return header_line(&mut file.header, text);
    };
    if text == "continue" {
        if !case.steps.is_empty() || case.continues {
            return Err("`continue` must be the first line of a case".to_owned());
        }
        if first_case {
            return Err("the first case has nothing to continue from".to_owned());
        }
        case.continues = true;
        return Ok(());
    }
    let action = case_line(text)?;
    if matches!(action, Action::Journey(_)) && case.steps.iter().any(|s| s.action.acts()) {
        return Err("`journey:` must come before the case's first message".to_owned());
    }
    case.steps.push(Step {
        line,
        source: text.to_owned(),
        action,
    });
    Ok(())
}

impl Action {
    /// Does this step make something happen (as opposed to setting up or checking)?
    pub fn acts(&self) -> bool {
        matches!(
            self,
            Action::Say(_)
                | Action::Tap(_)
                | Action::Advance(_)
                | Action::Start(_)
                | Action::AgentReturns
        )
    }
}

const HEADER_SETTINGS: &str =
    "`journey:`, `contact:`, `now:`, `http:`, `global:`, `secret:` or `notebook:`";

fn header_line(header: &mut Header, text: &str) -> Result<(), String> {
    let Some((key, value)) = setting(text) else {
        return Err(format!(
            "expected a setting ({HEADER_SETTINGS}) or a case (`## name`), found `{text}`"
        ));
    };
    match key {
        "journey" => header.journey = Some(journey_name(value)?),
        "contact" => header.contact.extend(fields(value)?),
        "now" => header.now = Some(timestamp(value)?),
        "http" => header.http.push(fixture(value)?),
        "global" => header.globals.push(global(value)?),
        "secret" => header.secrets.push(secret(value)?),
        "notebook" if !value.is_empty() => header.notebook = Some(value.to_owned()),
        "notebook" => return Err("expected a notebook path, like `Quiz/quiz.md`".to_owned()),
        _ => {
            return Err(format!(
                "unknown setting `{key}:`; expected {HEADER_SETTINGS}"
            ));
        }
    }
    Ok(())
}

fn case_line(text: &str) -> Result<Action, String> {
    let (sigil, rest) = text.split_at(text.chars().next().map_or(0, char::len_utf8));
    let rest = rest.trim();
    match sigil {
        ">" => Ok(
            match rest.strip_prefix("[tap ").and_then(|r| r.strip_suffix(']')) {
                Some(option) => Action::Tap(option.trim().to_owned()),
                None => Action::Say(rest.to_owned()),
            },
        ),
        "<" => Ok(Action::Expect(Line::new(Kind::Bot, rest))),
        "*" => Ok(Action::Expect(Line::new(Kind::Event, rest))),
        "!" => Ok(Action::Expect(Line::new(Kind::Error, rest))),
        "~" => Ok(Action::Advance(duration::parse(rest)?)),
        "?" => Ok(Action::Check(assertion(rest)?)),
        _ => case_setting(text),
    }
}

fn case_setting(text: &str) -> Result<Action, String> {
    let Some((key, value)) = setting(text) else {
        return Err(format!(
            "expected a step (`> message`, `> [tap Option]`, `< reply`, `* event`, `! error`, `~ 2h`, \
             `? check`), a setting (`contact:`, `http:`, `journey:`, `start:`, `agent: return`) \
             or `continue`, found `{text}`"
        ));
    };
    match key {
        "contact" => Ok(Action::Contact(fields(value)?)),
        "http" => Ok(Action::Http(fixture(value)?)),
        "journey" => Ok(Action::Journey(journey_name(value)?)),
        "start" => Ok(Action::Start(journey_name(value)?)),
        "agent" if value == "return" => Ok(Action::AgentReturns),
        "agent" => Err(format!("expected `agent: return`, found `agent: {value}`")),
        "now" => Err(
            "`now:` belongs in the header, before the first case; use `~ 2h` to move time"
                .to_owned(),
        ),
        // The runtime that holds them is shared by every case of the file.
        "global" | "secret" | "notebook" => Err(format!(
            "`{key}:` belongs in the header, before the first case: every case of a file runs \
             with the same globals, secrets and journeys"
        )),
        _ => Err(format!(
            "unknown setting `{key}:`; expected `contact:`, `http:`, `journey:`, `start:` or `agent: return`"
        )),
    }
}

/// `key: value`, with a lower-case word as the key.
fn setting(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text.split_once(':')?;
    key.chars()
        .all(|c| c.is_ascii_lowercase())
        .then_some((key, value.trim()))
        .filter(|(key, _)| !key.is_empty())
}

fn name(text: &str, what: &str) -> Result<String, String> {
    if is_name(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "expected {what} (letters, digits and `_`), found `{text}`"
        ))
    }
}

/// A journey is named by its `stack` line or, in a notebook, by its file stem, which
/// may hold spaces (`Browsable FAQs`); Turn refers to journeys by UUID.
fn journey_name(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("expected a journey name".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn timestamp(text: &str) -> Result<Timestamp, String> {
    text.parse().map_err(|_| {
        format!("expected a moment with its offset, like `2026-01-15T09:00:00Z`, found `{text}`")
    })
}

/// `name = "Thandi", age = 24, due_date = nil`.
fn fields(text: &str) -> Result<Vec<Field>, String> {
    let mut fields = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("expected `field = value`, found `{rest}`"))?;
        let key = name(key.trim(), "a field name")?;
        let (value, after) = value(after)?;
        fields.push((key, value));
        rest = after.trim_start();
        if !rest.is_empty() {
            rest = rest
                .strip_prefix(',')
                .ok_or_else(|| format!("expected `,` between fields, found `{rest}`"))?
                .trim_start();
        }
    }
    if fields.is_empty() {
        return Err("expected `field = value`, like `name = \"Thandi\"`".to_owned());
    }
    Ok(fields)
}

/// One value at the start of `text`, and what follows it: JSON, or `nil`.
fn value(text: &str) -> Result<(serde_json::Value, &str), String> {
    let text = text.trim_start();
    let wanted = || {
        format!(
            "expected a value (\"text\" in double quotes, a number, true, false, nil, a [list]), found `{text}`"
        )
    };
    if let Some(after) = text.strip_prefix("nil")
        && !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
    {
        return Ok((serde_json::Value::Null, after));
    }
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(value)) => Ok((value, &text[values.byte_offset()..])),
        _ => Err(wanted()),
    }
}

/// `config.contentrepo_token = "test-token"`.
fn global(text: &str) -> Result<Global, String> {
    let wanted = || format!("expected `DICTIONARY.KEY = VALUE`, found `{text}`");
    let (path, value) = text.split_once('=').ok_or_else(wanted)?;
    let (dictionary, key) = path.trim().split_once('.').ok_or_else(wanted)?;
    Ok(Global {
        dictionary: name(dictionary, "a dictionary name")?,
        key: name(key, "a key")?,
        value: whole_value(value)?,
    })
}

/// `CLINIC_API_TOKEN = "t0ken"`: secrets are text.
fn secret(text: &str) -> Result<(String, String), String> {
    let (key, value) = keyed(text, "secret: NAME = \"value\"")?;
    let key = name(key, "a secret's name")?;
    match value {
        serde_json::Value::String(value) => Ok((key, value)),
        _ => Err(format!(
            "expected the secret's value in double quotes, found `{value}`"
        )),
    }
}

/// A value that must be all of `text`.
fn whole_value(text: &str) -> Result<serde_json::Value, String> {
    let (value, rest) = value(text)?;
    if rest.trim().is_empty() {
        Ok(value)
    } else {
        Err(format!("unexpected `{}` after the value", rest.trim()))
    }
}

/// `GET https://api.example.org/pages/* -> 200 {"title": "Rest"}`.
fn fixture(text: &str) -> Result<Fixture, String> {
    let wanted = || format!("expected `METHOD URL -> STATUS [JSON body]`, found `{text}`");
    let (request, response) = text.split_once("->").ok_or_else(wanted)?;
    let (method, pattern) = request
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(wanted)?;
    if !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(wanted());
    }
    let response = response.trim();
    let digits = response
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(response.len());
    let status: u16 = response[..digits]
        .parse()
        .ok()
        .filter(|s| *s < 600)
        .ok_or_else(|| {
            format!(
                "expected an HTTP status (0 for no answer, else 100 to 599), found `{response}`"
            )
        })?;
    let body = response[digits..].trim();
    let body = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(body).map_err(|e| format!("the response body is not JSON: {e}"))?
    };
    Ok(Fixture {
        method: method.to_uppercase(),
        pattern: pattern.trim().to_owned(),
        status,
        body,
    })
}

fn assertion(text: &str) -> Result<Assertion, String> {
    let (negated, text) = match text.strip_prefix("no ") {
        Some(rest) => (true, rest.trim()),
        None => (false, text),
    };
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let assertion = match (word, negated) {
        ("field", false) => {
            let (field, value) = keyed(rest, "? field NAME = VALUE")?;
            Assertion::Field {
                name: name(field, "a field name")?,
                value,
            }
        }
        ("result", false) => {
            // Result keys are any text: `write_result("dma_form_v1.0_risk", …)`.
            let (key, value) = keyed(rest, "? result KEY = VALUE")?;
            Assertion::Result {
                key: key.to_owned(),
                value,
            }
        }
        ("label", _) => match whole_value(rest)? {
            serde_json::Value::String(label) => Assertion::Label {
                label,
                present: !negated,
            },
            _ => {
                return Err(format!(
                    "expected the label in double quotes, found `{rest}`"
                ));
            }
        },
        ("timers", true) if rest.is_empty() => Assertion::NoTimers,
        ("header", false) => {
            let wanted =
                || format!("expected `? header NAME = \"value\"`, found `? header {rest}`");
            let (name, value) = rest.split_once('=').ok_or_else(wanted)?;
            let serde_json::Value::String(value) = whole_value(value)? else {
                return Err(wanted());
            };
            Assertion::Header {
                name: name.trim().to_owned(),
                value,
            }
        }
        ("timer", _) => {
            let (name_text, due) = match rest.split_once(" in ") {
                Some((name, due)) if !negated => (name.trim(), Some(duration::parse(due)?)),
                _ => (rest, None),
            };
            if name_text.is_empty() {
                return Err("expected a card or journey name (or `timeout`)".to_owned());
            }
            Assertion::Timer {
                name: name_text.to_owned(),
                due_in: due,
                present: !negated,
            }
        }
        ("handoff", _) => Assertion::Handoff {
            queue: (!rest.is_empty()).then(|| rest.to_owned()),
            present: !negated,
        },
        ("ended", false) if rest.is_empty() => Assertion::Ended,
        ("waiting", false) if rest.is_empty() => Assertion::Waiting,
        ("failed", false) if rest.is_empty() => Assertion::Failed,
        _ => {
            return Err(format!(
                "expected a check: `? field NAME = VALUE`, `? result KEY = VALUE`, `? label \"TEXT\"`, \
                 `? timer NAME [in 2h]`, `? no timers`, `? header NAME = \"value\"`, `? handoff [QUEUE]`, \
                 `? ended`, `? waiting` or `? failed` (`no` before label, timer and handoff negates), \
                 found `? {}{text}`",
                if negated { "no " } else { "" }
            ));
        }
    };
    Ok(assertion)
}

/// `KEY = VALUE`, for the form `form`; the key is checked by the caller.
fn keyed<'t>(text: &'t str, form: &str) -> Result<(&'t str, serde_json::Value), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected `{form}`, found `{text}`"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("expected `{form}`, found `{text}`"));
    }
    Ok((key, whole_value(value)?))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn header_and_cases() {
        let file = parse(
            "# Tests of the menu\n\
             journey: ClinicMenu\n\
             contact: name = \"Thandi\", age = 24, tags = [\"a\", \"b\"]\n\
             contact: due_date = nil\n\
             now: 2026-01-15T09:00:00Z\n\
             http: get https://api.example.org/pages/* -> 200 {\"title\": \"Rest\"}\n\
             \n\
             ## choosing tips\n\
             > hi\n\
             < [buttons] Hi Thandi! ...\n\
             > [tap My baby]\n\
             ~ 1d 2h\n\
             * timer fired: Reminder\n\
             ! error: ...\n\
             ? field opted_in = false\n\
             \n\
             ## next\n\
             continue\n\
             contact: name = \"Sipho\"\n\
             start: PostnatalCheckup\n\
             agent: return\n",
        )
        .unwrap();
        assert_eq!(file.header.journey.as_deref(), Some("ClinicMenu"));
        assert_eq!(
            file.header.contact,
            vec![
                ("name".to_owned(), json!("Thandi")),
                ("age".to_owned(), json!(24)),
                ("tags".to_owned(), json!(["a", "b"])),
                ("due_date".to_owned(), json!(null)),
            ]
        );
        assert_eq!(file.header.now.unwrap().to_string(), "2026-01-15T09:00:00Z");
        assert_eq!(file.header.http[0].method, "GET");
        assert_eq!(file.header.http[0].body, json!({"title": "Rest"}));
        let [first, second] = &file.cases[..] else {
            panic!("two cases")
        };
        assert_eq!(
            (first.name.as_str(), first.line, first.continues),
            ("choosing tips", 8, false)
        );
        assert!(matches!(&first.steps[0].action, Action::Say(t) if t == "hi"));
        assert!(matches!(&first.steps[1].action, Action::Expect(l) if l.kind == Kind::Bot));
        assert!(matches!(&first.steps[2].action, Action::Tap(t) if t == "My baby"));
        assert!(matches!(&first.steps[3].action, Action::Advance(d) if d.as_secs() == 93_600));
        assert!(matches!(
            &first.steps[6].action,
            Action::Check(Assertion::Field { name, value }) if name == "opted_in" && *value == json!(false)
        ));
        assert_eq!(first.steps[6].source, "? field opted_in = false");
        assert!(second.continues);
        assert!(matches!(&second.steps[1].action, Action::Start(j) if j == "PostnatalCheckup"));
        assert!(matches!(&second.steps[2].action, Action::AgentReturns));
    }

    #[test]
    fn globals_secrets_and_the_notebook() {
        let file = parse(
            "notebook: Forms/QA/flows/DMA Form.md\n\
             journey: DMA Form\n\
             global: config.contentrepo_token = \"test-token\"\n\
             global: limits.retries = 3\n\
             secret: CLINIC_API_TOKEN = \"t0ken\"\n\
             ## one\n\
             start: 8eb4490c-dc45-4c1f-bf10-1a95158ef45f\n",
        )
        .unwrap();
        let header = &file.header;
        assert_eq!(
            header.notebook.as_deref(),
            Some("Forms/QA/flows/DMA Form.md")
        );
        assert_eq!(header.journey.as_deref(), Some("DMA Form"));
        assert_eq!(
            header.globals,
            [
                Global {
                    dictionary: "config".to_owned(),
                    key: "contentrepo_token".to_owned(),
                    value: json!("test-token"),
                },
                Global {
                    dictionary: "limits".to_owned(),
                    key: "retries".to_owned(),
                    value: json!(3),
                },
            ]
        );
        assert_eq!(
            header.secrets,
            [("CLINIC_API_TOKEN".to_owned(), "t0ken".to_owned())]
        );
        assert!(matches!(
            &file.cases[0].steps[0].action,
            Action::Start(j) if j == "8eb4490c-dc45-4c1f-bf10-1a95158ef45f"
        ));
        let found = errors(
            "global: token = \"x\"\n\
             secret: TOKEN = 42\n\
             notebook:\n\
             ## one\n\
             global: config.token = \"x\"\n",
        );
        assert!(
            found[0].1.contains("DICTIONARY.KEY = VALUE"),
            "{}",
            found[0].1
        );
        assert!(found[1].1.contains("in double quotes"), "{}", found[1].1);
        assert!(found[2].1.contains("notebook path"), "{}", found[2].1);
        assert!(
            found[3].1.contains("belongs in the header"),
            "{}",
            found[3].1
        );
    }

    #[test]
    fn assertions() {
        let check = |text: &str| assertion(text).unwrap();
        assert_eq!(
            check("result visits = \"3\""),
            Assertion::Result {
                key: "visits".to_owned(),
                value: json!("3")
            }
        );
        assert_eq!(
            check("no label \"question\""),
            Assertion::Label {
                label: "question".to_owned(),
                present: false
            }
        );
        assert_eq!(
            check("timer Reminder in 23h"),
            Assertion::Timer {
                name: "Reminder".to_owned(),
                due_in: Some(SignedDuration::from_hours(23)),
                present: true
            }
        );
        assert_eq!(check("no timers"), Assertion::NoTimers);
        assert_eq!(
            check("header Authorization = \"Token x\""),
            Assertion::Header {
                name: "Authorization".to_owned(),
                value: "Token x".to_owned()
            }
        );
        assert_eq!(
            check("result dma_v1.0_risk = \"high\""),
            Assertion::Result {
                key: "dma_v1.0_risk".to_owned(),
                value: json!("high")
            }
        );
        assert_eq!(
            check("handoff nurses"),
            Assertion::Handoff {
                queue: Some("nurses".to_owned()),
                present: true
            }
        );
        assert_eq!(
            check("no handoff"),
            Assertion::Handoff {
                queue: None,
                present: false
            }
        );
        assert_eq!(check("ended"), Assertion::Ended);
        assert!(
            assertion("field age")
                .unwrap_err()
                .contains("? field NAME = VALUE")
        );
        assert!(
            assertion("label question")
                .unwrap_err()
                .contains("double quotes")
        );
        assert!(
            assertion("sleeping")
                .unwrap_err()
                .contains("expected a check")
        );
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let found = errors(
            "contact: name = Thandi\n\
             now: tomorrow\n\
             > hi\n\
             ## \n\
             ## a case\n\
             continue\n\
             hello\n\
             ~ 2 hours\n\
             http: GET https://x -> ok\n\
             > hi\n\
             journey: Other\n\
             now: 2026-01-15T09:00:00Z\n",
        );
        let lines: Vec<usize> = found.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6, 7, 8, 9, 11, 12]);
        assert!(found[0].1.starts_with("expected a value"), "{}", found[0].1);
        assert!(found[1].1.contains("2026-01-15T09:00:00Z"));
        assert!(found[2].1.contains("or a case (`## name`)"));
        assert!(found[3].1.contains("a case needs a name"));
        assert!(found[4].1.contains("nothing to continue from"));
        assert!(found[5].1.starts_with("expected a step"));
        assert!(found[6].1.contains("expected a duration"));
        assert!(found[7].1.contains("HTTP status"));
        assert!(found[8].1.contains("before the case's first message"));
        assert!(found[9].1.contains("belongs in the header"));
    }

    #[test]
    fn continue_comes_first() {
        let found = errors("## one\n> hi\n## two\n> hi\ncontinue\n");
        assert_eq!(
            found,
            [(5, "`continue` must be the first line of a case".to_owned())]
        );
    }
}
