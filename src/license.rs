//! The license text: embedded or from a file, normalized, digested, and made safe to
//! show on a terminal.

use crate::error::{Error, Result};
use crate::normalize::{NormalizeError, normalize};
use crate::product::Digest;
pub use crate::product::is_digest;
use crate::trusted_path::{PathError, Rule, open_regular_file};
use sha2::Digest as _;
use sha2::Sha256;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_digest.rs"));

/// The embedded default license text (already in normal form; `build.rs` checks).
pub const EMBEDDED_TEXT: &str = include_str!("../assets/licenses/portsip-eula.txt");
/// The product the embedded license belongs to.
pub const EMBEDDED_PRODUCT: &str = "portsip-pbx";
/// The id of the embedded license.
pub const EMBEDDED_ID: &str = "portsip-eula";
/// The title of the embedded license.
pub const EMBEDDED_TITLE: &str = "PortSIP Software End-User License Agreement";
/// License files larger than this are refused, so a wrong path never exhausts memory.
pub const MAX_LICENSE_BYTES: u64 = 32 * 1024 * 1024;
/// Titles longer than this (in characters) are cut, with an ellipsis.
const MAX_TITLE_CHARS: usize = 200;

/// A license text ready to be gated: normalized, with its digest.
#[derive(Debug, Clone)]
pub struct License {
    /// Short identifier recorded in the receipt (`portsip-eula`, or from the file name).
    pub id: String,
    /// Human title, shown in the pager and in messages.
    pub title: String,
    /// The normalized text.
    pub text: Cow<'static, str>,
    /// SHA-256 of `text`.
    pub sha256: Digest,
}

impl License {
    /// The embedded PortSIP license; its digest is a compile-time constant.
    pub fn embedded() -> License {
        License {
            id: EMBEDDED_ID.to_owned(),
            title: EMBEDDED_TITLE.to_owned(),
            text: Cow::Borrowed(EMBEDDED_TEXT),
            sha256: Digest::from_static(EMBEDDED_SHA256),
        }
    }

    /// Reads, normalizes and digests a license file. `title` overrides the first
    /// non-empty line as the title.
    pub fn from_file(path: &Path, title: Option<&str>) -> Result<License> {
        let raw = read_bounded(path)?;
        License::from_bytes(&raw, &shown_path(path), file_id(path), title)
    }

