//! Where a contact can reach a person (WA201, WA202, WA204): a `handoff(...)`, a card
//! declared as a non-chat escalation, or a sub-journey that has one.

use std::collections::{HashMap, VecDeque};

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
    let graph = &journey.graph;
    let mut replies: HashMap<NodeIndex, u32> = HashMap::new();
    let mut queue: VecDeque<NodeIndex> = VecDeque::new();
    for node in graph
        .node_indices()
        .filter(|&n| escalates(project, journey, n))
    {
        replies.insert(node, 0);
        queue.push_back(node);
    }
    // 0-1 breadth-first search backwards: a reply edge costs one, any other nothing.
    while let Some(node) = queue.pop_front() {
        let here = replies[&node];
        for edge in graph.edges_directed(node, Direction::Incoming) {
            let cost = u32::from(edge.weight().is_inbound());
            let there = here + cost;
            if replies.get(&edge.source()).is_some_and(|&r| r <= there) {
                continue;
            }
            replies.insert(edge.source(), there);
            if cost == 0 {
                queue.push_front(edge.source());
            } else {
                queue.push_back(edge.source());
            }
        }
    }
    replies
}
