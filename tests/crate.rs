//! The crate as crates.io and docs.rs see it: `cargo doc --no-deps` without a
//! warning (every public item documented, links resolved) and `cargo package
//! --locked` building the packaged crate. Both run in a target directory of their
//! own, so they never wait for the suite's own build.

use std::path::Path;
use std::process::Command;

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> String {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(args)
        .current_dir(manifest_dir)
        .env("CARGO_TARGET_DIR", manifest_dir.join("target/crate-check"))
        .env_remove("RUSTFLAGS");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "cargo {args:?} failed:\n{stderr}");
    stderr
}

#[test]
fn the_docs_build_without_a_warning_and_the_crate_packages() {
    let doc = cargo(
        &["doc", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    );
    assert!(!doc.contains("warning"), "{doc}");
    // --allow-dirty: a developer's uncommitted work is packaged as it is; CI's clone is clean.
    let package = cargo(&["package", "--locked", "--allow-dirty"], &[]);
    assert!(!package.contains("warning"), "{package}");
}
