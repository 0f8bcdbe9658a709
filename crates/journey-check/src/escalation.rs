//! Where a contact can reach a person (WA201, WA202, WA204): a `handoff(...)`, a card
//! declared as a non-chat escalation, or a sub-journey that has one.

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};
use journey_model::{CompiledJourney, StepKind};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

/// Is this step a way to a person?
pub(crate) fn escalates(
    project: &[CompiledJourney],
    journey: &CompiledJourney,
    node: NodeIndex,
) -> bool {
    match &journey.graph[node].kind {
        StepKind::RunJourney { journey: callee } => {
            reaches_a_person(project, &callee.name, &mut Vec::new())
        }
        _ => escalates_here(journey, node),
    }
}

/// Does the journey named `name` have a way to a person, itself or through the
/// journeys it runs (`run_stack` chains, however deep; `visited` stops cycles)?
fn reaches_a_person<'p>(
    project: &'p [CompiledJourney],
    name: &str,
    visited: &mut Vec<&'p str>,
) -> bool {
    let Some(callee) = project.iter().find(|j| j.name == name) else {
        return false;
    };
    if visited.contains(&callee.name.as_str()) {
        return false;
    }
    visited.push(&callee.name);
    callee
        .graph
        .node_indices()
        .any(|n| match &callee.graph[n].kind {
            StepKind::RunJourney { journey } => reaches_a_person(project, &journey.name, visited),
            _ => escalates_here(callee, n),
        })
}

/// A handoff, or the entry of a card declared as a non-chat escalation.
fn escalates_here(journey: &CompiledJourney, node: NodeIndex) -> bool {
    let step = &journey.graph[node];
    match step.kind {
        StepKind::Handoff { .. } => true,
        StepKind::CardEntry => journey.card(step.card).escalation.is_some(),
        _ => false,
    }
}

/// For every step that can reach a person: the fewest messages the contact must
/// send on the way (an answer, a tap, an interrupt keyword each count one). Steps
/// missing from the map cannot reach a person at all.
pub(crate) fn replies_to_escalation(
    project: &[CompiledJourney],
    journey: &CompiledJourney,
) -> HashMap<NodeIndex, u32> {
    ways_to_person(project, journey)
        .into_iter()
        .map(|(node, way)| (node, way.replies))
        .collect()
}

/// A step's way to a person: its fewest replies, and the next step of a way with that
/// few (`None` at the person).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Way {
    pub replies: u32,
    pub next: Option<NodeIndex>,
}

/// [`replies_to_escalation`] with the next step of each way. Following `next` from any
/// step ends at a person: a step's `next` is set only when its way got shorter through
/// a step whose way was already final, so the pointers never form a loop.
pub(crate) fn ways_to_person(
    project: &[CompiledJourney],
    journey: &CompiledJourney,
) -> HashMap<NodeIndex, Way> {
    let graph = &journey.graph;
    let mut ways: HashMap<NodeIndex, Way> = HashMap::new();
    let mut queue: VecDeque<NodeIndex> = VecDeque::new();
    for node in graph
        .node_indices()
        .filter(|&n| escalates(project, journey, n))
    {
        ways.insert(
            node,
            Way {
                replies: 0,
                next: None,
            },
        );
        queue.push_back(node);
    }
    // 0-1 breadth-first search backwards: a reply edge costs one, any other nothing.
    while let Some(node) = queue.pop_front() {
        let here = ways[&node].replies;
        for edge in graph.edges_directed(node, Direction::Incoming) {
            let cost = u32::from(edge.weight().is_inbound());
            let there = here + cost;
            if ways.get(&edge.source()).is_some_and(|w| w.replies <= there) {
                continue;
            }
            ways.insert(
                edge.source(),
                Way {
                    replies: there,
                    next: Some(node),
                },
            );
            if cost == 0 {
                queue.push_front(edge.source());
            } else {
                queue.push_back(edge.source());
            }
        }
    }
    ways
}
