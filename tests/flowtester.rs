//! The help centre's own FlowTester tests (`../shared/corpus/turn-platform-mnch/
//! HelpCentre/QA/tests/*_test.exs`, conversations run against Turn's flow runner),
//! converted at run time into `.test` conversations and played against the notebooks
//! they test. The content they fetch (`content/*.csv`, FakeCMS in Elixir) becomes `http:`
//! fixtures; Turn's own API becomes the fixed answers the tests' helper gives, and a test
//! file's own fake services (handlers with a literal body) their answers. A test the
//! converter cannot express is listed in `tests/flowtester_left_out.txt` with why; a
//! listed test that converts and passes fails this test, so the list stays true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use journey_diagnostics::FileId;
use journey_model::{ProjectIndex, SourceModule};
use journey_project::ProjectConfig;
use journey_runtime::Runtime;
use journey_tests::{repo_root, shared_corpus};

const CMS: &str = "https://content-repo-api-qa.prk-k8s.prd-p6t.org/api/v3/pages";
const TURN: &str = "https://whatsapp-praekelt-cloud.turn.io/v1";
/// The token the tests give the fake CMS (`CRauthTOKEN123` unless a real one is set).
const TOKEN: &str = "CRauthTOKEN123";

#[test]
fn help_centre_flowtester_tests_pass() {
    let Some(mnch) = shared_corpus("turn-platform-mnch") else {
        return;
    };
    let qa = mnch.join("HelpCentre/QA");
    let left_out = left_out();
    let cms = cms_fixtures(&qa.join("content"));
    let mut failures = String::new();
    let mut converted = BTreeSet::new();
    let mut passed = 0;
    let mut skipped = 0;
    let mut tests = std::fs::read_dir(qa.join("tests"))
        .expect("the tests folder")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.to_string_lossy().ends_with("_test.exs"))
        .collect::<Vec<_>>();
    tests.sort();
    for path in tests {
        let file = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let flow = file.trim_end_matches("_test.exs");
        if left_out.contains_key(&format!("{file} | *")) {
            skipped += elixir_tests(&std::fs::read_to_string(&path).expect("readable test")).len();
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable test");
        let header = header(flow, &source, &cms);
        // The file's cases, and one file for each test that sets its own globals.
        let mut files = vec![header.clone()];
        let mut children = BTreeSet::new();
        for test in elixir_tests(&source) {
            let key = format!("{file} | {}", test.name);
            if left_out.contains_key(&key) {
                skipped += 1;
                continue;
            }
            match convert(flow, &source, &test, &mut children) {
                Ok((case, globals)) if globals.is_empty() => {
                    converted.insert(key);
                    files[0].push_str(&case);
                }
                Ok((case, globals)) => {
                    converted.insert(key);
                    files.push(format!("{header}{globals}{case}"));
                }
                Err(why) => failures.push_str(&format!("{key}: cannot convert ({why})\n")),
            }
        }
        for text in &files {
            let report = run(
                &qa.join("flows").join(format!("{flow}.md")),
                flow,
                &children,
                text,
            );
            passed += report.cases.len() - report.failed();
            if !report.errors.is_empty() || report.failed() > 0 {
                failures.push_str(&format!(
                    "{file}:\n{}{}\n--- converted test\n{text}\n",
                    report.errors.join("\n"),
                    report.render()
                ));
            }
        }
    }
    let stale: Vec<&String> = left_out.keys().filter(|k| converted.contains(*k)).collect();
    assert!(
        failures.is_empty() && stale.is_empty(),
        "{failures}\nlisted as left out but converted: {stale:?}"
    );
    println!("{passed} FlowTester tests pass; {skipped} left out");
    assert!(
        passed >= 34,
        "expected the help centre's tests, {passed} ran"
    );
}

