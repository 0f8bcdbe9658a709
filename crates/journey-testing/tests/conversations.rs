//! The simulator and the test-file runner on small inline journeys.

use jiff::{SignedDuration, Timestamp};
use journey_diagnostics::FileId;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_runtime::{Contact, Runtime};
use journey_testing::{Fixture, Simulator, run_file};

fn compile(source: &str) -> Vec<CompiledJourney> {
    let parsed = journey_syntax::parse_journey(FileId(0), source);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let module = SourceModule {
        file: FileId(0),
        default_name: "test".to_owned(),
        module: &parsed.module,
        text: source,
        has_syntax_errors: false,
    };
    journey_model::compile(&[module], ProjectIndex::default())
}

/// Journeys in a project with the default `journey.toml`.
fn runtime<'a>(journeys: &'a [CompiledJourney], config: &'a ProjectConfig) -> Runtime<'a> {
    Runtime::new(journeys, config)
}

fn nine_am() -> Timestamp {
    "2026-01-15T09:00:00Z".parse().unwrap()
}

/// The transcript since line `from`, one string per line.
fn lines(sim: &Simulator<'_>, from: usize) -> Vec<String> {
    sim.transcript()[from..]
        .iter()
        .map(ToString::to_string)
        .collect()
}

const TIMERS: &str = r#"
stack Timers do
  card Start, then: Answered do
    schedule(Later, in: 2h)
    schedule(Sooner, in: 1h)
    answer = ask("Say anything to cancel the later reminder.")
  end

  card Answered do
    cancel_scheduled(Later)
    text("Later is cancelled.")
  end

  card Sooner do
    text("sooner")
  end

  card Later do
    text("later")
  end
end
"#;

#[test]
fn timers_fire_in_time_order_and_never_early() {
    let journeys = compile(TIMERS);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.start("Timers");
    assert_eq!(sim.timers().len(), 2);

    let mark = sim.transcript().len();
    sim.advance(SignedDuration::from_mins(59));
    assert_eq!(
        lines(&sim, mark),
        ["~ +59m (2026-01-15 09:59 UTC)"],
        "nothing is due yet"
    );

    let mark = sim.transcript().len();
    sim.advance(SignedDuration::from_hours(3));
    assert_eq!(
        lines(&sim, mark),
        [
            "~ +3h (2026-01-15 12:59 UTC)",
            "* timer fired: Sooner",
            "< sooner",
            "* ended",
            "* timer fired: Later",
            "< later",
            "* ended",
        ]
    );
    assert!(sim.timers().is_empty());
    assert_eq!(
        sim.now(),
        "2026-01-15T12:59:00Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn a_cancelled_timer_never_fires() {
    let journeys = compile(TIMERS);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.start("Timers");
    sim.say("ok");
    let names: Vec<&str> = sim
        .timers()
        .iter()
        .map(|t| journey_testing::timer_name(&t.target))
        .collect();
    assert_eq!(names, ["Sooner"]);

    let mark = sim.transcript().len();
    sim.advance(SignedDuration::from_hours(3));
    assert_eq!(
        lines(&sim, mark),
        [
            "~ +3h (2026-01-15 12:00 UTC)",
            "* timer fired: Sooner",
            "< sooner",
            "* ended"
        ]
    );
}

const PAGES: &str = r#"
stack Pages do
  card Fetch, then: Show do
    page = get("https://api.example.org/pages/7", on_error: Failed)
  end

  card Show do
    text("Page: @page.body.title")
  end

  card Failed do
    text("Sorry, no page today.")
  end
end
"#;

fn fixture(status: u16, body: serde_json::Value) -> Fixture {
    Fixture {
        method: "GET".to_owned(),
        pattern: "https://api.example.org/pages/*".to_owned(),
        status,
        body,
    }
}

#[test]
fn http_requests_are_answered_from_fixtures_at_once() {
    let journeys = compile(PAGES);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);

    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.add_fixture(fixture(200, serde_json::json!({"title": "Rest"})));
    sim.start("Pages");
    assert_eq!(
        lines(&sim, 0),
        [
            "* start Pages",
            "* http GET https://api.example.org/pages/7 -> 200",
            "< Page: Rest",
            "* ended"
        ]
    );

    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.add_fixture(fixture(503, serde_json::Value::Null));
    sim.start("Pages");
    assert_eq!(
        lines(&sim, 2),
        ["< Sorry, no page today.", "* ended"],
        "a failed status takes on_error"
    );

    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.start("Pages");
    assert_eq!(
        lines(&sim, 1),
        [
            "* http GET https://api.example.org/pages/7 -> 0 (no fixture)",
            "< Sorry, no page today.",
            "* ended"
        ]
    );
}

