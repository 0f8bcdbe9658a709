//! The project on disk: which files the studio tracks, their versions, the one analysis
//! host that holds their text, writes confined to the project, and the undo stack.
//!
//! Names in the host are project-relative paths with `/` (`main.journey`,
//! `functions/dates.rhai`), the same names the API uses.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use journey_analysis::{AnalysisHost, FileKind};
use sha2::{Digest, Sha256};

pub(crate) use journey_files::CONFIG_FILE;
pub(crate) const LAYOUT_FILE: &str = "journey.layout.json";

/// A file's version: the first 16 bytes of the SHA-256 of its bytes, in hex.
pub(crate) fn version(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the API says about a path it cannot use (400).
#[derive(Debug)]
pub(crate) struct BadPath(pub String);

/// An edit based on text that has changed since (409).
#[derive(Debug)]
pub(crate) struct Stale {
    pub path: String,
    /// The file's version now; `None` when it does not exist.
    pub version: Option<String>,
    pub message: String,
}

/// Why a write did not happen.
#[derive(Debug)]
pub(crate) enum WriteError {
    Stale(Stale),
    /// The disk refused it (500).
    Io(String),
}

impl From<Stale> for WriteError {
    fn from(stale: Stale) -> Self {
        WriteError::Stale(stale)
    }
}

/// When a file was last seen changed: its modification time and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

struct Tracked {
    version: String,
    stamp: Stamp,
}

/// One file before and after a change (`None`: it does not exist).
#[derive(Clone, Debug)]
pub(crate) struct FileChange {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Files changed together: one entry of the undo stack.
#[derive(Clone, Debug, Default)]
pub(crate) struct Revision {
    pub files: Vec<FileChange>,
}

impl Revision {
    /// The same files, the other way round.
    fn inverse(&self) -> Revision {
        Revision {
            files: self
                .files
                .iter()
                .map(|f| FileChange {
                    path: f.path.clone(),
                    before: f.after.clone(),
                    after: f.before.clone(),
                })
                .collect(),
        }
    }
}

pub(crate) struct Workspace {
    /// Canonical: every path the studio touches resolves below it.
    root: PathBuf,
    host: AnalysisHost,
    files: BTreeMap<String, Tracked>,
    undo: Vec<Revision>,
    redo: Vec<Revision>,
}

impl Workspace {
    /// Reads the project at `root` (a directory).
    pub(crate) fn open(root: &Path) -> Result<Workspace, String> {
        let root = std::fs::canonicalize(root)
            .map_err(|e| format!("cannot open `{}`: {e}", root.display()))?;
        if !root.is_dir() {
            return Err(format!("`{}` is not a directory", root.display()));
        }
        let mut workspace = Workspace {
            root,
            host: AnalysisHost::new(),
            files: BTreeMap::new(),
            undo: Vec::new(),
            redo: Vec::new(),
        };
        workspace.refresh();
        Ok(workspace)
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn host(&self) -> &AnalysisHost {
        &self.host
    }

    /// Tracked files with their versions, in path order.
    pub(crate) fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .map(|(path, t)| (path.as_str(), t.version.as_str()))
    }

    pub(crate) fn version_of(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|t| t.version.as_str())
    }

    pub(crate) fn text(&self, path: &str) -> Option<&str> {
        self.files
            .contains_key(path)
            .then(|| self.host.analysis().file_text(path))
            .flatten()
    }

    /// Checks a path the API was given and gives where it is on disk. The file need not
    /// exist; what exists of it must resolve (symbolic links followed) inside the project.
    pub(crate) fn resolve(&self, path: &str) -> Result<PathBuf, BadPath> {
        let bad = |why: &str| BadPath(format!("`{path}` {why}"));
        if path.is_empty() {
            return Err(BadPath("a file path is needed".to_owned()));
        }
        if path.contains(['\\', '\0']) {
            return Err(bad(
                "is not a project path: write it with `/` and no special characters",
            ));
        }
        let relative = Path::new(path);
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
            || path.split('/').any(|part| part.is_empty() || part == ".")
        {
            return Err(bad(
                "is not inside the project: give a path relative to the project folder, without `..`",
            ));
        }
        let full = self.root.join(relative);
        // The deepest part of the path that exists, resolved, must stay in the project.
        let existing = full
            .ancestors()
            .find(|p| std::fs::symlink_metadata(p).is_ok())
            .unwrap_or(&self.root);
        let resolved = std::fs::canonicalize(existing)
            .map_err(|_| bad("leads to a link that points nowhere"))?;
        if !resolved.starts_with(&self.root) {
            return Err(bad("leads outside the project (through a symbolic link)"));
        }
        Ok(full)
    }

    /// Checks that the studio works on this kind of file.
    pub(crate) fn trackable(&self, path: &str) -> Result<(), BadPath> {
        if is_tracked_name(path) {
            Ok(())
        } else {
            Err(BadPath(format!(
                "`{path}` is not a file the studio edits: journeys (.journey), Turn notebooks (.md), tests (.test), journey.toml and functions/*.rhai"
            )))
        }
    }

    /// Reads the disk again: files added, changed or removed since the last look
    /// (studio writes are not reported again). Returns the changed paths.
    pub(crate) fn refresh(&mut self) -> Vec<String> {
        let found = scan(&self.root);
        let mut changed = Vec::new();
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|p| !found.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            self.files.remove(&path);
            self.host.remove_file(&path);
            changed.push(path);
        }
        for (path, stamp) in found {
            if self.files.get(&path).is_some_and(|t| t.stamp == stamp) {
                continue;
            }
            // Unreadable or not UTF-8: left out until it can be read.
            let Some(text) = std::fs::read(self.root.join(&path))
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            else {
                continue;
            };
            let version = version(&text);
            let same = self.files.get(&path).is_some_and(|t| t.version == version);
            self.files.insert(path.clone(), Tracked { version, stamp });
            if !same {
                self.host.set_file_text(&path, text);
                changed.push(path);
            }
        }
        changed
    }

    /// Writes files, each only if it is still at the version given (`None`: it must not
    /// exist), and records the change for undo.
    pub(crate) fn apply(
        &mut self,
        writes: Vec<(String, Option<String>, Option<String>)>,
    ) -> Result<Revision, WriteError> {
        for (path, base, _) in &writes {
            self.expect(path, base.as_deref())?;
        }
        let revision = Revision {
            files: writes
                .into_iter()
                .map(|(path, _, after)| FileChange {
                    before: self.text(&path).map(str::to_owned),
                    path,
                    after,
                })
                .filter(|f| f.before != f.after)
                .collect(),
        };
        self.write(&revision)?;
        if !revision.files.is_empty() {
            self.undo.push(revision.clone());
            self.redo.clear();
        }
        Ok(revision)
    }

    /// Undoes the last change, if its files are as it left them.
    pub(crate) fn undo(&mut self) -> Result<Revision, WriteError> {
        let Some(last) = self.undo.last() else {
            return Err(nothing("undo"));
        };
        let inverse = last.inverse();
        self.replay(&inverse)?;
        let done = self.undo.pop().expect("checked above");
        self.redo.push(done);
        Ok(inverse)
    }

    /// Does again the last change undone, if its files are as the undo left them.
    pub(crate) fn redo(&mut self) -> Result<Revision, WriteError> {
        let Some(last) = self.redo.last().cloned() else {
            return Err(nothing("redo"));
        };
        self.replay(&last)?;
        let done = self.redo.pop().expect("checked above");
        self.undo.push(done);
        Ok(last)
    }

    fn replay(&mut self, revision: &Revision) -> Result<(), WriteError> {
        for file in &revision.files {
            let now = self.text(&file.path).map(version);
            if now != file.before.as_deref().map(version) {
                return Err(WriteError::Stale(Stale {
                    path: file.path.clone(),
                    version: now,
                    message: format!(
                        "`{}` has changed since (in another editor or on disk), so this cannot be undone or redone without losing that change",
                        file.path
                    ),
                }));
            }
        }
        self.write(revision)
    }

    /// Is `path` at version `base` (`None`: absent)?
    pub(crate) fn expect(&self, path: &str, base: Option<&str>) -> Result<(), Stale> {
        let now = self.version_of(path);
        if now == base {
            return Ok(());
        }
        let message = match (base, now) {
            (None, Some(_)) => format!("`{path}` already exists: open it to change it"),
            (Some(_), None) => format!("`{path}` no longer exists: it was removed or renamed"),
            _ => format!(
                "`{path}` has changed since you opened it (in another editor or on disk); your edit was not saved. Look at the new text and make the edit again."
            ),
        };
        Err(Stale {
            path: path.to_owned(),
            version: now.map(str::to_owned),
            message,
        })
    }

    /// Puts each file of the revision in its `after` state, on disk and in the host.
    fn write(&mut self, revision: &Revision) -> Result<(), WriteError> {
        for file in &revision.files {
            let full = self
                .resolve(&file.path)
                .map_err(|BadPath(message)| WriteError::Io(message))?;
            let io =
                |e: std::io::Error| WriteError::Io(format!("cannot write `{}`: {e}", file.path));
            match &file.after {
                Some(text) => {
                    if let Some(parent) = full.parent() {
                        std::fs::create_dir_all(parent).map_err(io)?;
                    }
                    journey_files::replace(&full, text.as_bytes()).map_err(io)?;
                    let stamp = stamp_of(&full).ok_or_else(|| {
                        WriteError::Io(format!("`{}` vanished as it was written", file.path))
                    })?;
                    self.files.insert(
                        file.path.clone(),
                        Tracked {
                            version: version(text),
                            stamp,
                        },
                    );
                    self.host.set_file_text(&file.path, text.clone());
                }
                None => {
                    match std::fs::remove_file(&full) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                        _ => {}
                    }
                    self.files.remove(&file.path);
                    self.host.remove_file(&file.path);
                }
            }
        }
        Ok(())
    }
}

fn nothing(what: &str) -> WriteError {
    WriteError::Stale(Stale {
        path: String::new(),
        version: None,
        message: format!("there is nothing to {what}"),
    })
}

fn stamp_of(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

/// Is this a kind of file the studio tracks (by name; where it is decides the rest)?
pub(crate) fn is_tracked_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match FileKind::of(path) {
        FileKind::Config => path == CONFIG_FILE,
        FileKind::Helpers => path
            .strip_prefix("functions/")
            .is_some_and(|rest| !rest.contains('/')),
        FileKind::Notebook => !name.eq_ignore_ascii_case("README.md"),
        FileKind::Journey | FileKind::Test => true,
        FileKind::Other => false,
    }
}

/// The tracked files below `root` and their stamps: hidden directories, build output
/// and nested projects left out.
fn scan(root: &Path) -> BTreeMap<String, Stamp> {
    let mut found = BTreeMap::new();
    for entry in journey_files::walk(root, journey_files::Nested::Skip).filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let path = relative.to_string_lossy().replace('\\', "/");
        if is_tracked_name(&path)
            && let Some(stamp) = stamp_of(entry.path())
        {
            found.insert(path, stamp);
        }
    }
    found
}
