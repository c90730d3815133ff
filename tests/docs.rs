//! The documentation, executed: every shell example in README.md, packaging/README.md
//! and SECURITY.md that can run on this machine is run here with the real binary, and
//! its documented exit status and output are checked; every other one is marked in
//! the markdown, in one way, naming the test that runs its local equivalent:
//!
//! ```text
//! <!-- not run: REASON; see tests/FILE.rs::TEST[, REF...] -->             the whole block
//! <!-- not run `COMMAND`: REASON; see tests/FILE.rs::TEST -->             one command of it
//! <!-- run by tests/FILE.rs::TEST -->                                     run there, not twice
//! ```
//!
//! (one comment line each, directly above the block's fence). Each example runs as
//! `sh -c` in a throwaway directory holding `LICENSE.txt` and `install.sh`, without a
//! terminal (new session, stdin closed), with `eula-gate` first on PATH and a clean
//! environment (`HOME`, `EULA_GATE_RECEIPT_DIR`, `EULA_GATE_POLICY_DIR` and
//! `PORTSIP_PREFIX` in the throwaway directory). The exit status the docs state is
//! asserted here; the whole output is pinned in `tests/snapshots/examples/`, with
//! `[TMP]`, `[REPO]`, `[DATE]`, `[UUID]` and `[VERSION]` for what varies.
//! Long-running commands (benchmarks, fuzzing) run in a smoke form.
//!
//! Also pinned: `--help` of every command (`tests/snapshots/help/`), checked against
//! the README's command and option tables and the exit-code table.
//!
//! `EULA_GATE_BLESS=1 cargo test --release --locked --test docs` rewrites the snapshots
//! from what the binary does now; review the diff. A case's exit status is written
//! here, from the docs' own words, and no blessing changes it.

mod common;

use common::{EMBEDDED_SHA256, binary, not_run};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

const DOCS: [&str; 3] = ["README.md", "packaging/README.md", "SECURITY.md"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `cargo build --release` (in `cargo run --release` and benches/process.sh) links
/// target/release/eula-gate anew when the suite's build of it (with the features the
/// dev-dependencies add) is not the one it makes, as in a fresh clone; while it does,
/// the binary may be missing for an instant. The tests here that start the binary
/// hold this lock to read, those that run cargo build hold it to write.
static BINARY: RwLock<()> = RwLock::new(());

fn binary_in_use() -> RwLockReadGuard<'static, ()> {
    BINARY.read().unwrap_or_else(PoisonError::into_inner)
}

fn binary_relinked() -> RwLockWriteGuard<'static, ()> {
    BINARY.write().unwrap_or_else(PoisonError::into_inner)
}

fn blessing() -> bool {
    std::env::var_os("EULA_GATE_BLESS").is_some_and(|v| v == "1")
}

// ---- The examples as the markdown has them ----

/// A fenced code block.
#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    info: String,
    /// Each command (comments and blank lines left out, continuations joined) with
    /// its line, and the command without its trailing comment.
    commands: Vec<(usize, String)>,
    markers: Vec<Marker>,
    text: String,
}

#[derive(Debug)]
struct Marker {
    line: usize,
    /// `None`: the whole block; else the one command it names.
    command: Option<String>,
    run_by: bool,
    refs: Vec<String>,
}

const SHELLS: [&str; 4] = ["sh", "bash", "shell", "console"];

fn is_marker(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("<!-- not run") || line.starts_with("<!-- run by")
}

fn parse_marker(doc: &str, line: usize, text: &str) -> Marker {
    let bad = |why: &str| -> ! {
        panic!(
            "{doc}:{line}: {why}: {text}\n(the forms: `<!-- not run: REASON; see REF -->`, \
             `<!-- not run `COMMAND`: REASON; see REF -->`, `<!-- run by REF -->`)"
        )
    };
    let inner = text
        .trim()
        .strip_prefix("<!--")
        .and_then(|t| t.strip_suffix("-->"))
        .unwrap_or_else(|| bad("a marker is one comment on one line"))
        .trim();
    let split_refs = |refs: &str| -> Vec<String> {
        refs.split(", ")
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect()
    };
    if let Some(refs) = inner.strip_prefix("run by ") {
        return Marker {
            line,
            command: None,
            run_by: true,
            refs: split_refs(refs),
        };
    }
    let rest = inner
        .strip_prefix("not run")
        .unwrap_or_else(|| bad("not a marker"));
    let (command, rest) = match rest.strip_prefix(" `") {
        Some(quoted) => {
            let (command, rest) = quoted.split_once('`').unwrap_or_else(|| bad("unclosed `"));
            (Some(command.to_owned()), rest)
        }
        None => (None, rest),
    };
    let rest = rest.strip_prefix(": ").unwrap_or_else(|| bad("no `: REASON`"));
    let (reason, refs) = rest
        .rsplit_once("; see ")
        .unwrap_or_else(|| bad("no `; see REF`"));
    if reason.trim().is_empty() {
        bad("no reason");
    }
    Marker {
        line,
        command,
        run_by: false,
        refs: split_refs(refs),
    }
}

/// The command part of a shell line: without a trailing `# comment` (a `#` after a
/// blank, outside quotes).
fn without_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev) = (false, false, ' ');
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return line[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    line.trim_end()
}

