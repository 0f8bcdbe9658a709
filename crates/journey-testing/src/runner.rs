//! Runs the cases of a test file through the simulator and compares transcripts.

use std::collections::BTreeMap;

use jiff::Timestamp;
use journey_expr::Value;
use journey_runtime::{Contact, Record, Runtime};

use crate::checks;
use crate::format::{self, Action, Case, Header};
use crate::report::{self, CaseReport, FileReport, Segment};
use crate::simulator::Simulator;
use crate::transcript::{Kind, Line};

/// The clock of a file that sets no `now:`.
const DEFAULT_NOW: &str = "2026-01-15T09:00:00Z";
/// The contact's WhatsApp id in tests.
pub const CONTACT_ID: &str = "27820000001";

/// Parses and runs one `.test` file against the deployed journeys.
pub fn run_file(text: &str, file_name: &str, rt: &Runtime<'_>) -> FileReport {
    match replay(text, file_name, rt, |_, report| report) {
        Ok(report) => report,
        Err(errors) => FileReport {
            file: file_name.to_owned(),
            errors,
            cases: Vec::new(),
        },
    }
}

/// Runs a test file as [`run_file`] does and gives `inspect` the simulator as the last
/// case left it (a file without cases: as the header sets it up) with the report: the
/// studio replays a conversation written as a test this way. `Err` holds the lines of
/// the file that could not be read, as `file:line: message`.
pub fn replay<T>(
    text: &str,
    file_name: &str,
    rt: &Runtime<'_>,
    inspect: impl FnOnce(&Simulator<'_>, FileReport) -> T,
) -> Result<T, Vec<String>> {
    let file = format::parse(text).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{file_name}:{}: {}", e.line, e.message))
            .collect::<Vec<_>>()
    })?;
    let rt = configured(rt, &file.header);
    let (cases, _, last) = run_cases(&file, file_name, &rt);
    let report = FileReport {
        file: file_name.to_owned(),
        errors: Vec::new(),
        cases,
    };
    let sim = last.unwrap_or_else(|| fresh(&rt, &file.header));
    Ok(inspect(&sim, report))
}

/// One contact's conversation in a test file: a case, and the cases that continue it.
pub struct Conversation {
    /// The first case's name and line.
    pub case: String,
    pub line: usize,
    /// Every input the simulator handed to the contact's session, and what came of it.
    pub record: Vec<Record>,
}

impl Conversation {
    fn of(sim: &Simulator<'_>, first: &Case) -> Conversation {
        Conversation {
            case: first.name.clone(),
            line: first.line,
            record: sim.record().to_vec(),
        }
    }
}

/// Runs a `.test` file and gives its conversations as the simulator had them, with the
/// runtime they ran on (the file's globals and secrets added), for another container
/// to replay; the file's parse errors, if it has any.
pub fn conversations<'a>(
    text: &str,
    rt: &Runtime<'a>,
) -> Result<(Runtime<'a>, Vec<Conversation>), Vec<String>> {
    let file = format::parse(text).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.line, e.message))
            .collect::<Vec<_>>()
    })?;
    let rt = configured(rt, &file.header);
    let (_, conversations, _) = run_cases(&file, "", &rt);
    Ok((rt, conversations))
}

