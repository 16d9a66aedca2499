//! The reminders' own ticker: approvers whose link has waited `approval.remind_after` are
//! mailed again (`Service::send_reminders`), on a loop of its own beside the mail worker's,
//! so that neither waits on the other.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::Service;

/// How often due reminders are looked for.
const SCAN: Duration = Duration::from_secs(1);

/// Queues due reminders every [`SCAN`] until `stop` turns true (or its sender is gone).
pub async fn remind_until(service: Service, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(SCAN);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while !*stop.borrow_and_update() {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = service.send_reminders().await {
                    tracing::warn!(error = %e, "cannot queue reminders");
                }
            }
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}
