//! `journey test --update`: the expected lines of failing cases rewritten as they ran,
//! like accepting a snapshot. Actions, checks, comments and passing cases stay as written.

use std::collections::{BTreeMap, BTreeSet};

use crate::report::FileReport;

/// The test file's text with each failing case's expected lines replaced by the lines
/// its run wrote at the same place.
pub fn update(text: &str, report: &FileReport) -> String {
    let mut dropped = BTreeSet::new();
    // Lines to write after the source line with this (1-based) number.
    let mut inserted: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for case in report.cases.iter().filter(|c| !c.passed()) {
        for segment in &case.segments {
            dropped.extend(segment.expected.iter().copied());
            let at = segment
                .expected
                .first()
                .map_or(segment.after, |first| first - 1);
            inserted
                .entry(at)
                .or_default()
                .extend(segment.actual.iter().map(String::as_str));
        }
    }
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if !dropped.contains(&number) {
            out.push_str(line);
        }
        if let Some(lines) = inserted.get(&number) {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            for line in lines {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use journey_model::{ProjectIndex, SourceModule};
    use journey_runtime::Runtime;

    use super::*;

    const MENU: &str = "stack Menu do\n  card Menu do\n    buttons(Tips: \"Tips\", Nurse: \"Nurse\") do\n      text(\"How can we help?\")\n    end\n  end\n\n  card Tips do\n    text(\"Rest well.\")\n  end\n\n  card Nurse do\n    text(\"A nurse will call.\")\n  end\nend\n";

    fn run(test: &str) -> (String, FileReport) {
        let parsed = journey_syntax::parse_journey(journey_diagnostics::FileId(0), MENU);
        let module = SourceModule {
            file: journey_diagnostics::FileId(0),
            default_name: "menu".to_owned(),
            module: &parsed.module,
            text: MENU,
            has_syntax_errors: false,
        };
        let journeys = journey_model::compile(&[module], ProjectIndex::default());
        let config = journey_project::ProjectConfig::default();
        let rt = Runtime::new(&journeys, &config);
        let report = crate::run_file(test, "menu.test", &rt);
        (update(test, &report), report)
    }

    #[test]
    fn failing_cases_get_what_ran_and_passing_cases_stay() {
        let test = "journey: Menu\n\n## tips\n> hi\n< [buttons] How can we help? | 1. Tips | 2. Nurse\n> 1\n< Rest well.\n\n## nurse\n> hi\n< [buttons] Wrong\n# a comment stays\n> 2\n< Wrong too\n? ended\n";
        let (updated, report) = run(test);
        assert_eq!(report.failed(), 1);
        assert_eq!(
            updated,
            "journey: Menu\n\n## tips\n> hi\n< [buttons] How can we help? | 1. Tips | 2. Nurse\n> 1\n< Rest well.\n\n## nurse\n> hi\n< [buttons] How can we help? | 1. Tips | 2. Nurse\n# a comment stays\n> 2\n< A nurse will call.\n* ended\n? ended\n"
        );
        let (again, report) = run(&updated);
        assert_eq!((report.failed(), again), (0, updated));
    }
}
