//! Where receipts live, and reading, writing and removing them safely: every
//! directory reached through `trusted_path`, bounded reads that never follow a
//! link, and atomic writes whose temporary files are locked by their writer.

use crate::error::{Error, Result};
use crate::history;
use crate::license::shown_path;
use crate::product::{Digest, Product};
use crate::trusted_path::{self, Missing, PathError, Rule};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// The receipt directory used by root when none is given.
pub const SYSTEM_DIR: &str = "/var/lib/eula-gate";
/// Environment variable naming the receipt directory.
pub const DIR_ENV: &str = "EULA_GATE_RECEIPT_DIR";
/// Receipts larger than this are not read: no receipt is anywhere near it.
pub const MAX_RECEIPT_BYTES: u64 = 64 * 1024;

/// Where receipts are read from and written to.
#[derive(Debug, Clone)]
pub struct Locations {
    /// The directory this run writes to and reads first.
    pub primary: ReceiptStore,
    /// The system directory, read when `primary` has no valid receipt (non-root,
    /// no directory given).
    pub system_fallback: Option<ReceiptStore>,
}

impl Locations {
    /// Resolves the receipt directory: `--receipt-dir`, else `EULA_GATE_RECEIPT_DIR`,
    /// else `/var/lib/eula-gate` for root, else the user's data directory.
    pub fn resolve(explicit: Option<&Path>) -> Result<Locations> {
        if let Some(dir) = explicit {
            if dir.as_os_str().is_empty() {
                return Err(Error::Usage("--receipt-dir is empty; give a directory".into()));
            }
            return Ok(Locations::only(dir.to_path_buf()));
        }
        if let Some(dir) = std::env::var_os(DIR_ENV) {
            if dir.is_empty() {
                return Err(Error::Usage(format!(
                    "{DIR_ENV} is set but empty; set it to a directory or unset it"
                )));
            }
            return Ok(Locations::only(PathBuf::from(dir)));
        }
        if is_root() {
            return Ok(Locations::only(PathBuf::from(SYSTEM_DIR)));
        }
        let dirs = directories::ProjectDirs::from("", "", "eula-gate").ok_or_else(|| {
            Error::Runtime(format!(
                "cannot find your home directory (HOME is unset or not absolute) to keep the \
                 receipt in; set HOME, or pass --receipt-dir DIR or set {DIR_ENV}"
            ))
        })?;
        if !dirs.data_dir().is_absolute() {
            return Err(Error::Runtime(format!(
                "the data directory {} is not an absolute path (HOME is relative?); set HOME to an \
                 absolute path, or pass --receipt-dir DIR or set {DIR_ENV}",
                shown_path(dirs.data_dir())
            )));
        }
        Ok(Locations {
            primary: ReceiptStore::new(dirs.data_dir().to_path_buf()),
            system_fallback: Some(ReceiptStore::system()),
        })
    }

    /// The kept text whose digest is `sha256`, from the first store that keeps it (the
    /// primary, then the system one); an error only where no store had it.
    pub fn kept_text(&self, sha256: &Digest) -> Result<Option<String>> {
        let mut first_error = None;
        for store in std::iter::once(&self.primary).chain(self.system_fallback.as_ref()) {
            match store.kept_text(sha256) {
                Ok(Some(text)) => return Ok(Some(text)),
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(None), Err)
    }

    fn only(dir: PathBuf) -> Locations {
        Locations {
            primary: ReceiptStore::new(dir),
            system_fallback: None,
        }
    }
}

/// Whether the process runs with root's effective user id.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// What reading a receipt found.
#[derive(Debug)]
pub enum Stored {
    /// No receipt file (or no receipt directory).
    Missing,
    /// The receipt's bytes (at most `MAX_RECEIPT_BYTES`).
    Found(Vec<u8>),
    /// A receipt path exists but cannot be read as a receipt; says why.
    Unreadable(String),
}

/// One receipt directory, and the rule by which it is reached.
#[derive(Debug, Clone)]
pub struct ReceiptStore {
    dir: PathBuf,
    rule: Rule,
}

impl ReceiptStore {
    /// A store in `dir`, reached under root's rule when this process is root and as
    /// the caller's own directory otherwise (nothing is touched until it is used).
    pub fn new(dir: PathBuf) -> ReceiptStore {
        let rule = if is_root() { Rule::ROOT } else { Rule::Caller };
        ReceiptStore { dir, rule }
    }

