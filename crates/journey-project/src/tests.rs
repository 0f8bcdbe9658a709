//! parse_config end to end: defaults, a full file, and each kind of diagnostic.

use journey_diagnostics::{Diagnostic, FileId, Severity, Span};

use crate::*;

fn parse(text: &str) -> (ProjectConfig, Vec<Diagnostic>) {
    parse_config(FileId(7), text)
}

/// The text a diagnostic points at.
fn pointed<'a>(text: &'a str, diagnostic: &Diagnostic) -> &'a str {
    &text[diagnostic.span().range()]
}

#[test]
fn defaults_suit_a_project_without_journey_toml() {
    let config = ProjectConfig::default();
    assert_eq!(config.project.default_language, "en");
    assert_eq!(config.languages(), ["en"]);
    assert_eq!(config.project.timezone, "UTC");
    assert_eq!(config.channel.messaging_limit_tier, 250);
    assert_eq!(config.channel.window_margin, Duration::from_hours(1));
    assert_eq!(config.keywords.help, ["help", "agent", "human"]);
    assert_eq!(config.keywords.opt_out, ["stop", "unsubscribe"]);
    assert_eq!(config.keywords.opt_in, ["start"]);
    assert_eq!(config.check.fail_on, Severity::Error);
    assert!(config.templates.is_empty() && config.fields.is_empty());
    assert_eq!(config.field("name").and_then(|f| f.max_chars()), Some(60));
    assert_eq!(
        config.field("opted_in").map(|f| f.kind),
        Some(FieldType::Boolean)
    );
    assert_eq!(
        config.field("language").map(|f| f.choices),
        Some(vec!["en".to_owned()])
    );
    assert!(config.field("due_date").is_none());

    let (parsed, diagnostics) = parse("");
    assert_eq!(diagnostics, []);
    assert_eq!(parsed.project, config.project);
    assert_eq!(parsed.keywords, config.keywords);
}

const FULL: &str = r#"
[project]
name = "Clinic line"
default_language = "en"
languages = ["pt", "en", "zu"]
timezone = "Africa/Johannesburg"

[channel]
phone_number_id = "109876543210"
messaging_limit_tier = 2000
window_margin = "30m"

[keywords]
help = ["nurse", "help"]
opt_out = ["stop"]
opt_in = ["start", "join"]

[fields.due_date]
type = "date"
required = true
description = "Expected delivery date"

[fields.clinic]
type = "choice"
choices = ["Soweto", "Alexandra Central"]

[fields.name]
type = "text"
max_length = 25

[[templates]]
name = "visit_reminder"
language = "en"
category = "utility"
status = "approved"
body = "Hi {{1}}, your visit is on {{2}}."
parameters = ["name", "day"]
header = { type = "text", text = "Visit reminder" }
footer = "Clinic line"
buttons = [
  { type = "quick_reply", text = "OK", payload = "visit_ok" },
  { type = "phone_number", text = "Call us" },
]

[[templates]]
name = "visit_reminder"
language = "pt"
category = "utility"
status = "paused"
body = "Olá {{first_name}}, a sua consulta é {{day}}."

[check]
select = ["J", "WA1", "WA2"]
ignore = ["WA107"]
fail_on = "warning"

[check.severity]
WA103 = "error"

[secrets]
names = ["CLINIC_API_TOKEN"]
"#;

