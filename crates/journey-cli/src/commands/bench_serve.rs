//! `journey bench serve` and `journey bench timers` (BENCHMARKS.md): the durable
//! runtime measured on this machine, with fsync on. Not run in CI.

use std::sync::Arc;
use std::time::{Duration, Instant};

use journey_server::{Bundle, Rates, Settings};
use journey_store::{ContactRow, Intake, JournalEntry, SqliteStore, StepCommit, Store, TimerOp};

use crate::Io;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Webhook POSTs to send, one message each.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Distinct contacts the messages come from.
    #[arg(long, default_value_t = 100_000)]
    contacts: usize,
    /// Requests in flight at once (closed loop).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Run the servers as `journey serve` processes on this PostgreSQL database
    /// (`postgres://…`, a fresh schema per run, dropped after) instead of one
    /// in-process server on SQLite.
    #[arg(long)]
    database: Option<String>,
    /// With `--database`: how many processes share it; the load is spread across them.
    #[arg(long, default_value_t = 1)]
    processes: usize,
}

#[derive(clap::Args)]
pub struct TimerArgs {
    #[arg(long, default_value_t = 1_000_000)]
    count: usize,
    /// Timers coming due per second (spread evenly); 0: all overdue at once (catch-up
    /// after downtime).
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
}

const SECRET: &str = "bench-secret";

/// A journey that answers every message and waits for the next.
const JOURNEY: &str = r#"stack Bench do
  trigger(on: "MESSAGE RECEIVED")
  interrupt(keywords: ["agent"], then: Agent)
  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)
  card Start, then: Start do
    answer = ask("got @event.message.text.body")
  end
  card Agent do
    handoff(queue: "agents", note: "asked", on_return: Start)
  end
  card OptOut do
    update_contact(opted_in: false)
    text("bye")
  end
end
"#;

pub fn serve(args: ServeArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    if let Some(database) = &args.database {
        return runtime.block_on(shared(database, &args, dir.path(), io));
    }
    let report = runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sink_url = graph_sink().await?;
        let store = SqliteStore::open(&dir.path().join("bench.db"), false)?;
        let settings = Settings {
            listen: "127.0.0.1:0".parse().map_err(|_| "address")?,
            graph_url: sink_url,
            phone_number_id: "1".to_owned(),
            app_secret: SECRET.to_owned(),
            verify_token: "v".to_owned(),
            access_token: "a".to_owned(),
            admin_token: None,
            window_margin: jiff::SignedDuration::from_mins(1),
            max_body: 3 << 20,
            rates: Rates {
                per_number: 1e9,
                pair_interval_secs: 0.001,
                pair_burst: 1e9,
                tier: u64::MAX,
            },
            behind_proxy: false,
            time_scale: 1.0,
            secrets: Default::default(),
        };
        let bundle = Bundle {
            config: "[project]\nname = \"bench\"\n".to_owned(),
            files: vec![("bench.journey".to_owned(), JOURNEY.to_owned())],
            functions: Vec::new(),
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server_store: Arc<dyn Store> = store.clone();
        let server = tokio::spawn(journey_server::serve(
            settings,
            server_store,
            bundle,
            None,
            move |address| {
                let _ = ready_tx.send(address);
            },
            async move {
                let _ = stop_rx.await;
            },
        ));
        let address = match ready_rx.await {
            Ok(address) => address,
            Err(_) => {
                let why = match server.await {
                    Ok(Err(e)) => e,
                    _ => "it stopped".to_owned(),
                };
                return Err(format!("the server did not start: {why}"));
            }
        };
        let (latencies, elapsed) = post_load(&[format!("http://{address}")], &args).await?;
        // Let the steps catch up, then read the store and the memory.
        let drain = caught_up(&*store).await?;
        let stats = store.stats().await.map_err(|e| e.to_string())?;
        let rss = resident_kib();
        let _ = stop_tx.send(());
        let _ = server.await;
        store.close();
        Ok::<String, String>(format!(
            "{}\n\
             steps caught up {:.2?} after the last acknowledgement; {} contacts stored\n\
             outbox then: {} sent, {} queued, {} in flight\n\
             resident memory after: {} MiB (peak {} MiB, load generator included)\n",
            load_summary(latencies, elapsed, args.concurrency),
            drain,
            stats.contacts,
            stats.outbox_sent,
            stats.outbox_queued,
            stats.outbox_sending,
            rss.unwrap_or(0) / 1024,
            super::bench::peak_memory().unwrap_or(0) / 1024,
        ))
    })?;
    io.print(&report)?;
    Ok(0)
}

