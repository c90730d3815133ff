//! A Rust installer gating its own license through the eula-gate library: it shows
//! nothing itself and prints nothing from the library, only what the outcome says.
//!
//!     cargo run --example installer -- RECEIPT_DIR [--accept-eula]
//!
//! Exits with eula-gate's own codes (`Error::code`), so scripts around the
//! installer can key on them as on the binary's.

use eula_gate::gate::{AcceptOptions, accept};
use eula_gate::license::License;
use eula_gate::product::Context;
use eula_gate::store::Locations;
use eula_gate::{Hint, Product};
use std::path::Path;

/// The installer's own license, compiled in as eula-gate compiles in its own.
const ACME_LICENSE: &str = "ACME Widget License\n\nYou may install ACME Widget on one machine.\n";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(run(&args));
}

/// Gates the ACME license with receipts in `args[0]`; `--accept-eula` is the
/// unattended consent. Returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let Some(dir) = args.first() else {
        eprintln!("usage: installer RECEIPT_DIR [--accept-eula]");
        return 2;
    };
    let product = Product::new("acme-widget").expect("a valid product name");
    let license = match License::from_bytes(ACME_LICENSE.as_bytes(), "the ACME license", "acme".into(), None)
    {
        Ok(license) => license,
        Err(e) => {
            eprintln!("installer: {e}");
            return e.code().into();
        }
    };
    let locations = match Locations::resolve(Some(Path::new(dir))) {
        Ok(locations) => locations,
        Err(e) => {
            eprintln!("installer: {e}");
            return e.code().into();
        }
    };
    let options = AcceptOptions {
        accept_flag: args.iter().any(|a| a == "--accept-eula").then_some(None),
        non_interactive: true,
        plain: true,
        context: Context::new("acme-installer").ok(),
        // Organisation policies from EULA_GATE_POLICY_DIR, else /etc/eula-gate/policy.d.
        policy_dir: None,
    };
    match accept(&product, &license, &locations, &options, &Hint::default()) {
        Ok(accepted) => {
            for warning in &accepted.warnings {
                eprintln!("installer: {warning}");
            }
            eprintln!("installer: {}; installing ACME Widget", accepted.message);
            0
        }
        Err(e) => {
            eprintln!("installer: {e}");
            e.code().into()
        }
    }
}
