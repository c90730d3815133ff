//! The packaging pieces, run for real: install.sh in a pseudo-terminal and without
//! one, the Docker entrypoint, the systemd drop-in, the two .deb packages (lintian,
//! the real dpkg into throwaway roots), the two rpms (rpmbuild, rpmlint, rpm into a
//! throwaway root), the man pages rendered with man, and the completions in real
//! bash, zsh and fish.

mod common;

use common::pty::Pty;
use common::{EMBEDDED_SHA256, EMBEDDED_TEXT, Env, Run, binary};
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
    common::without_gate_vars(&mut cmd);
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
        "packaging/build.sh",
        "packaging/deb/lib.sh",
        "packaging/deb/build-gate-deb.sh",
        "packaging/deb/build-demo-deb.sh",
        "packaging/deb/portsip-pbx-demo/DEBIAN/config",
        "packaging/deb/portsip-pbx-demo/DEBIAN/preinst",
        "packaging/deb/portsip-pbx-demo/DEBIAN/postinst",
        "packaging/deb/portsip-pbx-demo/DEBIAN/postrm",
        "packaging/deb/portsip-pbx-demo/consent.sh",
        "packaging/rpm/build-rpms.sh",
    ];
    let out = Command::new("shellcheck")
        .args(["--shell=sh", "--external-sources"])
        .current_dir(repo(""))
        .args(files.iter().map(|f| repo(f)))
        .output()
        .expect("shellcheck is installed (apt-get install shellcheck; .ci/run does)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

// ---- install.sh ----

fn install_sh_on_pty(env: &Env, shell_command: &str) -> Pty {
    let mut cmd = Command::new("sh");
    common::without_gate_vars(&mut cmd);
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
fn install_sh_prints_its_usage_also_when_piped_into_sh() {
    let env = Env::new();
    let sh = repo("packaging/install.sh");
    for command in [
        format!("cat '{}' | sh -s -- --help", sh.display()),
        format!("sh '{}' --help", sh.display()),
    ] {
        let r = run(script(&env, "sh", &["-c", &command]));
        r.expect_code(0);
        for needle in ["--accept-eula=SHA256", "EULA_GATE_ACCEPT=portsip-pbx", "curl"] {
            assert!(
                r.stdout().contains(needle),
                "{command}: no {needle:?} in:\n{}",
                r.stdout()
            );
        }
    }
    assert!(!installed(&env));
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
fn the_docker_entrypoint_passes_the_gates_warnings_on() {
    let env = Env::new();
    entrypoint(&env, &[("EULA_GATE_ACCEPT", "yes")])
        .expect_code(4)
        .stderr_has("EULA_GATE_ACCEPT=\"yes\" does not name portsip-pbx");
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
    assert!(
        dockerfile
            .contains("eula-gate accept --non-interactive --context docker-build --product portsip-pbx")
    );
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
    // eula-gate's reason must reach the journal.
    for hidden in ["--quiet", " -q", "StandardError=null", "2>"] {
        assert!(
            !drop_in.contains(hidden),
            "the drop-in hides eula-gate's stderr: {hidden}"
        );
    }
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        common::not_run("systemd-analyze verify: systemd-analyze is not installed");
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

// ---- Package builds ----

/// Runs a build script (`sh SCRIPT ARGS...`) and returns the paths it printed.
fn build(script: &str, args: &[&Path]) -> Vec<PathBuf> {
    let o = Command::new("sh")
        .arg(repo(script))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect()
}

/// The man pages, generated from the clap definitions into `env`'s `man/`.
fn man_pages(env: &Env) -> PathBuf {
    let dir = env.path("man");
    let example = binary().parent().unwrap().join("examples/manpage");
    let out = Command::new(&example)
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- Debian packages, with the real dpkg in throwaway roots ----

struct Debs {
    gate: PathBuf,
    demo: PathBuf,
}

fn build_debs(env: &Env) -> Debs {
    let out = env.path("debs");
    let man = man_pages(env);
    Debs {
        gate: build("packaging/deb/build-gate-deb.sh", &[&binary(), &man, &out]).remove(0),
        demo: build("packaging/deb/build-demo-deb.sh", &[&binary(), &out]).remove(0),
    }
}

/// The demo package built for the text in `license` instead of the embedded one.
fn build_demo_for(env: &Env, license: &Path) -> PathBuf {
    let out = env.path("other-debs");
    build("packaging/deb/build-demo-deb.sh", &[&binary(), &out, license]).remove(0)
}

fn deb_field(deb: &Path, field: &str) -> String {
    output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(field))
        .trim()
        .to_owned()
}

/// A throwaway root for dpkg: its own database, debconf configuration and
/// receipts; maintainer scripts run on this machine (chrootless) with DPKG_ROOT set.
struct Root {
    dir: PathBuf,
}

impl Root {
    /// `host`: packages that the chrootless scripts use from this machine, marked
    /// installed in the root's database.
    fn new(env: &Env, host: &[String]) -> Root {
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
        let arch = output(Command::new("dpkg").arg("--print-architecture"));
        let status: String = host
            .iter()
            .map(|name| {
                let arch = if name == "debconf" { "all" } else { arch.trim() };
                format!(
                    "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: admin\n\
                     Maintainer: this machine\nArchitecture: {arch}\nVersion: 9:99\n\
                     Description: provided by the machine the scripts run on\n\n"
                )
            })
            .collect();
        std::fs::write(dir.join("var/lib/dpkg/status"), status).unwrap();
        std::fs::copy("/etc/debconf.conf", dir.join("etc/debconf.conf")).expect("debconf is installed");
        Root { dir }
    }

    fn cmd(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        common::without_gate_vars(&mut cmd);
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

    /// Feeds `debconf-set-selections` lines `portsip-pbx-demo TEMPLATE TYPE VALUE`.
    fn preseed_lines(&self, lines: &[&str]) {
        let mut child = self
            .cmd("debconf-set-selections")
            .env("DPKG_ROOT", &self.dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("debconf-set-selections is installed");
        let text: String = lines.iter().map(|l| format!("portsip-pbx-demo {l}\n")).collect();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }

    fn preseed(&self, answer: &str) {
        self.preseed_lines(&[&format!("portsip-pbx-demo/accept-license select {answer}")]);
    }

    /// Whether debconf's database in the root has `template`'s seen flag set.
    fn seen(&self, template: &str) -> bool {
        let db = std::fs::read_to_string(self.dir.join("var/cache/debconf/config.dat")).unwrap_or_default();
        db.split("\n\n")
            .find(|stanza| stanza.lines().any(|l| l == format!("Name: {template}")))
            .is_some_and(|stanza| {
                stanza
                    .lines()
                    .any(|l| l.starts_with("Flags:") && l.contains("seen"))
            })
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

    fn demo_installed(&self) -> bool {
        self.status("portsip-pbx-demo") == "install ok installed"
            && self.dir.join("usr/share/portsip-pbx-demo/README").exists()
    }

    fn with_gate(env: &Env, debs: &Debs) -> Root {
        // The gate's own dependencies (from dpkg-shlibdeps) come from this machine.
        let mut host = vec!["debconf".to_owned()];
        host.extend(
            deb_field(&debs.gate, "Depends")
                .split(',')
                .map(|d| d.split_whitespace().next().unwrap().to_owned()),
        );
        let root = Root::new(env, &host);
        root.install(&debs.gate, &[]).expect_code(0);
        assert_eq!(root.status("eula-gate"), "install ok installed");
        root
    }
}

#[test]
fn the_gate_deb_ships_binary_man_pages_completions_and_license() {
    let env = Env::new();
    let debs = build_debs(&env);
    let listing = output(Command::new("dpkg-deb").arg("-c").arg(&debs.gate));
    let mut expected = vec![
        "./usr/bin/eula-gate".to_owned(),
        "./usr/share/bash-completion/completions/eula-gate".to_owned(),
        "./usr/share/zsh/vendor-completions/_eula-gate".to_owned(),
        "./usr/share/fish/vendor_completions.d/eula-gate.fish".to_owned(),
        "./usr/share/doc/eula-gate/portsip-eula.txt".to_owned(),
        "./usr/share/doc/eula-gate/copyright".to_owned(),
        "./usr/share/doc/eula-gate/changelog.Debian.gz".to_owned(),
        "./var/lib/eula-gate/".to_owned(),
    ];
    for page in std::fs::read_dir(env.path("man")).unwrap() {
        let name = page.unwrap().file_name().into_string().unwrap();
        expected.push(format!("./usr/share/man/man1/{name}.gz"));
    }
    assert!(expected.len() >= 8 + 7, "one man page per command: {expected:?}");
    for path in &expected {
        assert!(
            listing.lines().any(|l| l.ends_with(&format!(" {path}"))),
            "{path} missing from:\n{listing}"
        );
    }
    let root = Root::with_gate(&env, &debs);
    let doc = std::fs::read_to_string(root.dir.join("usr/share/doc/eula-gate/portsip-eula.txt")).unwrap();
    assert_eq!(doc, EMBEDDED_TEXT);
    let man = output(
        Command::new("gzip")
            .arg("-dc")
            .arg(root.dir.join("usr/share/man/man1/eula-gate-verify.1.gz")),
    );
    assert!(
        man.contains(".TH EULA\\-GATE\\-VERIFY 1") && man.contains("\\-\\-sha256"),
        "{man}"
    );
    // md5sums: dpkg checks every installed file against them.
    let md5sums = output(Command::new("dpkg-deb").arg("-I").arg(&debs.gate).arg("md5sums"));
    assert!(md5sums.contains("  usr/bin/eula-gate\n"), "{md5sums}");
    let verify = root.dpkg(&["--verify", "eula-gate"], &[]);
    verify.expect_code(0);
    assert_eq!(verify.stdout(), "", "dpkg --verify");
    let changelog = output(
        Command::new("gzip")
            .arg("-dc")
            .arg(root.dir.join("usr/share/doc/eula-gate/changelog.Debian.gz")),
    );
    let version = format!("eula-gate ({}-1) ", env!("CARGO_PKG_VERSION"));
    assert!(changelog.starts_with(&version), "{changelog}");
}

/// The highest `GLIBC_x.y` symbol version the binary needs, from its ELF version
/// references.
fn glibc_needed(binary: &Path) -> String {
    let dump = output(Command::new("objdump").arg("-p").arg(binary));
    let mut best: Option<String> = None;
    for word in dump.split_whitespace() {
        if let Some(v) = word.strip_prefix("GLIBC_")
            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            let newer = best.as_ref().is_none_or(|b| {
                Command::new("dpkg")
                    .args(["--compare-versions", v, "gt", b])
                    .status()
                    .unwrap()
                    .success()
            });
            if newer {
                best = Some(v.to_owned());
            }
        }
    }
    best.expect("the binary uses versioned glibc symbols")
}

#[test]
fn the_gate_deb_declares_what_the_binary_needs() {
    let env = Env::new();
    let debs = build_debs(&env);
    let depends = deb_field(&debs.gate, "Depends");
    let glibc = glibc_needed(&binary());
    let libc = depends
        .split(", ")
        .find_map(|d| d.strip_prefix("libc6 (>= ").and_then(|v| v.strip_suffix(')')))
        .unwrap_or_else(|| panic!("no versioned libc6 in Depends: {depends}"));
    assert!(
        Command::new("dpkg")
            .args(["--compare-versions", libc, "ge", &glibc])
            .status()
            .unwrap()
            .success(),
        "Depends: {depends}, but the binary needs GLIBC_{glibc}"
    );
    let needed = output(Command::new("objdump").arg("-p").arg(binary()));
    if needed.contains("NEEDED               libgcc_s.so.1") {
        assert!(depends.contains("libgcc-s1"), "Depends: {depends}");
    }
    assert_eq!(deb_field(&debs.gate, "Section"), "admin");
    assert_eq!(deb_field(&debs.gate, "Priority"), "optional");
    let size: u64 = deb_field(&debs.gate, "Installed-Size").parse().unwrap();
    let binary_kib = std::fs::metadata(binary()).unwrap().len() / 1024;
    assert!(
        size > binary_kib && size < binary_kib + 512,
        "Installed-Size: {size}"
    );
    assert_eq!(deb_field(&debs.demo, "Architecture"), "all");
    assert!(deb_field(&debs.demo, "Installed-Size").parse::<u64>().unwrap() > 0);
}

#[test]
fn both_debs_are_lintian_clean() {
    let env = Env::new();
    let debs = build_debs(&env);
    // lintian leaves its index files in TMPDIR: this test's directory.
    let tmp = env.path("lintian-tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = Command::new("lintian")
        .env("TMPDIR", &tmp)
        .args(["--fail-on", "error,warning", "--no-tag-display-limit"])
        .arg(&debs.gate)
        .arg(&debs.demo)
        .output()
        .expect("lintian is installed (apt-get install lintian; .ci/run does)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !report.lines().any(|l| l.starts_with("E:") || l.starts_with("W:")),
        "lintian:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every override says why.
    for package in ["eula-gate", "portsip-pbx-demo"] {
        let overrides =
            std::fs::read_to_string(repo(&format!("packaging/deb/{package}/lintian-overrides"))).unwrap();
        let mut reason = false;
        for line in overrides.lines() {
            if line.starts_with('#') {
                reason = true;
            } else if !line.trim().is_empty() {
                assert!(reason, "{package}: override without a reason: {line}");
                reason = false;
            }
        }
    }
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
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);
}

#[test]
fn deb_preseeded_agreement_installs_and_writes_the_receipt() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.preseed("I AGREE");
    root.install(&debs.demo, &[]).expect_code(0);
    assert!(root.demo_installed());
    assert_eq!(root.verify(), 0);
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.receipts().join("portsip-pbx.json")).unwrap()).unwrap();
    assert_eq!(receipt["method"], "flag");
    assert_eq!(receipt["license"]["sha256"], EMBEDDED_SHA256);
}

#[test]
fn deb_declined_is_not_installed_and_both_questions_are_asked_again() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    // Both seen, as after a person read the note and declined.
    root.preseed_lines(&[
        "portsip-pbx-demo/license note ",
        "portsip-pbx-demo/accept-license select I DECLINE",
    ]);
    assert!(root.seen("portsip-pbx-demo/license") && root.seen("portsip-pbx-demo/accept-license"));
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("was declined");
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);
    // The next install shows the license and asks again.
    assert!(
        !root.seen("portsip-pbx-demo/license"),
        "the license note stays seen"
    );
    assert!(!root.seen("portsip-pbx-demo/accept-license"));
    // The decline was reset: the next unattended install is not a silent decline
    // but a question nobody could answer.
    root.install(&debs.demo, &[]).stderr_has("nobody could be asked");
}

#[test]
fn deb_on_a_terminal_the_license_is_shown_again_after_a_decline() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    // debconf's teletype frontend, on a real terminal, as a person would see it.
    let on_terminal = || {
        let mut cmd = root.cmd("dpkg");
        cmd.arg(format!("--root={}", root.dir.display()))
            .arg("--force-script-chrootless")
            .arg("-i")
            .arg(&debs.demo)
            .env("DEBIAN_FRONTEND", "teletype")
            .env("TERM", "dumb");
        if !is_root() {
            cmd.arg("--force-not-root");
        }
        // Tall enough that the frontend shows the note without a [More] prompt.
        Pty::spawn(cmd, 500, 80)
    };
    let mut pty = on_terminal();
    pty.expect("NO EMERGENCY COMMUNICATIONS");
    pty.expect("Do you agree to the PortSIP Software End-User License Agreement?");
    pty.send("1\r"); // I DECLINE
    pty.expect("License declined");
    pty.send("\r");
    assert_ne!(pty.wait().code(), Some(0));
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);

    // Installed again: the whole license first, then the question.
    let mut pty = on_terminal();
    pty.expect("NO EMERGENCY COMMUNICATIONS");
    pty.expect("Do you agree to the PortSIP Software End-User License Agreement?");
    pty.send("2\r"); // I AGREE
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.text());
    assert!(root.demo_installed());
    assert_eq!(root.verify(), 0);
}

