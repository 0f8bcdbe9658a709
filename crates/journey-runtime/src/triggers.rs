//! Which journey a message starts when the contact is in none.
//!
//! Trigger forms (Turn's kinds, `docs/triggers.md`):
//! - `trigger(on: "FIRST VISIT")`: the contact's first message ever;
//! - `trigger(on: "MESSAGE RECEIVED", keywords: [...], match: "exactly")` with `match` one of
//!   `exactly` (the default), `any_of` (same as exactly, for a list), `starts_with`,
//!   `contains`, `not`; case, spaces and punctuation are ignored, and a keyword of four or
//!   more letters also matches with one typo;
//! - `trigger(on: "BUTTON PRESSED", keywords: [...])`: a tapped button (template quick
//!   reply) whose payload or text matches;
//! - `trigger(on: "MESSAGE RECEIVED") when <expr>`: any condition over `event` and
//!   `contact` (field and country conditions are written this way);
//! - `trigger(on: "CATCH ALL")`: anything nothing else took;
//! - `trigger(interval: "+3d", relative_to: "contact.field")`: time-based; started by the
//!   scheduler, never by a message.
//!
//! A `when` guard applies to every form. When several match, the winner is the one with
//! the highest `priority:` (default 0); then first visit before keywords and conditions
//! before catch-all; then the order of journeys as deployed, and of triggers in a file.

use journey_model::{CompiledJourney, Trigger};
use journey_syntax::ExprKind;

use crate::engine::Machine;
use crate::state::{RunState, Status};
use crate::{Contact, Inbound, Runtime};

/// The journey an inbound message starts, if any.
pub fn select(
    rt: &Runtime<'_>,
    contact: &Contact,
    inbound: &Inbound,
    first_visit: bool,
    now: jiff::Timestamp,
) -> Option<String> {
    let probe = Machine::new(
        rt,
        probe_state(),
        contact.clone(),
        now,
        Some(inbound.clone()),
    );
    let mut best: Option<((i64, u8), &CompiledJourney)> = None;
    for journey in rt.journeys {
        for trigger in &journey.triggers {
            let Some(rank) = matches(&probe, trigger, inbound, first_visit) else {
                continue;
            };
            // Strictly greater: earlier journeys and triggers win ties.
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, journey));
            }
        }
    }
    best.map(|(_, journey)| journey.name.clone())
}

/// The trigger's rank when it matches: (priority, form).
fn matches(
    probe: &Machine<'_>,
    trigger: &Trigger,
    inbound: &Inbound,
    first_visit: bool,
) -> Option<(i64, u8)> {
    if trigger.is_business_initiated() {
        return None;
    }
    let call = &trigger.call;
    let on = call
        .named("on")
        .and_then(|a| a.value.literal_text())
        .unwrap_or_else(|| "MESSAGE RECEIVED".to_owned())
        .to_uppercase();
    let keywords: Vec<String> = call
        .named("keywords")
        .map(|a| a.value.literal_texts())
        .unwrap_or_default();
    let mode = call
        .named("match")
        .and_then(|a| a.value.literal_text())
        .unwrap_or_else(|| "exactly".to_owned());
    let form = match on.as_str() {
        "FIRST VISIT" if first_visit => 3,
        "FIRST VISIT" => return None,
        "CATCH ALL" => 0,
        "BUTTON PRESSED" => {
            let pressed = inbound.reply_id.is_some();
            let said = inbound
                .reply_id
                .iter()
                .chain([&inbound.text])
                .any(|t| keyword_match(t, &keywords, &mode));
            if !pressed || (!keywords.is_empty() && !said) {
                return None;
            }
            2
        }
        _ => {
            if !keywords.is_empty() && !keyword_match(&inbound.text, &keywords, &mode) {
                return None;
            }
            2
        }
    };
    if let Some(guard) = &trigger.guard
        && !probe.condition(guard).unwrap_or(false)
    {
        return None;
    }
    let priority = call
        .named("priority")
        .and_then(|a| match a.value.kind {
            ExprKind::Int(n) => Some(n),
            _ => None,
        })
        .unwrap_or(0);
    Some((priority, form))
}

fn keyword_match(text: &str, keywords: &[String], mode: &str) -> bool {
    let said = words(text);
    let hit = |keyword: &String| {
        let wanted = words(keyword);
        match mode {
            "starts_with" => said
                .get(..wanted.len())
                .is_some_and(|start| same(start, &wanted)),
            "contains" => said.windows(wanted.len().max(1)).any(|w| same(w, &wanted)),
            _ => same(&said, &wanted),
        }
    };
    let any = keywords.iter().any(hit);
    if mode == "not" {
        !keywords.iter().any(|k| same(&said, &words(k)))
    } else {
        any
    }
}

/// Lower-case words without punctuation.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Word lists equal, allowing one typo in words of four or more letters.
fn same(said: &[String], wanted: &[String]) -> bool {
    said.len() == wanted.len()
        && said
            .iter()
            .zip(wanted)
            .all(|(a, b)| a == b || (b.chars().count() >= 4 && one_edit(a, b)))
}

/// At most one insertion, deletion, substitution or swap of neighbours.
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    ra.get(1..) == rb.get(1..)
        || ra == rb.get(1..).unwrap_or_default()
        || ra.get(1..).unwrap_or_default() == rb
        || (ra.len() >= 2
            && rb.len() >= 2
            && ra[0] == rb[1]
            && ra[1] == rb[0]
            && ra[2..] == rb[2..])
}

/// A state for evaluating trigger guards, before any run exists.
fn probe_state() -> RunState {
    RunState {
        journey: String::new(),
        version: String::new(),
        status: Status::Ended,
        vars: Default::default(),
        stack: Vec::new(),
        seq: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn keyword_modes() {
        let menu = list(&["menu", "main menu"]);
        assert!(keyword_match("MENU!", &menu, "exactly"));
        assert!(keyword_match("Main  menu", &menu, "exactly"));
        assert!(
            keyword_match("mneu", &menu, "exactly"),
            "one swap in a 4-letter word"
        );
        assert!(!keyword_match("menu please", &menu, "exactly"));
        assert!(keyword_match("menu please", &menu, "starts_with"));
        assert!(keyword_match("show me the menu", &menu, "contains"));
        assert!(keyword_match("hello", &menu, "not"));
        assert!(
            !keyword_match("hi", &list(&["ho"]), "exactly"),
            "short words need an exact match"
        );
    }
}
