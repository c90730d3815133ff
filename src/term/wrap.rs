//! Word wrapping by display width, of a text as it is shown (see `shown`): wide (CJK)
//! characters take two columns, combining marks and bidirectional controls none,
//! control characters one (their Control Picture); a word longer than the width is
//! split. Rows are laid out one at a time from any row start, so that a pager can
//! keep a sparse index instead of every row.

use super::shown::shown;
use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// Most bytes of text on one screen row, per column of width: room for any script's
/// combining marks, while a line of zero-width characters is cut into rows of this
/// size, so that a screen of rows stays a screen's worth of bytes.
pub const ROW_BYTES_PER_COLUMN: usize = 16;

/// The display width of one character (controls, shown as pictures, count 1).
pub fn char_width(c: char) -> usize {
    if c.is_ascii() { 1 } else { c.width().unwrap_or(1) }
}

/// The display width of `s` (as given, not as shown).
pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// The columns a tab at column `col` of a row takes: to the next multiple of 8,
/// counted from the row's start (so on a line's first row from the line's start),
/// and never more than the row at its start.
pub fn tab_width(col: usize, width: usize) -> usize {
    if col == 0 { 8.min(width) } else { 8 - col % 8 }
}

/// One screen row: `text[start..end]` is shown on it; the next row begins at `next`
/// (after a line feed or a space that the break swallowed, or at `end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

/// The row of `text` that begins at `start` (0 or the `next` of a row), wrapped to
/// `width` columns (at least 2); `None` at the end of the text. Breaks fall after a
/// space (or a tab), and a space at a break is not part of either row; a row also
/// ends after `ROW_BYTES_PER_COLUMN * width` bytes.
pub fn row_at(text: &str, start: usize, width: usize) -> Option<Row> {
    let width = width.max(2);
    let max_bytes = width * ROW_BYTES_PER_COLUMN;
    let bytes = text.as_bytes();
    if start >= bytes.len() {
        return None;
    }
    let mut start = start;
    let mut col = 0;
    // The last space on this row: where it begins, where it ends, the column after
    // it, and whether anything was drawn before it on the row.
    let mut last_break: Option<(usize, usize, usize, bool)> = None;
    // Whether anything is drawn on the row so far (a zero-width mark is), and since
    // its last space.
    let (mut drawn, mut drawn_since_space) = (false, false);
    let mut i = start;
    loop {
        if i >= bytes.len() || bytes[i] == b'\n' {
            return Some(Row {
                start,
                end: i,
                next: (i + 1).min(bytes.len()),
            });
        }
        if i - start >= max_bytes {
            return Some(Row {
                start,
                end: i,
                next: i,
            });
        }
        // Columns, bytes, whether it is a space, whether anything is drawn for it.
        let (w, len, is_space, draws) = match bytes[i] {
            b'!'..=b'~' => (1, 1, false, true),
            b' ' => (1, 1, true, false),
            _ => {
                // Off a character boundary (only if `start` was) a byte counts alone.
                let (c, len) = text
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or((char::REPLACEMENT_CHARACTER, 1), |c| (c, c.len_utf8()));
                match shown(c) {
                    None => (0, len, false, false),
                    Some('\t') => (tab_width(col, width), len, true, false),
                    Some(' ') => (1, len, true, false),
                    Some(s) => (char_width(s), len, false, true),
                }
            }
        };
        if col + w > width && col > 0 {
            if is_space {
                // The space itself is the break.
                return Some(Row {
                    start,
                    end: i,
                    next: i + len,
                });
            }
            if let Some((at, after, col_at, drawn_before)) = last_break {
                // Break after the last space; what follows it moves down.
                if drawn_before {
                    return Some(Row {
                        start,
                        end: at,
                        next: after,
                    });
                }
                // The row was that one space: drop it and go on from after it.
                (start, drawn) = (after, drawn_since_space);
                col -= col_at;
            }
            if col + w > width && col > 0 {
                // No space to break at: split here.
                return Some(Row {
                    start,
                    end: i,
                    next: i,
                });
            }
            last_break = None;
        }
        col += w;
        if is_space {
            last_break = Some((i, i + len, col, drawn));
        }
        drawn |= draws || is_space;
        drawn_since_space = (drawn_since_space && !is_space) || draws;
        i += len;
    }
}

