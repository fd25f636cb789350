//! The API keys (and a proxy URL, which may hold a password) as the `spread`
//! command and the bindings' `from_env` read them: a keys file first, then
//! systemd credentials, then the environment. One reader for all of them, so
//! the private key of a keys file never leaves the library (no binding reads
//! it) and the file is checked the same strict way everywhere.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::client::Client;
use crate::error::{Error, ErrorKind, Result};

/// The names a keys file may set, and the systemd credential that stands for each.
pub const SECRET_NAMES: [(&str, &str); 4] = [
    ("SPREAD_PUBLIC_KEY", "spread_public_key"),
    ("SPREAD_PRIVATE_KEY", "spread_private_key"),
    ("SPREAD_PROXY", "spread_proxy"),
    // The public key before a rotation, for `spread spool adopt --from-old-key`.
    ("SPREAD_OLD_PUBLIC_KEY", "spread_old_public_key"),
];
/// A keys file holds three short lines; anything far bigger is not one.
pub const MAX_KEYS_FILE: u64 = 64 * 1024;

/// Secrets found, by name. Its `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.iter().map(|(n, _)| n)).finish()
    }
}

impl Secrets {
    /// Reads the keys file (if any), then the systemd credentials of
    /// `var("CREDENTIALS_DIRECTORY")` (if any), then `var(NAME)`: the first
    /// non-empty value of each name wins.
    pub fn load(keys_file: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> Result<Secrets> {
        let mut secrets = Secrets::default();
        if let Some(path) = keys_file {
            for (name, value) in read_keys_file(path)? {
                secrets.add(name, value);
            }
        }
        if let Some(dir) = var("CREDENTIALS_DIRECTORY").filter(|d| !d.is_empty()) {
            for (name, credential) in SECRET_NAMES {
                let path = PathBuf::from(&dir).join(credential);
                match std::fs::read_to_string(&path) {
                    Ok(text) => secrets.add(name, text.trim_end_matches(['\n', '\r']).to_owned()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::config(&format!("systemd credential {}", path.display()), format!("cannot read it: {e}"))),
                }
            }
        }
        for (name, _) in SECRET_NAMES {
            if let Some(value) = var(name) {
                secrets.add(name, value);
            }
        }
        Ok(secrets)
    }

    /// As the `spread` command finds them: `keys_file` (SPREAD_KEYS_FILE when
    /// None), systemd credentials, the process's environment.
    pub fn from_process(keys_file: Option<&Path>) -> Result<Secrets> {
        let named = std::env::var_os("SPREAD_KEYS_FILE").filter(|f| !f.is_empty()).map(PathBuf::from);
        Secrets::load(keys_file.or(named.as_deref()), |n| std::env::var(n).ok())
    }

    fn add(&mut self, name: &'static str, value: String) {
        if !value.is_empty() && self.get(name).is_none() {
            self.values.push((name, value));
        }
    }

    /// A secret, when set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// A secret that must be set: Config error naming it otherwise (never quoting a value).
    pub fn key(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("{name} is not set (the API keys come from a keys file: SPREAD_KEYS_FILE, from systemd credentials or from the environment)"),
            )
        })
    }
}

impl Client {
    /// A client for the keys of `secrets`, with its SPREAD_PROXY if it has one.
    pub fn from_secrets(secrets: &Secrets) -> Result<Client> {
        let mut client = Client::new(secrets.key("SPREAD_PUBLIC_KEY")?, secrets.key("SPREAD_PRIVATE_KEY")?)?;
        if let Some(proxy) = secrets.get("SPREAD_PROXY") {
            client.set_proxy(Some(proxy))?;
        }
        Ok(client)
    }
}

/// A keys file in the format systemd's `EnvironmentFile=` reads: `NAME=value`
/// lines (only the names of [`SECRET_NAMES`]), `#` and `;` comments, values
/// optionally in quotes. It must be a regular file, the caller's or root's,
/// unreadable by others (0600, or 0640 to share it with its group), UTF-8,
/// at most 64 KiB. Errors never quote a line: it may hold a key.
pub fn read_keys_file(path: &Path) -> Result<Vec<(&'static str, String)>> {
    let shown = path.display();
    let fail = |why: String| Error::config(&format!("keys file {shown}"), why);
    // O_NONBLOCK: a FIFO put in its place must not hang the caller.
    let file = File::options().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(|e| fail(format!("cannot open it: {e}")))?;
    let meta = file.metadata().map_err(|e| fail(format!("cannot read it: {e}")))?;
    if !meta.is_file() {
        return Err(fail("is not a regular file".into()));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me && meta.uid() != 0 {
        return Err(fail(format!("owned by uid {}, neither you (uid {me}) nor root: anyone who owns it can change the keys (chown {me} {shown})", meta.uid())));
    }
    let mode = meta.mode() & 0o7777;
    if mode & !0o640 != 0 {
        return Err(fail(format!("mode {mode:04o} lets others read or change it: chmod 600 {shown} (or 640 to share it with its group)")));
    }
    if meta.len() > MAX_KEYS_FILE {
        return Err(fail(format!("is {} bytes: not a keys file", meta.len())));
    }
    let mut raw = Vec::new();
    file.take(MAX_KEYS_FILE).read_to_end(&mut raw).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let text = String::from_utf8(raw).map_err(|_| fail("is not UTF-8 text".into()))?;
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(fail(format!("line {}: not NAME=value", n + 1)));
        };
        let name = name.trim();
        // Not a name (`SPREAD_PRIVATE_KEY abc==`): saying it could quote a key.
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(fail(format!("line {}: not NAME=value", n + 1)));
        }
        let Some((known, _)) = SECRET_NAMES.iter().find(|(k, _)| *k == name) else {
            return Err(fail(format!(
                "line {}: {name} is not read from a keys file (only SPREAD_PUBLIC_KEY, SPREAD_PRIVATE_KEY, SPREAD_PROXY and SPREAD_OLD_PUBLIC_KEY are)",
                n + 1
            )));
        };
        let value = value.trim();
        let unquoted = ['"', '\''].iter().find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q))).unwrap_or(value);
        if unquoted.is_empty() {
            return Err(fail(format!("line {}: {name} is empty", n + 1)));
        }
        found.retain(|(k, _)| k != known);
        found.push((*known, unquoted.to_owned()));
    }
    Ok(found)
}