fn blocks(doc: &'static str) -> Vec<Block> {
    let text = read(doc);
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if is_marker(line) {
                let next = lines[i + 1..].iter().find(|l| !is_marker(l));
                assert!(
                    next.is_some_and(|l| l.trim_start().starts_with("```")),
                    "{doc}:{}: a marker belongs directly above a code block: {line}",
                    i + 1
                );
            }
            i += 1;
            continue;
        };
        let start = i;
        let mut markers = Vec::new();
        let mut above = start;
        while above > 0 && is_marker(lines[above - 1]) {
            above -= 1;
            markers.insert(0, parse_marker(doc, above + 1, lines[above]));
        }
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            body.push((i + 1, lines[i]));
            i += 1;
        }
        assert!(i < lines.len(), "{doc}:{}: unclosed code block", start + 1);
        i += 1;
        let mut commands = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        for (n, raw) in &body {
            let part = without_comment(raw);
            let joined = match pending.take() {
                Some((first, mut so_far)) => {
                    so_far.push(' ');
                    so_far.push_str(part.trim());
                    (first, so_far)
                }
                None if part.trim().is_empty() => continue,
                None => (*n, part.trim().to_owned()),
            };
            match joined.1.strip_suffix('\\') {
                Some(open) => pending = Some((joined.0, open.trim_end().to_owned())),
                None => commands.push(joined),
            }
        }
        blocks.push(Block {
            line: start + 1,
            info: info.trim().to_owned(),
            commands,
            markers,
            text: body.iter().map(|(_, l)| format!("{l}\n")).collect(),
        });
    }
    blocks
}

/// Checks that a marker's reference names a file of this repository and, with
/// `::NAME`, a function in it.
fn check_ref(doc: &str, marker: &Marker, reference: &str) {
    let (file, function) = match reference.split_once("::") {
        Some((file, function)) => (file, Some(function)),
        None => (reference, None),
    };
    let path = repo().join(file);
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{doc}:{}: the marker names {file}: {e}", marker.line));
    if let Some(function) = function {
        assert!(
            source.contains(&format!("fn {function}(")),
            "{doc}:{}: {file} has no fn {function}",
            marker.line
        );
    }
}

// ---- The cases: every runnable command, how it is run, what the docs say it does ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// eula-gate and install.sh in a throwaway directory: fast, output pinned.
    Gate,
    /// cargo in the repository, on the suite's own build (release only).
    Cargo,
    /// The benchmark scripts with a small count (release only).
    Bench,
    /// The fuzz targets for a few thousand runs (needs cargo-fuzz).
    Fuzz,
}

#[derive(Debug)]
struct Case {
    /// The snapshot's name: `tests/snapshots/examples/ID.txt`.
    id: &'static str,
    doc: &'static str,
    /// The command as the doc has it, without its trailing comment.
    command: &'static str,
    /// In running text (an inline code span) rather than a code block.
    inline: bool,
    kind: Kind,
    /// Shell run first in the same directory; must succeed.
    setup: &'static str,
    /// Exported before the command; values are shell words.
    vars: &'static [(&'static str, &'static str)],
    /// The command as run, where a placeholder or the smoke form replaces a part.
    run_as: Option<&'static str>,
    /// The exit status, from the docs' own words (`says`).
    code: i32,
    says: &'static str,
    /// Shell run afterwards in the same directory; must succeed.
    check: &'static str,
    /// Each must appear in stdout or stderr (for output too noisy to pin).
    output_has: &'static [&'static str],
}

const NO_CASE: Case = Case {
    id: "",
    doc: "",
    command: "",
    inline: false,
    kind: Kind::Gate,
    setup: "",
    vars: &[],
    run_as: None,
    code: 0,
    says: "",
    check: "",
    output_has: &[],
};

const ACCEPT_ACME: &str = "eula-gate --product acme --license LICENSE.txt --accept-eula 2>/dev/null";

