//! The private key and the Authorization header never leave the client:
//! not in an error message, the CLI's output, the spool, or a Debug print.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use common::{free_port, order, temp_dir, Sandbox};
use faults::{script, Reply, Server};
use spread::log::{Level, Logger, Record};
use spread::{Client, Sent};

const PUBLIC: &str = "pub-visible-key";
const SECRET: &str = "priv-S3CRET-kq7Zx";

/// Every form a leaked secret could take.
fn forms() -> Vec<String> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC}:{SECRET}"));
    let mut forms = vec![SECRET.to_owned(), token, "Authorization:".to_owned(), "Digest username".to_owned()];
    // A Digest value's parts, and the public key as an auth header carries it.
    forms.extend(["response=".to_owned(), "cnonce=".to_owned(), format!("username=\"{PUBLIC}\""), format!("{PUBLIC}:")]);
    forms
}

fn assert_clean(what: &str, text: &str) {
    for form in forms() {
        assert!(!text.contains(&form), "{what} leaks {form:?}: {text}");
    }
}

fn client(url: &str) -> Client {
    let mut c = Client::new(PUBLIC, SECRET).unwrap();
    c.set_base_url(url).unwrap();
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn errors_spool_files_and_cli_output_hold_no_secret() {
    let sb = Sandbox::start(); // knows other keys: every send is refused
    let mut messages = Vec::new();
    let mut c = client(&sb.base_url());
    messages.push(c.send(&order("s1", 10)).unwrap_err().message);
    sb.fault(r#"{"mode":"digest","algorithm":"MD5"}"#);
    messages.push(c.send(&order("s2", 10)).unwrap_err().message);
    sb.fault(r#"{"mode":"none"}"#);
    sb.fault(r#"{"mode":"status","code":400}"#);
    messages.push(c.send(&order("s3", 10)).unwrap_err().message);
    messages.push(client(&format!("http://127.0.0.1:{}/api", free_port())).send(&order("s4", 10)).unwrap_err().message);
    messages.push(c.set_base_url(&format!("https://{PUBLIC}:{SECRET}@example.com/api")).unwrap_err().message);
    messages.push(c.set_base_url(&format!("http://example.com/api?key={SECRET}")).unwrap_err().message);
    messages.push(Client::new(PUBLIC, &format!("{SECRET}\n")).unwrap_err().message);
    for m in &messages {
        assert_clean("an error message", m);
    }
    assert_clean("Debug", &format!("{c:?}"));

    // The spool, filled during an outage.
    let port = free_port();
    let spool_dir = temp_dir("secrets");
    let mut offline = client(&format!("http://127.0.0.1:{port}/api"));
    offline.set_spool_dir(&spool_dir).unwrap();
    for i in 0..3 {
        assert_eq!(offline.send(&order(&format!("q{i}"), 10)).unwrap(), Sent::Queued);
    }
    let mut files = 0;
    for entry in walk(&spool_dir) {
        assert_clean(&format!("spool file {}", entry.display()), &String::from_utf8_lossy(&std::fs::read(&entry).unwrap()));
        files += 1;
    }
    assert!(files >= 3);

    // The cron command, failing to flush.
    let out = Command::new(env!("CARGO_BIN_EXE_spread"))
        .args(["flush", "--spool", spool_dir.to_str().unwrap(), "--base-url", &format!("http://127.0.0.1:{port}/api")])
        .env("SPREAD_PUBLIC_KEY", PUBLIC)
        .env("SPREAD_PRIVATE_KEY", SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_clean("spread flush output", &String::from_utf8_lossy(&[out.stdout, out.stderr].concat()));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

type Records = Arc<Mutex<Vec<String>>>;

/// Every record `c` logs (debug included) goes to `into`, as JSON.
fn log_into(c: &Client, into: &Records) {
    let sink = into.clone();
    c.set_logger(Logger::new(Arc::new(move |r: &Record| sink.lock().unwrap().push(r.to_json())), Level::Debug));
}

/// A server asking for Digest (a challenge, then a stale nonce), answering 200 to the second Digest.
fn digest_server(redirect_first: Option<String>) -> Server {
    Server::start(script(move |r, _| {
        let auth = r.header("authorization").unwrap_or_default().to_owned();
        if let Some(to) = &redirect_first {
            if r.target == "/api/updateOrder" {
                return Reply::status(307).header("Location", to);
            }
        }
        if auth.contains("nonce=\"n2\"") {
            Reply::ok()
        } else if auth.contains("nonce=\"n1\"") {
            Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n2", qop="auth", stale=true"#)
        } else {
            Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n1", qop="auth""#)
        }
    }))
}

/// Through redirects (on the origin, to another host and port) and Digest
/// exchanges, delivered or failed, spooled and flushed: no log record,
/// error, spool file or CLI output carries a secret or an Authorization value.
#[test]
fn redirects_digest_and_every_log_record_hold_no_secret() {
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut seen_auth: Vec<String> = Vec::new();

    // On the origin: a redirect, then Digest with a stale nonce, delivered.
    let same = digest_server(Some("/api/v2/updateOrder".to_owned()));
    let c = client(&same.url());
    let records: Records = Arc::default();
    log_into(&c, &records);
    assert!(matches!(c.send(&order("r1", 10)), Ok(Sent::Delivered(_))));
    seen_auth.extend(same.requests().iter().filter_map(|r| r.header("authorization").map(str::to_owned)));
    assert!(seen_auth.iter().filter(|a| a.starts_with("Digest ")).count() >= 2, "the Digest exchange took place: {seen_auth:?}");

    // To another host and port: Digest asked there (never answered), the send fails.
    let other = digest_server(None);
    let other_host =
        Server::start_at("127.0.0.2", 0, script(|_, _| Reply::status(401).header("WWW-Authenticate", r#"Digest realm="x", nonce="n1", qop="auth""#)));
    let hosts = [format!("http://127.0.0.2:{}/api/updateOrder", other_host.port), format!("{}/updateOrder", other.url())];
    for location in hosts {
        let away = Server::start(script(move |_, _| Reply::status(308).header("Location", &location)));
        let c = client(&away.url());
        log_into(&c, &records);
        if let Err(e) = c.send(&order("r2", 10)) {
            texts.push(("a redirect's error".into(), e.message.clone()));
        }
        seen_auth.extend(away.requests().iter().filter_map(|r| r.header("authorization").map(str::to_owned)));
    }
    for r in other.requests().iter().chain(other_host.requests().iter()) {
        assert!(r.header("authorization").is_none(), "credentials went to another origin: {:?}", r.header("authorization"));
    }

    // A Digest that keeps failing (401 after the stale retry), with a spool: queued, then flushed by the CLI.
    let refusing = Server::start(script(|_, _| Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n", qop="auth", stale=true"#)));
    let spool_dir = temp_dir("secrets-digest");
    let mut spooled = client(&refusing.url());
    spooled.set_spool_dir(&spool_dir).unwrap();
    log_into(&spooled, &records);
    assert_eq!(spooled.send(&order("r3", 10)).unwrap(), Sent::Queued);
    let report = spooled.flush().unwrap();
    if let Some(e) = report.stopped_by {
        texts.push(("a flush's error".into(), e.message));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_spread"))
        .args(["flush", "--spool", spool_dir.to_str().unwrap(), "--base-url", &refusing.url()])
        .env("SPREAD_PUBLIC_KEY", PUBLIC)
        .env("SPREAD_PRIVATE_KEY", SECRET)
        .output()
        .unwrap();
    texts.push(("spread flush output".into(), String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned()));
    seen_auth.extend(refusing.requests().iter().filter_map(|r| r.header("authorization").map(str::to_owned)));
    for entry in walk(&spool_dir) {
        texts.push((format!("spool file {}", entry.display()), String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned()));
    }
    texts.push(("Debug".into(), format!("{spooled:?}")));

    let records = records.lock().unwrap().clone();
    assert!(records.iter().any(|r| r.contains("\"event\":\"digest\"")) && records.iter().any(|r| r.contains("\"event\":\"redirect\"")), "{records:?}");
    texts.extend(records.into_iter().map(|r| ("a log record".to_owned(), r)));
    for (what, text) in &texts {
        assert_clean(what, text);
        for value in &seen_auth {
            assert!(!text.contains(value.as_str()), "{what} holds an Authorization value sent: {text}");
        }
    }
}

/// Issue 22: the keys file is read by the library (one reader for the CLI and the
/// bindings, behind spread_client_new_from_keys_file / _from_env): the keys never
/// cross into a binding, and no error quotes a line that may hold one.
#[test]
fn a_keys_file_is_read_by_the_library_and_its_errors_quote_no_key() {
    use spread::ffi::client::{spread_client_free, spread_client_new_from_env, spread_client_new_from_keys_file};
    use std::ffi::{CStr, CString};
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("keys-file");
    let write = |name: &str, text: &[u8], mode: u32| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        CString::new(path.to_str().unwrap()).unwrap()
    };
    let good = write("good", format!("# keys\nSPREAD_PUBLIC_KEY={PUBLIC}\nSPREAD_PRIVATE_KEY=\"{SECRET}\"\n").as_bytes(), 0o600);
    let made = spread_client_new_from_keys_file(good.as_ptr());
    assert!(!made.is_null());
    spread_client_free(made);
    let env = CString::new(format!(r#"{{"SPREAD_KEYS_FILE":{:?},"SPREAD_PRIVATE_KEY":"wrong"}}"#, good.to_str().unwrap())).unwrap();
    let made = spread_client_new_from_env(env.as_ptr());
    assert!(!made.is_null(), "the file wins over the environment");
    spread_client_free(made);

    for (name, text, mode, cause) in [
        ("open", format!("SPREAD_PUBLIC_KEY={PUBLIC}\nSPREAD_PRIVATE_KEY={SECRET}\n").into_bytes(), 0o644, "mode 0644 lets others read or change it"),
        ("name", format!("SPREAD_PUBLIC_KEY={PUBLIC}\nSPREAD_PRIVATE_KEY {SECRET}=\n").into_bytes(), 0o600, "line 2: not NAME=value"),
        ("export", format!("export SPREAD_PRIVATE_KEY={SECRET}\n").into_bytes(), 0o600, "line 1: not NAME=value"),
        ("latin1", [b"SPREAD_PRIVATE_KEY=", SECRET.as_bytes(), b"\xe9\n"].concat(), 0o600, "is not UTF-8 text"),
        ("half", format!("SPREAD_PUBLIC_KEY={PUBLIC}\n").into_bytes(), 0o600, "SPREAD_PRIVATE_KEY is not set"),
    ] {
        let path = write(name, &text, mode);
        assert!(spread_client_new_from_keys_file(path.as_ptr()).is_null(), "{name}");
        assert_eq!(spread::ffi::spread_last_status(), spread::ffi::SpreadStatus::SPREAD_ERR_CONFIG as i32, "{name}");
        // SAFETY: spread_last_error returns this thread's message, valid until the next call.
        let message = unsafe { CStr::from_ptr(spread::ffi::spread_last_error()) }.to_string_lossy().into_owned();
        assert!(message.contains(cause), "{name}: {message}");
        assert_clean(name, &message);
    }
}
