//! Nothing from outside eula-gate reaches the terminal raw: every path that puts a
//! value into a message is fed ESC, OSC, BEL, C1, a bidirectional override, a line
//! feed and a tab, and its stderr must hold none of them raw, on one line, while
//! still showing the value.

mod common;

use common::{Env, Run, binary, is_root};
use eula_gate::receipt::receipt_digest;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// A well-formed digest of no text.
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Every kind of raw control the contract names, around the visible marker `RED`.
const PAYLOAD: &str = "\x1b[31mRED\x1b]0;TITLE\x07\u{9b}2J\u{202E}rev\ntab\there";

fn gate(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(binary());
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", env.path("home"))
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .args(args)
        .stdin(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run(cmd.output().expect("run eula-gate"))
}

/// Asserts that `run`'s stderr shows the payload (so the path really echoes it) and
/// holds none of its raw controls.
#[track_caller]
fn assert_clean(case: &str, run: &Run, code: i32) {
    let err = run.stderr();
    assert_eq!(run.code(), code, "{case}: {err}");
    assert!(
        err.contains("RED"),
        "{case}: the value is not shown at all: {err:?}"
    );
    for raw in ["\x1b", "\x07", "\u{9b}", "\u{202E}", "rev\n", "\t"] {
        assert!(!err.contains(raw), "{case}: {raw:?} reached stderr raw: {err:?}");
    }
    // Shown visibly: as a Control Picture, or escaped in a quoted form.
    assert!(
        err.contains("\u{241B}[31mRED") || err.contains("\\u001b[31mRED"),
        "{case}: ESC not shown visibly: {err:?}"
    );
}

fn resign(mut receipt: Value) -> Vec<u8> {
    let map = receipt.as_object_mut().unwrap();
    map.remove("digest");
    let digest = receipt_digest(map);
    map.insert("digest".into(), Value::String(digest));
    serde_json::to_vec(&receipt).unwrap()
}

#[test]
fn titles_license_paths_and_receipt_directories_are_shown_on_one_line() {
    let env = Env::new();
    let license = env.file("plain.txt", "A License\n\nterms\n");
    let l = license.to_str().unwrap();
    let base = ["--product", "p", "--license", l, "--title", PAYLOAD];
    assert_clean("title, nobody to ask", &gate(&env, &base, &[]), 4);
    let mut accept = base.to_vec();
    accept.push("--accept-eula");
    assert_clean("title, accepted now", &gate(&env, &accept, &[]), 0);
    assert_clean("title, accepted before", &gate(&env, &accept, &[]), 0);

    // License files whose names carry the payload.
    let dir = env.path("licenses");
    std::fs::create_dir(&dir).unwrap();
    let named = |suffix: &str| dir.join(format!("{PAYLOAD}{suffix}"));
    let missing = named(".missing");
    let as_dir = named(".dir");
    std::fs::create_dir(&as_dir).unwrap();
    let not_utf8 = named(".latin1");
    std::fs::write(&not_utf8, b"Lizenz \xe4\n").unwrap();
    let empty = named(".empty");
    std::fs::write(&empty, b" \n").unwrap();
    let good = named(".txt");
    std::fs::write(&good, b"Good License\n\nterms\n").unwrap();
    let fifo = named(".fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    for (case, path, code) in [
        ("license path, missing", &missing, 1),
        ("license path, a directory", &as_dir, 1),
        ("license path, not UTF-8", &not_utf8, 1),
        ("license path, blank", &empty, 1),
        ("license path, a FIFO", &fifo, 1),
        ("license path in the hint", &good, 4),
    ] {
        let run = gate(
            &env,
            &["--product", "p", "--license", path.to_str().unwrap()],
            &[],
        );
        assert_clean(case, &run, code);
    }

    // Receipt directories whose names carry the payload.
    let receipts = env.path(PAYLOAD);
    let r = receipts.to_str().unwrap();
    assert_clean(
        "receipt dir, no receipt",
        &gate(&env, &["verify", "--receipt-dir", r], &[]),
        5,
    );
    assert_clean(
        "receipt dir, accepted",
        &gate(&env, &["--accept-eula", "--receipt-dir", r], &[]),
        0,
    );
    assert_clean(
        "receipt dir, already",
        &gate(&env, &["--accept-eula", "--receipt-dir", r], &[]),
        0,
    );
    assert_clean(
        "receipt dir, revoked",
        &gate(&env, &["revoke", "--receipt-dir", r], &[]),
        0,
    );
    assert_clean(
        "receipt dir, nothing to revoke",
        &gate(&env, &["revoke", "--receipt-dir", r], &[]),
        0,
    );
    if is_root() {
        std::fs::set_permissions(&receipts, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_clean(
            "receipt dir, refused as unsafe",
            &gate(&env, &["--accept-eula", "--receipt-dir", r], &[]),
            1,
        );
    }
}

#[test]
fn values_read_from_receipts_are_shown_on_one_line() {
    let env = Env::new();
    assert_eq!(gate(&env, &["--accept-eula"], &[]).code(), 0);
    let base: Value = env.read_receipt("portsip-pbx");
    let path = env.receipt("portsip-pbx");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut r = base.clone();
        edit(&mut r);
        resign(r)
    };
    let cases: Vec<(&str, Vec<u8>, &[&str], i32)> = vec![
        (
            "product",
            with(&|r| r["product"] = PAYLOAD.into()),
            &["verify"],
            7,
        ),
        ("method", with(&|r| r["method"] = PAYLOAD.into()), &["verify"], 7),
        ("schema", with(&|r| r["schema"] = PAYLOAD.into()), &["verify"], 7),
        (
            "accepted_at, accepted before",
            with(&|r| r["accepted_at"] = PAYLOAD.into()),
            &["--accept-eula"],
            0,
        ),
        (
            "accepted_at, license changed",
            with(&|r| r["accepted_at"] = PAYLOAD.into()),
            &["verify", "--sha256", ZEROS],
            6,
        ),
        (
            "json key in a parse error",
            {
                let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
                let key = serde_json::to_string(PAYLOAD).unwrap();
                text.replacen('{', &format!("{{{key}:1,{key}:2,"), 1).into_bytes()
            },
            &["verify"],
            7,
        ),
    ];
    for (case, bytes, args, code) in cases {
        std::fs::write(&path, &bytes).unwrap();
        assert_clean(case, &gate(&env, args, &[]), code);
    }
}

#[test]
fn environment_values_and_arguments_are_shown_on_one_line() {
    let env = Env::new();
    assert_clean(
        "EULA_GATE_ACCEPT",
        &gate(&env, &[], &[("EULA_GATE_ACCEPT", PAYLOAD)]),
        4,
    );
    assert_clean(
        "EULA_GATE_RECEIPT_DIR",
        &gate(
            &env,
            &["verify"],
            &[("EULA_GATE_RECEIPT_DIR", &format!("/nonexistent/{PAYLOAD}"))],
        ),
        5,
    );
    let digest_arg = format!("--accept-eula={PAYLOAD}");
    let option = format!("--{PAYLOAD}");
    for (case, args) in [
        ("--product", &["--product", PAYLOAD][..]),
        ("--accept-eula=", &[digest_arg.as_str()]),
        ("verify --sha256", &["verify", "--sha256", PAYLOAD]),
        ("unknown option", &[option.as_str()]),
        ("unknown subcommand", &[PAYLOAD]),
        ("completions value", &["completions", PAYLOAD]),
    ] {
        assert_clean(case, &gate(&env, args, &[]), 2);
    }
}

#[test]
fn a_data_directory_from_home_is_shown_on_one_line() {
    let env = Env::new();
    // Not root: root's receipts live in /var/lib/eula-gate whatever HOME says.
    let program = env.path("eula-gate");
    std::fs::copy(binary(), &program).unwrap();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = Command::new(&program);
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", format!("relative/{PAYLOAD}"))
        .arg("--accept-eula")
        .current_dir(env.tmp.path())
        .stdin(Stdio::null());
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    let run = Run(cmd.output().unwrap());
    assert_clean("HOME", &run, 1);
    assert!(!Path::new(&env.path("relative")).exists());
}
