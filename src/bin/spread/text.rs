//! Text for the terminal: ages at a glance, and what the spool holds (order
//! ids, SPREAD's answers, bodies) with its control characters made visible.

/// `42s`, `5m 3s`, `2h 10m`, `3d 4h`: an age at a glance.
pub fn human_age(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Text from the spool (an order id, SPREAD's answer, a body), safe for a
/// terminal: control characters (escape sequences among them) are shown as
/// `\x1b`, `\u{9b}`…, so a planted entry cannot drive root's terminal.
/// `keep_lines`: line breaks and tabs stay as they are.
pub fn shown(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            // C1 controls, and the marks that reorder what follows (bidi overrides).
            c if c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JSON as serde writes it escapes C0 controls but not C1 ones or bidi
/// marks: those become `\u` escapes too (the same JSON to a parser).
pub fn json_for_terminal(json: &str) -> String {
    json.chars()
        .map(|c| match c as u32 {
            0x80..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069 => format!("\\u{:04x}", c as u32),
            _ => c.to_string(),
        })
        .collect()
}

/// One line of text for a table cell: no line breaks, at most `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = shown(&text.split_whitespace().collect::<Vec<_>>().join(" "), false);
    if flat.chars().count() <= max {
        return flat;
    }
    flat.chars().take(max - 1).chain(std::iter::once('…')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(human_age(42), "42s");
        assert_eq!(human_age(303), "5m 3s");
        assert_eq!(human_age(7800), "2h 10m");
        assert_eq!(human_age(3 * 86_400 + 4 * 3600 + 5), "3d 4h");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(shown("a\x1b]0;pwned\x07b", false), "a\\x1b]0;pwned\\x07b");
        assert_eq!(shown("l1\nl2\u{9b}2J\u{202e}", true), "l1\nl2\\u{9b}2J\\u{202e}");
        assert_eq!(shown("x\ny", false), "x\\x0ay");
        assert_eq!(one_line("ok \x1b[2J", 100), "ok \\x1b[2J");
    }

    #[test]
    fn json_output_escapes_every_control() {
        let text = serde_json::to_string("a\u{9b}b\u{202e}").unwrap();
        let safe = json_for_terminal(&text);
        assert_eq!(safe, "\"a\\u009bb\\u202e\"");
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), "a\u{9b}b\u{202e}");
    }

    #[test]
    fn table_cells_stay_on_one_line() {
        assert_eq!(one_line("HTTP 422:\n{\"a\":  1}", 100), "HTTP 422: {\"a\": 1}");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
