//! Conversation tests (brief §7): a [`Simulator`] that plays one contact against the
//! interpreter with a virtual clock, pending timers and canned HTTP responses, and the
//! `.test` format that writes a conversation as the transcript it expects
//! (`docs/testing.md`).
//!
//! Pure: no files, no network, no wall clock. `journey test` and `journey run` do the I/O.

mod checks;
pub mod duration;
mod format;
mod http;
mod report;
mod runner;
mod simulator;
mod transcript;
mod update;

pub use format::http_fixtures;
pub use http::Fixture;
pub use report::{CaseReport, FileReport, Segment};
pub use runner::{CONTACT_ID, Conversation, conversations, notebook, replay, run_file};
pub use simulator::{Choice, Simulator, Timer};
pub use transcript::{Kind, Line, moment, normalise, timer_name};
pub use update::update;
