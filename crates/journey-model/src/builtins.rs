//! The catalogue of built-in functions: the one place that says which names exist,
//! how many arguments they take and which named arguments they accept. Lowering
//! resolves calls against it; the checker and the interpreter read it too.

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

#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub kind: Kind,
    /// Positional arguments: at least `min`, at most `max` (`None`: any number).
    pub min: usize,
    pub max: Option<usize>,
    /// Named arguments it accepts.
    pub named: &'static [&'static str],
    /// Named arguments may also be language codes (`pt: "Olá"`): translations.
    pub translations: bool,
    /// Accepts any named argument (`update_contact(field: value)`).
    pub open_named: bool,
    pub summary: &'static str,
}

const MENU_NAMED: &[&str] = &[
    "timeout",
    "on_timeout",
    "retries",
    "on_invalid",
    "error",
    "header",
    "footer",
];
const HTTP_NAMED: &[&str] = &[
    "headers",
    "query",
    "body",
    "timeout",
    "cache_ttl",
    "mode",
    "on_error",
    "retries",
];
const MEDIA_NAMED: &[&str] = &["caption", "filename"];

macro_rules! builtin {
    ($name:literal, $kind:ident, $min:literal..$max:expr, $summary:literal) => {
        builtin!($name, $kind, $min..$max, &[], false, false, $summary)
    };
    ($name:literal, $kind:ident, $min:literal..$max:expr, $named:expr, $summary:literal) => {
        builtin!($name, $kind, $min..$max, $named, false, false, $summary)
    };
    ($name:literal, $kind:ident, $min:literal..$max:expr, $named:expr, $translations:literal, $open:literal, $summary:literal) => {
        Builtin {
            name: $name,
            kind: Kind::$kind,
            min: $min,
            max: $max,
            named: $named,
            translations: $translations,
            open_named: $open,
            summary: $summary,
        }
    };
}

const N: Option<usize> = None;
const fn at_most(n: usize) -> Option<usize> {
    Some(n)
}

