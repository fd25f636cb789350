//! The way to SPREAD: the CA store https trusts, DNS, TCP (or the proxy)
//! and the TLS handshake with the base URL.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::report::Report;
use crate::args::DoctorArgs;
use crate::setup;

const NET_TIMEOUT: Duration = Duration::from_secs(5);

/// The CA certificates https will trust, as the library chooses them.
pub fn ca_store(r: &mut Report, args: &DoctorArgs) -> Option<ureq::tls::RootCerts> {
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

pub fn network(r: &mut Report, args: &DoctorArgs, roots: Option<ureq::tls::RootCerts>) {
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
