//! Signals while a person is being asked. The handlers only set flags: the waits
//! (the pager's and the question's) poll with a timeout and look at them, so the
//! terminal is put back by ordinary code on the way out, and the caller decides
//! what the signal means. SIGABRT (an allocation that failed after all) is the one
//! exception: abort does not return, so its handler puts the terminal back and ends
//! the process with the status and words the caller gave at install time.
//!
//! A parent may start us with some of these signals blocked (supervisors and CI
//! runners do); a blocked Ctrl-C or Ctrl-\ would never reach the handler and the
//! question would wait forever, so they are unblocked for as long as we ask.
//!
//! `Handlers` owns all of it: dropping it restores the dispositions that were there
//! before, the signal mask and the panic hook, so a library caller gets its process
//! back as it was.

use super::tty;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};

/// Why the wait for a person stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The terminal went away (SIGHUP, end of the terminal, a read error).
    HungUp,
    /// Ctrl-C (SIGINT) or Ctrl-\ (SIGQUIT).
    Interrupted,
    /// SIGTERM.
    Terminated,
}

/// What to do if the process aborts while the terminal is ours.
#[derive(Debug, Clone, Copy)]
pub struct OnAbort {
    /// The exit status to end with.
    pub code: i32,
    /// The line written to standard error after the terminal is put back.
    pub note: &'static str,
}

/// The signal that stopped the wait, as a number (0: none).
static STOPPED_BY: AtomicI32 = AtomicI32::new(0);
static RESIZED: AtomicBool = AtomicBool::new(false);
static ABORT_CODE: AtomicI32 = AtomicI32::new(1);
static ABORT_NOTE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static ABORT_NOTE_LEN: AtomicUsize = AtomicUsize::new(0);

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The handlers for SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH and SIGABRT and a
/// panic hook that restores the terminal, installed for as long as this lives.
pub struct Handlers {
    previous: Vec<(libc::c_int, libc::sigaction)>,
    /// The calling thread's signal mask before the handled signals were unblocked.
    previous_mask: Option<libc::sigset_t>,
    panic_hook: Option<Arc<PanicHook>>,
}

impl Handlers {
    /// Installs the handlers and the panic hook, remembering what was there.
    pub fn install(on_abort: OnAbort) -> Handlers {
        STOPPED_BY.store(0, Ordering::SeqCst);
        RESIZED.store(false, Ordering::SeqCst);
        ABORT_CODE.store(on_abort.code, Ordering::SeqCst);
        ABORT_NOTE_LEN.store(on_abort.note.len(), Ordering::SeqCst);
        ABORT_NOTE.store(on_abort.note.as_ptr().cast_mut(), Ordering::SeqCst);
        let mut previous = Vec::with_capacity(6);
        let flag = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
        let table = [
            (libc::SIGINT, flag),
            (libc::SIGQUIT, flag),
            (libc::SIGTERM, flag),
            (libc::SIGHUP, flag),
            (
                libc::SIGWINCH,
                on_resize as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
            (
                libc::SIGABRT,
                on_abort_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            ),
        ];
        for (signal, handler) in table {
            // SAFETY: sigaction is plain data; zeroed is a valid empty action. The
            // handlers only touch atomics and make async-signal-safe system calls.
            // No SA_RESTART: a signal must wake the poll that waits for a key.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut old) == 0 {
                    previous.push((signal, old));
                }
            }
        }
        let previous_mask = unblock(&previous);
        let chained: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let inner = Arc::clone(&chained);
        std::panic::set_hook(Box::new(move |info| {
            tty::restore_now();
            inner(info);
        }));
        Handlers {
            previous,
            previous_mask,
            panic_hook: Some(chained),
        }
    }
}

/// Unblocks, in the calling thread, the signals whose handlers were installed;
/// returns the mask to put back.
fn unblock(installed: &[(libc::c_int, libc::sigaction)]) -> Option<libc::sigset_t> {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use;
    // pthread_sigmask only reads `set` and writes `old`.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for (signal, _) in installed {
            libc::sigaddset(&mut set, *signal);
        }
        let mut old: libc::sigset_t = std::mem::zeroed();
        (libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, &mut old) == 0).then_some(old)
    }
}

impl Drop for Handlers {
    fn drop(&mut self) {
        if let Some(mask) = self.previous_mask.take() {
            // SAFETY: `mask` is the set pthread_sigmask gave back in `install`. A signal
            // that arrives blocked from here on waits, as the caller had it.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &mask, std::ptr::null_mut()) };
        }
        for (signal, old) in self.previous.drain(..).rev() {
            // SAFETY: `old` is the action sigaction gave back for this signal.
            unsafe { libc::sigaction(signal, &old, std::ptr::null_mut()) };
        }
        if let Some(chained) = self.panic_hook.take() {
            // Our hook holds the other reference to the previous one: drop it first.
            drop(std::panic::take_hook());
            match Arc::try_unwrap(chained) {
                Ok(previous) => std::panic::set_hook(previous),
                Err(shared) => std::panic::set_hook(Box::new(move |info| shared(info))),
            }
        }
    }
}

/// Whether a signal asked the wait to stop, and which.
pub fn pending_stop() -> Option<Stop> {
    match STOPPED_BY.load(Ordering::SeqCst) {
        0 => None,
        libc::SIGTERM => Some(Stop::Terminated),
        libc::SIGHUP => Some(Stop::HungUp),
        _ => Some(Stop::Interrupted),
    }
}

/// Whether the terminal was resized since the last call.
pub fn take_resized() -> bool {
    RESIZED.swap(false, Ordering::SeqCst)
}

extern "C" fn on_stop(signal: libc::c_int) {
    // The first signal decides; a second Ctrl-C does not turn SIGTERM into another.
    let _ = STOPPED_BY.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

extern "C" fn on_resize(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

extern "C" fn on_abort_signal(_: libc::c_int) {
    tty::restore_now();
    let (note, len) = (
        ABORT_NOTE.load(Ordering::SeqCst),
        ABORT_NOTE_LEN.load(Ordering::SeqCst),
    );
    if !note.is_null() {
        // SAFETY: the pointer and length are those of the &'static str given to
        // `install`, stored before the handler was installed.
        let note = unsafe { std::slice::from_raw_parts(note.cast_const(), len) };
        let _ = rustix::io::write(rustix::stdio::stderr(), note);
    }
    // SAFETY: _exit is async-signal-safe and does not return.
    unsafe { libc::_exit(ABORT_CODE.load(Ordering::SeqCst)) };
}