#[test]
fn deb_a_preseeded_value_that_is_no_choice_is_reported_as_such() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.preseed("yes");
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("\"yes\" to portsip-pbx-demo/accept-license is not one of");
    assert!(!r.stderr().contains("declined"), "{}", r.stderr());
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);
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
    assert!(root.demo_installed());
}

#[test]
fn deb_accepts_eula_gate_accept_naming_the_product() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let r = root.install(&debs.demo, &[("EULA_GATE_ACCEPT", "yes")]);
    assert_ne!(r.code(), 0, "a blanket yes is not consent");
    // eula-gate's warning is not swallowed by the maintainer script.
    r.stderr_has("EULA_GATE_ACCEPT=\"yes\" does not name portsip-pbx");
    root.install(&debs.demo, &[("EULA_GATE_ACCEPT", "portsip-pbx")])
        .expect_code(0);
    assert!(root.demo_installed());
    assert_eq!(root.verify(), 0);
}

#[test]
fn deb_demo_built_for_another_text_never_records_the_installed_gates_text() {
    let env = Env::new();
    let debs = build_debs(&env);
    let other = env.file(
        "other-eula.txt",
        format!("{EMBEDDED_TEXT}\nAmendment 1: a text that the installed eula-gate does not embed.\n"),
    );
    let demo = build_demo_for(&env, &other);
    let templates = output(Command::new("dpkg-deb").arg("-I").arg(&demo).arg("templates"));
    assert!(
        templates.contains("Amendment 1"),
        "the note shows the text it was built for"
    );
    let root = Root::with_gate(&env, &debs);
    let receipt = root.receipts().join("portsip-pbx.json");

    root.preseed("I AGREE");
    let r = root.install(&demo, &[]);
    assert_ne!(r.code(), 0, "agreed to one text, must not record another");
    r.stderr_has("gates another license text");
    assert!(!receipt.exists() && root.verify() == 5);
    assert!(!root.demo_installed());

    let r = root.install(&demo, &[("EULA_GATE_ACCEPT", "portsip-pbx")]);
    assert_ne!(r.code(), 0);
    assert!(!receipt.exists());

    // A receipt for the embedded text is no consent to the text shown either.
    let accept = Command::new(binary())
        .args(["--accept-eula", "--receipt-dir"])
        .arg(root.receipts())
        .status()
        .unwrap();
    assert!(accept.success());
    let before = std::fs::read(&receipt).unwrap();
    root.preseed("I AGREE");
    assert_ne!(root.install(&demo, &[]).code(), 0);
    assert!(!root.demo_installed());
    assert_eq!(
        std::fs::read(&receipt).unwrap(),
        before,
        "the receipt was rewritten"
    );
}

