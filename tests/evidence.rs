//! Consent evidence: receipt schema 2 (checked against the JSON Schema in assets/ by a
//! real validator), organisation policies and their trust rule, `list`, the hash-
//! chained history, kept texts and `diff`.

mod common;

use common::{EMBEDDED_SHA256, Env, is_root};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/schema/receipt.schema.json");

/// Validates every file in `receipts` with python3-jsonschema against the receipt
/// schema; returns the errors, one line per invalid file.
fn schema_errors(receipts: &[PathBuf]) -> String {
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    if errors:
        print(path, "; ".join(e.message for e in errors))
"#;
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(SCHEMA)
        .args(receipts)
        .output()
        .expect("python3 (with python3-jsonschema, which .ci/run installs)");
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn policy_json(product: &str, sha256: &str, approver: &str, reference: &str) -> String {
    serde_json::json!({
        "schema": 1, "product": product, "sha256": sha256,
        "approved_by": approver, "reference": reference,
    })
    .to_string()
}

/// A policy directory only root (or the test's user) can write, with `files`.
fn policy_dir(env: &Env, files: &[(&str, String)]) -> PathBuf {
    let dir = env.path("policy.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in files {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn every_kind_of_receipt_matches_the_json_schema_and_an_edited_one_does_not() {
    let env = Env::new();
    let mut receipts = Vec::new();
    let mut keep = |env: &Env, product: &str, name: &str| {
        let copy = env.path(name);
        std::fs::copy(env.receipt(product), &copy).unwrap();
        receipts.push(copy);
    };
    // flag, with a context; then replaced (supersedes), under sudo.
    env.run(&["--accept-eula", "--context", "docker-build"])
        .expect_code(0);
    keep(&env, "portsip-pbx", "flag.json");
    env.run(&["revoke"]).expect_code(0);
    env.run(&["--accept-eula"]).expect_code(0);
    let license = env.file("acme.txt", "Acme EULA\n\nFirst terms.\n");
    let acme = ["--product", "acme", "--license", s(&license)];
    env.run_env(
        &[&acme[..], &["--context", "rpm"]].concat(),
        &[("EULA_GATE_ACCEPT", "acme")],
    )
    .expect_code(0);
    keep(&env, "acme", "env.json");
    std::fs::write(&license, "Acme EULA\n\nSecond terms.\n").unwrap();
    env.run_env(&[&acme[..], &["--accept-eula"]].concat(), &[("SUDO_UID", "0")])
        .expect_code(0);
    keep(&env, "acme", "supersedes.json");
    let replaced = env.read_receipt("acme");
    assert!(replaced["supersedes"].as_str().is_some_and(|d| d.len() == 64));
    // policy
    let hash = env
        .run(&["hash", "--product", "acme", "--license", s(&license)])
        .stdout();
    std::fs::write(&license, "Acme EULA\n\nThird terms.\n").unwrap();
    let third = env
        .run(&["hash", "--product", "acme", "--license", s(&license)])
        .stdout();
    let dir = policy_dir(
        &env,
        &[(
            "acme.json",
            policy_json("acme", third.trim(), "Jane Doe", "LEGAL-1"),
        )],
    );
    env.run(&[&acme[..], &["--policy-dir", s(&dir)]].concat())
        .expect_code(0);
    keep(&env, "acme", "policy.json");
    assert_ne!(hash, third);
    // A schema 1 receipt (as eula-gate 0.1 wrote it) is described too.
    let v1 = env.file(
        "v1.json",
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/receipt-schema-1.json"
        ))
        .unwrap(),
    );
    receipts.push(v1.clone());
    assert_eq!(schema_errors(&receipts), "");
    // The validator is not a rubber stamp: an edited receipt fails.
    let mut edited: Value = serde_json::from_slice(&std::fs::read(&receipts[0]).unwrap()).unwrap();
    edited["method"] = "policy".into();
    edited["receipt_id"] = "not-a-uuid".into();
    let bad = env.file("bad.json", edited.to_string());
    let errors = schema_errors(&[bad]);
    assert!(
        errors.contains("not-a-uuid") && errors.contains("policy"),
        "{errors}"
    );
    // A final line feed after a value is refused, as verify refuses it (Python's `$`
    // also matches before one).
    for (field, value) in [
        ("accepted_at", "2026-11-30T02:22:06Z\n"),
        ("receipt_id", "0b7e6a3c-5d1f-4b2a-9c8d-7e6f5a4b3c2d\n"),
        ("product", "portsip-pbx\n"),
        ("context", "rpm\n"),
    ] {
        let mut edited: Value = serde_json::from_slice(&std::fs::read(&receipts[0]).unwrap()).unwrap();
        edited[field] = value.into();
        let bad = env.file("bad.json", edited.to_string());
        assert_ne!(schema_errors(&[bad]), "", "{field} with a final line feed passed");
    }
}

