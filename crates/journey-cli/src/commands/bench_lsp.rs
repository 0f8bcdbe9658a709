//! `journey bench lsp`: what an editor waits for after a keystroke, end to end. This
//! binary is started as `journey lsp` on a generated project (`--cards` cards in one
//! file, with its `journey.toml`); the file is opened, then one card's message changes
//! again and again (`didChange`, the whole text), and each time the clock runs until
//! the server's `publishDiagnostics` for that file arrives: framing, JSON, the host's
//! incremental analysis and the conversion of every finding.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Io, generate};

#[derive(clap::Args)]
pub struct LspArgs {
    /// Cards in the one journey file.
    #[arg(long, default_value_t = 500)]
    cards: usize,
    /// Timed edits (after ten untimed ones).
    #[arg(long, default_value_t = 200)]
    edits: usize,
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Client {
    fn send(&mut self, message: Value) -> Result<(), String> {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot write to journey lsp: {e}"))
    }

    fn receive(&mut self) -> Result<Value, String> {
        let mut length = None;
        loop {
            let mut line = String::new();
            let read = self
                .stdout
                .read_line(&mut line)
                .map_err(|e| format!("cannot read from journey lsp: {e}"))?;
            if read == 0 {
                return Err("journey lsp ended".to_owned());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.ok_or("journey lsp sent no Content-Length")?];
        self.stdout
            .read_exact(&mut body)
            .map_err(|e| format!("cannot read from journey lsp: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("journey lsp sent bad JSON: {e}"))
    }

    /// Waits for the diagnostics of `uri`, giving how many there are.
    fn diagnostics(&mut self, uri: &str) -> Result<usize, String> {
        loop {
            let message = self.receive()?;
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return Ok(message["params"]["diagnostics"]
                    .as_array()
                    .map_or(0, Vec::len));
            }
        }
    }
}

pub fn lsp(args: LspArgs, io: &mut Io<'_>) -> Result<u8, String> {
    if args.edits == 0 {
        return Err("--edits must be at least 1".to_owned());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
    let path = dir.path().join("journey0.journey");
    let original = generate::journey(args.cards);
    let write = |p: &std::path::Path, text: &str| {
        std::fs::write(p, text).map_err(|e| format!("cannot write `{}`: {e}", p.display()))
    };
    write(&dir.path().join("journey.toml"), "")?;
    write(&path, &original)?;
    let edited = original.replacen("this is step 0.", "this is step 0 today.", 1);
    if edited == original {
        return Err("the generated journey has no card to edit".to_owned());
    }
    let uri = journey_lsp::uri_of(&path).as_str().to_owned();

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut child = Command::new(exe)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start journey lsp: {e}"))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("journey lsp has no pipes".to_owned());
    };
    let mut client = Client {
        child,
        stdin,
        stdout: BufReader::new(stdout),
    };
    client.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": null, "rootUri": null, "capabilities": {}}}))?;
    client.receive()?;
    client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}))?;

    let cold = Instant::now();
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "journey", "version": 0, "text": original}}}),
    )?;
    let findings = client.diagnostics(&uri)?;
    let cold = cold.elapsed();

    let latency = super::bench_edit::time_edits(args.edits, findings, |n| {
        let text = if n % 2 == 0 { &edited } else { &original };
        client.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": n + 1},
            "contentChanges": [{"text": text}]}}),
        )?;
        client.diagnostics(&uri)
    })?;
    client.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))?;
    client.receive()?;
    client.send(json!({"jsonrpc": "2.0", "method": "exit"}))?;
    let _ = client.child.wait();

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    io.print(&format!(
        "cards: {}  bytes: {}  findings: {findings}\n\
         open → first diagnostics (read the project, analyse): {:.1} ms\n\
         keystroke (didChange) → publishDiagnostics ({} edits): p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms\n",
        args.cards,
        original.len(),
        ms(cold),
        args.edits,
        latency.ms(0.5),
        latency.ms(0.95),
        latency.ms(1.0),
    ))?;
    Ok(0)
}
