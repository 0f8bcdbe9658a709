//! Rule documentation generated from the registry: `journey rule CODE` prints one
//! page, and `docs/rules/` holds them all (a test fails when they are stale).

use crate::registry::{COVERED, RULES};
use crate::rule::Rule;

/// The Markdown page of one rule.
pub fn page(rule: &Rule) -> String {
    let how = if rule.check.is_some() {
        ""
    } else {
        "\nReported while reading files, before the other rules run.\n"
    };
    format!(
        "# {code} `{name}`\n\n{summary}\n\nDefault severity: **{severity}**.\n{how}\n{doc}",
        code = rule.code,
        name = rule.name,
        summary = rule.summary,
        severity = rule.default_severity.as_str(),
        doc = rule.doc,
    )
}

/// The index page: the code table.
pub fn index() -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated from the rule registry (`crates/journey-check/src/registry.rs`); do not edit.\n\
         Run `journey rule CODE` for one page.\n\n| Code | Name | Severity | Summary |\n|---|---|---|---|\n",
    );
    for rule in RULES {
        out.push_str(&format!(
            "| [{code}]({code}.md) | `{name}` | {severity} | {summary} |\n",
            code = rule.code,
            name = rule.name,
            severity = rule.default_severity.as_str(),
            summary = rule.summary,
        ));
    }
    out.push_str(
        "\n## Catalogue codes checked by another rule\n\n\
         These codes of the WhatsApp rule catalogue are not rules of their own: the rule\n\
         named checks what they describe. `journey rule CODE` shows that rule's page.\n\n\
         | Code | Name | Checked by | How |\n|---|---|---|---|\n",
    );
    for covered in COVERED {
        out.push_str(&format!(
            "| {code} | `{name}` | [{by}]({by}.md) | {how} |\n",
            code = covered.code,
            name = covered.name,
            by = covered.by,
            how = covered.how,
        ));
    }
    out
}

/// Every file of `docs/rules/`: (file name, contents).
pub fn all_pages() -> Vec<(String, String)> {
    std::iter::once(("README.md".to_owned(), index()))
        .chain(RULES.iter().map(|r| (format!("{}.md", r.code), page(r))))
        .collect()
}
