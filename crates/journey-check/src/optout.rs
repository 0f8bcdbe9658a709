//! Opt-out keywords and the interrupts that catch them (WA301, WA302).

use journey_model::{CompiledJourney, Interrupt};

fn normalise(keyword: &str) -> String {
    keyword
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn catches(interrupt: &Interrupt, keyword: &str) -> bool {
    let keyword = normalise(keyword);
    interrupt.keywords.iter().any(|k| normalise(k) == keyword)
}

/// The opt-out keywords no interrupt of the journey catches.
pub fn missing_opt_out<'k>(journey: &CompiledJourney, opt_out: &'k [String]) -> Vec<&'k str> {
    opt_out
        .iter()
        .filter(|k| !journey.interrupts.iter().any(|i| catches(i, k)))
        .map(String::as_str)
        .collect()
}

/// The interrupts that catch an opt-out keyword.
pub(crate) fn opt_out_interrupts<'j>(
    journey: &'j CompiledJourney,
    opt_out: &[String],
) -> impl Iterator<Item = &'j Interrupt> {
    journey
        .interrupts
        .iter()
        .filter(move |i| opt_out.iter().any(|k| catches(i, k)))
}
