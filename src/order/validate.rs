//! Field rules. Each check returns an error naming the field and the cause,
//! so a caller in any language learns what to fix without reading the docs.

use crate::error::{Error, Result};
use crate::order::fields::{Rule, ORDER_STATES};

/// "7 is not one of 0, 10, 20, 50, 100", from the one list of states.
fn not_a_state(field: &str, shown: impl std::fmt::Display) -> Error {
    let states: Vec<String> = ORDER_STATES.iter().map(i32::to_string).collect();
    Error::invalid(field, format!("{shown} is not one of {}", states.join(", ")))
}

/// Checks `value` against `rule`, for the field called `field`.
pub fn check(field: &str, rule: Rule, value: &str) -> Result<()> {
    match rule {
        Rule::Text => text(field, value),
        Rule::Id => token(field, value),
        Rule::Email => email(field, value),
        Rule::Gender => match value {
            "male" | "female" => Ok(()),
            _ => Err(Error::invalid(field, format!("{value:?} is not \"male\" or \"female\""))),
        },
        Rule::Country => {
            if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("{value:?} is not an ISO 3166-1 alpha-2 code such as \"FR\"")))
            }
        }
        Rule::Lang => {
            let b = value.as_bytes();
            let ok = b.len() == 5 && b[..2].iter().all(u8::is_ascii_lowercase) && b[2] == b'_' && b[3..].iter().all(u8::is_ascii_uppercase);
            if ok {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("{value:?} is not a locale such as \"fr_FR\"")))
            }
        }
        Rule::Date => date(field, value),
        Rule::DateTime => datetime(field, value),
        Rule::State => state_str(field, value).map(|_| ()),
        Rule::Amount => amount_str(field, value),
    }
}

fn is_forbidden_control(c: char, allow_whitespace: bool) -> bool {
    c.is_control() && !(allow_whitespace && matches!(c, '\t' | '\n' | '\r'))
}

/// Free text: line breaks and tabs are fine (addresses), other control characters are not.
pub fn text(field: &str, value: &str) -> Result<()> {
    match value.chars().find(|&c| is_forbidden_control(c, true)) {
        Some(c) => Err(Error::invalid(field, format!("contains the control character {c:?}"))),
        None => Ok(()),
    }
}

/// Identifiers, tags, consent names, attributes: non-empty, no control characters.
pub fn token(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    match value.chars().find(|&c| is_forbidden_control(c, false)) {
        Some(c) => Err(Error::invalid(field, format!("contains the control character {c:?}"))),
        None => Ok(()),
    }
}

/// One `@`, non-empty parts, no whitespace or control characters; non-ASCII allowed.
pub fn email(field: &str, value: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid(field, format!("{value:?} is not an e-mail address: {why}")));
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return bad(&format!("contains {c:?}"));
    }
    match value.split_once('@') {
        None => bad("no '@'"),
        Some((_, domain)) if domain.contains('@') => bad("more than one '@'"),
        Some(("", _)) => bad("nothing before '@'"),
        Some((_, "")) => bad("nothing after '@'"),
        Some(_) => Ok(()),
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

/// `s` cut at each `sep` when it makes exactly three parts (no Vec: every order's
/// dates are checked on the PHP binding's hot path).
fn three(s: &str, sep: char) -> Option<[&str; 3]> {
    let mut parts = s.split(sep);
    let three = [parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(three)
}

fn is_date(s: &str) -> bool {
    let Some(parts) = three(s, '-') else { return false };
    if parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    match (digits(parts[0]), digits(parts[1]), digits(parts[2])) {
        (Some(y), Some(m), Some(d)) => y >= 1 && d >= 1 && d <= days_in_month(y, m),
        _ => false,
    }
}

fn is_time(s: &str) -> bool {
    let Some(parts) = three(s, ':') else { return false };
    if parts.iter().any(|p| p.len() != 2) {
        return false;
    }
    matches!(
        (digits(parts[0]), digits(parts[1]), digits(parts[2])),
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60
    )
}

/// A real calendar date written `Y-m-d`.
pub fn date(field: &str, value: &str) -> Result<()> {
    if is_date(value) {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("{value:?} is not a date written Y-m-d such as \"2019-06-05\"")))
    }
}

