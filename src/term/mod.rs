//! The terminal side of the gate: knowing whether a person can be asked, showing the
//! text, and asking. Nothing here knows about receipts.

pub mod keys;
pub mod pager;
pub mod prompt;
pub mod shown;
pub mod signals;
pub mod wrap;

use std::io::IsTerminal;

/// Whether standard input and standard output are terminals, in that order.
pub fn stdio_terminals() -> (bool, bool) {
    (std::io::stdin().is_terminal(), std::io::stdout().is_terminal())
}

/// Whether to page full-screen: not asked for plain output, a terminal type that
/// knows the alternate screen, and room for the pager.
pub fn wants_pager(plain: bool) -> bool {
    if plain || std::env::var_os("TERM").is_none_or(|t| t.is_empty() || t == "dumb") {
        return false;
    }
    pager::terminal_size().is_some_and(|(rows, cols)| rows >= pager::MIN_ROWS && cols >= pager::MIN_COLS)
}

/// Prints `text` whole to the terminal as it is shown (see `shown`), framed by
/// `title`; sanitized in pieces, so that no copy of the text is made.
pub fn print_plain(title: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let bold = console::Style::new().bold();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}\n", bold.apply_to(title))?;
    shown::write_shown(&mut out, text)?;
    writeln!(out, "\n{}", bold.apply_to(format!("End of the {title}.")))?;
    out.flush()
}
