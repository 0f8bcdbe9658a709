//! Drives the real `journey studio` over HTTP: a project created by the command itself,
//! the guard (token, Host, Origin, paths), versioned writes, undo, the file watcher's
//! events, and a simulator conversation saved as a test that `journey test` passes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use journey_tests::serve::binary;
use reqwest::blocking::Client;
use reqwest::header::{AUTHORIZATION, HOST, ORIGIN};
use serde_json::{Value, json};

struct Studio {
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
    token: String,
    client: Client,
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Studio {
    /// `journey studio DIR --listen 127.0.0.1:0`, with the address it printed.
    fn start(dir: &Path) -> Studio {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut child = Command::new(binary())
            .args(["studio", &dir.to_string_lossy(), "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("journey studio starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        let url = loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("journey studio printed no address:\n{printed}");
            }
            printed.push_str(&line);
            if let Some(at) = line.find("http://") {
                break line[at..].trim().to_owned();
            }
        };
        // Keep reading stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let rest = url.strip_prefix("http://").unwrap();
        let (host, query) = rest.split_once("/?token=").expect("a token in the address");
        Studio {
            child,
            host: host.to_owned(),
            token: query.to_owned(),
            client,
        }
        .printed(&printed)
    }

    fn printed(self, printed: &str) -> Studio {
        assert!(printed.contains("created"), "{printed}");
        self
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    fn send(&self, request: reqwest::blocking::RequestBuilder) -> (u16, Value) {
        let response = request
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .send()
            .expect("the studio answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path)))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(json_body(self.client.post(self.url(path)), &body))
    }

    fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(json_body(self.client.put(self.url(path)), &body))
    }
}

fn json_body(
    request: reqwest::blocking::RequestBuilder,
    body: &Value,
) -> reqwest::blocking::RequestBuilder {
    request
        .header("content-type", "application/json")
        .body(body.to_string())
}

#[test]
fn the_guard_refuses_strangers_and_paths_outside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let studio = Studio::start(&dir.path().join("clinic"));
    let plain =
        |request: reqwest::blocking::RequestBuilder| request.send().unwrap().status().as_u16();

    assert_eq!(plain(studio.client.get(studio.url("/api/project"))), 401);
    let wrong = studio
        .client
        .get(studio.url("/api/project"))
        .header(AUTHORIZATION, "Bearer 00000000000000000000000000000000");
    assert_eq!(plain(wrong), 401);
    // DNS rebinding: a name that resolves here but is not ours.
    let (status, _) = studio.send(
        studio
            .client
            .get(studio.url("/api/project"))
            .header(HOST, "attacker.example:80"),
    );
    assert_eq!(status, 403);
    let (status, _) = studio.send(
        studio
            .client
            .post(studio.url("/api/undo"))
            .header(ORIGIN, "http://attacker.example"),
    );
    assert_eq!(status, 403);
    let (status, _) = studio.send(
        studio
            .client
            .get(studio.url("/api/project"))
            .header(ORIGIN, format!("http://{}", studio.host)),
    );
    assert_eq!(status, 200);

    // The printed link sets the cookie, which then opens the API.
    let entered = studio
        .client
        .get(studio.url(&format!("/?token={}", studio.token)))
        .send()
        .unwrap();
    assert_eq!(entered.status().as_u16(), 303);
    let cookie = entered.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let with_cookie = studio
        .client
        .get(studio.url("/api/project"))
        .header("cookie", cookie.split(';').next().unwrap());
    assert_eq!(plain(with_cookie), 200);

    let outside = dir.path().join("outside.journey");
    std::fs::write(&outside, "card Secret do\n  text(\"x\")\nend\n").unwrap();
    std::os::unix::fs::symlink(&outside, dir.path().join("clinic/link.journey")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("clinic/up")).unwrap();
    for path in [
        "../outside.journey",
        "/etc/passwd",
        "link.journey",
        "up/outside.journey",
        "./main.journey",
        "a//b.journey",
    ] {
        let (status, body) = studio.get(&format!("/api/file?path={path}"));
        assert_eq!(status, 400, "{path}: {body}");
        let (status, _) = studio.put(
            "/api/file",
            json!({"path": path, "text": "card X do\nend\n", "base_version": null}),
        );
        assert_eq!(status, 400, "{path}");
    }
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "card Secret do\n  text(\"x\")\nend\n"
    );
}