    /// Reads, normalizes and digests the text on standard input (`--license -`), for
    /// package scripts whose file is not unpacked yet; `id` names it in the receipt.
    pub fn from_stdin(id: String, title: Option<&str>) -> Result<License> {
        use std::io::IsTerminal;
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(Error::Usage(
                "--license - reads the license text from standard input, which is a terminal; \
                 pipe the text in (eula-gate ... --license - < LICENSE.txt) or pass the file"
                    .into(),
            ));
        }
        let mut raw = Vec::new();
        stdin
            .lock()
            .take(MAX_LICENSE_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot read the license text from standard input: {e}; pipe the text in, or \
                     pass the file with --license FILE"
                ))
            })?;
        if raw.len() as u64 > MAX_LICENSE_BYTES {
            return Err(Error::Runtime(format!(
                "the license text on standard input is larger than {} MiB, the most eula-gate \
                 accepts; check that it is the license text",
                MAX_LICENSE_BYTES / (1024 * 1024)
            )));
        }
        License::from_bytes(&raw, "(standard input)", id, title)
    }

    /// Builds a license from raw bytes; `origin` names the source in error messages.
    pub fn from_bytes(raw: &[u8], origin: &str, id: String, title: Option<&str>) -> Result<License> {
        let text = normalize(raw).map_err(|e| match e {
            NormalizeError::NotUtf8 { offset } => Error::Runtime(format!(
                "license file {origin} is not UTF-8 text (invalid byte at offset {offset}); \
                 convert it to UTF-8, e.g. with iconv, and try again"
            )),
            NormalizeError::RepeatedBom => Error::Runtime(format!(
                "license file {origin} begins with two byte order marks (U+FEFF); save it with \
                 at most one and try again"
            )),
            NormalizeError::OutOfMemory => Error::Runtime(format!(
                "not enough memory to normalize license file {origin} ({} MiB); free some memory \
                 or raise the limit (ulimit -v) and try again",
                raw.len().div_ceil(1024 * 1024)
            )),
            NormalizeError::Empty => Error::Runtime(format!(
                "license file {origin} is empty or holds only blanks; pass the file that holds \
                 the license text"
            )),
        })?;
        let title = match title.map(str::trim) {
            Some("") => {
                return Err(Error::Usage(
                    "--title is empty; give the license's title or leave --title out".into(),
                ));
            }
            Some(t) => clip_title(t),
            None => clip_title(text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")),
        };
        let sha256 = Digest::of(text.as_bytes());
        Ok(License {
            id,
            title,
            text: Cow::Owned(text),
            sha256,
        })
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in Sha256::digest(bytes) {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out
}

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let shown = shown_path(path);
    // As root, a user's link must not make root read what that user may not.
    let rule = if crate::store::is_root() {
        Rule::SafeTransitions
    } else {
        Rule::Caller
    };
    let file = open_regular_file(path, rule).map_err(|e| match e {
        PathError::NotRegularFile { kind, .. } => Error::Runtime(format!(
            "license file {shown} is {kind}, not a regular file; pass the license text file itself \
             (save a stream to a file first)"
        )),
        PathError::UnsafeTransition { at, from, to } => Error::Runtime(format!(
            "refusing to read license file {shown} as root: {} leads from what uid {from} owns to \
             what uid {to} owns, so that user's link could make root read a file they may not; \
             copy the license into a directory root owns, or pass its real path",
            shown_path(&at)
        )),
        PathError::NotFound { at } => Error::Runtime(format!(
            "cannot read license file {shown}: {} does not exist; check the --license path",
            shown_path(&at)
        )),
        PathError::NotDirectory { at } => Error::Runtime(format!(
            "cannot read license file {shown}: {} is not a directory; check the --license path",
            shown_path(&at)
        )),
        other => Error::Runtime(format!(
            "cannot read license file {shown}: {other}; check the --license path and its permissions"
        )),
    })?;
    let next = "check the --license path and its permissions";
    let size = file
        .metadata()
        .map_err(|e| Error::io("read license file", path, &e, next))?
        .len();
    let too_large = || {
        Error::Runtime(format!(
            "license file {shown} is larger than {} MiB, the most eula-gate accepts; \
             check that it is the license text",
            MAX_LICENSE_BYTES / (1024 * 1024)
        ))
    };
    if size > MAX_LICENSE_BYTES {
        return Err(too_large());
    }
    // Reserved up front and fallibly: a failed allocation is an error, not an abort.
    let mut raw = Vec::new();
    crate::alloc_guard::fallible(|| raw.try_reserve_exact(size as usize + 1))
        .map_err(|_| out_of_memory(path, size))?;
    file.take(MAX_LICENSE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io("read license file", path, &e, next))?;
    if raw.len() as u64 > MAX_LICENSE_BYTES {
        return Err(too_large());
    }
    Ok(raw)
}

fn out_of_memory(path: &Path, bytes: u64) -> Error {
    Error::Runtime(format!(
        "not enough memory to read license file {} ({} MiB); free some memory or raise the \
         limit (ulimit -v) and try again",
        shown_path(path),
        bytes.div_ceil(1024 * 1024)
    ))
}

/// The license id for a file: its stem, lower-cased, reduced to `[a-z0-9._-]`.
fn file_id(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    let id: String = stem
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect();
    if id.is_empty() { "license".to_owned() } else { id }
}

fn clip_title(title: &str) -> String {
    // Only as much as can be shown: the first line of a huge text may be the whole text.
    let keep = title
        .char_indices()
        .filter(|&(_, c)| !is_bidi_control(c))
        .nth(MAX_TITLE_CHARS)
        .map_or(title.len(), |(at, c)| at + c.len_utf8());
    let title = shown(&title[..keep]);
    if title.chars().count() <= MAX_TITLE_CHARS {
        return title.into_owned();
    }
    let mut clipped: String = title.chars().take(MAX_TITLE_CHARS - 1).collect();
    clipped.push('…');
    clipped
}

/// Makes text harmless to print on a terminal: control characters become their
/// visible Control Pictures (ESC shows as `␛`), C1 controls become U+FFFD, and
/// bidirectional overrides, embeddings and isolates are dropped. Tabs and line
/// feeds are kept. Borrows when nothing needs to change.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_sanitizing) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\0'..='\x1f' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}')),
            '\x7f' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{FFFD}'),
            '\u{2028}' | '\u{2029}' => out.push(' '),
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A value from outside eula-gate (a title, a path, a product or a date read from a
/// receipt, an environment value) made safe to show inside a message, on one line:
/// as [`sanitize`], and line feeds and tabs shown as their Control Pictures too.
pub fn shown(value: &str) -> Cow<'_, str> {
    if value.chars().all(is_shown_as_is) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\n' => out.push('\u{2424}'),
            '\t' => out.push('\u{2409}'),
            c => out.push_str(&sanitize(c.encode_utf8(&mut [0; 4]))),
        }
    }
    Cow::Owned(out)
}

