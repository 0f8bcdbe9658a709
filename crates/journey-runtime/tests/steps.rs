//! The interpreter step by step on small journeys: what each event sends, where the
//! run waits, and how timers, interrupts, handoffs and sub-journeys move it.

use journey_diagnostics::FileId;
use journey_expr::Value;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_runtime::{
    Action, Contact, Effect, Event, Header, Inbound, Input, Outbound, Runtime, Session, Snapshot,
    Status, TimerTarget,
};

fn compile(files: &[(&str, &str)]) -> Vec<CompiledJourney> {
    let parsed: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, (_, text))| journey_syntax::parse_journey(FileId(i as u32), text))
        .collect();
    for p in &parsed {
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }
    let modules: Vec<SourceModule<'_>> = files
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, ((name, text), p))| SourceModule {
            file: FileId(i as u32),
            default_name: (*name).to_owned(),
            module: &p.module,
            text,
            has_syntax_errors: false,
        })
        .collect();
    journey_model::compile(&modules, ProjectIndex::default())
}

/// Compiled journeys in a project with the default `journey.toml`.
struct World {
    journeys: Vec<CompiledJourney>,
    config: journey_project::ProjectConfig,
}

impl World {
    fn new(files: &[(&str, &str)]) -> Self {
        World {
            journeys: compile(files),
            config: journey_project::ProjectConfig::default(),
        }
    }

    fn rt(&self) -> Runtime<'_> {
        Runtime::new(&self.journeys, &self.config)
    }
}

fn texts(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(Outbound::Text { body }) => Some(body.clone()),
            Effect::Send(Outbound::Interactive { body, options, .. }) => Some(format!(
                "{body} [{}]",
                options
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            )),
            _ => None,
        })
        .collect()
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().expect("a timestamp")
}

fn thandi() -> Contact {
    let mut contact = Contact::new("27820000001");
    contact
        .fields
        .insert("name".to_owned(), Value::Text("Thandi".to_owned()));
    contact
}

const MENU: &str = r#"
interrupt(keywords: ["stop"], then: OptOut)

card Menu, then: Menu do
  buttons(Visit: "Book a visit", Tips: "Tips", timeout: 2h, on_timeout: Nudge) do
    text("Hi @contact.name, how can we help?")
  end
end

card Visit do
  weeks = ask("How many weeks?", validate: has_number(event.message.text.body), retries: 1, on_invalid: Nurse)
  then(Late when parse_int(weeks) >= 36)
  then(Early)
end

card Late do
  text("At @weeks weeks, come this week.")
end

card Early do
  text("At @weeks weeks, any time this month.")
end

card Tips do
  text("Rest, @contact.missing_field!")
end

card Nudge do
  text("Still there?")
end

card Nurse do
  handoff(queue: "nurses", on_return: Menu)
end

card OptOut do
  update_contact(opted_in: false)
  cancel_scheduled()
  text("Bye.")
  end_journey()
end
"#;

#[test]
fn menu_question_guard_and_personalised_reply() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let started = rt.start("clinic", &thandi(), Some(Inbound::text("hi")), now);
    assert_eq!(
        texts(&started.effects),
        ["Hi Thandi, how can we help? [Book a visit|Tips]"]
    );
    assert!(matches!(started.state.status, Status::Waiting { .. }));

    let chose = rt.step(
        started.state,
        &thandi(),
        Event::Message(Inbound::text("book a visit")),
        now,
    );
    assert_eq!(texts(&chose.effects), ["How many weeks?"]);
    assert!(
        chose
            .effects
            .iter()
            .any(|e| matches!(e, Effect::CancelTimer { .. })),
        "the menu timeout is cancelled"
    );

    let answered = rt.step(
        chose.state,
        &thandi(),
        Event::Message(Inbound::text("37")),
        now,
    );
    assert_eq!(texts(&answered.effects), ["At 37 weeks, come this week."]);
    assert_eq!(answered.state.status, Status::Ended);
}

#[test]
fn missing_field_renders_empty_not_raw() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let started = rt.start("clinic", &thandi(), None, now);
    let tips = rt.step(
        started.state,
        &thandi(),
        Event::Message(Inbound::text("2")),
        now,
    );
    assert_eq!(texts(&tips.effects), ["Rest, !"]);
}