    /// The system directory as seen by anyone: always under root's rule.
    pub fn system() -> ReceiptStore {
        ReceiptStore {
            dir: PathBuf::from(SYSTEM_DIR),
            rule: Rule::ROOT,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The receipt path for `product` (a validated product name).
    pub fn path(&self, product: &Product) -> PathBuf {
        self.dir.join(receipt_name(product))
    }

    /// Opens the directory under this store's rule; `Ok(None)` when it does not exist
    /// and `missing` is `Report`.
    fn open_dir(&self, missing: Missing) -> Result<Option<OwnedFd>> {
        match trusted_path::open_dir(&self.dir, self.rule, missing) {
            Ok(fd) => Ok(Some(fd)),
            Err(PathError::NotFound { .. }) if missing == Missing::Report => Ok(None),
            Err(e) => Err(refusal(&self.dir, &e)),
        }
    }

    /// Reads the receipt for `product`, at most `MAX_RECEIPT_BYTES`, never through a
    /// symlink, without blocking on a FIFO or reading a device. `Err` only when the
    /// directory cannot be trusted or opened.
    pub fn read(&self, product: &Product) -> Result<Stored> {
        let Some(dir) = self.open_dir(Missing::Report)? else {
            return Ok(Stored::Missing);
        };
        Ok(self.read_entry(
            &dir,
            &receipt_name(product),
            &self.path(product),
            MAX_RECEIPT_BYTES,
        ))
    }

    /// Reads the entry `name` of the opened directory `dir` (shown as `at`), at most
    /// `max` bytes: judged on an `O_PATH` descriptor before anything is opened, so a
    /// link is refused (never followed) and a FIFO or device is never opened.
    fn read_entry(&self, dir: &OwnedFd, name: &str, at: &Path, max: u64) -> Stored {
        let entry = match trusted_path::open_path(dir, std::ffi::OsStr::new(name), at) {
            Ok(entry) => entry,
            Err(PathError::NotFound { .. }) => return Stored::Missing,
            Err(e) => return Stored::Unreadable(e.to_string()),
        };
        let seen = match trusted_path::stat_of(&entry, at) {
            Ok(seen) => seen,
            Err(e) => return Stored::Unreadable(e.to_string()),
        };
        match FileType::from_raw_mode(seen.st_mode) {
            FileType::RegularFile => {}
            FileType::Symlink => {
                return Stored::Unreadable(
                    "it is a symbolic link, and receipts are never read through one".into(),
                );
            }
            _ => return Stored::Unreadable("it is not a regular file".into()),
        }
        // In a directory only root may write, a file someone else owns was put there
        // before the directory became root's, and that user can still rewrite it.
        if self.rule != Rule::Caller && seen.st_uid != 0 {
            return Stored::Unreadable(format!(
                "it is owned by uid {}, not root, so that user could have written it",
                seen.st_uid
            ));
        }
        if self.rule != Rule::Caller && seen.st_mode & 0o022 != 0 {
            return Stored::Unreadable(format!(
                "its mode {:04o} lets group or others rewrite it, so anyone could have written it",
                seen.st_mode & 0o7777
            ));
        }
        let file = match trusted_path::open_checked_file(dir, std::ffi::OsStr::new(name), &seen, at) {
            Ok(fd) => File::from(fd),
            Err(e) => return Stored::Unreadable(e.to_string()),
        };
        match file.metadata() {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Stored::Unreadable("it is not a regular file".into()),
            Err(e) => return Stored::Unreadable(format!("cannot inspect it: {e}")),
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(max + 1).read_to_end(&mut bytes) {
            return Stored::Unreadable(format!("cannot read it: {e}"));
        }
        if bytes.len() as u64 > max {
            return Stored::Unreadable(format!("it is larger than {} KiB", max / 1024));
        }
        Stored::Found(bytes)
    }

    /// Writes the receipt for `product` so that it appears whole or not at all: a new
    /// temporary file in the same directory, locked, flushed, renamed over the old
    /// receipt, then the directory synced. Never follows a symlink when writing.
    pub fn write_atomically(&self, product: &Product, bytes: &[u8]) -> Result<PathBuf> {
        let dir = self.open_dir_creating()?;
        replace_atomically(&dir, &receipt_name(product), bytes).map_err(|e| {
            Error::io(
                "write receipt in",
                &self.dir,
                &e,
                "check free space, file size limits (ulimit -f) and permissions there, or pass \
                 another --receipt-dir",
            )
        })?;
        Ok(self.path(product))
    }

    fn open_dir_creating(&self) -> Result<OwnedFd> {
        Ok(self
            .open_dir(Missing::Create)?
            .expect("Missing::Create never reports a missing directory"))
    }

    /// The directory of kept texts, `texts/` in this one.
    pub fn texts_dir(&self) -> PathBuf {
        self.dir.join(TEXTS_DIR)
    }

    /// Keeps the normalized text of `license` as `texts/<sha256>.txt`, once: a text
    /// already kept under its digest is left as it is, unless it is not that text.
    pub fn keep_text(&self, license: &crate::license::License) -> Result<()> {
        let texts = self.texts_dir();
        let fail = |e: std::io::Error| {
            Error::io(
                "keep the license text in",
                &texts,
                &e,
                "check free space and permissions there, or pass another --receipt-dir",
            )
        };
        self.open_dir_creating()?;
        let dir = match trusted_path::open_dir(&texts, self.rule, Missing::Create) {
            Ok(fd) => fd,
            Err(e) => return Err(refusal(&texts, &e)),
        };
        let name = text_name(&license.sha256);
        remove_abandoned_temps(&dir, &name);
        // Kept already, and still that text (and trusted as a receipt would be): done.
        // Anything else under the name (a changed copy, a link, another user's file)
        // is replaced.
        if let Stored::Found(bytes) =
            self.read_entry(&dir, &name, &texts.join(&name), crate::license::MAX_LICENSE_BYTES)
            && Digest::of(&bytes) == license.sha256
        {
            return Ok(());
        }
        replace_atomically(&dir, &name, license.text.as_bytes()).map_err(fail)
    }

    /// The kept text whose digest is `sha256`, checked against it; `None` when none is
    /// kept here (or what is kept is not that text).
    pub fn kept_text(&self, sha256: &Digest) -> Result<Option<String>> {
        let texts = self.texts_dir();
        let dir = match trusted_path::open_dir(&texts, self.rule, Missing::Report) {
            Ok(fd) => fd,
            Err(PathError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(refusal(&texts, &e)),
        };
        let name = text_name(sha256);
        match self.read_entry(&dir, &name, &texts.join(&name), crate::license::MAX_LICENSE_BYTES) {
            Stored::Found(bytes) if Digest::of(&bytes) == *sha256 => Ok(String::from_utf8(bytes).ok()),
            _ => Ok(None),
        }
    }

    /// The history file of `product`.
    pub fn history_path(&self, product: &Product) -> PathBuf {
        self.dir.join(history_name(product))
    }

    /// Appends `event` to the history of `product` (see [`HistoryLock::append`]).
    pub fn append_history(&self, product: &Product, event: &history::Event<'_>) -> Result<()> {
        self.lock_history(product)?.append(event)
    }

    /// Opens the history of `product` (made if missing) and takes its exclusive lock,
    /// held until the returned value is dropped: the gate holds it while it writes the
    /// receipt and appends, `revoke` while it removes and appends, so the history's
    /// order is the order in which receipts changed. Judged on an `O_PATH` descriptor
    /// before it is opened: a link, FIFO or device is never opened.
    pub fn lock_history(&self, product: &Product) -> Result<HistoryLock> {
        let path = self.history_path(product);
        let fail = |e: std::io::Error| Error::io("open the history", &path, &e, HISTORY_NEXT);
        let dir = self.open_dir_creating()?;
        let name = history_name(product);
        match rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile => {
                return Err(fail(std::io::Error::other("it is not a regular file")));
            }
            Ok(_) | Err(Errno::NOENT) => {}
            Err(e) => return Err(fail(e.into())),
        }
        let flags = OFlags::RDWR
            | OFlags::CREATE
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::NOCTTY
            | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&dir, name.as_str(), flags, Mode::from_raw_mode(0o644))
            .map_err(|e| fail(e.into()))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| fail(e.into()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(fail(std::io::Error::other("it is not a regular file")));
        }
        let euid = rustix::process::geteuid().as_raw();
        if self.rule != Rule::Caller && st.st_uid != 0 {
            return Err(fail(std::io::Error::other(format!(
                "it is owned by uid {}, not root, so that user could have rewritten it",
                st.st_uid
            ))));
        }
        // Anyone could have rewritten a history others may write: never build on it.
        if self.rule != Rule::Caller && st.st_mode & 0o022 != 0 {
            return Err(fail(std::io::Error::other(format!(
                "its mode {:04o} lets group or others rewrite it; move it aside to start a new one",
                st.st_mode & 0o7777
            ))));
        }
        // Made under the caller's umask: world-readable, as receipts are.
        if st.st_uid == euid {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o644)).map_err(|e| fail(e.into()))?;
        }
        rustix::fs::flock(&fd, FlockOperation::LockExclusive).map_err(|e| fail(e.into()))?;
        Ok(HistoryLock {
            file: File::from(fd),
            dir,
            path,
        })
    }

