//! The command line: clap definitions (doc comments are the `--help` text) and the
//! dispatch from a parsed command line to the library.

use crate::Hint;
use crate::error::{Error, Result};
use crate::gate::{self, AcceptOptions};
use crate::license::shown_path;
use crate::license::{EMBEDDED_PRODUCT, License, is_shown_as_is, sanitize, shown};
use crate::output::{print_stdout, say};
use crate::product::{Context, Digest, Product};
use crate::store::{Locations, Stored};
use crate::verify;
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The help's closing part for the whole tool: every exit code (from
/// `error::EXIT_CODES`) and every variable.
fn after_help() -> String {
    help_tail(ALL_CODES, ALL_VARIABLES, None)
}

/// The closing part of one command's help: the exit codes it can end with, each as
/// `error::EXIT_CODES` gives it (but 0 in the command's own words, where given), and
/// the variables that change it.
fn help_tail(codes: &[u8], variables: &[&str], success: Option<&str>) -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in crate::error::EXIT_CODES.iter().filter(|(c, _)| codes.contains(c)) {
        let meaning = match (code, success) {
            (0, Some(success)) => success,
            _ => meaning,
        };
        out.push_str(&format!("  {code:<4} {meaning}\n"));
    }
    let entries: Vec<&str> = ENVIRONMENT
        .iter()
        .filter(|(name, _)| variables.contains(name))
        .map(|(_, entry)| *entry)
        .collect();
    if !entries.is_empty() {
        out.push_str(&format!("\nEnvironment:\n{}", entries.join("\n")));
    }
    out
}

fn accept_help() -> String {
    help_tail(&[0, 1, 2, 3, 4, 6, 130, 143], ALL_VARIABLES, None)
}
fn verify_help() -> String {
    help_tail(&[0, 1, 2, 5, 6, 7], &["EULA_GATE_RECEIPT_DIR"], None)
}
fn show_help() -> String {
    help_tail(&[0, 1, 2], &[], Some("the text was printed"))
}
fn hash_help() -> String {
    help_tail(&[0, 1, 2], &[], Some("the digest was printed"))
}
fn revoke_help() -> String {
    help_tail(
        &[0, 1, 2],
        &["EULA_GATE_RECEIPT_DIR"],
        Some("the receipt was removed, or there was none"),
    )
}
fn list_help() -> String {
    help_tail(
        &[0, 1, 2],
        &["EULA_GATE_RECEIPT_DIR"],
        Some("the receipts were listed (whatever their status)"),
    )
}
fn history_help() -> String {
    help_tail(
        &[0, 1, 2, 7],
        &["EULA_GATE_RECEIPT_DIR"],
        Some("the history was printed; with --check: the chain is intact"),
    )
}
fn diff_help() -> String {
    help_tail(
        &[0, 1, 2, 5],
        &["EULA_GATE_RECEIPT_DIR", "NO_COLOR"],
        Some("the changes were printed (or there are none)"),
    )
}
fn completions_help() -> String {
    help_tail(&[0, 1, 2], &[], Some("the script was printed"))
}

const ALL_CODES: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 130, 143];
const ALL_VARIABLES: &[&str] = &[
    "EULA_GATE_ACCEPT",
    "EULA_GATE_RECEIPT_DIR",
    "EULA_GATE_POLICY_DIR",
    "DEBIAN_FRONTEND",
    "NO_COLOR",
];

/// Each variable and its entry in the help's "Environment:" block.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "EULA_GATE_ACCEPT",
        "  EULA_GATE_ACCEPT       comma-separated products whose license is accepted (e.g. portsip-pbx);
                         any other value (yes, true, 1) is never consent",
    ),
    (
        "EULA_GATE_RECEIPT_DIR",
        "  EULA_GATE_RECEIPT_DIR  receipt directory (default: /var/lib/eula-gate for root, else
                         $XDG_DATA_HOME/eula-gate or ~/.local/share/eula-gate)",
    ),
    (
        "EULA_GATE_POLICY_DIR",
        "  EULA_GATE_POLICY_DIR   organisation policies (default: /etc/eula-gate/policy.d)",
    ),
    (
        "DEBIAN_FRONTEND",
        "  DEBIAN_FRONTEND=noninteractive  never ask (as --non-interactive)",
    ),
    ("NO_COLOR", "  NO_COLOR               no colours"),
];

