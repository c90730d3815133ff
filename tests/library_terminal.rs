//! A Rust installer calling `eula_gate::gate::accept` gets its process back as it
//! was: signal dispositions, signal mask, terminal mode and panic hook. The test runs
//! itself again as the installer, on a real pseudo-terminal.

mod common;

use common::pty::Pty;
use std::sync::atomic::{AtomicBool, Ordering};

const CHILD: &str = "EULA_GATE_TEST_LIBRARY_CHILD";
const SIGNALS: [libc::c_int; 7] = [
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGWINCH,
    libc::SIGABRT,
    libc::SIGPIPE,
];

const SA_RESTORER: libc::c_int = 0x0400_0000;

static OUR_HOOK_RAN: AtomicBool = AtomicBool::new(false);

extern "C" fn installer_on_int(_: libc::c_int) {}

/// The signals in `set` (only the kernel's part of glibc's larger sigset_t counts).
fn members(set: &libc::sigset_t) -> Vec<u8> {
    // SAFETY: sigismember reads a valid set.
    (1..=64)
        .filter(|&signal| unsafe { libc::sigismember(set, signal) } == 1)
        .map(|signal| signal as u8)
        .collect()
}

/// What the process state looks like: each disposition (handler, flags, mask), the
/// thread's signal mask and the terminal's mode, as bytes to compare.
fn process_state() -> Vec<(String, Vec<u8>)> {
    fn bytes<T>(value: &T) -> Vec<u8> {
        // SAFETY: reads the plain-data value's own bytes for its size.
        unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
    }
    let mut state = Vec::new();
    for signal in SIGNALS {
        // SAFETY: sigaction with a null new action only reads the disposition.
        let old = unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(signal, std::ptr::null(), &mut old), 0);
            old
        };
        let mut disposition = bytes(&old.sa_sigaction);
        // glibc adds SA_RESTORER (its return trampoline) to every action it sets, so an
        // action never set by hand reads back without it, the same action set back with.
        disposition.extend(bytes(&(old.sa_flags & !SA_RESTORER)));
        disposition.extend(members(&old.sa_mask));
        state.push((format!("disposition of signal {signal}"), disposition));
    }
    // SAFETY: a null new set only reads this thread's mask.
    let mask = unsafe {
        let mut mask: libc::sigset_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask),
            0
        );
        mask
    };
    state.push(("signal mask".into(), members(&mask)));
    // SAFETY: termios is plain data that tcgetattr fills for the terminal on stdin.
    let mode = unsafe {
        let mut mode: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(0, &mut mode), 0);
        mode
    };
    let mut flags = bytes(&mode.c_iflag);
    flags.extend(bytes(&mode.c_lflag));
    flags.extend(bytes(&mode.c_cc));
    state.push(("terminal mode".into(), flags));
    // The hook itself, by the address of the closure it boxes (the installer's
    // captures a value, so it has an address of its own); put back at once.
    let hook = std::panic::take_hook();
    let address =
        (&*hook as *const (dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send)).cast::<u8>() as usize;
    std::panic::set_hook(hook);
    state.push(("panic hook".into(), address.to_ne_bytes().to_vec()));
    state
}

/// The installer: its own SIGINT handler, SIGHUP ignored, SIGUSR1 and SIGQUIT blocked
/// (the gate unblocks SIGQUIT while it asks) and its own panic hook; then the gate;
/// then a look at what is left.
fn installer() -> ! {
    // SAFETY: installs a handler that does nothing, ignores SIGHUP, blocks SIGUSR1
    // and SIGQUIT.
    unsafe {
        libc::signal(
            libc::SIGINT,
            installer_on_int as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigaddset(&mut set, libc::SIGQUIT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    let tag = std::process::id();
    std::panic::set_hook(Box::new(move |_| OUR_HOOK_RAN.store(tag != 0, Ordering::SeqCst)));
    let before = process_state();
    let locations = eula_gate::store::Locations::resolve(None).expect("receipt directory");
    let outcome = eula_gate::gate::accept(
        &eula_gate::Product::embedded(),
        &eula_gate::license::License::embedded(),
        &locations,
        &eula_gate::gate::AcceptOptions::default(),
        &eula_gate::Hint::default(),
    );
    let after = process_state();
    let mut changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.as_str())
        .collect();
    let _ = std::panic::catch_unwind(|| panic!("probe"));
    if !OUR_HOOK_RAN.load(Ordering::SeqCst) {
        changed.push("panic hook (not called)");
    }
    println!("\r\ninstaller: accepted: {}", outcome.is_ok());
    println!("\r\ninstaller: changed: [{}]", changed.join(", "));
    std::process::exit(0);
}

#[test]
fn an_installer_gets_its_dispositions_mask_mode_and_panic_hook_back() {
    if std::env::var_os(CHILD).is_some() {
        installer();
    }
    let env = common::Env::new();
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env(CHILD, "1")
        .env("HOME", env.path("home"))
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .env("TERM", "xterm")
        .args([
            "--exact",
            "an_installer_gets_its_dispositions_mask_mode_and_panic_hook_back",
            "--nocapture",
            "--test-threads=1",
        ]);
    let mut pty = Pty::spawn(cmd, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("yes\r");
    pty.expect("installer: accepted: true");
    pty.expect("installer: changed: [");
    pty.wait();
    let text = pty.text();
    let changed = text
        .rsplit("installer: changed: [")
        .next()
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("?");
    assert_eq!(changed, "", "the gate left these changed:\n{text}");
    assert!(env.receipt("portsip-pbx").exists());
}