#[test]
fn timeout_fires_only_when_its_timer_does() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let started = rt.start("clinic", &thandi(), None, now);
    let (id, due) = started
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::ScheduleTimer {
                id,
                at,
                target: TimerTarget::Timeout,
            } => Some((id.clone(), *at)),
            _ => None,
        })
        .expect("the menu schedules its timeout");
    assert_eq!(due, at("2026-01-15T11:00:00Z"));
    let fired = rt.step(
        started.state,
        &thandi(),
        Event::Timer {
            id,
            target: TimerTarget::Timeout,
        },
        due,
    );
    assert_eq!(texts(&fired.effects), ["Still there?"]);
}

#[test]
fn retries_then_invalid_edge_then_handoff_until_returned() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let mut state = rt.start("clinic", &thandi(), None, now).state;
    state = rt
        .step(state, &thandi(), Event::Message(Inbound::text("1")), now)
        .state;
    let first = rt.step(state, &thandi(), Event::Message(Inbound::text("many")), now);
    assert_eq!(
        texts(&first.effects),
        [
            "Sorry, I didn't understand that. Please try again.",
            "How many weeks?"
        ]
    );
    let second = rt.step(
        first.state,
        &thandi(),
        Event::Message(Inbound::text("lots")),
        now,
    );
    assert!(
        second
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Handoff { queue, .. } if queue == "nurses"))
    );
    assert!(matches!(second.state.status, Status::Handoff { .. }));
    let ignored = rt.step(
        second.state,
        &thandi(),
        Event::Message(Inbound::text("hello?")),
        now,
    );
    assert!(
        ignored.effects.is_empty(),
        "automation is paused during a handoff"
    );
    let back = rt.step(ignored.state, &thandi(), Event::HandoffReturned, now);
    assert_eq!(
        texts(&back.effects),
        ["Hi Thandi, how can we help? [Book a visit|Tips]"]
    );
}

#[test]
fn interrupt_keyword_at_any_question() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let mut state = rt.start("clinic", &thandi(), None, now).state;
    state = rt
        .step(state, &thandi(), Event::Message(Inbound::text("1")), now)
        .state;
    let stopped = rt.step(state, &thandi(), Event::Message(Inbound::text("STOP")), now);
    assert_eq!(texts(&stopped.effects), ["Bye."]);
    assert!(
        stopped
            .effects
            .contains(&Effect::CancelTimers { target: None })
    );
    assert_eq!(
        stopped.contact.fields.get("opted_in"),
        Some(&Value::Bool(false))
    );
    assert_eq!(stopped.state.status, Status::Ended);
}