/// Show a software license, require explicit typed consent, and record it in a
/// hashed receipt that installers, package scripts and services can check.
///
/// With no command, runs `accept`: the gate for the embedded PortSIP Software
/// End-User License Agreement (product portsip-pbx) unless --license and --product
/// name another.
// `bin_name`: the program name in messages is always eula-gate, never argv[0], which
// anyone who starts the process can set to anything (escape sequences included).
#[derive(Debug, Parser)]
#[command(
    name = "eula-gate",
    bin_name = "eula-gate",
    version,
    after_help = after_help(),
    args_conflicts_with_subcommands = true
)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct Cli {
    /// The options of the gate, which runs when no command is given.
    #[command(flatten)]
    pub accept: AcceptArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which license, and where its receipt is: the options of `accept` and `verify`.
#[derive(Debug, Args, Default)]
pub struct Target {
    /// Product whose license is gated: lower-case letters, digits, '.', '_' and '-', at
    /// most 64 [default: portsip-pbx]
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// License text file to gate instead of the embedded PortSIP EULA (UTF-8; needs
    /// --product); `-` reads the text from standard input
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
    /// Title of the --license text [default: its first non-empty line]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Name of the --license text in the receipt (license.id) [default: the file's
    /// stem, or the product for -]
    #[arg(long, value_name = "ID", requires = "license")]
    pub license_id: Option<String>,
    /// Directory that holds the receipts [default: $EULA_GATE_RECEIPT_DIR, else
    /// /var/lib/eula-gate for root, else your data directory]
    #[arg(long, value_name = "DIR")]
    pub receipt_dir: Option<PathBuf>,
}

/// Options of `accept` (and of `eula-gate` with no command).
#[derive(Debug, Args, Default)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct AcceptArgs {
    #[command(flatten)]
    pub target: Target,
    /// Accept the license without asking, for unattended installs. With =SHA256, accept
    /// only if that is the license digest (`eula-gate hash`); else exit 6
    #[arg(long, value_name = "SHA256", num_args = 0..=1, require_equals = true)]
    pub accept_eula: Option<Option<String>>,
    /// Never ask: without --accept-eula or EULA_GATE_ACCEPT, exit 4 at once
    #[arg(long)]
    pub non_interactive: bool,
    /// Print the license whole instead of paging it full-screen
    #[arg(long)]
    pub plain: bool,
    /// Which installer runs the gate (debconf, rpm, install.sh, docker-build, ansible,
    /// ...): recorded in the receipt, never consent
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Directory of organisation policies [default: $EULA_GATE_POLICY_DIR, else
    /// /etc/eula-gate/policy.d]
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
}

/// Options of `hash`: the text, and a ready policy file instead of the digest.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct HashArgs {
    #[command(flatten)]
    pub text: TextArgs,
    /// Print an organisation policy file that accepts this text (for
    /// /etc/eula-gate/policy.d) instead of the digest; needs --approved-by and
    /// --reference
    #[arg(long, requires_all = ["approved_by", "reference"])]
    pub policy: bool,
    /// With --policy: who approved the text, e.g. "Jane Doe <legal@example.com>"
    #[arg(long, value_name = "WHO", requires = "policy")]
    pub approved_by: Option<String>,
    /// With --policy: the organisation's reference for the decision, e.g. LEGAL-1234
    #[arg(long, value_name = "REF", requires = "policy")]
    pub reference: Option<String>,
}

/// Options of `list`.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct ListArgs {
    /// Directory that holds the receipts [default: $EULA_GATE_RECEIPT_DIR, else
    /// /var/lib/eula-gate for root, else your data directory and the system one]
    #[arg(long, value_name = "DIR")]
    pub receipt_dir: Option<PathBuf>,
    /// Print one JSON array on stdout: product, title, license_sha256, accepted_at,
    /// method, context, approved_by, scope, receipt, status (README)
    #[arg(long)]
    pub json: bool,
}

/// Options of `history`.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct HistoryArgs {
    /// Product whose history is shown [default: portsip-pbx]
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// Directory that holds the receipts [default: $EULA_GATE_RECEIPT_DIR, else
    /// /var/lib/eula-gate for root, else your data directory]
    #[arg(long, value_name = "DIR")]
    pub receipt_dir: Option<PathBuf>,
    /// Print the events as one JSON array on stdout
    #[arg(long)]
    pub json: bool,
    /// Check the hash chain: exit 0 when intact, 7 naming the first bad line
    #[arg(long)]
    pub check: bool,
}

/// Options of `diff`.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct DiffArgs {
    /// Product whose texts are compared [default: portsip-pbx]
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// The current text: this file instead of the embedded PortSIP EULA (needs --product)
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
    /// Directory that holds the receipts and kept texts [default: $EULA_GATE_RECEIPT_DIR,
    /// else /var/lib/eula-gate for root, else your data directory]
    #[arg(long, value_name = "DIR")]
    pub receipt_dir: Option<PathBuf>,
    /// Compare from the kept text with this digest instead of the last accepted one
    #[arg(long, value_name = "HEX")]
    pub from: Option<String>,
}

