//! The one way eula-gate reaches a directory: walked from `/` one component at a
//! time on open descriptors, never by a path that was checked earlier.
//!
//! Under [`Rule::Trusted`] (root, and the system directory for everyone) each
//! component must be owned by a trusted user and not writable by group or others,
//! except a sticky directory such as `/tmp` above the target, whose next component
//! must then be trusted itself (OpenSSH's StrictModes, sudo's sudoers checks). A
//! symbolic link is followed only when a trusted user owns it, and the walk goes on
//! through its target with the same checks (systemd's `chase()`). Missing
//! directories are made with `mkdirat` on the open parent, reopened without
//! following links, checked to be what was just made, and given 0755 with `fchmod`.

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// How far a walk trusts what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every component owned by root (or by `also`), not writable by group or
    /// others (a sticky directory above the target excepted); only links that such
    /// a user owns are followed.
    Trusted {
        /// A second owner that is trusted besides root (the user running the gate,
        /// for files that user may own).
        also: Option<u32>,
    },
    /// Whatever the caller can reach: links are followed, nothing is checked (a
    /// user's own data directory).
    Caller,
    /// Root reading a file that others may have placed (a license file): links are
    /// followed, but never from something a user owns to something another user (or
    /// root) owns, so a user's link cannot make root read root's own secrets.
    SafeTransitions,
}

impl Rule {
    /// Root's rule: root alone is trusted.
    pub const ROOT: Rule = Rule::Trusted { also: None };

    fn trusts(self, uid: u32) -> bool {
        match self {
            Rule::Trusted { also } => uid == 0 || also == Some(uid),
            Rule::Caller | Rule::SafeTransitions => true,
        }
    }
}

/// What to do where a directory on the way does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Make it, mode 0755.
    Create,
    /// Fail with [`PathError::NotFound`].
    Report,
}

/// Why a path could not be reached. In every variant `at` is the component at fault
/// (a real path: links on the way resolved), `uid` the owner found there.
#[derive(Debug)]
#[allow(missing_docs)] // the fields are described once, above
pub enum PathError {
    /// A component does not exist (and was not to be created).
    NotFound { at: PathBuf },
    /// A component is owned by a user the rule does not trust.
    Owner { at: PathBuf, uid: u32 },
    /// A component may be written by group or others (`mode` is its mode).
    Writable { at: PathBuf, mode: u32 },
    /// A component is a symbolic link the rule does not follow.
    Symlink { at: PathBuf, uid: u32 },
    /// A component is neither a directory nor a link to one.
    NotDirectory { at: PathBuf },
    /// The file asked for is not a regular file; `kind` says what it is ("a directory").
    NotRegularFile { at: PathBuf, kind: &'static str },
    /// A step from what uid `from` owns to what uid `to` owns ([`Rule::SafeTransitions`]).
    UnsafeTransition { at: PathBuf, from: u32, to: u32 },
    /// More than [`MAX_LINKS`] links on the way.
    TooManyLinks { at: PathBuf },
    /// The system refused `action` on a component with `error`.
    Io {
        at: PathBuf,
        action: &'static str,
        error: std::io::Error,
    },
}

/// Links followed in one walk at most, as the kernel's own limit.
pub const MAX_LINKS: usize = 40;
/// Times a directory may appear under a walk that is creating it.
const MAX_RACES: usize = 8;

impl PathError {
    /// The component at fault.
    pub fn at(&self) -> &Path {
        match self {
            PathError::NotFound { at }
            | PathError::Owner { at, .. }
            | PathError::Writable { at, .. }
            | PathError::Symlink { at, .. }
            | PathError::NotDirectory { at }
            | PathError::NotRegularFile { at, .. }
            | PathError::UnsafeTransition { at, .. }
            | PathError::TooManyLinks { at }
            | PathError::Io { at, .. } => at,
        }
    }
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = crate::license::shown_path(self.at());
        match self {
            PathError::NotFound { .. } => write!(f, "{at} does not exist"),
            PathError::Owner { uid, .. } => write!(f, "{at} is owned by uid {uid}"),
            PathError::Writable { mode, .. } => write!(f, "{at} (mode {mode:04o}) can be written by others"),
            PathError::Symlink { uid, .. } => write!(f, "{at} is a symbolic link owned by uid {uid}"),
            PathError::NotDirectory { .. } => write!(f, "{at} is not a directory"),
            PathError::NotRegularFile { kind, .. } => write!(f, "{at} is {kind}, not a regular file"),
            PathError::UnsafeTransition { from, to, .. } => {
                write!(f, "{at} leads from what uid {from} owns to what uid {to} owns")
            }
            PathError::TooManyLinks { .. } => write!(f, "more than {MAX_LINKS} symbolic links lead to {at}"),
            PathError::Io { action, error, .. } => write!(f, "cannot {action} {at}: {error}"),
        }
    }
}

