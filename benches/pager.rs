//! In-process pager figures on a 10 MiB license: wrapping, one redraw, a search
//! across the whole text; and one redraw of a line of zero-width characters. Each figure is a median, printed next to its target.
//! Run: `cargo bench --bench pager`.

use eula_gate::license::EMBEDDED_TEXT;
use eula_gate::term::pager::{Pager, frame_limit};
use eula_gate::term::wrap::wrap;
mod common;

use common::{median, report};
use std::hint::black_box;
use std::time::Duration;

const TEN_MIB: usize = 10 * 1024 * 1024;

fn main() {
    let text: String = EMBEDDED_TEXT.repeat(TEN_MIB / EMBEDDED_TEXT.len() + 1);
    println!(
        "license text: {:.1} MiB, {} lines",
        text.len() as f64 / 1048576.0,
        text.lines().count()
    );

    report(
        "wrap 10 MiB to 80 columns",
        median(11, || {
            black_box(wrap(black_box(&text), 80).len());
        }),
        Duration::from_millis(100),
    );
    report(
        "open the pager on 10 MiB (wrap + row index)",
        median(11, || {
            black_box(
                Pager::new("T", black_box(&text), 24, 80, true)
                    .map(|p| p.line_count())
                    .ok(),
            );
        }),
        Duration::from_millis(150),
    );

    let mut pager = Pager::new(
        "PortSIP Software End-User License Agreement",
        &text,
        50,
        200,
        true,
    )
    .expect("memory for the pager");
    pager.search("warranty");
    for _ in 0..1000 {
        pager.handle(eula_gate::term::keys::Key::Char(' '));
    }
    report(
        "one redraw, 200x50, matches highlighted",
        median(1001, || {
            black_box(pager.render().len());
        }),
        Duration::from_millis(2),
    );
    let mut fresh = Pager::new("T", &text, 24, 80, true).expect("memory for the pager");
    report(
        "search across 10 MiB (no match: whole text)",
        median(11, || {
            fresh.search(black_box("no such phrase in the license"));
        }),
        Duration::from_millis(50),
    );

    // A line of millions of zero-width characters: one redraw is still a screen's worth.
    let zero_width = format!("x{}\n", "\u{200B}".repeat(3_000_000));
    let mut pathological = Pager::new("T", &zero_width, 24, 80, true).expect("memory for the pager");
    pathological.handle(eula_gate::term::keys::Key::End);
    let frame = pathological.render().len();
    report(
        "one redraw, 24x80, 9 MB line of U+200B",
        median(1001, || {
            black_box(pathological.render().len());
        }),
        Duration::from_millis(2),
    );
    println!(
        "{:<44} {frame:>9} bytes (bound {} for 24x80)",
        "  its size",
        frame_limit(24, 80)
    );
}
