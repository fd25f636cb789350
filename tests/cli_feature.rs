//! The `spread` command's crates (clap, indicatif) stay out of the library's
//! build: every source install of the Python wheel compiles the library with
//! setup.py's cargo command, which enables no feature, so they must come only
//! with the `cli` feature.

use std::path::Path;
use std::process::Command;

const CLI_CRATES: [&str; 2] = ["clap", "indicatif"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The crates a normal (not dev, not build) dependency of the library pulls in, with `features`.
fn normal_dependencies(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(features)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

#[test]
fn the_library_alone_does_not_compile_the_cli_crates() {
    let setup = std::fs::read_to_string(repo().join("bindings/python/setup.py")).unwrap();
    let build = setup.lines().find(|l| l.contains("\"build\", \"--release\"")).expect("setup.py's cargo build command");
    assert!(!build.contains("--features") && !build.contains("--all-features"), "the wheel's build enables features: {build}");

    let lib = normal_dependencies(&[]);
    assert!(lib.iter().any(|c| c == "ureq"), "{lib:?}");
    for name in CLI_CRATES {
        assert!(!lib.iter().any(|c| c == name), "the library's build compiles {name}: {lib:?}");
    }
    // The same query sees them once the command is built (so the check above can fail).
    let cli = normal_dependencies(&["--features", "cli"]);
    for name in CLI_CRATES {
        assert!(cli.iter().any(|c| c == name), "--features cli lacks {name}: {cli:?}");
    }
}

/// A test that runs the command says, when built without it, what to pass
/// (instead of rustc saying that the binary's path variable is not defined).
#[test]
fn every_test_of_the_command_asks_for_the_cli_feature() {
    let gate = "#[cfg(not(feature = \"cli\"))]\ncompile_error!(";
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if path.extension().is_some_and(|e| e == "rs") && text.contains(concat!("CARGO_BIN_", "EXE_spread")) && !text.contains(gate) {
            missing.push(path.display().to_string());
        }
    }
    assert!(missing.is_empty(), "add the `cli` feature's compile_error! gate (see tests/cli.rs) to {missing:?}");
}
