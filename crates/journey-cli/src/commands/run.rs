//! `journey run FILE|DIR`: chat with journeys in the terminal, on a virtual clock.
//!
//! At a terminal it shows messages as a person sees them, options numbered. With stdin
//! not a terminal it reads one line per turn and prints the plain transcript (the form
//! of `.test` files), so that a conversation can be scripted.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use journey_expr::Value;
use journey_runtime::{Contact, MenuKind, Outbound};
use journey_testing::{Kind, Line, Simulator};

use super::test::{Deployed, canonical, project_dir};
use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    /// A `.journey` file (any message starts its journey) or a project directory (the
    /// journeys' triggers decide).
    path: PathBuf,
    /// A contact field, `KEY=VALUE`; the value is JSON (`24`, `true`) or else text.
    #[arg(long = "contact", value_name = "KEY=VALUE")]
    contact: Vec<String>,
    /// Start this journey on the contact's messages, whatever the triggers say.
    #[arg(long)]
    journey: Option<String>,
    /// Where the virtual clock starts, like `2026-01-15T09:00:00Z` (default: now).
    #[arg(long)]
    now: Option<String>,
    /// Canned answers for the journeys' web requests: a file of `http:` lines, as in
    /// the header of a `.test` file (docs/testing.md).
    #[arg(long, value_name = "FIXTURES")]
    http: Option<PathBuf>,
}

const HELP: &str = "\
Type a message, or a number to tap that option. Commands:
  /advance 2h    move the clock on (timers fire)
  /start NAME    the business starts a journey (a template reminder, say)
  /return        the agent hands the contact back to the bot
  /state         where the run is, its variables and the contact
  /timers        pending timers
  /quit          stop
";

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let metadata = std::fs::metadata(&args.path)
        .map_err(|e| format!("cannot read `{}`: {e}", args.path.display()))?;
    let dir = if metadata.is_dir() {
        args.path.clone()
    } else {
        project_dir(&args.path)
    };
    // A loose file (no journey.toml above it) is a project of its own: its
    // directory may hold anything.
    let loose = metadata.is_file() && !dir.join("journey.toml").is_file();
    let paths = if loose {
        vec![args.path.clone()]
    } else {
        vec![dir.clone()]
    };
    let project = Deployed::load(&dir, &paths)?;
    if !project.errors.is_empty() {
        io.warn(&format!(
            "the journeys have {} check error{}; some paths may fail (run `journey check`)",
            project.errors.len(),
            if project.errors.len() == 1 { "" } else { "s" }
        ))?;
    }
    let journey = match args.journey {
        Some(name) => Some(known(&project, name)?),
        None if metadata.is_file() => Some(journey_of(&project, &args.path)?),
        None => None,
    };
    let now = match &args.now {
        Some(text) => text.parse().map_err(|_| {
            format!("`--now` wants a moment like 2026-01-15T09:00:00Z, not `{text}`")
        })?,
        None => jiff::Timestamp::now(),
    };
    let rt = project.runtime();
    let contact = contact(&args.contact)?;
    if let Some(hint) = missing_name(&contact) {
        io.warn(hint)?;
    }
    let mut sim = Simulator::new(&rt, contact, now);
    sim.set_journey(journey);
    if let Some(path) = &args.http {
        for fixture in fixtures(path)? {
            sim.add_fixture(fixture);
        }
    }
    let stdin = std::io::stdin();
    let screen = stdin.is_terminal().then(|| Screen {
        color: io.terminal && std::env::var_os("NO_COLOR").is_none(),
    });
    chat(&mut sim, stdin.lock(), screen, io)?;
    Ok(0)
}

fn known(project: &Deployed, name: String) -> Result<String, String> {
    if project.journeys.iter().any(|j| j.name == name) {
        return Ok(name);
    }
    let names: Vec<&str> = project.journeys.iter().map(|j| j.name.as_str()).collect();
    Err(format!(
        "no journey `{name}`; the project has: {}",
        names.join(", ")
    ))
}

/// The first journey of the file.
fn journey_of(project: &Deployed, file: &Path) -> Result<String, String> {
    let wanted = canonical(file);
    project
        .journeys
        .iter()
        .find(|j| canonical(Path::new(&project.sources.get(j.file).name)) == wanted)
        .map(|j| j.name.clone())
        .ok_or_else(|| format!("`{}` holds no journey", file.display()))
}

