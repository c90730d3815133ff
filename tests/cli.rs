//! End-to-end tests of the real binary in temporary directories, one contract rule each.

mod common;

use common::{EMBEDDED_SHA256, EMBEDDED_TEXT, Env, python_receipt_digest_ok};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn hash_prints_the_contract_digest_of_the_embedded_license() {
    let env = Env::new();
    let run = env.run(&["hash"]);
    run.expect_code(0);
    assert_eq!(run.stdout(), format!("{EMBEDDED_SHA256}\n"));
    assert_eq!(run.stderr(), "");
}

#[test]
fn show_prints_the_text_that_hashes_to_the_digest() {
    let env = Env::new();
    let run = env.run(&["show"]);
    run.expect_code(0);
    assert_eq!(run.stdout(), EMBEDDED_TEXT);
    assert_eq!(sha256_of(run.0.stdout.as_slice()), EMBEDDED_SHA256);
}

#[test]
fn without_a_terminal_accept_exits_4_at_once_and_says_how_to_accept() {
    let env = Env::new();
    let started = Instant::now();
    let run = env.run(&[]);
    run.expect_code(4)
        .stderr_has("PortSIP Software End-User License Agreement")
        .stderr_has("eula-gate show")
        .stderr_has("--accept-eula")
        .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(run.stdout(), "", "stdout carries only requested data");
    assert!(!env.receipt("portsip-pbx").exists());
    env.run(&["accept", "--non-interactive"]).expect_code(4);
}

#[test]
fn accept_eula_writes_a_complete_receipt_that_verify_accepts_silently() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0).stderr_has("receipt");
    let receipt = env.read_receipt("portsip-pbx");
    assert_eq!(receipt["schema"], 2);
    assert_eq!(receipt["product"], "portsip-pbx");
    assert_eq!(receipt["license"]["id"], "portsip-eula");
    assert_eq!(
        receipt["license"]["title"],
        "PortSIP Software End-User License Agreement"
    );
    assert_eq!(receipt["license"]["sha256"], EMBEDDED_SHA256);
    assert_eq!(receipt["method"], "flag");
    assert_eq!(receipt["tool_version"], env!("CARGO_PKG_VERSION"));
    // SAFETY: getuid has no preconditions.
    assert_eq!(receipt["accepted_by"]["uid"], unsafe { libc::getuid() });
    let at = receipt["accepted_at"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&env.receipt("portsip-pbx")), 0o644);
    assert_eq!(mode(&env.receipts()), 0o755);
    let verify = env.run(&["verify"]);
    verify.expect_code(0);
    assert_eq!((verify.stdout(), verify.stderr()), (String::new(), String::new()));
}

#[test]
fn accepted_by_comes_from_the_os_not_from_user() {
    let env = Env::new();
    env.run_env(&["--accept-eula"], &[("USER", "mallory"), ("LOGNAME", "mallory")])
        .expect_code(0);
    assert_ne!(env.read_receipt("portsip-pbx")["accepted_by"]["user"], "mallory");
}

#[test]
fn the_receipt_digest_is_reproducible_with_python() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    assert!(python_receipt_digest_ok(&env.receipt("portsip-pbx")));
    // Non-ASCII in the receipt (a title) must be hashed as is, like ensure_ascii=False.
    let license = env.file("l.txt", "Lizenzvertrag für Zoë — 許諾\n\nBedingungen.\n");
    env.run(&[
        "--product",
        "zoe",
        "--license",
        license.to_str().unwrap(),
        "--accept-eula",
    ])
    .expect_code(0);
    assert_eq!(
        env.read_receipt("zoe")["license"]["title"],
        "Lizenzvertrag für Zoë — 許諾"
    );
    assert!(python_receipt_digest_ok(&env.receipt("zoe")));
}