/// Runs every case, a case that continues the previous one on its simulator; gives the
/// reports, the conversations and the last case's simulator.
fn run_cases<'a>(
    file: &format::TestFile,
    file_name: &'a str,
    rt: &'a Runtime<'a>,
) -> (Vec<CaseReport>, Vec<Conversation>, Option<Simulator<'a>>) {
    let mut cases = Vec::new();
    let mut conversations = Vec::new();
    let mut previous: Option<(Simulator<'a>, &Case)> = None;
    for case in &file.cases {
        let (sim, first) = match previous.take() {
            Some(continued) if case.continues => continued,
            other => {
                if let Some((sim, first)) = &other {
                    conversations.push(Conversation::of(sim, first));
                }
                (fresh(rt, &file.header), case)
            }
        };
        let mut run = CaseRun::new(sim, file_name, case.line);
        let failure = run.run(case);
        cases.push(CaseReport {
            name: case.name.clone(),
            line: case.line,
            failure,
            segments: std::mem::take(&mut run.segments),
        });
        previous = Some((run.sim, first));
    }
    if let Some((sim, first)) = &previous {
        conversations.push(Conversation::of(sim, first));
    }
    (cases, conversations, previous.map(|(sim, _)| sim))
}

/// The Turn notebook a file names in its `notebook:` header, if it names one and parses.
pub fn notebook(text: &str) -> Option<String> {
    format::parse(text).ok()?.header.notebook
}

/// The runtime with the header's globals and secrets added to those it already has.
fn configured<'a>(rt: &Runtime<'a>, header: &Header) -> Runtime<'a> {
    let mut secrets = rt.secrets.clone();
    secrets.extend(header.secrets.iter().cloned());
    let mut globals = match &rt.globals {
        Value::Map(globals) => globals.clone(),
        _ => BTreeMap::new(),
    };
    for global in &header.globals {
        let value = Value::from_json(&global.value);
        match globals
            .entry(global.dictionary.clone())
            .or_insert_with(|| Value::Map(BTreeMap::new()))
        {
            Value::Map(entries) => {
                entries.insert(global.key.clone(), value);
            }
            // The header wins over a dictionary the runtime holds as something else.
            other => *other = Value::Map(BTreeMap::from([(global.key.clone(), value)])),
        }
    }
    let configured = Runtime::new(rt.journeys, rt.config)
        .with_secrets(secrets)
        .with_globals(Value::Map(globals));
    match rt.functions {
        Some(functions) => configured.with_functions(functions),
        None => configured,
    }
}

/// A new contact as the header describes it.
fn fresh<'a>(rt: &'a Runtime<'a>, header: &Header) -> Simulator<'a> {
    let now = header.now.unwrap_or_else(|| {
        DEFAULT_NOW
            .parse::<Timestamp>()
            .expect("DEFAULT_NOW is a valid timestamp")
    });
    let mut sim = Simulator::new(rt, Contact::new(CONTACT_ID), now);
    for (name, value) in &header.contact {
        sim.set_field(name, field_value(value));
    }
    sim.set_journey(header.journey.clone());
    for fixture in &header.http {
        sim.add_fixture(fixture.clone());
    }
    sim
}

/// `nil` leaves a field unset.
fn field_value(json: &serde_json::Value) -> Option<Value> {
    (!json.is_null()).then(|| Value::from_json(json))
}

/// One case in progress: the transcript it expects, the one it got, the failed checks.
struct CaseRun<'a> {
    sim: Simulator<'a>,
    file: &'a str,
    expected: Vec<Line>,
    actual: Vec<Line>,
    /// Expected lines written since the last action.
    wanted: Vec<Line>,
    /// Where the lines that followed the last action start in the simulator's transcript.
    mark: usize,
    failed_checks: Vec<String>,
    /// The source line of the last action, and of the expected lines written since.
    anchor: usize,
    wanted_lines: Vec<usize>,
    segments: Vec<Segment>,
}

impl<'a> CaseRun<'a> {
    fn new(sim: Simulator<'a>, file: &'a str, line: usize) -> Self {
        let mark = sim.transcript().len();
        CaseRun {
            sim,
            file,
            expected: Vec::new(),
            actual: Vec::new(),
            wanted: Vec::new(),
            mark,
            failed_checks: Vec::new(),
            anchor: line,
            wanted_lines: Vec::new(),
            segments: Vec::new(),
        }
    }

