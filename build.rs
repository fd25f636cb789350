//! Link settings Cargo.toml cannot express.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // ELF platforms: programs linked against libspread.so record this SONAME,
    // not the file name, so they keep working across compatible upgrades.
    // Within a major version the ABI only grows (functions and status numbers
    // are added, never changed or removed: include/spread.h says so), hence one
    // name per major; `make install` creates the matching symlinks.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    if family == "unix" && !matches!(os.as_str(), "macos" | "ios" | "tvos" | "watchos" | "visionos") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libspread.so.{major}");
    }
}
