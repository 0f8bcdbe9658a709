//! Embeds the built UI (`web/dist/`: the studio's page and the console's) in the
//! library, so the `journey` binary serves it with nothing installed beside it. An empty
//! `dist/` embeds nothing, and each page is replaced by one saying the UI is not built.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest).join("web/dist");
    println!("cargo::rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The built UI's files: the path below `web/dist/`, and the bytes.\n\
         pub(crate) static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for path in files {
        let relative = path
            .strip_prefix(&dist)
            .expect("found below dist")
            .to_string_lossy()
            .replace('\\', "/");
        let absolute = std::fs::canonicalize(&path).expect("an existing file");
        out.push_str(&format!(
            "    ({relative:?}, include_bytes!({absolute:?})),\n"
        ));
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(target, out).expect("write the embedded assets");
}

/// Every file below `dir` but dotfiles (`.gitkeep`), each directory watched for changes.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    println!("cargo::rerun-if-changed={}", dir.display());
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
