//! Arbitrary bytes through the C ABI: every setter, `set_field` with random
//! names, the encoder and client configuration. Nothing may panic (the guard
//! would turn it into SPREAD_ERR_PANIC), every failure must leave the order
//! as it was and explain itself in `spread_last_error`.
//! The coverage-guided fuzzing is `fuzz/` (libFuzzer on the stable toolchain,
//! `make test-fuzz`); its committed seeds are replayed here too, so that
//! `cargo test` alone keeps them passing.

use std::ffi::{c_char, c_int, CStr, CString};

use spread::ffi::client::*;
use spread::ffi::order::*;
use spread::ffi::{spread_last_error, spread_string_free, SpreadStatus};

const CASES: usize = 200_000;

mod common;

use common::Rng;

trait Bytes {
    fn bytes(&mut self) -> CString;
}

impl Bytes for Rng {
    /// Random bytes without NUL (C strings end there), biased towards the
    /// interesting: ASCII, UTF-8 lead bytes, '@', ':', '-', digits.
    fn bytes(&mut self) -> CString {
        let len = (self.next() % 24) as usize;
        let v: Vec<u8> = (0..len)
            .map(|_| match self.next() % 8 {
                0 => b"@:-_ [].0123456789"[(self.next() % 18) as usize],
                1 => 0xC0 + (self.next() % 0x40) as u8,
                2 => 0x80 + (self.next() % 0x40) as u8,
                _ => 1 + (self.next() % 255) as u8,
            })
            .collect();
        CString::new(v).unwrap()
    }
}

fn encoded(o: *const SpreadOrder) -> String {
    let p = spread_order_encode(o);
    assert!(!p.is_null());
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    spread_string_free(p);
    s
}

fn check(status: c_int, before: &str, o: *const SpreadOrder) -> bool {
    assert_ne!(status, SpreadStatus::SPREAD_ERR_PANIC as c_int, "panic: {:?}", unsafe { CStr::from_ptr(spread_last_error()) });
    if status != 0 {
        let msg = unsafe { CStr::from_ptr(spread_last_error()) }.to_str().expect("messages are UTF-8");
        assert!(!msg.is_empty(), "a failure without a message");
        assert_eq!(encoded(o), before, "a failed setter changed the order");
    }
    status == 0
}

type Setter = extern "C" fn(*mut SpreadOrder, *const c_char) -> c_int;

