//! The acceptance receipt: its fields, its canonical digest, and validation of a
//! receipt read back from disk.

use crate::license::{License, sha256_hex};
use crate::product::{Context, Digest, Product, is_context, is_digest};
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use std::fmt;

/// The receipt schema this version writes; [`check`] reads schema 1 and 2.
pub const SCHEMA: u64 = 2;

/// The application ID under which the host's machine ID is hashed
/// (`systemd-id128 machine-id --app-specific=...`), so that no raw machine ID is
/// ever written.
pub const MACHINE_ID_APP: &str = "3d9e9aea15dc49089eb112f6de78f066";

/// How consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Typed at a terminal after the text was shown.
    Interactive,
    /// `--accept-eula` on the command line.
    Flag,
    /// `EULA_GATE_ACCEPT` named the product.
    Env,
    /// An organisation policy pinned to this text.
    Policy,
}

impl Method {
    /// The name written in the receipt.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Interactive => "interactive",
            Method::Flag => "flag",
            Method::Env => "env",
            Method::Policy => "policy",
        }
    }
}

/// Who accepted: read from the operating system, never from `$USER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedBy {
    /// The account name for `uid`, or the uid in decimal where the system has no name for it.
    pub user: String,
    /// The real user id of the process.
    pub uid: u32,
    /// The person behind `sudo`: the account that `SUDO_UID` names, with its name from
    /// the account database (never from `SUDO_USER`); `None` when not under sudo.
    pub sudo: Option<(String, u32)>,
}

impl AcceptedBy {
    /// The real user of this process, and the account behind sudo where there is one.
    pub fn current() -> AcceptedBy {
        // SAFETY: getuid cannot fail and has no preconditions.
        let uid = unsafe { libc::getuid() };
        AcceptedBy {
            user: user_name(uid).unwrap_or_else(|| uid.to_string()),
            uid,
            sudo: sudo_account(uid),
        }
    }
}

/// The account that `SUDO_UID` names, when it is a real account other than `uid`.
fn sudo_account(uid: u32) -> Option<(String, u32)> {
    let value = std::env::var("SUDO_UID").ok()?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sudo_uid: u32 = value.parse().ok()?;
    if sudo_uid == uid {
        return None;
    }
    Some((user_name(sudo_uid)?, sudo_uid))
}

/// The account name of `uid` from the account database, if it has one.
pub fn user_name(uid: u32) -> Option<String> {
    // An account with many groups or a long GECOS field needs more than 4 KiB: the
    // buffer doubles on ERANGE, up to 1 MiB.
    let mut len = 4096;
    loop {
        let mut buf = vec![0u8; len];
        // SAFETY: passwd is plain data; getpwuid_r writes into `pwd` and `buf` (whose
        // length we pass) and sets `result` to null or to `pwd`.
        unsafe {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut result: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut result);
            if rc == libc::ERANGE && len < 1 << 20 {
                len *= 2;
                continue;
            }
            if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
                return None;
            }
            let name = std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned();
            return (!name.is_empty()).then_some(name);
        }
    }
}

/// The host a decision was made on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The host name (`uname -n`).
    pub hostname: String,
    /// The application-specific ID derived from `/etc/machine-id`, when readable.
    pub machine_id: Option<String>,
}

impl Host {
    /// This host.
    pub fn current() -> Host {
        let hostname = rustix::system::uname().nodename().to_string_lossy().into_owned();
        let machine_id = read_machine_id().and_then(|id| app_specific_machine_id(id.trim(), MACHINE_ID_APP));
        Host { hostname, machine_id }
    }
}

/// `/etc/machine-id`, when it is a regular file: at most 64 bytes, never blocking on
/// a FIFO or reading a device.
fn read_machine_id() -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open("/etc/machine-id")
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut id = String::new();
    file.take(64).read_to_string(&mut id).ok()?;
    Some(id)
}

