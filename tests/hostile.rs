//! The gate under hostile conditions: killed writers, racing processes, planted
//! symlinks, unsafe directories, full and read-only disks, hostile receipts, license
//! files and environments. Each promise has a test that fails if it breaks.

mod common;

use common::{EMBEDDED_SHA256, Env, Run, binary, is_root, run_checked as run};
use eula_gate::Product;
use eula_gate::license::sha256_hex;
use eula_gate::receipt::{check, receipt_digest};
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The real binary with a clean environment, receipts in `dir`, memory capped at
/// 256 MiB (so an unbounded read of a huge file fails loudly), stdin closed.
fn gate(dir: &Path, args: &[&str]) -> Command {
    gate_from(&binary(), dir, args)
}

fn gate_from(program: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("EULA_GATE_RECEIPT_DIR", dir)
        .args(args)
        .stdin(Stdio::null());
    common::limit(&mut cmd, libc::RLIMIT_AS, 256 << 20);
    cmd
}

fn receipt_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A small xorshift generator: random kill moments without another dependency.
struct Rng(u64);
impl Rng {
    fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Rng(nanos as u64 | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `eula-gate --product p --license LICENSE --accept-eula`, receipts in `dir`.
fn accept_license(dir: &Path, license: &Path) -> Command {
    gate(
        dir,
        &[
            "--product",
            "p",
            "--license",
            license.to_str().unwrap(),
            "--accept-eula",
        ],
    )
}

/// `eula-gate verify --product p --license LICENSE`, receipts in `dir`.
fn verify_license(dir: &Path, license: &Path) -> Command {
    gate(
        dir,
        &["verify", "--product", "p", "--license", license.to_str().unwrap()],
    )
}

fn hash_of(env: &Env, license: &Path) -> String {
    let run = run(gate(
        &env.receipts(),
        &["hash", "--product", "p", "--license", license.to_str().unwrap()],
    ));
    run.expect_code(0);
    run.stdout().trim().to_owned()
}

// ---- crash safety and concurrency ----

#[test]
fn writers_killed_at_random_moments_never_leave_a_partial_receipt() {
    let env = Env::new();
    let a = env.file("a.txt", "License A\n\nThe first terms.\n");
    let b = env.file("b.txt", "License B\n\nThe second terms.\n");
    let valid = [hash_of(&env, &a), hash_of(&env, &b)];
    let dir = env.receipts();
    let mut rng = Rng::seeded();
    let (mut killed, mut finished) = (0, 0);
    for i in 0..240 {
        // Alternate the texts so that every accept has a receipt to (re)write.
        let license = if i % 2 == 0 { &a } else { &b };
        let mut child = accept_license(&dir, license)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(2500)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            killed += 1
        } else {
            finished += 1
        }
        match std::fs::read(dir.join("p.json")) {
            Ok(bytes) => {
                let facts = check(&bytes, &Product::new("p").unwrap())
                    .unwrap_or_else(|e| panic!("run {i}: partial receipt: {e}"));
                assert!(
                    valid.iter().any(|v| v == facts.license_sha256.as_str()),
                    "run {i}: receipt for an unknown text"
                );
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "run {i}"),
        }
        for name in receipt_files(&dir) {
            assert!(
                ["p.json", "p.history.jsonl", "texts"].contains(&name.as_str())
                    || (name.starts_with(".p.json.") && name.ends_with(".tmp")),
                "run {i}: unexpected file {name}"
            );
        }
        // A kept text is whole (its name is its digest) or a temp file never read.
        for name in receipt_files(&dir.join("texts")) {
            if let Some(digest) = name.strip_suffix(".txt").filter(|_| !name.starts_with('.')) {
                let text = std::fs::read(dir.join("texts").join(&name)).unwrap();
                assert_eq!(sha256_hex(&text), digest, "run {i}: a partial kept text");
            }
        }
        // Whatever moment the kill hit, the history's chain holds (a torn last line is
        // left out, and the next append cuts it off). Its end may lag the receipt until
        // the next append: `--check` says so, and is run once the writes are done.
        run(gate(&dir, &["history", "--product", "p", "--json"])).expect_code(0);
        // A leftover temp file is never read as the receipt.
        let verify = run(verify_license(&dir, license));
        assert!(
            [0, 5, 6].contains(&verify.code()),
            "run {i}: verify said {}",
            verify.code()
        );
    }
    assert!(
        killed >= 10,
        "only {killed} of 240 writers were killed ({finished} finished)"
    );
    // The next complete write removes every temp file that a killed writer left.
    run(accept_license(&dir, &a)).expect_code(0);
    run(accept_license(&dir, &b)).expect_code(0);
    assert_eq!(receipt_files(&dir), ["p.history.jsonl", "p.json", "texts"]);
    let mut kept = vec![format!("{}.txt", valid[0]), format!("{}.txt", valid[1])];
    kept.sort();
    assert_eq!(receipt_files(&dir.join("texts")), kept);
    let history = std::fs::read(dir.join("p.history.jsonl")).unwrap();
    assert!(history.ends_with(b"\n"), "a torn line was left after an append");
    run(gate(&dir, &["history", "--product", "p", "--check"]))
        .expect_code(0)
        .stderr_has("is intact");
    eprintln!("crash loop: {killed} writers killed, {finished} finished");
}

#[test]
fn a_stale_temp_file_of_a_dead_writer_is_ignored_then_removed() {
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    let mut dead = Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    let stale = dir.join(format!(".portsip-pbx.json.{pid}.0.tmp"));
    std::fs::write(&stale, "{\"schema\":1,\"prod").unwrap();
    run(gate(&dir, &["verify"])).expect_code(5);
    run(gate(&dir, &["--accept-eula"])).expect_code(0);
    assert!(!stale.exists(), "stale temp file left behind");
    run(gate(&dir, &["verify"])).expect_code(0);
}

#[test]
fn sixteen_accepts_at_once_end_with_one_valid_receipt() {
    let env = Env::new();
    let dir = env.receipts();
    let children: Vec<_> = (0..16)
        .map(|_| {
            gate(&dir, &["--accept-eula"])
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        receipt_files(&dir),
        ["portsip-pbx.history.jsonl", "portsip-pbx.json", "texts"]
    );
    run(gate(&dir, &["verify"])).expect_code(0);
    run(gate(&dir, &["history", "--check"])).expect_code(0);
}

#[test]
fn accepts_racing_revokes_leave_a_valid_receipt_or_none() {
    let env = Env::new();
    let dir = env.receipts();
    for round in 0..4 {
        let children: Vec<_> = (0..16)
            .map(|i| {
                let args: &[&str] = if i % 2 == 0 {
                    &["--accept-eula"]
                } else {
                    &["revoke"]
                };
                gate(&dir, args).stderr(Stdio::piped()).spawn().expect("spawn")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let code = run(gate(&dir, &["verify"])).code();
        assert!(code == 0 || code == 5, "round {round}: verify {code}");
        let files = receipt_files(&dir);
        assert!(
            files
                .iter()
                .all(|f| ["portsip-pbx.json", "portsip-pbx.history.jsonl", "texts"].contains(&f.as_str())),
            "round {round}: {files:?}"
        );
        run(gate(&dir, &["history", "--check"])).expect_code(0);
    }
    run(gate(&dir, &["revoke"])).expect_code(0);
    run(gate(&dir, &["verify"])).expect_code(5);
}

// ---- hostile filesystem ----

#[test]
fn a_symlink_at_the_receipt_path_is_replaced_not_followed() {
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    let victim = env.file("victim.conf", "precious\n");
    std::os::unix::fs::symlink(&victim, dir.join("portsip-pbx.json")).unwrap();
    run(gate(&dir, &["--accept-eula"])).expect_code(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(dir.join("portsip-pbx.json"))
            .unwrap()
            .file_type()
            .is_file()
    );
    run(gate(&dir, &["verify"])).expect_code(0);
}

#[test]
fn symlinks_at_temp_names_are_never_written_through() {
    use eula_gate::store::ReceiptStore;
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    let victim = env.file("victim.conf", "precious\n");
    // This process is the writer, so its temp names are known: plant links at them.
    let pid = std::process::id();
    for n in 0..3 {
        std::os::unix::fs::symlink(&victim, dir.join(format!(".p.json.{pid}.{n}.tmp"))).unwrap();
    }
    let store = ReceiptStore::new(dir.clone());
    store
        .write_atomically(&Product::new("p").unwrap(), b"{\"receipt\":true}\n")
        .unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("p.json")).unwrap(),
        "{\"receipt\":true}\n"
    );
    // When every name is taken, the write fails cleanly instead of following one.
    for n in 3..64 {
        std::os::unix::fs::symlink(&victim, dir.join(format!(".q.json.{pid}.{n}.tmp"))).unwrap();
    }
    for n in 0..3 {
        std::os::unix::fs::symlink(&victim, dir.join(format!(".q.json.{pid}.{n}.tmp"))).unwrap();
    }
    assert!(store.write_atomically(&Product::new("q").unwrap(), b"x").is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!dir.join("q.json").exists());
}

#[test]
fn as_root_an_unsafe_receipt_directory_is_refused() {
    if !is_root() {
        common::not_run("the directory checks apply to root; run the suite as root (CI does)");
        return;
    }
    let env = Env::new();
    // World-writable, like /tmp/x made by anyone.
    let open = env.path("world-writable");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let r = run(gate(&open, &["--accept-eula"]));
    r.expect_code(1)
        .stderr_has(open.to_str().unwrap())
        .stderr_has("shared directory")
        .stderr_has("/var/lib/eula-gate");
    // Never a `chmod` of a shared (sticky) directory.
    assert!(!r.stderr().contains("chmod"), "{}", r.stderr());
    assert!(receipt_files(&open).is_empty());
    // Group-writable.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o775)).unwrap();
    run(gate(&open, &["--accept-eula"]))
        .expect_code(1)
        .stderr_has("chmod go-w");
    // Owned by another user.
    let theirs = env.path("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let r = run(gate(&theirs, &["--accept-eula"]));
    r.expect_code(1)
        .stderr_has(theirs.to_str().unwrap())
        .stderr_has("chown root");
    assert!(receipt_files(&theirs).is_empty());
    // Via --receipt-dir too, as in `sudo eula-gate --accept-eula --receipt-dir /tmp/x`.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = gate(
        &env.path("unused"),
        &["--accept-eula", "--receipt-dir", open.to_str().unwrap()],
    );
    cmd.env_remove("EULA_GATE_RECEIPT_DIR");
    run(cmd).expect_code(1).stderr_has("refusing");
    assert!(receipt_files(&open).is_empty());
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: PathBuf, options: &str) -> Mount {
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&at)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "mount tmpfs at {} failed",
            at.display()
        );
        Mount(at)
    }
    fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_directory_fails_with_exit_1_and_keeps_the_old_receipt() {
    let env = Env::new();
    let a = env.file("a.txt", "License A\n\nterms\n");
    let b = env.file("b.txt", "License B\n\nterms\n");
    let dir = env.path("ro");
    let mount = is_root().then(|| Mount::tmpfs(dir.clone(), "size=1m,mode=0755"));
    run(accept_license(&dir, &a)).expect_code(0);
    let before = std::fs::read(dir.join("p.json")).unwrap();
    match &mount {
        Some(mount) => mount.remount_read_only(),
        None => std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap(),
    }
    run(accept_license(&dir, &b))
        .expect_code(1)
        .stderr_has(dir.to_str().unwrap())
        .stderr_has("Read-only");
    assert_eq!(std::fs::read(dir.join("p.json")).unwrap(), before);
    run(verify_license(&dir, &a)).expect_code(0);
}