#[test]
fn the_schema_1_sample_still_verifies() {
    let env = Env::new();
    std::fs::create_dir_all(env.receipts()).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/receipt-schema-1.json"),
        env.receipt("portsip-pbx"),
    )
    .unwrap();
    env.run(&["verify"]).expect_code(0);
    let list = env.run(&["list", "--json"]).expect_code(0).stdout();
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["status"], "accepted");
}

#[test]
fn sudo_is_recorded_only_for_a_real_account() {
    let env = Env::new();
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    let other = if me == 0 { "65534" } else { "0" };
    env.run_env(
        &["--accept-eula"],
        &[("SUDO_UID", other), ("SUDO_USER", "mallory")],
    )
    .expect_code(0);
    let by = env.read_receipt("portsip-pbx")["accepted_by"].clone();
    assert_eq!(by["sudo_uid"].as_u64(), Some(other.parse().unwrap()));
    assert_ne!(
        by["sudo_user"], "mallory",
        "the name comes from the account database"
    );
    for bogus in ["4000000000", "-1", "abc", ""] {
        env.run(&["revoke"]).expect_code(0);
        env.run_env(
            &["--accept-eula"],
            &[("SUDO_UID", bogus), ("SUDO_USER", "mallory")],
        )
        .expect_code(0);
        let by = env.read_receipt("portsip-pbx")["accepted_by"].clone();
        assert!(
            by.get("sudo_user").is_none() && by.get("sudo_uid").is_none(),
            "{bogus}: {by}"
        );
    }
}

#[test]
fn the_machine_id_is_systemds_application_specific_id_never_the_raw_one() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let host = env.read_receipt("portsip-pbx")["host"].clone();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(host["hostname"], hostname.trim());
    let Ok(raw) = std::fs::read_to_string("/etc/machine-id") else {
        assert!(host.get("machine_id").is_none());
        return;
    };
    assert_ne!(host["machine_id"], raw.trim());
    let systemd = Command::new("systemd-id128")
        .args(["machine-id", "--app-specific=3d9e9aea15dc49089eb112f6de78f066"])
        .output()
        .expect("systemd-id128 (systemd, which .ci/run installs)");
    assert_eq!(
        host["machine_id"],
        String::from_utf8_lossy(&systemd.stdout).trim()
    );
}