/// Options of `show` and `hash`: the text alone, no receipt.
#[derive(Debug, Args)]
pub struct TextArgs {
    /// The product the text is for; without --license only portsip-pbx, whose text is
    /// embedded [default: portsip-pbx]
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// License text file to read instead of the embedded PortSIP EULA (UTF-8)
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
}

/// Options of `show`: those of `hash`, and, unlisted, the `--title` and
/// `--receipt-dir` that the gate's messages repeat in the `eula-gate show` command
/// they suggest, so that it can be copied as it is; neither changes the text shown.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct ShowArgs {
    #[command(flatten)]
    pub text: TextArgs,
    #[arg(long, value_name = "TEXT", hide = true)]
    pub title: Option<String>,
    #[arg(long, value_name = "DIR", hide = true)]
    pub receipt_dir: Option<PathBuf>,
}

/// Options of `revoke`: whose receipt, and where.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Product whose acceptance is withdrawn [default: portsip-pbx]
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
    /// Directory that holds the receipts [default: $EULA_GATE_RECEIPT_DIR, else
    /// /var/lib/eula-gate for root, else your data directory]
    #[arg(long, value_name = "DIR")]
    pub receipt_dir: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the license, obtain explicit typed consent, write the receipt (the default)
    #[command(after_help = accept_help())]
    Accept(AcceptArgs),
    /// Check the receipt: exit 0 in silence when the license is accepted, else 5, 6 or 7
    #[command(after_help = verify_help())]
    Verify(VerifyArgs),
    /// Print the license text (normalized; `eula-gate show | sha256sum` gives its digest)
    #[command(after_help = show_help())]
    Show(ShowArgs),
    /// Print the license digest: SHA-256 of the normalized text, for packagers to pin
    #[command(after_help = hash_help())]
    Hash(HashArgs),
    /// Withdraw acceptance: remove the receipt (its history and kept text stay)
    #[command(after_help = revoke_help())]
    Revoke(RevokeArgs),
    /// List every receipt in scope with its status (accepted, valid, license-changed,
    /// invalid)
    #[command(after_help = list_help())]
    List(ListArgs),
    /// Print a product's acceptance history; --check verifies its hash chain
    #[command(after_help = history_help())]
    History(HistoryArgs),
    /// Show what changed between the text last accepted (or --from HEX) and the current one
    #[command(after_help = diff_help())]
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout
    #[command(after_help = completions_help())]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// Shells that `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// Options of `verify`.
#[derive(Debug, Args)]
#[allow(missing_docs)] // clap turns doc comments on fields into help text: the fields are the options
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: Target,
    /// Expected license digest (64 hex digits) instead of a license text
    #[arg(long, value_name = "HEX", conflicts_with = "license")]
    pub sha256: Option<String>,
    /// Print one JSON object on stdout, also for a usage error, and nothing on stderr:
    /// status, exit_code, message, product, receipt, expected_sha256, ... (README)
    #[arg(long)]
    pub json: bool,
    /// Print nothing; the exit code says it all (with --json: the JSON object still)
    #[arg(short, long)]
    pub quiet: bool,
}

impl Cli {
    /// Parses the process's command line. The common `verify` command lines, which run
    /// in every package script and service start, are read without building clap's
    /// whole command tree; anything else (help, errors, other commands) goes to clap.
    pub fn parse_args(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
        match parse_verify_fast(args.iter().skip(1).cloned()) {
            Some(cli) => Ok(cli),
            None => Cli::try_parse_from(args),
        }
    }
}

/// clap's message for a command line it refused, with no control sequence, bidi
/// control or line break from an argument in it. clap quotes arguments and pieces of
/// them as they are, so the message is rendered again from a copy of the command line
/// in which every argument holding such a character is replaced by its `shown` form;
/// `sanitize` is the last guard for anything else.
pub fn render_parse_error(error: &clap::Error, args: &[std::ffi::OsString]) -> String {
    let unsafe_to_show = |arg: &std::ffi::OsString| !arg.to_string_lossy().chars().all(is_shown_as_is);
    if !args.iter().skip(1).any(unsafe_to_show) {
        return sanitize(&error.render().to_string()).into_owned();
    }
    let shown_args: Vec<std::ffi::OsString> = args
        .iter()
        .enumerate()
        .map(|(i, arg)| match i > 0 && unsafe_to_show(arg) {
            true => shown(&arg.to_string_lossy()).into_owned().into(),
            false => arg.clone(),
        })
        .collect();
    let message = match Cli::try_parse_from(&shown_args) {
        Err(shown_error) if shown_error.use_stderr() => shown_error.render().to_string(),
        // The shown copy means something else to clap: say only what is sure.
        _ => GENERIC_USAGE_ERROR.to_owned(),
    };
    sanitize(&message).into_owned()
}

const GENERIC_USAGE_ERROR: &str = "\
error: the command line is not valid (an argument holds control characters)

Usage: eula-gate [OPTIONS]
       eula-gate <COMMAND>