/// What `systemd-id128 machine-id --app-specific=APP` prints for the machine ID
/// `machine_id` (32 hex digits): HMAC-SHA256 keyed by the machine ID over the
/// application ID, its first 128 bits made a version 4 UUID, in lower-case hex.
/// `None` when either is not 32 hex digits.
pub fn app_specific_machine_id(machine_id: &str, app: &str) -> Option<String> {
    use sha2::{Digest as _, Sha256};
    let key = hex16(machine_id)?;
    let message = hex16(app)?;
    let mut block = [0u8; 64];
    block[..16].copy_from_slice(&key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let mac = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&mac[..16]);
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    Some(id.iter().map(|b| format!("{b:02x}")).collect())
}

fn hex16(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// A random version 4 UUID, lower-case, from the operating system's randomness.
pub fn new_receipt_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        match rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => filled += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// Whether `text` is a lower-case version 4 UUID with the RFC 4122 variant.
pub fn is_uuid_v4(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// The organisation policy that gave consent, as the receipt records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    /// The policy file.
    pub file: String,
    /// Who approved the text (from the policy).
    pub approved_by: String,
    /// The organisation's reference for the decision (from the policy).
    pub reference: String,
}

/// What is needed to write a receipt.
#[derive(Debug, Clone)]
pub struct Acceptance<'a> {
    /// The gated product.
    pub product: &'a Product,
    /// The license accepted.
    pub license: &'a License,
    /// How consent was given.
    pub method: Method,
    /// Who gave it.
    pub accepted_by: AcceptedBy,
    /// When, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub accepted_at: String,
    /// For interactive consent: whether the reader paged to the end of the text.
    pub read_to_end: Option<bool>,
    /// This decision's random id (a version 4 UUID).
    pub receipt_id: String,
    /// Where the decision was made.
    pub host: Host,
    /// Which installer ran the gate, where it said so.
    pub context: Option<Context>,
    /// The policy that gave consent, for [`Method::Policy`].
    pub policy: Option<PolicyRef>,
    /// The `digest` of the receipt this one replaces, where it replaced one.
    pub supersedes: Option<String>,
}

impl Acceptance<'_> {
    /// The receipt as JSON, `digest` included.
    pub fn to_receipt(&self) -> Value {
        let mut accepted_by = json!({"user": self.accepted_by.user, "uid": self.accepted_by.uid});
        if let (Some((user, uid)), Some(by)) = (&self.accepted_by.sudo, accepted_by.as_object_mut()) {
            by.insert("sudo_user".into(), Value::from(user.as_str()));
            by.insert("sudo_uid".into(), Value::from(*uid));
        }
        let mut host = json!({"hostname": self.host.hostname});
        if let (Some(id), Some(map)) = (&self.host.machine_id, host.as_object_mut()) {
            map.insert("machine_id".into(), Value::from(id.as_str()));
        }
        let mut receipt = json!({
            "schema": SCHEMA,
            "receipt_id": self.receipt_id,
            "product": self.product.as_str(),
            "license": {
                "id": self.license.id,
                "title": self.license.title,
                "sha256": self.license.sha256.as_str(),
            },
            "accepted_at": self.accepted_at,
            "accepted_by": accepted_by,
            "method": self.method.as_str(),
            "host": host,
            "tool_version": env!("CARGO_PKG_VERSION"),
        });
        let map = receipt
            .as_object_mut()
            .expect("json! object literal is an object");
        if let Some(read) = self.read_to_end {
            map.insert("read_to_end".into(), Value::Bool(read));
        }
        if let Some(context) = &self.context {
            map.insert("context".into(), Value::from(context.as_str()));
        }
        if let Some(policy) = &self.policy {
            map.insert(
                "policy".into(),
                json!({"file": policy.file, "approved_by": policy.approved_by, "reference": policy.reference}),
            );
        }
        if let Some(replaced) = &self.supersedes {
            map.insert("supersedes".into(), Value::from(replaced.as_str()));
        }
        let digest = receipt_digest(map);
        map.insert("digest".into(), Value::String(digest));
        receipt
    }
}

/// The receipt file's bytes: indented JSON and a final newline.
pub fn to_file_bytes(receipt: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(receipt).expect("a JSON value always serializes");
    bytes.push(b'\n');
    bytes
}