/// A real date and time written `Y-m-d H:i:s`.
pub fn datetime(field: &str, value: &str) -> Result<()> {
    match value.split_once(' ') {
        Some((d, t)) if is_date(d) && is_time(t) => Ok(()),
        _ => Err(Error::invalid(field, format!("{value:?} is not a date and time written Y-m-d H:i:s such as \"2014-06-21 14:31:08\""))),
    }
}

pub fn state(field: &str, value: i64) -> Result<i32> {
    match i32::try_from(value) {
        Ok(v) if ORDER_STATES.contains(&v) => Ok(v),
        _ => Err(not_a_state(field, value)),
    }
}

const _: () = {
    let mut i = 0;
    while i < ORDER_STATES.len() {
        assert!(ORDER_STATES[i] >= 0, "state_str reads no minus sign");
        i += 1;
    }
};

/// A state given as text, as the seed does (`"10"`).
/// Only the canonical spelling: the text is sent as written, and SPREAD
/// refuses `010` even though it means 10.
pub fn state_str(field: &str, value: &str) -> Result<i32> {
    // The canonical spelling of a state (the states are not negative): "0", or digits
    // without a leading zero.
    let canonical = value == "0" || (!value.starts_with('0') && !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit()));
    let number = value.parse::<i32>().ok().filter(|_| canonical);
    match ORDER_STATES.iter().find(|&&s| number == Some(s)) {
        Some(&s) => Ok(s),
        None if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => Err(not_a_state(field, value)),
        None => Err(not_a_state(field, format!("{value:?}"))),
    }
}

/// What a plain decimal amount says besides its digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountSign {
    Positive,
    Zero,
    /// Below zero: a refund or credit note (`-29.85`).
    Negative,
    /// `-0`: zero with a minus sign, as PHP prints `round(-0.001, 2)`.
    MinusZero,
}

/// The one amount rule, applied to the text that would be sent (a float as
/// PHP prints it, an int's digits, a string as written), so that every path
/// (PHP's own body, JSON, the C setters) gives the same data the same
/// outcome: a plain decimal, `-` allowed (`158.31`, `0`, `-29.85`). Anything
/// else (`1.0E+20`, the exponent form PHP prints for large and tiny floats;
/// `NAN`; `1,5`) is not an amount SPREAD reads, in every mode.
pub fn amount_text(field: &str, value: &str) -> Result<AmountSign> {
    let (minus, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(int) && all_digits(frac)) {
        let hint = if value.contains(['E', 'e']) && all_digits(&value.replace(['E', 'e', '.', '-', '+'], "")) {
            " (PHP prints a float this large or this small in exponent form: round it first, e.g. round($amount, 2))"
        } else {
            ""
        };
        return Err(Error::invalid(field, format!("{value:?} is not a plain decimal amount such as \"158.31\"{hint}")));
    }
    let zero = int.bytes().chain(frac.bytes()).all(|b| b == b'0');
    Ok(match (minus, zero) {
        (false, false) => AmountSign::Positive,
        (false, true) => AmountSign::Zero,
        (true, false) => AmountSign::Negative,
        (true, true) => AmountSign::MinusZero,
    })
}

/// The drop-in's warning (an error in strict mode) for an amount that is not
/// above zero, which SPREAD's guide neither allows nor forbids: the seed sends it.
pub fn unusual_amount(field: &str, value: &str, sign: AmountSign) -> Option<Error> {
    let why = match sign {
        AmountSign::Positive => return None,
        AmountSign::Zero => "is zero",
        AmountSign::Negative => "is negative (a refund or credit note)",
        AmountSign::MinusZero => "is zero with a minus sign",
    };
    Some(Error::invalid(field, format!("{value} {why}")))
}

/// A float amount for a typed setter: the text PHP prints for it, by the
/// one rule; the typed setters stay strict and refuse negatives and `-0`.
pub fn amount(field: &str, value: f64) -> Result<()> {
    amount_str(field, &crate::php::php_float(value))
}

