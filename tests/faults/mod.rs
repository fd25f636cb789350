//! Small real servers on 127.0.0.1 for the fault tests: a scripted HTTP/1.1
//! server (optionally also speaking TLS on the same port, for a test CA), an
//! HTTP CONNECT proxy, and a listener whose accept queue is full (connects
//! to it hang, as to a host that drops SYNs). Each picks a free port and
//! stops when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub tls: bool,
    pub at: Instant,
    /// When the answer was sent (None: not answered).
    pub answered: Option<Instant>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `data[order_state]` of the body, if any.
    pub fn state(&self) -> Option<String> {
        self.field("order_state")
    }

    pub fn field(&self, name: &str) -> Option<String> {
        let key = format!("data%5B{name}%5D=");
        let at = self.body.find(&key)? + key.len();
        Some(self.body[at..].split('&').next().unwrap_or_default().to_owned())
    }
}

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// An answer; `Connection: close` among the headers closes the connection after it.
    Answer { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// Bytes as they are (a broken or odd answer).
    Raw(Vec<u8>),
    /// Bytes as they are, then the next request on the same connection (an
    /// answer framed another way than by Content-Length).
    RawKept(Vec<u8>),
    /// Wait, then do the inner reply.
    After(Duration, Box<Reply>),
    /// Close the connection without answering.
    Close,
    /// The inner reply, then close the connection without having said so (no
    /// `Connection: close`), as servers that answer once per connection do.
    Closing(Box<Reply>),
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Answer { status, headers: Vec::new(), body: b"{\"status\":\"ok\"}".to_vec() }
    }
    pub fn ok() -> Reply {
        Reply::status(200)
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
    pub fn body(mut self, text: impl Into<Vec<u8>>) -> Reply {
        if let Reply::Answer { body, .. } = &mut self {
            *body = text.into();
        }
        self
    }
    pub fn after(self, d: Duration) -> Reply {
        Reply::After(d, Box::new(self))
    }
    pub fn then_close(self) -> Reply {
        Reply::Closing(Box::new(self))
    }
}

/// Decides the reply to the `n`-th request (0-based).
pub type Script = Arc<dyn Fn(&Request, usize) -> Reply + Send + Sync>;

