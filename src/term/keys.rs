//! Reading keys from a terminal in raw mode, without blocking past a resize or a
//! terminal that went away.

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use std::io;
use std::os::fd::AsFd;

/// A key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Escape,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// A sequence the pager has no use for.
    Other,
}

/// What waiting for input gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Key(Key),
    /// The terminal changed size.
    Resize,
    /// The terminal is gone (hang-up, end of input, read error).
    Gone,
    /// A signal asked the wait to stop.
    Stop(super::signals::Stop),
}

/// Parses one key from the start of `buf`. `None` when `buf` holds only the start of
/// a sequence; `more_coming` says whether to wait for the rest (false: take what is
/// there, so a lone ESC is the Escape key).
pub fn parse_key(buf: &[u8], more_coming: bool) -> Option<(Key, usize)> {
    let first = *buf.first()?;
    match first {
        b'\r' | b'\n' => Some((Key::Enter, 1)),
        0x7f | 0x08 => Some((Key::Backspace, 1)),
        0x1b => parse_escape(buf, more_coming),
        0x00..=0x1f => Some((Key::Other, 1)),
        0x20..=0x7e => Some((Key::Char(first as char), 1)),
        _ => {
            let len = match first {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => return Some((Key::Other, 1)),
            };
            if buf.len() < len {
                return if more_coming {
                    None
                } else {
                    Some((Key::Other, buf.len()))
                };
            }
            match std::str::from_utf8(&buf[..len])
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => Some((Key::Char(c), len)),
                None => Some((Key::Other, 1)),
            }
        }
    }
}

fn parse_escape(buf: &[u8], more_coming: bool) -> Option<(Key, usize)> {
    let Some(&second) = buf.get(1) else {
        return if more_coming { None } else { Some((Key::Escape, 1)) };
    };
    if second != b'[' && second != b'O' {
        return Some((Key::Escape, 1));
    }
    // Find the final byte of the CSI / SS3 sequence.
    let end = buf[2..].iter().position(|b| (0x40..=0x7e).contains(b));
    let Some(end) = end.map(|e| e + 2) else {
        return if more_coming && buf.len() < 16 {
            None
        } else {
            Some((Key::Other, buf.len()))
        };
    };
    let key = match &buf[2..=end] {
        b"A" => Key::Up,
        b"B" => Key::Down,
        b"H" | b"1~" | b"7~" => Key::Home,
        b"F" | b"4~" | b"8~" => Key::End,
        b"5~" => Key::PageUp,
        b"6~" => Key::PageDown,
        _ => Key::Other,
    };
    Some((key, end + 1))
}

/// Standard input's terminal, opened again as a description of our own that never
/// blocks: a signal key (Ctrl-C, Ctrl-\) flushes the terminal's input, so between a
/// poll that saw a key and the read, the key can vanish, and a blocking read would
/// then wait forever, past the signal that was already handled. Reads from it say
/// "nothing yet" instead (EAGAIN), and the wait goes back to poll and its checks.
/// Setting O_NONBLOCK on standard input itself would change it for every process that
/// shares it. `None` where it cannot be opened again (no /proc): standard input then.
#[derive(Debug)]
pub struct Terminal(Option<std::os::fd::OwnedFd>, std::os::fd::BorrowedFd<'static>);

impl Terminal {
    /// Opens standard input's terminal again, non-blocking, checked to be that device.
    pub fn open() -> Terminal {
        Terminal::reopen(rustix::stdio::stdin())
    }

    /// Opens the terminal `fd` is open on again (through /proc/self/fd), non-blocking,
    /// checked to be that device; `None` inside where it cannot be.
    fn reopen(fd: std::os::fd::BorrowedFd<'static>) -> Terminal {
        use rustix::fs::{Mode, OFlags};
        use std::os::fd::AsRawFd;
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let same_device = |ours: &std::os::fd::OwnedFd| {
            matches!(
                (rustix::fs::fstat(ours), rustix::fs::fstat(fd)),
                (Ok(a), Ok(b)) if a.st_rdev == b.st_rdev && a.st_ino == b.st_ino
            ) && rustix::termios::isatty(ours)
        };
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        Terminal(
            rustix::fs::open(path.as_str(), flags, Mode::empty())
                .ok()
                .filter(same_device),
            fd,
        )
    }
}

impl AsFd for Terminal {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match &self.0 {
            Some(fd) => fd.as_fd(),
            None => self.1,
        }
    }
}

/// Reads keys from a file descriptor in raw mode, buffering partial sequences.
pub struct KeyReader<Fd: AsFd> {
    fd: Fd,
    buf: Vec<u8>,
}

impl<Fd: AsFd> KeyReader<Fd> {
    /// Reads from `fd` (the terminal, already in raw mode).
    pub fn new(fd: Fd) -> KeyReader<Fd> {
        KeyReader {
            fd,
            buf: Vec::with_capacity(64),
        }
    }

