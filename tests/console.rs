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
    let base = std::env::var("JOURNEY_TEST_DATABASE_URL").expect("the build script checked it");
    let schema = format!("journey_people_{}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let database = format!("{base}{separator}schema={schema}");
    people_sign_in_and_are_audited(&database);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = journey_store::PgStore::open_url(&database).await.unwrap();
        store.drop_schema().await.unwrap();
    });
}

/// Guessing across many names from one address is stopped after 20 failures in 15
/// minutes, even for a right password, with a message that says until when.
#[test]
fn one_address_guessing_many_names_is_stopped() {
    let graph = FakeGraph::start();
    let project = serve::examples_project();
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("journey.db").display());
    assert_eq!(
        users(
            project.path(),
            &database,
            &["add", "ada", "--role", "admin"],
            ADA_PASSWORD
        )
        .0,
        0
    );
    let server = Server::start(&Options {
        project: project.path(),
        database: &database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra::default(),
    });
    for n in 0..20 {
        let (_, answer) = Browser::login(&server, &format!("guess{n}"), "password123456");
        assert_eq!(answer.status, 401, "guess {n}");
    }
    let (_, answer) = Browser::login(&server, "ada", ADA_PASSWORD);
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
    let graph = FakeGraph::start();
    let project = serve::examples_project();
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("journey.db").display());
    assert_eq!(
        users(
            project.path(),
            &database,
            &["add", "ada", "--role", "admin"],
            ADA_PASSWORD
        )
        .0,
        0
    );
    let server = Server::start(&Options {
        project: project.path(),
        database: &database,
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra {
            args: &["--behind-proxy"],
            ..Extra::default()
        },
    });
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
    let log = ada.get(&server, "/console/audit");
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
