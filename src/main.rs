//! cacheroi: parse the command line, run the command, print the error chain
//! and map it to the exit code of CONTRACT §2.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use cacheroi::cli::{Cli, Command};
use cacheroi::error::{UsageError, exit};
use cacheroi::{commands, config};
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    match run(&cli) {
        Ok(lines) => {
            let mut out = std::io::stdout().lock();
            for line in lines {
                // A closed pipe (`cacheroi weekly | head -1`) is not an error.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            ExitCode::from(exit::SUCCESS as u8)
        }
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            let code = if err.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::RUNTIME
            };
            ExitCode::from(code as u8)
        }
    }
}

/// glibc gives every thread that allocates its own arena; with Polars' pool
/// that inflates the resident size by hundreds of MiB for nothing. Two
/// arenas keep a 10 M-row week under 2 GiB at the same speed (README).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called first, before any thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "cacheroi=info,warn",
        (false, 1) => "cacheroi=debug,info",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_env("CACHEROI_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

/// Run the command; the lines returned are its stdout.
fn run(cli: &Cli) -> anyhow::Result<Vec<String>> {
    match &cli.command {
        Command::Weekly(args) => {
            let path = config::locate(cli.global.config.as_deref())?;
            let settings = config::load(&path)?;
            let written = commands::weekly::run(&settings, args)?;
            Ok(written.files.iter().map(|p| p.display().to_string()).collect())
        }
        Command::Impact(args) => {
            let path = config::locate(cli.global.config.as_deref())?;
            let settings = config::load(&path)?;
            let written = commands::impact::run(&settings, args)?;
            Ok(written.files.iter().map(|p| p.display().to_string()).collect())
        }
        Command::Snapshot(args) => {
            let path = config::locate(cli.global.config.as_deref())?;
            let settings = config::load(&path)?;
            commands::snapshot::run(&settings, args)
        }
        Command::Sample(args) => {
            let written = commands::sample::run(args)?;
            Ok(written.iter().map(|p| p.display().to_string()).collect())
        }
    }
}
