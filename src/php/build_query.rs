//! A byte-for-byte reimplementation of PHP's `http_build_query`, so that a
//! shop moving from the seed's curl block sends SPREAD exactly the same body.
//!
//! The rules (measured with PHP 8.2: `tests/fixtures/php-http_build_query.txt`):
//! `urlencode` keeps only ASCII alphanumerics and `-_.`, turns space into `+`
//! and every other byte into upper-case `%XX` (including `*` and `~`); nested
//! keys are written `a[b][0]` with the brackets encoded; `null` and empty
//! arrays vanish; floats print like PHP's `%.14G` through PHP's own dtoa
//! (trailing zeros kept where PHP keeps them); booleans are `1`/`0`.
//!
//! This is on every send's path, so the body is written as bytes: `urlencode`
//! checks eight bytes at a time and stores them straight into the body's spare
//! capacity, and short pieces are copied in words rather than by `memcpy` calls.

use super::array::{Key, Value};
use super::float::php_float;

/// One in each byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte of a word.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// For each byte of `word`, its high bit set when PHP's `urlencode` keeps that byte
/// as it is (ASCII alphanumerics and `-_.`), clear otherwise.
#[inline(always)]
fn kept(word: u64) -> u64 {
    let low = word & !HIGH;
    // Per byte, `b + (0x80 - c)` sets the high bit exactly when b >= c (b < 0x80: no carry into the next byte).
    let at_least = |b: u64, c: u8| b + ONES * u64::from(0x80 - c);
    let between = |b: u64, first: u8, last: u8| at_least(b, first) & !at_least(b, last + 1);
    // `| 0x20` folds A-Z onto a-z and maps no other byte into a-z.
    let letters = between(low | (ONES * 0x20), b'a', b'z');
    let others = between(low, b'0', b'9') | between(low, b'-', b'.') | between(low, b'_', b'_');
    (letters | others) & !word & HIGH
}

