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
            Err(e) => e == rustix::io::Errno::INTR,
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

    #[test]
    fn waits_for_the_rest_of_a_sequence_only_while_more_may_come() {
        assert_eq!(parse_key(b"\x1b", true), None);
        assert_eq!(parse_key(b"\x1b", false), Some((Key::Escape, 1)));
        assert_eq!(parse_key(b"\x1b[5", true), None);
        assert_eq!(parse_key(b"\xe8\xa8", true), None);
        assert_eq!(parse_key(b"\xe8\xa8", false), Some((Key::Other, 2)));
    }
}
