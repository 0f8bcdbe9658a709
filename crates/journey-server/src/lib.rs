//! `journey serve` (brief §6): the WhatsApp Cloud API runtime.
//!
//! ```text
//!  Meta ──POST /webhooks/whatsapp──► verify signature (raw bytes) ─► parse ─► store.accept
//!                                    (one transaction: dedupe by wamid + inbox rows) ─► 200
//!        inbox ─► steps (one contact at a time, contacts in parallel): interpreter step,
//!                 then store.commit_step (version fence; state, timers, outbox, journal)
//!        timers ─► scheduler: due rows → inbox events, in order, never early
//!        outbox ─► dispatcher: lease, opt-out / window / tier / rate checks, POST to the
//!                  Graph API, classify the answer, record (retry with backoff, or dead)
//! ```
//!
//! The store ([`journey_store::Store`]) does the I/O on the database; this crate does
//! the network I/O (HTTP in and out) and nothing else touches the disk.

mod bundle;
mod clock;
mod console;
mod deployed;
mod dispatch;
mod limits;
mod listen;
mod metrics;
pub mod people;
mod replay;
mod routes;
mod scheduler;
mod sim;
mod steps;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use journey_store::{Millis, Store};
use tokio::sync::{Notify, Semaphore, watch};

pub use bundle::Bundle;
pub use clock::Clock;
pub use limits::Rates;
pub use replay::replay;
pub use sim::{SimReport, simulate};

/// How `journey serve` is set up (the CLI fills it from flags and the environment).
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The Graph API base, e.g. `https://graph.facebook.com/v23.0`.
    pub graph_url: String,
    /// Our WhatsApp number's id (`[channel] phone_number_id` in journey.toml).
    pub phone_number_id: String,
    pub app_secret: String,
    pub verify_token: String,
    pub access_token: String,
    /// `None`: the admin API answers 503.
    pub admin_token: Option<String>,
    /// Free-form sends stop this long before the 24-hour window closes.
    pub window_margin: jiff::SignedDuration,
    /// Webhook bodies larger than this get 413 (Meta sends up to 3 MB).
    pub max_body: usize,
    pub rates: Rates,
    /// A reverse proxy is in front (`--behind-proxy`): the console takes the client's
    /// address from `X-Forwarded-For` and makes its cookie `Secure`.
    pub behind_proxy: bool,
    /// `JOURNEY_TEST_TIME_SCALE`: journey time runs this many times faster (tests only).
    pub time_scale: f64,
    /// `secret("NAME")` values, from `JOURNEY_SECRET_NAME`.
    pub secrets: BTreeMap<String, String>,
}

/// Reads the project again for `POST /admin/deploy` with no body.
pub type Reload = Arc<dyn Fn() -> Result<Bundle, String> + Send + Sync>;

/// Everything the tasks share.
pub(crate) struct App {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub settings: Settings,
    deployed: RwLock<Arc<deployed::Deployed>>,
    pub reload: Option<Reload>,
    /// Deploys are checked one at a time.
    pub deploying: tokio::sync::Mutex<()>,
    pub metrics: metrics::Metrics,
    pub workers: steps::Workers,
    /// Bounds the contacts stepped at once.
    pub step_slots: Semaphore,
    pub limits: Mutex<limits::Limits>,
    pub http: reqwest::Client,
    pub wake_dispatch: Notify,
    pub wake_timers: Notify,
    /// A handoff opened or ended: time for a pass of the queues' assignment rules.
    pub wake_assign: Notify,
    /// A broadcast was sent: release its messages that are due.
    pub wake_broadcasts: Notify,
    /// Bounds the console's password checks at once.
    pub hashing: Semaphore,
    /// When SIGTERM (or Ctrl-C) came: `None` while serving. Streams that never end on
    /// their own (the console's live updates) end then, so that shutdown is prompt.
    pub stopping: watch::Receiver<Option<tokio::time::Instant>>,
}

