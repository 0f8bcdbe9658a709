//! The catalogue of built-in functions: the one place that says which names exist,
//! what arguments they take (named, and of which kind) and, for a statement, how it
//! is lowered into a typed step. Lowering resolves calls against it; the checker, the
//! evaluator and completions read it too.

use crate::lower::{self, LowerFn};

/// Where a function may be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A step of a card: sends, waits, effects (`text`, `buttons`, `update_contact`).
    Statement,
    /// A value: usable in any expression (`upper`, `has_phrase`, `now`).
    Expression,
    /// A journey-level item (`trigger`, `interrupt`, `interaction_timeout`).
    Setting,
}

/// What an argument is: how lowering reads it, and what the reference says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Any value, evaluated when the step runs.
    Value,
    /// A text (`"Hi @contact.name"`), evaluated when the step runs.
    Text,
    /// A number of seconds: `2h`, `300`.
    Duration,
    /// A whole number.
    Count,
    /// `true` or `false`.
    Bool,
    /// A date-time.
    DateTime,
    /// A list.
    List,
    /// `[["name", "value"], …]`.
    Pairs,
    /// A card of this journey, resolved when compiled, never evaluated: an exit.
    Card,
    /// A list of cards: `[Visit, Tips]`.
    Cards,
    /// A journey of the project, by name.
    Journey,
    /// A card of this journey, else a journey.
    Target,
}

impl ArgKind {
    pub fn name(self) -> &'static str {
        match self {
            ArgKind::Value => "value",
            ArgKind::Text => "text",
            ArgKind::Duration => "duration",
            ArgKind::Count => "number",
            ArgKind::Bool => "boolean",
            ArgKind::DateTime => "date-time",
            ArgKind::List => "list",
            ArgKind::Pairs => "pairs",
            ArgKind::Card => "card",
            ArgKind::Cards => "cards",
            ArgKind::Journey => "journey",
            ArgKind::Target => "card or journey",
        }
    }
}

/// One argument of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ArgKind,
}

/// `params![url: Text, key: Value]`: a list of parameters.
macro_rules! params {
    ($($name:tt: $kind:ident),* $(,)?) => {
        &[$(Param { name: stringify!($name), kind: ArgKind::$kind }),*]
    };
}

#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub kind: Kind,
    /// Positional arguments: at least `min`, at most `max` (`None`: any number).
    pub min: usize,
    pub max: Option<usize>,
    /// A statement's positional arguments, named for people (`max` of them).
    pub params: &'static [Param],
    /// Named arguments it accepts.
    pub named: &'static [Param],
    /// Named arguments may also be language codes (`pt: "Olá"`): translations.
    pub translations: bool,
    /// Accepts any named argument (`update_contact(field: value)`).
    pub open_named: bool,
    /// A statement that takes a `do … end` body (`buttons`, `list`).
    pub body: bool,
    /// A statement whose result a variable can keep (`x = ask(…)`).
    pub value: bool,
    /// A statement's lowering into a typed step (`None` for values and settings).
    pub(crate) lower: Option<LowerFn>,
    pub summary: &'static str,
}

impl Builtin {
    /// The named argument `name`, when the signature has it.
    pub fn named_param(&self, name: &str) -> Option<&'static Param> {
        self.named.iter().find(|p| p.name == name)
    }

    /// Does the call accept `name:`? Its own arguments, any name when open, and
    /// translations.
    pub fn accepts(&self, name: &str) -> bool {
        self.named_param(name).is_some()
            || self.open_named
            || (self.translations && is_language_code(name))
    }

    const fn translated(self) -> Builtin {
        Builtin {
            translations: true,
            ..self
        }
    }

    const fn open(self) -> Builtin {
        Builtin {
            open_named: true,
            ..self
        }
    }

    const fn with_body(self) -> Builtin {
        Builtin { body: true, ..self }
    }

    const fn valued(self) -> Builtin {
        Builtin {
            value: true,
            ..self
        }
    }
}

/// A statement: its positional parameters (the first `min` required), its named
/// ones and its lowering.
const fn statement(
    name: &'static str,
    params: &'static [Param],
    min: usize,
    named: &'static [Param],
    lower: LowerFn,
    summary: &'static str,
) -> Builtin {
    Builtin {
        name,
        kind: Kind::Statement,
        min,
        max: Some(params.len()),
        params,
        named,
        translations: false,
        open_named: false,
        body: false,
        value: false,
        lower: Some(lower),
        summary,
    }
}

