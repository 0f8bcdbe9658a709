//! FlowTester tests (Elixir conversations run against Turn's flow runner), converted at
//! run time into `.test` conversations and played against the notebooks they test.
//!
//! A QA folder is laid out as platform-mnch's are: `flows/*.md` notebooks, `content/*.csv`
//! (FakeCMS in Elixir, here `http:` fixtures), `tests/*_test.exs` and the helper module
//! `tests/test_helper.exs` whose functions the tests call as `Helpers.…`. Turn's own API
//! becomes the fixed answers the help centre's helper gives, a test file's own fake
//! services (handlers with a literal body) their answers, and a child flow the test
//! hands back (`handle_child_flow`) a stub journey that sets what the test's callback sets.
//!
//! `help_centre_flowtester_tests_pass` runs `../shared/corpus/turn-platform-mnch/
//! HelpCentre/QA` strictly: a test the converter cannot express is listed in
//! `tests/flowtester_left_out.txt` with why, and a listed test that converts and passes
//! fails, so the list stays true. `other_flowtester_tests` runs the folder named by
//! `JOURNEY_FLOWTESTER_QA` (e.g. platform-mnch's `Onboarding/QA`) and reports per file.

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
    let left_out = left_out();
    let run = run_qa(&mnch.join("HelpCentre/QA"), &left_out);
    let stale: Vec<&String> = left_out
        .keys()
        .filter(|k| run.converted.contains(*k))
        .collect();
    assert!(
        run.failures.is_empty() && run.unconverted.is_empty() && stale.is_empty(),
        "{}{}\nlisted as left out but converted: {stale:?}",
        run.failures,
        run.unconverted
    );
    let passed = run.passed();
    println!(
        "{passed} FlowTester tests pass; {} left out",
        run.left_out()
    );
    assert!(
        passed >= 34,
        "expected the help centre's tests, {passed} ran"
    );
}

/// Another QA folder's FlowTester tests, named by `JOURNEY_FLOWTESTER_QA` (CI has none):
/// prints what converts and what passes, per file, with each failure's transcript.
#[test]
fn other_flowtester_tests() {
    let Some(qa) = std::env::var_os("JOURNEY_FLOWTESTER_QA") else {
        println!(
            "SKIPPED: other_flowtester_tests: set JOURNEY_FLOWTESTER_QA to a QA folder laid \
             out like HelpCentre/QA (e.g. platform-mnch's Onboarding/QA) to run its FlowTester tests"
        );
        return;
    };
    let run = run_qa(Path::new(&qa), &BTreeMap::new());
    if std::env::var_os("JOURNEY_FLOWTESTER_VERBOSE").is_some() {
        println!("{}\n{}", run.unconverted, run.failures);
    }
    println!("{}", run.summary());
    assert!(
        run.passed() + run.failed() > 0,
        "no FlowTester test of {} converted",
        Path::new(&qa).display()
    );
}

/// What running a QA folder's tests gave.
#[derive(Default)]
struct QaRun {
    files: Vec<FileSummary>,
    /// Each failing conversation: the report and the converted test.
    failures: String,
    /// Each test the converter cannot express, with why.
    unconverted: String,
    /// `file | test name` of every test converted.
    converted: BTreeSet<String>,
}

#[derive(Default)]
struct FileSummary {
    file: String,
    passed: usize,
    failed: usize,
    unconverted: usize,
    left_out: usize,
}

impl QaRun {
    fn passed(&self) -> usize {
        self.files.iter().map(|f| f.passed).sum()
    }

    fn failed(&self) -> usize {
        self.files.iter().map(|f| f.failed).sum()
    }

    fn left_out(&self) -> usize {
        self.files.iter().map(|f| f.left_out).sum()
    }

    /// A line per file and the totals.
    fn summary(&self) -> String {
        let mut text = String::from("FlowTester tests: passed / failed / not converted\n");
        for f in &self.files {
            let mark = if f.failed + f.unconverted == 0 {
                "PASS"
            } else {
                "FAIL"
            };
            text.push_str(&format!(
                "  {mark} {:<45} {:>4} {:>4} {:>4}\n",
                f.file, f.passed, f.failed, f.unconverted
            ));
        }
        let all = |field: fn(&FileSummary) -> usize| self.files.iter().map(field).sum::<usize>();
        let clean = self
            .files
            .iter()
            .filter(|f| f.failed + f.unconverted == 0)
            .count();
        text.push_str(&format!(
            "  {clean}/{} files pass; conversations: {} passed, {} failed, {} not converted\n",
            self.files.len(),
            all(|f| f.passed),
            all(|f| f.failed),
            all(|f| f.unconverted)
        ));
        text
    }
}