#[test]
fn reads_a_full_config() {
    let (config, diagnostics) = parse(FULL);
    assert_eq!(diagnostics, []);
    assert_eq!(config.project.name.as_deref(), Some("Clinic line"));
    assert_eq!(config.languages(), ["en", "pt", "zu"]);
    assert_eq!(config.project.timezone, "Africa/Johannesburg");
    assert_eq!(
        config.channel.phone_number_id.as_deref(),
        Some("109876543210")
    );
    assert_eq!(config.channel.messaging_limit_tier, 2000);
    assert_eq!(config.channel.window_margin.as_secs(), 1800);
    assert_eq!(config.keywords.opt_in, ["start", "join"]);

    assert_eq!(
        config.field("due_date").map(|f| (f.kind, f.required)),
        Some((FieldType::Date, true))
    );
    assert_eq!(config.field("clinic").and_then(|f| f.max_chars()), Some(17));
    assert_eq!(
        config.field("name").and_then(|f| f.max_chars()),
        Some(25),
        "declaration refines the built-in"
    );
    assert_eq!(config.all_fields().len(), 6);

    let en = config
        .template("visit_reminder", "en")
        .expect("en template");
    assert_eq!(en.category, TemplateCategory::Utility);
    assert_eq!(en.parameter_names(), ["name", "day"]);
    assert_eq!(en.header.as_ref().map(|h| h.kind), Some(HeaderKind::Text));
    assert_eq!(en.buttons[0].payload.as_deref(), Some("visit_ok"));
    assert_eq!(en.buttons[1].kind, ButtonKind::PhoneNumber);
    let pt = config
        .template("visit_reminder", "pt")
        .expect("pt template");
    assert_eq!(pt.status, TemplateStatus::Paused);
    assert_eq!(pt.parameter_names(), ["first_name", "day"]);
    assert!(config.template("visit_reminder", "zu").is_none());

    assert_eq!(
        config.check.severity_for("WA103", Severity::Warning),
        Some(Severity::Error)
    );
    assert_eq!(config.check.severity_for("WA107", Severity::Info), None);
    assert_eq!(config.check.severity_for("WA301", Severity::Error), None);
    assert_eq!(config.check.fail_on, Severity::Warning);
    assert_eq!(config.secrets.names, ["CLINIC_API_TOKEN"]);
    assert_eq!(
        Secrets::env_var("CLINIC_API_TOKEN"),
        "JOURNEY_SECRET_CLINIC_API_TOKEN"
    );

    let span = config.locations.span("templates[1].name").expect("located");
    assert_eq!(&FULL[span.range()], r#"name = "visit_reminder""#);
    assert_eq!(config.locations.file(), FileId(7));
}

#[test]
fn a_config_serialises_to_toml_that_reads_back_the_same() {
    // FULL sets every key, so this also keeps the unknown-key schema in step with serde.
    let (config, _) = parse(FULL);
    let text = toml::to_string(&config).expect("serialises");
    let (again, diagnostics) = parse(&text);
    assert_eq!(diagnostics, [], "{text}");
    assert_eq!(again.project, config.project);
    assert_eq!(again.channel, config.channel);
    assert_eq!(again.fields, config.fields);
    assert_eq!(again.templates, config.templates);
    assert_eq!(again.check, config.check);
}

#[test]
fn malformed_toml_is_one_error_at_the_fault() {
    let text = "[project]\nname = \"Clinic\ntimezone = \"UTC\"\n";
    let (config, diagnostics) = parse(text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let error = &diagnostics[0];
    assert_eq!((error.code, error.severity), ("J002", Severity::Error));
    assert!(
        error.message.starts_with("journey.toml is not valid TOML"),
        "{}",
        error.message
    );
    assert_eq!(
        error.span(),
        Span::new(24, 24),
        "at the end of the unclosed text"
    );
    assert!(error.help.is_some());
    assert_eq!(config.project.default_language, "en");
}

#[test]
fn an_unknown_key_is_a_warning_with_a_suggestion() {
    let text = "[project]\nname = \"x\"\ndefault_langauge = \"pt\"\n\n[fields.age]\ntype = \"number\"\nmax = 3\n";
    let (config, diagnostics) = parse(text);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    let typo = &diagnostics[0];
    assert_eq!((typo.code, typo.severity), ("J003", Severity::Warning));
    assert_eq!(
        typo.message,
        "unknown key `default_langauge` in `[project]`"
    );
    assert_eq!(pointed(text, typo), "default_langauge");
    assert_eq!(
        typo.help.as_deref(),
        Some("did you mean `default_language`?")
    );
    assert_eq!(
        diagnostics[1].message,
        "unknown key `max` in `[fields.age]`"
    );
    // The rest of the file still counts.
    assert_eq!(config.project.name.as_deref(), Some("x"));
    assert_eq!(config.field("age").map(|f| f.kind), Some(FieldType::Number));
}

#[test]
fn unknown_sections_and_misplaced_keys_are_named() {
    let text = "timezone = \"UTC\"\n[projcet]\nname = \"x\"\n[[templates]]\nname = \"a\"\nlanguage = \"en\"\ncategory = \"utility\"\nstatus = \"approved\"\nbody = \"Hi\"\nbuton = []\n";
    let (_, diagnostics) = parse(text);
    let messages: Vec<(&str, Option<&str>)> = diagnostics
        .iter()
        .map(|d| (d.message.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                "unknown key `timezone` at the top level",
                Some("`timezone` belongs under `[project]`")
            ),
            (
                "unknown section `[projcet]`",
                Some("did you mean `project`?")
            ),
            (
                "unknown key `buton` in `[[templates]]` #1 (`a`)",
                Some("did you mean `buttons`?")
            ),
        ]
    );
}

#[test]
fn a_wrong_type_is_an_error_at_the_value_and_the_rest_is_kept() {
    let text = "[project]\nname = \"x\"\nlanguages = \"pt\"\n[channel]\nphone_number_id = 109876543210\nwindow_margin = \"an hour\"\n";
    let (config, diagnostics) = parse(text);
    let found: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d.code, pointed(text, d)))
        .collect();
    assert_eq!(
        found,
        [
            ("J002", "\"pt\""),
            ("J002", "109876543210"),
            ("J002", "\"an hour\"")
        ],
        "{diagnostics:#?}"
    );
    assert_eq!(
        diagnostics[0].message,
        "wrong type for `languages` in `[project]`: expected a list, found string \"pt\""
    );
    assert_eq!(
        diagnostics[1].help.as_deref(),
        Some("put the value in double quotes")
    );
    assert!(
        diagnostics[2]
            .message
            .contains("`an hour` is not a duration"),
        "{}",
        diagnostics[2].message
    );
    assert_eq!(config.project.name.as_deref(), Some("x"));
    assert_eq!(config.languages(), ["en"]);
    assert_eq!(config.channel.window_margin, Duration::from_hours(1));
}