    /// Reads the history of `product` (at most `MAX_HISTORY_BYTES`), the same way a
    /// receipt is read. `Err` only when the directory cannot be trusted or opened.
    pub fn read_history(&self, product: &Product) -> Result<Stored> {
        let Some(dir) = self.open_dir(Missing::Report)? else {
            return Ok(Stored::Missing);
        };
        Ok(self.read_entry(
            &dir,
            &history_name(product),
            &self.history_path(product),
            history::MAX_HISTORY_BYTES,
        ))
    }

    /// The products that have a receipt here (`<product>.json` with a valid product
    /// name), sorted; empty when the directory does not exist.
    pub fn products(&self) -> Result<Vec<Product>> {
        let Some(dir) = self.open_dir(Missing::Report)? else {
            return Ok(Vec::new());
        };
        let entries = rustix::fs::Dir::read_from(&dir).map_err(|e| {
            Error::io(
                "list the receipts in",
                &self.dir,
                &e.into(),
                "check the permissions of the directory",
            )
        })?;
        let mut products: Vec<Product> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_str().ok()?;
                Product::new(name.strip_suffix(".json")?).ok()
            })
            .collect();
        products.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(products)
    }

    /// Removes the receipt for `product`. Returns whether there was one.
    pub fn remove(&self, product: &Product) -> Result<bool> {
        let Some(dir) = self.open_dir(Missing::Report)? else {
            return Ok(false);
        };
        match rustix::fs::unlinkat(&dir, receipt_name(product).as_str(), AtFlags::empty()) {
            Ok(()) => {
                let _ = rustix::fs::fsync(&dir);
                Ok(true)
            }
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(Error::io(
                "remove receipt",
                &self.path(product),
                &e.into(),
                "check the permissions of its directory (system receipts need root)",
            )),
        }
    }
}

