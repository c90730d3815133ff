//! The typed question: only `yes` or `accept` accepts; nothing is accepted by default.

use std::io::{self, BufRead, Write};

/// How many answers are asked for before the question counts as declined.
pub const MAX_ATTEMPTS: usize = 3;
/// Longest answer line kept, in bytes; a longer line is one unclear answer.
const MAX_ANSWER_BYTES: usize = 1024;

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
        match read_answer(&mut stdin.lock(), MAX_ANSWER_BYTES) {
            Ok(Line::Answer(line)) => {
                if let Some(answer) = interpret(&line) {
                    return answer;
                }
            }
            Ok(Line::TooLong) => {}
            Ok(Line::End) | Err(_) => {
                let _ = writeln!(out);
                return Answer::EndOfInput;
            }
        }
    }
    Answer::TooManyTries
}

/// One line of input, as the question sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line of at most the limit (without its line end); not UTF-8 is shown lossily.
    Answer(String),
    /// A line longer than the limit: read to its end and thrown away.
    TooLong,
    /// Input ended before a line began.
    End,
}

/// Reads one line of at most `limit` bytes. A longer line is consumed up to and
/// including its line feed, keeping nothing of it, so that it counts as one answer
/// and memory stays bounded whatever is typed or piped.
pub fn read_answer(input: &mut impl BufRead, limit: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        read_any = true;
        let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..at], at + 1, true),
            None => (buf, buf.len(), false),
        };
        if !too_long {
            if line.len() + chunk.len() > limit {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        input.consume(used);
        if done {
            break;
        }
    }
    Ok(if too_long {
        Line::TooLong
    } else if read_any {
        Line::Answer(String::from_utf8_lossy(&line).into_owned())
    } else {
        Line::End
    })
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

    #[test]
    fn an_over_long_line_is_one_answer_and_is_read_to_its_end() {
        let long_yes = format!("{}yes\n", "x".repeat(5000));
        let input = format!("{long_yes}{}\nyes\n{}", "y".repeat(1025), "z".repeat(3000));
        // A small buffer, so that the long lines arrive in many pieces.
        let mut reader = io::BufReader::with_capacity(16, input.as_bytes());
        assert_eq!(read_answer(&mut reader, 1024).unwrap(), Line::TooLong);
        assert_eq!(read_answer(&mut reader, 1024).unwrap(), Line::TooLong);
        assert_eq!(
            read_answer(&mut reader, 1024).unwrap(),
            Line::Answer("yes".into())
        );
        // A long last line without a line end is one answer too; then the input ends.
        assert_eq!(read_answer(&mut reader, 1024).unwrap(), Line::TooLong);
        assert_eq!(read_answer(&mut reader, 1024).unwrap(), Line::End);
    }

    #[test]
    fn a_pipe_carries_a_5000_byte_line_that_still_counts_once() {
        let (reader, mut writer) = io::pipe().unwrap();
        let feeder = std::thread::spawn(move || {
            writer.write_all(format!("{}yes\nyes\n", "x".repeat(5000)).as_bytes())
        });
        let mut reader = io::BufReader::new(reader);
        assert_eq!(read_answer(&mut reader, MAX_ANSWER_BYTES).unwrap(), Line::TooLong);
        assert_eq!(
            read_answer(&mut reader, MAX_ANSWER_BYTES).unwrap(),
            Line::Answer("yes".into())
        );
        feeder.join().unwrap().unwrap();
        assert_eq!(read_answer(&mut reader, MAX_ANSWER_BYTES).unwrap(), Line::End);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept_and_not_utf8_is_not_an_error() {
        let exact = format!("{}\n", "a".repeat(1024));
        let mut reader = exact.as_bytes();
        assert_eq!(
            read_answer(&mut reader, 1024).unwrap(),
            Line::Answer("a".repeat(1024))
        );
        let mut reader = &b"y\xffs\n\n"[..];
        assert_eq!(
            read_answer(&mut reader, 1024).unwrap(),
            Line::Answer("y\u{FFFD}s".into())
        );
        assert_eq!(
            read_answer(&mut reader, 1024).unwrap(),
            Line::Answer(String::new())
        );
        assert_eq!(read_answer(&mut reader, 1024).unwrap(), Line::End);
    }
}
