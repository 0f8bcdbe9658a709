//! `docs/rules/` and `docs/functions.md` are generated from the code; these tests fail
//! when they are stale. Regenerate with `UPDATE_DOCS=1 cargo test -p journey-tests --test docs`.

use journey_tests::repo_root;

#[test]
fn rule_docs_are_current() {
    let dir = repo_root().join("docs/rules");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let pages = journey_check::docs::all_pages();
    if update {
        std::fs::create_dir_all(&dir).expect("create docs/rules");
        for entry in std::fs::read_dir(&dir).expect("read docs/rules") {
            let path = entry.expect("entry").path();
            let known = pages.iter().any(|(name, _)| path.ends_with(name));
            if !known {
                std::fs::remove_file(&path).expect("remove a stale page");
            }
        }
    }
    let mut stale = Vec::new();
    for (name, contents) in &pages {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, contents).expect("write a rule page");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            stale.push(name.clone());
        }
    }
    let extra: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !pages.iter().any(|(page, _)| page == name))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "docs/rules is stale (changed or missing: {stale:?}; no longer generated: {extra:?}); \
         run `UPDATE_DOCS=1 cargo test -p journey-tests --test docs`"
    );
}

#[test]
fn function_reference_is_current() {
    let path = repo_root().join("docs/functions.md");
    let expected = journey_model::builtins::reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/functions.md");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == expected,
        "docs/functions.md is stale; run `UPDATE_DOCS=1 cargo test -p journey-tests --test docs`"
    );
}
