//! The one list of SPREAD's `data[...]` fields and the rule each must follow.
//!
//! Everything else reads this table: `Order::set` and the drop-in parser look
//! rules up here; the C setters in `ffi/order.rs` are written by hand (cbindgen
//! cannot see generated functions) but each names its field through one of the
//! constants below, so removing a field breaks their build, and
//! `tests/headers.rs` checks that every field here has its C setter. The
//! bindings list the fields through `spread_field_name`.

/// What a field's value must look like; checked by `validate`.
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
    /// One of [`ORDER_STATES`].
    State,
    /// A non-negative amount.
    Amount,
}

/// A scalar field: its `data[...]` name and its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub rule: Rule,
}

const fn f(name: &'static str, rule: Rule) -> Field {
    Field { name, rule }
}

pub const CUSTOMER_EMAIL: Field = f("customer_email", Rule::Email);
pub const EXTERNAL_ID: Field = f("external_id", Rule::Id);
pub const CUSTOMER_COOKIE: Field = f("customer_cookie", Rule::Id);
pub const CUSTOMER_NAME: Field = f("customer_name", Rule::Text);
pub const CUSTOMER_FIRSTNAME: Field = f("customer_firstname", Rule::Text);
pub const CUSTOMER_GENDER: Field = f("customer_gender", Rule::Gender);
pub const CUSTOMER_ADDRESS: Field = f("customer_address", Rule::Text);
pub const CUSTOMER_ADDRESS_2: Field = f("customer_address_2", Rule::Text);
pub const CUSTOMER_ADDRESS_3: Field = f("customer_address_3", Rule::Text);
pub const CUSTOMER_CP: Field = f("customer_cp", Rule::Text);
pub const CUSTOMER_CITY: Field = f("customer_city", Rule::Text);
pub const CUSTOMER_COUNTRY: Field = f("customer_country", Rule::Country);
pub const CUSTOMER_TEL: Field = f("customer_tel", Rule::Text);
pub const CUSTOMER_MOBILE: Field = f("customer_mobile", Rule::Text);
pub const CUSTOMER_FONCTION: Field = f("customer_fonction", Rule::Text);
pub const CUSTOMER_COMPANY: Field = f("customer_company", Rule::Text);
pub const CUSTOMER_BIRTHDAY: Field = f("customer_birthday", Rule::Date);
pub const CUSTOMER_LANG: Field = f("customer_lang", Rule::Lang);
pub const ACTION: Field = f("action", Rule::Id);
pub const ORDER_IDORDER: Field = f("order_idorder", Rule::Id);
pub const ORDER_STATE: Field = f("order_state", Rule::State);
pub const ORDER_AMOUNT: Field = f("order_amount", Rule::Amount);
pub const ORDER_CREA_DT: Field = f("order_crea_dt", Rule::DateTime);
pub const ORDER_START_SERVICE: Field = f("order_start_service", Rule::Date);
pub const ORDER_END_SERVICE: Field = f("order_end_service", Rule::Date);

/// The scalar fields, in the order the seed integration sets them.
pub const SCALAR_FIELDS: &[Field] = &[
    CUSTOMER_EMAIL,
    EXTERNAL_ID,
    CUSTOMER_COOKIE,
    CUSTOMER_NAME,
    CUSTOMER_FIRSTNAME,
    CUSTOMER_GENDER,
    CUSTOMER_ADDRESS,
    CUSTOMER_ADDRESS_2,
    CUSTOMER_ADDRESS_3,
    CUSTOMER_CP,
    CUSTOMER_CITY,
    CUSTOMER_COUNTRY,
    CUSTOMER_TEL,
    CUSTOMER_MOBILE,
    CUSTOMER_FONCTION,
    CUSTOMER_COMPANY,
    CUSTOMER_BIRTHDAY,
    CUSTOMER_LANG,
    ACTION,
    ORDER_IDORDER,
    ORDER_STATE,
    ORDER_AMOUNT,
    ORDER_CREA_DT,
    ORDER_START_SERVICE,
    ORDER_END_SERVICE,
];

/// SPREAD's order states: cancelled, taken (unpaid), paid, shipped, completed.
pub const ORDER_STATES: [i32; 5] = [0, 10, 20, 50, 100];

/// List fields: `data[name][]`, one value appended per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::EnumCount, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ListField {
    AddTag,
    DelTag,
    AddOrderTag,
    DelOrderTag,
}

impl ListField {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn from_name(name: &str) -> Option<ListField> {
        match Structured::at(known_index(name)?)? {
            Structured::List(list) => Some(list),
            _ => None,
        }
    }
}