#[test]
fn a_policy_for_this_text_is_consent_with_its_approver_and_reference() {
    let env = Env::new();
    let dir = policy_dir(
        &env,
        &[(
            "pbx.json",
            policy_json(
                "portsip-pbx",
                EMBEDDED_SHA256,
                "Jane Doe <legal@example.com>",
                "LEGAL-1234",
            ),
        )],
    );
    let r = env.run(&["--policy-dir", s(&dir), "--context", "ansible"]);
    r.expect_code(0).stderr_has("(policy)");
    let receipt = env.read_receipt("portsip-pbx");
    assert_eq!(receipt["method"], "policy");
    assert_eq!(receipt["context"], "ansible");
    assert_eq!(receipt["policy"]["approved_by"], "Jane Doe <legal@example.com>");
    assert_eq!(receipt["policy"]["reference"], "LEGAL-1234");
    assert_eq!(receipt["policy"]["file"], s(&dir.join("pbx.json")));
    // The same through the environment variable.
    env.run(&["revoke"]).expect_code(0);
    env.run_env(&[], &[("EULA_GATE_POLICY_DIR", s(&dir))])
        .expect_code(0);
    // `hash --policy` writes a policy that the gate takes as it is.
    let other = Env::new();
    let made = other.run(&["hash", "--policy", "--approved-by", "Ann", "--reference", "R-9"]);
    let dir = policy_dir(&other, &[("made.json", made.expect_code(0).stdout())]);
    other
        .run(&["--policy-dir", s(&dir)])
        .expect_code(0)
        .stderr_has("(policy)");
    other
        .run(&["hash", "--policy", "--approved-by", "Ann"])
        .expect_code(2)
        .stderr_has("--reference");
}

