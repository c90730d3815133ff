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
        // Not a timestamp, so the receipt is invalid, and the reason shows the value.
        (
            "accepted_at",
            with(&|r| r["accepted_at"] = PAYLOAD.into()),
            &["verify"],
            7,
        ),
        (
            "accepted_at, another digest expected",
            with(&|r| r["accepted_at"] = PAYLOAD.into()),
            &["verify", "--sha256", ZEROS],
            7,
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

/// PAYLOAD and the rest of what a terminal acts on: NEL and CSI (C1), DEL, the line
/// and paragraph separators, a bidi isolate.
const JSON_PAYLOAD: &str =
    "\x1b[31mRED\x1b]0;TITLE\x07\u{9b}2J\u{85}\u{202E}rev\ntab\there\u{2028}\u{2029}\x7f\u{2066}";

/// Asserts that `run` printed one JSON object on stdout in which nothing can act on a
/// terminal, and returns it decoded: escapes keep the values exact.
#[track_caller]
fn json_clean(case: &str, run: &Run, code: i32) -> Value {
    let out = run.stdout();
    assert_eq!(run.code(), code, "{case}: {out} {}", run.stderr());
    assert_eq!(run.stderr(), "", "{case}: --json speaks only JSON");
    let body = out
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{case}: no final newline: {out:?}"));
    let raw: Vec<char> = body
        .chars()
        .filter(|c| !eula_gate::license::is_shown_as_is(*c))
        .collect();
    assert!(raw.is_empty(), "{case}: {raw:?} reached stdout raw: {out:?}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{case}: not JSON ({e}): {out}"))
}

#[test]
fn verify_json_escapes_every_value_from_a_receipt_and_keeps_it_exact() {
    let env = Env::new();
    assert_eq!(gate(&env, &["--accept-eula"], &[]).code(), 0);
    let base: Value = env.read_receipt("portsip-pbx");
    let path = env.receipt("portsip-pbx");
    let with = |key: &str| {
        let mut r = base.clone();
        r[key] = JSON_PAYLOAD.into();
        resign(r)
    };
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    let key = serde_json::to_string(JSON_PAYLOAD).unwrap();
    let duplicate_key = text.replacen('{', &format!("{{{key}:1,{key}:2,"), 1).into_bytes();
    for (case, bytes) in [
        ("product", with("product")),
        ("method", with("method")),
        ("schema", with("schema")),
        ("accepted_at", with("accepted_at")),
        ("json key in a parse error", duplicate_key),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        for args in [&["verify", "--json"][..], &["verify", "--json", "--quiet"]] {
            let report = json_clean(case, &gate(&env, args, &[]), 7);
            assert_eq!(report["status"], "invalid", "{case}");
            let reason = report["reason"].as_str().unwrap_or_default();
            // As it is, or as the JSON text that held it (a schema that is no string).
            assert!(
                reason.contains(JSON_PAYLOAD) || reason.contains(&key),
                "{case}: reason {reason:?}"
            );
            assert!(report["message"].as_str().unwrap_or_default().contains("RED"));
        }
    }
    // A valid receipt: its date and method are copied as they are.
    std::fs::write(&path, resign(base.clone())).unwrap();
    let report = json_clean("valid", &gate(&env, &["verify", "--json"], &[]), 0);
    assert_eq!(report["accepted_at"], base["accepted_at"]);
    assert_eq!(report["method"], "flag");

    // A receipt directory whose name carries the payload.
    let dir = env.path(JSON_PAYLOAD);
    let report = json_clean(
        "receipt dir",
        &gate(
            &env,
            &["verify", "--json", "--receipt-dir", dir.to_str().unwrap()],
            &[],
        ),
        5,
    );
    assert_eq!(report["receipt"], dir.join("portsip-pbx.json").to_str().unwrap());
}

#[test]
fn arguments_clap_quotes_in_pieces_are_shown_on_one_line() {
    let env = Env::new();
    let long = format!("--fo{PAYLOAD}o=x");
    let short_in_verify = format!("-q{PAYLOAD}z");
    let dash = format!("-{PAYLOAD}ab");
    for (case, args, shown) in [
        (
            "long option with a line feed",
            &["--fo\no=x"][..],
            "'--fo\u{2424}o'",
        ),
        (
            "short options with a line feed",
            &["verify", "-q\nz"],
            "'-\u{2424}'",
        ),
        ("a dash and a line feed", &["-\nab"], "'-\u{2424}'"),
        ("a tab in an option", &["--a\tb"], "'--a\u{2409}b'"),
        (
            "long option with the payload",
            &[long.as_str()],
            "'--fo\u{241B}[31mRED",
        ),
        (
            "short options with the payload",
            &["verify", short_in_verify.as_str()],
            "'-\u{241B}'",
        ),
        ("a dash and the payload", &[dash.as_str()], "'-\u{241B}'"),
        (
            "a value with a line feed",
            &["completions", "ba\nsh"],
            "'ba\u{2424}sh'",
        ),
    ] {
        let run = gate(&env, args, &[]);
        let err = run.stderr();
        assert_eq!(run.code(), 2, "{case}: {err}");
        for raw in ["\x1b", "\x07", "\u{9b}", "\u{202E}", "\t", "\r"] {
            assert!(!err.contains(raw), "{case}: {raw:?} reached stderr raw: {err:?}");
        }
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(shown),
            "{case}: the argument is not shown on the error line: {err:?}"
        );
        // Every line is clap's own: an argument's line feed would start another.
        for line in err.lines() {
            assert!(
                line.is_empty()
                    || [
                        "error: ",
                        "Usage: eula-gate",
                        "       eula-gate",
                        "For more information",
                        "  tip: ",
                        "  [possible values: "
                    ]
                    .iter()
                    .any(|p| line.starts_with(p)),
                "{case}: a line that is not clap's: {line:?} in {err:?}"
            );
        }
    }
}

#[test]
fn the_program_name_is_never_echoed() {
    let env = Env::new();
    let evil = "/x/ev\nil\x1b]0;PWNED\x07\x1b[31m";
    for (args, code) in [
        (&["--help"][..], 0),
        (&["verify", "--help"], 0),
        (&["--bogus"], 2),
        (&["verify", "--bogus"], 2),
        (&["--version"], 0),
    ] {
        let mut cmd = Command::new(binary());
        for var in common::GATE_VARS {
            cmd.env_remove(var);
        }
        cmd.arg0(evil)
            .env("EULA_GATE_RECEIPT_DIR", env.receipts())
            .args(args)
            .stdin(Stdio::null());
        let run = Run(cmd.output().unwrap());
        assert_eq!(run.code(), code, "{args:?}: {}", run.stderr());
        let all = run.stdout() + &run.stderr();
        assert!(
            !all.contains("PWNED") && !all.contains("ev\n") && !all.contains('\x1b') && !all.contains('\x07'),
            "{args:?}: the program name was echoed: {all:?}"
        );
        if args != ["--version"] {
            assert!(all.contains("Usage: eula-gate"), "{args:?}: {all}");
        }
    }
}
