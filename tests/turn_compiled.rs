//! Differential test against Turn's compiler. Every corpus notebook with Turn's compiled
//! FLOIP JSON beside it (`QA/flows_json/<name>.json` for `QA/flows/<name>.md`) is
//! compiled here too, and both are reduced to the same facts: per card, how many steps
//! of each kind and which other cards it leads to; per menu, its option names, where
//! each option leads and where a reply that matches nothing goes. A fact on one side only fails the test unless
//! `tests/turn_compiled_differences.txt` lists it with the reason it is intended; a
//! listed difference that no longer occurs fails too, so the list stays true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use journey_diagnostics::FileId;
use journey_model::{
    CompiledJourney, EffectStep, MenuOptions, ProjectIndex, SourceModule, StepKind, Transition,
};
use journey_tests::{repo_root, shared_corpus};
use petgraph::stable_graph::NodeIndex;
use serde_json::Value;

/// Where the run goes when a transition leads to no card.
const END: &str = "END";

#[test]
fn compiled_notebooks_match_turns_compiled_flows() {
    let (Some(contentrepo), Some(mnch)) = (
        shared_corpus("turn-contentrepo"),
        shared_corpus("turn-platform-mnch"),
    ) else {
        return;
    };
    let allowed = allowed_differences();
    let mut seen = BTreeSet::new();
    let mut unexpected = String::new();
    let mut compared = 0;
    for json in [contentrepo, mnch]
        .iter()
        .flat_map(|dir| compiled_flows(dir))
    {
        compared += 1;
        for key in differences(&json) {
            if allowed.contains_key(&key) {
                seen.insert(key);
            } else {
                unexpected.push_str(&format!("{key}\n"));
            }
        }
    }
    assert!(
        compared >= 12,
        "expected the 12 corpus notebooks with compiled JSON, found {compared}"
    );
    let stale: Vec<&String> = allowed.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "differences from Turn's compiled flows not listed in tests/turn_compiled_differences.txt:\n\
         {unexpected}\nlisted differences that no longer occur: {stale:#?}"
    );
}

/// Another QA folder's notebooks against Turn's compiled flows, named by
/// `JOURNEY_FLOWTESTER_QA` (e.g. platform-mnch's `Onboarding/QA`; CI has none): prints
/// every difference, for a person to judge, and fails on none.
#[test]
fn other_notebooks_compared_with_turns_compiled_flows() {
    let Some(qa) = std::env::var_os("JOURNEY_FLOWTESTER_QA") else {
        println!(
            "SKIPPED: other_notebooks_compared_with_turns_compiled_flows: set \
             JOURNEY_FLOWTESTER_QA to a QA folder with flows/ and flows_json/ to compare it"
        );
        return;
    };
    let flows = compiled_flows(Path::new(&qa));
    assert!(!flows.is_empty(), "no flows_json/*.json under {qa:?}");
    let mut same = 0;
    for json in &flows {
        let found = differences(json);
        same += usize::from(found.is_empty());
        for key in found {
            println!("{key}");
        }
    }
    println!(
        "{same} of {} notebooks compile to the same facts as Turn's flows",
        flows.len()
    );
}

/// The facts on one side only, for the notebook beside `QA/flows_json/<name>.json`:
/// `name | side | fact`.
fn differences(json: &Path) -> Vec<String> {
    let notebook = json
        .parent()
        .and_then(Path::parent)
        .expect("QA/flows_json/x.json")
        .join("flows")
        .join(json.with_extension("md").file_name().expect("a file name"));
    let name = json
        .file_stem()
        .expect("a file stem")
        .to_string_lossy()
        .into_owned();
    let turn = turn_facts(json);
    let ours = our_facts(&notebook, turn.by_card);
    let mut found = Vec::new();
    for (side, facts, other) in [("turn", &turn.facts, &ours), ("ours", &ours, &turn.facts)] {
        for fact in facts.difference(other) {
            found.push(format!("{name} | {side} | {fact}"));
        }
    }
    found
}

/// `tests/turn_compiled_differences.txt`: `notebook | side | fact` lines, each followed
/// by a `reason:` line.
fn allowed_differences() -> BTreeMap<String, String> {
    let path = repo_root().join("tests/turn_compiled_differences.txt");
    let text = std::fs::read_to_string(&path).expect("tests/turn_compiled_differences.txt");
    let mut allowed = BTreeMap::new();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    while let Some((n, line)) = lines.next() {
        let reason = lines
            .next()
            .and_then(|(_, l)| l.strip_prefix("reason: "))
            .unwrap_or_else(|| panic!("line {}: `{line}` needs a `reason:` line", n + 1));
        assert!(!reason.trim().is_empty(), "line {}: empty reason", n + 1);
        allowed.insert(line.to_owned(), reason.to_owned());
    }
    allowed
}

