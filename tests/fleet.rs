//! The fleet pieces, run for real: the Ansible role in `packaging/ansible/` applied
//! with ansible-core to an inventory of hosts that each have their own root (local
//! connection, per-host binary, policy directory, receipt directory and license
//! text), the fleet report, ansible-lint, and the cloud-init example (its schema, then
//! its write_files and runcmd, through cloud-init's own code, against a throwaway root).
//!
//! ansible-core and ansible-lint come from the virtual environment that `.ci/run`
//! creates in `<target dir>/ci-venv`; cloud-init from Debian's package.

mod common;

use common::{EMBEDDED_SHA256, Env, binary, is_root, not_run};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PRODUCT: &str = "acme-pbx";
const APPROVER: &str = "Jane Doe <legal@example.com>";
const REFERENCE: &str = "LEGAL-1234";
/// The text legal reviewed, and the one a vendor update brings.
const REVIEWED: &str = "ACME PBX License\n\nYou may use this software on your own servers.\n";
const CHANGED: &str = "ACME PBX License\n\nYou may use this software on our cloud only.\n";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `<target dir>/ci-venv/bin`, where `.ci/run` installs ansible-core and ansible-lint.
fn venv_bin() -> PathBuf {
    binary().parent().unwrap().parent().unwrap().join("ci-venv/bin")
}

