//! The installation: this library (and `SPREAD_LIBRARY`), and the keys.

use std::path::Path;

use super::report::Report;
use crate::setup;

pub fn library(r: &mut Report) {
    let abi = spread::ffi::spread_abi_version();
    r.ok("library", format!("libspread {} (C ABI {abi})", spread::VERSION));
    if let Some(lib) = std::env::var_os("SPREAD_LIBRARY").filter(|v| !v.is_empty()) {
        let path = Path::new(&lib);
        if !path.is_file() {
            r.problem("library", format!("SPREAD_LIBRARY={} does not exist", path.display()), "point SPREAD_LIBRARY at libspread.so, or unset it");
        }
    }
}

pub fn keys(r: &mut Report, keys_file: Option<&Path>) {
    match setup::load_secrets(keys_file) {
        Err(fail) => r.problem("keys", fail.message.clone(), "see the message; the keys file must be 0600 (or 0640), owned by you or root"),
        Ok(secrets) => {
            let from = match keys_file {
                Some(f) => format!("keys file {}", f.display()),
                None if std::env::var_os("CREDENTIALS_DIRECTORY").is_some() => "systemd credentials or the environment".to_owned(),
                None => "the environment".to_owned(),
            };
            match (secrets.key("SPREAD_PUBLIC_KEY"), secrets.key("SPREAD_PRIVATE_KEY")) {
                (Ok(_), Ok(_)) => r.ok("keys", format!("both keys set, from {from}")),
                _ => r.warn(
                    "keys",
                    format!("SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY are not both set here ({from})"),
                    "give the keys file: spread doctor --keys-file /etc/spread/keys (the service gets them through LoadCredential=)",
                ),
            }
        }
    }
}