pub fn script(f: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Script {
    Arc::new(f)
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

pub struct Server {
    pub ip: String,
    pub port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

/// What the server and each connection's thread share.
#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Request>>,
    /// Whether requests are kept (else only counted).
    record: AtomicBool,
    /// Requests answered.
    counter: AtomicUsize,
    /// Connections accepted.
    connections: AtomicUsize,
    /// How many requests are being answered right now, and the most ever at once.
    in_flight: (AtomicUsize, AtomicUsize),
}

impl Server {
    pub fn start(script: Script) -> Server {
        Server::launch("127.0.0.1", script, None)
    }

    /// Keeps no record of the requests (only counts them): for measuring the client's memory.
    pub fn start_unrecorded(script: Script) -> Server {
        let server = Server::launch("127.0.0.1", script, None);
        server.shared.record.store(false, Ordering::SeqCst);
        server
    }

    /// Closes a connection after `idle` without a request (a keep-alive timeout), silently.
    pub fn start_idle(script: Script, idle: Duration) -> Server {
        Server::launch_with("127.0.0.1", 0, script, None, idle)
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many requests were answered (recorded or not).
    pub fn count(&self) -> usize {
        self.shared.counter.load(Ordering::SeqCst)
    }

    /// On a given port of 127.0.0.1 (a server coming back where clients already point).
    pub fn start_on(port: u16, script: Script) -> Server {
        Server::launch_on("127.0.0.1", port, script, None)
    }

    /// On another loopback address (127.0.0.2: "another host" for redirect tests).
    pub fn start_at(ip: &str, port: u16, script: Script) -> Server {
        assert!(ip.starts_with("127."), "test servers stay on loopback");
        Server::launch_on(ip, port, script, None)
    }

    /// On 10.213.0.x: a non-loopback address that exists only inside a
    /// network namespace the test made (`unshare -n`), never the host's.
    pub fn start_in_namespace(ip: &str, script: Script) -> Server {
        assert!(ip.starts_with("10.213.0."), "only the test namespace's addresses");
        Server::launch_on(ip, 0, script, None)
    }

    /// Speaks TLS (with `identity`) to clients that start a handshake, plain HTTP to the others, on one port.
    pub fn start_tls(script: Script, identity: &Identity) -> Server {
        Server::launch("127.0.0.1", script, Some(identity.server_config()))
    }

    fn launch(ip: &str, script: Script, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        Server::launch_on(ip, 0, script, tls)
    }

    fn launch_on(ip: &str, port: u16, script: Script, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        Server::launch_with(ip, port, script, tls, Duration::from_secs(60))
    }

    fn launch_with(ip: &str, port: u16, script: Script, tls: Option<Arc<rustls::ServerConfig>>, idle: Duration) -> Server {
        let listener = TcpListener::bind((ip, port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared { record: AtomicBool::new(true), ..Shared::default() });
        let stop = Arc::new(AtomicBool::new(false));
        let (all, halt) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                all.connections.fetch_add(1, Ordering::SeqCst);
                let (script, tls, all) = (script.clone(), tls.clone(), all.clone());
                std::thread::spawn(move || serve(conn, script, tls, all, idle));
            }
        });
        Server { ip: ip.to_owned(), port, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}:{}/api", self.ip, self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The most requests ever answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.1.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((self.ip.as_str(), self.port));
    }
}

fn serve(conn: TcpStream, script: Script, tls: Option<Arc<rustls::ServerConfig>>, shared: Arc<Shared>, idle: Duration) {
    let Shared { requests, record, counter, in_flight, .. } = &*shared;
    // A read that times out ends the connection (read_request gives None).
    let _ = conn.set_read_timeout(Some(idle));
    let _ = conn.set_nodelay(true);
    let mut first = [0u8; 1];
    let is_tls = tls.is_some() && matches!(conn.peek(&mut first), Ok(1) if first[0] == 0x16);
    let stream: Box<dyn Stream> = match tls {
        Some(config) if is_tls => Box::new(rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), conn)),
        _ => Box::new(conn),
    };
    let mut reader = BufReader::new(stream);
    while let Some(mut request) = read_request(&mut reader) {
        request.tls = is_tls;
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let now = in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
        in_flight.1.fetch_max(now, Ordering::SeqCst);
        let reply = script(&request, n);
        let index = record.load(Ordering::SeqCst).then(|| {
            let mut all = requests.lock().unwrap();
            all.push(request);
            all.len() - 1
        });
        let keep = answer(reader.get_mut(), reply);
        in_flight.0.fetch_sub(1, Ordering::SeqCst);
        if let Some(i) = index {
            requests.lock().unwrap()[i].answered = Some(Instant::now());
        }
        if !keep {
            return;
        }
    }
}

/// Writes a reply; false when the connection must close.
fn answer(stream: &mut Box<dyn Stream>, reply: Reply) -> bool {
    match reply {
        Reply::After(d, inner) => {
            std::thread::sleep(d);
            answer(stream, *inner)
        }
        Reply::Close => false,
        Reply::Closing(inner) => {
            answer(stream, *inner);
            false
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
            // Keep the connection open a while: a client must not wait for bytes that never come.
            std::thread::sleep(Duration::from_secs(5));
            false
        }
        Reply::RawKept(bytes) => stream.write_all(&bytes).and_then(|()| stream.flush()).is_ok(),
        Reply::Answer { status, headers, body } => {
            let close = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
            let mut head = format!("HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\n", body.len());
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            // One write: a head and a body in two small writes meet Nagle and delayed ACKs (40 ms each).
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            let ok = stream.write_all(&bytes).and_then(|()| stream.flush());
            ok.is_ok() && !close
        }
    }
}

