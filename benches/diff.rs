//! Word diff figures on two ~1 MiB licenses that differ by about 50 scattered word
//! changes, inserted and deleted lines: `diff_words` and `render`, then the bounds
//! at work on two unrelated texts. Each figure is a median, printed next to its target.
//! Run: `cargo bench --bench diff`.

use eula_gate::diff::{diff_words, render};
use eula_gate::license::EMBEDDED_TEXT;
mod common;

use common::{median, report};
use std::hint::black_box;
use std::time::Duration;

const ONE_MIB: usize = 1024 * 1024;

/// A small fixed-seed generator (xorshift), so that every run edits the same places.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `old` with `edits` scattered changes: a word replaced, a line inserted, a line deleted, in turn.
fn edited(old: &str, edits: usize) -> String {
    let mut lines: Vec<String> = old.lines().map(String::from).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..edits {
        let at = rng.below(lines.len());
        match i % 3 {
            0 => {
                let words: Vec<&str> = lines[at].split(' ').collect();
                let w = rng.below(words.len());
                let mut words: Vec<String> = words.into_iter().map(String::from).collect();
                words[w] = format!("changed{i}");
                lines[at] = words.join(" ");
            }
            1 => lines.insert(at, format!("An inserted sentence, number {i}, of the new terms.")),
            _ => {
                lines.remove(at);
            }
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn main() {
    let old = EMBEDDED_TEXT.repeat(ONE_MIB / EMBEDDED_TEXT.len() + 1);
    let new = edited(&old, 51);
    let diff = diff_words(&old, &new);
    println!(
        "texts: {:.2} and {:.2} MiB, {} and {} lines; {} hunks, {} words removed, {} added",
        old.len() as f64 / 1048576.0,
        new.len() as f64 / 1048576.0,
        old.lines().count(),
        new.lines().count(),
        diff.hunks.len(),
        diff.removed_words,
        diff.added_words
    );
    report(
        "diff + render, 1 MiB, 51 edits (plain)",
        median(21, || {
            black_box(render(&diff_words(black_box(&old), black_box(&new)), false).len());
        }),
        Duration::from_millis(100),
    );
    report(
        "diff + render, 1 MiB, 51 edits (styled)",
        median(21, || {
            black_box(render(&diff_words(black_box(&old), black_box(&new)), true).len());
        }),
        Duration::from_millis(100),
    );

    // The bounds: nothing in common line by line, then nothing word by word either.
    let unrelated: String = (0..old.len() / 24)
        .map(|i| format!("Clause {i} is rewritten.\n"))
        .collect();
    report(
        "diff + render, 1 MiB vs unrelated (bounds)",
        median(5, || {
            black_box(render(&diff_words(black_box(&old), black_box(&unrelated)), false).len());
        }),
        Duration::from_millis(500),
    );
    let words: String = old.split_whitespace().rev().map(|w| format!("{w} ")).collect();
    report(
        "diff + render, 1 MiB vs words reversed",
        median(5, || {
            black_box(render(&diff_words(black_box(&old), black_box(&words)), false).len());
        }),
        Duration::from_millis(500),
    );
}