For more information, try '--help'.
";

/// Reads `verify` followed only by its plain options, each at most once, into the
/// same `Cli` that clap would produce; `None` for anything else (clap then decides).
pub fn parse_verify_fast(args: impl Iterator<Item = std::ffi::OsString>) -> Option<Cli> {
    let mut args = args.map(|a| a.into_string().ok());
    if args.next()?.as_deref() != Some("verify") {
        return None;
    }
    let (mut quiet, mut json) = (false, false);
    let [
        mut product,
        mut license,
        mut title,
        mut receipt_dir,
        mut sha256,
        mut license_id,
    ] = [None, None, None, None, None, None];
    while let Some(arg) = args.next() {
        let arg = arg?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let flag = match name {
            "-q" | "--quiet" => Some(&mut quiet),
            "--json" => Some(&mut json),
            _ => None,
        };
        if let Some(flag) = flag {
            if *flag || inline.is_some() {
                return None;
            }
            *flag = true;
            continue;
        }
        let slot = match name {
            "--product" => &mut product,
            "--license" => &mut license,
            "--title" => &mut title,
            "--license-id" => &mut license_id,
            "--receipt-dir" => &mut receipt_dir,
            "--sha256" => &mut sha256,
            _ => return None,
        };
        let value = match inline {
            Some(value) => value,
            None => args.next()??,
        };
        // Repeats and values that look like options are clap's to judge.
        if slot.is_some() || (value.starts_with('-') && value.len() > 1) {
            return None;
        }
        *slot = Some(value);
    }
    // What clap would refuse (or reads differently) is clap's to say.
    if (sha256.is_some() && license.is_some()) || (license_id.is_some() && license.is_none()) {
        return None;
    }
    Some(Cli {
        accept: AcceptArgs::default(),
        command: Some(Command::Verify(VerifyArgs {
            target: Target {
                product,
                license: license.map(PathBuf::from),
                title,
                license_id,
                receipt_dir: receipt_dir.map(PathBuf::from),
            },
            sha256,
            json,
            quiet,
        })),
    })
}

/// Whether a command line that clap refused asked for `verify --json`, so that its
/// usage error is still one JSON object on stdout.
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.get(1).is_some_and(|a| a == "verify")
        && args
            .iter()
            .skip(2)
            .take_while(|a| *a != "--")
            .any(|a| a == "--json")
}

/// `verify --json`'s object for a run that ended before a receipt was looked at: a
/// usage error (2) or a runtime error (1).
pub fn error_json_line(code: u8, message: &str) -> String {
    let status = if code == crate::error::EXIT_USAGE {
        "usage-error"
    } else {
        "error"
    };
    verify::json_line(&serde_json::json!({
        "status": status,
        "exit_code": code,
        "message": message,
    }))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => accept(cli.accept),
        Some(Command::Accept(args)) => accept(args),
        Some(Command::Verify(args)) if args.json => {
            // One JSON object on stdout whatever the outcome, nothing on stderr.
            verify(&args).map_err(|error| {
                if !error.is_quiet() {
                    let _ = print_stdout(&error_json_line(error.code(), &sanitize(&error.to_string())));
                }
                Error::Quiet(Box::new(error))
            })
        }
        Some(Command::Verify(args)) => verify(&args),
        // No receipt is involved: `--license FILE` alone is enough.
        Some(Command::Show(args)) => show(&text_license(&args.text, args.title.as_deref())?),
        Some(Command::Hash(args)) => hash(&args),
        Some(Command::Revoke(args)) => revoke(&args),
        Some(Command::List(args)) => crate::list::run(&args),
        Some(Command::History(args)) => history(&args),
        Some(Command::Diff(args)) => diff(&args),
        Some(Command::Completions { shell }) => completions(shell),
    }
}

fn product_name(product: Option<&str>, license: Option<&std::path::Path>) -> Result<Product> {
    match (product, license) {
        (Some(name), _) => Product::new(name).map_err(|e| Error::Usage(format!("--product {e}"))),
        (None, Some(_)) => Err(Error::Usage(
            "--license needs --product NAME, so that its receipt is not taken for portsip-pbx's".into(),
        )),
        (None, None) => Ok(Product::embedded()),
    }
}

fn hint(target: &Target, product: &Product) -> Hint {
    Hint::new(
        product,
        target.license.as_deref(),
        target.title.as_deref(),
        target.receipt_dir.as_deref(),
    )
}

