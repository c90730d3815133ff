//! Where receipts live, and reading, writing and removing them safely: every
//! directory reached through `trusted_path`, bounded reads that never follow a
//! link, and atomic writes whose temporary files are locked by their writer.

use crate::error::{Error, Result};
use crate::license::shown_path;
use crate::product::Product;
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
        // Judged on an O_PATH descriptor before anything is opened: a link is refused
        // (never followed), a FIFO or device is never opened (no side effects).
        let name = receipt_name(product);
        let at = self.path(product);
        let entry = match trusted_path::open_path(&dir, std::ffi::OsStr::new(&name), &at) {
            Ok(entry) => entry,
            Err(PathError::NotFound { .. }) => return Ok(Stored::Missing),
            Err(e) => return Ok(Stored::Unreadable(e.to_string())),
        };
        let seen = match trusted_path::stat_of(&entry, &at) {
            Ok(seen) => seen,
            Err(e) => return Ok(Stored::Unreadable(e.to_string())),
        };
        match FileType::from_raw_mode(seen.st_mode) {
            FileType::RegularFile => {}
            FileType::Symlink => {
                return Ok(Stored::Unreadable(
                    "it is a symbolic link, and receipts are never read through one".into(),
                ));
            }
            _ => return Ok(Stored::Unreadable("it is not a regular file".into())),
        }
        // In a directory only root may write, a receipt someone else owns was put there
        // before the directory became root's, and that user can still rewrite it.
        if self.rule != Rule::Caller && seen.st_uid != 0 {
            return Ok(Stored::Unreadable(format!(
                "it is owned by uid {}, not root, so that user could have written it",
                seen.st_uid
            )));
        }
        let file = match trusted_path::open_checked_file(&dir, std::ffi::OsStr::new(&name), &seen, &at) {
            Ok(fd) => File::from(fd),
            Err(e) => return Ok(Stored::Unreadable(e.to_string())),
        };
        match file.metadata() {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(Stored::Unreadable("it is not a regular file".into())),
            Err(e) => return Ok(Stored::Unreadable(format!("cannot inspect it: {e}"))),
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_RECEIPT_BYTES + 1).read_to_end(&mut bytes) {
            return Ok(Stored::Unreadable(format!("cannot read it: {e}")));
        }
        if bytes.len() as u64 > MAX_RECEIPT_BYTES {
            return Ok(Stored::Unreadable(format!(
                "it is larger than {} KiB",
                MAX_RECEIPT_BYTES / 1024
            )));
        }
        Ok(Stored::Found(bytes))
    }

    /// Writes the receipt for `product` so that it appears whole or not at all: a new
    /// temporary file in the same directory, locked, flushed, renamed over the old
    /// receipt, then the directory synced. Never follows a symlink when writing.
    pub fn write_atomically(&self, product: &Product, bytes: &[u8]) -> Result<PathBuf> {
        let dir = self
            .open_dir(Missing::Create)?
            .expect("Missing::Create never reports a missing directory");
        remove_abandoned_temps(&dir, product.as_str());
        let final_name = receipt_name(product);
        let next = "check free space, file size limits (ulimit -f) and permissions there, or pass another --receipt-dir";
        let fail = |e: std::io::Error| Error::io("write receipt in", &self.dir, &e, next);
        let (temp, temp_name) = create_temp_file(&dir, product.as_str()).map_err(fail)?;
        // 0644 (receipts are world-readable by contract) only now, under the writer's
        // lock: until here nobody else could open the file, let alone lock it.
        let written = write_and_sync(&temp, bytes)
            .and_then(|()| rustix::fs::fchmod(&temp, Mode::from_raw_mode(0o644)).map_err(Into::into))
            .and_then(|()| {
                rustix::fs::renameat(&dir, temp_name.as_str(), &dir, final_name.as_str()).map_err(Into::into)
            })
            .and_then(|()| rustix::fs::fsync(&dir).map_err(Into::into));
        if let Err(e) = written {
            let _ = rustix::fs::unlinkat(&dir, temp_name.as_str(), AtFlags::empty());
            return Err(fail(e));
        }
        // The lock goes with the descriptor, after the rename.
        drop(temp);
        Ok(self.path(product))
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

/// The message for a directory that cannot be reached safely: the component at
/// fault, why it matters, and a fix that is safe to run.
fn refusal(dir: &Path, e: &PathError) -> Error {
    let at = shown_path(e.at());
    let dir_shown = shown_path(dir);
    let (why, fix) = match e {
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

/// Removes temporary files for `product` that no live writer holds: a writer holds
/// an exclusive lock on its file until it is renamed, so a lock that can be taken
/// means the writer is gone, whatever PID namespace it ran in.
fn remove_abandoned_temps(dir: &OwnedFd, product: &str) {
    let Ok(entries) = rustix::fs::Dir::read_from(dir) else {
        return;
    };
    let euid = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if temp_writer_pid(name, product).is_none() {
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

/// The temporary name a writer `pid` tries `n`-th: `.<product>.json.<pid>.<n>.tmp`.
fn temp_name(product: &str, pid: u32, n: u32) -> String {
    format!(".{product}.json.{pid}.{n}.tmp")
}

/// The writer's pid in a name that `temp_name` made for `product`, else `None`.
fn temp_writer_pid(name: &str, product: &str) -> Option<i32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(product)?
        .strip_prefix(".json.")?;
    let (pid, n) = rest.strip_suffix(".tmp")?.split_once('.')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Creates `.<product>.json.<pid>.<n>.tmp` exclusively (never through a symlink), mode
/// 0600 so that no other user can open it, and locks it; takes the next `n` while a
/// name is taken or the file was taken from under us by a cleaner.
fn create_temp_file(dir: &OwnedFd, product: &str) -> std::io::Result<(File, String)> {
    let pid = std::process::id();
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for n in 0..TEMP_ATTEMPTS {
        let name = temp_name(product, pid, n);
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
        "no free temporary name after {TEMP_ATTEMPTS} tries (.{product}.json.{pid}.N.tmp all taken)"
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
        assert_eq!(temp_writer_pid(&temp_name("p", 42, 3), "p"), Some(42));
        for name in [
            "p.json",
            ".p.json.42.tmp",
            ".p.json.x.0.tmp",
            ".pp.json.42.0.tmp",
            ".p.json.42.0",
        ] {
            assert_eq!(temp_writer_pid(name, "p"), None, "{name}");
        }
        assert_eq!(temp_writer_pid(&temp_name("p.x", 7, 0), "p"), None);
    }
}
