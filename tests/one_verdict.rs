//! `journey check`, `journey test` and a deploy through `journey serve` ask the same
//! analysis host for a project's findings, so they agree: a finding suppressed with
//! `# allow(…): reason` stops none of them, and the same finding without it stops all.

use std::path::Path;
use std::process::Command;

use journey_tests::fake_graph::FakeGraph;
use journey_tests::serve::{self, Options, Server};

const SUPPRESSED: &str = "card Start do
  text(\"Hello @contact.name\")
  # allow(J101): the Later card arrives with the next release
  then(Later when contact.name == \"nobody\")
end
";

const TEST: &str = "journey: hello
contact: name = \"Thandi\"

## greets
> hi
< Hello Thandi
";

/// The real binary's exit code and output.
fn journey(args: &[&str], project: &Path) -> (i32, String) {
    let out = Command::new(serve::binary())
        .args(args)
        .arg(project)
        .output()
        .expect("journey runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_test_and_deploy_agree_on_a_suppressed_finding() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::write(dir.join("journey.toml"), "[project]\nname = \"hello\"\n").unwrap();
    std::fs::write(dir.join("hello.journey"), SUPPRESSED).unwrap();
    std::fs::write(dir.join("hello.test"), TEST).unwrap();

    let (code, out) = journey(&["check"], dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No problems found"), "{out}");
    let (code, out) = journey(&["test"], dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");

    // `journey serve` deploys the project when it starts, and again on POST /admin/deploy.
    let graph = FakeGraph::start();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&Options {
        project: dir,
        database: &format!("sqlite://{}", data.path().join("journey.db").display()),
        graph_url: &graph.url,
        time_scale: None,
        extra: Default::default(),
    });
    let (status, deployed) = server.admin("POST", "/deploy", None);
    assert_eq!(status, 200, "{deployed}");

    // Without the suppression all three refuse, for the same reason.
    let unsuppressed = SUPPRESSED.replace(
        "  # allow(J101): the Later card arrives with the next release\n",
        "",
    );
    std::fs::write(dir.join("hello.journey"), unsuppressed).unwrap();
    let (code, out) = journey(&["check"], dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[J101]: unknown card `Later`"), "{out}");
    let (code, out) = journey(&["test"], dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[J101]: unknown card `Later`")
            && out.contains("its journeys have check errors"),
        "{out}"
    );
    let (status, refused) = server.admin("POST", "/deploy", None);
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("error[J101]: unknown card `Later`"),
        "{refused}"
    );
}