/// The text to gate: `--license FILE`, else the embedded PortSIP text, which is never
/// taken for another product (its receipt would claim consent to a text nobody showed).
/// `--license -` reads the text from standard input, named `license_id`, else the
/// product, in the receipt.
fn load_license(
    product: Option<&str>,
    license: Option<&std::path::Path>,
    title: Option<&str>,
    license_id: Option<&str>,
) -> Result<License> {
    let id = license_id
        .map(|id| {
            // The product rule: a plain name, shown as it is.
            Product::new(id).map(|p| p.as_str().to_owned()).map_err(|e| {
                Error::Usage(format!(
                    "--license-id {}",
                    e.to_string().replace("product name", "license id")
                ))
            })
        })
        .transpose()?;
    match (license, title) {
        (Some(path), title) if path.as_os_str() == "-" => License::from_stdin(
            id.unwrap_or_else(|| product.unwrap_or("license").to_owned()),
            title,
        ),
        (Some(path), title) => {
            let mut license = License::from_file(path, title)?;
            if let Some(id) = id {
                license.id = id;
            }
            Ok(license)
        }
        (None, Some(_)) => Err(Error::Usage("--title goes with --license FILE".into())),
        (None, None) => match product {
            Some(product) if product != EMBEDDED_PRODUCT => Err(Error::Usage(format!(
                "--product {} needs --license FILE: the embedded license is the PortSIP text, \
                 which is recorded only for {EMBEDDED_PRODUCT}",
                shown(product)
            ))),
            _ => Ok(License::embedded()),
        },
    }
}

/// The text of `show` and `hash`; a product, where given, must be a valid name.
fn text_license(args: &TextArgs, title: Option<&str>) -> Result<License> {
    if let Some(name) = &args.product {
        Product::new(name).map_err(|e| Error::Usage(format!("--product {e}")))?;
    }
    load_license(args.product.as_deref(), args.license.as_deref(), title, None)
}

fn accept(args: AcceptArgs) -> Result<()> {
    let target = &args.target;
    let product = product_name(target.product.as_deref(), target.license.as_deref())?;
    let hint = hint(target, &product);
    let license = load_license(
        target.product.as_deref(),
        target.license.as_deref(),
        target.title.as_deref(),
        target.license_id.as_deref(),
    )?;
    let locations = Locations::resolve(target.receipt_dir.as_deref())?;
    // The one parser for a pinned digest: a malformed pin is a usage error before
    // anything else happens (contract step 0).
    let accept_flag = match args.accept_eula {
        Some(Some(given)) => Some(Some(
            Digest::parse(&given).map_err(|e| Error::Usage(format!("--accept-eula={e}")))?,
        )),
        Some(None) => Some(None),
        None => None,
    };
    let context = args
        .context
        .as_deref()
        .map(|name| Context::new(name).map_err(|e| Error::Usage(format!("--context {e}"))))
        .transpose()?;
    let options = AcceptOptions {
        accept_flag,
        non_interactive: args.non_interactive,
        plain: args.plain,
        context,
        policy_dir: args.policy_dir,
    };
    let accepted = gate::accept(&product, &license, &locations, &options, &hint)?;
    for warning in &accepted.warnings {
        say(warning);
    }
    say(&accepted.message);
    Ok(())
}

fn verify(args: &VerifyArgs) -> Result<()> {
    let target = &args.target;
    let product = product_name(target.product.as_deref(), target.license.as_deref())?;
    let hint = hint(target, &product);
    let expected = match &args.sha256 {
        Some(given) => Digest::parse(given).map_err(|e| Error::Usage(format!("--sha256 {e}")))?,
        None => {
            load_license(
                target.product.as_deref(),
                target.license.as_deref(),
                target.title.as_deref(),
                target.license_id.as_deref(),
            )?
            .sha256
        }
    };
    let locations = Locations::resolve(target.receipt_dir.as_deref())?;
    let report = verify::verify(&product, &expected, &locations)?;
    if args.json {
        print_stdout(&report.to_json_line(&hint))?;
    }
    match report.error(&hint) {
        None => Ok(()),
        Some(error) if args.quiet || args.json => Err(Error::Quiet(Box::new(error))),
        Some(error) => Err(error),
    }
}

fn show(license: &License) -> Result<()> {
    // Piped: the exact normalized text, so it hashes to the digest. On a terminal:
    // made harmless, since the file may hold escape sequences.
    if std::io::stdout().is_terminal() {
        print_stdout(&sanitize(&license.text))
    } else {
        print_stdout(&license.text)
    }
}

fn hash(args: &HashArgs) -> Result<()> {
    let license = text_license(&args.text, None)?;
    if !args.policy {
        return print_stdout(&format!("{}\n", license.sha256));
    }
    let product = product_name(args.text.product.as_deref(), None)?;
    let field = |value: &Option<String>, option: &str| match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(Error::Usage(format!("--policy needs a non-empty {option}"))),
    };
    let approved_by = field(&args.approved_by, "--approved-by WHO")?;
    let reference = field(&args.reference, "--reference REF")?;
    print_stdout(&crate::policy::render(
        &product,
        &license.sha256,
        &approved_by,
        &reference,
    ))
}