/// `tests/flowtester_left_out.txt`: `file | test name` (`*` for a whole file), each
/// followed by a `reason:` line.
fn left_out() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("tests/flowtester_left_out.txt"))
        .expect("tests/flowtester_left_out.txt");
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let mut listed = BTreeMap::new();
    while let Some(line) = lines.next() {
        let reason = lines
            .next()
            .and_then(|l| l.strip_prefix("reason: "))
            .unwrap_or_else(|| panic!("`{line}` needs a `reason:` line"));
        listed.insert(line.to_owned(), reason.to_owned());
    }
    listed
}

/// Compiles the notebook alone (plus an empty journey per child flow the test hands
/// back, as FlowTester's `handle_child_flow` does) and runs the converted test.
fn run(
    notebook: &Path,
    flow: &str,
    children: &BTreeSet<String>,
    test: &str,
) -> journey_testing::FileReport {
    let source = std::fs::read_to_string(notebook).expect("readable notebook");
    let parsed = journey_syntax::parse_notebook(FileId(0), &source);
    let stub = "card Done do\n  log(\"child flow handled by the test\")\nend\n";
    let stub_parsed = journey_syntax::parse_journey(FileId(1), stub);
    let mut modules = vec![SourceModule {
        file: FileId(0),
        default_name: flow.to_owned(),
        module: &parsed.module,
        text: &source,
        has_syntax_errors: false,
    }];
    for (i, child) in children.iter().enumerate() {
        modules.push(SourceModule {
            file: FileId(2 + i as u32),
            default_name: child.clone(),
            module: &stub_parsed.module,
            text: stub,
            has_syntax_errors: false,
        });
    }
    let journeys = journey_model::compile(&modules, ProjectIndex::default());
    let config = ProjectConfig::default();
    journey_testing::run_file(test, flow, &Runtime::new(&journeys, &config))
}

/// The header every case of a file shares: the CMS, Turn's API, the settings.
fn header(flow: &str, source: &str, cms: &[String]) -> String {
    let mut text = format!("# Converted from {flow}_test.exs\n\n");
    for line in cms {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&turn_api(true));
    text.push_str(&format!(
        "global: settings.contentrepo_qa_token = \"{TOKEN}\"\n"
    ));
    text.push_str(&fake_services(source, &[]));
    // The settings `setup_flow` gives, itself or through the functions it pipes through.
    let setup = function(source, "setup_flow").unwrap_or_default();
    let mut dicts = calls(setup, source);
    for (name, _) in calls(setup, source) {
        if let Some(body) = function(source, &name) {
            dicts.extend(calls(body, source));
        }
    }
    for call in dicts
        .into_iter()
        .filter(|(n, _)| n == "FlowTester.set_global_dict")
    {
        text.push_str(&global_lines(&call.1));
    }
    text
}

/// `set_global_dict("settings", %{…})`'s arguments as `global:` lines. Literal values
/// only: the token comes from a variable, and the header sets it.
fn global_lines(args: &str) -> String {
    map_pairs(args)
        .into_iter()
        .filter(|(_, value)| value.starts_with('"'))
        .map(|(key, value)| format!("global: settings.{key} = {value}\n"))
        .collect()
}

/// The helper's fake Turn API: the latest message and its chat (assigned to "Test
/// Operator" unless the test says `@tag chat_assigned_to: nil`), and message labels.
fn turn_api(assigned: bool) -> String {
    let assigned_to = if assigned {
        serde_json::json!({"id": "some-uuid", "name": "Test Operator", "type": "OPERATOR"})
    } else {
        serde_json::Value::Null
    };
    let body = serde_json::json!({
        "messages": [{"id": "someid"}],
        "chat": {"owner": "+27821234567", "state": "OPEN", "uuid": "some-uuid",
                 "assigned_to": assigned_to, "contact_uuid": "some-uuid"}
    });
    format!(
        "http: GET {TURN}/contacts/*/messages -> 200 {body}\nhttp: POST {TURN}/messages/someid/labels -> 200\n"
    )
}

struct ElixirTest {
    name: String,
    tags: Vec<String>,
    body: String,
}