#[test]
fn a_journey_that_calls_an_api_forever_is_stopped() {
    let journeys = compile(
        r#"
stack Poll do
  card Poll, then: Poll do
    status = get("https://api.example.org/status")
  end
end
"#,
    );
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.add_fixture(Fixture {
        method: "GET".to_owned(),
        pattern: "*".to_owned(),
        status: 200,
        body: serde_json::Value::Null,
    });
    sim.start("Poll");
    let last = sim.transcript().last().unwrap().to_string();
    assert_eq!(
        last,
        "! error: more than 100 HTTP requests without waiting for the contact"
    );
}

const HELPLINE: &str = r#"
stack Helpline do
  trigger(on: "MESSAGE RECEIVED", keywords: ["hi"])
  interrupt(keywords: ["stop"], then: OptOut)

  card Menu do
    buttons(Tips: "Tips", Nurse: "Talk to a nurse") do
      text("Hi @contact.name! How can we help?")
    end
  end

  card Tips do
    write_result("chose", "tips")
    add_label("Read tips")
    text("Eat well and rest.")
  end

  card Nurse do
    handoff(queue: "nurses", note: "Asked for a nurse", on_return: Menu)
  end

  card OptOut do
    update_contact(opted_in: false)
    schedule(Tips, in: 1d)
    cancel_scheduled()
    text("Bye.")
  end
end
"#;

const HELPLINE_TEST: &str = r#"
# The helpline, end to end.
contact: name = "Thandi", opted_in = true
now: 2026-01-15T09:00:00Z

## choosing tips
> hi
< [buttons] Hi Thandi! How can we help? | 1. Tips | 2. Talk to a nurse
> [tap Tips]
< Eat well ...
? result chose = "tips"
? label "Read tips"
? ended

## an unknown word starts nothing
> hello
* no journey started

## the agent has the conversation until they return it
> hi
< [buttons] Hi Thandi! ...
> [tap Talk to a nurse]
* handoff to nurses: Asked for a nurse
? handoff nurses
> are you there?
* to the agent
? handoff
agent: return
< [buttons] Hi Thandi! ...
? no handoff
? waiting

## stop
continue
> STOP
< Bye.
? field opted_in = false
? no timers
"#;

#[test]
fn a_test_file_round_trip() {
    let journeys = compile(HELPLINE);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let report = run_file(HELPLINE_TEST, "helpline.test", &rt);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.render(),
        "PASS helpline.test:6: choosing tips\nPASS helpline.test:15: an unknown word starts nothing\nPASS helpline.test:19: the agent has the conversation until they return it\nPASS helpline.test:33: stop\n"
    );
}

#[test]
fn a_failing_case_shows_the_diff_and_the_actual_values() {
    let journeys = compile(HELPLINE);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let test = r#"contact: name = "Thandi"

## wrong
> hi
< [buttons] Hi Sipho! How can we help? | 1. Tips | 2. Talk to a nurse
> [tap Tips]
< Eat well and rest.
? result chose = "nurse"
? label "Nurse"
? timer Reminder
? handoff nurses
? waiting
> [tap Nurse]
"#;
    let report = run_file(test, "wrong.test", &rt);
    assert_eq!(
        report.render(),
        r#"FAIL wrong.test:3: wrong
    --- expected
    +++ actual
    @@ -1,6 +1,7 @@
     > hi
    -< [buttons] Hi Sipho! How can we help? | 1. Tips | 2. Talk to a nurse
    +< [buttons] Hi Thandi! How can we help? | 1. Tips | 2. Talk to a nurse
     > [tap Tips]
     < Eat well and rest.
     * ended
     > [tap Nurse]
    +! cannot tap `Nurse`: the last message has no options
    wrong.test:8: ? result chose = "nurse"
      actual: "tips"
    wrong.test:9: ? label "Nurse"
      actual: labels "Read tips"
    wrong.test:10: ? timer Reminder
      actual: no timers
    wrong.test:11: ? handoff nurses
      actual: not with an agent
    wrong.test:12: ? waiting
      actual: ended
"#
    );
    assert_eq!((report.passed(), report.failed()), (0, 1));
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let journeys = compile(HELPLINE);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let report = run_file("## one\n> hi\n= what\n", "bad.test", &rt);
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].starts_with("bad.test:3: expected a step"),
        "{}",
        report.errors[0]
    );
    assert!(report.cases.is_empty());
}