fn revoke(args: &RevokeArgs) -> Result<()> {
    let product = &product_name(args.product.as_deref(), None)?;
    let locations = Locations::resolve(args.receipt_dir.as_deref())?;
    let store = &locations.primary;
    let path = store.path(product);
    let path = shown_path(&path);
    // Under the history's lock (as the gate writes), so that the receipt read is the
    // one removed and the history's order is the order of the changes.
    // Only where there is something to remove: revoke never makes a directory, and
    // never removes, outside the lock, a receipt that a gate is writing now (its
    // acceptance would then be the history's last word with no receipt behind it).
    let exists = !matches!(store.read(product)?, Stored::Missing);
    let mut history = match exists.then(|| store.lock_history(product)) {
        Some(Ok(lock)) => Some(lock),
        Some(Err(e)) => {
            say(&format!("warning: {e}"));
            None
        }
        None => None,
    };
    // What the receipt said, for the history: the text it accepted, where it was valid.
    let withdrawn = match store.read(product)? {
        Stored::Found(bytes) => crate::receipt::check(&bytes, product).ok(),
        _ => None,
    };
    if exists && store.remove(product)? {
        say(&format!(
            "removed {path}; the license is no longer accepted for {product}"
        ));
        let by = crate::receipt::AcceptedBy::current();
        let event = crate::history::Event {
            kind: crate::history::Kind::Withdrawn,
            at: crate::receipt::now_timestamp(),
            license_sha256: withdrawn.as_ref().map(|facts| &facts.license_sha256),
            receipt_digest: None,
            method: "revoke",
            uid: by.uid,
            user: &by.user,
        };
        if let Some(Err(e)) = history.as_mut().map(|lock| lock.append(&event)) {
            say(&format!("warning: {e}"));
        }
    } else {
        say(&format!("no receipt for {product} at {path}; nothing to revoke"));
    }
    if let Some(system) = &locations.system_fallback {
        // Only a receipt that `verify` would read counts; an unsafe directory is not one.
        if matches!(system.read(product), Ok(Stored::Found(_) | Stored::Unreadable(_))) {
            say(&format!(
                "note: the system receipt {} still counts for `eula-gate verify`; run \
                 `sudo eula-gate revoke` to remove it",
                shown_path(&system.path(product))
            ));
        }
    }
    Ok(())
}

fn history(args: &HistoryArgs) -> Result<()> {
    let product = &product_name(args.product.as_deref(), None)?;
    let locations = Locations::resolve(args.receipt_dir.as_deref())?;
    let store = &locations.primary;
    let path = store.history_path(product);
    let bytes = match store.read_history(product)? {
        Stored::Found(bytes) => bytes,
        Stored::Missing if args.json => return print_stdout("[]\n"),
        Stored::Missing => {
            say(&format!(
                "no history for {product} at {}; it starts with the first acceptance",
                shown_path(&path)
            ));
            return Ok(());
        }
        Stored::Unreadable(why) => {
            return Err(Error::InvalidReceipt(format!(
                "the history {} cannot be read: {why}; move it aside to start a new one",
                shown_path(&path)
            )));
        }
    };
    let checked = crate::history::check(&bytes).map_err(|broken| {
        Error::InvalidReceipt(format!(
            "the history {} is broken at line {}: {}; keep a copy for the audit and look at the \
             lines from there on",
            shown_path(&path),
            broken.line,
            shown(&broken.why)
        ))
    });
    let checked = match checked {
        Ok(checked) => checked,
        // Without --check a broken chain is still shown, with the break named.
        Err(e) if !args.check && !args.json => {
            say(&format!("warning: {e}"));
            crate::history::Checked {
                events: crate::history::lines_as_is(&bytes),
                torn_tail: false,
            }
        }
        Err(e) => return Err(e),
    };
    if checked.torn_tail {
        say(&format!(
            "note: the last line of {} was torn by a crash and is not part of the chain; the next \
             append removes it",
            shown_path(&path)
        ));
    }
    if args.check {
        check_history_end(store, product, &checked, &path)?;
        say(&format!(
            "the history {} is intact: {} events",
            shown_path(&path),
            checked.events.len()
        ));
        return Ok(());
    }
    if args.json {
        let events: Vec<serde_json::Value> = checked
            .events
            .into_iter()
            .map(serde_json::Value::Object)
            .collect();
        return print_stdout(&crate::verify::json_line(&serde_json::Value::Array(events)));
    }
    let mut out = String::new();
    for event in &checked.events {
        // Each value on one line: a line of the file is one line here, whatever it holds.
        let text = |key: &str| shown(event.get(key).and_then(|v| v.as_str()).unwrap_or("-"));
        let digest = text("license_sha256");
        out.push_str(&format!(
            "{}  {:<9}  {}  {:<11}  {}\n",
            text("at"),
            text("event"),
            digest.get(..12).unwrap_or(&digest),
            text("method"),
            text("user"),
        ));
    }
    print_stdout(&out)
}

