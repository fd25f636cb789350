use super::*;

const REQUIRED: &str =
    r#""customer_email":"john@doe.com","order_idorder":"0000001","order_state":"10","order_amount":158.31,"order_crea_dt":"2014-06-21 14:31:08""#;

#[test]
fn a_php_body_is_sent_byte_for_byte() {
    let body = "data%5Bcustomer_email%5D=john%40doe.com&data%5Border_idorder%5D=0000001&data%5Border_state%5D=10\
                &data%5Border_amount%5D=158.310&data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08\
                &data%5Badd_tag%5D%5B0%5D=a&request%5Border_idorder%5D=0000001";
    let order = from_form(body, false).unwrap();
    assert_eq!(order.encode(), body);
    assert_eq!(order.id().as_deref(), Some("0000001"));
    assert!(order.warnings().is_empty());
}

#[test]
fn just_the_data_part_is_wrapped_like_the_seed() {
    let order = from_form("customer_email=a%40b&order_idorder=7&order_state=20&order_amount=1&order_crea_dt=2014-06-21+14%3A31%3A08", true).unwrap();
    assert_eq!(
        order.encode(),
        "data%5Bcustomer_email%5D=a%40b&data%5Border_idorder%5D=7&data%5Border_state%5D=20&data%5Border_amount%5D=1\
         &data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&request%5Border_idorder%5D=7"
    );
}