/// Greetings read `@contact.name`: without one they say "Hi !", so say how to set it.
fn missing_name(contact: &Contact) -> Option<&'static str> {
    (!contact.fields.contains_key("name")).then_some(
        "the contact has no name, so `@contact.name` is empty; give one with `--contact name=Thandi`",
    )
}

/// The `http:` lines of a file, read as the header of a `.test` file.
fn fixtures(path: &Path) -> Result<Vec<journey_testing::Fixture>, String> {
    let text = crate::workspace::read(path)?;
    let header = journey_testing::http_fixtures(&text).map_err(|errors| {
        errors
            .iter()
            .map(|(line, message)| format!("{}:{line}: {message}", path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    if header.is_empty() {
        return Err(format!(
            "`{}` has no `http:` lines (like `http: GET https://api.example.org/pages/* -> 200 {{\"title\": \"Rest\"}}`)",
            path.display()
        ));
    }
    Ok(header)
}

fn contact(fields: &[String]) -> Result<Contact, String> {
    let mut contact = Contact::new(journey_testing::CONTACT_ID);
    for field in fields {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| format!("`--contact` wants `KEY=VALUE`, not `{field}`"))?;
        let value = match serde_json::from_str(value) {
            Ok(json) => Value::from_json(&json),
            Err(_) => Value::Text(value.to_owned()),
        };
        contact.fields.insert(key.trim().to_owned(), value);
    }
    Ok(contact)
}

/// The conversation loop: one line of input per turn.
fn chat(
    sim: &mut Simulator<'_>,
    input: impl BufRead,
    screen: Option<Screen>,
    io: &mut Io<'_>,
) -> Result<(), String> {
    let mut seen = Seen::default();
    if screen.is_some() {
        io.print(HELP)?;
    }
    let mut lines = input.lines();
    loop {
        if screen.is_some() {
            io.print("you: ")?;
            io.stdout
                .flush()
                .map_err(|e| format!("cannot write the output: {e}"))?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.map_err(|e| format!("cannot read the input: {e}"))?;
        let text = line.trim();
        let reply = match text.split_once(' ').unwrap_or((text, "")) {
            ("", _) => None,
            ("/quit", _) => break,
            ("/help", _) => Some(HELP.to_owned()),
            ("/advance", by) => match journey_testing::duration::parse(by) {
                Ok(by) => {
                    sim.advance(by);
                    None
                }
                Err(e) => Some(format!("{e}\n")),
            },
            ("/start", journey) if !journey.trim().is_empty() => {
                sim.start(journey.trim());
                None
            }
            ("/return", _) => {
                sim.handoff_return();
                None
            }
            ("/state", _) => Some(state(sim)),
            ("/timers", _) => Some(timers(sim)),
            (command, _) if command.starts_with('/') => {
                Some(format!("unknown command `{command}`\n{HELP}"))
            }
            _ if text.parse::<usize>().is_ok() && sim.option(text).is_some() => {
                sim.tap_option(text);
                None
            }
            _ => {
                sim.say(text);
                None
            }
        };
        let mut out = String::new();
        for (line, message) in seen.new_lines(sim) {
            match &screen {
                Some(screen) => out.push_str(&screen.show(line, message)),
                None => out.push_str(&format!("{line}\n")),
            }
        }
        out.push_str(&reply.unwrap_or_default());
        io.print(&out)?;
    }
    Ok(())
}

/// How much of the transcript has been printed.
#[derive(Default)]
struct Seen {
    lines: usize,
    messages: usize,
}

impl Seen {
    /// The lines not printed yet, each `<` line with the message it shows.
    fn new_lines<'s>(&mut self, sim: &'s Simulator<'_>) -> Vec<(&'s Line, Option<&'s Outbound>)> {
        let mut out = Vec::new();
        for line in &sim.transcript()[self.lines..] {
            let message = (line.kind == Kind::Bot).then(|| &sim.sent()[self.messages]);
            self.messages += usize::from(message.is_some());
            out.push((line, message));
        }
        self.lines = sim.transcript().len();
        out
    }
}

/// The run as an author reads it: the journey, the card it waits at, its variables
/// and the contact's fields.
fn state(sim: &Simulator<'_>) -> String {
    let Some(state) = sim.state() else {
        return "no run yet\n".to_owned();
    };
    let journey = sim.runtime().journey(&state.journey);
    let card = |node: u32| {
        journey
            .and_then(|j| {
                let index = j
                    .graph
                    .node_indices()
                    .find(|n| n.index() == node as usize)?;
                Some(format!("card `{}`", j.card(j.graph[index].card).name))
            })
            .unwrap_or_else(|| "a step of an older version".to_owned())
    };
    let status = match &state.status {
        journey_runtime::Status::Waiting {
            node,
            retries,
            timer,
            ..
        } => {
            let mut text = format!("waiting for an answer at {}", card(*node));
            if *retries > 0 {
                text.push_str(&format!(
                    ", {retries} re-prompt{} left",
                    if *retries == 1 { "" } else { "s" }
                ));
            }
            if timer.is_some() {
                text.push_str(", with a timeout");
            }
            text
        }
        journey_runtime::Status::Http { node, .. } => {
            format!("waiting for a web response at {}", card(*node))
        }
        journey_runtime::Status::Handoff { node, .. } => {
            format!("with an agent since {}", card(*node))
        }
        journey_runtime::Status::Ended => "ended".to_owned(),
        journey_runtime::Status::Failed { error } => format!("failed: {error}"),
    };
    let mut out = format!("journey: {}\nstatus:  {status}\n", state.journey);
    for frame in state.stack.iter().rev() {
        out.push_str(&format!("called from: {}\n", frame.journey));
    }
    let values = |title: &str, values: &std::collections::BTreeMap<String, Value>| {
        if values.is_empty() {
            return format!("{title}: none\n");
        }
        let mut text = format!("{title}:\n");
        for (name, value) in values {
            text.push_str(&format!("  {name} = {}\n", value.to_json()));
        }
        text
    };
    out.push_str(&values("variables", &state.vars));
    out.push_str(&values("contact", &sim.contact().fields));
    out
}

fn timers(sim: &Simulator<'_>) -> String {
    if sim.timers().is_empty() {
        return "no timers\n".to_owned();
    }
    sim.timers()
        .iter()
        .map(|timer| {
            let due = journey_testing::duration::show(sim.now().duration_until(timer.at));
            format!(
                "{} at {} (in {due})\n",
                journey_testing::timer_name(&timer.target),
                journey_testing::moment(timer.at)
            )
        })
        .collect()
}

/// Shows a conversation as a person sees it on the phone.
struct Screen {
    color: bool,
}

const MARGIN: &str = "     ";

impl Screen {
    fn show(&self, line: &Line, message: Option<&Outbound>) -> String {
        match (line.kind, message) {
            (Kind::Bot, Some(message)) => message_text(message),
            // The person typed it; only a tap is worth repeating.
            (Kind::Contact, _) if line.text.starts_with("[tap ") => self.quiet(&line.text),
            (Kind::Contact, _) => String::new(),
            _ => self.quiet(&line.to_string()),
        }
    }

    fn quiet(&self, text: &str) -> String {
        if self.color {
            format!("{MARGIN}\x1b[2m{text}\x1b[0m\n")
        } else {
            format!("{MARGIN}{text}\n")
        }
    }
}

fn message_text(message: &Outbound) -> String {
    let text = |t: &str| t.lines().map(str::to_owned).collect::<Vec<_>>();
    let (mut lines, options): (Vec<String>, Vec<String>) = match message {
        Outbound::Text { body } => (text(body), Vec::new()),
        Outbound::Media { kind, url, caption } => {
            let mut lines = vec![format!("[{kind}] {url}")];
            lines.extend(caption.iter().flat_map(|c| text(c)));
            (lines, Vec::new())
        }
        Outbound::Interactive {
            kind,
            header,
            body,
            footer,
            button,
            options,
        } => {
            let mut lines: Vec<String> = header.iter().map(|h| format!("*{h}*")).collect();
            lines.extend(text(body));
            lines.extend(footer.iter().map(|f| format!("_{f}_")));
            if *kind == MenuKind::List {
                lines.push(format!("[{}]", button.as_deref().unwrap_or("Choose")));
            }
            (
                lines,
                options.iter().map(|(_, title)| title.clone()).collect(),
            )
        }
        Outbound::Template {
            name,
            language,
            params,
            buttons,
        } => (
            vec![format!(
                "[template {name}, {language}] {}",
                params.join(", ")
            )],
            buttons.clone(),
        ),
    };
    lines.extend(
        options
            .iter()
            .enumerate()
            .map(|(i, title)| format!("  ({}) {title}", i + 1)),
    );
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        out.push_str(if index == 0 { "bot: " } else { MARGIN });
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use journey_diagnostics::FileId;
    use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
    use journey_runtime::Runtime;

    use super::*;

    const MENU: &str = r#"stack Menu do
  card Menu do
    buttons(Tips: "Tips", Nurse: "Talk to a nurse") do
      text("How can we help?")
    end
  end

  card Tips do
    schedule(Menu, in: 1h)
    text("Rest well.")
  end

  card Nurse do
    handoff(queue: "nurses")
  end
end
"#;

    fn compiled() -> Vec<CompiledJourney> {
        let parsed = journey_syntax::parse_journey(FileId(0), MENU);
        let module = SourceModule {
            file: FileId(0),
            default_name: "menu".to_owned(),
            module: &parsed.module,
            text: MENU,
            has_syntax_errors: false,
        };
        journey_model::compile(&[module], ProjectIndex::default())
    }

    /// What `journey run` prints for this input.
    fn chat_output(input: &str, screen: Option<Screen>) -> String {
        let journeys = compiled();
        let config = journey_project::ProjectConfig::default();
        let rt = Runtime::new(&journeys, &config);
        let now = "2026-01-15T09:00:00Z".parse().unwrap();
        let mut sim = Simulator::new(&rt, Contact::new("1"), now);
        sim.set_journey(Some("Menu".to_owned()));
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut io = Io {
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: false,
        };
        chat(&mut sim, input.as_bytes(), screen, &mut io).unwrap();
        String::from_utf8(stdout).unwrap()
    }

    #[test]
    fn a_scripted_chat_prints_the_transcript() {
        let out = chat_output("hi\n1\n/timers\n/advance 1h\n/quit\nnever read\n", None);
        assert_eq!(
            out,
            "> hi\n\
             < [buttons] How can we help? | 1. Tips | 2. Talk to a nurse\n\
             > [tap Tips]\n\
             < Rest well.\n\
             * ended\n\
             Menu at 2026-01-15 10:00 UTC (in 1h)\n\
             ~ +1h (2026-01-15 10:00 UTC)\n\
             * timer fired: Menu\n\
             < [buttons] How can we help? | 1. Tips | 2. Talk to a nurse\n"
        );
    }

    #[test]
    fn numbers_out_of_range_are_text_and_commands_say_what_is_wrong() {
        let out = chat_output("hi\n7\n/advance soon\n/state\n", None);
        assert!(out.contains("> 7\n< [buttons] How can we help?"), "{out}");
        assert!(out.contains("expected a duration such as `2h`"), "{out}");
        assert!(
            out.contains("journey: Menu\nstatus:  waiting for an answer at card `Menu`\n"),
            "{out}"
        );
    }

    #[test]
    fn a_terminal_shows_messages_as_a_phone_does() {
        let out = chat_output("hi\n2\n/return\n", Some(Screen { color: false }));
        let chat = out.strip_prefix(HELP).unwrap();
        assert_eq!(
            chat,
            "you: bot: How can we help?\n\
             \x20      (1) Tips\n\
             \x20      (2) Talk to a nurse\n\
             you:      [tap Talk to a nurse]\n\
             \x20    * handoff to nurses\n\
             you:      * back from agent\n\
             \x20    * ended\n\
             you: "
        );
    }

    #[test]
    fn stop_after_the_journey_ended_opts_out() {
        let out = chat_output("hi\n1\nstop\n/state\n", None);
        assert!(
            out.contains("* ended\n> stop\n* opted out (no journey was running)\n"),
            "{out}"
        );
        assert!(out.contains("contact:\n  opted_in = false\n"), "{out}");
    }

    #[test]
    fn http_fixtures_are_read_from_a_file_of_http_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("content.http");
        std::fs::write(
            &path,
            "# The content API\nhttp: GET https://api.example.org/pages/* -> 200 {\"title\": \"Rest\"}\n",
        )
        .unwrap();
        let read = fixtures(&path).unwrap();
        assert_eq!((read.len(), read[0].status), (1, 200));
        std::fs::write(&path, "http: GET https://api.example.org/pages\n").unwrap();
        let error = fixtures(&path).unwrap_err();
        assert!(error.contains("content.http:1: "), "{error}");
        std::fs::write(&path, "# nothing\n").unwrap();
        assert!(
            fixtures(&path)
                .unwrap_err()
                .contains("has no `http:` lines")
        );
    }

    #[test]
    fn a_contact_without_a_name_gets_a_hint() {
        let hint = missing_name(&contact(&[]).unwrap()).unwrap();
        assert!(hint.contains("--contact name="), "{hint}");
        assert_eq!(
            missing_name(&contact(&["name=Thandi".to_owned()]).unwrap()),
            None
        );
    }
}
