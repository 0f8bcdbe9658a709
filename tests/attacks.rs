//! The standing attack suite of `journey serve` (issue 11): each attack that once
//! hung, crashed or misled the server, replayed against the real binary. A test here
//! fails if the server stalls, dies or loses what it acknowledged. Hostile journeys
//! (deep expressions, long chains, slow helpers, a deep deploy) are in hostile.rs, and
//! secrets kept out of state in serve_secrets.rs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use journey_tests::fake_graph::FakeGraph;
use journey_tests::serve::{self, Extra, Options, Server, Stderr, envelope, text_message};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// A project with one journey that logs on every message, and `files` beside it.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("journey.toml"),
        "[project]\nname = \"attacks\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("logs.journey"),
        r#"stack Logs do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["hi"])

  card Start do
    log("contact said hi")
    text("Hello")
  end
end
"#,
    )
    .unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("journey.db").display())
}

/// `journey serve` on the project, its state in the project's journey.db.
fn start(project: &tempfile::TempDir, graph: &FakeGraph, extra: Extra<'_>) -> Server {
    Server::start(&Options {
        project: project.path(),
        database: &sqlite(project.path()),
        graph_url: &graph.url,
        time_scale: None,
        extra,
    })
}

/// Every kind of webhook that makes the server log: a message (the journey's `log`,
/// and the request line), a failed status, a template status update, an account
/// update, a preference change it does not act on.
fn loggy_webhooks(n: usize) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    for i in 0..n {
        bodies.push(text_message(
            &format!("2782{:07}", i % 25),
            &format!("wamid.log{i}"),
            "hi",
        ));
        bodies.push(envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": serve::PHONE_NUMBER_ID},
            "statuses": [{"id": format!("wamid.out{i}"), "status": "failed", "timestamp": "1767225600",
                          "recipient_id": "27820000001",
                          "errors": [{"code": 131026, "title": "Message undeliverable"}]}]
        })));
    }
    let change = |field: &str, value: serde_json::Value| {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": field, "value": value}]}]
        }))
        .unwrap()
    };
    bodies.push(change(
        "message_template_status_update",
        json!({"event": "REJECTED", "message_template_name": "x", "reason": "NONE"}),
    ));
    bodies.push(change(
        "account_update",
        json!({"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "SCHEDULE_FOR_DISABLE"}}),
    ));
    bodies.push(change(
        "user_preferences",
        json!({"user_preferences": [{"wa_id": "27820000001", "category": "something_new",
                                      "value": "stop", "timestamp": 1767225600}]}),
    ));
    bodies
}

/// Posts every body from 8 threads; the slowest acknowledgement. Panics on any
/// answer but 200.
fn post_all(server: &Server, bodies: &[Vec<u8>]) -> Duration {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slowest = std::sync::Mutex::new(Duration::ZERO);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(body) = bodies.get(i) else { return };
                    let started = Instant::now();
                    let status = server.post_signed(body);
                    assert_eq!(status, 200, "webhook {i} was not acknowledged");
                    let took = started.elapsed();
                    let mut slowest = slowest.lock().unwrap();
                    *slowest = (*slowest).max(took);
                }
            });
        }
    });
    slowest.into_inner().unwrap()
}

