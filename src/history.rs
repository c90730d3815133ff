//! A product's acceptance history, `<product>.history.jsonl`: one JSON object a line,
//! each holding the SHA-256 of the line before it (`prev`), so that a line removed,
//! changed or put in another order breaks the chain. The store appends; this module
//! makes lines and checks a chain.

use crate::license::sha256_hex;
use crate::product::{Digest, is_digest};
use crate::receipt::is_timestamp;
use serde_json::{Map, Value, json};

/// History files larger than this are not read.
pub const MAX_HISTORY_BYTES: u64 = 64 * 1024 * 1024;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A receipt was written: accepted, or accepted again for a new text.
    Accepted,
    /// The receipt was removed (`revoke`).
    Withdrawn,
}

impl Kind {
    /// The name written in the line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accepted => "accepted",
            Kind::Withdrawn => "withdrawn",
        }
    }
}

/// One event, as it is appended.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// What happened.
    pub kind: Kind,
    /// When, `YYYY-MM-DDTHH:MM:SSZ`.
    pub at: String,
    /// The license text concerned, where known (a withdrawn receipt that was not valid
    /// names none).
    pub license_sha256: Option<&'a Digest>,
    /// The `digest` of the receipt written (accepted only).
    pub receipt_digest: Option<&'a str>,
    /// How: the receipt's method for `accepted`, `revoke` for `withdrawn`.
    pub method: &'a str,
    /// Who: the real user id and its account name.
    pub uid: u32,
    /// The account name of `uid`.
    pub user: &'a str,
}

/// The line for `event` after the line whose hash is `prev` (none for the first),
/// without its line feed: compact JSON with sorted keys.
pub fn line(event: &Event<'_>, prev: Option<&str>) -> String {
    let mut value = json!({
        "event": event.kind.as_str(),
        "at": event.at,
        "license_sha256": event.license_sha256.map(Digest::as_str),
        "method": event.method,
        "uid": event.uid,
        "user": event.user,
        "prev": prev,
    });
    if let (Some(digest), Some(map)) = (event.receipt_digest, value.as_object_mut()) {
        map.insert("receipt_digest".into(), Value::from(digest));
    }
    serde_json::to_string(&value).expect("a JSON value always serializes")
}

/// The hash the next line's `prev` holds: SHA-256 of a line's bytes, without its
/// line feed.
pub fn line_hash(line: &[u8]) -> String {
    sha256_hex(line)
}

/// Where the complete lines of `bytes` end: a last line without its line feed was
/// torn by a crash, and the next append cuts it off.
pub fn complete_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1)
}

/// The hash of the last complete line, if there is one.
pub fn last_hash(bytes: &[u8]) -> Option<String> {
    let complete = &bytes[..complete_len(bytes)];
    let body = complete.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
    Some(line_hash(&body[start..]))
}

/// Where the chain in `bytes` ends, and the hash of its last line. A last line
/// without its line feed is torn (a crash during an append) and left out, unless it is
/// a whole line chained to the one before it: then only its line feed is missing, and
/// it stays part of the chain (so that dropping one byte cannot make an appender
/// discard a whole event).
pub fn chain_end(bytes: &[u8]) -> (usize, Option<String>) {
    let complete = complete_len(bytes);
    let tail = &bytes[complete..];
    let before = last_hash(bytes);
    if !tail.is_empty()
        && let Ok(map) = parse_line(tail)
        && map.get("prev").and_then(Value::as_str) == before.as_deref()
    {
        return (bytes.len(), Some(line_hash(tail)));
    }
    (complete, before)
}

/// A history that was read and checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Each complete line's object, in order.
    pub events: Vec<Map<String, Value>>,
    /// Whether a torn last line (a crash in the middle of an append) was left out.
    pub torn_tail: bool,
}

/// Where a chain breaks: the 1-based line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first bad line, counted from 1.
    pub line: usize,
    /// What is wrong with it.
    pub why: String,
}

