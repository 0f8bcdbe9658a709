//! `journey bench`: measurements for BENCHMARKS.md.
//! - `check --cards N` times parse, lowering and every rule on a generated journey, and
//!   the window dataflow alone (WA101), and reports the peak memory of the process;
//! - `edit --cards N --files F` times a one-card edit to fresh diagnostics in the
//!   analysis host (`bench_edit.rs`);
//! - `studio --cards N` times an edit operation's round trip through the studio's routes
//!   (`bench_studio.rs`);
//! - `run --events N` drives the interpreter in memory on one thread through a realistic
//!   journey (menu → question → guarded branch → personalised reply) and reports events
//!   per second and the serialised size of a waiting contact's state.

use std::time::{Duration, Instant};

use journey_diagnostics::FileId;
use journey_model::{ProjectIndex, SourceModule};

use crate::{Io, generate};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Parse + lower + check a generated journey.
    Check {
        /// Number of cards in the generated journey.
        #[arg(long, default_value_t = 10_000)]
        cards: usize,
        /// Timed runs; the median of each phase, and the median and best total, are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Write the generated journey here instead of benchmarking it.
        #[arg(long)]
        emit: Option<std::path::PathBuf>,
    },
    /// `journey serve` in this process on a SQLite file with fsync on: durably
    /// acknowledged webhooks per second and their latency, then resident memory.
    Serve(super::bench_serve::ServeArgs),
    /// The store's timer firing: N pending timers come due at once; fires per second
    /// and lateness.
    Timers(super::bench_serve::TimerArgs),
    /// The deterministic simulation of the serve loop (crashes, duplicate deliveries,
    /// racing steps, network failures) over a project, seed after seed; a failing seed
    /// prints its trace, and `--seed S --seeds 1` replays it.
    Sim {
        /// The project whose journeys the simulated contacts talk to.
        #[arg(long, default_value = "examples")]
        project: std::path::PathBuf,
        /// The first seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 10_000)]
        seeds: u64,
        /// Random actions per seed (then everything is drained and verified).
        #[arg(long, default_value_t = 300)]
        actions: usize,
        /// Print a failing seed's whole trace, not its last 40 actions.
        #[arg(long)]
        trace: bool,
    },
    /// One card edited in a generated project, fresh diagnostics each time: the
    /// latency an editor sees (the analysis host's incremental path).
    Edit(super::bench_edit::EditArgs),
    /// The same edits sent to a real `journey lsp` as `didChange`: the time until its
    /// `publishDiagnostics` arrives.
    Lsp(super::bench_lsp::LspArgs),
    /// One card's message changed through the studio's routes, in process: the
    /// operation, the text, the diagnostics and the journey view the canvas redraws.
    Studio(super::bench_studio::StudioArgs),
    /// Interpreter steps per second, in memory, one thread.
    Run {
        /// Events to deliver (after a warm-up of a tenth as many).
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
    },
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    match args.what {
        What::Check { cards, runs, emit } => check(cards, runs, emit, io),
        What::Run { events } => interpret(events, io),
        What::Edit(args) => super::bench_edit::edit(args, io),
        What::Lsp(args) => super::bench_lsp::lsp(args, io),
        What::Studio(args) => super::bench_studio::studio(args, io),
        What::Serve(args) => super::bench_serve::serve(args, io),
        What::Timers(args) => super::bench_serve::timers(args, io),
        What::Sim {
            project,
            seed,
            seeds,
            actions,
            trace,
        } => simulate(&project, seed, seeds, actions, trace, io),
    }
}

fn simulate(
    project: &std::path::Path,
    first: u64,
    seeds: u64,
    actions: usize,
    trace: bool,
    io: &mut Io<'_>,
) -> Result<u8, String> {
    let bundle = super::serve::read_bundle(project)?;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a directory: {e}"))?;
    let started = Instant::now();
    let mut total = journey_server::SimReport::default();
    for seed in first..first.saturating_add(seeds) {
        match journey_server::simulate(&bundle, seed, actions, dir.path()) {
            Ok(report) => total += report,
            Err(violation) => {
                // The whole trace with --trace, else its end.
                let lines: Vec<&str> = violation.lines().collect();
                let shown = if trace {
                    0
                } else {
                    lines.len().saturating_sub(41)
                };
                io.print(&format!("{}\n", lines[..1].join("\n")))?;
                io.print(&format!("{}\n", lines[shown.max(1)..].join("\n")))?;
                return Ok(1);
            }
        }
    }
    let elapsed = started.elapsed();
    io.print(&format!(
        "{seeds} seeds × {actions} actions in {:.1} s: every invariant held\n\
         {} webhooks ({} redelivered), {} steps ({} lost a race on the fence), {} timers, \
         {} sends ({} repeated after a crash or a lost answer), {} refused by the rules, \
         {} crashes\n",
        elapsed.as_secs_f64(),
        total.webhooks,
        total.redeliveries,
        total.steps,
        total.conflicts,
        total.timers,
        total.sends,
        total.duplicate_sends,
        total.refused,
        total.crashes,
    ))?;
    Ok(0)
}