pub fn timers(args: TimerArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let report = runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("timers.db"), false)?;
        // Contacts with one event each, stepped with 1,000 timers per step.
        let per_step = 1_000;
        let steps = args.count.div_ceil(per_step);
        // Loading runs at about 100,000 timers/s: start firing after it.
        let start = jiff::Timestamp::now().as_millisecond() + 2_000 + (args.count / 50) as i64;
        let due = |i: usize| match args.rate {
            0 => start,
            rate => start + (i as u64 * 1000 / rate) as i64,
        };
        let loading = Instant::now();
        let mut pending = Vec::new();
        for s in 0..steps {
            let contact = format!("c{s}");
            store
                .accept(vec![Intake::Event { contact: contact.clone(), kind: "bench".into(), payload: "{}".into() }], 0)
                .await
                .map_err(|e| e.to_string())?;
            let (event, _) = store.next_event(&contact).await.map_err(|e| e.to_string())?.ok_or("no event")?;
            let timers = (0..per_step.min(args.count - s * per_step))
                .map(|t| TimerOp::Schedule { run: 1, timer: format!("t{t}"), target: "\"Timeout\"".into(), fire_at: due(s * per_step + t) })
                .collect();
            let commit = StepCommit {
                consumed: event.id,
                contact: ContactRow { id: contact, fields: "{}".into(), ..ContactRow::default() },
                timers,
                journal: JournalEntry { kind: "bench".into(), event: "{}".into(), effects: "[]".into() },
                ..StepCommit::default()
            };
            pending.push(store.commit_step(commit, 0));
            if pending.len() == 64 {
                for p in pending.drain(..) {
                    p.await.map_err(|e| e.to_string())?;
                }
            }
        }
        for p in pending {
            p.await.map_err(|e| e.to_string())?;
        }
        let loaded = loading.elapsed();
        // Fire them as the scheduler does, from `start` on, as they come due.
        let wait = start - jiff::Timestamp::now().as_millisecond();
        tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
        let firing = Instant::now();
        let mut fired = 0;
        let mut lateness = Vec::with_capacity(args.count);
        while fired < args.count {
            let now = jiff::Timestamp::now().as_millisecond();
            let batch = store.fire_due_timers(now, 500).await.map_err(|e| e.to_string())?;
            if batch.is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
            // Rows fire in fire_at order, so row `fired` is the batch's earliest: its
            // lateness is counted for every row of the batch (an upper bound).
            let done = jiff::Timestamp::now().as_millisecond();
            let rows = batch.len();
            let due_at = due(fired);
            lateness.extend(std::iter::repeat_n((done - due_at).max(0), rows));
            fired += rows;
        }
        let elapsed = firing.elapsed();
        lateness.sort();
        let pct = |p: f64| lateness.get(((lateness.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
        store.close();
        Ok::<String, String>(format!(
            "stored {} pending timers in {:.2?}\nfired {fired} in {:.2?}: {:.0}/s; lateness p50 {} ms, p99 {} ms, max {} ms\n",
            args.count,
            loaded,
            elapsed,
            fired as f64 / elapsed.as_secs_f64(),
            pct(0.5),
            pct(0.99),
            pct(1.0),
        ))
    })?;
    io.print(&report)?;
    Ok(0)
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until every accepted event has been stepped; how long that took.
async fn caught_up(store: &dyn Store) -> Result<Duration, String> {
    let started = Instant::now();
    while store.stats().await.map_err(|e| e.to_string())?.inbox > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(started.elapsed())
}

/// "acknowledged N webhooks in T with C in flight: R/s; latency p50, p99, max".
fn load_summary(mut latencies: Vec<Duration>, elapsed: Duration, concurrency: usize) -> String {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    format!(
        "acknowledged {} webhooks in {elapsed:.2?} with {concurrency} in flight: {:.0}/s; \
         latency p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
    )
}

/// A sink that answers every send like the Graph API; its base URL.
async fn graph_sink() -> Result<String, String> {
    let sink = axum::Router::new().route(
        "/{phone}/messages",
        axum::routing::post(|| async {
            axum::Json(serde_json::json!({"messaging_product": "whatsapp",
                "messages": [{"id": "wamid.BENCH"}]}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, sink).await;
    });
    Ok(url)
}

/// Posts `args.messages` signed webhooks, `args.concurrency` in flight, spread over
/// `servers` (base URLs); each request's latency until its 200, and the time it took.
async fn post_load(
    servers: &[String],
    args: &ServeArgs,
) -> Result<(Vec<Duration>, Duration), String> {
    let client = reqwest::Client::new();
    let now = jiff::Timestamp::now().as_second();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let urls: Arc<Vec<String>> = Arc::new(
        servers
            .iter()
            .map(|s| format!("{s}/webhooks/whatsapp"))
            .collect(),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, urls, next) = (client.clone(), urls.clone(), next.clone());
        let (total, contacts) = (args.messages, args.contacts.max(1));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return Ok::<_, String>(latencies);
                }
                let url = &urls[n % urls.len()];
                let body = format!(
                    r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"phone_number_id":"1"}},"contacts":[{{"profile":{{"name":"B"}},"wa_id":"{c}"}}],"messages":[{{"from":"{c}","id":"wamid.B{n}","timestamp":"{now}","type":"text","text":{{"body":"m{n}"}}}}]}}}}]}}]}}"#,
                    c = 27_000_000_000u64 + (n % contacts) as u64
                );
                let signature = journey_whatsapp::signature::sign(SECRET.as_bytes(), body.as_bytes());
                let sent = Instant::now();
                let status = client
                    .post(url)
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .status();
                if !status.is_success() {
                    return Err(format!("the webhook answered {status}"));
                }
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??);
    }
    Ok((latencies, started.elapsed()))
}

