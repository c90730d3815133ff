//! The interactive gate in a real pseudo-terminal: typed answers, Ctrl-C, hang-up.

mod common;

use common::Env;
use common::pty::Pty;
use std::os::unix::process::ExitStatusExt;

fn gate_on_pty(env: &Env, args: &[&str], vars: &[(&str, &str)], rows: u16, cols: u16) -> Pty {
    let mut cmd = std::process::Command::new(common::binary());
    for var in ["EULA_GATE_ACCEPT", "DEBIAN_FRONTEND", "NO_COLOR", "XDG_DATA_HOME"] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", env.path("home"))
        .env("EULA_GATE_RECEIPT_DIR", env.receipts())
        .env("TERM", "xterm");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.args(args);
    Pty::spawn(cmd, rows, cols)
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
