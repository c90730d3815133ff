//! Word-level comparison of two license texts: what changed between the text a
//! person accepted and the text in front of them now.
//!
//! The texts are compared line by line first (a Myers diff over the lines that are
//! left once the common beginning and end are set aside), then word by word inside
//! each run of changed lines. A word is a run of non-whitespace with the whitespace
//! that follows it, so the pieces of a [`Hunk`](crate::diff::Hunk) put back together
//! give the lines of both texts exactly. The work is bounded: past an edit distance
//! of 2,000 lines, or 2,000 words inside one region of changed lines, or past a
//! number of comparisons set by the texts' size, a region is reported as wholly
//! removed and wholly added, which is still correct, only coarser. Time and memory
//! grow with the texts' size, never with its square.
//!
//! [`render`](crate::diff::render) writes a diff for a person; every character of
//! the texts goes through [`shown`](crate::term::shown::shown), so nothing in a
//! license can act on the terminal.

use crate::term::shown::shown;
use std::hash::{BuildHasher, RandomState};
use std::ops::Range;

/// One piece of the new text's rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text in both texts (borrowed from the new one).
    Same(&'a str),
    /// Text only in the old text.
    Removed(&'a str),
    /// Text only in the new text.
    Added(&'a str),
}

/// A run of changed lines with a little context.
///
/// Its pieces cover whole lines: the `Same` and `Removed` pieces, in order, are the
/// old text's lines from `old_line` on, and the `Same` and `Added` pieces the new
/// text's lines from `new_line` on. One unchanged line of context comes before and
/// after the changes where the texts have one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk<'a> {
    /// 1-based first line of the hunk in the old text (for a hunk with no old
    /// lines, the line it comes before: one more than the lines before it).
    pub old_line: usize,
    /// 1-based first line of the hunk in the new text (counted as `old_line` is).
    pub new_line: usize,
    /// Context lines before and after as `Same`; the changes word by word.
    pub pieces: Vec<Piece<'a>>,
}

/// The changes between two texts, in order; no hunks for equal texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordDiff<'a> {
    /// The changed regions, each with its context, in text order, not overlapping.
    pub hunks: Vec<Hunk<'a>>,
    /// Whitespace-separated words in all `Removed` pieces.
    pub removed_words: usize,
    /// Whitespace-separated words in all `Added` pieces.
    pub added_words: usize,
}

/// The marker each hunk's header line starts with (the pager searches for it to
/// jump between changes).
pub const HUNK_MARK: &str = "@@ ";

/// The largest line edit distance searched for; a region that differs by more lines
/// is reported as wholly removed and added.
const LINE_CAP: usize = 2_000;

/// The largest word edit distance searched for inside one region of changed lines;
/// beyond it the region is reported as wholly removed and added.
const WORD_CAP: usize = 2_000;

/// Comparisons every diff may make whatever the texts' size, on top of two per line
/// (or per two bytes of changed lines, for words); when they run out, what is left
/// is reported coarsely.
const BASE_BUDGET: u64 = 1 << 24;

/// Compares `old` with `new`: the changed lines, word by word, with one line of
/// context before and after; hunks whose context would touch or overlap are merged.
/// Equal texts give no hunks. Any strings are accepted: a text without a final line
/// feed has a last line without one.
pub fn diff_words<'a>(old: &'a str, new: &'a str) -> WordDiff<'a> {
    let mut diff = WordDiff {
        hunks: Vec::new(),
        removed_words: 0,
        added_words: 0,
    };
    if old == new {
        return diff;
    }
    let blocks = line_blocks(old, new);
    let region_bytes: usize = blocks.iter().map(|b| b.old.len() + b.new.len()).sum();
    let mut word_budget = BASE_BUDGET.saturating_add(region_bytes as u64 / 2);

    let mut start = 0;
    while start < blocks.len() {
        let mut end = start + 1;
        while end < blocks.len() {
            let prev = &blocks[end - 1];
            // Contexts of one line each touch or overlap when at most two lines lie between.
            if blocks[end]
                .old_line
                .saturating_sub(prev.old_line + prev.old_count)
                > 2
            {
                break;
            }
            end += 1;
        }
        let hunk = hunk(old, new, &blocks[start..end], &mut word_budget, &mut diff);
        diff.hunks.push(hunk);
        start = end;
    }
    diff
}

