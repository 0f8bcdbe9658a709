//! Fires timers: sleeps until the earliest is due (woken early when a step schedules
//! one, and at least every second as a safety net), then moves every due timer to its
//! contact's inbox in batches, earliest first. Timers are never fired before their time;
//! after downtime the overdue ones are caught up in order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::App;
use crate::steps::notify;

/// Timers moved per transaction.
const BATCH: usize = 500;

/// How often the server looks for events nobody is stepping.
const SWEEP: Duration = Duration::from_secs(5);

/// Events in an inbox with no worker on them: with a database several processes share,
/// those of a process killed after acknowledging a webhook; with any store, those of a
/// step that failed to commit and gave up. Every process looks for them now and then
/// and steps them; the step's lock and version fence keep each step to one process.
pub async fn sweep(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        match app.store.contacts_with_events().await {
            Ok(contacts) => contacts.iter().for_each(|contact| notify(&app, contact)),
            Err(e) => tracing::error!("cannot look for waiting events: {e}"),
        }
    }
}

pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let now = app.clock.now();
        match app.store.fire_due_timers(now, BATCH).await {
            Ok(contacts) => {
                let full = contacts.len() >= BATCH;
                for contact in &contacts {
                    notify(&app, contact);
                }
                if full {
                    continue;
                }
            }
            Err(e) => tracing::error!("cannot fire timers: {e}"),
        }
        let next = app.store.next_timer_at().await.ok().flatten();
        let wait = next
            .map(|at| app.clock.real_until(at))
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        tokio::select! {
            _ = app.wake_timers.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}
