use std::io::IsTerminal;
use std::process::ExitCode;

// The AST and the graph are many small allocations; mimalloc makes parsing and
// lowering about a third faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let terminal = std::io::stdout().is_terminal();
    let mut io = journey_cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
        terminal,
    };
    ExitCode::from(journey_cli::run(std::env::args_os(), &mut io))
}
