//! Computes the embedded license digest at compile time, so that `verify` on the
//! embedded license never hashes its text at run time.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

#[path = "src/alloc_guard.rs"]
#[allow(dead_code)]
mod alloc_guard;
#[path = "src/normalize.rs"]
mod normalize;

const EMBEDDED: &str = "assets/licenses/portsip-eula.txt";

fn main() {
    println!("cargo:rerun-if-changed={EMBEDDED}");
    println!("cargo:rerun-if-changed=src/normalize.rs");
    println!("cargo:rerun-if-changed=src/alloc_guard.rs");
    let raw = std::fs::read(EMBEDDED).unwrap_or_else(|e| panic!("cannot read {EMBEDDED}: {e}"));
    let text = normalize::normalize(&raw)
        .unwrap_or_else(|e| panic!("{EMBEDDED} is not a usable license text: {e:?}"));
    // The embedded text is compiled in as is, so it must already be in normal form.
    assert!(
        text.as_bytes() == raw.as_slice(),
        "{EMBEDDED} is not normalized (BOM, CR, trailing blanks or trailing empty lines)"
    );
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(text.as_bytes()) {
        let _ = write!(hex, "{byte:02x}");
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_digest.rs");
    let code = format!(
        "/// SHA-256 of the normalized embedded license text.\npub const EMBEDDED_SHA256: &str = \"{hex}\";\n"
    );
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
