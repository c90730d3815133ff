//! Writes the man pages, generated from the clap definitions: `eula-gate(1)` and one
//! page per command (`eula-gate-verify(1)`, ...), with every option, the exit codes
//! and the environment as lists.
//!
//!     cargo run --example manpage -- DIR     # writes DIR/eula-gate.1, DIR/eula-gate-*.1
//!     cargo run --example manpage            # eula-gate(1) alone, on stdout
//!
//! The date in the header is `SOURCE_DATE_EPOCH`'s (none without it), so that two
//! builds give the same bytes. An example rather than a command, so that the shipped
//! binary stays small.

use clap::{Arg, ArgAction, Command, CommandFactory};
use std::fmt::Write as _;

fn main() -> std::io::Result<()> {
    let mut cmd = eula_gate::cli::Cli::command();
    cmd.build();
    let pages = pages(&cmd);
    match std::env::args_os().nth(1) {
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(pages[0].1.as_bytes())
        }
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir)?;
            for (name, page) in &pages {
                std::fs::write(dir.join(format!("{name}.1")), page)?;
            }
            Ok(())
        }
    }
}

/// The commands that get a page of their own (clap's `help` does not).
fn subcommands(cmd: &Command) -> Vec<&Command> {
    cmd.get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
        .collect()
}

/// (page name, roff source) for eula-gate(1), then one per command.
fn pages(cmd: &Command) -> Vec<(String, String)> {
    let bin = cmd.get_name();
    let after_help = cmd.get_after_help().map(|s| s.to_string()).unwrap_or_default();
    let exit_codes = section(&after_help, "Exit codes:");
    let environment = section(&after_help, "Environment:");
    assert!(
        !exit_codes.is_empty() && !environment.is_empty(),
        "the --help epilogue lacks its exit codes or environment"
    );
    let subs = subcommands(cmd);
    let mut out = Vec::new();

    let mut see_also: Vec<String> = subs.iter().map(|s| format!("{bin}-{}", s.get_name())).collect();
    let mut main = header(bin, cmd);
    main += &synopsis(bin, cmd, "[\\fICOMMAND\\fR]");
    main += &description(cmd);
    main += &options(cmd);
    main += ".SH COMMANDS\n";
    for sub in &subs {
        let _ = writeln!(
            main,
            ".TP\n\\fB{}\\fR\n{}.\nSee \\fB\\%{bin}\\-{}\\fR(1).",
            roff(sub.get_name()),
            roff(
                sub.get_about()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
                    .trim_end_matches('.')
            ),
            roff(sub.get_name())
        );
    }
    main += &list("EXIT STATUS", &exit_codes);
    main += &list("ENVIRONMENT", &environment);
    main += &see_also_section(&see_also);
    out.push((bin.to_owned(), main));

    for sub in &subs {
        let name = format!("{bin}-{}", sub.get_name());
        let mut page = header(&name, sub);
        page += &synopsis(&format!("{bin} {}", sub.get_name()), sub, "");
        page += &description(sub);
        page += &options(sub);
        // Each command's own exit codes and variables, as its --help gives them.
        let sub_help = sub.get_after_help().map(|s| s.to_string()).unwrap_or_default();
        page += &list("EXIT STATUS", &section(&sub_help, "Exit codes:"));
        page += &list("ENVIRONMENT", &section(&sub_help, "Environment:"));
        see_also = std::iter::once(bin.to_owned())
            .chain(
                subs.iter()
                    .map(|s| format!("{bin}-{}", s.get_name()))
                    .filter(|n| *n != name),
            )
            .collect();
        page += &see_also_section(&see_also);
        out.push((name, page));
    }
    out
}

fn header(name: &str, cmd: &Command) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let about = cmd.get_about().map(|s| s.to_string()).unwrap_or_default();
    let about = about.trim_end_matches('.');
    // No hyphenation, no justification: options and codes stay whole and greppable.
    format!(
        ".TH {} 1 \"{}\" \"eula-gate {version}\" \"User Commands\"\n.nh\n.ad l\n.SH NAME\n{} \\- {}\n",
        escape(&name.to_uppercase()),
        build_date(),
        roff(name),
        roff(about)
    )
}

fn synopsis(invocation: &str, cmd: &Command, tail: &str) -> String {
    let (mut items, mut positionals) = (Vec::new(), Vec::new());
    for arg in visible(cmd) {
        if is_help_or_version(arg) {
            continue;
        }
        if arg.is_positional() {
            let name = arg
                .get_value_names()
                .map(|v| v[0].to_string())
                .unwrap_or_else(|| arg.get_id().to_string());
            positionals.push(if arg.is_required_set() {
                format!("\\fI{}\\fR", roff(&name))
            } else {
                format!("[\\fI{}\\fR]", roff(&name))
            });
        } else {
            items.push(format!("\\%[{}]", flag(arg, "|")));
        }
    }
    items.append(&mut positionals);
    if !tail.is_empty() {
        items.push(tail.to_owned());
    }
    // Each item is one unbreakable word (\~ inside it); lines break between items.
    format!(".SH SYNOPSIS\n.B {}\n{}\n", roff(invocation), items.join("\n"))
}

