//! Root on a shared machine: directories reached only through checked components,
//! receipts never read through links, modes that do not depend on the umask, temp
//! files that survive writers in other PID namespaces, and a process that ends only
//! with a documented exit code. Attacker-owned files belong to uid 4242 (no account
//! is needed for chown or for running as that uid), so nothing is left in
//! /etc/passwd; every file lives in a temp directory removed at the end.

mod common;

use common::{EMBEDDED_SHA256, Env, Run, binary, is_root, run_checked as run};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ATTACKER: u32 = 4242;

/// Whether a root-only test can run here. Under CI (which runs as root) a missing
/// precondition is a failure, never a silent pass.
fn root_available(test: &str) -> bool {
    if is_root() {
        return true;
    }
    common::not_run(&format!("{test} needs root (CI runs as root)"));
    false
}

/// The real binary, clean environment, no receipt directory variable, stdin closed.
fn gate(args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// `gate` with this test's HOME and receipt directory.
fn gate_in(env: &Env, args: &[&str]) -> Command {
    let mut cmd = gate(args);
    cmd.env("HOME", env.path("home"))
        .env("EULA_GATE_RECEIPT_DIR", env.receipts());
    cmd
}

fn s(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// A temp world whose top is root's 0755 directory (inside the sticky /tmp).
fn world() -> Env {
    let env = Env::new();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    env
}

fn mkdir(path: &Path, mode: u32, owner: u32) -> PathBuf {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(path, Some(owner), Some(owner)).unwrap();
    path.to_path_buf()
}

/// A copy of the binary that any user can run, wherever the checkout lives.
fn binary_for_anyone(env: &Env) -> PathBuf {
    let copy = env.path("eula-gate");
    if !copy.exists() {
        std::fs::copy(binary(), &copy).unwrap();
    }
    copy
}

/// The temporary files (`.NAME.PID.N.tmp`) in a receipt directory and its `texts/`.
fn temp_files(dir: &Path) -> Vec<String> {
    [dir.to_path_buf(), dir.join("texts")]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|entries| entries.flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.') && name.ends_with(".tmp"))
        .collect()
}

/// A receipt that `verify` would take as valid, written by the gate itself
/// somewhere safe and then copied where an attacker would plant it.
fn forged_receipt(env: &Env) -> Vec<u8> {
    let safe = env.path("forge");
    run(gate(&["--accept-eula", "--receipt-dir", s(&safe)])).expect_code(0);
    std::fs::read(safe.join("portsip-pbx.json")).unwrap()
}

// ---- 1, 2: every component up to / is checked, nothing is changed by path ----

#[test]
fn as_root_a_receipt_directory_below_an_attacker_owned_directory_is_refused_and_nothing_made() {
    if !root_available("attacker-owned parent") {
        return;
    }
    let env = world();
    let theirs = mkdir(&env.path("theirs"), 0o755, ATTACKER);
    let dir = theirs.join("receipts");
    let r = run(gate(&["--accept-eula", "--receipt-dir", s(&dir)]));
    r.expect_code(1)
        .stderr_has(&format!("{} is owned by uid {ATTACKER}", s(&theirs)))
        .stderr_has("chown root");
    assert!(!dir.exists(), "root created a directory inside the attacker's");
    // verify and revoke refuse the same way instead of trusting what is there.
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("portsip-pbx.json"), forged_receipt(&env)).unwrap();
    for args in [&["verify"][..], &["revoke"], &["--accept-eula"]] {
        let mut cmd = gate(args);
        cmd.args(["--receipt-dir", s(&dir)]);
        run(cmd).expect_code(1).stderr_has(s(&theirs));
    }
    assert!(
        dir.join("portsip-pbx.json").exists(),
        "revoke removed a file through an untrusted directory"
    );
}

#[test]
fn as_root_a_symlink_above_the_receipt_directory_is_followed_only_when_root_owns_it() {
    if !root_available("symlink above") {
        return;
    }
    let env = world();
    let attacker_dir = mkdir(&env.path("attacker"), 0o755, ATTACKER);
    std::fs::create_dir(attacker_dir.join("receipts")).unwrap();
    std::fs::write(
        attacker_dir.join("receipts/portsip-pbx.json"),
        forged_receipt(&env),
    )
    .unwrap();
    // A link the attacker owns, in a directory root owns: never followed.
    let link = env.path("link");
    symlink(&attacker_dir, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(ATTACKER), Some(ATTACKER)).unwrap();
    let dir = link.join("receipts");
    for args in [&["verify"][..], &["--accept-eula"], &["revoke"]] {
        let mut cmd = gate(args);
        cmd.args(["--receipt-dir", s(&dir)]);
        run(cmd).expect_code(1).stderr_has(&format!(
            "{} is a symbolic link owned by uid {ATTACKER}",
            s(&link)
        ));
    }
    assert!(attacker_dir.join("receipts/portsip-pbx.json").exists());
    // A link root owns is followed, and its target is checked like any path: here
    // the target belongs to the attacker, so it is refused there.
    let root_link = env.path("root-link");
    symlink(&attacker_dir, &root_link).unwrap();
    let mut cmd = gate(&["verify"]);
    cmd.args(["--receipt-dir", s(&root_link.join("receipts"))]);
    run(cmd)
        .expect_code(1)
        .stderr_has(&format!("{} is owned by uid {ATTACKER}", s(&attacker_dir)));
    // A root-owned link to a root-owned directory works (relative target, `..` inside).
    let good = mkdir(&env.path("good/receipts"), 0o755, 0);
    symlink("../good/./receipts", env.path("good/self")).unwrap();
    let via = env.path("good/self");
    let mut cmd = gate(&["--accept-eula"]);
    cmd.args(["--receipt-dir", s(&via)]);
    run(cmd).expect_code(0);
    assert!(good.join("portsip-pbx.json").is_file());
}

#[test]
fn as_root_a_writable_directory_above_is_refused_but_a_sticky_one_only_as_the_target() {
    if !root_available("writable above") {
        return;
    }
    let env = world();
    // Writable by others, not sticky: anyone could rename `receipts` away.
    let open = mkdir(&env.path("open"), 0o777, 0);
    let dir = open.join("receipts");
    let mut cmd = gate(&["--accept-eula"]);
    cmd.args(["--receipt-dir", s(&dir)]);
    run(cmd)
        .expect_code(1)
        .stderr_has(&format!(
            "{} (mode 0777) can be written by group or others",
            s(&open)
        ))
        .stderr_has(&format!("chmod go-w {}", s(&open)));
    assert!(!dir.exists());
    // Sticky like /tmp: fine above the target when what lies in it is root's.
    let sticky = mkdir(&env.path("sticky"), 0o1777, 0);
    let mut cmd = gate(&["--accept-eula"]);
    cmd.args(["--receipt-dir", s(&sticky.join("receipts"))]);
    run(cmd).expect_code(0);
    // ... but not when the next component is someone else's.
    let planted = mkdir(&sticky.join("planted"), 0o755, ATTACKER);
    let mut cmd = gate(&["--accept-eula"]);
    cmd.args(["--receipt-dir", s(&planted)]);
    run(cmd).expect_code(1).stderr_has("owned by uid 4242");
    // And a sticky directory is never the receipt directory itself; the fix offered
    // is never to chmod it.
    let mut cmd = gate(&["--accept-eula"]);
    cmd.args(["--receipt-dir", s(&sticky)]);
    let r = run(cmd);
    r.expect_code(1).stderr_has("shared directory");
    assert!(!r.stderr().contains("chmod"), "{}", r.stderr());
}

#[test]
fn as_root_a_directory_swapped_for_a_symlink_during_creation_never_changes_the_victim() {
    if !root_available("swap race") {
        return;
    }
    let env = world();
    // The attacker may write `shared` (sticky, as /tmp) and races root's mkdir of
    // `shared/receipts` with a link to a file root must not touch.
    let shared = mkdir(&env.path("shared"), 0o1777, 0);
    let victim = env.file("victim.conf", "precious\n");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = shared.join("receipts");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let (stop, dir, victim) = (stop.clone(), dir.clone(), victim.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Swap whatever root made for a link to the victim.
                let _ = std::fs::remove_dir(&dir);
                let _ = symlink(&victim, &dir);
                let _ = std::fs::remove_file(&dir);
            }
        })
    };
    for _ in 0..150 {
        let mut cmd = gate(&["--accept-eula"]);
        cmd.args(["--receipt-dir", s(&dir)]);
        let r = run(cmd);
        assert!([0, 1].contains(&r.code()), "{}", r.stderr());
        let meta = std::fs::metadata(&victim).unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o600, "the victim's mode changed");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    attacker.join().unwrap();
}