/// The `test "name", … do … end` blocks, with the `@tag` lines above each.
fn elixir_tests(source: &str) -> Vec<ElixirTest> {
    let mut tests = Vec::new();
    let mut tags = Vec::new();
    let lines: Vec<&str> = source.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if let Some(tag) = line.strip_prefix("@tag ") {
            tags.push(tag.to_owned());
        } else if let Some(rest) = line.strip_prefix("test \"") {
            let indent = lines[i].len() - line.len();
            let name = rest.split('"').next().unwrap_or_default().to_owned();
            let mut body = String::new();
            i += 1;
            while i < lines.len()
                && !(lines[i].starts_with(&" ".repeat(indent))
                    && lines[i][indent..].starts_with("end"))
            {
                body.push_str(lines[i]);
                body.push('\n');
                i += 1;
            }
            tests.push(ElixirTest {
                name,
                tags: std::mem::take(&mut tags),
                body,
            });
        }
        i += 1;
    }
    tests
}

/// One test as a `.test` case, with the globals it sets itself (`global:` lines for a
/// file of its own: a `.test` file's globals hold for all its cases).
fn convert(
    flow: &str,
    source: &str,
    test: &ElixirTest,
    children: &mut BTreeSet<String>,
) -> Result<(String, String), String> {
    let mut conversion = Conversion {
        flow,
        source,
        children,
        case: format!("\n## {}\n", test.name),
        unreceived: Vec::new(),
        globals: String::new(),
    };
    for tag in &test.tags {
        match tag.split_once(':') {
            Some(("chat_assigned_to", " nil")) => conversion.case.push_str(&turn_api(false)),
            Some((name, value)) if source_reads_tag(source, name) => {
                let services = fake_services(source, &[(name.trim(), value.trim())]);
                conversion.case.push_str(&services);
            }
            _ => return Err(format!("@tag {tag}")),
        }
    }
    conversion.steps(&test.body)?;
    Ok((conversion.case, conversion.globals))
}

/// A test being converted.
struct Conversion<'a> {
    flow: &'a str,
    source: &'a str,
    /// The child flows the file's tests hand over to.
    children: &'a mut BTreeSet<String>,
    case: String,
    /// Where the case is after each action whose messages no `receive_message` has
    /// taken yet.
    unreceived: Vec<usize>,
    /// `global:` lines from the test's own `set_global_dict`.
    globals: String,
}

impl Conversion<'_> {
    /// The steps of a test body (or of a function of the test file it calls), appended
    /// to the case.
    fn steps(&mut self, body: &str) -> Result<(), String> {
        let source = self.source;
        for (name, args) in calls(body, source) {
            match name.as_str() {
                "FlowTester.set_contact_properties" => {
                    for (key, value) in map_pairs(&args) {
                        self.case.push_str(&format!("contact: {key} = {value}\n"));
                    }
                }
                "FlowTester.set_global_dict" => self.globals.push_str(&global_lines(&args)),
                "FlowTester.start" => {
                    self.case.push_str(&format!("start: {}\n", self.flow));
                    self.unreceived.push(self.case.len());
                }
                "receive_message" => {
                    self.case.push_str(&expected_message(&args)?);
                    self.unreceived.clear();
                }
                "receive_messages" => {
                    let list = args.trim().trim_start_matches('[').trim_end_matches(']');
                    for message in split_top(list) {
                        self.case.push_str(&expected_message(&message)?);
                    }
                    self.unreceived.clear();
                }
                "FlowTester.send" => {
                    let arg = args.trim();
                    let tap = match arg.strip_prefix("button_label:") {
                        Some(label) => format!("> [tap {}]\n", string(label.trim())?.0),
                        None => format!("> {}\n", string(arg)?.0),
                    };
                    self.case.push_str(&tap);
                    self.unreceived.push(self.case.len());
                }
                // FlowTester's messages wait in a queue that `receive_message` takes
                // from; this drops every message not taken yet, after however many
                // actions.
                "FlowStep.clear_messages" => {
                    for at in self.unreceived.drain(..).rev() {
                        self.case.insert_str(at, "< [any messages]\n");
                    }
                }
                "FlowTester.handle_child_flow" => {
                    let first = split_top(&args).into_iter().next().unwrap_or_default();
                    self.children.insert(string(first.trim())?.0);
                }
                "flow_finished" => self.case.push_str("* ended\n"),
                "contact_matches" => {
                    for (key, value) in map_pairs(&args) {
                        self.case.push_str(&format!("? field {key} = {value}\n"));
                    }
                }
                // A function of the test file (`setup_flow_search_myhealth(flow)`,
                // `set_config_helpdesk_closed(flow)`): its steps.
                other => match function(source, other) {
                    Some(inner) => self.steps(inner)?,
                    None => return Err(format!("`{other}`")),
                },
            }
        }
        Ok(())
    }
}

