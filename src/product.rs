//! Values that are valid by type: a [`Product`] name and a license [`Digest`] can only
//! be made by checking them, once, so a library caller cannot reach a path outside
//! the receipt directory or compare against something that is not a digest.

use std::borrow::Cow;
use std::fmt;

/// A product name: `^[a-z0-9][a-z0-9._-]{0,63}$` (so it is always a plain file name).
///
/// ```
/// use eula_gate::Product;
/// assert_eq!(Product::new("portsip-pbx").unwrap().as_str(), "portsip-pbx");
/// assert!(Product::new("../etc/passwd").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Product(String);

/// Which installer ran the gate (`debconf`, `rpm`, `install.sh`, `ansible`, ...):
/// `^[a-z0-9._-]{1,32}$`. Recorded in the receipt, never consent.
///
/// ```
/// use eula_gate::product::Context;
/// assert_eq!(Context::new("docker-build").unwrap().as_str(), "docker-build");
/// assert!(Context::new("Ansible").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Context(String);

impl Context {
    /// Checks `name` against the context rule.
    pub fn new(name: &str) -> Result<Context, String> {
        if is_context(name) {
            Ok(Context(name.to_owned()))
        } else {
            Err(format!(
                "\"{}\" is not a context name: use 1 to 32 lower-case letters, digits, '.', '_' or '-' \
                 (e.g. debconf, rpm, install.sh, ansible)",
                crate::license::shown(name)
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `name` is a context name (`^[a-z0-9._-]{1,32}$`).
pub fn is_context(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why a string is not a [`Product`] name; shows the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidProduct(pub String);

impl fmt::Display for InvalidProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\" is not a product name: use 1 to 64 lower-case letters, digits, '.', '_' or \
             '-', starting with a letter or digit (e.g. portsip-pbx)",
            crate::license::shown(&self.0)
        )
    }
}

impl std::error::Error for InvalidProduct {}

impl Product {
    /// Checks `name` against the product rule.
    pub fn new(name: &str) -> Result<Product, InvalidProduct> {
        let bytes = name.as_bytes();
        let valid = (1..=64).contains(&bytes.len())
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Product(name.to_owned()))
        } else {
            Err(InvalidProduct(name.to_owned()))
        }
    }

    /// The product of the embedded PortSIP license, `portsip-pbx`.
    pub fn embedded() -> Product {
        Product(crate::license::EMBEDDED_PRODUCT.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A license digest: SHA-256 of the normalized text, 64 lower-case hex digits.
///
/// ```
/// use eula_gate::Digest;
/// let pinned = Digest::parse(" A47B50DBF69326D43B53B6A83A575341F184C5A686DDB8006D0C3512743519C8 ").unwrap();
/// assert_eq!(pinned, eula_gate::license::License::embedded().sha256);
/// assert!(Digest::parse("abc").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest(Cow<'static, str>);

/// Why a string is not a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDigest(pub String);

impl fmt::Display for InvalidDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\" is not a license digest (64 hex digits); `eula-gate hash` prints it",
            crate::license::shown(&self.0)
        )
    }
}

impl std::error::Error for InvalidDigest {}

impl Digest {
    /// Reads a digest as a person may give it: surrounding blanks and upper case
    /// are allowed.
    pub fn parse(given: &str) -> Result<Digest, InvalidDigest> {
        let hex = given.trim().to_ascii_lowercase();
        if is_digest(&hex) {
            Ok(Digest(Cow::Owned(hex)))
        } else {
            Err(InvalidDigest(given.to_owned()))
        }
    }

    /// The digest of `bytes` (already normalized text).
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Cow::Owned(crate::license::sha256_hex(bytes)))
    }

    /// A digest known at compile time; `hex` must be a digest (checked in a test).
    pub(crate) const fn from_static(hex: &'static str) -> Digest {
        Digest(Cow::Borrowed(hex))
    }

    /// The 64 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `s` has the form of a license digest: exactly 64 lower-case hex digits.
pub fn is_digest(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names_follow_the_contract() {
        for ok in ["portsip-pbx", "a", "0", "a.b_c-d", &"a".repeat(64)] {
            assert!(Product::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            ".a",
            "_a",
            "A",
            "a/b",
            "..",
            "a\0b",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(Product::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_read_once_and_kept_lower_case() {
        let d = Digest::parse(&format!("  {}\n", "AB".repeat(32))).unwrap();
        assert_eq!(d.as_str(), "ab".repeat(32));
        for bad in ["", "ab", &"g".repeat(64), &"a".repeat(65)] {
            assert!(Digest::parse(bad).is_err(), "{bad:?}");
        }
        assert!(is_digest(crate::license::EMBEDDED_SHA256));
    }
}
