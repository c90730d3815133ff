//! The binary: parse, run, map the outcome to an exit code.
//!
//! `#![no_main]`: the C `main` below skips the Rust runtime's start-up (which reads
//! /proc/self/maps to place a stack guard), a visible share of a `verify` that runs
//! in every package script and service start.
#![no_main]

#[unsafe(no_mangle)]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // As the Rust runtime would: a closed pipe is an error to handle, not a signal.
    // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let cli = match eula_gate::cli::Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match eula_gate::cli::run(cli) {
        Ok(()) => 0,
        Err(error) => {
            if !error.is_quiet() {
                eprintln!("eula-gate: {error}");
            }
            error.code().into()
        }
    }
}
