//! `verify`: is there a valid receipt for this product and this license text?

use crate::Hint;
use crate::error::{Error, Result};
use crate::license::{is_shown_as_is, shown, shown_path};
use crate::product::{Digest, Product};
use crate::receipt;
use crate::store::{Locations, ReceiptStore, Stored};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The verdict on a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A valid receipt for this product and license digest.
    Accepted,
    /// No receipt.
    Missing,
    /// A valid receipt for another text of the license.
    LicenseChanged,
    /// A receipt that cannot be trusted: unreadable, malformed, tampered, other product.
    Invalid,
}

impl Status {
    /// The name used in `verify --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Missing => "missing",
            Status::LicenseChanged => "license-changed",
            Status::Invalid => "invalid",
        }
    }
}

/// What `verify` found, with everything a script or a person needs to act on it.
#[derive(Debug, Clone)]
pub struct Report {
    /// The verdict.
    pub status: Status,
    /// The product checked.
    pub product: Product,
    /// The receipt path the verdict is about.
    pub receipt: PathBuf,
    /// The license digest a valid receipt must record.
    pub expected_sha256: Digest,
    /// The license digest the receipt records, where a valid receipt was read.
    pub receipt_sha256: Option<Digest>,
    /// When the receipt says the license was accepted, where one was read.
    pub accepted_at: Option<String>,
    /// How it was accepted, where a receipt was read.
    pub method: Option<String>,
    /// The receipt's own `digest`, where a valid receipt was read.
    pub receipt_digest: Option<String>,
    /// Why the receipt is invalid.
    pub reason: Option<String>,
    /// The system receipt that was looked at too, where it found nothing better.
    pub also_checked: Option<PathBuf>,
}

/// Checks the receipts in `locations` for `product` against `expected_sha256`. A valid
/// receipt in the system fallback directory counts when the primary has none. `Err`
/// when a receipt directory cannot be trusted or opened (exit 1).
pub fn verify(product: &Product, expected_sha256: &Digest, locations: &Locations) -> Result<Report> {
    let mut primary = check_store(&locations.primary, product, expected_sha256)?;
    let Some(system) = &locations.system_fallback else {
        return Ok(primary);
    };
    if primary.status == Status::Accepted {
        return Ok(primary);
    }
    let fallback = check_store(system, product, expected_sha256)?;
    if fallback.status == Status::Accepted
        || (primary.status == Status::Missing && fallback.status != Status::Missing)
    {
        Ok(fallback)
    } else {
        primary.also_checked = Some(system.path(product));
        Ok(primary)
    }
}

fn check_store(store: &ReceiptStore, product: &Product, expected_sha256: &Digest) -> Result<Report> {
    let mut report = Report {
        status: Status::Missing,
        product: product.to_owned(),
        receipt: store.path(product),
        expected_sha256: expected_sha256.to_owned(),
        receipt_sha256: None,
        accepted_at: None,
        method: None,
        receipt_digest: None,
        reason: None,
        also_checked: None,
    };
    match store.read(product)? {
        Stored::Missing => {}
        Stored::Unreadable(why) => {
            report.status = Status::Invalid;
            report.reason = Some(why);
        }
        Stored::Found(bytes) => match receipt::check(&bytes, product) {
            Err(why) => {
                report.status = Status::Invalid;
                report.reason = Some(why);
            }
            Ok(facts) => {
                report.status = if facts.license_sha256 == *expected_sha256 {
                    Status::Accepted
                } else {
                    Status::LicenseChanged
                };
                report.receipt_sha256 = Some(facts.license_sha256);
                report.accepted_at = Some(facts.accepted_at);
                report.method = Some(facts.method);
                report.receipt_digest = Some(facts.digest);
            }
        },
    }
    Ok(report)
}

impl Report {
    /// The human explanation, naming the receipt and the next step.
    pub fn message(&self, hint: &Hint) -> String {
        let accept_cmd = hint.command("");
        let path = shown_path(&self.receipt);
        let product = &self.product;
        let accepted_at = shown(self.accepted_at.as_deref().unwrap_or("an unknown date"));
        match self.status {
            Status::Accepted => format!("{product}: license accepted on {accepted_at} ({path})"),
            Status::Missing => {
                let checked = match &self.also_checked {
                    Some(system) => format!("no receipt at {path} nor at {}", shown_path(system)),
                    None => format!("no receipt at {path}"),
                };
                format!(
                    "{product}: the license has not been accepted ({checked}); run `{accept_cmd}` \
                     to read and accept it, or `{accept_cmd} --accept-eula` for an unattended install"
                )
            }
            Status::LicenseChanged => format!(
                "{product}: the license changed since it was accepted on {accepted_at} (receipt {path} \
                 is for sha256 {}, the license now has sha256 {}); run `{accept_cmd}` to read and accept \
                 the new text, or `{accept_cmd} --accept-eula={}` for an unattended install",
                self.receipt_sha256.as_ref().map_or("?", Digest::as_str),
                self.expected_sha256,
                self.expected_sha256
            ),
            Status::Invalid => format!(
                "{product}: receipt {path} is not valid: {}; accept again with `{accept_cmd}` to replace it",
                shown(self.reason.as_deref().unwrap_or("unknown reason"))
            ),
        }
    }

    /// One JSON object for `verify --json`.
    pub fn to_json(&self, hint: &Hint) -> Value {
        let mut out = json!({
            "status": self.status.as_str(),
            "product": self.product.as_str(),
            "receipt": self.receipt.to_string_lossy(),
            "expected_sha256": self.expected_sha256.as_str(),
            "exit_code": self.error(hint).map_or(0, |e| e.code()),
            "message": self.message(hint),
        });
        let map = out.as_object_mut().expect("json! object literal is an object");
        let receipt_sha256 = self.receipt_sha256.as_ref().map(|d| d.as_str().to_owned());
        for (key, value) in [
            ("receipt_sha256", &receipt_sha256),
            ("accepted_at", &self.accepted_at),
            ("method", &self.method),
            ("reason", &self.reason),
        ] {
            if let Some(value) = value {
                map.insert(key.into(), Value::String(value.clone()));
            }
        }
        out
    }

    /// `verify --json`'s line: [`Report::to_json`] as [`json_line`] writes it.
    pub fn to_json_line(&self, hint: &Hint) -> String {
        json_line(&self.to_json(hint))
    }

    /// `None` when accepted, else the error whose code the contract gives this status.
    pub fn error(&self, hint: &Hint) -> Option<Error> {
        let message = self.message(hint);
        match self.status {
            Status::Accepted => None,
            Status::Missing => Some(Error::NoReceipt(message)),
            Status::LicenseChanged => Some(Error::LicenseChanged(message)),
            Status::Invalid => Some(Error::InvalidReceipt(message)),
        }
    }
}

/// `value` as one line of JSON for a terminal: every character that could act on one
/// (C0 and C1 controls, DEL, bidi controls, line and paragraph separators) written as
/// a `\uXXXX` escape, so that values copied from a receipt are exact for a JSON
/// reader and inert on a terminal.
pub fn json_line(value: &Value) -> String {
    let mut line = String::new();
    for c in value.to_string().chars() {
        if is_shown_as_is(c) {
            line.push(c);
        } else {
            // Only inside strings: JSON's own syntax is printable ASCII.
            for unit in c.encode_utf16(&mut [0; 2]) {
                line.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    line.push('\n');
    line
}
