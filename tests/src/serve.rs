//! Runs the real `journey` binary as `journey serve` for tests.
//!
//! Cargo gives `CARGO_BIN_EXE_journey` only to tests of the crate that owns the binary
//! (journey-cli), not to this crate. So the harness finds `target/<profile>/journey`
//! beside this test executable, after asking cargo to build it once per test run
//! (`cargo build -p journey-cli --bin journey`, a no-op when it is fresh: `.ci/run`
//! builds it before the tests).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const APP_SECRET: &str = "test_app_secret";
pub const VERIFY_TOKEN: &str = "s3cret-token";
pub const ACCESS_TOKEN: &str = "test-access-token";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const PHONE_NUMBER_ID: &str = "106540352242922";

/// The `journey` binary, built if needed.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable");
        // target/<profile>/deps/<test> → target/<profile>/journey
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("debug");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "journey-cli", "--bin", "journey"]);
        if profile == "release" {
            build.arg("--release");
        }
        let status = build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo could not build the journey binary");
        let binary = profile_dir.join(format!("journey{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.is_file(), "no binary at {}", binary.display());
        binary
    })
}

/// A project directory for a test: the examples, or files given.
pub fn examples_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in std::fs::read_dir(examples).expect("examples/") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".journey") || name == "journey.toml" {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy an example");
        }
    }
    dir
}

/// A running `journey serve`.
pub struct Server {
    pub child: Child,
    pub url: String,
    client: reqwest::blocking::Client,
}

/// How to start one.
pub struct Options<'a> {
    pub project: &'a Path,
    /// The `--database` URL: `sqlite://PATH` or `postgres://…`.
    pub database: &'a str,
    pub graph_url: &'a str,
    /// `JOURNEY_TEST_TIME_SCALE`.
    pub time_scale: Option<f64>,
    /// More of the server's command line, and its environment.
    pub extra: Extra<'a>,
}

/// What most tests leave as it is.
#[derive(Clone, Copy, Default)]
pub struct Extra<'a> {
    pub args: &'a [&'a str],
    /// `RUST_LOG` (default `JOURNEY_TEST_LOG`, else `warn`).
    pub log: Option<&'a str>,
    /// Where stderr goes: a file, or (`Stderr::Unread`) a pipe nobody reads.
    pub stderr: Stderr<'a>,
    /// The process's file limit (soft and hard), set by the shell before it starts.
    pub file_limit: Option<u32>,
    /// More environment variables (`JOURNEY_SECRET_…`).
    pub env: &'a [(&'a str, &'a str)],
}

#[derive(Clone, Copy, Default)]
pub enum Stderr<'a> {
    #[default]
    Inherit,
    File(&'a Path),
    Unread,
}

impl Server {
    pub fn start(options: &Options<'_>) -> Server {
        Server::try_start(options).unwrap_or_else(|why| panic!("{why}"))
    }

    /// Starts one, or says why it did not start listening (its exit status).
    pub fn try_start(options: &Options<'_>) -> Result<Server, String> {
        let extra = options.extra;
        let mut command = match extra.file_limit {
            Some(limit) => {
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(binary());
                shell
            }
            None => Command::new(binary()),
        };
        command.envs(extra.env.iter().copied());
        command
            .arg("serve")
            .arg("--project")
            .arg(options.project)
            .arg("--database")
            .arg(options.database)
            .args(["--listen", "127.0.0.1:0", "--graph-url", options.graph_url])
            .args(["--phone-number-id", PHONE_NUMBER_ID])
            .env("JOURNEY_APP_SECRET", APP_SECRET)
            .env("JOURNEY_VERIFY_TOKEN", VERIFY_TOKEN)
            .env("JOURNEY_ACCESS_TOKEN", ACCESS_TOKEN)
            .env("JOURNEY_ADMIN_TOKEN", ADMIN_TOKEN)
            .args(extra.args)
            .env(
                "RUST_LOG",
                extra.log.map(str::to_owned).unwrap_or_else(|| {
                    std::env::var("JOURNEY_TEST_LOG").unwrap_or_else(|_| "warn".to_owned())
                }),
            )
            .stdout(Stdio::piped())
            .stderr(match extra.stderr {
                Stderr::Inherit => Stdio::inherit(),
                Stderr::File(path) => Stdio::from(
                    std::fs::File::create(path).expect("a file for the server's stderr"),
                ),
                Stderr::Unread => Stdio::piped(),
            });
        match options.time_scale {
            Some(scale) => command.env("JOURNEY_TEST_TIME_SCALE", scale.to_string()),
            None => command.env_remove("JOURNEY_TEST_TIME_SCALE"),
        };
        let mut child = command.spawn().expect("journey serve starts");
        let stdout = child.stdout.take().expect("its stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("journey serve: listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!("journey serve did not start listening ({status})"));
            }
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Server {
            child,
            url,
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        })
    }

    /// Posts a webhook body signed with the app secret; the HTTP status.
    pub fn post_signed(&self, body: &[u8]) -> u16 {
        let signature = journey_whatsapp::signature::sign(APP_SECRET.as_bytes(), body);
        self.post_webhook(body, Some(&signature)).0
    }

    /// Posts a webhook body with this signature header (if any): status and body.
    pub fn post_webhook(&self, body: &[u8], signature: Option<&str>) -> (u16, String) {
        let mut request = self
            .client
            .post(format!("{}/webhooks/whatsapp", self.url))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        match request.send() {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().unwrap_or_default())
            }
            Err(_) => (0, String::new()),
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let get = || self.client.get(format!("{}{path}", self.url)).send();
        let response = get().or_else(|_| get()).expect("GET");
        (
            response.status().as_u16(),
            response.text().unwrap_or_default(),
        )
    }

    /// An admin call: (status, JSON).
    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/admin{path}", self.url);
        let request = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        }
        .bearer_auth(ADMIN_TOKEN);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => request,
        };
        // A pooled connection the server closed (after a 413, say) fails once: retry.
        let retry = request
            .try_clone()
            .expect("a request without a stream body");
        let response = request
            .send()
            .or_else(|_| retry.send())
            .expect("an admin call");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The contact as the admin API shows it, once it has no events waiting.
    pub fn settled_contact(&self, contact: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, view) = self.admin("GET", &format!("/contacts/{contact}"), None);
            if status == 200 && view["pending_events"] == 0 {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "{contact} did not settle: {view}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then wait for the exit; the exit status and whether it was clean.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("journey serve exits")
    }

    /// kill -9.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook body with one text message from `contact`, sent now.
pub fn text_message(contact: &str, id: &str, text: &str) -> Vec<u8> {
    message(
        contact,
        id,
        serde_json::json!({"type": "text", "text": {"body": text}}),
    )
}

/// A webhook body with one message (`content` holds `type` and its object).
pub fn message(contact: &str, id: &str, content: Value) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut message = serde_json::json!({"from": contact, "id": id, "timestamp": now.to_string()});
    for (key, value) in content.as_object().unwrap() {
        message[key] = value.clone();
    }
    envelope(serde_json::json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Thandi"}, "wa_id": contact}],
        "messages": [message]
    }))
}

pub fn envelope(value: Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
    }))
    .unwrap()
}
