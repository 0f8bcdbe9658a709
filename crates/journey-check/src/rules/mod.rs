//! One file per rule. The registry (`crate::registry`) lists them.

pub(crate) mod duplicate_card;
pub(crate) mod duplicate_journey;
pub(crate) mod guarded_loop_without_wait;
pub(crate) mod invalid_arguments;
pub(crate) mod invalid_config;
pub(crate) mod invalid_functions;
pub(crate) mod loop_without_wait;
pub(crate) mod missing_fallback;
pub(crate) mod missing_translation;
pub(crate) mod no_effect;
pub(crate) mod possibly_unassigned;
pub(crate) mod syntax_error;
pub(crate) mod type_mismatch;
pub(crate) mod unknown_argument;
pub(crate) mod unknown_card;
pub(crate) mod unknown_config_key;
pub(crate) mod unknown_function;
pub(crate) mod unknown_journey;
pub(crate) mod unknown_variable;
pub(crate) mod unreachable_card;
pub(crate) mod unreachable_step;
pub(crate) mod wrong_arity;