/// Converts and runs every `tests/*_test.exs` of a QA folder.
fn run_qa(qa: &Path, left_out: &BTreeMap<String, String>) -> QaRun {
    let helper = std::fs::read_to_string(qa.join("tests/test_helper.exs")).unwrap_or_default();
    let mut run = QaRun::default();
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
        let source = std::fs::read_to_string(&path).expect("readable test");
        let mut summary = FileSummary {
            file: file.clone(),
            ..FileSummary::default()
        };
        if left_out.contains_key(&format!("{file} | *")) {
            summary.left_out = elixir_tests(&source).len();
            run.files.push(summary);
            continue;
        }
        let flow = file.trim_end_matches("_test.exs");
        let notebook = qa.join("flows").join(format!("{flow}.md"));
        let notebook_text = std::fs::read_to_string(&notebook).unwrap_or_default();
        let code = Code {
            test: &source,
            helper: &helper,
        };
        let header = header(flow, code, &cms_fixtures(&qa.join("content"), &source));
        // Cases that share their globals and child flows share a file.
        let mut files: BTreeMap<(String, Children), String> = BTreeMap::new();
        for test in elixir_tests(&source) {
            let key = format!("{file} | {}", test.name);
            if left_out.contains_key(&key) {
                summary.left_out += 1;
                continue;
            }
            match convert(flow, code, &notebook_text, &test) {
                Ok(case) => {
                    run.converted.insert(key);
                    files
                        .entry((case.globals, case.children))
                        .or_default()
                        .push_str(&case.text);
                }
                Err(why) => {
                    summary.unconverted += 1;
                    run.unconverted
                        .push_str(&format!("{key}: cannot convert ({why})\n"));
                }
            }
        }
        for ((globals, children), cases) in &files {
            let text = format!("{header}{globals}{cases}");
            let report = run_notebook(&notebook, flow, children, &text);
            let failed = if report.errors.is_empty() {
                report.failed()
            } else {
                report.cases.len().max(1)
            };
            summary.passed += report.cases.len().saturating_sub(failed);
            summary.failed += failed;
            if failed > 0 {
                run.failures.push_str(&format!(
                    "{file}:\n{}{}\n--- converted test\n{text}\n",
                    report.errors.join("\n"),
                    report.render()
                ));
            }
        }
        run.files.push(summary);
    }
    run
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

/// The child flows a test hands back, by the name (UUID) the notebook runs them by,
/// each with the contact fields the test's callback sets.
type Children = BTreeMap<String, Vec<(String, String)>>;

/// Compiles the notebook alone, plus a stub journey per child flow the test hands back
/// (FlowTester's `handle_child_flow`: the child is not run; its callback sets contact
/// fields), and runs the converted test.
fn run_notebook(
    notebook: &Path,
    flow: &str,
    children: &Children,
    test: &str,
) -> journey_testing::FileReport {
    let source = std::fs::read_to_string(notebook).expect("readable notebook");
    let parsed = journey_syntax::parse_notebook(FileId(0), &source);
    let stubs: Vec<(String, String)> = children
        .iter()
        .map(|(name, fields)| (name.clone(), child_stub(fields)))
        .collect();
    let stubs_parsed: Vec<_> = stubs
        .iter()
        .enumerate()
        .map(|(i, (_, text))| journey_syntax::parse_journey(FileId(1 + i as u32), text))
        .collect();
    let mut modules = vec![SourceModule {
        file: FileId(0),
        default_name: flow.to_owned(),
        module: &parsed.module,
        text: &source,
        has_syntax_errors: false,
    }];
    for (i, ((name, text), parsed)) in stubs.iter().zip(&stubs_parsed).enumerate() {
        modules.push(SourceModule {
            file: FileId(1 + i as u32),
            default_name: name.clone(),
            module: &parsed.module,
            text,
            has_syntax_errors: false,
        });
    }
    let journeys = journey_model::compile(&modules, ProjectIndex::default());
    let config = ProjectConfig::default();
    journey_testing::run_file(test, flow, &Runtime::new(&journeys, &config))
}

/// A child flow as the test hands it back: it sets the callback's contact fields.
fn child_stub(fields: &[(String, String)]) -> String {
    let mut text = "card Done do\n  log(\"child flow handled by the test\")\n".to_owned();
    if !fields.is_empty() {
        let args: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        text.push_str(&format!("  update_contact({})\n", args.join(", ")));
    }
    text.push_str("end\n");
    text
}

/// The Elixir a test file can call: its own functions, and the helper module's
/// (`Helpers.name`, or a bare name the test file does not define).
#[derive(Clone, Copy)]
struct Code<'a> {
    test: &'a str,
    helper: &'a str,
}

/// A `def`/`defp`: its parameters (with their defaults) and its body.
struct Function<'s> {
    params: Vec<(String, Option<String>)>,
    body: &'s str,
}

