//! Matching a contact's reply to the options they were shown (brief §5): the tapped
//! button's id, then the option's text (ignoring case and spaces), then its number
//! ("1", "2"), else nothing (an invalid answer).

/// The index of the option the reply chose. `options` are (id, title) as sent.
pub fn choose(options: &[(String, String)], reply_id: Option<&str>, text: &str) -> Option<usize> {
    if let Some(id) = reply_id
        && let Some(index) = options.iter().position(|(option_id, _)| option_id == id)
    {
        return Some(index);
    }
    let wanted = normalise(text);
    if wanted.is_empty() {
        return None;
    }
    if let Some(index) = options
        .iter()
        .position(|(_, title)| normalise(title) == wanted)
    {
        return Some(index);
    }
    let number: usize = wanted.parse().ok()?;
    (1..=options.len()).contains(&number).then(|| number - 1)
}

/// Does the message say one of these keywords (alone, ignoring case, spaces and
/// punctuation around it)? Used by interrupts: "STOP", "stop.", " Stop " all count.
pub fn says_keyword(text: &str, keywords: &[String]) -> bool {
    let said = normalise(text.trim_matches(|c: char| c.is_ascii_punctuation()));
    !said.is_empty() && keywords.iter().any(|k| normalise(k) == said)
}

/// Lower case, with runs of whitespace removed.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .flat_map(str::chars)
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Vec<(String, String)> {
        vec![
            ("Visit".to_owned(), "Book a visit".to_owned()),
            ("Nurse".to_owned(), "Talk to a nurse".to_owned()),
        ]
    }

    #[test]
    fn ids_then_titles_then_numbers() {
        assert_eq!(choose(&options(), Some("Nurse"), "whatever"), Some(1));
        assert_eq!(choose(&options(), None, "  book A  VISIT "), Some(0));
        assert_eq!(choose(&options(), None, "2"), Some(1));
        assert_eq!(choose(&options(), None, "3"), None);
        assert_eq!(choose(&options(), None, "maybe"), None);
    }

    #[test]
    fn keywords_ignore_case_and_punctuation() {
        let stop = vec!["stop".to_owned(), "unsubscribe".to_owned()];
        assert!(says_keyword("STOP!", &stop));
        assert!(says_keyword("  Unsubscribe ", &stop));
        assert!(!says_keyword("please don't stop", &stop));
    }
}