/// `%{text: "…" <> _, buttons: button_labels([…])}` as a `<` line.
fn expected_message(map: &str) -> Result<String, String> {
    let mut text = None;
    let mut buttons = None;
    for field in split_top(map.trim().trim_start_matches("%{").trim_end_matches('}')) {
        let field = field.trim();
        if let Some(value) = field.strip_prefix("text:") {
            text = Some(string(value.trim())?);
        } else if let Some(value) = field.strip_prefix("buttons:") {
            let list = value
                .trim()
                .trim_start_matches("button_labels(")
                .trim_end_matches(')');
            let labels = split_top(list.trim().trim_start_matches('[').trim_end_matches(']'))
                .iter()
                .map(|l| string(l.trim()).map(|(s, _)| s))
                .collect::<Result<Vec<_>, _>>()?;
            buttons = Some(labels);
        } else if !field.is_empty() {
            return Err(format!("message field `{field}`"));
        }
    }
    let (text, prefix) = text.ok_or("a message without `text:`")?;
    // A transcript line has every run of blanks, line breaks included, as one space.
    let text = journey_testing::normalise(&text);
    Ok(match (buttons, prefix) {
        (Some(labels), false) => {
            let options: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| format!(" | {}. {l}", i + 1))
                .collect();
            format!("< [buttons] {text}{}\n", options.concat())
        }
        (_, true) => format!("< [any] {text} ...\n"),
        (None, false) => format!("< [any] {text}\n"),
    })
}

/// An Elixir string expression: `"a" <> "b"`, with `<> _` for "starts with"; the text
/// and whether it is only a prefix.
fn string(expr: &str) -> Result<(String, bool), String> {
    let mut out = String::new();
    let mut prefix = false;
    for part in expr.split("<>").map(str::trim) {
        if part == "_" {
            prefix = true;
            continue;
        }
        let inner = part
            .strip_prefix('"')
            .and_then(|p| p.strip_suffix('"'))
            .ok_or_else(|| format!("not a string: `{part}`"))?;
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => return Err("a string ending in `\\`".to_owned()),
            }
        }
    }
    Ok((out, prefix))
}

/// `"key" => value` pairs of an Elixir map literal (`%{…}`), values as written.
fn map_pairs(args: &str) -> Vec<(String, String)> {
    let start = args.find("%{").map_or(0, |i| i + 2);
    let end = args.rfind('}').unwrap_or(args.len());
    split_top(&args[start..end])
        .into_iter()
        .filter_map(|pair| {
            let (key, value) = pair.split_once("=>")?;
            Some((
                key.trim().trim_matches('"').to_owned(),
                value.trim().to_owned(),
            ))
        })
        .collect()
}

