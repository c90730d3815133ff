//! `list`: every receipt in scope, one line each (`--json`: one array), with its
//! status against the text this gate knows for its product.

use crate::cli::ListArgs;
use crate::error::Result;
use crate::license::{EMBEDDED_PRODUCT, EMBEDDED_SHA256, shown, shown_path};
use crate::output::print_stdout;
use crate::product::Product;
use crate::receipt;
use crate::store::{Locations, ReceiptStore, SYSTEM_DIR, Stored};
use crate::verify::json_line;
use serde_json::{Value, json};

/// One receipt as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The product (from the file name).
    pub product: String,
    /// `accepted` (valid, for the text this gate knows for the product), `valid`
    /// (intact, no text known to compare), `license-changed` or `invalid`.
    pub status: &'static str,
    /// `system`, `user` or `dir` (a directory that was given).
    pub scope: &'static str,
    /// The receipt file.
    pub receipt: String,
    /// What a valid receipt says.
    pub facts: Option<receipt::ReceiptFacts>,
    /// Why an invalid receipt is invalid.
    pub reason: Option<String>,
}

/// The receipts of every store in scope, in order: the given or primary directory,
/// then (for a user with no directory given) the system one.
pub fn entries(locations: &Locations) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let primary_scope = if locations.system_fallback.is_some() {
        "user"
    } else if locations.primary.dir() == std::path::Path::new(SYSTEM_DIR) {
        "system"
    } else {
        "dir"
    };
    collect(&locations.primary, primary_scope, &mut out)?;
    if let Some(system) = &locations.system_fallback {
        collect(system, "system", &mut out)?;
    }
    Ok(out)
}

fn collect(store: &ReceiptStore, scope: &'static str, out: &mut Vec<Entry>) -> Result<()> {
    for product in store.products()? {
        let (status, facts, reason) = match store.read(&product)? {
            Stored::Missing => continue,
            Stored::Unreadable(why) => ("invalid", None, Some(why)),
            Stored::Found(bytes) => match receipt::check(&bytes, &product) {
                Err(why) => ("invalid", None, Some(why)),
                Ok(facts) => (status_of(&product, &facts), Some(facts), None),
            },
        };
        out.push(Entry {
            product: product.as_str().to_owned(),
            status,
            scope,
            receipt: store.path(&product).to_string_lossy().into_owned(),
            facts,
            reason,
        });
    }
    Ok(())
}

/// The status of a valid receipt: compared with the text this gate knows for the
/// product (the embedded one), or `valid` where it knows none.
fn status_of(product: &Product, facts: &receipt::ReceiptFacts) -> &'static str {
    if product.as_str() != EMBEDDED_PRODUCT {
        "valid"
    } else if facts.license_sha256.as_str() == EMBEDDED_SHA256 {
        "accepted"
    } else {
        "license-changed"
    }
}

impl Entry {
    /// The entry as a JSON object (`list --json`).
    pub fn to_json(&self) -> Value {
        let facts = self.facts.as_ref();
        json!({
            "product": self.product,
            "status": self.status,
            "scope": self.scope,
            "receipt": self.receipt,
            "title": facts.map(|f| f.title.as_str()),
            "license_sha256": facts.map(|f| f.license_sha256.as_str()),
            "accepted_at": facts.map(|f| f.accepted_at.as_str()),
            "method": facts.map(|f| f.method.as_str()),
            "context": facts.and_then(|f| f.context.as_deref()),
            "approved_by": facts.and_then(|f| f.approved_by.as_deref()),
            "reason": self.reason,
        })
    }
}

/// Runs `list`.
pub fn run(args: &ListArgs) -> Result<()> {
    let locations = Locations::resolve(args.receipt_dir.as_deref())?;
    let entries = entries(&locations)?;
    if args.json {
        let all = Value::Array(entries.iter().map(Entry::to_json).collect());
        return print_stdout(&json_line(&all));
    }
    if entries.is_empty() {
        let mut dirs = vec![shown_path(locations.primary.dir())];
        if let Some(system) = &locations.system_fallback {
            dirs.push(shown_path(system.dir()));
        }
        crate::output::say(&format!("no receipts in {}", dirs.join(" or ")));
        return Ok(());
    }
    let mut out = format!(
        "{:<16} {:<24} {:<12} {:<20} {:<11} {:<12} {:<6} {}\n",
        "STATUS", "PRODUCT", "SHA256", "ACCEPTED AT", "METHOD", "CONTEXT", "SCOPE", "TITLE"
    );
    for entry in &entries {
        let facts = entry.facts.as_ref();
        let digest = facts.map_or("-", |f| f.license_sha256.as_str());
        // Each value on one line, whatever a receipt (or a reason quoting it) holds.
        out.push_str(&format!(
            "{:<16} {:<24} {:<12} {:<20} {:<11} {:<12} {:<6} {}\n",
            entry.status,
            entry.product,
            digest.get(..12).unwrap_or(digest),
            facts.map_or("-", |f| f.accepted_at.as_str()),
            shown(facts.map_or("-", |f| f.method.as_str())),
            facts.and_then(|f| f.context.as_deref()).unwrap_or("-"),
            entry.scope,
            shown(&facts.map_or_else(|| entry.reason.clone().unwrap_or_default(), |f| f.title.clone())),
        ));
    }
    print_stdout(&out)
}