#[test]
fn a_valid_receipt_makes_accept_exit_0_at_once_and_leaves_it_untouched() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let before = std::fs::read(env.receipt("portsip-pbx")).unwrap();
    env.run(&[]).expect_code(0).stderr_has("already accepted");
    env.run(&["--accept-eula"])
        .expect_code(0)
        .stderr_has("already accepted");
    assert_eq!(std::fs::read(env.receipt("portsip-pbx")).unwrap(), before);
}

#[test]
fn a_pinned_digest_accepts_only_its_own_text() {
    let env = Env::new();
    let wrong = "1".repeat(64);
    env.run(&[&format!("--accept-eula={wrong}")])
        .expect_code(6)
        .stderr_has(EMBEDDED_SHA256);
    assert!(!env.receipt("portsip-pbx").exists());
    env.run(&["--accept-eula=not-hex"]).expect_code(2);
    assert!(!env.receipt("portsip-pbx").exists());
    env.run(&[&format!("--accept-eula={}", EMBEDDED_SHA256.to_uppercase())])
        .expect_code(0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "flag");
}

#[test]
fn an_env_list_naming_the_product_is_consent() {
    let env = Env::new();
    env.run_env(&[], &[("EULA_GATE_ACCEPT", "other-product, portsip-pbx")])
        .expect_code(0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "env");
}

#[test]
fn an_env_value_not_naming_the_product_is_never_consent() {
    for value in ["yes", "Y", "true", "1", "other-product", "portsip-pbx-demo"] {
        let env = Env::new();
        env.run_env(&[], &[("EULA_GATE_ACCEPT", value)])
            .expect_code(4)
            .stderr_has("warning")
            .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
        assert!(!env.receipt("portsip-pbx").exists(), "{value} bound someone");
    }
}

#[test]
fn the_flag_comes_before_the_environment() {
    let env = Env::new();
    env.run_env(&["--accept-eula"], &[("EULA_GATE_ACCEPT", "portsip-pbx")])
        .expect_code(0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "flag");
}

#[test]
fn verify_without_a_receipt_exits_5_and_says_how_to_accept() {
    let env = Env::new();
    env.run(&["verify"])
        .expect_code(5)
        .stderr_has("eula-gate --accept-eula");
    let quiet = env.run(&["verify", "--quiet"]);
    quiet.expect_code(5);
    assert_eq!((quiet.stdout(), quiet.stderr()), (String::new(), String::new()));
}

#[test]
fn a_changed_license_exits_6_naming_the_date_and_the_next_step() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let date = env.read_receipt("portsip-pbx")["accepted_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = env.file("changed.txt", EMBEDDED_TEXT.replacen("WARRANTY", "WARRANTIES", 1));
    let args = [
        "verify",
        "--product",
        "portsip-pbx",
        "--license",
        changed.to_str().unwrap(),
    ];
    env.run(&args)
        .expect_code(6)
        .stderr_has(&format!("changed since it was accepted on {date}"));
    // The same text saved on Windows with a BOM and trailing blanks is the same license.
    let windows = format!("\u{FEFF}{}", EMBEDDED_TEXT.replace('\n', "  \r\n"));
    let same = env.file("same.txt", windows);
    env.run(&[
        "verify",
        "--product",
        "portsip-pbx",
        "--license",
        same.to_str().unwrap(),
    ])
    .expect_code(0);
}

#[test]
fn verify_sha256_checks_against_a_pinned_digest() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["verify", "--sha256", EMBEDDED_SHA256]).expect_code(0);
    env.run(&["verify", "--sha256", &"a".repeat(64)]).expect_code(6);
    env.run(&["verify", "--sha256", "abc"]).expect_code(2);
    env.run(&[
        "verify",
        "--sha256",
        EMBEDDED_SHA256,
        "--license",
        "x",
        "--product",
        "x",
    ])
    .expect_code(2);
}