    /// Waits for the next key, an event that `check` reports (a resize, a signal),
    /// or the terminal going away. Never spins: it blocks in poll between checks.
    pub fn next(&mut self, check: &mut dyn FnMut() -> Option<Event>) -> Event {
        loop {
            if let Some(event) = check() {
                return event;
            }
            if let Some((key, used)) = parse_key(&self.buf, true) {
                self.buf.drain(..used);
                return Event::Key(key);
            }
            // A partial sequence waits briefly for its rest; otherwise wait long.
            let timeout = if self.buf.is_empty() { 250 } else { 40 };
            match wait_readable(&self.fd, timeout) {
                Ok(true) => {
                    if !self.fill() {
                        return Event::Gone;
                    }
                }
                Ok(false) => {
                    if let Some((key, used)) = parse_key(&self.buf, false) {
                        self.buf.drain(..used);
                        return Event::Key(key);
                    }
                }
                Err(_) => return Event::Gone,
            }
        }
    }

    /// Reads what is there; false when the terminal is gone.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 64];
        match rustix::io::read(&self.fd, &mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            // Interrupted, or the key vanished (see `Terminal`): back to the checks.
            Err(e) => e == rustix::io::Errno::INTR || e == rustix::io::Errno::AGAIN,
        }
    }
}

/// Polls `fd` for input: `Ok(true)` readable (or hung up: the read will tell),
/// `Ok(false)` timed out or interrupted by a signal.
pub fn wait_readable(fd: &impl AsFd, timeout_ms: u32) -> io::Result<bool> {
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: i64::from(timeout_ms / 1000),
        tv_nsec: i64::from(timeout_ms % 1000) * 1_000_000,
    };
    match poll(&mut fds, Some(&timeout)) {
        Ok(0) => Ok(false),
        Ok(_) if fds[0].revents().contains(PollFlags::NVAL) => {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        Ok(_) => Ok(true),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_pager_keys() {
        assert_eq!(parse_key(b" ", true), Some((Key::Char(' '), 1)));
        assert_eq!(parse_key(b"\x1b[6~x", true), Some((Key::PageDown, 4)));
        assert_eq!(parse_key(b"\x1b[A", true), Some((Key::Up, 3)));
        assert_eq!(parse_key(b"\x1bOB", true), Some((Key::Down, 3)));
        assert_eq!(parse_key(b"\x1b[1;5A", true), Some((Key::Other, 6)));
        assert_eq!(parse_key("é".as_bytes(), true), Some((Key::Char('é'), 2)));
        assert_eq!(parse_key(b"\r", true), Some((Key::Enter, 1)));
    }

    /// A pseudo-terminal in raw mode: (master, slave), the slave leaked to live as
    /// long as the test process (a `Terminal` borrows it for 'static).
    fn raw_pty() -> (std::os::fd::OwnedFd, std::os::fd::BorrowedFd<'static>) {
        use std::os::fd::FromRawFd;
        // SAFETY: standard pty setup through libc; each result is checked, and the
        // slave is never closed (a `Terminal` borrows it for 'static).
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(master >= 0);
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(slave >= 0);
            let slave = std::os::fd::BorrowedFd::borrow_raw(slave);
            let mut mode = rustix::termios::tcgetattr(slave).unwrap();
            mode.local_modes -= rustix::termios::LocalModes::ICANON | rustix::termios::LocalModes::ECHO;
            rustix::termios::tcsetattr(slave, rustix::termios::OptionalActions::Now, &mode).unwrap();
            (std::os::fd::OwnedFd::from_raw_fd(master), slave)
        }
    }

    /// A signal key flushes the terminal's input: a key that poll saw can be gone by the
    /// read. The read must come back (nothing yet), not wait forever.
    #[test]
    fn a_key_flushed_between_poll_and_read_never_blocks_the_read() {
        let (master, slave) = raw_pty();
        let terminal = Terminal::reopen(slave);
        assert!(terminal.0.is_some(), "the terminal was not opened again");
        rustix::io::write(&master, b" ").unwrap();
        assert!(wait_readable(&terminal, 2000).unwrap());
        rustix::termios::tcflush(slave, rustix::termios::QueueSelector::IFlush).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut keys = KeyReader::new(terminal);
            let alive = keys.fill();
            let _ = tx.send((alive, keys.buf.len()));
        });
        let (alive, buffered) = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the read blocked on a key that was flushed away");
        assert!(alive, "taken for a terminal that went away");
        assert_eq!(buffered, 0);
        drop(master);
    }

    #[test]
    fn waits_for_the_rest_of_a_sequence_only_while_more_may_come() {
        assert_eq!(parse_key(b"\x1b", true), None);
        assert_eq!(parse_key(b"\x1b", false), Some((Key::Escape, 1)));
        assert_eq!(parse_key(b"\x1b[5", true), None);
        assert_eq!(parse_key(b"\xe8\xa8", true), None);
        assert_eq!(parse_key(b"\xe8\xa8", false), Some((Key::Other, 2)));
    }
}