/// A run of changed lines: byte ranges in each text and 0-based line numbers.
struct Block {
    old: Range<usize>,
    new: Range<usize>,
    old_line: usize,
    new_line: usize,
    old_count: usize,
}

/// The runs of changed lines, in order, with unchanged lines between any two.
fn line_blocks(old: &str, new: &str) -> Vec<Block> {
    let (prefix, suffix) = common_lines(old, new);
    let prefix_lines = count_lines(&old.as_bytes()[..prefix]);
    let (old_rest, new_rest) = (prefix..old.len() - suffix, prefix..new.len() - suffix);
    let hasher = RandomState::new();
    let (Some(a), Some(b)) = (
        Units::lines(old, old_rest.clone(), &hasher),
        Units::lines(new, new_rest.clone(), &hasher),
    ) else {
        // Past 4 GiB of changed lines: one block, compared no further.
        let region = &old.as_bytes()[old_rest.clone()];
        let old_count = count_lines(region) + usize::from(region.last().is_some_and(|&b| b != b'\n'));
        return vec![Block {
            old: old_rest,
            new: new_rest,
            old_line: prefix_lines,
            new_line: prefix_lines,
            old_count,
        }];
    };
    let units = a.len() as u64 + b.len() as u64;
    let mut budget = BASE_BUDGET.saturating_add(units.saturating_mul(2));
    Myers::run(&a, &b, LINE_CAP, &mut budget)
        .into_iter()
        .map(|c| Block {
            old: a.span(c.old.clone()),
            new: b.span(c.new.clone()),
            old_line: prefix_lines + c.old.start,
            new_line: prefix_lines + c.new.start,
            old_count: c.old.len(),
        })
        .collect()
}

/// Which text a piece is taken from and how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Same,
    Removed,
    Added,
}

/// Pieces as byte ranges (`Removed` in the old text, the others in the new one),
/// with neighbours of one kind that touch joined into one.
#[derive(Default)]
struct Spans(Vec<(Kind, Range<usize>)>);

impl Spans {
    fn push(&mut self, kind: Kind, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        if let Some((last_kind, last)) = self.0.last_mut()
            && *last_kind == kind
            && last.end == range.start
        {
            last.end = range.end;
            return;
        }
        self.0.push((kind, range));
    }
}

/// The hunk for `blocks` (at least one, close enough to share their context).
fn hunk<'a>(
    old: &'a str,
    new: &'a str,
    blocks: &[Block],
    word_budget: &mut u64,
    diff: &mut WordDiff<'a>,
) -> Hunk<'a> {
    let mut spans = Spans::default();
    let (mut old_line, mut new_line) = (1, 1);
    if let (Some(first), Some(last)) = (blocks.first(), blocks.last()) {
        old_line += first.old_line;
        new_line += first.new_line;
        // The line before the first block is the same in both texts, if there is one.
        if first.new.start > 0 {
            let line_end = first.new.start - 1;
            let line_start = new.as_bytes()[..line_end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            spans.push(Kind::Same, line_start..first.new.start);
            old_line -= 1;
            new_line -= 1;
        }
        let mut between = first.new.start;
        for block in blocks {
            spans.push(Kind::Same, between..block.new.start);
            words(old, new, block, word_budget, &mut spans);
            between = block.new.end;
        }
        if last.new.end < new.len() {
            let rest = &new.as_bytes()[last.new.end..];
            let line_end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(new.len(), |p| last.new.end + p + 1);
            spans.push(Kind::Same, last.new.end..line_end);
        }
    }
    let mut pieces = Vec::with_capacity(spans.0.len());
    for (kind, range) in spans.0 {
        let piece = match kind {
            Kind::Same => Piece::Same(slice(new, range)),
            Kind::Removed => {
                let text = slice(old, range);
                diff.removed_words += text.split_whitespace().count();
                Piece::Removed(text)
            }
            Kind::Added => {
                let text = slice(new, range);
                diff.added_words += text.split_whitespace().count();
                Piece::Added(text)
            }
        };
        pieces.push(piece);
    }
    Hunk {
        old_line,
        new_line,
        pieces,
    }
}