/// Bit k set when byte k of the 16 bytes `lo` (bytes 0 to 7, little-endian) and `hi`
/// (8 to 15) is one PHP's `urlencode` escapes: eight bytes at a time, in words.
#[inline(always)]
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn escaped_words(lo: u64, hi: u64) -> u32 {
    // Each byte's flag (its high bit) to bit k of the top byte: no two products overlap.
    let gather = |kept: u64| ((kept >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
    !(gather(kept(lo)) | gather(kept(hi)) << 8) & 0xFFFF
}

/// [`escaped_words`] with SSE2 (part of x86_64): the 16 bytes in one register.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn escaped16(lo: u64, hi: u64) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: these SSE2 instructions exist on every x86_64 CPU, and touch no memory.
    unsafe {
        let x = _mm_set_epi64x(hi as i64, lo as i64);
        let splat = |c: u8| _mm_set1_epi8(c as i8);
        // Signed compares: a byte from 0x80 up is below every bound, so never kept.
        let between = |v: __m128i, first: u8, last: u8| _mm_and_si128(_mm_cmpgt_epi8(v, splat(first - 1)), _mm_cmplt_epi8(v, splat(last + 1)));
        // `| 0x20` folds A-Z onto a-z and maps no other byte into a-z.
        let letters = between(_mm_or_si128(x, splat(0x20)), b'a', b'z');
        let digits_dash_dot = _mm_andnot_si128(_mm_cmpeq_epi8(x, splat(b'/')), between(x, b'-', b'9'));
        let kept = _mm_or_si128(_mm_or_si128(letters, digits_dash_dot), _mm_cmpeq_epi8(x, splat(b'_')));
        !(_mm_movemask_epi8(kept) as u32) & 0xFFFF
    }
}

#[cfg(not(target_arch = "x86_64"))]
use escaped_words as escaped16;

/// The `n` (< 8) bytes at `src` as the low bytes of a word, the others zero; reads
/// only those bytes (overlapping loads, as they are the same bytes either way).
///
/// SAFETY: `src..src + n` must be readable.
#[inline(always)]
unsafe fn load_short(src: *const u8, n: usize) -> u64 {
    if n >= 4 {
        let first = u64::from(u32::from_le(src.cast::<u32>().read_unaligned()));
        let last = u64::from(u32::from_le(src.add(n - 4).cast::<u32>().read_unaligned()));
        first | last << (8 * (n - 4))
    } else if n > 0 {
        u64::from(*src) | u64::from(*src.add(n / 2)) << (8 * (n / 2)) | u64::from(*src.add(n - 1)) << (8 * (n - 1))
    } else {
        0
    }
}

/// PHP's `urlencode` applied to `bytes`, appended to `out`.
pub fn urlencode_into(out: &mut String, bytes: &[u8]) {
    // SAFETY: only ASCII is appended (kept bytes, '+', '%' and hex digits), so `out` stays UTF-8.
    urlencode_vec(unsafe { out.as_mut_vec() }, bytes);
}

/// [`urlencode_into`] on the body's bytes: sixteen bytes are checked at once and
/// stored as they are into `out`'s spare capacity, which always has room for the
/// rest of `bytes` kept plus 16 bytes, so that every store is in bounds.
#[inline(always)]
fn urlencode_vec(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let n = bytes.len();
    out.reserve(n + 16);
    let (src, mut len, mut i) = (bytes.as_ptr(), out.len(), 0);
    let mut dst = out.as_mut_ptr();
    while i < n {
        let rest = n - i;
        // SAFETY: reads stay within `bytes` (whole words only where 8 bytes are left); the
        // stores reach `len + 16` at most, within the capacity kept above.
        unsafe {
            let (at, to) = (src.add(i), dst.add(len));
            let load = |p: *const u8| u64::from_le(p.cast::<u64>().read_unaligned());
            // The next 16 bytes, or all that is left: from 8 on, the second word ends at the
            // last byte (overlapping the first); below 8, one word whose zero padding counts
            // as escaped, so that the first escaped place is then `rest` when all are kept.
            let (lo, hi, second) = match rest {
                16.. => (load(at), load(at.add(8)), 8),
                8.. => (load(at), load(at.add(rest - 8)), rest - 8),
                _ => {
                    let word = load_short(at, rest);
                    (word, word, 0)
                }
            };
            to.cast::<u64>().write_unaligned(lo.to_le());
            to.add(second).cast::<u64>().write_unaligned(hi.to_le());
            let escaped = escaped16(lo, hi);
            // The kept run: the second word's places start at `second`, and count only
            // when the first word has none (those before 8 are then kept anyway).
            let run = if escaped & 0xFF != 0 {
                escaped.trailing_zeros() as usize
            } else if escaped != 0 {
                second + (escaped >> 8).trailing_zeros() as usize
            } else {
                rest.min(16)
            };
            i += run;
            len += run;
            if escaped == 0 || i == n {
                continue;
            }
            // Room for this byte's `%XX`, the rest kept and 16 bytes: `reserve` sees `len` in use.
            out.set_len(len);
            out.reserve(n - i + 18);
            dst = out.as_mut_ptr();
            let b = *src.add(i);
            if b == b' ' {
                *dst.add(len) = b'+';
                len += 1;
            } else {
                dst.add(len).cast::<[u8; 3]>().write([b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                len += 3;
            }
            i += 1;
        }
    }
    // SAFETY: the first `len` bytes were all written above.
    unsafe { out.set_len(len) };
}

/// `out.extend_from_slice(src)` for the short pieces of a body (names, numbers): in
/// words rather than a call to `memcpy`.
#[inline(always)]
fn append(out: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    if n > 32 {
        out.extend_from_slice(src);
        return;
    }
    out.reserve(n);
    // SAFETY: `n` bytes are read from `src` and written after `out`'s length, within the
    // capacity reserved just above (overlapping words write the same bytes twice).
    unsafe {
        let (s, d) = (src.as_ptr(), out.as_mut_ptr().add(out.len()));
        if n >= 8 {
            let mut at = 0;
            while at + 8 < n {
                d.add(at).cast::<u64>().write_unaligned(s.add(at).cast::<u64>().read_unaligned());
                at += 8;
            }
            d.add(n - 8).cast::<u64>().write_unaligned(s.add(n - 8).cast::<u64>().read_unaligned());
        } else if n >= 4 {
            d.cast::<u32>().write_unaligned(s.cast::<u32>().read_unaligned());
            d.add(n - 4).cast::<u32>().write_unaligned(s.add(n - 4).cast::<u32>().read_unaligned());
        } else if n > 0 {
            *d = *s;
            *d.add(n / 2) = *s.add(n / 2);
            *d.add(n - 1) = *s.add(n - 1);
        }
        out.set_len(out.len() + n);
    }
}

/// `i` in decimal, as PHP (and Rust's `Display`) print it.
fn push_int(out: &mut Vec<u8>, i: i64) {
    if (0..10).contains(&i) {
        out.push(b'0' + i as u8);
        return;
    }
    let mut digits = [0u8; 20];
    let (mut at, mut rest) = (digits.len(), i.unsigned_abs());
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    append(out, &digits[at..]);
}

fn push_key(out: &mut Vec<u8>, key: &Key) {
    match key {
        Key::Int(i) => push_int(out, *i),
        Key::Str(s) => urlencode_vec(out, s.as_bytes()),
    }
}

/// Appends `pairs` as PHP's `http_build_query` would, each key under
/// `prefix` (already encoded, e.g. `data%5Badd_tag%5D`) when given.
pub fn build_query_into(out: &mut String, prefix: Option<&str>, pairs: &[(Key, Value)]) {
    // SAFETY: only ASCII (`urlencode`'s, digits, '&', '=') and the whole `prefix` are appended.
    let out = unsafe { out.as_mut_vec() };
    let mut open = Vec::with_capacity(96);
    match prefix {
        Some(p) => {
            open.extend_from_slice(p.as_bytes());
            open.extend_from_slice(b"%5B");
            walk(out, &mut open, true, pairs);
        }
        None => walk(out, &mut open, false, pairs),
    }
}

/// Appends `outer[inner]=value` as `http_build_query` writes `[outer => [inner =>
/// value]]`, without building that array (the body's `request[order_idorder]`).
pub fn push_nested(out: &mut String, outer: &str, inner: &str, value: &str) {
    // SAFETY: only ASCII (`urlencode`'s, '&', '=') is appended.
    let out = unsafe { out.as_mut_vec() };
    if !out.is_empty() {
        out.push(b'&');
    }
    urlencode_vec(out, outer.as_bytes());
    append(out, b"%5B");
    urlencode_vec(out, inner.as_bytes());
    append(out, b"%5D=");
    urlencode_vec(out, value.as_bytes());
}

/// One level of `build_query_into`. `open` holds the encoded name of the array so far,
/// up to its open bracket (`data%5B`; empty at the top), and is restored before
/// returning: each value's name is written straight into `out`, `open` then the key.
fn walk(out: &mut Vec<u8>, open: &mut Vec<u8>, nested: bool, pairs: &[(Key, Value)]) {
    for (key, value) in pairs {
        let scalar = match value {
            Value::Array(items) => {
                let len = open.len();
                push_key(open, key);
                append(open, if nested { b"%5D%5B" } else { b"%5B" });
                walk(out, open, true, items);
                open.truncate(len);
                continue;
            }
            scalar => scalar,
        };
        if !out.is_empty() {
            out.push(b'&');
        }
        append(out, open);
        push_key(out, key);
        append(out, if nested { b"%5D=" } else { b"=" });
        match scalar {
            Value::Str(s) => urlencode_vec(out, s.as_bytes()),
            Value::Int(i) => push_int(out, *i),
            Value::Float(f) => urlencode_vec(out, php_float(*f).as_bytes()),
            Value::Bool(b) => out.push(if *b { b'1' } else { b'0' }),
            Value::Array(_) => unreachable!("arrays are handled above"),
        }
    }
}

/// `http_build_query($pairs)`.
pub fn http_build_query(pairs: &[(Key, Value)]) -> String {
    let mut out = String::new();
    build_query_into(&mut out, None, pairs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(bytes: &[u8]) -> String {
        let mut o = String::new();
        urlencode_into(&mut o, bytes);
        o
    }

    /// PHP's `urlencode` one byte at a time, as the rules say.
    fn reference(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    #[test]
    fn urlencode_matches_php_reference() {
        assert_eq!(enc("bâtiment A".as_bytes()), "b%C3%A2timent+A");
        assert_eq!(enc(b"*~+&=%"), "%2A%7E%2B%26%3D%25");
        assert_eq!(enc(b"-_."), "-_.");
        assert_eq!(enc(b"x\r\ny"), "x%0D%0Ay");
    }

    #[test]
    fn urlencode_matches_the_byte_at_a_time_rule_at_every_length_and_place() {
        for b in 0..=255u8 {
            for len in 0..20 {
                for at in 0..len {
                    let mut s = b"aZ09-_.kqmXyUv.w-_3Ft"[..len].to_vec();
                    s[at] = b;
                    assert_eq!(enc(&s), reference(&s), "{s:?}");
                }
            }
        }
        // Random bytes, mostly kept, after text already in the output (spare capacity reused).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut out = String::from("prefix=");
        let mut want = out.clone();
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 70) as usize;
            let s: Vec<u8> = (0..len).map(|i| (seed >> (i % 56)) as u8).map(|b| if b % 5 == 0 { b } else { b'a' + b % 26 }).collect();
            urlencode_into(&mut out, &s);
            want.push_str(&reference(&s));
        }
        assert_eq!(out, want);
    }

    #[test]
    fn the_word_check_agrees_with_the_sse2_one() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for b in 0..=255u64 {
            let (lo, hi) = (b * ONES, (b << 24) | 0x6161_6161_0061_6161);
            assert_eq!(escaped_words(lo, hi), escaped16(lo, hi), "{b:#x}");
        }
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (lo, hi) = (seed, seed.rotate_left(29) ^ 0x2d2e_5f30_4139_617a);
            assert_eq!(escaped_words(lo, hi), escaped16(lo, hi), "{lo:#x} {hi:#x}");
        }
    }

    #[test]
    fn integers_print_as_php_prints_them() {
        for i in [0, 7, 9, 10, 327, -1, -10, 1234567890123, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            push_int(&mut out, i);
            assert_eq!(String::from_utf8(out).unwrap(), i.to_string());
        }
    }

    #[test]
    fn nesting_and_empties() {
        let q = http_build_query(&[
            ("a".into(), Value::Array(vec![(Key::Int(327), Value::Str("v".into())), (Key::Int(1), Value::Str("w".into()))])),
            ("e".into(), Value::Array(vec![])),
            ("b".into(), Value::Array(vec![("my key".into(), Value::Bool(true))])),
            ("c d".into(), Value::Array(vec![(Key::Int(-3), Value::Array(vec![(Key::Int(0), Value::Int(-42))]))])),
            ("f".into(), Value::Float(0.5)),
        ]);
        assert_eq!(q, "a%5B327%5D=v&a%5B1%5D=w&b%5Bmy+key%5D=1&c+d%5B-3%5D%5B0%5D=-42&f=0.5");
        let mut out = String::from("x=1");
        build_query_into(&mut out, Some("request"), &[("order_idorder".into(), Value::Str("A 1".into()))]);
        assert_eq!(out, "x=1&request%5Border_idorder%5D=A+1");
        let mut out = String::from("x=1");
        push_nested(&mut out, "request", "order_idorder", "A 1");
        assert_eq!(out, "x=1&request%5Border_idorder%5D=A+1");
    }
}