impl<'a> Code<'a> {
    fn function(&self, name: &str) -> Option<Function<'a>> {
        match name.strip_prefix("Helpers.") {
            Some(name) => function(self.helper, name),
            None => function(self.test, name).or_else(|| function(self.helper, name)),
        }
    }
}

/// Variables bound while converting a function's body: its parameters, as Elixir text.
type Vars = BTreeMap<String, String>;

/// An argument as the literal it stands for: a bound variable, `Keyword.get(opts, :key,
/// default)`, or a function that returns a literal (`basic_profile_flow_uuid()`).
fn resolve(expr: &str, vars: &Vars, code: Code) -> String {
    let expr = expr.trim();
    if let Some(value) = vars.get(expr) {
        return value.clone();
    }
    if let Some(args) = expr
        .strip_prefix("Keyword.get(")
        .and_then(|a| a.strip_suffix(')'))
    {
        let args = split_top(args);
        if let [opts, key, default] = &args[..] {
            let key = key.trim().trim_start_matches(':');
            let opts = resolve(opts, vars, code);
            let given = split_top(opts.trim().trim_start_matches('[').trim_end_matches(']'))
                .into_iter()
                .find_map(|pair| {
                    let (k, v) = pair.split_once(':')?;
                    (k.trim() == key).then(|| v.trim().to_owned())
                });
            return given.unwrap_or_else(|| resolve(default, vars, code));
        }
    }
    if let Some(name) = expr.strip_suffix("()")
        && name.chars().all(|c| is_name(c) || c == '.')
        && let Some(f) = code.function(name)
        && f.params.is_empty()
    {
        return f.body.trim().to_owned();
    }
    expr.to_owned()
}

/// The header every case of a file shares: the CMS, Turn's API, the settings.
fn header(flow: &str, code: Code, cms: &[String]) -> String {
    let mut text = format!("# Converted from {flow}_test.exs\n\n");
    for line in cms {
        text.push_str(line);
        text.push('\n');
    }
    let setup = code
        .function("setup_flow")
        .map(|f| f.body)
        .unwrap_or_default();
    if setup.contains("setup_fake_turn") {
        text.push_str(&turn_api(true));
    }
    text.push_str(&fake_services(code.test, &[]));
    // The settings `setup_flow` gives, itself or through the functions it pipes through;
    // the CMS token is the test's default.
    let vars = Vars::from([("auth_token".to_owned(), format!("\"{TOKEN}\""))]);
    let mut dicts = calls(setup, code);
    for (name, _) in calls(setup, code) {
        if let Some(f) = function(code.test, &name) {
            dicts.extend(calls(f.body, code));
        }
    }
    for call in dicts
        .into_iter()
        .filter(|(n, _)| n == "FlowTester.set_global_dict")
    {
        text.push_str(&global_lines(&call.1, &vars, code));
    }
    text
}

/// `set_global_dict("settings", %{…})`'s arguments as `global:` lines. Literal values
/// only.
fn global_lines(args: &str, vars: &Vars, code: Code) -> String {
    let dict = split_top(args)
        .first()
        .and_then(|d| string(d.trim()).ok())
        .map(|(d, _)| d)
        .unwrap_or_default();
    map_pairs(args)
        .into_iter()
        .map(|(key, value)| (key, resolve(&value, vars, code)))
        .filter(|(_, value)| value.starts_with('"'))
        .map(|(key, value)| format!("global: {dict}.{key} = {value}\n"))
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

/// One test as a `.test` case, with the globals it sets itself and the child flows it
/// hands back (the file's cases are grouped by both: a `.test` file's globals and
/// journeys hold for all its cases).
struct Converted {
    text: String,
    globals: String,
    children: Children,
}

fn convert(flow: &str, code: Code, notebook: &str, test: &ElixirTest) -> Result<Converted, String> {
    let mut conversion = Conversion {
        flow,
        code,
        notebook,
        case: format!("\n## {}\n", test.name),
        unreceived: Vec::new(),
        globals: String::new(),
        children: Children::new(),
    };
    for tag in &test.tags {
        match tag.split_once(':') {
            // `@tag :name` only selects tests to run.
            Some(("", _)) => {}
            Some(("chat_assigned_to", " nil")) => conversion.case.push_str(&turn_api(false)),
            Some((name, value)) if source_reads_tag(code.test, name) => {
                let services = fake_services(code.test, &[(name.trim(), value.trim())]);
                conversion.case.push_str(&services);
            }
            _ => return Err(format!("@tag {tag}")),
        }
    }
    conversion.steps(&test.body, &Vars::new())?;
    // FlowTester leaves the messages no `receive_message` took unchecked.
    conversion.clear_messages();
    Ok(Converted {
        text: conversion.case,
        globals: conversion.globals,
        children: conversion.children,
    })
}

/// A test being converted.
struct Conversion<'a> {
    flow: &'a str,
    code: Code<'a>,
    /// The notebook's text, for the dictionary values a test restates.
    notebook: &'a str,
    case: String,
    /// Where the case is after each action whose messages no `receive_message` has
    /// taken yet.
    unreceived: Vec<usize>,
    /// `global:` lines from the test's own `set_global_dict`.
    globals: String,
    children: Children,
}

