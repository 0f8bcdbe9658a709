//! The API's shapes that several routes share: `Diagnostic` and `Change` (API.md).

use journey_analysis::Analysis;
use journey_diagnostics::{Diagnostic, Severity};
use serde_json::{Value, json};

use crate::workspace::{Revision, Workspace};

/// Every diagnostic of the project, as the API shows them.
pub(crate) fn diagnostics(analysis: Analysis<'_>) -> Vec<Value> {
    analysis
        .diagnostics()
        .iter()
        .map(|d| diagnostic(analysis, d))
        .collect()
}

fn diagnostic(analysis: Analysis<'_>, d: &Diagnostic) -> Value {
    let file = analysis.sources().get(d.file());
    let span = d.span();
    let at = file.line_col(span.start as usize);
    let fixes: Vec<Value> = analysis
        .code_actions(&file.name, span.start as usize)
        .into_iter()
        .filter(|action| action.code == d.code)
        .map(|action| {
            json!({
                "title": action.title,
                "edits": action.edits.iter().map(|e| json!({
                    "path": e.path,
                    "start": e.span.start,
                    "end": e.span.end,
                    "text": e.new_text,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out = json!({
        "code": d.code,
        "severity": severity(d.severity),
        "message": d.message,
        "path": file.name,
        "start": span.start,
        "end": span.end,
        "line": at.line,
        "column": at.column,
        "notes": d.notes,
        "fixes": fixes,
    });
    if let Some(help) = &d.help {
        out["help"] = json!(help);
    }
    if let Some((journey, card)) = journey_analysis::outline::card_at(analysis, d.file(), span) {
        out["card"] = json!({"journey": journey, "card": card});
    }
    out
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// A change as the API answers it: the files it touched, every diagnostic after it,
/// and the cards whose text it changed.
pub(crate) fn change(workspace: &Workspace, revision: &Revision) -> Value {
    let analysis = workspace.host().analysis();
    let files: Vec<Value> = revision
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "version": workspace.version_of(&f.path),
                "text": workspace.text(&f.path),
            })
        })
        .collect();
    let cards: Vec<Value> = revision
        .files
        .iter()
        .flat_map(|f| {
            journey_analysis::outline::cards_changed(
                &f.path,
                f.before.as_deref(),
                f.after.as_deref(),
            )
        })
        .map(|(journey, card)| json!({"journey": journey, "card": card}))
        .collect();
    json!({
        "files": files,
        "diagnostics": diagnostics(analysis),
        "cards_changed": cards,
    })
}
