//! A contact's run: where it is, what it waits for, and its variables. Serialisable,
//! compact, and pinned to the content hash of the journey version it started on.

use std::collections::BTreeMap;

use journey_expr::Value;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The journey the run is in now (a sub-journey while one runs).
    #[serde(rename = "j")]
    pub journey: String,
    /// The first 16 hex digits of that journey's content hash.
    #[serde(rename = "h")]
    pub version: String,
    #[serde(rename = "s")]
    pub status: Status,
    #[serde(rename = "v", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, Value>,
    /// Callers of the running sub-journey, innermost last.
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<Frame>,
    /// Counts timers and requests, so that their ids are unique within the run.
    #[serde(rename = "n", default)]
    pub seq: u32,
}

/// Where the run stands between events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Status {
    /// At a question, menu or template with quick replies.
    Waiting {
        node: u32,
        /// Re-prompts left before the `Invalid` edge is taken.
        retries: u32,
        /// The pending timeout timer, if the step has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timer: Option<String>,
        /// A dynamic menu's choices as shown: (value, label).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<(String, String)>,
    },
    /// Waiting for the response to an HTTP request.
    Http { node: u32, request: String },
    /// With a human agent: automation is paused until the agent hands back.
    Handoff {
        node: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timer: Option<String>,
    },
    #[default]
    Ended,
    /// Stopped by an error (the step cap, a failed expression); the contact's next
    /// message goes through the triggers again.
    Failed { error: String },
}

/// A caller waiting for a sub-journey to return.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub journey: String,
    pub version: String,
    /// Where the caller goes on.
    pub resume: u32,
}

impl RunState {
    pub fn is_active(&self) -> bool {
        !matches!(self.status, Status::Ended | Status::Failed { .. })
    }

    pub(crate) fn next_id(&mut self, kind: &str) -> String {
        self.seq += 1;
        format!("{kind}-{}", self.seq)
    }
}
