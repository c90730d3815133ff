use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match eula_gate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match eula_gate::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.is_quiet() {
                eprintln!("eula-gate: {error}");
            }
            ExitCode::from(error.code())
        }
    }
}
