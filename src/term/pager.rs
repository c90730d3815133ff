//! A full-screen pager on the alternate screen: a header with the title, the text
//! wrapped to the terminal, a status line with the position, search, and help. It
//! tells whether the reader reached the end of the text.

use super::keys::{Event, Key, KeyReader};
use super::shown::Shown;
use super::shown::shown;
use super::signals::{self, Stop};
use super::tty::Screen;
use super::wrap::{ROW_BYTES_PER_COLUMN, Row, char_width, row_at, str_width, tab_width};
use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// Smallest terminal the pager runs in; smaller ones get the plain print.
pub const MIN_COLS: u16 = 20;
/// See `MIN_COLS`.
pub const MIN_ROWS: u16 = 5;
/// Screen rows per entry of the row index: the pager remembers where every 32nd row
/// begins and lays out the rows between when it needs them.
const ROWS_PER_INDEX_ENTRY: usize = 32;
/// Bytes of text folded to lower case at a time when searching.
const SEARCH_CHUNK: usize = 64 * 1024;
/// Longest search query, in bytes.
const MAX_QUERY_BYTES: usize = 200;

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
    "  Ctrl-C  Ctrl-\\         quit without accepting",
    "",
    "Press any key to return to the text.",
];

/// The keys the status line names, most useful first; see `HELP_HINT`.
const KEY_HINTS: [&str; 4] = ["q: answer", "Space: next page", "b: back", "/: search"];
/// The hint the status line always keeps.
const HELP_HINT: &str = "h: help";

/// What the reader did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Left with q; `read_to_end` says whether the last line was ever on screen.
    Done { read_to_end: bool },
    /// A signal, or the terminal going away, ended the reading.
    Stopped(Stop),
}

/// What a key asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Redraw,
    Quit,
}

/// Memory the pager asked for and did not get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfMemory {
    /// What the memory was for.
    pub what: &'static str,
    /// How much was asked for, in bytes.
    pub bytes: usize,
}

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not enough memory for the pager's {} ({:.1} MiB)",
            self.what,
            self.bytes as f64 / (1024.0 * 1024.0)
        )
    }
}

impl std::error::Error for OutOfMemory {}

impl From<OutOfMemory> for io::Error {
    fn from(e: OutOfMemory) -> io::Error {
        io::Error::new(io::ErrorKind::OutOfMemory, e)
    }
}

/// Makes room for `bytes` bytes in `buf` (emptied first), or says what did not fit.
fn reserve(buf: &mut String, bytes: usize, what: &'static str) -> Result<(), OutOfMemory> {
    buf.clear();
    crate::alloc_guard::fallible(|| buf.try_reserve(bytes)).map_err(|_| OutOfMemory { what, bytes })
}

/// The most bytes one frame of a `rows` x `cols` screen takes, so that a buffer of
/// this capacity, reserved up front, is never grown while the terminal is ours. A
/// row shows at most `ROW_BYTES_PER_COLUMN * cols` bytes of text, each drawn as at
/// most 3 bytes (a Control Picture), tabs as at most `cols` spaces, and at most
/// `cols` highlighted matches of 13 bytes of escapes; positioning and clearing take
/// less than 64 bytes.
pub fn frame_limit(rows: u16, cols: u16) -> usize {
    let (rows, cols) = (usize::from(rows).max(3), usize::from(cols).max(2));
    256 + rows * (64 + cols * (3 * ROW_BYTES_PER_COLUMN + 16))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Reading,
    Searching(String),
    Help,
}

/// The pager's state, independent of any terminal (so it can be tested and measured).
/// It keeps no copy of the text: rows are laid out and sanitized as they are drawn.
pub struct Pager<'a> {
    title: &'a str,
    /// The text as it is, unsanitized: `shown` decides what each character draws.
    text: &'a str,
    /// Where every `ROWS_PER_INDEX_ENTRY`th screen row begins (at least one entry).
    index: Vec<u32>,
    /// How many screen rows the text wraps to (at least 1).
    row_count: usize,
    rows: usize,
    cols: usize,
    top: usize,
    /// Where the reader's place is: the first byte of the top row as the reader last
    /// moved it. Resizing lays out around it and never moves it, so that a window
    /// resized back shows the same first line.
    anchor: usize,
    reached_end: bool,
    /// The query, ASCII letters lower-cased.
    query: Option<String>,
    /// Byte offset of the match last moved to.
    last_match: Option<usize>,
    message: Option<String>,
    /// Shown in the status line, in place of the position and keys, until a key.
    notice: Option<String>,
    mode: Mode,
    colors: bool,
    /// A piece of the text folded to lower case, for search; reserved up front.
    search_buf: String,
}

