//! Inline suppressions: `# allow(WA430): the tips are read as one` on the line of a
//! finding, or alone on the line above it. A suppression must say why; one without a
//! reason (J005) suppresses nothing, and one that allows nothing (J006) is reported so
//! that stale ones do not pile up.

use journey_diagnostics::{Diagnostic, FileId, Severity, SourceFile, SourceMap, Span};
use journey_project::ProjectConfig;

pub const SUPPRESSION_WITHOUT_REASON: &str = "J005";
pub const UNUSED_SUPPRESSION: &str = "J006";

/// One `# allow(...)` comment.
#[derive(Debug, PartialEq)]
struct Allow {
    /// The line (0-based) whose findings it allows.
    line: usize,
    /// The codes, each with its span.
    codes: Vec<(String, Span)>,
    reason: Option<String>,
    span: Span,
}

/// Drops the findings of `files` that an `allow` comment covers, and adds J005/J006
/// findings about the comments themselves.
pub fn suppress(
    diagnostics: Vec<Diagnostic>,
    files: &[FileId],
    sources: &SourceMap,
    config: &ProjectConfig,
) -> Vec<Diagnostic> {
    let allows: Vec<(FileId, Vec<Allow>)> = files
        .iter()
        .map(|&file| (file, allows(sources.get(file))))
        .filter(|(_, allows)| !allows.is_empty())
        .collect();
    if allows.is_empty() {
        return diagnostics;
    }
    let mut used = std::collections::HashSet::new();
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            let file = d.primary.file;
            let Some((_, list)) = allows.iter().find(|(f, _)| *f == file) else {
                return true;
            };
            let line = sources.get(file).line_index(d.primary.span.start as usize);
            let allowed = list.iter().enumerate().find_map(|(i, allow)| {
                let j = allow.codes.iter().position(|(code, _)| code == d.code)?;
                (allow.line == line && allow.reason.is_some()).then_some((i, j))
            });
            match allowed {
                Some((i, j)) => {
                    used.insert((file, i, j));
                    false
                }
                None => true,
            }
        })
        .collect();
    for (file, list) in &allows {
        for (i, allow) in list.iter().enumerate() {
            if allow.reason.is_none() {
                kept.push(
                    Diagnostic::new(
                        SUPPRESSION_WITHOUT_REASON,
                        Severity::Error,
                        *file,
                        allow.span,
                        "this suppression does not say why",
                    )
                    .with_label("no reason given")
                    .with_help("write the reason after a colon: `# allow(WA430): the tips are read as one message`"),
                );
                continue;
            }
            for (j, (code, span)) in allow.codes.iter().enumerate() {
                if used.contains(&(*file, i, j)) {
                    continue;
                }
                if let Some(unused) = unused(code, *file, *span, config) {
                    kept.push(unused);
                }
            }
        }
    }
    kept.into_iter()
        .filter_map(|mut d| {
            if matches!(d.code, SUPPRESSION_WITHOUT_REASON | UNUSED_SUPPRESSION) {
                d.severity = config.check.severity_for(d.code, d.severity)?;
            }
            Some(d)
        })
        .collect()
}

