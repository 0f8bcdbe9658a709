//! Edit operations for the no-code studio (design `studio.md` §1): every gesture on the
//! canvas or in the inspector is an [`EditOp`], applied as the smallest text splice at
//! the spans it touches. Cards an operation does not touch stay byte-identical, comments
//! outside what is removed survive, and new code is laid out as `journey fmt` would,
//! at the file's own indentation.
//!
//! An operation names a file, a journey (its `stack` name, or the file's stem for the
//! file's top-level cards) and a card by name; statements by their definition index
//! (a card's `card X when … do` definitions in file order) and their index in its body.
//! Versions are the caller's business: the host edits the text it holds.
//!
//! Choices a caller should know:
//! - Deleting a card used elsewhere (an exit, a menu option, a timer, an interrupt) is
//!   refused with the list of cards that use it ([`EditError::CardInUse`]), so no edit
//!   leaves a dangling exit behind; the comment lines directly above a deleted card or
//!   definition go with it.
//! - Removing a statement or an option keeps the comments around it.
//! - Values (`set_argument`) are expression source, inserted as written; texts, labels
//!   and translations are plain text that this module quotes and escapes. A text's `@`
//!   personalises (`@contact.name`); `@@` is a literal `@` before a letter.
//! - Every result is parsed before it is returned: an operation that would leave a
//!   syntax error is refused, and a file with syntax errors is not edited.

mod cards;
mod locate;
mod splice;
mod statements;

pub(crate) use splice::quote_like;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Analysis, TextEdit};

/// Where a statement is: a card's definition (0 for a card defined once) and the
/// statement's index in its body; `inner` is an index into the `do … end` body of that
/// statement (the `text(…)` of a `buttons(…) do … end` menu).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementAt {
    pub journey: String,
    pub card: String,
    #[serde(default)]
    pub definition: usize,
    pub statement: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<usize>,
}

/// A call's argument: by position among the positional ones, or by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgKey {
    Position(usize),
    Name(String),
}

/// An exit of a card that can be pointed at another card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exit {
    /// The card's `then:` (where it continues after its last statement).
    Next {
        journey: String,
        card: String,
        #[serde(default)]
        definition: usize,
    },
    /// Option `index` of a `buttons`/`list` menu or a template's `buttons: [...]`.
    Option { at: StatementAt, index: usize },
    /// A `then(Card)` or `then(Card when …)` statement.
    Branch { at: StatementAt },
    /// `on_timeout:` of a question, a menu or a handoff.
    Timeout { at: StatementAt },
    /// `on_invalid:` of a question or a menu.
    Invalid { at: StatementAt },
    /// `on_error:` of an HTTP call.
    Error { at: StatementAt },
    /// `on_return:` of a handoff.
    Return { at: StatementAt },
    /// The card a `schedule(Card, in: …)` timer starts.
    Timer { at: StatementAt },
    /// `then:` of the journey's interrupt number `index` (`interrupt(keywords: …)`).
    Interrupt { journey: String, index: usize },
}

