//! cacheroi: parse the command line, run the command, print the error chain
//! and map it to the exit code of docs/guide.md#commands.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use cacheroi::cli::{Cli, Command};
use cacheroi::error::{UsageError, exit};
use cacheroi::{commands, config};
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_logging(cli.global.verbose, cli.global.quiet);
    match run(&cli) {
        Ok((lines, code)) => {
            let mut out = std::io::stdout().lock();
            for line in lines {
                // A closed pipe (`cacheroi weekly | head -1`) is not an error.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            ExitCode::from(code as u8)
        }
        Err(err) => {
            // One line (cron mails stderr): the error and its causes, any
            // echoed value already cut where the message was made.
            eprintln!("error: {}", cacheroi::error::one_line(&err, 2000));
            let code = if err.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::RUNTIME
            };
            ExitCode::from(code as u8)
        }
    }
}

/// A command line clap refuses: one line (cron mails stderr) and exit 2;
/// help and version print as clap writes them.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: bad command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("error: {} (see --help)", cacheroi::error::clip(first, 400));
    ExitCode::from(exit::USAGE as u8)
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

/// Run the command: its stdout lines and its exit code.
fn run(cli: &Cli) -> anyhow::Result<(Vec<String>, i32)> {
    let load = || -> anyhow::Result<config::Settings> { config::load(&config::locate(cli.global.config.as_deref())?) };
    // Each command checks only what it uses: `snapshot` needs no baseline.
    let settings = || load()?.for_reports();
    let paths = |files: Vec<std::path::PathBuf>| files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    Ok(match &cli.command {
        Command::Weekly(args) => (paths(commands::weekly::run(&settings()?, args)?.files), exit::SUCCESS),
        Command::Impact(args) => (paths(commands::impact::run(&settings()?, args)?.files), exit::SUCCESS),
        Command::Send(args) => (commands::send::run(&settings()?, args)?, exit::SUCCESS),
        Command::Run(args) => {
            let lines = commands::run::run(&settings()?, args, cli.global.quiet)?;
            (if cli.global.quiet { Vec::new() } else { lines }, exit::SUCCESS)
        }
        Command::Roi(args) => (paths(commands::roi::run(&settings()?, args)?.files), exit::SUCCESS),
        Command::Inspect(args) => {
            // The configured mapping only with an explicit --config (or a
            // ./cacheroi.toml), never the bundled sample's.
            let settings = config::explicit_or_local(cli.global.config.as_deref())?;
            (commands::inspect::run(settings.as_ref(), args)?, exit::SUCCESS)
        }
        Command::Brief(args) => (paths(commands::brief::run(&settings()?, args)?.files), exit::SUCCESS),
        Command::CustomerReport(args) => (
            paths(commands::customer_report::run(&settings()?, args)?),
            exit::SUCCESS,
        ),
        Command::Init(args) => (commands::init::run(args)?, exit::SUCCESS),
        Command::Gate(args) => commands::gate::run(&settings()?, args)?,
        Command::Export(args) => (commands::export::run(&settings()?, args)?, exit::SUCCESS),
        Command::Risks(args) => commands::risks::run(&settings()?, args)?,
        Command::Notify(args) => (commands::notify::run(&settings()?, args)?, exit::SUCCESS),
        Command::Snapshot(args) => (commands::snapshot::run(&load()?, args)?, exit::SUCCESS),
        Command::Rollup(args) => (commands::rollup::run(&load()?, args)?, exit::SUCCESS),
        Command::Sample(args) => (paths(commands::sample::run(args)?), exit::SUCCESS),
    })
}
