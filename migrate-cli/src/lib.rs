//! The command line of a project's `migrate` binary: the only place that touches argv, the
//! environment, the filesystem, the terminal and exit codes. Each command maps onto
//! `migrate_core` calls.
//!
//! A project's binary hands over its compiled-in migrations, which know where their files
//! live (`inventory` registrations of the models exist only in the binary that links them):
//!
//! ```no_run
//! # mod my_app { pub static MIGRATIONS: migrate_core::Migrations = migrate_core::migrations!(); }
//! fn main() -> std::process::ExitCode {
//!     migrate_cli::main(my_app::MIGRATIONS)
//! }
//! ```

#![warn(missing_docs)]

mod database;
mod files;
mod fleet;
mod inspectdb;
mod json;
mod lint;
mod makemigrations;
mod migrate;
mod progress;
mod questioner;

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};
use migrate_core::{Migration, Migrations};

/// Exit code for errors, and for changes found by `--check`.
pub const EXIT_ERROR: u8 = 1;
/// Exit code when an answer is needed but nobody can give it (`--noinput`), as in Django.
pub const EXIT_NEEDS_INPUT: u8 = 3;

/// What the project's binary knows about itself: its compiled-in migrations and the
/// directory of their files. Made from the `Migrations` of `migrate_core::migrations!()`.
#[derive(Debug)]
pub struct Project {
    /// Every compiled-in migration.
    pub migrations: Vec<Migration>,
    /// The source directory of the migration files (`makemigrations` writes there).
    pub dir: PathBuf,
    /// The files the binary was compiled with (`<app>/<file>`), when known: compared with
    /// the directory, so that a binary built before a file was added or deleted says so.
    compiled: Option<Vec<&'static str>>,
}

impl Project {
    /// A project from migrations built some other way than `migrations!()` (tests, tools).
    pub fn new(migrations: Vec<Migration>, dir: impl Into<PathBuf>) -> Self {
        Project {
            migrations,
            dir: dir.into(),
            compiled: None,
        }
    }
}

impl From<Migrations> for Project {
    fn from(m: Migrations) -> Self {
        Project {
            migrations: m.all(),
            dir: m.dir().to_path_buf(),
            compiled: Some(m.files().iter().map(|f| f.path).collect()),
        }
    }
}

impl From<&Migrations> for Project {
    fn from(m: &Migrations) -> Self {
        Project::from(*m)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    about = "Schema migrations for models declared with #[derive(Model)]"
)]
struct Cli {
    /// How much to print: 0 only errors and what was asked for (lists, SQL, plans);
    /// 1 normal; 2 also every batch of a data migration; 3 also each statement as it runs
    /// (and the files of `makemigrations --dry-run`).
    #[arg(
        short,
        long,
        global = true,
        default_value_t = 1,
        value_parser = clap::value_parser!(u8).range(0..=3)
    )]
    verbosity: u8,
    /// The same as `-v 0`.
    #[arg(short, long, global = true, conflicts_with = "verbosity")]
    quiet: bool,
    /// `json`: one JSON document (`migrate`: one JSON event per line) in the schema the
    /// README describes, errors as JSON on stderr; implies `--noinput`.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// For programs (README: "JSON output").
    Json,
}

/// What every command is told of how to print.
#[derive(Clone, Copy, Debug)]
struct Ui {
    /// 0 to 3 (`-q` is 0).
    verbosity: u8,
    /// `--format json`.
    json: bool,
    /// Standard output is a terminal (and colours are wanted there).
    terminal: progress::Terminal,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write new migrations for the changes in the models.
    Makemigrations(makemigrations::Args),
    /// Apply (or unapply) migrations to the database.
    Migrate(migrate::MigrateArgs),
    /// List the migrations and whether each is applied.
    Showmigrations(migrate::ShowArgs),
    /// Print the SQL of one migration.
    Sqlmigrate(migrate::SqlArgs),
    /// Squash an app's migrations into one that replaces them.
    #[command(override_usage = "migrate squashmigrations [OPTIONS] <APP> [FROM] <TO>")]
    Squashmigrations(migrate::SquashArgs),
    /// Print `#[derive(Model)]` structs for the tables of a live database (or write one
    /// file per app with `--out`), to adopt it: then `makemigrations` and
    /// `migrate --fake-initial`.
    Inspectdb(inspectdb::Args),
    /// Say what pending (or named) migrations will do to a database with rows: data
    /// lost, locks, rewrites, what can fail; exit 1 on findings at `--fail-on` or above.
    Lint(lint::Args),
    /// Print the tables, columns, keys, indexes and constraints the models declare.
    Schema {
        /// Only these apps (all when none is given).
        apps: Vec<String>,
    },
    /// Print a completion script for a shell: `source <(migrate completions bash)`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs the command line of the process: reads the terminal, prints `error: …` on failure
/// and returns the exit code.
pub fn main(project: impl Into<Project>) -> ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let args: Vec<OsString> = std::env::args_os().collect();
    let json = wants_json(&args);
    let result = run_on(
        project,
        args,
        &mut input,
        &mut out,
        progress::Terminal::stdout(),
    )
    .and_then(|code| out.flush().map(|()| code).map_err(Into::into));
    let (message, code) = match result {
        Ok(code) => return code,
        // Help and version as clap prints them (exit 0), and usage errors (exit 2).
        Err(err) if err.downcast_ref::<clap::Error>().is_some() => {
            let clap = err.downcast_ref::<clap::Error>().expect("checked");
            let code = u8::try_from(clap.exit_code()).unwrap_or(EXIT_ERROR);
            if !json || code == 0 {
                let _ = clap.print();
                return ExitCode::from(code);
            }
            let text = clap.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            (first.trim_start_matches("error: ").to_owned(), code)
        }
        // The reader went away (`showmigrations | head`): end quietly, as other tools do.
        Err(err) if is_broken_pipe(&err) => return ExitCode::SUCCESS,
        Err(err) => (error_text(&err), exit_code(&err)),
    };
    let _ = out.flush();
    if json {
        let mut stderr = std::io::stderr().lock();
        let _ = json::write(&mut stderr, json::error(&message, code));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::from(code)
}

/// Whether the command line asks for `--format json`, read before (and whether or not)
/// it parses, so that a usage error is JSON too.
fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .zip(args.iter().skip(1).map(Some).chain([None]))
        .any(|(arg, next)| {
            arg == "--format=json" || (arg == "--format" && next.is_some_and(|n| n == "json"))
        })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, each said once. Errors that print their source and also
/// return it (as `migrate_core::Error` and sqlx's do) would otherwise repeat it down the
/// chain: a cause whose text is already in the message is left out.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<migrate_core::Error>() {
        Some(migrate_core::Error::NotNullWithoutDefault { .. }) => EXIT_NEEDS_INPUT,
        _ => EXIT_ERROR,
    }
}