/// One studio gesture. JSON: `{"op": "add_card", "file": "a.journey", …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EditOp {
    /// A new card after `after`'s last definition, or last in the journey; `body` is
    /// statement source (any number of lines), printed in the canonical layout.
    AddCard {
        file: String,
        journey: String,
        name: String,
        #[serde(default)]
        after: Option<String>,
        #[serde(default)]
        body: Option<String>,
    },
    /// Renames a card and every reference to it (exits, options, timers, interrupts).
    RenameCard {
        file: String,
        journey: String,
        card: String,
        new_name: String,
    },
    /// Renames a `stack` and every sub-journey call to it, in every file.
    RenameJourney {
        file: String,
        journey: String,
        new_name: String,
    },
    /// Removes every definition of a card; refused while other cards use it.
    DeleteCard {
        file: String,
        journey: String,
        card: String,
    },
    /// A copy of every definition of a card, under a new name, right after it.
    DuplicateCard {
        file: String,
        journey: String,
        card: String,
        new_name: String,
    },
    /// A guarded definition `card X when guard do … end`, at definition `index`
    /// (by default before the card's unguarded definition, else last).
    AddDefinition {
        file: String,
        journey: String,
        card: String,
        guard: String,
        #[serde(default)]
        index: Option<usize>,
        #[serde(default)]
        body: Option<String>,
    },
    /// Removes one definition of a card defined more than once.
    RemoveDefinition {
        file: String,
        journey: String,
        card: String,
        definition: usize,
    },
    /// Inserts one statement (source) so that it becomes statement `at`.
    AddStatement {
        file: String,
        at: StatementAt,
        source: String,
    },
    RemoveStatement {
        file: String,
        at: StatementAt,
    },
    /// Sets an argument of the statement's call to `value` (expression source): replaces
    /// it, or adds it (a named one last; a positional one after the positional ones).
    SetArgument {
        file: String,
        at: StatementAt,
        arg: ArgKey,
        value: String,
    },
    /// Removes an argument and its comma.
    ClearArgument {
        file: String,
        at: StatementAt,
        arg: ArgKey,
    },
    /// Sets the first positional argument (a message's text, a list's button text) to a
    /// string of this plain text.
    SetText {
        file: String,
        at: StatementAt,
        text: String,
    },
    /// Sets (`Some`) or removes (`None`) a message's variant in a language (`pt:`).
    SetTranslation {
        file: String,
        at: StatementAt,
        language: String,
        text: Option<String>,
    },
    /// A menu option leading to `card`, at `index` (default last). `label` is the title
    /// of a `Card: "Label"` option (default: the card's name); a menu of cards
    /// (`buttons([A, B])`) takes none.
    AddOption {
        file: String,
        at: StatementAt,
        card: String,
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        index: Option<usize>,
    },
    RemoveOption {
        file: String,
        at: StatementAt,
        index: usize,
    },
    /// The title of a `Card: "Label"` option.
    SetOptionLabel {
        file: String,
        at: StatementAt,
        index: usize,
        label: String,
    },
    /// Moves option `from` to position `to`; the others keep their order.
    MoveOption {
        file: String,
        at: StatementAt,
        from: usize,
        to: usize,
    },
    /// Points an exit at a card; `None` removes a named exit (`then:`, `on_timeout:`…).
    ConnectExit {
        file: String,
        exit: Exit,
        target: Option<String>,
    },
}

impl EditOp {
    /// The file the operation edits (a journey rename may edit others too).
    pub fn file(&self) -> &str {
        match self {
            EditOp::AddCard { file, .. }
            | EditOp::RenameCard { file, .. }
            | EditOp::RenameJourney { file, .. }
            | EditOp::DeleteCard { file, .. }
            | EditOp::DuplicateCard { file, .. }
            | EditOp::AddDefinition { file, .. }
            | EditOp::RemoveDefinition { file, .. }
            | EditOp::AddStatement { file, .. }
            | EditOp::RemoveStatement { file, .. }
            | EditOp::SetArgument { file, .. }
            | EditOp::ClearArgument { file, .. }
            | EditOp::SetText { file, .. }
            | EditOp::SetTranslation { file, .. }
            | EditOp::AddOption { file, .. }
            | EditOp::RemoveOption { file, .. }
            | EditOp::SetOptionLabel { file, .. }
            | EditOp::MoveOption { file, .. }
            | EditOp::ConnectExit { file, .. } => file,
        }
    }
}

/// The text edits of one operation, sorted by file and offset; edits of one file do
/// not overlap and apply to its text as the host holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceChange {
    pub edits: Vec<TextEdit>,
}