#[test]
fn writes_are_versioned_undone_to_the_byte_and_seen_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("clinic");
    let studio = Studio::start(&root);
    let file = root.join("main.journey");
    let original = std::fs::read(&file).unwrap();

    let (status, read) = studio.get("/api/file?path=main.journey");
    assert_eq!(status, 200);
    assert_eq!(read["text"].as_str().unwrap().as_bytes(), original);
    let base = read["version"].as_str().unwrap().to_owned();

    // A round trip: the new text is on disk and read back with a new version.
    let edited = read["text"]
        .as_str()
        .unwrap()
        .replace("Welcome.", "Welcome to the clinic.");
    let (status, change) = studio.put(
        "/api/file",
        json!({"path": "main.journey", "text": edited, "base_version": base}),
    );
    assert_eq!(status, 200, "{change}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    let version = change["files"][0]["version"].as_str().unwrap().to_owned();
    assert_ne!(version, base);
    assert_eq!(
        change["cards_changed"],
        json!([{"journey": "Clinic", "card": "Welcome"}])
    );
    let (_, read) = studio.get("/api/file?path=main.journey");
    assert_eq!(
        (read["text"].as_str(), read["version"].as_str()),
        (Some(edited.as_str()), Some(version.as_str()))
    );

    // An edit based on the old text is refused and changes nothing.
    let (status, refused) = studio.put(
        "/api/file",
        json!({"path": "main.journey", "text": "card Lost do\nend\n", "base_version": base}),
    );
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["version"], json!(version));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    // Undo puts back the exact bytes; redo the edit.
    let (status, _) = studio.post("/api/undo", json!({}));
    assert_eq!(status, 200);
    assert_eq!(std::fs::read(&file).unwrap(), original);
    let (status, _) = studio.post("/api/redo", json!({}));
    assert_eq!(status, 200);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    // A change on disk reaches an open event stream within a second, and an undo
    // over it is refused.
    let mut events = TcpStream::connect(&studio.host).unwrap();
    write!(
        events,
        "GET /api/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
        studio.host, studio.token
    )
    .unwrap();
    let mut head = [0u8; 512];
    let n = events.read(&mut head).unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
    let outside_edit = edited.replace("Welcome to the clinic.", "Welcome, from a text editor.");
    let written = Instant::now();
    std::fs::write(&file, &outside_edit).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("event: change") {
        let mut buffer = [0u8; 4096];
        let n = events
            .read(&mut buffer)
            .expect("a change event within a second");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(written.elapsed() < Duration::from_secs(1));
    assert!(seen.contains("main.journey"), "{seen}");
    let (status, refused) = studio.post("/api/undo", json!({}));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), outside_edit);
}

#[test]
fn a_simulated_conversation_saved_as_a_test_passes_journey_test() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("clinic");
    let studio = Studio::start(&root);

    let (status, state) = studio.post(
        "/api/sim/start",
        json!({"text": "hi", "contact": {"name": "Thandi"}}),
    );
    assert_eq!(status, 200, "{state}");
    let id = state["id"].as_str().unwrap().to_owned();
    assert_eq!(state["waiting"]["kind"], "reply");
    assert_eq!(state["current"]["card"], "Menu");
    let option = state["waiting"]["options"][0].as_str().unwrap().to_owned();
    let (status, state) = studio.post(&format!("/api/sim/{id}/send"), json!({"button": option}));
    assert_eq!(status, 200, "{state}");
    let (status, state) = studio.post(&format!("/api/sim/{id}/advance"), json!({"by": "2h"}));
    assert_eq!(status, 200, "{state}");
    let lines: Vec<&str> = state["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap())
        .collect();
    assert!(lines.contains(&"> hi"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("< ")), "{lines:?}");

    let (status, change) = studio.post(
        &format!("/api/sim/{id}/save-test"),
        json!({"path": "studio.test", "name": "choosing the first option"}),
    );
    assert_eq!(status, 200, "{change}");
    let saved = std::fs::read_to_string(root.join("studio.test")).unwrap();
    assert!(
        saved.contains("## choosing the first option\n> hi\n"),
        "{saved}"
    );

    let run = Command::new(binary())
        .args(["test", &root.to_string_lossy()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        out.contains("PASS") && out.contains("choosing the first option"),
        "{out}"
    );
}

#[test]
fn without_a_project_it_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(binary())
        .arg("studio")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("journey studio NEW-DIR"), "{err}");
    // A directory that is there but is no project is not taken over.
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let run = Command::new(binary())
        .args(["studio", &dir.path().to_string_lossy()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("has no journey.toml"));
}