/// SIGTERM must stop the server within 5 s.
fn stops_promptly(server: Server) {
    let pid = server.child.id();
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(server.terminate());
    });
    let status = rx
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("journey serve (pid {pid}) ignored SIGTERM for 5 s"));
    assert!(status.success(), "journey serve stopped with {status}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn logging_under_debug_never_stalls_the_server_and_every_line_is_written() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let log = project.path().join("serve.log");
    let server = start(
        &project,
        &graph,
        Extra {
            log: Some("debug"),
            stderr: Stderr::File(&log),
            ..Extra::default()
        },
    );
    let bodies = loggy_webhooks(150);
    let slowest = post_all(&server, &bodies);
    eprintln!(
        "{} webhooks under RUST_LOG=debug, slowest ack {slowest:?}",
        bodies.len()
    );
    assert!(slowest < Duration::from_secs(5), "an ack took {slowest:?}");
    assert_eq!(server.get("/healthz").0, 200);
    graph.wait_for("every greeting", WAIT, |r| r.len() >= 150);
    stops_promptly(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let requests = text
        .lines()
        .filter(|l| l.contains("route=\"/webhooks/whatsapp\"") && l.contains("status=200"))
        .count();
    assert_eq!(requests, bodies.len(), "one request line per webhook");
    let journey_logs = text.matches("journey log: contact said hi").count();
    assert_eq!(journey_logs, 150, "every `log(...)` of the journey");
    assert!(text.contains("a sent message failed"));
    assert!(text.contains("webhook change not acted on"));
    assert!(!text.contains('\u{1b}'), "no colour codes in a log file");
    // The verify token (a query parameter) and the contact's number (a path
    // segment) never reach a request line.
    assert!(!text.contains(serve::VERIFY_TOKEN));
}

#[test]
fn a_stderr_nobody_reads_does_not_stall_the_server() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(
        &project,
        &graph,
        Extra {
            log: Some("trace"),
            stderr: Stderr::Unread,
            ..Extra::default()
        },
    );
    // Far more than a pipe's 64 KiB of log lines.
    let slowest = post_all(&server, &loggy_webhooks(400));
    assert!(slowest < Duration::from_secs(5), "an ack took {slowest:?}");
    assert_eq!(server.get("/healthz").0, 200);
    stops_promptly(server);
}

#[test]
fn half_open_connections_do_not_starve_webhooks() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(
        &project,
        &graph,
        Extra {
            file_limit: Some(256),
            ..Extra::default()
        },
    );
    let address = server.url.trim_start_matches("http://").to_owned();
    // 300 connections that never finish their headers, held open. Well inside the 10 s
    // header timeout: room is made by closing idle connections.
    let (held, waited) = behind_stalled_connections(
        &server,
        300,
        b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n",
        Duration::from_millis(300),
        "wamid.after",
    );
    eprintln!("health check and webhook behind 300 half-open connections: {waited:?}");
    assert!(
        waited < Duration::from_secs(5),
        "webhooks waited {waited:?} behind half-open connections"
    );
    drop(held);
    // And a connection that sends nothing is closed after the header timeout.
    let mut idle = TcpStream::connect(&address).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let read = idle.read(&mut [0; 64]);
    let waited = started.elapsed();
    assert!(
        matches!(&read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
        "an idle connection was kept: {read:?} after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(15),
        "closed only after {waited:?}"
    );
    stops_promptly(server);
}

/// Opens `count` connections that each send `prefix` and then stall, waits `settle`,
/// then times a health check and a webhook made behind them. The stalled connections
/// come back still open.
fn behind_stalled_connections(
    server: &Server,
    count: usize,
    prefix: &[u8],
    settle: Duration,
    wamid: &str,
) -> (Vec<TcpStream>, Duration) {
    let address = server.url.trim_start_matches("http://");
    let mut held = Vec::new();
    for _ in 0..count {
        let mut stream = TcpStream::connect(address).expect("connect");
        let _ = stream.write_all(prefix);
        held.push(stream);
    }
    std::thread::sleep(settle);
    let started = Instant::now();
    assert_eq!(server.get("/healthz").0, 200);
    assert_eq!(
        server.post_signed(&text_message("27820000001", wamid, "hi")),
        200
    );
    (held, started.elapsed())
}

/// Connections that send their headers and then their body a byte at a time were
/// "busy", so none was closed to make room: at the file limit, webhooks waited for
/// the 30 s body timeouts (15 s with 1,000 of them). A request still arriving is now
/// closed first.
#[test]
fn slow_bodies_do_not_starve_webhooks() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(
        &project,
        &graph,
        Extra {
            file_limit: Some(128),
            ..Extra::default()
        },
    );
    let (held, waited) = behind_stalled_connections(
        &server,
        400,
        b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100000\r\n\r\n{",
        Duration::from_millis(500),
        "wamid.slow-bodies",
    );
    eprintln!("health check and webhook behind 400 slow bodies: {waited:?}");
    assert!(
        waited < Duration::from_secs(5),
        "webhooks waited {waited:?} behind slow bodies"
    );
    drop(held);
    stops_promptly(server);
}

