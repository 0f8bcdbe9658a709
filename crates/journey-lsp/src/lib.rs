//! `journey lsp`: a language server over stdio, a front end like the CLI. It reads the
//! files, keeps one analysis host per project (the nearest `journey.toml` above a file,
//! or the file alone), and turns each request into a host query: it computes nothing of
//! its own but positions, URIs and the protocol's shapes.
//!
//! Messages are framed by our own reader (not `Connection::stdio`): a malformed message
//! is answered with a parse error and the session goes on.

mod convert;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use journey_analysis::{AnalysisHost, CompletionKind, FileKind, SymbolKind};
use journey_diagnostics::Severity;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOrCommand, CodeActionProviderCapability, CodeDescription,
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionResponse,
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentSymbol, DocumentSymbolResponse,
    GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, InitializeResult,
    Location, MarkupContent, MarkupKind, NumberOrString, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
    WorkspaceEdit,
};

pub use convert::{LineIndex, path_of, uri_of};

use journey_files::CONFIG_FILE;

/// Serves one client on stdin/stdout until it says `exit` or closes stdin.
pub fn run() -> Result<(), String> {
    let (server, client) = Connection::memory();
    let to_server = client.sender;
    // Not joined: it may be blocked reading stdin when the session ends.
    std::thread::spawn(move || {
        read_messages(&mut std::io::stdin().lock(), |m| to_server.send(m).is_ok())
    });
    let from_server = client.receiver;
    let writer = std::thread::spawn(move || {
        for message in from_server {
            let mut stdout = std::io::stdout().lock();
            if message.write(&mut stdout).is_err() {
                break;
            }
        }
    });
    let result = Server::default().serve(&server);
    drop(server);
    let _ = writer.join();
    result
}

/// Reads framed messages until end of input or `exit`, giving each to `send` (false:
/// nobody listens). A message that is not JSON-RPC is answered with a parse error (id
/// null) and skipped.
fn read_messages(input: &mut impl BufRead, send: impl Fn(Message) -> bool) {
    loop {
        let body = match read_frame(input) {
            Ok(Some(body)) => body,
            Ok(None) => return,
            Err(error) => {
                parse_error(&error);
                continue;
            }
        };
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit =
                    matches!(&message, Message::Notification(n) if n.method == note::Exit::METHOD);
                if !send(message) || exit {
                    return;
                }
            }
            Err(error) => parse_error(&format!("not a JSON-RPC message: {error}")),
        }
    }
}

/// One message's body: headers up to an empty line, then `Content-Length` bytes.
/// `Err` for a frame without a length (its headers are skipped); `None` at the end.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut length = None;
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) if line.is_empty() => return Ok(None),
            Ok(_) | Err(_) => {}
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let Some(length) = length else {
        return Err("a message without a valid Content-Length header".to_owned());
    };
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => Ok(Some(body)),
        Err(_) => Ok(None),
    }
}

/// JSON-RPC's answer to a message it cannot read (lsp-server's ids cannot be null).
fn parse_error(message: &str) {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": ErrorCode::ParseError as i32, "message": message},
    })
    .to_string();
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = stdout.flush();
}

/// The files of one project, in one host.
struct Project {
    /// The directory of its `journey.toml`; `None` for a file outside any project.
    root: Option<PathBuf>,
    host: AnalysisHost,
}

#[derive(Default)]
struct Server {
    /// By their root directory, or a lone file's path.
    projects: BTreeMap<PathBuf, Project>,
    /// Open documents and the key of their project.
    open: BTreeMap<PathBuf, PathBuf>,
    shutting_down: bool,
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_owned(), "\"".to_owned(), "@".to_owned()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

impl Server {
    fn serve(&mut self, connection: &Connection) -> Result<(), String> {
        let result = InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "journey".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        };
        let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
        let (id, _) = connection
            .initialize_start()
            .map_err(|e| format!("the client did not initialize: {e}"))?;
        connection
            .initialize_finish(id, result)
            .map_err(|e| format!("the client did not initialize: {e}"))?;
        for message in &connection.receiver {
            let out: Vec<Message> = match message {
                Message::Request(request) => vec![self.request(request).into()],
                Message::Notification(n) if n.method == note::Exit::METHOD => return Ok(()),
                Message::Notification(notification) => self.notification(notification),
                Message::Response(_) => Vec::new(),
            };
            for message in out {
                if connection.sender.send(message).is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        if request.method == req::Shutdown::METHOD {
            self.shutting_down = true;
            return Response::new_ok(id, ());
        }
        if self.shutting_down {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_owned(),
            );
        }
        // A bug in a query answers that request with an error; the session goes on.
        let this = &*self;
        std::panic::catch_unwind(AssertUnwindSafe(|| this.answer(request))).unwrap_or_else(|_| {
            Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                "the query failed inside journey (a bug: please report it)".to_owned(),
            )
        })
    }