#[test]
fn verify_json_reports_each_status() {
    let env = Env::new();
    let json = |run: &common::Run| -> serde_json::Value { serde_json::from_str(&run.stdout()).unwrap() };
    let missing = env.run(&["verify", "--json"]);
    missing.expect_code(5);
    let m = json(&missing);
    assert_eq!(m["status"], "missing");
    assert_eq!(m["product"], "portsip-pbx");
    assert_eq!(m["expected_sha256"], EMBEDDED_SHA256);
    assert_eq!(m["receipt"], env.receipt("portsip-pbx").to_str().unwrap());
    assert_eq!(missing.stdout().lines().count(), 1);

    env.run(&["--accept-eula"]).expect_code(0);
    let ok = json(env.run(&["verify", "--json"]).expect_code(0));
    assert_eq!(ok["status"], "accepted");
    assert_eq!(ok["receipt_sha256"], EMBEDDED_SHA256);
    assert!(ok["accepted_at"].is_string());

    let changed = json(
        env.run(&["verify", "--json", "--sha256", &"b".repeat(64)])
            .expect_code(6),
    );
    assert_eq!(changed["status"], "license-changed");

    std::fs::write(env.receipt("portsip-pbx"), "{").unwrap();
    let invalid = json(env.run(&["verify", "--json"]).expect_code(7));
    assert_eq!(invalid["status"], "invalid");
}

#[test]
fn a_tampered_receipt_exits_7() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let path = env.receipt("portsip-pbx");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"flag\"", "\"interactive\"")).unwrap();
    env.run(&["verify"])
        .expect_code(7)
        .stderr_has("digest does not match");
}

#[test]
fn a_receipt_for_another_product_or_schema_exits_7() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    std::fs::copy(env.receipt("portsip-pbx"), env.receipt("other")).unwrap();
    env.run(&["verify", "--product", "other", "--sha256", EMBEDDED_SHA256])
        .expect_code(7)
        .stderr_has("for product \"portsip-pbx\"");
    let text = std::fs::read_to_string(env.receipt("portsip-pbx")).unwrap();
    std::fs::write(
        env.receipt("portsip-pbx"),
        text.replace("\"schema\": 2", "\"schema\": 3"),
    )
    .unwrap();
    env.run(&["verify"]).expect_code(7).stderr_has("unknown schema");
}

#[test]
fn accept_replaces_an_invalid_receipt() {
    let env = Env::new();
    std::fs::create_dir_all(env.receipts()).unwrap();
    std::fs::write(env.receipt("portsip-pbx"), "garbage").unwrap();
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["verify"]).expect_code(0);
}