/// Opens the directory `path` (relative to the working directory if relative) under
/// `rule`, creating what is missing when `missing` says so. The descriptor is the
/// directory that was checked; everything after works relative to it.
pub fn open_dir(path: &Path, rule: Rule, missing: Missing) -> Result<OwnedFd, PathError> {
    walk(path, rule, Want::Dir(missing))
}

/// Opens the regular file `path` for reading under `rule`. Its type is judged on an
/// `O_PATH` descriptor before it is opened, so a device or FIFO is never opened
/// (no side effects, never a controlling terminal).
pub fn open_regular_file(path: &Path, rule: Rule) -> Result<File, PathError> {
    let fd = walk(path, rule, Want::File)?;
    Ok(File::from(fd))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Dir(Missing),
    File,
}

fn walk(path: &Path, rule: Rule, want: Want) -> Result<OwnedFd, PathError> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|error| PathError::Io {
            at: PathBuf::from("."),
            action: "find the working directory",
            error,
        })?;
        cwd.join(path)
    };
    let mut todo: Vec<OsString> = Vec::new();
    push_front(&mut todo, &absolute);
    let root = open_path(rustix::fs::CWD, OsStr::new("/"), Path::new("/"))?;
    let root_stat = stat_of(&root, Path::new("/"))?;
    check_dir(rule, &root_stat, Path::new("/"), false)?;
    // The directories walked so far, with their real paths and owners: `..` pops one.
    let mut stack: Vec<(OwnedFd, PathBuf, u32)> = vec![(root, PathBuf::from("/"), root_stat.st_uid)];
    let mut links = 0;
    let mut races = 0;
    while let Some(name) = todo.pop() {
        if name == ".." {
            if stack.len() > 1 {
                let (_, from, from_uid) = stack.pop().expect("more than the root");
                let (_, _, to_uid) = stack.last().expect("the root is never popped");
                check_transition(rule, from_uid, *to_uid, &from)?;
            }
            continue;
        }
        let (parent, parent_path, parent_uid) = stack.last().expect("the root is never popped");
        let parent_uid = *parent_uid;
        let at = parent_path.join(&name);
        let entry = match open_path(parent, &name, &at) {
            Ok(entry) => entry,
            // Made only where the walk goes on downwards: never a directory that a
            // later `..` would leave again.
            Err(PathError::NotFound { .. })
                if want == Want::Dir(Missing::Create) && !todo.iter().any(|n| n == "..") =>
            {
                match make_dir(parent, &name, &at)? {
                    Some(made) => {
                        let uid = rustix::process::geteuid().as_raw();
                        stack.push((made, at, uid));
                    }
                    // Another writer made it first: judge it like any other entry.
                    None if races < MAX_RACES => {
                        races += 1;
                        todo.push(name);
                    }
                    None => {
                        return Err(PathError::Io {
                            at,
                            action: "create",
                            error: std::io::Error::other("it keeps appearing and vanishing; run again"),
                        });
                    }
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        let stat = stat_of(&entry, &at)?;
        check_transition(rule, parent_uid, stat.st_uid, &at)?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::Symlink => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(PathError::TooManyLinks { at });
                }
                if !rule.trusts(stat.st_uid) {
                    return Err(PathError::Symlink { at, uid: stat.st_uid });
                }
                let target = rustix::fs::readlinkat(&entry, "", Vec::new())
                    .map_err(|e| io(&at, "read the link", e))?;
                let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
                if target.is_absolute() {
                    // A jump back to `/` is a step like any other (systemd's CHASE_SAFE).
                    stack.truncate(1);
                    check_transition(rule, stat.st_uid, stack[0].2, &at)?;
                }
                push_front(&mut todo, &target);
            }
            FileType::Directory => {
                check_dir(rule, &stat, &at, false)?;
                stack.push((entry, at, stat.st_uid));
            }
            FileType::RegularFile if want == Want::File && todo.is_empty() => {
                return open_checked_file(parent, &name, &stat, &at);
            }
            other if want == Want::File && todo.is_empty() => {
                return Err(PathError::NotRegularFile {
                    at,
                    kind: kind_of(other),
                });
            }
            _ => {
                return Err(PathError::NotDirectory { at });
            }
        }
    }
    let (last, at, _) = stack.pop().expect("the root is never popped");
    if want == Want::File {
        return Err(PathError::NotRegularFile {
            at,
            kind: "a directory",
        });
    }
    // Judged again as the target: a sticky directory that was passed on the way
    // (`/tmp/x/..`) must not become the receipt directory.
    check_dir(rule, &stat_of(&last, &at)?, &at, true)?;
    // The walk holds O_PATH descriptors; the caller needs one it can read and sync.
    rustix::fs::openat(
        &last,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io(&at, "open", e))
}

