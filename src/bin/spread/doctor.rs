//! `spread doctor`: everything a deployment needs, checked at once, one
//! line per check and the fix when it fails (instead of one error at a
//! time, at the first order). Exit 0 all good, 1 warnings, 2 problems.

use std::ffi::CString;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::args::{DoctorArgs, Exit, Fail};
use crate::setup;

/// The PHP half (also `php vendor/bin/spread-doctor`), run with the php given to --php.
const PHP_DOCTOR: &str = include_str!("../../../bindings/php/bin/spread-doctor");
/// Under this much free space the spool warns; under a tenth of it, a problem.
const LOW_SPACE: u64 = 256 << 20;
const NET_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Ok,
    Warning,
    Problem,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "problem",
        }
    }
}

struct Check {
    name: String,
    level: Level,
    detail: String,
    fix: Option<String>,
}

#[derive(Default)]
struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn ok(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Ok, detail: detail.into(), fix: None });
    }
    fn warn(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Warning, detail: detail.into(), fix: Some(fix.into()) });
    }
    fn problem(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Problem, detail: detail.into(), fix: Some(fix.into()) });
    }
    fn worst(&self) -> Level {
        self.checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok)
    }
}

fn library(r: &mut Report) {
    let abi = spread::ffi::spread_abi_version();
    r.ok("library", format!("libspread {} (C ABI {abi})", spread::VERSION));
    if let Some(lib) = std::env::var_os("SPREAD_LIBRARY").filter(|v| !v.is_empty()) {
        let path = Path::new(&lib);
        if !path.is_file() {
            r.problem("library", format!("SPREAD_LIBRARY={} does not exist", path.display()), "point SPREAD_LIBRARY at libspread.so, or unset it");
        }
    }
}

fn keys(r: &mut Report, keys_file: Option<&Path>) {
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

/// A user's uid, primary gid and every group it belongs to.
fn user_groups(name: &str) -> Option<(u32, Vec<u32>)> {
    let c = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to static storage, read at once.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: not NULL, so a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut n = groups.len() as libc::c_int;
    // SAFETY: `groups` holds `n` entries; getgrouplist writes at most that many and sets `n`.
    if unsafe { libc::getgrouplist(c.as_ptr(), gid, groups.as_mut_ptr(), &mut n) } < 0 {
        n = 0;
    }
    groups.truncate(n.max(0) as usize);
    groups.push(gid);
    Some((uid, groups))
}

fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid returns NULL or static storage, read at once.
    let pw = unsafe { libc::getpwuid(uid) };
    if pw.is_null() {
        return uid.to_string();
    }
    // SAFETY: a valid entry with a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr((*pw).pw_name) }.to_string_lossy().into_owned()
}

fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid returns NULL or static storage, read at once.
    let gr = unsafe { libc::getgrgid(gid) };
    if gr.is_null() {
        return gid.to_string();
    }
    // SAFETY: a valid entry with a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr((*gr).gr_name) }.to_string_lossy().into_owned()
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let c = CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: a NUL-terminated path and writable storage for one statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statvfs succeeded.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)] // u32 on some targets
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

fn spool(r: &mut Report, dir: &Path, web_user: Option<&str>) {
    let shown = dir.display();
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            let who = web_user.unwrap_or("www-data");
            return r.problem("spool", format!("{shown}: {e}"), format!("install -d -o {who} -g {who} -m 2770 {shown}"));
        }
    };
    if !meta.is_dir() {
        return r.problem("spool", format!("{shown} is not a folder (a symlink or a file)"), "give the folder itself");
    }
    let (uid, gid, mode) = (meta.uid(), meta.gid(), meta.mode() & 0o7777);
    let (owner, group) = (user_name(uid), group_name(gid));
    let what = format!("{shown}: owner {owner}, group {group}, mode {mode:04o}");
    let mut fine = true;
    if mode & 0o002 != 0 {
        fine = false;
        r.problem("spool", format!("{what}: every user can write it (and plant orders)"), format!("chmod o-rwx {shown}"));
    } else if mode & 0o700 != 0o700 {
        fine = false;
        r.problem("spool", format!("{what}: its owner cannot use it"), format!("chmod u+rwx {shown}"));
    } else if uid == 0 && mode & 0o020 != 0 {
        fine = false;
        r.problem(
            "spool",
            format!("{what}: root's folder that a group can write: root's flush refuses it"),
            format!("give it to the web server's user: chown {} {shown}", web_user.unwrap_or("www-data")),
        );
    } else if mode & 0o020 != 0 && mode & 0o2000 == 0 {
        fine = false;
        r.warn("spool", format!("{what}: shared with its group but without setgid"), format!("chmod g+s {shown} (new files keep the group)"));
    }
    if let Some(name) = web_user {
        match user_groups(name) {
            None => r.warn("spool", format!("the web server's user {name} does not exist here"), "give the right one: --web-user USER"),
            Some((wuid, groups)) => {
                let bits = if wuid == uid {
                    (mode >> 6) & 7
                } else if groups.contains(&gid) {
                    (mode >> 3) & 7
                } else {
                    mode & 7
                };
                if wuid != 0 && bits & 3 != 3 {
                    fine = false;
                    r.problem(
                        "spool",
                        format!("{what}: {name} (the web server's user) cannot write it: orders it spools would fail"),
                        format!("chown {name}:{name} {shown} && chmod 2770 {shown} (or share its group: chgrp {name} {shown} && chmod 2770 {shown})"),
                    );
                }
            }
        }
    }
    match free_bytes(dir) {
        Some(free) if free < LOW_SPACE / 10 => {
            fine = false;
            r.problem("spool", format!("{shown}: only {} MiB free", free >> 20), "free space on that file system (entries cannot be written)")
        }
        Some(free) if free < LOW_SPACE => {
            fine = false;
            r.warn("spool", format!("{shown}: only {} MiB free", free >> 20), "free space on that file system")
        }
        _ => {}
    }
    if fine {
        let free = free_bytes(dir).map_or(String::new(), |f| format!(", {} MiB free", f >> 20));
        let writer = web_user.map_or(String::new(), |u| format!(", writable by {u}"));
        r.ok("spool", format!("{what}{writer}{free}"));
    }
}