/// SHA-256 of the canonical JSON of `fields` without `digest`: keys sorted, no
/// insignificant whitespace, non-ASCII as is (Python's
/// `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`).
pub fn receipt_digest(fields: &Map<String, Value>) -> String {
    sha256_hex(canonical_json(fields).as_bytes())
}

/// The canonical JSON of `fields` without `digest`.
pub fn canonical_json(fields: &Map<String, Value>) -> String {
    // serde_json's Map is ordered by key (no `preserve_order`), and its compact
    // writer escapes exactly what Python's does with ensure_ascii=False.
    let without: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "digest")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::to_string(&without).expect("a JSON map always serializes")
}

/// What a valid receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts {
    /// The receipt schema (1 or 2).
    pub schema: u64,
    /// The license digest the receipt records.
    pub license_sha256: Digest,
    /// The license's title.
    pub title: String,
    /// When the license was accepted.
    pub accepted_at: String,
    /// How it was accepted.
    pub method: String,
    /// Which installer ran the gate, where the receipt says.
    pub context: Option<String>,
    /// The policy's approver, for method `policy`.
    pub approved_by: Option<String>,
    /// The receipt's own `digest`.
    pub digest: String,
}

/// Parses and validates receipt bytes for `product`. `Err` says why the receipt is
/// invalid (exit 7); whether its license is the expected one is left to the caller.
pub fn check(bytes: &[u8], product: &Product) -> Result<ReceiptFacts, String> {
    let value = parse_strict(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    let schema = match map.get("schema") {
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(1 | 2)) => n.as_u64().unwrap_or(SCHEMA),
        Some(other) => {
            return Err(format!(
                "unknown schema {other}; this eula-gate understands schemas 1 and 2"
            ));
        }
        None => return Err("no \"schema\" field".into()),
    };
    let recorded = text_field(&map, "digest")?;
    if !is_digest(recorded) {
        return Err("\"digest\" is not 64 lower-case hex digits".into());
    }
    if receipt_digest(&map) != recorded {
        return Err("its digest does not match its contents (edited or corrupted)".into());
    }
    let found = text_field(&map, "product")?;
    if found != product.as_str() {
        return Err(format!("it is for product \"{found}\", not \"{product}\""));
    }
    let license = object_field(&map, "license")?;
    let license_sha256 = text_field(license, "sha256").map_err(|e| format!("license: {e}"))?;
    if !is_digest(license_sha256) {
        return Err("license.sha256 is not 64 lower-case hex digits".into());
    }
    text_field(license, "id").map_err(|e| format!("license: {e}"))?;
    let title = text_field(license, "title").map_err(|e| format!("license: {e}"))?;
    let accepted_at = text_field(&map, "accepted_at")?;
    if !is_timestamp(accepted_at) {
        return Err(format!(
            "\"accepted_at\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ: \"{accepted_at}\""
        ));
    }
    let by = object_field(&map, "accepted_by")?;
    text_field(by, "user").map_err(|e| format!("accepted_by: {e}"))?;
    if !is_uid(by.get("uid")) {
        return Err("accepted_by.uid is not a user id".into());
    }
    let method = text_field(&map, "method")?;
    let methods: &[&str] = if schema == 1 {
        &["interactive", "flag", "env"]
    } else {
        &["interactive", "flag", "env", "policy"]
    };
    if !methods.contains(&method) {
        return Err(format!("unknown method \"{method}\""));
    }
    text_field(&map, "tool_version")?;
    if map.get("read_to_end").is_some_and(|v| !v.is_boolean()) {
        return Err("\"read_to_end\" is not true or false".into());
    }
    let (context, approved_by) = if schema == 2 {
        check_schema_2(&map, by, method)?
    } else {
        (None, None)
    };
    Ok(ReceiptFacts {
        schema,
        license_sha256: Digest::parse(license_sha256).map_err(|e| e.to_string())?,
        title: title.to_owned(),
        accepted_at: accepted_at.to_owned(),
        method: method.to_owned(),
        context,
        approved_by,
        digest: recorded.to_owned(),
    })
}

fn is_uid(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_u64)
        .is_some_and(|uid| uid <= u64::from(u32::MAX))
}

