//! `journey bench edit`: what an editor or the studio waits for after a keystroke. A
//! generated project of `--cards` cards in `--files` journeys is loaded into an analysis
//! host; then one card's text changes, again and again, and each time the fresh
//! diagnostics are asked for. Reports the latency of those edits (p50, p95, max) and the
//! cold analysis of the whole project for comparison. With `--op` the change is made as
//! the studio makes it: a `set_text` edit operation, its text edits applied.

use std::time::{Duration, Instant};

use journey_analysis::AnalysisHost;
use journey_analysis::edit::{EditOp, StatementAt};

use crate::{Io, generate};

#[derive(clap::Args)]
pub struct EditArgs {
    /// Cards in the project, spread evenly over the files.
    #[arg(long, default_value_t = 500)]
    cards: usize,
    /// Journey files the cards are spread over.
    #[arg(long, default_value_t = 10)]
    files: usize,
    /// Timed edits (after ten untimed ones).
    #[arg(long, default_value_t = 200)]
    edits: usize,
    /// Make each change as the studio does: a `set_text` operation on the card's
    /// message, then its text edits applied.
    #[arg(long)]
    op: bool,
}

pub fn edit(args: EditArgs, io: &mut Io<'_>) -> Result<u8, String> {
    let files = args.files.clamp(1, args.cards.max(1));
    let per_file = args.cards / files;
    let texts: Vec<(String, String)> = (0..files)
        .map(|i| (format!("journey{i}.journey"), generate::journey(per_file)))
        .collect();

    let cold = Instant::now();
    let mut host = AnalysisHost::new();
    for (path, text) in &texts {
        host.set_file_text(path, text.clone());
    }
    let findings = host.analysis().diagnostics().len();
    let cold = cold.elapsed();

    // The edit: the first card's message gains or loses a word, alternately, in the
    // first file.
    let (path, original) = &texts[0];
    let edited = original.replacen("this is step 0.", "this is step 0 today.", 1);
    if edited == *original {
        return Err("the generated journey has no card to edit".to_owned());
    }
    // The same change as an operation: the menu's message (`text` inside Card0's
    // `buttons … do`), alternately with and without the word.
    let message = |n: usize| {
        let step = if n.is_multiple_of(2) {
            "step 0 today."
        } else {
            "step 0."
        };
        EditOp::SetText {
            file: path.clone(),
            at: StatementAt {
                journey: "journey0".to_owned(),
                card: "Card0".to_owned(),
                definition: 0,
                statement: 0,
                inner: Some(0),
            },
            text: format!("Hi @contact.name, this is {step}\nWhat would you like to do next?"),
        }
    };
    let latency = time_edits(args.edits, findings, |n| {
        let text = if args.op {
            let analysis = host.analysis();
            let change = analysis.edit(&message(n)).map_err(|e| e.to_string())?;
            change.apply(path, analysis.file_text(path).unwrap_or_default())
        } else {
            if n % 2 == 0 { &edited } else { original }.clone()
        };
        host.set_file_text(path, text);
        Ok(host.analysis().diagnostics().len())
    })?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    io.print(&format!(
        "cards: {}  files: {files}  bytes: {}  findings: {findings}\n\
         cold analysis (parse every file, lower, check): {:.1} ms\n\
         {} → fresh diagnostics ({} edits): p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms\n",
        per_file * files,
        texts.iter().map(|(_, t)| t.len()).sum::<usize>(),
        ms(cold),
        if args.op {
            "studio operation (set_text)"
        } else {
            "one-card edit"
        },
        args.edits,
        latency.ms(0.5),
        latency.ms(0.95),
        latency.ms(1.0),
    ))?;
    Ok(0)
}

/// Times `edits` edits (after ten untimed ones): `edit(n)` applies the n-th and returns
/// the findings after it, which must stay `findings` (a like-for-like edit).
pub(super) fn time_edits(
    edits: usize,
    findings: usize,
    mut edit: impl FnMut(usize) -> Result<usize, String>,
) -> Result<Latencies, String> {
    let mut times: Vec<Duration> = Vec::with_capacity(edits);
    for n in 0..edits + 10 {
        let start = Instant::now();
        let found = edit(n)?;
        let elapsed = start.elapsed();
        if found != findings {
            return Err(format!(
                "the edit changed the findings ({findings} → {found}): not a like-for-like edit"
            ));
        }
        if n >= 10 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(Latencies(times))
}

/// Edit latencies, sorted.
pub(super) struct Latencies(Vec<Duration>);

impl Latencies {
    /// The latency at quantile `q` (0.5, 0.95; 1.0 is the maximum), in milliseconds.
    pub(super) fn ms(&self, q: f64) -> f64 {
        let n = self.0.len();
        self.0[((n as f64 * q).ceil() as usize).clamp(1, n) - 1].as_secs_f64() * 1000.0
    }
}