/// A tool from the CI virtual environment, else from PATH.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(venv_bin())
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn mkdirs(path: &Path) {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("id runs");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The license digest of `text`, by the real binary.
fn digest(env: &Env, text: &str) -> String {
    let file = env.file("digest-input.txt", text);
    let run = env.run(&["hash", "--product", PRODUCT, "--license", file.to_str().unwrap()]);
    run.expect_code(0);
    run.stdout().trim().to_owned()
}

/// One `ansible-playbook` run: its output, exit code, time and PLAY RECAP.
struct Play {
    output: String,
    code: i32,
    took: Duration,
    recap: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Play {
    #[track_caller]
    fn count(&self, host: &str, what: &str) -> u64 {
        let row = self
            .recap
            .get(host)
            .unwrap_or_else(|| panic!("{host} is not in the recap:\n{}", self.output));
        row[what]
    }

    /// The message of the task that failed on `host` (`fatal: [host]: FAILED! => {...}`).
    #[track_caller]
    fn failure(&self, host: &str) -> String {
        let prefix = format!("fatal: [{host}]: FAILED! => ");
        let line = self
            .output
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no failure on {host}:\n{}", self.output));
        let result: Value = serde_json::from_str(line).expect("the failed result is JSON");
        result["msg"].as_str().unwrap().to_owned()
    }

    #[track_caller]
    fn expect(&self, host: &str, changed: u64, failed: u64) -> &Play {
        assert_eq!(
            (self.count(host, "changed"), self.count(host, "failed")),
            (changed, failed),
            "{host}: (changed, failed):\n{}",
            self.output
        );
        self
    }
}

/// An inventory of hosts on this machine, each with its own root: `usr/bin/eula-gate`
/// (installed by the role), `etc/eula-gate/policy.d` (written by the role),
/// `var/lib/eula-gate` (receipts) and `opt/acme/LICENSE` (the product's text).
struct Fleet {
    env: Env,
    hosts: Vec<String>,
    sha256: String,
}

impl Fleet {
    /// `n` hosts `host01`...; those in `changed` carry the changed text.
    fn new(n: usize, changed: &[usize]) -> Fleet {
        let env = Env::new();
        std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let sha256 = digest(&env, REVIEWED);
        let hosts: Vec<String> = (1..=n).map(|i| format!("host{i:02}")).collect();
        let mut vars = json!({
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "eula_gate_product": PRODUCT,
            "eula_gate_sha256": sha256,
            "eula_gate_approved_by": APPROVER,
            "eula_gate_reference": REFERENCE,
            "eula_gate_binary_src": binary(),
        });
        if !is_root() {
            // The gate trusts policies owned by root or by the user who runs it.
            vars["eula_gate_owner"] = json!(id("-un"));
            vars["eula_gate_group"] = json!(id("-gn"));
        }
        let mut inventory_hosts = serde_json::Map::new();
        let fleet = Fleet {
            env,
            hosts: hosts.clone(),
            sha256,
        };
        for (i, host) in hosts.iter().enumerate() {
            let root = fleet.root(host);
            mkdirs(&root.join("usr/bin"));
            mkdirs(&root.join("opt/acme"));
            let text = if changed.contains(&(i + 1)) {
                CHANGED
            } else {
                REVIEWED
            };
            fleet.set_license(host, text);
            inventory_hosts.insert(
                host.clone(),
                json!({
                    "eula_gate_binary": root.join("usr/bin/eula-gate"),
                    "eula_gate_policy_dir": root.join("etc/eula-gate/policy.d"),
                    "eula_gate_receipt_dir": root.join("var/lib/eula-gate"),
                    "eula_gate_license_file": root.join("opt/acme/LICENSE"),
                }),
            );
        }
        let inventory = json!({"all": {"vars": vars, "hosts": inventory_hosts}});
        fleet.env.file("inventory.json", inventory.to_string());
        fleet.env.file("ansible.cfg", "[defaults]\n");
        mkdirs(&fleet.env.path("home"));
        fleet
    }

    fn root(&self, host: &str) -> PathBuf {
        self.env.path("hosts").join(host)
    }

    fn set_license(&self, host: &str, text: &str) {
        std::fs::write(self.root(host).join("opt/acme/LICENSE"), text).unwrap();
    }

    fn receipt_path(&self, host: &str) -> PathBuf {
        self.root(host).join(format!("var/lib/eula-gate/{PRODUCT}.json"))
    }

    fn receipt(&self, host: &str) -> Option<Vec<u8>> {
        std::fs::read(self.receipt_path(host)).ok()
    }

    fn receipts(&self) -> Vec<Option<Vec<u8>>> {
        self.hosts.iter().map(|h| self.receipt(h)).collect()
    }

    /// The host's own eula-gate on its own receipts (`verify` also on its own text).
    fn gate(&self, host: &str, args: &[&str]) -> common::Run {
        let root = self.root(host);
        let mut cmd = Command::new(root.join("usr/bin/eula-gate"));
        common::without_gate_vars(&mut cmd);
        cmd.args(args);
        if args == ["verify"] {
            cmd.arg("--license").arg(root.join("opt/acme/LICENSE"));
        }
        cmd.arg("--product")
            .arg(PRODUCT)
            .arg("--receipt-dir")
            .arg(root.join("var/lib/eula-gate"))
            .stdin(Stdio::null());
        common::run_checked(cmd)
    }

    /// Runs `packaging/ansible/<playbook>` on this inventory.
    fn play(&self, playbook: &str, args: &[&str]) -> Play {
        let mut cmd = Command::new(tool("ansible-playbook").expect("ansible-playbook is installed"));
        common::without_gate_vars(&mut cmd);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ANSIBLE_") {
                cmd.env_remove(name);
            }
        }
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.arg("-i")
            .arg(self.env.path("inventory.json"))
            .arg(repo("packaging/ansible").join(playbook))
            .args(args)
            .current_dir(self.env.tmp.path())
            .env("PATH", format!("{}:{path}", venv_bin().display()))
            .env("HOME", self.env.path("home"))
            .env("ANSIBLE_CONFIG", self.env.path("ansible.cfg"))
            .env("ANSIBLE_LOCAL_TEMP", self.env.path("home/ansible-tmp"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("PYTHONWARNINGS", "ignore:DSA is deprecated")
            .stdin(Stdio::null());
        let start = Instant::now();
        let out = cmd.output().expect("run ansible-playbook");
        let took = start.elapsed();
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut recap = BTreeMap::new();
        if let Some(tail) = output.split("PLAY RECAP").nth(1) {
            for line in tail.lines().skip(1) {
                let Some((host, counts)) = line.split_once(" : ") else {
                    break;
                };
                let counts = counts
                    .split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
                    .collect();
                recap.insert(host.trim().to_owned(), counts);
            }
        }
        Play {
            code: out.status.code().unwrap_or(-1),
            output,
            took,
            recap,
        }
    }

    fn report(&self) -> (Play, Value, String) {
        let dir = self.env.path("report");
        let play = self.play(
            "fleet-report.yml",
            &["-e", &format!("eula_gate_report_dir={}", dir.display())],
        );
        assert_eq!(play.code, 0, "{}", play.output);
        let json = serde_json::from_slice(&std::fs::read(dir.join("fleet-report.json")).unwrap()).unwrap();
        let table = std::fs::read_to_string(dir.join("fleet-report.txt")).unwrap();
        (play, json, table)
    }
}

/// None (after saying why, visibly) when ansible-playbook is missing; under CI a failure.
fn ansible_fleet(n: usize, changed: &[usize]) -> Option<Fleet> {
    if tool("ansible-playbook").is_none() {
        not_run(&format!(
            "ansible-playbook is neither in {} nor on PATH (.ci/run installs it there)",
            venv_bin().display()
        ));
        return None;
    }
    Some(Fleet::new(n, changed))
}

/// The report's row for `host`.
fn row<'a>(report: &'a Value, host: &str) -> &'a Value {
    let rows: Vec<&Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["host"] == host)
        .collect();
    assert_eq!(rows.len(), 1, "{host}: {report:#}");
    rows[0]
}