/// Runs `eula-gate ARGS` as `uid` in a private mount namespace where `var_lib`
/// stands in for /var/lib, so the system directory can be made hostile without
/// touching the real one.
fn in_namespace_with_var_lib(env: &Env, var_lib: &Path, uid: u32, home: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /var/lib && uid=$1 && shift && exec setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@""#)
        .arg(var_lib)
        .arg(uid.to_string())
        .arg(binary_for_anyone(env));
    cmd.args(args);
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home).stdin(Stdio::null());
    run(cmd)
}

#[test]
fn a_system_receipt_counts_for_users_only_in_a_directory_that_root_owns_all_the_way() {
    if !root_available("mount namespace") {
        return;
    }
    let env = world();
    let home = mkdir(&env.path("home"), 0o755, 65534);
    let var_lib = mkdir(&env.path("var-lib"), 0o755, 0);
    let system = mkdir(&var_lib.join("eula-gate"), 0o755, 0);
    std::fs::write(system.join("portsip-pbx.json"), forged_receipt(&env)).unwrap();
    // Root's directory: the user's verify takes the system receipt.
    in_namespace_with_var_lib(&env, &var_lib, 65534, &home, &["verify"]).expect_code(0);
    // Another user's directory at /var/lib/eula-gate: refused, never exit 0.
    std::os::unix::fs::chown(&system, Some(ATTACKER), Some(ATTACKER)).unwrap();
    in_namespace_with_var_lib(&env, &var_lib, 65534, &home, &["verify"])
        .expect_code(1)
        .stderr_has("/var/lib/eula-gate is owned by uid 4242");
    // Root's own default is refused there as well.
    in_namespace_with_var_lib(&env, &var_lib, 0, &home, &["verify"]).expect_code(1);
}