/// `<product>.json`.
fn receipt_name(product: &Product) -> String {
    format!("{product}.json")
}

/// A product's history, open and exclusively locked until dropped.
#[derive(Debug)]
pub struct HistoryLock {
    file: File,
    dir: OwnedFd,
    path: PathBuf,
}

/// What to do when the history cannot be written.
const HISTORY_NEXT: &str = "check free space and permissions there; the history was not appended to";

impl HistoryLock {
    /// Appends `event`, chained to the last line. A last line torn by a crash is cut
    /// off first (a whole line that only lacks its line feed is kept), so it never
    /// breaks the chain; one `pwrite`, then `fsync`.
    pub fn append(&mut self, event: &history::Event<'_>) -> Result<()> {
        let fail = |e: std::io::Error| Error::io("append to the history", &self.path, &e, HISTORY_NEXT);
        let mut bytes = Vec::new();
        rustix::fs::seek(&self.file, rustix::fs::SeekFrom::Start(0)).map_err(|e| fail(e.into()))?;
        (&self.file)
            .take(history::MAX_HISTORY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(fail)?;
        if bytes.len() as u64 > history::MAX_HISTORY_BYTES {
            return Err(fail(std::io::Error::other(format!(
                "it is larger than {} MiB; move it aside to start a new one",
                history::MAX_HISTORY_BYTES >> 20
            ))));
        }
        let (end, prev) = history::chain_end(&bytes);
        if end != bytes.len() {
            self.file.set_len(end as u64).map_err(fail)?;
        }
        let mut line = String::new();
        if end > 0 && bytes[end - 1] != b'\n' {
            line.push('\n');
        }
        line.push_str(&history::line(event, prev.as_deref()));
        line.push('\n');
        rustix::io::pwrite(&self.file, line.as_bytes(), end as u64)
            .map_err(std::io::Error::from)
            .and_then(|n| {
                if n == line.len() {
                    Ok(())
                } else {
                    Err(std::io::Error::other("a short write"))
                }
            })
            .and_then(|()| self.file.sync_all())
            .map_err(fail)?;
        let _ = rustix::fs::fsync(&self.dir);
        Ok(())
    }
}

/// `<product>.history.jsonl`.
fn history_name(product: &Product) -> String {
    format!("{product}.history.jsonl")
}

/// The directory of kept texts inside a receipt directory.
const TEXTS_DIR: &str = "texts";

/// `<sha256>.txt`.
fn text_name(sha256: &Digest) -> String {
    format!("{sha256}.txt")
}

/// The message for a directory that cannot be reached safely: the component at
/// fault, why it matters, and a fix that is safe to run.
fn refusal(dir: &Path, e: &PathError) -> Error {
    let at = shown_path(e.at());
    let dir_shown = shown_path(dir);
    let (why, fix) = match e {
        // In a shared sticky directory its owner can swap the name for a link at any
        // time, so `chown` there could change a file of that user's choosing.
        PathError::Owner { uid, .. } if in_shared_directory(e.at()) => (
            format!(
                "{at} is owned by uid {uid}, not root, and lies in a shared directory, so that user \
                 could redirect, forge or remove receipts"
            ),
            format!(
                "keep receipts in a directory of their own that only root can write, such as \
                 {SYSTEM_DIR}; do not change the owner of {at}, which its owner can replace at any time"
            ),
        ),
        PathError::Owner { uid, .. } => (
            format!(
                "{at} is owned by uid {uid}, not root, so that user could redirect, forge or remove receipts"
            ),
            format!(
                "if it should be root's, run `chown root {at}`; otherwise pass a --receipt-dir whose \
                 directories root owns all the way up, such as {SYSTEM_DIR}"
            ),
        ),
        PathError::Writable { mode, .. } if mode & 0o1000 != 0 => (
            format!(
                "{at} (mode {mode:04o}) is a shared directory that anyone may create files in, so \
                 another user could plant or swap a receipt there"
            ),
            format!(
                "keep receipts in a directory of their own that only root can write, such as \
                 {SYSTEM_DIR}, and leave the mode of the shared directory as it is"
            ),
        ),
        PathError::Writable { mode, .. } => (
            format!(
                "{at} (mode {mode:04o}) can be written by group or others, who could swap what lies \
                 below it"
            ),
            format!(
                "if nobody else should write there, run `chmod go-w {at}`; otherwise pass a \
                 --receipt-dir that only root can write, such as {SYSTEM_DIR}"
            ),
        ),
        PathError::Symlink { uid, .. } => (
            format!(
                "{at} is a symbolic link owned by uid {uid}; as root only links that root owns, in \
                 directories only root can write, are followed"
            ),
            "pass the real path of the directory instead".to_owned(),
        ),
        PathError::NotDirectory { .. } => (
            format!("{at} is not a directory"),
            "pass a directory as --receipt-dir".to_owned(),
        ),
        PathError::NotRegularFile { .. } => (
            format!("{at} is not a directory"),
            "pass a directory as --receipt-dir".to_owned(),
        ),
        PathError::UnsafeTransition { from, to, .. } => (
            format!("{at} leads from what uid {from} owns to what uid {to} owns"),
            "pass the real path of the directory instead".to_owned(),
        ),
        PathError::TooManyLinks { .. } => (
            format!(
                "more than {} symbolic links lead to {at}",
                trusted_path::MAX_LINKS
            ),
            "pass the real path of the directory instead".to_owned(),
        ),
        PathError::NotFound { .. } => (
            format!("{at} does not exist"),
            "create it, or pass another --receipt-dir".to_owned(),
        ),
        PathError::Io { action, error, .. } => {
            return Error::Runtime(format!(
                "cannot {action} {at} (on the way to the receipt directory {dir_shown}): {error}; \
                 check that it exists and its permissions, or pass another --receipt-dir"
            ));
        }
    };
    Error::Runtime(format!(
        "refusing to use the receipt directory {dir_shown}: {why}; {fix}"
    ))
}

/// Whether the directory holding `at` is writable by others and sticky (such as
/// `/tmp`); only for choosing the words of a refusal, never for a decision.
fn in_shared_directory(at: &Path) -> bool {
    at.parent()
        .and_then(|parent| rustix::fs::stat(parent).ok())
        .is_some_and(|st| st.st_mode & 0o1002 == 0o1002)
}

/// Removes temporary files for `product` that no live writer holds: a writer holds
/// an exclusive lock on its file until it is renamed, so a lock that can be taken
/// means the writer is gone, whatever PID namespace it ran in.
fn remove_abandoned_temps(dir: &OwnedFd, final_name: &str) {
    let Ok(entries) = rustix::fs::Dir::read_from(dir) else {
        return;
    };
    let euid = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if temp_writer_pid(name, final_name).is_none() {
            continue;
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(dir, name, flags, Mode::empty()) else {
            continue;
        };
        if !rustix::fs::fstat(&fd)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile && st.st_uid == euid)
        {
            continue;
        }
        if rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        // Ours, locked and still under that name: nobody can be writing it.
        if trusted_path::is_same_file(dir, name, &fd) {
            let _ = rustix::fs::unlinkat(dir, name, AtFlags::empty());
        }
    }
}

