//! Shared test helpers: a throwaway receipt directory, the real binary with a clean
//! environment, and a real pseudo-terminal.
#![allow(dead_code)]

pub mod pty;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The digest of the embedded license, as the contract gives it.
pub const EMBEDDED_SHA256: &str = "a47b50dbf69326d43b53b6a83a575341f184c5a686ddb8006d0c3512743519c8";
/// The embedded license text.
pub const EMBEDDED_TEXT: &str = include_str!("../../assets/licenses/portsip-eula.txt");

/// A temporary world for one test: its own HOME and receipt directory.
pub struct Env {
    pub tmp: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("create temp dir");
        std::fs::create_dir(tmp.path().join("home")).expect("create home");
        Env { tmp }
    }

    /// The receipt directory the gate is pointed at.
    pub fn receipts(&self) -> PathBuf {
        self.tmp.path().join("receipts")
    }

    pub fn receipt(&self, product: &str) -> PathBuf {
        self.receipts().join(format!("{product}.json"))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes a file in the temp dir and returns its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    /// The real binary, environment cleaned of anything that could give consent or
    /// move receipts, receipts in this test's directory, stdin closed.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("eula-gate").expect("binary built");
        clean_env(&mut cmd);
        cmd.env("HOME", self.path("home"))
            .env("EULA_GATE_RECEIPT_DIR", self.receipts());
        cmd
    }

    /// Runs the binary with `args` and returns what it did.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd().args(args).output().expect("run eula-gate"))
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.cmd();
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run(cmd.args(args).output().expect("run eula-gate"))
    }

    pub fn read_receipt(&self, product: &str) -> serde_json::Value {
        let bytes = std::fs::read(self.receipt(product)).expect("receipt exists");
        serde_json::from_slice(&bytes).expect("receipt is JSON")
    }
}

/// Every variable that changes the gate's behaviour.
pub const GATE_VARS: [&str; 7] = [
    "EULA_GATE_POLICY_DIR",
    "SUDO_UID",
    "EULA_GATE_ACCEPT",
    "EULA_GATE_RECEIPT_DIR",
    "DEBIAN_FRONTEND",
    "NO_COLOR",
    "XDG_DATA_HOME",
];

/// Removes every variable that changes the gate's behaviour.
pub fn clean_env(cmd: &mut Command) {
    for var in GATE_VARS {
        cmd.env_remove(var);
    }
}

/// `clean_env` for a plain `std::process::Command` (scripts, shells, dpkg): the one
/// list of variables, so no test leaks one of them into what it runs.
pub fn without_gate_vars(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in GATE_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The result of one run of the binary.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exited, not killed by a signal")
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr()
        );
        self
    }
}

/// Says why a test did not run here. Under CI (which runs as root with every tool
/// installed) a missing precondition is a failure: no test passes there unrun.
#[track_caller]
pub fn not_run(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "not run under CI: {why}");
    eprintln!("not run: {why}");
}

/// Caps `resource` (`libc::RLIMIT_AS`, `libc::RLIMIT_FSIZE`, ...) at `bytes` in the
/// child that `cmd` starts, before it execs.
pub fn limit(cmd: &mut std::process::Command, resource: libc::__rlimit_resource_t, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe; runs in the child before exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Starts `cmd` with `signals` blocked, as a supervisor or CI runner may start it.
pub fn block_signals(cmd: &mut std::process::Command, signals: &'static [libc::c_int]) {
    use std::os::unix::process::CommandExt;
    // SAFETY: sigemptyset, sigaddset and sigprocmask are async-signal-safe; runs in
    // the child before exec, which keeps the mask.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in signals {
                libc::sigaddset(&mut set, *signal);
            }
            if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Whether the suite runs as root (CI does).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `cmd` and returns what it did, failing the test if the process was killed by
/// a signal or panicked: every way out of eula-gate is a documented exit code.
#[track_caller]
pub fn run_checked(mut cmd: std::process::Command) -> Run {
    let run = Run(cmd.output().expect("run eula-gate"));
    assert!(
        run.0.status.code().is_some(),
        "killed by a signal: {:?}\n{}",
        run.0.status,
        run.stderr()
    );
    assert!(!run.stderr().contains("panicked"), "panic: {}", run.stderr());
    run
}

/// The path of the built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_eula-gate"))
}

/// Checks a receipt's digest the way anyone can: with Python's json module.
pub fn python_receipt_digest_ok(path: &Path) -> bool {
    let script = "import json,hashlib,sys\n\
        r=json.load(open(sys.argv[1],encoding='utf-8'))\n\
        d=r.pop('digest')\n\
        c=json.dumps(r,sort_keys=True,separators=(',',':'),ensure_ascii=False)\n\
        sys.exit(0 if hashlib.sha256(c.encode('utf-8')).hexdigest()==d else 1)";
    std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .status()
        .expect("python3 runs")
        .success()
}