#[test]
fn a_full_disk_fails_with_exit_1_and_keeps_the_old_receipt() {
    if !is_root() {
        common::not_run("filling a disk needs a tmpfs mount (root); CI runs as root");
        return;
    }
    let env = Env::new();
    let a = env.file("a.txt", "License A\n\nterms\n");
    let b = env.file("b.txt", "License B\n\nterms\n");
    let dir = env.path("full");
    let _mount = Mount::tmpfs(dir.clone(), "size=256k,mode=0755");
    run(accept_license(&dir, &a)).expect_code(0);
    let before = std::fs::read(dir.join("p.json")).unwrap();
    // Fill every block that is left.
    let mut filler = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &block).is_ok() {}
    drop(filler);
    run(accept_license(&dir, &b))
        .expect_code(1)
        .stderr_has("No space left");
    assert_eq!(std::fs::read(dir.join("p.json")).unwrap(), before);
    assert_eq!(
        receipt_files(&dir),
        ["filler", "p.history.jsonl", "p.json", "texts"],
        "a temp file was left behind"
    );
    assert_eq!(
        receipt_files(&dir.join("texts")),
        [format!("{}.txt", hash_of(&env, &a))],
        "a temp file was left behind"
    );
    run(verify_license(&dir, &a)).expect_code(0);
}

