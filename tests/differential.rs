//! `verify` and the README's Python check give the same verdict on every receipt:
//! receipts carrying assorted extra fields and values (integers at and beyond the
//! 64-bit limits, `-0`, fractions, exponents, NaN, strings with escapes and lone
//! surrogates, nested arrays and objects, duplicate keys, nesting around the
//! parser's depth limit, files around the 64 KiB that `verify` reads), each signed
//! both the way serde_json and the way Python canonicalize it. Known fields keep
//! valid values: their validation is `verify`'s alone (see the README).

mod common;

use common::{Env, binary};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The README's receipt check, taken from the README itself so the two cannot drift.
fn readme_check() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```python\n# check-receipts.py")
        .expect("the README has the check-receipts.py block");
    let body = &readme[start + "```python\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

/// Raw JSON values put into receipts as extra fields.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "-0",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1.0",
    "0.5",
    "-0.0",
    "1e2",
    "1E+2",
    "1e-2",
    "2.5e10",
    "1.7976931348623157e308",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "false",
    "null",
    "\"text\"",
    "\"\\u00e9 \\u2028 \\/ \\u007f\"",
    "\"é\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud800\"",
    "\"\\u0000\\u001f\"",
    "[]",
    "[1,2.5]",
    "[[[-0]]]",
    "{}",
    "{\"a\":1}",
    "{\"a\":1,\"a\":2}",
    "{\"n\":1e1}",
    "{\"b\":[true,{\"c\":18446744073709551615}]}",
];

/// serde_json reads arrays and objects nested at most this deep, the receipt's own
/// object included (found by trying: 127 reads, 128 does not).
const MAX_DEPTH: usize = 127;

/// What `verify` reads of a receipt file at most (`store::MAX_RECEIPT_BYTES`).
const MAX_BYTES: usize = 65536;

/// VALUES, then values at the limits that the receipt's shape decides: arrays and
/// objects nested around `MAX_DEPTH` (an extra field at the top level sits one deeper
/// than the receipt's object, inside `license` two), and strings that make the
/// signed file just under, at and just over `MAX_BYTES`.
fn values(base: &serde_json::Value) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> = VALUES
        .iter()
        .map(|v| ((*v).to_owned(), (*v).to_owned()))
        .collect();
    for n in [
        MAX_DEPTH - 3,
        MAX_DEPTH - 2,
        MAX_DEPTH - 1,
        MAX_DEPTH,
        MAX_DEPTH + 1,
        200,
        1200,
    ] {
        values.push((
            format!("{n} nested arrays"),
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
        ));
        values.push((
            format!("{n} nested objects"),
            format!("{}1{}", "{\"k\":".repeat(n), "}".repeat(n)),
        ));
    }
    // The signed file is the unsigned text and `"digest":"<64 hex>",`.
    let signed_extra = "\"digest\":\"\",".len() + 64;
    let empty = unsigned(base, "", "\"\"").len() + signed_extra;
    for size in [MAX_BYTES - 1, MAX_BYTES, MAX_BYTES + 1, 70_000] {
        values.push((
            format!("a string making the file {size} bytes"),
            format!("\"{}\"", "a".repeat(size - empty)),
        ));
    }
    values
}

/// Where an extra field goes: top level, or inside one of the receipt's objects.
const PLACES: &[&str] = &["", "license", "accepted_by"];

/// The receipt text without its digest, with `"x_extra": RAW` added at `place`.
fn unsigned(base: &serde_json::Value, place: &str, raw: &str) -> String {
    let mut receipt = base.clone();
    let map = receipt.as_object_mut().unwrap();
    map.remove("digest");
    let target = if place.is_empty() {
        map
    } else {
        map.get_mut(place).unwrap().as_object_mut().unwrap()
    };
    target.insert("x_extra".into(), "@@RAW@@".into());
    serde_json::to_string(&receipt)
        .unwrap()
        .replace("\"@@RAW@@\"", raw)
}

/// The digest as serde_json (this crate's canonical form) computes it, when it can
/// read the text at all.
fn rust_digest(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => eula_gate::receipt::receipt_digest(&map),
        _ => "0".repeat(64),
    }
}

/// The digests as Python's json module computes them, one per file, in one run.
fn python_digests(files: &[PathBuf]) -> Vec<String> {
    let script = "import json,hashlib,sys\n\
        for p in sys.argv[1:]:\n\
        \x20   try:\n\
        \x20       r=json.loads(open(p,encoding='utf-8').read())\n\
        \x20       c=json.dumps(r,sort_keys=True,separators=(',',':'),ensure_ascii=False)\n\
        \x20       print(hashlib.sha256(c.encode('utf-8')).hexdigest())\n\
        \x20   except Exception:\n\
        \x20       print('0'*64)\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn signed(unsigned: &str, digest: &str) -> String {
    unsigned.replacen('{', &format!("{{\"digest\":\"{digest}\","), 1)
}

fn verify_verdict(dir: &Path) -> bool {
    let mut cmd = Command::new(binary());
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    let out = cmd
        .args(["verify", "--receipt-dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => true,
        Some(7) => false,
        other => panic!(
            "{}: verify said {other:?}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn verify_and_the_readme_python_check_agree_on_every_receipt() {
    let env = Env::new();
    let accepted = Command::new(binary())
        .args(["--accept-eula", "--receipt-dir"])
        .arg(env.receipts())
        .env_remove("EULA_GATE_ACCEPT")
        .output()
        .unwrap();
    assert!(accepted.status.success());
    let base: serde_json::Value = env.read_receipt("portsip-pbx");
    let mut texts = Vec::new();
    let values = values(&base);
    for place in PLACES {
        for (name, raw) in &values {
            texts.push((format!("{place}:{name}"), unsigned(&base, place, raw)));
        }
    }
    let staged: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, (_, text))| env.file(&format!("unsigned-{i}.json"), text))
        .collect();
    let python = python_digests(&staged);
    let mut receipts = Vec::new();
    for (i, ((name, text), py)) in texts.iter().zip(&python).enumerate() {
        for (how, digest) in [("serde", rust_digest(text)), ("python", py.clone())] {
            let dir = env.path(&format!("case-{i}-{how}"));
            std::fs::create_dir(&dir).unwrap();
            let file = dir.join("portsip-pbx.json");
            std::fs::write(&file, signed(text, &digest)).unwrap();
            receipts.push((format!("{name} signed by {how}"), dir, file));
        }
    }
    let check = env.file("check-receipts.py", readme_check());
    let out = Command::new("python3")
        .arg(&check)
        .args(receipts.iter().map(|(_, _, file)| file))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts = String::from_utf8(out.stdout).unwrap();
    let python_ok: Vec<bool> = verdicts.lines().map(|l| l.ends_with(": ok")).collect();
    assert_eq!(python_ok.len(), receipts.len(), "{verdicts}");
    let mut disagree = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for ((name, dir, _), py) in receipts.iter().zip(python_ok) {
        let ours = verify_verdict(dir);
        if ours != py {
            disagree.push(format!("{name}: verify {ours}, python {py}"));
        }
        if ours { valid += 1 } else { invalid += 1 }
    }
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
    // Both verdicts occur, so agreement is not the trivial kind.
    assert!(valid >= 20 && invalid >= 60, "{valid} valid, {invalid} invalid");
    eprintln!(
        "{} receipts: {valid} valid, {invalid} invalid, verify and Python agree",
        receipts.len()
    );
}