/// Splits on commas outside strings and brackets.
fn split_top(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
        } else {
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(String::new());
                    continue;
                }
                _ => {}
            }
        }
        parts.last_mut().expect("one part").push(c);
    }
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The calls of a test body in order, by name, with their argument text: the pipeline
/// steps `FlowTester.start()`, `receive_message(%{…})` and so on.
fn calls(body: &str, source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => i = skip_string(&chars, i),
            c if c.is_ascii_alphabetic() && (i == 0 || !is_name(chars[i - 1])) => {
                let start = i;
                while i < chars.len() && (is_name(chars[i]) || chars[i] == '.') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                // A call piped into (`|> name(…)`) is a step too.
                let piped = chars[..start]
                    .iter()
                    .rev()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|&c| c == '>');
                let local = source.contains(&format!("defp {name}("));
                if chars.get(i) == Some(&'(') && (piped || local || is_step(&name)) {
                    let open = i;
                    let mut depth = 0;
                    while i < chars.len() {
                        match chars[i] {
                            '"' => {
                                i = skip_string(&chars, i);
                                continue;
                            }
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    found.push((name, chars[open + 1..i.min(chars.len())].iter().collect()));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The calls read as steps wherever they are; any other call piped (`|> name(…)`) is a
/// step too, and one the converter does not know is reported.
fn is_step(name: &str) -> bool {
    name.starts_with("FlowTester.")
        || matches!(
            name,
            "receive_message"
                | "receive_messages"
                | "flow_finished"
                | "contact_matches"
                | "results_match"
                | "Generic.add_handler"
        )
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The index just after the string that starts at `i`.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The CMS pages of the content CSVs, as FakeCMS serves them to the notebooks
/// (`page.body.messages[i].text`, `.buttons`), one `http:` line per page.
fn cms_fixtures(content: &Path) -> Vec<String> {
    let mut pages: BTreeMap<String, Vec<(u32, serde_json::Value)>> = BTreeMap::new();
    for (file, transform) in [("help-centre.csv", true), ("error-messages.csv", false)] {
        let text = std::fs::read_to_string(content.join(file)).expect("readable CSV");
        let rows = csv(&text);
        let column = |name: &str| rows[0].iter().position(|c| c == name);
        let field = |name: &str| column(name).unwrap_or_else(|| panic!("{file}: no `{name}`"));
        let (slug, body, buttons) = (field("slug"), field("whatsapp_body"), field("buttons"));
        // Pages of several messages number them; error-messages.csv has one each.
        let message = column("message");
        for row in &rows[1..] {
            let n = match message {
                Some(i) => row[i].parse::<u32>().unwrap_or(0),
                None => 1,
            };
            if n == 0 || row.len() < rows[0].len() {
                continue;
            }
            let mut text = row[body].clone();
            // The tests' FakeCMS import transforms (help-centre.csv only).
            if transform {
                text = text
                    .trim_end_matches("\r\n")
                    .trim_end_matches('\r')
                    .to_owned();
                text = text
                    .replace("{username}", "{@username}")
                    .replace('\u{200D}', "");
            }
            let buttons: serde_json::Value =
                serde_json::from_str(&row[buttons]).unwrap_or_else(|_| serde_json::json!([]));
            pages
                .entry(row[slug].clone())
                .or_default()
                .push((n, serde_json::json!({"text": text, "buttons": buttons})));
        }
    }
    pages
        .into_iter()
        .map(|(slug, mut messages)| {
            messages.sort_by_key(|(n, _)| *n);
            let messages: Vec<serde_json::Value> = messages.into_iter().map(|(_, m)| m).collect();
            let body = serde_json::json!({"slug": slug, "messages": messages});
            format!("http: GET {CMS}/{slug}/ -> 200 {body}")
        })
        .collect()
}

/// RFC 4180 CSV: quoted fields may hold commas, `""` and line breaks.
fn csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![vec![String::new()]];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let row = rows.last_mut().expect("a row");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                row.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(String::new()),
            ('\n', false) => rows.push(vec![String::new()]),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            _ => row.last_mut().expect("a field").push(c),
        }
    }
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    rows
}

/// The body of `def`/`defp NAME(` (after its header line), up to its `end`.
fn function<'s>(source: &'s str, name: &str) -> Option<&'s str> {
    let start = [format!("defp {name}("), format!("def {name}(")]
        .iter()
        .find_map(|head| source.find(head.as_str()))?;
    // The body ends at the `end` indented as the `def` is (inside a `describe`, more).
    let indent = &source[source[..start].rfind('\n').map_or(0, |i| i + 1)..start];
    let rest = &source[start..];
    let rest = &rest[rest.find('\n')? + 1..];
    let end = rest
        .find(&format!("\n{indent}end\n"))
        .map_or(rest.len(), |at| at + 1);
    Some(&rest[..end])
}