impl Conversion<'_> {
    /// The steps of a test body (or of a function of the test file or helper it calls,
    /// its parameters bound in `vars`), appended to the case.
    fn steps(&mut self, body: &str, vars: &Vars) -> Result<(), String> {
        let code = self.code;
        let value = |v: &str| resolve(v, vars, code);
        for (name, args) in calls(body, code) {
            match name.as_str() {
                "FlowTester.set_contact_properties" => {
                    for (key, v) in map_pairs(&args) {
                        self.case
                            .push_str(&format!("contact: {key} = {}\n", contact_value(&value(&v))));
                    }
                }
                "FlowTester.set_global_dict" => {
                    self.globals.push_str(&global_lines(&args, vars, code))
                }
                // The notebook's own dictionary, restated: nothing to do.
                "FlowTester.set_local_params" => {
                    for (key, v) in map_pairs(&args) {
                        let (v, _) = string(&value(&v))?;
                        if !has_dictionary_row(self.notebook, &key, &v) {
                            return Err(format!("set_local_params {key} = {v}"));
                        }
                    }
                }
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
                        Some(label) => format!("> [tap {}]\n", string(&value(label))?.0),
                        None => sent_text(&string(&value(arg))?.0),
                    };
                    self.case.push_str(&tap);
                    self.unreceived.push(self.case.len());
                }
                // FlowTester's messages wait in a queue that `receive_message` takes
                // from; this drops every message not taken yet, after however many
                // actions.
                "FlowStep.clear_messages" => self.clear_messages(),
                // `? result` reads the last value written, whatever came before.
                "FlowStep.clear_results" => {}
                "FlowTester.handle_child_flow" => self.child_flow(&args, vars)?,
                "flow_finished" => self.case.push_str("* ended\n"),
                "contact_matches" => {
                    for (key, v) in map_pairs(&args) {
                        let v = value(&v);
                        // journey's `opted_in` is a boolean field (docs/import.md).
                        let v = match (key.as_str(), v.as_str()) {
                            ("opted_in", "\"true\"" | "\"false\"") => {
                                v.trim_matches('"').to_owned()
                            }
                            _ => v,
                        };
                        self.case.push_str(&format!("? field {key} = {v}\n"));
                    }
                }
                "results_match" | "result_matches" => {
                    let list = args.trim().trim_start_matches('[').trim_end_matches(']');
                    for result in split_top(list) {
                        self.case.push_str(&expected_result(&result)?);
                    }
                }
                // A function of the test file or helper (`setup_flow_search_myhealth(flow)`,
                // `Helpers.init_contact_fields()`): its steps.
                other => match code.function(other) {
                    Some(f) => {
                        let bound = bind(&f, &args, vars, code);
                        self.steps(f.body, &bound)?
                    }
                    None => return Err(format!("`{other}`")),
                },
            }
        }
        Ok(())
    }

    fn clear_messages(&mut self) {
        for at in self.unreceived.drain(..).rev() {
            self.case.insert_str(at, "< [any messages]\n");
        }
    }

    /// `handle_child_flow(uuid)` or `handle_child_flow(step, uuid(), fn step -> … end)`:
    /// the child, and the contact fields its callback sets.
    fn child_flow(&mut self, args: &str, vars: &Vars) -> Result<(), String> {
        let args = split_top(args);
        let name = args
            .iter()
            .find_map(|a| string(&resolve(a, vars, self.code)).ok())
            .ok_or("a child flow without its UUID")?
            .0;
        let mut fields = Vec::new();
        for callback in args.iter().filter(|a| a.trim().starts_with("fn ")) {
            for (call, call_args) in calls(callback, self.code) {
                if call != "FlowTester.set_contact_properties" {
                    return Err(format!("child flow callback `{call}`"));
                }
                for (key, v) in map_pairs(&call_args) {
                    fields.push((key, resolve(&v, vars, self.code)));
                }
            }
        }
        self.children.insert(name, fields);
        Ok(())
    }
}

/// A typed message, or the tap FlowTester's `send("@list_items[2]")` stands for: the
/// id its `button_labels`/`list_items` macros give the third option (Turn's option ids
/// are their label expressions; journey's are not), so the third option as the test's
/// last expected message showed it.
fn sent_text(text: &str) -> String {
    let index = text
        .strip_prefix('@')
        .and_then(|t| t.strip_suffix(']'))
        .and_then(|t| t.split_once('['))
        .filter(|(var, _)| !var.is_empty() && var.chars().all(is_name))
        .and_then(|(_, i)| i.parse::<usize>().ok());
    match index {
        Some(i) => format!("> [tap {}]\n", i + 1),
        None => format!("> {text}\n"),
    }
}

