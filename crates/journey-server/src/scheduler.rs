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
