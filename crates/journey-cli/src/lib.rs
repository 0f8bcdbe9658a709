//! The `journey` command. The only crate (with the server) that reads files, picks
//! output formats and decides exit codes: 0 clean, 1 findings, 2 usage or internal error.
//!
//! It is a library too, so that tests drive the real command in-process.

mod commands;
mod generate;
mod workspace;

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "journey",
    version,
    about = "Write, check and run WhatsApp chat journeys."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check journeys (`.journey` files and Turn `.md` notebooks) for mistakes.
    Check(commands::check::Args),
    /// Rewrite `.journey` files in the canonical layout, comments kept (`--check`: diff, exit 1).
    Fmt(commands::fmt::Args),
    /// Draw the journeys' state machines (Graphviz DOT, Mermaid or SVG).
    Graph(commands::graph::Args),
    /// Create a new project with a starter journey.
    New(commands::new::Args),
    /// Explain a rule (`journey rule J101`), or list them all.
    Rule(commands::rule::Args),
    /// Run the conversation tests (`*.test` files) and print `N passed, M failed`.
    Test(commands::test::Args),
    /// Chat with journeys in the terminal, on a virtual clock.
    Run(commands::run::Args),
    /// Reusable journeys: list and describe the library, import one into a project.
    Playbook(commands::playbook::Args),
    /// Measure the toolchain on generated journeys (see BENCHMARKS.md).
    Bench(commands::bench::Args),
    /// Convert journeys from other tools (`journey import turn NOTEBOOK.md…`).
    Import(commands::import::Args),
    /// Run a project on the WhatsApp Cloud API (webhook, timers, outbox, admin API).
    Serve(commands::serve::Args),
    /// The people who sign in to the console of `journey serve`: add, list, remove, reset-password.
    Users(commands::users::Args),
    /// The no-code builder in the browser: canvas, inspector, code, problems, simulator.
    Studio(commands::studio::Args),
    /// Serve an editor over stdio: the Language Server Protocol (docs/editors.md).
    Lsp,
    /// Print a shell completion script (`journey completions bash > …`).
    Completions(CompletionsArgs),
}

#[derive(clap::Args)]
struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    shell: clap_complete::Shell,
}

/// Where a command writes. `terminal` says whether stdout is a terminal (for colour).
pub struct Io<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub terminal: bool,
}

impl Io<'_> {
    /// Writes to stdout. A reader that has gone away (`journey graph … | head`) is not
    /// an error worth a message: what is left is not wanted.
    pub(crate) fn print(&mut self, text: &str) -> Result<(), String> {
        match self.stdout.write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write the output: {e}"))
            }
            _ => Ok(()),
        }
    }

    /// Writes to stderr as it is (an error report, a summary).
    pub(crate) fn eprint(&mut self, text: &str) -> Result<(), String> {
        self.stderr
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write an error: {e}"))
    }

    /// One file's diagnostics as `journey check` shows them.
    pub(crate) fn render_file(
        shown: &str,
        text: &str,
        diagnostics: &[journey_diagnostics::Diagnostic],
    ) -> String {
        let mut sources = journey_diagnostics::SourceMap::new();
        sources.add(shown, text);
        journey_diagnostics::render_human(diagnostics, &sources, false)
    }

    pub(crate) fn warn(&mut self, text: &str) -> Result<(), String> {
        writeln!(self.stderr, "warning: {text}").map_err(|e| format!("cannot write a warning: {e}"))
    }
}

/// Runs `journey` with these arguments (the first is the program name) and returns
/// the exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io<'_>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap renders help and version as "errors" that go to stdout with exit 0.
            let text = error.render().to_string();
            if error.use_stderr() {
                let _ = write!(io.stderr, "{text}");
                return 2;
            }
            let _ = write!(io.stdout, "{text}");
            return 0;
        }
    };
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args, io),
        Command::Fmt(args) => commands::fmt::run(args, io),
        Command::Graph(args) => commands::graph::run(args, io),
        Command::New(args) => commands::new::run(args, io),
        Command::Rule(args) => commands::rule::run(args, io),
        Command::Test(args) => commands::test::run(args, io),
        Command::Run(args) => commands::run::run(args, io),
        Command::Bench(args) => commands::bench::run(args, io),
        Command::Import(args) => commands::import::run(args, io),
        Command::Playbook(args) => commands::playbook::run(args, io),
        Command::Serve(args) => commands::serve::run(args, io),
        Command::Users(args) => commands::users::run(args, io),
        Command::Studio(args) => commands::studio::run(args, io),
        // The protocol owns stdin and stdout.
        Command::Lsp => journey_lsp::run().map(|()| 0),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "journey", &mut script);
            io.print(&String::from_utf8_lossy(&script)).map(|()| 0)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(io.stderr, "error: {message}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that went away: `journey graph … | head -1`.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error() {
        let (mut stdout, mut stderr) = (Closed, Vec::new());
        let mut io = Io {
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: false,
        };
        let code = run(["journey", "graph", "--cards", "../../examples"], &mut io);
        assert_eq!(
            (code, String::from_utf8(stderr).unwrap()),
            (0, String::new())
        );
    }
}