// ---- hostile receipts ----

fn valid_receipt(env: &Env) -> Value {
    run(gate(&env.receipts(), &["--accept-eula"])).expect_code(0);
    env.read_receipt("portsip-pbx")
}

/// Re-signs an edited receipt, so that only the edit (not the digest) is judged.
fn resigned(mut receipt: Value) -> Vec<u8> {
    let map = receipt.as_object_mut().unwrap();
    let digest = receipt_digest(map);
    map.insert("digest".into(), Value::String(digest));
    serde_json::to_vec(&receipt).unwrap()
}

fn edited(base: &Value, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut receipt = base.clone();
    edit(&mut receipt);
    resigned(receipt)
}

#[test]
fn hostile_receipts_are_invalid_never_accepted_never_a_panic() {
    let env = Env::new();
    let base = valid_receipt(&env);
    let good = std::fs::read(env.receipt("portsip-pbx")).unwrap();
    let nested = format!("{}{}", "[".repeat(15_000), "]".repeat(15_000));
    let mut non_utf8 = good.clone();
    let at = non_utf8.windows(5).position(|w| w == b"flag\"").unwrap();
    non_utf8[at] = 0xff;
    let with_nul = String::from_utf8(good.clone())
        .unwrap()
        .replacen("flag", "fl\0g", 1);
    let dup_top = String::from_utf8(good.clone())
        .unwrap()
        .replacen("{", "{\"method\":\"env\",", 1);
    let dup_inner = String::from_utf8(good.clone())
        .unwrap()
        .replacen("\"id\"", "\"id\":\"x\",\"id\"", 1);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), "not valid JSON"),
        ("empty", Vec::new(), "not valid JSON"),
        (
            "binary",
            (0..=255u8).cycle().take(3000).collect(),
            "not valid JSON",
        ),
        ("non-UTF-8", non_utf8, "not valid JSON"),
        ("NUL byte", with_nul.into_bytes(), "not valid JSON"),
        ("deeply nested", nested.into_bytes(), "not valid JSON"),
        ("array", b"[1,2,3]".to_vec(), "not a JSON object"),
        (
            "schema as text",
            edited(&base, |r| r["schema"] = "1".into()),
            "unknown schema",
        ),
        (
            "schema 3",
            edited(&base, |r| r["schema"] = 3.into()),
            "unknown schema 3",
        ),
        (
            "schema missing",
            edited(&base, |r| drop(r.as_object_mut().unwrap().remove("schema"))),
            "schema",
        ),
        (
            "other product",
            edited(&base, |r| r["product"] = "other".into()),
            "for product \"other\"",
        ),
        (
            "uid as text",
            edited(&base, |r| r["accepted_by"]["uid"] = "0".into()),
            "uid",
        ),
        (
            "negative uid",
            edited(&base, |r| r["accepted_by"]["uid"] = (-1).into()),
            "uid",
        ),
        (
            "sha256 a number",
            edited(&base, |r| r["license"]["sha256"] = 5.into()),
            "sha256",
        ),
        (
            "sha256 upper-case",
            edited(&base, |r| {
                r["license"]["sha256"] = EMBEDDED_SHA256.to_uppercase().into()
            }),
            "sha256",
        ),
        (
            "license a string",
            edited(&base, |r| r["license"] = "portsip".into()),
            "license",
        ),
        (
            "unknown method",
            edited(&base, |r| r["method"] = "guess".into()),
            "method",
        ),
        (
            "read_to_end a string",
            edited(&base, |r| r["read_to_end"] = "yes".into()),
            "read_to_end",
        ),
        (
            "digest mismatch",
            String::from_utf8(good.clone())
                .unwrap()
                .replace("flag", "env")
                .into_bytes(),
            "digest does not match",
        ),
        (
            "digest missing",
            serde_json::to_vec(&{
                let mut r = base.clone();
                r.as_object_mut().unwrap().remove("digest");
                r
            })
            .unwrap(),
            "digest",
        ),
        ("duplicate top-level key", dup_top.into_bytes(), "duplicate key"),
        ("duplicate inner key", dup_inner.into_bytes(), "duplicate key"),
    ];
    for (name, bytes, says) in cases {
        std::fs::write(env.receipt("portsip-pbx"), &bytes).unwrap();
        let r = run(gate(&env.receipts(), &["verify"]));
        assert_eq!(r.code(), 7, "{name}: {}", r.stderr());
        assert!(
            r.stderr().contains(says),
            "{name}: {:?} lacks {says:?}",
            r.stderr()
        );
        // `accept` treats it as no receipt: it asks (here: nobody to ask), never skips.
        let accept = run(gate(&env.receipts(), &[]));
        assert_eq!(accept.code(), 4, "{name}: accept {}", accept.stderr());
    }
    // Valid and well-formed but for another text: 6; gone: 5.
    std::fs::write(
        env.receipt("portsip-pbx"),
        edited(&base, |r| r["license"]["sha256"] = "0".repeat(64).into()),
    )
    .unwrap();
    run(gate(&env.receipts(), &["verify"])).expect_code(6);
    std::fs::remove_file(env.receipt("portsip-pbx")).unwrap();
    run(gate(&env.receipts(), &["verify"])).expect_code(5);
}

