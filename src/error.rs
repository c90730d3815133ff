//! One error type for the whole tool; `Error::code` is the only place that decides
//! the exit status a script sees.

use std::fmt;

/// Every exit status eula-gate can end with, and what it means: the one table that
/// `Error::code`, the signal handlers, `--help` and the README follow.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "accepted now or before; verify: the receipt is valid for this license",
    ),
    (
        1,
        "runtime error (I/O, permissions, unusable license file, unsafe receipt directory)",
    ),
    (2, "usage error"),
    (3, "declined (also: the terminal went away before an answer)"),
    (
        4,
        "acceptance required but nobody can be asked (no terminal, no flag, no env)",
    ),
    (
        5,
        "verify: no receipt; diff: no earlier text is kept to compare with",
    ),
    (
        6,
        "verify: receipt for another license text; --accept-eula=HEX: HEX is not this text's digest",
    ),
    (
        7,
        "verify: receipt unreadable, malformed, of an unknown schema, for another product, or tampered; history --check: the chain is broken",
    ),
    (130, "interrupted (Ctrl-C); nothing was written"),
    (
        143,
        "terminated (SIGTERM) while waiting for a person; nothing was written",
    ),
];

/// Exit status: runtime error (also: an abort while a person was being asked).
pub const EXIT_RUNTIME: u8 = 1;
/// Written when the process aborts (most likely out of memory) while the terminal is
/// raw: the terminal is put back first, then the process exits `EXIT_RUNTIME`.
pub const ABORT_NOTE: &str = "\r\neula-gate: stopped by a fatal error (most likely out of memory); \
     the terminal was restored; try again with more memory, or with --plain\n";
/// Exit status: the terminal went away before an answer (as declining).
pub const EXIT_DECLINED: u8 = 3;
/// Exit status: Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit status: SIGTERM while waiting for a person.
pub const EXIT_TERMINATED: u8 = 143;
/// Exit status: usage error.
pub const EXIT_USAGE: u8 = 2;

/// Everything that ends a run without success. Each message names what failed and
/// what to do next.
#[derive(Debug)]
pub enum Error {
    /// Exit 1: I/O, permissions, an unusable license file, an unsafe receipt directory.
    Runtime(String),
    /// Exit 2: the command line or the environment asks for something impossible.
    Usage(String),
    /// Exit 3: the person declined the license.
    Declined(String),
    /// Exit 4: acceptance is required and nobody can be asked.
    NobodyToAsk(String),
    /// Exit 5: `verify` found no receipt.
    NoReceipt(String),
    /// Exit 6: the receipt (or a pinned digest) is for another license text.
    LicenseChanged(String),
    /// Exit 7: the receipt is unreadable, malformed, of another schema or product, or tampered.
    InvalidReceipt(String),
    /// Exit 130: interrupted by Ctrl-C (or Ctrl-\\); nothing was written.
    Interrupted,
    /// Exit 143: terminated by SIGTERM while waiting for a person; nothing was written.
    Terminated,
    /// The same exit status as the inner error, but nothing is printed (`verify --quiet`).
    Quiet(Box<Error>),
}

impl Error {
    /// The exit status for this error, as the contract's table gives it.
    pub fn code(&self) -> u8 {
        match self {
            Error::Runtime(_) => EXIT_RUNTIME,
            Error::Usage(_) => EXIT_USAGE,
            Error::Declined(_) => EXIT_DECLINED,
            Error::NobodyToAsk(_) => 4,
            Error::NoReceipt(_) => 5,
            Error::LicenseChanged(_) => 6,
            Error::InvalidReceipt(_) => 7,
            Error::Interrupted => EXIT_INTERRUPTED,
            Error::Terminated => EXIT_TERMINATED,
            Error::Quiet(inner) => inner.code(),
        }
    }

    /// Whether `main` should print this error at all.
    pub fn is_quiet(&self) -> bool {
        matches!(self, Error::Quiet(_))
    }

    /// The same error with `warnings` (one per line) before its message, so that a
    /// caller who shows the error shows them too.
    pub fn after_warnings(self, warnings: &[String]) -> Error {
        if warnings.is_empty() {
            return self;
        }
        let with = |m: String| format!("{}\n{m}", warnings.join("\n"));
        match self {
            Error::Runtime(m) => Error::Runtime(with(m)),
            Error::Usage(m) => Error::Usage(with(m)),
            Error::Declined(m) => Error::Declined(with(m)),
            Error::NobodyToAsk(m) => Error::NobodyToAsk(with(m)),
            Error::NoReceipt(m) => Error::NoReceipt(with(m)),
            Error::LicenseChanged(m) => Error::LicenseChanged(with(m)),
            Error::InvalidReceipt(m) => Error::InvalidReceipt(with(m)),
            other => other,
        }
    }

    /// Builds a runtime error about `path` from an I/O error, with the next step.
    pub fn io(action: &str, path: &std::path::Path, err: &std::io::Error, next: &str) -> Error {
        Error::Runtime(format!(
            "cannot {action} {}: {err}; {next}",
            crate::license::shown_path(path)
        ))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Runtime(m)
            | Error::Usage(m)
            | Error::Declined(m)
            | Error::NobodyToAsk(m)
            | Error::NoReceipt(m)
            | Error::LicenseChanged(m)
            | Error::InvalidReceipt(m) => f.write_str(m),
            Error::Interrupted => f.write_str("interrupted; nothing was written"),
            Error::Terminated => f.write_str("terminated; nothing was written"),
            Error::Quiet(inner) => inner.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// The result type used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