impl SourceChange {
    /// The files it changes, in order.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.edits.iter().map(|e| e.path.as_str()).collect();
        paths.dedup();
        paths
    }

    /// `text` (the file at `path`) with this change's edits of that file applied.
    pub fn apply(&self, path: &str, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for edit in self.edits.iter().filter(|e| e.path == path) {
            out.push_str(&text[at..edit.span.start as usize]);
            out.push_str(&edit.new_text);
            at = edit.span.end as usize;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Why an operation was not applied, in words for the people building the journey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    NoSuchFile {
        file: String,
    },
    NotAJourneyFile {
        file: String,
    },
    SyntaxErrors {
        file: String,
    },
    NoSuchJourney {
        journey: String,
    },
    /// The file defines two journeys of this name: which one is meant is unclear.
    TwoJourneys {
        journey: String,
    },
    /// Only a `stack Name do … end` journey can be renamed; a file's top-level cards
    /// are named by the file.
    NamedByFile {
        journey: String,
    },
    JourneyExists {
        journey: String,
    },
    NoSuchCard {
        card: String,
    },
    CardExists {
        card: String,
    },
    NotAName {
        name: String,
    },
    /// The card is still the target of exits of these cards (or "the journey's
    /// interrupts").
    CardInUse {
        card: String,
        used_by: Vec<String>,
    },
    NoSuchDefinition {
        card: String,
        definition: usize,
    },
    OnlyDefinition {
        card: String,
    },
    NoSuchStatement {
        card: String,
        statement: usize,
    },
    /// The statement is not the kind the operation needs (`what`: "a call", "a menu"…).
    WrongStatement {
        card: String,
        statement: usize,
        what: &'static str,
    },
    NoSuchArgument {
        card: String,
        statement: usize,
        arg: String,
    },
    NoSuchOption {
        card: String,
        index: usize,
    },
    OptionExists {
        card: String,
    },
    /// The operation does not fit this place (a computed menu, an exit that always
    /// leads somewhere); `reason` says what to do instead.
    Refused {
        reason: &'static str,
    },
    BadValue {
        source: String,
        reason: String,
    },
    /// Statement source (a card's body, a new statement) that cannot be added.
    BadCode {
        source: String,
        reason: String,
    },
    NotALanguage {
        language: String,
    },
    NoTranslations {
        function: String,
    },
    /// The code around the place is written in a way an edit cannot keep tidy.
    Layout {
        card: String,
    },
    /// The result would not parse; nothing was changed (a bug: please report it).
    Unsafe {
        reason: String,
    },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NoSuchFile { file } => {
                write!(f, "There is no file called {file} in this project.")
            }
            EditError::NotAJourneyFile { file } => write!(f, "{file} is not a journey file."),
            EditError::SyntaxErrors { file } => write!(
                f,
                "{file} has mistakes in its code; fix them in the code view first, then try again."
            ),
            EditError::NoSuchJourney { journey } => {
                write!(f, "There is no journey called {journey} in this file.")
            }
            EditError::TwoJourneys { journey } => write!(
                f,
                "This file has two journeys called {journey}; rename one in the code view first."
            ),
            EditError::NamedByFile { journey } => write!(
                f,
                "The journey {journey} is named by its file; rename the file instead."
            ),
            EditError::JourneyExists { journey } => {
                write!(f, "A journey called {journey} already exists.")
            }
            EditError::NoSuchCard { card } => {
                write!(f, "There is no card called {card} in this journey.")
            }
            EditError::CardExists { card } => write!(f, "A card called {card} already exists."),
            EditError::NotAName { name } => write!(
                f,
                "\"{name}\" cannot be used as a name: use letters, digits and _, starting with a letter."
            ),
            EditError::CardInUse { card, used_by } => write!(
                f,
                "The card {card} is still used by {}; point those at another card first.",
                list(used_by)
            ),
            EditError::NoSuchDefinition { card, definition } => write!(
                f,
                "The card {card} has no version number {}.",
                definition + 1
            ),
            EditError::OnlyDefinition { card } => write!(
                f,
                "This is the only version of the card {card}; delete the card instead."
            ),
            EditError::NoSuchStatement { card, statement } => {
                write!(f, "The card {card} has no step number {}.", statement + 1)
            }
            EditError::WrongStatement {
                card,
                statement,
                what,
            } => write!(
                f,
                "Step {} of the card {card} is not {what}.",
                statement + 1
            ),
            EditError::NoSuchArgument {
                card,
                statement,
                arg,
            } => write!(
                f,
                "Step {} of the card {card} has no setting {arg}.",
                statement + 1
            ),
            EditError::NoSuchOption { card, index } => {
                write!(
                    f,
                    "This menu in the card {card} has no option number {}.",
                    index + 1
                )
            }
            EditError::OptionExists { card } => {
                write!(f, "This menu already has an option that goes to {card}.")
            }
            EditError::Refused { reason } => write!(f, "{reason}"),
            EditError::BadValue { source, reason } => {
                write!(f, "\"{source}\" is not a value this step can use: {reason}")
            }
            EditError::BadCode { source, reason } => {
                write!(f, "This cannot be added: {reason}.\n{source}")
            }
            EditError::NotALanguage { language } => {
                write!(
                    f,
                    "\"{language}\" is not a language code (like pt or pt_BR)."
                )
            }
            EditError::NoTranslations { function } => {
                write!(f, "A {function} step has no translations.")
            }
            EditError::Layout { card } => write!(
                f,
                "The card {card} is written in a way this change cannot keep tidy; make it in the code view, or run journey fmt first."
            ),
            EditError::Unsafe { reason } => write!(
                f,
                "This change was not made because it would break the file ({reason}). Please report this."
            ),
        }
    }
}

