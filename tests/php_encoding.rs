//! The encoder against PHP itself: thousands of generated orders are built
//! with `Order` and, with the same assignments in the same order, as a PHP
//! `$post_data` array; one `php` run encodes them all with
//! `http_build_query`, and every body must match byte for byte.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use common::Rng;
use spread::Order;

const CASES: usize = 3000;

/// The generator's vocabulary on top of the shared deterministic `Rng`.
trait Gen {
    fn text(&mut self, max: usize) -> String;
    fn float(&mut self) -> f64;
}

impl Gen for Rng {
    fn text(&mut self, max: usize) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            "9",
            " ",
            "  ",
            "-",
            "_",
            ".",
            "~",
            "*",
            "+",
            "&",
            "=",
            "%",
            "#",
            "?",
            "/",
            ":",
            "@",
            "[",
            "]",
            "!",
            "'",
            "\"",
            "(",
            ")",
            "$",
            ",",
            ";",
            "<",
            ">",
            "\\",
            "^",
            "`",
            "{",
            "|",
            "}",
            "é",
            "bâtiment",
            "ß",
            "Ω",
            "日本",
            "😀",
            "e\u{301}",
            "\u{200b}",
            "\u{feff}",
            "\t",
            "\n",
            "\r\n",
            "\u{7}",
            "\u{7f}",
            "%41",
            "a+b",
            "0x1F",
        ];
        (0..self.below(max + 1)).map(|_| *self.pick(PIECES)).collect()
    }
    fn float(&mut self) -> f64 {
        match self.below(6) {
            0 => f64::from_bits(self.next() >> 2), // random positive finite bits, any magnitude
            1 => self.below(1_000_000) as f64 / 100.0,
            2 => 10f64.powi(self.below(40) as i32 - 20),
            3 => *self.pick(&[0.1 + 0.2, 1e20, 1e15, 1e14, 100.0, 0.0, -0.0, 1.5e-7, 10000000000000.5, 0.00001, 158.31]),
            4 => (self.next() % (1 << 53)) as f64,
            _ => self.below(1000) as f64 + 0.5,
        }
    }
}

/// `base64_decode('…')`: any bytes, no quoting questions.
fn php_str(s: &str) -> String {
    format!("base64_decode('{}')", base64::engine::general_purpose::STANDARD.encode(s))
}

