//! The code table: every rule, in code order. Codes are public contracts: a code is
//! never reused, and a removed rule stays here marked as removed.

use crate::rule::Rule;
use crate::rules::*;

pub static RULES: &[&Rule] = &[
    &syntax_error::RULE,
    &invalid_config::RULE,
    &unknown_config_key::RULE,
    &invalid_functions::RULE,
    &suppression_without_reason::RULE,
    &unused_suppression::RULE,
    &unknown_card::RULE,
    &unknown_journey::RULE,
    &unknown_function::RULE,
    &unknown_argument::RULE,
    &duplicate_card::RULE,
    &wrong_arity::RULE,
    &duplicate_journey::RULE,
    &invalid_arguments::RULE,
    &no_effect::RULE,
    &ambiguous_trigger::RULE,
    &unreachable_card::RULE,
    &loop_without_wait::RULE,
    &missing_fallback::RULE,
    &unreachable_step::RULE,
    &guarded_loop_without_wait::RULE,
    &possibly_unassigned::RULE,
    &unknown_variable::RULE,
    &type_mismatch::RULE,
    &missing_translation::RULE,
    &secret_sent_to_contact::RULE,
    &unknown_contact_field::RULE,
    &freeform_outside_window::RULE,
    &window_margin::RULE,
    &business_initiated_needs_template::RULE,
    &no_escalation_path::RULE,
    &escalation_not_prompt::RULE,
    &escalation_outside_window::RULE,
    &handoff_without_fallback::RULE,
    &dead_end_card::RULE,
    &unused_queue::RULE,
    &optout_keyword_unhandled::RULE,
    &optout_does_not_cancel::RULE,
    &template_without_optin_guard::RULE,
    &template_button_payload_unhandled::RULE,
    &too_many_buttons::RULE,
    &button_title_length::RULE,
    &button_id_length::RULE,
    &duplicate_option::RULE,
    &list_shape::RULE,
    &list_text_length::RULE,
    &body_length::RULE,
    &header_footer_length::RULE,
    &personalisation_overflow::RULE,
    &variable_option_labels::RULE,
    &burst_send::RULE,
    &template_unknown_or_unapproved::RULE,
    &template_param_mismatch::RULE,
    &template_language_missing::RULE,
    &template_shape::RULE,
    &unbounded_reengagement_loop::RULE,
];

/// The rule with this code (case-insensitive).
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// A code of the WhatsApp rule catalogue that another rule checks.
pub struct Covered {
    pub code: &'static str,
    pub name: &'static str,
    /// The code of the rule that checks it.
    pub by: &'static str,
    pub how: &'static str,
}

pub static COVERED: &[Covered] = &[
    Covered {
        code: "WA102",
        name: "timer-then-freeform",
        by: "WA101",
        how: "a free-form message after timers that add up to 24h is a WA101 finding whose path names each timer",
    },
    Covered {
        code: "WA105",
        name: "timeout-does-not-reset",
        by: "WA101",
        how: "a timeout that leads to a free-form message 24h or more after the last reply is a WA101 finding whose path names the timeout",
    },
    Covered {
        code: "WA702",
        name: "unreachable-card",
        by: "J201",
        how: "a card that no entry reaches",
    },
    Covered {
        code: "WA703",
        name: "skip-logic-gap",
        by: "J203",
        how: "a card whose definitions are all guarded, so that a contact can fall through",
    },
];

/// A catalogue code that another rule checks, and that rule.
pub fn covering(code: &str) -> Option<(&'static Covered, &'static Rule)> {
    let covered = COVERED.iter().find(|c| c.code.eq_ignore_ascii_case(code))?;
    Some((covered, rule(covered.by)?))
}

#[cfg(test)]
mod tests {
    use super::RULES;

    #[test]
    fn codes_are_unique_and_sorted_within_their_family() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.code), "{} is listed twice", rule.code);
            assert!(seen.insert(rule.name), "{} is used twice", rule.name);
        }
    }

    #[test]
    fn every_doc_has_the_four_sections() {
        for rule in RULES {
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## How to fix",
            ] {
                assert!(rule.doc.contains(section), "{} lacks {section}", rule.code);
            }
        }
    }
}
