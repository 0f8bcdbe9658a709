//! `journey bench check --cards N`: times parse, lowering and every rule on a
//! generated journey, and reports the peak memory of the process.

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
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let What::Check { cards, runs, emit } = args.what;
    let source = generate::journey(cards);
    if let Some(path) = emit {
        std::fs::write(&path, &source)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        return Ok(0);
    }
    let lines = source.lines().count();
    let mut phases: Vec<[Duration; 3]> = Vec::new();
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
        phases.push([
            parsed_at - start,
            lowered_at - parsed_at,
            checked_at - lowered_at,
        ]);
    }
    let median = |phase: usize| {
        let mut times: Vec<Duration> = phases.iter().map(|p| p[phase]).collect();
        times.sort();
        times[times.len() / 2]
    };
    let mut totals: Vec<Duration> = phases.iter().map(|p| p.iter().sum()).collect();
    totals.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    io.print(&format!(
        "cards: {cards}  lines: {lines}  bytes: {}  runs: {}\n\
         parse: {:.1} ms  lower: {:.1} ms  check: {:.1} ms  total: median {:.1} ms, best {:.1} ms\n\
         findings: {findings}  peak memory: {}\n",
        source.len(),
        phases.len(),
        ms(median(0)),
        ms(median(1)),
        ms(median(2)),
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
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
