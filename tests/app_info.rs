//! The `app_info` option: the caller's application named in the User-Agent
//! after libspread's own, checked before it can reach a header.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;

use common::{client, order, Sandbox};
use spread::{ErrorKind, Sent};

const LIBSPREAD: &str = concat!("libspread/", env!("CARGO_PKG_VERSION"));

fn user_agents(sb: &Sandbox) -> Vec<String> {
    sb.requests().iter().map(|r| r["user_agent"].as_str().unwrap_or("<none>").to_owned()).collect()
}

#[test]
fn app_info_is_appended_to_the_user_agent() {
    let sb = Sandbox::start();
    let mut c = client(&sb.base_url());
    assert!(matches!(c.send(&order("plain", 10)), Ok(Sent::Delivered(_))));
    c.set_app_info(Some("MyShop/2.1")).unwrap();
    assert!(matches!(c.send(&order("named", 10)), Ok(Sent::Delivered(_))));
    c.set_app_info(None).unwrap();
    assert!(matches!(c.send(&order("unnamed", 10)), Ok(Sent::Delivered(_))));
    assert_eq!(user_agents(&sb), [LIBSPREAD.to_owned(), format!("{LIBSPREAD} MyShop/2.1"), LIBSPREAD.to_owned()]);
}

#[test]
fn a_comment_with_spaces_is_kept_as_given() {
    let sb = Sandbox::start();
    let mut c = client(&sb.base_url());
    c.set_app_info(Some("MyShop/2.1 (+https://shop.example)")).unwrap();
    assert!(matches!(c.send(&order("commented", 10)), Ok(Sent::Delivered(_))));
    assert_eq!(user_agents(&sb), [format!("{LIBSPREAD} MyShop/2.1 (+https://shop.example)")]);
}

#[test]
fn bad_app_info_is_refused_naming_it_and_changes_nothing() {
    let sb = Sandbox::start();
    let mut c = client(&sb.base_url());
    c.set_app_info(Some("Kept/1")).unwrap();
    let long = "x".repeat(129);
    for bad in ["MyShop/2.1\r\nX-Evil: 1", "MyShop\n", "tab\there", "Café/1", " lead", "trail ", "nul\0", long.as_str()] {
        let e = c.set_app_info(Some(bad)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config, "{bad:?}");
        assert!(e.message.starts_with("app_info"), "{bad:?}: {}", e.message);
        assert!(!e.message.contains('\n') && !e.message.contains('\r'), "{bad:?}: {}", e.message);
    }
    assert!(matches!(c.send(&order("kept", 10)), Ok(Sent::Delivered(_))));
    assert_eq!(user_agents(&sb), [format!("{LIBSPREAD} Kept/1")]);
    c.set_app_info(Some(&"y".repeat(128))).unwrap();
}

/// `spread send` from a file of one seed-shaped order, with `extra` options and environment.
fn cli_send(sb: &Sandbox, id: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = common::temp_dir("app-info-cli");
    let line =
        format!(r#"{{"customer_email":"{id}@example.com","order_idorder":"{id}","order_state":10,"order_amount":12.5,"order_crea_dt":"2024-01-02 03:04:05"}}"#);
    let file = dir.join("in.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_spread"));
    c.args(["send", file.to_str().unwrap(), "--base-url", &sb.base_url()]).args(args);
    c.env("SPREAD_PUBLIC_KEY", common::PUBLIC_KEY).env("SPREAD_PRIVATE_KEY", common::PRIVATE_KEY);
    for var in ["SPREAD_BASE_URL", "SPREAD_SPOOL", "SPREAD_PROXY", "SPREAD_KEYS_FILE", "SPREAD_APP_INFO", "CREDENTIALS_DIRECTORY"] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c.stdin(std::process::Stdio::null()).output().unwrap()
}

#[test]
fn the_cli_takes_app_info_from_its_option_or_the_environment() {
    let sb = Sandbox::start();
    let out = cli_send(&sb, "cli-opt", &["--app-info", "ShopCron/3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli_send(&sb, "cli-env", &[], &[("SPREAD_APP_INFO", "ShopEnv/4")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli_send(&sb, "cli-none", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(user_agents(&sb), [format!("{LIBSPREAD} ShopCron/3"), format!("{LIBSPREAD} ShopEnv/4"), LIBSPREAD.to_owned()]);

    // A bad value is a configuration error (exit 3) naming app_info, and nothing is sent.
    let out = cli_send(&sb, "cli-bad", &["--app-info", "Bad\tShop"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("app_info"), "{stderr}");
    assert_eq!(sb.requests().len(), 3);
}
