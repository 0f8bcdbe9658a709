//! The files `journey new NAME` writes: a commented journey.toml showing every section,
//! a starter journey that passes the checks, and a .gitignore for local run state.

/// The new project's files as (path relative to the project directory, contents).
pub fn scaffold(name: &str) -> Vec<(String, String)> {
    vec![
        ("journey.toml".to_owned(), journey_toml(name)),
        ("main.journey".to_owned(), main_journey(&journey_name(name))),
        ("main.test".to_owned(), MAIN_TEST.to_owned()),
        (".gitignore".to_owned(), GITIGNORE.to_owned()),
    ]
}

fn journey_toml(name: &str) -> String {
    // A TOML string literal, so that any project name stays valid TOML.
    let quoted = toml::Value::String(name.to_owned()).to_string();
    JOURNEY_TOML.replace("{name}", &quoted)
}

/// A journey name from the project name: `clinic-line` becomes `ClinicLine`.
fn journey_name(project: &str) -> String {
    let words = project.split([' ', '-', '_', '.']);
    let name: String = words
        .flat_map(|word| {
            let mut chars = word.chars().filter(char::is_ascii_alphanumeric);
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars)
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        "Main".to_owned()
    }
}

fn main_journey(journey: &str) -> String {
    MAIN_JOURNEY.replace("{journey}", journey)
}

const JOURNEY_TOML: &str = r#"# Settings of this journey project. Every section and key is optional: values
# shown here are the defaults unless the comment says otherwise. The full
# reference is docs/project.md in the journey repository.

[project]
name = {name}
# The language of messages that have no variant in the contact's language.
default_language = "en"
# Further languages: a message gives their variants as text("Hi", pt: "Olá").
# languages = ["en", "pt"]
# IANA time zone for dates and times of contacts without their own.
timezone = "UTC"

[channel]
# Your WhatsApp Business phone number ID, from Meta's app dashboard.
# phone_number_id = "123456789012345"
# How many contacts you may start conversations with per rolling 24 hours.
messaging_limit_tier = 250
# `journey check` warns when a free-form message can go out later than
# 24 hours minus this margin after the contact last wrote.
window_margin = "1h"

[keywords]
# Whole-message keywords, matched ignoring case. Journeys act on them with
# interrupt(keywords: [...], then: Card); `journey check` expects that they do.
help = ["help", "agent", "human"]
opt_out = ["stop", "unsubscribe"]
opt_in = ["start"]

# Contact fields, written @contact.NAME in journeys. Built in: name (text, at
# most 60 characters), whatsapp_id, language and opted_in. `max_length` lets
# `journey check` prove that personalised messages fit WhatsApp's limits.
[fields.district]
type = "text"
max_length = 40
description = "Where the contact lives"

[fields.topic]
type = "choice"
choices = ["health", "school", "other"]
description = "What the contact first asked about"

# The template registry: your WhatsApp message templates as WhatsApp Manager
# lists them, one [[templates]] block per name and language. Only approved
# templates can be sent, and only templates may open a conversation.
[[templates]]
name = "welcome_back"
language = "en"
category = "marketing"
status = "approved"
body = "Hi {{1}}, it has been a while! Tap Menu to see what is new. Reply STOP to get no more messages."
# Names for the body parameters, in order (read from the body when left out).
parameters = ["contact_name"]
# header = { type = "text", text = "Welcome back" }
# footer = "Reply STOP to unsubscribe"
buttons = [
  { type = "quick_reply", text = "Menu", payload = "menu" },
]

[check]
# Rule codes or prefixes to run (default: all) and to skip.
# select = ["J", "WA"]
# ignore = ["WA107"]
# `journey check` fails on findings of this severity or worse.
fail_on = "error"

[check.severity]
# Change the severity of a rule or of every rule with a prefix.
# WA103 = "error"

[secrets]
# Names of the secrets journeys read with secret("NAME"). Values never go in
# this file: at run time NAME comes from the environment variable
# JOURNEY_SECRET_NAME.
names = []

# How `journey serve` assigns handoffs in the console's inbox: the people of a
# team (names of `journey users add`), shared out "round-robin" or "least-busy",
# at most `capacity` conversations each; a queue's team, business hours and what
# a contact hears when everyone is busy or the queue is closed. Without these,
# operators pick conversations by hand.
# [teams.agents]
# members = ["olu", "nia"]
# strategy = "round-robin"
# capacity = 5
#
# [queues.agents]
# team = "agents"
# busy = "Everyone is busy right now. Someone will answer you soon."
# out_of_hours = "We answer Monday to Friday, 8am to 5pm."
#
# [queues.agents.hours]
# days = ["mon", "tue", "wed", "thu", "fri"]
# open = "08:00"
# close = "17:00"
"#;

const MAIN_JOURNEY: &str = r#"# The main journey. `journey check` checks it; `journey run main.journey` lets
# you chat with it in the terminal.