/// The word-by-word pieces of one block of changed lines.
fn words(old: &str, new: &str, block: &Block, budget: &mut u64, spans: &mut Spans) {
    let changes: Vec<(Range<usize>, Range<usize>)> = match (
        Units::words(old, block.old.clone()),
        Units::words(new, block.new.clone()),
    ) {
        (Some(a), Some(b)) => Myers::run(&a, &b, WORD_CAP, budget)
            .into_iter()
            .map(|c| (a.span(c.old), b.span(c.new)))
            .collect(),
        // Past 4 GiB: removed and added whole.
        _ => vec![(block.old.clone(), block.new.clone())],
    };
    let mut same_from = block.new.start;
    for (removed, added) in changes {
        spans.push(Kind::Same, same_from..added.start);
        // Whitespace that ends both the removed and the added words is kept as
        // unchanged, so a replaced word is shown without the space after it.
        let kept = if removed.is_empty() || added.is_empty() {
            0
        } else {
            slice(old, removed.clone())
                .chars()
                .rev()
                .zip(slice(new, added.clone()).chars().rev())
                .take_while(|&(x, y)| x == y && x.is_whitespace())
                .map(|(x, _)| x.len_utf8())
                .sum()
        };
        spans.push(Kind::Removed, removed.start..removed.end - kept);
        spans.push(Kind::Added, added.start..added.end - kept);
        spans.push(Kind::Same, added.end - kept..added.end);
        same_from = added.end;
    }
    spans.push(Kind::Same, same_from..block.new.end);
}

/// `text[range]`; the ranges here are built on character boundaries, and a range
/// that is not gives an empty piece rather than a panic.
fn slice(text: &str, range: Range<usize>) -> &str {
    let piece = text.get(range);
    debug_assert!(piece.is_some(), "a piece off a character boundary");
    piece.unwrap_or_default()
}