#[test]
fn arbitrary_bytes_never_panic_and_failures_change_nothing() {
    let setters: &[Setter] = &[
        spread_order_set_customer_email,
        spread_order_set_external_id,
        spread_order_set_customer_gender,
        spread_order_set_customer_country,
        spread_order_set_customer_lang,
        spread_order_set_customer_birthday,
        spread_order_set_customer_address,
        spread_order_set_order_idorder,
        spread_order_set_order_crea_dt,
        spread_order_set_order_amount_str,
        spread_order_add_tag,
        spread_order_del_order_tag,
        spread_order_add_product_attribute,
    ];
    let mut rng = Rng(0xF022_5EED);
    let mut o = spread_order_new();
    let (mut accepted, mut refused) = (0usize, 0usize);
    for i in 0..CASES {
        if i % 500 == 0 {
            spread_order_free(o);
            o = spread_order_new();
        }
        let before = encoded(o);
        let (a, b) = (rng.bytes(), rng.bytes());
        let status = match rng.next() % 6 {
            0 => spread_order_set_field(o, a.as_ptr(), b.as_ptr()),
            1 => spread_order_set_custom_field(o, (rng.next() % 4) as u32, a.as_ptr()),
            2 => spread_order_set_consent(o, a.as_ptr(), rng.next().is_multiple_of(2)),
            // Any bits (mostly refused now: PHP prints them in exponent form), or a price.
            3 if rng.next().is_multiple_of(2) => spread_order_set_order_amount(o, f64::from_bits(rng.next())),
            3 => spread_order_set_order_amount(o, (rng.next() % 10_000_000) as f64 / 100.0),
            4 => spread_order_set_order_state(o, (rng.next() % 120) as i32 - 10),
            _ => setters[(rng.next() % setters.len() as u64) as usize](o, a.as_ptr()),
        };
        if check(status, &before, o) {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    spread_order_free(o);
    eprintln!("fuzz: {CASES} cases, {accepted} accepted, {refused} refused, no panic");
    assert!(accepted > CASES / 20 && refused > CASES / 20, "the generator only explores one side");
}

#[test]
fn arbitrary_client_configuration_never_panics() {
    let mut rng = Rng(0x00C1_1E27);
    for _ in 0..5_000 {
        let (a, b) = (rng.bytes(), rng.bytes());
        let c = spread_client_new(a.as_ptr(), b.as_ptr());
        if c.is_null() {
            assert!(!unsafe { CStr::from_ptr(spread_last_error()) }.to_bytes().is_empty());
            continue;
        }
        for status in [
            spread_client_set_base_url(c, rng.bytes().as_ptr()),
            spread_client_set_base_url(c, CString::new(format!("http://127.0.0.1:1/{}", rng.next())).unwrap().as_ptr()),
            spread_client_set_timeout_ms(c, (rng.next() % 3) as u32),
            spread_client_set_ca_file(c, rng.bytes().as_ptr()),
        ] {
            assert_ne!(status, SpreadStatus::SPREAD_ERR_PANIC as c_int);
        }
        spread_client_free(c);
    }
}

/// A form body or JSON from arbitrary pieces: mostly well-formed enough to reach the validator.
fn post_data(rng: &mut Rng) -> (CString, CString) {
    let keys = [
        "customer_email",
        "external_id",
        "order_idorder",
        "order_state",
        "order_amount",
        "order_crea_dt",
        "customer_birthday",
        "add_tag",
        "custom_fields",
        "x",
    ];
    let mut form = String::new();
    let mut json = String::from("{");
    for i in 0..(rng.next() % 8) {
        let key = keys[(rng.next() % keys.len() as u64) as usize];
        let raw = rng.bytes();
        let value = String::from_utf8_lossy(raw.as_bytes()).into_owned();
        if i > 0 {
            form.push('&');
            json.push(',');
        }
        let nested = if rng.next().is_multiple_of(4) { "%5B%5D" } else { "" };
        form.push_str(&format!("data%5B{key}%5D{nested}={}", value.replace(['&', '='], "%26")));
        json.push_str(&format!("{:?}:{:?}", key, value));
    }
    json.push('}');
    if rng.next().is_multiple_of(5) {
        json = String::from_utf8_lossy(rng.bytes().as_bytes()).into_owned();
    }
    (CString::new(form).unwrap(), CString::new(json.replace('\0', "")).unwrap())
}

#[test]
fn arbitrary_drop_in_data_never_panics() {
    let mut rng = Rng(0x00D2_0B1A);
    let (mut made, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let (form, json) = post_data(&mut rng);
        let strict = rng.next().is_multiple_of(2);
        for o in [spread_order_from_form(form.as_ptr(), strict), spread_order_from_json(json.as_ptr(), strict)] {
            if o.is_null() {
                assert_ne!(spread::ffi::spread_last_status(), SpreadStatus::SPREAD_ERR_PANIC as c_int);
                assert!(!unsafe { CStr::from_ptr(spread_last_error()) }.to_bytes().is_empty());
                refused += 1;
            } else {
                encoded(o);
                made += 1;
                spread_order_free(o);
            }
        }
    }
    eprintln!("fuzz: drop-in {made} orders made, {refused} refused, no panic");
    assert!(refused > 0);
}

/// fuzz/corpus/: every committed seed through the parser its target fuzzes.
#[test]
fn the_fuzz_seeds_replay() {
    let corpus = common::repo().join("fuzz/corpus");
    let mut replayed = 0;
    for target in ["form", "json", "digest", "retry_after", "location", "spool_entry", "answer"] {
        let dir = corpus.join(target);
        let mut seeds: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{target}: no seed");
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            let text = String::from_utf8_lossy(&data);
            match target {
                "form" => {
                    for strict in [false, true] {
                        let quick = spread::dropin::from_form(&text, strict).map(|o| (o.warnings().to_vec(), o.encode()));
                        let whole = spread::fuzzing::form_whole(&text, strict).map(|o| (o.warnings().to_vec(), o.encode()));
                        assert_eq!(quick, whole, "{}", seed.display());
                    }
                }
                "json" => drop(spread::dropin::from_json(&text, false).map(|o| o.encode())),
                "digest" => drop(spread::fuzzing::digest(&text.split('\n').collect::<Vec<_>>(), "POST", "/api/updateOrder")),
                "retry_after" => drop(spread::fuzzing::retry_after(&text, std::time::SystemTime::now())),
                "location" => drop(spread::fuzzing::location("https://social-sb.com/api/updateOrder", Some(text.get(1..).unwrap_or("")), 302, false)),
                "spool_entry" => drop(spread::spool::parse_entry_bytes(&data)),
                _ => drop(spread::fuzzing::answer(422, &text)),
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 7);
}
