//! Run variables: which names each step reads, and a "definitely assigned" dataflow
//! over the graph (a name is assigned at a step when every path from the entry to it
//! assigns the name first).

use fixedbitset::FixedBitSet;
use foldhash::{HashMap, HashMapExt};
use journey_diagnostics::Span;
use journey_model::builtins::CONTEXT_ROOTS;
use journey_model::{CardId, CompiledJourney, Step, StepKind, Transition};
use journey_syntax::ExprKind;

use crate::visit;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeIndexable};

/// A variable read at a step.
pub(crate) struct Read {
    pub(crate) name: String,
    pub(crate) span: Span,
    /// The card the reading step belongs to.
    pub(crate) card: CardId,
    /// Some path reaches the read without assigning the name.
    pub(crate) maybe_unassigned: bool,
}

pub(crate) struct Facts {
    /// Every name some step assigns.
    pub(crate) assigned: Vec<String>,
    /// Reads at reachable steps, in node order.
    pub(crate) reads: Vec<Read>,
}

pub(crate) fn analyse(journey: &CompiledJourney) -> Facts {
    let graph = &journey.graph;
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut assigned = Vec::new();
    for node in graph.node_indices() {
        if let Some(var) = written(&graph[node]) {
            ids.entry(var.to_owned()).or_insert_with(|| {
                assigned.push(var.to_owned());
                assigned.len() - 1
            });
        }
    }
    let states = definitely_assigned(journey, &ids);
    let mut reads = Vec::new();
    for node in graph.node_indices() {
        let Some(state) = &states[node.index()] else {
            continue;
        };
        let mut names: Vec<(&str, Span)> = Vec::new();
        let edges = graph.edges(node).map(|e| e.weight());
        visit::step_exprs(&graph[node], edges, &mut |top| {
            visit::walk(top, &mut |expr| {
                if let ExprKind::Name(name) = &expr.kind
                    && !CONTEXT_ROOTS.contains(&name.as_str())
                    && !journey.tables.contains_key(name)
                {
                    names.push((name, expr.span));
                }
            })
        });
        for (name, span) in names {
            let maybe_unassigned = ids.get(name).is_none_or(|&id| !state.contains(id));
            reads.push(Read {
                name: name.to_owned(),
                card: graph[node].card,
                span,
                maybe_unassigned,
            });
        }
    }
    Facts { assigned, reads }
}

/// The variable a step assigns, if any.
fn written(step: &Step) -> Option<&str> {
    match &step.kind {
        StepKind::Assign { var, .. } => Some(var),
        StepKind::Ask { var, .. } | StepKind::Http { var, .. } => var.as_deref(),
        StepKind::Menu(menu) => menu.var.as_deref(),
        _ => None,
    }
}

/// Does leaving a step along this transition complete its assignment? A question
/// that timed out has no answer to store. A menu stores even a reply that matches no
/// option (Turn's "question, `then:` an error card that re-asks" reads it there).
fn assigns_along(step: &Step, transition: &Transition) -> bool {
    match transition {
        Transition::Next | Transition::Reply | Transition::Option { .. } | Transition::Error => {
            true
        }
        Transition::Invalid => matches!(step.kind, StepKind::Menu(_)),
        _ => false,
    }
}

/// The set of definitely assigned names on entry to each reachable step (`None`:
/// unreachable). Sets only shrink, so the worklist terminates.
fn definitely_assigned(
    journey: &CompiledJourney,
    ids: &HashMap<String, usize>,
) -> Vec<Option<FixedBitSet>> {
    let graph = &journey.graph;
    let mut states: Vec<Option<FixedBitSet>> = vec![None; graph.node_bound()];
    let Some(entry) = journey.entry else {
        return states;
    };
    states[entry.index()] = Some(FixedBitSet::with_capacity(ids.len()));
    let mut worklist: Vec<NodeIndex> = vec![entry];
    while let Some(node) = worklist.pop() {
        let state = states[node.index()]
            .clone()
            .expect("queued nodes have a state");
        let gen_id = written(&graph[node]).and_then(|v| ids.get(v).copied());
        for edge in graph.edges(node) {
            let mut out = state.clone();
            if let Some(id) = gen_id
                && assigns_along(&graph[node], edge.weight())
            {
                out.insert(id);
            }
            let target = edge.target().index();
            let changed = match &mut states[target] {
                slot @ None => {
                    *slot = Some(out);
                    true
                }
                Some(existing) => {
                    let before = existing.count_ones(..);
                    existing.intersect_with(&out);
                    existing.count_ones(..) != before
                }
            };
            if changed {
                worklist.push(edge.target());
            }
        }
    }
    states
}
