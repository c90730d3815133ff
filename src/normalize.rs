//! License text normalization: the one definition of "the same text".
//!
//! Shared with `build.rs`, which uses it to compute the embedded license digest at
//! compile time, so it depends on `std` alone (and `alloc_guard`, which `build.rs`
//! includes too).

/// Why a license text could not be normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizeError {
    /// The bytes are not UTF-8; `offset` is the first byte that is not.
    NotUtf8 {
        /// The first byte that is not UTF-8.
        offset: usize,
    },
    /// Nothing but blanks and line ends.
    Empty,
    /// Another byte order mark right after the one that is removed: the normal form
    /// would begin with a BOM and not be a fixed point of normalization.
    RepeatedBom,
    /// No memory for the normal form (it is reserved fallibly, never an abort).
    OutOfMemory,
}

/// Normalizes a license text as the contract defines it: UTF-8 required, one leading
/// BOM removed, CRLF and lone CR become LF, spaces and tabs at line ends removed,
/// trailing empty lines removed, lines joined with LF plus one final LF. A text that
/// begins with two BOMs is refused, so that the normal form normalizes to itself.
pub fn normalize(raw: &[u8]) -> Result<String, NormalizeError> {
    let bom = if raw.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let text = std::str::from_utf8(&raw[bom..]).map_err(|e| NormalizeError::NotUtf8 {
        offset: bom + e.valid_up_to(),
    })?;
    if text.starts_with('\u{FEFF}') {
        return Err(NormalizeError::RepeatedBom);
    }
    let mut out = String::new();
    crate::alloc_guard::fallible(|| out.try_reserve_exact(text.len() + 1))
        .map_err(|_| NormalizeError::OutOfMemory)?;
    // Length of `out` up to the end of the last line that had content.
    let mut kept = 0;
    let mut rest = text;
    loop {
        let (line, next) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], Some(&rest[i + skip..]))
            }
            None => (rest, None),
        };
        let line = line.trim_end_matches([' ', '\t']);
        out.push_str(line);
        out.push('\n');
        if !line.is_empty() {
            kept = out.len();
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    out.truncate(kept);
    if out.is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(out)
}