#[test]
fn a_template_with_a_bad_value_is_reported_once_and_dropped() {
    let text = "[[templates]]\nname = \"promo\"\nlanguage = \"en\"\ncategory = \"promotion\"\nstatus = \"approved\"\nbody = \"Hi\"\n\n[[templates]]\nname = \"ok\"\nlanguage = \"en\"\ncategory = \"utility\"\nstatus = \"approved\"\nbody = \"Hi\"\n\n[[templates]]\nname = \"nobody\"\nlanguage = \"en\"\ncategory = \"utility\"\nstatus = \"approved\"\n";
    let (config, diagnostics) = parse(text);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert_eq!(pointed(text, &diagnostics[0]), "\"promotion\"");
    assert_eq!(
        diagnostics[0].message,
        "invalid value for `category` in `[[templates]]` #1 (`promo`): unknown value `promotion`, \
         expected one of `marketing`, `utility`, `authentication`"
    );
    assert_eq!(
        diagnostics[1].message,
        "missing key `body` in `[[templates]]` #3 (`nobody`)"
    );
    let names: Vec<&str> = config.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["ok"]);
    let span = config.locations.span("templates[0].name").expect("located");
    assert_eq!(
        &text[span.range()],
        "name = \"ok\"",
        "locations follow the kept templates"
    );
}

