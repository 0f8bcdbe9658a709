//! The interpreter is a pure function: the same events at the same clock give
//! byte-identical states and effects, and a run saved and reloaded between events
//! (as `journey serve` does) behaves exactly like one kept in memory.

use journey_diagnostics::FileId;
use journey_model::{CompiledJourney, ProjectIndex, SourceModule};
use journey_runtime::{Contact, Event, Inbound, Outcome, RunState, Runtime, TimerTarget};
use proptest::prelude::*;

const CLINIC: &str = r#"
interrupt(keywords: ["stop"], then: OptOut)

card Welcome, then: Menu do
  text("Hi @contact.name!")
end

card Menu, then: Menu do
  buttons(Visit: "Book a visit", Tips: "Tips", timeout: 4h, on_timeout: Nudge) do
    text("How can we help?")
  end
end

card Nudge do
  text("Still there? Reply MENU.")
end

card Visit when contact.age > 18, then: Confirm do
  day = ask("Which day suits you?", timeout: 2h, on_timeout: Nudge)
  update_contact(visit_day: day)
end

card Visit, then: Confirm do
  day = "Monday"
end

card Confirm do
  text("See you on @day.")
  schedule(Reminder, in: 23h)
end

card Reminder do
  text("Your visit is tomorrow.")
end

card Tips do
  text("Rest and drink water.")
end

card OptOut do
  update_contact(opted_in: false)
  cancel_scheduled()
  end_journey()
end
"#;

fn compile() -> Vec<CompiledJourney> {
    let parsed = journey_syntax::parse_journey(FileId(0), CLINIC);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let module = SourceModule {
        file: FileId(0),
        default_name: "clinic".to_owned(),
        module: &parsed.module,
        text: CLINIC,
        has_syntax_errors: false,
    };
    journey_model::compile(&[module], ProjectIndex::default())
}

/// What a contact or the world can do between two steps.
#[derive(Clone, Debug)]
enum Action {
    Say(&'static str),
    Advance(u32),
    FireTimer(u8),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        prop::sample::select(vec![
            "1",
            "2",
            "Book a visit",
            "Tips",
            "Tuesday",
            "stop",
            "hello",
            ""
        ])
        .prop_map(Action::Say),
        (1u32..100_000).prop_map(Action::Advance),
        (0u8..4).prop_map(Action::FireTimer),
    ]
}

/// Plays the actions, optionally saving and reloading the state as JSON before each
/// event; returns every outcome serialised.
fn play(rt: &Runtime<'_>, actions: &[Action], reload: bool) -> Vec<String> {
    let start: jiff::Timestamp = "2026-01-15T09:00:00Z".parse().expect("a timestamp");
    let mut now = start;
    let mut contact = Contact::new("27820000001");
    contact.fields.insert(
        "name".to_owned(),
        journey_expr::Value::Text("Thandi".to_owned()),
    );
    contact
        .fields
        .insert("age".to_owned(), journey_expr::Value::Number(27.0));
    let mut outcome = rt.start("clinic", &contact, Some(Inbound::text("hi")), now);
    let mut log = vec![serde_json::to_string(&outcome).expect("outcomes serialise")];
    let mut timers: Vec<(String, TimerTarget)> = Vec::new();
    for action in actions {
        collect_timers(&outcome, &mut timers);
        let event = match action {
            Action::Say(text) => Event::Message(Inbound::text(*text)),
            Action::Advance(seconds) => {
                now = now
                    .checked_add(jiff::SignedDuration::from_secs(i64::from(*seconds)))
                    .expect("in range");
                continue;
            }
            Action::FireTimer(index) => match timers.get(usize::from(*index)) {
                Some((id, target)) => Event::Timer {
                    id: id.clone(),
                    target: target.clone(),
                },
                None => continue,
            },
        };
        let mut state: RunState = outcome.state.clone();
        if reload {
            let saved = serde_json::to_string(&state).expect("states serialise");
            state = serde_json::from_str(&saved).expect("states deserialise");
        }
        contact = outcome.contact.clone();
        outcome = rt.step(state, &contact, event, now);
        log.push(serde_json::to_string(&outcome).expect("outcomes serialise"));
    }
    log
}

fn collect_timers(outcome: &Outcome, timers: &mut Vec<(String, TimerTarget)>) {
    for effect in &outcome.effects {
        if let journey_runtime::Effect::ScheduleTimer { id, target, .. } = effect {
            timers.push((id.clone(), target.clone()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn same_events_same_outcomes(actions in prop::collection::vec(action(), 0..24)) {
        let journeys = compile();
        let config = journey_project::ProjectConfig::default();
        let rt = Runtime::new(&journeys, &config);
        let first = play(&rt, &actions, false);
        let second = play(&rt, &actions, false);
        prop_assert_eq!(&first, &second);
        let reloaded = play(&rt, &actions, true);
        prop_assert_eq!(first, reloaded);
    }
}
