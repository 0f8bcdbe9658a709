//! Automatic assignment (journey.toml's `[teams]` and `[queues]`, docs/inbox.md): a
//! task that applies each queue's rules when a handoff opens or ends (steps wake it),
//! and every few seconds for what a step does not announce: hours that open, another
//! process's changes, an operator who unassigns. The store does each pass in one
//! transaction (`Store::assign_queue`); this side turns the settings into its rules.

use std::sync::Arc;
use std::time::Duration;

use journey_project::{Hours, ProjectConfig, Queue};
use journey_runtime::Outbound;
use journey_store::{Millis, PersonRow, QueueAssignment, Strategy};
use tokio::sync::watch;

use super::guard::{Inbox, Need};
use crate::App;
use crate::clock::millis_to_timestamp;
use crate::people::Role;

/// The safety net's period, in real time.
const TICK: Duration = Duration::from_secs(2);

pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.wake_assign.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        pass(&app).await;
    }
}

/// Every configured queue's rules, once.
async fn pass(app: &App) {
    let deployed = app.deployed();
    let config = &deployed.config;
    if config.queues.is_empty() {
        return;
    }
    let people = match app.store.people().await {
        Ok(people) => people,
        Err(e) => return tracing::error!("cannot read the console's people: {e}"),
    };
    let now = app.clock.now();
    for name in config.queues.keys() {
        let Some(rules) = rules(config, name, &people, now) else {
            continue;
        };
        match app.store.assign_queue(rules, now).await {
            Ok(outcome) => {
                for (contact, agent) in &outcome.assigned {
                    tracing::info!(
                        contact,
                        agent,
                        queue = name,
                        "assigned by the queue's rules"
                    );
                }
                if !outcome.notified.is_empty() {
                    app.wake_dispatch.notify_one();
                }
            }
            Err(e) => tracing::error!(queue = name, "cannot assign the queue's handoffs: {e}"),
        }
    }
}

/// Queue `name`'s rules at `now`: its team's members who may work the inbox, in the
/// team's order, and whether its hours are open. `None` for a queue whose team is not
/// declared (`journey check` reports it).
fn rules(
    config: &ProjectConfig,
    name: &str,
    people: &[PersonRow],
    now: Millis,
) -> Option<QueueAssignment> {
    let queue = &config.queues[name];
    let team = config.teams.get(queue.team.as_deref()?)?;
    let may_work = |member: &&String| {
        people
            .iter()
            .any(|p| &p.name == *member && Role::parse(&p.role).is_ok_and(<Inbox as Need>::allows))
    };
    Some(QueueAssignment {
        queue: name.to_owned(),
        agents: team.members.iter().filter(may_work).cloned().collect(),
        strategy: match team.strategy {
            journey_project::Strategy::RoundRobin => Strategy::RoundRobin,
            journey_project::Strategy::LeastBusy => Strategy::LeastBusy,
        },
        capacity: i64::from(team.capacity),
        open: is_open(config, queue, now),
        busy: queue.busy.as_deref().map(message),
        out_of_hours: queue.out_of_hours.as_deref().map(message),
    })
}

/// Within the queue's hours (always, without hours; hours that cannot be read, which
/// `journey check` reports, count as none).
fn is_open(config: &ProjectConfig, queue: &Queue, now: Millis) -> bool {
    queue
        .hours
        .as_ref()
        .and_then(|spec| Hours::new(spec, &config.project.timezone))
        .is_none_or(|hours| hours.is_open(millis_to_timestamp(now)))
}

/// A text message as the outbox keeps it.
fn message(text: &str) -> String {
    let message = Outbound::Text {
        body: text.to_owned(),
    };
    serde_json::to_string(&message).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, role: &str) -> PersonRow {
        PersonRow {
            name: name.to_owned(),
            role: role.to_owned(),
            password_hash: String::new(),
            failed_logins: 0,
            locked_until: None,
            created_at: 0,
        }
    }

    const CONFIG: &str = r#"
[project]
timezone = "Africa/Johannesburg"

[teams.nurses]
members = ["olu", "gone", "bo", "nia"]
capacity = 1

[queues.nurses]
team = "nurses"
busy = "Everyone is busy."
out_of_hours = "We open at 8."

[queues.nurses.hours]
days = ["mon"]
open = "08:00"
close = "17:00"

[queues.strays]
team = "nobody"
"#;

    #[test]
    fn a_queue_is_worked_by_its_team_members_who_may_use_the_inbox_in_hours() {
        let (config, _) = journey_project::parse_config(journey_diagnostics::FileId(0), CONFIG);
        let people = [
            person("nia", "operator"),
            person("bo", "builder"),
            person("olu", "admin"),
        ];
        // Monday 7 December 2026, 09:00 in Johannesburg.
        let monday: Millis = "2026-12-07T07:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond();
        let rules = rules(&config, "nurses", &people, monday).unwrap();
        assert_eq!(
            rules.agents,
            ["olu", "nia"],
            "the builder and the stranger are left out"
        );
        assert_eq!((rules.strategy, rules.capacity), (Strategy::RoundRobin, 1));
        assert!(rules.open);
        let busy: Outbound = serde_json::from_str(rules.busy.as_deref().unwrap()).unwrap();
        assert_eq!(
            busy,
            Outbound::Text {
                body: "Everyone is busy.".to_owned()
            }
        );
        let evening = monday + 9 * 3_600_000;
        assert!(
            !super::rules(&config, "nurses", &people, evening)
                .unwrap()
                .open
        );
        assert!(super::rules(&config, "strays", &people, monday).is_none());
    }
}