fn description(cmd: &Command) -> String {
    let text = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let paragraphs: Vec<String> = text.split("\n\n").map(|p| roff(&p.replace('\n', " "))).collect();
    format!(".SH DESCRIPTION\n{}\n", paragraphs.join("\n.PP\n"))
}

fn options(cmd: &Command) -> String {
    let mut out = String::from(".SH OPTIONS\n");
    for arg in visible(cmd) {
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|s| s.to_string())
            .unwrap_or_default();
        let tag = if arg.is_positional() {
            format!(
                "\\fI{}\\fR",
                roff(
                    &arg.get_value_names()
                        .map(|v| v[0].to_string())
                        .unwrap_or_default()
                )
            )
        } else {
            format!("\\%{}", flag(arg, ", "))
        };
        let _ = writeln!(out, ".TP\n{tag}\n{}", roff(&help.replace('\n', " ")));
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("\\fB{}\\fR", roff(v.get_name())))
            .collect();
        if !values.is_empty() && !matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
            let _ = writeln!(out, ".br\nOne of: {}.", values.join(", "));
        }
    }
    out
}

/// `\fB\-q\fR, \fB\-\-quiet\fR`, `\fB\-\-product\fR\~\fINAME\fR`,
/// `\fB\-\-accept\-eula\fR[=\fISHA256\fR]`; names joined by `sep`.
fn flag(arg: &Arg, sep: &str) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("\\fB\\-{}\\fR", escape(&short.to_string())));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("\\fB\\-\\-{}\\fR", escape(long)));
    }
    let mut text = names.join(sep);
    if arg.get_action().takes_values() {
        let value = arg
            .get_value_names()
            .map(|v| v[0].to_string())
            .unwrap_or_else(|| "VALUE".into());
        let value = format!("\\fI{}\\fR", escape(&value));
        let optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
        text += &match (optional, arg.is_require_equals_set()) {
            (true, _) => format!("[={value}]"),
            (false, true) => format!("={value}"),
            (false, false) => format!("\\~{value}"),
        };
    }
    text
}

fn visible(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|a| !a.is_hide_set())
}

fn is_help_or_version(arg: &Arg) -> bool {
    matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpLong | ArgAction::Version
    )
}

fn list(title: &str, items: &[(String, String)]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = format!(".SH {title}\n");
    for (tag, text) in items {
        let _ = writeln!(out, ".TP\n.B {}\n{}", roff(tag), roff(text));
    }
    out
}

fn see_also_section(pages: &[String]) -> String {
    // \% : never broken at its hyphens.
    let refs: Vec<String> = pages
        .iter()
        .map(|p| format!("\\fB\\%{}\\fR(1)", roff(p)))
        .collect();
    format!(".SH SEE ALSO\n{}\n", refs.join(",\n"))
}

/// The entries of one block of the `--help` epilogue: a heading line, then lines
/// `  TAG  text` with continuation lines indented further, up to an empty line.
fn section(text: &str, heading: &str) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines().skip_while(|l| l.trim() != heading).skip(1);
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        let indent = line.len() - line.trim_start().len();
        match (indent, items.last_mut()) {
            (2, _) => {
                let body = line.trim_start();
                let (tag, rest) = body.split_once("  ").unwrap_or((body, ""));
                items.push((tag.to_owned(), rest.trim().to_owned()));
            }
            (_, Some((_, rest))) => {
                rest.push(' ');
                rest.push_str(line.trim());
            }
            (_, None) => {}
        }
    }
    items
}

/// Backslashes and hyphens escaped for roff.
fn escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// Escapes text for roff; `code` in backticks becomes bold.
fn roff(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        let escaped = escape(part);
        if i % 2 == 1 {
            let _ = write!(out, "\\fB{escaped}\\fR");
        } else {
            out += &escaped;
        }
    }
    // A word with hyphens (`--receipt-dir`, `eula-gate-verify`) is never broken at
    // them (\%); a line starting with . or ' would be a request.
    out.lines()
        .map(|l| {
            let l = l
                .split(' ')
                .map(|w| {
                    if w.contains("\\-") {
                        format!("\\%{w}")
                    } else {
                        w.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// SOURCE_DATE_EPOCH as YYYY-MM-DD (UTC), or nothing: the receipt's own clock.
fn build_date() -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|secs| eula_gate::receipt::utc_timestamp(secs)[..10].to_owned())
        .unwrap_or_default()
}
