//! Encoding the seed order (shared/seed/spread-updateOrder-integration.txt):
//! `Order::encode()` alone, and building + validating + encoding it, as a
//! request does. `make bench` (bench/run.py) reads the medians from
//! target/criterion/ and compares them with PHP's `http_build_query`.
//!
//!   cargo bench --bench encode                 # full run
//!   cargo bench --bench encode -- --quick      # a fast, rougher run

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use spread::Order;

/// The seed's `$post_data`, field for field and in its order (no
/// `customer_cookie`: the seed sets it only when the browser sent one).
fn seed_order() -> Order {
    let mut o = Order::new();
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
    o.add_to_list("add_tag", "tag1").unwrap();
    o.add_to_list("add_tag", "tag2").unwrap();
    o.add_to_list("del_tag", "tag3").unwrap();
    o.add_to_list("del_tag", "tag4").unwrap();
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
    o.add_to_list("add_order_tag", "tag_commande_1").unwrap();
    o.add_to_list("add_order_tag", "tag_commande_2").unwrap();
    o.add_to_list("del_order_tag", "tag_commande_3").unwrap();
    o.add_to_list("del_order_tag", "tag_commande_4").unwrap();
    o
}

fn encode(c: &mut Criterion) {
    let order = seed_order();
    // The body PHP's http_build_query gives for the seed (1436 bytes, see
    // shared/reference/curl-wire.md): a wrong body would make the timing meaningless.
    let body = order.encode();
    assert_eq!(body.len(), 1436, "{body}");
    assert!(body.starts_with("data%5Bcustomer_email%5D=john%40doe.com&"), "{body}");
    assert!(body.ends_with("&request%5Border_idorder%5D=0000001"), "{body}");

    c.bench_function("encode_seed_order", |b| b.iter(|| black_box(&order).encode()));
    c.bench_function("build_and_encode_seed_order", |b| b.iter(|| black_box(seed_order()).encode()));
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
