//! Embeds the playbook library (`playbooks/` at the repository root) in the crate, so
//! that an installed `journey` carries it (`journey playbook list` from any directory,
//! the studio's gallery).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let library = Path::new(&manifest).join("../../playbooks");
    println!("cargo::rerun-if-changed={}", library.display());
    let mut files = Vec::new();
    collect(&library, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The playbook library's files: the path below `playbooks/`, and the text.\n\
         pub(crate) static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for path in files {
        let relative = path
            .strip_prefix(&library)
            .expect("found below the library")
            .to_string_lossy()
            .replace('\\', "/");
        let absolute = std::fs::canonicalize(&path).expect("an existing file");
        out.push_str(&format!(
            "    ({relative:?}, include_str!({absolute:?})),\n"
        ));
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("playbooks.rs");
    std::fs::write(target, out).expect("write the embedded library");
}

/// The manifests, journeys and tests below `dir`.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "toml" || e == "journey" || e == "test")
        {
            out.push(path);
        }
    }
}