impl App {
    pub fn deployed(&self) -> Arc<deployed::Deployed> {
        match self.deployed.read() {
            Ok(deployed) => deployed.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_deployed(&self, deployed: deployed::Deployed) {
        match self.deployed.write() {
            Ok(mut slot) => *slot = Arc::new(deployed),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(deployed),
        }
    }
}

/// The database's clock minus this machine's, for a store that several processes
/// share (0 for one on this machine), measured once at start from the middle of the
/// round trip.
async fn clock_offset(store: &dyn Store) -> Result<Millis, String> {
    let before = clock::real_now();
    let shared = store
        .clock()
        .await
        .map_err(|e| format!("cannot read the database's clock: {e}"))?;
    let after = clock::real_now();
    Ok(shared.map_or(0, |db| db - (before + after) / 2))
}

/// Runs the server until `shutdown` resolves, then stops accepting, finishes what was
/// accepted (steps, sends in flight) and returns. `ready` hears the bound address.
pub async fn serve(
    settings: Settings,
    store: Arc<dyn Store>,
    bundle: Bundle,
    reload: Option<Reload>,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let offset = clock_offset(&*store).await?;
    let clock = if settings.time_scale > 1.0 {
        let anchor = store
            .meta("clock_anchor", (clock::real_now() + offset).to_string())
            .await
            .map_err(|e| e.to_string())?;
        let anchor = anchor
            .parse()
            .map_err(|_| format!("the stored clock anchor `{anchor}` is not a number"))?;
        Clock::scaled(anchor, settings.time_scale)
    } else {
        Clock::real()
    }
    .with_offset(offset);
    bundle.compile()?;
    store
        .deploy(bundle.digest(), to_json(&bundle), clock.now())
        .await
        .map_err(|e| format!("cannot store the deployment: {e}"))?;
    let deployments = store.deployments().await.map_err(|e| e.to_string())?;
    let deployed = deployed::Deployed::build(&deployments, &settings.secrets)?;
    let now = clock.now();
    let (stop_serving, stopping) = watch::channel(None);
    let reach = store
        .reach_since(now - 24 * 3_600_000)
        .await
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let app = Arc::new(App {
        limits: Mutex::new(limits::Limits::new(settings.rates, reach, now)),
        store,
        clock,
        deployed: RwLock::new(Arc::new(deployed)),
        reload,
        deploying: tokio::sync::Mutex::new(()),
        metrics: metrics::Metrics::default(),
        workers: steps::Workers::default(),
        step_slots: Semaphore::new(1024),
        http,
        wake_dispatch: Notify::new(),
        wake_timers: Notify::new(),
        wake_assign: Notify::new(),
        wake_broadcasts: Notify::new(),
        hashing: Semaphore::new(console::HASHING_SLOTS),
        stopping: stopping.clone(),
        settings,
    });
    let listener = tokio::net::TcpListener::bind(app.settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", app.settings.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let (stop, stopped) = watch::channel(false);
    let timers = tokio::spawn(scheduler::run(app.clone(), stopped.clone()));
    let sweeper = tokio::spawn(scheduler::sweep(app.clone(), stopped.clone()));
    let assigner = tokio::spawn(console::assign::run(app.clone(), stopped.clone()));
    let broadcaster = tokio::spawn(console::broadcasts::run(app.clone(), stopped.clone()));
    let dispatcher = tokio::spawn(dispatch::run(app.clone(), stopped));
    // Events accepted before a restart and not yet stepped.
    for contact in app
        .store
        .contacts_with_events()
        .await
        .map_err(|e| e.to_string())?
    {
        steps::notify(&app, &contact);
    }
    tracing::info!(%address, "journey serve is listening");
    ready(address);
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing accepted work");
        let _ = stop_serving.send(Some(tokio::time::Instant::now()));
    };
    listen::serve(
        listener,
        routes::router(app.clone()),
        listen::connection_cap(),
        shutdown,
    )
    .await;
    // Stopped accepting: finish the steps under way, then the sends in flight.
    // Briefly, counted from the signal (the steps ran on while the connections
    // drained): a step cut short commits nothing, and its event is stepped after the
    // restart; SIGTERM must not wait on a slow helper.
    let since = stopping.borrow().unwrap_or_else(tokio::time::Instant::now);
    let deadline = since + GRACE;
    while app.workers.busy() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    let _ = timers.await;
    let _ = sweeper.await;
    let _ = assigner.await;
    let _ = broadcaster.await;
    let _ = dispatcher.await;
    Ok(())
}

/// What SIGTERM gives the requests and steps under way to finish.
const GRACE: Duration = Duration::from_secs(2);

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
