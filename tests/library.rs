//! The library as a Rust installer uses it: `examples/installer.rs`, run here in
//! this process, gates its own license and records a receipt the binary verifies.

#[path = "../examples/installer.rs"]
#[allow(dead_code)]
mod installer;

mod common;

use common::{Env, binary};

#[test]
fn a_rust_installer_gates_its_own_license_through_the_library() {
    let env = Env::new();
    let dir = env.receipts();
    let d = dir.to_str().unwrap().to_owned();
    // Nobody to ask: the library's own exit code, nothing written.
    assert_eq!(installer::run(std::slice::from_ref(&d)), 4);
    assert!(!dir.join("acme-widget.json").exists());
    // Unattended consent: a receipt the binary verifies for that very text.
    assert_eq!(installer::run(&[d.clone(), "--accept-eula".into()]), 0);
    let license = env.file(
        "acme.txt",
        "ACME Widget License\n\nYou may install ACME Widget on one machine.\n",
    );
    let verify = std::process::Command::new(binary())
        .args(["verify", "--product", "acme-widget", "--license"])
        .arg(&license)
        .args(["--receipt-dir", &d])
        .env_remove("EULA_GATE_RECEIPT_DIR")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // Called again: already accepted, still 0.
    assert_eq!(installer::run(&[d]), 0);
}
