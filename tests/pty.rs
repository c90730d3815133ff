//! The interactive gate in a real pseudo-terminal: typed answers, Ctrl-C, hang-up.

mod common;

use common::Env;
use common::pty::Pty;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

fn gate_on_pty(env: &Env, args: &[&str], vars: &[(&str, &str)], rows: u16, cols: u16) -> Pty {
    Pty::spawn(gate_cmd(env, args, vars), rows, cols)
}

fn gate_cmd(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(common::binary());
    for var in common::GATE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", env.path("home"))
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .env("TERM", "xterm");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.args(args);
    cmd
}

fn plain(env: &Env) -> Pty {
    gate_on_pty(env, &["--plain"], &[], 24, 80)
}

#[track_caller]
fn assert_exit(status: std::process::ExitStatus, code: i32) {
    assert_eq!(
        status.code(),
        Some(code),
        "status {status:?} (signal {:?})",
        status.signal()
    );
}

#[test]
fn typing_yes_after_the_text_accepts() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("PORTSIP DISCLAIMS ANY EXPRESS OR IMPLIED WARRANTY");
    pty.expect("Type yes to accept or no to decline");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    let receipt = env.read_receipt("portsip-pbx");
    assert_eq!(receipt["method"], "interactive");
    assert!(common::python_receipt_digest_ok(&env.receipt("portsip-pbx")));
}