const CONTENT: &str = r#"
stack Content do
  interrupt(keywords: ["stop"], then: OptOut)

  card Fetch, then: Show do
    page = get("https://cms.example.org/pages/", query: [["key", secret("CMS_KEY")]],
               headers: [["Authorization", "Token @global.config.token"]])
  end

  card Show do
    text("@page.body.title, in @global.config.region")
    handoff(queue: "nurses")
  end

  card OptOut do
    text("Bye.")
  end
end
"#;

#[test]
fn globals_and_secrets_reach_the_journey_and_secrets_stay_out_of_the_transcript() {
    let journeys = compile(CONTENT);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let test = r#"global: config.token = "test-token"
global: config.region = "Gauteng"
secret: CMS_KEY = "s3cret"
http: GET https://cms.example.org/pages/?key=s3cret -> 200 {"title": "Rest"}

## the token, the region and the key are all used
start: Content
* http GET https://cms.example.org/pages/?key=[secret] -> 200
? header authorization = "Token test-token"
< Rest, in Gauteng

## a header check says what the request carried
start: Content
? header Authorization = "Token other"
< Rest, in Gauteng
"#;
    let report = run_file(test, "content.test", &rt);
    assert_eq!(
        report.render(),
        "PASS content.test:6: the token, the region and the key are all used\n\
         FAIL content.test:12: a header check says what the request carried\n\
         \x20   content.test:14: ? header Authorization = \"Token other\"\n\
         \x20     actual: headers Authorization: Token test-token\n"
    );
}

#[test]
fn an_opt_out_keyword_reaches_the_bot_during_a_handoff() {
    let journeys = compile(CONTENT);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let mut sim = Simulator::new(&rt, Contact::new("1"), nine_am());
    sim.add_fixture(Fixture {
        method: "GET".to_owned(),
        pattern: "*".to_owned(),
        status: 200,
        body: serde_json::json!({"title": "Rest"}),
    });
    sim.start("Content");
    assert_eq!(sim.handoff(), Some("nurses"));
    let mark = sim.transcript().len();
    sim.say("hello?");
    sim.say("STOP");
    assert_eq!(
        lines(&sim, mark),
        [
            "> hello?",
            "* to the agent",
            "> STOP",
            "* log: the contact opted out during a handoff; the bot took the conversation back",
            "< Bye.",
            "* ended",
        ]
    );
    assert_eq!(sim.handoff(), None);
}

const GREETINGS: &str = r#"
stack Greetings do
  card Hello, then: Ask do
    text("Hello!")
    text("Welcome to the clinic line.")
    text("We answer every day.")
  end

  card Ask do
    answer = ask("What is your name?")
    text("Thank you, @answer.")
  end
end
"#;

/// `< [any messages]` leaves the messages after an action unchecked, up to the line
/// written after it, as FlowTester's `clear_messages()` does; the lines before it and
/// the actions after it are still checked.
#[test]
fn any_messages_leaves_messages_unchecked_up_to_the_next_line() {
    let journeys = compile(GREETINGS);
    let config = ProjectConfig::default();
    let rt = runtime(&journeys, &config);
    let outcome = |case: &str| {
        let report = run_file(
            &format!("journey: Greetings\n\n## case\n{case}"),
            "g.test",
            &rt,
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report.failed() == 0
    };
    // Every message unchecked, or all but the first, or up to the question.
    assert!(outcome(
        "> hi\n< [any messages]\n> Thandi\n< Thank you, Thandi.\n"
    ));
    assert!(outcome(
        "> hi\n< Hello!\n< [any messages]\n> Thandi\n< Thank you, Thandi.\n"
    ));
    assert!(outcome(
        "> hi\n< [any messages]\n< What is your name?\n> Thandi\n< Thank you, Thandi.\n"
    ));
    // None left is fine too.
    assert!(outcome(
        "> hi\n< [any messages]\n> Thandi\n< Thank you, Thandi.\n< [any messages]\n"
    ));
    // What is written is still checked: a wrong first message, a wrong answer, a line
    // after the marker that never comes.
    assert!(!outcome(
        "> hi\n< Goodbye!\n< [any messages]\n> Thandi\n< Thank you, Thandi.\n"
    ));
    assert!(!outcome(
        "> hi\n< [any messages]\n> Thandi\n< Thanks, Thandi.\n"
    ));
    assert!(!outcome(
        "> hi\n< [any messages]\n< Is this the clinic?\n> Thandi\n< Thank you, Thandi.\n"
    ));
}