#[test]
fn sub_journey_returns_to_its_caller() {
    let main = r#"
card Start, then: After do
  text("Before")
  run_stack(consent)
end

card After do
  text("After, consent = @contact.consent")
end
"#;
    let consent = r#"
card Ask do
  buttons(Yes: "Yes", No: "No") do
    text("Do you agree?")
  end
end

card Yes do
  update_contact(consent: "yes")
end

card No do
  update_contact(consent: "no")
end
"#;
    let world = World::new(&[("main", main), ("consent", consent)]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let started = rt.start("main", &thandi(), None, now);
    assert_eq!(
        texts(&started.effects),
        ["Before", "Do you agree? [Yes|No]"]
    );
    assert_eq!(started.state.journey, "consent");
    let answered = rt.step(
        started.state,
        &started.contact,
        Event::Message(Inbound::text("Yes")),
        now,
    );
    assert_eq!(texts(&answered.effects), ["After, consent = yes"]);
    assert_eq!(answered.state.journey, "main");
}

#[test]
fn loop_without_wait_stops_at_the_step_cap() {
    let looping = r#"
card A, then: B do
  log("a")
end

card B, then: A do
  log("b")
end
"#;
    let world = World::new(&[("loop", looping)]);
    let rt = world.rt();
    let outcome = rt.start("loop", &thandi(), None, at("2026-01-15T09:00:00Z"));
    let error = outcome.effects.iter().find_map(|e| match e {
        Effect::Error { message } => Some(message.clone()),
        _ => None,
    });
    assert!(
        error
            .as_deref()
            .is_some_and(|m| m.contains("stopped after 1000 steps")),
        "{error:?}"
    );
    assert!(matches!(outcome.state.status, Status::Failed { .. }));
}

#[test]
fn runs_stay_on_their_version_when_a_new_one_is_deployed() {
    let v1 = "card Ask do\n  x = ask(\"v1 question\")\n  text(\"v1 answer @x\")\nend\n";
    let v2 = "card Ask do\n  x = ask(\"v2 question\")\n  text(\"v2 answer @x\")\nend\n";
    let mut journeys = compile(&[("clinic", v1)]);
    let config = journey_project::ProjectConfig::default();
    let now = at("2026-01-15T09:00:00Z");
    let waiting = Runtime::new(&journeys, &config).start("clinic", &thandi(), None, now);
    assert_eq!(texts(&waiting.effects), ["v1 question"]);
    journeys.extend(compile(&[("clinic", v2)]));
    let rt = Runtime::new(&journeys, &config);
    let answered = rt.step(
        waiting.state.clone(),
        &thandi(),
        Event::Message(Inbound::text("yes")),
        now,
    );
    assert_eq!(
        texts(&answered.effects),
        ["v1 answer yes"],
        "the run finishes on v1"
    );
    let fresh = rt.start("clinic", &thandi(), None, now);
    assert_eq!(
        texts(&fresh.effects),
        ["v2 question"],
        "new runs start on v2"
    );
    let gone = compile(&[("clinic", v2)]);
    let rt = Runtime::new(&gone, &config);
    let orphan = rt.step(
        waiting.state,
        &thandi(),
        Event::Message(Inbound::text("yes")),
        now,
    );
    assert!(
        matches!(orphan.state.status, Status::Failed { ref error } if error.contains("no longer deployed"))
    );
}

#[test]
fn triggers_pick_by_priority_then_kind_then_order() {
    let menu = r#"trigger(on: "MESSAGE RECEIVED", keywords: ["menu", "hi"])
card Menu do
  text("menu")
end
"#;
    let first = r#"trigger(on: "FIRST VISIT")
card Hello do
  text("welcome")
end
"#;
    let fallback = r#"trigger(on: "CATCH ALL")
card Sorry do
  text("sorry")
end
"#;
    let urgent = r#"trigger(on: "MESSAGE RECEIVED", priority: 5) when has_phrase(event.message.text.body, "bleeding")
card Urgent do
  text("urgent")
end
"#;
    let world = World::new(&[
        ("menu", menu),
        ("first", first),
        ("fallback", fallback),
        ("urgent", urgent),
    ]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let pick = |text: &str, first_visit: bool| {
        journey_runtime::triggers::select(&rt, &thandi(), &Inbound::text(text), first_visit, now)
    };
    assert_eq!(
        pick("Menu", true).as_deref(),
        Some("first"),
        "first visit beats keywords"
    );
    assert_eq!(pick("Menu", false).as_deref(), Some("menu"));
    assert_eq!(
        pick("mneu", false).as_deref(),
        Some("menu"),
        "one typo in a long keyword"
    );
    assert_eq!(pick("what now", false).as_deref(), Some("fallback"));
    assert_eq!(
        pick("I am bleeding", true).as_deref(),
        Some("urgent"),
        "priority beats everything"
    );
}

#[test]
fn menu_header_and_footer_arguments_are_sent() {
    let world = World::new(&[(
        "menu",
        r#"card Menu do
  buttons(Visit: "Book a visit", header: "Sunrise Clinic", footer: "Open 8 to 5") do
    text("What would you like?")
  end
end

card Visit do
  list("Days", Monday: "Monday", header: "Choose a day") do
    text("Which day?")
  end
end

card Monday do
  text("See you on Monday.")
end
"#,
    )]);
    let rt = world.rt();
    let out = rt.start("menu", &thandi(), None, at("2026-01-15T09:00:00Z"));
    let Some(Effect::Send(Outbound::Interactive { header, footer, .. })) = out.effects.first()
    else {
        panic!("expected a menu, got {:?}", out.effects);
    };
    assert_eq!(
        header.clone(),
        Some(Header::Text("Sunrise Clinic".to_owned()))
    );
    assert_eq!(footer.as_deref(), Some("Open 8 to 5"));
    let out = rt.step(
        out.state,
        &thandi(),
        Event::Message(Inbound::text("Book a visit")),
        at("2026-01-15T09:01:00Z"),
    );
    let Some(Effect::Send(Outbound::Interactive { header, .. })) = out.effects.first() else {
        panic!("expected a list, got {:?}", out.effects);
    };
    assert_eq!(
        header.clone(),
        Some(Header::Text("Choose a day".to_owned()))
    );
}

#[test]
fn two_options_to_one_card_have_distinct_ids_and_store_the_option_name() {
    let world = World::new(&[(
        "ack",
        r#"
card Ack do
  next = buttons(HelpCentre: "Main menu", TopicsForYou: "Topics", HelpCentre: "Something else") do
    text("Anything else?")
  end
end

card HelpCentre do
  text("Back to @next")
end

card TopicsForYou do
  text("Topics")
end
"#,
    )]);
    let rt = world.rt();
    let now = at("2026-01-15T09:00:00Z");
    let started = rt.start("ack", &thandi(), Some(Inbound::text("hi")), now);
    let ids: Vec<&str> = started
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Send(Outbound::Interactive { options, .. }) => {
                Some(options.iter().map(|(id, _)| id.as_str()).collect())
            }
            _ => None,
        })
        .expect("a menu");
    // WhatsApp refuses a message whose reply ids repeat.
    assert_eq!(ids, ["HelpCentre", "TopicsForYou", "HelpCentre#2"]);
    let mut tap = Inbound::text("Something else");
    tap.reply_id = Some("HelpCentre#2".to_owned());
    let chose = rt.step(started.state, &thandi(), Event::Message(tap), now);
    assert_eq!(texts(&chose.effects), ["Back to help_centre"]);
}