#[test]
fn revoke_removes_the_receipt_and_is_idempotent() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    env.run(&["revoke"]).expect_code(0).stderr_has("removed");
    assert!(!env.receipt("portsip-pbx").exists());
    env.run(&["verify"]).expect_code(5);
    env.run(&["revoke"])
        .expect_code(0)
        .stderr_has("nothing to revoke");
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    for args in [
        &["--product", "../etc"][..],
        &["--product", "Has Upper"],
        &["--product", ""],
        &["--license", "x.txt"],
        &["--title", "T"],
        &["--no-such-option"],
        &["verify", "--accept-eula"],
        &["no-such-command"],
        &["--receipt-dir", "", "--accept-eula"],
    ] {
        env.run(args).expect_code(2);
    }
    env.run_env(&["--accept-eula"], &[("EULA_GATE_RECEIPT_DIR", "")])
        .expect_code(2);
    assert!(!env.receipts().exists());
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    let env = Env::new();
    let help = env.run(&["--help"]);
    help.expect_code(0);
    assert!(help.stdout().contains("Exit codes:") && help.stdout().contains("--accept-eula"));
    for sub in ["accept", "verify", "show", "hash", "revoke"] {
        env.run(&[sub, "--help"]).expect_code(0);
    }
    assert!(
        env.run(&["--version"])
            .expect_code(0)
            .stdout()
            .contains(env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unusable_license_files_exit_1_naming_the_file() {
    let env = Env::new();
    let latin1 = env.file("latin1.txt", b"Lizenz f\xfcr alle\n");
    let empty = env.file("empty.txt", "");
    let blank = env.file("blank.txt", " \r\n\t\n");
    let missing = env.path("missing.txt");
    for (path, says) in [
        (&latin1, "not UTF-8"),
        (&empty, "empty"),
        (&blank, "empty"),
        (&missing, "cannot"),
    ] {
        let p = path.to_str().unwrap();
        for cmd in [&["hash"][..], &["--accept-eula"], &["verify"], &["show"]] {
            let mut args = cmd.to_vec();
            args.extend(["--product", "p", "--license", p]);
            env.run(&args).expect_code(1).stderr_has(p).stderr_has(says);
        }
    }
    env.run(&[
        "hash",
        "--product",
        "p",
        "--license",
        env.tmp.path().to_str().unwrap(),
    ])
    .expect_code(1)
    .stderr_has("directory");
    assert!(!env.receipts().exists());
}

#[test]
fn an_unusable_receipt_directory_exits_1() {
    let env = Env::new();
    let file = env.file("not-a-dir", "x");
    env.run(&["--accept-eula", "--receipt-dir", file.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("not-a-dir");
}

#[test]
fn normalization_gives_one_digest_per_wording() {
    let env = Env::new();
    let hash = |name: &str, bytes: &[u8]| {
        let path = env.file(name, bytes);
        env.run(&["hash", "--product", "p", "--license", path.to_str().unwrap()])
            .expect_code(0)
            .stdout()
    };
    let unix = hash("unix.txt", b"Terms\n\nYou agree.\n");
    assert_eq!(hash("crlf.txt", b"Terms\r\n\r\nYou agree.\r\n"), unix);
    assert_eq!(hash("cr.txt", b"Terms\r\rYou agree."), unix);
    assert_eq!(hash("bom.txt", b"\xEF\xBB\xBFTerms\n\nYou agree.\n"), unix);
    assert_eq!(hash("blanks.txt", b"Terms \t\n\t\nYou agree.  \n\n\n  \n"), unix);
    assert_ne!(hash("word.txt", b"Terms\n\nYou disagree.\n"), unix);
    assert_eq!(unix.trim(), sha256_of(b"Terms\n\nYou agree.\n"));
}

#[test]
fn a_packager_license_uses_its_first_line_or_the_given_title() {
    let env = Env::new();
    let license = env.file("ACME-EULA.txt", "\n  ACME Terms of Use  \n\nBe nice.\n");
    let l = license.to_str().unwrap();
    env.run(&["--product", "acme", "--license", l, "--accept-eula"])
        .expect_code(0);
    let receipt = env.read_receipt("acme");
    assert_eq!(receipt["license"]["title"], "ACME Terms of Use");
    assert_eq!(receipt["license"]["id"], "acme-eula");
    env.run(&["verify", "--product", "acme", "--license", l])
        .expect_code(0);
    env.run(&["verify"]).expect_code(5);
    env.run(&[
        "--product",
        "acme2",
        "--license",
        l,
        "--title",
        "ACME EULA",
        "--accept-eula",
    ])
    .expect_code(0);
    assert_eq!(env.read_receipt("acme2")["license"]["title"], "ACME EULA");
}

#[test]
fn the_user_data_directory_is_the_default_for_non_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // As root the default is /var/lib/eula-gate, which a test must not touch;
        // the root case is covered by the packaging tests' throwaway roots.
        let env = Env::new();
        let mut cmd = env.cmd();
        cmd.env_remove("EULA_GATE_RECEIPT_DIR")
            .env("XDG_DATA_HOME", env.path("xdg"));
        let run = common::Run(cmd.args(["revoke"]).output().unwrap());
        run.expect_code(0)
            .stderr_has("/var/lib/eula-gate/portsip-pbx.json");
        return;
    }
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.env_remove("EULA_GATE_RECEIPT_DIR")
        .env("XDG_DATA_HOME", env.path("xdg"));
    let run = common::Run(cmd.args(["--accept-eula"]).output().unwrap());
    run.expect_code(0);
    assert!(env.path("xdg/eula-gate/portsip-pbx.json").exists());
}

#[test]
fn a_pin_is_checked_first_every_time_even_with_a_receipt() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let receipt = std::fs::read(env.receipt("portsip-pbx")).unwrap();
    env.run(&["--accept-eula=abc"])
        .expect_code(2)
        .stderr_has("not a license digest");
    let stale = format!("--accept-eula={}", "0".repeat(64));
    env.run(&[stale.as_str()])
        .expect_code(6)
        .stderr_has(EMBEDDED_SHA256);
    let right = format!("--accept-eula={}", EMBEDDED_SHA256.to_uppercase());
    env.run(&[right.as_str()])
        .expect_code(0)
        .stderr_has("already accepted");
    assert_eq!(std::fs::read(env.receipt("portsip-pbx")).unwrap(), receipt);
}

#[test]
fn another_product_never_gets_the_embedded_text() {
    let env = Env::new();
    for args in [
        &["--product", "acme", "--accept-eula"][..],
        &["verify", "--product", "acme"],
        &["hash", "--product", "acme"],
        &["show", "--product", "acme"],
    ] {
        env.run(args)
            .expect_code(2)
            .stderr_has("--product acme needs --license FILE");
    }
    assert!(!env.receipts().exists());
    // A receipt for another text can still be checked by its digest, or revoked.
    env.run(&["verify", "--product", "acme", "--sha256", EMBEDDED_SHA256])
        .expect_code(5);
    env.run(&["revoke", "--product", "acme"]).expect_code(0);
    // The embedded product by name is the embedded text.
    env.run(&["--product", "portsip-pbx", "--accept-eula"])
        .expect_code(0);
}

#[test]
fn hash_and_show_take_a_license_file_alone() {
    let env = Env::new();
    let license = env.file("l.txt", "Terms\n\nwords\n");
    let l = license.to_str().unwrap();
    let hash = env.run(&["hash", "--license", l]);
    hash.expect_code(0);
    assert_eq!(hash.stdout().trim(), sha256_of(b"Terms\n\nwords\n"));
    assert_eq!(
        env.run(&["show", "--license", l]).expect_code(0).stdout(),
        "Terms\n\nwords\n"
    );
    // Commands that touch a receipt still need to know whose it is.
    env.run(&["--license", l, "--accept-eula"])
        .expect_code(2)
        .stderr_has("--product");
}

#[test]
fn exit_4_names_the_one_actual_reason() {
    let env = Env::new();
    env.run(&[])
        .expect_code(4)
        .stderr_has("neither standard input nor standard output is a terminal");
    env.run(&["--non-interactive"])
        .expect_code(4)
        .stderr_has("--non-interactive was given");
    env.run_env(&[], &[("DEBIAN_FRONTEND", "noninteractive")])
        .expect_code(4)
        .stderr_has("DEBIAN_FRONTEND=noninteractive is set")
        .stderr_has("container images")
        .stderr_has("env -u DEBIAN_FRONTEND");
    // Standard input a terminal-less file but stdout... both are pipes here; one of
    // them alone is covered on a real pseudo-terminal in tests/pty.rs.
}

#[test]
fn suggested_commands_keep_the_receipt_directory_given() {
    let env = Env::new();
    let dir = env.path("elsewhere");
    let d = dir.to_str().unwrap();
    env.run(&["verify", "--receipt-dir", d])
        .expect_code(5)
        .stderr_has(&format!("run `eula-gate --receipt-dir {d}`"));
    env.run(&["--receipt-dir", d])
        .expect_code(4)
        .stderr_has(&format!("eula-gate show --receipt-dir {d}"));
}

#[test]
fn the_exit_code_tables_of_help_readme_and_error_rs_are_one() {
    let env = Env::new();
    let help = env.run(&["--help"]).expect_code(0).stdout();
    for (code, meaning) in eula_gate::error::EXIT_CODES {
        assert!(
            help.contains(&format!("  {code:<4} {meaning}\n")),
            "--help lacks exit {code}"
        );
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = &readme[readme.find("## Exit codes").unwrap()..];
    let table = &table[..table.find("\n\n##").unwrap_or(table.len())];
    let in_readme: Vec<u8> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok())
        .collect();
    let in_code: Vec<u8> = eula_gate::error::EXIT_CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        in_readme, in_code,
        "README's exit-code table differs from error::EXIT_CODES"
    );
}

