//! Timing for the scale measurements (`*_scale.rs`).

use std::time::{Duration, Instant};

/// The 95th percentile of 20 runs.
pub async fn p95<T, F: std::future::Future<Output = T>>(mut run: impl FnMut() -> F) -> Duration {
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        run().await;
        times.push(start.elapsed());
    }
    times.sort();
    times[18]
}
