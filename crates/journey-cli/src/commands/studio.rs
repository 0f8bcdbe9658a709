//! `journey studio [PROJECT]`: the no-code builder in the browser, served by
//! journey-studio from this process on a loopback address, with a session token in the
//! printed address. A project that does not exist yet is created with `journey new`'s
//! starter first.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    /// The project's directory (with a journey.toml). A directory that does not exist
    /// is created with `journey new`'s starter journey. Default: the current directory.
    project: Option<PathBuf>,
    /// The address to listen on: loopback by default, so only this machine reaches
    /// it (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Open the studio in the web browser.
    #[arg(long)]
    open: bool,
    /// The playbook library of the gallery, a directory (default: `$JOURNEY_PLAYBOOKS`,
    /// else the library built into `journey`).
    #[arg(long)]
    playbooks: Option<PathBuf>,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let Some(root) = project(args.project.as_deref(), io)? else {
        return Ok(2);
    };
    let library = super::playbook::entries(args.playbooks.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot tell the address listened on: {e}"))?;
    let studio = journey_studio::Studio::open(&root, addr, library)?;
    if !addr.ip().is_loopback() {
        io.warn(&format!(
            "listening on {addr}, which other machines may reach: anyone with the address and its token can edit `{}`",
            root.display()
        ))?;
    }
    if !journey_studio::ui_built() {
        io.warn("this `journey` was built without the studio's web interface: the page says how to build it")?;
    }
    let url = format!("http://{addr}/?token={}", studio.token());
    io.print(&format!(
        "journey studio: {} on {url}\n(Ctrl-C stops it)\n",
        studio.root().display()
    ))?;
    io.stdout
        .flush()
        .map_err(|e| format!("cannot write the output: {e}"))?;
    if args.open {
        open_browser(&url, io)?;
    }
    runtime.block_on(journey_studio::serve(
        studio,
        listener,
        super::serve::shutdown_signal(),
    ))?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(0)
}

/// The project's root: as given, created when it does not exist; with none given, the
/// current directory when it has a journey.toml, else one the user names (asked on a
/// terminal). `None`: nothing to open (said why).
fn project(given: Option<&Path>, io: &mut Io<'_>) -> Result<Option<PathBuf>, String> {
    if let Some(dir) = given {
        if !dir.exists() {
            io.print(&format!(
                "`{}` does not exist: creating a project there with the starter journey\n",
                dir.display()
            ))?;
            super::new::create(dir, io)?;
        } else if !dir.join("journey.toml").is_file() {
            return Err(format!(
                "`{}` has no journey.toml: give a project's directory, or a new directory's name to create one",
                dir.display()
            ));
        }
        return Ok(Some(dir.to_path_buf()));
    }
    if Path::new("journey.toml").is_file() {
        return Ok(Some(PathBuf::from(".")));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        io.eprint(
            "error: there is no journey.toml here. Open a project with `journey studio DIR`, \
             or create one with `journey studio NEW-DIR` (it starts from `journey new`'s starter).\n",
        )?;
        return Ok(None);
    }
    io.print(
        "There is no journey.toml here. Name a new folder to create a project in \
         (with `journey new`'s starter journey), or press Enter to stop: ",
    )?;
    io.stdout
        .flush()
        .map_err(|e| format!("cannot write the output: {e}"))?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    let answer = answer.trim();
    if answer.is_empty() {
        return Ok(None);
    }
    let dir = PathBuf::from(answer);
    super::new::create(&dir, io)?;
    Ok(Some(dir))
}

/// The system's way to open an address in the browser.
fn open_browser(url: &str, io: &mut Io<'_>) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => Ok(()),
        Err(e) => io.warn(&format!(
            "could not open the browser ({opener}: {e}); open the address above yourself"
        )),
    }
}