/// The command the failure message gives between backticks after `what`.
fn command_after<'a>(message: &'a str, what: &str) -> &'a str {
    let rest = &message[message
        .find(what)
        .unwrap_or_else(|| panic!("no {what:?} in {message}"))
        + what.len()..];
    let rest = rest.strip_prefix('`').expect("a command in backticks");
    &rest[..rest.find('`').unwrap()]
}

#[test]
fn the_role_records_the_decision_on_every_host_and_fails_only_the_one_whose_text_changed() {
    // host02 carries another text: it sits between two good hosts, which both go on.
    let Some(fleet) = ansible_fleet(3, &[2]) else {
        return;
    };
    let good = ["host01", "host03"];
    let changed_sha = digest(&fleet.env, CHANGED);

    // Check mode on hosts that have nothing yet: says it would change, writes nothing.
    let check = fleet.play("site.yml", &["--check"]);
    assert_eq!(check.code, 0, "{}", check.output);
    for host in &fleet.hosts {
        assert!(check.count(host, "changed") > 0, "{}", check.output);
        assert!(
            !fleet.root(host).join("etc").exists(),
            "check mode wrote a policy"
        );
        assert!(!fleet.root(host).join("usr/bin/eula-gate").exists());
    }

    // First run: a receipt on the good hosts; the changed one fails, naming both
    // digests and the command that shows the changes.
    let first = fleet.play("site.yml", &[]);
    assert_eq!(first.code, 2, "one host failed:\n{}", first.output);
    for host in good {
        first.expect(host, 4, 0); // binary, policy directory, policy, receipt
        let receipt: Value = serde_json::from_slice(&fleet.receipt(host).unwrap()).unwrap();
        assert_eq!(receipt["method"], "policy");
        assert_eq!(receipt["context"], "ansible");
        assert_eq!(receipt["license"]["sha256"], fleet.sha256.as_str());
        assert_eq!(receipt["policy"]["approved_by"], APPROVER);
        assert_eq!(receipt["policy"]["reference"], REFERENCE);
        assert!(common::python_receipt_digest_ok(&fleet.receipt_path(host)));
        fleet.gate(host, &["verify"]).expect_code(0);
        let policy_dir = fleet.root(host).join("etc/eula-gate/policy.d");
        assert_eq!(mode(&policy_dir), 0o755);
        assert_eq!(mode(&policy_dir.join("acme-pbx.json")), 0o644);
        assert_eq!(mode(&fleet.root(host).join("usr/bin/eula-gate")), 0o755);
        if is_root() {
            assert_eq!(
                std::fs::metadata(policy_dir.join("acme-pbx.json")).unwrap().uid(),
                0
            );
        }
    }
    first.expect("host02", 3, 1);
    assert!(fleet.receipt("host02").is_none(), "nothing is accepted on host02");
    let message = first.failure("host02");
    for needle in [
        fleet.sha256.as_str(),
        changed_sha.as_str(),
        REFERENCE,
        "eula-gate diff --product acme-pbx",
    ] {
        assert!(message.contains(needle), "{needle:?} not in: {message}");
    }
    let receipts = fleet.receipts();

    // Second run, then check mode: nothing changes, the changed host still fails.
    for args in [&[][..], &["--check"][..]] {
        let again = fleet.play("site.yml", args);
        assert_eq!(again.code, 2, "{}", again.output);
        for host in good {
            again.expect(host, 0, 0);
        }
        again.expect("host02", 0, 1);
        assert!(again.failure("host02").contains(&changed_sha));
        assert_eq!(fleet.receipts(), receipts, "{args:?} rewrote a receipt");
    }

    // The report: every host, with its status.
    let (_, report, table) = fleet.report();
    assert_eq!(report.as_array().unwrap().len(), 3, "{report:#}");
    for host in good {
        let r = row(&report, host);
        assert_eq!(r["status"], "valid", "{r}");
        assert_eq!(r["product"], PRODUCT);
        assert_eq!(r["license_sha256"], fleet.sha256.as_str());
        assert_eq!(r["method"], "policy");
        assert_eq!(r["context"], "ansible");
        assert_eq!(r["approved_by"], APPROVER);
        let receipt: Value = serde_json::from_slice(&fleet.receipt(host).unwrap()).unwrap();
        assert_eq!(r["accepted_at"], receipt["accepted_at"]);
        let line = table.lines().find(|l| l.starts_with(host)).expect("a table row");
        for cell in [PRODUCT, fleet.sha256.as_str(), APPROVER, "policy", "valid"] {
            assert!(line.contains(cell), "{cell:?} not in {line:?}");
        }
    }
    let r = row(&report, "host02");
    assert_eq!(
        (&r["product"], &r["status"]),
        (&json!(PRODUCT), &json!("missing")),
        "{r}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("host02") && l.ends_with("missing")),
        "{table}"
    );
    let header = table.lines().find(|l| l.starts_with("HOST")).expect("a header");
    for column in [
        "PRODUCT",
        "LICENSE_SHA256",
        "ACCEPTED_AT",
        "METHOD",
        "APPROVED_BY",
        "STATUS",
    ] {
        assert!(header.contains(column), "{header}");
    }

    // A receipt withdrawn on host01 and a vendor update of host03's text: check mode
    // predicts the one receipt and writes nothing; the run writes exactly that one,
    // and host03 fails with a diff command that works on host03.
    fleet.gate("host01", &["revoke"]).expect_code(0);
    fleet.set_license("host03", CHANGED);
    let old_host03 = fleet.receipt("host03");
    let check = fleet.play("site.yml", &["--check"]);
    check.expect("host01", 1, 0).expect("host03", 0, 1);
    assert!(fleet.receipt("host01").is_none(), "check mode wrote a receipt");
    let run = fleet.play("site.yml", &[]);
    run.expect("host01", 1, 0)
        .expect("host03", 0, 1)
        .expect("host02", 0, 1);
    assert!(fleet.receipt("host01").is_some());
    assert_eq!(
        fleet.receipt("host03"),
        old_host03,
        "host03 keeps its receipt for the reviewed text"
    );
    let message = run.failure("host03");
    let diff = command_after(&message, "See what changed with ");
    let shown = Command::new("sh")
        .args(["-c", diff])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown_out = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success()
            && shown_out.contains("[-your own servers.-]")
            && shown_out.contains("{+our cloud only.+}"),
        "{diff}: {shown:?}"
    );

    // Legal reviews the new text and pins it: host03 records it, superseding its
    // receipt for the old text.
    let pin = format!("eula_gate_sha256={changed_sha}");
    let run = fleet.play("site.yml", &["--limit", "host03", "-e", &pin]);
    run.expect("host03", 2, 0); // the policy, the receipt
    let receipt: Value = serde_json::from_slice(&fleet.receipt("host03").unwrap()).unwrap();
    let old: Value = serde_json::from_slice(&old_host03.unwrap()).unwrap();
    assert_eq!(receipt["license"]["sha256"], changed_sha.as_str());
    assert_eq!(
        (&receipt["method"], &receipt["supersedes"]),
        (&json!("policy"), &old["digest"])
    );
}