/// The CA certificates https will trust, as the library chooses them.
fn ca_store(r: &mut Report, args: &DoctorArgs) -> Option<ureq::tls::RootCerts> {
    use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts};
    let file = args.transport.ca_file.clone().or_else(|| args.transport.tls_roots.clone().filter(|t| t != "system" && t != "bundled").map(Into::into));
    if let Some(file) = file {
        let pem = match std::fs::read(&file) {
            Ok(p) => p,
            Err(e) => {
                r.problem("ca_store", format!("CA file {}: {e}", file.display()), "give a readable PEM file");
                return None;
            }
        };
        let certs: Vec<Certificate<'static>> =
            parse_pem(&pem).filter_map(|i| if let Ok(PemItem::Certificate(c)) = i { Some(c.to_owned()) } else { None }).collect();
        if certs.is_empty() {
            r.problem("ca_store", format!("CA file {}: no PEM certificate in it", file.display()), "give a PEM file of CA certificates");
            return None;
        }
        r.ok("ca_store", format!("CA file {} ({} certificates)", file.display(), certs.len()));
        return Some(RootCerts::new_with_certs(&certs));
    }
    if args.transport.tls_roots.as_deref() == Some("bundled") {
        r.ok("ca_store", "the Mozilla roots built into libspread (--tls-roots bundled)");
        return Some(RootCerts::WebPki);
    }
    let found = rustls_native_certs::load_native_certs();
    let source = match (std::env::var_os("SSL_CERT_FILE"), std::env::var_os("SSL_CERT_DIR")) {
        (Some(f), _) => format!("SSL_CERT_FILE={}", f.to_string_lossy()),
        (None, Some(d)) => format!("SSL_CERT_DIR={}", d.to_string_lossy()),
        _ => "the system store".to_owned(),
    };
    if found.certs.is_empty() {
        let why = found.errors.first().map_or("no certificate found".to_owned(), |e| e.to_string());
        r.warn(
            "ca_store",
            format!("{source}: no usable CA certificate ({why}): the bundled Mozilla roots stand in"),
            "install the CA store (Debian: apt install ca-certificates), or choose --tls-roots bundled",
        );
        return Some(RootCerts::WebPki);
    }
    r.ok("ca_store", format!("{source} ({} certificates)", found.certs.len()));
    let certs: Vec<Certificate<'static>> = found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
    Some(RootCerts::new_with_certs(&certs))
}

