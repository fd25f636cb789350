//! Encoding the seed order (tests/fixtures/spread-updateOrder-integration.txt):
//! `Order::encode()` alone, and building + validating + encoding it, as a
//! request does. `make bench` (bench/run.py) reads the medians from
//! target/criterion/ and compares them with PHP's `http_build_query`.
//!
//!   cargo bench --bench encode                 # full run
//!   cargo bench --bench encode -- --quick      # a fast, rougher run

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

/// The tests' helpers, for `seed_order()` (the seed's `$post_data`, field for field).
#[path = "../tests/common/mod.rs"]
mod common;

use common::seed_order;

fn encode(c: &mut Criterion) {
    let order = seed_order();
    // The body PHP's http_build_query gives for the seed (1436 bytes, as measured in
    // tests/fixtures/seed_body.txt): a wrong body would make the timing meaningless.
    let body = order.encode();
    assert_eq!(body.len(), 1436, "{body}");
    assert!(body.starts_with("data%5Bcustomer_email%5D=john%40doe.com&"), "{body}");
    assert!(body.ends_with("&request%5Border_idorder%5D=0000001"), "{body}");

    c.bench_function("encode_seed_order", |b| b.iter(|| black_box(&order).encode()));
    c.bench_function("build_and_encode_seed_order", |b| b.iter(|| black_box(seed_order()).encode()));
    // The PHP binding's drop-in path: PHP's own body, parsed and checked, sent as it is.
    c.bench_function("dropin_from_form_seed_body", |b| b.iter(|| spread::dropin::from_form(black_box(&body), false).unwrap().encode()));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = encode
}
criterion_main!(benches);