#[test]
fn the_report_names_hosts_it_cannot_read() {
    let Some(fleet) = ansible_fleet(3, &[]) else {
        return;
    };
    // host01 has accepted; host02 has no eula-gate at all; host03 has eula-gate and no
    // receipt. Nothing is applied: the report alone.
    fleet
        .play("site.yml", &["--limit", "host01,host03"])
        .expect("host01", 4, 0);
    fleet.gate("host03", &["revoke"]).expect_code(0);
    let (play, report, table) = fleet.report();
    for host in &fleet.hosts {
        assert_eq!(
            play.count(host, "changed") + play.count(host, "failed"),
            u64::from(host == "host01") * 3
        );
    }
    assert_eq!(row(&report, "host01")["status"], "valid");
    let r = row(&report, "host02");
    assert_eq!(r["status"], "error");
    assert!(r["reason"].as_str().unwrap().contains("usr/bin/eula-gate"), "{r}");
    assert_eq!(row(&report, "host03")["status"], "missing");
    assert!(table.contains("Reasons:\nhost02 acme-pbx: error: "), "{table}");
    // Nothing changed on the hosts: the same report, byte for byte.
    let (again, report_again, table_again) = fleet.report();
    assert_eq!((report_again, table_again), (report, table));
    for host in &fleet.hosts {
        assert_eq!(again.count(host, "changed"), 0, "{}", again.output);
    }
}