/// The `flows_json/*.json` files under `dir`, sorted.
fn compiled_flows(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable corpus") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            found.extend(compiled_flows(&path));
        } else if path.extension().is_some_and(|e| e == "json")
            && path
                .parent()
                .is_some_and(|p| p.file_name().is_some_and(|n| n == "flows_json"))
        {
            found.push(path);
        }
    }
    found.sort();
    found
}

struct TurnFacts {
    facts: BTreeSet<String>,
    /// Turn's blocks name their card (platform-mnch); contentrepo's JSON does not, and
    /// its step kinds are compared for the whole notebook.
    by_card: bool,
}

/// The kind of step a FLOIP block is, in the vocabulary both sides share; `None` for
/// blocks with no step of their own here (`Core.Case`: assignments and guards).
fn turn_kind(block_type: &str) -> Option<&'static str> {
    Some(match block_type {
        "MobilePrimitives.Message" => "message",
        "MobilePrimitives.SelectOneResponse" | "Io.Turn.DynamicSelectOneResponse" => "menu",
        "MobilePrimitives.OpenResponse" => "ask",
        "Io.Turn.Webhook" => "http",
        "Core.RunFlow" => "run_stack",
        "Io.Turn.ScheduleFlow" => "schedule_stack",
        "Io.Turn.WhatsAppTemplateMessage" => "template",
        "Core.SetContactProperty" => "update_contact",
        "Core.Output" => "write_result",
        "Core.Log" => "log",
        "Io.Turn.SetMessageProperty" => "add_label",
        "Io.Turn.SendContentMessage" => "send_content",
        _ => return None,
    })
}

fn turn_facts(path: &Path) -> TurnFacts {
    let text = std::fs::read_to_string(path).expect("readable JSON");
    let json: Value = serde_json::from_str(&text).expect("Turn's JSON");
    let blocks: Vec<&Value> = json["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .flat_map(|f| f["blocks"].as_array().expect("blocks"))
        .collect();
    let card_of = |block: &Value| {
        block["vendor_metadata"]["io"]["turn"]["stacks_dsl"]["0.1.0"]["card"]["name"]
            .as_str()
            .map(str::to_owned)
    };
    let by_card = blocks.iter().all(|b| card_of(b).is_some());
    let by_uuid: BTreeMap<&str, &Value> = blocks
        .iter()
        .map(|b| (b["uuid"].as_str().expect("uuid"), *b))
        .collect();
    let destination = |exit: &Value| match exit["destination_block"].as_str() {
        Some(uuid) => by_uuid
            .get(uuid)
            .and_then(|b| card_of(b))
            .unwrap_or_else(|| "?".to_owned()),
        None => END.to_owned(),
    };
    let mut kinds: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut menus: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut exits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in &blocks {
        if by_card {
            let card = card_of(block).expect("checked");
            for exit in block["exits"].as_array().expect("exits") {
                let to = destination(exit);
                if to != card && to != END {
                    exits.entry(card.clone()).or_default().insert(to);
                }
            }
        }
        let card = if by_card {
            card_of(block).expect("checked")
        } else {
            "*".to_owned()
        };
        let block_type = block["type"].as_str().expect("type");
        if let Some(kind) = turn_kind(block_type) {
            *kinds
                .entry(card.clone())
                .or_default()
                .entry(kind)
                .or_default() += 1;
        }
        if block_type == "MobilePrimitives.SelectOneResponse" {
            let exits = block["exits"].as_array().expect("exits");
            let choices: Vec<&str> = block["config"]["choices"]
                .as_array()
                .expect("choices")
                .iter()
                .map(|c| c["name"].as_str().expect("a choice name"))
                .collect();
            let mut fact = format!("menu options [{}]", choices.join(", "));
            if by_card {
                let targets: Vec<String> = exits
                    .iter()
                    .filter(|e| e["default"] != true)
                    .map(destination)
                    .collect();
                let default = exits
                    .iter()
                    .find(|e| e["default"] == true)
                    .map_or_else(|| END.to_owned(), destination);
                fact.push_str(&format!(" -> [{}] else {default}", targets.join(", ")));
            }
            menus.entry(card).or_default().push(fact);
        }
    }
    TurnFacts {
        facts: facts(kinds, menus, exits),
        by_card,
    }
}

fn facts(
    kinds: BTreeMap<String, BTreeMap<&str, usize>>,
    menus: BTreeMap<String, Vec<String>>,
    exits: BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for (card, targets) in exits {
        let targets: Vec<String> = targets.into_iter().collect();
        facts.insert(format!("card {card}: leads to [{}]", targets.join(", ")));
    }
    for (card, counts) in kinds {
        let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        facts.insert(format!("card {card}: {}", counts.join(" ")));
    }
    for (card, mut list) in menus {
        list.sort();
        for menu in list {
            facts.insert(format!("card {card}: {menu}"));
        }
    }
    facts
}

/// Our kind of a step, in the vocabulary of [`turn_kind`], counted per Turn block (one
/// `update_contact` block per field, as Turn compiles it).
fn our_kinds(step: &StepKind) -> Vec<&'static str> {
    match step {
        StepKind::Send(_) => vec!["message"],
        StepKind::Menu(_) => vec!["menu"],
        StepKind::Ask { .. } => vec!["ask"],
        StepKind::Http { .. } => vec!["http"],
        StepKind::RunJourney { .. } => vec!["run_stack"],
        // Turn compiles `cancel_scheduled_stacks` to a ScheduleFlow block too.
        StepKind::Schedule { .. } | StepKind::Cancel { .. } => vec!["schedule_stack"],
        StepKind::Template(_) => vec!["template"],
        StepKind::Handoff { .. } => vec!["handoff"],
        StepKind::Effect(effect) => match &**effect {
            EffectStep::UpdateContact(fields) => vec!["update_contact"; fields.len()],
            EffectStep::WriteResult { .. } => vec!["write_result"],
            EffectStep::Log(_) => vec!["log"],
            EffectStep::AddLabel(_) => vec!["add_label"],
            EffectStep::SendContent(_) => vec!["send_content"],
            EffectStep::Evaluate(_) => vec!["other"],
        },
        StepKind::CardEntry | StepKind::Assign { .. } | StepKind::Branch | StepKind::End { .. } => {
            Vec::new()
        }
    }
}

