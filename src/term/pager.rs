//! A full-screen pager on the alternate screen: a header with the title, the text
//! wrapped to the terminal, a status line with the position, search, and help. It
//! tells whether the reader reached the end of the text.

use super::keys::{Event, Key, KeyReader};
use super::signals;
use super::wrap::{str_width, wrap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

/// Smallest terminal the pager runs in; smaller ones get the plain print.
pub const MIN_COLS: u16 = 20;
/// See `MIN_COLS`.
pub const MIN_ROWS: u16 = 5;

const HELP: &[&str] = &[
    "Keys",
    "",
    "  Space  PageDown  f     next page",
    "  b  PageUp              previous page",
    "  Down  j  Enter         next line",
    "  Up  k                  previous line",
    "  g  Home                top",
    "  G  End                 end",
    "  /                      search forward (type, then Enter)",
    "  n  N                   next / previous match",
    "  q                      leave the pager and answer",
    "  h  ?                   this help",
    "  Ctrl-C                 quit without accepting",
    "",
    "Press any key to return to the text.",
];

/// What the reader did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Left with q; `read_to_end` says whether the last line was ever on screen.
    Done { read_to_end: bool },
    /// The terminal went away.
    Gone,
}

/// What a key asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Redraw,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Reading,
    Searching(String),
    Help,
}

/// The pager's state, independent of any terminal (so it can be tested and measured).
pub struct Pager<'a> {
    title: &'a str,
    text: &'a str,
    /// `text` with ASCII letters lower-cased (same byte offsets), for search.
    folded: String,
    lines: Vec<Range<usize>>,
    rows: usize,
    cols: usize,
    top: usize,
    reached_end: bool,
    query: Option<String>,
    /// Byte offset of the match last moved to.
    last_match: Option<usize>,
    message: Option<String>,
    mode: Mode,
    colors: bool,
}