/// Wraps `text` (lines separated by `\n`) to `width` columns: every row's range, at
/// least one. For tests and measurements; the pager keeps no such list.
pub fn wrap(text: &str, width: usize) -> Vec<Range<usize>> {
    let mut rows = Vec::new();
    let mut at = 0;
    while let Some(row) = row_at(text, at, width) {
        rows.push(row.start..row.end);
        at = row.next;
    }
    if rows.is_empty() {
        rows.push(0..0);
    }
    rows
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
    fn tabs_take_columns_to_eight_column_stops_and_break_like_spaces() {
        assert_eq!(lines("a\tb\n\tc\n", 20), ["a\tb", "\tc"]);
        // a (1) + tab (7) + bcd (3) = 11 > 10: the tab is the last space, the break.
        assert_eq!(lines("a\tbcd\n", 10), ["a", "bcd"]);
        // A tab alone before a word that does not fit after it is dropped, as a space is.
        assert_eq!(lines("\tx\n", 5), ["x"]);
        assert_eq!(
            (
                tab_width(0, 80),
                tab_width(3, 80),
                tab_width(8, 80),
                tab_width(0, 5)
            ),
            (8, 5, 8, 5)
        );
    }

    #[test]
    fn controls_count_as_their_pictures_and_bidi_controls_as_nothing() {
        assert_eq!(lines("\x1b\x1b\x1b\x1b\n", 3), ["\x1b\x1b\x1b", "\x1b"]);
        assert_eq!(lines("ab\u{202E}c\u{202C}d\n", 4), ["ab\u{202E}c\u{202C}d"]);
        // A line separator is shown as a space, and breaks like one.
        assert_eq!(lines("abc\u{2028}def\n", 4), ["abc", "def"]);
    }

    #[test]
    fn a_line_of_zero_width_characters_is_cut_into_rows_of_bounded_bytes() {
        let text = format!("x{}\n", "\u{200B}".repeat(100_000));
        let rows = wrap(&text, 80);
        assert!(rows.len() > 1);
        for r in &rows {
            assert!(r.len() <= 80 * ROW_BYTES_PER_COLUMN + 3, "{r:?}");
        }
        assert_eq!(rows.iter().map(|r| r.len()).sum::<usize>(), text.len() - 1);
    }

    /// The wrapping of the version that wrapped a sanitized, tab-expanded copy of the
    /// text: for texts without tabs, rows must show the same.
    fn reference_wrap(text: &str, width: usize) -> Vec<Range<usize>> {
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_terminator('\n') {
            let bytes = line.as_bytes();
            let (mut start, mut col, mut last_break, mut i) = (0, 0, None::<(usize, usize)>, 0);
            while i < bytes.len() {
                let c = line[i..].chars().next().unwrap();
                let (len, w) = (c.len_utf8(), char_width(c));
                if col + w > width && col > 0 {
                    if c == ' ' {
                        lines.push(offset + start..offset + i);
                        (start, col, last_break, i) = (i + 1, 0, None, i + 1);
                        continue;
                    }
                    if let Some((at, col_at)) = last_break.filter(|&(at, _)| at > start) {
                        if at - 1 > start {
                            lines.push(offset + start..offset + at - 1);
                        }
                        start = at;
                        col -= col_at;
                    }
                    if col + w > width && col > 0 {
                        lines.push(offset + start..offset + i);
                        (start, col) = (i, 0);
                    }
                    last_break = None;
                }
                col += w;
                if c == ' ' {
                    last_break = Some((i + 1, col));
                }
                i += len;
            }
            lines.push(offset + start..offset + bytes.len());
            offset += line.len() + 1;
        }
        if lines.is_empty() {
            lines.push(0..0);
        }
        lines
    }

    proptest::proptest! {
        #[test]
        fn rows_show_what_wrapping_the_sanitized_text_showed(
            text in "([a-z]{1,12}|[ ]{1,3}|[許諾]{1,4}|e\u{301}|\u{1b}|\u{7}|\u{202E}|\u{9b}|\u{2028}|\n|[A-Z]{20,40}){0,60}\n",
            width in 2usize..100,
        ) {
            let sanitized = crate::license::sanitize(&text);
            let expected: Vec<String> =
                reference_wrap(&sanitized, width).into_iter().map(|r| sanitized[r].to_owned()).collect();
            let got: Vec<String> = wrap(&text, width)
                .into_iter()
                .map(|r| crate::license::sanitize(&text[r]).into_owned())
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
