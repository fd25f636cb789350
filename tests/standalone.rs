//! The repository stands alone: no file of it (code, test, script, bench, doc)
//! points at a path outside the checkout, so that a plain `git clone` passes
//! `make test`. What the tests need lives in `tests/fixtures/` (see its README).
//!
//! Checked: every file git tracks, and every new file it does not ignore (so a
//! reference is caught before it is committed); outside a git checkout, every
//! file below the root but build output.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What an outside reference looks like: the folder of measured references
/// that sat beside the repository while it was written, absolute paths of a
/// development machine, and code that climbs above the repository's root.
/// (Written in two halves so that a plain grep for them does not find this list.)
const OUTSIDE: &[&str] = &[
    concat!("..", "/shared"),
    concat!("shared", "/reference"),
    concat!("shared", "/seed"),
    "/work/",
    "REPO_ROOT.parent",
    "dirname(Php::repo())",
    "repo().join(\"..",
];

/// This file names the patterns it looks for.
const ITSELF: &str = "tests/standalone.rs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's files, relative to the root.
fn files(root: &Path) -> Vec<String> {
    let git = Command::new("git").args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).current_dir(root).output();
    match git {
        Ok(out) if out.status.success() => {
            String::from_utf8(out.stdout).expect("UTF-8 file names").split('\0').filter(|name| !name.is_empty()).map(str::to_owned).collect()
        }
        _ => {
            let mut found = Vec::new();
            walk(root, root, &mut found);
            found
        }
    }
}

/// Every file below `dir`, minus hidden folders and build output (an unpacked
/// source archive has no git to ask).
fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            if !name.starts_with('.') && !["target", "build", "dist", "vendor", "__pycache__"].contains(&name.as_str()) {
                walk(root, &path, found);
            }
        } else {
            found.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// `file:line: text` for every line of `files` that points outside the repository.
fn outside_references(root: &Path, files: &[String]) -> Vec<(String, String)> {
    let mut hits = Vec::new();
    for name in files.iter().filter(|name| name.as_str() != ITSELF) {
        let Ok(bytes) = std::fs::read(root.join(name)) else { continue }; // deleted, not yet committed
        if bytes.contains(&0) {
            continue; // binary
        }
        for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            if OUTSIDE.iter().any(|needle| line.contains(needle)) {
                hits.push((name.clone(), format!("{name}:{}: {}", i + 1, line.trim())));
            }
        }
    }
    hits
}

#[test]
fn no_file_points_outside_the_repository() {
    let root = root();
    let files = files(&root);
    assert!(files.iter().any(|f| f == "Cargo.toml"), "listed no file of the repository: {files:?}");
    let hits = outside_references(&root, &files);

    let bad: Vec<&str> = hits.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        bad.is_empty(),
        "files point outside the repository (a clone has nothing beside it); copy what is needed \
         into tests/fixtures/ with how it was measured, or state the fact:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_sees_a_new_outside_reference() {
    let root = root();
    let dir = root.join("target").join(format!("standalone-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, needle) in OUTSIDE.iter().enumerate() {
        std::fs::write(dir.join(format!("{i}.txt")), format!("clean line\nreads {needle}/x\n")).unwrap();
    }
    let names: Vec<String> = (0..OUTSIDE.len()).map(|i| format!("{i}.txt")).collect();
    let hits = outside_references(&dir, &names);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(hits.len(), OUTSIDE.len(), "{hits:?}");
    assert!(hits.iter().all(|(_, text)| text.contains(":2: reads ")), "{hits:?}");
}

/// A symlink in the repository must lead inside it: a link to a build or a virtualenv
/// beside the checkout (a developer's `target` or `.venv`) dangles in a clone, and cargo
/// or pytest then fails on a fresh machine.
fn links_leading_outside(root: &Path, files: &[String]) -> Vec<String> {
    let canonical_root = root.canonicalize().expect("the repository exists");
    files
        .iter()
        .filter(|f| std::fs::symlink_metadata(root.join(f)).is_ok_and(|m| m.file_type().is_symlink()))
        .filter(|f| {
            let target = std::fs::read_link(root.join(f)).expect("a link");
            let resolved = root.join(f).parent().unwrap().join(&target);
            target.is_absolute() || !resolved.canonicalize().is_ok_and(|p| p.starts_with(&canonical_root))
        })
        .cloned()
        .collect()
}

#[test]
fn no_link_leads_outside_the_repository() {
    let root = root();
    let bad = links_leading_outside(&root, &files(&root));
    assert!(bad.is_empty(), "symlinks that lead outside the repository (they dangle in a clone): {bad:?}");
}

#[test]
fn the_link_check_sees_a_link_outside() {
    let root = root();
    let dir = root.join("target").join(format!("standalone-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink("/work/elsewhere", dir.join("out")).unwrap();
    std::os::unix::fs::symlink("inside.txt", dir.join("in")).unwrap();
    std::fs::write(dir.join("inside.txt"), "x").unwrap();
    let names = ["out".to_owned(), "in".to_owned(), "inside.txt".to_owned()];
    let bad = links_leading_outside(&dir, &names);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(bad, ["out"]);
}