#[test]
fn typing_no_declines_with_exit_3_and_writes_nothing() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline");
    pty.send("  No \r");
    assert_exit(pty.wait(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn enter_alone_never_accepts_and_three_wrong_answers_decline() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send("\r");
    pty.expect("(answer 2 of 3)");
    pty.send("y\r");
    pty.expect("(answer 3 of 3)");
    pty.send("ok\r");
    assert_exit(pty.wait(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn a_wrong_answer_then_accept_accepts() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send("maybe\r");
    pty.expect("(answer 2 of 3)");
    pty.send("ACCEPT\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "interactive");
}

#[test]
fn end_of_input_declines() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send([4u8]);
    assert_exit(pty.wait(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

// A terminal in canonical mode (as at the question) passes a line of at most 4095
// bytes on Linux and drops what a longer line types past that. So the line that
// proves one answer per line is 2052 bytes, which arrives whole: read 1024 bytes at
// a time, it was three answers, the last one "yes". The 5000-byte lines show what
// typing more than a terminal line does; `prompt::read_answer` is tested on a pipe,
// which carries the whole 5000 bytes, in its unit tests.

#[test]
fn an_over_long_answer_ending_in_yes_is_one_unclear_answer() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send(format!("{}yes\r", "x".repeat(2048)));
    pty.expect("(answer 2 of 3)");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !pty.text().contains("(answer 3 of 3)"),
        "one line was taken for several answers"
    );
    assert!(!env.receipt("portsip-pbx").exists(), "an over-long line accepted");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "interactive");
}

#[test]
fn a_line_longer_than_the_terminal_holds_is_one_answer_and_three_decline() {
    let env = Env::new();
    let long = format!("{}yes\r", "x".repeat(5000));
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send(&long);
    pty.expect("(answer 2 of 3)");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    assert!(!pty.text().contains("(answer 3 of 3)"));

    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send(&long);
    pty.expect("(answer 2 of 3)");
    pty.send(&long);
    pty.expect("(answer 3 of 3)");
    pty.send(&long);
    assert_exit(pty.wait(), 3);
    assert!(pty.text().contains("after 3 tries"));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn ctrl_c_at_the_question_exits_130_and_writes_nothing() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send("ye");
    pty.send([3u8]);
    assert_exit(pty.wait(), 130);
    assert!(pty.text().contains("interrupted; nothing was written"));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn closing_the_terminal_at_the_question_declines() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    assert_exit(pty.hang_up(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn non_interactive_or_debian_frontend_never_asks_even_on_a_terminal() {
    let env = Env::new();
    let mut pty = gate_on_pty(&env, &["--non-interactive"], &[], 24, 80);
    assert_exit(pty.wait(), 4);
    let mut pty = gate_on_pty(&env, &[], &[("DEBIAN_FRONTEND", "noninteractive")], 24, 80);
    assert_exit(pty.wait(), 4);
    assert!(pty.text().contains("EULA_GATE_ACCEPT=portsip-pbx"));
    assert!(!pty.text().contains("to decline"));
}

#[test]
fn a_valid_receipt_shows_nothing_on_a_terminal() {
    let env = Env::new();
    env.run(&["--accept-eula"]).expect_code(0);
    let mut pty = plain(&env);
    assert_exit(pty.wait(), 0);
    assert!(pty.text().contains("already accepted") && !pty.text().contains("WARRANTY"));
}

// ---- The full-screen pager ----

fn pager(env: &Env, rows: u16, cols: u16) -> Pty {
    gate_on_pty(env, &[], &[], rows, cols)
}

fn read_to_end(env: &Env) -> serde_json::Value {
    env.read_receipt("portsip-pbx")["read_to_end"].clone()
}

/// The terminal's line discipline as the program left it (master and slave share it).
fn terminal_is_cooked(pty: &Pty) -> bool {
    let mode = pty.termios();
    mode.c_lflag & libc::ICANON != 0 && mode.c_lflag & libc::ECHO != 0
}

#[test]
fn paging_to_the_end_and_accepting_records_read_to_end() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    let screen = pty.expect_screen("lines 1-22 of");
    assert!(screen.alternate_screen());
    assert_eq!(
        screen.contents().lines().next().map(str::trim_end),
        Some("PortSIP Software End-User License Agreement")
    );
    for _ in 0..30 {
        pty.send(" ");
    }
    pty.expect_screen("END of the text: press q to answer");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(read_to_end(&env), true);
    assert_eq!(env.read_receipt("portsip-pbx")["method"], "interactive");
}

#[test]
fn leaving_on_the_first_page_records_read_to_end_false() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("accept\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(read_to_end(&env), false);
}

#[test]
fn declining_after_the_pager_writes_nothing() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("G");
    pty.expect_screen("END of the text");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("decline\r");
    assert_exit(pty.wait(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
    assert!(terminal_is_cooked(&pty));
}

#[test]
fn search_finds_a_phrase_on_a_later_page_and_highlights_it() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("/EXPORT CONTROL laws\r");
    let screen = pty.expect_screen("export control laws");
    assert!(
        !screen.contents().contains("lines 1-22 of"),
        "did not move:\n{}",
        screen.contents()
    );
    let (row, col) = find_on_screen(&screen, "export control laws").expect("match on screen");
    assert_ne!(
        screen.cell(row, col).unwrap().bgcolor(),
        vt100::Color::Default,
        "match not highlighted"
    );
    pty.send("/no such phrase anywhere\r");
    pty.expect_screen("Pattern not found below: no such phrase anywhere");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

fn find_on_screen(screen: &vt100::Screen, needle: &str) -> Option<(u16, u16)> {
    let (rows, _) = screen.size();
    (0..rows.get()).find_map(|row| {
        let line = screen.contents_between(row, 0, row + 1, 0);
        line.find(needle)
            .map(|byte| (row, line[..byte].chars().count() as u16))
    })
}

#[test]
fn ctrl_c_in_the_pager_exits_130_and_restores_the_terminal() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send(" ");
    pty.send([3u8]);
    assert_exit(pty.wait(), 130);
    let screen = pty.screen().screen();
    assert!(!screen.alternate_screen(), "left on the alternate screen");
    assert!(!screen.hide_cursor(), "cursor left hidden");
    assert!(terminal_is_cooked(&pty), "terminal left in raw mode");
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn ctrl_backslash_in_the_pager_or_at_the_question_is_ctrl_c() {
    // Ctrl-\ sends SIGQUIT, whose default is to die (with a core) on a raw terminal.
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send(" ");
    pty.send([0x1c]);
    assert_exit(pty.wait(), 130);
    assert!(pty.text().contains("interrupted; nothing was written"));
    assert_terminal_restored(&mut pty);
    assert!(!env.receipt("portsip-pbx").exists());
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send("ye");
    pty.send([0x1c]);
    assert_exit(pty.wait(), 130);
    assert!(terminal_is_cooked(&pty));
    assert!(!env.receipt("portsip-pbx").exists());
}

/// A key and then Ctrl-\ (or Ctrl-C) at once: the signal key flushes the terminal's
/// input, so the key the pager's poll saw may be gone when it reads. A blocking read
/// then waited forever (the signal already handled); a read that never blocks goes
/// back to the checks. The race is narrow: many rounds, so a regression shows.
#[test]
fn a_key_flushed_away_by_ctrl_backslash_never_leaves_the_pager_waiting() {
    let env = Env::new();
    for round in 0..40u64 {
        let mut pty = pager(&env, 24, 80);
        pty.expect_screen("lines 1-22 of");
        pty.send(" ");
        // The signal key a little later each round, to land between poll and read.
        std::thread::sleep(Duration::from_micros(round % 40 * 5));
        pty.send([if round % 2 == 0 { 0x1c } else { 0x03 }]);
        assert_exit(pty.wait(), 130);
    }
    assert!(!env.receipt("portsip-pbx").exists());
}

/// Ctrl-C, Ctrl-\, SIGTERM and a hang-up work also when whoever started the gate
/// blocked them (a blocked SIGQUIT once left the question waiting forever).
#[test]
fn signals_blocked_by_the_parent_still_stop_the_gate() {
    const HANDLED: &[libc::c_int] = &[libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP];
    let env = Env::new();
    let blocked = |args: &[&str]| {
        let mut cmd = gate_cmd(&env, args, &[]);
        common::block_signals(&mut cmd, HANDLED);
        Pty::spawn(cmd, 24, 80)
    };
    for (key, code) in [([0x1cu8], 130), ([3u8], 130)] {
        let mut pty = blocked(&[]);
        pty.expect_screen("lines 1-22 of");
        pty.send(key);
        assert_exit(pty.wait(), code);
        assert_terminal_restored(&mut pty);
        let mut pty = blocked(&["--plain"]);
        pty.expect("to decline: ");
        pty.send(key);
        assert_exit(pty.wait(), code);
    }
    let mut pty = blocked(&[]);
    pty.expect_screen("lines 1-22 of");
    pty.signal(libc::SIGTERM);
    assert_exit(pty.wait(), 143);
    assert_terminal_restored(&mut pty);
    let mut pty = blocked(&["--plain"]);
    pty.expect("to decline: ");
    assert_exit(pty.hang_up(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn sigterm_at_the_question_exits_143_and_writes_nothing() {
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.signal(libc::SIGTERM);
    assert_exit(pty.wait(), 143);
    assert!(pty.text().contains("terminated; nothing was written"));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn sigterm_in_the_pager_restores_the_terminal_and_writes_nothing() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.signal(libc::SIGTERM);
    assert_exit(pty.wait(), 143);
    assert!(!pty.screen().screen().alternate_screen());
    assert!(terminal_is_cooked(&pty));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn an_abort_in_the_pager_restores_the_terminal_and_exits_1() {
    // What an allocation failing after all would do: std aborts, raising SIGABRT.
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.signal(libc::SIGABRT);
    assert_exit(pty.wait(), 1);
    assert!(pty.text().contains("the terminal was restored"));
    assert_terminal_restored(&mut pty);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn closing_the_terminal_in_the_pager_declines_without_spinning() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    assert_exit(pty.hang_up(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn the_status_line_at_80_columns_drops_whole_key_hints_and_keeps_help() {
    let env = Env::new();
    let license = env.file("long.txt", "Long EULA\n".to_owned() + &"term\n".repeat(200_000));
    let args = ["--product", "long", "--license", license.to_str().unwrap()];
    let mut pty = gate_on_pty(&env, &args, &[], 24, 80);
    let screen = pty.expect_screen("lines 1-22 of 200000");
    let status = screen.contents_between(23, 0, 24, 0);
    let status = status.trim_end();
    assert!(status.ends_with("  h: help"), "{status:?}");
    let hints: Vec<&str> = status.split("  ").skip(1).collect();
    for hint in &hints {
        assert!(
            ["q: answer", "Space: next page", "b: back", "/: search", "h: help"].contains(hint),
            "a hint cut short: {hint:?} in {status:?}"
        );
    }
    assert!(hints.contains(&"q: answer"), "{status:?}");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn typing_show_at_the_question_pages_the_text_again_and_is_not_an_answer() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("q");
    pty.expect("Type show to read it again");
    pty.expect("to decline: ");
    // One unclear answer, then back to the text: the tries are not reset, nor used.
    pty.send("maybe\r");
    pty.expect("(answer 2 of 3)");
    pty.send("show\r");
    let screen = pty.expect_screen("lines 1-22 of");
    assert!(screen.alternate_screen(), "not paged again");
    pty.send("G");
    pty.expect_screen("END of the text");
    pty.send("q");
    pty.expect("(answer 2 of 3)");
    pty.send(" READ \r");
    pty.expect_screen("lines 1-22 of");
    pty.send("q");
    pty.expect("(answer 2 of 3)");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    // The end was on screen during the second reading.
    assert_eq!(read_to_end(&env), true);
    // In plain mode the text is printed again.
    let env = Env::new();
    let mut pty = plain(&env);
    pty.expect("to decline: ");
    pty.send("show\r");
    pty.expect("End of the PortSIP Software End-User License Agreement.");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn a_changed_license_shows_what_changed_then_the_text() {
    let env = Env::new();
    let license = env.file("acme.txt", "Acme EULA\n\nFirst terms.\n");
    let args = ["--product", "acme", "--license", license.to_str().unwrap()];
    let mut accept = args.to_vec();
    accept.push("--accept-eula");
    env.run(&accept).expect_code(0);
    std::fs::write(&license, "Acme EULA\n\nNew terms.\n").unwrap();
    let mut pty = gate_on_pty(&env, &args, &[], 24, 80);
    // First what changed, word by word, with how to move and go on.
    let screen = pty.expect_screen("[-First-]{+New+} terms.");
    let status = screen.contents_between(23, 0, 24, 0);
    assert!(
        status.contains("What changed since you accepted it on"),
        "{status:?}\n{}",
        screen.contents()
    );
    assert!(screen.contents().starts_with("Changes to the Acme EULA"));
    pty.send("q");
    // Then the whole text, which says it changed.
    let screen = pty.expect_screen("New terms.");
    let status = screen.contents_between(23, 0, 24, 0);
    assert!(
        status.contains("Changed since it was accepted on") && status.contains("please review it again"),
        "{status:?}\n{}",
        screen.contents()
    );
    assert!(screen.alternate_screen());
    // The first key makes room for the position and the keys again.
    pty.send("j");
    pty.expect_screen("lines 1-1 of 1, 100%  END of the text");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn n_and_shift_n_jump_between_changes_and_only_the_whole_text_counts_as_read() {
    let env = Env::new();
    let body: String = (1..=200).map(|i| format!("Clause {i} of the terms.\n")).collect();
    let license = env.file("acme.txt", format!("Acme EULA\n\n{body}"));
    let args = ["--product", "acme", "--license", license.to_str().unwrap()];
    let mut accept = args.to_vec();
    accept.push("--accept-eula");
    env.run(&accept).expect_code(0);
    // Twenty changes, ten clauses apart: more than one screen of changes.
    let changed: String = (1..=200)
        .map(|i| match i % 10 {
            0 => format!("Clause {i} under the terms.\n"),
            _ => format!("Clause {i} of the terms.\n"),
        })
        .collect();
    std::fs::write(&license, format!("Acme EULA\n\n{changed}")).unwrap();
    let mut pty = gate_on_pty(&env, &args, &[], 24, 80);
    pty.expect_screen("Clause 10 [-of-]{+under+}");
    // n goes to the first change at or below the top line, then on to the next one.
    pty.send("n");
    pty.send("n");
    // Each change is four rows: its header, a line of context, the change, context.
    let screen = pty.expect_screen("lines 5-26 of");
    let body_rows = screen.contents_between(1, 0, 23, 0);
    assert!(body_rows.starts_with("@@ line 21"), "{body_rows}");
    assert!(!body_rows.contains("Clause 10 [-of-]"), "{body_rows}");
    pty.send("N");
    pty.expect_screen("lines 1-22 of");
    // The changes were all on screen; the whole text was not: q at its top.
    pty.send("q");
    pty.expect_screen("Clause 1 of the terms.");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(env.read_receipt("acme")["read_to_end"], false);
}

#[test]
fn a_small_30x10_terminal_wraps_to_its_width() {
    let env = Env::new();
    let mut pty = pager(&env, 10, 30);
    let contents = pty.expect_screen("lines 1-8 of").contents();
    // The header holds the title; the text's own first line, the same title, is not
    // repeated under it.
    assert_eq!(contents.lines().next(), Some("PortSIP Software End-User Lice"));
    assert_eq!(contents.lines().nth(1), Some("NO EMERGENCY COMMUNICATIONS"));
    assert!(contents.lines().all(|l| l.chars().count() <= 30));
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn a_resize_rewraps_and_keeps_the_place() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.send("/General Limitations\r");
    pty.expect_screen("General Limitations");
    let screen = resize_and_wait(&mut pty, 24, 40);
    let row_1 = screen.contents_between(1, 0, 2, 0);
    assert!(
        row_1.starts_with("General Limitations"),
        "lost the place: {row_1:?}\n{}",
        screen.contents()
    );
    assert!(screen.contents().lines().all(|l| l.chars().count() <= 40));
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

/// The "of N" of the status line: how many rows the text wraps to at this width.
fn status_total(screen: &vt100::Screen) -> Option<String> {
    let rows = screen.size().0.get();
    let status = screen.contents_between(rows - 1, 0, rows, 0);
    let (_, after) = status.split_once(" of ")?;
    Some(after.chars().take_while(char::is_ascii_digit).collect())
}

/// Resizes the terminal and waits until the pager has drawn a frame for the new
/// width (its status line names another total).
#[track_caller]
fn resize_and_wait(pty: &mut Pty, rows: u16, cols: u16) -> vt100::Screen {
    let before = status_total(pty.screen().screen());
    pty.resize(rows, cols);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let screen = pty.screen().screen().clone();
        if status_total(&screen).is_some_and(|t| !t.is_empty() && Some(&t) != before.as_ref()) {
            return screen;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no frame for {cols} columns:\n{}",
            screen.contents()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn resizing_back_and_forth_comes_back_to_the_same_first_line() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    pty.expect_screen("lines 1-22 of");
    // A place in the middle of a long paragraph, on a row that begins after a wrap.
    pty.send("j".repeat(20));
    let screen = pty.expect_screen("lines 21-42 of");
    let first = screen.contents_between(1, 0, 2, 0);
    for round in 0..4 {
        for cols in [40, 120, 80] {
            resize_and_wait(&mut pty, 24, cols);
        }
        let screen = pty.screen().screen().clone();
        assert_eq!(
            screen.contents_between(1, 0, 2, 0),
            first,
            "round {round}: the first line moved\n{}",
            screen.contents()
        );
    }
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn a_tiny_terminal_falls_back_to_plain() {
    let env = Env::new();
    let mut pty = pager(&env, 4, 80);
    pty.expect("to decline: ");
    assert!(!String::from_utf8_lossy(&pty.raw()).contains("\x1b[?1049h"));
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn term_dumb_prints_the_text_plainly() {
    let env = Env::new();
    let mut pty = gate_on_pty(&env, &[], &[("TERM", "dumb")], 24, 80);
    pty.expect("All rights reserved.");
    pty.expect("to decline: ");
    let raw = String::from_utf8_lossy(&pty.raw()).into_owned();
    assert!(!raw.contains("\x1b[?1049h") && !raw.contains("\x1b[?25l"));
    pty.send("yes\r");
    assert_exit(pty.wait(), 0);
    assert_eq!(read_to_end(&env), true);
}

#[test]
fn hostile_license_text_cannot_drive_the_terminal() {
    let env = Env::new();
    let license = env.file(
        "evil.txt",
        "Evil EULA\n\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b[2J \u{202E}desrever\u{202C} \u{9b}31m\x07end\n",
    );
    let args = ["--product", "evil", "--license", license.to_str().unwrap()];
    for vars in [&[][..], &[("TERM", "dumb")]] {
        let mut pty = gate_on_pty(&env, &args, vars, 24, 80);
        pty.expect("end");
        let raw = pty.raw();
        let text = String::from_utf8_lossy(&raw);
        for bad in ["\x1b[31m", "\x1b]0;", "pwned\x07", "\u{202E}", "\u{9b}", "\x07"] {
            assert!(!text.contains(bad), "{bad:?} reached the terminal");
        }
        assert!(
            text.contains("\u{241B}[31mRED") && text.contains("\u{241B}[2J"),
            "escape not shown harmlessly"
        );
        let screen = pty.screen().screen().clone();
        let (row, col) = find_on_screen(&screen, "RED").expect("RED on screen");
        assert_eq!(screen.cell(row, col).unwrap().fgcolor(), vt100::Color::Default);
        if vars.is_empty() {
            pty.send("q");
        }
        pty.expect("to decline: ");
        pty.send("no\r");
        assert_exit(pty.wait(), 3);
    }
}

#[test]
fn no_color_pages_without_colours() {
    let env = Env::new();
    let mut pty = gate_on_pty(&env, &[], &[("NO_COLOR", "1")], 24, 80);
    let screen = pty.expect_screen("lines 1-22 of");
    for row in [0, 23] {
        let cell = screen.cell(row, 0).unwrap();
        assert_eq!(
            (cell.fgcolor(), cell.bgcolor()),
            (vt100::Color::Default, vt100::Color::Default)
        );
        assert!(cell.inverse(), "bars still stand out, in reverse video");
    }
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
}

#[test]
fn colours_are_used_when_allowed() {
    let env = Env::new();
    let mut pty = pager(&env, 24, 80);
    let screen = pty.expect_screen("lines 1-22 of");
    assert_ne!(screen.cell(0, 0).unwrap().bgcolor(), vt100::Color::Default);
}

// ---- Memory: the pager takes what it needs before it touches the terminal ----

/// The gate on a pseudo-terminal with its address space capped at `limit` MiB.
fn gate_on_pty_with_memory(env: &Env, args: &[&str], limit_mib: u64, rows: u16, cols: u16) -> Pty {
    let mut cmd = gate_cmd(env, args, &[]);
    common::limit(&mut cmd, libc::RLIMIT_AS, limit_mib << 20);
    Pty::spawn(cmd, rows, cols)
}

#[test]
fn running_out_of_memory_on_a_terminal_is_exit_1_never_an_abort() {
    // 8 MiB of ESC: shown on a terminal, each becomes a three-byte Control Picture.
    let env = Env::new();
    let mut text = vec![0x1bu8; 8 << 20];
    text[..2].copy_from_slice(b"T\n");
    let license = env.file("esc.txt", &text);
    let args = ["show", "--license", license.to_str().unwrap()];
    let mut pty = gate_on_pty_with_memory(&env, &args, 40, 24, 80);
    let status = pty.wait();
    assert_exit(status, 1);
    assert!(pty.text().contains("out of memory"), "{}", pty.text());
}

#[track_caller]
fn assert_terminal_restored(pty: &mut Pty) {
    assert!(terminal_is_cooked(pty), "terminal left in raw mode");
    let screen = pty.screen().screen();
    assert!(!screen.alternate_screen(), "left on the alternate screen");
    assert!(!screen.hide_cursor(), "cursor left hidden");
}

#[test]
fn a_text_of_millions_of_lines_pages_within_a_memory_limit() {
    // 16 million empty lines: a list of every screen row (16 bytes each) needs
    // 256 MiB, the pager's sparse index 2 MiB; loading the text needs about 48 MiB.
    let env = Env::new();
    let mut text = vec![b'\n'; 16 << 20];
    (text[0], text[(16 << 20) - 1]) = (b'A', b'Z');
    let license = env.file("lines.txt", &text);
    let args = ["--product", "lines", "--license", license.to_str().unwrap()];
    let mut pty = gate_on_pty_with_memory(&env, &args, 160, 24, 80);
    // The first line, "A", is the title: the header shows it, the text starts after
    // it and the empty line that follows it.
    pty.expect_screen("lines 1-22 of 16777213");
    pty.send("G");
    pty.expect_screen("END of the text");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
    assert_terminal_restored(&mut pty);
}

#[test]
fn a_32_mib_text_of_escape_characters_pages_within_a_memory_limit() {
    // Sanitized whole, each ESC would take 3 bytes (96 MiB), once more folded for
    // search, and its first line, the title, once more: far over 160 MiB. Shown row by
    // row it needs what loading it does, about 64 MiB.
    let env = Env::new();
    let license = env.file("esc.txt", vec![0x1b; 32 << 20]);
    let args = ["--product", "esc", "--license", license.to_str().unwrap()];
    let mut pty = gate_on_pty_with_memory(&env, &args, 160, 24, 80);
    let screen = pty.expect_screen("lines 1-22 of");
    let header = screen.contents_between(0, 0, 1, 0);
    assert_eq!(
        header.trim_end(),
        "\u{241B}".repeat(80),
        "the title, clipped to one row"
    );
    assert_eq!(
        screen.contents_between(1, 0, 2, 0).trim_end(),
        "\u{241B}".repeat(80)
    );
    pty.send("/no such phrase\r");
    pty.expect_screen("Pattern not found below");
    pty.send("q");
    pty.expect("to decline: ");
    pty.send("no\r");
    assert_exit(pty.wait(), 3);
    assert_terminal_restored(&mut pty);
    assert!(
        !pty.raw().windows(2).any(|w| w == b"\x1b\x1b"),
        "raw ESC from the text"
    );
}

#[test]
fn a_pager_that_cannot_get_its_memory_exits_1_on_an_untouched_terminal() {
    // A screen of 1000 x 4000 needs a frame buffer of about 250 MiB, more than the
    // 128 MiB the gate may use; the rest of the gate needs far less.
    let env = Env::new();
    let mut pty = gate_on_pty_with_memory(&env, &[], 128, 1000, 4000);
    assert_exit(pty.wait(), 1);
    let text = pty.text();
    assert!(
        text.contains("not enough memory for the pager's screen buffer") && text.contains("try --plain"),
        "{text}"
    );
    assert!(
        !String::from_utf8_lossy(&pty.raw()).contains("\x1b[?1049h"),
        "terminal was switched"
    );
    assert!(terminal_is_cooked(&pty));
    assert!(!env.receipt("portsip-pbx").exists());
}

#[test]
fn memory_running_short_on_a_resize_restores_the_terminal_and_exits_1() {
    let env = Env::new();
    let mut pty = gate_on_pty_with_memory(&env, &[], 128, 24, 80);
    pty.expect_screen("lines 1-22 of");
    pty.set_size(1000, 4000);
    assert_exit(pty.wait(), 1);
    assert!(
        pty.text()
            .contains("not enough memory for the pager's screen buffer")
    );
    assert_terminal_restored(&mut pty);
    assert!(!env.receipt("portsip-pbx").exists());
}