#[test]
fn legacy_values_are_sent_and_reported() {
    let json = format!(
        r#"{{"data":{{{REQUIRED},"customer_birthday":"0000-00-00","customer_country":"fr","customer_gender":"","customer_lang":"French","unknown":null,"nothing":[]}},"request":{{"order_idorder":"0000001"}}}}"#
    );
    let order = from_json(&json, false).unwrap();
    let w = order.warnings();
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(w[0].starts_with("customer_birthday: \"0000-00-00\" is not a date") && w[0].ends_with("(sent as is)"), "{}", w[0]);
    assert!(order.encode().contains("data%5Bcustomer_birthday%5D=0000-00-00&data%5Bcustomer_country%5D=fr&data%5Bcustomer_gender%5D=&"));
    assert!(!order.encode().contains("unknown") && !order.encode().contains("nothing"));
    let e = from_json(&json, true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert!(e.message.starts_with("customer_birthday: "), "{e}");
}

#[test]
fn required_fields_stay_strict() {
    for (bad, field) in [
        (r#""order_state":"7""#, "order_state"),
        (r#""order_amount":1e20"#, "order_amount"),
        (r#""order_crea_dt":"0000-00-00 00:00:00""#, "order_crea_dt"),
        (r#""order_idorder":"""#, "order_idorder"),
    ] {
        let json =
            format!("{{{}}}", REQUIRED.split(',').map(|kv| if kv.starts_with(&format!("\"{field}\"")) { bad } else { kv }).collect::<Vec<_>>().join(","));
        let e = from_json(&json, false).unwrap_err();
        assert!(e.message.starts_with(&format!("{field}: ")), "{json}: {e}");
    }
    let e = from_json(r#"{"order_idorder":"1","order_state":10,"order_amount":1,"order_crea_dt":"2014-06-21 14:31:08"}"#, false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingField);
    let e = from_json(r#"{"customer_email":"nope","order_idorder":"1","order_state":10,"order_amount":1,"order_crea_dt":"2014-06-21 14:31:08"}"#, false)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    // One good identifier is enough; the other is a warning.
    let o = from_json(
        r#"{"customer_email":"nope","external_id":"X1","order_idorder":1,"order_state":10,"order_amount":1,"order_crea_dt":"2014-06-21 14:31:08"}"#,
        false,
    )
    .unwrap();
    assert_eq!(o.warnings().len(), 1);
    assert_eq!(o.id().as_deref(), Some("1"));
}

#[test]
fn json_values_as_php_sends_them() {
    let json = format!(
        r#"{{"data":{{{REQUIRED},"flag":true,"off":false,"n":-3,"f":0.30000000000000004,"big":1e20,"custom_fields":{{"327":"v","12":2.5}},"consents":{{"News":true}},"add_tag":["a","b"]}}}}"#
    );
    let body = from_json(&json, true).unwrap().encode();
    assert!(body.contains("&data%5Bflag%5D=1&data%5Boff%5D=0&data%5Bn%5D=-3&data%5Bf%5D=0.3&data%5Bbig%5D=1.0E%2B20"), "{body}");
    assert!(body.contains("data%5Bcustom_fields%5D%5B327%5D=v&data%5Bcustom_fields%5D%5B12%5D=2.5&data%5Bconsents%5D%5BNews%5D=1"), "{body}");
    assert!(!body.contains("request"), "a whole $post_data without request gets none");
    assert_eq!(from_json("[1]", false).unwrap_err().kind, ErrorKind::InvalidValue);
    assert_eq!(from_json("{", false).unwrap_err().kind, ErrorKind::InvalidValue);
}

#[test]
fn the_quick_scan_checks_what_the_whole_parse_checks() {
    let bodies = [
        "data%5Bcustomer_email%5D=john%40doe.com&data%5Border_idorder%5D=7&data%5Border_state%5D=10&data%5Border_amount%5D=1.5\
         &data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&data%5Bcustomer_birthday%5D=0000-00-00&data%5Badd_tag%5D%5B0%5D=&data%5Bzz%5D=1\
         &data%5Bproduct_attributes%5D%5B0%5D%5B0%5D=size&data%5Bconsents%5D%5BNews%5D=2&request%5Border_idorder%5D=7",
        "data%5Bexternal_id%5D=X&data%5Border_idorder%5D=7&data%5Border_state%5D=7&data%5Border_amount%5D=1&data%5Border_crea_dt%5D=x",
        "data%5Border_idorder%5D=7",
        // Brackets that do not nest, empty, unclosed or nested too deep; pairs without '='.
        "data%5Bcustomer_email%5D=a%40b.fr&data%5Border_idorder%5D=7&data%5Border_state%5D=10&data%5Border_amount%5D=1\
         &data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&data%5Badd_tag%5Dx%5B0%5D=a&data%5Bdel_tag%5D%5B0=b\
         &data%5Bproduct_attributes%5D%5B%5D%5B%5D=size%3Axl&data%5Bproduct_attributes%5D%5B%5D%5B%5D=bad\
         &data%5Bcustom_fields%5D%5B12%5D%5Bx%5D=1&data%5Bcustomer_gender%5D&&data%5B=1",
        // Keys PHP also reads into `data`, which only the whole parse handles.
        "data%5Bcustomer_email%5D=a%40b.fr&data%5Border_idorder%5D=7&data%5Border_state%5D=10&data%5Border_amount%5D=1\
         &data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&data%5bcustomer_gender%5d=x&data",
        "data%5Border_idorder%5D=7&data[customer_email]=a%40b.fr",
        // Found by fuzz/ (form): text after a `data%5B` key's last bracket is not read;
        // a list field given one value; a scalar field given brackets.
        "customer_email=a%40b.fr&external_id=X1&order_idorder=7&order_state=20&order_amount=1\
         &order_crea_dt=2014-06-21+14%3A31%3A08&data%5Bcustom_fields%5D-00-00",
        "data%5Bcustomer_email%5D=a%40b.fr&data%5Border_idorder%5D=7&data%5Border_state%5D=10&data%5Border_amount%5D=1\
         &data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&data%5Bdel_order_tag%5D=x&data%5Bcustomer_gender%5D%5B0%5D=x",
        // Found by fuzz/ (form): `dat%61` is `data` once decoded, and replaces the array.
        "data%5Bcustomer_email%5D=adta7\0\0\0a%aa%40b&dat%61&%5B%5D=&a[b]c[d][012]=2",
        // Names PHP reads unlike their bytes: a leading blank, a NUL, `[ ]`, trailing text.
        &format!("+{REQUIRED_FORM}"),
        &format!("{REQUIRED_FORM}&data%00%5Bx%5D=1"),
        &format!("{REQUIRED_FORM}&data%5Badd_tag%5D%5B+%5D=a&data%5Bcustomer_email%5D%00x=c%40d.fr&data%5Border_state%5Dx=20"),
    ];
    for body in bodies {
        for strict in [false, true] {
            let quick = from_form(body, strict);
            let whole = tree(body).and_then(|t| build(t, Some(body.to_owned()), strict));
            match (&quick, &whole) {
                (Ok(q), Ok(w)) => {
                    assert_eq!(q.warnings(), w.warnings(), "{body}");
                    assert_eq!((q.id(), q.encode()), (w.id(), w.encode()));
                }
                (Err(q), Err(w)) => assert_eq!(q, w, "{body}"),
                _ => panic!("{body} strict={strict}: {quick:?} vs {whole:?}"),
            }
        }
    }
    // Changed afterwards, a drop-in order keeps every field PHP sent.
    let mut o = from_form(bodies[0], false).unwrap();
    o.set("customer_name", "Doe").unwrap();
    assert!(o.encode().contains("data%5Bzz%5D=1") && o.encode().contains("customer_name%5D=Doe"), "{}", o.encode());
}

/// The required fields, as a form body.
const REQUIRED_FORM: &str = "data%5Bcustomer_email%5D=a%40b.fr&data%5Border_idorder%5D=7&data%5Border_state%5D=10\
     &data%5Border_amount%5D=1&data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08";

/// What SPREAD's PHP reads into `$_POST['data']` is what the drop-in checks, whatever
/// the name's bytes (PHP 8.2: `php -r 'parse_str("+data[a]=1&data[b]x=2", $o); var_export($o);'`).
#[test]
fn names_are_read_as_php_reads_them() {
    // A leading blank is dropped: these are the order's fields.
    let order = from_form(&format!("+{REQUIRED_FORM}"), true).unwrap();
    assert_eq!(order.get("customer_email"), Some(&Value::Str("a@b.fr".into())));
    // Text after the last bracket is not read; a NUL ends the name.
    let order = from_form(&format!("{REQUIRED_FORM}&data%5Border_state%5Dx=20&data%5Bcustomer_email%5D%00y=c%40d.fr"), true).unwrap();
    assert_eq!((order.get("order_state"), order.get("customer_email")), (Some(&Value::Str("20".into())), Some(&Value::Str("c@d.fr".into()))));
    // `data` made a string by a later name that reads as `data`: nothing left to send.
    for later in ["dat%61=", "data%00%5Bx%5D=1", "%20data=x"] {
        let err = from_form(&format!("{REQUIRED_FORM}&{later}"), false).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MissingField, "{later}: {err}");
    }
}

/// SPREAD's PHP reads the first 1,001 pieces of a body (max_input_vars; tests/php_parse.rs
/// measures it): a body with more is parsed, and refused before a send, naming what
/// would be lost.
#[test]
fn a_body_past_max_input_vars_is_refused_before_a_send() {
    let fits = format!("{REQUIRED_FORM}{}", (0..996).map(|i| format!("&data%5Badd_tag%5D%5B{i}%5D=t")).collect::<String>());
    from_form(&fits, true).unwrap().check_required().unwrap();
    // An empty piece counts, as in PHP.
    let err = from_form(&format!("{fits}&&x=1"), true).unwrap().check_required().unwrap_err();
    assert!(err.message.starts_with("post_data: 1003 variables") && err.message.contains("\"x\" on"), "{err}");
}

/// Issue 21 item 4: this 600 KB body overflowed the stack (the parsed value's drop recursed
/// once per level) and killed the host process.
#[test]
fn a_600_kb_nested_body_is_a_clear_error() {
    let body = format!("x{}=1", "[a]".repeat(200_000));
    assert_eq!(body.len(), 600_003);
    for strict in [false, true] {
        let e = from_form(&body, strict).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue);
        assert!(e.message.starts_with("post_data: ") && e.message.contains("200000 levels") && e.message.contains("64"), "{e}");
        assert!(e.message.len() < 300, "the key is not repeated whole: {}", e.message.len());
    }
    // Inside a whole $post_data too (the quick scan's path), and url-encoded brackets.
    let body = format!("data%5Border_idorder%5D=1&data%5Badd_tag%5D{}=1", "%5B%5D".repeat(100_000));
    assert!(from_form(&body, false).unwrap_err().message.contains("100001 levels"));
}

/// PHP's max_input_nesting_level (64): 64 brackets are read, 65 are not.
#[test]
fn nesting_is_bounded_like_php() {
    let ok = format!("{}&data%5Bcustom_fields%5D{}=1", seed_body(), "%5B1%5D".repeat(63));
    let order = from_form(&ok, false).unwrap();
    assert!(order.warnings().len() == 1 && order.warnings()[0].contains("nested"), "{:?}", order.warnings());
    let deep = format!("{}&data%5Bcustom_fields%5D{}=1", seed_body(), "%5B1%5D".repeat(64));
    let e = from_form(&deep, false).unwrap_err();
    assert!(e.message.contains("65 levels"), "{e}");
    let sent = build(whole(&ok).unwrap(), None, false).unwrap().encode();
    assert!(sent.contains(&format!("&data%5Bcustom_fields%5D{}=1&", "%5B1%5D".repeat(63))), "{sent}");
    assert!(whole(&deep).is_err());
    // Any key, not only data's; and the JSON path, whose body would nest as deep.
    assert!(from_form(&format!("{}&x{}=1", seed_body(), "[]".repeat(65)), false).is_err());
    assert!(from_form(&format!("{}&x{}=1", seed_body(), "[]".repeat(64)), false).is_ok());
    let nested = |n: usize| format!(r#"{{"data":{{{REQUIRED},"custom_fields":{}1{}}}}}"#, "[".repeat(n), "]".repeat(n));
    assert!(from_json(&nested(63), false).is_ok());
    let e = from_json(&nested(64), false).unwrap_err();
    assert!(e.message.starts_with("post_data: ") && e.message.contains("65 levels"), "{e}");
    let just_data = |n: usize| format!(r#"{{{REQUIRED},"x":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
    assert!(from_json(&just_data(63), false).is_ok());
    assert!(from_json(&just_data(64), false).is_err(), "data[...] counts: it is sent");
}

fn seed_body() -> &'static str {
    "data%5Bcustomer_email%5D=john%40doe.com&data%5Border_idorder%5D=0000001&data%5Border_state%5D=10\
     &data%5Border_amount%5D=158.310&data%5Border_crea_dt%5D=2014-06-21+14%3A31%3A08&request%5Border_idorder%5D=0000001"
}

/// Issue 21 item 5: each append scanned the whole array (80,000 tags took 3.5 s, 200,000
/// `x[]` 26.5 s). Bounds are generous (debug builds, a loaded machine): linear is ~50 ms.
#[test]
fn appends_are_linear() {
    let tags = format!("{}{}", seed_body(), "&data%5Badd_tag%5D%5B%5D=tag-000001".repeat(80_000));
    assert!(tags.len() > 2_500_000);
    let started = std::time::Instant::now();
    let order = from_form(&tags, false).unwrap();
    let quick = started.elapsed();
    let Some(Value::Array(added)) = order.get("add_tag") else { panic!("no add_tag") };
    assert_eq!((added.len(), &added[79_999].0), (80_000, &Key::Int(79_999)));
    let started = std::time::Instant::now();
    let all = whole(&tags).unwrap();
    let parsed = started.elapsed();
    drop(all);
    let xs = "x[]=1&".repeat(200_000);
    let started = std::time::Instant::now();
    let top = whole(&xs).unwrap();
    let appended = started.elapsed();
    let [(_, Value::Array(x))] = &top[..] else { panic!("{:?}", &top[..1]) };
    assert_eq!(x.len(), 200_000);
    eprintln!("80,000 tags (2.5 MB): quick scan {quick:?}, whole parse {parsed:?}; 200,000 x[]: {appended:?}");
    for (what, took) in [("tags, quick scan", quick), ("tags, whole parse", parsed), ("x[]", appended)] {
        assert!(took < std::time::Duration::from_secs(1), "{what}: {took:?}");
    }
}

/// PHP's next index: after the largest integer key, even a negative one; nothing after
/// PHP_INT_MAX (PHP drops such an append).
#[test]
fn appends_follow_php_next_index() {
    let keys = |body: &str| match &whole(body).unwrap()[..] {
        [(_, Value::Array(items))] => items.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(keys("x[-5]=1&x[]=2"), [Key::Int(-5), Key::Int(-4)]);
    assert_eq!(keys("x[a]=1&x[]=2&x[7]=3&x[]=4&x[2]=5"), [Key::from("a"), Key::Int(0), Key::Int(7), Key::Int(8), Key::Int(2)]);
    assert_eq!(keys("x[9223372036854775807]=1&x[]=2&x[]=3"), [Key::Int(i64::MAX)]);
    // Set again: replaced in place, PHP's last value wins; a scalar becomes an array.
    assert_eq!(whole("a=1&b=2&a=3").unwrap(), [(Key::from("a"), Value::Str("3".into())), (Key::from("b"), Value::Str("2".into()))]);
    assert_eq!(whole("a=1&a[x]=2").unwrap(), [(Key::from("a"), Value::Array(vec![(Key::from("x"), Value::Str("2".into()))]))]);
}

/// The quick scan reads a field given twice as PHP does: the last one.
#[test]
fn the_quick_scan_takes_the_last_of_a_repeated_field() {
    let body = format!("{}&data%5Bcustomer_country%5D=fr&data%5Bcustomer_country%5D=FR", seed_body());
    assert_eq!(from_form(&body, true).map(|o| o.warnings().len()), Ok(0));
    let body = format!("{}&data%5Bcustomer_country%5D=FR&data%5Bcustomer_country%5D=fr", seed_body());
    assert!(from_form(&body, true).is_err());
}

/// The whole parse.
fn whole(body: &str) -> Result<Vec<(Key, Value)>> {
    tree(body)
}

/// The data part with `order_amount` given as `amount` (JSON text).
fn with_amount(amount: &str) -> String {
    format!("{{{}}}", REQUIRED.replace("\"order_amount\":158.31", &format!("\"order_amount\":{amount}")))
}

/// The form body PHP's http_build_query writes for the same data part, amount as PHP prints it.
fn form_with_amount(amount: &str) -> String {
    format!("customer_email=john%40doe.com&order_idorder=0000001&order_state=10&order_amount={amount}&order_crea_dt=2014-06-21+14%3A31%3A08")
}

#[test]
fn refunds_zero_and_minus_zero_are_sent_with_a_warning() {
    // Issue 23.3: a credit note (-29.85), a free order (0), round() of a tiny negative (-0).
    for (json, php) in [("-29.85", "-29.85"), ("-29", "-29"), ("0", "0"), ("0.0", "0"), ("-0.0", "-0"), ("\"-0.00\"", "-0.00")] {
        for order in [from_json(&with_amount(json), false), from_form(&form_with_amount(php), false)] {
            let order = order.unwrap_or_else(|e| panic!("{json}: {e}"));
            assert!(order.encode().contains(&format!("data%5Border_amount%5D={php}&")), "{json}: {}", order.encode());
            let w = order.warnings();
            assert_eq!(w.len(), 1, "{json}: {w:?}");
            assert!(w[0].starts_with(&format!("order_amount: {php} is ")) && w[0].ends_with("(sent as is)"), "{json}: {}", w[0]);
        }
        for e in [from_json(&with_amount(json), true), from_form(&form_with_amount(php), true)] {
            let e = e.unwrap_err();
            assert!(e.message.starts_with(&format!("order_amount: {php} is ")), "{json}: {e}");
        }
    }
}

#[test]
fn an_amount_gets_one_rule_on_the_text_sent() {
    // Issue 23.2: PHP's form path and the JSON path give the same outcome for the same float.
    for (json, php) in [("1e20", "1.0E%2B20"), ("5.5511151231258e-17", "5.5511151231258E-17"), ("\"1,5\"", "1%2C5"), ("\"NAN\"", "NAN")] {
        for strict in [false, true] {
            let a = from_json(&with_amount(json), strict).unwrap_err();
            let b = from_form(&form_with_amount(php), strict).unwrap_err();
            assert_eq!(a.message, b.message, "{json}");
            assert!(a.message.starts_with("order_amount: ") && a.message.contains("not a plain decimal amount"), "{a}");
        }
    }
    // The typed setter: the same text rule, negatives refused (documented).
    let mut o = Order::new();
    assert!(o.set_order_amount(1e20).unwrap_err().message.contains("not a plain decimal amount"));
    assert!(o.set_order_amount(-29.85).unwrap_err().message.contains("negative"));
    assert!(o.set_order_amount(-0.0).unwrap_err().message.contains("negative"));
    o.set_order_amount(0.0).unwrap();
    o.set_order_amount(158.31).unwrap();
}

#[test]
fn warnings_name_the_key_the_body_writes() {
    // Issue 23.4: sparse product keys; the warning names product_attributes[2][1], not a position.
    let json = format!(r#"{{{REQUIRED},"product_attributes":{{"2":{{"0":"size:xl","1":"colour"}}}}}}"#);
    let body = "customer_email=john%40doe.com&order_idorder=0000001&order_state=10&order_amount=158.31\
                &order_crea_dt=2014-06-21+14%3A31%3A08&product_attributes%5B2%5D%5B0%5D=size%3Axl&product_attributes%5B2%5D%5B1%5D=colour";
    for order in [from_json(&json, false).unwrap(), from_form(body, false).unwrap()] {
        assert_eq!(order.warnings().len(), 1, "{:?}", order.warnings());
        assert!(order.warnings()[0].starts_with("product_attributes[2][1]: "), "{}", order.warnings()[0]);
    }
}

#[test]
fn what_php_leaves_out_warns_about_nothing() {
    // Issue 23.4: an empty array sends nothing (PHP leaves it out), so it is not "sent as is".
    let json = format!(r#"{{{REQUIRED},"custom_fields":{{"3":[],"4":{{"x":[]}}}},"consents":[],"add_tag":[[]]}}"#);
    let order = from_json(&json, false).unwrap();
    assert!(order.warnings().is_empty(), "{:?}", order.warnings());
    assert!(!order.encode().contains("custom_fields"));
    from_json(&json, true).unwrap();
}

#[test]
fn a_list_given_one_value_warns_on_both_paths() {
    let json = format!(r#"{{{REQUIRED},"add_tag":"vip"}}"#);
    let body = "customer_email=john%40doe.com&order_idorder=0000001&order_state=10&order_amount=158.31\
                &order_crea_dt=2014-06-21+14%3A31%3A08&add_tag=vip";
    let (a, b) = (from_json(&json, false).unwrap(), from_form(body, false).unwrap());
    assert_eq!(a.warnings(), b.warnings());
    assert_eq!(a.warnings().len(), 1);
}

/// The quick scan and the whole parse agree on random bodies made of the pieces that
/// matter (known names, brackets written every way, escapes, repeats, other keys): the
/// verdict, the warnings, the id, the body sent, `check_required`, and `get` of every
/// known field (which a quick-scanned order builds only when read).
#[test]
fn the_quick_scan_agrees_with_the_whole_parse_on_random_bodies() {
    use strum::IntoEnumIterator;
    let mut names: Vec<&str> = fields::SCALAR_FIELDS.iter().map(|f| f.name).collect();
    names.extend(fields::ListField::iter().map(fields::ListField::name));
    names.extend([CUSTOM_FIELDS, CONSENTS, PRODUCT_ATTRIBUTES, "zz", ""]);
    let brackets = ["", "%5B0%5D", "%5B1%5D", "%5B%5D", "%5B0%5D%5B1%5D", "%5Bx%5D", "%5b0%5d", "[0]", "%5B0", "%5B+%5D", "%5B%2B%5D"];
    let values = ["10", "1", "0", "x", "", "a%40b.fr", "2014-06-21+14%3A31%3A08", "1970-12-31", "158.31", "-1", "size%3Axl", "FR", "fr_FR", "male", "%00", "%"];
    let mut state = 0x5EED_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let base = seed_body();
    let mut seen_ok = 0;
    for _ in 0..20_000 {
        let mut body = if next(3) > 0 { base.to_owned() } else { String::new() };
        for _ in 0..next(6) {
            let sep = if body.is_empty() { "" } else { "&" };
            let prefix = ["data%5B", "data%5B", "data%5B", "x", "data"][next(5)];
            let close = if prefix == "data%5B" { ["%5D", "%5D", "%5D", "", "%5d"][next(5)] } else { "" };
            body.push_str(&format!("{sep}{prefix}{}{close}{}={}", names[next(names.len())], brackets[next(brackets.len())], values[next(values.len())]));
        }
        for strict in [false, true] {
            match (from_form(&body, strict), from_form_whole(&body, strict)) {
                (Ok(q), Ok(w)) => {
                    seen_ok += 1;
                    assert_eq!(q.warnings(), w.warnings(), "{body}");
                    assert_eq!((q.id(), q.encode()), (w.id(), w.encode()), "{body}");
                    assert_eq!(q.check_required(), w.check_required(), "{body}");
                    for name in &names[..names.len() - 2] {
                        assert_eq!(q.get(name), w.get(name), "{body}: {name}");
                    }
                }
                (Err(q), Err(w)) => assert_eq!(q, w, "{body}"),
                (q, w) => panic!("{body} strict={strict}: {q:?} vs {w:?}"),
            }
        }
    }
    assert!(seen_ok > 1_000, "{seen_ok}");
}
