//! `journey new DIR`: a project with `journey.toml` and a commented starter journey.

use std::path::{Path, PathBuf};

use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    /// The directory to create (it must not exist, or be empty).
    dir: PathBuf,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    let dir = &args.dir;
    create(dir, io)?;
    io.print(&format!(
        "\nNext: `journey check {0}`, `journey test {0}`, then chat with it: \
         `journey run {0} --contact name=Thandi`\n",
        dir.display()
    ))?;
    Ok(0)
}

/// Writes the starter project into `dir` (which must not exist, or be empty), saying
/// each file it created.
pub(crate) fn create(dir: &Path, io: &mut Io<'_>) -> Result<(), String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(format!(
                "`{}` already exists and is not empty; choose a new directory",
                dir.display()
            ));
        }
    }
    let name = dir.file_name().map_or_else(
        || "journeys".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    for (relative, contents) in journey_project::scaffold(&name) {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        io.print(&format!("created {}\n", path.display()))?;
    }
    Ok(())
}