const CASES: &[Case] = &[
    Case {
        id: "readme-cargo-run",
        doc: "README.md",
        command: "cargo run --release",
        kind: Kind::Cargo,
        code: 4,
        says: "run the gate on the embedded PortSIP license; without a terminal or an explicit \
               acceptance the gate exits 4 at once",
        output_has: &[
            "PortSIP Software End-User License Agreement",
            "eula-gate show",
            "--accept-eula",
        ],
        ..NO_CASE
    },
    Case {
        id: "readme-accept-eula",
        doc: "README.md",
        command: "eula-gate --accept-eula",
        code: 0,
        says: "accept whatever text this build embeds",
        check: "eula-gate verify && grep -q '\"method\": \"flag\"' receipts/portsip-pbx.json",
        ..NO_CASE
    },
    Case {
        id: "readme-accept-eula-reviewed",
        doc: "README.md",
        command: "eula-gate --accept-eula=\"$(cat reviewed.sha256)\"",
        setup: "eula-gate hash > reviewed.sha256",
        code: 0,
        says: "accept only the text that was reviewed",
        check: "eula-gate verify --sha256 \"$(cat reviewed.sha256)\"",
        ..NO_CASE
    },
    Case {
        id: "readme-accept-eula-reviewed-other",
        doc: "README.md",
        command: "eula-gate --accept-eula=\"$(cat reviewed.sha256)\"",
        setup: "echo 0000000000000000000000000000000000000000000000000000000000000000 > reviewed.sha256",
        code: 6,
        says: "accept only the text that was reviewed (else exit 6)",
        check: "! test -e receipts/portsip-pbx.json",
        ..NO_CASE
    },
    Case {
        id: "readme-accept-env",
        doc: "README.md",
        command: "EULA_GATE_ACCEPT=portsip-pbx eula-gate",
        code: 0,
        says: "consent by environment, per product",
        check: "grep -q '\"method\": \"env\"' receipts/portsip-pbx.json",
        ..NO_CASE
    },
    Case {
        id: "readme-hash-acme",
        doc: "README.md",
        command: "eula-gate hash --product acme --license LICENSE.txt",
        code: 0,
        says: "the digest to pin",
        // LICENSE.txt is already in normal form, so its digest is sha256sum's.
        check: "eula-gate hash --product acme --license LICENSE.txt | grep -qx \"$(sha256sum < LICENSE.txt | cut -c1-64)\"",
        ..NO_CASE
    },
    Case {
        id: "readme-gate-acme",
        doc: "README.md",
        command: "eula-gate --product acme --license LICENSE.txt",
        code: 4,
        says: "the gate, in install.sh or postinst; unattended installs say so explicitly: without \
               that, the gate exits 4 at once instead of hanging",
        check: "! test -e receipts/acme.json",
        ..NO_CASE
    },
    Case {
        id: "readme-verify-pinned",
        doc: "README.md",
        command: "eula-gate verify --product acme --sha256 \"$PINNED\" -q || exit 1",
        setup: ACCEPT_ACME,
        vars: &[("PINNED", "\"$(eula-gate hash --license LICENSE.txt)\"")],
        code: 0,
        says: "in entrypoints and units; verify never scrapes or prints text on success: exit 0 is the answer",
        ..NO_CASE
    },
    Case {
        id: "readme-verify-pinned-missing",
        doc: "README.md",
        command: "eula-gate verify --product acme --sha256 \"$PINNED\" -q || exit 1",
        vars: &[("PINNED", "\"$(eula-gate hash --license LICENSE.txt)\"")],
        code: 1,
        says: "`|| exit 1`: without a receipt the entrypoint stops, and -q prints nothing",
        ..NO_CASE
    },
    Case {
        id: "readme-verify-json-missing",
        doc: "README.md",
        command: "eula-gate verify --json",
        code: 5,
        says: "one JSON object for scripts; `missing` (5)",
        ..NO_CASE
    },
    Case {
        id: "readme-verify-json-accepted",
        doc: "README.md",
        command: "eula-gate verify --json",
        setup: "eula-gate --accept-eula 2>/dev/null",
        code: 0,
        says: "one JSON object for scripts; `accepted` (exit 0)",
        ..NO_CASE
    },
    Case {
        id: "readme-show-sha256sum",
        doc: "README.md",
        command: "eula-gate show | sha256sum",
        inline: true,
        code: 0,
        says: "piped, it is exactly the bytes that are hashed (`eula-gate show | sha256sum` gives the digest)",
        check: "eula-gate show | sha256sum | grep -qx \"$(eula-gate hash)  -\"",
        ..NO_CASE
    },
    Case {
        id: "readme-hash-policy",
        doc: "README.md",
        command: "eula-gate hash --policy --approved-by \"Jane Doe <legal@example.com>\" --reference LEGAL-1234",
        inline: true,
        code: 0,
        says: "prints a ready policy for the current text (the README's JSON block is compared too)",
        ..NO_CASE
    },
    Case {
        id: "readme-benches",
        doc: "README.md",
        command: "benches/run.sh",
        kind: Kind::Bench,
        run_as: Some("benches/run.sh 20"),
        code: 0,
        says: "benches/run.sh [RUNS]: every figure next to its target (timings are not asserted)",
        output_has: &[
            "== pager, in process",
            "(target < 100 ms)",
            "== whole process",
            "verify/sha256sum",
            "stripped release binary",
            "== the real binary paging",
            "peak RSS",
        ],
        ..NO_CASE
    },
    Case {
        id: "readme-fuzz-receipt",
        doc: "README.md",
        command: "cargo +nightly fuzz run -O receipt fuzz/work/receipt fuzz/corpus/receipt -- -max_total_time=600",
        kind: Kind::Fuzz,
        run_as: Some(
            "cargo +nightly fuzz run -O receipt fuzz/work/receipt fuzz/corpus/receipt -- -max_total_time=600 -runs=3000",
        ),
        code: 0,
        says: "the fuzz target runs from a fresh clone (smoke: 3000 runs)",
        output_has: &["Done 3000 runs"],
        ..NO_CASE
    },
    Case {
        id: "readme-fuzz-license-display",
        doc: "README.md",
        command: "cargo +nightly fuzz run -O license_display fuzz/work/license_display fuzz/corpus/license_display -- -max_total_time=600",
        kind: Kind::Fuzz,
        run_as: Some(
            "cargo +nightly fuzz run -O license_display fuzz/work/license_display fuzz/corpus/license_display -- -max_total_time=600 -runs=3000",
        ),
        code: 0,
        says: "the fuzz target runs from a fresh clone (smoke: 3000 runs)",
        output_has: &["Done 3000 runs"],
        ..NO_CASE
    },
    Case {
        id: "security-version",
        doc: "SECURITY.md",
        command: "eula-gate --version",
        inline: true,
        code: 0,
        says: "the eula-gate version (`eula-gate --version`) goes into a report",
        ..NO_CASE
    },
    Case {
        id: "packaging-install-accept",
        doc: "packaging/README.md",
        command: "sh install.sh --accept-eula",
        code: 0,
        says: "unattended",
        check: "test -e opt/pbx/INSTALLED && grep -q '\"method\": \"flag\"' receipts/portsip-pbx.json",
        ..NO_CASE
    },
    Case {
        id: "packaging-install-pinned",
        doc: "packaging/README.md",
        command: "sh install.sh --accept-eula=SHA256",
        run_as: Some(
            "sh install.sh --accept-eula=a47b50dbf69326d43b53b6a83a575341f184c5a686ddb8006d0c3512743519c8",
        ),
        code: 0,
        says: "unattended, pinned to the reviewed text (`eula-gate hash`)",
        check: "test -e opt/pbx/INSTALLED",
        ..NO_CASE
    },
    Case {
        id: "packaging-install-pinned-other",
        doc: "packaging/README.md",
        command: "sh install.sh --accept-eula=SHA256",
        run_as: Some(
            "sh install.sh --accept-eula=0000000000000000000000000000000000000000000000000000000000000000",
        ),
        code: 6,
        says: "a pinned digest that does not match (6): it stops with eula-gate's exit code and installs nothing",
        check: "! test -e opt/pbx/INSTALLED && ! test -e receipts/portsip-pbx.json",
        ..NO_CASE
    },
    Case {
        id: "packaging-install-env",
        doc: "packaging/README.md",
        command: "EULA_GATE_ACCEPT=portsip-pbx sh install.sh",
        code: 0,
        says: "consent by environment",
        check: "test -e opt/pbx/INSTALLED && grep -q '\"method\": \"env\"' receipts/portsip-pbx.json",
        ..NO_CASE
    },
];