// ---- The one entry point, CARGO_TARGET_DIR and reproducible builds ----

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "packaging/build.sh builds the release binary: cargo test --release"
)]
fn the_entry_point_builds_every_package_in_the_target_dir_reproducibly() {
    let env = Env::new();
    // The target directory under another name: no rebuild, but nothing may assume
    // that it is ./target.
    let target = binary().parent().unwrap().parent().unwrap().to_path_buf();
    let alias = env.path("cargo-target");
    std::os::unix::fs::symlink(&target, &alias).unwrap();
    let entry = |outdir: Option<&Path>, umask: libc::mode_t, tz: &str| -> Vec<PathBuf> {
        let mut cmd = Command::new("sh");
        cmd.arg(repo("packaging/build.sh"))
            .args(outdir)
            .current_dir(env.path("home"))
            .env("CARGO_TARGET_DIR", &alias)
            .env("TZ", tz)
            .env_remove("SOURCE_DATE_EPOCH");
        // SAFETY: umask has no preconditions; run in the child before exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(umask);
                Ok(())
            });
        }
        output(&mut cmd).lines().map(PathBuf::from).collect()
    };
    let first = entry(None, 0o022, "UTC");
    let names: Vec<String> = first
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    for name in [
        format!("eula-gate_{version}-1_"),
        "portsip-pbx-demo_1.0-1_all.deb".into(),
        format!("eula-gate-{version}-1."),
        "portsip-pbx-demo-1.0-1.noarch.rpm".into(),
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(&name)),
            "{name} not in {names:?}"
        );
    }
    for package in &first {
        assert!(
            package.starts_with(alias.join("packages")),
            "{} is not in CARGO_TARGET_DIR/packages",
            package.display()
        );
    }
    // The packaged binary is the one cargo built in CARGO_TARGET_DIR.
    let deb = first
        .iter()
        .find(|p| p.extension().unwrap() == "deb" && !p.ends_with("portsip-pbx-demo_1.0-1_all.deb"))
        .unwrap();
    let packaged = Command::new("sh")
        .arg("-c")
        .arg("dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - ./usr/bin/eula-gate")
        .arg("sh")
        .arg(deb)
        .output()
        .unwrap();
    assert!(packaged.stdout == std::fs::read(alias.join("release/eula-gate")).unwrap());

    // Later, with another umask and time zone: the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = env.path("again");
    let second = entry(Some(&again), 0o002, "Pacific/Kiritimati");
    assert_eq!(second.len(), first.len());
    for package in &first {
        let twin = again.join(package.file_name().unwrap());
        assert!(
            std::fs::read(package).unwrap() == std::fs::read(&twin).unwrap(),
            "{} and {} differ",
            package.display(),
            twin.display()
        );
    }
}