/// Runs one command line (the first item is the program name), with answers read from
/// `input` and output written to `out`. It never exits the process: a usage error, `--help`
/// and `--version` come back as a `clap::Error` inside the error (which `main` prints, with
/// clap's exit code), so that embedding the command line is safe.
pub fn run<I, T>(
    project: impl Into<Project>,
    args: I,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    run_on(project, args, input, out, progress::Terminal::default())
}

/// `run`, told whether `out` is a terminal (only `main` knows: it is standard output there).
fn run_on(
    project: impl Into<Project>,
    args: Vec<OsString>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    terminal: progress::Terminal,
) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(&args)?;
    let project = project.into();
    let ui = Ui {
        verbosity: if cli.quiet { 0 } else { cli.verbosity },
        json: cli.format == Format::Json,
        terminal: if cli.format == Format::Json {
            progress::Terminal::default()
        } else {
            terminal
        },
    };
    if ui.json {
        let name = match &cli.command {
            Command::Squashmigrations(_) => Some("squashmigrations"),
            Command::Schema { .. } => Some("schema"),
            Command::Completions { .. } => Some("completions"),
            _ => None,
        };
        if let Some(name) = name {
            anyhow::bail!("{name} has no JSON output; run it without --format json");
        }
    }
    match &cli.command {
        // Not about the migrations: no check of the files.
        Command::Completions { .. } | Command::Inspectdb(_) => {}
        Command::Makemigrations(_) | Command::Squashmigrations(_) => {
            files::check_compiled(&project, true)?
        }
        _ => files::check_compiled(&project, false)?,
    }
    match cli.command {
        Command::Makemigrations(args) => makemigrations::run(project, args, ui, input, out),
        Command::Migrate(args) => migrate::migrate(project, args, ui, out),
        Command::Showmigrations(args) => migrate::showmigrations(project, args, ui, out),
        Command::Sqlmigrate(args) => migrate::sqlmigrate(project, args, ui, out),
        Command::Squashmigrations(args) => migrate::squashmigrations(project, args, ui, input, out),
        Command::Inspectdb(args) => inspectdb::run(args, ui, out),
        Command::Lint(args) => lint::run(project, args, ui, out),
        Command::Schema { apps } => schema(&apps, out).map(|()| ExitCode::SUCCESS),
        Command::Completions { shell } => {
            // For the name the binary was run as: a project's may not be `migrate`.
            let bin = args
                .first()
                .and_then(|a| std::path::Path::new(a).file_name())
                .map_or("migrate".into(), |n| n.to_string_lossy().into_owned());
            clap_complete::generate(shell, &mut Cli::command(), bin, out);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn schema(apps: &[String], out: &mut dyn Write) -> anyhow::Result<()> {
    let state = migrate_core::registry::project_state().context("the models are inconsistent")?;
    let known = state.apps();
    if let Some(unknown) = apps.iter().find(|a| !known.contains(&a.as_str())) {
        anyhow::bail!(
            "no app `{unknown}` among the models; apps: {}",
            known.join(", ")
        );
    }
    for table in state.tables()? {
        if apps.is_empty() || apps.iter().any(|a| *a == table.model.app) {
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::error_text;

    /// Prints its source and returns it, as thiserror's `{source}` plus `#[source]` does.
    #[derive(Debug)]
    struct Wrapping(std::io::Error);

    impl std::fmt::Display for Wrapping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "running `ALTER TABLE t`: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_bad_argument_is_returned_not_exited() {
        let project = super::Project::new(Vec::new(), std::env::temp_dir());
        let mut input = std::io::empty();
        let mut out = Vec::new();
        let err = super::run(
            project,
            ["migrate", "migrate", "--no-such-flag"],
            &mut input,
            &mut out,
        )
        .unwrap_err();
        let clap = err.downcast_ref::<clap::Error>().expect("a clap error");
        assert_eq!(clap.exit_code(), 2);
        assert!(out.is_empty());
    }

    #[test]
    fn each_cause_is_said_once() {
        let err = anyhow::Error::new(Wrapping(std::io::Error::other("disk full")))
            .context("applying shop.0002_price");
        assert_eq!(
            error_text(&err),
            "applying shop.0002_price: running `ALTER TABLE t`: disk full"
        );
        let plain = anyhow::Error::new(std::io::Error::other("refused")).context("connecting");
        assert_eq!(error_text(&plain), "connecting: refused");
    }
}