#[test]
fn a_1_gib_receipt_is_refused_within_bounded_memory() {
    let env = Env::new();
    valid_receipt(&env);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(env.receipt("portsip-pbx"))
        .unwrap();
    file.set_len(1 << 30).unwrap(); // sparse: no disk used
    let r = run(gate(&env.receipts(), &["verify"]));
    r.expect_code(7).stderr_has("larger than 64 KiB");
}

#[test]
fn special_files_at_the_receipt_path_are_invalid_and_never_block() {
    let env = Env::new();
    let dir = env.receipts();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("portsip-pbx.json");
    let fifo = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let started = Instant::now();
    run(gate(&dir, &["verify"]))
        .expect_code(7)
        .stderr_has("not a regular file");
    assert!(started.elapsed() < Duration::from_secs(5));
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    run(gate(&dir, &["verify"])).expect_code(7);
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    run(gate(&dir, &["verify"])).expect_code(7);
}

// ---- hostile license files ----

#[test]
fn a_1_gib_license_is_refused_above_the_limit_without_running_out_of_memory() {
    let env = Env::new();
    let path = env.path("huge.txt");
    std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
    let p = path.to_str().unwrap();
    for args in [
        &["hash", "--product", "p", "--license", p][..],
        &["--product", "p", "--license", p, "--accept-eula"],
    ] {
        run(gate(&env.receipts(), args))
            .expect_code(1)
            .stderr_has(p)
            .stderr_has("larger than 32 MiB");
    }
    // /dev/zero never ends: the same bound applies.
    run(gate(
        &env.receipts(),
        &["hash", "--product", "p", "--license", "/dev/zero"],
    ))
    .expect_code(1);
    assert!(!env.receipts().exists());
}