#[test]
fn a_policy_for_an_earlier_text_is_not_consent_and_says_how_to_see_the_changes() {
    let env = Env::new();
    let old = "0".repeat(64);
    let dir = policy_dir(
        &env,
        &[("pbx.json", policy_json("portsip-pbx", &old, "Jane", "LEGAL-1"))],
    );
    let r = env.run(&["--policy-dir", s(&dir)]);
    r.expect_code(4)
        .stderr_has("pins another text")
        .stderr_has(&old)
        .stderr_has(EMBEDDED_SHA256)
        .stderr_has(&format!("`eula-gate diff --from {old}`"));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn policies_that_others_could_write_are_ignored_with_a_warning() {
    if !is_root() {
        common::not_run("policy trust as root needs root (CI runs as root)");
        return;
    }
    let env = Env::new();
    let good = policy_json("portsip-pbx", EMBEDDED_SHA256, "Jane", "LEGAL-1");
    // A file others may write.
    let dir = policy_dir(&env, &[("pbx.json", good.clone())]);
    std::fs::set_permissions(dir.join("pbx.json"), std::fs::Permissions::from_mode(0o666)).unwrap();
    env.run(&["--policy-dir", s(&dir)])
        .expect_code(4)
        .stderr_has("ignoring the policy")
        .stderr_has("lets group or others change it");
    // A file another user owns.
    std::fs::set_permissions(dir.join("pbx.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::chown(dir.join("pbx.json"), Some(4242), Some(4242)).unwrap();
    env.run(&["--policy-dir", s(&dir)])
        .expect_code(4)
        .stderr_has("owned by uid 4242");
    // A directory others may write, or a link to the policy.
    std::os::unix::fs::chown(dir.join("pbx.json"), Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    env.run(&["--policy-dir", s(&dir)])
        .expect_code(4)
        .stderr_has("ignoring the policies in");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(dir.join("pbx.json"), env.path("elsewhere.json")).unwrap();
    std::os::unix::fs::symlink(env.path("elsewhere.json"), dir.join("pbx.json")).unwrap();
    env.run(&["--policy-dir", s(&dir)])
        .expect_code(4)
        .stderr_has("not a regular file");
    // Put right, the same policy counts.
    std::fs::remove_file(dir.join("pbx.json")).unwrap();
    std::fs::rename(env.path("elsewhere.json"), dir.join("pbx.json")).unwrap();
    env.run(&["--policy-dir", s(&dir)]).expect_code(0);
}

#[test]
fn list_and_history_show_each_value_on_one_line() {
    // A receipt (or history) someone else wrote must not show rows that are not there.
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let mut receipt = env.read_receipt("portsip-pbx");
    receipt.as_object_mut().unwrap().remove("digest");
    receipt["product"] = "zeta".into();
    receipt["method"] = "flag\naccepted  fake-product  a47b50dbf693 interactive\tx".into();
    // A sound digest, so that the reason (an unknown method) quotes the value.
    let digest = eula_gate::receipt::receipt_digest(receipt.as_object().unwrap());
    receipt["digest"] = digest.into();
    std::fs::write(env.receipt("zeta"), receipt.to_string()).unwrap();
    let table = env.run(&["list"]).expect_code(0).stdout();
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(!table.contains('\t'), "{table}");
    let path = env.receipts().join("portsip-pbx.history.jsonl");
    let line = std::fs::read_to_string(&path).unwrap();
    let mut event: Value = serde_json::from_str(line.trim()).unwrap();
    event["user"] = "mal\t\tX\n2026-01-01T00:00:00Z  accepted".into();
    std::fs::write(&path, format!("{event}\n")).unwrap();
    let shown = env.run(&["history"]).expect_code(0).stdout();
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.contains('\u{2424}') && !shown.contains('\t'), "{shown}");
}

#[test]
fn list_reports_each_receipt_with_its_status() {
    let env = Env::new();
    env.run(&["--accept-eula", "--context", "install.sh"])
        .expect_code(0);
    let license = env.file("acme.txt", "Acme EULA\n\nTerms.\n");
    env.run(&["--product", "acme", "--license", s(&license), "--accept-eula"])
        .expect_code(0);
    // An embedded-product receipt for another text: license-changed.
    let old = env.path("old");
    let other = env.file("other.txt", "Other\n\nwords\n");
    env.run(&[
        "--product",
        "portsip-pbx",
        "--license",
        s(&other),
        "--accept-eula",
        "--receipt-dir",
        s(&old),
    ])
    .expect_code(0);
    std::fs::copy(old.join("portsip-pbx.json"), env.receipt("copy")).unwrap();
    let json = env.run(&["list", "--json"]).expect_code(0).stdout();
    let list: Value = serde_json::from_str(&json).unwrap();
    let status = |product: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["product"] == product)
            .map(|e| e["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("portsip-pbx").as_deref(), Some("accepted"));
    assert_eq!(status("acme").as_deref(), Some("valid"));
    assert_eq!(status("copy").as_deref(), Some("invalid"), "{json}");
    let pbx = &list.as_array().unwrap()[list
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["product"] == "portsip-pbx")
        .unwrap()];
    assert_eq!(pbx["context"], "install.sh");
    assert_eq!(pbx["method"], "flag");
    assert_eq!(pbx["scope"], "dir");
    let changed = env
        .run(&["list", "--json", "--receipt-dir", s(&old)])
        .expect_code(0)
        .stdout();
    assert!(changed.contains("\"status\":\"license-changed\""), "{changed}");
    let table = env.run(&["list"]).expect_code(0).stdout();
    assert!(table.starts_with("STATUS"), "{table}");
    assert!(
        table.contains("accepted") && table.contains("a47b50dbf693"),
        "{table}"
    );
}

#[test]
fn history_records_accept_and_revoke_in_a_chain_that_check_verifies() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["revoke"]).expect_code(0);
    env.run_env(&[], &[("EULA_GATE_ACCEPT", "portsip-pbx")])
        .expect_code(0);
    let json = env.run(&["history", "--json"]).expect_code(0).stdout();
    let events: Value = serde_json::from_str(&json).unwrap();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["accepted", "withdrawn", "accepted"]);
    assert_eq!(events[0]["prev"], Value::Null);
    assert_eq!(events[2]["method"], "env");
    assert_eq!(events[1]["license_sha256"], EMBEDDED_SHA256);
    let receipt = env.read_receipt("portsip-pbx");
    assert_eq!(events[2]["receipt_digest"], receipt["digest"]);
    env.run(&["history", "--check"])
        .expect_code(0)
        .stderr_has("intact: 3 events");
    // The history and the kept text stay after a revoke.
    env.run(&["revoke"]).expect_code(0);
    assert!(
        env.receipts()
            .join("texts")
            .join(format!("{EMBEDDED_SHA256}.txt"))
            .exists()
    );
    // Lines removed from the end: the chain alone cannot tell, the receipt can.
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["history", "--check"]).expect_code(0);
    let path = env.receipts().join("portsip-pbx.history.jsonl");
    let full = std::fs::read_to_string(&path).unwrap();
    let cut: String = full.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, &cut).unwrap();
    env.run(&["history", "--check"])
        .expect_code(7)
        .stderr_has("does not end with the acceptance that wrote the current receipt");
    // Dropping the last line feed does not make a whole event a torn line to cut off.
    std::fs::write(&path, full.trim_end_matches('\n')).unwrap();
    env.run(&["history", "--check"])
        .expect_code(0)
        .stderr_has("intact: 5 events");
    env.run(&["revoke"]).expect_code(0);
    env.run(&["history", "--check"])
        .expect_code(0)
        .stderr_has("intact: 6 events");
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["revoke"]).expect_code(0);
    // A changed line breaks the chain there: exit 7 naming the line.
    let path = env.receipts().join("portsip-pbx.history.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"env\"", "\"flag\"", 1)).unwrap();
    env.run(&["history", "--check"])
        .expect_code(7)
        .stderr_has("line 4");
    // A torn last line (a crash during an append) is noted, and the next append cuts it.
    std::fs::write(&path, format!("{text}{{\"event\":\"acc")).unwrap();
    env.run(&["history", "--check"]).expect_code(0).stderr_has("torn");
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["history", "--check"])
        .expect_code(0)
        .stderr_has("intact: 9 events");
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(!after.contains("{\"event\":\"acc\n") && after.ends_with('\n'));
}

