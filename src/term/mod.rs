//! The terminal side of the gate: knowing whether a person can be asked, showing the
//! text, and asking. Nothing here knows about receipts or exit statuses: the one
//! door, [`ask_consent`], says what happened, and the caller decides what it means.

#[doc(hidden)]
pub mod keys;
#[doc(hidden)]
pub mod pager;
mod prompt;
pub mod shown;
mod signals;
mod tty;
#[doc(hidden)]
pub mod wrap;

pub use prompt::{Answer, MAX_ATTEMPTS};
pub use shown::Shown;
pub use signals::{OnAbort, Stop};

use std::io::IsTerminal;

/// Puts the terminal back (main screen, cursor, mode) if the pager holds it: for a
/// process that must end at once (the binary's allocator when memory runs out). Only
/// system calls and atomics.
#[doc(hidden)]
pub fn restore_now() {
    tty::restore_now();
}

/// Whether standard input and standard output are terminals, in that order.
pub fn stdio_terminals() -> (bool, bool) {
    (std::io::stdin().is_terminal(), std::io::stdout().is_terminal())
}

/// How to ask.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// Print the text whole instead of paging it.
    pub plain: bool,
    /// A line to show with the text (in the pager's status line until a key).
    pub notice: Option<&'a str>,
    /// What changed since an earlier text was accepted, shown before the text the
    /// first time: its title, the changes (each starting with `jump`), and `jump`.
    pub changes: Option<Changes<'a>>,
    /// What to do if the process aborts while the terminal is raw.
    pub on_abort: OnAbort,
}

/// A view of what changed, offered before the whole text.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'a> {
    /// The view's title.
    pub title: Shown<'a>,
    /// The changes, made safe for display already, one block per change.
    pub text: Shown<'a>,
    /// What each block starts with: n and N jump between blocks.
    pub jump: &'a str,
    /// The line shown with the view (how to move, how to go on to the whole text).
    pub notice: &'a str,
}

/// The person's answer, and whether they had the whole text before them.
#[derive(Debug)]
pub struct Consent {
    /// What they typed (or that they typed nothing useful).
    pub answer: Answer,
    /// Whether the last line of the text was on screen at some point.
    pub read_to_end: bool,
    /// Signals stay handled (a Ctrl-C now is ignored) until this is dropped: keep it
    /// while the answer is acted on, so that it is acted on whole.
    pub hold: Hold,
}

/// Keeps the signal handlers of a finished question until dropped; dropping it puts
/// back the dispositions and the panic hook that were there before.
#[derive(Debug)]
pub struct Hold(#[allow(dead_code)] signals::Handlers);

impl std::fmt::Debug for signals::Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handlers")
    }
}

/// Why there is no answer.
#[derive(Debug)]
pub enum TermError {
    /// A signal, or the terminal going away, ended the wait; the terminal is as it was.
    Stopped(Stop),
    /// The terminal could not be used to show the text (nothing was asked).
    Unusable(std::io::Error),
}

/// The one door: shows `text` (titled `title`) on the terminal, paged full-screen
/// when it can be, and asks whether the person accepts it. Typing `show` at the
/// question shows the text again (never an answer, never one of the tries). Every
/// signal handler, the panic hook and the terminal's mode are put back as they
/// were by the time this returns an error, or when the returned `hold` is dropped.
pub fn ask_consent(title: Shown<'_>, text: Shown<'_>, ask: &Ask<'_>) -> Result<Consent, TermError> {
    let handlers = signals::Handlers::install(ask.on_abort);
    let text = without_title_line(title, text);
    let mut question = prompt::Question::new(title.raw());
    let mut read_to_end = false;
    let mut notice = ask.notice;
    if let Some(changes) = ask.changes {
        // What changed comes first; only the whole text counts as read.
        show_changes(&changes, ask.plain)?;
    }
    loop {
        read_to_end |= show(title, text, ask.plain, notice.take())?;
        match question.ask().map_err(TermError::Stopped)? {
            prompt::Reply::ShowAgain => continue,
            prompt::Reply::Answer(answer) => {
                return Ok(Consent {
                    answer,
                    read_to_end,
                    hold: Hold(handlers),
                });
            }
        }
    }
}