// ---- 3: receipts are never opened through a link ----

/// Makes a FIFO at `fifo` and a thread blocked opening it for writing: opening the
/// FIFO for reading would wake it, which the receiver then reports.
fn writer_blocked_on(fifo: &Path) -> (std::thread::JoinHandle<()>, std::sync::mpsc::Receiver<()>) {
    let c = std::ffi::CString::new(s(fifo)).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let (woke_tx, woke) = std::sync::mpsc::channel();
    let fifo = fifo.to_path_buf();
    let writer = std::thread::spawn(move || {
        let opened = std::fs::OpenOptions::new().write(true).open(&fifo);
        let _ = woke_tx.send(());
        drop(opened);
    });
    (writer, woke)
}

#[test]
fn a_symlinked_receipt_is_invalid_and_its_target_is_never_opened() {
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    // A FIFO with a writer blocked in open(2): opening it for reading would wake it.
    let fifo = env.path("fifo");
    let (writer, woke) = writer_blocked_on(&fifo);
    symlink(&fifo, dir.join("portsip-pbx.json")).unwrap();
    let r = run(gate_in(&env, &["verify"]));
    r.expect_code(7).stderr_has("symbolic link");
    assert!(
        woke.recv_timeout(Duration::from_millis(300)).is_err(),
        "verify opened the link's target"
    );
    // Release the writer.
    drop(std::fs::File::open(&fifo).unwrap());
    writer.join().unwrap();
}

