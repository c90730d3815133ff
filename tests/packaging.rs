//! The packaging pieces, run for real: install.sh in a pseudo-terminal and without
//! one, the Docker entrypoint, the systemd drop-in, the rpm %pre scriptlet, and the
//! two .deb packages installed with the real dpkg into throwaway roots.

mod common;

use common::pty::Pty;
use common::{EMBEDDED_TEXT, Env, Run, binary};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// PATH with the built eula-gate first.
fn path_with_gate() -> String {
    let dir = binary().parent().unwrap().to_path_buf();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A shell script run without a terminal: new session (no /dev/tty), stdin closed.
fn script(env: &Env, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("PATH", path_with_gate())
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .env("PORTSIP_PREFIX", env.path("opt"))
        .env("HOME", env.path("home"))
        .env_remove("EULA_GATE_ACCEPT")
        .env_remove("DEBIAN_FRONTEND")
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; run in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

fn run(mut cmd: Command) -> Run {
    Run(cmd.output().expect("run"))
}

fn installed(env: &Env) -> bool {
    env.path("opt/pbx/INSTALLED").exists()
}

#[test]
fn shell_pieces_are_shellcheck_clean() {
    let files = [
        "packaging/install.sh",
        "packaging/docker/entrypoint.sh",
        "packaging/deb/build.sh",
        "packaging/deb/build-gate-deb.sh",
        "packaging/deb/build-demo-deb.sh",
        "packaging/deb/portsip-pbx-demo/DEBIAN/config",
        "packaging/deb/portsip-pbx-demo/DEBIAN/preinst",
        "packaging/deb/portsip-pbx-demo/DEBIAN/postrm",
    ];
    let out = Command::new("shellcheck")
        .arg("--shell=sh")
        .args(files.iter().map(|f| repo(f)))
        .output()
        .expect("shellcheck is installed (apt-get install shellcheck; .ci/run does)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

// ---- install.sh ----

fn install_sh_on_pty(env: &Env, shell_command: &str) -> Pty {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", shell_command])
        .current_dir(repo("packaging"))
        .env("PATH", path_with_gate())
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .env("PORTSIP_PREFIX", env.path("opt"))
        .env("TERM", "dumb")
        .env_remove("EULA_GATE_ACCEPT")
        .env_remove("DEBIAN_FRONTEND");
    Pty::spawn(cmd, 24, 80)
}

#[test]
fn install_sh_on_a_terminal_installs_after_yes() {
    let env = Env::new();
    let mut pty = install_sh_on_pty(&env, "sh install.sh");
    pty.expect("to decline: ");
    pty.send("yes\r");
    pty.expect("install.sh: done.");
    assert_eq!(pty.wait().code(), Some(0));
    assert!(installed(&env));
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "interactive");
}

#[test]
fn install_sh_on_a_terminal_stops_with_exit_3_after_no() {
    let env = Env::new();
    let mut pty = install_sh_on_pty(&env, "sh install.sh");
    pty.expect("to decline: ");
    pty.send("no\r");
    pty.expect("nothing was installed");
    assert_eq!(pty.wait().code(), Some(3));
    assert!(!installed(&env));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn install_sh_piped_into_sh_asks_through_dev_tty() {
    let env = Env::new();
    // As `curl ... | sh`: the script arrives on standard input.
    let mut pty = install_sh_on_pty(&env, "cat install.sh | sh");
    pty.expect("to decline: ");
    pty.send("yes\r");
    pty.expect("install.sh: done.");
    assert_eq!(pty.wait().code(), Some(0));
    assert!(installed(&env));
}

#[test]
fn install_sh_without_a_terminal_needs_explicit_consent() {
    let env = Env::new();
    let sh = repo("packaging/install.sh");
    let sh = sh.to_str().unwrap();
    run(script(&env, "sh", &[sh]))
        .expect_code(4)
        .stderr_has("--accept-eula")
        .stderr_has("nothing was installed");
    assert!(!installed(&env));
    run(script(
        &env,
        "sh",
        &[sh, &format!("--accept-eula={}", "0".repeat(64))],
    ))
    .expect_code(6);
    assert!(!installed(&env));
    run(script(&env, "sh", &[sh, "--accept-eula"])).expect_code(0);
    assert!(installed(&env));
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "flag");
    run(script(&env, "sh", &[sh, "--bogus"])).expect_code(2);
}

#[test]
fn install_sh_takes_consent_from_the_environment_per_product() {
    let env = Env::new();
    let sh = repo("packaging/install.sh");
    let mut cmd = script(&env, "sh", &[sh.to_str().unwrap()]);
    cmd.env("EULA_GATE_ACCEPT", "yes");
    run(cmd).expect_code(4);
    let mut cmd = script(&env, "sh", &[sh.to_str().unwrap()]);
    cmd.env("EULA_GATE_ACCEPT", "portsip-pbx");
    run(cmd).expect_code(0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "env");
}

// ---- Docker entrypoint (no Docker engine here: the script itself) ----

fn entrypoint(env: &Env, vars: &[(&str, &str)]) -> Run {
    let ep = repo("packaging/docker/entrypoint.sh");
    let mut cmd = script(
        env,
        "sh",
        &[ep.to_str().unwrap(), "sh", "-c", "echo SERVICE STARTED"],
    );
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(cmd)
}

#[test]
fn the_docker_entrypoint_refuses_to_start_without_acceptance() {
    let env = Env::new();
    let r = entrypoint(&env, &[]);
    r.expect_code(4)
        .stderr_has("refusing to start")
        .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
    assert!(!r.stdout().contains("SERVICE STARTED"));
    let r = entrypoint(&env, &[("EULA_GATE_ACCEPT", "yes")]);
    r.expect_code(4);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn the_docker_entrypoint_starts_with_a_receipt_or_run_time_consent() {
    let env = Env::new();
    let r = entrypoint(&env, &[("EULA_GATE_ACCEPT", "portsip-pbx")]);
    r.expect_code(0);
    assert_eq!(r.stdout(), "SERVICE STARTED\n");
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "env");
    // Later starts need nothing more.
    let r = entrypoint(&env, &[]);
    r.expect_code(0);
    assert_eq!(r.stdout(), "SERVICE STARTED\n");
}

#[test]
fn the_dockerfile_takes_acceptance_as_a_build_argument() {
    let dockerfile = std::fs::read_to_string(repo("packaging/docker/Dockerfile")).unwrap();
    assert!(dockerfile.contains("ARG EULA_GATE_ACCEPT"));
    assert!(dockerfile.contains("eula-gate accept --non-interactive --product portsip-pbx"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]"));
}

// ---- systemd ----

#[test]
fn the_systemd_drop_in_verifies_in_exec_start_pre() {
    let drop_in =
        std::fs::read_to_string(repo("packaging/systemd/portsip-pbx.service.d/10-eula-gate.conf")).unwrap();
    assert!(drop_in.contains("ExecStartPre=/usr/bin/eula-gate verify --product portsip-pbx"));
    assert!(
        !drop_in.lines().any(|l| l.trim_start().starts_with("Condition")),
        "a Condition would skip the service silently"
    );
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("skipped systemd-analyze verify: systemd-analyze is not installed");
        return;
    }
    let env = Env::new();
    let root = env.path("root");
    let units = root.join("etc/systemd/system");
    std::fs::create_dir_all(units.join("portsip-pbx.service.d")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(
        repo("packaging/systemd/portsip-pbx.service"),
        units.join("portsip-pbx.service"),
    )
    .unwrap();
    std::fs::copy(
        repo("packaging/systemd/portsip-pbx.service.d/10-eula-gate.conf"),
        units.join("portsip-pbx.service.d/10-eula-gate.conf"),
    )
    .unwrap();
    std::fs::copy("/bin/sleep", root.join("bin/sleep")).unwrap();
    let analyze = || {
        let out = Command::new("systemd-analyze")
            .arg(format!("--root={}", root.display()))
            .args(["verify", "portsip-pbx.service"])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Without the binary the drop-in's command is missing: proof that it is loaded.
    let (ok, stderr) = analyze();
    assert!(!ok && stderr.contains("/usr/bin/eula-gate"), "{stderr}");
    std::fs::copy(binary(), root.join("usr/bin/eula-gate")).unwrap();
    let (ok, stderr) = analyze();
    assert!(ok && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
}

// ---- rpm %pre ----

fn rpm_pre_scriptlet() -> String {
    let spec = std::fs::read_to_string(repo("packaging/rpm/portsip-pbx-demo.spec")).unwrap();
    let start = spec.find("\n%pre\n").expect("%pre section") + "\n%pre\n".len();
    let end = spec[start..].find("\n%files").expect("%files after %pre") + start;
    spec[start..end].to_owned()
}

#[test]
fn the_rpm_pre_scriptlet_never_prompts_and_needs_a_receipt_or_env() {
    let env = Env::new();
    let pre = env.file("pre.sh", rpm_pre_scriptlet());
    let p = pre.to_str().unwrap();
    run(script(&env, "sh", &[p]))
        .expect_code(1)
        .stderr_has("rpm cannot ask")
        .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
    assert!(!env.receipt("portsip-pbx").exists());
    let mut cmd = script(&env, "sh", &[p]);
    cmd.env("EULA_GATE_ACCEPT", "portsip-pbx");
    run(cmd).expect_code(0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "env");
    run(script(&env, "sh", &[p])).expect_code(0);
}

// ---- Debian packages, with the real dpkg in throwaway roots ----

struct Debs {
    gate: PathBuf,
    demo: PathBuf,
}

fn build_debs(env: &Env) -> Debs {
    let out = env.path("debs");
    let manpage = env.path("eula-gate.1");
    let example = binary().parent().unwrap().join("examples/manpage");
    let page = Command::new(&example)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    std::fs::write(&manpage, &page.stdout).unwrap();
    let build = |script: &str, args: &[&Path]| -> PathBuf {
        let o = Command::new("sh").arg(repo(script)).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
    };
    Debs {
        gate: build("packaging/deb/build-gate-deb.sh", &[&binary(), &manpage, &out]),
        demo: build("packaging/deb/build-demo-deb.sh", &[&binary(), &out]),
    }
}

/// A throwaway root for dpkg: its own database, debconf configuration and
/// receipts; maintainer scripts run on this machine (chrootless) with DPKG_ROOT set.
struct Root {
    dir: PathBuf,
}

impl Root {
    fn new(env: &Env) -> Root {
        let dir = env.path("root");
        for sub in [
            "etc",
            "var/cache/debconf",
            "var/lib/dpkg/info",
            "var/lib/dpkg/updates",
            "var/lib/dpkg/triggers",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(dir.join("var/lib/dpkg/available"), "").unwrap();
        // The packages that the chrootless scripts use from this machine.
        let arch = String::from_utf8(
            Command::new("dpkg")
                .arg("--print-architecture")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let host = |name: &str, arch: &str| {
            format!(
                "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: admin\n\
                 Maintainer: this machine\nArchitecture: {arch}\nVersion: 9:99\n\
                 Description: provided by the machine the scripts run on\n\n"
            )
        };
        let status = host("debconf", "all") + &host("libc6", arch.trim());
        std::fs::write(dir.join("var/lib/dpkg/status"), status).unwrap();
        std::fs::copy("/etc/debconf.conf", dir.join("etc/debconf.conf")).expect("debconf is installed");
        Root { dir }
    }

    fn cmd(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env(
            "PATH",
            format!(
                "{}:{}",
                self.dir.join("usr/bin").display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env_remove("EULA_GATE_ACCEPT")
        .env_remove("EULA_GATE_RECEIPT_DIR")
        .stdin(Stdio::null());
        cmd
    }

    fn dpkg(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut cmd = self.cmd("dpkg");
        cmd.arg(format!("--root={}", self.dir.display()))
            .arg("--force-script-chrootless");
        if !is_root() {
            cmd.arg("--force-not-root");
        }
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        run(cmd)
    }

    fn install(&self, deb: &Path, vars: &[(&str, &str)]) -> Run {
        self.dpkg(&["-i", deb.to_str().unwrap()], vars)
    }

    fn status(&self, package: &str) -> String {
        let out = self
            .cmd("dpkg-query")
            .arg(format!("--root={}", self.dir.display()))
            .args(["-W", "-f=${Status}", package])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn preseed(&self, answer: &str) {
        let mut child = self
            .cmd("debconf-set-selections")
            .env("DPKG_ROOT", &self.dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("debconf-set-selections is installed");
        let line = format!("portsip-pbx-demo portsip-pbx-demo/accept-license select {answer}\n");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), line.as_bytes()).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }

    fn receipts(&self) -> PathBuf {
        self.dir.join("var/lib/eula-gate")
    }

    fn verify(&self) -> i32 {
        let out = Command::new(binary())
            .args(["verify", "--quiet", "--receipt-dir"])
            .arg(self.receipts())
            .status()
            .unwrap();
        out.code().unwrap()
    }

    fn with_gate(env: &Env, debs: &Debs) -> Root {
        let root = Root::new(env);
        root.install(&debs.gate, &[]).expect_code(0);
        assert_eq!(root.status("eula-gate"), "install ok installed");
        root
    }
}

#[test]
fn the_gate_deb_ships_binary_man_page_completions_and_license() {
    let env = Env::new();
    let debs = build_debs(&env);
    let listing = String::from_utf8(
        Command::new("dpkg-deb")
            .arg("-c")
            .arg(&debs.gate)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for path in [
        "./usr/bin/eula-gate",
        "./usr/share/man/man1/eula-gate.1.gz",
        "./usr/share/bash-completion/completions/eula-gate",
        "./usr/share/zsh/vendor-completions/_eula-gate",
        "./usr/share/fish/vendor_completions.d/eula-gate.fish",
        "./usr/share/doc/eula-gate/portsip-eula.txt",
        "./usr/share/doc/eula-gate/copyright",
    ] {
        assert!(listing.contains(path), "{path} missing from:\n{listing}");
    }
    let root = Root::with_gate(&env, &debs);
    let doc = std::fs::read_to_string(root.dir.join("usr/share/doc/eula-gate/portsip-eula.txt")).unwrap();
    assert_eq!(doc, EMBEDDED_TEXT);
    let man = Command::new("gzip")
        .arg("-dc")
        .arg(root.dir.join("usr/share/man/man1/eula-gate.1.gz"))
        .output()
        .unwrap();
    let man = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.contains(".TH eula-gate 1") && man.contains("accept\\-eula"),
        "{man}"
    );
    let bash =
        std::fs::read_to_string(root.dir.join("usr/share/bash-completion/completions/eula-gate")).unwrap();
    assert!(bash.contains("--accept-eula") && bash.contains("verify"));
}

#[test]
fn deb_unanswered_and_noninteractive_fails_the_install() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("nobody could be asked")
        .stderr_has("debconf-set-selections");
    assert_ne!(root.status("portsip-pbx-demo"), "install ok installed");
    assert!(!root.dir.join("opt/portsip-pbx-demo/README").exists());
    assert_eq!(root.verify(), 5);
}

#[test]
fn deb_preseeded_agreement_installs_and_writes_the_receipt() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.preseed("I AGREE");
    root.install(&debs.demo, &[]).expect_code(0);
    assert_eq!(root.status("portsip-pbx-demo"), "install ok installed");
    assert!(root.dir.join("opt/portsip-pbx-demo/README").exists());
    assert_eq!(root.verify(), 0);
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.receipts().join("portsip-pbx.json")).unwrap()).unwrap();
    assert_eq!(receipt["method"], "flag");
}

#[test]
fn deb_declined_is_not_installed_and_the_answer_is_asked_again() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.preseed("I DECLINE");
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("was declined");
    assert_ne!(root.status("portsip-pbx-demo"), "install ok installed");
    assert_eq!(root.verify(), 5);
    // The decline was purged: the next unattended install is not a silent decline
    // but a question nobody could answer.
    root.install(&debs.demo, &[]).stderr_has("nobody could be asked");
}

#[test]
fn deb_with_a_valid_receipt_asks_nothing() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let accept = Command::new(binary())
        .args(["--accept-eula", "--receipt-dir"])
        .arg(root.receipts())
        .status()
        .unwrap();
    assert!(accept.success());
    // Even a preseeded decline is never consulted: the receipt answers first.
    root.preseed("I DECLINE");
    root.install(&debs.demo, &[]).expect_code(0);
    assert_eq!(root.status("portsip-pbx-demo"), "install ok installed");
}

#[test]
fn deb_accepts_eula_gate_accept_naming_the_product() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let r = root.install(&debs.demo, &[("EULA_GATE_ACCEPT", "yes")]);
    assert_ne!(r.code(), 0, "a blanket yes is not consent");
    root.install(&debs.demo, &[("EULA_GATE_ACCEPT", "portsip-pbx")])
        .expect_code(0);
    assert_eq!(root.status("portsip-pbx-demo"), "install ok installed");
    assert_eq!(root.verify(), 0);
}