fn network(r: &mut Report, args: &DoctorArgs, roots: Option<ureq::tls::RootCerts>) {
    let base = &args.destination.base_url;
    let url = match url::Url::parse(base) {
        Ok(u) if u.host_str().is_some() => u,
        _ => return r.problem("base_url", format!("{base} is not a URL"), "--base-url https://social-sb.com/api"),
    };
    let proxy = args.transport.proxy.clone().or_else(|| setup::load_secrets(None).ok().and_then(|s| s.proxy().map(str::to_owned)));
    let (host, port) = match proxy.as_deref().and_then(|p| url::Url::parse(p).ok()) {
        // Through a proxy, the proxy is what this host must reach.
        Some(p) if p.host_str().is_some() => (p.host_str().unwrap_or_default().to_owned(), p.port_or_known_default().unwrap_or(3128)),
        _ => (url.host_str().unwrap_or_default().to_owned(), url.port_or_known_default().unwrap_or(443)),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return r.problem("dns", format!("{host}: {e}"), "check the host name, /etc/resolv.conf and the DNS server");
        }
    };
    r.ok("dns", format!("{host} is {}", addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")));
    let mut last = None;
    let reached = addrs.iter().find(|a| match TcpStream::connect_timeout(a, NET_TIMEOUT) {
        Ok(_) => true,
        Err(e) => {
            last = Some(e);
            false
        }
    });
    match reached {
        Some(a) => r.ok("tcp", format!("connected to {a}")),
        None => {
            let why = last.map_or("no address".to_owned(), |e| e.to_string());
            return r.problem(
                "tcp",
                format!("cannot connect to {host} port {port}: {why}"),
                format!("a firewall? allow outgoing TCP to {host}:{port} (or set the proxy: SPREAD_PROXY)"),
            );
        }
    }
    if url.scheme() != "https" {
        return r.warn("tls", format!("{base} is plain http: no TLS"), "use https (plain http is only for loopback)");
    }
    let Some(roots) = roots else { return };
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(NET_TIMEOUT * 2))
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
    if let Some(p) = proxy.as_deref().and_then(|p| ureq::Proxy::new(p).ok()) {
        config = config.proxy(Some(p));
    }
    let agent: ureq::Agent = config.build().into();
    // Any HTTP answer means DNS, TCP and the TLS handshake worked; nothing is sent but a GET.
    match agent.get(base.as_str()).call() {
        Ok(resp) => r.ok("tls", format!("handshake with {} verified (HTTP {} to a GET)", url.host_str().unwrap_or_default(), resp.status().as_u16())),
        Err(e) => {
            let text = e.to_string();
            let fix = if text.contains("UnknownIssuer") || text.contains("issuer") {
                "the server's certificate is not signed by a CA in the store: add its CA to the system store (update-ca-certificates) or give --ca-file / 'ca_file'"
            } else if text.contains("NotValidForName") || text.contains("name") {
                "the certificate is for another host name: check the base URL"
            } else if text.contains("Expired") || text.contains("expired") {
                "the certificate has expired (or this host's clock is wrong: check timedatectl)"
            } else {
                "check the base URL, the proxy and what answers on that port"
            };
            r.problem("tls", format!("{base}: {text}"), fix);
        }
    }
}

/// The PHP checks, run by `php` (they print one JSON object).
fn php(r: &mut Report, php: &str) -> Option<String> {
    let mut parts = php.split_whitespace();
    let program = parts.next().unwrap_or("php");
    let mut child = match Command::new(program)
        .args(parts)
        .args(["--", "--json", "--no-library"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            r.problem("php", format!("cannot run {program}: {e}"), "install the PHP CLI, or give its path: --php /usr/bin/php8.2");
            return None;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(PHP_DOCTOR.as_bytes());
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => {
            r.problem("php", format!("{program}: {e}"), "run `php vendor/bin/spread-doctor` yourself");
            return None;
        }
    };
    let parsed: Option<Value> = serde_json::from_slice(&out.stdout).ok();
    let Some(v) = parsed else {
        let err = String::from_utf8_lossy(&out.stderr);
        r.problem("php", format!("{program} did not run the checks: {}", err.trim()), "run `php vendor/bin/spread-doctor` yourself");
        return None;
    };
    for c in v["checks"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or("php").to_owned();
        let detail = c["detail"].as_str().unwrap_or_default().to_owned();
        let fix = c["fix"].as_str().map(str::to_owned);
        let level = match c["status"].as_str() {
            Some("problem") => Level::Problem,
            Some("warning") => Level::Warning,
            _ => Level::Ok,
        };
        r.checks.push(Check { name, level, detail, fix });
    }
    v["fpm_user"].as_str().map(str::to_owned)
}

pub fn run(args: &DoctorArgs, keys_file: Option<&Path>) -> Result<Exit, Fail> {
    let mut r = Report::default();
    library(&mut r);
    keys(&mut r, keys_file);
    let fpm_user = args.php.as_deref().and_then(|p| php(&mut r, p));
    if let Some(dir) = &args.spool {
        let web_user = args.web_user.clone().or(fpm_user).or_else(|| user_groups("www-data").map(|_| "www-data".to_owned()));
        spool(&mut r, dir, web_user.as_deref());
    }
    let roots = ca_store(&mut r, args);
    if !args.offline {
        network(&mut r, args, roots);
    }
    let worst = r.worst();
    if args.json {
        let checks: Vec<Value> = r.checks.iter().map(|c| json!({"name": c.name, "status": c.level.name(), "detail": c.detail, "fix": c.fix})).collect();
        println!("{}", json!({"status": worst.name(), "checks": checks}));
    } else {
        for c in &r.checks {
            match &c.fix {
                Some(fix) => println!("{:<8} {}: {}; fix: {fix}", c.level.name(), c.name, c.detail),
                None => println!("{:<8} {}: {}", c.level.name(), c.name, c.detail),
            }
        }
        let count = |l: Level| r.checks.iter().filter(|c| c.level == l).count();
        println!("doctor: {} ok, {} warning(s), {} problem(s)", count(Level::Ok), count(Level::Warning), count(Level::Problem));
    }
    Ok(match worst {
        Level::Ok => Exit::Ok,
        Level::Warning => Exit::Warning,
        Level::Problem => Exit::Critical,
    })
}