#[test]
fn ansible_lint_finds_nothing() {
    let Some(lint) = tool("ansible-lint") else {
        not_run("ansible-lint is not installed (.ci/run installs it in <target>/ci-venv)");
        return;
    };
    let env = Env::new();
    let path = std::env::var("PATH").unwrap_or_default();
    let out = Command::new(lint)
        .args(["--offline", "--nocolor", "--profile", "production"])
        .current_dir(repo("packaging/ansible"))
        .env("PATH", format!("{}:{path}", venv_bin().display()))
        .env("HOME", env.path("home"))
        .env("PYTHONWARNINGS", "ignore:DSA is deprecated")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Passed: 0 failure(s), 0 warning(s)"),
        "{text}"
    );
}

// ---- cloud-init ----

const CLOUD_CONFIG: &str = "packaging/cloud-init/eula-gate.yaml";

/// The Python that runs cloud-init (from its script's `#!` line), or None if absent.
fn cloud_init_python() -> Option<String> {
    let script = tool("cloud-init")?;
    let text = std::fs::read_to_string(script).ok()?;
    let interpreter = text
        .lines()
        .next()?
        .strip_prefix("#!")?
        .split_whitespace()
        .next()?;
    Some(interpreter.to_owned())
}

#[test]
fn the_cloud_config_example_is_valid_for_cloud_init() {
    let Some(cloud_init) = tool("cloud-init") else {
        not_run("cloud-init is not installed (apt-get install cloud-init; .ci/run does)");
        return;
    };
    let out = Command::new(cloud_init)
        .args(["schema", "--config-file"])
        .arg(repo(CLOUD_CONFIG))
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Valid cloud-config"),
        "{out:?}"
    );
    // The example pins the embedded text, as `eula-gate hash --policy` prints it.
    let example = std::fs::read_to_string(repo(CLOUD_CONFIG)).unwrap();
    let env = Env::new();
    let policy = env.run(&[
        "hash",
        "--policy",
        "--approved-by",
        APPROVER,
        "--reference",
        REFERENCE,
    ]);
    for line in policy.expect_code(0).stdout().lines() {
        assert!(
            example.contains(&format!("      {line}\n")),
            "{line:?} not in the example"
        );
    }
}