/// The options listed in the "Options:" part of `help` (the first long name of each).
fn listed_options(help: &str) -> Vec<String> {
    let options = help.split("\nOptions:\n").nth(1).unwrap_or_default();
    let options = options.split("\nExit codes:").next().unwrap_or_default();
    options
        .lines()
        .filter(|l| l.trim_start().starts_with('-'))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.split(['[', '=', ',']).next().unwrap_or(w).to_owned())
        .filter(|w| w != "--help" && w != "--version")
        .collect()
}

#[test]
fn each_command_help_lists_only_the_options_it_takes() {
    let env = Env::new();
    let target = [
        "--product",
        "--license",
        "--title",
        "--license-id",
        "--receipt-dir",
    ];
    let accept = [
        &target[..],
        &[
            "--accept-eula",
            "--non-interactive",
            "--plain",
            "--context",
            "--policy-dir",
        ],
    ]
    .concat();
    let verify = [&target[..], &["--sha256", "--json", "--quiet"]].concat();
    for (args, wanted) in [
        (&["--help"][..], accept.clone()),
        (&["accept", "--help"], accept.clone()),
        (&["verify", "--help"], verify),
        (&["show", "--help"], vec!["--product", "--license"]),
        (
            &["hash", "--help"],
            vec![
                "--product",
                "--license",
                "--policy",
                "--approved-by",
                "--reference",
            ],
        ),
        (&["revoke", "--help"], vec!["--product", "--receipt-dir"]),
        (&["list", "--help"], vec!["--receipt-dir", "--json"]),
        (
            &["history", "--help"],
            vec!["--product", "--receipt-dir", "--json", "--check"],
        ),
        (
            &["diff", "--help"],
            vec!["--product", "--license", "--receipt-dir", "--from"],
        ),
        (&["completions", "--help"], vec![]),
    ] {
        let help = env.run(args).expect_code(0).stdout();
        let mut listed = listed_options(&help);
        listed.sort();
        let mut wanted: Vec<String> = wanted.iter().map(|w| (*w).to_owned()).collect();
        wanted.sort();
        assert_eq!(listed, wanted, "{args:?}:\n{help}");
    }
}