#[test]
fn one_process_per_sqlite_file_and_a_restart_steps_what_was_acknowledged() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let database = sqlite(project.path());
    let options = Options {
        project: project.path(),
        database: &database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra::default(),
    };
    let first = Server::start(&options);
    let refused = Server::try_start(&options)
        .err()
        .expect("a second process is refused");
    assert!(refused.contains("exit status: 2"), "{refused}");
    for i in 0..20 {
        let body = text_message(&format!("2783{i:07}"), &format!("wamid.r{i}"), "hi");
        assert_eq!(first.post_signed(&body), 200);
    }
    first.crash();
    let second = Server::start(&options);
    graph.wait_for("a greeting for each", WAIT, |r| {
        let mut to: Vec<&str> = r.iter().map(|r| r.to()).collect();
        to.sort();
        to.dedup();
        to.len() == 20
    });
    stops_promptly(second);
}

#[test]
fn an_empty_or_foreign_database_file_is_refused() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let path = project.path().join("journey.db");
    std::fs::write(&path, b"").unwrap();
    let database = sqlite(project.path());
    let mut options = Options {
        project: project.path(),
        database: &database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra::default(),
    };
    let output = std::process::Command::new(serve::binary())
        .args(["serve", "--project"])
        .arg(project.path())
        .args(["--database", &database, "--listen", "127.0.0.1:0"])
        .args(["--phone-number-id", "1"])
        .env("JOURNEY_APP_SECRET", "a")
        .env("JOURNEY_VERIFY_TOKEN", "b")
        .env("JOURNEY_ACCESS_TOKEN", "c")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is empty") && stderr.contains("--init-database"),
        "{stderr}"
    );
    options.extra.args = &["--init-database"];
    stops_promptly(Server::start(&options));

    let foreign = tempfile::tempdir().unwrap();
    let other = foreign.path().join("journey.db");
    std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3; c = sqlite3.connect('{}'); c.execute('create table notes (t)'); c.commit()",
            other.display()
        ))
        .status()
        .expect("python3 writes an SQLite file");
    let foreign_url = format!("sqlite://{}", other.display());
    options.database = &foreign_url;
    options.extra.args = &[];
    let refused = Server::try_start(&options)
        .err()
        .expect("a foreign file is refused");
    assert!(refused.contains("exit status: 2"), "{refused}");
}

#[test]
fn one_bad_item_does_not_cost_a_notification_its_good_ones() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(&project, &graph, Extra::default());
    let body = envelope(json!({
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": serve::PHONE_NUMBER_ID},
        "messages": [
            {"from": "2782\u{0}1", "id": "wamid.nul", "timestamp": "1767225600", "type": "text", "text": {"body": "hi"}},
            {"from": "27820000002", "id": "wamid.\u{0}", "timestamp": "1767225600", "type": "text", "text": {"body": "hi"}},
            {"from": "27820000003", "id": "wamid.no-time", "type": "text", "text": {"body": "hi"}}
        ],
        "statuses": [{"id": "wamid.x", "status": "warning", "timestamp": "1767225600", "recipient_id": "1"}]
    }));
    assert_eq!(server.post_signed(&body), 200);
    let sent = graph.wait_for("the greeting", WAIT, |r| !r.is_empty());
    assert_eq!(sent[0].to(), "27820000003");
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains("journey_webhook_items_rejected_total 2"),
        "{metrics}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(graph.requests().len(), 1, "nothing for the rejected items");
}

#[test]
fn a_contact_named_twice_is_started_once() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(&project, &graph, Extra::default());
    // Open the window first, so a free-form start is allowed.
    assert_eq!(
        server.post_signed(&text_message("27820000009", "wamid.open", "hello")),
        200
    );
    server.settled_contact("27820000009");
    let (status, answer) = server.admin(
        "POST",
        "/start",
        Some(json!({"journey": "Logs", "contacts": ["27820000009", "27820000009", "27820000009"]})),
    );
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["started"], json!(["27820000009"]));
}