/// Lays out the whole text at `cols` columns: the index and the number of rows.
fn index_rows(text: &str, cols: usize) -> Result<(Vec<u32>, usize), OutOfMemory> {
    if u32::try_from(text.len()).is_err() {
        return Err(OutOfMemory {
            what: "row index (texts up to 4 GiB)",
            bytes: text.len(),
        });
    }
    let mut index: Vec<u32> = Vec::new();
    let mut count = 0;
    let mut at = 0;
    while let Some(row) = row_at(text, at, cols) {
        if count % ROWS_PER_INDEX_ENTRY == 0 {
            if index.len() == index.capacity() {
                let more = index.len().max(1024);
                crate::alloc_guard::fallible(|| index.try_reserve(more)).map_err(|_| OutOfMemory {
                    what: "row index",
                    bytes: (index.len() + more) * 4,
                })?;
            }
            index.push(row.start as u32);
        }
        count += 1;
        at = row.next;
    }
    if index.is_empty() {
        crate::alloc_guard::fallible(|| index.try_reserve(1)).map_err(|_| OutOfMemory {
            what: "row index",
            bytes: 4,
        })?;
        index.push(0);
        count = 1;
    }
    Ok((index, count))
}

impl<'a> Pager<'a> {
    /// A pager over `text` (tabs and controls as they are) for a `rows` x `cols`
    /// terminal. Takes all the memory it needs now, or says which it could not get.
    pub fn new(
        title: &'a str,
        text: &'a str,
        rows: u16,
        cols: u16,
        colors: bool,
    ) -> Result<Pager<'a>, OutOfMemory> {
        let (rows, cols) = (usize::from(rows).max(3), usize::from(cols).max(2));
        let (index, row_count) = index_rows(text, cols)?;
        let mut search_buf = String::new();
        reserve(
            &mut search_buf,
            SEARCH_CHUNK + 4 * MAX_QUERY_BYTES + 8,
            "search buffer",
        )?;
        let mut pager = Pager {
            title,
            text,
            index,
            row_count,
            rows,
            cols,
            top: 0,
            anchor: 0,
            reached_end: false,
            query: None,
            last_match: None,
            message: None,
            notice: None,
            mode: Mode::Reading,
            colors,
            search_buf,
        };
        pager.scroll_to(0);
        Ok(pager)
    }

    /// Shows `notice` in the status line until the first key.
    pub fn set_notice(&mut self, notice: &str) {
        self.notice = Some(notice.to_owned());
    }

    /// Whether the last line of the text has been on screen.
    pub fn read_to_end(&self) -> bool {
        self.reached_end
    }

    /// The number of screen lines the text wraps to.
    pub fn line_count(&self) -> usize {
        self.row_count
    }

    /// The index of the first screen line shown.
    pub fn top(&self) -> usize {
        self.top
    }

    fn body(&self) -> usize {
        self.rows - 2
    }

    /// The row that begins at byte `at` (a row start); an empty one at the end.
    fn row_from(&self, at: usize) -> Row {
        let end = self.text.len();
        row_at(self.text, at, self.cols).unwrap_or(Row {
            start: end,
            end,
            next: end,
        })
    }

    /// Screen row `n`, laid out from the index entry before it.
    fn row(&self, n: usize) -> Row {
        let entry = (n / ROWS_PER_INDEX_ENTRY).min(self.index.len() - 1);
        let mut row = self.row_from(self.index.get(entry).map_or(0, |&at| at as usize));
        for _ in entry * ROWS_PER_INDEX_ENTRY..n.min(self.row_count - 1) {
            row = self.row_from(row.next);
        }
        row
    }

    /// The rows on screen, from the top.
    fn visible_rows(&self) -> impl Iterator<Item = Row> + '_ {
        let shown = self.body().min(self.row_count - self.top);
        std::iter::successors(Some(self.row(self.top)), |r| row_at(self.text, r.next, self.cols)).take(shown)
    }

    /// Moves the reader's place to screen row `top` (as far as the text goes).
    fn scroll_to(&mut self, top: usize) {
        self.show_from(top);
        self.anchor = self.row(self.top).start;
    }

    /// Shows the text from screen row `top`, leaving the reader's place alone.
    fn show_from(&mut self, top: usize) {
        let max_top = self.row_count.saturating_sub(self.body());
        self.top = top.min(max_top);
        if self.top + self.body() >= self.row_count {
            self.reached_end = true;
        }
    }

    /// Re-wraps for a new size, keeping the reader's place on the top line. On
    /// failure nothing changed.
    pub fn resize(&mut self, rows: u16, cols: u16) -> Result<(), OutOfMemory> {
        let cols = usize::from(cols).max(2);
        if cols != self.cols {
            let (index, row_count) = index_rows(self.text, cols)?;
            (self.index, self.row_count, self.cols) = (index, row_count, cols);
        }
        self.rows = usize::from(rows).max(3);
        let top = self.row_holding(self.anchor);
        self.show_from(top);
        Ok(())
    }

    /// The screen row that holds byte `offset`: the last that begins at or before it.
    fn row_holding(&self, offset: usize) -> usize {
        let entry = self
            .index
            .partition_point(|&at| (at as usize) <= offset)
            .saturating_sub(1);
        let mut n = entry * ROWS_PER_INDEX_ENTRY;
        let mut row = self.row_from(self.index.get(entry).map_or(0, |&at| at as usize));
        while n + 1 < self.row_count {
            let next = self.row_from(row.next);
            if next.start > offset {
                break;
            }
            (row, n) = (next, n + 1);
        }
        n
    }

    /// The screen line that holds byte `offset`: the first whose end is not before it.
    fn line_at(&self, offset: usize) -> usize {
        let entry = self
            .index
            .partition_point(|&at| (at as usize) < offset)
            .saturating_sub(1);
        let mut n = entry * ROWS_PER_INDEX_ENTRY;
        let mut row = self.row_from(self.index.get(entry).map_or(0, |&at| at as usize));
        while row.end < offset && n + 1 < self.row_count {
            row = self.row_from(row.next);
            n += 1;
        }
        n
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
        self.notice = None;
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
            // Only characters that are shown as themselves: the query is echoed.
            Key::Char(c)
                if query.len() + c.len_utf8() <= MAX_QUERY_BYTES && shown(c) == Some(c) && c != '\t' =>
            {
                query.push(c);
                self.mode = Mode::Searching(query);
            }
            _ => self.mode = Mode::Searching(query),
        }
    }

    /// Makes `query` the search that n and N repeat, without moving.
    pub fn set_query(&mut self, query: &str) {
        self.query = Some(query.to_ascii_lowercase());
        self.last_match = None;
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
        let Some(query) = self.query.take() else {
            self.message = Some("No search yet: press / to search".into());
            return;
        };
        let on_screen = self
            .last_match
            .filter(|&m| (self.top..self.top + self.body()).contains(&self.line_at(m)));
        let top_start = self.row(self.top).start;
        let found = if forward {
            let from = on_screen.map_or(top_start, |m| m + 1);
            find_forward(self.text, from, &query, &mut self.search_buf)
        } else {
            let until = on_screen.unwrap_or(top_start);
            find_backward(self.text, until, &query, &mut self.search_buf)
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
        self.query = Some(query);
    }

    /// The whole screen as one string of output: every row positioned and cleared.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    /// Draws the whole screen into `out` (emptied first), in at most
    /// `frame_limit(rows, cols)` bytes whatever the text.
    pub fn render_into(&self, out: &mut String) {
        out.clear();
        out.push_str("\x1b[?25l");
        self.render_bar(out, 1, self.title);
        let mut rows = self.visible_rows();
        for row in 0..self.body() {
            let _ = write!(out, "\x1b[{};1H", row + 2);
            if self.mode == Mode::Help {
                push_line(out, HELP.get(row).copied().unwrap_or(""), self.cols);
            } else if let Some(r) = rows.next() {
                self.render_row(out, r);
            }
            out.push_str("\x1b[K");
        }
        self.render_bar(out, self.rows, &self.status());
        if let Mode::Searching(query) = &self.mode {
            let col = (str_width(query) + 2).min(self.cols);
            let _ = write!(out, "\x1b[{};{col}H\x1b[?25h", self.rows);
        }
    }

    /// A full-width bar (header or status line) on screen row `row` (from 1).
    fn render_bar(&self, out: &mut String, row: usize, text: &str) {
        let _ = write!(out, "\x1b[{row};1H{}", self.style_bar());
        let width = push_line(out, text, self.cols);
        pad(out, self.cols.saturating_sub(width));
        out.push_str("\x1b[0m");
    }

    /// One row of the text as it is shown, matches of the query highlighted.
    fn render_row(&self, out: &mut String, row: Row) {
        let line = self.text.get(row.start..row.end).unwrap_or("");
        let query = self.query.as_deref().filter(|q| !q.is_empty());
        let mut col = 0;
        // End of the match being highlighted; how many highlights this row began.
        let (mut match_end, mut lit, mut highlights) = (0, false, 0);
        for (i, c) in line.char_indices() {
            if let Some(q) = query
                && i >= match_end
                && (lit || highlights < self.cols)
                && starts_with_folded(&line[i..], q)
            {
                if !lit {
                    out.push_str(self.style_match());
                    (lit, highlights) = (true, highlights + 1);
                }
                match_end = i + q.len();
            }
            if lit && i >= match_end {
                out.push_str("\x1b[0m");
                lit = false;
            }
            match shown(c) {
                None => {}
                Some('\t') => {
                    let n = tab_width(col, self.cols);
                    pad(out, n);
                    col += n;
                }
                Some(s) => {
                    out.push(s);
                    col += char_width(s);
                }
            }
        }
        if lit {
            out.push_str("\x1b[0m");
        }
    }

    fn status(&self) -> String {
        if let Mode::Searching(query) = &self.mode {
            return format!("/{query}");
        }
        if self.mode == Mode::Help {
            return "Help: press any key to return".into();
        }
        let total = self.row_count;
        let last = (self.top + self.body()).min(total);
        let percent = last * 100 / total.max(1);
        let position = format!("lines {}-{last} of {total}, {percent}%", self.top + 1);
        if let Some(notice) = &self.notice {
            return notice.clone();
        }
        if let Some(message) = &self.message {
            return format!("{position}  {message}");
        }
        if last >= total {
            return format!("{position}  END of the text: press q to answer");
        }
        // Whole hints only, as many as fit before "h: help", which always stays.
        let mut status = position;
        let room = self.cols.saturating_sub(str_width(HELP_HINT) + 2);
        for hint in KEY_HINTS {
            if str_width(&status) + 2 + str_width(hint) <= room {
                status.push_str("  ");
                status.push_str(hint);
            }
        }
        status.push_str("  ");
        status.push_str(HELP_HINT);
        status
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

/// Whether `s` begins with `query` (lower-case), ASCII case ignored.
fn starts_with_folded(s: &str, query: &str) -> bool {
    s.len() >= query.len() && s.as_bytes()[..query.len()].eq_ignore_ascii_case(query.as_bytes())
}

/// The first match of `query` (lower-case) in `text` at or after byte `from`, ASCII
/// case ignored. Folds one piece of the text at a time into `buf`, whose capacity
/// was reserved for a piece: no copy of the text is made.
fn find_forward(text: &str, from: usize, query: &str, buf: &mut String) -> Option<usize> {
    let mut start = text.ceil_char_boundary(from.min(text.len()));
    loop {
        let end = text.floor_char_boundary(start + SEARCH_CHUNK + query.len());
        buf.clear();
        buf.push_str(&text[start..end]);
        buf.make_ascii_lowercase();
        if let Some(at) = buf.find(query) {
            return Some(start + at);
        }
        if end >= text.len() {
            return None;
        }
        // The next piece overlaps this one, so that a match across the seam is found.
        start = text.floor_char_boundary(end + 1 - query.len().max(1));
    }
}

/// The last match of `query` (lower-case) that ends at or before byte `until`; see
/// `find_forward`.
fn find_backward(text: &str, until: usize, query: &str, buf: &mut String) -> Option<usize> {
    let mut end = text.floor_char_boundary(until);
    loop {
        let start = text.floor_char_boundary(end.saturating_sub(SEARCH_CHUNK + query.len()));
        buf.clear();
        buf.push_str(&text[start..end]);
        buf.make_ascii_lowercase();
        if let Some(at) = buf.rfind(query) {
            return Some(start + at);
        }
        if start == 0 {
            return None;
        }
        end = text.ceil_char_boundary(start + query.len().max(1) - 1);
    }
}

/// Writes `s` as it is shown, on one line (line feeds and tabs as spaces), clipped to
/// `cols` columns and to a row's worth of bytes; returns the columns used.
fn push_line(out: &mut String, s: &str, cols: usize) -> usize {
    let mut width = 0;
    for (i, c) in s.char_indices() {
        let c = match c {
            '\n' | '\t' => ' ',
            c => match shown(c) {
                Some(c) => c,
                None => continue,
            },
        };
        let w = char_width(c);
        if width + w > cols || i >= ROW_BYTES_PER_COLUMN * cols {
            break;
        }
        out.push(c);
        width += w;
    }
    width
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// The terminal size as (rows, cols), if standard output is a terminal.
pub fn terminal_size() -> Option<(u16, u16)> {
    console::Term::stdout().size_checked()
}

/// Pages `text` (as it is: the pager shows controls harmlessly and lays out tabs)
/// full-screen until the reader presses q. All the memory the pager needs is taken
/// before the terminal is switched, so that running short of it is an error on a
/// terminal left as it was, not an abort on a raw one.
/// `jump`, where given, is the search that n and N repeat from the start.
pub fn page(
    title: Shown<'_>,
    text: Shown<'_>,
    notice: Option<&str>,
    jump: Option<&str>,
) -> io::Result<Outcome> {
    let (rows, cols) = terminal_size().unwrap_or((24, 80));
    let mut pager = Pager::new(title.raw(), text.raw(), rows, cols, console::colors_enabled())?;
    if let Some(notice) = notice {
        pager.set_notice(notice);
    }
    if let Some(query) = jump {
        pager.set_query(query);
    }
    let mut frame = String::new();
    reserve(&mut frame, frame_limit(rows, cols), "screen buffer")?;
    let mut keys = KeyReader::new(super::keys::Terminal::open());
    let screen = Screen::enter()?;
    let mut out = io::stdout();
    loop {
        pager.render_into(&mut frame);
        if out
            .write_all(frame.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(Outcome::Stopped(Stop::HungUp));
        }
        let mut check = || {
            signals::pending_stop()
                .map(Event::Stop)
                .or_else(|| signals::take_resized().then_some(Event::Resize))
        };
        match keys.next(&mut check) {
            Event::Resize => {
                if let Some((rows, cols)) = terminal_size() {
                    // On failure the error leaves through `screen`, which restores.
                    reserve(&mut frame, frame_limit(rows, cols), "screen buffer")?;
                    pager.resize(rows, cols)?;
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
            Event::Gone => return Ok(Outcome::Stopped(Stop::HungUp)),
            Event::Stop(stop) => return Ok(Outcome::Stopped(stop)),
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
        let mut p = Pager::new("T", &t, 24, 80, false).unwrap();
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
        assert!(Pager::new("T", &t, 24, 80, false).unwrap().read_to_end());
    }

    #[test]
    fn search_moves_to_the_match_and_reports_misses() {
        let t = format!("{}The WARRANTY clause\n{}", text(50), text(50));
        let mut p = Pager::new("T", &t, 10, 40, false).unwrap();
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
        let mut p = Pager::new("T", &t, 24, 80, false).unwrap();
        p.handle(Key::Char(' '));
        p.handle(Key::Char(' '));
        let offset = p.row(p.top()).start;
        p.resize(24, 40).unwrap();
        let r = p.row(p.top());
        assert!(r.start <= offset && offset <= r.end + 1, "{r:?} vs {offset}");
    }

    #[test]
    fn resizing_back_and_forth_never_moves_the_place() {
        let t = include_str!("../../assets/licenses/portsip-eula.txt");
        let mut moved = Vec::new();
        for top in 0..400 {
            let mut p = Pager::new("T", t, 24, 80, false).unwrap();
            p.scroll_to(top);
            let first = p.row(p.top());
            for _ in 0..3 {
                for cols in [40, 120, 80] {
                    p.resize(24, cols).unwrap();
                }
            }
            if p.row(p.top()) != first {
                moved.push(top);
            }
        }
        assert!(moved.is_empty(), "the place moved from these tops: {moved:?}");
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
        )
        .unwrap();
        let frame = p.render();
        for row in frame
            .split("\x1b[")
            .filter_map(|s| s.split_once('H').map(|(_, rest)| rest))
        {
            let visible: String = row.split("\x1b[").next().unwrap_or("").to_owned();
            assert!(str_width(&visible) <= 30, "{visible:?}");
        }
    }

    /// Rows 0.. as the old pager listed them, from the index.
    fn all_rows(p: &Pager) -> Vec<Row> {
        (0..p.line_count()).map(|n| p.row(n)).collect()
    }

    #[test]
    fn rows_from_the_index_are_the_rows_of_one_pass_and_line_at_finds_them() {
        let t = format!("{}\n\n{}", "word ".repeat(3000), "許諾契約 ".repeat(700)) + &text(200);
        let p = Pager::new("T", &t, 24, 37, false).unwrap();
        let expected: Vec<_> = super::super::wrap::wrap(&t, 37);
        let rows = all_rows(&p);
        assert_eq!(rows.iter().map(|r| r.start..r.end).collect::<Vec<_>>(), expected);
        for (n, r) in rows.iter().enumerate() {
            assert_eq!(
                p.line_at(r.start),
                if n > 0 && rows[n - 1].end == r.start {
                    n - 1
                } else {
                    n
                }
            );
            assert_eq!(p.line_at(r.end), n);
        }
    }

    #[test]
    fn a_frame_is_a_screen_worth_of_bytes_whatever_the_text() {
        let zero_width = format!("x{}\n", "\u{200B}".repeat(2_000_000));
        let combining = format!("e{}\n", "\u{301}".repeat(2_000_000));
        let controls = "\x1b".repeat(1 << 20) + "\n";
        let tabs = "\t".repeat(1 << 20) + "x\n";
        let bidi = "\u{202E}".repeat(1 << 20) + "\n";
        for (name, t) in [
            ("zero-width", &zero_width),
            ("combining", &combining),
            ("controls", &controls),
            ("tabs", &tabs),
            ("bidi", &bidi),
        ] {
            for (rows, cols) in [(24, 80), (5, 20), (50, 200)] {
                let mut p = Pager::new(t, t, rows, cols, true).unwrap();
                let last: String = t.trim_end().chars().rev().take(2).collect();
                p.search(&last);
                for key in [Key::Char(' '), Key::End, Key::Char('N'), Key::Char('/')] {
                    p.handle(key);
                    let frame = p.render();
                    // A screen's worth: a small constant per cell.
                    let bound = frame_limit(rows, cols);
                    assert!(bound <= 64 * usize::from(rows) * usize::from(cols) + 4096);
                    assert!(
                        frame.len() <= bound,
                        "{name} {rows}x{cols}: {} > {bound}",
                        frame.len()
                    );
                }
            }
        }
    }

    #[test]
    fn the_header_is_one_row_without_raw_tabs_or_line_feeds() {
        let title = "Evil\ntitle\twith \u{1b}[2J and a very long tail that goes on and on past the edge";
        let p = Pager::new(title, "text\n", 10, 30, false).unwrap();
        let frame = p.render();
        let header = frame.split("\x1b[2;1H").next().unwrap();
        assert!(!header.contains('\n') && !header.contains('\t'), "{header:?}");
        assert!(header.contains("Evil title with \u{241B}[2J and"), "{header:?}");
        assert!(!header.contains("\x1b[2J"));
        let shown = header
            .split("\x1b[0;7m")
            .nth(1)
            .unwrap()
            .split("\x1b[0m")
            .next()
            .unwrap();
        assert_eq!(str_width(shown), 30);
    }

    #[test]
    fn search_ignores_ascii_case_across_pieces_and_finds_the_last_match_backwards() {
        // Matches far apart, one across the seam of two pieces of the search.
        let mut t = "abc ".repeat(SEARCH_CHUNK / 4 - 1) + "ab";
        t += "Cdef\n";
        t += &"filler line\n".repeat(10_000);
        t += "ABCD again\n";
        t += &"more filler\n".repeat(100);
        let mut p = Pager::new("T", &t, 10, 40, false).unwrap();
        p.search("abcd");
        let first = p.last_match.unwrap();
        assert_eq!(&t[first..first + 4], "abCd");
        p.handle(Key::Char('n'));
        let second = p.last_match.unwrap();
        assert_eq!(&t[second..second + 4], "ABCD");
        p.handle(Key::Char('G'));
        p.handle(Key::Char('N'));
        assert_eq!(p.last_match, Some(second));
        p.handle(Key::Char('N'));
        assert_eq!(p.last_match, Some(first));
        // A query that begins with a wide character moves on after a match too.
        let t = "許諾 one\n".repeat(40);
        let mut p = Pager::new("T", &t, 10, 40, false).unwrap();
        p.search("許諾");
        p.handle(Key::Char('n'));
        assert!(p.message.is_none(), "{:?}", p.message);
    }

    #[test]
    fn the_query_takes_only_characters_shown_as_themselves() {
        let mut p = Pager::new("T", "text\n", 10, 40, false).unwrap();
        for key in [
            Key::Char('/'),
            Key::Char('a'),
            Key::Char('\u{9b}'),
            Key::Char('\u{202E}'),
            Key::Char('b'),
        ] {
            p.handle(key);
        }
        assert_eq!(p.mode, Mode::Searching("ab".into()));
    }
}