/// The variables of a call to `f`: its parameters after the step piped into it, bound to
/// the call's arguments or their defaults; `key: value` arguments are one keyword list.
fn bind(f: &Function, args: &str, vars: &Vars, code: Code) -> Vars {
    let mut given: Vec<String> = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    for arg in split_top(args) {
        let arg = arg.trim();
        let keyword = arg
            .split_once(':')
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(is_name));
        if keyword {
            keywords.push(arg.to_owned());
        } else {
            given.push(resolve(arg, vars, code));
        }
    }
    if !keywords.is_empty() {
        given.push(format!("[{}]", keywords.join(", ")));
    }
    // Piped, the step is the first parameter and not among the arguments.
    let skip = if given.len() >= f.params.len() { 0 } else { 1 };
    f.params
        .iter()
        .skip(skip)
        .enumerate()
        .filter_map(|(i, (name, default))| {
            let value = given.get(i).cloned().or_else(|| default.clone())?;
            Some((name.clone(), value))
        })
        .collect()
}

/// A contact property as Turn's contact fields hold it: text. (A boolean `false` in
/// `opted_in` would also close journey's opt-out gate, which FlowTester does not have:
/// docs/import.md.)
fn contact_value(value: &str) -> String {
    match value {
        "true" | "false" => format!("\"{value}\""),
        other => other.to_owned(),
    }
}

/// Does the notebook's dictionary table have this row (`| key | value |`)?
fn has_dictionary_row(notebook: &str, key: &str, value: &str) -> bool {
    notebook.lines().any(|line| {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        cells.len() >= 4 && cells[1] == key && cells[2] == value
    })
}

/// `%{name: "risk", value: "high", label: …}` as a `? result` line (the label is Turn's
/// result category, which journey does not keep).
fn expected_result(map: &str) -> Result<String, String> {
    let mut name = None;
    let mut value = None;
    for field in split_top(map.trim().trim_start_matches("%{").trim_end_matches('}')) {
        let (key, v) = field.split_once(':').ok_or("a result field")?;
        match key.trim() {
            "name" => name = Some(string(v.trim())?.0),
            "value" if v.trim().starts_with('^') => {
                return Err(format!("result value `{}`", v.trim()));
            }
            "value" => value = Some(v.trim().trim_start_matches('+').to_owned()),
            "label" => {}
            other => return Err(format!("result field `{other}`")),
        }
    }
    match (name, value) {
        (Some(name), Some(value)) => Ok(format!("? result {name} = {value}\n")),
        _ => Err("a result without its name and value".to_owned()),
    }
}

/// `%{text: "…" <> _, buttons: button_labels([…]), list: {"Button", [{id, title}…]}}` as
/// a `<` line; `%{}` takes any message.
fn expected_message(map: &str) -> Result<String, String> {
    let mut text = None;
    let mut options = None;
    // `image: nil` is no image; no `image:`, an image or none.
    let mut image: Option<Option<String>> = None;
    for field in split_top(&strip_comments(
        map.trim().trim_start_matches("%{").trim_end_matches('}'),
    )) {
        let field = field.trim();
        if let Some(value) = field.strip_prefix("text:") {
            text = Some(string(value.trim())?);
        } else if let Some(value) = field.strip_prefix("buttons:") {
            options = Some(("[buttons]".to_owned(), option_titles(value)?));
        } else if let Some(value) = field.strip_prefix("image:") {
            image = Some(match value.trim() {
                "nil" => None,
                url => Some(string(url)?.0),
            });
        } else if let Some(value) = field.strip_prefix("list:") {
            let inner = value.trim().trim_start_matches('{').trim_end_matches('}');
            let parts = split_top(inner);
            let [button, rows] = &parts[..] else {
                return Err(format!("list `{value}`"));
            };
            let button = string(button.trim())?.0;
            options = Some((format!("[list: {button}]"), option_titles(rows)?));
        } else if !field.is_empty() {
            return Err(format!("message field `{field}`"));
        }
    }
    let Some((text, prefix)) = text else {
        return match options {
            None => Ok("< [any] ...\n".to_owned()),
            Some(_) => Err("a message with options but no `text:`".to_owned()),
        };
    };
    // FlowTester shows a WhatsApp template as a `[DEBUG]` text about it; the transcript
    // shows the template.
    if text.starts_with("[DEBUG]\r\nTemplate ") {
        return Ok("< [template ...\n".to_owned());
    }
    // A transcript line has every run of blanks, line breaks included, as one space.
    let text = journey_testing::normalise(&text);
    let ends = if prefix { " ..." } else { "" };
    Ok(match (options, image) {
        (Some((tag, labels)), image) if !prefix => {
            let options: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| format!(" | {}. {l}", i + 1))
                .collect();
            // FlowTester checks an image only when the test gives one.
            let header = match image {
                None => "header: ... | ".to_owned(),
                Some(None) => String::new(),
                Some(Some(url)) => format!("header: [image] {url} | "),
            };
            format!("< {tag} {header}{text}{}\n", options.concat())
        }
        // An image with text is one message, the text its caption.
        (None, Some(Some(url))) => format!("< [image] {url} | {text}{ends}\n"),
        _ => format!("< [any] {text}{ends}\n"),
    })
}