/// Keyed fields with their own setters: `data[custom_fields][ID]`,
/// `data[consents][tech_name]`, `data[product_attributes][n][m]`.
pub const CUSTOM_FIELDS: &str = "custom_fields";
pub const CONSENTS: &str = "consents";
pub const PRODUCT_ATTRIBUTES: &str = "product_attributes";

/// Either customer identifier satisfies SPREAD; at least one is required.
pub const CUSTOMER_IDS: [Field; 2] = [CUSTOMER_EMAIL, EXTERNAL_ID];

/// The other fields SPREAD requires before it accepts an order.
pub const REQUIRED: [Field; 4] = [ORDER_IDORDER, ORDER_STATE, ORDER_AMOUNT, ORDER_CREA_DT];

/// Whether `name` is a field SPREAD requires (or a customer identifier):
/// these keep their rules strict even in the lenient drop-in path.
pub fn is_required(name: &str) -> bool {
    CUSTOMER_IDS.iter().chain(REQUIRED.iter()).any(|f| f.name == name)
}

/// The rule of a scalar field, if `name` is one.
pub fn scalar(name: &str) -> Option<&'static Field> {
    known_index(name).and_then(|i| SCALAR_FIELDS.get(i))
}

/// How many list fields there are ([`ListField`]).
const LISTS: usize = <ListField as strum::EnumCount>::COUNT;

/// The keyed fields, after the lists in [`known_index`]'s numbering.
const KEYED: [(&str, Structured); 3] =
    [(CUSTOM_FIELDS, Structured::CustomFields), (CONSENTS, Structured::Consents), (PRODUCT_ATTRIBUTES, Structured::ProductAttributes)];

/// How many names [`known_index`] knows.
pub const KNOWN: usize = SCALAR_FIELDS.len() + LISTS + KEYED.len();
const _: () = assert!(KNOWN < NO_FIELD as usize, "an index fits in a byte");

/// The [`known_index`] of each customer identifier and each other required field, and
/// which indexes are theirs (the fields that keep their rules in every mode).
pub(crate) const CUSTOMER_IDS_AT: [usize; 2] = scalar_indexes(CUSTOMER_IDS);
pub(crate) const REQUIRED_AT: [usize; 4] = scalar_indexes(REQUIRED);
pub(crate) const ORDER_IDORDER_AT: usize = scalar_indexes([ORDER_IDORDER])[0];
pub(crate) const IS_REQUIRED_AT: [bool; KNOWN] = {
    let mut flags = [false; KNOWN];
    let mut i = 0;
    while i < CUSTOMER_IDS_AT.len() {
        flags[CUSTOMER_IDS_AT[i]] = true;
        i += 1;
    }
    let mut i = 0;
    while i < REQUIRED_AT.len() {
        flags[REQUIRED_AT[i]] = true;
        i += 1;
    }
    flags
};

/// Each field's place in [`SCALAR_FIELDS`] (its [`known_index`]), at compile time.
const fn scalar_indexes<const N: usize>(wanted: [Field; N]) -> [usize; N] {
    let mut at = [usize::MAX; N];
    let mut w = 0;
    while w < N {
        let mut i = 0;
        while i < SCALAR_FIELDS.len() {
            let (a, b) = (SCALAR_FIELDS[i].name.as_bytes(), wanted[w].name.as_bytes());
            let mut same = a.len() == b.len();
            let mut k = 0;
            while same && k < a.len() {
                same = a[k] == b[k];
                k += 1;
            }
            if same {
                at[w] = i;
            }
            i += 1;
        }
        assert!(at[w] != usize::MAX, "a scalar field");
        w += 1;
    }
    at
}

/// The structured fields, by their [`known_index`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Structured {
    List(ListField),
    CustomFields,
    Consents,
    ProductAttributes,
}

impl Structured {
    /// The structured field `index` names, if it names one.
    pub(crate) fn at(index: usize) -> Option<Structured> {
        use strum::IntoEnumIterator;
        match index.checked_sub(SCALAR_FIELDS.len())? {
            i if i < LISTS => ListField::iter().nth(i).map(Structured::List),
            i => KEYED.get(i - LISTS).map(|(_, keyed)| *keyed),
        }
    }
}

/// A number below [`KNOWN`] for each field name the library reads (the scalar
/// fields, the lists, custom fields, consents, product attributes), else None:
/// the drop-in's quick scan finds a field by it instead of hashing its name.
/// One probe of a small table built once from the names above (typically one
/// comparison), not a comparison with every name: it runs for every key of
/// every body PHP sends.
pub fn known_index(name: &str) -> Option<usize> {
    let table = known_table();
    let mut slot = known_hash(name.as_bytes());
    loop {
        let index = *table.slots.get(slot)?;
        if index == NO_FIELD {
            return None;
        }
        if same(table.names[usize::from(index)].as_bytes(), name.as_bytes()) {
            return Some(usize::from(index));
        }
        slot = (slot + 1) % KNOWN_SLOTS;
    }
}