/// Does a fake service read this test tag (`Map.get(ctx, :NAME, …)`)?
fn source_reads_tag(source: &str, name: &str) -> bool {
    source.contains(&format!("Map.get(ctx, :{}", name.trim()))
}

/// The test file's own fake services (`Generic.add_handler(gen_pid, "/path", &f(&1,
/// ctx))` under `WH.set_adapter(step, "https://base/", …)`), each handler's literal
/// `body = %{…}` as JSON; a value read from a test tag takes the tag's value, or the
/// default the handler gives.
fn fake_services(source: &str, tags: &[(&str, &str)]) -> String {
    const ADAPTER: &str = "WH.set_adapter(step, \"";
    let mut lines = String::new();
    let mut searched = 0;
    while let Some(found) = source[searched..].find(ADAPTER) {
        let at = searched + found;
        searched = at + ADAPTER.len();
        let base = source[searched..]
            .split('"')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/');
        let block = &source[source[..at].rfind("defp ").unwrap_or(0)..at];
        for (_, args) in calls(block, source)
            .into_iter()
            .filter(|(n, _)| n == "Generic.add_handler")
        {
            let parts = split_top(&args);
            let (Some(path), Some(handler)) = (parts.get(1), parts.get(2)) else {
                continue;
            };
            let Ok((path, _)) = string(path.trim()) else {
                continue;
            };
            let name = handler
                .trim()
                .trim_start_matches('&')
                .split('(')
                .next()
                .unwrap_or_default();
            let Some(body) = function(source, name).and_then(|f| handler_body(f, tags)) else {
                continue;
            };
            for method in ["GET", "POST"] {
                lines.push_str(&format!("http: {method} {base}{path} -> 200 {body}\n"));
            }
        }
    }
    lines
}

/// A handler's `body = %{…}` as JSON, its variables bound from `Map.get(ctx, :tag,
/// default)`.
fn handler_body(function: &str, tags: &[(&str, &str)]) -> Option<String> {
    let mut vars = BTreeMap::new();
    for line in function.lines() {
        let Some((var, value)) = line.trim().split_once(" = Map.get(ctx, :") else {
            continue;
        };
        let (tag, default) = value.trim_end_matches(')').split_once(',')?;
        let given = tags.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v);
        vars.insert(
            var.trim().to_owned(),
            given.unwrap_or(default.trim()).to_owned(),
        );
    }
    let start = function.find("body = %{")? + "body = ".len();
    let literal = &function[start..];
    let end = literal.find("%Tesla.Env")?;
    elixir_json(literal[..end].trim(), &vars)
}

/// An Elixir literal (maps `%{"k" => v}`, lists, strings, numbers, `true`, `false`,
/// `nil`, bound variables) as JSON text; `None` for anything else.
fn elixir_json(literal: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let chars: Vec<char> = literal.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                let end = skip_string(&chars, i);
                let text: String = chars[i..end].iter().collect();
                out.push_str(&serde_json::to_string(&string(&text).ok()?.0).ok()?);
                i = end;
                continue;
            }
            '%' if chars.get(i + 1) == Some(&'{') => {
                out.push('{');
                i += 1;
            }
            '=' if chars.get(i + 1) == Some(&'>') => {
                out.push(':');
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && is_name(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.as_str() {
                    "true" | "false" => out.push_str(&word),
                    "nil" => out.push_str("null"),
                    var => out.push_str(&elixir_json(vars.get(var)?, vars)?),
                }
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    serde_json::from_str::<serde_json::Value>(&out)
        .ok()
        .map(|v| v.to_string())
}