#[test]
fn values_that_cannot_work_are_errors() {
    let text = r#"
[channel]
window_margin = "1d"

[fields."due date"]
type = "date"
max_length = 10

[fields.clinic]
type = "choice"

[fields.opted_in]
type = "text"

[[templates]]
name = "Reminder"
language = "en"
category = "utility"
status = "approved"
body = "Hi {{1}} and {{2}}"
parameters = ["name"]
header = { type = "text" }

[[templates]]
name = "Reminder"
language = "en"
category = "utility"
status = "approved"
body = "Hi"

[check]
select = ["wa1"]

[secrets]
names = ["api-token"]
"#;
    let (_, diagnostics) = parse(text);
    let found: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "J002",
                "`window_margin` is 1d, but the window itself is 24h"
            ),
            (
                "J002",
                "field name `due date` cannot be written as `@contact.due date`"
            ),
            (
                "J003",
                "`max_length` applies to text fields only, and `due date` is a date field"
            ),
            ("J002", "choice field `clinic` has no `choices`"),
            (
                "J002",
                "`opted_in` is a built-in boolean field; it cannot become text"
            ),
            ("J002", "`Reminder` is not a WhatsApp template name"),
            (
                "J002",
                "`parameters` of `Reminder` list 1 name(s), but its body has `{{1}}`, `{{2}}`"
            ),
            ("J002", "the text header of `Reminder` has no `text`"),
            ("J002", "`Reminder` is not a WhatsApp template name"),
            ("J002", "template `Reminder` in `en` is registered twice"),
            ("J002", "`wa1` is not a rule code or prefix"),
            (
                "J002",
                "secret name `api-token` cannot be part of an environment variable"
            ),
        ],
        "{diagnostics:#?}"
    );
    let duplicate = &diagnostics[9];
    assert_eq!(pointed(text, duplicate), "name = \"Reminder\"");
    assert_eq!(duplicate.secondary.len(), 1);
    assert_eq!(
        diagnostics[10].help.as_deref(),
        Some("codes are upper case: `WA1`")
    );
}

#[test]
fn a_misspelt_choice_gets_a_suggestion() {
    let text = "[check]\nfail_on = \"warnings\"\n";
    let (config, diagnostics) = parse(text);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(pointed(text, &diagnostics[0]), "\"warnings\"");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `warning`?")
    );
    assert_eq!(config.check.fail_on, Severity::Error);
}

#[test]
fn no_cut_of_a_file_panics_or_points_outside_it() {
    let scaffolded = scaffold("clinic");
    let texts = [FULL, scaffolded[0].1.as_str()];
    for text in texts {
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let cut = &text[..end];
            for diagnostic in parse(cut).1 {
                assert!(
                    cut.get(diagnostic.span().range()).is_some(),
                    "{cut:?}: {diagnostic:?}"
                );
            }
        }
    }
}

/// The lists forms offer are every value journey.toml can hold, as it writes them.
#[test]
fn every_field_type_and_template_status_is_listed() {
    for name in TemplateStatus::NAMES {
        let (config, diagnostics) = parse(&format!(
            "[[templates]]\nname = \"t\"\nlanguage = \"en\"\ncategory = \"utility\"\nstatus = \"{name}\"\nbody = \"Hi\"\n"
        ));
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        assert_eq!(config.templates.len(), 1, "{name}");
    }
    for kind in FieldType::ALL {
        let choices = if kind == FieldType::Choice {
            "choices = [\"x\"]\n"
        } else {
            ""
        };
        let (config, diagnostics) = parse(&format!("[fields.a]\ntype = \"{kind}\"\n{choices}"));
        assert!(diagnostics.is_empty(), "{kind}: {diagnostics:?}");
        assert_eq!(config.fields["a"].kind, kind);
    }
}

const ASSIGNMENT: &str = r#"
[teams.nurses]
members = ["olu", "nia"]
strategy = "least-busy"
capacity = 2

[queues.nurses]
team = "nurses"
out_of_hours = "Our nurses answer from 8am."
busy = "All our nurses are busy."