/// Shows what changed once, paged with n/N between the changes, or printed whole.
fn show_changes(changes: &Changes<'_>, plain: bool) -> Result<(), TermError> {
    if wants_pager(plain) {
        match pager::page(
            changes.title,
            changes.text,
            Some(changes.notice),
            Some(changes.jump),
        )
        .map_err(TermError::Unusable)?
        {
            pager::Outcome::Done { .. } => Ok(()),
            pager::Outcome::Stopped(stop) => Err(TermError::Stopped(stop)),
        }
    } else {
        print_plain(changes.title, changes.text, Some(changes.notice))
            .map_err(|_| TermError::Stopped(Stop::HungUp))
    }
}

/// Shows the text once; whether its end was on screen.
fn show(title: Shown<'_>, text: Shown<'_>, plain: bool, notice: Option<&str>) -> Result<bool, TermError> {
    if wants_pager(plain) {
        match pager::page(title, text, notice, None).map_err(TermError::Unusable)? {
            pager::Outcome::Done { read_to_end } => Ok(read_to_end),
            pager::Outcome::Stopped(stop) => Err(TermError::Stopped(stop)),
        }
    } else {
        // The whole text goes by, as with any plain print.
        print_plain(title, text, notice).map_err(|_| TermError::Stopped(Stop::HungUp))?;
        Ok(true)
    }
}

/// The text without its first non-empty line when that line is the title, which the
/// header (or the plain print's first line) shows already.
fn without_title_line<'a>(title: Shown<'_>, text: Shown<'a>) -> Shown<'a> {
    let raw = text.raw();
    let start = raw.len() - raw.trim_start_matches(['\n', '\r', ' ', '\t']).len();
    let start = raw[..start].rfind('\n').map_or(0, |at| at + 1);
    let end = raw[start..].find('\n').map_or(raw.len(), |at| start + at);
    // The title's line end, and one empty line after it, go with it.
    let mut rest = &raw[end..];
    for _ in 0..2 {
        rest = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .unwrap_or(rest);
    }
    if raw[start..end].trim() == title.raw().trim() && !rest.trim().is_empty() {
        Shown::new(rest)
    } else {
        text
    }
}

/// Whether to page full-screen: not asked for plain output, a terminal type that
/// knows the alternate screen, and room for the pager.
fn wants_pager(plain: bool) -> bool {
    if plain || std::env::var_os("TERM").is_none_or(|t| t.is_empty() || t == "dumb") {
        return false;
    }
    pager::terminal_size().is_some_and(|(rows, cols)| rows >= pager::MIN_ROWS && cols >= pager::MIN_COLS)
}

/// Prints `text` whole to the terminal as it is shown (see `shown`), framed by
/// `title`; sanitized in pieces, so that no copy of the text is made.
fn print_plain(title: Shown<'_>, text: Shown<'_>, notice: Option<&str>) -> std::io::Result<()> {
    use std::io::Write;
    let bold = console::Style::new().bold();
    let mut out = std::io::stdout().lock();
    if let Some(notice) = notice {
        writeln!(out, "{}\n", Shown::new(notice))?;
    }
    writeln!(out, "{}\n", bold.apply_to(title))?;
    shown::write_shown(&mut out, text.raw())?;
    writeln!(out, "\n{}", bold.apply_to(format!("End of the {title}.")))?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_line_is_not_repeated_under_the_header() {
        let cut = |title, text| without_title_line(Shown::new(title), Shown::new(text)).raw();
        assert_eq!(cut("My EULA", "\n  My EULA \n\nTerms\n"), "Terms\n");
        assert_eq!(cut("My EULA", "My EULA\n\n\nTerms\n"), "\nTerms\n");
        assert_eq!(cut("My EULA", "Other\nMy EULA\n"), "Other\nMy EULA\n");
        // A text that is only its title stays whole: there must be something to read.
        assert_eq!(cut("My EULA", "My EULA\n"), "My EULA\n");
    }
}