const MENU_NAMED: &[Param] = params![
    timeout: Duration,
    on_timeout: Card,
    retries: Count,
    on_invalid: Card,
    error: Text,
    header: Text,
    footer: Text,
];
const HTTP_NAMED: &[Param] = params![
    headers: Pairs,
    query: Pairs,
    body: Value,
    timeout: Count,
    cache_ttl: Duration,
    mode: Text,
    on_error: Card,
    retries: Count,
];
const MEDIA_NAMED: &[Param] = params![caption: Text, filename: Text];
const WHEN_NAMED: &[Param] = params![in: Duration, at: DateTime];

macro_rules! builtin {
    ($name:literal, $kind:ident, $min:literal..$max:expr, $summary:literal) => {
        builtin!($name, $kind, $min..$max, &[], false, $summary)
    };
    ($name:literal, $kind:ident, $min:literal..$max:expr, $named:expr, $summary:literal) => {
        builtin!($name, $kind, $min..$max, $named, false, $summary)
    };
    ($name:literal, $kind:ident, $min:literal..$max:expr, $named:expr, $open:literal, $summary:literal) => {
        Builtin {
            name: $name,
            kind: Kind::$kind,
            min: $min,
            max: $max,
            params: &[],
            named: $named,
            translations: false,
            open_named: $open,
            body: false,
            value: false,
            lower: None,
            summary: $summary,
        }
    };
}

const N: Option<usize> = None;
const fn at_most(n: usize) -> Option<usize> {
    Some(n)
}