#[test]
fn escape_sequences_in_a_license_are_hashed_as_bytes() {
    let env = Env::new();
    let raw = "Evil\r\n\x1b[31mred\x1b[0m \u{202E}txet\u{202C}\x07\r\n";
    let path = env.file("evil.txt", raw);
    let p = path.to_str().unwrap();
    let digest = hash_of(&env, &path);
    let shown = run(gate(&env.receipts(), &["show", "--product", "p", "--license", p]));
    // Piped, `show` gives the normalized bytes, escapes and all: they are what is hashed.
    assert_eq!(
        shown.stdout(),
        "Evil\n\x1b[31mred\x1b[0m \u{202E}txet\u{202C}\x07\n"
    );
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(&shown.0.stdout)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, expected);
    // The title shown in messages is made harmless.
    let r = run(gate(&env.receipts(), &["--product", "p", "--license", p]));
    r.expect_code(4);
    assert!(!r.stderr().contains('\x1b'));
}

// ---- hostile environment ----

/// Runs as the unprivileged `nobody` when the suite runs as root, so that the
/// non-root defaults (the user's data directory) are what is tested.
fn as_unprivileged(cmd: &mut Command) {
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
}

fn shared_tmp() -> Env {
    let env = Env::new();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(env.path("home"), Some(65534), Some(65534)).unwrap();
    }
    env
}

