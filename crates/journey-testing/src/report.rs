//! What running a test file found, and how it reads: `PASS`/`FAIL` per case, and for a
//! failure the transcript diff and the checks that did not hold.

use std::fmt::Write;

use similar::TextDiff;

use crate::transcript::Line;

#[derive(Debug)]
pub struct FileReport {
    pub file: String,
    /// `file:line: message` for each line that could not be read; no case ran then.
    pub errors: Vec<String>,
    pub cases: Vec<CaseReport>,
}

#[derive(Debug)]
pub struct CaseReport {
    pub name: String,
    pub line: usize,
    /// What went wrong, ready to print; `None` when the case passed.
    pub failure: Option<String>,
    /// The case's expected lines and what happened instead, for `journey test --update`.
    pub segments: Vec<Segment>,
}

/// The expected lines written after one action (or after the `##` line), and the lines
/// that followed the action when it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The source line of the action (or of the case's `##` line).
    pub after: usize,
    /// The source lines of the expected (`<`, `*`) lines of this segment.
    pub expected: Vec<usize>,
    /// What the run wrote here, as `.test` lines.
    pub actual: Vec<String>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// `PASS file:line: case` or `FAIL file:line: case` per case, each failure indented
    /// below; the line is the case's `##` line, so editors can jump to it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for case in &self.cases {
            let verdict = if case.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "{verdict} {}:{}: {}", self.file, case.line, case.name);
            if let Some(failure) = &case.failure {
                for line in failure.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        out
    }
}

/// The failure of a case, from its transcripts and the checks that failed; `None`
/// when the transcripts match and every check held.
pub(crate) fn failure(expected: &[Line], actual: &[Line], checks: &[String]) -> Option<String> {
    let same =
        expected.len() == actual.len() && expected.iter().zip(actual).all(|(e, a)| e.matches(a));
    if same && checks.is_empty() {
        return None;
    }
    let mut out = String::new();
    if !same {
        out.push_str(&diff(expected, actual));
    }
    for check in checks {
        out.push_str(check);
        out.push('\n');
    }
    Some(out)
}

/// A unified diff, where an expected line ending in `...` counts as the actual line it
/// matches, so that only real differences show.
fn diff(expected: &[Line], actual: &[Line]) -> String {
    let mut cursor = 0;
    let expected: Vec<String> = expected
        .iter()
        .map(|line| {
            match actual[cursor.min(actual.len())..]
                .iter()
                .position(|a| line.matches(a))
            {
                Some(offset) => {
                    cursor += offset + 1;
                    actual[cursor - 1].to_string()
                }
                None => line.to_string(),
            }
        })
        .collect();
    let actual: Vec<String> = actual.iter().map(Line::to_string).collect();
    let (expected, actual) = (lines(&expected), lines(&actual));
    TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

fn lines(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::Kind;

    fn bot(text: &str) -> Line {
        Line::new(Kind::Bot, text)
    }

    #[test]
    fn wildcards_hide_in_the_diff() {
        let expected = [
            Line::new(Kind::Contact, "hi"),
            bot("Hello ..."),
            bot("Pick one"),
        ];
        let actual = [
            Line::new(Kind::Contact, "hi"),
            bot("Hello Thandi"),
            bot("Pick two"),
        ];
        let failure = failure(&expected, &actual, &[]).unwrap();
        assert_eq!(
            failure,
            "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n > hi\n < Hello Thandi\n-< Pick one\n+< Pick two\n"
        );
        assert!(super::failure(&expected[..2], &actual[..2], &[]).is_none());
    }

    #[test]
    fn checks_follow_the_diff() {
        let failure = failure(
            &[],
            &[],
            &["x.test:3: ? ended\n    found: waiting".to_owned()],
        )
        .unwrap();
        assert_eq!(failure, "x.test:3: ? ended\n    found: waiting\n");
    }

    #[test]
    fn renders_verdicts_with_failures_indented() {
        let report = FileReport {
            file: "menu.test".to_owned(),
            errors: Vec::new(),
            cases: vec![
                CaseReport {
                    name: "tips".to_owned(),
                    line: 3,
                    failure: None,
                    segments: Vec::new(),
                },
                CaseReport {
                    name: "nurse".to_owned(),
                    line: 9,
                    failure: Some("one\ntwo\n".to_owned()),
                    segments: Vec::new(),
                },
            ],
        };
        assert_eq!(
            report.render(),
            "PASS menu.test:3: tips\nFAIL menu.test:9: nurse\n    one\n    two\n"
        );
        assert_eq!((report.passed(), report.failed()), (1, 1));
    }
}