#[test]
fn an_idle_server_with_held_messages_stays_idle() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(&project, &graph, Extra::default());
    // One contact sends fast enough that their replies wait on the per-recipient
    // limit (one message per 6 s after a burst): those rows are held for seconds.
    for i in 0..60 {
        let body = text_message("27820000001", &format!("wamid.burst{i}"), "hi");
        assert_eq!(server.post_signed(&body), 200);
    }
    graph.wait_for("the burst's first replies", WAIT, |r| r.len() >= 40);
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(server.child.id());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(server.child.id()) - before;
    eprintln!("idle with held messages: {used} ticks of CPU in 3 s");
    // 100 ticks a second: 30 ticks would be 10 % of a core over 3 s.
    assert!(used < 30, "the idle server used {used} ticks of CPU in 3 s");
}

/// User and system CPU time of a process, in clock ticks (/proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line; the state (field 3) is the first after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn a_slow_step_does_not_hold_up_other_contacts() {
    let graph = FakeGraph::start();
    let project = project(&[
        (
            "functions/slow.rhai",
            // One `contains` on a long array is one rhai operation but thousands of
            // comparisons: the operation limit alone does not bound its time.
            "fn crunch(n) { let a = []; for i in 0..9000 { a.push(i); } \
             let hits = 0; for i in 0..n { if a.contains(-1) { hits += 1; } } hits }\n",
        ),
        (
            "slow.journey",
            r#"stack Slow do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["slow"])

  card Crunch do
    total = crunch(3000)
    text("Done: @total")
  end
end
"#,
        ),
    ]);
    let server = start(&project, &graph, Extra::default());
    for i in 0..2 {
        let body = text_message(&format!("2784{i:07}"), &format!("wamid.slow{i}"), "slow");
        assert_eq!(server.post_signed(&body), 200);
    }
    let started = Instant::now();
    assert_eq!(
        server.post_signed(&text_message("27820000001", "wamid.quick", "hi")),
        200
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.get("/healthz").0, 200);
    graph.wait_for("the quick contact's reply", WAIT, |r| {
        r.iter().any(|r| r.to() == "27820000001")
    });
    stops_promptly(server);
}

/// Two processes started together on a fresh schema both come up (the schema is
/// created under the migration lock), again and again; a third joins while they run;
/// a bad URL says what PostgreSQL said.
#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn processes_starting_together_on_a_fresh_postgres_schema_all_start() {
    let base = std::env::var("JOURNEY_TEST_DATABASE_URL").expect("the build script checked it");
    let separator = if base.contains('?') { '&' } else { '?' };
    let graph = FakeGraph::start();
    let project = project(&[]);
    for round in 0..5 {
        let schema = format!("journey_race_{}_{round}", std::process::id());
        let database = format!("{base}{separator}schema={schema}");
        let options = Options {
            project: project.path(),
            database: &database,
            graph_url: &graph.url,
            time_scale: None,
            extra: Extra::default(),
        };
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| Server::try_start(&options));
            let b = scope.spawn(|| Server::try_start(&options));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (a, b) = (
            a.expect("the first process starts"),
            b.expect("the second process starts"),
        );
        let c = Server::start(&options);
        for server in [&a, &b, &c] {
            assert_eq!(server.get("/healthz").0, 200);
        }
        for server in [a, b, c] {
            stops_promptly(server);
        }
        drop_schema(&base, &schema);
    }
    let output = std::process::Command::new(serve::binary())
        .args(["serve", "--project"])
        .arg(project.path())
        .args([
            "--database",
            "postgres://nobody@127.0.0.1:5432/test?schema=x",
        ])
        .args(["--phone-number-id", "1", "--listen", "127.0.0.1:0"])
        .env("JOURNEY_APP_SECRET", "a")
        .env("JOURNEY_VERIFY_TOKEN", "b")
        .env("JOURNEY_ACCESS_TOKEN", "c")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("role \"nobody\" does not exist") && !stderr.contains("db error"),
        "{stderr}"
    );
}