/// How many temporary names a writer tries before it gives up.
const TEMP_ATTEMPTS: u32 = 64;

/// The temporary name a writer `pid` tries `n`-th for `final_name`:
/// `.<final_name>.<pid>.<n>.tmp` (for a receipt, `.<product>.json.<pid>.<n>.tmp`).
fn temp_name(final_name: &str, pid: u32, n: u32) -> String {
    format!(".{final_name}.{pid}.{n}.tmp")
}

/// The writer's pid in a name that `temp_name` made for `final_name`, else `None`.
fn temp_writer_pid(name: &str, final_name: &str) -> Option<i32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(final_name)?
        .strip_prefix('.')?;
    let (pid, n) = rest.strip_suffix(".tmp")?.split_once('.')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Writes `final_name` in `dir` so that it appears whole or not at all: a new locked
/// temporary file, flushed, given 0644, renamed over the old file, the directory
/// synced. Abandoned temporary files for the same name are removed first.
fn replace_atomically(dir: &OwnedFd, final_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    remove_abandoned_temps(dir, final_name);
    let (temp, temp_name) = create_temp_file(dir, final_name)?;
    // 0644 (receipts are world-readable by contract) only now, under the writer's
    // lock: until here nobody else could open the file, let alone lock it.
    let written = write_and_sync(&temp, bytes)
        .and_then(|()| rustix::fs::fchmod(&temp, Mode::from_raw_mode(0o644)).map_err(Into::into))
        .and_then(|()| rustix::fs::renameat(dir, temp_name.as_str(), dir, final_name).map_err(Into::into))
        .and_then(|()| rustix::fs::fsync(dir).map_err(Into::into));
    if written.is_err() {
        let _ = rustix::fs::unlinkat(dir, temp_name.as_str(), AtFlags::empty());
    }
    // The lock goes with the descriptor, after the rename.
    drop(temp);
    written
}