/// The name [`known_index`] gives `index` (`index` < [`KNOWN`]).
pub fn known_name(index: usize) -> &'static str {
    known_table().names[index]
}

/// `a == b` for names (at most 24 bytes: three overlapping 8-byte words), without a
/// call to `memcmp` for each key of each body.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    match a.len() {
        n if n != b.len() => false,
        8..=24 => {
            let (mid, last) = ((a.len() - 8) / 2, a.len() - 8);
            word(a, 0) == word(b, 0) && word(a, mid) == word(b, mid) && word(a, last) == word(b, last)
        }
        _ => a == b,
    }
}

const KNOWN_SLOTS: usize = 128;
const NO_FIELD: u8 = u8::MAX;

/// [`known_index`]'s table: each name's index, at its hash's slot or the next free one.
struct KnownTable {
    names: [&'static str; KNOWN],
    slots: [u8; KNOWN_SLOTS],
}

fn known_table() -> &'static KnownTable {
    static TABLE: std::sync::OnceLock<KnownTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        use strum::IntoEnumIterator;
        let names = SCALAR_FIELDS.iter().map(|f| f.name).chain(ListField::iter().map(ListField::name)).chain(KEYED.map(|(name, _)| name));
        let mut table = KnownTable { names: [""; KNOWN], slots: [NO_FIELD; KNOWN_SLOTS] };
        for (index, name) in names.enumerate() {
            table.names[index] = name;
            let mut slot = known_hash(name.as_bytes());
            while table.slots[slot] != NO_FIELD {
                slot = (slot + 1) % KNOWN_SLOTS;
            }
            table.slots[slot] = index as u8;
        }
        table
    })
}

/// A slot of [`KnownTable`]: the length and the bytes that tell the names apart
/// (they share prefixes such as `customer_` and endings such as `_tag`).
fn known_hash(name: &[u8]) -> usize {
    let (Some(&first), Some(&last)) = (name.first(), name.last()) else { return 0 };
    let before_last = name[name.len().saturating_sub(2)];
    let mixed = (name.len() as u32).wrapping_mul(0x9E37_79B1)
        ^ u32::from(first).wrapping_mul(0x85EB_CA6B)
        ^ u32::from(last).wrapping_mul(0xC2B2_AE35)
        ^ u32::from(before_last).wrapping_mul(0x27D4_EB2F);
    (mixed.wrapping_mul(0x9E37_79B1) >> 25) as usize % KNOWN_SLOTS
}

/// True for names that have a dedicated structured setter and so cannot be
/// set as a plain string through `set_field`.
pub fn is_structured(name: &str) -> bool {
    ListField::from_name(name).is_some() || [CUSTOM_FIELDS, CONSENTS, PRODUCT_ATTRIBUTES].contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_read_has_its_own_known_index() {
        use strum::IntoEnumIterator;
        let mut names: Vec<&str> = SCALAR_FIELDS.iter().map(|f| f.name).collect();
        names.extend(ListField::iter().map(ListField::name));
        names.extend([CUSTOM_FIELDS, CONSENTS, PRODUCT_ATTRIBUTES]);
        let mut seen = [false; KNOWN];
        for name in &names {
            let i = known_index(name).unwrap_or_else(|| panic!("{name} has no index"));
            assert!(!std::mem::replace(&mut seen[i], true), "{name} shares index {i}");
            assert!(scalar(name).is_some() || is_structured(name), "{name}");
        }
        assert_eq!(names.len(), KNOWN);
        // One byte off anywhere, one byte more or less: not a known name.
        for name in &names {
            for at in 0..name.len() {
                let mut near = name.to_string().into_bytes();
                near[at] = b'X';
                assert_eq!(known_index(std::str::from_utf8(&near).unwrap()), None, "{name} at {at}");
            }
            assert_eq!(known_index(&format!("{name}_")), None, "{name}");
            assert_eq!(known_index(&name[1..]), None, "{name}");
        }
        assert_eq!(known_index("order_idorderx"), None);
        assert_eq!(known_index(""), None);
    }
    use strum::IntoEnumIterator;

    #[test]
    fn list_names_are_the_wire_names() {
        let names: Vec<&str> = ListField::iter().map(ListField::name).collect();
        assert_eq!(names, ["add_tag", "del_tag", "add_order_tag", "del_order_tag"]);
        assert_eq!(ListField::from_name("del_order_tag"), Some(ListField::DelOrderTag));
        assert_eq!(ListField::from_name("tags"), None);
    }

    #[test]
    fn field_names_are_unique() {
        let mut names: Vec<&str> = SCALAR_FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCALAR_FIELDS.len());
    }
}
