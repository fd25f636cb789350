//! The one list of SPREAD's `data[...]` fields and the rule each must follow.
//!
//! Everything else (the order setters, `set_field`, the C setters, the
//! bindings' method names, the header drift test) is derived from or checked
//! against this table, so a field is added here and nowhere else in the core.

/// What a field's value must look like; checked by [`crate::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Free text: any UTF-8 except control characters other than tab, CR, LF.
    Text,
    /// An identifier (order id, external id, cookie): non-empty, no control characters.
    Id,
    /// A plausible e-mail address.
    Email,
    /// `male` or `female`.
    Gender,
    /// ISO 3166-1 alpha-2: two upper-case ASCII letters.
    Country,
    /// A locale such as `fr_FR`.
    Lang,
    /// A calendar date `Y-m-d`.
    Date,
    /// A date and time `Y-m-d H:i:s` (UTC).
    DateTime,
    /// One of SPREAD's order states: 0, 10, 20, 50, 100.
    State,
    /// A non-negative amount.
    Amount,
}

/// A scalar field: its `data[...]` name and its rule.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub rule: Rule,
}

const fn f(name: &'static str, rule: Rule) -> Field {
    Field { name, rule }
}

/// The scalar fields, in the order the seed integration sets them.
pub const SCALAR_FIELDS: &[Field] = &[
    f("customer_email", Rule::Email),
    f("external_id", Rule::Id),
    f("customer_cookie", Rule::Id),
    f("customer_name", Rule::Text),
    f("customer_firstname", Rule::Text),
    f("customer_gender", Rule::Gender),
    f("customer_address", Rule::Text),
    f("customer_address_2", Rule::Text),
    f("customer_address_3", Rule::Text),
    f("customer_cp", Rule::Text),
    f("customer_city", Rule::Text),
    f("customer_country", Rule::Country),
    f("customer_tel", Rule::Text),
    f("customer_mobile", Rule::Text),
    f("customer_fonction", Rule::Text),
    f("customer_company", Rule::Text),
    f("customer_birthday", Rule::Date),
    f("customer_lang", Rule::Lang),
    f("action", Rule::Id),
    f("order_idorder", Rule::Id),
    f("order_state", Rule::State),
    f("order_amount", Rule::Amount),
    f("order_crea_dt", Rule::DateTime),
    f("order_start_service", Rule::Date),
    f("order_end_service", Rule::Date),
];

/// List fields: `data[name][]`, one value appended per call.
pub const LIST_FIELDS: &[&str] = &["add_tag", "del_tag", "add_order_tag", "del_order_tag"];

/// Keyed fields with their own setters: `data[custom_fields][ID]`,
/// `data[consents][tech_name]`, `data[product_attributes][n][m]`.
pub const CUSTOM_FIELDS: &str = "custom_fields";
pub const CONSENTS: &str = "consents";
pub const PRODUCT_ATTRIBUTES: &str = "product_attributes";

/// What SPREAD requires before it accepts an order. The first entry is
/// satisfied by either customer identifier.
pub const REQUIRED: &[&str] = &[
    "order_idorder",
    "order_state",
    "order_amount",
    "order_crea_dt",
];
pub const CUSTOMER_IDS: &[&str] = &["customer_email", "external_id"];

/// The rule of a scalar field, if `name` is one.
pub fn scalar(name: &str) -> Option<&'static Field> {
    SCALAR_FIELDS.iter().find(|f| f.name == name)
}

/// True for names that have a dedicated structured setter and so cannot be
/// set as a plain string through `set_field`.
pub fn is_structured(name: &str) -> bool {
    LIST_FIELDS.contains(&name) || [CUSTOM_FIELDS, CONSENTS, PRODUCT_ATTRIBUTES].contains(&name)
}
