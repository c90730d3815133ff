//! `accept`: the gate. Decides in the contract's order: the arguments, an existing
//! valid receipt, `--accept-eula`, an organisation policy, `EULA_GATE_ACCEPT`, a
//! person at a terminal, else refuse.

use crate::Hint;
use crate::error::{ABORT_NOTE, EXIT_RUNTIME};
use crate::error::{Error, Result};
use crate::history;
use crate::license::{License, shown, shown_path};
use crate::policy;
use crate::product::{Context, Digest, Product};
use crate::receipt::{Acceptance, AcceptedBy, Host, Method, PolicyRef, now_timestamp, to_file_bytes};
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
    /// `--context NAME`: which installer ran the gate (recorded, never consent).
    pub context: Option<Context>,
    /// `--policy-dir DIR`; `None`: `EULA_GATE_POLICY_DIR`, else `/etc/eula-gate/policy.d`.
    pub policy_dir: Option<PathBuf>,
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
    // The receipt this acceptance replaces, where the directory written to has a valid one.
    let replaced = (report.receipt == locations.primary.path(product))
        .then_some(report.receipt_digest.as_deref())
        .flatten();
    let record = |method, read_to_end, policy, warnings| {
        let how = How {
            method,
            read_to_end,
            context: options.context.clone(),
            policy,
        };
        record(product, license, locations, how, replaced, warnings)
    };
    // 2. The flag, pinned or not (a pin was checked in step 0).
    if options.accept_flag.is_some() {
        return record(Method::Flag, None, None, Vec::new());
    }
    // Warnings go with whatever comes next: the outcome, the pager's notice, an error.
    let mut warnings = Vec::new();
    // 3. An organisation policy pinned to this text.
    let found = policy::load(&policy::policy_dir(options.policy_dir.as_deref()), product);
    warnings.extend(found.warnings);
    if let Some(policy) = found.policies.iter().find(|p| p.sha256 == license.sha256) {
        let reference = PolicyRef {
            file: policy.file.to_string_lossy().into_owned(),
            approved_by: policy.approved_by.clone(),
            reference: policy.reference.clone(),
        };
        return record(Method::Policy, None, Some(reference), warnings);
    }
    for other in &found.policies {
        warnings.push(policy::pins_another_text(
            other,
            &license.sha256,
            &license.title,
            &hint.command("diff"),
        ));
    }
    // 4. The environment, which must name this product.
    if let Some(value) = std::env::var_os(ACCEPT_ENV) {
        let value = value.to_string_lossy();
        if env_names_product(&value, product.as_str()) {
            return record(Method::Env, None, None, warnings);
        }
        if !value.trim().is_empty() {
            warnings.push(format!(
                "warning: {ACCEPT_ENV}=\"{}\" does not name {product}, so it is not consent to its \
                 license; set {ACCEPT_ENV}={product} to accept it",
                shown(&value)
            ));
        }
    }
    // 5. A person at a terminal.
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
        let earlier = earlier_text(&report, locations);
        let changes = earlier.as_deref().map(|old| {
            let diff = crate::diff::diff_words(old, &license.text);
            (
                crate::diff::render(&diff, false),
                format!(
                    "What changed since you accepted it on {}: {} words removed, {} added; n/N: \
                     next/previous change, q: the whole text",
                    shown(report.accepted_at.as_deref().unwrap_or("an earlier date")),
                    diff.removed_words,
                    diff.added_words
                ),
            )
        });
        let changes_title = format!("Changes to the {}", license.title);
        let changes = changes.as_ref().map(|(text, notice)| term::Changes {
            title: Shown::new(&changes_title),
            text: Shown::new(text),
            jump: crate::diff::HUNK_MARK,
            notice,
        });
        let (read_to_end, hold) = show_and_ask(license, options, notice.as_deref(), changes)
            .map_err(|e| e.after_warnings(&warnings))?;
        let accepted = record(Method::Interactive, Some(read_to_end), None, warnings);
        // Signals stayed handled while the receipt was written; now they are the caller's.
        drop(hold);
        return accepted;
    }
    // 6. Nobody to ask: refuse at once, saying why.
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

/// The kept copy of the text an earlier, valid receipt accepted, where there is one.
fn earlier_text(report: &verify::Report, locations: &Locations) -> Option<String> {
    let sha256 = report
        .receipt_sha256
        .as_ref()
        .filter(|_| report.status == Status::LicenseChanged)?;
    locations.kept_text(sha256).ok().flatten()
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
    changes: Option<term::Changes<'_>>,
) -> Result<(bool, term::Hold)> {
    let ask = Ask {
        plain: options.plain,
        notice,
        changes,
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

/// How consent was given, for the receipt.
struct How {
    method: Method,
    read_to_end: Option<bool>,
    context: Option<Context>,
    policy: Option<PolicyRef>,
}

/// Records an acceptance: the text is kept (for `diff`), the receipt written, the
/// history appended, in that order, so that a receipt never names a text that was not
/// kept and the history never claims a receipt that was not written.
fn record(
    product: &Product,
    license: &License,
    locations: &Locations,
    how: How,
    replaced: Option<&str>,
    mut warnings: Vec<String>,
) -> Result<Accepted> {
    let store = &locations.primary;
    let receipt_id = crate::receipt::new_receipt_id().map_err(|e| {
        Error::Runtime(format!(
            "cannot draw a receipt id from the operating system's randomness: {e}; nothing was written"
        ))
    })?;
    let acceptance = Acceptance {
        product,
        license,
        method: how.method,
        accepted_by: AcceptedBy::current(),
        accepted_at: now_timestamp(),
        read_to_end: how.read_to_end,
        receipt_id,
        host: Host::current(),
        context: how.context,
        policy: how.policy,
        supersedes: replaced.map(str::to_owned),
    };
    let receipt_json = acceptance.to_receipt();
    let bytes = to_file_bytes(&receipt_json);
    store
        .keep_text(license)
        .map_err(|e| e.after_warnings(&warnings))?;
    // The history's lock is held from before the receipt is written until the event
    // is appended, so the history's order is the order in which receipts changed. A
    // history that cannot be used costs the event, never the receipt: said, not undone.
    let mut history = match store.lock_history(product) {
        Ok(lock) => Some(lock),
        Err(e) => {
            warnings.push(format!("warning: {e}"));
            None
        }
    };
    let receipt = store
        .write_atomically(product, &bytes)
        .map_err(|e| e.after_warnings(&warnings))?;
    let event = history::Event {
        kind: history::Kind::Accepted,
        at: acceptance.accepted_at.clone(),
        license_sha256: Some(&license.sha256),
        receipt_digest: receipt_json.get("digest").and_then(|d| d.as_str()),
        method: how.method.as_str(),
        uid: acceptance.accepted_by.uid,
        user: &acceptance.accepted_by.user,
    };
    if let Some(Err(e)) = history.as_mut().map(|lock| lock.append(&event)) {
        warnings.push(format!("warning: {e}"));
    }
    drop(history);
    let message = format!(
        "accepted the {} for {product} ({}); receipt: {}",
        license.title,
        how.method.as_str(),
        shown_path(&receipt)
    );
    Ok(Accepted {
        receipt,
        recorded: Some(how.method),
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