#[test]
fn diff_shows_word_changes_plainly_when_piped_and_exit_5_without_a_kept_text() {
    let env = Env::new();
    let license = env.file("acme.txt", "Acme EULA\n\nYou may use the software.\n");
    let acme = ["--product", "acme", "--license", s(&license)];
    env.run(&["diff", "--product", "acme", "--license", s(&license)])
        .expect_code(5)
        .stderr_has("no valid receipt");
    env.run(&[&acme[..], &["--accept-eula"]].concat()).expect_code(0);
    env.run(&["diff", "--product", "acme", "--license", s(&license)])
        .expect_code(0)
        .stderr_has("no changes");
    std::fs::write(&license, "Acme EULA\n\nYou may not use the software.\n").unwrap();
    let r = env.run(&["diff", "--product", "acme", "--license", s(&license)]);
    r.expect_code(0).stderr_has("0 words removed, 1 added");
    assert_eq!(
        r.stdout(),
        "@@ line 2 (was 2) @@\n\nYou may {+not +}use the software.\n"
    );
    let from = "1".repeat(64);
    env.run(&[
        "diff",
        "--product",
        "acme",
        "--license",
        s(&license),
        "--from",
        &from,
    ])
    .expect_code(5)
    .stderr_has("no copy of the text");
}

#[test]
fn a_changed_kept_text_is_never_shown_as_the_accepted_one_and_is_rewritten() {
    let env = Env::new();
    let license = env.file("acme.txt", "Acme EULA\n\nYou may use it.\n");
    let acme = ["--product", "acme", "--license", s(&license)];
    env.run(&[&acme[..], &["--accept-eula"]].concat()).expect_code(0);
    let old = env.run(&["hash", "--license", s(&license)]).stdout();
    let kept = env.receipts().join("texts").join(format!("{}.txt", old.trim()));
    std::fs::write(&kept, "Acme EULA\n\nYou may use it, and we may sell your data.\n").unwrap();
    std::fs::write(&license, "Acme EULA\n\nYou may not use it.\n").unwrap();
    env.run(&["diff", "--product", "acme", "--license", s(&license)])
        .expect_code(5)
        .stderr_has("no copy of the text");
    // Accepting that text again puts the true copy back.
    std::fs::write(&license, "Acme EULA\n\nYou may use it.\n").unwrap();
    env.run(&["revoke", "--product", "acme"]).expect_code(0);
    env.run(&[&acme[..], &["--accept-eula"]].concat()).expect_code(0);
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "Acme EULA\n\nYou may use it.\n"
    );
}
