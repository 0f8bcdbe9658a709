//! A project on disk, for the front ends (the CLI, the server, the studio, the editor
//! support): which directories a project's files are looked for in, and replacing a file
//! so that a reader (an editor, `git`, another process) never sees it half-written. The
//! language crates do no I/O; this is the one place their front ends share for it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A project's settings file; its directory is the project's root.
pub const CONFIG_FILE: &str = "journey.toml";

/// Whether [`walk`] goes into directories that have a `journey.toml` of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nested {
    /// They are projects of their own: left out (a project's files, its checks).
    Skip,
    /// Every journey below a path, whatever project it belongs to (`journey check DIR`).
    Include,
}

/// Every entry below `root` (itself first), sorted by name, without hidden directories,
/// build output and dependencies, which hold no journeys, and, with [`Nested::Skip`],
/// without nested projects.
pub fn walk(
    root: &Path,
    nested: Nested,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |entry| {
            entry.depth() == 0
                || !(is_skipped_dir(entry)
                    || (nested == Nested::Skip
                        && entry.file_type().is_dir()
                        && entry.path().join(CONFIG_FILE).is_file()))
        })
}

/// Hidden directories (`.git`), build output (`target`) and `node_modules`.
fn is_skipped_dir(entry: &walkdir::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    entry.file_type().is_dir()
        && (name.starts_with('.') || name == "target" || name == "node_modules")
}

/// Writes `bytes` to `path` through a temporary file beside it, flushed to disk and then
/// renamed over it: a reader sees the old file or the new one, never a part, and a
/// crash leaves the old one. An existing file keeps its permissions.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        if let Ok(metadata) = std::fs::metadata(path) {
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// `dir/.name.journey-tmp-PID`: hidden (the walk and watchers skip it), in the same
/// directory (a rename within one file system is atomic), one per process.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.journey-tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_leaves_out_hidden_build_and_nested_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "journey.toml",
            "a.journey",
            "sub/b.journey",
            ".git/c.journey",
            "target/d.journey",
            "node_modules/e.journey",
            "other/journey.toml",
            "other/f.journey",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let files = |nested| {
            walk(root, nested)
                .map(Result::unwrap)
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    e.path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/")
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            files(Nested::Skip),
            ["a.journey", "journey.toml", "sub/b.journey"]
        );
        assert_eq!(
            files(Nested::Include),
            [
                "a.journey",
                "journey.toml",
                "other/f.journey",
                "other/journey.toml",
                "sub/b.journey"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn replacing_keeps_the_permissions_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.journey");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.journey"]);
        // A new file is created; a directory that does not exist is an error, not a panic.
        replace(&dir.path().join("b.journey"), b"b").unwrap();
        assert!(replace(&dir.path().join("missing/c.journey"), b"c").is_err());
    }
}
