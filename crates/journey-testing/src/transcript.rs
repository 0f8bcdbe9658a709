//! The transcript: one line per thing that happened in a conversation, in the text form
//! that `.test` files are written in, so that expected and actual lines compare as text.

use std::fmt;

use journey_runtime::{MenuKind, Outbound, TimerTarget};

/// What a line reports, shown by its first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `>`: the contact sent a message or tapped an option.
    Contact,
    /// `<`: the bot sent a message.
    Bot,
    /// `~`: virtual time passed.
    Clock,
    /// `*`: something else happened (a timer, a handoff, an HTTP call, the end).
    Event,
    /// `!`: something went wrong (a failed run, a test step that could not be done).
    Error,
}

impl Kind {
    pub fn sigil(self) -> char {
        match self {
            Kind::Contact => '>',
            Kind::Bot => '<',
            Kind::Clock => '~',
            Kind::Event => '*',
            Kind::Error => '!',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: Kind,
    /// Whitespace-normalised: no line breaks, single spaces.
    pub text: String,
}

impl Line {
    pub fn new(kind: Kind, text: &str) -> Self {
        Line {
            kind,
            text: normalise(text),
        }
    }

    /// `< [any messages]`: the messages that follow the last action from here on are not
    /// checked, however many there are (none too). FlowTester's `clear_messages()`.
    pub fn is_any_messages(&self) -> bool {
        self.kind == Kind::Bot && self.text == ANY_MESSAGES
    }

    /// Does this expected line match an actual one? A trailing `...` matches any rest;
    /// `[any] text` matches a message of any kind by its text alone (a text message, or
    /// the body of buttons or a list), whatever its options.
    pub fn matches(&self, actual: &Line) -> bool {
        if self.kind != actual.kind {
            return false;
        }
        match self.text.strip_prefix("[any] ") {
            Some(text) => {
                let untagged = match actual.text.strip_prefix('[') {
                    Some(rest) => rest.split_once("] ").map_or(rest, |(_, body)| body),
                    None => &actual.text,
                };
                let body = untagged
                    .split(" | ")
                    .find(|part| !part.starts_with("header: "))
                    .unwrap_or(untagged);
                text_matches(text, untagged) || text_matches(text, body)
            }
            None => match without_header(&self.text) {
                // `header: ...`: any header, or none.
                Some((expected, "...")) => {
                    let actual =
                        without_header(&actual.text).map_or(actual.text.clone(), |(a, _)| a);
                    text_matches(&expected, &actual)
                }
                _ => text_matches(&self.text, &actual.text),
            },
        }
    }
}

/// A menu line without its `header: …` part, and the header: `[buttons] header: Clinic |
/// Pick one` is `[buttons] Pick one` and `Clinic`.
fn without_header(text: &str) -> Option<(String, &str)> {
    let (tag, rest) = text.split_once("] header: ")?;
    let (header, rest) = rest.split_once(" | ")?;
    Some((format!("{tag}] {rest}"), header))
}

const ANY_MESSAGES: &str = "[any messages]";

/// `expected` is `actual`, or its start when it ends in `...`.
fn text_matches(expected: &str, actual: &str) -> bool {
    match expected.strip_suffix("...") {
        Some(prefix) => actual.starts_with(prefix.trim_end()),
        None => expected == actual,
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            write!(f, "{}", self.kind.sigil())
        } else {
            write!(f, "{} {}", self.kind.sigil(), self.text)
        }
    }
}

/// Runs of whitespace, line breaks included, become one space; ends are trimmed.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A sent message as one `<` line: `[buttons] How can we help? | 1. Tips | 2. Nurse`.
pub fn outbound(message: &Outbound) -> String {
    match message {
        Outbound::Text { body } => body.clone(),
        Outbound::Media { kind, url, caption } => {
            let mut parts = vec![format!("[{kind}] {url}")];
            parts.extend(caption.clone());
            parts.join(" | ")
        }
        Outbound::Interactive {
            kind,
            header,
            body,
            footer,
            button,
            options,
        } => {
            let tag = match (kind, button) {
                (MenuKind::List, Some(button)) => format!("[list: {button}]"),
                (MenuKind::List, None) => "[list]".to_owned(),
                (MenuKind::Buttons, _) => "[buttons]".to_owned(),
            };
            let mut parts = Vec::new();
            parts.extend(header.as_ref().map(|h| format!("header: {h}")));
            parts.push(body.clone());
            parts.extend(footer.as_ref().map(|f| format!("footer: {f}")));
            parts.extend(numbered(options.iter().map(|(_, title)| title)));
            format!("{tag} {}", parts.join(" | "))
        }
        Outbound::Template {
            name,
            language,
            params,
            buttons,
        } => {
            let mut parts = vec![format!(
                "[template {name} {language}] {}",
                params.join(", ")
            )];
            parts.extend(numbered(buttons));
            parts.join(" | ")
        }
    }
}

fn numbered<'a>(titles: impl IntoIterator<Item = &'a String>) -> impl Iterator<Item = String> {
    titles
        .into_iter()
        .enumerate()
        .map(|(index, title)| format!("{}. {title}", index + 1))
}