#[test]
fn commands_refuse_the_options_they_do_not_take() {
    let env = Env::new();
    let license = env.file("l.txt", "Terms\n\nwords\n");
    let l = license.to_str().unwrap();
    let d = env.receipts();
    let d = d.to_str().unwrap();
    for args in [
        &["hash", "--receipt-dir", d][..],
        &["hash", "--license", l, "--title", "T"],
        &["hash", "--accept-eula"],
        &["show", "--json"],
        &["revoke", "--license", l],
        &["revoke", "--title", "T"],
        &["completions", "bash", "--product", "p"],
        &["verify", "--plain"],
        &["accept", "--sha256", EMBEDDED_SHA256],
        &["hash", "--product", "../etc"],
    ] {
        env.run(args).expect_code(2);
    }
    // `eula-gate --accept-eula`, with no command, is the gate as before.
    env.run(&["--accept-eula", "--receipt-dir", d]).expect_code(0);
    env.run(&["verify", "--receipt-dir", d]).expect_code(0);
}

#[test]
fn the_show_command_the_gate_suggests_runs_as_it_is() {
    let env = Env::new();
    let license = env.file("acme.txt", "ACME Terms\n\nwords\n");
    let l = license.to_str().unwrap();
    let dir = env.path("elsewhere");
    let d = dir.to_str().unwrap();
    let args = [
        "--product",
        "acme",
        "--license",
        l,
        "--title",
        "ACME-EULA",
        "--receipt-dir",
        d,
    ];
    let run = env.run(&args);
    run.expect_code(4);
    let err = run.stderr();
    let show = err
        .split('`')
        .find(|part| part.starts_with("eula-gate show "))
        .unwrap_or_else(|| panic!("no show command suggested: {err}"));
    let words: Vec<&str> = show.split(' ').skip(1).collect();
    for option in ["--product", "--license", "--title", "--receipt-dir"] {
        assert!(words.contains(&option), "{show}");
    }
    let shown = env.run(&words);
    shown.expect_code(0);
    assert_eq!(shown.stdout(), "ACME Terms\n\nwords\n");
}

