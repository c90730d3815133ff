//! `accept`: the gate. Decides in the contract's order: an existing valid receipt,
//! `--accept-eula`, `EULA_GATE_ACCEPT`, a person at a terminal, else refuse.

use crate::Hint;
use crate::error::{ABORT_NOTE, EXIT_RUNTIME};
use crate::error::{Error, Result};
use crate::license::{License, shown, shown_path};
use crate::product::{Digest, Product};
use crate::receipt::{Acceptance, AcceptedBy, Method, now_timestamp, to_file_bytes};
use crate::store::Locations;
use crate::term::{self, Answer, Ask, Shown, Stop, TermError};
use crate::verify::{self, Status};
use std::path::PathBuf;

/// Environment variable naming the products whose license is accepted.
pub const ACCEPT_ENV: &str = "EULA_GATE_ACCEPT";

/// How `accept` may obtain consent.
#[derive(Debug, Clone, Default)]
pub struct AcceptOptions {
    /// `--accept-eula` (`Some(None)`) or `--accept-eula=HEX` (`Some(Some(HEX))`):
    /// accept only this digest.
    pub accept_flag: Option<Option<Digest>>,
    /// `--non-interactive`: never ask.
    pub non_interactive: bool,
    /// `--plain`: print the text whole instead of paging.
    pub plain: bool,
}

/// How `accept` ended well. The library prints nothing: `message` and `warnings` are
/// for the caller to show (the binary writes them to stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The receipt that holds the acceptance.
    pub receipt: PathBuf,
    /// How consent was given now; `None` when a valid receipt already existed.
    pub recorded: Option<Method>,
    /// The one line to tell a person what happened.
    pub message: String,
    /// What to pass on besides, shown before `message` (a value that was not consent).
    pub warnings: Vec<String>,
}

/// Runs the gate for `product` and `license`. `hint` spells the commands that reach
/// this license again, for messages.
pub fn accept(
    product: &Product,
    license: &License,
    locations: &Locations,
    options: &AcceptOptions,
    hint: &Hint,
) -> Result<Accepted> {
    // 0. Arguments first: a pin is checked against this text every time, also when a
    // receipt exists (a stale pin must not pass silently).
    if let Some(Some(pin)) = &options.accept_flag
        && *pin != license.sha256
    {
        return Err(Error::LicenseChanged(format!(
            "--accept-eula={pin} is not the digest of the {} for {product}, which is {}: \
                 the text is not the one that was reviewed, so nothing was written; review it \
                 with `{}` and pin the new digest",
            license.title,
            license.sha256,
            hint.command("show")
        )));
    }
    // 1. A valid receipt for this exact text: done, silently but for one line.
    let report = verify::verify(product, &license.sha256, locations)?;
    if report.status == Status::Accepted {
        let message = format!(
            "{} already accepted for {product} on {} ({})",
            license.title,
            shown(report.accepted_at.as_deref().unwrap_or("an earlier date")),
            shown_path(&report.receipt)
        );
        return Ok(Accepted {
            receipt: report.receipt,
            recorded: None,
            message,
            warnings: Vec::new(),
        });
    }
    // 2. The flag, pinned or not (a pin was checked in step 0).
    if options.accept_flag.is_some() {
        return record(product, license, locations, Method::Flag, None, Vec::new());
    }
    // Warnings go with whatever comes next: the outcome, the pager's notice, an error.
    let mut warnings = Vec::new();
    // 3. The environment, which must name this product.
    if let Some(value) = std::env::var_os(ACCEPT_ENV) {
        let value = value.to_string_lossy();
        if env_names_product(&value, product.as_str()) {
            return record(product, license, locations, Method::Env, None, warnings);
        }
        if !value.trim().is_empty() {
            warnings.push(format!(
                "warning: {ACCEPT_ENV}=\"{}\" does not name {product}, so it is not consent to its \
                 license; set {ACCEPT_ENV}={product} to accept it",
                shown(&value)
            ));
        }
    }
    // 4. A person at a terminal.
    let cannot_ask = why_nobody_can_be_asked(options);
    if cannot_ask.is_none() {
        let mut notices: Vec<String> = warnings.clone();
        if report.status == Status::LicenseChanged {
            notices.push(format!(
                "Changed since it was accepted on {}: please review it again",
                shown(report.accepted_at.as_deref().unwrap_or("an earlier date"))
            ));
        }
        let notice = (!notices.is_empty()).then(|| notices.join("; "));
        let (read_to_end, hold) =
            show_and_ask(license, options, notice.as_deref()).map_err(|e| e.after_warnings(&warnings))?;
        let accepted = record(
            product,
            license,
            locations,
            Method::Interactive,
            Some(read_to_end),
            warnings,
        );
        // Signals stayed handled while the receipt was written; now they are the caller's.
        drop(hold);
        return accepted;
    }
    // 5. Nobody to ask: refuse at once, saying why.
    Err(Error::NobodyToAsk(format!(
        "the {title} for {product} must be accepted, and nobody can be asked: {reason}.\n\
         Read it with `{show}`, then accept it with `{accept} --accept-eula` \
         or by setting {ACCEPT_ENV}={product}.",
        title = license.title,
        reason = cannot_ask.unwrap_or_default(),
        show = hint.command("show"),
        accept = hint.command(""),
    ))
    .after_warnings(&warnings))
}

