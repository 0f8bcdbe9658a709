//! The simulator: a conversation with the real interpreter on a virtual clock.
//!
//! A session is written as a `.test` file as it goes (a header, then the contact's
//! actions), and every request replays it through journey-testing's runner: the
//! interpreter is deterministic, so the replay is the conversation, and **Save as test**
//! is the same text with the expected lines filled in by `journey test --update`'s
//! rewrite, checked to pass before it is written.

use std::collections::BTreeMap;

use jiff::Timestamp;
use journey_analysis::{AnalysisHost, Project};
use journey_project::ProjectConfig;
use journey_runtime::{Header, Outbound, Runtime, Status};
use journey_testing::{Kind, Simulator};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The clock of a session that sets none (journey-testing's default too).
const DEFAULT_NOW: &str = "2026-01-15T09:00:00Z";
const SESSION_FILE: &str = "studio.test";
const CASE: &str = "conversation";
/// Sessions kept; starting one more forgets the oldest.
const KEPT: usize = 32;

#[derive(Default)]
pub(crate) struct Sessions {
    next: u64,
    /// By number: the id is `s` and the number.
    open: BTreeMap<u64, Session>,
}

pub(crate) struct Session {
    /// The project as it was when the session started.
    project: Project,
    /// The `.test` header: `journey:`, `contact:`, `now:` lines.
    header: String,
    /// The contact's actions, as `.test` lines.
    steps: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct Start {
    journey: Option<String>,
    text: Option<String>,
    #[serde(default)]
    contact: Map<String, Value>,
    now: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Send {
    text: Option<String>,
    button: Option<String>,
}

/// A request the simulator cannot take (400), in plain words.
pub(crate) struct Refused(pub String);

/// The project compiled from the texts the studio holds.
pub(crate) fn snapshot(host: &AnalysisHost) -> Project {
    let analysis = host.analysis();
    let mut copy = AnalysisHost::new();
    for (_, file) in analysis.sources().files() {
        if analysis.file_id(&file.name).is_some() {
            copy.set_file_text(&file.name, file.text.clone());
        }
    }
    copy.into_project()
}

impl Sessions {
    pub(crate) fn start(&mut self, project: Project, start: Start) -> Result<Value, Refused> {
        let mut header = String::new();
        if let Some(journey) = &start.journey {
            if !project.journeys.iter().any(|j| &j.name == journey) {
                return Err(Refused(format!("there is no journey called `{journey}`")));
            }
            header.push_str(&format!("journey: {journey}\n"));
        }
        if !start.contact.is_empty() {
            let mut fields = Vec::new();
            for (name, value) in &start.contact {
                if !is_name(name) {
                    return Err(Refused(format!(
                        "`{name}` cannot be a contact field: use letters, digits and `_`"
                    )));
                }
                let value = match value {
                    Value::Null => "nil".to_owned(),
                    other => other.to_string(),
                };
                fields.push(format!("{name} = {value}"));
            }
            header.push_str(&format!("contact: {}\n", fields.join(", ")));
        }
        let now = start.now.as_deref().unwrap_or(DEFAULT_NOW);
        let now: Timestamp = now.parse().map_err(|_| {
            Refused(format!(
                "`{now}` is not a moment: write it like 2026-01-15T09:00:00Z"
            ))
        })?;
        header.push_str(&format!("now: {now}\n"));
        let mut steps = Vec::new();
        match (&start.text, &start.journey) {
            (Some(text), _) => steps.push(say(text)?),
            (None, Some(journey)) => steps.push(format!("start: {journey}")),
            (None, None) => {}
        }
        let session = Session {
            project,
            header,
            steps,
        };
        let id = format!("s{}", self.next + 1);
        let state = session.state(&id)?;
        self.next += 1;
        self.open.insert(self.next, session);
        while self.open.len() > KEPT {
            self.open.pop_first();
        }
        Ok(state)
    }

    pub(crate) fn send(&mut self, id: &str, send: Send) -> Result<Value, Refused> {
        let step = match (send.text, send.button) {
            (Some(text), None) => say(&text)?,
            (None, Some(button)) if !button.trim().is_empty() && !button.contains(['\n', ']']) => {
                format!("> [tap {}]", button.trim())
            }
            _ => {
                return Err(Refused(
                    "send either `text` or `button` (the title of an option)".to_owned(),
                ));
            }
        };
        self.act(id, step)
    }

    pub(crate) fn advance(&mut self, id: &str, by: &str) -> Result<Value, Refused> {
        journey_testing::duration::parse(by.trim()).map_err(Refused)?;
        self.act(id, format!("~ {}", by.trim()))
    }

    fn act(&mut self, id: &str, step: String) -> Result<Value, Refused> {
        let session = self.get(id)?;
        session.steps.push(step);
        let state = session.state(id);
        if state.is_err() {
            session.steps.pop();
        }
        state
    }

    fn get(&mut self, id: &str) -> Result<&mut Session, Refused> {
        let number = id.strip_prefix('s').and_then(|n| n.parse::<u64>().ok());
        number.and_then(|n| self.open.get_mut(&n)).ok_or_else(|| {
            Refused(format!(
                "no simulator session `{id}`: start a new one (the studio was restarted, or the session is too old)"
            ))
        })
    }

    /// The conversation as a passing test case named `name`: the header and the case.
    pub(crate) fn test_case(&mut self, id: &str, name: &str) -> Result<(String, String), Refused> {
        if name.trim().is_empty() || name.contains('\n') {
            return Err(Refused(
                "a test needs a name on one line, like `choosing tips`".to_owned(),
            ));
        }
        let session = self.get(id)?;
        let text = session.text(name.trim());
        let rt = runtime(&session.project);
        let report = journey_testing::run_file(&text, SESSION_FILE, &rt);
        let updated = journey_testing::update(&text, &report);
        let check = journey_testing::run_file(&updated, SESSION_FILE, &rt);
        if !check.errors.is_empty() || check.failed() > 0 {
            return Err(Refused(format!(
                "this conversation does not replay the same way, so it cannot be a test: {}",
                check.render()
            )));
        }
        let case = updated
            .strip_prefix(session.header.as_str())
            .unwrap_or(&updated)
            .trim_start_matches('\n')
            .to_owned();
        Ok((session.header.clone(), case))
    }
}

impl Session {
    /// The session as a test file with one case (no case before the first action).
    fn text(&self, case: &str) -> String {
        let mut text = self.header.clone();
        if !self.steps.is_empty() {
            text.push_str(&format!("\n## {case}\n"));
            for step in &self.steps {
                text.push_str(step);
                text.push('\n');
            }
        }
        text
    }

    fn state(&self, id: &str) -> Result<Value, Refused> {
        let rt = runtime(&self.project);
        journey_testing::replay(&self.text(CASE), SESSION_FILE, &rt, |sim, _| state(id, sim))
            .map_err(|errors| Refused(errors.join("; ")))
    }
}

fn runtime(project: &Project) -> Runtime<'_> {
    let rt = Runtime::new(&project.journeys, &project.config);
    match &project.functions {
        Some(functions) => rt.with_functions(functions),
        None => rt,
    }
}

fn say(text: &str) -> Result<String, Refused> {
    let text = journey_testing::normalise(text);
    if text.is_empty() {
        return Err(Refused("type a message to send".to_owned()));
    }
    if text.starts_with("[tap ") {
        return Err(Refused(
            "a message cannot start with `[tap `: tap the button instead".to_owned(),
        ));
    }
    Ok(format!("> {text}"))
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// What the contact's phone shows of a message, without the transcript's markers:
/// `body` (its words, line breaks kept), `header`, `footer`, `media` (`{kind, url}`).
/// A template shows its registered body with the parameters filled in.
fn shown(config: &ProjectConfig, message: &Outbound, out: &mut Value) {
    match message {
        Outbound::Text { body } => out["body"] = json!(body),
        Outbound::Media { kind, url, caption } => {
            out["media"] = json!({"kind": kind, "url": url});
            out["body"] = json!(caption.clone().unwrap_or_default());
        }
        Outbound::Interactive {
            header,
            body,
            footer,
            ..
        } => {
            out["body"] = json!(body);
            match header {
                Some(Header::Text(text)) => out["header"] = json!(text),
                Some(Header::Media { kind, url }) => {
                    out["media"] = json!({"kind": kind, "url": url})
                }
                None => {}
            }
            if let Some(footer) = footer {
                out["footer"] = json!(footer);
            }
        }
        Outbound::Template {
            name,
            language,
            params,
            ..
        } => {
            let body = match config.template(name, language) {
                Some(template) => {
                    let mut body = template.body.clone();
                    for (i, (param, value)) in
                        template.parameter_names().iter().zip(params).enumerate()
                    {
                        body = body
                            .replace(&format!("{{{{{}}}}}", i + 1), value)
                            .replace(&format!("{{{{{param}}}}}"), value);
                    }
                    body
                }
                None => params.join(", "),
            };
            out["body"] = json!(body);
            out["template"] = json!(name);
        }
    }
}

/// `SimState` (API.md).
fn state(id: &str, sim: &Simulator<'_>) -> Value {
    let mut sent = sim.sent().iter();
    let transcript: Vec<Value> = sim
        .transcript()
        .iter()
        .zip(sim.times())
        .map(|(line, at)| {
            let from = match line.kind {
                Kind::Contact => "contact",
                Kind::Bot => "journey",
                Kind::Clock | Kind::Event | Kind::Error => "system",
            };
            let mut out = json!({
                "from": from,
                "text": line.text,
                "at": at.to_string(),
                "line": line.to_string(),
            });
            if line.kind == Kind::Contact
                && let Some(title) = line
                    .text
                    .strip_prefix("[tap ")
                    .and_then(|t| t.strip_suffix(']'))
            {
                out["tap"] = json!(title);
            }
            if line.kind == Kind::Bot
                && let Some(message) = sent.next()
            {
                shown(sim.runtime().config, message, &mut out);
                match message {
                    Outbound::Interactive { kind, options, .. } => {
                        let titles: Vec<&str> = options.iter().map(|(_, t)| t.as_str()).collect();
                        let key = match kind {
                            journey_runtime::MenuKind::Buttons => "buttons",
                            journey_runtime::MenuKind::List => "rows",
                        };
                        out[key] = json!(titles);
                    }
                    Outbound::Template { buttons, .. } if !buttons.is_empty() => {
                        out["buttons"] = json!(buttons);
                    }
                    _ => {}
                }
            }
            out
        })
        .collect();
    let options: Vec<&str> = sim.options().iter().map(|c| c.title.as_str()).collect();
    let run = sim.state();
    let (waiting, node, ended) = match run.map(|r| &r.status) {
        Some(Status::Waiting { node, .. }) => (
            json!({"kind": "reply", "options": options}),
            Some(*node),
            false,
        ),
        Some(Status::Handoff { node, .. }) => (json!({"kind": "agent"}), Some(*node), false),
        Some(Status::Http { node, .. }) => (json!({"kind": "http"}), Some(*node), false),
        Some(Status::Ended | Status::Failed { .. }) => (Value::Null, None, true),
        None => (Value::Null, None, false),
    };
    let current = run
        .zip(node)
        .and_then(|(run, node)| {
            let journey = sim.runtime().journey(&run.journey)?;
            let index = journey
                .graph
                .node_indices()
                .find(|n| n.index() == node as usize)?;
            let card = &journey.card(journey.graph[index].card).name;
            Some(json!({"journey": run.journey, "card": card}))
        })
        .unwrap_or(Value::Null);
    let fields: Map<String, Value> = sim
        .contact()
        .fields
        .iter()
        .map(|(name, value)| (name.clone(), value.to_json()))
        .collect();
    let timers: Vec<Value> = sim
        .timers()
        .iter()
        .map(|t| json!({"card": journey_testing::timer_name(&t.target), "due": t.at.to_string()}))
        .collect();
    json!({
        "id": id,
        "now": sim.now().to_string(),
        "transcript": transcript,
        "waiting": waiting,
        "current": current,
        "fields": fields,
        "timers": timers,
        "ended": ended,
    })
}
