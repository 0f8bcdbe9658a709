//! Playbooks: reusable journeys shared between chat services (docs/playbooks.md).
//!
//! A playbook is a directory with a `playbook.toml` ([`parse_playbook`]), its journeys
//! and their `.test` files, and a `journey.toml` so that it is a project that
//! `journey check` and `journey test` verify where it lies. Its journeys read each
//! parameter as `global.playbook.NAME`; an import ([`plan`]) writes the values in,
//! renames the journeys with a prefix, adapts the tests and adds what the journeys
//! need to the project's journey.toml.
//!
//! This crate does no I/O: it takes file contents and returns the plan, which the CLI
//! and the studio write only when it has no conflict. The repository's library is
//! built in ([`builtin`]).

mod import;
pub mod library;
mod manifest;
mod merge;
mod params;
mod rewrite;
mod testfile;

pub use import::{ImportError, Options, Plan, Project, TextFile, plan};
pub use library::{Entry, MANIFEST, builtin, project_journeys};
pub use manifest::{About, Parameter, Playbook, Secret, parse_playbook};
pub use merge::Additions;
pub use params::{ParamType, ParamValue, fill};
pub use rewrite::{PARAMETER_ROOT, secret_reads};

#[cfg(test)]
mod tests;