fn read_request(reader: &mut BufReader<Box<dyn Stream>>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let len: usize = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, target, headers, body: String::from_utf8_lossy(&body).into_owned(), tls: false, at: Instant::now(), answered: None })
}

/// An HTTP CONNECT proxy that tunnels every CONNECT to 127.0.0.1 (at the
/// port asked for, or `upstream`), and records what it was asked.
pub struct ConnectProxy {
    pub port: u16,
    /// Request lines and headers of everything the proxy was sent, in order.
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl ConnectProxy {
    pub fn start(upstream: Option<u16>) -> ConnectProxy {
        ConnectProxy::launch(upstream, None)
    }

    /// A proxy that answers 407 to a CONNECT without `Proxy-Authorization: Basic`
    /// of `user_pass` ("user:pass"), as squid with basic_ncsa_auth does.
    pub fn start_with_auth(upstream: Option<u16>, user_pass: &str) -> ConnectProxy {
        use base64::Engine;
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass));
        ConnectProxy::launch(upstream, Some(expected))
    }

    fn launch(upstream: Option<u16>, auth: Option<String>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, halt) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (log, auth) = (log.clone(), auth.clone());
                std::thread::spawn(move || tunnel(conn, upstream, log, auth));
            }
        });
        ConnectProxy { port, seen, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn tunnel(conn: TcpStream, upstream: Option<u16>, seen: Arc<Mutex<Vec<String>>>, auth: Option<String>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    seen.lock().unwrap().push(head.clone());
    let mut client = conn;
    let target = head.strip_prefix("CONNECT ").and_then(|r| r.split_whitespace().next()).map(str::to_owned);
    let Some(target) = target else {
        let _ = client.write_all(b"HTTP/1.1 405 Only CONNECT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    if let Some(expected) = auth {
        let given = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("proxy-authorization")).map(|(_, v)| v.trim().to_owned()));
        if given.as_deref() != Some(expected.as_str()) {
            let body = "proxy credentials required";
            let _ = client.write_all(
                format!("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes(),
            );
            return;
        }
    }
    let port = upstream.unwrap_or_else(|| target.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(80));
    let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let buffered = reader.buffer().to_vec();
    let (mut up, mut down) = (server.try_clone().unwrap(), server);
    let _ = up.write_all(&buffered);
    let mut client_read = client.try_clone().unwrap();
    let pump = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut up);
        let _ = up.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut down, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = pump.join();
}

/// A port on 127.0.0.1 where a connect hangs: a listener whose accept queue
/// is full (backlog 0, one connection parked in it, never accepted).
pub struct Blackhole {
    pub port: u16,
    _listener: OwnedFd,
    _parked: Vec<TcpStream>,
}

impl Blackhole {
    pub fn start() -> Blackhole {
        // SAFETY: plain socket calls on a descriptor we own; errors are checked.
        let (fd, port) = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len), 0);
            assert_eq!(libc::listen(fd, 0), 0);
            let mut bound: libc::sockaddr_in = std::mem::zeroed();
            let mut blen = len;
            libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut blen);
            (OwnedFd::from_raw_fd(fd), u16::from_be(bound.sin_port))
        };
        // Fill the queue; from then on the kernel drops new SYNs.
        let mut parked = Vec::new();
        for _ in 0..4 {
            if let Ok(s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)) {
                parked.push(s);
            }
        }
        Blackhole { port, _listener: fd, _parked: parked }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }
}

/// A test certificate authority and the certificates it signs.
pub struct Identity {
    pub ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: Vec<u8>,
}

pub struct TestCa {
    pub pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa { pem: cert.pem(), issuer: rcgen::Issuer::new(params, key) }
    }

    /// A server certificate for `names`, valid now, or expired a year ago.
    pub fn leaf(&self, names: &[&str], expired: bool) -> Identity {
        let mut params = rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity { ca_pem: self.pem.clone(), chain: vec![cert.der().clone()], key: key.serialize_der() }
    }
}

impl Identity {
    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key.clone().into());
        Arc::new(rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(self.chain.clone(), key).unwrap())
    }
}
