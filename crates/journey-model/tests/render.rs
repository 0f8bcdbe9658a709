//! DOT and Mermaid pictures of a small journey that uses every kind of edge.

use journey_diagnostics::FileId;
use journey_model::render::{dot, mermaid};
use journey_model::{CompiledJourney, ProjectIndex, SourceModule, compile};

const CLINIC: &str = r#"
stack Clinic do
  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)

  card Welcome, then: Menu do
    text("Hi @contact.name! Welcome to the clinic line.")
  end

  card Menu when contact.due_date != nil do
    choice = buttons(Visit: "Book a visit", Tips: "Pregnancy tips", Nurse: "Talk to a nurse") do
      text("How can we help today?")
    end
  end

  card Menu do
    buttons([Visit, Tips]) do
      text("What would you like?")
    end
  end

  card Tips, "Tips & tricks" do
    text("Say \"hi\" <3 | {ok} #1")
    then(Visit when contact.age >= 18 and contact.age < 65)
    then(Nurse when not contact.opted_in)
    then(Menu)
  end

  card Visit, then: Confirm do
    day = ask("Which day suits you? (e.g. Tuesday)", timeout: 2h, on_timeout: Nurse)
    attempts = (attempts + 1) * 2
  end

  card Confirm do
    slots = post("https://clinic.example.org/api/slots", on_error: Nurse)
    text("Booked for @day at @slots.body.time.")
    schedule(Reminder, in: 23h)
  end

  card Reminder do
    send_message_template("visit_reminder", "en", [contact.name], buttons: [Confirm, Nurse])
  end

  card Nurse do
    handoff(queue: "nurses", on_return: Menu)
  end

  card OptOut do
    update_contact(opted_in: "no")
    end_journey()
  end
end
"#;

fn clinic() -> CompiledJourney {
    let parsed = journey_syntax::parse_journey(FileId(0), CLINIC);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let source = SourceModule {
        file: FileId(0),
        default_name: "clinic".to_owned(),
        module: &parsed.module,
        text: CLINIC,
        has_syntax_errors: false,
    };
    let mut journeys = compile(&[source], ProjectIndex::default());
    let journey = journeys.remove(0);
    assert!(journey.issues.is_empty(), "{:?}", journey.issues);
    journey
}

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!("clinic_dot", dot(&clinic()));
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!("clinic_mermaid", mermaid(&clinic()));
}

#[test]
fn labels_are_escaped() {
    let journey = clinic();
    assert!(dot(&journey).contains(r#"label="text \"Say \"hi\" <3 | {ok} #1\"""#));
    let mermaid = mermaid(&journey);
    assert!(
        mermaid
            .contains(r#"["text #quot;Say #quot;hi#quot; #lt;3 #124; #123;ok#125; #35;1#quot;"]"#)
    );
    assert!(mermaid.contains(r#"|"Tips #amp; tricks"|"#));
}

#[test]
fn rendering_is_deterministic() {
    let (a, b) = (clinic(), clinic());
    assert_eq!(dot(&a), dot(&b));
    assert_eq!(mermaid(&a), mermaid(&b));
}
