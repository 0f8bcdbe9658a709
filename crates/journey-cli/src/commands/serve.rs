//! `journey serve --project DIR`: runs the project's journeys on the WhatsApp Cloud API.
//! This command reads the files, the flags and the environment; journey-server does
//! the rest (docs/serve.md).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use journey_server::{Bundle, Rates, Settings};

use crate::Io;
use crate::workspace::{display, is_readme};

#[derive(clap::Args)]
#[command(after_help = "\
Environment:
  JOURNEY_APP_SECRET     the Meta app's secret: webhook signatures (required)
  JOURNEY_VERIFY_TOKEN   the token of Meta's webhook verification handshake (required)
  JOURNEY_ACCESS_TOKEN   the Graph API access token messages are sent with (required)
  JOURNEY_ADMIN_TOKEN    the bearer token of the admin API (unset: the admin API is off)
  JOURNEY_SECRET_<NAME>  the value of secret(\"NAME\") in journeys
  RUST_LOG               log level (default info), e.g. RUST_LOG=debug

See docs/serve.md.")]
pub struct Args {
    /// The project directory (with `journey.toml`).
    #[arg(long, default_value = ".")]
    project: PathBuf,
    /// `sqlite://PATH` (default: `journey.db` in the project), or
    /// `postgres://USER@HOST/DB?schema=NAME` for several processes on one database
    /// (docs/scaling.md).
    #[arg(long)]
    database: Option<String>,
    /// Where to listen for webhooks, the admin API and the console (`/console/`).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The Graph API base URL messages are posted to.
    #[arg(long, default_value = "https://graph.facebook.com/v23.0")]
    graph_url: String,
    /// Our number's id; default `[channel] phone_number_id` in journey.toml.
    #[arg(long)]
    phone_number_id: Option<String>,
    /// Messages per second from the number (Meta's default throughput is 80).
    #[arg(long, default_value_t = 80.0)]
    rate: f64,
    /// Webhook bodies larger than this many bytes are refused with 413.
    #[arg(long, default_value_t = 3 * 1024 * 1024)]
    max_body: usize,
    /// Start from nothing on an empty SQLite file (one that exists with 0 bytes is
    /// otherwise refused: it usually means state was lost).
    #[arg(long)]
    init_database: bool,
    /// Logs as JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
    /// A reverse proxy that terminates TLS is in front: the console takes the client's
    /// address from X-Forwarded-For and makes its session cookie Secure. Set it only
    /// when there is one: otherwise a client could claim any address.
    #[arg(long)]
    behind_proxy: bool,
}

/// The environment variables the server reads its secrets from.
const APP_SECRET: &str = "JOURNEY_APP_SECRET";
const VERIFY_TOKEN: &str = "JOURNEY_VERIFY_TOKEN";
const ACCESS_TOKEN: &str = "JOURNEY_ACCESS_TOKEN";
const ADMIN_TOKEN: &str = "JOURNEY_ADMIN_TOKEN";
/// Test-only: journey time runs this many times faster than real time.
const TIME_SCALE: &str = "JOURNEY_TEST_TIME_SCALE";

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let project = args.project.clone();
    if !project.join("journey.toml").is_file() {
        return Err(format!(
            "`{}` has no journey.toml; `journey new` makes a project",
            project.display()
        ));
    }
    let bundle = read_bundle(&project)?;
    let (config, _) = journey_project::parse_config(journey_diagnostics::FileId(0), &bundle.config);
    let phone_number_id = args
        .phone_number_id
        .clone()
        .or(config.channel.phone_number_id.clone())
        .ok_or("set `[channel] phone_number_id` in journey.toml, or pass --phone-number-id")?;
    let time_scale = match std::env::var(TIME_SCALE) {
        Ok(text) => text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 1.0)
            .ok_or(format!("{TIME_SCALE} must be a number ≥ 1, not `{text}`"))?,
        Err(_) => 1.0,
    };
    let secrets: BTreeMap<String, String> = config
        .secrets
        .names
        .iter()
        .filter_map(|name| {
            let value = std::env::var(journey_project::Secrets::env_var(name)).ok()?;
            Some((name.clone(), value))
        })
        .collect();
    let settings = Settings {
        listen: args.listen,
        graph_url: args.graph_url.clone(),
        phone_number_id,
        app_secret: required(APP_SECRET)?,
        verify_token: required(VERIFY_TOKEN)?,
        access_token: required(ACCESS_TOKEN)?,
        admin_token: std::env::var(ADMIN_TOKEN).ok().filter(|t| !t.is_empty()),
        window_margin: jiff::SignedDuration::from_mins(1),
        max_body: args.max_body,
        rates: Rates {
            per_number: args.rate,
            pair_interval_secs: 6.0,
            pair_burst: 45.0,
            tier: config.channel.messaging_limit_tier,
        },
        behind_proxy: args.behind_proxy,
        time_scale,
        secrets,
    };
    let database = Database::parse(args.database.as_deref(), &project)?;
    let logs = init_logs(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (store, sqlite) = database.open(&runtime, Some(args.init_database))?;
    let reload_dir = project.clone();
    let reload: journey_server::Reload = Arc::new(move || read_bundle(&reload_dir));
    let stdout = &mut *io.stdout;
    let served = runtime.block_on(journey_server::serve(
        settings,
        store.clone(),
        bundle,
        Some(reload),
        // Scripts and tests wait for this line (the port, when --listen has port 0).
        |address| {
            let _ = writeln!(stdout, "journey serve: listening on http://{address}");
            let _ = stdout.flush();
        },
        shutdown_signal(),
    ));
    // A step still running on the blocking pool (a helper near its time budget) must
    // not hold up the exit: its event stays in the inbox and is stepped after restart.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    // SQLite's writer commits what it took before the process ends.
    if let Some(sqlite) = sqlite {
        sqlite.close();
    }
    if let Some(logs) = logs {
        let dropped = logs.dropped.dropped_lines();
        drop(logs);
        if dropped > 0 {
            io.warn(&format!(
                "{dropped} log lines were dropped because stderr could not keep up"
            ))?;
        }
    }
    served?;
    io.print("journey serve: stopped\n")?;
    Ok(0)
}

