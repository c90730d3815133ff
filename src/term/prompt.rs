//! The typed question: only `yes` or `accept` accepts; nothing is accepted by default.

use super::signals::{self, Stop};
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
    /// Standard input ended (Ctrl-D).
    EndOfInput,
    /// `MAX_ATTEMPTS` answers that were neither.
    TooManyTries,
}

/// What one typed line means: an answer, a wish to read the text again, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Answer(Answer),
    /// Typed `show` or `read`: page the text again. Never an answer, never a try.
    ShowAgain,
}

/// What one typed line means.
pub fn interpret(line: &str) -> Option<Reply> {
    let word = line.trim();
    let is = |w: &str| word.eq_ignore_ascii_case(w);
    if is("yes") || is("accept") {
        Some(Reply::Answer(Answer::Accept))
    } else if is("no") || is("decline") {
        Some(Reply::Answer(Answer::Decline))
    } else if is("show") || is("read") {
        Some(Reply::ShowAgain)
    } else {
        None
    }
}

/// The question, asked on the terminal: `tries` counts the unclear answers so far
/// (kept across a return to the text, so that reading again never adds a try).
pub struct Question<'a> {
    title: &'a str,
    tries: usize,
    asked: bool,
    input: io::BufReader<TtyInput>,
}

impl<'a> Question<'a> {
    /// A question about `title` (shown through `shown`).
    pub fn new(title: &'a str) -> Question<'a> {
        Question {
            title,
            tries: 0,
            asked: false,
            input: io::BufReader::with_capacity(MAX_ANSWER_BYTES, TtyInput(super::keys::Terminal::open())),
        }
    }

    /// Asks until a reply: an answer, or a wish to see the text again. `Err` when a
    /// signal stopped the wait or the terminal went away.
    pub fn ask(&mut self) -> Result<Reply, Stop> {
        let bold = console::Style::new().bold();
        let mut out = std::io::stdout();
        loop {
            if self.tries >= MAX_ATTEMPTS {
                return Ok(Reply::Answer(Answer::TooManyTries));
            }
            if self.tries == 0 {
                let again = if self.asked { "" } else { "\n" };
                let _ = write!(
                    out,
                    "{again}Do you accept the terms of the {}? (Type {} to read it again.)\n\
                     Type {} to accept or {} to decline: ",
                    bold.apply_to(super::shown::Shown::new(self.title)),
                    bold.apply_to("show"),
                    bold.apply_to("yes"),
                    bold.apply_to("no")
                );
            } else {
                let _ = write!(
                    out,
                    "Please type {} to accept or {} to decline (answer {} of {MAX_ATTEMPTS}): ",
                    bold.apply_to("yes"),
                    bold.apply_to("no"),
                    self.tries + 1
                );
            }
            self.asked = true;
            let _ = out.flush();
            match read_answer(&mut self.input, MAX_ANSWER_BYTES) {
                Ok(Line::Answer(line)) => match interpret(&line) {
                    Some(reply) => return Ok(reply),
                    None => self.tries += 1,
                },
                Ok(Line::TooLong) => self.tries += 1,
                Ok(Line::End) => {
                    let _ = writeln!(out);
                    return Ok(Reply::Answer(Answer::EndOfInput));
                }
                Err(_) => {
                    let _ = writeln!(out);
                    return Err(signals::pending_stop().unwrap_or(Stop::HungUp));
                }
            }
        }
    }
}

/// Standard input, read through poll so that a signal is seen at once: a read
/// returns an error when a signal asked the wait to stop. Reads never block (see
/// `keys::Terminal`): a line that a signal key flushed away is waited for again.
struct TtyInput(super::keys::Terminal);

impl io::Read for TtyInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if signals::pending_stop().is_some() {
                return Err(io::Error::other("stopped by a signal"));
            }
            if !super::keys::wait_readable(&self.0, 200)? {
                continue;
            }
            match rustix::io::read(&self.0, &mut *buf) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
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
            assert_eq!(interpret(yes), Some(Reply::Answer(Answer::Accept)), "{yes:?}");
        }
        for no in ["no\n", "Decline", " NO "] {
            assert_eq!(interpret(no), Some(Reply::Answer(Answer::Decline)), "{no:?}");
        }
        for again in ["show", " READ \n"] {
            assert_eq!(interpret(again), Some(Reply::ShowAgain), "{again:?}");
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
