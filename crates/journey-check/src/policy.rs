//! WhatsApp's policy step by step, for a picture of the journey (the studio's canvas):
//! the worst time since the contact's last message (the 24-hour window dataflow that
//! WA101 reports from), and whether a person can be reached from a step (WA201's).

use foldhash::HashMap;
use journey_model::{CompiledJourney, StepKind};
use petgraph::stable_graph::NodeIndex;

use crate::escalation;
use crate::window::{self, DAY, Windows};

/// The project's window ages and ways to a person, computed once.
pub struct Policy {
    windows: Windows,
    /// Per journey: the steps from which a person can be reached, and how.
    to_person: Vec<HashMap<NodeIndex, escalation::Way>>,
}

/// Where a step stands with the 24-hour window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Age {
    /// No run gets there (from any entry of the project).
    Unreached,
    /// At most this many seconds since the contact's last message (capped at a week).
    AtMost(u64),
    /// No bound: a business-initiated start, or a delay not known before the run.
    Unbounded,
}

impl Age {
    /// Can a free-form message sent at this age fall outside the window?
    pub fn outside_window(self) -> bool {
        match self {
            Age::Unreached => false,
            Age::AtMost(seconds) => seconds >= DAY,
            Age::Unbounded => true,
        }
    }
}

impl Policy {
    pub fn analyse(project: &[CompiledJourney]) -> Policy {
        Policy {
            windows: window::analyse(project),
            to_person: project
                .iter()
                .map(|journey| escalation::ways_to_person(project, journey))
                .collect(),
        }
    }

    /// The worst age at step `node` of the project's `journey`-th journey.
    pub fn age(&self, journey: usize, node: NodeIndex) -> Age {
        match self.windows.age(journey, node) {
            None => Age::Unreached,
            Some((Some(seconds), _)) => Age::AtMost(*seconds),
            Some((None, _)) => Age::Unbounded,
        }
    }

    /// Can the contact reach a person (a handoff, an escalation card, a journey with
    /// one) from this step?
    pub fn reaches_person(&self, journey: usize, node: NodeIndex) -> bool {
        self.to_person
            .get(journey)
            .is_some_and(|steps| steps.contains_key(&node))
    }

    /// The steps of a way to a person from this step with the fewest replies, this
    /// step first and the person (a handoff, an escalation card, a journey with one)
    /// last; empty when there is none.
    pub fn path_to_person(&self, journey: usize, node: NodeIndex) -> Vec<NodeIndex> {
        let Some(ways) = self.to_person.get(journey) else {
            return Vec::new();
        };
        let mut path = Vec::new();
        let mut at = ways.get(&node).map(|_| node);
        while let Some(step) = at {
            path.push(step);
            at = ways.get(&step).and_then(|w| w.next);
        }
        path
    }
}

/// Does this step send a free-form message (anything but a template)?
pub fn is_free_form(kind: &StepKind) -> bool {
    kind.sends() && !matches!(kind, StepKind::Template(_))
}