// ---- rpm: rpmbuild, rpmlint, and rpm into a throwaway root ----

struct Rpms {
    gate: PathBuf,
    demo: PathBuf,
}

/// Both rpms; the demo pinned to the text in `license`, else to the embedded one.
fn build_rpms(env: &Env, license: Option<&Path>) -> Rpms {
    let man = man_pages(env);
    let out = env.path(if license.is_some() { "other-rpms" } else { "rpms" });
    let mut args = vec![binary(), man, out];
    args.extend(license.map(Path::to_path_buf));
    let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
    let rpms = build("packaging/rpm/build-rpms.sh", &args);
    let find = |prefix: &str| {
        rpms.iter()
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} rpm in {rpms:?}"))
            .clone()
    };
    Rpms {
        gate: find("eula-gate-"),
        demo: find("portsip-pbx-demo-"),
    }
}

fn rpm_query(rpm: &Path, args: &[&str]) -> String {
    output(Command::new("rpm").arg("-qp").args(args).arg(rpm))
}

#[test]
fn the_rpms_build_with_rpmbuild_carry_their_metadata_and_pass_rpmlint() {
    let env = Env::new();
    let rpms = build_rpms(&env, None);
    let info = rpm_query(&rpms.gate, &["-i"]);
    let field = |info: &str, name: &str| -> String {
        info.lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|r| r.trim_start().strip_prefix(':'))
            })
            .unwrap_or_else(|| panic!("no {name} in:\n{info}"))
            .trim()
            .to_owned()
    };
    assert_eq!(field(&info, "Name"), "eula-gate");
    assert_eq!(field(&info, "Version"), env!("CARGO_PKG_VERSION"));
    // eula-gate's own license first, then those of the crates linked in.
    assert!(
        field(&info, "License").starts_with("(MIT OR Apache-2.0) AND "),
        "{info}"
    );
    let demo_info = rpm_query(&rpms.demo, &["-i"]);
    assert_eq!(field(&demo_info, "License"), "MIT OR Apache-2.0");
    assert_eq!(field(&demo_info, "Architecture"), "noarch");

    let files = rpm_query(&rpms.gate, &["-l"]);
    let mut expected = vec![
        "/usr/bin/eula-gate".to_owned(),
        "/usr/share/bash-completion/completions/eula-gate".into(),
        "/usr/share/zsh/site-functions/_eula-gate".into(),
        "/usr/share/fish/vendor_completions.d/eula-gate.fish".into(),
        "/var/lib/eula-gate".into(),
    ];
    for page in std::fs::read_dir(env.path("man")).unwrap() {
        let name = page.unwrap().file_name().into_string().unwrap();
        expected.push(format!("/usr/share/man/man1/{name}.gz"));
    }
    for path in &expected {
        assert!(files.lines().any(|l| l == path), "{path} missing from:\n{files}");
    }
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(
            files
                .lines()
                .any(|l| l.starts_with("/usr/share/licenses/eula-gate") && l.ends_with(license)),
            "{license} missing from:\n{files}"
        );
    }
    let requires = rpm_query(&rpms.demo, &["--requires"]);
    assert!(requires.contains("eula-gate >= 0.1.0"), "{requires}");
    let scripts = rpm_query(&rpms.demo, &["--scripts"]);
    assert!(
        scripts.contains("preinstall") && scripts.contains(&format!("sha256={EMBEDDED_SHA256}")),
        "{scripts}"
    );

    let lint = Command::new("rpmlint")
        .arg("-c")
        .arg(repo("packaging/rpm/rpmlint.toml"))
        .arg(&rpms.gate)
        .arg(&rpms.demo)
        .output()
        .expect("rpmlint is installed (apt-get install rpmlint; .ci/run does)");
    let report = String::from_utf8_lossy(&lint.stdout);
    assert!(
        lint.status.success() && report.contains(" 0 errors") && !report.contains(": E: "),
        "rpmlint:\n{report}{}",
        String::from_utf8_lossy(&lint.stderr)
    );
}

