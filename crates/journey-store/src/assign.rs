//! Assigning a queue's waiting handoffs automatically (journey.toml's `[queues]`): what
//! the server asks for, and the choice both stores make inside their transaction, from
//! what they read under their lock. Pure, so both stores choose alike.

use std::collections::HashMap;

use crate::Millis;
use crate::types::AuditEntry;

/// How a team's handoffs are shared out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Each agent in turn, after whoever got the queue's last one.
    RoundRobin,
    /// The agent with the fewest open conversations; ties go to the team's order.
    LeastBusy,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round-robin",
            Strategy::LeastBusy => "least-busy",
        }
    }
}

/// A queue's rules, for one pass over its waiting handoffs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueAssignment {
    pub queue: String,
    /// The team's agents who may work the inbox, in the team's order.
    pub agents: Vec<String>,
    pub strategy: Strategy,
    /// Open conversations an agent has at once, at most (in every queue together).
    pub capacity: i64,
    /// Within business hours. Outside them nobody is assigned and `out_of_hours` goes.
    pub open: bool,
    /// Outbox bodies (messages as JSON), each sent at most once per handoff: when
    /// every agent is at capacity, and when the queue is closed.
    pub busy: Option<String>,
    pub out_of_hours: Option<String>,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignOutcome {
    /// `(contact, agent)`, oldest handoff first.
    pub assigned: Vec<(String, String)>,
    /// Contacts sent the busy or the out-of-hours message in this pass.
    pub notified: Vec<String>,
}

/// The notices a contact can get while waiting, once per handoff each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    Busy,
    OutOfHours,
}

impl Notice {
    /// The outbox row's idempotency key: the UNIQUE index keeps a second one out, in
    /// whichever process and pass it is tried.
    pub(crate) fn idem_key(self, contact: &str, since: Millis) -> String {
        let kind = match self {
            Notice::Busy => "busy",
            Notice::OutOfHours => "out-of-hours",
        };
        format!("{contact}:{kind}:{since}")
    }
}

/// The writes of a pass, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// `(contact, since, agent)`.
    pub assign: Vec<(String, Millis, String)>,
    /// `(contact, since, notice, body)`.
    pub notify: Vec<(String, Millis, Notice, String)>,
    /// The agent the queue's turn stops at, when it moved.
    pub last: Option<String>,
}

/// Shares out `waiting` (`(contact, since)`, oldest first) given each agent's open
/// conversations (`load`) and whoever got the queue's last handoff.
pub(crate) fn plan(
    rules: &QueueAssignment,
    waiting: &[(String, Millis)],
    mut load: HashMap<String, i64>,
    mut last: Option<String>,
) -> Plan {
    let mut plan = Plan::default();
    let notice = |notice: Notice, body: &Option<String>, (contact, since): &(String, Millis)| {
        body.as_ref()
            .map(|body| (contact.clone(), *since, notice, body.clone()))
    };
    if !rules.open {
        plan.notify = waiting
            .iter()
            .filter_map(|w| notice(Notice::OutOfHours, &rules.out_of_hours, w))
            .collect();
        return plan;
    }
    for (n, handoff) in waiting.iter().enumerate() {
        let Some(agent) = pick(rules, &load, last.as_deref()) else {
            // Everyone is at capacity: the rest wait, in order, and hear so.
            plan.notify = waiting[n..]
                .iter()
                .filter_map(|w| notice(Notice::Busy, &rules.busy, w))
                .collect();
            break;
        };
        *load.entry(agent.clone()).or_default() += 1;
        plan.assign
            .push((handoff.0.clone(), handoff.1, agent.clone()));
        last = Some(agent);
        plan.last = last.clone();
    }
    plan
}

/// The audit row of an automatic assignment: the rules are its actor.
pub(crate) fn audit(rules: &QueueAssignment, contact: &str, agent: &str) -> AuditEntry {
    AuditEntry {
        actor: "journey".to_owned(),
        action: "auto_assign".to_owned(),
        subject: Some(contact.to_owned()),
        address: None,
        detail: format!(
            "assigned to {agent} in queue {} ({}, at most {} at once)",
            rules.queue,
            rules.strategy.as_str(),
            rules.capacity
        ),
    }
}