/// The titles of a message's options: `button_labels(["a", …])`, `list_items([…])`, or
/// a list of `{id, title}` (what those macros expand to).
fn option_titles(value: &str) -> Result<Vec<String>, String> {
    let value = value.trim();
    let list = ["button_labels(", "list_items("]
        .iter()
        .find_map(|m| value.strip_prefix(m))
        .map_or(value.to_owned(), |args| {
            split_top(args.trim_end_matches(')')).swap_remove(0)
        });
    split_top(list.trim().trim_start_matches('[').trim_end_matches(']'))
        .iter()
        .map(|option| {
            let option = option.trim();
            let title = match option.strip_prefix('{') {
                Some(pair) => split_top(pair.trim_end_matches('}'))
                    .pop()
                    .unwrap_or_default(),
                None => option.to_owned(),
            };
            string(title.trim()).map(|(s, _)| s)
        })
        .collect()
}

/// The text without its `#` comment lines.
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
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
                Some('u') => out.push(unicode_escape(&mut chars)?),
                Some(other) => out.push(other),
                None => return Err("a string ending in `\\`".to_owned()),
            }
        }
    }
    Ok((out, prefix))
}

/// The character of `\u200D` or `\u{1F600}`, after the `\u`.
fn unicode_escape(chars: &mut std::str::Chars) -> Result<char, String> {
    let hex: String = if chars.clone().next() == Some('{') {
        chars.next();
        chars.by_ref().take_while(|&c| c != '}').collect()
    } else {
        chars.by_ref().take(4).collect()
    };
    u32::from_str_radix(&hex, 16)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| format!("not a unicode escape: `\\u{hex}`"))
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
fn calls(body: &str, code: Code) -> Vec<(String, String)> {
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
                if chars.get(i) == Some(&'(')
                    && (piped || is_step(&name) || code.function(&name).is_some())
                {
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
                | "result_matches"
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

/// The CMS pages of the content CSVs a test file imports (`import_content_csv(pid,
/// "name", opts)`), as FakeCMS serves them to the notebooks (`page.body.messages[i]
/// .text`, `.buttons`, `.list_items`), one `http:` line per page, by slug and by id.
fn cms_fixtures(content: &Path, test: &str) -> Vec<String> {
    let transforms = field_transforms(test);
    let images = fake_images(test);
    let mut pages: BTreeMap<String, Vec<(u32, serde_json::Value)>> = BTreeMap::new();
    let mut ids = BTreeMap::new();
    let imports = ["import_content_csv(", "pages_from_content_csv("]
        .iter()
        .flat_map(|call| test.match_indices(call).map(|(at, _)| at + call.len()));
    for at in imports {
        let args = &test[at..];
        let args = split_top(&args[..args.find(')').unwrap_or(args.len())]);
        // The CSV's name, then the options.
        let Some((n, name)) = args
            .iter()
            .enumerate()
            .find_map(|(n, a)| Some((n, string(a.trim()).ok()?.0)))
        else {
            continue;
        };
        // The transforms come with the shared options; a bare import has none.
        let transform = args
            .get(n + 1)
            .is_some_and(|o| o.contains("import_opts") || o.contains("field_transform"));
        let file = format!("{name}.csv");
        let text = std::fs::read_to_string(content.join(&file)).expect("readable CSV");
        let rows = csv(&text);
        let column = |name: &str| rows[0].iter().position(|c| c == name);
        let field = |name: &str| column(name).unwrap_or_else(|| panic!("{file}: no `{name}`"));
        let (slug, body, buttons) = (field("slug"), field("whatsapp_body"), field("buttons"));
        // Pages of several messages number them; some CSVs have one each.
        let message = column("message");
        let (list_items, page_id) = (column("list_items"), column("page_id"));
        for row in &rows[1..] {
            let n = match message {
                Some(i) => row[i].parse::<u32>().unwrap_or(0),
                None => 1,
            };
            if n == 0 || row.len() < rows[0].len() {
                continue;
            }
            let mut text = row[body].clone();
            if transform {
                for t in &transforms {
                    text = t.apply(&text);
                }
            }
            let json_list = |i: usize| {
                serde_json::from_str::<serde_json::Value>(&row[i])
                    .unwrap_or_else(|_| serde_json::json!([]))
            };
            let mut message = serde_json::json!({"text": text, "buttons": json_list(buttons)});
            if let Some(i) = list_items {
                message["list_items"] = json_list(i);
            }
            if let Some(id) = page_id.map(|i| &row[i]).filter(|id| !id.is_empty()) {
                ids.insert(row[slug].clone(), id.clone());
            }
            pages
                .entry(row[slug].clone())
                .or_default()
                .push((n, message));
        }
    }
    let mut lines = Vec::new();
    for (slug, mut messages) in pages {
        messages.sort_by_key(|(n, _)| *n);
        let mut messages: Vec<serde_json::Value> = messages.into_iter().map(|(_, m)| m).collect();
        for (page, index, id) in &images.on_pages {
            if *page == slug
                && let Some(message) = messages.get_mut(*index)
            {
                message["image"] = serde_json::json!(id);
            }
        }
        let body = serde_json::json!({"slug": slug, "messages": messages});
        lines.push(format!("http: GET {CMS}/{slug}/ -> 200 {body}"));
        if let Some(id) = ids.get(&slug) {
            lines.push(format!("http: GET {CMS}/{id}/ -> 200 {body}"));
        }
    }
    // The assessments of `FakeCMS.add_form(pid, %Forms.Form{…})`.
    let mut forms = fake_forms(test);
    // A result page is the page, as the API links it: by its id.
    for form in &mut forms {
        let Some(fields) = form.as_object_mut() else {
            continue;
        };
        for (key, value) in fields.iter_mut() {
            if let (true, Some(id)) = (
                key.ends_with("_result_page"),
                value.as_str().and_then(|slug| ids.get(slug)),
            ) {
                let id: i64 = id.parse().unwrap_or_default();
                *value = serde_json::json!({"id": id, "slug": value.clone()});
            }
        }
    }
    if !forms.is_empty() {
        let body = serde_json::json!({"count": forms.len(), "results": forms});
        let api = CMS.replace("/v3/pages", "/v2/assessment");
        lines.push(format!("http: GET {api}/ -> 200 {body}"));
    }
    let images_api = CMS.replace("/v3/pages", "/v2/images");
    for (id, image) in &images.by_id {
        lines.push(format!("http: GET {images_api}/{id}/ -> 200 {image}"));
    }
    lines
}

/// The images a test's FakeCMS holds (`name = %Image{id: 4, download_url: "…"}`, as
/// contentrepo's images API gives them: `meta.download_url`) and the page messages
/// they are added to (`add_img_to_page(pid, "slug", 0, name.id)`).
#[derive(Default)]
struct FakeImages {
    by_id: BTreeMap<i64, serde_json::Value>,
    on_pages: Vec<(String, usize, i64)>,
}

fn fake_images(test: &str) -> FakeImages {
    const IMAGE: &str = " = %Image{";
    const ADD: &str = "FakeCMS.add_img_to_page(";
    let mut images = FakeImages::default();
    let mut ids = BTreeMap::new();
    for (at, _) in test.match_indices(IMAGE) {
        let name = test[..at]
            .rsplit(|c: char| !is_name(c))
            .next()
            .unwrap_or_default();
        let body = &test[at + IMAGE.len()..];
        let fields: BTreeMap<String, String> = split_top(&body[..body.find('}').unwrap_or(0)])
            .iter()
            .filter_map(|f| f.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let (Some(id), Some(url)) = (
            fields.get("id").and_then(|id| id.parse::<i64>().ok()),
            fields.get("download_url").and_then(|u| string(u).ok()),
        ) else {
            continue;
        };
        ids.insert(name.to_owned(), id);
        let title = fields
            .get("title")
            .and_then(|t| string(t).ok())
            .map(|t| t.0);
        images.by_id.insert(
            id,
            serde_json::json!({"id": id, "title": title, "meta": {"download_url": url.0}}),
        );
    }
    for (at, _) in test.match_indices(ADD) {
        let args = &test[at + ADD.len()..];
        let args = split_top(&args[..args.find(')').unwrap_or(args.len())]);
        if let [_, page, index, image] = &args[..]
            && let (Ok((page, _)), Ok(index)) = (string(page.trim()), index.trim().parse())
            && let Some(id) = ids.get(image.trim().trim_end_matches(".id"))
        {
            images.on_pages.push((page, index, *id));
        }
    }
    images
}

/// One step of a test's FakeCMS `field_transform`.
enum Transform {
    /// `String.replace("a", "b")`.
    Replace(String, String),
    /// `String.replace(~r/\r?\n$/, "")`: the line break at the end goes.
    TrimEnd,
}

impl Transform {
    fn apply(&self, text: &str) -> String {
        match self {
            Transform::Replace(from, to) => text.replace(from.as_str(), to),
            Transform::TrimEnd => text
                .strip_suffix('\n')
                .unwrap_or(text)
                .trim_end_matches('\r')
                .to_owned(),
        }
    }
}

/// The `String.replace` steps of a test's `setup_fake_cms`.
fn field_transforms(test: &str) -> Vec<Transform> {
    let code = Code { test, helper: "" };
    let Some(setup) = function(test, "setup_fake_cms") else {
        return Vec::new();
    };
    calls(setup.body, code)
        .into_iter()
        .filter(|(name, _)| name == "String.replace")
        .filter_map(|(_, args)| {
            let args = split_top(&args);
            let (from, to) = (args.first()?.trim(), string(args.get(1)?.trim()).ok()?.0);
            if from.starts_with("~r/") && from.ends_with("\\n$/") && to.is_empty() {
                Some(Transform::TrimEnd)
            } else {
                Some(Transform::Replace(string(from).ok()?.0, to))
            }
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

/// `def`/`defp NAME(params)`: `do … end` (the body up to the `end` indented as the
/// `def` is), or `, do: expression` (up to the next blank line).
fn function<'s>(source: &'s str, name: &str) -> Option<Function<'s>> {
    let start = [format!("defp {name}("), format!("def {name}(")]
        .iter()
        .filter_map(|head| {
            source
                .match_indices(head.as_str())
                .map(|(i, _)| i)
                .find(|&i| {
                    source[..i]
                        .chars()
                        .rev()
                        .take_while(|&c| c != '\n')
                        .all(char::is_whitespace)
                })
        })
        .min()?;
    let open = start + source[start..].find('(')?;
    let mut depth = 0;
    let mut close = open;
    for (n, c) in source[open..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    close = open + n;
                    break;
                }
            }
            _ => {}
        }
    }
    let params = split_top(&source[open + 1..close])
        .into_iter()
        .map(|p| match p.split_once("\\\\") {
            Some((name, default)) => (name.trim().to_owned(), Some(default.trim().to_owned())),
            None => (p.trim().to_owned(), None),
        })
        .collect();
    let rest = &source[close + 1..];
    let after = rest.trim_start();
    let body = if let Some(expr) = after.strip_prefix(',') {
        let expr = expr.trim_start().strip_prefix("do:")?;
        &expr[..expr.find("\n\n").unwrap_or(expr.len())]
    } else {
        // The body ends at the `end` indented as the `def` is (inside a `describe`, more).
        let indent = &source[source[..start].rfind('\n').map_or(0, |i| i + 1)..start];
        let rest = &rest[rest.find('\n')? + 1..];
        let end = rest
            .find(&format!("\n{indent}end\n"))
            .map_or(rest.len(), |at| at + 1);
        &rest[..end]
    };
    Some(Function { params, body })
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
        for (_, args) in calls(
            block,
            Code {
                test: source,
                helper: "",
            },
        )
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
            let Some(body) = function(source, name).and_then(|f| handler_body(f.body, tags)) else {
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

/// An Elixir literal (maps `%{"k" => v}`, structs with atom keys such as
/// `%Forms.Answer{answer: "Yes", score: 1.0}`, lists, strings, numbers, `true`, `false`,
/// `nil`, bound variables) as JSON text; `None` for anything else. A question's struct
/// (`%Forms.CategoricalQuestion{`) also gets its `question_type`
/// (`"categorical_question"`), as contentrepo's assessment API gives it.
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
            '%' => {
                let start = i + 1;
                while i < chars.len() && chars[i] != '{' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                out.push('{');
                let kind = name.rsplit('.').next().unwrap_or_default();
                if kind.ends_with("Question") {
                    let question_type = journey_model::option_name(kind);
                    out.push_str(&format!("\"question_type\": \"{question_type}\", "));
                }
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
                if chars.get(i) == Some(&':') {
                    out.push_str(&format!("\"{word}\":"));
                    i += 1;
                    continue;
                }
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

/// The forms of a test's `FakeCMS.add_form(pid, %Forms.Form{…})` calls, as contentrepo's
/// assessment API gives them.
fn fake_forms(test: &str) -> Vec<serde_json::Value> {
    const ADD: &str = "FakeCMS.add_form(";
    test.match_indices(ADD)
        .filter_map(|(at, _)| {
            let chars: Vec<char> = test[at + ADD.len() - 1..].chars().collect();
            let args: String = chars[1..closing(&chars, 0)?].iter().collect();
            let form = split_top(&args).pop()?;
            serde_json::from_str(&elixir_json(form.trim(), &BTreeMap::new())?).ok()
        })
        .collect()
}

/// The index of the bracket that closes the one at `open`.
fn closing(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                i = skip_string(chars, i);
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
