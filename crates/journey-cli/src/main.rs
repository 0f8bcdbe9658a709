use std::io::IsTerminal;
use std::process::ExitCode;

// The AST and the graph are many small allocations; mimalloc makes parsing and
// lowering about a third faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Unlocked handles lock per write: holding a lock for the whole process would
    // deadlock any other thread that logs (journey serve's workers do).
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let terminal = std::io::stdout().is_terminal();
    let mut io = journey_cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
        terminal,
    };
    ExitCode::from(journey_cli::run(std::env::args_os(), &mut io))
}
