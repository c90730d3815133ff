//! Where receipts live, and reading, writing and removing them safely: bounded
//! reads, atomic writes that never follow a symlink, and a directory check for root.

use crate::error::{Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
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
                dirs.data_dir().display()
            )));
        }
        Ok(Locations {
            primary: ReceiptStore::new(dirs.data_dir().to_path_buf()),
            system_fallback: Some(ReceiptStore::new(PathBuf::from(SYSTEM_DIR))),
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
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// What reading a receipt found.
#[derive(Debug)]
pub enum Stored {
    /// No receipt file.
    Missing,
    /// The receipt's bytes (at most `MAX_RECEIPT_BYTES`).
    Found(Vec<u8>),
    /// A receipt path exists but cannot be read as a receipt; says why.
    Unreadable(String),
}

/// One receipt directory.
#[derive(Debug, Clone)]
pub struct ReceiptStore {
    dir: PathBuf,
}

impl ReceiptStore {
    /// A store in `dir` (nothing is touched until it is used).
    pub fn new(dir: PathBuf) -> ReceiptStore {
        ReceiptStore { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The receipt path for `product` (a validated product name).
    pub fn path(&self, product: &str) -> PathBuf {
        self.dir.join(format!("{product}.json"))
    }

    /// Reads the receipt for `product`, at most `MAX_RECEIPT_BYTES`, without blocking
    /// on a FIFO or reading a device.
    pub fn read(&self, product: &str) -> Stored {
        let path = self.path(product);
        // O_NONBLOCK: a FIFO planted at the receipt path must not block the open.
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path);
        let file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Stored::Missing,
            Err(e) => return Stored::Unreadable(format!("cannot open it: {e}")),
        };
        match file.metadata() {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Stored::Unreadable("it is not a regular file".into()),
            Err(e) => return Stored::Unreadable(format!("cannot inspect it: {e}")),
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_RECEIPT_BYTES + 1).read_to_end(&mut bytes) {
            return Stored::Unreadable(format!("cannot read it: {e}"));
        }
        if bytes.len() as u64 > MAX_RECEIPT_BYTES {
            return Stored::Unreadable(format!("it is larger than {} KiB", MAX_RECEIPT_BYTES / 1024));
        }
        Stored::Found(bytes)
    }

    /// Writes the receipt for `product` so that it appears whole or not at all: a new
    /// temporary file in the same directory, flushed, renamed over the old receipt,
    /// then the directory synced. Never follows a symlink when writing.
    pub fn write_atomically(&self, product: &str, bytes: &[u8]) -> Result<PathBuf> {
        let dir = self.open_dir_for_writing()?;
        self.remove_stale_temps(&dir, product);
        let final_name = format!("{product}.json");
        let next = "check free space and permissions there, or pass another --receipt-dir";
        let fail = |e: std::io::Error| Error::io("write receipt in", &self.dir, &e, next);
        let (temp, temp_name) = create_temp_file(&dir, product).map_err(fail)?;
        let written = write_and_sync(temp, bytes)
            .and_then(|()| rename_at(&dir, &temp_name, &final_name))
            .and_then(|()| File::from(dir.try_clone()?).sync_all());
        if let Err(e) = written {
            let _ = unlink_at(&dir, &temp_name);
            return Err(fail(e));
        }
        Ok(self.path(product))
    }

    /// Removes the receipt for `product`. Returns whether there was one.
    pub fn remove(&self, product: &str) -> Result<bool> {
        let path = self.path(product);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                if let Ok(dir) = File::open(&self.dir) {
                    let _ = dir.sync_all();
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(
                "remove receipt",
                &path,
                &e,
                "check the permissions of its directory (system receipts need root)",
            )),
        }
    }

    /// Creates the directory (mode 0755) if needed, opens it, and as root refuses one
    /// that another user owns or that group or others may write.
    fn open_dir_for_writing(&self) -> Result<OwnedFd> {
        let next = "create it by hand or pass another --receipt-dir";
        if !self.dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(&self.dir)
                .map_err(|e| Error::io("create receipt directory", &self.dir, &e, next))?;
            // The umask may have narrowed the mode; the contract says 0755.
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::io("set the mode of receipt directory", &self.dir, &e, next))?;
        }
        let c_dir = CString::new(self.dir.as_os_str().as_bytes()).map_err(|_| {
            Error::Usage(format!(
                "receipt directory {} contains a NUL byte",
                self.dir.display()
            ))
        })?;
        // SAFETY: c_dir is a valid C string; the returned descriptor is checked.
        let fd = unsafe {
            libc::open(
                c_dir.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return Err(Error::io("open receipt directory", &self.dir, &e, next));
        }
        // SAFETY: fd is a descriptor we just opened and own.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        if is_root() {
            self.check_safe_for_root(&dir)?;
        }
        Ok(dir)
    }

    fn check_safe_for_root(&self, dir: &OwnedFd) -> Result<()> {
        let meta = File::from(
            dir.try_clone()
                .map_err(|e| Error::io("inspect", &self.dir, &e, "try again"))?,
        )
        .metadata()
        .map_err(|e| Error::io("inspect receipt directory", &self.dir, &e, "try again"))?;
        let shown = self.dir.display();
        if meta.uid() != 0 {
            return Err(Error::Runtime(format!(
                "refusing to write a receipt as root into {shown}: it is owned by uid {}, not root, \
                 so that user could swap the receipt; run `chown root {shown}` or pass a root-owned \
                 --receipt-dir",
                meta.uid()
            )));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(Error::Runtime(format!(
                "refusing to write a receipt as root into {shown}: its mode {:04o} lets group or \
                 others write there, so they could plant or swap the receipt; run `chmod 755 {shown}` \
                 or pass a --receipt-dir that only root can write",
                meta.mode() & 0o7777
            )));
        }
        Ok(())
    }

    /// Removes temporary files for `product` left by writers that were killed.
    fn remove_stale_temps(&self, dir: &OwnedFd, product: &str) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(pid) = temp_writer_pid(name, product) else {
                continue;
            };
            if pid > 0 && !process_exists(pid) {
                let _ = unlink_at(dir, name);
            }
        }
    }
}

fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
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

/// Creates `.<product>.json.<pid>.<n>.tmp` exclusively (never through a symlink),
/// taking the next `n` while a name is already there.
fn create_temp_file(dir: &OwnedFd, product: &str) -> std::io::Result<(File, String)> {
    let pid = std::process::id();
    let mut last = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
    for n in 0..TEMP_ATTEMPTS {
        let name = temp_name(product, pid, n);
        match open_new_file(dir, &name) {
            Ok(file) => {
                // The umask may have narrowed the mode; receipts are world-readable by contract.
                if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o644)) {
                    let _ = unlink_at(dir, &name);
                    return Err(e);
                }
                return Ok((file, name));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

fn c_name(name: &str) -> std::io::Result<CString> {
    CString::new(name).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in file name"))
}

fn open_new_file(dir: &OwnedFd, name: &str) -> std::io::Result<File> {
    let c = c_name(name)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: dir is an open directory descriptor and c a valid C string.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, 0o644 as libc::c_uint) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a descriptor we just opened and own.
    Ok(unsafe { File::from_raw_fd(fd) })
}

fn write_and_sync(mut file: File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

fn rename_at(dir: &OwnedFd, from: &str, to: &str) -> std::io::Result<()> {
    let (from, to) = (c_name(from)?, c_name(to)?);
    // SAFETY: both names are valid C strings relative to an open directory.
    let rc = unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn unlink_at(dir: &OwnedFd, name: &str) -> std::io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: c is a valid C string relative to an open directory.
    let rc = unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
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