/// A throwaway root for rpm --root (which runs scriptlets chrooted into it): /bin/sh,
/// /dev/null and the shared libraries that sh and eula-gate need, from this machine.
fn rpm_root(env: &Env) -> PathBuf {
    let root = env.path("rpmroot");
    for dir in ["bin", "dev", "tmp", "var/tmp"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::copy("/bin/sh", root.join("bin/sh")).unwrap();
    for program in [PathBuf::from("/bin/sh"), binary()] {
        let ldd = output(Command::new("ldd").arg(&program));
        for lib in ldd.split_whitespace().filter(|w| w.starts_with('/')) {
            let to = root.join(lib.trim_start_matches('/'));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(lib, &to).unwrap();
        }
    }
    let null = std::ffi::CString::new(root.join("dev/null").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: mknod with a valid C string; a character device 1:3 is /dev/null.
    let made = unsafe { libc::mknod(null.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    assert_eq!(
        made,
        0,
        "mknod {}/dev/null: {}",
        root.display(),
        std::io::Error::last_os_error()
    );
    std::fs::set_permissions(
        root.join("dev/null"),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    output(Command::new("rpm").arg("--root").arg(&root).arg("--initdb"));
    root
}

fn rpm_in(root: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("rpm");
    cmd.arg("--root")
        .arg(root)
        .args(args)
        .env_remove("EULA_GATE_ACCEPT")
        .env_remove("EULA_GATE_RECEIPT_DIR")
        .env_remove("DEBIAN_FRONTEND")
        .stdin(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run(cmd)
}

#[test]
fn the_rpms_install_into_a_throwaway_root_and_pre_gates_the_demo() {
    let env = Env::new();
    let rpms = build_rpms(&env, None);
    if !is_root() {
        // rpm --root runs scriptlets in a chroot, which needs root (CI runs as root):
        // run the built package's %pre here instead.
        eprintln!("not root: running the demo rpm's %pre with sh instead of rpm --root");
        let pre = env.file("pre.sh", rpm_query(&rpms.demo, &["--qf", "%{PREIN}"]));
        let p = pre.to_str().unwrap();
        run(script(&env, "sh", &[p]))
            .expect_code(1)
            .stderr_has("rpm cannot ask")
            .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
        let mut cmd = script(&env, "sh", &[p]);
        cmd.env("EULA_GATE_ACCEPT", "portsip-pbx");
        run(cmd).expect_code(0);
        assert_eq!(env.read_receipt("portsip-pbx")["method"], "env");
        return;
    }
    let root = rpm_root(&env);
    let (gate, demo) = (rpms.gate.to_str().unwrap(), rpms.demo.to_str().unwrap());
    rpm_in(&root, &["-i", "--nodeps", gate], &[]).expect_code(0);
    rpm_in(&root, &["-q", "eula-gate"], &[]).expect_code(0);
    // The installed binary runs, in the root.
    let version = output(
        Command::new("chroot")
            .arg(&root)
            .args(["/usr/bin/eula-gate", "--version"]),
    );
    assert_eq!(version.trim(), format!("eula-gate {}", env!("CARGO_PKG_VERSION")));
    let hash = output(
        Command::new("chroot")
            .arg(&root)
            .args(["/usr/bin/eula-gate", "hash"]),
    );
    assert_eq!(hash.trim(), EMBEDDED_SHA256);
    let receipt = root.join("var/lib/eula-gate/portsip-pbx.json");

    // No consent: %pre fails at once with the next step; rpm never asks.
    let r = rpm_in(&root, &["-i", "--nodeps", demo], &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("rpm cannot ask")
        .stderr_has("EULA_GATE_ACCEPT=portsip-pbx");
    assert!(!receipt.exists());
    assert_ne!(rpm_in(&root, &["-q", "portsip-pbx-demo"], &[]).code(), 0);
    // A blanket yes is not consent, and eula-gate's warning reaches rpm's output.
    let r = rpm_in(&root, &["-i", "--nodeps", demo], &[("EULA_GATE_ACCEPT", "yes")]);
    assert_ne!(r.code(), 0);
    r.stderr_has("EULA_GATE_ACCEPT=\"yes\" does not name portsip-pbx");
    assert!(!receipt.exists());

    rpm_in(
        &root,
        &["-i", "--nodeps", demo],
        &[("EULA_GATE_ACCEPT", "portsip-pbx")],
    )
    .expect_code(0);
    rpm_in(&root, &["-q", "portsip-pbx-demo"], &[]).expect_code(0);
    assert!(root.join("usr/share/portsip-pbx-demo/README").exists());
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    assert_eq!(value["method"], "env");
    assert_eq!(value["license"]["sha256"], EMBEDDED_SHA256);
    assert!(common::python_receipt_digest_ok(&receipt));
    let verify = Command::new(root.join("usr/bin/eula-gate"))
        .args(["verify", "--product", "portsip-pbx", "--receipt-dir"])
        .arg(receipt.parent().unwrap())
        .status()
        .unwrap();
    assert_eq!(verify.code(), Some(0));
}

#[test]
fn the_rpm_demo_pinned_to_another_text_never_records_the_installed_gates_text() {
    if !is_root() {
        common::not_run("rpm --root runs scriptlets in a chroot, which needs root (CI runs as root)");
        return;
    }
    let env = Env::new();
    let other = env.file(
        "other-eula.txt",
        format!("{EMBEDDED_TEXT}\nAmendment 1: a text that the installed eula-gate does not embed.\n"),
    );
    let rpms = build_rpms(&env, Some(&other));
    let root = rpm_root(&env);
    rpm_in(&root, &["-i", "--nodeps", rpms.gate.to_str().unwrap()], &[]).expect_code(0);
    let r = rpm_in(
        &root,
        &["-i", "--nodeps", rpms.demo.to_str().unwrap()],
        &[("EULA_GATE_ACCEPT", "portsip-pbx")],
    );
    assert_ne!(r.code(), 0, "consent to one text must not record another");
    r.stderr_has("gates another license text");
    assert!(!root.join("var/lib/eula-gate/portsip-pbx.json").exists());
    assert_ne!(rpm_in(&root, &["-q", "portsip-pbx-demo"], &[]).code(), 0);
}

// ---- Man pages, rendered by man ----

/// `--long VALUE`, `--long[=VALUE]`, `-s, --long` as man shows an option's tag.
fn option_tag(arg: &clap::Arg, sep: &str) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let mut tag = names.join(sep);
    if arg.get_action().takes_values() {
        let value = arg.get_value_names().unwrap()[0].to_string();
        if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
            tag += &format!("[={value}]");
        } else {
            tag += &format!(" {value}");
        }
    }
    tag
}

/// The lines of one section of a rendered page (from its heading to the next).
fn man_section<'a>(page: &'a str, heading: &str) -> Vec<&'a str> {
    page.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

/// The exit codes of the README's table.
fn documented_exit_codes() -> Vec<String> {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let table = &readme[readme.find("## Exit codes").unwrap()..];
    let codes: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim().to_owned())
        .collect();
    assert!(codes.len() >= 9, "{codes:?}");
    codes
}

#[test]
fn every_man_page_renders_every_option_exit_code_and_variable_unbroken() {
    use clap::CommandFactory;
    let env = Env::new();
    let dir = man_pages(&env);
    let mut cli = eula_gate::cli::Cli::command();
    cli.build();
    let mut commands: Vec<(String, &clap::Command)> = vec![("eula-gate".into(), &cli)];
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        commands.push((format!("eula-gate-{}", sub.get_name()), sub));
    }
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut wanted: Vec<String> = commands.iter().map(|(n, _)| format!("{n}.1")).collect();
    wanted.sort();
    assert_eq!(pages, wanted, "one page per command");
    let codes = documented_exit_codes();

    for (name, cmd) in &commands {
        let path = dir.join(format!("{name}.1"));
        let out = Command::new("man")
            .arg("--warnings")
            .arg("-l")
            .arg(&path)
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C.UTF-8")
            .env("MANPAGER", "cat")
            .env_remove("MAN_KEEP_FORMATTING")
            .output()
            .expect("man is installed (apt-get install man-db; .ci/run does)");
        let page = String::from_utf8_lossy(&out.stdout).into_owned();
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.trim().is_empty(),
            "{name}: {warnings}"
        );
        assert!(!page.contains('\u{8}'), "{name}: overstrike left in the text");
        for line in page.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name}: line over 80 columns: {line:?}"
            );
            // A word broken at a hyphen (`eula-` / `gate-revoke(1)`).
            let end: Vec<char> = line.trim_end().chars().rev().take(2).collect();
            assert!(
                !(end.len() == 2 && end[0] == '-' && end[1].is_alphanumeric()),
                "{name}: a word is broken at the end of {line:?}"
            );
        }
        let synopsis = man_section(&page, "SYNOPSIS").join("\n");
        let options = man_section(&page, "OPTIONS");
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if arg.is_positional() {
                let value = arg.get_value_names().unwrap()[0].to_string();
                assert!(
                    synopsis.contains(&value),
                    "{name}: {value} not in SYNOPSIS:\n{synopsis}"
                );
                for v in arg.get_possible_values() {
                    assert!(
                        page.contains(v.get_name()),
                        "{name}: value {} missing",
                        v.get_name()
                    );
                }
                continue;
            }
            // In OPTIONS: the tag on a line of its own or before its text, whole.
            let tag = option_tag(arg, ", ");
            assert!(
                options.iter().any(|l| {
                    let l = l.trim();
                    l == tag || l.starts_with(&format!("{tag} "))
                }),
                "{name}: option {tag:?} not found whole in OPTIONS:\n{}",
                options.join("\n")
            );
            // In SYNOPSIS: `[--product NAME]` on one line, with its placeholder.
            let help = matches!(
                arg.get_action(),
                clap::ArgAction::Help | clap::ArgAction::HelpLong | clap::ArgAction::Version
            );
            if !help {
                let item = format!("[{}]", option_tag(arg, "|"));
                assert!(
                    synopsis.lines().any(|l| l.contains(&item)),
                    "{name}: {item} not whole in SYNOPSIS:\n{synopsis}"
                );
            }
        }
        let exit = man_section(&page, "EXIT STATUS");
        for code in &codes {
            assert!(
                exit.iter()
                    .any(|l| l.trim_start().starts_with(&format!("{code} "))),
                "{name}: exit code {code} not listed:\n{}",
                exit.join("\n")
            );
        }
        let environment = man_section(&page, "ENVIRONMENT");
        for var in [
            "EULA_GATE_ACCEPT",
            "EULA_GATE_RECEIPT_DIR",
            "DEBIAN_FRONTEND",
            "NO_COLOR",
        ] {
            assert!(
                environment.iter().any(|l| l.trim_start().starts_with(var)),
                "{name}: {var} not listed:\n{}",
                environment.join("\n")
            );
        }
        // Every page it refers to exists.
        let see_also = man_section(&page, "SEE ALSO").join(" ");
        for reference in see_also.split([',', ' ']).filter(|w| w.ends_with("(1)")) {
            let target = reference.trim_end_matches("(1)");
            assert!(
                dir.join(format!("{target}.1")).exists(),
                "{name}: {reference} does not exist"
            );
        }
        if name == "eula-gate" {
            for (other, _) in &commands[1..] {
                assert!(
                    page.contains(&format!("{other}(1)")),
                    "eula-gate(1) does not refer to {other}(1)"
                );
            }
        }
    }
}