/// The agent who gets the next handoff, if anyone has room.
pub fn pick(
    rules: &QueueAssignment,
    load: &HashMap<String, i64>,
    last: Option<&str>,
) -> Option<String> {
    let load_of = |agent: &String| load.get(agent).copied().unwrap_or(0);
    let free = |agent: &&String| load_of(agent) < rules.capacity;
    match rules.strategy {
        Strategy::RoundRobin => {
            let after = last
                .and_then(|last| rules.agents.iter().position(|a| a == last))
                .map_or(0, |i| i + 1);
            let n = rules.agents.len();
            (0..n)
                .map(|i| &rules.agents[(after + i) % n])
                .find(free)
                .cloned()
        }
        Strategy::LeastBusy => rules
            .agents
            .iter()
            .filter(free)
            // `min_by_key` keeps the first of equals: the team's order breaks ties.
            .min_by_key(|agent| load_of(agent))
            .cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(strategy: Strategy, capacity: i64) -> QueueAssignment {
        QueueAssignment {
            queue: "nurses".to_owned(),
            agents: vec!["olu".to_owned(), "nia".to_owned(), "ben".to_owned()],
            strategy,
            capacity,
            open: true,
            busy: Some("busy".to_owned()),
            out_of_hours: Some("closed".to_owned()),
        }
    }

    fn load(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(a, n)| ((*a).to_owned(), *n)).collect()
    }

    fn waiting(n: usize) -> Vec<(String, Millis)> {
        (0..n).map(|i| (format!("c{i}"), i as Millis)).collect()
    }

    #[test]
    fn round_robin_goes_on_after_the_last_and_skips_whoever_is_full() {
        let r = rules(Strategy::RoundRobin, 2);
        assert_eq!(pick(&r, &load(&[]), None).as_deref(), Some("olu"));
        assert_eq!(pick(&r, &load(&[]), Some("olu")).as_deref(), Some("nia"));
        assert_eq!(
            pick(&r, &load(&[]), Some("ben")).as_deref(),
            Some("olu"),
            "wraps"
        );
        assert_eq!(
            pick(&r, &load(&[("nia", 2)]), Some("olu")).as_deref(),
            Some("ben")
        );
        // Someone no longer in the team: start from the top.
        assert_eq!(pick(&r, &load(&[]), Some("gone")).as_deref(), Some("olu"));
        let full = load(&[("olu", 2), ("nia", 2), ("ben", 2)]);
        assert_eq!(pick(&r, &full, Some("olu")), None);
    }

    #[test]
    fn least_busy_takes_the_fewest_open_and_the_team_order_breaks_ties() {
        let r = rules(Strategy::LeastBusy, 3);
        assert_eq!(
            pick(&r, &load(&[("olu", 1), ("nia", 0), ("ben", 0)]), None).as_deref(),
            Some("nia")
        );
        assert_eq!(
            pick(
                &r,
                &load(&[("olu", 2), ("nia", 1), ("ben", 2)]),
                Some("nia")
            )
            .as_deref(),
            Some("nia")
        );
        assert_eq!(
            pick(&r, &load(&[("olu", 3), ("nia", 3), ("ben", 3)]), None),
            None
        );
    }

    #[test]
    fn a_pass_fills_every_agent_then_the_rest_hear_everyone_is_busy() {
        let mut r = rules(Strategy::RoundRobin, 1);
        r.agents.truncate(2);
        let plan = plan(&r, &waiting(4), load(&[]), Some("olu".to_owned()));
        let assigned: Vec<(&str, &str)> = plan
            .assign
            .iter()
            .map(|(c, _, a)| (c.as_str(), a.as_str()))
            .collect();
        assert_eq!(assigned, [("c0", "nia"), ("c1", "olu")]);
        assert_eq!(plan.last.as_deref(), Some("olu"));
        let notified: Vec<(&str, Notice)> = plan
            .notify
            .iter()
            .map(|(c, _, n, _)| (c.as_str(), *n))
            .collect();
        assert_eq!(notified, [("c2", Notice::Busy), ("c3", Notice::Busy)]);
    }

    #[test]
    fn a_closed_queue_assigns_nobody_and_says_when_it_opens() {
        let mut r = rules(Strategy::LeastBusy, 5);
        r.open = false;
        let plan = plan(&r, &waiting(2), load(&[]), None);
        assert!(plan.assign.is_empty() && plan.last.is_none());
        assert_eq!(plan.notify.len(), 2);
        assert!(
            plan.notify
                .iter()
                .all(|(_, _, n, body)| *n == Notice::OutOfHours && body == "closed")
        );
        // Without messages nothing is sent, and nobody is assigned either.
        r.out_of_hours = None;
        assert_eq!(
            super::plan(&r, &waiting(2), load(&[]), None),
            Plan::default()
        );
    }

    #[test]
    fn notices_are_keyed_by_the_handoff() {
        assert_eq!(Notice::Busy.idem_key("2782", 17), "2782:busy:17");
        assert_ne!(
            Notice::Busy.idem_key("2782", 17),
            Notice::OutOfHours.idem_key("2782", 17)
        );
    }
}