/// Every built-in, sorted by name within each kind.
pub static BUILTINS: &[Builtin] = &[
    // ---- statements: messages
    builtin!(
        "text",
        Statement,
        1..at_most(1),
        &["ai_generated"],
        true,
        false,
        "Send a text message."
    ),
    builtin!(
        "image",
        Statement,
        1..at_most(1),
        MEDIA_NAMED,
        true,
        false,
        "Send an image by URL."
    ),
    builtin!(
        "video",
        Statement,
        1..at_most(1),
        MEDIA_NAMED,
        true,
        false,
        "Send a video by URL."
    ),
    builtin!(
        "audio",
        Statement,
        1..at_most(1),
        MEDIA_NAMED,
        true,
        false,
        "Send an audio file by URL."
    ),
    builtin!(
        "document",
        Statement,
        1..at_most(1),
        MEDIA_NAMED,
        true,
        false,
        "Send a document by URL."
    ),
    builtin!(
        "sticker",
        Statement,
        1..at_most(1),
        MEDIA_NAMED,
        true,
        false,
        "Send a sticker by URL."
    ),
    builtin!(
        "footer",
        Statement,
        1..at_most(1),
        &[],
        true,
        false,
        "Footer of an interactive message (inside buttons/list)."
    ),
    builtin!(
        "buttons",
        Statement,
        0..at_most(2),
        MENU_NAMED,
        false,
        true,
        "Reply buttons (at most 3); waits for the choice."
    ),
    builtin!(
        "list",
        Statement,
        1..at_most(3),
        MENU_NAMED,
        false,
        true,
        "A list message (at most 10 rows); waits for the choice."
    ),
    builtin!(
        "ask",
        Statement,
        1..at_most(1),
        &[
            "timeout",
            "on_timeout",
            "retries",
            "on_invalid",
            "validate",
            "error",
            "max_response_characters"
        ],
        true,
        false,
        "Ask a question and wait for the answer."
    ),
    builtin!(
        "send_message_template",
        Statement,
        2..at_most(3),
        &["image", "video", "document", "buttons", "header"],
        "Send an approved WhatsApp template."
    ),
    builtin!(
        "send_content",
        Statement,
        1..at_most(2),
        "Send a Turn content-library item (not supported outside Turn)."
    ),
    // ---- statements: data and effects
    builtin!(
        "update_contact",
        Statement,
        0..at_most(0),
        &[],
        false,
        true,
        "Set contact fields."
    ),
    builtin!(
        "write_result",
        Statement,
        2..at_most(2),
        &["label"],
        "Record a flow result."
    ),
    builtin!(
        "add_label",
        Statement,
        1..at_most(1),
        "Label the current inbound message."
    ),
    builtin!(
        "log",
        Statement,
        1..at_most(1),
        "Write a line to the journey log."
    ),
    builtin!(
        "get",
        Statement,
        1..at_most(1),
        HTTP_NAMED,
        "HTTP GET; the result has .status and .body."
    ),
    builtin!("post", Statement, 1..at_most(1), HTTP_NAMED, "HTTP POST."),
    builtin!("put", Statement, 1..at_most(1), HTTP_NAMED, "HTTP PUT."),
    builtin!("patch", Statement, 1..at_most(1), HTTP_NAMED, "HTTP PATCH."),
    builtin!(
        "delete",
        Statement,
        1..at_most(2),
        HTTP_NAMED,
        "HTTP DELETE, or delete(map, key) in expressions."
    ),
    // ---- statements: control
    builtin!(
        "run_stack",
        Statement,
        1..at_most(1),
        "Run another journey and come back."
    ),
    builtin!(
        "schedule_stack",
        Statement,
        1..at_most(1),
        &["in", "at"],
        "Start a journey later for this contact."
    ),
    builtin!(
        "cancel_scheduled_stacks",
        Statement,
        1..at_most(1),
        "Cancel this contact's pending schedules of a journey."
    ),
    builtin!(
        "schedule",
        Statement,
        1..at_most(1),
        &["in", "at"],
        "Run a card or journey later (a follow-up timer)."
    ),
    builtin!(
        "cancel_scheduled",
        Statement,
        0..at_most(1),
        "Cancel pending timers (of one card or journey, or all)."
    ),
    builtin!(
        "handoff",
        Statement,
        0..at_most(0),
        &[
            "queue",
            "note",
            "template",
            "on_return",
            "timeout",
            "on_timeout"
        ],
        "Hand the conversation to human agents."
    ),
    builtin!("end_journey", Statement, 0..at_most(0), "End the run here."),
    // ---- journey settings
    builtin!(
        "config",
        Setting,
        0..at_most(0),
        &[],
        false,
        true,
        "Text values read as `config.items.<key>` (a Turn config dictionary)."
    ),
    builtin!(
        "table",
        Setting,
        1..at_most(1),
        &["columns", "rows"],
        "A data table read as `<name>.rows`, one map per row (a Turn table cell)."
    ),
    builtin!(
        "trigger",
        Setting,
        0..at_most(0),
        &[
            "on",
            "interval",
            "relative_to",
            "keywords",
            "match",
            "priority",
            "at"
        ],
        "What starts this journey."
    ),
    builtin!(
        "interrupt",
        Setting,
        0..at_most(0),
        &["keywords", "then", "match"],
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
        &["do", "else"],
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
                Some(max) if max == builtin.min => max.to_string(),
                Some(max) => format!("{} to {max}", builtin.min),
                None => format!("{} or more", builtin.min),
            };
            let mut named: Vec<String> = builtin.named.iter().map(|n| format!("`{n}:`")).collect();
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

/// Named arguments that name a card to go to.
pub const CARD_TARGET_ARGS: &[&str] =
    &["then", "on_timeout", "on_invalid", "on_error", "on_return"];

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