/// The fields schema 2 adds; returns the context and the policy's approver.
fn check_schema_2(
    map: &Map<String, Value>,
    by: &Map<String, Value>,
    method: &str,
) -> Result<(Option<String>, Option<String>), String> {
    if !is_uuid_v4(text_field(map, "receipt_id")?) {
        return Err("\"receipt_id\" is not a lower-case version 4 UUID".into());
    }
    match (by.get("sudo_user"), by.get("sudo_uid")) {
        (None, None) => {}
        (Some(Value::String(_)), uid @ Some(_)) if is_uid(uid) => {}
        _ => {
            return Err("accepted_by.sudo_user and sudo_uid must come together: a name and a user id".into());
        }
    }
    let host = object_field(map, "host")?;
    text_field(host, "hostname").map_err(|e| format!("host: {e}"))?;
    if let Some(id) = host.get("machine_id")
        && !id
            .as_str()
            .is_some_and(|id| hex16(id).is_some() && id.bytes().all(|b| !b.is_ascii_uppercase()))
    {
        return Err("host.machine_id is not 32 lower-case hex digits".into());
    }
    if map.contains_key("read_to_end") != (method == "interactive") {
        return Err("\"read_to_end\" is recorded for method interactive, and only for it".into());
    }
    let context = match map.get("context") {
        None => None,
        Some(Value::String(c)) if is_context(c) => Some(c.clone()),
        Some(_) => return Err("\"context\" is not a context name ([a-z0-9._-], 1 to 32)".into()),
    };
    let approved_by = match (map.get("policy"), method) {
        (None, "policy") => return Err("method policy without a \"policy\" field".into()),
        (None, _) => None,
        (Some(_), m) if m != "policy" => {
            return Err("a \"policy\" field with a method other than policy".into());
        }
        (Some(_), _) => {
            let policy = object_field(map, "policy")?;
            text_field(policy, "file").map_err(|e| format!("policy: {e}"))?;
            text_field(policy, "reference").map_err(|e| format!("policy: {e}"))?;
            Some(
                text_field(policy, "approved_by")
                    .map_err(|e| format!("policy: {e}"))?
                    .to_owned(),
            )
        }
    };
    if map
        .get("supersedes")
        .is_some_and(|v| !v.as_str().is_some_and(is_digest))
    {
        return Err("\"supersedes\" is not 64 lower-case hex digits".into());
    }
    Ok((context, approved_by))
}

/// Whether `text` is a receipt timestamp, `YYYY-MM-DDTHH:MM:SSZ`, with a month, day,
/// hour, minute and second in their ranges (the day is not checked against the month).
pub fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let in_range = |range, low, high| number(range).is_some_and(|n| (low..=high).contains(&n));
    b.len() == 20
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .all(|&(i, c)| b[i] == c)
        && number(0..4).is_some()
        && in_range(5..7, 1, 12)
        && in_range(8..10, 1, 31)
        && in_range(11..13, 0, 23)
        && in_range(14..16, 0, 59)
        && in_range(17..19, 0, 59)
}

fn text_field<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("\"{key}\" is not a string")),
        None => Err(format!("no \"{key}\" field")),
    }
}

fn object_field<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, String> {
    match map.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(format!("\"{key}\" is not an object")),
        None => Err(format!("no \"{key}\" field")),
    }
}

/// Parses `bytes` as JSON the way receipts are read: duplicate keys and numbers other
/// than 64-bit integers are errors. Policies and history lines are read the same way.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(bytes).map(|Strict(value)| value)
}

/// A JSON value that refuses duplicate keys, which serde_json's `Value` would
/// silently collapse, and numbers other than 64-bit integers, which readers write
/// back differently (so two readers could disagree about one receipt).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json and Python write fractions, exponents, -0 and integers beyond 64
        // bits differently, so a receipt holding one could verify in one and not the
        // other: receipts hold integers only.
        Err(E::custom(format!(
            "the number {v} is not an integer within 64 bits (receipts hold integers only)"
        )))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_timestamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm), for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as a receipt timestamp.