/// Runs the example's write_files and runcmd with cloud-init's own code (`write_files`,
/// `shellify`), every written path moved under `root`, the gate's directories there
/// too, and the sha256 in the file replaced by `pin`.
fn first_boot(env: &Env, root: &Path, pin: &str) -> Option<std::process::Output> {
    let Some(python) = cloud_init_python() else {
        not_run("cloud-init is not installed (apt-get install cloud-init; .ci/run does)");
        return None;
    };
    let script = r#"
import inspect, os, subprocess, sys, yaml
from cloudinit import util
from cloudinit.config import cc_write_files
root, config, owner, pin = sys.argv[1:5]
cfg = yaml.safe_load(open(config).read().replace(
    "a47b50dbf69326d43b53b6a83a575341f184c5a686ddb8006d0c3512743519c8", pin))
files = [dict(f, path=root + f["path"], owner=owner or f.get("owner")) for f in cfg["write_files"]]
os.umask(0o022)  # cloud-init's services run with systemd's default umask
if len(inspect.signature(cc_write_files.write_files).parameters) == 3:
    cc_write_files.write_files("write_files", files, "root:root")
else:
    cc_write_files.write_files("write_files", files)
script = root + "/var/lib/cloud/instance/scripts/runcmd"
util.write_file(script, util.shellify(cfg["runcmd"]), 0o700)
sys.exit(subprocess.call([script]))
"#;
    let owner = if is_root() {
        String::new()
    } else {
        format!("{}:{}", id("-un"), id("-gn"))
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let mut cmd = Command::new(python);
    common::without_gate_vars(&mut cmd);
    cmd.args(["-c", script])
        .arg(root)
        .arg(repo(CLOUD_CONFIG))
        .arg(owner)
        .arg(pin)
        .env("PATH", format!("{}:{path}", binary().parent().unwrap().display()))
        .env("HOME", env.path("home"))
        .env("EULA_GATE_POLICY_DIR", root.join("etc/eula-gate/policy.d"))
        .env("EULA_GATE_RECEIPT_DIR", root.join("var/lib/eula-gate"))
        .stdin(Stdio::null());
    Some(cmd.output().unwrap())
}

#[test]
fn the_cloud_config_example_records_the_policy_at_first_boot() {
    let env = Env::new();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = env.path("root");
    let Some(out) = first_boot(&env, &root, EMBEDDED_SHA256) else {
        return;
    };
    assert!(out.status.success(), "{out:?}");
    let receipt_path = root.join("var/lib/eula-gate/portsip-pbx.json");
    let receipt: Value = serde_json::from_slice(&std::fs::read(&receipt_path).unwrap()).unwrap();
    assert_eq!(receipt["method"], "policy");
    assert_eq!(receipt["context"], "cloud-init");
    assert_eq!(receipt["license"]["sha256"], EMBEDDED_SHA256);
    assert_eq!(receipt["policy"]["approved_by"], APPROVER);
    assert_eq!(receipt["policy"]["reference"], REFERENCE);
    assert!(common::python_receipt_digest_ok(&receipt_path));
    let policy = root.join("etc/eula-gate/policy.d/portsip-pbx.json");
    assert_eq!((mode(&policy), mode(policy.parent().unwrap())), (0o644, 0o755));
    let verify = env.run(&[
        "verify",
        "--receipt-dir",
        root.join("var/lib/eula-gate").to_str().unwrap(),
    ]);
    verify.expect_code(0);
}

#[test]
fn the_cloud_config_example_accepts_nothing_when_the_image_has_another_text() {
    let env = Env::new();
    std::fs::set_permissions(env.tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = env.path("root");
    let pin = "0".repeat(64);
    let Some(out) = first_boot(&env, &root, &pin) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    // runcmd's script goes on after a failed line, so it exits with the gate's status.
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        stderr.contains("pins another text") && stderr.contains(&pin),
        "{stderr}"
    );
    assert!(!root.join("var/lib/eula-gate/portsip-pbx.json").exists());
}

// ---- measurements ----

/// Wall time of the role and the report on 3, 6 and 12 hosts:
/// `cargo test --release --locked --test fleet -- --ignored --nocapture fleet_timing`
#[test]
#[ignore = "a measurement: run it by name"]
fn fleet_timing() {
    eprintln!("hosts  first run  second run  check mode  report");
    for n in [3, 6, 12] {
        let Some(fleet) = ansible_fleet(n, &[2]) else {
            return;
        };
        let first = fleet.play("site.yml", &[]);
        let second = fleet.play("site.yml", &[]);
        let check = fleet.play("site.yml", &["--check"]);
        let (report, ..) = fleet.report();
        for host in &fleet.hosts {
            assert_eq!(second.count(host, "changed"), 0);
        }
        eprintln!(
            "{n:>5}  {:>8.1}s  {:>9.1}s  {:>9.1}s  {:>5.1}s",
            first.took.as_secs_f64(),
            second.took.as_secs_f64(),
            check.took.as_secs_f64(),
            report.took.as_secs_f64()
        );
    }
}
