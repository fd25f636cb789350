//! PHP's float to string conversion (`precision=14`, PHP's own dtoa), which
//! `http_build_query` and every string conversion of a float use.

use std::fmt::Write as _;

/// A float as PHP prints it with `precision=14` (what `http_build_query`
/// and string conversion use): `158.31`, `0.3` for 0.1+0.2, `100`,
/// `1.0E+20`, `1.5E-7`, `-0`, `NAN`, `INF`, and `1.0000000000000E+14` for
/// 100000000000005.0 (see [`php_digits`]). Proven against `php` on a
/// million floats (tests/php_floats.rs).
pub fn php_float(v: f64) -> String {
    const PRECISION: i32 = 14;
    if v.is_nan() {
        return "NAN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let (digits, decpt) = php_digits(v.abs());
    let digits = std::str::from_utf8(&digits).expect("digits are ASCII");
    // The layout of PHP's php_gcvt (main/snprintf.c): E-style when the
    // point would fall outside the digits' reach, else plain.
    let mut out = String::from(sign);
    if if decpt < 0 { decpt < -3 } else { decpt > PRECISION } {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let e = decpt - 1;
        let _ = write!(out, "{first}.{rest}E{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(digits);
    } else {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', decpt - digits.len()));
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

/// `zend_dtoa(v, 2, 14, &decpt, ...)` for a finite `v >= 0`: the digits and
/// `decpt` (digits before the point).
///
/// Mode 2 asks for 14 correctly rounded digits (ties to even) without
/// trailing zeros, and each of dtoa's three routes gives exactly that but
/// one. dtoa first tries floating-point arithmetic with an error bound (the
/// "quick" route); when the bound cannot decide, it falls back to exact
/// arithmetic: for a whole number below 10^15 (`be >= 0 && k <= Int_max`)
/// in doubles (the "small integer" route), otherwise in big integers. The
/// quick and big-integer routes strip trailing zeros; the small-integer
/// route does not when it stops at the 14th digit without rounding up, so
/// a 15-digit whole number whose last digit is a tie the quick route
/// cannot decide (100000000000005.0) keeps its zeros: `10000000000000`.
/// Those two routes are ported line for line below; the others' result,
/// the exactly rounded digits, comes from Rust's exact formatting.
fn php_digits(v: f64) -> (Vec<u8>, i32) {
    const NDIGITS: usize = 14;
    if v == 0.0 {
        return (vec![b'0'], 1);
    }
    if v.fract() == 0.0 && v < 1e15 {
        return small_integer(v, NDIGITS);
    }
    // The shortest digits that read back as `v` first (cheaper than exact
    // formatting): when there are at most 14, they are also `v` rounded to 14
    // digits, since a normal `v` lies within half an ulp (2^-53 of it) of them,
    // far inside half a step of the 14th digit (5e-15 of it at least). Not for
    // subnormals, whose ulp can be all of them (5e-324 reads back from "5e-324").
    // Shortest digits have no trailing zeros.
    if v.is_normal() {
        let (digits, exp) = sci_digits(&format!("{v:e}"));
        if digits.len() <= NDIGITS {
            return (digits, exp + 1);
        }
    }
    let (mut digits, exp) = sci_digits(&format!("{:.*e}", NDIGITS - 1, v));
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

/// The digits and exponent of Rust's `{:e}` text (`1.5831e2` -> `15831`, 2).
fn sci_digits(sci: &str) -> (Vec<u8>, i32) {
    let (mantissa, exp) = sci.split_once('e').expect("Rust's {:e} always has an exponent");
    let exp: i32 = exp.parse().expect("Rust's exponent is an integer");
    (mantissa.bytes().filter(u8::is_ascii_digit).collect(), exp)
}

/// dtoa's quick route, then its small-integer route, for a whole number
/// `1 <= u < 10^15` (`k`, the decimal exponent, is then exact: dtoa
/// corrects its estimate against `tens[k]` for `0 <= k <= Ten_pmax`).
fn small_integer(u: f64, ilim0: usize) -> (Vec<u8>, i32) {
    const TENS: [f64; 15] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14];
    let mut k = TENS.iter().rposition(|&t| u >= t).expect("u >= 1") as i32;
    let mut s: Vec<u8> = Vec::with_capacity(ilim0 + 1);
    // `bump_up`: add one to the last digit, dropping the nines it carries over.
    let bump_up = |s: &mut Vec<u8>, k: &mut i32| {
        while s.last() == Some(&b'9') {
            if s.len() == 1 {
                *k += 1;
                s[0] = b'0';
                break;
            }
            s.pop();
        }
        *s.last_mut().expect("one digit at least") += 1;
    };

    // The quick route: u scaled to [1, 10), `eps` its error bound.
    let ieps = 2.0;
    let mut d = u;
    if k > 0 {
        d /= TENS[(k & 0xf) as usize];
    }
    // `word0(&eps) -= (P-1)*Exp_msk1`: 52 off the exponent, i.e. times 2^-52.
    let mut eps = f64::from_bits((ieps * d + 7.0f64).to_bits() - (52u64 << 52));
    eps *= TENS[ilim0 - 1];
    let mut ilim = ilim0;
    let mut i = 1;
    loop {
        let l = d as i64;
        d -= l as f64;
        if d == 0.0 {
            ilim = i;
        }
        s.push(b'0' + l as u8);
        if i == ilim {
            if d > 0.5 + eps {
                bump_up(&mut s, &mut k);
                return (s, k + 1);
            } else if d < 0.5 - eps {
                while s.last() == Some(&b'0') {
                    s.pop();
                }
                return (s, k + 1);
            }
            break; // fast_failed
        }
        i += 1;
        d *= 10.0;
    }

    // The small-integer route, exact in doubles; no zeros are stripped here.
    s.clear();
    let ds = TENS[k as usize];
    let mut d = u;
    let mut i = 1;
    loop {
        let l = (d / ds) as i64;
        d -= l as f64 * ds;
        s.push(b'0' + l as u8);
        if d == 0.0 {
            break;
        }
        if i == ilim0 {
            d += d;
            if d > ds || (d == ds && l & 1 == 1) {
                bump_up(&mut s, &mut k);
            }
            break;
        }
        i += 1;
        d *= 10.0;
    }
    (s, k + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_php_reference() {
        // From tests/fixtures/php-http_build_query.txt (PHP 8.2, precision=14).
        let cases: &[(f64, &str)] = &[
            (158.31, "158.31"),
            (0.1 + 0.2, "0.3"),
            (1e20, "1.0E+20"),
            (100.0, "100"),
            (-0.0, "-0"),
            (1.5e-7, "1.5E-7"),
            (1e15, "1.0E+15"),
            (1e14, "1.0E+14"),
            (123456789012345678.0, "1.2345678901235E+17"),
            (0.5, "0.5"),
            (158.31 * 100.0, "15831"),
            (f64::EPSILON, "2.2204460492503E-16"),
            (f64::NAN, "NAN"),
            (f64::INFINITY, "INF"),
            (f64::NEG_INFINITY, "-INF"),
            (0.0001, "0.0001"),
            (0.00001, "1.0E-5"),
            // Ties at the 15th digit that PHP's dtoa settles in its small-integer
            // route, keeping the zeros (measured with php 8.2)...
            (100000000000005.0, "1.0000000000000E+14"),
            (100000576542905.0, "1.0000057654290E+14"),
            (356938035643805.0, "3.5693803564380E+14"),
            (-413395292348005.0, "-4.1339529234800E+14"),
            (689638538520405.0, "6.8963853852040E+14"),
            (999999999999985.0, "9.9999999999998E+14"),
            // ... or rounds up (odd 14th digit), or never reach (not ties)
            (100000000000015.0, "1.0000000000002E+14"),
            (999999999999995.0, "1.0E+15"),
            (100000000000004.0, "1.0E+14"),
            (100000000000006.0, "1.0000000000001E+14"),
            (100000000000005.5, "1.0000000000001E+14"),
            (10000000000000.5, "10000000000000"),
            (99999999999999.5, "1.0E+14"),
            (1000000000000005.0, "1.0E+15"),
            (5e-324, "4.9406564584125E-324"),
            (f64::MIN_POSITIVE, "2.2250738585072E-308"),
            (f64::MAX, "1.7976931348623E+308"),
        ];
        for &(v, want) in cases {
            assert_eq!(php_float(v), want, "{v:e}");
        }
    }
}
