//! Drives the real `journey lsp` over JSON-RPC on stdio: a session as an editor has
//! one, its answers snapshotted with the project's directory written `file:///PROJECT`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use journey_tests::serve::binary;
use serde_json::{Value, json};

const MAIN: &str = r#"stack Registration do
  card Start, then: Done do
    buttons(Done: "Finish", Later: "Later") do
      text("Welcome! Let's set up your profile first.")
    end
    run_stack(Profile)
  end

  card Done do
    text("All set.")
  end

  card Later, then: Dnoe do
    text("Later then.")
  end
end
"#;

const PROFILE: &str = r#"stack Profile do
  card AskName do
    name = ask("What is your name?")
    update_contact(name: name)
  end
end
"#;

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
    root: String,
}

impl Session {
    fn start(dir: &std::path::Path) -> Session {
        let mut child = Command::new(binary())
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("journey lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
            next_id: 0,
            root: format!("file://{}", dir.display()),
        }
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string());
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server ended"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        let text = String::from_utf8(body)
            .unwrap()
            .replace(&self.root, "file:///PROJECT");
        serde_json::from_str(&text).unwrap()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (notifications before it are skipped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn diagnostics_of(&mut self, uri: &str) -> Value {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"].clone();
            }
        }
    }

    fn uri(&self, name: &str) -> String {
        format!("{}/{name}", self.root)
    }
}

/// Position of the `nth` (0-based) occurrence of `needle` in `text`, plus `shift` chars.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let offset = text.match_indices(needle).nth(nth).unwrap().0 + shift;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": column})
}