// ---- Completions, in real shells ----

/// What each shell must offer: the commands after `eula-gate `, each command's long
/// options after `eula-gate COMMAND --`, the shells after `eula-gate completions `.
fn completion_cases() -> Vec<(String, Vec<String>)> {
    use clap::CommandFactory;
    let mut cli = eula_gate::cli::Cli::command();
    cli.build();
    let subs: Vec<&clap::Command> = cli.get_subcommands().filter(|s| s.get_name() != "help").collect();
    let mut cases = vec![(
        "eula-gate ".to_owned(),
        subs.iter().map(|s| s.get_name().to_owned()).collect(),
    )];
    for sub in &subs {
        let longs: Vec<String> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        cases.push((format!("eula-gate {} --", sub.get_name()), longs));
    }
    cases.push((
        "eula-gate completions ".to_owned(),
        vec!["bash".into(), "zsh".into(), "fish".into()],
    ));
    cases
}

/// The completion scripts in the standard places under `env`'s `share/`.
fn completion_dirs(env: &Env) -> PathBuf {
    let share = env.path("share");
    for (shell, path) in [
        ("bash", "bash-completion/completions/eula-gate"),
        ("zsh", "zsh/vendor-completions/_eula-gate"),
        ("fish", "fish/vendor_completions.d/eula-gate.fish"),
    ] {
        let script = env.run(&["completions", shell]);
        script.expect_code(0);
        let to = share.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, script.stdout()).unwrap();
    }
    share
}

