//! `config(…)` and `table(…)`: the journey-level form of a Turn notebook's dictionary
//! and table cells, read as `config.items.<key>` and `<name>.rows`.

use journey_diagnostics::FileId;
use journey_model::{CompiledJourney, Issue, ProjectIndex, SourceModule, compile};

fn compile_text(text: &str) -> CompiledJourney {
    let parsed = journey_syntax::parse_journey(FileId(0), text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let source = SourceModule {
        file: FileId(0),
        default_name: "data".to_owned(),
        module: &parsed.module,
        text,
        has_syntax_errors: false,
    };
    compile(&[source], ProjectIndex::default())
        .pop()
        .expect("one journey")
}

#[test]
fn config_and_table_settings_fill_the_journey_data() {
    let journey = compile_text(
        r#"config(assessment_tag: "dma_form", page_id: "651")
table("quizzes", columns: ["name", "tag"], rows: [["STIs", "quiz_stis"], ["Consent", "quiz_consent"]])

card Start do
  text("@config.items.assessment_tag @quizzes.rows[0].tag")
end
"#,
    );
    assert!(journey.issues.is_empty(), "{:?}", journey.issues);
    assert_eq!(journey.config["assessment_tag"], "dma_form");
    assert_eq!(journey.config["page_id"], "651");
    let rows = &journey.tables["quizzes"];
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["name"], "Consent");
    assert_eq!(rows[1]["tag"], "quiz_consent");
}

#[test]
fn data_settings_that_are_not_plain_text_are_reported() {
    let journey = compile_text(
        r#"config(tag: contact.name)
table("quizzes", columns: ["name"])

card Start do
  text("hi")
end
"#,
    );
    let messages: Vec<&str> = journey
        .issues
        .iter()
        .filter_map(|issue| match issue {
            Issue::BadArguments { function, .. } => Some(function.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(messages, ["config", "table"]);
    assert!(journey.config.is_empty() && journey.tables.is_empty());
}
