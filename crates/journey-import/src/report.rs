//! What an import did not convert, what it changed on the way, and what the operator
//! must still provide. Printed by the CLI, or written as JSON (`--report FILE`).

use serde::Serialize;

/// The report of one notebook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The notebook as the user named it.
    pub notebook: String,
    /// The `.journey` file it became.
    pub output: String,
    /// What is not in the journey as Turn meant it, and why.
    pub not_converted: Vec<Note>,
    /// What was rewritten to keep Turn's meaning in journey's terms.
    pub changed: Vec<Note>,
    /// The secrets to set (`secret("NAME")`), taken out of the config dictionary.
    pub secrets: Vec<String>,
}

/// One finding, at a place in the notebook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// A stable word for tools: `unknown-journey-uuid`, `secret`, `precedence`, …
    pub kind: &'static str,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Report {
    /// The human form: the conversion, then one line per note as `FILE:LINE:COL`.
    pub fn render(&self) -> String {
        let mut out = format!("{} -> {}\n", self.notebook, self.output);
        self.section(&mut out, "not converted", &self.not_converted);
        self.section(&mut out, "changed", &self.changed);
        if !self.secrets.is_empty() {
            out.push_str(&format!("  secrets to set: {}\n", self.secrets.join(", ")));
        }
        if self.not_converted.is_empty() && self.changed.is_empty() && self.secrets.is_empty() {
            out.push_str("  converted as it is\n");
        }
        out
    }

    fn section(&self, out: &mut String, title: &str, notes: &[Note]) {
        if notes.is_empty() {
            return;
        }
        out.push_str(&format!("  {title} ({}):\n", notes.len()));
        for note in notes {
            out.push_str(&format!(
                "    {}:{}:{}: [{}] {}\n",
                self.notebook, note.line, note.column, note.kind, note.message
            ));
        }
    }
}
