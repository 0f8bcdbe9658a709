//! Re-engagement loops (WA701): cycles that a timer or a timeout drives round, sending
//! messages, with no reply from the contact needed and no condition to leave them.
//! Project-wide, because a journey may schedule itself or another that schedules it.

use std::collections::BTreeSet;

use journey_model::{CompiledJourney, StepKind, Transition};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex as Flat};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences, NodeIndexable};

/// What an edge of the project graph does, for the loop test.
#[derive(Clone, Copy, PartialEq)]
enum Edge {
    /// Time passes: a follow-up timer or a question's timeout.
    Delay,
    /// Taken when a condition holds or fails: a way out of a loop.
    Condition,
    Other,
}

/// A loop found: the step whose timer drives it, and the cards it passes.
pub(crate) struct Reengagement {
    pub(crate) journey: usize,
    pub(crate) node: NodeIndex,
    pub(crate) cards: Vec<(usize, journey_model::CardId)>,
}

pub(crate) fn analyse(project: &[CompiledJourney]) -> Vec<Reengagement> {
    let mut base = Vec::with_capacity(project.len());
    let mut total = 0;
    for journey in project {
        base.push(total);
        total += journey.graph.node_bound();
    }
    let flat = |j: usize, n: NodeIndex| Flat::new(base[j] + n.index());
    let unflat = |f: Flat| {
        let j = base.partition_point(|&b| b <= f.index()) - 1;
        (j, NodeIndex::new(f.index() - base[j]))
    };
    let mut graph = DiGraph::<(), Edge>::with_capacity(total, total);
    for _ in 0..total {
        graph.add_node(());
    }
    for (j, journey) in project.iter().enumerate() {
        for edge in journey.graph.edge_references() {
            let kind = match edge.weight() {
                // A reply is needed to go on: such a cycle is a conversation.
                t if t.is_inbound() => continue,
                Transition::Timer | Transition::Timeout => Edge::Delay,
                Transition::Guard { .. } | Transition::Default => Edge::Condition,
                _ => Edge::Other,
            };
            graph.add_edge(flat(j, edge.source()), flat(j, edge.target()), kind);
        }
        for node in journey.graph.node_indices() {
            let step = &journey.graph[node].kind;
            let Some(callee) = step.started_journey() else {
                continue;
            };
            // A scheduled journey starts later: time passes on that edge.
            let kind = match step {
                StepKind::Schedule { .. } => Edge::Delay,
                _ => Edge::Other,
            };
            let Some((c, entry)) = project
                .iter()
                .enumerate()
                .find(|(_, p)| p.name == callee.name)
                .and_then(|(c, p)| Some((c, p.entry?)))
            else {
                continue;
            };
            graph.add_edge(flat(j, node), flat(c, entry), kind);
        }
    }
    let mut found = Vec::new();
    for component in kosaraju_scc(&graph) {
        let members: BTreeSet<Flat> = component.iter().copied().collect();
        let inside = |f: Flat| members.contains(&f);
        let mut delay = None;
        let mut can_leave = false;
        for &f in &component {
            for edge in graph.edges(f) {
                match (*edge.weight(), inside(edge.target())) {
                    (Edge::Delay, true) => {
                        delay = Some(delay.map_or(f, |d: Flat| d.min(f)));
                    }
                    (Edge::Condition, false) => can_leave = true,
                    _ => {}
                }
            }
        }
        let sends = component.iter().any(|&f| {
            let (j, n) = unflat(f);
            project[j].graph[n].kind.sends()
        });
        let Some(anchor) = delay else { continue };
        if can_leave || !sends {
            continue;
        }
        let (journey, node) = unflat(anchor);
        let cards: BTreeSet<(usize, journey_model::CardId)> = component
            .iter()
            .map(|&f| {
                let (j, n) = unflat(f);
                (j, project[j].graph[n].card)
            })
            .collect();
        found.push(Reengagement {
            journey,
            node,
            cards: cards.into_iter().collect(),
        });
    }
    found
}
