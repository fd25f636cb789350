//! The sandbox for Rust tests, started through sandbox/serve.php (the launcher
//! every language's tests share): a free loopback port, its own folder,
//! stopped (its process group killed) when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub const PUBLIC_KEY: &str = "PUBLIC_KEY";
pub const PRIVATE_KEY: &str = "PRIVATE_KEY";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary folder (removed by the OS's tmp cleaning; tests keep them small).
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("spread-test-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of `file` that another user (www-data, nobody) can read and run,
/// in a fresh 0755 folder removed on drop. The checkout may sit where that
/// user cannot enter (a clone under /root is 0700), so a test that runs
/// something as another user runs this copy, never the file in place.
pub struct ReachableCopy {
    dir: PathBuf,
    pub path: PathBuf,
}

impl ReachableCopy {
    pub fn of(file: &Path) -> ReachableCopy {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("reachable");
        // Every folder above it must let others through, or the copy is as unreachable as the original.
        for up in dir.ancestors().skip(1) {
            let mode = std::fs::metadata(up).unwrap().permissions().mode();
            assert!(mode & 0o001 != 0, "{} (mode {mode:o}) is closed to other users: set TMPDIR to a folder they can reach", up.display());
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join(file.file_name().unwrap());
        std::fs::copy(file, &path).unwrap_or_else(|e| panic!("copying {}: {e}", file.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        ReachableCopy { dir, path }
    }
}

impl Drop for ReachableCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Sandbox {
    pub port: u16,
    /// sandbox/serve.php, leader of the process group that holds php -S and its workers.
    launcher: Child,
    dir: PathBuf,
    http: ureq::Agent,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Sandbox::launch(None, 0)
    }

    /// Starts on `port`, for tests that need the server to appear at an address clients already use.
    pub fn start_on(port: u16) -> Sandbox {
        Sandbox::launch(Some(port), 0)
    }

    /// With `workers` PHP processes answering concurrently (PHP_CLI_SERVER_WORKERS).
    pub fn start_with_workers(workers: u32) -> Sandbox {
        Sandbox::launch(None, workers)
    }

    fn launch(port: Option<u16>, workers: u32) -> Sandbox {
        let dir = temp_dir("sandbox");
        let mut command = Command::new("php");
        command.arg(repo().join("sandbox/serve.php")).arg("--dir").arg(&dir);
        if let Some(port) = port {
            command.args(["--port", &port.to_string()]);
        }
        if workers > 1 {
            command.args(["--workers", &workers.to_string()]);
        }
        let mut launcher = command
            .env("SPREAD_SANDBOX_PUBLIC_KEY", PUBLIC_KEY)
            .env("SPREAD_SANDBOX_PRIVATE_KEY", PRIVATE_KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("php is installed (make setup)");
        // One line: the port once the sandbox answers, or "error: …" and the reason.
        let mut out = BufReader::new(launcher.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let Ok(port) = line.trim().parse() else {
            out.read_to_string(&mut line).unwrap();
            let _ = launcher.wait();
            panic!("the sandbox did not start: {line}");
        };
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        Sandbox { port, launcher, dir, http }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    fn get(&self, path: &str) -> Value {
        let mut r = self.http.get(&format!("http://127.0.0.1:{}{path}", self.port)).call().unwrap();
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn post(&self, path: &str, body: &str) {
        let mut r = self.http.post(&format!("http://127.0.0.1:{}{path}", self.port)).send(body).unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        assert_eq!(status, 200, "{path}: {text}");
    }

    /// Orders and profiles as stored, canonical JSON.
    pub fn state(&self) -> Value {
        self.get("/_sandbox/state")
    }

    /// Every request the API saw, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.get("/_sandbox/requests").as_array().cloned().unwrap_or_default()
    }

    pub fn fault(&self, json: &str) {
        self.post("/_sandbox/fault", json);
    }

    pub fn reset(&self) {
        self.post("/_sandbox/reset", "");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The whole group: with workers, php -S's master alone would leave them running.
        let group = format!("-{}", self.launcher.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.launcher.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A valid order `id` at `state`, for tests that only care about delivery.
pub fn order(id: &str, state: i64) -> spread::Order {
    let mut o = spread::Order::new();
    o.set("customer_email", &format!("{id}@example.com")).unwrap();
    o.set("order_idorder", id).unwrap();
    o.set_order_state(state).unwrap();
    o.set_order_amount(12.5).unwrap();
    o.set("order_crea_dt", "2024-01-02 03:04:05").unwrap();
    o
}

pub fn client(base_url: &str) -> spread::Client {
    let mut c = spread::Client::new(PUBLIC_KEY, PRIVATE_KEY).unwrap();
    c.set_base_url(base_url).unwrap();
    c
}

/// xorshift64*: deterministic, so a failure reproduces from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed's `$post_data`, field for field and in its order (no
/// `customer_cookie`: the seed sets it only when the browser sent one).
pub fn seed_order() -> spread::Order {
    let mut o = spread::Order::new();
    for (name, value) in [
        ("customer_email", "john@doe.com"),
        ("external_id", "12345xxx6789"),
        ("customer_name", "Doe"),
        ("customer_firstname", "John"),
        ("customer_gender", "male"),
        ("customer_address", "8, rue de la place"),
        ("customer_address_2", "bâtiment A"),
        ("customer_address_3", "appartement 23"),
        ("customer_cp", "76000"),
        ("customer_city", "Rouen"),
        ("customer_country", "FR"),
        ("customer_tel", "0235000000"),
        ("customer_mobile", "060606606"),
        ("customer_fonction", "developer"),
        ("customer_company", "SPREAD"),
        ("customer_birthday", "1970-12-31"),
        ("customer_lang", "fr_FR"),
    ] {
        o.set(name, value).unwrap();
    }
    o.add_to_list(spread::fields::ListField::AddTag, "tag1").unwrap();
    o.add_to_list(spread::fields::ListField::AddTag, "tag2").unwrap();
    o.add_to_list(spread::fields::ListField::DelTag, "tag3").unwrap();
    o.add_to_list(spread::fields::ListField::DelTag, "tag4").unwrap();
    o.set("action", "order").unwrap();
    o.set_custom_field(327, "value").unwrap();
    o.set("order_idorder", "0000001").unwrap();
    o.set("order_state", "10").unwrap();
    o.set_order_amount(158.31).unwrap();
    o.set("order_crea_dt", "2014-06-21 14:31:08").unwrap();
    o.set("order_start_service", "2019-06-05").unwrap();
    o.set("order_end_service", "2019-06-14").unwrap();
    o.add_product();
    o.add_product_attribute("size:xl").unwrap();
    o.add_product_attribute("type:shirt").unwrap();
    o.add_product();
    o.add_product_attribute("size:s").unwrap();
    o.add_product_attribute("color:blue").unwrap();
    o.add_to_list(spread::fields::ListField::AddOrderTag, "tag_commande_1").unwrap();
    o.add_to_list(spread::fields::ListField::AddOrderTag, "tag_commande_2").unwrap();
    o.add_to_list(spread::fields::ListField::DelOrderTag, "tag_commande_3").unwrap();
    o.add_to_list(spread::fields::ListField::DelOrderTag, "tag_commande_4").unwrap();
    o
}