fn diff(args: &DiffArgs) -> Result<()> {
    let product = product_name(args.product.as_deref(), args.license.as_deref())?;
    let license = load_license(args.product.as_deref(), args.license.as_deref(), None, None)?;
    let locations = Locations::resolve(args.receipt_dir.as_deref())?;
    let hint = Hint::new(
        &product,
        args.license.as_deref(),
        None,
        args.receipt_dir.as_deref(),
    );
    let (from, when) = match &args.from {
        Some(hex) => (
            Digest::parse(hex).map_err(|e| Error::Usage(format!("--from {e}")))?,
            None,
        ),
        None => {
            let report = verify::verify(&product, &license.sha256, &locations)?;
            match report.receipt_sha256 {
                Some(digest) => (digest, report.accepted_at),
                None => {
                    return Err(Error::NoReceipt(format!(
                        "no valid receipt for {product}, so no accepted text to compare with; \
                         pass --from HEX to compare with a kept text, or read the whole text with `{}`",
                        hint.command("show")
                    )));
                }
            }
        }
    };
    if from == license.sha256 {
        say(&format!(
            "no changes: the current {} is the text {}",
            license.title,
            when.map_or_else(
                || format!("with sha256 {from}"),
                |at| format!("accepted on {}", shown(&at))
            )
        ));
        return Ok(());
    }
    let Some(old) = locations.kept_text(&from)? else {
        return Err(Error::NoReceipt(format!(
            "no copy of the text with sha256 {from} is kept in {}; texts are kept when they are \
             accepted, so there is nothing to compare with: read the whole text with `{}`",
            shown_path(&locations.primary.texts_dir()),
            hint.command("show")
        )));
    };
    let diff = crate::diff::diff_words(&old, &license.text);
    say(&format!(
        "changes to the {} for {product} since the text {}{}: {} words removed, {} added",
        license.title,
        &from.as_str()[..12],
        when.map_or_else(String::new, |at| format!(" accepted on {}", shown(&at))),
        diff.removed_words,
        diff.added_words
    ));
    let styled = std::io::stdout().is_terminal() && console::colors_enabled();
    print_stdout(&crate::diff::render(&diff, styled))
}

/// A chain cannot tell that lines were removed from its end; the current receipt can:
/// the last event must be the acceptance that wrote it (or a withdrawal, when there
/// is none). A crash between writing the receipt and appending leaves the same
/// mismatch until the next accept or revoke appends.
fn check_history_end(
    store: &crate::store::ReceiptStore,
    product: &Product,
    checked: &crate::history::Checked,
    path: &std::path::Path,
) -> Result<()> {
    let last = checked.events.last();
    let text = |key: &str| last.and_then(|e| e.get(key)).and_then(|v| v.as_str());
    let mismatch = match store.read(product)? {
        Stored::Found(bytes) => match crate::receipt::check(&bytes, product) {
            Ok(facts)
                if text("event") != Some("accepted") || text("receipt_digest") != Some(&facts.digest) =>
            {
                Some(format!(
                    "does not end with the acceptance that wrote the current receipt (digest {})",
                    &facts.digest[..12]
                ))
            }
            _ => None,
        },
        Stored::Missing if text("event") == Some("accepted") => Some(
            "ends with an acceptance, but there is no receipt (removed without `eula-gate revoke`?)"
                .to_owned(),
        ),
        _ => None,
    };
    match mismatch {
        None => Ok(()),
        Some(why) => Err(Error::InvalidReceipt(format!(
            "the history {} {why}: lines at its end were removed, or a crash came between the \
             receipt and the history (the next accept or revoke appends again); keep a copy for \
             the audit",
            shown_path(path)
        ))),
    }
}

fn completions(shell: CompletionShell) -> Result<()> {
    use clap::CommandFactory;
    use clap_complete::shells::{Bash, Fish, Zsh};
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    match shell {
        CompletionShell::Bash => clap_complete::generate(Bash, &mut cmd, "eula-gate", &mut out),
        CompletionShell::Zsh => clap_complete::generate(Zsh, &mut cmd, "eula-gate", &mut out),
        CompletionShell::Fish => clap_complete::generate(Fish, &mut cmd, "eula-gate", &mut out),
    }
    let script = String::from_utf8_lossy(&out);
    match shell {
        CompletionShell::Bash => print_stdout(&fix_bash_subcommand_names(&script, "eula-gate")),
        CompletionShell::Fish => print_stdout(&(script.into_owned() + &fish_positional_values(&cmd))),
        CompletionShell::Zsh => print_stdout(&script),
    }
}