impl std::error::Error for EditError {}

/// `{"error": "plain words", "used_by": [...]?}`, as the studio's API answers.
impl Serialize for EditError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("error", &self.to_string())?;
        if let EditError::CardInUse { used_by, .. } = self {
            map.serialize_entry("used_by", used_by)?;
        }
        map.end()
    }
}

/// "A", "A and B", "A, B and C".
fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Analysis<'_> {
    /// Applies an edit operation to the host's text; the caller applies the returned
    /// edits (`SourceChange::apply`) and sets the new text.
    pub fn edit(self, op: &EditOp) -> Result<SourceChange, EditError> {
        let doc = locate::Doc::open(self, op.file())?;
        match op {
            EditOp::AddCard {
                journey,
                name,
                after,
                body,
                ..
            } => cards::add(&doc, journey, name, after.as_deref(), body.as_deref()),
            EditOp::RenameCard {
                journey,
                card,
                new_name,
                ..
            } => cards::rename(self, &doc, journey, card, new_name),
            EditOp::RenameJourney {
                journey, new_name, ..
            } => cards::rename_journey(self, &doc, journey, new_name),
            EditOp::DeleteCard { journey, card, .. } => cards::delete(self, &doc, journey, card),
            EditOp::DuplicateCard {
                journey,
                card,
                new_name,
                ..
            } => cards::duplicate(&doc, journey, card, new_name),
            EditOp::AddDefinition {
                journey,
                card,
                guard,
                index,
                body,
                ..
            } => cards::add_definition(&doc, journey, card, guard, *index, body.as_deref()),
            EditOp::RemoveDefinition {
                journey,
                card,
                definition,
                ..
            } => cards::remove_definition(&doc, journey, card, *definition),
            EditOp::AddStatement { at, source, .. } => statements::add(&doc, at, source),
            EditOp::RemoveStatement { at, .. } => statements::remove(&doc, at),
            EditOp::SetArgument { at, arg, value, .. } => {
                statements::set_argument(&doc, at, arg, value)
            }
            EditOp::ClearArgument { at, arg, .. } => statements::clear_argument(&doc, at, arg),
            EditOp::SetText { at, text, .. } => statements::set_text(&doc, at, text),
            EditOp::SetTranslation {
                at, language, text, ..
            } => statements::set_translation(&doc, at, language, text.as_deref()),
            EditOp::AddOption {
                at,
                card,
                label,
                index,
                ..
            } => statements::add_option(&doc, at, card, label.as_deref(), *index),
            EditOp::RemoveOption { at, index, .. } => statements::remove_option(&doc, at, *index),
            EditOp::SetOptionLabel {
                at, index, label, ..
            } => statements::set_option_label(&doc, at, *index, label),
            EditOp::MoveOption { at, from, to, .. } => {
                statements::move_option(&doc, at, *from, *to)
            }
            EditOp::ConnectExit { exit, target, .. } => {
                statements::connect(&doc, exit, target.as_deref())
            }
        }
    }
}

#[cfg(test)]
mod tests;
