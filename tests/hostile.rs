//! Hostile input against the real `journey` binary (issue 11): expressions nested
//! tens of thousands deep, chains of tens of thousands of cards, a helper that spends
//! seconds in one operation. Each must end the process cleanly (exit 0 or 1 with a
//! diagnostic, never a signal) within a time limit that a quadratic analysis would blow.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use journey_tests::serve::binary;

/// Generous for linear work, far too short for quadratic work at these sizes. A debug
/// build is about twenty times slower than a release one.
fn limit() -> Duration {
    Duration::from_secs(if cfg!(debug_assertions) { 240 } else { 20 })
}

struct Outcome {
    code: i32,
    output: String,
}

/// Runs `journey ARGS` in `dir` with `stdin`, killed (and the test failed) past the limit.
fn journey(dir: &Path, args: &[&str], stdin: &str) -> Outcome {
    let (out, err) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .expect("journey starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .expect("journey reads its input");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit() {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`journey {}` ran longer than {:?}", args.join(" "), limit());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut output = fs::read_to_string(&out).unwrap();
    output.push_str(&fs::read_to_string(&err).unwrap());
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "`journey {}` was killed by a signal ({status}):\n{}",
            args.join(" "),
            tail(&output)
        )
    });
    assert!(
        code == 0 || code == 1,
        "`journey {}` exited {code}:\n{}",
        args.join(" "),
        tail(&output)
    );
    Outcome { code, output }
}

fn tail(text: &str) -> &str {
    &text[text.len().saturating_sub(2_000)..]
}

/// A directory holding `name.journey` with `text`.
fn project(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(format!("{name}.journey")), text).unwrap();
    dir
}

fn assignment(value: &str) -> String {
    format!("card Start do\n  x = {value}\n  text(\"@x\")\nend\n")
}

#[test]
fn deep_expressions_are_refused_with_a_located_error() {
    for (name, value) in [
        ("minus", format!("{}1", "-".repeat(20_000))),
        ("not", format!("{}true", "not ".repeat(30_000))),
        ("member", format!("contact{}", ".a".repeat(30_000))),
        ("sum", format!("1{}", " + 1".repeat(200_000))),
        ("sum4k", format!("1{}", " + 1".repeat(3_999))),
    ] {
        let dir = project(name, &assignment(&value));
        let file = format!("{name}.journey");
        let check = journey(dir.path(), &["check", &file], "");
        assert_eq!(check.code, 1, "{name}: {}", tail(&check.output));
        assert!(
            check
                .output
                .contains("this expression nests more than 256 operators deep")
                && check.output.contains(&format!("{file}:2:")),
            "{name}: {}",
            tail(&check.output)
        );
        // `run` reports the check error and goes on with what it could build.
        journey(dir.path(), &["run", &file], "hi\n");
    }
}

#[test]
fn a_chain_of_50000_cards_is_checked_and_run() {
    let cards = 50_000;
    let mut text = String::new();
    for i in 0..cards {
        text.push_str(&format!(
            "card C{i} do\n  text(\"step {i}\")\n  then(C{})\nend\n",
            i + 1
        ));
    }
    text.push_str(&format!("card C{cards} do\n  text(\"done\")\nend\n"));
    let dir = project("chain", &text);
    let check = journey(dir.path(), &["check", "chain.journey"], "");
    assert!(
        !check.output.contains("error"),
        "a chain is legitimate: {}",
        tail(&check.output)
    );
    let run = journey(dir.path(), &["run", "chain.journey"], "hi\n");
    // The step cap stops a run that never waits; it gets there card by card.
    assert!(
        run.output.contains("< step 0") && run.output.contains("stopped after 1000 steps"),
        "{}",
        tail(&run.output)
    );
}

#[test]
fn a_slow_helper_is_stopped_by_the_time_limit() {
    let dir = project("slow", "card Start do\n  n = busy()\n  text(\"@n\")\nend\n");
    fs::create_dir(dir.path().join("functions")).unwrap();
    // Each `contains` is one operation over 10,000 items: the operation limit alone
    // would let this run for minutes.
    fs::write(
        dir.path().join("functions/busy.rhai"),
        "fn busy() { let a = []; a.pad(10000, 0); let n = 0; \
         loop { if a.contains(-1) { n += 1; } } }",
    )
    .unwrap();
    fs::write(
        dir.path().join("journey.toml"),
        "[project]\nname = \"slow\"\n",
    )
    .unwrap();
    let run = journey(dir.path(), &["run", ".", "--journey", "slow"], "hi\n");
    assert!(
        run.output.contains("`busy` ran longer than 200 ms"),
        "{}",
        tail(&run.output)
    );
}

#[test]
fn a_deep_expression_deployed_to_a_running_server_is_refused_and_it_stays_up() {
    use journey_tests::fake_graph::FakeGraph;
    use journey_tests::serve::{Options, Server, examples_project};

    let graph = FakeGraph::start();
    let project = examples_project();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&Options {
        project: project.path(),
        database: &format!("sqlite://{}", data.path().join("journey.db").display()),
        graph_url: &graph.url,
        time_scale: None,
        extra: Default::default(),
    });
    for minus in [5_000, 20_000] {
        fs::write(
            project.path().join("deep.journey"),
            assignment(&format!("{}1", "-".repeat(minus))),
        )
        .unwrap();
        let (status, refused) = server.admin("POST", "/deploy", None);
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused["error"]
                .as_str()
                .unwrap_or_default()
                .contains("nests more than 256 operators deep"),
            "{refused}"
        );
        assert_eq!(server.get("/healthz").0, 200);
    }
}