fn check(
    cards: usize,
    runs: usize,
    emit: Option<std::path::PathBuf>,
    io: &mut Io<'_>,
) -> Result<u8, String> {
    let source = generate::journey(cards);
    if let Some(path) = emit {
        std::fs::write(&path, &source)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        return Ok(0);
    }
    let lines = source.lines().count();
    let mut phases: Vec<[Duration; 4]> = Vec::new();
    // WA101 alone is the window dataflow plus a walk over its results: its share of
    // the check.
    let window_only = {
        let mut config = journey_project::ProjectConfig::default();
        config.check.select = vec!["WA101".to_owned()];
        config
    };
    let mut findings = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let parsed = journey_syntax::parse_journey(FileId(0), &source);
        let parsed_at = Instant::now();
        let modules = [SourceModule {
            file: FileId(0),
            default_name: "generated".to_owned(),
            module: &parsed.module,
            text: &source,
            has_syntax_errors: !parsed.diagnostics.is_empty(),
        }];
        let compiled = journey_model::compile(&modules, ProjectIndex::default());
        let lowered_at = Instant::now();
        findings = journey_check::check(&compiled, &journey_project::ProjectConfig::default())
            .len()
            + parsed.diagnostics.len();
        let checked_at = Instant::now();
        journey_check::check(&compiled, &window_only);
        let window = checked_at.elapsed();
        phases.push([
            parsed_at - start,
            lowered_at - parsed_at,
            checked_at - lowered_at,
            window,
        ]);
    }
    let median = |phase: usize| {
        let mut times: Vec<Duration> = phases.iter().map(|p| p[phase]).collect();
        times.sort();
        times[times.len() / 2]
    };
    let mut totals: Vec<Duration> = phases.iter().map(|p| p[..3].iter().sum()).collect();
    totals.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    io.print(&format!(
        "cards: {cards}  lines: {lines}  bytes: {}  runs: {}\n\
         parse: {:.1} ms  lower: {:.1} ms  check: {:.1} ms (window dataflow: {:.1} ms)  total: median {:.1} ms, best {:.1} ms\n\
         findings: {findings}  peak memory: {}\n",
        source.len(),
        phases.len(),
        ms(median(0)),
        ms(median(1)),
        ms(median(2)),
        ms(median(3)),
        ms(totals[totals.len() / 2]),
        ms(totals[0]),
        peak_memory().map_or_else(
            || "unknown on this system".to_owned(),
            |kb| format!("{:.1} MB", kb as f64 / 1024.0)
        ),
    ))?;
    Ok(0)
}

/// The process's peak resident memory in KiB (Linux: `VmHWM` of /proc/self/status).
pub(crate) fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The journey of the interpreter benchmark: every event takes a menu choice, a
/// question, a guarded branch and a personalised reply.
const CLINIC: &str = r#"
card Menu, then: Menu do
  buttons(Visit: "Book a visit", Tips: "Pregnancy tips") do
    text("Hi @contact.name, how can we help?")
  end
end

card Visit do
  weeks = ask("How many weeks pregnant are you?")
  then(Late when parse_int(weeks) >= 36)
  then(Early)
end

card Late, then: Menu do
  text("@contact.name, at @weeks weeks please book your visit this week.")
end

card Early, then: Menu do
  text("Thanks @contact.name! At @weeks weeks, a visit in the next month is fine.")
end

card Tips, then: Menu do
  text("Rest, eat well and drink water, @contact.name.")
end
"#;

fn interpret(events: usize, io: &mut Io<'_>) -> Result<u8, String> {
    use journey_runtime::{Contact, Event, Inbound, Runtime};

    let parsed = journey_syntax::parse_journey(FileId(0), CLINIC);
    let modules = [SourceModule {
        file: FileId(0),
        default_name: "clinic".to_owned(),
        module: &parsed.module,
        text: CLINIC,
        has_syntax_errors: false,
    }];
    let journeys = journey_model::compile(&modules, ProjectIndex::default());
    let config = journey_project::ProjectConfig::default();
    let rt = Runtime::new(&journeys, &config);
    let mut contact = Contact::new("27820000001");
    contact.fields.insert(
        "name".to_owned(),
        journey_expr::Value::Text("Thandi".to_owned()),
    );
    let now: jiff::Timestamp = "2026-01-15T09:00:00Z".parse().map_err(|e| format!("{e}"))?;
    // A conversation that goes round the menu: visit (late), visit (early), tips.
    let script = ["Book a visit", "37", "1", "12", "Pregnancy tips"];
    let mut state = rt
        .start("clinic", &contact, Some(Inbound::text("hi")), now)
        .state;
    // The largest state a contact waits in, over one round of the script.
    let mut waiting_size = 0;
    let mut probe = state.clone();
    for text in script {
        probe = rt
            .step(probe, &contact, Event::Message(Inbound::text(text)), now)
            .state;
        let size = serde_json::to_vec(&probe).map_err(|e| e.to_string())?.len();
        waiting_size = waiting_size.max(size);
    }
    let drive = |count: usize, state: &mut journey_runtime::RunState| {
        let mut sent = 0usize;
        for i in 0..count {
            let event = Event::Message(Inbound::text(script[i % script.len()]));
            let outcome = rt.step(std::mem::take(state), &contact, event, now);
            sent += outcome.effects.len();
            *state = outcome.state;
        }
        sent
    };
    drive(events / 10, &mut state);
    let start = Instant::now();
    let effects = drive(events, &mut state);
    let elapsed = start.elapsed();
    io.print(&format!(
        "events: {events}  effects: {effects}  time: {:.1} ms\n\
         events per second: {:.0}  per event: {:.2} µs\n\
         largest waiting state: {waiting_size} bytes (JSON)\n",
        elapsed.as_secs_f64() * 1000.0,
        events as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / events as f64,
    ))?;
    Ok(0)
}