/// The "Exit codes:" and "Environment:" blocks of a help text.
fn help_block<'a>(help: &'a str, heading: &str) -> &'a str {
    let Some(start) = help.find(heading) else {
        return "";
    };
    let block = &help[start..];
    &block[..block.find("\n\n").unwrap_or(block.len())]
}

#[test]
fn each_command_help_carries_its_exit_codes_and_environment() {
    let env = Env::new();
    let all_vars = [
        "EULA_GATE_ACCEPT",
        "EULA_GATE_RECEIPT_DIR",
        "EULA_GATE_POLICY_DIR",
        "DEBIAN_FRONTEND",
        "NO_COLOR",
    ];
    for (sub, codes, vars) in [
        ("accept", &[0, 1, 2, 3, 4, 6, 130, 143][..], &all_vars[..]),
        ("verify", &[0, 1, 2, 5, 6, 7], &["EULA_GATE_RECEIPT_DIR"]),
        ("show", &[0, 1, 2], &[]),
        ("hash", &[0, 1, 2], &[]),
        ("revoke", &[0, 1, 2], &["EULA_GATE_RECEIPT_DIR"]),
        ("list", &[0, 1, 2], &["EULA_GATE_RECEIPT_DIR"]),
        ("history", &[0, 1, 2, 7], &["EULA_GATE_RECEIPT_DIR"]),
        ("diff", &[0, 1, 2, 5], &["EULA_GATE_RECEIPT_DIR", "NO_COLOR"]),
        ("completions", &[0, 1, 2], &[]),
    ] {
        let help = env.run(&[sub, "--help"]).expect_code(0).stdout();
        let exits = format!("{}\n", help_block(&help, "Exit codes:\n"));
        for (code, meaning) in eula_gate::error::EXIT_CODES {
            let listed = exits.contains(&format!("\n  {code:<4} "));
            assert_eq!(listed, codes.contains(code), "{sub}: exit {code}:\n{exits}");
            // The table's own words (exit 0 may say what succeeded for this command).
            if listed && (*code != 0 || matches!(sub, "accept" | "verify")) {
                assert!(
                    exits.contains(&format!("  {code:<4} {meaning}\n")),
                    "{sub}: exit {code}:\n{exits}"
                );
            }
        }
        let environment = help_block(&help, "Environment:\n");
        for var in all_vars {
            let listed = environment.contains(&format!("\n  {var}"));
            assert_eq!(listed, vars.contains(&var), "{sub}: {var}:\n{help}");
        }
    }
}

