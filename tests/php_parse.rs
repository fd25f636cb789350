//! The form parse against PHP itself: the drop-in checks a `$post_data` body by reading
//! it as SPREAD's PHP reads it into `$_POST`, so thousands of generated bodies, their
//! names built from the pieces PHP's `php_register_variable_ex` treats specially
//! (brackets written and escaped, blanks, dots, NULs, `=` and `&`), are read by one
//! `php` run with `parse_str` (the same variable registration as `$_POST`) and by
//! the library, and every array must match, key types and order included.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use common::Rng;
use spread::encode::{Key, Value};

const CASES: usize = 6000;

/// Name pieces: few enough that generated names collide (a later pair then replaces
/// or extends an earlier one, as in PHP). Only ASCII: PHP keeps invalid UTF-8 as bytes
/// where a Rust string cannot.
const NAME: &[&str] = &[
    "data",
    "data",
    "d",
    "x",
    "0",
    "12",
    "012",
    "-1",
    "_",
    "[",
    "]",
    "[",
    "]",
    "%5B",
    "%5D",
    "%5b",
    "%5d",
    "[]",
    "[ ]",
    "[\t]",
    "%5B%20%5D",
    "[  ]",
    " ",
    "+",
    ".",
    "%20",
    "%2E",
    "%00",
    "\t",
    "%09",
    "%0B",
    "a b",
    "customer_email",
    "%64ata",
    "=",
    "%3D",
    "%26",
    "%z",
];
const VALUE: &[&str] = &["", "v", "1", "%00", "a+b", "%5B%5D"];

/// The array in one line: `i3:` / `s<hex>:` keys, hex strings, `{…}` arrays.
fn dump(items: &[(Key, Value)], out: &mut String) {
    out.push('{');
    for (key, value) in items {
        match key {
            Key::Int(i) => write!(out, "i{i}:").unwrap(),
            Key::Str(s) => write!(out, "s{}:", hex(s)).unwrap(),
        }
        match value {
            Value::Array(sub) => dump(sub, out),
            Value::Str(s) => out.push_str(&hex(s)),
            other => panic!("a parse makes strings and arrays only, not {other:?}"),
        }
        out.push(',');
    }
    out.push('}');
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

const PHP: &str = r#"
function d($v) {
    if (!is_array($v)) { return bin2hex($v); }
    $s = '{';
    foreach ($v as $k => $x) { $s .= (is_int($k) ? 'i' . $k : 's' . bin2hex($k)) . ':' . d($x) . ','; }
    return $s . '}';
}
while (($line = fgets(STDIN)) !== false) {
    parse_str(base64_decode(trim($line)), $o);
    echo d($o), "\n";
}
"#;

#[test]
fn generated_bodies_are_read_as_php_reads_them() {
    let mut rng = Rng(0x5eed_f0a4);
    let bodies: Vec<String> = (0..CASES)
        .map(|_| {
            let pairs: Vec<String> = (0..1 + rng.below(4))
                .map(|_| {
                    let name: String = (0..1 + rng.below(6)).map(|_| *rng.pick(NAME)).collect();
                    let value = rng.pick(VALUE);
                    // A pair without '=' is a name with an empty value, in PHP as here.
                    if rng.below(8) == 0 {
                        name
                    } else {
                        format!("{name}={value}")
                    }
                })
                .collect();
            pairs.join("&")
        })
        .collect();

    let mut php = Command::new("php").args(["-d", "display_errors=stderr", "-r", PHP]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("php");
    let mut stdin = php.stdin.take().unwrap();
    let input: String = bodies.iter().map(|b| base64::engine::general_purpose::STANDARD.encode(b) + "\n").collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = php.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "php failed");
    let theirs: Vec<&str> = std::str::from_utf8(&output.stdout).unwrap().lines().collect();
    assert_eq!(theirs.len(), bodies.len());

    let mut wrong = Vec::new();
    for (body, theirs) in bodies.iter().zip(&theirs) {
        let mut ours = String::new();
        dump(&spread::fuzzing::form_tree(body).unwrap(), &mut ours);
        if ours != *theirs {
            wrong.push(format!("{body:?}\n  php:  {theirs}\n  ours: {ours}"));
        }
    }
    // The generator must reach what differs from a plain reading.
    let special = |piece: &str| bodies.iter().filter(|b| b.contains(piece)).count();
    for piece in ["[ ]", "%00", " ", "."] {
        assert!(special(piece) > 100, "only {} bodies hold {piece:?}", special(piece));
    }
    assert!(wrong.is_empty(), "{} of {CASES} bodies read differently from PHP; the first:\n{}", wrong.len(), wrong[..wrong.len().min(5)].join("\n"));
}

/// The order with `tags` order tags: with its 5 fields and `request[order_idorder]`,
/// `tags + 6` variables.
fn tagged(id: &str, tags: usize) -> spread::Order {
    let mut order = common::order(id, 10);
    for i in 0..tags {
        order.add_to_list(spread::fields::ListField::AddOrderTag, &format!("t{i}")).unwrap();
    }
    order
}

/// SPREAD's PHP reads the first 1,001 variables of a POST body and drops the rest without
/// a word (max_input_vars): an order of 1,001 is stored whole; one of 1,002 is refused
/// by the client, and the sandbox's PHP, sent such a body directly, loses its tail.
#[test]
fn php_reads_1001_variables_and_the_client_refuses_an_order_of_more() {
    let sandbox = common::Sandbox::start();
    let client = common::client(&sandbox.base_url());
    let stored_tags = |id: &str| sandbox.state()["orders"][id]["tags"].as_array().map(Vec::len);

    client.send(&tagged("V-1001", 995)).unwrap();
    assert_eq!(stored_tags("V-1001"), Some(995));

    for (over, lost) in [(tagged("V-1002", 996), "request[order_idorder]"), (tagged("V-1006", 1000), "data[add_order_tag][996]")] {
        let err = client.send(&over).unwrap_err();
        assert_eq!(err.kind, spread::ErrorKind::InvalidValue, "{err}");
        let vars = over.encode().split('&').count();
        assert!(err.message.starts_with(&format!("post_data: {vars} variables")) && err.message.contains(&format!("{lost:?} on")), "{err}");
        assert_eq!(err, over.check_required().unwrap_err(), "the order's check says it before a send");
    }
    assert_eq!(sandbox.requests().len(), 1, "nothing sent");

    // What that saves the order from: PHP itself, given the body, stores the first 996 tags of 1,000.
    let url = format!("{}/updateOrder", sandbox.base_url());
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", common::PUBLIC_KEY, common::PRIVATE_KEY));
    let answer = ureq::post(&url)
        .header("Authorization", format!("Basic {auth}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(tagged("V-1006", 1000).encode())
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(stored_tags("V-1006"), Some(996), "PHP read past its 1,001st variable");
}
