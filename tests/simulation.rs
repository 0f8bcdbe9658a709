//! The deterministic simulation of the serve loop (crates/journey-server/src/sim.rs),
//! run by the real binary as `journey bench sim`: a few hundred seeds here, 10,000 in a
//! benchmark run (BENCHMARKS.md). A failing seed prints its trace and replays with
//! `journey bench sim --seed S --seeds 1 --trace`.

use std::process::Command;

use journey_tests::serve::binary;

fn sim(args: &[&str]) -> (bool, String) {
    let mut command = Command::new(binary());
    // The simulated store commits with fsync; on a memory file system that is free.
    if std::path::Path::new("/dev/shm").is_dir() {
        command.env("TMPDIR", "/dev/shm");
    }
    let output = command
        .args(["bench", "sim", "--project"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"))
        .args(args)
        .output()
        .expect("journey bench sim runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), text)
}

#[test]
fn the_serve_loop_keeps_its_invariants_over_200_seeds() {
    let (ok, text) = sim(&["--seeds", "200", "--actions", "300"]);
    assert!(ok, "{text}");
    assert!(text.contains("200 seeds × 300 actions"), "{text}");
    assert!(text.contains("every invariant held"), "{text}");
}

#[test]
fn a_seed_replays_the_same_run() {
    let figures = |text: &str| text.lines().nth(1).unwrap_or_default().to_owned();
    let (ok, first) = sim(&["--seed", "4242", "--seeds", "3"]);
    assert!(ok, "{first}");
    let (_, second) = sim(&["--seed", "4242", "--seeds", "3"]);
    assert!(figures(&first).contains("steps"), "{first}");
    assert_eq!(figures(&first), figures(&second));
}
