//! The console's people, sessions and audit log (issue 16, part 1) against the real
//! binary: `journey users` adds people to the database `journey serve` uses, they sign
//! in, and what they do is in the audit log. The same test on SQLite and on PostgreSQL
//! (`JOURNEY_TEST_DATABASE_URL`; without it compiled as ignored: tests/build.rs).

use std::io::Write;
use std::process::{Command, Stdio};

use journey_tests::fake_graph::FakeGraph;
use journey_tests::serve::{self, Extra, Options, Server, Stderr};
use serde_json::{Value, json};

const ADA_PASSWORD: &str = "correct horse battery staple";
const OLU_PASSWORD: &str = "operator's own long phrase";

/// `journey users ARGS` with `stdin` piped in: exit code, stdout, stderr.
fn users(
    project: &std::path::Path,
    database: &str,
    args: &[&str],
    stdin: &str,
) -> (i32, String, String) {
    let mut child = Command::new(serve::binary())
        .arg("users")
        .args(args)
        .arg("--project")
        .arg(project)
        .args(["--database", database])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("journey users starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A browser: the session cookie it was given, and the CSRF token.
#[derive(Default)]
struct Browser {
    cookie: Option<String>,
    csrf: Option<String>,
}

struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Browser {
    fn send(&self, request: reqwest::blocking::RequestBuilder, csrf: bool) -> Answer {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("journey_session={cookie}"));
        }
        if let (true, Some(token)) = (csrf, &self.csrf) {
            request = request.header("x-csrf-token", token);
        }
        let response = request.send().expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        }
    }

    fn get(&self, server: &Server, path: &str) -> Answer {
        self.send(client().get(format!("{}{path}", server.url)), false)
    }

    fn post(&self, server: &Server, path: &str, csrf: bool) -> Answer {
        self.send(client().post(format!("{}{path}", server.url)), csrf)
    }

    /// Signs in with JSON; keeps the cookie and token on success.
    fn login(server: &Server, name: &str, password: &str) -> (Browser, Answer) {
        let request = client()
            .post(format!("{}/console/login", server.url))
            .header("content-type", "application/json")
            .body(json!({"name": name, "password": password}).to_string());
        Browser::signed_in(Browser::default().send(request, false))
    }

    /// Signs in with a form, as an HTML page would.
    fn login_form(server: &Server, name: &str, password: &str) -> (Browser, Answer) {
        let body = format!(
            "name={}&password={}",
            name,
            password.replace(' ', "+").replace('\'', "%27")
        );
        let request = client()
            .post(format!("{}/console/login", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        Browser::signed_in(Browser::default().send(request, false))
    }

    fn signed_in(answer: Answer) -> (Browser, Answer) {
        let cookie = answer
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("journey_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let browser = Browser {
            cookie,
            csrf: answer.body["csrf_token"].as_str().map(str::to_owned),
        };
        (browser, answer)
    }
}

/// Everything the issue asks of people, sessions and the audit log, on `database`.
fn people_sign_in_and_are_audited(database: &str) {
    let graph = FakeGraph::start();
    let project = serve::examples_project();
    let dir = project.path();

    // People are added before the server runs, with plain-words refusals.
    assert_eq!(
        users(
            dir,
            database,
            &["add", "ada", "--role", "admin"],
            &format!("{ADA_PASSWORD}\n")
        ),
        (0, "added ada (admin)\n".to_owned(), String::new())
    );
    let refusals = [
        (
            vec!["add", "ada", "--role", "operator"],
            OLU_PASSWORD,
            "`ada` already exists",
        ),
        (
            vec!["add", "olu", "--role", "superuser"],
            OLU_PASSWORD,
            "`superuser` is not a role: use admin, builder or operator",
        ),
        (
            vec!["add", "olu", "--role", "operator"],
            "",
            "the password is empty",
        ),
        (
            vec!["add", "olu", "--role", "operator"],
            "short",
            "the password is too short",
        ),
        (vec!["remove", "zed"], "", "no one is called `zed`"),
        (
            vec!["reset-password", "zed"],
            OLU_PASSWORD,
            "no one is called `zed`",
        ),
    ];
    for (args, password, said) in refusals {
        let (code, _, stderr) = users(dir, database, &args, &format!("{password}\n"));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    let logs = tempfile::tempdir().unwrap();
    let stderr = logs.path().join("stderr");
    let server = Server::start(&Options {
        project: dir,
        database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra {
            log: Some("debug"),
            stderr: Stderr::File(&stderr),
            ..Extra::default()
        },
    });
    // …and while it runs (beside it, on the same database).
    assert_eq!(
        users(
            dir,
            database,
            &["add", "olu", "--role", "operator"],
            OLU_PASSWORD
        )
        .0,
        0
    );
    let (_, listed, _) = users(dir, database, &["list"], "");
    assert!(
        listed.contains("ada   admin") && listed.contains("olu   operator"),
        "{listed}"
    );

    // Sign in: an HttpOnly, SameSite=Strict cookie for the console's paths only, not
    // Secure on plain http; the CSRF token in the body.
    let (ada, answer) = Browser::login(&server, "ada", ADA_PASSWORD);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cookie = answer.headers["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let session_id = ada.cookie.clone().expect("a session cookie");
    assert_eq!(session_id.len(), 64, "256 bits, hex");
    assert_eq!(answer.body["role"], "admin");
    let me = ada.get(&server, "/console/me");
    assert_eq!(
        (me.status, &me.body["name"], &me.body["role"]),
        (200, &json!("ada"), &json!("admin"))
    );
    assert_eq!(me.body["csrf_token"], answer.body["csrf_token"]);
    assert_eq!(Browser::default().get(&server, "/console/me").status, 401);

    // A state-changing request without the CSRF token, or with another, is refused.
    let refused = ada.post(&server, "/console/logout", false);
    assert_eq!(refused.status, 403);
    assert!(
        refused.body["error"].as_str().unwrap().contains("CSRF"),
        "{}",
        refused.body
    );
    let forged = Browser {
        cookie: ada.cookie.clone(),
        csrf: Some("0".repeat(64)),
    };
    assert_eq!(forged.post(&server, "/console/logout", true).status, 403);
    assert_eq!(
        ada.get(&server, "/console/me").status,
        200,
        "still signed in"
    );

    // A form sign-in from another site is refused (login CSRF).
    let cross = client()
        .post(format!("{}/console/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(format!(
            "name=ada&password={}",
            ADA_PASSWORD.replace(' ', "+")
        ));
    assert_eq!(Browser::default().send(cross, false).status, 403);

    // An operator (signed in with a form) cannot reach an admin route.
    let (olu, answer) = Browser::login_form(&server, "olu", OLU_PASSWORD);
    assert_eq!(
        (answer.status, &answer.body["role"]),
        (200, &json!("operator")),
        "{}",
        answer.body
    );
    let denied = olu.get(&server, "/console/audit");
    assert_eq!(denied.status, 403);
    assert!(
        denied.body["error"]
            .as_str()
            .unwrap()
            .contains("needs the admin role"),
        "{}",
        denied.body
    );
    assert_eq!(olu.post(&server, "/console/logout", true).status, 200);

    // Five wrong passwords lock the account, with a message that says until when; the
    // right password is refused too while it lasts.
    for n in 1..5 {
        let (_, wrong) = Browser::login(&server, "olu", "not the password at all");
        assert_eq!(
            (wrong.status, &wrong.body["error"]),
            (401, &json!("wrong name or password")),
            "try {n}"
        );
    }
    let (_, fifth) = Browser::login(&server, "olu", "not the password at all");
    assert_eq!(fifth.status, 429, "{}", fifth.body);
    let message = fifth.body["error"].as_str().unwrap();
    assert!(
        message.contains("sign-in for `olu` is locked; try again after ")
            && message.contains("(in 15 minutes)"),
        "{message}"
    );
    let retry: u64 = fifth.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    let (_, right) = Browser::login(&server, "olu", OLU_PASSWORD);
    assert_eq!(right.status, 429, "locked: {}", right.body);
    // A name nobody has gets the same answer as a wrong password.
    let (_, nobody) = Browser::login(&server, "nobody", OLU_PASSWORD);
    assert_eq!(
        (nobody.status, &nobody.body["error"]),
        (401, &json!("wrong name or password"))
    );

    // An admin resets the password from the command line: the lock is lifted.
    assert_eq!(
        users(
            dir,
            database,
            &["reset-password", "olu"],
            "a brand new long phrase\n"
        )
        .0,
        0
    );
    assert_eq!(
        Browser::login(&server, "olu", "a brand new long phrase")
            .1
            .status,
        200
    );

    // The audit log: who, what, when, from where — in order, newest first.
    let log = ada.get(&server, "/console/audit?limit=500");
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.body["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .rev()
        .map(|e| (e["who"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    let cli = seen.iter().find(|(_, a)| *a == "person_added").unwrap().0;
    assert!(cli.starts_with("cli:"), "{cli}");
    let expected = [
        (cli, "person_added"),
        (cli, "person_added"),
        ("ada", "login"),
        ("olu", "login"),
        ("olu", "denied"),
        ("olu", "logout"),
        ("olu", "login_failed"),
        ("olu", "login_failed"),
        ("olu", "login_failed"),
        ("olu", "login_failed"),
        ("olu", "login_failed"),
        ("olu", "lockout"),
        ("olu", "login_refused"),
        ("nobody", "login_failed"),
        (cli, "password_reset"),
        ("olu", "login"),
    ];
    assert_eq!(seen, expected, "{}", log.body);
    for entry in entries {
        let from = entry["from"].as_str().unwrap();
        assert!(from == "127.0.0.1" || from == "command line", "{entry}");
        assert!(entry["at"].as_str().unwrap().ends_with('Z'), "{entry}");
    }
    let denied = entries.iter().find(|e| e["action"] == "denied").unwrap();
    assert_eq!(denied["subject"], "/console/audit");

    // Signing out ends the session: the cookie no longer signs anyone in.
    let out = ada.post(&server, "/console/logout", true);
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(ada.get(&server, "/console/me").status, 401);
    assert_eq!(ada.post(&server, "/console/logout", true).status, 401);
    let (ada, _) = Browser::login(&server, "ada", ADA_PASSWORD);
    let last = ada.get(&server, "/console/audit?limit=3");
    let actions: Vec<&str> = last.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["login", "logout", "login"]);
    assert!(
        last.body["next"].is_i64(),
        "a full page says where the next starts"
    );

    // No password or session id is shown by any of it.
    let everything = ada
        .get(&server, "/console/audit?limit=500")
        .body
        .to_string();
    for secret in [
        ADA_PASSWORD,
        OLU_PASSWORD,
        "a brand new long phrase",
        &session_id,
    ] {
        assert!(!everything.contains(secret), "the audit log shows a secret");
    }
    // Nor does the server's log, at debug level.
    let logged = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        logged.contains("/console/login"),
        "the log has the requests"
    );
    for secret in [
        ADA_PASSWORD,
        OLU_PASSWORD,
        "a brand new long phrase",
        &session_id,
    ] {
        assert!(!logged.contains(secret), "the server's log shows a secret");
    }
    // Removing a person ends their sessions at once.
    let (olu, _) = Browser::login(&server, "olu", "a brand new long phrase");
    assert_eq!(olu.get(&server, "/console/me").status, 200);
    assert_eq!(users(dir, database, &["remove", "olu"], "").0, 0);
    assert_eq!(olu.get(&server, "/console/me").status, 401);

    // Sign-ins are counted for monitoring: five in, six wrong (one locking), one
    // refused while locked.
    let (_, metrics) = server.get("/metrics");
    for line in [
        "journey_console_logins_total{result=\"ok\"} 5",
        "journey_console_logins_total{result=\"wrong_password\"} 6",
        "journey_console_logins_total{result=\"refused\"} 1",
        "journey_console_lockouts_total 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    // The bearer-token admin API for machines is as it was, and a console session is
    // not a way into it.
    assert_eq!(server.admin("GET", "/handoffs", None).0, 200);
    let by_cookie = ada.get(&server, "/admin/handoffs");
    assert_eq!(by_cookie.status, 401);
}

#[test]
fn people_sign_in_and_are_audited_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("journey.db").display());
    people_sign_in_and_are_audited(&database);
    // Anything but `add` in the wrong place leaves no empty database behind.
    let elsewhere = tempfile::tempdir().unwrap();
    let missing = elsewhere.path().join("none.db");
    let (code, _, stderr) = users(
        elsewhere.path(),
        &format!("sqlite://{}", missing.display()),
        &["list"],
        "",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("there is no database at"), "{stderr}");
    assert!(!missing.exists());
    // The database holds no password and no session id, only their hashes.
    for file in std::fs::read_dir(data.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for password in [ADA_PASSWORD, OLU_PASSWORD] {
            assert!(!text.contains(password), "a password is in the database");
        }
        assert!(!text.is_empty() || bytes.is_empty());
    }
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn people_sign_in_and_are_audited_on_postgres() {
    on_postgres("people", people_sign_in_and_are_audited);
}

/// `test` on a SQLite database of its own.
fn on_sqlite(test: fn(&str)) {
    let data = tempfile::tempdir().unwrap();
    test(&format!(
        "sqlite://{}",
        data.path().join("journey.db").display()
    ));
}

/// `test` on a schema of its own in the database of `JOURNEY_TEST_DATABASE_URL`,
/// dropped after.
fn on_postgres(name: &str, test: fn(&str)) {
    let base = std::env::var("JOURNEY_TEST_DATABASE_URL").expect("the build script checked it");
    let schema = format!("journey_{name}_{}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let database = format!("{base}{separator}schema={schema}");
    test(&database);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = journey_store::PgStore::open_url(&database).await.unwrap();
        store.drop_schema().await.unwrap();
    });
}

/// `journey serve` on the examples and a fresh SQLite file whose one person is the
/// admin `ada`; what it stands on lives as long as it does.
struct AdaOnSqlite {
    server: Server,
    _graph: FakeGraph,
    _project: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl AdaOnSqlite {
    fn start(extra: Extra<'_>) -> Self {
        let graph = FakeGraph::start();
        let project = serve::examples_project();
        let data = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", data.path().join("journey.db").display());
        let added = users(
            project.path(),
            &database,
            &["add", "ada", "--role", "admin"],
            ADA_PASSWORD,
        );
        assert_eq!(added.0, 0);
        let server = Server::start(&Options {
            project: project.path(),
            database: &database,
            graph_url: &graph.url,
            time_scale: None,
            extra,
        });
        AdaOnSqlite {
            server,
            _graph: graph,
            _project: project,
            _data: data,
        }
    }
}

/// Guessing across many names from one address is stopped after 20 failures in 15
/// minutes, even for a right password, with a message that says until when.
#[test]
fn one_address_guessing_many_names_is_stopped() {
    let serving = AdaOnSqlite::start(Extra::default());
    let server = &serving.server;
    for n in 0..20 {
        let (_, answer) = Browser::login(server, &format!("guess{n}"), "password123456");
        assert_eq!(answer.status, 401, "guess {n}");
    }
    let (_, answer) = Browser::login(server, "ada", ADA_PASSWORD);
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap()
            .contains("too many failed sign-ins from your address: try again after"),
        "{}",
        answer.body
    );
}

/// Behind a TLS-terminating proxy (`--behind-proxy`) the cookie is Secure and the
/// client's address is the one the proxy forwarded.
#[test]
fn behind_a_proxy_the_cookie_is_secure_and_the_address_is_forwarded() {
    let serving = AdaOnSqlite::start(Extra {
        args: &["--behind-proxy"],
        ..Extra::default()
    });
    let server = &serving.server;
    // A browser's sign-in through the proxy: its Origin is the host it asked for.
    let proxied = |origin: &str| {
        client()
            .post(format!("{}/console/login", server.url))
            .header("content-type", "application/json")
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "console.clinic.example")
            .header("origin", origin)
            .body(json!({"name": "ada", "password": ADA_PASSWORD}).to_string())
    };
    let from_elsewhere = proxied("https://evil.example");
    assert_eq!(Browser::default().send(from_elsewhere, false).status, 403);
    let request = proxied("https://console.clinic.example");
    let (ada, answer) = Browser::signed_in(Browser::default().send(request, false));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let log = ada.get(server, "/console/audit");
    assert_eq!(log.body["entries"][0]["action"], "login");
    assert_eq!(
        log.body["entries"][0]["from"], "203.0.113.7",
        "the proxy's view"
    );
}

/// On a terminal the password is asked for twice without echo (util-linux's `script`
/// gives the command a terminal); two different answers change nothing.
#[test]
fn on_a_terminal_the_password_is_asked_for_twice() {
    let project = serve::examples_project();
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("journey.db").display());
    let on_a_terminal = |name: &str, typed: &str| {
        let command = format!(
            "'{}' users add {name} --role builder --project '{}' --database '{database}'",
            serve::binary().display(),
            project.path().display()
        );
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("util-linux's `script` runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(typed.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, shown) = on_a_terminal("kim", "typed on a terminal\ntyped on a terminal\n");
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("New password for kim: ")
            && shown.contains("Type it again: ")
            && shown.contains("added kim (builder)"),
        "{shown}"
    );
    let (code, shown) = on_a_terminal("lee", "typed on a terminal\nsomething else here\n");
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("the two passwords differ: nothing was changed"),
        "{shown}"
    );
    let (_, listed, _) = users(project.path(), &database, &["list"], "");
    assert!(
        listed.contains("kim") && !listed.contains("lee"),
        "{listed}"
    );
}

/// The console's web page is served below `/console/` (the UI bundle the studio
/// embeds), beside the console's own routes, which keep answering as they did.
#[test]
fn the_console_page_is_served_below_console() {
    let serving = AdaOnSqlite::start(Extra::default());
    let server = &serving.server;
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bare = no_redirects
        .get(format!("{}/console", server.url))
        .send()
        .unwrap();
    assert_eq!(bare.status().as_u16(), 308);
    assert_eq!(bare.headers()["location"], "/console/");
    for path in ["/console/", "/console/c/27820001001"] {
        let page = client()
            .get(format!("{}{path}", server.url))
            .send()
            .unwrap();
        assert_eq!(page.status().as_u16(), 200, "{path}");
        assert_eq!(
            page.headers()["content-security-policy"],
            "frame-ancestors 'none'"
        );
        let html = page.text().unwrap();
        assert!(html.contains("<title>journey console</title>"), "{html}");
        // Its script loads from below /console/.
        let script = html
            .split("src=\"./")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page loads a script");
        let asset = client()
            .get(format!("{}/console/{script}", server.url))
            .send()
            .unwrap();
        assert_eq!(asset.status().as_u16(), 200, "{script}");
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
    let browser = Browser::default();
    for (path, status) in [
        ("/console/assets/nothing.js", 404),
        ("/console/api/nothing", 404),
        ("/console/me", 401),
        ("/console/audit", 401),
    ] {
        assert_eq!(browser.get(server, path).status, status, "{path}");
    }
}

// ---------------------------------------------------------------------------- the inbox

/// A helpline whose handoff waits for a nurse however long it takes (WA204 warns),
/// so that the 24-hour window can close while the contact is still with a person
/// (shared with the console's browser test).
const HELPLINE: &str = include_str!("fixtures/serve/helpline/helpline.journey");

/// Journey time runs this much faster: the 24-hour window closes in 18 s.
const INBOX_SCALE: f64 = 4800.0;

impl Browser {
    fn call(&self, server: &Server, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", server.url);
        let request = match method {
            "GET" => client().get(url),
            "DELETE" => client().delete(url),
            _ => client().post(url),
        };
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => request,
        };
        self.send(request, method != "GET")
    }
}

/// The server-sent events of `/console/api/events`, read on a thread: `(event, data)`.
fn events(server: &Server, browser: &Browser) -> std::sync::mpsc::Receiver<(String, Value)> {
    use std::io::BufRead;
    let response = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap()
        .get(format!("{}/console/api/events", server.url))
        .header(
            "cookie",
            format!("journey_session={}", browser.cookie.as_ref().unwrap()),
        )
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in std::io::BufReader::new(response).lines() {
            let Ok(line) = line else { return };
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                let data = serde_json::from_str(data).unwrap_or(Value::Null);
                if tx.send((event.clone(), data)).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits for a `change` event about `contact`.
fn change_for(rx: &std::sync::mpsc::Receiver<(String, Value)>, contact: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok((event, data)) if event == "change" && data["contact"] == contact => return,
            Ok(_) => {}
            Err(_) => panic!("no live update about {contact}"),
        }
    }
}

/// SIGTERM with a console open: its stream of live updates, which never ends on its
/// own, ends, and the server stops within the 5 s it promises (it waited 11 s).
#[test]
fn an_open_console_does_not_hold_up_shutdown() {
    let AdaOnSqlite {
        server,
        _graph,
        _project,
        _data,
    } = AdaOnSqlite::start(Extra::default());
    let (ada, _) = Browser::login(&server, "ada", ADA_PASSWORD);
    let streams: Vec<_> = (0..3).map(|_| events(&server, &ada)).collect();
    for live in &streams {
        let (event, _) = live
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        assert_eq!(event, "ready");
    }
    let started = std::time::Instant::now();
    let status = server.terminate();
    let took = started.elapsed();
    assert!(status.success(), "journey serve stopped with {status}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "SIGTERM took {took:?} with the console open"
    );
    for live in streams {
        assert!(
            matches!(
                live.recv_timeout(std::time::Duration::from_secs(5)),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
            ),
            "the stream ended with the server"
        );
    }
}

/// Issue 16's inbox, on `database`: a contact asks for a nurse by webhooks, an operator
/// sees them in the queue, opens the conversation, replies (the fake Graph API gets
/// it), notes, labels, assigns; 25 journey hours later free-form is refused and a
/// template goes; another contact goes back to the bot at a chosen card; live updates
/// arrive as server-sent events; roles are enforced.
fn the_inbox_works_a_handoff(database: &str) {
    let graph = FakeGraph::start();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::copy(
        journey_tests::repo_root().join("examples/journey.toml"),
        dir.join("journey.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("helpline.journey"), HELPLINE).unwrap();
    for (name, role) in [
        ("ada", "admin"),
        ("olu", "operator"),
        ("nia", "operator"),
        ("bo", "builder"),
    ] {
        let (code, _, stderr) = users(
            dir,
            database,
            &["add", name, "--role", role],
            &format!("{OLU_PASSWORD}\n"),
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let server = Server::start(&Options {
        project: dir,
        database,
        graph_url: &graph.url,
        time_scale: Some(INBOX_SCALE),
        extra: Extra::default(),
    });
    let (olu, answer) = Browser::login(&server, "olu", OLU_PASSWORD);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (nia, _) = Browser::login(&server, "nia", OLU_PASSWORD);
    let (ada, _) = Browser::login(&server, "ada", OLU_PASSWORD);
    let (bo, _) = Browser::login(&server, "bo", OLU_PASSWORD);
    let live = events(&server, &olu);
    assert_eq!(
        live.recv_timeout(std::time::Duration::from_secs(10))
            .unwrap()
            .0,
        "ready"
    );
    // On PostgreSQL a second process on the same database streams the same changes
    // (the session is in the database too).
    let second = database.starts_with("postgres").then(|| {
        Server::start(&Options {
            project: dir,
            database,
            graph_url: &graph.url,
            time_scale: Some(INBOX_SCALE),
            extra: Extra::default(),
        })
    });
    let elsewhere = second.as_ref().map(|second| {
        let rx = events(second, &olu);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10))
                .unwrap()
                .0,
            "ready"
        );
        rx
    });

    // A contact asks for a nurse: a live update, then the queue shows them.
    let (a, b) = ("27820001001", "27820001002");
    assert_eq!(
        server.post_signed(&serve::text_message(a, "wamid.I1", "nurse please")),
        200
    );
    change_for(&live, a);
    if let Some(elsewhere) = &elsewhere {
        change_for(elsewhere, a);
    }
    server.settled_contact(a);
    assert_eq!(
        server.post_signed(&serve::text_message(b, "wamid.I2", "nurse")),
        200
    );
    server.settled_contact(b);
    let queues = olu.call(&server, "GET", "/console/api/queues", None);
    assert_eq!(queues.status, 200, "{}", queues.body);
    let nurses = &queues.body["queues"][0];
    assert_eq!(nurses["queue"], "nurses");
    assert_eq!(
        (nurses["open"].clone(), nurses["unassigned"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(nurses["handoffs"][0]["contact"], a, "longest waiting first");
    assert_eq!(nurses["handoffs"][1]["contact"], b);

    // A new message while with the nurse is a live update and is in the conversation.
    assert_eq!(
        server.post_signed(&serve::text_message(a, "wamid.I3", "my baby has a fever")),
        200
    );
    change_for(&live, a);
    server.settled_contact(a);
    let path = format!("/console/api/conversations/{a}");
    let view = olu.call(&server, "GET", &path, None);
    assert_eq!(view.status, 200, "{}", view.body);
    let said: Vec<&str> = view.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] == "contact")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["nurse please", "my baby has a fever"]);
    assert_eq!(view.body["window"]["open"], true);
    assert_eq!(view.body["fields"]["name"], "Thandi");
    assert!(
        view.body["cards"]
            .as_array()
            .unwrap()
            .contains(&json!("Clinic"))
    );
    assert!(
        view.body["templates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "weight_reminder")
    );

    // Olu takes the conversation; Nia, another operator, may not speak in it then.
    let taken = olu.call(
        &server,
        "POST",
        &format!("{path}/assign"),
        Some(json!({"person": "me"})),
    );
    assert_eq!(
        (taken.status, taken.body["assignee"].clone()),
        (200, json!("olu"))
    );
    let refused = nia.call(
        &server,
        "POST",
        &format!("{path}/reply"),
        Some(json!({"text": "hello"})),
    );
    assert_eq!(refused.status, 409);
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("assigned to olu"),
        "{}",
        refused.body
    );
    let to_builder = olu.call(
        &server,
        "POST",
        &format!("{path}/assign"),
        Some(json!({"person": "bo"})),
    );
    assert_eq!(to_builder.status, 422, "{}", to_builder.body);
    // Without the CSRF token nothing is done.
    let forged = olu.send(
        client()
            .post(format!("{}{path}/reply", server.url))
            .header("content-type", "application/json")
            .body(json!({"text": "forged"}).to_string()),
        false,
    );
    assert_eq!(forged.status, 403);

    // Olu replies: the fake Graph API receives it.
    let reply = olu.call(
        &server,
        "POST",
        &format!("{path}/reply"),
        Some(json!({"text": "Hi, nurse Olu here. How high is the fever?"})),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    graph.wait_for(
        "the nurse's reply",
        std::time::Duration::from_secs(20),
        |r| {
            r.iter().any(|r| {
                r.to() == a && r.text() == Some("Hi, nurse Olu here. How high is the fever?")
            })
        },
    );
    for (method, route, body) in [
        (
            "POST",
            "notes",
            Some(json!({"text": "Mother worried; baby 3 months"})),
        ),
        ("POST", "labels", Some(json!({"label": "fever"}))),
        ("POST", "labels", Some(json!({"label": "baby"}))),
        ("DELETE", "labels/baby", None),
    ] {
        let answer = olu.call(&server, method, &format!("{path}/{route}"), body);
        assert!(answer.status < 300, "{route}: {}", answer.body);
    }
    let view = olu.call(&server, "GET", &path, None).body;
    assert_eq!(view["labels"], json!(["fever"]));
    assert_eq!(view["notes"][0]["author"], "olu");
    assert_eq!(view["handoff"]["assignee"], "olu");
    let replied = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["from"] == "agent")
        .cloned();
    assert_eq!(replied.unwrap()["agent"], "olu");

    // Roles: a builder has no inbox; an operator opens no admin page or admin route.
    assert_eq!(
        bo.call(&server, "GET", "/console/api/queues", None).status,
        403
    );
    assert_eq!(olu.call(&server, "GET", "/console/audit", None).status, 403);
    let admin_route = olu.send(
        client().get(format!("{}/admin/handoffs", server.url)),
        false,
    );
    assert_eq!(
        admin_route.status, 401,
        "a console session does not open the admin API"
    );

    // Contact B goes back to the bot at a chosen card (a card that exists).
    let b_path = format!("/console/api/conversations/{b}");
    let wrong = olu.call(
        &server,
        "POST",
        &format!("{b_path}/return"),
        Some(json!({"card": "Nowhere"})),
    );
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body["error"].as_str().unwrap().contains("Clinic"),
        "{}",
        wrong.body
    );
    let back = olu.call(
        &server,
        "POST",
        &format!("{b_path}/return"),
        Some(json!({"card": "Clinic"})),
    );
    assert_eq!(back.status, 202, "{}", back.body);
    graph.wait_for("the Clinic card", std::time::Duration::from_secs(20), |r| {
        r.iter().any(|r| {
            r.to() == b
                && r.text()
                    .is_some_and(|t| t.starts_with("Our clinics are open"))
        })
    });
    server.settled_contact(b);
    let queues = olu.call(&server, "GET", "/console/api/queues", None).body;
    assert_eq!(queues["open"], 1, "{queues}");

    // 25 journey hours after A's last message the window is closed: free-form is
    // refused in plain words, an approved template goes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while olu.call(&server, "GET", &path, None).body["window"]["open"] == true {
        assert!(
            std::time::Instant::now() < deadline,
            "the window never closed"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_secs_f64(3_600.0 / INBOX_SCALE));
    let late = olu.call(
        &server,
        "POST",
        &format!("{path}/reply"),
        Some(json!({"text": "Are you still there?"})),
    );
    assert_eq!(late.status, 409, "{}", late.body);
    let why = late.body["error"].as_str().unwrap();
    assert!(
        why.contains("24-hour window is closed") && why.contains("template"),
        "{why}"
    );
    assert_eq!(
        olu.call(&server, "GET", &path, None).body["window"]["reply"],
        "template only"
    );
    let unfilled = olu.call(
        &server,
        "POST",
        &format!("{path}/reply"),
        Some(json!({"template": {"name": "weight_reminder", "language": "en", "params": []}})),
    );
    assert_eq!(unfilled.status, 422, "{}", unfilled.body);
    let template = olu.call(&server, "POST", &format!("{path}/reply"), Some(json!({"template": {"name": "weight_reminder", "language": "en", "params": ["Thandi"]}})));
    assert_eq!(template.status, 202, "{}", template.body);
    graph.wait_for("the template", std::time::Duration::from_secs(20), |r| {
        r.iter()
            .any(|r| r.to() == a && r.body["template"]["name"] == "weight_reminder")
    });
    assert!(
        !graph
            .requests()
            .iter()
            .any(|r| r.text() == Some("Are you still there?"))
    );

    // Closing hands A back to the bot as the journey says (on_return: AnythingElse),
    // whose message is free-form: the window is closed, so it is not sent.
    let closed = olu.call(&server, "POST", &format!("{path}/close"), None);
    assert_eq!(closed.status, 202, "{}", closed.body);
    change_for(&live, a);
    server.settled_contact(a);
    assert_eq!(
        olu.call(&server, "GET", "/console/api/queues", None).body["open"],
        0
    );
    assert_eq!(
        olu.call(
            &server,
            "POST",
            &format!("{path}/reply"),
            Some(json!({"text": "hi"}))
        )
        .status,
        409
    );

    // Everything is in the audit log.
    let log = ada
        .call(&server, "GET", "/console/audit?limit=500", None)
        .body;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "assign", "reply", "note", "label", "unlabel", "return", "close", "denied",
    ] {
        assert!(
            actions.contains(&action),
            "{action} is not in the audit log: {actions:?}"
        );
    }
}

#[test]
fn the_inbox_works_a_handoff_on_sqlite() {
    on_sqlite(the_inbox_works_a_handoff);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn the_inbox_works_a_handoff_on_postgres() {
    on_postgres("inbox", the_inbox_works_a_handoff);
}

// ------------------------------------------------------------------ assignment rules

/// A counselling line whose handoff gives up after two hours with a phone number.
const COUNSELLING: &str = r#"stack Counselling do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["counsellor"])

  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)

  card Counsellor do
    handoff(queue: "counsellors", note: "Asked for a counsellor", timeout: 2h, on_timeout: CallUs)
  end

  card CallUs do
    text("No counsellor is free now. Call 0800 123 456.")
  end

  card OptOut do
    update_contact(opted_in: false)
    cancel_scheduled()
    text("You will not get any more messages from us.")
    end_journey()
  end
end
"#;

const BUSY: &str = "All our nurses are busy. One will answer as soon as they can.";
const CLOSED: &str = "Our counsellors answer from 8am to 5pm.";

/// journey.toml's rules for the test: two nurses with room for one conversation each,
/// and counsellors whose only day is four days from now (journey time at INBOX_SCALE
/// takes a minute of real time to get there).
fn assignment_rules() -> String {
    let days_since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    // 1 January 1970 was a Thursday.
    let day =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(days_since_epoch as usize + 3 + 4) % 7];
    format!(
        r#"
[teams.nurses]
members = ["olu", "nia"]
strategy = "round-robin"
capacity = 1

[queues.nurses]
team = "nurses"
busy = "{BUSY}"

[teams.counsellors]
members = ["ada"]

[queues.counsellors]
team = "counsellors"
out_of_hours = "{CLOSED}"

[queues.counsellors.hours]
days = ["{day}"]
open = "08:00"
close = "17:00"
timezone = "UTC"
"#
    )
}

