//! Word wrapping by display width: wide (CJK) characters take two columns, combining
//! marks none; a word longer than the width is split.

use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// The display width of one character (controls, which sanitizing removed, count 1).
pub fn char_width(c: char) -> usize {
    if c.is_ascii() { 1 } else { c.width().unwrap_or(1) }
}

/// The display width of `s`.
pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Wraps `text` (lines separated by `\n`, no tabs or controls) to `width` columns
/// (at least 2). Returns one byte range of `text` per screen line; breaks fall after a
/// space, and a space at a break is not part of either line.
pub fn wrap(text: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(2);
    let mut lines = Vec::with_capacity(text.len() / width.max(1) + 16);
    let mut offset = 0;
    for line in text.split_terminator('\n') {
        wrap_line(line, offset, width, &mut lines);
        offset += line.len() + 1;
    }
    if lines.is_empty() {
        lines.push(0..0);
    }
    lines
}

fn wrap_line(line: &str, offset: usize, width: usize, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut col = 0;
    // The byte after the last space on this screen line, and the column there.
    let mut last_break: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (c, len) = if bytes[i] < 0x80 {
            (bytes[i] as char, 1)
        } else {
            let c = line[i..].chars().next().expect("i is on a char boundary");
            (c, c.len_utf8())
        };
        let w = if len == 1 { 1 } else { char_width(c) };
        if col + w > width && col > 0 {
            if c == ' ' {
                // The space itself is the break.
                out.push(offset + start..offset + i);
                start = i + 1;
                col = 0;
                last_break = None;
                i += 1;
                continue;
            }
            if let Some((at, col_at)) = last_break.filter(|&(at, _)| at > start) {
                // Break after the last space; what follows it moves down.
                if at - 1 > start {
                    out.push(offset + start..offset + at - 1);
                }
                start = at;
                col -= col_at;
            }
            if col + w > width && col > 0 {
                // No space to break at, or the rest still does not fit: split here.
                out.push(offset + start..offset + i);
                start = i;
                col = 0;
            }
            last_break = None;
        }
        col += w;
        if c == ' ' {
            last_break = Some((i + 1, col));
        }
        i += len;
    }
    out.push(offset + start..offset + bytes.len());
}

/// Expands tabs to the next multiple of 8 columns, per line. Borrows when there are none.
pub fn expand_tabs(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut col = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' => {
                out.push(c);
                col = 0;
            }
            c => {
                out.push(c);
                col += char_width(c);
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, width: usize) -> Vec<&str> {
        wrap(text, width).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn breaks_after_spaces_and_splits_long_words() {
        assert_eq!(lines("the quick brown fox\n", 10), ["the quick", "brown fox"]);
        assert_eq!(lines("abcdefghijkl\n", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(lines("a\n\nb\n", 5), ["a", "", "b"]);
        assert_eq!(lines("exactly10c next\n", 10), ["exactly10c", "next"]);
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(lines("許諾契約書です\n", 6), ["許諾契", "約書で", "す"]);
        assert_eq!(lines("ab許\n", 3), ["ab", "許"]);
        // A combining mark stays with its letter and takes no column.
        assert_eq!(
            lines("e\u{301}e\u{301}e\u{301}\n", 2),
            ["e\u{301}e\u{301}", "e\u{301}"]
        );
    }

    proptest::proptest! {
        #[test]
        fn no_line_is_wider_than_the_width_and_no_text_is_lost_or_reordered(
            text in "([a-z]{1,12}|[ ]{1,3}|[許諾契約]{1,4}|e\u{301}|\n|[A-Z]{20,40}){0,60}",
            width in 2usize..100,
        ) {
            let ranges = wrap(&text, width);
            let mut previous_end = 0;
            for r in &ranges {
                proptest::prop_assert!(r.start >= previous_end, "lines overlap or go back");
                proptest::prop_assert!(str_width(&text[r.clone()]) <= width);
                proptest::prop_assert!(!text[r.clone()].contains('\n'));
                previous_end = r.end;
            }
            // What the lines leave out between them is only spaces and line ends.
            let mut cursor = 0;
            for r in &ranges {
                proptest::prop_assert!(text[cursor..r.start].chars().all(|c| c == ' ' || c == '\n'));
                cursor = r.end;
            }
            proptest::prop_assert!(text[cursor..].chars().all(|c| c == ' ' || c == '\n'));
            // And every logical line gets at least one screen line.
            proptest::prop_assert!(ranges.len() >= text.split_terminator('\n').count().max(1));
        }
    }

    #[test]
    fn tabs_expand_to_eight_column_stops() {
        assert_eq!(expand_tabs("a\tb\n\tc"), "a       b\n        c");
    }
}
