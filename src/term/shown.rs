//! How one character of a text appears on the terminal: the per-character form of
//! `license::sanitize`, so that the pager and the plain print can show a text of any
//! size without a sanitized copy of it.

/// What is drawn for `c`: control characters as their visible Control Pictures
/// (ESC as `␛`), C1 controls as U+FFFD, line and paragraph separators as a space,
/// nothing for bidirectional controls. Tabs and line feeds are returned as they are,
/// for the caller to lay out.
pub fn shown(c: char) -> Option<char> {
    match c {
        '\n' | '\t' => Some(c),
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32),
        '\x7f' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' => Some('\u{FFFD}'),
        '\u{2028}' | '\u{2029}' => Some(' '),
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => None,
        c => Some(c),
    }
}

/// Writes `text` as it is shown, in pieces, so that no copy of it is made.
pub fn write_shown(out: &mut impl std::io::Write, text: &str) -> std::io::Result<()> {
    let mut piece = [0u8; 4096];
    let mut used = 0;
    for c in text.chars() {
        if used + 4 > piece.len() {
            out.write_all(&piece[..used])?;
            used = 0;
        }
        if let Some(s) = shown(c) {
            used += s.encode_utf8(&mut piece[used..]).len();
        }
    }
    out.write_all(&piece[..used])
}

/// Text from outside eula-gate (a license, a title, a notice), made safe for the
/// terminal: whatever prints it goes through `shown`, so no character of it can act
/// as a control sequence. `Display` writes it on one line (line feeds and tabs as
/// spaces); `write_shown` lays it out whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a>(&'a str);

impl<'a> Shown<'a> {
    /// Wraps `text`, unchanged: it is made safe where it is drawn, without a copy.
    pub fn new(text: &'a str) -> Shown<'a> {
        Shown(text)
    }

    /// The text as it is, for laying out (widths, rows, search); never for printing.
    pub fn raw(&self) -> &'a str {
        self.0
    }
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.0.chars().filter_map(shown) {
            f.write_char(if c == '\n' || c == '\t' { ' ' } else { c })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::sanitize;

    #[test]
    fn every_character_is_shown_as_sanitize_shows_it() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let expected = sanitize(c.encode_utf8(&mut [0; 4])).into_owned();
            let got: String = shown(c).into_iter().collect();
            assert_eq!(got, expected, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn writing_in_pieces_gives_the_sanitized_text() {
        let text = "a\x1b[31m\u{202E}b\u{9b}\t\n".repeat(1000) + &"許".repeat(3000);
        let mut out = Vec::new();
        write_shown(&mut out, &text).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), sanitize(&text));
    }

    #[test]
    fn shown_text_displays_on_one_line_without_controls() {
        let s = Shown::new("a\x1b[2J\nb\t\u{202E}c").to_string();
        assert_eq!(s, "a\u{241B}[2J b c");
    }
}