impl<'a> Pager<'a> {
    /// A pager over `text` (sanitized, tabs expanded) for a `rows` x `cols` terminal.
    pub fn new(title: &'a str, text: &'a str, rows: u16, cols: u16, colors: bool) -> Pager<'a> {
        let (rows, cols) = (usize::from(rows).max(3), usize::from(cols).max(2));
        let mut pager = Pager {
            title,
            text,
            folded: text.to_ascii_lowercase(),
            lines: wrap(text, cols),
            rows,
            cols,
            top: 0,
            reached_end: false,
            query: None,
            last_match: None,
            message: None,
            mode: Mode::Reading,
            colors,
        };
        pager.scroll_to(0);
        pager
    }

    /// Whether the last line of the text has been on screen.
    pub fn read_to_end(&self) -> bool {
        self.reached_end
    }

    /// The number of screen lines the text wraps to.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// The index of the first screen line shown.
    pub fn top(&self) -> usize {
        self.top
    }

    fn body(&self) -> usize {
        self.rows - 2
    }

    fn scroll_to(&mut self, top: usize) {
        let max_top = self.lines.len().saturating_sub(self.body());
        self.top = top.min(max_top);
        if self.top + self.body() >= self.lines.len() {
            self.reached_end = true;
        }
    }

    /// Re-wraps for a new size, keeping the first line the reader saw at the top.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let anchor = self.lines.get(self.top).map_or(0, |r| r.start);
        self.rows = usize::from(rows).max(3);
        if usize::from(cols).max(2) != self.cols {
            self.cols = usize::from(cols).max(2);
            self.lines = wrap(self.text, self.cols);
        }
        let top = self.line_at(anchor);
        self.scroll_to(top);
    }

    /// The screen line that holds byte `offset`.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|r| r.end < offset)
            .min(self.lines.len().saturating_sub(1))
    }

    /// Acts on one key.
    pub fn handle(&mut self, key: Key) -> Action {
        match std::mem::replace(&mut self.mode, Mode::Reading) {
            Mode::Help => Action::Redraw,
            Mode::Searching(query) => {
                self.handle_search_key(query, key);
                Action::Redraw
            }
            Mode::Reading => self.handle_reading_key(key),
        }
    }

    fn handle_reading_key(&mut self, key: Key) -> Action {
        self.message = None;
        let page = self.body().saturating_sub(1).max(1);
        match key {
            Key::Char(' ' | 'f') | Key::PageDown => self.scroll_to(self.top + page),
            Key::Char('b') | Key::PageUp => self.scroll_to(self.top.saturating_sub(page)),
            Key::Char('j') | Key::Down | Key::Enter => self.scroll_to(self.top + 1),
            Key::Char('k') | Key::Up => self.scroll_to(self.top.saturating_sub(1)),
            Key::Char('g') | Key::Home => self.scroll_to(0),
            Key::Char('G') | Key::End => self.scroll_to(usize::MAX),
            Key::Char('/') => self.mode = Mode::Searching(String::new()),
            Key::Char('n') => self.find_next(true),
            Key::Char('N') => self.find_next(false),
            Key::Char('h' | '?') => self.mode = Mode::Help,
            Key::Char('q') => return Action::Quit,
            _ => {}
        }
        Action::Redraw
    }

    fn handle_search_key(&mut self, mut query: String, key: Key) {
        match key {
            Key::Enter if query.is_empty() => self.find_next(true),
            Key::Enter => self.search(&query),
            Key::Escape => {}
            Key::Backspace => {
                if query.pop().is_some() {
                    self.mode = Mode::Searching(query);
                }
            }
            Key::Char(c) if query.len() < 200 => {
                query.push(c);
                self.mode = Mode::Searching(query);
            }
            _ => self.mode = Mode::Searching(query),
        }
    }

    /// Searches forward for `query` (ASCII case ignored) and moves to the first match.
    pub fn search(&mut self, query: &str) {
        self.query = Some(query.to_ascii_lowercase());
        self.last_match = None;
        self.find_next(true);
    }

    /// Moves to the next (or previous) match of the query: after the match last found
    /// while it is on screen, else from the top line; says "not found" when there is none.
    pub fn find_next(&mut self, forward: bool) {
        let Some(query) = self.query.clone() else {
            self.message = Some("No search yet: press / to search".into());
            return;
        };
        let on_screen = self
            .last_match
            .filter(|&m| (self.top..self.top + self.body()).contains(&self.line_at(m)));
        let top_start = self.lines.get(self.top).map_or(0, |r| r.start);
        let found = if forward {
            let from = on_screen.map_or(top_start, |m| m + 1);
            self.folded
                .get(from..)
                .and_then(|rest| rest.find(&query))
                .map(|at| from + at)
        } else {
            let until = on_screen.unwrap_or(top_start);
            self.folded[..until].rfind(&query)
        };
        match found {
            Some(at) => {
                self.last_match = Some(at);
                self.scroll_to(self.line_at(at));
            }
            None => {
                let direction = if forward { "below" } else { "above" };
                self.message = Some(format!("Pattern not found {direction}: {query}"));
            }
        }
    }

    /// The whole screen as one string of output: every row positioned and cleared.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity((self.rows + 1) * (self.cols + 16));
        out.push_str("\x1b[?25l");
        self.render_bar(&mut out, 1, self.title);
        for row in 0..self.body() {
            let _ = write!(out, "\x1b[{};1H", row + 2);
            if self.mode == Mode::Help {
                out.push_str(clip(HELP.get(row).copied().unwrap_or(""), self.cols));
            } else if let Some(range) = self.lines.get(self.top + row) {
                self.render_line(&mut out, range.clone());
            }
            out.push_str("\x1b[K");
        }
        self.render_bar(&mut out, self.rows, &self.status());
        if let Mode::Searching(query) = &self.mode {
            let col = (str_width(query) + 2).min(self.cols);
            let _ = write!(out, "\x1b[{};{col}H\x1b[?25h", self.rows);
        }
        out
    }

    /// A full-width bar (header or status line) on screen row `row` (from 1).
    fn render_bar(&self, out: &mut String, row: usize, text: &str) {
        let text = clip(text, self.cols);
        let _ = write!(out, "\x1b[{row};1H{}{text}", self.style_bar());
        pad(out, self.cols - str_width(text));
        out.push_str("\x1b[0m");
    }

    fn render_line(&self, out: &mut String, range: Range<usize>) {
        let line = &self.text[range.clone()];
        let Some(query) = self.query.as_deref().filter(|q| !q.is_empty()) else {
            out.push_str(line);
            return;
        };
        let folded = &self.folded[range];
        let mut at = 0;
        while let Some(found) = folded[at..].find(query) {
            let start = at + found;
            let end = start + query.len();
            out.push_str(&line[at..start]);
            let _ = write!(out, "{}{}\x1b[0m", self.style_match(), &line[start..end]);
            at = end;
        }
        out.push_str(&line[at..]);
    }

    fn status(&self) -> String {
        if let Mode::Searching(query) = &self.mode {
            return format!("/{query}");
        }
        if self.mode == Mode::Help {
            return "Help: press any key to return".into();
        }
        let total = self.lines.len();
        let last = (self.top + self.body()).min(total);
        let percent = last * 100 / total.max(1);
        let position = format!("lines {}-{last} of {total}, {percent}%", self.top + 1);
        if let Some(message) = &self.message {
            return format!("{position}  {message}");
        }
        if last >= total {
            format!("{position}  END of the text: press q to answer")
        } else {
            format!("{position}  Space: next page  b: back  /: search  q: answer  h: help")
        }
    }

    fn style_bar(&self) -> &'static str {
        if self.colors {
            "\x1b[0;1;97;44m"
        } else {
            "\x1b[0;7m"
        }
    }

    fn style_match(&self) -> &'static str {
        if self.colors { "\x1b[30;103m" } else { "\x1b[7m" }
    }
}

