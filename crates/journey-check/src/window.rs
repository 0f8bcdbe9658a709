//! The 24-hour customer-service window as a dataflow (brief §4): for every step, the
//! longest time that can have passed since the contact's last message when the run
//! gets there, over every path from every entry, to a fixed point over loops.
//!
//! - A journey started by a message starts at 0; one started by a time-based trigger
//!   at ∞ (business-initiated). A journey without triggers that other journeys start
//!   (`run_stack`, `schedule_stack`) starts at their age there (plus the delay); one
//!   nobody starts is taken to be started by a message.
//! - A reply (an option, an answer, an invalid answer, an interrupt keyword) resets to 0.
//! - A timeout adds its duration, a follow-up timer its delay (`at: local_time(...)`:
//!   at most a day; any other `at:` or an unknown duration: ∞).
//! - A handoff's return keeps the age it had at the handoff: the contact talks to the
//!   agent meanwhile, and `journey serve` re-checks the window at send time.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use journey_model::{
    CompiledJourney, ScheduleTime, StepKind, Target, Transition, constant_seconds,
};
use journey_syntax::ExprKind;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

/// Seconds since the last inbound message; `None` is unbounded (∞).
pub(crate) type Age = Option<u64>;

/// Hops of a worst path that a message shows.
const MAX_PATH: usize = 12;

/// Ages are capped: past a week every conclusion is the same, and the cap makes loops
/// with timers reach a fixed point.
const CAP: u64 = 7 * 24 * 3600;

/// How the worst age at a step came about, for the message.
#[derive(Clone, Debug)]
pub(crate) enum Cause {
    /// A journey entry: a message (0) or a business-initiated start (∞).
    Entry { business: bool },
    /// From another step, along an edge that added `delay` (None: unbounded).
    Step {
        journey: usize,
        node: NodeIndex,
        what: &'static str,
        delay: Age,
    },
}

pub(crate) struct Windows {
    /// (journey index, node) → worst age and how it came.
    ages: HashMap<(usize, NodeIndex), (Age, Cause)>,
    /// (journey index, node) → whether its worst age comes, without a reply in between,
    /// from a business-initiated start. Computed once for all steps: walking the causes
    /// back from every send costs the square of a long chain's length.
    business: HashMap<(usize, NodeIndex), bool>,
}

impl Windows {
    pub(crate) fn age(&self, journey: usize, node: NodeIndex) -> Option<&(Age, Cause)> {
        self.ages.get(&(journey, node))
    }

    /// Does the worst age of a step come, without a reply in between, from a
    /// business-initiated start?
    pub(crate) fn started_by_business(&self, journey: usize, node: NodeIndex) -> bool {
        self.business
            .get(&(journey, node))
            .copied()
            .unwrap_or(false)
    }

    /// Follows each step's causes back to a reply or an entry, stopping early at a step
    /// already decided, so every step is walked once.
    fn decide_business(&mut self) {
        let mut business = HashMap::with_capacity(self.ages.len());
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        for &start in self.ages.keys() {
            let mut at = start;
            let answer = loop {
                if let Some(&known) = business.get(&at) {
                    break known;
                }
                // Causes point to strictly older states; a cycle would be a bug, and is
                // taken as "not business" rather than walked forever.
                if !on_path.insert(at) {
                    break false;
                }
                path.push(at);
                match self.ages.get(&at).map(|(_, cause)| cause) {
                    Some(Cause::Step { what: "reply", .. }) | None => break false,
                    Some(Cause::Step { journey, node, .. }) => at = (*journey, *node),
                    Some(Cause::Entry { business }) => break *business,
                }
            };
            for key in path.drain(..) {
                business.insert(key, answer);
            }
            on_path.clear();
        }
        self.business = business;
    }

    /// The worst path to a step, oldest first: (journey, node, what led on, delay).
    pub(crate) fn path(
        &self,
        journey: usize,
        node: NodeIndex,
    ) -> Vec<(usize, NodeIndex, &'static str, Age)> {
        let mut path = Vec::new();
        let mut at = (journey, node);
        // A message names the last hops only; the bound also guards the walk.
        for _ in 0..MAX_PATH {
            match self.ages.get(&at).map(|(_, cause)| cause) {
                Some(Cause::Step {
                    journey,
                    node,
                    what,
                    delay,
                }) => {
                    path.push((at.0, at.1, *what, *delay));
                    at = (*journey, *node);
                }
                _ => break,
            }
        }
        let truncated = matches!(self.ages.get(&at), Some((_, Cause::Step { .. })));
        path.push((at.0, at.1, if truncated { "…" } else { "start" }, Some(0)));
        path.reverse();
        path
    }
}

