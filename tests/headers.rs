//! The committed headers must be what cbindgen makes of src/ffi today.
//! Regenerate with `make headers` (SPREAD_BLESS=1 cargo test --test headers).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The version macros: the crate version (Cargo.toml) and the ABI version (src/ffi).
fn version_macros() -> String {
    format!(
        "#define SPREAD_VERSION \"{}\"\n#define SPREAD_VERSION_MAJOR {}\n#define SPREAD_VERSION_MINOR {}\n#define SPREAD_VERSION_PATCH {}\n#define SPREAD_ABI_VERSION {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        spread::ffi::ABI_VERSION
    )
}

fn generate(config: &str) -> String {
    let mut config = cbindgen::Config::from_file(root().join(config)).expect("cbindgen config");
    // The version macros first, then the config's own (spread.h's SPREAD_API and SPREAD_WARN_UNUSED_RESULT).
    config.after_includes = Some(version_macros() + config.after_includes.as_deref().unwrap_or_default());
    let mut out = Vec::new();
    cbindgen::Builder::new().with_crate(root()).with_config(config).generate().expect("cbindgen runs on src/").write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

/// The PHP header: cbindgen's output with the scope and library defines that
/// `FFI::load` reads. FFI_LIB is a bare file name, resolved by the dynamic
/// loader; the PHP binding rewrites it to an absolute path when it loads.
fn php_header() -> String {
    let body = generate("cbindgen-ffi.toml");
    let mut out = String::from("#define FFI_SCOPE \"SPREAD\"\n#define FFI_LIB \"libspread.so\"\n");
    out.push_str(body.trim_end());
    out.push('\n');
    out
}

fn check(path: &Path, want: &str) {
    if std::env::var_os("SPREAD_BLESS").is_some() {
        std::fs::write(path, want).expect("write header");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "{} is stale: run `make headers` and commit the result", path.display());
}

#[test]
fn c_header_is_current() {
    check(&root().join("include/spread.h"), &generate("cbindgen.toml"));
}

#[test]
fn php_header_is_current_and_parsable_by_php_ffi() {
    let header = php_header();
    // What PHP's FFI parser was measured to refuse (tests/fixtures/php-ffi-parser.txt).
    for refused in ["#include", "#if", "#endif", "extern \"C\"", "//", "__attribute__"] {
        assert!(!header.contains(refused), "PHP FFI refuses {refused:?}");
    }
    assert!(header.ends_with('\n'));
    check(&root().join("include/spread_ffi.h"), &header);
}

#[test]
fn every_scalar_field_has_a_c_setter() {
    let header = generate("cbindgen.toml");
    for field in spread::fields::SCALAR_FIELDS {
        let name = format!("spread_order_set_{}(", field.name);
        assert!(header.contains(&name), "include/spread.h lacks {name}");
    }
}

/// The option table and the typed C setters agree both ways: each option has
/// `spread_client_set_<name>`, and each such setter is an option (or the
/// logger's, which is no option: a callback has no text form).
#[test]
fn every_option_has_a_c_setter_and_every_setter_is_an_option() {
    let header = generate("cbindgen.toml");
    let options: Vec<&str> = spread::send::options::OPTIONS.iter().map(|o| o.name).collect();
    for name in &options {
        assert!(header.contains(&format!("spread_client_set_{name}(")), "include/spread.h lacks spread_client_set_{name}");
    }
    let not_options = ["logger", "log_queue", "option"];
    for setter in header.split("spread_client_set_").skip(1) {
        let name: String = setter.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !setter[name.len()..].starts_with('(') {
            continue; // named in a comment
        }
        let name = name.as_str();
        assert!(options.contains(&name) || not_options.contains(&name), "spread_client_set_{name} is not in the option table");
    }
}