/// Every built-in, sorted by name within each kind. A statement's entry is all there is
/// to it in the compiler: its signature, and the lowering that picks its arguments out
/// into a typed [`StepKind`](crate::StepKind).
pub static BUILTINS: &[Builtin] = &[
    // ---- statements: messages
    statement("text", params![body: Text], 1, params![ai_generated: Bool], lower::send, "Send a text message.").translated(),
    statement("image", params![url: Text], 1, MEDIA_NAMED, lower::send, "Send an image by URL.").translated(),
    statement("video", params![url: Text], 1, MEDIA_NAMED, lower::send, "Send a video by URL.").translated(),
    statement("audio", params![url: Text], 1, MEDIA_NAMED, lower::send, "Send an audio file by URL.").translated(),
    statement("document", params![url: Text], 1, MEDIA_NAMED, lower::send, "Send a document by URL.").translated(),
    statement("sticker", params![url: Text], 1, MEDIA_NAMED, lower::send, "Send a sticker by URL.").translated(),
    statement("footer", params![text: Text], 1, &[], lower::send, "Footer of an interactive message (inside buttons/list).").translated(),
    statement("buttons", params![options: Cards, choices: List], 0, MENU_NAMED, lower::menu, "Reply buttons (at most 3); waits for the choice. `buttons([A, B])`, `buttons(A: \"Label\", …)`, or `buttons(Card, choices)`.").open().with_body().valued(),
    statement("list", params![button: Text, options: Cards, choices: List], 1, MENU_NAMED, lower::menu, "A list message (at most 10 rows); waits for the choice.").open().with_body().valued(),
    statement(
        "ask",
        params![question: Text],
        1,
        params![
            timeout: Duration,
            on_timeout: Card,
            retries: Count,
            on_invalid: Card,
            validate: Bool,
            error: Text,
            max_response_characters: Count,
        ],
        lower::ask,
        "Ask a question and wait for the answer.",
    )
    .translated()
    .valued(),
    statement(
        "send_message_template",
        params![name: Text, language: Text, params: List],
        2,
        params![image: Text, video: Text, document: Text, buttons: Cards, header: Text],
        lower::template,
        "Send an approved WhatsApp template.",
    ),
    statement("send_content", params![content: Text, option: Value], 1, &[], lower::effect, "Send a Turn content-library item (not supported outside Turn)."),
    // ---- statements: data and effects
    statement("update_contact", &[], 0, &[], lower::effect, "Set contact fields.").open(),
    statement("write_result", params![key: Text, value: Value], 2, params![label: Text], lower::effect, "Record a flow result."),
    statement("add_label", params![label: Text], 1, &[], lower::effect, "Label the current inbound message."),
    statement("log", params![text: Text], 1, &[], lower::effect, "Write a line to the journey log."),
    statement("get", params![url: Text], 1, HTTP_NAMED, lower::http, "HTTP GET; the result has .status and .body.").valued(),
    statement("post", params![url: Text], 1, HTTP_NAMED, lower::http, "HTTP POST.").valued(),
    statement("put", params![url: Text], 1, HTTP_NAMED, lower::http, "HTTP PUT.").valued(),
    statement("patch", params![url: Text], 1, HTTP_NAMED, lower::http, "HTTP PATCH.").valued(),
    statement("delete", params![url: Text, key: Value], 1, HTTP_NAMED, lower::http, "HTTP DELETE, or delete(map, key) in expressions.").valued(),
    // ---- statements: control
    statement("run_stack", params![journey: Journey], 1, &[], lower::run_journey, "Run another journey and come back."),
    statement("schedule_stack", params![journey: Journey], 1, WHEN_NAMED, lower::schedule, "Start a journey later for this contact."),
    statement("cancel_scheduled_stacks", params![journey: Journey], 1, &[], lower::cancel, "Cancel this contact's pending schedules of a journey."),
    statement("schedule", params![target: Target], 1, WHEN_NAMED, lower::schedule, "Run a card or journey later (a follow-up timer)."),
    statement("cancel_scheduled", params![target: Target], 0, &[], lower::cancel, "Cancel pending timers (of one card or journey, or all)."),
    statement(
        "handoff",
        &[],
        0,
        params![
            queue: Text,
            note: Text,
            template: Text,
            on_return: Card,
            timeout: Duration,
            on_timeout: Card,
        ],
        lower::handoff,
        "Hand the conversation to human agents.",
    ),
    statement("end_journey", &[], 0, &[], lower::end_journey, "End the run here."),
// ---- journey settings
    builtin!(
        "config",
        Setting,
        0..at_most(0),
        &[],
        true,
        "Text values read as `config.items.<key>` (a Turn config dictionary)."
    ),
    builtin!(
        "table",
        Setting,
        1..at_most(1),
        params![columns: List, rows: List],
        "A data table read as `<name>.rows`, one map per row (a Turn table cell)."
    ),
    builtin!(
        "trigger",
        Setting,
        0..at_most(0),
        params![
            on: Text,
            interval: Duration,
            relative_to: Text,
            keywords: List,
            match: Text,
            priority: Count,
            at: DateTime,
        ],
        "What starts this journey."
    ),
    builtin!(
        "interrupt",
        Setting,
        0..at_most(0),
        params![keywords: List, then: Card, match: Text],
        "A keyword handler that works at every question."
    ),
    builtin!(
        "interaction_timeout",
        Setting,
        1..at_most(1),
        "How long a question waits by default, in seconds."
    ),
    // ---- expressions: logic
    builtin!(
        "if",
        Expression,
        2..at_most(3),
        params![do: Value, else: Value],
        "if(test, yes, no): only the chosen branch is evaluated."
    ),
    builtin!("and", Expression, 1..N, "True when every argument is true."),
    builtin!("or", Expression, 1..N, "True when any argument is true."),
    builtin!(
        "not",
        Expression,
        1..at_most(1),
        "The opposite truth value."
    ),
    // ---- expressions: text
    builtin!(
        "char",
        Expression,
        1..at_most(1),
        "The character with this code."
    ),
    builtin!(
        "clean",
        Expression,
        1..at_most(1),
        "Text without unprintable characters."
    ),
    builtin!(
        "code",
        Expression,
        1..at_most(1),
        "The code of the first character."
    ),
    builtin!("concatenate", Expression, 1..N, "Joins texts."),
    builtin!("left", Expression, 2..at_most(2), "The first n characters."),
    builtin!("len", Expression, 1..at_most(1), "Length of a text."),
    builtin!("lower", Expression, 1..at_most(1), "Lower case."),
    builtin!(
        "proper",
        Expression,
        1..at_most(1),
        "Capitalises each word."
    ),
    builtin!("rept", Expression, 2..at_most(2), "Repeats a text n times."),
    builtin!("right", Expression, 2..at_most(2), "The last n characters."),
    builtin!("substitute", Expression, 3..at_most(4), "Replaces text."),
    builtin!(
        "unichar",
        Expression,
        1..at_most(1),
        "The Unicode character with this code."
    ),
    builtin!(
        "unicode",
        Expression,
        1..at_most(1),
        "The Unicode code of the first character."
    ),
    builtin!("upper", Expression, 1..at_most(1), "Upper case."),
    builtin!(
        "trim",
        Expression,
        1..at_most(1),
        "Text without leading and trailing spaces."
    ),
    builtin!("first_word", Expression, 1..at_most(1), "The first word."),
    builtin!(
        "remove_first_word",
        Expression,
        1..at_most(2),
        "Everything after the first word."
    ),
    builtin!("word", Expression, 2..at_most(3), "The n-th word (from 1)."),
    builtin!("word_count", Expression, 1..at_most(2), "Number of words."),
    builtin!(
        "word_slice",
        Expression,
        2..at_most(4),
        "Words from start to end."
    ),
    builtin!(
        "read_digits",
        Expression,
        1..at_most(1),
        "Digits spaced for reading aloud."
    ),
    builtin!(
        "split",
        Expression,
        1..at_most(2),
        "Splits text on a separator (spaces by default)."
    ),
    builtin!(
        "secret",
        Expression,
        1..at_most(1),
        "A secret by name, as a placeholder that an HTTP request replaces by its value when it is sent."
    ),
    // ---- expressions: matching
    builtin!(
        "has_all_words",
        Expression,
        2..at_most(2),
        "Text contains all these words."
    ),
    builtin!(
        "has_any_word",
        Expression,
        2..at_most(2),
        "Text contains any of these words."
    ),
    builtin!(
        "has_beginning",
        Expression,
        2..at_most(2),
        "Text starts with this."
    ),
    builtin!(
        "has_date",
        Expression,
        1..at_most(1),
        "Text contains a date."
    ),
    builtin!(
        "has_date_eq",
        Expression,
        2..at_most(2),
        "Text has a date equal to this."
    ),
    builtin!(
        "has_date_gt",
        Expression,
        2..at_most(2),
        "Text has a date after this."
    ),
    builtin!(
        "has_date_lt",
        Expression,
        2..at_most(2),
        "Text has a date before this."
    ),
    builtin!(
        "has_email",
        Expression,
        1..at_most(1),
        "Text contains an e-mail address."
    ),
    builtin!(
        "has_group",
        Expression,
        2..at_most(2),
        "Contact is in this group."
    ),
    builtin!(
        "has_number",
        Expression,
        1..at_most(1),
        "Text contains a number."
    ),
    builtin!(
        "has_number_eq",
        Expression,
        2..at_most(2),
        "Text has a number equal to this."
    ),
    builtin!(
        "has_number_gt",
        Expression,
        2..at_most(2),
        "Text has a number greater than this."
    ),
    builtin!(
        "has_number_gte",
        Expression,
        2..at_most(2),
        "Text has a number at least this."
    ),
    builtin!(
        "has_number_lt",
        Expression,
        2..at_most(2),
        "Text has a number less than this."
    ),
    builtin!(
        "has_number_lte",
        Expression,
        2..at_most(2),
        "Text has a number at most this."
    ),
    builtin!(
        "has_number_between",
        Expression,
        3..at_most(3),
        "Text has a number in this range."
    ),
    builtin!(
        "has_only_phrase",
        Expression,
        2..at_most(2),
        "Text is exactly this phrase."
    ),
    builtin!(
        "has_only_text",
        Expression,
        2..at_most(2),
        "Text equals this exactly."
    ),
    builtin!(
        "has_pattern",
        Expression,
        2..at_most(2),
        "Text matches a regular expression."
    ),
    builtin!(
        "has_phone",
        Expression,
        1..at_most(2),
        "Text contains a phone number."
    ),
    builtin!(
        "has_phrase",
        Expression,
        2..at_most(2),
        "Text contains this phrase."
    ),
    builtin!(
        "has_any_phrase",
        Expression,
        2..at_most(2),
        "Text contains any of these phrases."
    ),
    builtin!(
        "has_any_exact_phrase",
        Expression,
        2..at_most(2),
        "Text is exactly one of these phrases."
    ),
    builtin!("has_text", Expression, 1..at_most(1), "Text is not empty."),
    builtin!(
        "has_time",
        Expression,
        1..at_most(1),
        "Text contains a time."
    ),
    builtin!(
        "has_member",
        Expression,
        2..at_most(2),
        "The list holds this value."
    ),
    builtin!(
        "has_all_members",
        Expression,
        2..at_most(2),
        "The list holds all these values."
    ),
    builtin!(
        "is_nil_or_empty",
        Expression,
        1..at_most(1),
        "Nil, empty text or empty list."
    ),
    builtin!("isnumber", Expression, 1..at_most(1), "Is a number."),
    builtin!("isbool", Expression, 1..at_most(1), "Is a boolean."),
    builtin!("isstring", Expression, 1..at_most(1), "Is text."),
    // ---- expressions: numbers
    builtin!("abs", Expression, 1..at_most(1), "Absolute value."),
    builtin!("max", Expression, 1..N, "The largest."),
    builtin!("min", Expression, 1..N, "The smallest."),
    builtin!("power", Expression, 2..at_most(2), "a to the power b."),
    builtin!("sum", Expression, 1..N, "The sum."),
    builtin!("rem", Expression, 2..at_most(2), "Remainder of a division."),
    builtin!(
        "percent",
        Expression,
        1..at_most(1),
        "A number as a percentage text."
    ),
    builtin!(
        "fixed",
        Expression,
        1..at_most(3),
        "A number with fixed decimals."
    ),
    builtin!("round", Expression, 1..at_most(2), "Rounds to n decimals."),
    builtin!(
        "parse_float",
        Expression,
        1..at_most(1),
        "Reads a number from text."
    ),
    builtin!(
        "parse_int",
        Expression,
        1..at_most(1),
        "Reads a whole number from text."
    ),
    builtin!(
        "rand_between",
        Expression,
        2..at_most(2),
        "A random whole number (deterministic per run)."
    ),
    // ---- expressions: dates
    builtin!(
        "date",
        Expression,
        3..at_most(3),
        "A date from year, month, day."
    ),
    builtin!(
        "datetime_add",
        Expression,
        3..at_most(3),
        "Adds n units (m, h, D, W, M, Y) to a date-time."
    ),
    builtin!(
        "datevalue",
        Expression,
        1..at_most(2),
        "Formats or reads a date."
    ),
    builtin!("day", Expression, 1..at_most(1), "Day of the month."),
    builtin!(
        "edate",
        Expression,
        2..at_most(2),
        "The date n months later."
    ),
    builtin!("hour", Expression, 1..at_most(1), "Hour of a date-time."),
    builtin!(
        "minute",
        Expression,
        1..at_most(1),
        "Minute of a date-time."
    ),
    builtin!("month", Expression, 1..at_most(1), "Month of a date."),
    builtin!(
        "now",
        Expression,
        0..at_most(0),
        "The current date-time (the injected clock)."
    ),
    builtin!(
        "second",
        Expression,
        1..at_most(1),
        "Second of a date-time."
    ),
    builtin!(
        "time",
        Expression,
        3..at_most(3),
        "A time from hours, minutes, seconds."
    ),
    builtin!("timevalue", Expression, 1..at_most(1), "Reads a time."),
    builtin!(
        "today",
        Expression,
        0..at_most(0),
        "Today's date in the contact's time zone."
    ),
    builtin!(
        "weekday",
        Expression,
        1..at_most(1),
        "Day of the week (1 = Sunday)."
    ),
    builtin!("year", Expression, 1..at_most(1), "Year of a date."),
    builtin!(
        "local_time",
        Expression,
        1..at_most(2),
        "The next date-time at this local clock time (\"09:00\") in the contact's time zone."
    ),
    // ---- expressions: collections and data
    builtin!(
        "map",
        Expression,
        2..at_most(2),
        "Applies a function to each item."
    ),
    builtin!(
        "filter",
        Expression,
        2..at_most(2),
        "Items for which the function is true."
    ),
    builtin!(
        "find",
        Expression,
        2..at_most(2),
        "The first item for which the function is true."
    ),
    builtin!(
        "reduce",
        Expression,
        3..at_most(3),
        "Folds a list with a function."
    ),
    builtin!(
        "append",
        Expression,
        2..at_most(2),
        "A list with an item added."
    ),
    builtin!("count", Expression, 1..at_most(1), "Number of items."),
    builtin!("uniq", Expression, 1..at_most(1), "Items without repeats."),
    builtin!(
        "chunk_every",
        Expression,
        2..at_most(2),
        "Splits a list into chunks of n."
    ),
    builtin!(
        "with_index",
        Expression,
        1..at_most(1),
        "Pairs of [item, index]."
    ),
    builtin!("keys", Expression, 1..at_most(1), "Keys of a map."),
    builtin!("values", Expression, 1..at_most(1), "Values of a map."),
    builtin!(
        "parse_json",
        Expression,
        1..at_most(1),
        "Reads JSON text into data."
    ),
    builtin!(
        "json",
        Expression,
        1..at_most(1),
        "Writes data as JSON text."
    ),
    builtin!(
        "attachment_url",
        Expression,
        1..at_most(2),
        "A download URL for a received media id."
    ),
];

