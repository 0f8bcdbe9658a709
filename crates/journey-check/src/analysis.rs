//! Graph analyses shared by several rules.

use std::collections::BTreeSet;

use journey_model::{CardId, CompiledJourney, StepKind, Transition};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::DiGraph;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{Bfs, EdgeRef, IntoEdgeReferences, NodeIndexable};

/// Node indices reachable from the journey's entry, along every kind of edge.
pub(crate) fn reachable(journey: &CompiledJourney) -> fixedbitset::FixedBitSet {
    let graph = &journey.graph;
    let mut seen = fixedbitset::FixedBitSet::with_capacity(graph.node_bound());
    if let Some(entry) = journey.entry {
        let mut bfs = Bfs::new(graph, entry);
        while let Some(node) = bfs.next(graph) {
            seen.insert(node.index());
        }
    }
    seen
}

/// A cycle of steps with no wait in it.
pub(crate) struct Loop {
    /// The cards the cycle passes through, in card order.
    pub(crate) cards: Vec<CardId>,
    /// An edge leaves the cycle (a guard, an error): it may end.
    pub(crate) can_exit: bool,
}

/// Cycles that never wait for the contact. Waiting steps cut every cycle through them;
/// timer edges are not immediate, so they cut too.
pub(crate) fn loops_without_wait(journey: &CompiledJourney) -> Vec<Loop> {
    if journey.has_syntax_errors {
        return Vec::new();
    }
    let graph = &journey.graph;
    let mut immediate = DiGraph::<(), ()>::with_capacity(graph.node_bound(), graph.edge_count());
    for _ in 0..graph.node_bound() {
        immediate.add_node(());
    }
    for edge in graph.edge_references() {
        let waits = graph[edge.source()].kind.waits();
        if !waits && *edge.weight() != Transition::Timer {
            immediate.add_edge(
                petgraph::graph::NodeIndex::new(edge.source().index()),
                petgraph::graph::NodeIndex::new(edge.target().index()),
                (),
            );
        }
    }
    let mut loops = Vec::new();
    for component in kosaraju_scc(&immediate) {
        let is_cycle = component.len() > 1
            || immediate
                .edges(component[0])
                .any(|e| e.target() == component[0]);
        if !is_cycle {
            continue;
        }
        let members: BTreeSet<usize> = component.iter().map(|n| n.index()).collect();
        let can_exit = component.iter().any(|&n| {
            immediate
                .edges(n)
                .any(|e| !members.contains(&e.target().index()))
        });
        let cards: BTreeSet<CardId> = component
            .iter()
            .filter_map(|n| graph.node_weight(petgraph::stable_graph::NodeIndex::new(n.index())))
            .map(|step| step.card)
            .collect();
        loops.push(Loop {
            cards: cards.into_iter().collect(),
            can_exit,
        });
    }
    loops.sort_by_key(|l| l.cards[0]);
    loops
}

/// Can a run go from `start` to its end without sending the contact anything?
/// (A step that sends or waits, or a sub-journey, stops the search.)
pub(crate) fn can_end_silently(journey: &CompiledJourney, start: NodeIndex) -> bool {
    let graph = &journey.graph;
    let mut seen = fixedbitset::FixedBitSet::with_capacity(graph.node_bound());
    let mut stack = vec![start];
    while let Some(node) = stack.pop() {
        if seen.put(node.index()) {
            continue;
        }
        let kind = &graph[node].kind;
        if kind.sends() || kind.waits() || matches!(kind, StepKind::RunJourney { .. }) {
            continue;
        }
        let before = stack.len();
        stack.extend(
            graph
                .edges(node)
                .filter(|e| *e.weight() != Transition::Timer)
                .map(|e| e.target()),
        );
        if matches!(kind, StepKind::End { .. }) || stack.len() == before {
            return true;
        }
    }
    false
}