/// The longest prefix of `s` that fits in `cols` columns.
fn clip(s: &str, cols: usize) -> &str {
    let mut width = 0;
    for (i, c) in s.char_indices() {
        width += super::wrap::char_width(c);
        if width > cols {
            return &s[..i];
        }
    }
    s
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Holds the terminal in raw mode on the alternate screen; puts it back when dropped.
struct Screen;

impl Screen {
    fn enter() -> io::Result<Screen> {
        let fd = libc::STDIN_FILENO;
        // SAFETY: termios is plain data filled by tcgetattr, whose result is checked.
        let mut mode: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut mode) } != 0 {
            return Err(io::Error::last_os_error());
        }
        signals::save_terminal_mode(&mode);
        let mut raw = mode;
        // Keys one at a time, unechoed; ISIG stays on so Ctrl-C is SIGINT everywhere.
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::IEXTEN);
        raw.c_iflag &= !(libc::IXON | libc::ICRNL);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: a valid termios for our terminal.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        signals::set_alternate_screen(true);
        let mut out = io::stdout().lock();
        out.write_all(b"\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J")?;
        out.flush()?;
        Ok(Screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        signals::restore_terminal();
    }
}

/// The terminal size as (rows, cols), if standard output is a terminal.
pub fn terminal_size() -> Option<(u16, u16)> {
    console::Term::stdout().size_checked()
}

/// Pages `text` (sanitized, tabs expanded) full-screen until the reader presses q.
pub fn page(title: &str, text: &str) -> io::Result<Outcome> {
    let (rows, cols) = terminal_size().unwrap_or((24, 80));
    let screen = Screen::enter()?;
    let mut pager = Pager::new(title, text, rows, cols, console::colors_enabled());
    let mut keys = KeyReader::new(libc::STDIN_FILENO);
    let mut out = io::stdout();
    loop {
        if out
            .write_all(pager.render().as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(Outcome::Gone);
        }
        match keys.next(&mut signals::take_resized) {
            Event::Resize => {
                if let Some((rows, cols)) = terminal_size() {
                    pager.resize(rows, cols);
                }
            }
            Event::Key(key) => {
                if pager.handle(key) == Action::Quit {
                    drop(screen);
                    return Ok(Outcome::Done {
                        read_to_end: pager.read_to_end(),
                    });
                }
            }
            Event::Gone => return Ok(Outcome::Gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: usize) -> String {
        (1..=lines).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn paging_reaches_the_end_and_says_so() {
        let t = text(100);
        let mut p = Pager::new("T", &t, 24, 80, false);
        assert!(!p.read_to_end());
        assert!(p.status().starts_with("lines 1-22 of 100, 22%"));
        p.handle(Key::Char(' '));
        assert_eq!(p.top(), 21);
        p.handle(Key::End);
        assert!(p.read_to_end());
        assert!(p.status().contains("lines 79-100 of 100, 100%  END"));
        p.handle(Key::Char('g'));
        assert_eq!(p.top(), 0);
        assert_eq!(p.handle(Key::Char('q')), Action::Quit);
    }

    #[test]
    fn a_short_text_is_read_at_once() {
        let t = text(3);
        assert!(Pager::new("T", &t, 24, 80, false).read_to_end());
    }

    #[test]
    fn search_moves_to_the_match_and_reports_misses() {
        let t = format!("{}The WARRANTY clause\n{}", text(50), text(50));
        let mut p = Pager::new("T", &t, 10, 40, false);
        for key in [
            Key::Char('/'),
            Key::Char('w'),
            Key::Char('a'),
            Key::Char('r'),
            Key::Enter,
        ] {
            p.handle(key);
        }
        assert_eq!(p.top(), 50);
        assert!(p.render().contains("\x1b[7mWAR\x1b[0mRANTY"));
        p.handle(Key::Char('n'));
        assert!(
            p.status().contains("Pattern not found below: war"),
            "{}",
            p.status()
        );
        p.handle(Key::Char('g'));
        p.handle(Key::Char('n'));
        assert_eq!(p.top(), 50);
    }

    #[test]
    fn resizing_keeps_the_place() {
        let t = "word ".repeat(2000) + "\n";
        let mut p = Pager::new("T", &t, 24, 80, false);
        p.handle(Key::Char(' '));
        p.handle(Key::Char(' '));
        let offset = p.lines[p.top()].start;
        p.resize(24, 40);
        let r = &p.lines[p.top()];
        assert!(r.start <= offset && offset <= r.end + 1, "{r:?} vs {offset}");
    }

    #[test]
    fn every_rendered_row_fits_the_width() {
        let t = "許諾 ".repeat(500) + "\n" + &"x".repeat(300) + "\n";
        let p = Pager::new(
            "A very long title that will not fit in thirty columns",
            &t,
            10,
            30,
            true,
        );
        let frame = p.render();
        for row in frame
            .split("\x1b[")
            .filter_map(|s| s.split_once('H').map(|(_, rest)| rest))
        {
            let visible: String = row.split("\x1b[").next().unwrap_or("").to_owned();
            assert!(str_width(&visible) <= 30, "{visible:?}");
        }
    }
}
