//! Signals while the terminal is ours: Ctrl-C, SIGTERM and SIGHUP restore the
//! terminal and end the process at once (nothing has been written yet); SIGWINCH
//! only sets a flag for the pager; SIGABRT (an allocation that failed after all, or
//! another fatal error) restores the terminal and exits 1 instead of dying of it.

use std::sync::atomic::{AtomicBool, Ordering};

static RESIZED: AtomicBool = AtomicBool::new(false);
static ALT_SCREEN: AtomicBool = AtomicBool::new(false);
static HAVE_SAVED_MODE: AtomicBool = AtomicBool::new(false);
// Written once, before HAVE_SAVED_MODE is set, and only read after it is.
static mut SAVED_MODE: std::mem::MaybeUninit<libc::termios> = std::mem::MaybeUninit::uninit();

/// Exit status for a hang-up: the terminal went away, nobody agreed.
pub const HANGUP_EXIT: i32 = 3;
/// Exit status for Ctrl-C.
pub const INTERRUPT_EXIT: i32 = 130;
/// Exit status for an abort: a runtime error, not a signal death.
pub const ABORT_EXIT: i32 = 1;

/// Installs the handlers for SIGINT, SIGTERM, SIGHUP, SIGABRT and SIGWINCH.
pub fn install() {
    // SAFETY: the handlers only call async-signal-safe functions (write, tcsetattr,
    // _exit) and touch atomics.
    unsafe {
        for (signal, handler) in [
            (
                libc::SIGINT,
                on_exit_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
            (
                libc::SIGTERM,
                on_exit_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
            (
                libc::SIGHUP,
                on_exit_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
            (
                libc::SIGABRT,
                on_exit_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
            (
                libc::SIGWINCH,
                on_resize as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
        ] {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler;
            libc::sigemptyset(&mut action.sa_mask);
            // No SA_RESTART: a resize must wake the pager's poll.
            action.sa_flags = 0;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Remembers the terminal mode to restore on the way out (call before changing it).
pub fn save_terminal_mode(mode: &libc::termios) {
    if !HAVE_SAVED_MODE.load(Ordering::SeqCst) {
        // SAFETY: written once, before the flag that lets the handler read it.
        unsafe { (*std::ptr::addr_of_mut!(SAVED_MODE)).write(*mode) };
        HAVE_SAVED_MODE.store(true, Ordering::SeqCst);
    }
}

/// Notes whether the alternate screen is in use, so that the way out can leave it.
pub fn set_alternate_screen(active: bool) {
    ALT_SCREEN.store(active, Ordering::SeqCst);
}

/// Whether the terminal was resized since the last call.
pub fn take_resized() -> bool {
    RESIZED.swap(false, Ordering::SeqCst)
}

/// Puts the terminal back as it was: main screen, visible cursor, saved mode.
/// Async-signal-safe, so the handlers and the panic hook share it.
pub fn restore_terminal() {
    if ALT_SCREEN.swap(false, Ordering::SeqCst) {
        write_stdout(b"\x1b[0m\x1b[?25h\x1b[?1049l");
    }
    if HAVE_SAVED_MODE.load(Ordering::SeqCst) {
        // SAFETY: SAVED_MODE was initialized before the flag was set.
        unsafe {
            let mode = (*std::ptr::addr_of!(SAVED_MODE)).assume_init_ref();
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, mode);
        }
    }
}

fn write_stdout(bytes: &[u8]) {
    // SAFETY: write(2) on a valid slice; a failure is ignored on the way out.
    unsafe { libc::write(libc::STDOUT_FILENO, bytes.as_ptr().cast(), bytes.len()) };
}

extern "C" fn on_exit_signal(signal: libc::c_int) {
    restore_terminal();
    let (code, note): (i32, &[u8]) = match signal {
        libc::SIGINT => (
            INTERRUPT_EXIT,
            b"\r\neula-gate: interrupted; nothing was written\n",
        ),
        libc::SIGHUP => (
            HANGUP_EXIT,
            b"\r\neula-gate: the terminal went away; the license was not accepted\n",
        ),
        libc::SIGABRT => (
            ABORT_EXIT,
            b"\r\neula-gate: stopped by a fatal error (most likely out of memory); the terminal \
              was restored; try again with more memory, or with --plain\n",
        ),
        _ => (128 + signal, b"\r\neula-gate: terminated; nothing was written\n"),
    };
    // SAFETY: write(2) and _exit(2) are async-signal-safe.
    unsafe {
        libc::write(libc::STDERR_FILENO, note.as_ptr().cast(), note.len());
        libc::_exit(code);
    }
}

extern "C" fn on_resize(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

/// Restores the terminal before a panic message is printed.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        default(info);
    }));
}

/// Holds SIGINT, SIGTERM and SIGHUP back from here on: once consent is given the
/// receipt is written whole, and a late Ctrl-C must not claim "nothing was written".
pub fn hold_exit_signals() {
    // SAFETY: plain signal-set manipulation on a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