stack {journey} do

  # A contact who writes "hi" or "menu" starts the journey. They wrote first, so
  # the 24-hour window is open and free-form messages may be sent.
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["hi", "menu"])

  # Global interrupts work at every question: a person on request, and opting
  # out. They use the keywords of [keywords] in journey.toml.
  interrupt(keywords: ["help", "agent", "human"], then: Agent)
  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)

  card Welcome, then: Menu do
    text("Hi @contact.name! Welcome.")
  end

  # Each button leads to the card of the same name.
  card Menu do
    buttons(Tips: "Health tips", Agent: "Talk to a person") do
      text("What would you like to do?")
    end
  end

  card Tips, then: Menu do
    text("Drink clean water, wash your hands often and sleep well.")
  end

  # Human escalation: the bot pauses until an agent hands the contact back. When
  # no agent answers within 30 minutes (nights, weekends), CallUs gives another way.
  card Agent do
    handoff(queue: "agents", on_return: Menu, timeout: 30m, on_timeout: CallUs)
  end

  # A way to a person outside the chat. Put your real phone number and hours here.
  card CallUs, escalation: "phone" do
    text("No one is free to chat right now. Call us on 0800 000 000, Monday to Friday 8am to 5pm.")
  end

  # Opting out also cancels the contact's pending timers (`cancel_scheduled()`), so
  # that no reminder of another journey reaches someone who said STOP.
  card OptOut do
    update_contact(opted_in: false)
    cancel_scheduled()
    text("You will get no more messages from us. Write HI at any time to chat again.")
    end_journey()
  end
end
"#;

const MAIN_TEST: &str = r#"# Conversation tests of main.journey: `journey test` runs them. A case is a
# conversation written as the transcript it expects: `>` the contact, `<` the bot,
# `*` what happened, `?` a check (docs/testing.md). After changing the journey,
# `journey test --update` rewrites the expected lines of failing cases.

contact: name = "Thandi"

## a contact reads the health tips
> hi
< Hi Thandi! Welcome.
< [buttons] What would you like to do? | 1. Health tips | 2. Talk to a person
> [tap Health tips]
< Drink clean water, wash your hands often and sleep well.
< [buttons] What would you like to do? | 1. Health tips | 2. Talk to a person

## STOP opts out at any question
> hi
< Hi Thandi! Welcome.
< [buttons] What would you like to do? ...
> stop
< You will get no more messages from us. Write HI at any time to chat again.
* ended
? field opted_in = false
"#;

const GITIGNORE: &str = "# Local run state of `journey run` and `journey serve` (SQLite).
*.db
*.db-wal
*.db-shm
";

#[cfg(test)]
mod tests {
    use super::*;
    use journey_diagnostics::FileId;

    fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
        let found = files.iter().find(|(p, _)| p == path);
        &found.unwrap_or_else(|| panic!("no {path}")).1
    }

    #[test]
    fn writes_exactly_four_files() {
        let files = scaffold("clinic-line");
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            ["journey.toml", "main.journey", "main.test", ".gitignore"]
        );
        assert!(file(&files, ".gitignore").contains("*.db-wal"));
    }

    #[test]
    fn the_config_parses_cleanly_and_shows_every_section() {
        let files = scaffold("Clinic \"line\"");
        let (config, diagnostics) = crate::parse_config(FileId(0), file(&files, "journey.toml"));
        assert_eq!(diagnostics, []);
        assert_eq!(config.project.name.as_deref(), Some("Clinic \"line\""));
        let template = config
            .template("welcome_back", "en")
            .expect("sample template");
        assert_eq!(template.parameter_names(), ["contact_name"]);
        assert_eq!(template.buttons.len(), 1);
        assert_eq!(config.fields.len(), 2);
        let text = file(&files, "journey.toml");
        for section in [
            "[project]",
            "[channel]",
            "[keywords]",
            "[fields.",
            "[[templates]]",
            "[check]",
            "[check.severity]",
            "[secrets]",
            "# [teams.agents]",
            "# [queues.agents]",
        ] {
            assert!(text.contains(section), "{section} missing");
        }
    }

    #[test]
    fn the_commented_assignment_rules_work_once_uncommented() {
        let files = scaffold("clinic");
        let text = file(&files, "journey.toml");
        let start = text.find("# [teams.agents]").expect("the rules are there");
        let uncommented: String = text[start..]
            .lines()
            .map(|line| line.strip_prefix('#').unwrap_or(line).trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let (config, diagnostics) = crate::parse_config(FileId(0), &uncommented);
        assert_eq!(diagnostics, []);
        assert_eq!(config.teams["agents"].members, ["olu", "nia"]);
        assert!(config.queues["agents"].hours.is_some());
    }

    #[test]
    fn the_journey_parses_cleanly_and_names_every_card_it_defines() {
        let files = scaffold("clinic-line");
        let text = file(&files, "main.journey");
        let parsed = journey_syntax::parse_journey(FileId(0), text);
        assert_eq!(parsed.diagnostics, []);
        let journey = &parsed.module.journeys[0];
        assert_eq!(
            journey.name.as_ref().map(|n| n.name.as_str()),
            Some("ClinicLine")
        );
        // Each card but the first is the target of something: a `then:`, a button, an interrupt.
        let cards: Vec<&str> = journey
            .cards()
            .map(|card| card.name.name.as_str())
            .collect();
        assert_eq!(
            cards,
            ["Welcome", "Menu", "Tips", "Agent", "CallUs", "OptOut"]
        );
        for card in &cards[1..] {
            let mentions = text.matches(&format!("{card}:")).count()
                + text.matches(&format!(": {card}")).count();
            assert!(mentions > 0, "nothing leads to {card}");
        }
    }

    #[test]
    fn journey_names_come_from_the_project_name() {
        assert_eq!(journey_name("clinic-line"), "ClinicLine");
        assert_eq!(journey_name("school support_2"), "SchoolSupport2");
        assert_eq!(journey_name("42"), "Main");
        assert_eq!(journey_name(""), "Main");
    }
}