fn kind_of(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Directory => "a directory",
        FileType::Fifo => "a pipe (FIFO)",
        FileType::Socket => "a socket",
        FileType::CharacterDevice | FileType::BlockDevice => "a device",
        _ => "not a regular file",
    }
}

/// Opens `name` in `parent` for reading, after its `O_PATH` stat said it is a regular
/// file, and checks that what was opened is that same file.
pub(crate) fn open_checked_file(
    parent: &OwnedFd,
    name: &OsStr,
    seen: &Stat,
    at: &Path,
) -> Result<OwnedFd, PathError> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(parent, name, flags, Mode::empty()).map_err(|e| io(at, "open", e))?;
    let opened = stat_of(&fd, at)?;
    if opened.st_dev != seen.st_dev || opened.st_ino != seen.st_ino {
        return Err(PathError::Io {
            at: at.to_path_buf(),
            action: "open",
            error: std::io::Error::other("it was replaced while eula-gate opened it; run again"),
        });
    }
    Ok(fd)
}

/// Under [`Rule::SafeTransitions`], a step from what `from` owns to what another user
/// owns is refused unless `from` is root (systemd's `unsafe_transition()`).
fn check_transition(rule: Rule, from: u32, to: u32, at: &Path) -> Result<(), PathError> {
    if rule == Rule::SafeTransitions && from != 0 && from != to {
        return Err(PathError::UnsafeTransition {
            at: at.to_path_buf(),
            from,
            to,
        });
    }
    Ok(())
}

/// Puts the components of `path` before what is still to walk (`todo` is a stack).
fn push_front(todo: &mut Vec<OsString>, path: &Path) {
    let names: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    todo.extend(names.into_iter().rev());
}

/// Opens one entry of `parent` as an `O_PATH` descriptor, never following a link.
pub(crate) fn open_path(
    parent: impl std::os::fd::AsFd,
    name: &OsStr,
    at: &Path,
) -> Result<OwnedFd, PathError> {
    match rustix::fs::openat(
        parent,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Ok(fd),
        Err(Errno::NOENT) => Err(PathError::NotFound { at: at.to_path_buf() }),
        Err(e) => Err(io(at, "open", e)),
    }
}

pub(crate) fn stat_of(fd: &OwnedFd, at: &Path) -> Result<Stat, PathError> {
    rustix::fs::fstat(fd).map_err(|e| io(at, "inspect", e))
}

fn io(at: &Path, action: &'static str, e: Errno) -> PathError {
    PathError::Io {
        at: at.to_path_buf(),
        action,
        error: e.into(),
    }
}

/// Checks one directory on the way. A sticky directory may be writable by others
/// only above the target: what lies in it is then checked to be trusted itself.
fn check_dir(rule: Rule, stat: &Stat, at: &Path, is_target: bool) -> Result<(), PathError> {
    if matches!(rule, Rule::Caller | Rule::SafeTransitions) {
        return Ok(());
    }
    if !rule.trusts(stat.st_uid) {
        return Err(PathError::Owner {
            at: at.to_path_buf(),
            uid: stat.st_uid,
        });
    }
    let mode = stat.st_mode & 0o7777;
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && (is_target || !sticky) {
        return Err(PathError::Writable {
            at: at.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Makes `name` in `parent` (0755 whatever the umask) and returns it opened; `None`
/// when the name appeared meanwhile (the walk then judges what is there).
fn make_dir(parent: &OwnedFd, name: &OsStr, at: &Path) -> Result<Option<OwnedFd>, PathError> {
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755)) {
        Ok(()) => {}
        Err(Errno::EXIST) => return Ok(None),
        Err(e) => return Err(io(at, "create", e)),
    }
    let made = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io(at, "open the new directory", e))?;
    let stat = stat_of(&made, at)?;
    if stat.st_uid != rustix::process::geteuid().as_raw() {
        return Err(PathError::Owner {
            at: at.to_path_buf(),
            uid: stat.st_uid,
        });
    }
    rustix::fs::fchmod(&made, Mode::from_raw_mode(0o755)).map_err(|e| io(at, "set the mode of", e))?;
    Ok(Some(made))
}

/// Whether the entry `name` of `dir` is (still) the file open as `fd`.
pub fn is_same_file(dir: &OwnedFd, name: &str, fd: &impl std::os::fd::AsFd) -> bool {
    match (
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW),
        rustix::fs::fstat(fd),
    ) {
        (Ok(named), Ok(open)) => named.st_dev == open.st_dev && named.st_ino == open.st_ino,
        _ => false,
    }
}
