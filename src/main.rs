//! The binary: parse, run, map the outcome to an exit code.
//!
//! `#![no_main]`: the C `main` below skips the Rust runtime's start-up (which reads
//! /proc/self/maps to place a stack guard), a visible share of a `verify` that runs
//! in every package script and service start. So it does itself what that runtime
//! would: takes the arguments from `argc`/`argv`, ignores SIGPIPE, and never lets a
//! panic unwind out of `main` (that would abort).
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStringExt;

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions. A closed
    // pipe is an error to handle, not a signal; so is a file size limit (the write
    // then fails with EFBIG and the old receipt stays).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // SAFETY: the C runtime passes `argc` valid, NUL-terminated strings in `argv`.
    let args = unsafe { arguments(argc, argv) };
    match std::panic::catch_unwind(move || run(args)) {
        Ok(code) => code,
        Err(_) => {
            eula_gate::output::say(
                "internal error (a bug; the message above says where); nothing more was done. \
                 Please report it with the command line that led to it",
            );
            1
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