    fn answer(&self, request: Request) -> Response {
        match request.method.as_str() {
            req::Completion::METHOD => handle::<req::Completion>(request, |p| {
                let at = &p.text_document_position;
                Ok(self.completion(&at.text_document.uri, at.position))
            }),
            req::HoverRequest::METHOD => handle::<req::HoverRequest>(request, |p| {
                let at = &p.text_document_position_params;
                Ok(self.hover(&at.text_document.uri, at.position))
            }),
            req::GotoDefinition::METHOD => handle::<req::GotoDefinition>(request, |p| {
                let at = &p.text_document_position_params;
                Ok(self.definition(&at.text_document.uri, at.position))
            }),
            req::References::METHOD => handle::<req::References>(request, |p| {
                let at = &p.text_document_position;
                Ok(self.references(
                    &at.text_document.uri,
                    at.position,
                    p.context.include_declaration,
                ))
            }),
            req::Rename::METHOD => handle::<req::Rename>(request, |p| {
                let at = &p.text_document_position;
                self.rename(&at.text_document.uri, at.position, &p.new_name)
                    .map(Some)
            }),
            req::DocumentSymbolRequest::METHOD => {
                handle::<req::DocumentSymbolRequest>(request, |p| {
                    Ok(self.document_symbols(&p.text_document.uri))
                })
            }
            req::Formatting::METHOD => {
                handle::<req::Formatting>(request, |p| Ok(self.formatting(&p.text_document.uri)))
            }
            req::CodeActionRequest::METHOD => handle::<req::CodeActionRequest>(request, |p| {
                Ok(self.code_actions(&p.text_document.uri, p.range.start, &p.context.diagnostics))
            }),
            method => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("journey lsp does not answer `{method}`"),
            ),
        }
    }

    fn notification(&mut self, notification: Notification) -> Vec<Message> {
        let changed = match notification.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) = notification.extract::<lsp_types::DidOpenTextDocumentParams>(
                    note::DidOpenTextDocument::METHOD,
                ) else {
                    return Vec::new();
                };
                self.open(&p.text_document.uri, p.text_document.text)
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) = notification.extract::<lsp_types::DidChangeTextDocumentParams>(
                    note::DidChangeTextDocument::METHOD,
                ) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                match p.content_changes.into_iter().last() {
                    Some(change) => self.change(&p.text_document.uri, change.text),
                    None => None,
                }
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) = notification.extract::<lsp_types::DidCloseTextDocumentParams>(
                    note::DidCloseTextDocument::METHOD,
                ) else {
                    return Vec::new();
                };
                return self.close(&p.text_document.uri);
            }
            // Saves, configuration, cancellations: nothing to do.
            _ => None,
        };
        changed.map_or_else(Vec::new, |key| self.publish(&key))
    }

    /// Opens a document in its project (read from disk the first time), giving the
    /// project's key.
    fn open(&mut self, uri: &Uri, text: String) -> Option<PathBuf> {
        let path = path_of(uri)?;
        let root = path
            .parent()
            .and_then(|dir| dir.ancestors().find(|d| d.join(CONFIG_FILE).is_file()))
            .map(Path::to_path_buf);
        let key = root.clone().unwrap_or_else(|| path.clone());
        let project = self
            .projects
            .entry(key.clone())
            .or_insert_with(|| load(root));
        project.host.set_file_text(&host_path(&path), text);
        self.open.insert(path, key.clone());
        Some(key)
    }

    fn change(&mut self, uri: &Uri, text: String) -> Option<PathBuf> {
        let path = path_of(uri)?;
        let key = self.open.get(&path)?.clone();
        let project = self.projects.get_mut(&key)?;
        project.host.set_file_text(&host_path(&path), text);
        Some(key)
    }

    /// Closes a document: its project goes back to the file on disk (a lone file is
    /// forgotten) and its diagnostics are cleared.
    fn close(&mut self, uri: &Uri) -> Vec<Message> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let Some(key) = self.open.remove(&path) else {
            return Vec::new();
        };
        let clear = diagnostics_message(uri.clone(), Vec::new());
        let Some(project) = self.projects.get_mut(&key) else {
            return vec![clear];
        };
        if project.root.is_none() {
            self.projects.remove(&key);
            return vec![clear];
        }
        let name = host_path(&path);
        match std::fs::read_to_string(&path) {
            Ok(text) => project.host.set_file_text(&name, text),
            Err(_) => {
                project.host.remove_file(&name);
            }
        }
        let mut out = vec![clear];
        out.extend(self.publish(&key));
        out
    }

    /// The diagnostics of every open document of a project (an edit in one file can
    /// change another's: names are project-wide).
    fn publish(&self, key: &Path) -> Vec<Message> {
        let Some(project) = self.projects.get(key) else {
            return Vec::new();
        };
        let analysis = project.host.analysis();
        self.open
            .iter()
            .filter(|(_, k)| k.as_path() == key)
            .filter_map(|(path, _)| {
                let name = host_path(path);
                let file = analysis.file_id(&name)?;
                let index = LineIndex::new(analysis.file_text(&name)?);
                let diagnostics = analysis
                    .diagnostics()
                    .iter()
                    .filter(|d| d.file() == file)
                    .map(|d| diagnostic(&project.host, &index, d))
                    .collect();
                Some(diagnostics_message(uri_of(path), diagnostics))
            })
            .collect()
    }

    /// The project of an open document, its name in the host, and the byte offset of
    /// `position`.
    fn at(
        &self,
        uri: &Uri,
        position: lsp_types::Position,
    ) -> Option<(&AnalysisHost, String, usize)> {
        let (host, name) = self.document(uri)?;
        let offset = LineIndex::new(host.analysis().file_text(&name)?).offset(position);
        Some((host, name, offset))
    }

    fn document(&self, uri: &Uri) -> Option<(&AnalysisHost, String)> {
        let path = path_of(uri)?;
        let project = self.projects.get(self.open.get(&path)?)?;
        Some((&project.host, host_path(&path)))
    }

    fn completion(&self, uri: &Uri, position: lsp_types::Position) -> Option<CompletionResponse> {
        let (host, name, offset) = self.at(uri, position)?;
        let analysis = host.analysis();
        let text = analysis.file_text(&name)?;
        let index = LineIndex::new(text);
        // The word being typed is replaced, as the host's completions expect.
        let start = text[..offset]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(offset, |(i, _)| i);
        let range = lsp_types::Range::new(index.position(start), index.position(offset));
        let items = analysis
            .completions(&name, offset)
            .into_iter()
            .map(|c| CompletionItem {
                kind: Some(match c.kind {
                    CompletionKind::Card => CompletionItemKind::CLASS,
                    CompletionKind::Journey => CompletionItemKind::MODULE,
                    CompletionKind::Field => CompletionItemKind::FIELD,
                    CompletionKind::Template => CompletionItemKind::CONSTANT,
                    CompletionKind::Language => CompletionItemKind::ENUM_MEMBER,
                    CompletionKind::Argument => CompletionItemKind::PROPERTY,
                    CompletionKind::Variable => CompletionItemKind::VARIABLE,
                    CompletionKind::Function => CompletionItemKind::FUNCTION,
                }),
                detail: c.detail,
                text_edit: Some(lsp_types::CompletionTextEdit::Edit(
                    lsp_types::TextEdit::new(range, c.insert),
                )),
                label: c.label,
                ..Default::default()
            })
            .collect();
        Some(CompletionResponse::Array(items))
    }

    /// What the symbol is, its one-line detail, and the rule of any finding here.
    fn hover(&self, uri: &Uri, position: lsp_types::Position) -> Option<Hover> {
        let (host, name, offset) = self.at(uri, position)?;
        let analysis = host.analysis();
        let index = LineIndex::new(analysis.file_text(&name)?);
        let mut parts = Vec::new();
        let symbol = analysis.symbol_at(&name, offset);
        if let Some(symbol) = &symbol {
            let kind = match symbol.kind {
                SymbolKind::Card => "card",
                SymbolKind::Journey => "journey",
                SymbolKind::Function => "function",
                SymbolKind::Field => "contact field",
                SymbolKind::Variable => "variable",
                SymbolKind::Template => "template",
            };
            let mut part = format!("{kind} `{}`", symbol.name);
            if let Some(detail) = &symbol.detail {
                part.push_str(&format!("\n\n{detail}"));
            }
            parts.push(part);
        }
        let file = analysis.file_id(&name)?;
        for d in analysis.diagnostics().iter().filter(|d| {
            d.file() == file && (d.span().start as usize..=d.span().end as usize).contains(&offset)
        }) {
            if let Some(rule) = journey_check::rule(d.code) {
                parts.push(format!("{} `{}`: {}", rule.code, rule.name, rule.summary));
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range: symbol.map(|s| index.range(s.span)),
        })
    }

    fn definition(
        &self,
        uri: &Uri,
        position: lsp_types::Position,
    ) -> Option<GotoDefinitionResponse> {
        let (host, name, offset) = self.at(uri, position)?;
        let target = host.analysis().symbol_at(&name, offset)?.definition?;
        Some(GotoDefinitionResponse::Scalar(location(host, &target)?))
    }

    fn references(
        &self,
        uri: &Uri,
        position: lsp_types::Position,
        include_declaration: bool,
    ) -> Option<Vec<Location>> {
        let (host, name, offset) = self.at(uri, position)?;
        let analysis = host.analysis();
        let definition = analysis.symbol_at(&name, offset).and_then(|s| s.definition);
        Some(
            analysis
                .references(&name, offset)
                .iter()
                .filter(|l| include_declaration || Some(*l) != definition.as_ref())
                .filter_map(|l| location(host, l))
                .collect(),
        )
    }

    fn rename(
        &self,
        uri: &Uri,
        position: lsp_types::Position,
        new_name: &str,
    ) -> Result<WorkspaceEdit, String> {
        let (host, name, offset) = self
            .at(uri, position)
            .ok_or("this document is not open in journey lsp")?;
        let edits = host.analysis().rename(&name, offset, new_name)?;
        Ok(workspace_edit(host, edits))
    }

    /// `journey fmt`'s layout as one edit of the whole text; nothing for a file already
    /// formatted, and `null` for one with syntax errors or a notebook (left as it is).
    fn formatting(&self, uri: &Uri) -> Option<Vec<lsp_types::TextEdit>> {
        let (host, name) = self.document(uri)?;
        if !name.ends_with(".journey") {
            return None;
        }
        let text = host.analysis().file_text(&name)?;
        let formatted = journey_syntax::format_journey(text).ok()?;
        if formatted == text {
            return Some(Vec::new());
        }
        let whole = journey_diagnostics::Span {
            start: 0,
            end: u32::try_from(text.len()).ok()?,
        };
        Some(vec![lsp_types::TextEdit::new(
            LineIndex::new(text).range(whole),
            formatted,
        )])
    }

    /// Each journey of the file with its cards; the cards of a file's implicit journey
    /// at the top.
    fn document_symbols(&self, uri: &Uri) -> Option<DocumentSymbolResponse> {
        let (host, name) = self.document(uri)?;
        let analysis = host.analysis();
        let file = analysis.file_id(&name)?;
        let index = LineIndex::new(analysis.file_text(&name)?);
        let (_, _, parsed) = analysis
            .journey_files()
            .into_iter()
            .find(|(id, _, _)| *id == file)?;
        let symbol = |name: &str, kind, span, selection, children| {
            #[allow(deprecated)]
            DocumentSymbol {
                name: name.to_owned(),
                detail: None,
                kind,
                tags: None,
                deprecated: None,
                range: index.range(span),
                selection_range: index.range(selection),
                children,
            }
        };
        let mut symbols = Vec::new();
        for journey in &parsed.module.journeys {
            let cards: Vec<DocumentSymbol> = journey
                .cards()
                .map(|card| {
                    symbol(
                        &card.name.name,
                        lsp_types::SymbolKind::CLASS,
                        card.span,
                        card.name.span,
                        None,
                    )
                })
                .collect();
            match &journey.name {
                Some(ident) => symbols.push(symbol(
                    &ident.name,
                    lsp_types::SymbolKind::MODULE,
                    journey.span,
                    ident.span,
                    Some(cards),
                )),
                None => symbols.extend(cards),
            }
        }
        Some(DocumentSymbolResponse::Nested(symbols))
    }

    /// The host's fixes at `position`, as quick fixes of the client's diagnostics with
    /// the same code.
    fn code_actions(
        &self,
        uri: &Uri,
        position: lsp_types::Position,
        diagnostics: &[lsp_types::Diagnostic],
    ) -> Option<Vec<CodeActionOrCommand>> {
        let (host, name, offset) = self.at(uri, position)?;
        let actions = host.analysis().code_actions(&name, offset);
        Some(
            actions
                .into_iter()
                .map(|action| {
                    let code = NumberOrString::String(action.code.to_owned());
                    let fixed: Vec<_> = diagnostics
                        .iter()
                        .filter(|d| d.code.as_ref() == Some(&code))
                        .cloned()
                        .collect();
                    CodeActionOrCommand::CodeAction(lsp_types::CodeAction {
                        title: action.title,
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: (!fixed.is_empty()).then_some(fixed),
                        edit: Some(workspace_edit(host, action.edits)),
                        ..Default::default()
                    })
                })
                .collect(),
        )
    }
}