/// What a contact sends that PostgreSQL cannot hold must not wedge them: a U+0000 in
/// their profile name and message (PostgreSQL's text and jsonb refuse it; it is stored
/// as U+FFFD), and a label longer than an index entry may be (refused at every try:
/// the event is set aside with the reason). Each step was retried every second
/// forever, and the contact's later messages waited behind it.
fn values_the_database_cannot_hold_do_not_wedge_a_contact(database: &str) {
    let graph = FakeGraph::start();
    let project = project(&[(
        "logs.journey",
        r#"stack Labels do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["hi"])

  card Start do
    add_label(event.message.text.body)
    text("Hello @contact.name")
  end
end
"#,
    )]);
    let server = Server::start(&Options {
        project: project.path(),
        database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra::default(),
    });
    let nul = String::from_utf8(text_message("27820000011", "wamid.nul", "hi \u{0}"))
        .unwrap()
        .replace("\"Thandi\"", "\"Tha\\u0000ndi\"");
    assert_eq!(server.post_signed(nul.as_bytes()), 200);
    let long = format!("hi {}", "x".repeat(5_000));
    for (id, text) in [("wamid.long", long.as_str()), ("wamid.after", "hi")] {
        assert_eq!(
            server.post_signed(&text_message("27820000012", id, text)),
            200
        );
    }
    graph.wait_for("a reply to each contact", WAIT, |r| {
        r.iter().any(|r| r.to() == "27820000011") && r.iter().any(|r| r.to() == "27820000012")
    });
    let view = server.settled_contact("27820000011");
    let name = if database.starts_with("postgres") {
        "Tha\u{FFFD}ndi"
    } else {
        "Tha\u{0}ndi"
    };
    assert_eq!(view["fields"]["name"], name, "{view}");
    server.settled_contact("27820000012");
    stops_promptly(server);
}

#[test]
fn values_the_database_cannot_hold_do_not_wedge_a_contact_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    values_the_database_cannot_hold_do_not_wedge_a_contact(&sqlite(data.path()));
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn values_the_database_cannot_hold_do_not_wedge_a_contact_on_postgres() {
    let base = std::env::var("JOURNEY_TEST_DATABASE_URL").expect("the build script checked it");
    let separator = if base.contains('?') { '&' } else { '?' };
    let schema = format!("journey_values_{}", std::process::id());
    values_the_database_cannot_hold_do_not_wedge_a_contact(&format!(
        "{base}{separator}schema={schema}"
    ));
    drop_schema(&base, &schema);
}

fn drop_schema(base: &str, schema: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!(
            "{base}{}schema={schema}",
            if base.contains('?') { '&' } else { '?' }
        );
        if let Ok(store) = journey_store::PgStore::open_url(&url).await {
            let _ = store.drop_schema().await;
        }
    });
}

/// Deploys of a large project check it off the request path: webhooks posted while two
/// run are acknowledged as fast as ever.
#[test]
fn webhooks_are_acknowledged_while_large_deploys_are_checked() {
    let graph = FakeGraph::start();
    let project = project(&[]);
    let server = start(&project, &graph, Extra::default());
    let mut chain = String::from(
        "stack Chain do\n  trigger(on: \"MESSAGE RECEIVED\") when has_any_phrase(event.message.text.body, [\"chain\"])\n",
    );
    for i in 0..5_000 {
        chain.push_str(&format!(
            "  card C{i} do\n    text(\"step {i}\")\n    then(C{})\n  end\n",
            i + 1
        ));
    }
    chain.push_str("  card C5000 do\n    text(\"done\")\n  end\nend\n");
    let bundle = json!({
        "config": "[project]\nname = \"attacks\"\n",
        "files": [["chain.journey", chain]],
    });
    let slowest = std::thread::scope(|scope| {
        let deploys: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| server.admin("POST", "/deploy", Some(bundle.clone()))))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let bodies: Vec<Vec<u8>> = (0..40)
            .map(|i| text_message(&format!("2785{i:07}"), &format!("wamid.d{i}"), "hi"))
            .collect();
        let slowest = post_all(&server, &bodies);
        for deploy in deploys {
            let (status, answer) = deploy.join().unwrap();
            assert_eq!(status, 200, "{answer}");
        }
        slowest
    });
    eprintln!("40 webhooks during two 5,000-card deploys: slowest ack {slowest:?}");
    assert!(slowest < Duration::from_secs(2), "an ack took {slowest:?}");
    stops_promptly(server);
}