/// A decimal amount for a typed setter (`158.31`, sent as written): the one
/// rule, negatives and `-0` refused (the drop-in sends them, with a warning).
pub fn amount_str(field: &str, value: &str) -> Result<()> {
    match amount_text(field, value)? {
        AmountSign::Positive | AmountSign::Zero => Ok(()),
        AmountSign::Negative | AmountSign::MinusZero => Err(Error::invalid(
            field,
            format!(
                "{value} is negative: the typed setters take none (a refund goes through the drop-in, fromArray or from_dict, which sends it with a warning)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates() {
        assert!(date("d", "2024-02-29").is_ok());
        assert!(date("d", "2023-02-29").is_err());
        assert!(date("d", "1900-02-29").is_err());
        assert!(date("d", "2000-02-29").is_ok());
        assert!(date("d", "2019-04-31").is_err());
        assert!(date("d", "2019-13-01").is_err());
        assert!(date("d", "2019-00-01").is_err());
        assert!(date("d", "19-06-05").is_err());
        assert!(date("d", "2019-6-5").is_err());
        assert!(date("d", "2019-06-05 ").is_err());
        assert!(datetime("d", "2014-06-21 14:31:08").is_ok());
        assert!(datetime("d", "2014-06-21 24:00:00").is_err());
        assert!(datetime("d", "2014-06-21T14:31:08").is_err());
        assert!(datetime("d", "2014-06-21 14:31").is_err());
        assert!(datetime("d", "2014-06-21 14:31:60").is_err());
    }

    #[test]
    fn messages_name_the_field_and_the_cause() {
        let e = state("order_state", 7).unwrap_err();
        assert_eq!(e.message, "order_state: 7 is not one of 0, 10, 20, 50, 100");
        let e = email("customer_email", "john@doe@com").unwrap_err();
        assert!(e.message.starts_with("customer_email: "), "{}", e.message);
        assert!(e.message.contains("more than one '@'"));
    }

    #[test]
    fn emails() {
        for ok in ["john@doe.com", "jöhn@dœ.fr", "a@b"] {
            assert!(email("e", ok).is_ok(), "{ok}");
        }
        for bad in ["", "john", "@doe.com", "john@", "jo hn@doe.com", "john@doe.com\n", "a@b@c"] {
            assert!(email("e", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_state_is_its_canonical_spelling() {
        for text in ["0", "00", "10", "010", "+10", "-0", "-10", "", "1e1", "100", "20 ", " 20", "50.0", "4294967306", "2147483647", "٣"] {
            assert_eq!(state_str("s", text).is_ok(), ORDER_STATES.iter().any(|s| s.to_string() == text), "{text:?}");
        }
    }

    #[test]
    fn amounts_and_states() {
        assert!(amount("a", 0.0).is_ok());
        assert!(amount("a", -0.01).is_err());
        assert!(amount("a", -0.0).is_err());
        assert!(amount("a", f64::NAN).is_err());
        assert!(amount("a", f64::INFINITY).is_err());
        for ok in ["0", "158.31", "007.50"] {
            assert!(amount_str("a", ok).is_ok(), "{ok}");
        }
        for bad in ["", ".5", "5.", "-1", "-0", "1e3", "1,5", " 1", "1.2.3", "--1", "-"] {
            assert!(amount_str("a", bad).is_err(), "{bad:?}");
        }
        for (text, sign) in [("1", AmountSign::Positive), ("0.00", AmountSign::Zero), ("-29.85", AmountSign::Negative), ("-0", AmountSign::MinusZero)] {
            assert_eq!(amount_text("a", text).unwrap(), sign, "{text}");
        }
        assert!(amount("a", 1e20).unwrap_err().message.contains("round($amount, 2)"));
        assert_eq!(state_str("s", "10").unwrap(), 10);
        for bad in ["", "-0", "+10", "10.0", "7", "010", "00", "99999999999999999999"] {
            assert!(state_str("s", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_and_tokens() {
        assert!(text("t", "8, rue de la place\nbâtiment A\t").is_ok());
        assert!(text("t", "").is_ok());
        assert!(text("t", "a\u{7}b").is_err());
        assert!(token("t", "").is_err());
        assert!(token("t", "tag\n").is_err());
        assert!(token("t", "tag 1 é").is_ok());
    }

    #[test]
    fn country_and_lang() {
        assert!(check("c", Rule::Country, "FR").is_ok());
        assert!(check("c", Rule::Country, "fr").is_err());
        assert!(check("c", Rule::Country, "FRA").is_err());
        assert!(check("l", Rule::Lang, "fr_FR").is_ok());
        assert!(check("l", Rule::Lang, "fr-FR").is_err());
        assert!(check("l", Rule::Lang, "FR_fr").is_err());
    }
}