#[track_caller]
fn assert_offers(shell: &str, line: &str, offered: &[String], wanted: &[String]) {
    for word in wanted {
        assert!(
            offered.contains(word),
            "{shell}: `{line}<TAB>` does not offer {word}; it offers {offered:?}"
        );
    }
}

#[test]
fn bash_completes_commands_options_and_shells() {
    let env = Env::new();
    let share = completion_dirs(&env);
    // bash-completion loads the script on demand from the standard place, then the
    // function it registered is called as readline would.
    let script = r#"
        source /usr/share/bash-completion/bash_completion || exit 3
        __load_completion eula-gate || exit 4
        func=$(complete -p eula-gate | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        [ -n "$func" ] || exit 5
        for line in "$@"; do
            read -ra COMP_WORDS <<<"$line"
            [[ $line == *' ' ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE=$line COMP_POINT=${#line}
            COMPREPLY=()
            "$func" eula-gate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[*]}"
        done
    "#;
    let cases = completion_cases();
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .args(cases.iter().map(|(line, _)| line))
        .env("BASH_COMPLETION_USER_DIR", share.join("bash-completion"))
        .env("HOME", env.path("home"))
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let replies = String::from_utf8(out.stdout).unwrap();
    let replies: Vec<&str> = replies.lines().collect();
    assert_eq!(replies.len(), cases.len(), "{replies:?}");
    for ((line, wanted), reply) in cases.iter().zip(replies) {
        let offered: Vec<String> = reply.split_whitespace().map(str::to_owned).collect();
        assert_offers("bash", line, &offered, wanted);
    }
}

#[test]
fn fish_completes_commands_options_and_shells() {
    let env = Env::new();
    let share = completion_dirs(&env);
    // fish autoloads eula-gate.fish from its completion path, as from vendor_completions.d.
    let script = "set -p fish_complete_path $argv[1]; \
        for line in $argv[2..]; complete -C \"$line\" | string replace -r '\\t.*' ''; echo '<<end>>'; end";
    let cases = completion_cases();
    let out = Command::new("fish")
        .args(["--no-config", "-c", script])
        .arg(share.join("fish/vendor_completions.d"))
        .args(cases.iter().map(|(line, _)| line))
        .env("HOME", env.path("home"))
        // fish loads completions only for a command it finds.
        .env("PATH", path_with_gate())
        .env("XDG_CONFIG_HOME", env.path("home/.config"))
        .env("XDG_DATA_HOME", env.path("home/.local/share"))
        .stdin(Stdio::null())
        .output()
        .expect("fish is installed (apt-get install fish; .ci/run does)");
    assert!(
        out.status.success(),
        "fish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let replies: Vec<&str> = text.split("<<end>>\n").collect();
    assert_eq!(replies.len(), cases.len() + 1, "{text}");
    for ((line, wanted), reply) in cases.iter().zip(replies) {
        let offered: Vec<String> = reply.lines().map(str::to_owned).collect();
        assert_offers("fish", line, &offered, wanted);
    }
}

#[test]
fn zsh_completes_commands_options_and_shells() {
    let env = Env::new();
    let share = completion_dirs(&env);
    // zsh completes only in its line editor: a real interactive zsh on a terminal,
    // TAB typed, the listing read back.
    let mut cmd = Command::new("zsh");
    cmd.args(["-f", "-i"])
        .env("HOME", env.path("home"))
        .env("TERM", "dumb")
        .env_remove("ZDOTDIR");
    let mut pty = Pty::spawn(cmd, 50, 200);
    pty.send(format!(
        "fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; PS1='> '; echo RE''ADY\n",
        share.join("zsh/vendor-completions").display()
    ));
    pty.expect("READY");
    for (i, (line, wanted)) in completion_cases().iter().enumerate() {
        let start = pty.text().len();
        pty.send(format!("{line}\t"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let offered = loop {
            let text = pty.text();
            let offered: Vec<String> = text[start.min(text.len())..]
                .lines()
                .flat_map(|l| {
                    // A listing line is `word -- description` or words in columns.
                    match l.split_once(" -- ") {
                        Some((word, _)) => vec![word.trim().to_owned()],
                        None => l.split_whitespace().map(str::to_owned).collect(),
                    }
                })
                .map(|w| w.trim_end_matches('=').to_owned())
                .collect();
            if wanted.iter().all(|w| offered.contains(w)) || std::time::Instant::now() > deadline {
                break offered;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_offers("zsh", line, &offered, wanted);
        // Abandon the line (Ctrl-U), then wait for the shell to run the next one.
        pty.send("\x15");
        pty.send(format!("echo DO''NE{i}\n"));
        pty.expect(&format!("DONE{i}"));
    }
    pty.send("exit\n");
    pty.wait();
}

// ---- found in review: answers for another text, decline versus environment,
// answers at configure time, no terminal ----

#[test]
fn deb_an_answer_given_for_another_text_is_never_used() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    // "I AGREE", seen, left from a question about another text.
    let other = "0".repeat(64);
    root.preseed_lines(&[
        "portsip-pbx-demo/accept-license select I AGREE",
        &format!("portsip-pbx-demo/answered-sha256 string {other}"),
    ]);
    // The stale answer is forgotten and the question asked again: here nobody can
    // answer, so nothing is installed or recorded.
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("nobody could be asked");
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);
    assert!(!root.seen("portsip-pbx-demo/accept-license"));
}

#[test]
fn deb_an_explicit_decline_stands_against_the_environment() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.preseed("I DECLINE");
    let r = root.install(&debs.demo, &[("EULA_GATE_ACCEPT", "portsip-pbx")]);
    assert_ne!(r.code(), 0);
    r.stderr_has("was declined");
    assert!(!root.demo_installed());
    assert_eq!(root.verify(), 5);
}

#[test]
fn deb_a_product_name_with_a_carriage_return_or_inner_space_is_not_consent() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    for value in ["portsip-pbx\r", "portsip-pbx\u{a0}", "portsip -pbx"] {
        let r = root.install(&debs.demo, &[("EULA_GATE_ACCEPT", value)]);
        assert_ne!(r.code(), 0, "{value:?}");
        r.stderr_has("does not name portsip-pbx");
        assert!(!root.demo_installed(), "{value:?}");
        assert_eq!(root.verify(), 5, "{value:?}");
    }
}

#[test]
fn deb_an_answer_at_configure_time_counts_and_a_decline_leaves_it_unconfigured() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    root.dpkg(
        &["--unpack", debs.demo.to_str().unwrap()],
        &[("EULA_GATE_ACCEPT", "portsip-pbx")],
    )
    .expect_code(0);
    // Consent withdrawn before the package is configured.
    let revoke = Command::new(binary())
        .args(["revoke", "--receipt-dir"])
        .arg(root.receipts())
        .status()
        .unwrap();
    assert!(revoke.success());
    root.preseed("I DECLINE");
    let r = root.dpkg(&["--configure", "portsip-pbx-demo"], &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("was declined; portsip-pbx-demo is not configured");
    assert_ne!(root.status("portsip-pbx-demo"), "install ok installed");
    assert_eq!(root.verify(), 5);
    root.preseed("I AGREE");
    root.dpkg(&["--configure", "portsip-pbx-demo"], &[])
        .expect_code(0);
    assert_eq!(root.status("portsip-pbx-demo"), "install ok installed");
    assert_eq!(root.verify(), 0);
}

#[test]
fn deb_an_unseen_preseeded_value_that_is_no_choice_is_reported_as_such() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let mut child = root
        .cmd("debconf-set-selections")
        .arg("-u")
        .env("DPKG_ROOT", &root.dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"portsip-pbx-demo portsip-pbx-demo/accept-license select yes\n",
    )
    .unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let r = root.install(&debs.demo, &[]);
    assert_ne!(r.code(), 0);
    r.stderr_has("\"yes\" to portsip-pbx-demo/accept-license is not one of");
    assert!(!root.demo_installed());
}

#[test]
fn deb_without_any_terminal_and_stdin_left_open_the_install_never_hangs() {
    let env = Env::new();
    let debs = build_debs(&env);
    let root = Root::with_gate(&env, &debs);
    let mut cmd = root.cmd("dpkg");
    cmd.arg(format!("--root={}", root.dir.display()))
        .arg("--force-script-chrootless")
        .arg("-i")
        .arg(&debs.demo)
        // debconf's own default frontend, as when DEBIAN_FRONTEND is not set.
        .env_remove("DEBIAN_FRONTEND")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !is_root() {
        cmd.arg("--force-not-root");
    }
    // SAFETY: setsid is async-signal-safe; runs in the child before exec. A new
    // session has no controlling terminal (no /dev/tty), as under ssh without -t.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    // Standard input stays open and silent, as a CI runner's may.
    let stdin = child.stdin.take();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the install waited for an answer on a standard input that is no person");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(stdin);
    let r = Run(child.wait_with_output().unwrap());
    assert_ne!(r.code(), 0);
    r.stderr_has("nobody could be asked");
    assert!(!root.demo_installed());
}

/// The Rust crates linked into the binary, as cargo resolves them from Cargo.lock:
/// `(name, version, license)`; build-time-only crates (proc macros) are not linked.
fn linked_crates() -> Vec<(String, String, String)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-e",
            "normal,no-proc-macro",
            "--prefix",
            "none",
            "-f",
            "{p} {l}",
        ])
        .args(["--locked", "--offline"])
        .current_dir(repo(""))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut crates: Vec<(String, String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end_matches(" (*)"))
        .filter(|l| !l.starts_with("eula-gate "))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let name = parts.next().unwrap().to_owned();
            let version = parts.next().unwrap().trim_start_matches('v').to_owned();
            (name, version, parts.next().unwrap_or("").to_owned())
        })
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

#[test]
fn the_deb_copyright_and_the_rpm_spec_name_every_crate_linked_into_the_binary() {
    let crates = linked_crates();
    assert!(crates.len() > 10, "{crates:?}");
    let copyright = std::fs::read_to_string(repo("packaging/deb/eula-gate/copyright")).unwrap();
    let spec = std::fs::read_to_string(repo("packaging/rpm/eula-gate.spec")).unwrap();
    for (name, version, license) in &crates {
        let line = format!("  {name} {version}: {license}\n");
        assert!(copyright.contains(&line), "copyright lacks {line:?}");
        let provides = format!("Provides:       bundled(crate({name})) = {version}\n");
        assert!(spec.contains(&provides), "spec lacks {provides:?}");
    }
    // And nothing that is no longer linked.
    assert_eq!(spec.matches("bundled(crate(").count(), crates.len());
    let listed = copyright
        .lines()
        .skip_while(|l| !l.contains("Statically linked into"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .count();
    assert_eq!(listed, crates.len());
}
