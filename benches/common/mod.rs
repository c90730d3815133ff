//! What the in-process benchmarks share: a median of timed runs, and a figure printed
//! next to its target.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The median of `runs` timings of `f`.
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
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

pub fn report(name: &str, took: Duration, target: Duration) {
    let verdict = if took <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<44} {:>9.3} ms   (target < {:>3} ms)  {verdict}",
        ms(took),
        ms(target)
    );
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