fn add(age: Age, delay: Age) -> Age {
    Some(age?.saturating_add(delay?).min(CAP))
}

/// Is `a` worse (older) than `b`?
fn worse(a: Age, b: Age) -> bool {
    match (a, b) {
        (None, None) => false,
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a > b,
    }
}

pub(crate) fn analyse(project: &[CompiledJourney]) -> Windows {
    let index: BTreeMap<&str, usize> = project
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let mut windows = Windows {
        ages: HashMap::new(),
        business: HashMap::new(),
    };
    let mut work: Vec<(usize, NodeIndex)> = Vec::new();
    let started_by_others = started_elsewhere(project, &index);
    for (i, journey) in project.iter().enumerate() {
        let Some(entry) = journey.entry else { continue };
        let business = journey.triggers.iter().any(|t| t.is_business_initiated());
        let by_message = !journey.triggers.is_empty() || !started_by_others[i];
        if business || by_message {
            let age = if business { None } else { Some(0) };
            windows
                .ages
                .insert((i, entry), (age, Cause::Entry { business }));
            work.push((i, entry));
        }
    }
    while let Some((j, node)) = work.pop() {
        let age = windows.ages[&(j, node)].0;
        for (key, what, delay) in successors(project, &index, j, node) {
            let new_age = match delay {
                Delay::Reset => Some(0),
                Delay::Add(d) => add(age, d),
            };
            let better = windows
                .ages
                .get(&key)
                .is_none_or(|(old, _)| worse(new_age, *old));
            if better {
                let delay = match delay {
                    Delay::Reset => Some(0),
                    Delay::Add(d) => d,
                };
                windows.ages.insert(
                    key,
                    (
                        new_age,
                        Cause::Step {
                            journey: j,
                            node,
                            what,
                            delay,
                        },
                    ),
                );
                work.push(key);
            }
        }
    }
    windows.decide_business();
    windows
}

enum Delay {
    Reset,
    Add(Age),
}

/// Where a step leads, across journeys, with what each edge does to the age.
fn successors(
    project: &[CompiledJourney],
    index: &BTreeMap<&str, usize>,
    j: usize,
    node: NodeIndex,
) -> Vec<((usize, NodeIndex), &'static str, Delay)> {
    let journey = &project[j];
    let step = &journey.graph[node];
    let mut out = Vec::new();
    for edge in journey.graph.edges(node) {
        let (what, delay) = match edge.weight() {
            t if t.is_inbound() => ("reply", Delay::Reset),
            Transition::Timeout => ("timeout", Delay::Add(timeout(&step.kind))),
            Transition::Timer => match &step.kind {
                StepKind::Schedule { when, .. } => ("timer", Delay::Add(schedule_delay(when))),
                _ => ("timer", Delay::Add(None)),
            },
            _ => ("", Delay::Add(Some(0))),
        };
        out.push(((j, edge.target()), what, delay));
    }
    // Other journeys this step starts.
    match &step.kind {
        StepKind::RunJourney { journey: callee } => {
            if let Some(&c) = index.get(callee.name.as_str())
                && let Some(entry) = project[c].entry
            {
                out.push(((c, entry), "run", Delay::Add(Some(0))));
            }
        }
        StepKind::Schedule {
            target: Target::Journey(callee),
            when,
        } => {
            if let Some(&c) = index.get(callee.name.as_str())
                && let Some(entry) = project[c].entry
            {
                out.push(((c, entry), "timer", Delay::Add(schedule_delay(when))));
            }
        }
        _ => {}
    }
    out
}

/// Journeys that a step of another journey starts.
fn started_elsewhere(project: &[CompiledJourney], index: &BTreeMap<&str, usize>) -> Vec<bool> {
    let mut started = vec![false; project.len()];
    for journey in project {
        for node in journey.graph.node_indices() {
            let name = journey.graph[node].kind.started_journey().map(|j| &j.name);
            if let Some(&i) = name.and_then(|n| index.get(n.as_str())) {
                started[i] = true;
            }
        }
    }
    started
}