[queues.nurses.hours]
days = ["mon", "tue"]
open = "08:00"
close = "17:00"
timezone = "Africa/Johannesburg"
"#;

#[test]
fn teams_and_queues_are_read() {
    let (config, diagnostics) = parse(ASSIGNMENT);
    assert_eq!(diagnostics, []);
    let team = &config.teams["nurses"];
    assert_eq!(team.members, ["olu", "nia"]);
    assert_eq!((team.strategy, team.capacity), (Strategy::LeastBusy, 2));
    let queue = &config.queues["nurses"];
    assert_eq!(queue.team.as_deref(), Some("nurses"));
    let hours = Hours::new(queue.hours.as_ref().unwrap(), "UTC").unwrap();
    // Monday 7 December 2026 at 09:00 in Johannesburg.
    assert!(hours.is_open("2026-12-07T07:00:00Z".parse().unwrap()));
    // Defaults: round-robin, five at once.
    let (config, _) = parse("[teams.desk]\nmembers = [\"olu\"]\n");
    assert_eq!(config.teams["desk"].strategy, Strategy::RoundRobin);
    assert_eq!(config.teams["desk"].capacity, 5);
}

#[test]
fn assignment_mistakes_are_reported_where_they_are_written() {
    let text = r#"
[teams.nurses]
members = []
capacity = 0
strategy = "fastest"

[queues.nurses]
team = "nurse"
busy = "Everyone is busy."

[queues.nurses.hours]
days = ["mon", "thr"]
open = "8am"
close = "17:00"
timezone = "Africa/Joburg"

[queues.counsellors]
out_of_hours = "We are closed."
"#;
    let (_, diagnostics) = parse(text);
    let found: Vec<(&str, &str, Option<&str>)> = diagnostics
        .iter()
        .map(|d| (d.code, pointed(text, d), d.help.as_deref()))
        .collect();
    let expect = [
        ("J002", "\"fastest\"", None),
        (
            "J002",
            "members = []",
            Some("list the people who work it: `members = [\"olu\", \"nia\"]`"),
        ),
        (
            "J002",
            "capacity = 0",
            Some("give each agent room for at least one conversation: `capacity = 1`"),
        ),
        ("J002", "team = \"nurse\"", Some("did you mean `nurses`?")),
        ("J002", "\"thr\"", Some("did you mean `thu`?")),
        (
            "J002",
            "open = \"8am\"",
            Some("write a 24-hour local time as `HH:MM`: `\"08:00\"`, `\"17:30\"`"),
        ),
        (
            "J002",
            "timezone = \"Africa/Joburg\"",
            Some("write an IANA time zone name exactly, e.g. `\"Africa/Johannesburg\"`"),
        ),
    ];
    for (code, at, help) in expect {
        let hit = found
            .iter()
            .find(|(c, p, _)| *c == code && p.starts_with(at))
            .unwrap_or_else(|| panic!("no {code} at `{at}` in {found:#?}"));
        if let Some(help) = help {
            assert_eq!(hit.2, Some(help), "{at}");
        }
    }
    let strategy = diagnostics
        .iter()
        .find(|d| pointed(text, d) == "\"fastest\"")
        .unwrap();
    assert!(
        strategy
            .message
            .contains("expected `round-robin` or `least-busy`"),
        "{}",
        strategy.message
    );
    // The queue without a team, and an out-of-hours message without hours.
    assert!(
        found
            .iter()
            .any(|(c, p, _)| *c == "J002" && p.starts_with("[queues.counsellors]")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, p, _)| *c == "J003" && p.starts_with("out_of_hours")),
        "{found:#?}"
    );
    // Hours without an out-of-hours message.
    let (_, diagnostics) = parse(
        "[teams.t]\nmembers = [\"a\"]\n[queues.q]\nteam = \"t\"\n[queues.q.hours]\ndays = [\"mon\"]\nopen = \"08:00\"\nclose = \"17:00\"\n",
    );
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(diagnostics[0].message.contains("no `out_of_hours` message"));
}