fn our_facts(notebook: &Path, by_card: bool) -> BTreeSet<String> {
    let source = std::fs::read_to_string(notebook)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", notebook.display()));
    let parsed = journey_syntax::parse_notebook(FileId(0), &source);
    let module = SourceModule {
        file: FileId(0),
        default_name: "notebook".to_owned(),
        module: &parsed.module,
        text: &source,
        has_syntax_errors: false,
    };
    let journeys = journey_model::compile(&[module], ProjectIndex::default());
    let mut kinds: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut menus: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut exits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for journey in &journeys {
        for node in journey.graph.node_indices() {
            let step = &journey.graph[node];
            let card = &journey.card(step.card).name;
            if by_card {
                for (_, _, to) in journey.edges_from(node) {
                    let to = &journey.card(journey.graph[to].card).name;
                    if to != card {
                        exits.entry(card.clone()).or_default().insert(to.clone());
                    }
                }
            }
            let card = if by_card {
                card.clone()
            } else {
                "*".to_owned()
            };
            for kind in our_kinds(&step.kind) {
                *kinds
                    .entry(card.clone())
                    .or_default()
                    .entry(kind)
                    .or_default() += 1;
            }
            if let StepKind::Menu(menu) = &step.kind
                && let MenuOptions::Static(options) = &menu.options
            {
                let names: Vec<String> = options
                    .iter()
                    .map(|o| journey.card(o.card).option_name())
                    .collect();
                let mut fact = format!("menu options [{}]", names.join(", "));
                if by_card {
                    let targets: Vec<String> = (0..options.len())
                        .map(|i| target(journey, node, &Transition::Option { index: i as u32 }))
                        .collect();
                    let default = target(journey, node, &Transition::Invalid);
                    fact.push_str(&format!(" -> [{}] else {default}", targets.join(", ")));
                }
                menus.entry(card).or_default().push(fact);
            }
        }
    }
    facts(kinds, menus, exits)
}

/// The card a transition leads to, `END` when it ends the flow, `AGAIN` when the step
/// waits again.
fn target(journey: &CompiledJourney, node: NodeIndex, want: &Transition) -> String {
    let Some((_, _, to)) = journey
        .edges_from(node)
        .into_iter()
        .find(|(_, transition, _)| *transition == want)
    else {
        return END.to_owned();
    };
    if to == node {
        return "AGAIN".to_owned();
    }
    match journey.graph[to].kind {
        StepKind::End { .. } => END.to_owned(),
        _ => journey.card(journey.graph[to].card).name.clone(),
    }
}
