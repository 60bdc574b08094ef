//! Which database: `--database-url`, else `DATABASE_URL` from the environment, else from a
//! `.env` file in the current directory, else the embedded default `sqlite://db.sqlite3`.

use migrate_core::executor::{self, Executor};

pub const DEFAULT_URL: &str = "sqlite://db.sqlite3";

#[derive(Debug, Clone, clap::Args)]
pub struct ConnectOpts {
    /// The database (also read from DATABASE_URL, or from a .env file).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl ConnectOpts {
    /// The URL configured (flag, environment, `.env`), if any.
    fn configured(&self) -> Option<String> {
        self.database_url.clone().or_else(dotenv_url)
    }

    /// The database whose history a command that does not migrate checks: the one
    /// configured, or the default SQLite file if it exists here (never created for it).
    pub fn existing(&self) -> Option<String> {
        self.configured().or_else(|| {
            std::path::Path::new("db.sqlite3")
                .is_file()
                .then(|| DEFAULT_URL.to_owned())
        })
    }

    pub fn url(&self) -> String {
        self.configured().unwrap_or_else(|| DEFAULT_URL.to_owned())
    }

    /// Connects, saying on stderr which database it uses when none is configured (when
    /// `note`: not under `-q` or `--format json`).
    pub fn connect(&self, rt: &tokio::runtime::Runtime, note: bool) -> anyhow::Result<Executor> {
        if note && self.configured().is_none() {
            let dir = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".into());
            eprintln!(
                "note: no database configured (--database-url, DATABASE_URL or .env): using the embedded default {DEFAULT_URL}, the file db.sqlite3 in {dir}"
            );
        }
        Ok(rt.block_on(Executor::connect(&self.url()))?)
    }
}

/// `DATABASE_URL` from `./.env`, read as the ecosystem reads it (dotenvy: spaces around
/// `=`, quotes, `#` comments, `${VAR}` from the environment or earlier lines). A line it
/// cannot read is reported, not skipped in silence.
fn dotenv_url() -> Option<String> {
    let lines = dotenvy::from_path_iter(".env").ok()?;
    let mut url = None;
    for line in lines {
        match line {
            Ok((key, value)) if key == "DATABASE_URL" => url = Some(value),
            Ok(_) => {}
            Err(e) => {
                // Never the line itself: it may hold a password.
                match e {
                    dotenvy::Error::LineParse(_, at) => eprintln!(
                        "warning: .env: a line cannot be read (at character {at}); it and the lines after it are ignored"
                    ),
                    other => eprintln!("warning: .env: {other}"),
                }
                break;
            }
        }
    }
    url
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The URL as it may be shown.
pub fn shown(url: &str) -> String {
    executor::redact(url)
}