/// Answers a request with `f` of its parameters: invalid parameters are the client's
/// error, `Err` a failure to say to the user.
fn handle<R: lsp_types::request::Request>(
    request: Request,
    f: impl FnOnce(R::Params) -> Result<R::Result, String>,
) -> Response {
    match serde_json::from_value::<R::Params>(request.params) {
        Err(error) => Response::new_err(
            request.id,
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters for `{}`: {error}", R::METHOD),
        ),
        Ok(params) => match f(params) {
            Ok(result) => Response::new_ok(request.id, result),
            Err(message) => Response::new_err(request.id, ErrorCode::RequestFailed as i32, message),
        },
    }
}

/// A project's host with its files read from disk: `journey.toml`, `functions/*.rhai`,
/// and every journey and notebook under the root but in nested projects (the open
/// document replaces its own).
/// Unreadable files are left out; the editor still works on what could be read.
fn load(root: Option<PathBuf>) -> Project {
    let mut host = AnalysisHost::new();
    if let Some(root) = &root {
        // A directory with its own `journey.toml` is another project.
        let walker = journey_files::walk(root, journey_files::Nested::Skip);
        for entry in walker.filter_map(Result::ok) {
            let path = entry.path();
            let name = host_path(path);
            let wanted = match FileKind::of(&name) {
                FileKind::Config => entry.depth() == 1,
                FileKind::Helpers => path.parent() == Some(&root.join("functions")),
                FileKind::Journey | FileKind::Notebook => true,
                FileKind::Test | FileKind::Other => false,
            };
            if wanted
                && entry.file_type().is_file()
                && let Ok(text) = std::fs::read_to_string(path)
            {
                host.set_file_text(&name, text);
            }
        }
    }
    Project { root, host }
}

