//! Organisation policies: an organisation's reviewed decision to accept one text of
//! one product's license, as files `*.json` in `/etc/eula-gate/policy.d` (else
//! `--policy-dir` or `EULA_GATE_POLICY_DIR`). A policy counts only when its file and
//! every directory above it are owned by root (or by the user running the gate) and
//! writable by nobody else; any other is ignored with a warning.

use crate::license::{shown, shown_path};
use crate::product::{Digest, Product};
use crate::trusted_path::{self, Missing, PathError, Rule};
use rustix::fs::FileType;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The policy directory when none is given.
pub const SYSTEM_POLICY_DIR: &str = "/etc/eula-gate/policy.d";
/// Environment variable naming the policy directory.
pub const POLICY_DIR_ENV: &str = "EULA_GATE_POLICY_DIR";
/// Policy files larger than this are ignored.
pub const MAX_POLICY_BYTES: u64 = 64 * 1024;
/// The policy schema this version reads and writes.
pub const POLICY_SCHEMA: u64 = 1;

/// One policy: `product`'s text `sha256` was approved by `approved_by` under
/// `reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The file it was read from.
    pub file: PathBuf,
    /// The product it is for.
    pub product: Product,
    /// The one license text it accepts.
    pub sha256: Digest,
    /// Who approved the text.
    pub approved_by: String,
    /// The organisation's reference for the decision.
    pub reference: String,
}

/// The policies for `product` that can be trusted, sorted by file name, and a warning
/// for each file that was ignored.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Trusted, well-formed policies for the product.
    pub policies: Vec<Policy>,
    /// Why files were ignored.
    pub warnings: Vec<String>,
}

/// The policy directory: `explicit`, else `EULA_GATE_POLICY_DIR`, else the system one.
pub fn policy_dir(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(POLICY_DIR_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(SYSTEM_POLICY_DIR))
}

/// Reads the policies in `dir` that name `product`. A missing directory has none; an
/// untrusted directory or file is ignored with a warning, never an error: policies
/// can only give consent, so ignoring one only means asking.
pub fn load(dir: &Path, product: &Product) -> Found {
    let mut found = Found::default();
    let euid = rustix::process::geteuid().as_raw();
    let rule = Rule::Trusted { also: Some(euid) };
    let fd = match trusted_path::open_dir(dir, rule, Missing::Report) {
        Ok(fd) => fd,
        Err(PathError::NotFound { .. }) => return found,
        Err(e) => {
            found.warnings.push(format!(
                "warning: ignoring the policies in {}: {e}; policies count only where root (or you) \
                 owns every directory and nobody else can write",
                shown_path(dir)
            ));
            return found;
        }
    };
    let Ok(entries) = rustix::fs::Dir::read_from(&fd) else {
        found.warnings.push(format!(
            "warning: cannot list the policies in {}",
            shown_path(dir)
        ));
        return found;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().ok().map(str::to_owned))
        .filter(|name| name.ends_with(".json") && !name.starts_with('.'))
        .collect();
    names.sort();
    for name in names {
        let file = dir.join(&name);
        match read_policy(&fd, &name, &file, euid) {
            Ok(policy) if policy.product == *product => found.policies.push(policy),
            Ok(_) => {}
            Err(why) => found.warnings.push(format!(
                "warning: ignoring the policy {}: {why}",
                shown_path(&file)
            )),
        }
    }
    found
}

fn read_policy(dir: &std::os::fd::OwnedFd, name: &str, file: &Path, euid: u32) -> Result<Policy, String> {
    let path_fd =
        trusted_path::open_path(dir, std::ffi::OsStr::new(name), file).map_err(|e| e.to_string())?;
    let seen = trusted_path::stat_of(&path_fd, file).map_err(|e| e.to_string())?;
    if FileType::from_raw_mode(seen.st_mode) != FileType::RegularFile {
        return Err("it is not a regular file (links are not followed)".into());
    }
    if seen.st_uid != 0 && seen.st_uid != euid {
        return Err(format!("it is owned by uid {}, not root or you", seen.st_uid));
    }
    if seen.st_mode & 0o022 != 0 {
        return Err(format!(
            "its mode {:04o} lets group or others change it",
            seen.st_mode & 0o7777
        ));
    }
    // Opened as the file that was judged, or not at all.
    let fd = trusted_path::open_checked_file(dir, std::ffi::OsStr::new(name), &seen, file)
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(format!("it is larger than {} KiB", MAX_POLICY_BYTES / 1024));
    }
    parse(&bytes, file)
}

/// Parses a policy file's bytes.
pub fn parse(bytes: &[u8], file: &Path) -> Result<Policy, String> {
    let value = crate::receipt::parse_strict(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    if map.get("schema").and_then(Value::as_u64) != Some(POLICY_SCHEMA) {
        return Err(format!("\"schema\" is not {POLICY_SCHEMA}"));
    }
    let text = |key: &str| -> Result<String, String> {
        match map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(format!("\"{key}\" is not a non-empty string")),
        }
    };
    let product = Product::new(&text("product")?).map_err(|e| e.to_string())?;
    let sha256 = Digest::parse(&text("sha256")?).map_err(|e| format!("\"sha256\": {e}"))?;
    Ok(Policy {
        file: file.to_path_buf(),
        product,
        sha256,
        approved_by: text("approved_by")?,
        reference: text("reference")?,
    })
}

/// A policy file's text for `product`'s license `sha256` (`eula-gate hash --policy`).
pub fn render(product: &Product, sha256: &Digest, approved_by: &str, reference: &str) -> String {
    let value = json!({
        "schema": POLICY_SCHEMA,
        "product": product.as_str(),
        "sha256": sha256.as_str(),
        "approved_by": approved_by,
        "reference": reference,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// The warning for a policy that pins another text of the license than `current`;
/// `diff` is the command that shows what changed since the pinned text (without
/// `--from`).
pub fn pins_another_text(policy: &Policy, current: &Digest, title: &str, diff: &str) -> String {
    format!(
        "warning: the policy {} (approved by {}, {}) pins another text of the {} for {} \
         (sha256 {}), not this one (sha256 {current}), so it is not consent to this text; see what \
         changed with `{diff} --from {}`, and have the new text reviewed",
        shown_path(&policy.file),
        shown(&policy.approved_by),
        shown(&policy.reference),
        shown(title),
        policy.product,
        policy.sha256,
        policy.sha256,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_policy_parses_back() {
        let product = Product::embedded();
        let digest = Digest::of(b"text\n");
        let text = render(&product, &digest, "Jane Doe <legal@example.com>", "LEGAL-1234");
        let policy = parse(text.as_bytes(), Path::new("/p.json")).unwrap();
        assert_eq!(policy.sha256, digest);
        assert_eq!(policy.approved_by, "Jane Doe <legal@example.com>");
        assert_eq!(policy.reference, "LEGAL-1234");
    }

    #[test]
    fn malformed_policies_are_refused() {
        for bad in [
            r#"{"schema":2,"product":"p","sha256":"00","approved_by":"a","reference":"r"}"#,
            r#"{"schema":1,"product":"P","sha256":"00","approved_by":"a","reference":"r"}"#,
            r#"{"schema":1,"product":"p","sha256":"00","approved_by":"a","reference":"r"}"#,
            r#"{"schema":1,"schema":1}"#,
            r#"[]"#,
        ] {
            assert!(parse(bad.as_bytes(), Path::new("/p.json")).is_err(), "{bad}");
        }
    }
}