/// A float literal PHP parses to the same double (Rust's `{:?}` round-trips).
fn php_float(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// One generated order, as an `Order` and as the PHP statements that build the same array.
fn generate(rng: &mut Rng) -> (Order, String) {
    let mut order = Order::new();
    let mut php = String::from("$d = [];\n");
    let names: Vec<&str> = spread::fields::SCALAR_FIELDS.iter().map(|f| f.name).collect();
    for _ in 0..rng.below(25) {
        // Each step is mirrored in PHP only when the order accepted it.
        match rng.below(10) {
            0..=2 => {
                let name = *rng.pick(&names);
                let value = match name {
                    "customer_email" => format!("{}@{}", rng.text(6), rng.text(6)),
                    "customer_birthday" | "order_start_service" | "order_end_service" => {
                        format!("{:04}-{:02}-{:02}", 1900 + rng.below(200), 1 + rng.below(12), 1 + rng.below(31))
                    }
                    "order_crea_dt" => format!("2014-06-{:02} {:02}:{:02}:08", 1 + rng.below(30), rng.below(25), rng.below(60)),
                    "order_state" => rng.pick(&["0", "10", "20", "50", "100", "7"]).to_string(),
                    "order_amount" => format!("{}.{:02}", rng.below(10_000), rng.below(100)),
                    "customer_gender" => rng.pick(&["male", "female", "other"]).to_string(),
                    "customer_country" => rng.pick(&["FR", "DE", "fr", "XYZ"]).to_string(),
                    "customer_lang" => rng.pick(&["fr_FR", "en_GB", "fr-FR"]).to_string(),
                    _ => rng.text(12),
                };
                if order.set(name, &value).is_ok() {
                    writeln!(php, "$d['{name}'] = {};", php_str(&value)).unwrap();
                }
            }
            3 => {
                let name = format!("x_{}", rng.text(4));
                let value = rng.text(10);
                if order.set(&name, &value).is_ok() {
                    writeln!(php, "$d[{}] = {};", php_str(&name), php_str(&value)).unwrap();
                }
            }
            4 => {
                let state = *rng.pick(&[0i64, 10, 20, 50, 100]);
                order.set_order_state(state).unwrap();
                writeln!(php, "$d['order_state'] = {state};").unwrap();
            }
            5 => {
                let amount = rng.float();
                if order.set_order_amount(amount).is_ok() {
                    writeln!(php, "$d['order_amount'] = {};", php_float(amount)).unwrap();
                }
            }
            6 => {
                let lists: Vec<spread::fields::ListField> = <spread::fields::ListField as strum::IntoEnumIterator>::iter().collect();
                let list = *rng.pick(&lists);
                let tag = rng.text(8);
                if order.add_to_list(list, &tag).is_ok() {
                    writeln!(php, "$d['{}'][] = {};", list.name(), php_str(&tag)).unwrap();
                }
            }
            7 => {
                let id = *rng.pick(&[1u32, 7, 327, 100_000, u32::MAX]);
                let value = rng.text(8);
                if order.set_custom_field(id, &value).is_ok() {
                    writeln!(php, "$d['custom_fields'][{id}] = {};", php_str(&value)).unwrap();
                }
            }
            8 => {
                let name = if rng.below(4) == 0 { rng.below(1000).to_string() } else { rng.text(6) };
                let accepted = rng.below(2) == 0;
                if order.set_consent(&name, accepted).is_ok() {
                    writeln!(php, "$d['consents'][{}] = {accepted};", php_str(&name)).unwrap();
                }
            }
            _ => {
                order.add_product();
                let mut attrs = Vec::new();
                for _ in 0..rng.below(4) {
                    let attr = format!("{}:{}", rng.text(3), rng.text(3));
                    if order.add_product_attribute(&attr).is_ok() {
                        attrs.push(php_str(&attr));
                    }
                }
                writeln!(php, "$d['product_attributes'][] = [{}];", attrs.join(", ")).unwrap();
            }
        }
    }
    php.push_str("$post = ['data' => $d];\nif (isset($d['order_idorder'])) { $post['request']['order_idorder'] = $d['order_idorder']; }\n");
    php.push_str("echo base64_encode(http_build_query($post)), \"\\n\";\n");
    (order, php)
}

#[test]
fn generated_orders_encode_exactly_as_php_http_build_query() {
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut script = String::from("<?php\nini_set('precision', '14');\nini_set('serialize_precision', '-1');\n");
    let mut orders = Vec::new();
    for _ in 0..CASES {
        let (order, php) = generate(&mut rng);
        script.push_str(&format!("(function () {{\n{php}}})();\n"));
        orders.push(order);
    }
    let mut child =
        Command::new("php").args(["-d", "memory_limit=512M"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("php is installed (make setup)");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "php failed");
    let bodies: Vec<Vec<u8>> = String::from_utf8(out.stdout).unwrap().lines().map(|l| base64::engine::general_purpose::STANDARD.decode(l).unwrap()).collect();
    assert_eq!(bodies.len(), CASES);
    let mut nonempty = 0;
    for (i, (order, php_body)) in orders.iter().zip(&bodies).enumerate() {
        let ours = order.encode();
        assert!(ours.as_bytes() == php_body.as_slice(), "case {i} differs\n ours: {ours}\n  php: {}", String::from_utf8_lossy(php_body));
        nonempty += usize::from(!ours.is_empty());
    }
    assert!(nonempty > CASES * 9 / 10, "the generator made mostly empty orders");
}

/// The seed order, built with the setters, is the reference body.
#[test]
fn the_seed_order_matches_the_measured_body() {
    let o = common::seed_order();
    let want = std::fs::read_to_string(common::repo().join("tests/fixtures/seed_body.txt")).unwrap();
    assert_eq!(o.encode(), want);
}