/// J006 for a code that allowed nothing; `None` when its rule is off (nothing to allow
/// then, but the comment is not stale).
fn unused(code: &str, file: FileId, span: Span, config: &ProjectConfig) -> Option<Diagnostic> {
    let diagnostic = match crate::rule(code) {
        Some(rule) => {
            config
                .check
                .severity_for(rule.code, rule.default_severity)?;
            Diagnostic::new(
                UNUSED_SUPPRESSION,
                Severity::Warning,
                file,
                span,
                format!("nothing to allow: there is no {code} finding on this line"),
            )
            .with_label("unused")
            .with_help("delete the suppression, or move it to the line of the finding")
        }
        None => {
            let known = crate::RULES.iter().map(|r| r.code);
            let hint = journey_model::suggest(code, known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Diagnostic::new(
                UNUSED_SUPPRESSION,
                Severity::Warning,
                file,
                span,
                format!("`{code}` is not a rule{hint}"),
            )
            .with_label("unknown code")
            .with_help("`journey rule` lists the codes")
        }
    };
    Some(diagnostic)
}

/// The `# allow(...)` comments of a file. In a Turn notebook only the code cells count.
fn allows(file: &SourceFile) -> Vec<Allow> {
    let notebook = file.name.ends_with(".md");
    let mut in_cell = !notebook;
    let mut in_long_string = false;
    let mut found = Vec::new();
    let mut pending: Vec<Allow> = Vec::new();
    let starts = file.line_starts();
    for (line, &start) in starts.iter().enumerate() {
        let end = starts.get(line + 1).copied().unwrap_or(file.text.len());
        let text = file.text[start..end].trim_end_matches(['\n', '\r']);
        if notebook && text.trim_start().starts_with("```") {
            in_cell = !in_cell;
            continue;
        }
        if !in_cell {
            continue;
        }
        let comment = comment_start(text, &mut in_long_string);
        let code_before = text[..comment.unwrap_or(text.len())].trim();
        if code_before.is_empty() && comment.is_none() {
            // A blank line ends the comment block that an allow above it was part of.
            if text.trim().is_empty() {
                pending.clear();
            }
            continue;
        }
        let parsed = comment.and_then(|at| parse(&text[at..], start + at));
        if !code_before.is_empty() {
            // Comments above apply here, as does a trailing one.
            for mut allow in pending.drain(..) {
                allow.line = line;
                found.push(allow);
            }
            if let Some(mut allow) = parsed {
                allow.line = line;
                found.push(allow);
            }
        } else if let Some(allow) = parsed {
            pending.push(allow);
        }
    }
    found
}

/// Where the comment of a line starts, outside strings; tracks `"""` strings across lines.
fn comment_start(text: &str, in_long_string: &mut bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\"\"\"") && !in_string {
            *in_long_string = !*in_long_string;
            i += 3;
            continue;
        }
        match bytes[i] {
            _ if *in_long_string => {}
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'#' if !in_string => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `# allow(WA430, J301): reason`, from the `#`; `offset` is its position in the file.
fn parse(comment: &str, offset: usize) -> Option<Allow> {
    let body = comment.trim_start_matches('#');
    let lead = comment.len() - body.len() + (body.len() - body.trim_start().len());
    let rest = body.trim_start().strip_prefix("allow(")?;
    let close = rest.find(')')?;
    let list_at = offset + lead + "allow(".len();
    let mut codes = Vec::new();
    let mut at = 0;
    for part in rest[..close].split(',') {
        let trimmed = part.trim();
        let skip = part.len() - part.trim_start().len();
        if !trimmed.is_empty() {
            let start = list_at + at + skip;
            codes.push((
                trimmed.to_uppercase(),
                Span::new(start, start + trimmed.len()),
            ));
        }
        at += part.len() + 1;
    }
    let reason = rest[close + 1..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    Some(Allow {
        line: 0,
        codes,
        reason,
        span: Span::new(offset, offset + comment.trim_end().len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows_in(text: &str) -> Vec<(usize, Vec<String>, Option<String>)> {
        allows(&SourceFile::new("x.journey", text))
            .into_iter()
            .map(|a| {
                (
                    a.line,
                    a.codes.into_iter().map(|(c, _)| c).collect(),
                    a.reason,
                )
            })
            .collect()
    }

    #[test]
    fn a_comment_above_or_after_allows_that_line() {
        let text = "card A do\n  # allow(WA430): read as one\n  text(\"x\")\n  text(\"y\") # allow(j301, WA421): fine\nend\n";
        assert_eq!(
            allows_in(text),
            [
                (2, vec!["WA430".to_owned()], Some("read as one".to_owned())),
                (
                    3,
                    vec!["J301".to_owned(), "WA421".to_owned()],
                    Some("fine".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn hashes_in_strings_are_not_comments() {
        let text = "text(\"# allow(WA430): no\")\ntext(\"\"\"\n# allow(WA430): no\n\"\"\")\n";
        assert_eq!(allows_in(text), []);
    }

    #[test]
    fn a_missing_reason_is_kept_as_none() {
        assert_eq!(
            allows_in("# allow(WA430)\ntext(\"x\")\n"),
            [(1, vec!["WA430".to_owned()], None)]
        );
        assert_eq!(
            allows_in("# allow(WA430):   \ntext(\"x\")\n"),
            [(1, vec!["WA430".to_owned()], None)]
        );
    }

    #[test]
    fn a_blank_line_detaches_a_comment() {
        assert_eq!(allows_in("# allow(WA430): x\n\ntext(\"x\")\n"), []);
    }

    #[test]
    fn in_a_notebook_only_code_cells_count() {
        let text = "# allow(WA430): prose\n\n```stack\n# allow(WA430): code\ncard A do\nend\n```\n";
        let found = allows(&SourceFile::new("n.md", text));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 4);
    }
}
