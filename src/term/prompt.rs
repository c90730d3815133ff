//! The typed question: only `yes` or `accept` accepts; nothing is accepted by default.

use std::io::{BufRead, Read, Write};

/// How many answers are asked for before the question counts as declined.
pub const MAX_ATTEMPTS: usize = 3;
/// Longest answer read; more is treated as another (invalid) answer.
const MAX_ANSWER_BYTES: u64 = 1024;

/// The person's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Typed `yes` or `accept`.
    Accept,
    /// Typed `no` or `decline`.
    Decline,
    /// Standard input ended (Ctrl-D) or the terminal went away.
    EndOfInput,
    /// Three answers that were neither.
    TooManyTries,
}

/// What one typed line means.
pub fn interpret(line: &str) -> Option<Answer> {
    let word = line.trim();
    if word.eq_ignore_ascii_case("yes") || word.eq_ignore_ascii_case("accept") {
        Some(Answer::Accept)
    } else if word.eq_ignore_ascii_case("no") || word.eq_ignore_ascii_case("decline") {
        Some(Answer::Decline)
    } else {
        None
    }
}

/// Asks whether the person accepts `title`, on the terminal (standard output and
/// standard input, which the caller checked are terminals).
pub fn ask(title: &str) -> Answer {
    let bold = console::Style::new().bold();
    let mut out = std::io::stdout();
    let stdin = std::io::stdin();
    for attempt in 1..=MAX_ATTEMPTS {
        if attempt == 1 {
            let _ = write!(
                out,
                "\nDo you accept the terms of the {}?\nType {} to accept or {} to decline: ",
                bold.apply_to(title),
                bold.apply_to("yes"),
                bold.apply_to("no")
            );
        } else {
            let _ = write!(
                out,
                "Please type {} to accept or {} to decline (answer {attempt} of {MAX_ATTEMPTS}): ",
                bold.apply_to("yes"),
                bold.apply_to("no")
            );
        }
        let _ = out.flush();
        let mut line = String::new();
        match stdin.lock().take(MAX_ANSWER_BYTES).read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = writeln!(out);
                return Answer::EndOfInput;
            }
            Ok(_) => {}
        }
        if let Some(answer) = interpret(&line) {
            return answer;
        }
    }
    Answer::TooManyTries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_or_accept_accepts() {
        for yes in ["yes\n", "  YES \r\n", "Accept", "\taccept\t"] {
            assert_eq!(interpret(yes), Some(Answer::Accept), "{yes:?}");
        }
        for no in ["no\n", "Decline", " NO "] {
            assert_eq!(interpret(no), Some(Answer::Decline), "{no:?}");
        }
        for other in ["", "\n", "y", "yes please", "ok", "agree", "1", "true"] {
            assert_eq!(interpret(other), None, "{other:?}");
        }
    }
}