#[test]
fn an_editor_session() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    std::fs::write(dir_path.join("journey.toml"), "").unwrap();
    std::fs::write(dir_path.join("main.journey"), MAIN).unwrap();
    std::fs::write(dir_path.join("profile.journey"), PROFILE).unwrap();
    let mut s = Session::start(&dir_path);
    let main = s.uri("main.journey");
    let profile = "file:///PROJECT/profile.journey";
    let main_p = "file:///PROJECT/main.journey";
    let doc = |uri: &str| json!({"uri": uri});

    let init = s.request(
        "initialize",
        json!({"processId": null, "rootUri": s.root, "capabilities": {}}),
    );
    insta::assert_json_snapshot!("initialize", init["result"]);
    s.notify("initialized", json!({}));

    // Bad input answers and the session goes on.
    s.send_raw("{not json");
    insta::assert_json_snapshot!("malformed", s.receive());
    let unknown = s.request("journey/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let closed = s.request(
        "textDocument/hover",
        json!({"textDocument": doc(&s.uri("nowhere.journey")), "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(closed["result"], Value::Null, "{closed}");

    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": main, "languageId": "journey", "version": 1, "text": MAIN}}),
    );
    let published = s.diagnostics_of(main_p);
    let j101: Vec<&Value> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "J101")
        .collect();
    assert_eq!(j101.len(), 1, "{published:#}");
    assert_eq!(
        j101[0]["range"]["start"],
        position(MAIN, "Dnoe", 0, 0),
        "J101 points at the misspelt name"
    );
    insta::assert_json_snapshot!("diagnostics", published);

    // A keystroke that fixes it clears it.
    let fixed = MAIN.replace("Dnoe", "Done");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let published = s.diagnostics_of(main_p);
    assert!(
        !published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "J101"),
        "{published:#}"
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 3}, "contentChanges": [{"text": MAIN}]}),
    );
    s.diagnostics_of(main_p);

    // Completion after `then: ` in the card header of Later.
    let completion = s.request(
        "textDocument/completion",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Dnoe", 0, 0)}),
    );
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    for wanted in ["Start", "Done", "Later"] {
        assert!(labels.contains(&wanted), "{wanted} in {labels:?}");
    }
    let in_body = s.request(
        "textDocument/completion",
        json!({"textDocument": doc(&main), "position": position(MAIN, "text(\"All", 0, 0)}),
    );
    let labels: Vec<&str> = in_body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"buttons"), "{labels:?}");
    insta::assert_json_snapshot!("completion", completion["result"]);

    let hover = s.request(
        "textDocument/hover",
        json!({"textDocument": doc(&main), "position": position(MAIN, "buttons", 0, 2)}),
    );
    insta::assert_json_snapshot!("hover", hover["result"]);

    // Profile is defined in the other file.
    let definition = s.request(
        "textDocument/definition",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Profile", 0, 1)}),
    );
    assert_eq!(definition["result"]["uri"], profile, "{definition}");
    insta::assert_json_snapshot!("definition", definition["result"]);

    let references = s.request(
        "textDocument/references",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Done", 1, 1),
               "context": {"includeDeclaration": true}}),
    );
    insta::assert_json_snapshot!("references", references["result"]);

    // Renaming the journey edits both files.
    let rename = s.request(
        "textDocument/rename",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Profile", 0, 1), "newName": "Details"}),
    );
    let changes = rename["result"]["changes"].as_object().unwrap();
    assert!(
        changes.contains_key(main_p) && changes.contains_key(profile),
        "{rename}"
    );
    insta::assert_json_snapshot!("rename_journey", rename["result"]);
    // A card is renamed wherever its journey names it.
    let rename = s.request(
        "textDocument/rename",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Done", 0, 1), "newName": "Finished"}),
    );
    insta::assert_json_snapshot!("rename_card", rename["result"]);
    let refused = s.request(
        "textDocument/rename",
        json!({"textDocument": doc(&main), "position": position(MAIN, "Done", 0, 1), "newName": "Later"}),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already has a card")
    );

    let symbols = s.request(
        "textDocument/documentSymbol",
        json!({"textDocument": doc(&main)}),
    );
    insta::assert_json_snapshot!("document_symbols", symbols["result"]);

    let formatting = s.request(
        "textDocument/formatting",
        json!({"textDocument": doc(&main), "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(
        formatting["result"],
        json!([]),
        "main.journey is formatted already"
    );
    // A file written without care gets `journey fmt`'s layout as one edit.
    let messy = s.uri("messy.journey");
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": messy, "languageId": "journey", "version": 1,
               "text": "card Messy do\n      text(\"Hi\")   # a greeting\n  end\n"}}),
    );
    let formatting = s.request(
        "textDocument/formatting",
        json!({"textDocument": doc(&messy), "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    insta::assert_json_snapshot!("formatting", formatting["result"]);

    let actions = s.request(
        "textDocument/codeAction",
        json!({"textDocument": doc(&main), "range": {"start": position(MAIN, "Dnoe", 0, 1), "end": position(MAIN, "Dnoe", 0, 1)},
               "context": {"diagnostics": j101}}),
    );
    insta::assert_json_snapshot!("code_actions", actions["result"]);

    s.notify("textDocument/didClose", json!({"textDocument": doc(&main)}));
    let cleared = s.diagnostics_of(main_p);
    assert_eq!(cleared["diagnostics"], json!([]));

    let shutdown = s.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
    s.notify("exit", Value::Null);
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

const NOTEBOOK: &str = r#"# Clinic

Exported from Turn.

```stack
card Welcome,
  then: Tps do
  text("Hi 👋 @contact.name!")
end
```

```stack
card Tips do
  text("Eat well.")
end
```
"#;

#[test]
fn a_turn_notebook_outside_any_project() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    let mut s = Session::start(&dir_path);
    s.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    s.notify("initialized", json!({}));
    // Never written to disk: the editor's text is all there is.
    let uri = s.uri("clinic.md");
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": NOTEBOOK}}),
    );
    let published = s.diagnostics_of("file:///PROJECT/clinic.md");
    let j101: Vec<&Value> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "J101")
        .collect();
    assert_eq!(j101.len(), 1, "{published:#}");
    let start = position(NOTEBOOK, "Tps", 0, 0);
    assert_eq!(j101[0]["range"]["start"], start);
    let definition = s.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position(NOTEBOOK, "Welcome", 0, 1)}),
    );
    assert_eq!(
        definition["result"]["range"]["start"],
        position(NOTEBOOK, "Welcome", 0, 0)
    );
    let shutdown = s.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    s.notify("exit", Value::Null);
    assert!(s.child.wait().unwrap().success());
}