fn user_gate(env: &Env, args: &[&str], vars: &[(&str, Option<&str>)]) -> Run {
    // A copy that `nobody` can run wherever the checkout lives.
    let program = env.path("eula-gate");
    if !program.exists() {
        std::fs::copy(binary(), &program).unwrap();
    }
    let mut cmd = gate_from(&program, Path::new("/unused"), args);
    cmd.env_remove("EULA_GATE_RECEIPT_DIR")
        .env("HOME", env.path("home"))
        .current_dir(env.tmp.path());
    for (k, v) in vars {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    as_unprivileged(&mut cmd);
    // A concurrent test's fork may briefly hold the fresh copy open for writing.
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20))
            }
            out => {
                let run = Run(out.expect("run eula-gate"));
                assert!(!run.stderr().contains("panicked"), "panic: {}", run.stderr());
                return run;
            }
        }
    }
    panic!("{} stayed busy", program.display());
}

#[test]
fn a_relative_xdg_data_home_is_ignored() {
    let env = shared_tmp();
    user_gate(
        &env,
        &["--accept-eula"],
        &[("XDG_DATA_HOME", Some("relative/data"))],
    )
    .expect_code(0);
    assert!(env.path("home/.local/share/eula-gate/portsip-pbx.json").exists());
    assert!(!env.path("relative").exists());
}

#[test]
fn home_unset_or_nowhere_or_relative_is_a_clear_error_and_writes_nothing_elsewhere() {
    let env = shared_tmp();
    for home in [None, Some("/nonexistent/nowhere"), Some("relative-home")] {
        // With HOME unset the account's home is used: only as `nobody` (home
        // /nonexistent) can that be tried without writing into a real home.
        if home.is_none() && !is_root() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root, so HOME unset is tried"
            );
            eprintln!("HOME unset: not tried (needs root to run as nobody)");
            continue;
        }
        let r = user_gate(&env, &["--accept-eula"], &[("HOME", home)]);
        {
            assert_eq!(r.code(), 1, "HOME={home:?}: {}", r.stderr());
            assert!(
                r.stderr().contains("--receipt-dir"),
                "HOME={home:?}: no next step: {}",
                r.stderr()
            );
        }
    }
    assert!(
        !env.path("relative-home").exists(),
        "wrote relative to the working directory"
    );
    let stray: Vec<_> = walk(env.tmp.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(stray.is_empty(), "receipts written: {stray:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[test]
fn path_tricks_in_product_names_are_usage_errors() {
    let env = Env::new();
    for product in [
        "../../etc/passwd",
        "a/b",
        "..",
        ".",
        "/abs",
        "a\\b",
        "A",
        "-x",
        " p",
    ] {
        for cmd in [&["--accept-eula"][..], &["verify"], &["revoke"]] {
            let mut args = cmd.to_vec();
            args.extend(["--product", product]);
            run(gate(&env.receipts(), &args)).expect_code(2);
        }
    }
    assert!(
        walk(env.tmp.path())
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".json"))
    );
    assert!(!env.receipts().exists());
}

#[test]
fn a_receipt_directory_with_an_owner_check_passes_for_root_owned_0755() {
    if !is_root() {
        common::not_run("the receipt directory's owner is checked as root");
        return;
    }
    let env = Env::new();
    run(gate(&env.receipts(), &["--accept-eula"])).expect_code(0);
    let meta = std::fs::metadata(env.receipts()).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o755));
}