/// The bytes at the start and at the end of both texts that are whole equal lines:
/// `(prefix, suffix)` lengths, not overlapping in either text.
fn common_lines(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let same = common_prefix(a, b);
    let prefix = if same == a.len() && same == b.len() {
        same
    } else {
        a[..same].iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1)
    };
    let room = a.len().min(b.len()) - prefix;
    let same = common_suffix(&a[prefix..], &b[prefix..]).min(room);
    let (old_start, new_start) = (a.len() - same, b.len() - same);
    let at_line_start = |text: &[u8], at: usize| at == 0 || text[at - 1] == b'\n';
    let suffix = if at_line_start(a, old_start) && at_line_start(b, new_start) {
        same
    } else {
        // Equal bytes, so the first line feed is at the same place in both.
        a[old_start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(0, |p| same - p - 1)
    };
    (prefix, suffix)
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let mut n = 0;
    for (x, y) in a.chunks_exact(CHUNK).zip(b.chunks_exact(CHUNK)) {
        if x != y {
            break;
        }
        n += CHUNK;
    }
    n + a[n..].iter().zip(&b[n..]).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let mut n = 0;
    for (x, y) in a.rchunks_exact(CHUNK).zip(b.rchunks_exact(CHUNK)) {
        if x != y {
            break;
        }
        n += CHUNK;
    }
    n + a[..a.len() - n]
        .iter()
        .rev()
        .zip(b[..b.len() - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// A region of a text cut into units (lines or words): unit `i` is the region's
/// bytes `bounds[i]..bounds[i + 1]`. Offsets are kept in 32 bits, which halves the
/// memory a text of short lines takes; a region past 4 GiB is not cut. Lines carry
/// a hash, compared before the bytes.
struct Units<'a> {
    region: &'a [u8],
    start: usize,
    bounds: Vec<u32>,
    hashes: Vec<u32>,
}

impl<'a> Units<'a> {
    /// The lines of `text[range]`, which starts at a line start and ends at a line
    /// end or the end of the text.
    fn lines(text: &'a str, range: Range<usize>, hasher: &RandomState) -> Option<Units<'a>> {
        let region = text.as_bytes().get(range.clone())?;
        let end = u32::try_from(region.len()).ok()?;
        let mut bounds = vec![0];
        bounds.extend(
            region
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        if bounds.last() != Some(&end) {
            bounds.push(end);
        }
        let mut units = Units {
            region,
            start: range.start,
            bounds,
            hashes: Vec::new(),
        };
        // 32 bits of a keyed hash: a collision only costs a comparison of the bytes.
        units.hashes = (0..units.len())
            .map(|i| hasher.hash_one(units.unit(i)) as u32)
            .collect();
        Some(units)
    }

    /// The words of `text[range]`: each a run of non-whitespace and the whitespace
    /// after it; whitespace at the start of the region is a unit of its own.
    fn words(text: &'a str, range: Range<usize>) -> Option<Units<'a>> {
        let region = text.get(range.clone())?;
        let end = u32::try_from(region.len()).ok()?;
        let mut bounds = vec![0];
        let mut after_space = false;
        for (i, c) in region.char_indices() {
            let space = c.is_whitespace();
            if after_space && !space {
                bounds.push(i as u32);
            }
            after_space = space;
        }
        if end > 0 {
            bounds.push(end);
        }
        Some(Units {
            region: region.as_bytes(),
            start: range.start,
            bounds,
            hashes: Vec::new(),
        })
    }

    fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    fn unit(&self, i: usize) -> &'a [u8] {
        &self.region[self.bounds[i] as usize..self.bounds[i + 1] as usize]
    }

    /// The bytes of units `units` in the text.
    fn span(&self, units: Range<usize>) -> Range<usize> {
        self.start + self.bounds[units.start] as usize..self.start + self.bounds[units.end] as usize
    }

    fn same(&self, i: usize, other: &Units<'_>, j: usize) -> bool {
        (self.hashes.is_empty() || self.hashes[i] == other.hashes[j]) && self.unit(i) == other.unit(j)
    }
}

/// Units removed from the old sequence and inserted from the new one, at one place.
#[derive(Debug)]
struct Change {
    old: Range<usize>,
    new: Range<usize>,
}

/// Myers' O((N+M)D) diff in linear space (the middle-snake divide and conquer), with
/// the edit distance capped and the comparisons counted against a budget.
struct Myers<'s, 'a> {
    a: &'s Units<'a>,
    b: &'s Units<'a>,
    /// Furthest x reached on each diagonal, forward and backward (-1: none).
    forward: Vec<isize>,
    backward: Vec<isize>,
    /// Index of diagonal 0 in `forward` and `backward`.
    zero: isize,
    /// The most rounds a middle-snake search may take (half the capped distance).
    rounds: isize,
    budget: &'s mut u64,
    changes: Vec<Change>,
}

impl<'s, 'a> Myers<'s, 'a> {
    /// The changes that turn `a` into `b`, in order, each maximal (unchanged units
    /// between any two).
    fn run(a: &'s Units<'a>, b: &'s Units<'a>, cap: usize, budget: &'s mut u64) -> Vec<Change> {
        let rounds = cap.div_ceil(2) + 1;
        let mut myers = Myers {
            a,
            b,
            forward: vec![-1; 2 * rounds + 3],
            backward: vec![-1; 2 * rounds + 3],
            zero: rounds as isize + 1,
            rounds: rounds as isize,
            budget,
            changes: Vec::new(),
        };
        myers.conquer(0..a.len(), 0..b.len());
        myers.changes
    }

    fn conquer(&mut self, mut old: Range<usize>, mut new: Range<usize>) {
        while !old.is_empty() && !new.is_empty() && self.a.same(old.start, self.b, new.start) {
            old.start += 1;
            new.start += 1;
        }
        while !old.is_empty() && !new.is_empty() && self.a.same(old.end - 1, self.b, new.end - 1) {
            old.end -= 1;
            new.end -= 1;
        }
        if old.is_empty() && new.is_empty() {
            return;
        }
        if !old.is_empty()
            && !new.is_empty()
            && let Some((x, y)) = self.middle_snake(old.clone(), new.clone())
            // Strictly inside, as the search guarantees; checked so that a slip
            // could never recurse without end.
            && (old.start..=old.end).contains(&x)
            && (new.start..=new.end).contains(&y)
            && (x, y) != (old.start, new.start)
            && (x, y) != (old.end, new.end)
        {
            self.conquer(old.start..x, new.start..y);
            self.conquer(x..old.end, y..new.end);
            return;
        }
        self.change(old, new);
    }

    fn change(&mut self, old: Range<usize>, new: Range<usize>) {
        if let Some(last) = self.changes.last_mut()
            && last.old.end == old.start
            && last.new.end == new.start
        {
            last.old.end = old.end;
            last.new.end = new.end;
            return;
        }
        self.changes.push(Change { old, new });
    }

    /// A point on an optimal path through the edit graph of `old` × `new` (both not
    /// empty, first and last units differing), strictly inside it so that both halves
    /// are smaller; `None` if the distance is past the cap or the budget ran out.
    fn middle_snake(&mut self, old: Range<usize>, new: Range<usize>) -> Option<(usize, usize)> {
        let (n, m) = (old.len() as isize, new.len() as isize);
        let delta = n - m;
        let odd = delta & 1 == 1;
        let last_round = ((n + m + 1) / 2).min(self.rounds);
        let z = self.zero;
        let (a, b) = (self.a, self.b);
        for d in 0..=last_round {
            if *self.budget == 0 {
                return None;
            }
            let mut k = -d;
            while k <= d {
                let Some(x0) = next_x(&self.forward, z, k, d, n, m) else {
                    self.forward[(z + k) as usize] = -1;
                    k += 2;
                    continue;
                };
                let y0 = x0 - k;
                let mut x = x0;
                while x < n && x - k < m && a.same(old.start + x as usize, b, new.start + (x - k) as usize) {
                    x += 1;
                }
                *self.budget = self.budget.saturating_sub((x - x0) as u64 + 1);
                self.forward[(z + k) as usize] = x;
                if odd && (k - delta).abs() < d {
                    let back = self.backward[(z + delta - k) as usize];
                    if back >= 0 && x + back >= n {
                        return Some((old.start + x0 as usize, new.start + y0 as usize));
                    }
                }
                k += 2;
            }
            let mut k = -d;
            while k <= d {
                let Some(x0) = next_x(&self.backward, z, k, d, n, m) else {
                    self.backward[(z + k) as usize] = -1;
                    k += 2;
                    continue;
                };
                let mut x = x0;
                while x < n
                    && x - k < m
                    && a.same(old.end - 1 - x as usize, b, new.end - 1 - (x - k) as usize)
                {
                    x += 1;
                }
                *self.budget = self.budget.saturating_sub((x - x0) as u64 + 1);
                self.backward[(z + k) as usize] = x;
                if !odd && (k - delta).abs() <= d {
                    let front = self.forward[(z + delta - k) as usize];
                    if front >= 0 && x + front >= n {
                        return Some((old.end - x as usize, new.end - (x - k) as usize));
                    }
                }
                k += 2;
            }
        }
        None
    }
}

/// Where a `d`-path on diagonal `k` starts its last snake, from the furthest
/// (d-1)-paths in `v` on the diagonals beside it, staying inside the n × m grid;
/// `None` if no `d`-path reaches the diagonal.
fn next_x(v: &[isize], z: isize, k: isize, d: isize, n: isize, m: isize) -> Option<isize> {
    if d == 0 {
        return Some(0);
    }
    // A step right from diagonal k - 1, or a step down from diagonal k + 1.
    let right = if k > -d { v[(z + k - 1) as usize] } else { -1 };
    let right = if right >= 0 && right < n { right + 1 } else { -1 };
    let down = if k < d { v[(z + k + 1) as usize] } else { -1 };
    let down = if down >= 0 && down - (k + 1) < m { down } else { -1 };
    let x = right.max(down);
    (x >= 0).then_some(x)
}

/// Writes `diff` for a person: each hunk as a header line
/// `@@ line {new_line} (was {old_line}) @@` (starting with [`HUNK_MARK`]) followed
/// by its pieces, ending with a line feed.
///
/// Plain (`styled == false`): removed words as `[-words-]` and added words as
/// `{+words+}`, as `git diff --word-diff=plain` writes them; stable and greppable.
/// Styled: removed words in red and struck through, added words in green, without
/// brackets; the styles are always written (the caller chose styled output).
/// Either way the markers close at each line's end, so each line stands alone, and
/// every character from the texts is written as [`shown`] shows it, so that nothing
/// in a text can act as a terminal control sequence.
pub fn render(diff: &WordDiff<'_>, styled: bool) -> String {
    let removed = console::Style::new().red().strikethrough().force_styling(true);
    let added = console::Style::new().green().force_styling(true);
    let mut out = String::new();
    for hunk in &diff.hunks {
        out.push_str(&format!(
            "{HUNK_MARK}line {} (was {}) @@\n",
            hunk.new_line, hunk.old_line
        ));
        for piece in &hunk.pieces {
            match piece {
                Piece::Same(text) => push_shown(&mut out, text),
                Piece::Removed(text) => marked(&mut out, text, styled.then_some(&removed), "[-", "-]"),
                Piece::Added(text) => marked(&mut out, text, styled.then_some(&added), "{+", "+}"),
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Writes `text` line by line, each line's part styled or between `open` and `close`.
fn marked(out: &mut String, text: &str, style: Option<&console::Style>, open: &str, close: &str) {
    for line in text.split_inclusive('\n') {
        let (body, feed) = match line.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (line, false),
        };
        if !body.is_empty() {
            match style {
                Some(style) => out.push_str(&style.apply_to(ShownText(body)).to_string()),
                None => {
                    out.push_str(open);
                    push_shown(out, body);
                    out.push_str(close);
                }
            }
        }
        if feed {
            out.push('\n');
        }
    }
}

/// Appends `text` as [`shown`] shows it, character by character, copying the runs
/// of characters shown as they are in one go.
fn push_shown(out: &mut String, text: &str) {
    // Writing to a String does not fail.
    let _ = write_shown(out, text);
}

fn write_shown(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut run = 0;
    for (i, c) in text.char_indices() {
        let shows_as = shown(c);
        if shows_as != Some(c) {
            out.write_str(slice(text, run..i))?;
            if let Some(s) = shows_as {
                out.write_char(s)?;
            }
            run = i + c.len_utf8();
        }
    }
    out.write_str(slice(text, run..text.len()))
}

/// Text shown through [`shown`] when displayed, for styling without a copy.
struct ShownText<'a>(&'a str);

impl std::fmt::Display for ShownText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_shown(f, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old and the new text as the hunks and the lines between them give them.
    fn rebuild(old: &str, new: &str, diff: &WordDiff<'_>) -> (String, String) {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        let (mut o, mut n) = (String::new(), String::new());
        let (mut oi, mut ni) = (0, 0);
        for hunk in &diff.hunks {
            assert_eq!(old_lines[oi..hunk.old_line - 1], new_lines[ni..hunk.new_line - 1]);
            o.extend(old_lines[oi..hunk.old_line - 1].iter().copied());
            n.extend(new_lines[ni..hunk.new_line - 1].iter().copied());
            let (mut old_part, mut new_part) = (String::new(), String::new());
            for piece in &hunk.pieces {
                match piece {
                    Piece::Same(t) => {
                        old_part.push_str(t);
                        new_part.push_str(t);
                    }
                    Piece::Removed(t) => old_part.push_str(t),
                    Piece::Added(t) => new_part.push_str(t),
                }
            }
            oi = hunk.old_line - 1 + old_part.split_inclusive('\n').count();
            ni = hunk.new_line - 1 + new_part.split_inclusive('\n').count();
            o.push_str(&old_part);
            n.push_str(&new_part);
        }
        assert_eq!(old_lines[oi..], new_lines[ni..]);
        o.extend(old_lines[oi..].iter().copied());
        n.extend(new_lines[ni..].iter().copied());
        (o, n)
    }

    /// The diff, after checking that it gives back both texts and renders.
    fn check<'a>(old: &'a str, new: &'a str) -> WordDiff<'a> {
        let diff = diff_words(old, new);
        assert_eq!(rebuild(old, new, &diff), (old.to_owned(), new.to_owned()));
        assert_eq!(diff.hunks.is_empty(), old == new);
        assert!(render(&diff, false).matches(HUNK_MARK).count() >= diff.hunks.len());
        diff
    }

    fn numbered(lines: usize) -> String {
        (1..=lines)
            .map(|i| format!("Clause {i} of the agreement applies here.\n"))
            .collect()
    }

    #[test]
    fn identical_texts_have_no_hunks() {
        let text = numbered(100);
        let diff = diff_words(&text, &text);
        assert_eq!(
            diff,
            WordDiff {
                hunks: vec![],
                removed_words: 0,
                added_words: 0
            }
        );
        assert_eq!(render(&diff, false), "");
        assert!(diff_words("", "").hunks.is_empty());
    }

    #[test]
    fn one_word_changed_in_a_thousand_lines() {
        let old = numbered(1000);
        let new = old.replace("Clause 500 of the agreement", "Clause 500 of the contract");
        let diff = check(&old, &new);
        assert_eq!(diff.hunks.len(), 1);
        let hunk = &diff.hunks[0];
        assert_eq!((hunk.old_line, hunk.new_line), (499, 499));
        assert_eq!(
            hunk.pieces,
            vec![
                Piece::Same("Clause 499 of the agreement applies here.\nClause 500 of the "),
                Piece::Removed("agreement"),
                Piece::Added("contract"),
                Piece::Same(" applies here.\nClause 501 of the agreement applies here.\n"),
            ]
        );
        assert_eq!((diff.removed_words, diff.added_words), (1, 1));
    }

    #[test]
    fn insertions_at_the_start_and_the_end() {
        let old = numbered(20);
        let new = format!("Preamble.\n{old}Signed.\n");
        let diff = check(&old, &new);
        assert_eq!(diff.hunks.len(), 2);
        assert_eq!((diff.hunks[0].old_line, diff.hunks[0].new_line), (1, 1));
        assert_eq!(
            diff.hunks[0].pieces,
            vec![
                Piece::Added("Preamble.\n"),
                Piece::Same("Clause 1 of the agreement applies here.\n")
            ]
        );
        assert_eq!((diff.hunks[1].old_line, diff.hunks[1].new_line), (20, 21));
        assert_eq!(
            diff.hunks[1].pieces,
            vec![
                Piece::Same("Clause 20 of the agreement applies here.\n"),
                Piece::Added("Signed.\n")
            ]
        );
        assert_eq!((diff.removed_words, diff.added_words), (0, 2));
    }

    #[test]
    fn empty_old_text() {
        let diff = check("", "All new.\nTerms.\n");
        assert_eq!(diff.hunks.len(), 1);
        assert_eq!((diff.hunks[0].old_line, diff.hunks[0].new_line), (1, 1));
        assert_eq!(diff.hunks[0].pieces, vec![Piece::Added("All new.\nTerms.\n")]);
        assert_eq!((diff.removed_words, diff.added_words), (0, 3));
        assert_eq!(
            render(&diff, false),
            "@@ line 1 (was 1) @@\n{+All new.+}\n{+Terms.+}\n"
        );
        let gone = check("Old terms.\n", "");
        assert_eq!(gone.hunks[0].pieces, vec![Piece::Removed("Old terms.\n")]);
    }

    #[test]
    fn a_full_rewrite_past_the_cap_falls_back_and_stays_correct() {
        let old: String = (0..3000).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("new {i}\n")).collect();
        let diff = check(&old, &new);
        assert_eq!(diff.hunks.len(), 1);
        // Past the cap, all but the equal last word is removed and added whole.
        let cut = old.len() - " 2999\n".len();
        let whole = [
            Piece::Removed(&old[..cut]),
            Piece::Added(&new[..cut]),
            Piece::Same(" 2999\n"),
        ];
        assert!(
            diff.hunks[0].pieces == whole,
            "{} pieces",
            diff.hunks[0].pieces.len()
        );
        assert_eq!((diff.removed_words, diff.added_words), (5999, 5999));
        // Under the cap, the same kind of rewrite is found word by word.
        let diff = check(&old[..60], &new[..60]);
        assert_eq!(diff.removed_words, 10);
        assert!(diff.hunks[0].pieces.contains(&Piece::Same(" 0\n")));
    }

    #[test]
    fn lines_without_a_final_feed_and_odd_input() {
        for (old, new) in [
            ("a", "a\nb"),
            ("a\nb", "a"),
            ("x\nabc", "y\nabc"),
            ("\n\n\n", "\n"),
            ("  lead", "lead"),
            ("a b", "a  b"),
            ("\r\n\u{0}\u{85}x", "\u{a0}x\u{2028}"),
            ("é許\n", "許é\n"),
        ] {
            check(old, new);
            check(new, old);
        }
    }

    #[test]
    fn only_whole_lines_are_set_aside_as_common() {
        assert_eq!(common_lines("a\nxb\nc\n", "a\nyb\nc\n"), (2, 2));
        assert_eq!(common_lines("xa\nb\n", "ya\nb\n"), (0, 2));
        assert_eq!(common_lines("ab\n", "abc\n"), (0, 0));
        assert_eq!(common_lines("a\nb", "a\nb\n"), (2, 0));
        assert_eq!(common_lines("a\n", "a\na\n"), (2, 0));
        assert_eq!(common_lines("", "a\n"), (0, 0));
        assert_eq!(common_lines("x\nabc", "y\nabc"), (0, 3));
    }

    #[test]
    fn close_changes_share_a_hunk_and_far_ones_do_not() {
        let old = numbered(30);
        let with = |lines: &[usize]| {
            let mut text = old.clone();
            for i in lines {
                text = text.replace(&format!("Clause {i} of"), &format!("Article {i} of"));
            }
            text
        };
        assert_eq!(check(&old, &with(&[10, 13])).hunks.len(), 1);
        assert_eq!(check(&old, &with(&[10, 14])).hunks.len(), 2);
    }

    #[test]
    fn plain_rendering_is_pinned() {
        let old = "one\ntwo three four\nfive\nsix\nseven\neight\nnine\n";
        let new = "one\ntwo 3 four\nfive\nsix\nseven\neight\nnine\nten\n";
        let diff = check(old, new);
        assert_eq!(
            render(&diff, false),
            "@@ line 1 (was 1) @@\none\ntwo [-three-]{+3+} four\nfive\n\
             @@ line 7 (was 7) @@\nnine\n{+ten+}\n"
        );
        let old = "Keep this.\nDrop this line\nand this.\nEnd.\n";
        let new = "Keep this.\nEnd.\n";
        assert_eq!(
            render(&check(old, new), false),
            "@@ line 1 (was 1) @@\nKeep this.\n[-Drop this line-]\n[-and this.-]\nEnd.\n"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let old = "Terms:\nYou agree to pay.\nEnd.\n";
        let new = "Terms:\nYou agree \x1b]0;pwned\x07to \x1b[2Jpay \u{202E}twice.\nEnd.\n";
        let diff = check(old, new);
        let plain = render(&diff, false);
        assert_eq!(
            plain,
            "@@ line 1 (was 1) @@\nTerms:\nYou agree [-to pay.-]{+\u{241B}]0;pwned\u{2407}to \u{241B}[2Jpay twice.+}\nEnd.\n"
        );
        let styled = render(&diff, true);
        let mut cleaned = styled.clone();
        for style in [
            console::Style::new().red().strikethrough().force_styling(true),
            console::Style::new().green().force_styling(true),
        ] {
            let sample = style.apply_to("X").to_string();
            let (open, close) = sample.split_once('X').unwrap();
            cleaned = cleaned.replace(open, "").replace(close, "");
        }
        assert!(styled.contains('\x1b'), "styled output is styled");
        for text in [&plain, &cleaned] {
            assert!(!text.contains(['\x1b', '\x07', '\u{202E}']), "{text:?}");
        }
        assert!(
            cleaned.contains("You agree to pay.\u{241B}]0;pwned"),
            "{cleaned:?}"
        );
    }
}