/// How transcripts and assertions name a timer: its card or journey, or `timeout`
/// for a question's own timeout.
pub fn timer_name(target: &TimerTarget) -> &str {
    match target {
        TimerTarget::Timeout => "timeout",
        TimerTarget::Card { card, .. } => card,
        TimerTarget::Journey { journey } => journey,
    }
}

/// A moment as the transcript shows it: `2026-01-15 11:00 UTC` (seconds only when set).
pub fn moment(at: jiff::Timestamp) -> String {
    let format = if at.as_second() % 60 == 0 {
        "%Y-%m-%d %H:%M UTC"
    } else {
        "%Y-%m-%d %H:%M:%S UTC"
    };
    at.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: Kind, text: &str) -> Line {
        Line::new(kind, text)
    }

    #[test]
    fn wildcard_matches_any_rest() {
        let actual = line(Kind::Bot, "Hi Thandi!\n  Welcome to the clinic.");
        assert_eq!(actual.text, "Hi Thandi! Welcome to the clinic.");
        assert!(line(Kind::Bot, "Hi Thandi! ...").matches(&actual));
        assert!(line(Kind::Bot, "Hi Thandi!  Welcome to the clinic.").matches(&actual));
        assert!(!line(Kind::Bot, "Hi Sipho ...").matches(&actual));
        assert!(
            !line(Kind::Event, "Hi ...").matches(&actual),
            "kinds must agree"
        );
        assert!(line(Kind::Bot, "...").matches(&actual));
    }

    #[test]
    fn any_kind_matches_by_text() {
        let menu = line(
            Kind::Bot,
            "[buttons] header: Clinic | Pick one | 1. Tips | 2. Visit",
        );
        assert!(line(Kind::Bot, "[any] Pick one").matches(&menu));
        assert!(line(Kind::Bot, "[any] Pick ...").matches(&menu));
        assert!(!line(Kind::Bot, "[any] Pick two").matches(&menu));
        let text = line(Kind::Bot, "Thank you.");
        assert!(line(Kind::Bot, "[any] Thank you.").matches(&text));
        assert!(!line(Kind::Bot, "[any] Thank").matches(&text));
    }

    #[test]
    fn any_header_matches_a_header_or_none() {
        let with = line(
            Kind::Bot,
            "[buttons] header: [image] x.png | Pick one | 1. Tips",
        );
        let without = line(Kind::Bot, "[buttons] Pick one | 1. Tips");
        let expected = line(Kind::Bot, "[buttons] header: ... | Pick one | 1. Tips");
        assert!(expected.matches(&with) && expected.matches(&without));
        assert!(!line(Kind::Bot, "[buttons] header: ... | Pick two | 1. Tips").matches(&with));
        assert!(
            !without.matches(&with),
            "a line without `header:` wants none"
        );
    }

    #[test]
    fn messages_render_as_a_person_reads_them() {
        let list = Outbound::Interactive {
            kind: MenuKind::List,
            header: None,
            body: "Pick one".to_owned(),
            footer: Some("Type HELP".to_owned()),
            button: Some("Topics".to_owned()),
            options: vec![
                ("A".to_owned(), "Eating well".to_owned()),
                ("B".to_owned(), "Sleep".to_owned()),
            ],
        };
        assert_eq!(
            outbound(&list),
            "[list: Topics] Pick one | footer: Type HELP | 1. Eating well | 2. Sleep"
        );
        let template = Outbound::Template {
            name: "visit".to_owned(),
            language: "en".to_owned(),
            params: vec!["Thandi".to_owned(), "Tuesday".to_owned()],
            buttons: vec!["Ok".to_owned()],
        };
        assert_eq!(
            outbound(&template),
            "[template visit en] Thandi, Tuesday | 1. Ok"
        );
        let image = Outbound::Media {
            kind: "image".to_owned(),
            url: "https://x/a.png".to_owned(),
            caption: None,
        };
        assert_eq!(outbound(&image), "[image] https://x/a.png");
    }

    #[test]
    fn moments_are_utc_minutes() {
        let at: jiff::Timestamp = "2026-01-15T11:00:00Z".parse().unwrap();
        assert_eq!(moment(at), "2026-01-15 11:00 UTC");
    }
}