/// `docs/functions.md`: the catalogue as a reference page (generated; a test keeps
/// the file current).
pub fn reference() -> String {
    let mut out = String::from(
        "# Functions\n\nGenerated from `crates/journey-model/src/builtins.rs`; do not edit.\n\n\
         Steps are the lines of a card; values go in expressions and in `@(...)`; settings\n\
         are journey-level lines. Arguments in brackets are optional.\n",
    );
    for (kind, title) in [
        (Kind::Statement, "Steps"),
        (Kind::Expression, "Values"),
        (Kind::Setting, "Journey settings"),
    ] {
        out.push_str(&format!("\n## {title}\n\n| Function | Arguments | Named arguments | What it does |\n|---|---|---|---|\n"));
        for builtin in BUILTINS.iter().filter(|b| b.kind == kind) {
            let positional = match builtin.max {
                _ if !builtin.params.is_empty() => {
                    let params = builtin.params.iter().enumerate().map(|(i, p)| {
                        let param = format!("`{}` {}", p.name, p.kind.name());
                        if i < builtin.min {
                            param
                        } else {
                            format!("[{param}]")
                        }
                    });
                    params.collect::<Vec<_>>().join(", ")
                }
                Some(max) if max == builtin.min => max.to_string(),
                Some(max) => format!("{} to {max}", builtin.min),
                None => format!("{} or more", builtin.min),
            };
            let mut named: Vec<String> = builtin
                .named
                .iter()
                .map(|p| format!("`{}:` {}", p.name, p.kind.name()))
                .collect();
            if builtin.translations {
                named.push("language codes (`pt:`)".to_owned());
            }
            if builtin.open_named {
                named.push(
                    match builtin.name {
                        "update_contact" => "any field",
                        "config" => "any key",
                        _ => "card options",
                    }
                    .to_owned(),
                );
            }
            out.push_str(&format!(
                "| `{}` | {positional} | {} | {} |\n",
                builtin.name,
                if named.is_empty() {
                    "—".to_owned()
                } else {
                    named.join(", ")
                },
                builtin.summary
            ));
        }
    }
    out
}

pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Named arguments that name a card to go to (`on_timeout: Card`, `then: Card`): exits,
/// never evaluated.
pub fn card_arguments() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .flat_map(|b| b.named)
        .filter(|p| p.kind == ArgKind::Card)
        .map(|p| p.name)
}

pub fn is_card_argument(name: &str) -> bool {
    card_arguments().any(|n| n == name)
}

/// Roots of the run context that exist without being assigned.
pub const CONTEXT_ROOTS: &[&str] = &[
    "contact", "event", "global", "config", "chat", "block", "results", "journey",
];

/// A named argument that is a translation: an ISO 639-1 language (`pt: "Olá"`),
/// optionally with a region (`pt_BR: "Olá"`). Only real codes count, so that a
/// misspelt two-letter argument is not taken for a language.
pub fn is_language_code(name: &str) -> bool {
    let (lang, region) = name.split_once('_').unwrap_or((name, ""));
    ISO_639_1.binary_search(&lang).is_ok()
        && (region.is_empty()
            || region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// ISO 639-1 codes, sorted.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_sorted_and_real() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert!(is_language_code("pt") && is_language_code("pt_BR") && is_language_code("zu"));
        assert!(!is_language_code("cap") && !is_language_code("err") && !is_language_code("xx"));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