// ------------------------------------------------------------- the session around runs

const REMINDERS: &str = r#"
trigger(on: "MESSAGE RECEIVED", keywords: ["weight"])
interrupt(keywords: ["stop"], then: OptOut)

card Ask, then: Thanks do
  kg = ask("What did baby weigh?", timeout: 2h, on_timeout: Nudge)
end

card Thanks do
  text("Saved @kg kg.")
end

card Nudge do
  text("Still there?")
end

card OptOut do
  update_contact(opted_in: false)
  text("Bye.")
  end_journey()
end
"#;

fn sends(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send {
                message: Outbound::Text { body },
                ..
            } => Some(body.clone()),
            _ => None,
        })
        .collect()
}

fn notes(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The question's timeout as the session set it: (run, id, due).
fn timeout(actions: &[Action]) -> (i64, String, jiff::Timestamp) {
    actions
        .iter()
        .find_map(|a| match a {
            Action::SetTimer {
                run,
                id,
                at,
                target: TimerTarget::Timeout,
            } => Some((*run, id.clone(), *at)),
            _ => None,
        })
        .expect("the question's timeout")
}

#[test]
fn session_starts_runs_by_trigger_and_numbers_their_timers() {
    let world = World::new(&[("Weigh", REMINDERS)]);
    let rt = world.rt();
    let session = Session::new(&rt);
    let now = at("2026-01-15T09:00:00Z");
    let message = |text: &str| Input::Message(Inbound::text(text));
    let first = session.react(Snapshot::new(thandi()), message("hello"), now);
    assert_eq!(notes(&first.actions), ["no journey started"]);
    assert!(first.snapshot.visited && first.snapshot.run.is_none());

    let asked = session.react(first.snapshot, message("weight"), now);
    assert_eq!(sends(&asked.actions), ["What did baby weigh?"]);
    // A new run drops the question timeouts of the one before.
    assert_eq!(
        asked.actions[0],
        Action::CancelTimers {
            target: Some(TimerTarget::Timeout)
        }
    );
    let (run, id, due) = timeout(&asked.actions);
    assert_eq!((run, asked.snapshot.runs), (1, 1));
    assert_eq!(due, at("2026-01-15T11:00:00Z"));

    let nudged = session.react(
        asked.snapshot,
        Input::Timer {
            id,
            target: TimerTarget::Timeout,
        },
        due,
    );
    assert_eq!(sends(&nudged.actions), ["Still there?"]);
    assert!(
        nudged.actions.iter().all(|a| !matches!(
            a,
            Action::Send {
                by_contact: true,
                ..
            }
        )),
        "a timer's message is not a reply"
    );
}

#[test]
fn session_opt_out_gate_withholds_what_the_contact_did_not_ask_for() {
    let world = World::new(&[("Weigh", REMINDERS)]);
    let rt = world.rt();
    let session = Session::new(&rt);
    let now = at("2026-01-15T09:00:00Z");
    let asked = session.react(
        Snapshot::new(thandi()),
        Input::Message(Inbound::text("weight")),
        now,
    );
    let (_, id, due) = timeout(&asked.actions);
    // The contact opts out by other means (an agent, an import) while the run waits:
    // the timeout's nudge is held back, and the gates close.
    let mut snapshot = asked.snapshot;
    snapshot
        .contact
        .fields
        .insert("opted_in".to_owned(), Value::Bool(false));
    let fired = session.react(
        snapshot,
        Input::Timer {
            id,
            target: TimerTarget::Timeout,
        },
        due,
    );
    assert!(sends(&fired.actions).is_empty());
    assert!(fired.actions.contains(&Action::Withheld {
        message: Outbound::Text {
            body: "Still there?".to_owned()
        }
    }));
    assert!(
        fired
            .actions
            .ends_with(&[Action::CancelTimers { target: None }, Action::DropUnasked])
    );
    assert!(fired.snapshot.opted_out);
    // Nothing the business starts reaches them; their own message still gets answers.
    let start = Input::Start {
        journey: "Weigh".to_owned(),
    };
    let refused = session.react(fired.snapshot, start, due);
    assert_eq!(
        notes(&refused.actions),
        ["not starting Weigh: the contact opted out"]
    );
    let asked_again = session.react(
        refused.snapshot,
        Input::Message(Inbound::text("weight")),
        due,
    );
    assert_eq!(sends(&asked_again.actions), ["What did baby weigh?"]);
    assert!(
        !asked_again.actions.contains(&Action::DropUnasked),
        "the gates close once"
    );
}

#[test]
fn session_honours_opt_out_and_opt_in_keywords_that_no_trigger_takes() {
    let world = World::new(&[("Weigh", REMINDERS)]);
    let rt = world.rt();
    let session = Session::new(&rt);
    let now = at("2026-01-15T09:00:00Z");
    let stop = session.react(
        Snapshot::new(thandi()),
        Input::Message(Inbound::text("STOP")),
        now,
    );
    assert_eq!(notes(&stop.actions), ["opted out (no journey was running)"]);
    assert_eq!(
        stop.snapshot.contact.fields.get("opted_in"),
        Some(&Value::Bool(false))
    );
    assert!(stop.snapshot.opted_out);
    assert!(
        stop.actions
            .contains(&Action::CancelTimers { target: None })
    );
    let start = session.react(stop.snapshot, Input::Message(Inbound::text("start")), now);
    assert_eq!(notes(&start.actions), ["opted in (no journey was running)"]);
    assert!(!start.snapshot.opted_out);
    let journey = Input::Start {
        journey: "Weigh".to_owned(),
    };
    let started = session.react(start.snapshot, journey, now);
    assert_eq!(sends(&started.actions), ["What did baby weigh?"]);
}

#[test]
fn session_keeps_messages_for_the_agent_during_a_handoff() {
    let world = World::new(&[("clinic", MENU)]);
    let rt = world.rt();
    let session = Session::new(&rt);
    let now = at("2026-01-15T09:00:00Z");
    let not_with_agent = session.react(Snapshot::new(thandi()), Input::AgentReturn, now);
    assert_eq!(
        not_with_agent.actions,
        [Action::Note {
            text: "the contact is not with an agent".to_owned(),
            problem: true
        }]
    );
    let mut r = session.react(
        not_with_agent.snapshot,
        Input::Start {
            journey: "clinic".to_owned(),
        },
        now,
    );
    for text in ["1", "many", "lots"] {
        r = session.react(r.snapshot, Input::Message(Inbound::text(text)), now);
    }
    assert_eq!(
        r.snapshot.handoff,
        Some(("nurses".to_owned(), String::new()))
    );
    let kept = session.react(r.snapshot, Input::Message(Inbound::text("hello?")), now);
    assert_eq!(notes(&kept.actions), ["to the agent"]);
    let back = session.react(kept.snapshot, Input::AgentReturn, now);
    assert_eq!(back.snapshot.handoff, None);
    assert!(matches!(
        back.snapshot.run.map(|r| r.status),
        Some(Status::Waiting { .. })
    ));
}
