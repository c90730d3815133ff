//! eula-gate: show a license, require explicit typed consent, and record it in a
//! hashed receipt that installers, package scripts and services can check.
//!
//! A Rust installer can call the gate directly: [`gate::accept`] runs the decision
//! in the contract's order and [`verify::verify`] checks a receipt. The library
//! prints nothing (the outcome carries the message and any warnings), takes only
//! valid values ([`Product`], [`Digest`]), and puts back every signal handler, the
//! signal mask, the panic hook and the terminal it used. `examples/installer.rs`
//! shows the whole use.
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]

#[doc(hidden)] // for the binary's allocator
pub mod alloc_guard;
#[doc(hidden)] // the binary's command line, not an API
pub mod cli;
/// Word-level comparison of two license texts: what changed since one was accepted.
pub mod diff;
pub mod error;
pub mod gate;
pub mod history;
pub mod license;
#[doc(hidden)] // the binary's `list` command
pub mod list;
mod normalize;
#[doc(hidden)] // the binary's streams
pub mod output;
pub mod policy;
pub mod product;
pub mod receipt;
pub mod store;
pub mod term;
pub mod trusted_path;
pub mod verify;

pub use error::{Error, Result};
pub use normalize::{NormalizeError, normalize};
pub use product::{Digest, InvalidDigest, InvalidProduct, Product};

use std::path::Path;

/// Spells the `eula-gate` command lines that reach the same license, for messages
/// that tell a person what to run next.
#[derive(Debug, Clone, Default)]
pub struct Hint {
    options: String,
    title: String,
}

impl Hint {
    /// The options that select `product`, the license file and the receipt directory
    /// given on the command line, if any.
    pub fn new(
        product: &Product,
        license: Option<&Path>,
        title: Option<&str>,
        receipt_dir: Option<&Path>,
    ) -> Hint {
        let mut options = String::new();
        if product.as_str() != license::EMBEDDED_PRODUCT || license.is_some() {
            options.push_str(&format!(" --product {product}"));
        }
        if let Some(path) = license {
            options.push_str(&format!(" --license {}", shell_quote(&path.to_string_lossy())));
        }
        if let Some(dir) = receipt_dir {
            options.push_str(&format!(" --receipt-dir {}", shell_quote(&dir.to_string_lossy())));
        }
        let title = title.map_or_else(String::new, |t| format!(" --title {}", shell_quote(t)));
        Hint { options, title }
    }

    /// `eula-gate SUBCOMMAND OPTIONS` (no subcommand for an empty `sub`); `diff`,
    /// which takes no title, without `--title`.
    pub fn command(&self, sub: &str) -> String {
        let title = if sub == "diff" { "" } else { &self.title };
        if sub.is_empty() {
            format!("eula-gate{}{title}", self.options)
        } else {
            format!("eula-gate {sub}{}{title}", self.options)
        }
    }
}

/// Quotes `s` for a shell command line that a person may copy. A value with control
/// or bidirectional characters is written in `$'...'` form with those characters
/// escaped, so that it reaches the terminal as plain text and the shell as itself.
fn shell_quote(s: &str) -> String {
    if !s.chars().all(license::is_shown_as_is) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\'' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c if !license::is_shown_as_is(c) => {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
