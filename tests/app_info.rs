//! The `app_info` option: the caller's application named in the User-Agent
//! after libspread's own, checked before it can reach a header.

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