    fn run(&mut self, case: &Case) -> Option<String> {
        for step in &case.steps {
            let at = step.line;
            match &step.action {
                Action::Say(text) => self.act(at, |sim| sim.say(text)),
                Action::Tap(option) => self.act(at, |sim| sim.tap_option(option)),
                Action::Advance(by) => self.act(at, |sim| sim.advance(*by)),
                Action::Start(journey) => self.act(at, |sim| sim.start(journey)),
                Action::AgentReturns => self.act(at, Simulator::handoff_return),
                Action::Expect(line) => {
                    self.wanted.push(line.clone());
                    self.wanted_lines.push(at);
                }
                Action::Check(assertion) => {
                    if let Err(found) = checks::check(assertion, &self.sim) {
                        let failed = format!(
                            "{}:{}: {}\n  actual: {found}",
                            self.file, step.line, step.source
                        );
                        self.failed_checks.push(failed);
                    }
                }
                Action::Contact(fields) => {
                    for (name, value) in fields {
                        self.sim.set_field(name, field_value(value));
                    }
                }
                Action::Http(fixture) => self.sim.add_fixture(fixture.clone()),
                Action::Journey(journey) => self.sim.set_journey(Some(journey.clone())),
            }
        }
        self.close_segment();
        report::failure(&self.expected, &self.actual, &self.failed_checks)
    }

    /// Performs an action. Its echo line is the same on both sides, except that an
    /// echo that is an event (`* start X`, `* back from agent`) counts as an event that
    /// the case may or may not write.
    fn act(&mut self, line: usize, action: impl FnOnce(&mut Simulator<'a>)) {
        self.close_segment();
        self.anchor = line;
        let before = self.sim.transcript().len();
        action(&mut self.sim);
        let echo = &self.sim.transcript()[before];
        if echo.kind == Kind::Event {
            self.mark = before;
        } else {
            self.expected.push(echo.clone());
            self.actual.push(echo.clone());
            self.mark = before + 1;
        }
    }

    /// Compares what followed the last action with what the case expected there.
    /// `*` lines are checked only when written: an event the case does not mention
    /// is copied to the expected side, where the actual side has it. After
    /// `< [any messages]` every message is copied the same way.
    fn close_segment(&mut self) {
        let outputs = &self.sim.transcript()[self.mark..];
        self.segments.push(Segment {
            after: self.anchor,
            expected: std::mem::take(&mut self.wanted_lines),
            actual: outputs.iter().map(Line::to_string).collect(),
        });
        let mut mentioned: Vec<Line> = self
            .wanted
            .iter()
            .filter(|l| l.kind == Kind::Event)
            .cloned()
            .collect();
        let wanted = std::mem::take(&mut self.wanted);
        let mut next = 0;
        for line in outputs {
            // After `< [any messages]`, messages are not checked until one matches the
            // line written after it.
            if wanted.get(next).is_some_and(Line::is_any_messages) {
                if wanted
                    .get(next + 1)
                    .is_some_and(|after| after.matches(line))
                {
                    next += 1;
                } else if line.kind == Kind::Bot {
                    self.expected.push(line.clone());
                    continue;
                }
            }
            let unchecked = wanted.get(next).is_some_and(Line::is_any_messages);
            match mentioned.iter().position(|m| m.matches(line)) {
                Some(index) if unchecked => {
                    mentioned.remove(index);
                    self.expected.push(line.clone());
                }
                Some(index) => {
                    mentioned.remove(index);
                    self.expected.extend(wanted.get(next).cloned());
                    next += 1;
                }
                None if line.kind == Kind::Event => self.expected.push(line.clone()),
                None => {
                    self.expected.extend(wanted.get(next).cloned());
                    next += 1;
                }
            }
        }
        let rest = wanted.get(next..).unwrap_or_default();
        self.expected
            .extend(rest.iter().filter(|l| !l.is_any_messages()).cloned());
        self.actual.extend_from_slice(outputs);
        self.mark = self.sim.transcript().len();
    }
}