/// `--database postgres://…`: `args.processes` real `journey serve` processes on one
/// fresh schema, the load spread across them, the steps awaited in the database.
async fn shared(
    database: &str,
    args: &ServeArgs,
    dir: &std::path::Path,
    io: &mut Io<'_>,
) -> Result<u8, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if !database.starts_with("postgres://") && !database.starts_with("postgresql://") {
        return Err(
            "--database wants a `postgres://…` URL (SQLite runs in-process without it)".to_owned(),
        );
    }
    let schema = format!("journey_bench_{}", std::process::id());
    let separator = if database.contains('?') { '&' } else { '?' };
    let url = format!("{database}{separator}schema={schema}");
    let store = journey_store::PgStore::open_url(&url).await?;
    let sink_url = graph_sink().await?;
    std::fs::write(
        dir.join("journey.toml"),
        "[project]\nname = \"bench\"\n\n[channel]\nphone_number_id = \"1\"\n",
    )
    .and_then(|()| std::fs::write(dir.join("bench.journey"), JOURNEY))
    .map_err(|e| format!("cannot write the bench project: {e}"))?;
    let mut children = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..args.processes.max(1) {
        let (child, base) = spawn_server(dir, &url, &sink_url)?;
        children.push(child);
        servers.push(base);
    }
    let measured = post_load(&servers, args).await;
    let drain = caught_up(&*store).await;
    for child in &mut children {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
    }
    let stats = store.stats().await.map_err(|e| e.to_string())?;
    store.drop_schema().await.map_err(|e| e.to_string())?;
    let (latencies, elapsed) = measured?;
    io.print(&format!(
        "{} journey serve processes on PostgreSQL: {}\n\
         steps caught up {:.2?} after the last acknowledgement; {} contacts stored\n",
        args.processes.max(1),
        load_summary(latencies, elapsed, args.concurrency),
        drain?,
        stats.contacts,
    ))?;
    Ok(0)
}

/// `journey serve` (this executable) on the bench project; the child and its base URL.
fn spawn_server(
    project: &std::path::Path,
    database: &str,
    graph_url: &str,
) -> Result<(std::process::Child, String), String> {
    use std::io::BufRead;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut child = std::process::Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--rate", "1000000000"])
        .arg("--project")
        .arg(project)
        .args(["--database", database, "--graph-url", graph_url])
        .env("JOURNEY_APP_SECRET", SECRET)
        .env("JOURNEY_VERIFY_TOKEN", "v")
        .env("JOURNEY_ACCESS_TOKEN", "a")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start journey serve: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("journey serve: listening on ")
                .map(str::to_owned)
        })
        .ok_or("journey serve stopped before it listened")?;
    // Keep reading, so that the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, base))
}