/// Checks every complete line of `bytes` and the chain through them. A torn last
/// line is not part of the chain (`torn_tail`); anything else wrong is `Broken`.
pub fn check(bytes: &[u8]) -> Result<Checked, Broken> {
    let (end, _) = chain_end(bytes);
    // The lines of the chain (the last may lack its line feed); none in an empty file.
    let chain = &bytes[..end];
    let body = chain.strip_suffix(b"\n").unwrap_or(chain);
    let mut events = Vec::new();
    let mut prev: Option<String> = None;
    let lines = (!chain.is_empty()).then(|| body.split(|&b| b == b'\n'));
    for (index, raw) in lines.into_iter().flatten().enumerate() {
        let number = index + 1;
        let broken = |why: String| Broken { line: number, why };
        let map = parse_line(raw).map_err(broken)?;
        let recorded = match map.get("prev") {
            Some(Value::Null) => None,
            Some(Value::String(hash)) if is_digest(hash) => Some(hash.as_str()),
            _ => return Err(broken("\"prev\" is neither null nor a SHA-256".into())),
        };
        if recorded != prev.as_deref() {
            return Err(broken(match (&prev, recorded) {
                (None, Some(_)) => "the first line names a line before it (lines were removed)".into(),
                (Some(_), None) => "\"prev\" is null but a line comes before it (lines were inserted)".into(),
                _ => "\"prev\" is not the hash of the line before (a line was changed, removed or moved)"
                    .into(),
            }));
        }
        prev = Some(line_hash(raw));
        events.push(map);
    }
    Ok(Checked {
        events,
        torn_tail: end != bytes.len(),
    })
}

/// Every complete line that is a JSON object, as it is (for showing a broken history).
pub fn lines_as_is(bytes: &[u8]) -> Vec<Map<String, Value>> {
    bytes[..complete_len(bytes)]
        .split(|&b| b == b'\n')
        .filter_map(|raw| match crate::receipt::parse_strict(raw) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        })
        .collect()
}

/// One line's object, with the fields every line has.
fn parse_line(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let value = crate::receipt::parse_strict(raw).map_err(|e| format!("not a JSON line ({e})"))?;
    let Value::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let kind = text("event");
    if !matches!(kind, Some("accepted" | "withdrawn")) {
        return Err("\"event\" is neither \"accepted\" nor \"withdrawn\"".into());
    }
    if !text("at").is_some_and(is_timestamp) {
        return Err("\"at\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ".into());
    }
    match map.get("license_sha256") {
        Some(Value::String(d)) if is_digest(d) => {}
        Some(Value::Null) if kind == Some("withdrawn") => {}
        _ => return Err("\"license_sha256\" is not a SHA-256".into()),
    }
    if kind == Some("accepted") && !text("receipt_digest").is_some_and(is_digest) {
        return Err("an accepted event without a \"receipt_digest\"".into());
    }
    if text("method").is_none() || text("user").is_none() {
        return Err("no \"method\" or \"user\"".into());
    }
    if map
        .get("uid")
        .and_then(Value::as_u64)
        .is_none_or(|uid| uid > u64::from(u32::MAX))
    {
        return Err("\"uid\" is not a user id".into());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: Kind) -> Event<'static> {
        Event {
            kind,
            at: "2026-12-01T10:00:00Z".into(),
            license_sha256: None,
            receipt_digest: None,
            method: "revoke",
            uid: 0,
            user: "root",
        }
    }

    fn chain(n: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for _ in 0..n {
            let prev = last_hash(&bytes);
            bytes.extend(line(&event(Kind::Withdrawn), prev.as_deref()).as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn a_chain_checks_and_a_torn_tail_is_left_out() {
        let bytes = chain(3);
        let checked = check(&bytes).unwrap();
        assert_eq!((checked.events.len(), checked.torn_tail), (3, false));
        let mut torn = bytes.clone();
        torn.extend(b"{\"event\":\"acc");
        let checked = check(&torn).unwrap();
        assert_eq!((checked.events.len(), checked.torn_tail), (3, true));
        assert_eq!(last_hash(&torn), last_hash(&bytes));
        assert_eq!(complete_len(&torn), bytes.len());
        assert_eq!(chain_end(&torn), (bytes.len(), last_hash(&bytes)));
    }

    #[test]
    fn a_whole_last_line_without_its_line_feed_stays_in_the_chain() {
        let bytes = chain(3);
        let cut = &bytes[..bytes.len() - 1];
        let checked = check(cut).unwrap();
        assert_eq!((checked.events.len(), checked.torn_tail), (3, false));
        assert_eq!(chain_end(cut), (cut.len(), last_hash(&bytes)));
    }

    #[test]
    fn a_changed_removed_or_moved_line_breaks_the_chain_there() {
        let bytes = chain(3);
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        let join = |ls: &[&[u8]]| {
            ls.iter()
                .flat_map(|l| l.iter().copied().chain([b'\n']))
                .collect::<Vec<u8>>()
        };
        assert_eq!(check(&join(&[lines[0], lines[2]])).unwrap_err().line, 2);
        assert_eq!(check(&join(&[lines[1], lines[2]])).unwrap_err().line, 1);
        let edited = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("\"root\"", "\"toor\"", 1);
        assert_eq!(check(edited.as_bytes()).unwrap_err().line, 2);
        assert_eq!(check(b"{}\n").unwrap_err().line, 1);
    }
}
