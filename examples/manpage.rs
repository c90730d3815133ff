//! Writes the man page, generated from the clap definitions, on stdout:
//! `cargo run --example manpage > eula-gate.1` (the deb build does this).
//! An example rather than a command, so that the shipped binary stays small.

use clap::CommandFactory;

fn main() -> std::io::Result<()> {
    clap_mangen::Man::new(eula_gate::cli::Cli::command()).render(&mut std::io::stdout())
}