/// Creates `.<final_name>.<pid>.<n>.tmp` exclusively (never through a symlink), mode
/// 0600 so that no other user can open it, and locks it; takes the next `n` while a
/// name is taken or the file was taken from under us by a cleaner.
fn create_temp_file(dir: &OwnedFd, final_name: &str) -> std::io::Result<(File, String)> {
    let pid = std::process::id();
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for n in 0..TEMP_ATTEMPTS {
        let name = temp_name(final_name, pid, n);
        let fd = match rustix::fs::openat(dir, name.as_str(), flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        };
        // Between the create and the lock another writer's cleanup may have taken the
        // file (it then removes it): only a file that is locked and still under its
        // name is ours.
        if rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive).is_err()
            || !trusted_path::is_same_file(dir, &name, &fd)
        {
            continue;
        }
        return Ok((File::from(fd), name));
    }
    Err(std::io::Error::other(format!(
        "no free temporary name after {TEMP_ATTEMPTS} tries (.{final_name}.{pid}.N.tmp all taken)"
    )))
}

fn write_and_sync(mut file: &File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temp_names_are_recognized_only_for_their_product() {
        assert_eq!(temp_writer_pid(&temp_name("p.json", 42, 3), "p.json"), Some(42));
        for name in [
            "p.json",
            ".p.json.42.tmp",
            ".p.json.x.0.tmp",
            ".pp.json.42.0.tmp",
            ".p.json.42.0",
        ] {
            assert_eq!(temp_writer_pid(name, "p.json"), None, "{name}");
        }
        assert_eq!(temp_writer_pid(&temp_name("p.x.json", 7, 0), "p.json"), None);
    }
}