/// The inline code spans of a doc (outside code blocks), whitespace collapsed.
fn inline_spans(doc: &str) -> Vec<String> {
    let text = read(doc);
    let mut prose = String::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if !in_block {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|span| span.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// What each doc's shell commands are: run here, run by another test, or not run.
#[derive(Default, Debug)]
struct Tally {
    blocks: usize,
    commands: usize,
    run_here: usize,
    run_elsewhere: usize,
    not_run: Vec<String>,
}

#[test]
fn every_shell_example_is_run_here_or_marked_with_the_test_that_runs_its_equivalent() {
    for case in CASES {
        assert!(
            !case.says.is_empty() && !case.id.is_empty(),
            "{}: a case says what the docs say",
            case.command
        );
    }
    let mut ids = BTreeSet::new();
    for case in CASES {
        assert!(ids.insert(case.id), "two cases are named {}", case.id);
    }
    let mut used = vec![false; CASES.len()];
    let mut summary = Vec::new();
    for doc in DOCS {
        let mut tally = Tally::default();
        for block in blocks(doc) {
            let shell = SHELLS.contains(&block.info.as_str());
            if !shell {
                assert!(
                    block.markers.is_empty(),
                    "{doc}:{}: markers go on shell blocks",
                    block.line
                );
                assert!(
                    // Data, output and other tools' configuration: read, not run.
                    ["json", "python", "text", "yaml", "ruby", "puppet"].contains(&block.info.as_str()),
                    "{doc}:{}: a code block of kind {:?}: name its language (sh for commands) and \
                     teach tests/docs.rs about it",
                    block.line,
                    block.info
                );
                continue;
            }
            tally.blocks += 1;
            for marker in &block.markers {
                assert!(
                    !marker.refs.is_empty(),
                    "{doc}:{}: a marker names the test that runs the local equivalent",
                    marker.line
                );
                for reference in &marker.refs {
                    check_ref(doc, marker, reference);
                }
                if let Some(command) = &marker.command {
                    assert!(
                        block.commands.iter().any(|(_, c)| c == command),
                        "{doc}:{}: the marker names `{command}`, which is not a command of the \
                         block below it",
                        marker.line
                    );
                }
                if marker.run_by {
                    // The test named runs this very command (its program, at least).
                    let program = block.commands[0].1.split_whitespace().next().unwrap_or_default();
                    let (file, _) = marker.refs[0].split_once("::").unwrap_or((&marker.refs[0], ""));
                    assert!(
                        read(file).contains(program),
                        "{doc}:{}: {file} never mentions {program}",
                        marker.line
                    );
                }
            }
            for (line, command) in &block.commands {
                tally.commands += 1;
                let marked = block
                    .markers
                    .iter()
                    .find(|m| m.command.as_ref().is_none_or(|c| c == command));
                let cases: Vec<usize> = (0..CASES.len())
                    .filter(|&i| CASES[i].doc == doc && !CASES[i].inline && CASES[i].command == command)
                    .collect();
                match marked {
                    Some(marker) => {
                        assert!(
                            cases.is_empty(),
                            "{doc}:{line}: `{command}` is marked not to run here, and tests/docs.rs \
                             has a case for it: one or the other"
                        );
                        if marker.run_by {
                            tally.run_elsewhere += 1;
                        } else {
                            tally.not_run.push(format!("{doc}:{line}: {command}"));
                        }
                    }
                    None => {
                        assert!(
                            !cases.is_empty(),
                            "{doc}:{line}: `{command}` is neither run by tests/docs.rs (add a Case: \
                             how to run it and the exit status the docs give) nor marked \
                             `<!-- not run: REASON; see TEST -->` above its block"
                        );
                        tally.run_here += 1;
                        for i in cases {
                            used[i] = true;
                        }
                    }
                }
            }
        }
        let spans = inline_spans(doc);
        for (i, case) in CASES.iter().enumerate() {
            if case.doc == doc && case.inline {
                assert!(
                    spans.iter().any(|s| s == case.command),
                    "{doc}: no inline `{}` any more: change or remove the case {}",
                    case.command,
                    case.id
                );
                used[i] = true;
            }
        }
        summary.push((doc, tally));
    }
    for (i, case) in CASES.iter().enumerate() {
        assert!(
            used[i],
            "case {}: {} has no `{}` to run: the docs changed; change or remove the case",
            case.id, case.doc, case.command
        );
    }
    // The README's Python receipt check is run by tests/differential.rs, from the README.
    let python = blocks("README.md")
        .into_iter()
        .filter(|b| b.info == "python")
        .count();
    assert_eq!(python, 1, "README.md: one Python block, the receipt check");
    assert!(read("tests/differential.rs").contains("```python\\n# check-receipts.py"));
    let inline = CASES.iter().filter(|c| c.inline).count();
    eprintln!("shell examples in the docs:");
    for (doc, tally) in &summary {
        eprintln!(
            "  {doc}: {} commands in {} blocks: {} run here, {} run by another test, {} not run here",
            tally.commands,
            tally.blocks,
            tally.run_here,
            tally.run_elsewhere,
            tally.not_run.len()
        );
        for not_run in &tally.not_run {
            eprintln!("    not run: {not_run}");
        }
    }
    eprintln!(
        "  and {inline} inline commands run here ({} cases in all); the README's Python check is run \
         by tests/differential.rs",
        CASES.len()
    );
}

// ---- Running a case ----

/// A throwaway directory for one case: `home/`, `LICENSE.txt`, `install.sh`.
struct World {
    tmp: tempfile::TempDir,
}

const LICENSE_TXT: &str = "ACME Software License\n\nYou may use ACME on one machine.\n";

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(tmp.path().join("home")).unwrap();
        std::fs::write(tmp.path().join("LICENSE.txt"), LICENSE_TXT).unwrap();
        std::fs::copy(repo().join("packaging/install.sh"), tmp.path().join("install.sh")).unwrap();
        World { tmp }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `sh -c script` in `cwd`: a new session without a terminal, stdin closed, the
    /// clean environment.
    fn sh(&self, script: &str, cwd: &Path, kind: Kind) -> Outcome {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).current_dir(cwd).stdin(Stdio::null());
        self.clean_env(&mut cmd, kind);
        // SAFETY: setsid is async-signal-safe; run in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let limit = match kind {
            Kind::Gate => Duration::from_secs(60),
            Kind::Cargo | Kind::Bench => Duration::from_secs(600),
            Kind::Fuzz => Duration::from_secs(1800),
        };
        run_with_limit(cmd, limit, script)
    }

    fn clean_env(&self, cmd: &mut Command, kind: Kind) {
        common::without_gate_vars(cmd);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("EULA_GATE_") {
                cmd.env_remove(name);
            }
        }
        for name in ["SUDO_USER", "SUDO_GID", "SUDO_COMMAND"] {
            cmd.env_remove(name);
        }
        // cargo and rustup find their homes in HOME unless told: keep the real ones.
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(|| home.join(".cargo"), PathBuf::from);
        let rustup_home = std::env::var_os("RUSTUP_HOME").map_or_else(|| home.join(".rustup"), PathBuf::from);
        cmd.env("CARGO_HOME", cargo_home).env("RUSTUP_HOME", rustup_home);
        let bin = binary().parent().unwrap().to_path_buf();
        let path = std::env::var("PATH").unwrap_or_default();
        let root = self.path();
        cmd.env("PATH", format!("{}:{path}", bin.display()))
            .env("HOME", root.join("home"))
            .env("EULA_GATE_RECEIPT_DIR", root.join("receipts"))
            .env("EULA_GATE_POLICY_DIR", root.join("policy.d"))
            .env("PORTSIP_PREFIX", root.join("opt"));
        match kind {
            // The suite's own target directory, so that cargo finds its build fresh.
            Kind::Cargo | Kind::Bench => {
                cmd.env("CARGO_TARGET_DIR", bin.parent().unwrap());
            }
            // The fuzz crate is a workspace of its own, with its own fuzz/target.
            Kind::Fuzz => {
                cmd.env_remove("CARGO_TARGET_DIR");
            }
            Kind::Gate => {}
        }
    }
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn shown(&self) -> String {
        let tail = |s: &str| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        format!(
            "exit {:?}\nstdout (last lines):\n{}\nstderr (last lines):\n{}",
            self.code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

/// Runs `cmd`, killing its whole session after `limit`.
fn run_with_limit(mut cmd: Command, limit: Duration, what: &str) -> Outcome {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let pid = child.id() as libc::pid_t;
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            // SAFETY: kill has no memory-safety preconditions; -pid is the session's group.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Replaces every `len`-byte ASCII window that `matches` with `with`.
fn mask(text: &str, len: usize, matches: impl Fn(&[u8]) -> bool, with: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let mut kept = 0;
    while i + len <= bytes.len() {
        if text.is_char_boundary(i) && text.is_char_boundary(i + len) && matches(&bytes[i..i + len]) {
            out.push_str(&text[kept..i]);
            out.push_str(with);
            i += len;
            kept = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[kept..]);
    out
}

fn shape(bytes: &[u8], pattern: &str) -> bool {
    bytes.iter().zip(pattern.bytes()).all(|(b, p)| match p {
        b'9' => b.is_ascii_digit(),
        b'f' => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
        p => *b == p,
    })
}

/// What varies from run to run, as placeholders.
fn redact(text: &str, world: &Path) -> String {
    let text = text
        .replace(&world.display().to_string(), "[TMP]")
        .replace(&repo().display().to_string(), "[REPO]")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let date = "9999-99-99T99:99:99Z";
    let text = mask(&text, date.len(), |w| shape(w, date), "[DATE]");
    let uuid = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    mask(&text, uuid.len(), |w| shape(w, uuid), "[UUID]")
}

fn run_case(case: &Case) -> (World, Outcome) {
    run_case_as(case, case.run_as.unwrap_or(case.command))
}

/// `run_case`, with `command` run in place of the documented one.
fn run_case_as(case: &Case, command: &str) -> (World, Outcome) {
    let world = World::new();
    let cwd = match case.kind {
        Kind::Gate => world.path().to_path_buf(),
        Kind::Cargo | Kind::Bench | Kind::Fuzz => repo().to_path_buf(),
    };
    if !case.setup.is_empty() {
        let setup = world.sh(case.setup, &cwd, case.kind);
        assert_eq!(
            setup.code,
            Some(0),
            "{}: setup `{}`:\n{}",
            case.id,
            case.setup,
            setup.shown()
        );
    }
    let mut script = String::new();
    for (name, value) in case.vars {
        script.push_str(&format!("{name}={value}; export {name}\n"));
    }
    script.push_str(command);
    let outcome = world.sh(&script, &cwd, case.kind);
    assert_eq!(
        outcome.code,
        Some(case.code),
        "{} ({}): `{}` should exit {} ({}):\n{}",
        case.id,
        case.doc,
        case.command,
        case.code,
        case.says,
        outcome.shown()
    );
    let all = format!("{}{}", outcome.stdout, outcome.stderr);
    for needle in case.output_has {
        assert!(
            all.contains(needle),
            "{}: `{}` printed no {needle:?}:\n{}",
            case.id,
            case.command,
            outcome.shown()
        );
    }
    if !case.check.is_empty() {
        let check = world.sh(case.check, &cwd, case.kind);
        assert_eq!(
            check.code,
            Some(0),
            "{}: after `{}`, `{}` failed ({}):\n{}\nthe command printed:\n{}",
            case.id,
            case.command,
            case.check,
            case.says,
            check.shown(),
            outcome.shown()
        );
    }
    (world, outcome)
}

/// Compares `actual` with the snapshot `name`, or writes it when blessing.
fn snapshot(dir: &str, name: &str, actual: &str) -> Result<(), String> {
    let path = repo().join("tests/snapshots").join(dir).join(name);
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return Ok(());
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(0);
    Err(format!(
        "tests/snapshots/{dir}/{name} differs at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
         the whole output:\n{actual}",
        first + 1,
        e.get(first),
        a.get(first)
    ))
}

/// Checks that the files in `tests/snapshots/DIR` are exactly `names` (removes the
/// others when blessing).
fn no_stray_snapshots(dir: &str, names: &BTreeSet<String>) {
    let path = repo().join("tests/snapshots").join(dir);
    for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !names.contains(&name) {
            if blessing() {
                std::fs::remove_file(path.join(&name)).unwrap();
            } else {
                panic!("tests/snapshots/{dir}/{name} belongs to no case: remove it (or bless)");
            }
        }
    }
}

fn transcript(case: &Case, world: &World, outcome: &Outcome) -> String {
    let mut out = format!("$ {}\n", case.command);
    if let Some(run_as) = case.run_as {
        out.push_str(&format!("# run as: {run_as}\n"));
    }
    if !case.setup.is_empty() {
        out.push_str(&format!("# after: {}\n", case.setup));
    }
    for (name, value) in case.vars {
        out.push_str(&format!("# with: {name}={value}\n"));
    }
    out.push_str(&format!("# exit: {}\n", outcome.code.unwrap_or(-1)));
    out.push_str(&format!("# stdout:\n{}", outcome.stdout));
    if !outcome.stdout.is_empty() && !outcome.stdout.ends_with('\n') {
        out.push_str("\n# (no final line feed)\n");
    }
    out.push_str(&format!("# stderr:\n{}", outcome.stderr));
    if !outcome.stderr.is_empty() && !outcome.stderr.ends_with('\n') {
        out.push_str("\n# (no final line feed)\n");
    }
    redact(&out, world.path())
}

#[test]
fn the_gate_examples_exit_and_print_as_documented() {
    let _binary = binary_in_use();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for case in CASES.iter().filter(|c| c.kind == Kind::Gate) {
        let (world, outcome) = run_case(case);
        let name = format!("{}.txt", case.id);
        if let Err(diff) = snapshot("examples", &name, &transcript(case, &world, &outcome)) {
            failures.push(diff);
        }
        names.insert(name);
        match case.id {
            "readme-hash-policy" => the_policy_printed_is_the_readmes(&outcome.stdout),
            "readme-verify-pinned" | "readme-verify-pinned-missing" => {
                assert_eq!((&*outcome.stdout, &*outcome.stderr), ("", ""), "{}", case.id)
            }
            id if id.starts_with("readme-verify-json") => {
                assert_eq!(outcome.stderr, "", "{id}: --json prints nothing on stderr");
                let object: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
                assert_eq!(outcome.stdout.lines().count(), 1, "{id}: one line");
                assert_eq!(object["exit_code"], case.code, "{id}");
            }
            _ => {}
        }
    }
    no_stray_snapshots("examples", &names);
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is meant, rewrite the snapshots with \
         `EULA_GATE_BLESS=1 cargo test --release --locked --test docs` and review the diff.",
        failures.join("\n\n")
    );
}

/// The README's policy example is what `hash --policy` prints for the embedded text.
fn the_policy_printed_is_the_readmes(stdout: &str) {
    let block = blocks("README.md")
        .into_iter()
        .find(|b| b.info == "json" && b.text.contains("\"approved_by\""))
        .expect("the README shows a policy file");
    let documented: serde_json::Value = serde_json::from_str(&block.text).unwrap();
    let printed: serde_json::Value = serde_json::from_str(stdout).unwrap();
    assert_eq!(
        printed, documented,
        "README.md:{}: the policy example",
        block.line
    );
}

#[test]
fn the_readmes_receipt_example_has_every_field_a_receipt_has() {
    let block = blocks("README.md")
        .into_iter()
        .find(|b| b.info == "json" && b.text.contains("\"receipt_id\""))
        .expect("the README shows a receipt");
    let documented: serde_json::Value = serde_json::from_str(&block.text).unwrap();
    let _binary = binary_in_use();
    let env = common::Env::new();
    env.run(&["--accept-eula", "--context", "debconf"]).expect_code(0);
    fn keys(value: &serde_json::Value, at: &str, out: &mut BTreeSet<String>) {
        if let Some(map) = value.as_object() {
            for (key, inner) in map {
                let path = format!("{at}{key}");
                keys(inner, &format!("{path}."), out);
                out.insert(path);
            }
        }
    }
    let (mut written, mut shown) = (BTreeSet::new(), BTreeSet::new());
    keys(&env.read_receipt("portsip-pbx"), "", &mut written);
    keys(&documented, "", &mut shown);
    let missing: Vec<_> = written.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "README.md:{}: the receipt example lacks {missing:?}",
        block.line
    );
    assert_eq!(documented["license"]["sha256"], EMBEDDED_SHA256);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "runs cargo on the release build: cargo test --release"
)]
fn the_cargo_examples_run() {
    // In a fresh clone `cargo run --release` builds the binary once more (without the
    // dev-dependencies' features), as packaging/build.sh would later in the suite.
    let _binary = binary_relinked();
    for case in CASES.iter().filter(|c| c.kind == Kind::Cargo) {
        run_case(case);
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "the benchmarks measure the release build: cargo test --release"
)]
fn the_benchmarks_start_in_a_smoke_form() {
    let missing: Vec<&str> = ["hyperfine", "python3", "sha256sum"]
        .into_iter()
        .filter(|tool| {
            !Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {tool}"))
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if !missing.is_empty() {
        return not_run(&format!(
            "benches/run.sh needs {missing:?} (.ci/run installs them)"
        ));
    }
    // benches/process.sh runs `cargo build --release`.
    let _binary = binary_relinked();
    for case in CASES.iter().filter(|c| c.kind == Kind::Bench) {
        run_case(case);
    }
}

// ---- Fuzzing ----

/// The directories the README's fuzz commands name, e.g. `fuzz/work/receipt`.
fn fuzz_dirs() -> Vec<String> {
    CASES
        .iter()
        .filter(|c| c.kind == Kind::Fuzz)
        .flat_map(|c| c.command.split_whitespace())
        .filter(|word| word.starts_with("fuzz/"))
        .map(str::to_owned)
        .collect()
}

fn git(args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .args(args)
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
}

#[test]
fn the_directories_the_fuzz_commands_name_are_in_a_fresh_clone() {
    let dirs = fuzz_dirs();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    if git(&["rev-parse", "--git-dir"]).is_none() {
        return not_run("not a git checkout: what a fresh clone holds is git's to say");
    }
    for dir in &dirs {
        // libFuzzer stops at once when a corpus directory it is given does not exist.
        let tracked = git(&["ls-files", "--", dir])
            .map(|o| o.stdout)
            .unwrap_or_default();
        assert!(
            !tracked.is_empty(),
            "{dir} holds no file that git tracks, so a fresh clone has no {dir} and \
             `cargo fuzz run` stops at once (commit {dir}/.gitkeep)"
        );
    }
    // New inputs stay out of git, as the README says.
    for dir in dirs.iter().filter(|d| d.starts_with("fuzz/work/")) {
        let input = format!("{dir}/0123456789abcdef");
        assert!(
            git(&["check-ignore", "-q", "--no-index", &input]).is_some(),
            "{input} would not be ignored by git"
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "builds the fuzz targets (minutes): cargo test --release"
)]
fn the_fuzz_commands_run_as_written_in_a_smoke_form() {
    let has = |args: &[&str]| {
        Command::new("cargo")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has(&["fuzz", "--version"]) {
        return not_run("cargo-fuzz is not installed (`cargo install cargo-fuzz`; .ci/run installs it)");
    }
    let nightly = has(&["+nightly", "--version"]);
    let lock = std::fs::read(repo().join("fuzz/Cargo.lock")).ok();
    for case in CASES.iter().filter(|c| c.kind == Kind::Fuzz) {
        if nightly {
            run_case(case);
        } else {
            // No nightly toolchain here (none can be fetched): the same command on
            // this toolchain, which takes nightly flags under RUSTC_BOOTSTRAP=1.
            let run_as = case
                .run_as
                .unwrap()
                .replace("cargo +nightly fuzz", "RUSTC_BOOTSTRAP=1 cargo fuzz");
            eprintln!("not run as written: no nightly toolchain here; ran `{run_as}` instead");
            run_case_as(case, &run_as);
        }
    }
    assert!(
        std::fs::read(repo().join("fuzz/Cargo.lock")).ok() == lock,
        "the fuzz commands rewrote fuzz/Cargo.lock: a fresh clone's lock file is stale; commit the new one"
    );
}

#[test]
fn the_sources_are_formatted_as_cargo_fmt_leaves_them() {
    // The README's development loop begins with `cargo fmt`, which rewrites the
    // sources; its local equivalent checks without writing.
    let Ok(out) = Command::new("cargo")
        .args(["fmt", "--check"])
        .current_dir(repo())
        .output()
    else {
        return not_run("no cargo on PATH");
    };
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not installed") {
        return not_run("rustfmt is not installed");
    }
    assert!(
        out.status.success(),
        "cargo fmt --check:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- Inline commands in running text ----

/// Splits a command line into words as sh would for plain words and quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (_, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn every_inline_eula_gate_command_is_one_the_binary_takes() {
    use clap::Parser;
    let mut count = 0;
    for doc in DOCS {
        for span in inline_spans(doc) {
            let span = span.strip_prefix("sudo ").unwrap_or(&span);
            if span != "eula-gate" && !span.starts_with("eula-gate ") {
                continue;
            }
            let command = span.split(" | ").next().unwrap();
            // Placeholders a reader fills in; only SHELL has a fixed set of values.
            let words: Vec<String> = shell_words(command)
                .into_iter()
                .map(|w| if w == "SHELL" { "bash".to_owned() } else { w })
                .collect();
            count += 1;
            if let Err(e) = eula_gate::cli::Cli::try_parse_from(&words) {
                use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
                assert!(
                    matches!(e.kind(), DisplayHelp | DisplayVersion),
                    "{doc}: `{span}` is not a command line eula-gate takes:\n{e}"
                );
            }
        }
    }
    assert!(count >= 20, "only {count} inline commands found");
    eprintln!("{count} inline `eula-gate ...` commands parse");
}

// ---- --help, pinned, and the README's tables ----

/// Each command and the name of its help snapshot (as its man page is named).
const HELP: [(&[&str], &str); 10] = [
    (&["--help"], "eula-gate"),
    (&["accept", "--help"], "eula-gate-accept"),
    (&["verify", "--help"], "eula-gate-verify"),
    (&["show", "--help"], "eula-gate-show"),
    (&["hash", "--help"], "eula-gate-hash"),
    (&["revoke", "--help"], "eula-gate-revoke"),
    (&["list", "--help"], "eula-gate-list"),
    (&["history", "--help"], "eula-gate-history"),
    (&["diff", "--help"], "eula-gate-diff"),
    (&["completions", "--help"], "eula-gate-completions"),
];

fn help(args: &[&str]) -> String {
    let _binary = binary_in_use();
    let env = common::Env::new();
    let run = env.run(args);
    run.expect_code(0);
    assert_eq!(run.stderr(), "", "{args:?}");
    run.stdout()
}

#[test]
fn every_commands_help_is_pinned() {
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for (args, name) in HELP {
        let name = format!("{name}.txt");
        if let Err(diff) = snapshot("help", &name, &help(args)) {
            failures.push(diff);
        }
        names.insert(name);
    }
    no_stray_snapshots("help", &names);
    // Every command has its snapshot.
    let commands = help_commands();
    for command in &commands {
        assert!(
            HELP.iter().any(|(args, _)| args[0] == command),
            "`eula-gate {command} --help` is not pinned: add it to HELP"
        );
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is meant, rewrite the snapshots with \
         `EULA_GATE_BLESS=1 cargo test --release --locked --test docs` and review the diff.",
        failures.join("\n\n")
    );
}

/// The commands `eula-gate --help` lists (without `help`).
fn help_commands() -> Vec<String> {
    section(&help(&["--help"]), "Commands:")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The indented lines after `heading` in a help text, up to the next heading.
fn section(help: &str, heading: &str) -> String {
    let Some(start) = help.find(&format!("\n{heading}\n")) else {
        return String::new();
    };
    let lines: Vec<&str> = help[start + heading.len() + 2..]
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |last| last + 1);
    lines[..end].iter().map(|l| format!("{l}\n")).collect()
}

/// The options a help text lists, as the README writes them: `--product NAME`,
/// `--accept-eula[=SHA256]`, `-q/--quiet`; and its positional arguments (`SHELL`).
fn help_options(help: &str) -> (BTreeSet<String>, Vec<String>) {
    let options = section(help, "Options:")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('-'))
        .map(|l| {
            l.split("  ")
                .next()
                .unwrap()
                .replace(", ", "/")
                .replace(['<', '>'], "")
        })
        .filter(|o| o != "-h/--help" && o != "-V/--version")
        .collect();
    let positionals = section(help, "Arguments:")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|a| a.trim_matches(['<', '>', '[', ']']).to_owned())
        .collect();
    (options, positionals)
}

/// The rows of the README table whose header is `header`, as cells.
fn readme_table(readme: &str, header: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(header)
        .unwrap_or_else(|| panic!("README.md has no table {header}"));
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The `code spans` of a table cell.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn the_readmes_command_and_option_tables_are_what_help_says() {
    let readme = read("README.md");
    let commands = help_commands();
    // "| command | does |": every command, and no other.
    let mut documented: Vec<String> = readme_table(&readme, "| command | does |")
        .iter()
        .flat_map(|row| code_spans(&row[0]))
        .filter_map(|span| span.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    documented.sort();
    documented.dedup();
    let mut listed = commands.clone();
    listed.sort();
    assert_eq!(
        documented, listed,
        "README.md's `| command | does |` table and `eula-gate --help`"
    );
    // "| command | options |": each command's options, as its --help lists them.
    let rows = readme_table(&readme, "| command | options |");
    let mut seen = BTreeSet::new();
    for row in &rows {
        let names = code_spans(&row[0]);
        let mut helps: Vec<Vec<&str>> = Vec::new();
        let mut positionals = Vec::new();
        for name in &names {
            let mut words = name.split_whitespace();
            let command = words.next().unwrap();
            positionals.extend(words.map(str::to_owned));
            seen.insert(command.to_owned());
            helps.push(vec![command, "--help"]);
        }
        if row[0].contains("or none") {
            helps.push(vec!["--help"]);
        }
        let options: BTreeSet<String> = code_spans(&row[1]).into_iter().collect();
        for args in helps {
            let (listed, args_listed) = help_options(&help(&args));
            assert_eq!(
                options,
                listed,
                "README.md's option table, row {:?}, and `eula-gate {}`",
                row[0],
                args.join(" ")
            );
            assert_eq!(
                positionals,
                args_listed,
                "the arguments of `eula-gate {}`",
                args.join(" ")
            );
        }
    }
    let mut seen: Vec<String> = seen.into_iter().collect();
    seen.sort();
    assert_eq!(
        seen, listed,
        "README.md's `| command | options |` table has a row per command"
    );
}

/// The commands and options a row of an exit-code table names: the words a reader
/// keys on (`accept` is left out: its `--accept-eula` says it).
fn named(meaning: &str) -> BTreeSet<String> {
    const WORDS: [&str; 12] = [
        "verify",
        "show",
        "hash",
        "revoke",
        "list",
        "history",
        "diff",
        "completions",
        "--check",
        "--accept-eula",
        "ctrl-c",
        "sigterm",
    ];
    meaning
        .to_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| WORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// `tests/cli.rs::the_exit_code_tables_of_help_readme_and_error_rs_are_one` checks
/// that help shows each row of `error::EXIT_CODES` and that the README lists the same
/// codes; this adds that help's block is that table and nothing else, in its order,
/// and that each README row speaks of the same commands as the table's.
#[test]
fn the_exit_code_rows_of_the_readme_and_help_are_error_rs_rows() {
    let codes = eula_gate::error::EXIT_CODES;
    let expected: String = codes
        .iter()
        .map(|(code, meaning)| format!("  {code:<4} {meaning}\n"))
        .collect();
    assert_eq!(
        section(&help(&["--help"]), "Exit codes:"),
        expected,
        "eula-gate --help"
    );
    let readme = read("README.md");
    let exits = &readme[readme.find("## Exit codes").expect("README.md: ## Exit codes")..];
    let rows = readme_table(exits, "| code | meaning |");
    assert_eq!(rows.len(), codes.len(), "README.md's exit-code table");
    let by_code: BTreeMap<u8, &str> = codes.iter().map(|(c, m)| (*c, *m)).collect();
    for row in &rows {
        let code: u8 = row[0]
            .parse()
            .unwrap_or_else(|_| panic!("README.md: exit code {:?}", row[0]));
        let meaning = by_code
            .get(&code)
            .unwrap_or_else(|| panic!("README.md: exit {code} is not in error::EXIT_CODES"));
        assert_eq!(
            named(&row[1]),
            named(meaning),
            "exit {code}: the README says {:?}, error::EXIT_CODES {meaning:?}",
            row[1]
        );
    }
}
