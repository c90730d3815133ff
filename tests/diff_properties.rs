//! Properties of the word diff for any pair of texts, checked with proptest: the
//! hunks and the lines between them give back both texts exactly, and a rendering
//! never carries a character of the texts that could act on a terminal.

use eula_gate::diff::{HUNK_MARK, Piece, WordDiff, diff_words, render};
use eula_gate::term::shown::shown;
use proptest::prelude::*;

/// Words from a small vocabulary, so that generated texts share many of them.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["the", "licensee", "shall", "not", "a", "b", "c", "§1."]).prop_map(String::from),
        1 => "[a-c\u{1b}\u{7}\u{202e}é許]{1,3}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec((word(), prop::sample::select(vec![" ", " ", "  ", "\t"])), 0..6).prop_map(
        |words| {
            let mut line: String = words.into_iter().map(|(w, s)| w + s).collect();
            line.truncate(line.trim_end().len());
            line
        },
    )
}

/// A normalized text: lines joined by line feeds, with a final one if not empty.
fn text() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(line(), 0..24)
}

fn join(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// An edit of a text: remove a line, insert one, or change a word in one.
#[derive(Debug, Clone)]
enum Edit {
    Remove(prop::sample::Index),
    Insert(prop::sample::Index, String),
    Reword(prop::sample::Index, prop::sample::Index, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Remove),
        (any::<prop::sample::Index>(), line()).prop_map(|(at, l)| Edit::Insert(at, l)),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>(), word())
            .prop_map(|(at, w, by)| Edit::Reword(at, w, by)),
    ]
}

fn apply(mut lines: Vec<String>, edits: &[Edit]) -> Vec<String> {
    for edit in edits {
        match edit {
            Edit::Remove(at) if !lines.is_empty() => {
                lines.remove(at.index(lines.len()));
            }
            Edit::Remove(_) => {}
            Edit::Insert(at, line) => lines.insert(at.index(lines.len() + 1), line.clone()),
            Edit::Reword(at, w, by) if !lines.is_empty() => {
                let at = at.index(lines.len());
                let mut words: Vec<&str> = lines[at].split(' ').collect();
                let w = w.index(words.len());
                words[w] = by;
                lines[at] = words.join(" ");
            }
            Edit::Reword(..) => {}
        }
    }
    lines
}

/// Pairs of texts: one and an edited copy, two unrelated ones, or any two strings
/// (not normalized: carriage returns, no final line feed, leading blanks).
fn pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        3 => (text(), prop::collection::vec(edit(), 0..8))
            .prop_map(|(old, edits)| (join(&old), join(&apply(old, &edits)))),
        1 => (text(), text()).prop_map(|(old, new)| (join(&old), join(&new))),
        1 => ("[ ab\n\t\r\u{1b}é]{0,40}", "[ ab\n\t\r\u{1b}é]{0,40}"),
    ]
}

/// The old and the new text as the hunks and the unchanged lines between them give
/// them, checking on the way that each hunk covers whole lines and that the lines
/// left out are the same in both texts.
fn rebuild(old: &str, new: &str, diff: &WordDiff<'_>) -> Result<(String, String), TestCaseError> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let (mut o, mut n) = (String::new(), String::new());
    let (mut oi, mut ni) = (0, 0);
    for hunk in &diff.hunks {
        prop_assert!(hunk.old_line >= 1 && hunk.new_line >= 1);
        let (ob, nb) = (hunk.old_line - 1, hunk.new_line - 1);
        prop_assert!(oi <= ob && ob <= old_lines.len() && ni <= nb && nb <= new_lines.len());
        prop_assert_eq!(
            &old_lines[oi..ob],
            &new_lines[ni..nb],
            "unchanged lines before a hunk"
        );
        o.extend(old_lines[oi..ob].iter().copied());
        n.extend(new_lines[ni..nb].iter().copied());

        let (mut old_part, mut new_part) = (String::new(), String::new());
        let mut changed = false;
        for piece in &hunk.pieces {
            match piece {
                Piece::Same(t) => {
                    prop_assert!(!t.is_empty());
                    old_part.push_str(t);
                    new_part.push_str(t);
                }
                Piece::Removed(t) | Piece::Added(t) if t.is_empty() => {
                    return Err(TestCaseError::fail("an empty piece"));
                }
                Piece::Removed(t) => {
                    changed = true;
                    old_part.push_str(t);
                }
                Piece::Added(t) => {
                    changed = true;
                    new_part.push_str(t);
                }
            }
        }
        prop_assert!(changed, "a hunk without a change");
        oi = ob + old_part.split_inclusive('\n').count();
        ni = nb + new_part.split_inclusive('\n').count();
        prop_assert!(oi <= old_lines.len() && ni <= new_lines.len());
        prop_assert_eq!(
            &old_part,
            &old_lines[ob..oi].concat(),
            "a hunk covers whole old lines"
        );
        prop_assert_eq!(
            &new_part,
            &new_lines[nb..ni].concat(),
            "a hunk covers whole new lines"
        );
        o.push_str(&old_part);
        n.push_str(&new_part);
    }
    prop_assert_eq!(
        &old_lines[oi..],
        &new_lines[ni..],
        "unchanged lines after the last hunk"
    );
    o.extend(old_lines[oi..].iter().copied());
    n.extend(new_lines[ni..].iter().copied());
    Ok((o, n))
}

fn words_in(diff: &WordDiff<'_>, removed: bool) -> usize {
    diff.hunks
        .iter()
        .flat_map(|h| &h.pieces)
        .map(|p| match p {
            Piece::Removed(t) if removed => t.split_whitespace().count(),
            Piece::Added(t) if !removed => t.split_whitespace().count(),
            _ => 0,
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_pieces_give_back_both_texts((old, new) in pair()) {
        let diff = diff_words(&old, &new);
        prop_assert_eq!(diff.hunks.is_empty(), old == new);
        let (o, n) = rebuild(&old, &new, &diff)?;
        prop_assert_eq!(&o, &old);
        prop_assert_eq!(&n, &new);
        prop_assert_eq!(diff.removed_words, words_in(&diff, true));
        prop_assert_eq!(diff.added_words, words_in(&diff, false));
    }

    #[test]
    fn the_plain_rendering_shows_only_what_shown_shows((old, new) in pair()) {
        let diff = diff_words(&old, &new);
        let plain = render(&diff, false);
        prop_assert!(plain.chars().all(|c| shown(c) == Some(c)), "{:?}", plain);
        prop_assert!(plain.is_empty() || plain.ends_with('\n'));
        let headers = plain.lines().filter(|l| l.starts_with(HUNK_MARK) && l.ends_with(" @@")).count();
        prop_assert!(headers >= diff.hunks.len());
        // Styled: the same, once the styles' own sequences are taken out.
        let mut styled = render(&diff, true);
        for style in [
            console::Style::new().red().strikethrough().force_styling(true),
            console::Style::new().green().force_styling(true),
        ] {
            let sample = style.apply_to("X").to_string();
            if let Some((open, close)) = sample.split_once('X') {
                styled = styled.replace(open, "").replace(close, "");
            }
        }
        prop_assert!(styled.chars().all(|c| shown(c) == Some(c)), "{:?}", styled);
    }
}