/// clap_complete's fish script offers no values for positional arguments (the
/// SHELL of `completions`): one `complete` line per subcommand that has them.
fn fish_positional_values(cmd: &clap::Command) -> String {
    let mut lines = String::new();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_owned())
                .collect();
            if !values.is_empty() {
                lines += &format!(
                    "complete -c eula-gate -n \"__fish_eula_gate_using_subcommand {}\" -f -a \"{}\"\n",
                    sub.get_name(),
                    values.join(" ")
                );
            }
        }
    }
    lines
}

/// clap_complete's bash script names a subcommand's state `eula__gate__subcmd__verify`
/// where it is set but `eula__subcmd__gate__subcmd__verify` where it is matched (for a
/// binary name with a hyphen), so no subcommand's options were ever offered. Uses the
/// first spelling everywhere.
fn fix_bash_subcommand_names(script: &str, bin: &str) -> String {
    let set = bin.replace('-', "__");
    let matched = bin.replace('-', "__subcmd__");
    script.replace(&format!("{matched}__subcmd__"), &format!("{set}__subcmd__"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clap_parse(args: &[&str]) -> Option<String> {
        Cli::try_parse_from(std::iter::once("eula-gate").chain(args.iter().copied()))
            .ok()
            .map(|cli| format!("{cli:?}"))
    }

    fn fast_parse(args: &[&str]) -> Option<String> {
        parse_verify_fast(args.iter().map(std::ffi::OsString::from)).map(|cli| format!("{cli:?}"))
    }

    #[test]
    fn the_fast_verify_parse_takes_the_common_lines() {
        for args in [
            &["verify"][..],
            &["verify", "--quiet"],
            &["verify", "-q", "--receipt-dir", "/tmp/x"],
            &["verify", "--json", "--product=acme", "--license", "L.txt"],
            &["verify", "--sha256", "ab", "--receipt-dir=/r", "--product", "p"],
        ] {
            assert!(fast_parse(args).is_some(), "{args:?}");
            assert_eq!(fast_parse(args), clap_parse(args), "{args:?}");
        }
    }

    #[test]
    fn the_fast_verify_parse_leaves_everything_else_to_clap() {
        for args in [
            &["verify", "--help"][..],
            &["verify", "-h"],
            &["verify", "--quiet", "--quiet"],
            &["verify", "--product", "a", "--product", "b"],
            &["verify", "--product"],
            &["verify", "--product", "--json"],
            &["verify", "--sha256", "x", "--license", "y"],
            &["verify", "--accept-eula"],
            &["verify", "-qq"],
            &["verify", "--json=1"],
            &["verify", "extra"],
            &["--product", "x", "verify"],
            &["hash"],
            &[],
        ] {
            assert_eq!(fast_parse(args), None, "{args:?}");
        }
    }

    /// The fast parse knows these options of `verify` and fills in no default: if
    /// clap's definition of `verify` gains an option or a default, the fast parse
    /// would silently differ, so this fails first. (No option can read the
    /// environment: clap's `env` feature is off, so `#[arg(env)]` does not compile.)
    #[test]
    fn the_fast_verify_parse_knows_every_option_of_verify_and_clap_adds_nothing() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        cli.build();
        let verify = cli.find_subcommand("verify").expect("verify exists");
        let mut longs: Vec<&str> = verify
            .get_arguments()
            .filter(|a| a.get_id() != "help")
            .map(|arg| {
                // A flag's only default is "not given"; an option must have none.
                let defaults: Vec<_> = arg.get_default_values().iter().collect();
                if arg.get_action().takes_values() {
                    assert!(defaults.is_empty(), "{} has a default", arg.get_id());
                } else {
                    assert_eq!(defaults, ["false"], "{} has a default", arg.get_id());
                }
                arg.get_long().expect("every verify option is a long option")
            })
            .collect();
        longs.sort_unstable();
        assert_eq!(
            longs,
            [
                "json",
                "license",
                "license-id",
                "product",
                "quiet",
                "receipt-dir",
                "sha256",
                "title"
            ]
        );
        assert_eq!(
            verify
                .get_arguments()
                .find(|a| a.get_id() == "quiet")
                .and_then(|a| a.get_short()),
            Some('q')
        );
        assert!(verify.get_positionals().next().is_none());
    }

    proptest::proptest! {
        #[test]
        fn the_fast_verify_parse_agrees_with_clap(
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "-q", "--quiet", "--json", "--product", "--license", "--title", "--receipt-dir", "--license-id",
                "--sha256", "--product=p", "--sha256=", "x", "-", "--", "-x", "--help", "verify",
            ]), 0..7)
        ) {
            let args: Vec<&str> = std::iter::once("verify").chain(tokens.iter().copied()).collect();
            if let Some(fast) = fast_parse(&args) {
                proptest::prop_assert_eq!(Some(fast), clap_parse(&args), "{:?}", args);
            }
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
