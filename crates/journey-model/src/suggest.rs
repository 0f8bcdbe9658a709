//! "Did you mean": the closest known name, if it is close enough to be a typo.

/// The candidate nearest to `name`, when at most about a third of it differs.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by(|(da, a), (db, b)| da.cmp(db).then_with(|| a.cmp(b)))
        .map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn finds_typos_and_case_slips() {
        let cards = ["Menu", "Welcome", "OptOut"];
        assert_eq!(suggest("Mneu", cards), Some("Menu".to_owned()));
        assert_eq!(suggest("welcome", cards), Some("Welcome".to_owned()));
        assert_eq!(suggest("Billing", cards), None);
    }
}
