//! All of the terminal's modes in one place: raw mode and the alternate screen for
//! the pager, and putting them back, also from a signal handler or the panic hook.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};

/// The mode to put back while the pager holds the terminal; null otherwise. Set and
/// cleared only by `Screen`, read by `restore_now`, which a signal handler or a panic
/// on any thread may call. What it points at is leaked, never freed (a few dozen
/// bytes each time the pager starts), so that no reader can ever see it freed.
static SAVED_MODE: AtomicPtr<Termios> = AtomicPtr::new(std::ptr::null_mut());
/// Whether the alternate screen is in use.
static ALT_SCREEN: AtomicBool = AtomicBool::new(false);

const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";

/// Raw mode on the alternate screen for as long as it lives; dropping it puts the
/// terminal back as it was.
pub struct Screen {
    _private: (),
}

impl Screen {
    /// Saves the mode of standard input, switches it to raw (keys one at a time,
    /// unechoed; ISIG stays on, so Ctrl-C and Ctrl-\ are signals everywhere) and
    /// enters the alternate screen.
    pub fn enter() -> io::Result<Screen> {
        let stdin = rustix::stdio::stdin();
        let mode = termios::tcgetattr(stdin)?;
        let mut raw = mode.clone();
        raw.local_modes &= !(LocalModes::ICANON | LocalModes::ECHO | LocalModes::IEXTEN);
        raw.input_modes &= !(termios::InputModes::IXON | termios::InputModes::ICRNL);
        raw.special_codes[SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[SpecialCodeIndex::VTIME] = 0;
        let saved: &'static mut Termios = Box::leak(Box::new(mode));
        SAVED_MODE.store(saved, Ordering::SeqCst);
        let screen = Screen { _private: () };
        termios::tcsetattr(stdin, OptionalActions::Now, &raw)?;
        ALT_SCREEN.store(true, Ordering::SeqCst);
        let mut out = io::stdout().lock();
        out.write_all(b"\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J")?;
        out.flush()?;
        Ok(screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = io::stdout().flush();
        restore_now();
        SAVED_MODE.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

/// Puts the terminal back: main screen, visible cursor, the saved mode. Only
/// system calls and atomics: a signal handler and the panic hook share it.
pub fn restore_now() {
    if ALT_SCREEN.swap(false, Ordering::SeqCst) {
        let _ = rustix::io::write(rustix::stdio::stdout(), LEAVE_ALT_SCREEN);
    }
    let saved = SAVED_MODE.load(Ordering::SeqCst);
    if !saved.is_null() {
        // SAFETY: a non-null SAVED_MODE comes from Box::leak in `Screen::enter`: valid
        // for the rest of the process, and never written through after it is stored.
        let mode = unsafe { &*saved };
        let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, mode);
    }
}