/// Whether `shown` leaves `c` as it is.
pub fn is_shown_as_is(c: char) -> bool {
    !needs_sanitizing(c) && c != '\n' && c != '\t'
}

/// A path made safe to show, as [`shown`] (bytes that are not UTF-8 become U+FFFD).
pub fn shown_path(path: &Path) -> String {
    shown(&path.to_string_lossy()).into_owned()
}

fn needs_sanitizing(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_digest_matches_the_text_and_the_contract() {
        assert_eq!(sha256_hex(EMBEDDED_TEXT.as_bytes()), EMBEDDED_SHA256);
        assert_eq!(
            EMBEDDED_SHA256,
            "a47b50dbf69326d43b53b6a83a575341f184c5a686ddb8006d0c3512743519c8"
        );
    }

    #[test]
    fn windows_endings_bom_and_trailing_blanks_give_the_same_text() {
        let plain = normalize(b"Title\n\nSome terms.\nMore\n").unwrap();
        for variant in [
            &b"\xEF\xBB\xBFTitle\r\n\r\nSome terms.\r\nMore\r\n"[..],
            b"Title\r\rSome terms.  \t\rMore",
            b"Title  \n\t\nSome terms.\nMore\n\n \n\t\n",
        ] {
            assert_eq!(normalize(variant).unwrap(), plain);
        }
        assert_ne!(normalize(b"Title\n\nSome Terms.\nMore\n").unwrap(), plain);
    }

    #[test]
    fn leading_blank_lines_and_inner_spaces_are_kept() {
        assert_eq!(normalize(b"\n  A  b\n").unwrap(), "\n  A  b\n");
    }

    #[test]
    fn empty_and_blank_texts_are_refused() {
        for raw in [&b""[..], b"\xEF\xBB\xBF", b" \t\r\n\n  \n"] {
            assert_eq!(normalize(raw), Err(NormalizeError::Empty));
        }
    }

    #[test]
    fn invalid_utf8_names_the_offset_in_the_file() {
        assert_eq!(
            normalize(b"\xEF\xBB\xBFab\xFFc"),
            Err(NormalizeError::NotUtf8 { offset: 5 })
        );
    }

    #[test]
    fn one_bom_is_removed_and_a_second_is_refused() {
        assert_eq!(normalize("\u{FEFF}x\u{FEFF}".as_bytes()).unwrap(), "x\u{FEFF}\n");
        assert_eq!(
            normalize("\u{FEFF}\u{FEFF}x".as_bytes()),
            Err(NormalizeError::RepeatedBom)
        );
        assert_eq!(
            normalize(&std::fs::read("fuzz/corpus/license_display/double-bom.txt").unwrap()[1..]),
            Err(NormalizeError::RepeatedBom)
        );
    }

    #[test]
    fn sanitize_shows_controls_and_drops_bidi_overrides() {
        assert_eq!(
            sanitize("a\x1b[31mred\x07\u{202E}b\u{9b}"),
            "a\u{241B}[31mred\u{2407}b\u{FFFD}"
        );
        assert!(matches!(sanitize("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn title_is_the_first_non_empty_line_unless_given() {
        let l = License::from_bytes(b"\n  My EULA \x1b]0;x\x07 \nterms\n", "x", "x".into(), None).unwrap();
        assert_eq!(l.title, "My EULA \u{241B}]0;x\u{2407}");
        let l = License::from_bytes(b"terms\n", "x", "x".into(), Some(" Given ")).unwrap();
        assert_eq!(l.title, "Given");
        let long = format!("{}\u{202E}{}\n", "\x1b".repeat(199), "x".repeat(1000));
        let l = License::from_bytes(long.as_bytes(), "x", "x".into(), None).unwrap();
        assert_eq!(l.title, "\u{241B}".repeat(199) + "…");
        let exact = format!("{}\u{202E}\n", "y".repeat(200));
        let l = License::from_bytes(exact.as_bytes(), "x", "x".into(), None).unwrap();
        assert_eq!(l.title, "y".repeat(200));
    }

    #[test]
    fn file_ids_keep_only_safe_characters() {
        assert_eq!(file_id(Path::new("/x/My EULA v2.txt")), "myeulav2");
        assert_eq!(file_id(Path::new("/x/ü.txt")), "license");
    }
}
