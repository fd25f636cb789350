use super::*;

#[test]
fn setting_again_replaces_in_place() {
    let mut o = Order::new();
    o.set("customer_name", "Doe").unwrap();
    o.set("customer_city", "Rouen").unwrap();
    o.set("customer_name", "Dupont").unwrap();
    assert_eq!(o.encode(), "data%5Bcustomer_name%5D=Dupont&data%5Bcustomer_city%5D=Rouen");
}

#[test]
fn errors_change_nothing() {
    let mut o = Order::new();
    o.set_order_state(20).unwrap();
    let before = o.clone();
    assert!(o.set_order_state(7).is_err());
    assert!(o.set("order_state", "7").is_err());
    assert!(o.set("customer_email", "nope").is_err());
    assert!(o.add_to_list(ListField::AddTag, "").is_err());
    assert!(o.set_custom_field(0, "x").is_err());
    assert!(o.set_consent("a[b]", true).is_err());
    assert!(o.add_product_attribute("size").is_err());
    assert!(o.add_product_with(&["size:xl", "nope"]).is_err());
    assert!(o.add_all_to_list(ListField::DelTag, &["a", "", "b"]).is_err());
    assert!(o.set("add_tag", "x").is_err());
    assert!(o.set("", "x").is_err());
    assert_eq!(o, before);
}

#[test]
fn required_fields_are_named() {
    let mut o = Order::new();
    assert_eq!(o.check_required().unwrap_err().kind, ErrorKind::MissingField);
    o.set("external_id", "x1").unwrap();
    o.set("order_idorder", "1").unwrap();
    o.set_order_state(10).unwrap();
    o.set_order_amount(1.5).unwrap();
    let e = o.check_required().unwrap_err();
    assert_eq!(e.message, "order_crea_dt: is required to send an order");
    o.set("order_crea_dt", "2014-06-21 14:31:08").unwrap();
    o.check_required().unwrap();
}

#[test]
fn lists_products_and_request_id() {
    let mut o = Order::new();
    o.set("order_idorder", "7").unwrap();
    o.add_to_list(ListField::AddTag, "a b").unwrap();
    o.add_product_attribute("size:xl").unwrap();
    o.add_product_with(&["color:blue"]).unwrap();
    o.set_consent("NewsEmail", false).unwrap();
    assert_eq!(
        o.encode(),
        "data%5Border_idorder%5D=7&data%5Badd_tag%5D%5B0%5D=a+b\
         &data%5Bproduct_attributes%5D%5B0%5D%5B0%5D=size%3Axl\
         &data%5Bproduct_attributes%5D%5B1%5D%5B0%5D=color%3Ablue\
         &data%5Bconsents%5D%5BNewsEmail%5D=0&request%5Border_idorder%5D=7"
    );
}

#[test]
fn the_request_id_is_written_as_http_build_query_writes_it() {
    for id in [Value::Str("A b/é&7".into()), Value::Int(-12), Value::Float(158.31), Value::Bool(true)] {
        let data = Value::Array(vec![(Key::from("x y"), Value::Int(1)), (Key::from(fields::ORDER_IDORDER.name), id.clone())]);
        let o = Order::from_parts(vec![(Key::from(DATA), data.clone())], true, None, Vec::new());
        let text = scalar_text(&id).unwrap().into_owned();
        let whole = [(Key::from(DATA), data), (Key::from(REQUEST), Value::Array(vec![(Key::from(fields::ORDER_IDORDER.name), Value::Str(text))]))];
        assert_eq!(o.encode(), crate::php::http_build_query(&whole));
    }
}

#[test]
fn a_setter_drops_the_raw_body() {
    let mut o = Order::from_parts(vec![], false, Some("x=1".into()), vec![]);
    assert_eq!(o.encode(), "x=1");
    o.set("customer_name", "Doe").unwrap();
    assert_eq!(o.encode(), "data%5Bcustomer_name%5D=Doe");
}

/// Issue 21 item 4: a million levels freed on a 256 KiB stack (a recursive drop needs
/// some 50 bytes a level).
#[test]
fn a_deep_order_is_freed_without_recursion() {
    let mut deep = Value::Str("1".into());
    for _ in 0..1_000_000 {
        deep = Value::Array(vec![(Key::Int(0), deep)]);
    }
    let order = Order::from_parts(vec![(Key::from("x"), deep)], false, None, Vec::new());
    std::thread::Builder::new().stack_size(256 * 1024).spawn(move || drop(order)).unwrap().join().expect("freed");
}