fn timeout(kind: &StepKind) -> Age {
    let expr = match kind {
        StepKind::Ask { input, .. } => input.timeout.as_ref(),
        StepKind::Menu(menu) => menu.input.timeout.as_ref(),
        StepKind::Handoff(handoff) => handoff.timeout.as_ref(),
        _ => None,
    };
    expr.and_then(constant_seconds)
}

fn schedule_delay(when: &ScheduleTime) -> Age {
    match when {
        ScheduleTime::In { seconds, .. } => *seconds,
        // The next 09:00 local is at most a day away.
        ScheduleTime::At(expr) => match &expr.kind {
            ExprKind::Call(call) if call.callee.name == "local_time" => Some(24 * 3600),
            _ => None,
        },
    }
}

/// A delay on a path: `6h`, or `unknown` (not a constant duration, or an `at:` date).
fn show_delay(delay: Age) -> String {
    match delay {
        Some(_) => show(delay),
        None => "unknown".to_owned(),
    }
}

/// An age for messages: `26h`, `23h30m`, `over a week`, `without limit`.
pub(crate) fn show(age: Age) -> String {
    let Some(seconds) = age else {
        return "without limit".to_owned();
    };
    if seconds >= CAP {
        return "over a week".to_owned();
    }
    let (h, m) = (seconds / 3600, seconds % 3600 / 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

/// "26h after" or "any time after", for "… the contact's last message".
pub(crate) fn after(age: Age) -> String {
    match age {
        Some(_) => format!("{} after", show(age)),
        None => "any time after".to_owned(),
    }
}

/// A free-form send (text, media, question, menu: anything but a template) of the
/// context's journey, with its worst age and whether that age comes from a
/// business-initiated start.
pub(crate) struct FreeForm {
    pub(crate) node: NodeIndex,
    pub(crate) age: Age,
    pub(crate) business: bool,
}

pub(crate) fn free_form_sends(ctx: &crate::Context<'_>) -> Vec<FreeForm> {
    if ctx.journey.has_syntax_errors {
        return Vec::new();
    }
    let windows = ctx.windows();
    let j = ctx.journey_index();
    let graph = &ctx.journey.graph;
    graph
        .node_indices()
        .filter(|&n| crate::policy::is_free_form(&graph[n].kind))
        .filter_map(|node| {
            let (age, _) = windows.age(j, node)?;
            let business = windows.started_by_business(j, node);
            Some(FreeForm {
                node,
                age: *age,
                business,
            })
        })
        .collect()
}

/// "`Welcome` → `Nudge` (timeout 20h) → `Reminder` (in 6h) = 26h since the last reply":
/// the worst path from the last reply (or the start) to a step.
pub(crate) fn describe(ctx: &crate::Context<'_>, node: NodeIndex, age: Age) -> String {
    let path = ctx.windows().path(ctx.journey_index(), node);
    let since = path
        .iter()
        .rposition(|(_, _, what, _)| *what == "reply")
        .unwrap_or(0);
    let mut parts: Vec<String> = Vec::new();
    let mut last_card = None;
    for &(j, n, what, delay) in &path[since..] {
        let journey = &ctx.project[j];
        let card = &journey.card(journey.graph[n].card).name;
        let delay_text = match what {
            "timeout" => Some(format!(" (timeout {})", show_delay(delay))),
            "timer" => Some(format!(" (in {})", show_delay(delay))),
            _ => None,
        };
        if last_card != Some(card) || delay_text.is_some() {
            parts.push(format!("`{card}`{}", delay_text.unwrap_or_default()));
            last_card = Some(card);
        }
    }
    let origin = match path.first() {
        _ if since > 0 => "since the last reply",
        Some((_, _, "…", _)) => "since the last reply, further back",
        _ => "since the message that started the journey",
    };
    if matches!(path.first(), Some((_, _, "…", _))) && since == 0 {
        parts.insert(0, "…".to_owned());
    }
    match age {
        Some(_) => format!("{} = {} {origin}", parts.join(" → "), show(age)),
        None => format!("{}: no bound on the time {origin}", parts.join(" → ")),
    }
}

pub(crate) const DAY: u64 = 24 * 3600;