/// The open handoffs of `queue` as the inbox lists them: `(contact, assignee)`.
fn queue_of(server: &Server, browser: &Browser, queue: &str) -> Vec<(String, Option<String>)> {
    let queues = browser
        .call(server, "GET", "/console/api/queues", None)
        .body;
    queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["queue"] == queue)
        .flat_map(|q| q["handoffs"].as_array().unwrap().iter())
        .map(|h| {
            (
                h["contact"].as_str().unwrap().to_owned(),
                h["assignee"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Waits until `queue` lists exactly `expected`.
fn wait_for_queue(
    server: &Server,
    browser: &Browser,
    queue: &str,
    expected: &[(&str, Option<&str>)],
) {
    let expected: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(c, a)| ((*c).to_owned(), a.map(str::to_owned)))
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = queue_of(server, browser, queue);
        if now == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "queue {queue} is {now:?}, not {expected:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Issue 16's assignment rules, on `database`: round-robin across two operators with
/// capacity 1, the third handoff waits in the queue and hears everyone is busy (once),
/// and gets the operator freed by a close; outside business hours the out-of-hours
/// message goes and the handoff's own timeout path still works. On PostgreSQL two
/// processes take the webhooks and assign together.
fn handoffs_are_assigned_by_the_queues_rules(database: &str) {
    let graph = FakeGraph::start();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let mut toml =
        std::fs::read_to_string(journey_tests::repo_root().join("examples/journey.toml")).unwrap();
    toml.push_str(&assignment_rules());
    std::fs::write(dir.join("journey.toml"), toml).unwrap();
    std::fs::write(dir.join("helpline.journey"), HELPLINE).unwrap();
    std::fs::write(dir.join("counselling.journey"), COUNSELLING).unwrap();
    for (name, role) in [("ada", "admin"), ("olu", "operator"), ("nia", "operator")] {
        let (code, _, stderr) = users(
            dir,
            database,
            &["add", name, "--role", role],
            &format!("{OLU_PASSWORD}\n"),
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let options = Options {
        project: dir,
        database,
        graph_url: &graph.url,
        time_scale: Some(INBOX_SCALE),
        extra: Extra::default(),
    };
    let server = Server::start(&options);
    let second = database
        .starts_with("postgres")
        .then(|| Server::start(&options));
    let other = second.as_ref().unwrap_or(&server);
    let (olu, answer) = Browser::login(&server, "olu", OLU_PASSWORD);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (ada, _) = Browser::login(&server, "ada", OLU_PASSWORD);
    // Messages queued with this text for the contact, by outbox key. The dispatcher
    // sends at least once: at INBOX_SCALE its 90-second lease lasts 19 ms, so a slow
    // send may go again, with the same key; what the rules must not do is queue twice.
    let texts_to = |contact: &str, text: &str| {
        let mut keys: Vec<String> = graph
            .sent_to(contact)
            .iter()
            .filter(|r| r.text() == Some(text))
            .filter_map(|r| r.key().map(str::to_owned))
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };

    // Out of hours: the message goes at once, nobody is assigned, and the journey's
    // two-hour timeout still hands the contact to its fallback card.
    let late = "27820002009";
    assert_eq!(
        server.post_signed(&serve::text_message(late, "wamid.C1", "counsellor please")),
        200
    );
    graph.wait_for(
        "the out-of-hours message",
        std::time::Duration::from_secs(20),
        |r| r.iter().any(|r| r.to() == late && r.text() == Some(CLOSED)),
    );
    assert_eq!(
        queue_of(&server, &ada, "counsellors"),
        [(late.to_owned(), None)]
    );
    graph.wait_for(
        "the timeout's fallback",
        std::time::Duration::from_secs(20),
        |r| {
            r.iter().any(|r| {
                r.to() == late && r.text() == Some("No counsellor is free now. Call 0800 123 456.")
            })
        },
    );
    wait_for_queue(&server, &ada, "counsellors", &[]);
    assert_eq!(
        texts_to(late, CLOSED),
        1,
        "the out-of-hours message goes once"
    );

    // Round-robin with room for one each: Olu, then Nia, then nobody.
    let (a, b, c) = ("27820002001", "27820002002", "27820002003");
    assert_eq!(
        server.post_signed(&serve::text_message(a, "wamid.N1", "nurse")),
        200
    );
    wait_for_queue(&server, &olu, "nurses", &[(a, Some("olu"))]);
    assert_eq!(
        other.post_signed(&serve::text_message(b, "wamid.N2", "nurse")),
        200
    );
    wait_for_queue(
        &server,
        &olu,
        "nurses",
        &[(a, Some("olu")), (b, Some("nia"))],
    );
    assert_eq!(
        server.post_signed(&serve::text_message(c, "wamid.N3", "nurse")),
        200
    );
    graph.wait_for(
        "the busy message",
        std::time::Duration::from_secs(20),
        |r| r.iter().any(|r| r.to() == c && r.text() == Some(BUSY)),
    );
    assert_eq!(
        queue_of(&server, &olu, "nurses"),
        [
            (a.to_owned(), Some("olu".to_owned())),
            (b.to_owned(), Some("nia".to_owned())),
            (c.to_owned(), None)
        ],
        "the third waits in the queue"
    );
    // Several passes later (each process ticks every two seconds) it was said once.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(texts_to(c, BUSY), 1);
    assert_eq!(texts_to(a, BUSY) + texts_to(b, BUSY), 0);

    // Olu closes A: the one waiting goes to Olu, who has room again.
    let closed = olu.call(
        &server,
        "POST",
        &format!("/console/api/conversations/{a}/close"),
        None,
    );
    assert_eq!(closed.status, 202, "{}", closed.body);
    wait_for_queue(
        &server,
        &olu,
        "nurses",
        &[(b, Some("nia")), (c, Some("olu"))],
    );
    assert_eq!(texts_to(c, BUSY), 1, "assigned, not told again");

    // The automatic assignments are in the audit log, by the rules.
    let log = ada
        .call(&server, "GET", "/console/audit?limit=500", None)
        .body;
    let automatic: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auto_assign")
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .rev()
        .collect();
    let expected = [(a, "olu"), (b, "nia"), (c, "olu")].map(|(contact, agent)| {
        (
            contact.to_owned(),
            format!("assigned to {agent} in queue nurses (round-robin, at most 1 at once)"),
        )
    });
    assert_eq!(automatic, expected);
}

#[test]
fn handoffs_are_assigned_by_the_queues_rules_on_sqlite() {
    on_sqlite(handoffs_are_assigned_by_the_queues_rules);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn handoffs_are_assigned_by_the_queues_rules_on_postgres() {
    on_postgres("assign", handoffs_are_assigned_by_the_queues_rules);
}

// ------------------------------------------------------------------ broadcasts

/// Contacts register (their name is set), and a tap on a broadcast's "Book a visit"
/// starts the booking journey.
const REGISTER: &str = r#"stack Register do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["register"])

  card Welcome do
    update_contact(name: "Thandi")
    text("Welcome to the clinic line.")
  end
end

stack Booking do
  trigger(on: "BUTTON PRESSED", keywords: ["Book a visit"])

  card Book do
    text("Your visit is booked.")
  end
end
"#;

/// The broadcast of the tests: the postnatal check-up template to every contact
/// with a name.
fn checkup(at: Option<&str>) -> Value {
    let mut spec = json!({
        "template": "postnatal_checkup",
        "language": "en",
        "params": ["@contact.name", "Hillbrow Clinic"],
        "segment": {"fields": [{"field": "name", "op": "set"}], "labels": []},
    });
    if let Some(at) = at {
        spec["at"] = json!(at);
    }
    spec
}

/// Distinct broadcast keys the fake Graph API received, by contact.
fn broadcast_keys(graph: &FakeGraph) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by_contact: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for request in graph.requests() {
        if let Some(key) = request.key().filter(|k| k.starts_with("broadcast:")) {
            let keys = by_contact.entry(request.to().to_owned()).or_default();
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_owned());
            }
        }
    }
    by_contact
}

/// Issue 16's broadcast, on `database`: 100 contacts of which 10 opted out; the count
/// says 90 and why 10 are left out; a tier of 50 sends 50 now and the other 40 once
/// the 24 hours have passed, each contact's message once; a failure from a status
/// webhook is listed with its reason; a quick reply starts the journey it names; a
/// cancelled broadcast drops what it had not sent; builders are refused.
fn a_broadcast_is_paced_by_the_tier(database: &str) {
    let graph = FakeGraph::start();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let mut toml =
        std::fs::read_to_string(journey_tests::repo_root().join("examples/journey.toml")).unwrap();
    toml.push_str("\n[channel]\nmessaging_limit_tier = 50\n");
    std::fs::write(dir.join("journey.toml"), toml).unwrap();
    std::fs::write(dir.join("register.journey"), REGISTER).unwrap();
    for (name, role) in [("ada", "admin"), ("olu", "operator"), ("bo", "builder")] {
        let (code, _, stderr) = users(
            dir,
            database,
            &["add", name, "--role", role],
            &format!("{OLU_PASSWORD}\n"),
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let server = Server::start(&Options {
        project: dir,
        database,
        graph_url: &graph.url,
        time_scale: Some(INBOX_SCALE),
        extra: Extra::default(),
    });
    let (olu, _) = Browser::login(&server, "olu", OLU_PASSWORD);
    let (bo, _) = Browser::login(&server, "bo", OLU_PASSWORD);
    let contacts: Vec<String> = (0..100).map(|i| format!("2782300{i:04}")).collect();
    for (i, contact) in contacts.iter().enumerate() {
        let body = serve::text_message(contact, &format!("wamid.R{i}"), "register");
        assert_eq!(server.post_signed(&body), 200);
    }
    let opted_out = &contacts[..10];
    for (i, contact) in opted_out.iter().enumerate() {
        server.settled_contact(contact);
        let body = serve::text_message(contact, &format!("wamid.S{i}"), "stop");
        assert_eq!(server.post_signed(&body), 200);
    }
    for contact in &contacts {
        server.settled_contact(contact);
    }
    graph.wait_for("the welcomes", std::time::Duration::from_secs(30), |r| {
        r.iter()
            .filter(|r| r.text() == Some("Welcome to the clinic line."))
            .count()
            >= 100
    });
    // The windows close (25 journey hours): the broadcast is business-initiated.
    std::thread::sleep(std::time::Duration::from_secs_f64(
        25.0 * 3600.0 / INBOX_SCALE,
    ));

    // Builders may not broadcast.
    let refused = bo.call(
        &server,
        "POST",
        "/console/api/broadcasts/count",
        Some(checkup(None)),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    // A template that is not in the registry is refused with the reason.
    let mut unknown = checkup(None);
    unknown["template"] = json!("no_such_template");
    let answer = olu.call(&server, "POST", "/console/api/broadcasts", Some(unknown));
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer.body["error"]
            .to_string()
            .contains("no_such_template"),
        "{}",
        answer.body
    );

    // The count before sending.
    let count = olu.call(
        &server,
        "POST",
        "/console/api/broadcasts/count",
        Some(checkup(None)),
    );
    assert_eq!(count.status, 200, "{}", count.body);
    assert_eq!(count.body["recipients"], 90, "{}", count.body);
    assert_eq!(count.body["excluded"], 10);
    assert_eq!(count.body["excluded_by_reason"]["opted out"], 10);
    assert_eq!(count.body["tier_room_now"], 50);
    assert_eq!(count.body["later_by_tier"], 40);
    let created = olu.call(
        &server,
        "POST",
        "/console/api/broadcasts",
        Some(checkup(None)),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/console/api/broadcasts/{id}");
    let draft = olu.call(&server, "GET", &path, None);
    assert_eq!(
        (
            draft.body["state"].clone(),
            draft.body["count"]["recipients"].clone()
        ),
        (json!("draft"), json!(90))
    );
    let sent = olu.call(&server, "POST", &format!("{path}/send"), None);
    assert_eq!(sent.status, 202, "{}", sent.body);
    let again = olu.call(&server, "POST", &format!("{path}/send"), None);
    assert_eq!(
        again.status, 409,
        "a broadcast is sent once: {}",
        again.body
    );

    // 50 now; the tier holds the rest (a few journey hours later, still 50).
    graph.wait_for("the tier's 50", std::time::Duration::from_secs(15), |_| {
        broadcast_keys(&graph).len() == 50
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        broadcast_keys(&graph).len(),
        50,
        "the tier is full for 24 hours"
    );
    let report = olu.call(&server, "GET", &path, None);
    assert_eq!(report.status, 200, "{}", report.body);
    let figures = &report.body["figures"];
    assert_eq!(figures["recipients"], 90, "{}", report.body);
    assert_eq!(figures["sent"], 50, "{}", report.body);
    assert_eq!(
        figures["waiting"].as_u64().unwrap() + figures["queued"].as_u64().unwrap(),
        40
    );

    // A status webhook says one failed: the report lists it with WhatsApp's reason.
    let (failed_contact, failed_key) = broadcast_keys(&graph)
        .into_iter()
        .next()
        .map(|(contact, keys)| (contact, keys[0].clone()))
        .unwrap();
    let status = serve::envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"phone_number_id": serve::PHONE_NUMBER_ID},
        "statuses": [{"id": "wamid.unknown", "status": "failed", "timestamp": "1767225600",
                      "recipient_id": failed_contact, "biz_opaque_callback_data": failed_key,
                      "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}));
    assert_eq!(server.post_signed(&status), 200);
    let report = olu.call(&server, "GET", &path, None);
    assert_eq!(report.body["figures"]["failed"], 1, "{}", report.body);
    let failure = &report.body["figures"]["failures"][0];
    assert_eq!(failure["contact"], failed_contact.as_str());
    assert!(
        failure["reason"].to_string().contains("131026")
            || failure["reason"].to_string().contains("undeliverable"),
        "{failure}"
    );

    // A quick reply to the broadcast starts the journey it names.
    let tapper = &contacts[50];
    let tap = serve::message(
        tapper,
        "wamid.T1",
        json!({"type": "button",
        "button": {"payload": "Book a visit", "text": "Book a visit"}}),
    );
    assert_eq!(server.post_signed(&tap), 200);
    graph.wait_for("the booking", std::time::Duration::from_secs(15), |r| {
        r.iter()
            .any(|r| r.to() == tapper && r.text() == Some("Your visit is booked."))
    });

    // After 24 journey hours the rest go: 90 contacts, one message each, none to
    // those who opted out.
    graph.wait_for("all 90", std::time::Duration::from_secs(60), |_| {
        broadcast_keys(&graph).len() == 90
    });
    let keys = broadcast_keys(&graph);
    assert!(
        keys.values().all(|k| k.len() == 1),
        "one message per contact: {keys:?}"
    );
    assert!(opted_out.iter().all(|c| !keys.contains_key(c)));
    // The store records the sends a moment after the fake Graph API got them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let figures = loop {
        let report = olu.call(&server, "GET", &path, None);
        let figures = report.body["figures"].clone();
        if figures["sent"] == 90 || std::time::Instant::now() > deadline {
            break figures;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(
        (
            figures["sent"].clone(),
            figures["waiting"].clone(),
            figures["queued"].clone(),
            figures["failed"].clone()
        ),
        (json!(90), json!(0), json!(0), json!(1)),
        "{figures}"
    );
    let listed = olu.call(&server, "GET", "/console/api/broadcasts", None);
    assert_eq!(
        listed.body["broadcasts"][0]["figures"]["sent"], 90,
        "{}",
        listed.body
    );
    assert!(
        listed.body["templates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "postnatal_checkup")
    );

    // A broadcast for a later local time, cancelled: nothing of it is sent.
    let later = olu.call(
        &server,
        "POST",
        "/console/api/broadcasts",
        Some(checkup(Some("2099-01-01T09:00"))),
    );
    assert_eq!(later.status, 201, "{}", later.body);
    let later = later.body["id"].as_i64().unwrap();
    let later_path = format!("/console/api/broadcasts/{later}");
    assert_eq!(
        olu.call(&server, "POST", &format!("{later_path}/send"), None)
            .status,
        202
    );
    let cancelled = olu.call(&server, "POST", &format!("{later_path}/cancel"), None);
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["dropped"], 90);
    let report = olu.call(&server, "GET", &later_path, None);
    assert_eq!(
        (
            report.body["state"].clone(),
            report.body["figures"]["recipients"].clone()
        ),
        (json!("cancelled"), json!(0))
    );

    // Every change is in the audit log.
    let (ada, _) = Browser::login(&server, "ada", OLU_PASSWORD);
    let audit = ada.call(&server, "GET", "/console/audit", None);
    let actions: Vec<String> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["who"] == "olu")
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect();
    for action in ["broadcast_create", "broadcast_send", "broadcast_cancel"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[test]
fn a_broadcast_is_paced_by_the_tier_on_sqlite() {
    on_sqlite(a_broadcast_is_paced_by_the_tier);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn a_broadcast_is_paced_by_the_tier_on_postgres() {
    on_postgres("broadcast", a_broadcast_is_paced_by_the_tier);
}

/// A CSV posted to the import as a browser's upload would.
fn import_csv(server: &Server, browser: &Browser, csv: &str) -> Answer {
    let request = client()
        .post(format!("{}/console/api/contacts/import", server.url))
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    browser.send(request, true)
}

fn found(answer: &Answer) -> Vec<&str> {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contact"].as_str().unwrap())
        .collect()
}

/// Contacts (issue 16, part 5): a bad row refuses the whole import and is named; a
/// good file imports, search finds it, the export imports again unchanged; builders
/// are refused.
fn contacts_are_imported_searched_and_exported(database: &str) {
    let graph = FakeGraph::start();
    let project = serve::examples_project();
    for (name, role) in [("ada", "admin"), ("olu", "operator"), ("bo", "builder")] {
        let (code, _, stderr) = users(
            project.path(),
            database,
            &["add", name, "--role", role],
            &format!("{OLU_PASSWORD}\n"),
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let server = Server::start(&Options {
        project: project.path(),
        database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra::default(),
    });
    let (olu, _) = Browser::login(&server, "olu", OLU_PASSWORD);
    let (bo, _) = Browser::login(&server, "bo", OLU_PASSWORD);
    let (ada, _) = Browser::login(&server, "ada", OLU_PASSWORD);

    // A contact the bot knows already, with a conversation.
    let known = "27820002001";
    assert_eq!(
        server.post_signed(&serve::text_message(known, "wamid.K1", "hello")),
        200
    );
    server.settled_contact(known);

    // One bad row: nothing is imported, and the report names the row and the cell.
    let bad = "phone,age,checkup_slot,labels\n\
               27820002002,31,morning,vip\n\
               27820002003,thirty,evening,\n";
    let refused = import_csv(&server, &olu, bad);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("1 row cannot be imported, so nothing was imported"),
        "{}",
        refused.body
    );
    let rejected = &refused.body["rejected"];
    assert_eq!(rejected[0]["line"], 3);
    assert_eq!(rejected[0]["column"], "age");
    assert_eq!(
        rejected[0]["why"],
        "`thirty` is not a number (e.g. 42 or 3.5)"
    );
    assert_eq!(rejected[1]["column"], "checkup_slot");
    assert_eq!(
        found(&olu.call(&server, "GET", "/console/api/contacts", None)),
        [known],
        "the good row was not imported either"
    );
    let unknown = import_csv(&server, &olu, "phone,shoe_size\n27820002002,9\n");
    assert_eq!(unknown.status, 422);
    assert!(
        unknown.body["rejected"][0]["why"]
            .as_str()
            .unwrap()
            .contains("`shoe_size` is not a contact field of journey.toml"),
        "{}",
        unknown.body
    );
    assert!(
        unknown.body["error"]
            .as_str()
            .unwrap()
            .starts_with("the file's header cannot be imported, so nothing was imported"),
        "a header fault is no row's: {}",
        unknown.body
    );

    // A good file: two new contacts and the known one updated, in one go.
    let good = "phone,age,checkup_slot,opted_in,labels\n\
                +27 82 000 2002,31,morning,true,vip\n\
                27820002003,-4,afternoon,false,\n\
                27820002001,,morning,,vip; mothers\n";
    let imported = import_csv(&server, &olu, good);
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(
        (
            imported.body["created"].clone(),
            imported.body["updated"].clone()
        ),
        (json!(2), json!(1))
    );
    let search = |query: &str| {
        olu.call(
            &server,
            "GET",
            &format!("/console/api/contacts{query}"),
            None,
        )
    };
    assert_eq!(
        found(&search("?q=%2B27820002")),
        ["27820002001", "27820002002", "27820002003"]
    );
    assert_eq!(
        found(&search("?field=checkup_slot&value=morning")),
        ["27820002001", "27820002002"]
    );
    assert_eq!(found(&search("?field=age&value=31")), ["27820002002"]);
    assert_eq!(
        found(&search("?label=vip&opted=in")),
        ["27820002001", "27820002002"]
    );
    assert_eq!(found(&search("?opted=out")), ["27820002003"]);
    let page = search("?limit=2");
    assert_eq!(found(&page), ["27820002001", "27820002002"]);
    let next = page.body["next"].as_str().unwrap().to_owned();
    assert_eq!(
        found(&search(&format!("?limit=2&after={next}"))),
        ["27820002003"]
    );
    let wrong = search("?field=checkup_slot&value=evening");
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body["error"]
            .as_str()
            .unwrap()
            .contains("not one of the choices")
    );

    // The profile: fields, labels, opt-out, the latest history.
    let profile = olu.call(
        &server,
        "GET",
        &format!("/console/api/contacts/{known}"),
        None,
    );
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["fields"]["checkup_slot"], "morning");
    assert_eq!(profile.body["labels"], json!(["vip", "mothers"]));
    assert_eq!(profile.body["opted_out"], false);
    assert_eq!(profile.body["handoff"], Value::Null);
    assert_eq!(profile.body["messages"][0]["text"], "hello");
    assert_eq!(profile.body["history_limit"], 50);

    // The export is CSV with a guarded negative number; imported again, it changes
    // nothing, and exports the same.
    let export = olu.call(&server, "GET", "/console/api/contacts/export", None);
    assert_eq!(export.status, 200);
    assert!(
        export.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = export.body.as_str().unwrap().to_owned();
    assert!(csv.starts_with("phone,age,baby_born,"), "{csv}");
    assert!(csv.contains("27820002003,'-4,"), "formula guard: {csv}");
    assert!(csv.contains(",Thandi,,vip; mothers\n"), "{csv}");
    let again = import_csv(&server, &olu, &csv);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        (again.body["created"].clone(), again.body["updated"].clone()),
        (json!(0), json!(3))
    );
    let export_again = olu.call(&server, "GET", "/console/api/contacts/export", None);
    assert_eq!(
        export_again.body.as_str().unwrap(),
        csv,
        "the export round-trips"
    );

    // Builders are refused, as for the inbox; the imports and exports are audited.
    for path in [
        "/console/api/contacts".to_owned(),
        format!("/console/api/contacts/{known}"),
        "/console/api/contacts/export".to_owned(),
    ] {
        assert_eq!(bo.call(&server, "GET", &path, None).status, 403, "{path}");
    }
    assert_eq!(import_csv(&server, &bo, good).status, 403);
    let audit = ada.call(&server, "GET", "/console/audit?limit=100", None);
    let actions: Vec<(&str, &str)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["who"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    for (who, action) in [
        ("olu", "contacts_imported"),
        ("olu", "contacts_exported"),
        ("bo", "denied"),
    ] {
        assert!(
            actions.contains(&(who, action)),
            "{who} {action}: {actions:?}"
        );
    }
    assert_eq!(
        actions
            .iter()
            .filter(|(_, a)| *a == "contacts_imported")
            .count(),
        2,
        "a refused import is not an import"
    );
}

#[test]
fn contacts_are_imported_searched_and_exported_on_sqlite() {
    on_sqlite(contacts_are_imported_searched_and_exported);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn contacts_are_imported_searched_and_exported_on_postgres() {
    let base = std::env::var("JOURNEY_TEST_DATABASE_URL").expect("the build script checked it");
    let schema = format!("journey_contacts_{}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let database = format!("{base}{separator}schema={schema}");
    contacts_are_imported_searched_and_exported(&database);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = journey_store::PgStore::open_url(&database).await.unwrap();
        store.drop_schema().await.unwrap();
    });
}

// ------------------------------------------------------------------ reports

/// A clinic survey whose unhappy answers go to a nurse (shared with the console's
/// browser test).
const SURVEY: &str = include_str!("fixtures/serve/survey/survey.journey");

/// Journey time for the reports: 1 s real is 10 journey minutes.
const REPORTS_SCALE: f64 = 600.0;

/// A journey timestamp as the console writes it, in milliseconds.
fn millis(text: &Value) -> i64 {
    text.as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(|| panic!("not a timestamp: {text}"))
        .as_millisecond()
}

/// A tap on a reply button.
fn tap(contact: &str, id: &str, button: &str, title: &str) -> Vec<u8> {
    serve::message(
        contact,
        id,
        json!({"type": "interactive", "interactive": {"type": "button_reply",
            "button_reply": {"id": button, "title": title}}}),
    )
}

/// A status webhook for the message sent under our key `key`.
fn status(contact: &str, key: &str, status: &str) -> Vec<u8> {
    let mut report = json!({"id": format!("wamid.status.{key}"), "status": status,
        "timestamp": "1767225600", "recipient_id": contact, "biz_opaque_callback_data": key});
    if status == "failed" {
        report["errors"] = json!([{"code": 131026, "title": "Message undeliverable"}]);
    }
    serve::envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"phone_number_id": serve::PHONE_NUMBER_ID}, "statuses": [report]}))
}

/// Issue 16's reports, on `database`: three contacts take a survey by webhooks (one
/// happy, one handed to a nurse who replies and closes, one who never answers),
/// status webhooks report deliveries, reads and a failure; then the reports give the
/// exact figures: conversations, the handoff's counts and times, messages by origin
/// and state, the funnel per card, and the results as CSV. Operators are refused.
fn reports_count_what_happened(database: &str) {
    let graph = FakeGraph::start();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::copy(
        journey_tests::repo_root().join("examples/journey.toml"),
        dir.join("journey.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("survey.journey"), SURVEY).unwrap();
    for (name, role) in [("ada", "admin"), ("olu", "operator"), ("bo", "builder")] {
        let (code, _, stderr) = users(
            dir,
            database,
            &["add", name, "--role", role],
            &format!("{OLU_PASSWORD}\n"),
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let server = Server::start(&Options {
        project: dir,
        database,
        graph_url: &graph.url,
        time_scale: Some(REPORTS_SCALE),
        extra: Extra::default(),
    });
    let (olu, _) = Browser::login(&server, "olu", OLU_PASSWORD);
    let (ada, _) = Browser::login(&server, "ada", OLU_PASSWORD);
    let (bo, _) = Browser::login(&server, "bo", OLU_PASSWORD);

    // Three contacts start the survey; the first is happy, the second is not, the
    // third never answers.
    let (happy, unhappy, silent) = ("27820003001", "27820003002", "27820003003");
    for (n, contact) in [happy, unhappy, silent].into_iter().enumerate() {
        let id = format!("wamid.S{n}");
        assert_eq!(
            server.post_signed(&serve::text_message(contact, &id, "survey")),
            200
        );
        server.settled_contact(contact);
    }
    assert_eq!(
        server.post_signed(&tap(happy, "wamid.T1", "Happy", "Yes")),
        200
    );
    assert_eq!(
        server.post_signed(&tap(unhappy, "wamid.T2", "Unhappy", "No")),
        200
    );
    server.settled_contact(happy);
    server.settled_contact(unhappy);

    // The nurse takes the handoff a while later, replies, and closes it.
    let path = format!("/console/api/conversations/{unhappy}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let taken = olu.call(
        &server,
        "POST",
        &format!("{path}/assign"),
        Some(json!({"person": "me"})),
    );
    assert_eq!(taken.status, 200, "{}", taken.body);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let reply = olu.call(
        &server,
        "POST",
        &format!("{path}/reply"),
        Some(json!({"text": "Sorry to hear it. What went wrong?"})),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    graph.wait_for(
        "the nurse's reply",
        std::time::Duration::from_secs(20),
        |r| {
            r.iter().any(|r| {
                r.to() == unhappy && r.text() == Some("Sorry to hear it. What went wrong?")
            })
        },
    );
    let open = olu.call(&server, "GET", &path, None).body;
    let since = millis(&open["handoff"]["since"]);
    let replied = open["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["from"] == "agent")
        .map(|m| millis(&m["at"]))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let closed = olu.call(&server, "POST", &format!("{path}/close"), None);
    assert_eq!(closed.status, 202, "{}", closed.body);
    graph.wait_for("the thanks", std::time::Duration::from_secs(20), |r| {
        r.iter()
            .any(|r| r.to() == unhappy && r.text() == Some("Thank you for telling us."))
    });
    server.settled_contact(unhappy);
    let after = olu.call(&server, "GET", &path, None).body;
    let closed_at = after["steps"]
        .as_array()
        .unwrap()
        .last()
        .map(|s| millis(&s["at"]))
        .unwrap();

    // Every message went out (3 questions, 2 answers, the nurse's reply); the status
    // webhooks say what became of three of them.
    graph.wait_for("every message", std::time::Duration::from_secs(20), |r| {
        r.len() == 6
    });
    let key_of = |contact: &str, text: &str| {
        graph
            .sent_to(contact)
            .iter()
            .find(|r| r.text() == Some(text))
            .and_then(|r| r.key().map(str::to_owned))
            .unwrap()
    };
    let question = "Are you happy with the clinic?";
    for (contact, key, state) in [
        (happy, key_of(happy, question), "delivered"),
        (happy, key_of(happy, "Glad to hear it."), "delivered"),
        (happy, key_of(happy, "Glad to hear it."), "read"),
        (silent, key_of(silent, question), "failed"),
    ] {
        assert_eq!(server.post_signed(&status(contact, &key, state)), 200);
    }

    // Operators see no reports; builders and admins do. A range is days.
    let reports = "/console/api/reports";
    assert_eq!(
        olu.call(&server, "GET", &format!("{reports}/handoffs"), None)
            .status,
        403
    );
    assert_eq!(
        bo.call(&server, "GET", &format!("{reports}/handoffs"), None)
            .status,
        200
    );
    let bad = ada.call(
        &server,
        "GET",
        &format!("{reports}/messages?from=yesterday"),
        None,
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body["error"].as_str().unwrap().contains("YYYY-MM-DD"));
    let backwards = ada.call(
        &server,
        "GET",
        &format!("{reports}/messages?from=2026-02-02&to=2026-02-01"),
        None,
    );
    assert_eq!(backwards.status, 422, "{}", backwards.body);

    // Conversations: 5 messages in from 3 contacts, 3 runs begun, 2 ended.
    let talk = ada.call(&server, "GET", &format!("{reports}/conversations"), None);
    assert_eq!(talk.status, 200, "{}", talk.body);
    let days = talk.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7, "the last 7 days by default");
    assert_eq!(talk.body["range"]["time_zone"], "Africa/Johannesburg");
    assert_eq!(
        talk.body["totals"],
        json!({"messages": 5, "started": 3, "finished": 2})
    );
    let contacts: i64 = days.iter().map(|d| d["contacts"].as_i64().unwrap()).sum();
    assert!(
        (3..=6).contains(&contacts),
        "3 contacts, on one or two days: {contacts}"
    );

    // Handoffs: one opened, assigned, answered and closed, with its exact times.
    let handoffs = ada
        .call(&server, "GET", &format!("{reports}/handoffs"), None)
        .body;
    let nurses = &handoffs["queues"][0];
    assert_eq!(nurses["queue"], "nurses", "{handoffs}");
    assert_eq!(
        (
            &nurses["opened"],
            &nurses["assigned"],
            &nurses["closed"],
            &nurses["open"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0))
    );
    let seconds = |ms: i64| json!(ms as f64 / 1000.0);
    assert!(
        replied - since >= 600_000,
        "two half-second waits are 10 journey minutes"
    );
    assert_eq!(
        nurses["first_reply"]["median_seconds"],
        seconds(replied - since)
    );
    assert_eq!(
        nurses["first_reply"]["p90_seconds"],
        seconds(replied - since)
    );
    assert_eq!(
        nurses["resolution"]["median_seconds"],
        seconds(closed_at - since)
    );
    assert_eq!(handoffs["total"]["opened"], 1);

    // Messages: the bot's 5 (one failed), the agent's 1; deliveries and reads.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let messages = loop {
        let body = ada
            .call(&server, "GET", &format!("{reports}/messages"), None)
            .body;
        if body["total"]["pending"] == 0 || std::time::Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let by_origin = |origin: &str| {
        messages["origins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["origin"] == origin)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_origin("bot"),
        json!({"origin": "bot", "total": 5, "pending": 0, "sent": 4, "delivered": 2,
               "read": 1, "failed": 1}),
        "{messages}"
    );
    assert_eq!(
        by_origin("agent"),
        json!({"origin": "agent", "total": 1, "pending": 0, "sent": 1, "delivered": 0,
               "read": 0, "failed": 0})
    );
    assert_eq!(by_origin("broadcast")["total"], 0);

    // The funnel: every card in the journey's order, who reached it, who stopped.
    let funnel = ada.call(
        &server,
        "GET",
        &format!("{reports}/funnel?journey=Survey"),
        None,
    );
    assert_eq!(funnel.status, 200, "{}", funnel.body);
    let cards: Vec<(&str, i64, i64)> = funnel.body["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["card"].as_str().unwrap(),
                c["reached"].as_i64().unwrap(),
                c["stopped"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cards,
        [
            ("Start", 3, 1),
            ("Happy", 1, 1),
            ("Unhappy", 1, 0),
            ("Thanks", 1, 1),
            ("OptOut", 0, 0)
        ]
    );
    assert_eq!(funnel.body["journeys"], json!(["Survey"]));
    let unknown = ada.call(
        &server,
        "GET",
        &format!("{reports}/funnel?journey=Nope"),
        None,
    );
    assert_eq!(unknown.status, 422);

    // Results as CSV, oldest first, guarded against formulas; one key; none.
    let csv = ada.call(&server, "GET", &format!("{reports}/results.csv"), None);
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.body.as_str().unwrap().to_owned();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split(',').take(3).collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["contact", "key", "value"],
            vec![happy, "happy", "yes"],
            vec![happy, "comment", "'=1+1"],
            vec![unhappy, "happy", "no"],
        ],
        "{text}"
    );
    let happy_only = ada.call(
        &server,
        "GET",
        &format!("{reports}/results.csv?key=happy"),
        None,
    );
    assert_eq!(happy_only.body.as_str().unwrap().lines().count(), 3);
    let none = ada.call(
        &server,
        "GET",
        &format!("{reports}/results.csv?key=nothing"),
        None,
    );
    assert_eq!(none.body.as_str().unwrap(), "contact,key,value,at\n");
    let old = ada.call(
        &server,
        "GET",
        &format!("{reports}/results.csv?from=2020-01-01&to=2020-01-07"),
        None,
    );
    assert_eq!(old.body.as_str().unwrap().lines().count(), 1);

    // The export is in the audit log; the operator's try is a denial.
    let audit = ada.call(&server, "GET", "/console/audit?limit=100", None);
    let actions: Vec<(&str, &str)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["who"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("ada", "results_exported")),
        "{actions:?}"
    );
    assert!(actions.contains(&("olu", "denied")), "{actions:?}");
}

#[test]
fn reports_count_what_happened_on_sqlite() {
    on_sqlite(reports_count_what_happened);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "JOURNEY_TEST_DATABASE_URL is not set (README: What the tests need)"
)]
fn reports_count_what_happened_on_postgres() {
    on_postgres("reports", reports_count_what_happened);
}
