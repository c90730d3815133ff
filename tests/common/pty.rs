//! A real pseudo-terminal around the real binary: type keys, read the screen.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    master: Option<File>,
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// How much of the (escape-stripped) output `expect` has consumed.
    seen: usize,
    /// A terminal emulator fed with the output, resized with the terminal; made on
    /// first use, so that a test of a huge terminal need not hold its cells.
    emulator: Option<vt100::Parser>,
    /// How many output bytes the emulator has processed.
    emulated: usize,
    pub rows: u16,
    pub cols: u16,
}

fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

impl Pty {
    /// Starts `cmd` on a new pseudo-terminal of `rows` x `cols` as its controlling
    /// terminal, with stdin, stdout and stderr on it.
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> Pty {
        // Every descriptor close-on-exec, so that no other child (of this or a
        // concurrent test) keeps the terminal open and hides a hang-up.
        // SAFETY: standard pty setup; each result is checked.
        let (master, slave) = unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(master >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            let master = OwnedFd::from_raw_fd(master);
            assert_eq!(libc::grantpt(master.as_raw_fd()), 0, "grantpt");
            assert_eq!(libc::unlockpt(master.as_raw_fd()), 0, "unlockpt");
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(
                libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()),
                0,
                "ptsname"
            );
            let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            assert!(slave >= 0, "open pty slave: {}", std::io::Error::last_os_error());
            let ws = winsize(rows, cols);
            assert_eq!(
                libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws),
                0,
                "set size"
            );
            (master, OwnedFd::from_raw_fd(slave))
        };
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup pty"));
        cmd.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
        // SAFETY: setsid and ioctl are async-signal-safe; run in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on pty");
        drop(slave);
        let master = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut source = master.try_clone().expect("dup master");
        let sink = Arc::clone(&output);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        // Polls with a timeout so that `hang_up` can stop it and close every master fd.
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while !stopped.load(Ordering::SeqCst) {
                let mut pfd = libc::pollfd {
                    fd: source.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                if unsafe { libc::poll(&mut pfd, 1, 20) } <= 0 {
                    continue;
                }
                match source.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });
        Pty {
            master: Some(master),
            child,
            output,
            stop,
            reader: Some(reader),
            seen: 0,
            emulator: None,
            emulated: 0,
            rows,
            cols,
        }
    }

    /// Types `bytes` on the terminal.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let master = self.master.as_mut().expect("terminal still open");
        master.write_all(bytes.as_ref()).expect("write to pty");
        master.flush().expect("flush pty");
    }

    /// All raw output so far.
    pub fn raw(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    /// The output so far with escape sequences removed.
    pub fn text(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.raw()))
    }

    /// Waits until `needle` appears in the output after what earlier calls consumed.
    #[track_caller]
    pub fn expect(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text();
            if let Some(at) = text.get(self.seen..).and_then(|rest| rest.find(needle)) {
                self.seen += at + needle.len();
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; output so far:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The screen as a terminal emulator shows it after all output so far.
    pub fn screen(&mut self) -> &vt100::Parser {
        let raw = self.raw();
        let (rows, cols) = (nz(self.rows), nz(self.cols));
        let emulator = self
            .emulator
            .get_or_insert_with(|| vt100::Parser::new(rows, cols, 0));
        emulator.process(&raw[self.emulated..]);
        self.emulated = raw.len();
        emulator
    }

    /// Waits until the screen's text contains `needle`, and returns the screen.
    #[track_caller]
    pub fn expect_screen(&mut self, needle: &str) -> vt100::Screen {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen().screen().clone();
            if screen.contents().contains(needle) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {needle:?} on screen:\n{}",
                    screen.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resizes the terminal (the child gets SIGWINCH).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.screen();
        self.set_size(rows, cols);
        if let Some(emulator) = self.emulator.as_mut() {
            emulator.screen_mut().set_size(nz(rows), nz(cols));
        }
        self.rows = rows;
        self.cols = cols;
    }

    /// Resizes the terminal but not the emulator, which keeps its size (for sizes too
    /// large to emulate; what it tracks besides the cells stays right).
    pub fn set_size(&mut self, rows: u16, cols: u16) {
        let ws = winsize(rows, cols);
        // SAFETY: TIOCSWINSZ on our pty master with a valid winsize.
        let fd = self.master.as_ref().expect("terminal still open").as_raw_fd();
        let rc = unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
        assert_eq!(rc, 0, "resize pty");
    }

    /// The terminal's current mode (shared by master and slave).
    pub fn termios(&self) -> libc::termios {
        let fd = self.master.as_ref().expect("terminal still open").as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it for a valid fd.
        unsafe {
            let mut mode: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(fd, &mut mode), 0, "tcgetattr");
            mode
        }
    }

    /// After the child exited: waits (briefly) until the reader has taken all its output.
    fn drain(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill with our child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }

    /// Waits for the child to exit (at most 10 s) and returns its status.
    #[track_caller]
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.drain();
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("child did not exit; output:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes our side of the terminal, as when a terminal window is closed, and
    /// returns the child's exit status.
    #[track_caller]
    pub fn hang_up(&mut self) -> ExitStatus {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            reader.join().expect("reader thread");
        }
        self.master = None;
        self.wait()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).expect("at least 1")
}

/// Removes CSI, OSC and two-byte escape sequences.
pub fn strip_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}
