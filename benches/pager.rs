//! In-process pager figures on a 10 MiB license: wrapping, one redraw, a search
//! across the whole text. Each figure is a median, printed next to its target.
//! Run: `cargo bench --bench pager`.

use eula_gate::license::{EMBEDDED_TEXT, sanitize};
use eula_gate::term::pager::Pager;
use eula_gate::term::wrap::{expand_tabs, wrap};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TEN_MIB: usize = 10 * 1024 * 1024;

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(name: &str, took: Duration, target: Duration) {
    let verdict = if took <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<44} {:>9.3} ms   (target < {:>3} ms)  {verdict}",
        ms(took),
        ms(target)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let text: String = EMBEDDED_TEXT.repeat(TEN_MIB / EMBEDDED_TEXT.len() + 1);
    println!(
        "license text: {:.1} MiB, {} lines",
        text.len() as f64 / 1048576.0,
        text.lines().count()
    );

    report(
        "sanitize + expand tabs, 10 MiB",
        median(11, || {
            black_box(expand_tabs(&sanitize(black_box(&text))).len());
        }),
        Duration::from_millis(100),
    );
    report(
        "wrap 10 MiB to 80 columns",
        median(11, || {
            black_box(wrap(black_box(&text), 80).len());
        }),
        Duration::from_millis(100),
    );
    report(
        "open the pager on 10 MiB (wrap + search index)",
        median(11, || {
            black_box(Pager::new("T", black_box(&text), 24, 80, true).line_count());
        }),
        Duration::from_millis(150),
    );

    let mut pager = Pager::new(
        "PortSIP Software End-User License Agreement",
        &text,
        50,
        200,
        true,
    );
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
    let mut fresh = Pager::new("T", &text, 24, 80, true);
    report(
        "search across 10 MiB (no match: whole text)",
        median(11, || {
            fresh.search(black_box("no such phrase in the license"));
        }),
        Duration::from_millis(50),
    );
}
