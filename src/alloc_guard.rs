//! Which allocations may fail. The library reserves its big buffers with
//! `try_reserve` inside [`fallible`], so that running short of memory there is an
//! error it reports. The binary's allocator asks [`in_fallible`] before it gives up on
//! any other allocation: it then ends the process with exit 1 and a message instead of
//! the abort (and signal death) that Rust's default would be.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many `fallible` sections are running (on any thread).
static FALLIBLE: AtomicUsize = AtomicUsize::new(0);

/// Runs `reserve`, during which a failed allocation is returned to the caller (as
/// `try_reserve`'s error) rather than ending the process.
pub fn fallible<T>(reserve: impl FnOnce() -> T) -> T {
    struct Section;
    impl Drop for Section {
        fn drop(&mut self) {
            FALLIBLE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    FALLIBLE.fetch_add(1, Ordering::SeqCst);
    let _section = Section;
    reserve()
}

/// Whether a `fallible` section is running, so a failed allocation is expected.
pub fn in_fallible() -> bool {
    FALLIBLE.load(Ordering::SeqCst) > 0
}