pub fn now_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc_timestamp(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        let license = License::embedded();
        Acceptance {
            product: &Product::embedded(),
            license: &license,
            method: Method::Flag,
            accepted_by: AcceptedBy {
                user: "zoë".into(),
                uid: 1000,
                sudo: None,
            },
            accepted_at: "2026-11-30T02:22:06Z".into(),
            read_to_end: None,
            receipt_id: "0b7e6a3c-5d1f-4b2a-9c8d-7e6f5a4b3c2d".into(),
            host: Host {
                hostname: "pbx-01".into(),
                machine_id: None,
            },
            context: None,
            policy: None,
            supersedes: None,
        }
        .to_receipt()
    }

    #[test]
    fn canonical_json_is_sorted_compact_and_keeps_non_ascii() {
        let receipt = sample();
        let canon = canonical_json(receipt.as_object().unwrap());
        assert!(canon.starts_with(
            r#"{"accepted_at":"2026-11-30T02:22:06Z","accepted_by":{"uid":1000,"user":"zoë"},"host":{"hostname":"pbx-01"},"license":{"id""#
        ));
        assert!(
            canon.ends_with(r#""method":"flag","product":"portsip-pbx","receipt_id":"0b7e6a3c-5d1f-4b2a-9c8d-7e6f5a4b3c2d","schema":2,"tool_version":"0.1.0"}"#)
        );
        assert!(!canon.contains("\"digest\"") && !canon.contains(": "));
    }

    #[test]
    fn canonical_json_escapes_controls_like_python() {
        let mut map = Map::new();
        map.insert("b".into(), Value::String("q\"\\\n\t\u{1}\u{7f}é/".into()));
        map.insert("a".into(), Value::from(1));
        assert_eq!(
            canonical_json(&map),
            "{\"a\":1,\"b\":\"q\\\"\\\\\\n\\t\\u0001\u{7f}é/\"}"
        );
    }

    #[test]
    fn a_written_receipt_checks_and_an_edited_one_does_not() {
        let bytes = to_file_bytes(&sample());
        let facts = check(&bytes, &Product::new("portsip-pbx").unwrap()).unwrap();
        assert_eq!(facts.license_sha256, License::embedded().sha256);
        assert_eq!(facts.method, "flag");
        let edited = String::from_utf8(bytes).unwrap().replace("\"flag\"", "\"env\"");
        assert!(
            check(edited.as_bytes(), &Product::new("portsip-pbx").unwrap())
                .unwrap_err()
                .contains("digest does not match")
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = check(br#"{"schema":1,"schema":1}"#, &Product::new("p").unwrap()).unwrap_err();
        assert!(err.contains("duplicate key"), "{err}");
    }

    #[test]
    fn other_product_and_schema_are_refused() {
        let bytes = to_file_bytes(&sample());
        assert!(
            check(&bytes, &Product::new("other").unwrap())
                .unwrap_err()
                .contains("for product \"portsip-pbx\"")
        );
        let future = String::from_utf8(bytes)
            .unwrap()
            .replace("\"schema\": 2", "\"schema\": 3");
        assert!(
            check(future.as_bytes(), &Product::new("portsip-pbx").unwrap())
                .unwrap_err()
                .contains("unknown schema 3")
        );
    }

    /// A receipt as eula-gate 0.1 wrote it (schema 1) still verifies.
    #[test]
    fn a_schema_1_receipt_still_checks() {
        let mut map = sample().as_object().unwrap().clone();
        for key in ["receipt_id", "host", "digest"] {
            map.remove(key);
        }
        map.insert("schema".into(), Value::from(1));
        let digest = receipt_digest(&map);
        map.insert("digest".into(), Value::from(digest));
        let facts = check(&to_file_bytes(&Value::Object(map.clone())), &Product::embedded()).unwrap();
        assert_eq!(facts.schema, 1);
        // Schema 1 knows no policies: a schema 1 receipt that claims one is invalid.
        map.insert("method".into(), Value::from("policy"));
        map.remove("digest");
        let digest = receipt_digest(&map);
        map.insert("digest".into(), Value::from(digest));
        assert!(check(&to_file_bytes(&Value::Object(map)), &Product::embedded()).is_err());
    }

    #[test]
    fn schema_2_fields_are_checked() {
        let edit = |f: &dyn Fn(&mut Map<String, Value>)| {
            let mut map = sample().as_object().unwrap().clone();
            map.remove("digest");
            f(&mut map);
            let digest = receipt_digest(&map);
            map.insert("digest".into(), Value::from(digest));
            check(&to_file_bytes(&Value::Object(map)), &Product::embedded())
        };
        assert!(edit(&|_| {}).is_ok());
        type Edit<'a> = &'a dyn Fn(&mut Map<String, Value>);
        let bad: [(&str, Edit); 8] = [
            ("receipt_id", &|m| {
                m.insert(
                    "receipt_id".into(),
                    Value::from("0B7E6A3C-5D1F-4B2A-9C8D-7E6F5A4B3C2D"),
                );
            }),
            ("no host", &|m| {
                m.remove("host");
            }),
            ("machine_id", &|m| {
                m.insert("host".into(), json!({"hostname": "h", "machine_id": "xyz"}));
            }),
            ("sudo alone", &|m| {
                m.insert(
                    "accepted_by".into(),
                    json!({"user": "u", "uid": 1, "sudo_user": "b"}),
                );
            }),
            ("context", &|m| {
                m.insert("context".into(), Value::from("Debconf"));
            }),
            ("read_to_end for flag", &|m| {
                m.insert("read_to_end".into(), Value::Bool(true));
            }),
            ("policy for flag", &|m| {
                m.insert(
                    "policy".into(),
                    json!({"file": "f", "approved_by": "a", "reference": "r"}),
                );
            }),
            ("supersedes", &|m| {
                m.insert("supersedes".into(), Value::from("abc"));
            }),
        ];
        for (what, f) in bad {
            assert!(edit(f).is_err(), "{what}");
        }
    }

    /// The derivation matches `systemd-id128 machine-id --app-specific=...`: the value
    /// systemd 252 printed on a machine whose /etc/machine-id held the first ID.
    #[test]
    fn app_specific_machine_ids_are_systemds() {
        assert_eq!(
            app_specific_machine_id("3d1219c7c4c5404aaa1f6d2a48adfda4", MACHINE_ID_APP).as_deref(),
            Some("63321f8399b94f9ea4a4bfb4015056f3")
        );
        assert_eq!(app_specific_machine_id("not hex", MACHINE_ID_APP), None);
    }

    #[test]
    fn receipt_ids_are_random_version_4_uuids() {
        let (a, b) = (new_receipt_id().unwrap(), new_receipt_id().unwrap());
        assert!(is_uuid_v4(&a) && is_uuid_v4(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_uuid_v4("0b7e6a3c-5d1f-3b2a-9c8d-7e6f5a4b3c2d"));
    }

    #[test]
    fn accepted_at_must_be_a_receipt_timestamp() {
        for good in [
            "2026-11-30T02:22:06Z",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert!(is_timestamp(good), "{good}");
        }
        for bad in [
            "",
            "2026-11-30T02:22:06",
            "2026-11-30T02:22:06z",
            "2026-11-30 02:22:06Z",
            "2026-11-30T02:22:06+00:00",
            "2026-00-30T02:22:06Z",
            "2026-13-30T02:22:06Z",
            "2026-11-00T02:22:06Z",
            "2026-11-32T02:22:06Z",
            "2026-11-30T24:22:06Z",
            "2026-11-30T02:60:06Z",
            "2026-11-30T02:22:60Z",
            "+026-11-30T02:22:06Z",
            "2026-1a-30T02:22:06Z",
            "2026-11-30T02:22:06Z\n",
            "２026-11-30T02:22:06Z",
        ] {
            assert!(!is_timestamp(bad), "{bad:?}");
        }
        let receipt = sample();
        let mut edited = receipt.as_object().unwrap().clone();
        edited.insert("accepted_at".into(), "2026-11-30T25:00:00Z".into());
        edited.remove("digest");
        let digest = receipt_digest(&edited);
        edited.insert("digest".into(), digest.into());
        let err = check(&to_file_bytes(&Value::Object(edited)), &Product::embedded()).unwrap_err();
        assert!(err.contains("accepted_at"), "{err}");
    }

    #[test]
    fn timestamps_are_utc_civil_time() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_918_926), "2026-11-29T02:22:06Z");
    }
}