// ---- 4: modes do not depend on the umask ----

#[test]
fn directories_made_under_umask_077_are_0755_all_the_way() {
    let env = world();
    let dir = env.path("a/b/receipts");
    let mut cmd = gate(&["--accept-eula", "--receipt-dir", s(&dir)]);
    // SAFETY: umask is async-signal-safe; runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    run(cmd).expect_code(0);
    for made in ["a", "a/b", "a/b/receipts"] {
        let mode = std::fs::metadata(env.path(made)).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o755, "{made}");
    }
    let receipt_mode = std::fs::metadata(dir.join("portsip-pbx.json")).unwrap().mode() & 0o777;
    assert_eq!(receipt_mode, 0o644);
    // So another user can check it.
    if is_root() {
        let mut cmd = Command::new(binary_for_anyone(&env));
        cmd.args(["verify", "--receipt-dir", s(&dir)]);
        cmd.uid(65534).gid(65534).env("HOME", "/nonexistent");
        run(cmd).expect_code(0);
    }
}

// ---- 5: temp files across PID namespaces ----

/// Starts `flock FILE sleep 60` in a new PID namespace after making FILE: a live
/// writer's lock on its temporary file, as the gate holds it, by another program.
fn hold_in_other_namespace(file: &Path) -> std::process::Child {
    std::fs::write(file, "{\"partial\":").unwrap();
    let child = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "flock",
            "--exclusive",
        ])
        .arg(file)
        .args(["sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("unshare runs");
    wait_for_lock(file, true);
    child
}

/// Waits until `file` is locked by someone (`held`) or by nobody.
fn wait_for_lock(file: &Path, held: bool) {
    let started = Instant::now();
    loop {
        let free = Command::new("flock")
            .args(["--exclusive", "--nonblock"])
            .arg(file)
            .arg("true")
            .status()
            .unwrap()
            .success();
        if free != held {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the lock on {} never changed",
            s(file)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_live_writers_temp_file_in_another_pid_namespace_is_left_alone() {
    if !root_available("pid namespaces") {
        return;
    }
    let env = world();
    let dir = mkdir(&env.path("shared-volume"), 0o755, 0);
    // Pid 7 exists in the holder's namespace, not in the writer's new one.
    let temp = dir.join(".portsip-pbx.json.7.0.tmp");
    let mut holder = hold_in_other_namespace(&temp);
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(binary())
        .args(["--accept-eula", "--receipt-dir", s(&dir)])
        .env_remove("EULA_GATE_ACCEPT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(temp.exists(), "a live writer's temporary file was removed");
    // Once its writer is gone, the next writer removes it.
    holder.kill().unwrap();
    holder.wait().unwrap();
    wait_for_lock(&temp, false);
    // (A valid receipt would make the next accept write nothing.)
    run(gate(&["revoke", "--receipt-dir", s(&dir)])).expect_code(0);
    run(gate(&["--accept-eula", "--receipt-dir", s(&dir)])).expect_code(0);
    assert!(!temp.exists(), "an abandoned temporary file was kept");
}

#[test]
fn writers_in_two_pid_namespaces_sharing_a_directory_all_succeed() {
    if !root_available("pid namespaces") {
        return;
    }
    let env = world();
    let dir = mkdir(&env.path("volume"), 0o755, 0);
    let a = env.file("a.txt", "License A\n\nterms\n");
    let b = env.file("b.txt", "License B\n\nterms\n");
    // In one namespace each writer runs in a subshell, so that the writers' pids
    // step by two there and by one in the other: a pid seen in a temp name is then
    // mostly not a live process in the other namespace.
    let script = |license: &Path, subshell: bool| {
        let (open, close) = if subshell { ("(", "; true)") } else { ("", "") };
        format!(
            "for i in $(seq 150); do {open}{} --product p --license {} --accept-eula --receipt-dir {} \
             {close} || exit 1; done; true",
            s(&binary()),
            s(license),
            s(&dir)
        )
    };
    let spawn = |license: &Path, subshell: bool| {
        Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "sh", "-c"])
            .arg(script(license, subshell))
            .env_remove("EULA_GATE_ACCEPT")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (spawn(&a, true), spawn(&b, false));
    for child in [one, two] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    assert!(dir.join("p.json").exists());
}

// ---- 6: only documented exit codes ----

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn broken_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn a_broken_stderr_or_stdout_never_changes_the_outcome() {
    let env = Env::new();
    let cases: &[(&[&str], i32)] = &[
        (&["--accept-eula"], 0),
        (&[], 0),
        (&["verify", "--product", "other", "--sha256", EMBEDDED_SHA256], 5),
        (&["revoke", "--product", "other"], 0),
        (&["--product", "BAD"], 2),
        (&["--no-such-option"], 2),
        (
            &["--non-interactive", "--product", "x", "--license", "/nonexistent"],
            1,
        ),
    ];
    for (args, code) in cases {
        let mut cmd = gate_in(&env, args);
        cmd.stderr(broken_pipe());
        let status = cmd.status().unwrap();
        assert_eq!(status.code(), Some(*code), "{args:?}: {status:?}");
    }
    assert!(env.receipt("portsip-pbx").exists());
    for (args, code) in [(&["hash"][..], 0), (&["show"], 0), (&["verify", "--json"], 0)] {
        let mut cmd = gate_in(&env, args);
        cmd.stdout(broken_pipe()).stderr(broken_pipe());
        let status = cmd.status().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}: {status:?}");
    }
}

#[test]
fn a_file_size_limit_is_exit_1_with_the_old_receipt_kept_and_no_temp_left() {
    let env = Env::new();
    let a = env.file("a.txt", "License A\n\nterms\n");
    let b = env.file("b.txt", "License B\n\nterms\n");
    let accept = |license: &Path| {
        gate_in(
            &env,
            &["--product", "p", "--license", s(license), "--accept-eula"],
        )
    };
    run(accept(&a)).expect_code(0);
    let before = std::fs::read(env.receipt("p")).unwrap();
    let mut limited = accept(&b);
    common::limit(&mut limited, libc::RLIMIT_FSIZE, 64);
    let out = limited.output().unwrap();
    assert_eq!(
        out.status.signal(),
        None,
        "killed by signal {:?}",
        out.status.signal()
    );
    let r = Run(out);
    r.expect_code(1)
        .stderr_has("File too large")
        .stderr_has("ulimit -f");
    assert_eq!(std::fs::read(env.receipt("p")).unwrap(), before);
    assert_eq!(
        temp_files(&env.receipts()),
        Vec::<String>::new(),
        "a temporary file was left behind"
    );
}

#[test]
fn a_fifo_or_device_as_the_license_is_refused_at_once() {
    let env = Env::new();
    let fifo = env.path("license.fifo");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    for (path, says) in [(s(&fifo), "a pipe (FIFO)"), ("/dev/null", "a device")] {
        for args in [
            &["hash", "--product", "p", "--license", path][..],
            &["--product", "p", "--license", path, "--accept-eula"],
        ] {
            let mut child = gate_in(&env, args).stderr(Stdio::piped()).spawn().unwrap();
            let started = Instant::now();
            while child.try_wait().unwrap().is_none() {
                if started.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    panic!("{args:?} blocked on the license file");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let r = Run(child.wait_with_output().unwrap());
            r.expect_code(1).stderr_has(says).stderr_has("not a regular file");
        }
    }
    assert!(!env.receipts().exists());
}

// ---- found in review: locks, links to root's files, `..`, planted receipts ----

#[test]
fn another_user_holding_temp_files_never_makes_roots_writes_fail() {
    if !root_available("temp file locks") {
        return;
    }
    let env = world();
    let dir = mkdir(&env.path("receipts"), 0o755, 0);
    let a = env.file("a.txt", "License A\n\nterms\n");
    let b = env.file("b.txt", "License B\n\nterms\n");
    // The attacker opens every temporary file it can and takes a shared lock on it,
    // keeping it open, so that the writer's exclusive lock would fail.
    // It learns of each new file from inotify, as fast as the kernel tells it.
    let script = r#"
import ctypes, fcntl, os, struct, sys
d, held = sys.argv[1], []
libc = ctypes.CDLL(None, use_errno=True)
watch = libc.inotify_init1(0)
libc.inotify_add_watch(watch, d.encode(), 0x100 | 0x80)  # IN_CREATE | IN_MOVED_TO
while True:
    data, at = os.read(watch, 65536), 0
    while at < len(data):
        _, _, _, length = struct.unpack_from("iIII", data, at)
        name = data[at + 16 : at + 16 + length].rstrip(b"\0").decode()
        at += 16 + length
        if name == "stop":
            print(len(held))
            sys.exit(0)
        if name.endswith(".tmp"):
            try:
                fd = os.open(os.path.join(d, name), os.O_RDONLY | os.O_NONBLOCK)
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                held.append(fd)
            except OSError:
                pass
"#;
    let attacker = Command::new("setpriv")
        .args([
            "--reuid",
            "4242",
            "--regid",
            "4242",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            script,
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut failures = Vec::new();
    for i in 0..200 {
        let license = if i % 2 == 0 { &a } else { &b };
        let r = run(gate(&[
            "--product",
            "p",
            "--license",
            s(license),
            "--accept-eula",
            "--receipt-dir",
            s(&dir),
        ]));
        if r.code() != 0 {
            failures.push(r.stderr());
        }
    }
    std::fs::write(env.path("stop-flag"), "").unwrap();
    std::fs::rename(env.path("stop-flag"), dir.join("stop")).unwrap();
    let out = attacker.wait_with_output().unwrap();
    assert!(
        failures.is_empty(),
        "{} of 200 writes failed: {:?}",
        failures.len(),
        failures.first()
    );
    // (The attacker may still hold the finished receipt open: it is world-readable by
    // contract, and a lock on it hinders no writer.)
    let held: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    eprintln!("the attacker held {held} files open");
    std::fs::remove_file(dir.join("stop")).unwrap();
    let left = temp_files(&dir);
    assert!(left.is_empty(), "{} temporary files were left behind", left.len());
}

#[test]
fn as_root_a_users_link_never_makes_root_read_roots_own_files() {
    if !root_available("license links") {
        return;
    }
    let env = world();
    let secret = env.file("secret", "root:$6$SECRETHASH:19000\nmore secrets\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pkg = mkdir(&env.path("theirs/pkg"), 0o755, ATTACKER);
    std::os::unix::fs::chown(env.path("theirs"), Some(ATTACKER), Some(ATTACKER)).unwrap();
    let link = pkg.join("LICENSE");
    symlink(&secret, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(ATTACKER), Some(ATTACKER)).unwrap();
    let receipts = env.path("receipts");
    for args in [
        &[
            "--product",
            "acme",
            "--license",
            s(&link),
            "--accept-eula",
            "--receipt-dir",
            s(&receipts),
        ][..],
        &["hash", "--license", s(&link)],
        &["show", "--license", s(&link)],
    ] {
        let r = run(gate(args));
        r.expect_code(1).stderr_has("refusing to read license file");
        assert!(
            !r.stderr().contains("SECRET") && !r.stdout().contains("SECRET"),
            "{}",
            r.stderr()
        );
    }
    assert!(!receipts.exists());
    // The user's own license file, in the user's own directory, is read as usual.
    let own = pkg.join("OWN-LICENSE");
    std::fs::write(&own, "Their License\n\nterms\n").unwrap();
    std::os::unix::fs::chown(&own, Some(ATTACKER), Some(ATTACKER)).unwrap();
    run(gate(&["hash", "--license", s(&own)])).expect_code(0);
}

#[test]
fn as_root_a_sticky_directory_never_becomes_the_receipt_directory_through_dot_dot() {
    if !root_available("dot-dot") {
        return;
    }
    let env = world();
    let shared = mkdir(&env.path("shared"), 0o1777, 0);
    mkdir(&shared.join("rootdir"), 0o755, 0);
    symlink(".", shared.join("here")).unwrap();
    for dir in [shared.join("rootdir/.."), shared.join("here")] {
        for args in [&["--accept-eula"][..], &["verify"], &["revoke"]] {
            let mut cmd = gate(args);
            cmd.args(["--receipt-dir", s(&dir)]);
            let r = run(cmd);
            r.expect_code(1).stderr_has("shared directory");
        }
    }
    // A missing directory that `..` would leave again is never made (so nothing is
    // accepted); for verify and revoke it simply holds no receipt.
    let made = shared.join("made/..");
    for (args, code) in [(&["--accept-eula"][..], 1), (&["verify"], 5), (&["revoke"], 0)] {
        let mut cmd = gate(args);
        cmd.args(["--receipt-dir", s(&made)]);
        run(cmd).expect_code(code);
    }
    assert!(
        !shared.join("made").exists(),
        "root made a directory it then left"
    );
    assert!(!shared.join("portsip-pbx.json").exists());
}

#[test]
fn as_root_a_receipt_that_another_user_owns_is_invalid_and_replaced() {
    if !root_available("planted receipt") {
        return;
    }
    let env = world();
    let dir = mkdir(&env.path("receipts"), 0o755, 0);
    let planted = dir.join("portsip-pbx.json");
    std::fs::write(&planted, forged_receipt(&env)).unwrap();
    std::os::unix::fs::chown(&planted, Some(ATTACKER), Some(ATTACKER)).unwrap();
    run(gate(&["verify", "--receipt-dir", s(&dir)]))
        .expect_code(7)
        .stderr_has("owned by uid 4242");
    run(gate(&["--accept-eula", "--receipt-dir", s(&dir)])).expect_code(0);
    assert_eq!(std::fs::metadata(&planted).unwrap().uid(), 0);
    run(gate(&["verify", "--receipt-dir", s(&dir)])).expect_code(0);
}

#[test]
fn a_fifo_at_the_receipt_path_is_never_opened() {
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("portsip-pbx.json");
    let (writer, woke) = writer_blocked_on(&fifo);
    run(gate_in(&env, &["verify"]))
        .expect_code(7)
        .stderr_has("not a regular file");
    assert!(
        woke.recv_timeout(Duration::from_millis(300)).is_err(),
        "verify opened the FIFO"
    );
    drop(std::fs::File::open(&fifo).unwrap());
    writer.join().unwrap();
}

#[test]
fn too_little_memory_for_a_large_license_is_exit_1_never_an_abort() {
    let env = Env::new();
    let big = env.file("big.txt", "a".repeat(31 << 20));
    let mut saw_out_of_memory = false;
    for mib in (40..=90).step_by(5) {
        let mut cmd = gate_in(&env, &["hash", "--license", s(&big)]);
        let limit = mib << 20;
        common::limit(&mut cmd, libc::RLIMIT_AS, limit);
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.signal(),
            None,
            "{mib} MiB: killed by signal {:?}",
            out.status.signal()
        );
        let r = Run(out);
        assert!([0, 1].contains(&r.code()), "{mib} MiB: {}", r.stderr());
        if r.code() == 1 {
            r.stderr_has("not enough memory");
            saw_out_of_memory = true;
        }
    }
    assert!(
        saw_out_of_memory,
        "no limit between 40 and 90 MiB was tight enough"
    );
}

#[test]
fn an_account_whose_entry_is_larger_than_4_kib_is_named_in_the_receipt() {
    if !root_available("large passwd entry") {
        return;
    }
    let env = world();
    // A stand-in /etc/passwd in a private mount namespace: the real one is untouched.
    let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd.push_str(&format!(
        "longgecos:x:4343:4343:{}:/nonexistent:/bin/false\n",
        "g".repeat(6000)
    ));
    let file = env.file("passwd", passwd);
    let dir = mkdir(&env.path("receipts"), 0o755, 4343);
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/passwd && exec setpriv --reuid 4343 --regid 4343 --clear-groups "$1" --accept-eula --receipt-dir "$2""#)
        .arg(&file)
        .arg(binary_for_anyone(&env))
        .arg(&dir)
        .env_remove("EULA_GATE_ACCEPT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("portsip-pbx.json")).unwrap()).unwrap();
    assert_eq!(receipt["accepted_by"]["user"], "longgecos");
    assert_eq!(receipt["accepted_by"]["uid"], 4343);
}

#[test]
fn as_root_a_receipt_that_others_may_write_is_invalid_and_replaced() {
    if !root_available("world-writable receipt") {
        return;
    }
    let env = world();
    let dir = mkdir(&env.path("receipts"), 0o755, 0);
    run(gate(&["--accept-eula", "--receipt-dir", s(&dir)])).expect_code(0);
    let receipt = dir.join("portsip-pbx.json");
    for mode in [0o666, 0o664] {
        std::fs::set_permissions(&receipt, std::fs::Permissions::from_mode(mode)).unwrap();
        // Anyone could have rewritten it (with a digest that matches): never consent.
        run(gate(&["verify", "--receipt-dir", s(&dir)]))
            .expect_code(7)
            .stderr_has("lets group or others rewrite it");
        run(gate(&["--accept-eula", "--receipt-dir", s(&dir)])).expect_code(0);
        assert_eq!(std::fs::metadata(&receipt).unwrap().mode() & 0o7777, 0o644);
        run(gate(&["verify", "--receipt-dir", s(&dir)])).expect_code(0);
    }
    // The history is not appended to while others may rewrite it.
    let history = dir.join("portsip-pbx.history.jsonl");
    std::fs::set_permissions(&history, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::remove_file(&receipt).unwrap();
    run(gate(&["--accept-eula", "--receipt-dir", s(&dir)]))
        .expect_code(0)
        .stderr_has("lets group or others rewrite it");
}

#[test]
fn as_root_a_users_directory_in_a_shared_directory_is_never_offered_to_chown() {
    if !root_available("chown advice") {
        return;
    }
    // The user can replace the name with a link at any moment: `chown root NAME` run on
    // our word would then change the owner of whatever the link points at.
    let env = world();
    let shared = mkdir(&env.path("shared"), 0o1777, 0);
    let theirs = mkdir(&shared.join("pkgstate"), 0o755, ATTACKER);
    let r = run(gate(&["--accept-eula", "--receipt-dir", s(&theirs.join("r"))]));
    r.expect_code(1)
        .stderr_has(&format!("{} is owned by uid {ATTACKER}", s(&theirs)))
        .stderr_has("/var/lib/eula-gate");
    assert!(!r.stderr().contains("chown"), "{}", r.stderr());
}

#[test]
fn closed_standard_descriptors_are_never_reused_for_other_files() {
    // With stdin closed, the first file opened would take descriptor 0: a message or
    // a read meant for a standard stream would then reach that file instead.
    let env = Env::new();
    let mut cmd = gate_in(&env, &["show", "--license", "/proc/self/fd/0"]);
    // SAFETY: close is async-signal-safe; runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(0);
            Ok(())
        });
    }
    run(cmd).expect_code(1).stderr_has("is a device");
    let mut cmd = gate_in(&env, &["--accept-eula"]);
    // SAFETY: as above.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            libc::close(2);
            Ok(())
        });
    }
    assert_eq!(cmd.status().unwrap().code(), Some(0));
    run(gate_in(&env, &["verify"])).expect_code(0);
}