fn required(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("set {name} (see docs/serve.md)"))
}

/// Where the state lives: `--database`.
pub(crate) enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

/// An open store, and the SQLite store again when it is one (to close it at the end).
pub(crate) type Opened = (
    Arc<dyn journey_store::Store>,
    Option<Arc<journey_store::SqliteStore>>,
);

impl Database {
    /// Opens the store: `journey serve` (`Some(init_empty)`) holds an SQLite file for
    /// itself; `journey users` (`None`) opens it beside a server that may be running.
    pub(crate) fn open(
        &self,
        runtime: &tokio::runtime::Runtime,
        serve: Option<bool>,
    ) -> Result<Opened, String> {
        match self {
            Database::Sqlite(path) => {
                let store = match serve {
                    Some(init_empty) => journey_store::SqliteStore::open(path, init_empty)?,
                    None => journey_store::SqliteStore::open_beside(path)?,
                };
                Ok((store.clone(), Some(store)))
            }
            Database::Postgres(url) => Ok((
                runtime.block_on(journey_store::PgStore::open_url(url))?,
                None,
            )),
        }
    }

    pub(crate) fn parse(database: Option<&str>, project: &Path) -> Result<Database, String> {
        match database {
            None => Ok(Database::Sqlite(project.join("journey.db"))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres(url.to_owned()))
            }
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(path) if !path.is_empty() => Ok(Database::Sqlite(PathBuf::from(path))),
                _ => Err(format!(
                    "--database wants `sqlite://PATH` or `postgres://…`, not `{url}`"
                )),
            },
        }
    }
}

/// SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Logs go to stderr through a thread of their own: a worker that logs never waits on
/// the terminal or a full pipe. When stderr cannot keep up, lines are dropped and
/// counted rather than stalling webhooks (the count is printed at exit).
fn init_logs(json: bool) -> Option<Logs> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .lossy(true)
        .thread_name("journey-logs")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.ok().map(|()| Logs {
        _flush_on_drop: guard,
        dropped,
    })
}

/// Log lines waiting for stderr before new ones are dropped.
const LOG_BUFFER_LINES: usize = 256 * 1024;

/// Keeps the log thread alive until the server has stopped.
struct Logs {
    _flush_on_drop: tracing_appender::non_blocking::WorkerGuard,
    dropped: tracing_appender::non_blocking::ErrorCounter,
}

/// The project's sources as the server stores them: `journey.toml`, the journeys and
/// Turn notebooks of this project (not of projects nested in it), `functions/*.rhai`.
pub(crate) fn read_bundle(project: &Path) -> Result<Bundle, String> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
    };
    let config = read(&project.join("journey.toml"))?;
    let mut files = Vec::new();
    for entry in journey_files::walk(project, journey_files::Nested::Skip) {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", project.display()))?;
        let path = entry.path();
        let journey = path
            .extension()
            .is_some_and(|e| e == "journey" || e == "md");
        if entry.file_type().is_file() && journey && !is_readme(path) {
            let name = path.strip_prefix(project).unwrap_or(path);
            files.push((display(name), read(path)?));
        }
    }
    let mut functions = Vec::new();
    for path in crate::workspace::helpers(&project.join("functions")) {
        functions.push((display(&path), read(&path)?));
    }
    Ok(Bundle {
        config,
        files,
        functions,
    })
}