/// A file's name in its host: its absolute path.
fn host_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn location(host: &AnalysisHost, target: &journey_analysis::Location) -> Option<Location> {
    let text = host.analysis().file_text(&target.path)?;
    Some(Location::new(
        uri_of(Path::new(&target.path)),
        LineIndex::new(text).range(target.span),
    ))
}

// lsp-types keys edits by `Uri`, whose parsed form clippy takes for interior mutability.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(host: &AnalysisHost, edits: Vec<journey_analysis::TextEdit>) -> WorkspaceEdit {
    let analysis = host.analysis();
    let mut changes: HashMap<Uri, Vec<lsp_types::TextEdit>> = HashMap::new();
    for edit in edits {
        let Some(text) = analysis.file_text(&edit.path) else {
            continue;
        };
        changes
            .entry(uri_of(Path::new(&edit.path)))
            .or_default()
            .push(lsp_types::TextEdit::new(
                LineIndex::new(text).range(edit.span),
                edit.new_text,
            ));
    }
    WorkspaceEdit::new(changes)
}

fn diagnostics_message(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Message {
    Notification::new(
        note::PublishDiagnostics::METHOD.to_owned(),
        PublishDiagnosticsParams::new(uri, diagnostics, None),
    )
    .into()
}

/// A finding as the protocol shows it: the message with its help and notes, a link to
/// the rule's page, the other labels as related places.
fn diagnostic(
    host: &AnalysisHost,
    index: &LineIndex<'_>,
    d: &journey_diagnostics::Diagnostic,
) -> lsp_types::Diagnostic {
    let sources = host.analysis().sources();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|label| {
            let file = sources.get(label.file);
            DiagnosticRelatedInformation {
                location: Location::new(
                    uri_of(Path::new(&file.name)),
                    LineIndex::new(&file.text).range(label.span),
                ),
                message: label.message.clone(),
            }
        })
        .collect();
    lsp_types::Diagnostic {
        range: index.range(d.span()),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_owned())),
        // Relative to the journey repository, as SARIF's helpUri.
        code_description: journey_check::rule(d.code)
            .and_then(|rule| Uri::from_str(&format!("docs/rules/{}.md", rule.code)).ok())
            .map(|href| CodeDescription { href }),
        source: Some("journey".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_frames_are_skipped() {
        let good = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!(
            "garbage\r\n\r\nContent-Length: 5\r\n\r\n{{nopeContent-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let received = std::cell::RefCell::new(Vec::new());
        read_messages(&mut input.as_bytes(), |m| {
            received.borrow_mut().push(m);
            true
        });
        let received = received.into_inner();
        assert_eq!(received.len(), 1);
        assert!(matches!(&received[0], Message::Notification(n) if n.method == note::Exit::METHOD));
    }
}
