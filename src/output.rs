//! The two ways out for text: human messages on stderr and requested data on stdout.
//! Neither can abort the process: a closed or broken stream is ignored, so the
//! receipt and the exit code stay what they would have been.

use crate::error::{Error, Result};
use crate::license::sanitize;
use std::io::Write;

/// Prints `eula-gate: MESSAGE` on stderr. Values inside `message` are already shown
/// on one line (`license::shown`); as a last guard no control sequence passes here.
pub fn say(message: &str) {
    let line = format!("eula-gate: {}\n", sanitize(message));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Writes `text` to stdout. A reader that went away (`| head`, a closed descriptor)
/// is not an error of ours; anything else (a full disk) is.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe || e.raw_os_error() == Some(libc::EBADF) => {
            Ok(())
        }
        Err(e) => Err(Error::Runtime(format!(
            "cannot write to standard output: {e}; check where it is redirected"
        ))),
    }
}