#[test]
fn verify_json_is_one_object_on_stdout_also_for_usage_errors_and_with_quiet() {
    let env = Env::new();
    let json = |run: &common::Run| -> serde_json::Value {
        assert_eq!(run.stderr(), "", "--json: nothing on stderr");
        assert_eq!(run.stdout().lines().count(), 1, "{}", run.stdout());
        serde_json::from_str(&run.stdout()).unwrap()
    };
    let not_a_dir = env.file("not-a-dir", "x");
    for (args, code, status, says) in [
        (
            &["verify", "--json", "--sha256", "abc"][..],
            2,
            "usage-error",
            "--sha256",
        ),
        (
            &["verify", "--json", "--quiet", "--sha256", "abc"],
            2,
            "usage-error",
            "--sha256",
        ),
        (&["verify", "--json", "--bogus"], 2, "usage-error", "--bogus"),
        (
            &["verify", "--json", "--product", "Bad Name"],
            2,
            "usage-error",
            "--product",
        ),
        (
            &["verify", "--json", "--product", "acme"],
            2,
            "usage-error",
            "needs --license",
        ),
        (&["verify", "--json", "--json"], 2, "usage-error", "--json"),
        (
            &["verify", "--json", "--quiet"],
            5,
            "missing",
            "not been accepted",
        ),
        (
            &["verify", "--json", "--receipt-dir", not_a_dir.to_str().unwrap()],
            1,
            "error",
            "not-a-dir",
        ),
    ] {
        let run = env.run(args);
        run.expect_code(code);
        let object = json(&run);
        assert_eq!(object["status"], status, "{args:?}");
        assert_eq!(object["exit_code"], code, "{args:?}");
        let message = object["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{args:?}: {message}");
    }
    // Without --json a usage error is a message on stderr, and stdout stays empty.
    let run = env.run(&["verify", "--sha256", "abc"]);
    run.expect_code(2).stderr_has("--sha256");
    assert_eq!(run.stdout(), "");
    let run = env.run(&["verify", "--quiet", "--bogus"]);
    run.expect_code(2);
    assert_eq!(run.stdout(), "");
}

#[test]
fn mistyped_commands_and_options_get_a_did_you_mean() {
    let env = Env::new();
    for (args, tip) in [
        (&["verfy"][..], "a similar subcommand exists: 'verify'"),
        (&["verify", "--jsn"], "a similar argument exists: '--json'"),
        (&["--acept-eula"], "a similar argument exists: '--accept-eula'"),
        (
            &["hash", "--licence", "x"],
            "a similar argument exists: '--license'",
        ),
    ] {
        env.run(args).expect_code(2).stderr_has(tip);
    }
}

#[test]
fn license_dash_reads_the_text_from_standard_input() {
    let env = Env::new();
    let text = "Acme EULA\n\nThe terms.\r\n";
    let mut cmd = env.cmd();
    let hash = cmd
        .args(["hash", "--license", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    let hash = String::from_utf8(hash.stdout).unwrap();
    assert_eq!(hash.trim(), sha256_of(b"Acme EULA\n\nThe terms.\n"));
    let accept = |extra: &[&str]| {
        let mut cmd = env.cmd();
        cmd.args([
            "--product",
            "acme",
            "--license",
            "-",
            "--accept-eula",
            "--context",
            "rpm",
        ])
        .args(extra)
        .write_stdin(text);
        common::Run(cmd.output().unwrap())
    };
    accept(&[])
        .expect_code(0)
        .stderr_has("accepted the Acme EULA for acme");
    // Named after the product unless --license-id says otherwise.
    assert_eq!(env.read_receipt("acme")["license"]["id"], "acme");
    assert_eq!(env.read_receipt("acme")["license"]["sha256"], hash.trim());
    let mut verify = env.cmd();
    verify
        .args(["verify", "--product", "acme", "--license", "-"])
        .write_stdin(text);
    common::Run(verify.output().unwrap()).expect_code(0);
    env.run(&["revoke", "--product", "acme"]).expect_code(0);
    accept(&["--license-id", "acme-eula-2"]).expect_code(0);
    assert_eq!(env.read_receipt("acme")["license"]["id"], "acme-eula-2");
    accept(&["--license-id", "Acme EULA"])
        .expect_code(2)
        .stderr_has("is not a license id");
    env.run(&["verify", "--license-id", "x"]).expect_code(2);
    // Nothing on standard input is an empty text, not a hang.
    env.run(&["--product", "acme", "--license", "-", "--accept-eula"])
        .expect_code(1)
        .stderr_has("(standard input) is empty");
}