/// Whether the comma-separated list in `value` names `product`. Spaces and tabs
/// around an item are ignored, nothing else: a carriage return from a Windows file
/// or a no-break space pasted from a page is not the product's name (and package
/// scripts that read the variable themselves can apply the same simple rule).
pub fn env_names_product(value: &str, product: &str) -> bool {
    value
        .split(',')
        .any(|item| item.trim_matches([' ', '\t']) == product)
}

/// `None` when a person can be asked on this terminal, else the one actual reason why
/// not, in words a person can act on.
fn why_nobody_can_be_asked(options: &AcceptOptions) -> Option<String> {
    if options.non_interactive {
        return Some("--non-interactive was given".into());
    }
    if std::env::var_os("DEBIAN_FRONTEND").is_some_and(|v| v == "noninteractive") {
        return Some(
            "DEBIAN_FRONTEND=noninteractive is set in the environment (many container images \
             set it for every program; run `env -u DEBIAN_FRONTEND eula-gate` to be asked)"
                .into(),
        );
    }
    match term::stdio_terminals() {
        (true, true) => None,
        (false, false) => Some("neither standard input nor standard output is a terminal".into()),
        (false, true) => Some("standard input is not a terminal".into()),
        (true, false) => Some("standard output is not a terminal".into()),
    }
}

/// Shows the text, asks, and returns whether the reader reached the end of the text,
/// with the hold on signals to keep until the receipt is written.
fn show_and_ask(
    license: &License,
    options: &AcceptOptions,
    notice: Option<&str>,
) -> Result<(bool, term::Hold)> {
    let ask = Ask {
        plain: options.plain,
        notice,
        on_abort: term::OnAbort {
            code: EXIT_RUNTIME.into(),
            note: ABORT_NOTE,
        },
    };
    let title = &license.title;
    let consent = match term::ask_consent(Shown::new(title), Shown::new(&license.text), &ask) {
        Ok(consent) => consent,
        Err(TermError::Stopped(Stop::Interrupted)) => return Err(Error::Interrupted),
        Err(TermError::Stopped(Stop::Terminated)) => return Err(Error::Terminated),
        Err(TermError::Stopped(Stop::HungUp)) => {
            return Err(Error::Declined(format!(
                "the terminal went away; the {title} was not accepted and nothing was written"
            )));
        }
        Err(TermError::Unusable(e)) => {
            return Err(Error::Runtime(format!(
                "cannot use the terminal to show the license: {e}; try --plain"
            )));
        }
    };
    match consent.answer {
        Answer::Accept => Ok((consent.read_to_end, consent.hold)),
        Answer::Decline => Err(Error::Declined(format!(
            "declined the {title}; nothing was written"
        ))),
        Answer::EndOfInput => Err(Error::Declined(format!(
            "no answer (end of input); the {title} was not accepted and nothing was written"
        ))),
        Answer::TooManyTries => Err(Error::Declined(format!(
            "no \"yes\" or \"no\" after {} tries; the {title} was not accepted and nothing was written",
            term::MAX_ATTEMPTS
        ))),
    }
}

fn record(
    product: &Product,
    license: &License,
    locations: &Locations,
    method: Method,
    read_to_end: Option<bool>,
    warnings: Vec<String>,
) -> Result<Accepted> {
    let acceptance = Acceptance {
        product,
        license,
        method,
        accepted_by: AcceptedBy::current(),
        accepted_at: now_timestamp(),
        read_to_end,
    };
    let bytes = to_file_bytes(&acceptance.to_receipt());
    let receipt = locations
        .primary
        .write_atomically(product, &bytes)
        .map_err(|e| e.after_warnings(&warnings))?;
    let message = format!(
        "accepted the {} for {product} ({}); receipt: {}",
        license.title,
        method.as_str(),
        shown_path(&receipt)
    );
    Ok(Accepted {
        receipt,
        recorded: Some(method),
        message,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_list_naming_the_product_is_consent() {
        assert!(env_names_product("portsip-pbx", "portsip-pbx"));
        assert!(env_names_product("other, portsip-pbx ,x", "portsip-pbx"));
        for value in [
            "",
            "yes",
            "Y",
            "true",
            "1",
            "all",
            "other",
            "portsip-pbx-demo",
            "PORTSIP-PBX",
            "portsip-pbx\r",
            "portsip-pbx\u{a0}",
            "portsip-pbx\n,x",
            "portsip -pbx",
        ] {
            assert!(!env_names_product(value, "portsip-pbx"), "{value}");
        }
    }
}
