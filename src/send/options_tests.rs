use super::*;
use crate::error::ErrorKind;
use crate::send::transport::TlsRoots;

/// Each default in the table is what a fresh `Settings` holds.
#[test]
fn the_defaults_are_the_settings_defaults() {
    let d = Settings::default();
    let ms = |t: Duration| t.as_millis().to_string();
    let shown = |name: &str| -> String {
        match name {
            "base_url" => d.base_url.to_string().trim_end_matches('/').to_owned(),
            "allow_insecure_http" => d.allow_insecure_http.to_string(),
            "timeout_ms" => ms(d.timeout),
            "connect_timeout_ms" => ms(d.connect_timeout),
            "max_attempts" => d.max_attempts.to_string(),
            "tls_roots" => (if d.roots == TlsRoots::System { "system" } else { "?" }).to_owned(),
            "ca_file" => d.ca_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            "proxy" => d.proxy.clone().unwrap_or_default(),
            "app_info" => d.app_info.clone().unwrap_or_default(),
            "spool_dir" => String::new(),
            "flush_budget_ms" => ms(d.flush_budget),
            "shutdown_timeout_ms" => ms(d.shutdown_timeout),
            "delivery_concurrency" => d.delivery_concurrency.to_string(),
            other => panic!("{other}: an option this test does not know"),
        }
    };
    for o in OPTIONS {
        assert_eq!(o.default, shown(o.name), "{}", o.name);
    }
    let mut names: Vec<_> = OPTIONS.iter().map(|o| o.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), OPTIONS.len(), "a name twice");
}

/// Setting every option to its default text is accepted (spool_dir aside: none is not a folder).
#[test]
fn every_default_can_be_set_back() {
    let mut s = Settings::default();
    for o in OPTIONS.iter().filter(|o| o.name != "spool_dir") {
        s.set(o.name, o.default).unwrap_or_else(|e| panic!("{}: {e}", o.name));
    }
    s.check().unwrap();
}

#[test]
fn a_bad_value_names_its_option_and_changes_nothing() {
    let mut s = Settings::default();
    for (name, value, says) in [
        ("timeout_ms", "abc", "timeout_ms: \"abc\" is not a whole number"),
        ("timeout_ms", "+5", "timeout_ms: \"+5\" is not a whole number"),
        ("timeout_ms", "0", "timeout: must be more than 0"),
        ("max_attempts", "4294967296", "max_attempts: 4294967296 is out of range"),
        ("allow_insecure_http", "yes", "allow_insecure_http: \"yes\" is not true or false"),
        ("delivery_concurrency", "33", "delivery_concurrency: 33 is out of range"),
        ("base_url", "ftp://example.com/api", "base_url: scheme \"ftp\""),
        ("nope\n", "1", "nope?: unknown option; the options are base_url, allow_insecure_http"),
    ] {
        let e = s.set(name, value).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.starts_with(says), "{name}={value}: {e}");
    }
    assert_eq!(format!("{s:?}"), format!("{:?}", Settings::default()));
}

/// Plain http before or after the opt-in: the same settings, and the rule
/// is checked when both are known.
#[test]
fn plain_http_and_its_opt_in_in_either_order() {
    for order in [["base_url", "allow_insecure_http"], ["allow_insecure_http", "base_url"]] {
        let mut s = Settings::default();
        for name in order {
            s.set(name, if name == "base_url" { "http://spread.example/api" } else { "true" }).unwrap();
        }
        s.check().unwrap();
    }
    let mut s = Settings::default();
    s.set("base_url", "http://spread.example/api").unwrap();
    let e = s.check().unwrap_err();
    assert!(e.message.starts_with("base_url: plain http to spread.example") && e.message.contains("allow_insecure_http"), "{e}");
    s.set("base_url", "http://127.0.0.1:9/api").unwrap();
    s.check().unwrap();
}

#[test]
fn ca_file_and_other_tls_roots_are_refused_together() {
    let dir = std::env::temp_dir().join(format!("spread-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("ca.pem");
    let cert = rcgen::generate_simple_self_signed(vec!["spread.test".to_owned()]).unwrap().cert;
    std::fs::write(&pem, cert.pem()).unwrap();
    let pem = pem.to_str().unwrap();
    let mut s = Settings::default();
    s.set("ca_file", pem).unwrap();
    s.check().unwrap(); // with tls_roots "system", the default
    s.set("tls_roots", pem).unwrap();
    s.check().unwrap(); // the same file twice
    s.set("tls_roots", "bundled").unwrap();
    let e = s.check().unwrap_err();
    assert!(e.message.starts_with("ca_file: ") && e.message.contains("tls_roots bundled"), "{e}");
    s.set("ca_file", "").unwrap();
    s.check().unwrap();
    assert_eq!(s.trust(), TlsRoots::Bundled);
    std::fs::remove_dir_all(&dir).unwrap();
}
