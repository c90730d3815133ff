//! The binary: parse, run, map the outcome to an exit code.
//!
//! `#![no_main]`: the C `main` below skips the Rust runtime's start-up (which reads
//! /proc/self/maps to place a stack guard), a visible share of a `verify` that runs
//! in every package script and service start. So it does itself what that runtime
//! would: opens /dev/null on closed standard descriptors, takes the arguments from
//! `argc`/`argv` and ignores SIGPIPE. A panic ends in a hook that exits 1, and the
//! allocator turns a failed allocation into exit 1: never an abort.
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStringExt;

/// The system allocator, except that an allocation that fails outside a fallible
/// section (`alloc_guard::fallible`) ends the process with exit 1 and a message, the
/// terminal put back first, instead of Rust's abort (a signal death, exit 134).
struct ExitOnOutOfMemory;

// SAFETY: every call is passed on to `System` unchanged; only a null result is acted on.
unsafe impl GlobalAlloc for ExitOnOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        checked(unsafe { System.alloc(layout) }, layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        checked(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract, which we pass on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        checked(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: ExitOnOutOfMemory = ExitOnOutOfMemory;

fn checked(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() && !eula_gate::alloc_guard::in_fallible() {
        out_of_memory(size);
    }
    ptr
}

/// Ends the process after a failed allocation of `size` bytes, allocating nothing.
fn out_of_memory(size: usize) -> ! {
    eula_gate::term::restore_now();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = size;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for part in [
        &b"\r\neula-gate: out of memory (an allocation of "[..],
        &digits[at..],
        b" bytes failed); stopped. A receipt is written whole or not at all. Try again \
          with more memory (ulimit -v), or with --plain\n",
    ] {
        let _ = rustix::io::write(rustix::stdio::stderr(), part);
    }
    // SAFETY: _exit has no preconditions and does not return.
    unsafe { libc::_exit(eula_gate::error::EXIT_RUNTIME.into()) }
}

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    open_standard_streams();
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions. A closed
    // pipe is an error to handle, not a signal; so is a file size limit (the write
    // then fails with EFBIG and the old receipt stays).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // A panic ends here: the hook says what happened and exits 1 (an unwinding panic
    // out of this C `main` would abort). While a person is asked, the library's own
    // hook puts the terminal back first.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        eula_gate::output::say(
            "internal error (a bug; the message above says where); nothing more was done. \
             Please report it with the command line that led to it",
        );
        // SAFETY: _exit has no preconditions and does not return.
        unsafe { libc::_exit(eula_gate::error::EXIT_RUNTIME.into()) }
    }));
    // SAFETY: the C runtime passes `argc` valid, NUL-terminated strings in `argv`.
    let args = unsafe { arguments(argc, argv) };
    run(args)
}

/// Opens /dev/null on whichever of descriptors 0, 1 and 2 is closed, as the Rust
/// runtime's start-up would have: otherwise the next file opened (a receipt's
/// temporary file) would take the number, and a message meant for stderr could land
/// in it.
fn open_standard_streams() {
    for fd in 0..3 {
        // SAFETY: F_GETFD on any number only asks whether it is open.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            // SAFETY: a constant, NUL-terminated path. The lowest free number is
            // taken, which is `fd`, as the ones below it are open by now.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}

/// # Safety
/// `argv` must hold `argc` pointers to NUL-terminated strings (as `main` receives).
unsafe fn arguments(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .filter_map(|i| {
            // SAFETY: i < argc, so argv[i] is one of the strings the caller promises.
            let arg = unsafe { *argv.add(i) };
            // SAFETY: non-null entries below argc are NUL-terminated strings.
            (!arg.is_null()).then(|| OsString::from_vec(unsafe { CStr::from_ptr(arg) }.to_bytes().to_vec()))
        })
        .collect()
}

fn run(args: Vec<OsString>) -> c_int {
    let cli = match eula_gate::cli::Cli::parse_args(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // Help and version go to stdout and exit 0.
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            let message = eula_gate::cli::render_parse_error(&e, &args);
            if eula_gate::cli::wants_json(&args) {
                // `verify --json`: the usage error is JSON on stdout too, nothing on stderr.
                let first = message.lines().next().unwrap_or_default();
                let line = eula_gate::cli::error_json_line(
                    eula_gate::error::EXIT_USAGE,
                    first.strip_prefix("error: ").unwrap_or(first),
                );
                let _ = eula_gate::output::print_stdout(&line);
            } else {
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            }
            return eula_gate::error::EXIT_USAGE.into();
        }
    };
    match eula_gate::cli::run(cli) {
        Ok(()) => 0,
        Err(error) => {
            if !error.is_quiet() {
                eula_gate::output::say(&error.to_string());
            }
            error.code().into()
        }
    }
}
