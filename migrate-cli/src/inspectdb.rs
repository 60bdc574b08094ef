//! `inspectdb`: `#[derive(Model)]` structs from a live database, printed as one file of
//! modules, or written as one file per app (`--out DIR`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use migrate_core::inspectdb::{self, Options};
use serde_json::json;

use crate::database::{self, ConnectOpts};
use crate::{files, json, Ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these tables (all when none is given; the tool's own are never read).
    tables: Vec<String>,
    /// The app of the tables whose names start with no app of the database's history.
    #[arg(long)]
    app: Option<String>,
    /// Write `<app>.rs` for each app and a `mod.rs` into this directory, instead of
    /// printing one file.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Overwrite files that exist in `--out`.
    #[arg(long, requires = "out")]
    force: bool,
    #[command(flatten)]
    connect: ConnectOpts,
}

pub fn run(args: Args, ui: Ui, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if let Some(app) = &args.app {
        let ok = !app.is_empty()
            && app
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !app.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            anyhow::bail!("--app {app:?}: an app name is lowercase letters, digits and `_`");
        }
    }
    let rt = database::runtime()?;
    let mut executor = args.connect.connect(&rt, ui.verbosity > 0 && !ui.json)?;
    let catalog = rt.block_on(executor.catalog())?;
    rt.block_on(executor.close())?;
    let options = Options {
        app: args.app.clone(),
        tables: args.tables.clone(),
    };
    let inspection = inspectdb::inspect(&catalog, &options)?;
    if inspection.models.is_empty() {
        anyhow::bail!("the database has no table to inspect");
    }
    let files = inspection.files();
    let written = match &args.out {
        Some(dir) => {
            if !args.force {
                let existing: Vec<String> = files
                    .iter()
                    .map(|(name, _)| dir.join(name))
                    .filter(|p| p.exists())
                    .map(|p| p.display().to_string())
                    .collect();
                if !existing.is_empty() {
                    anyhow::bail!(
                        "{} exist(s) already; move them away or pass --force",
                        existing.join(", ")
                    );
                }
            }
            let paths: Vec<(PathBuf, &str)> = files
                .iter()
                .map(|(name, source)| (dir.join(name), source.as_str()))
                .collect();
            files::write_all(&paths)?;
            Some(paths.into_iter().map(|(p, _)| p).collect::<Vec<_>>())
        }
        None => None,
    };
    if ui.json {
        let doc = json!({
            "files": files.iter().map(|(name, source)| json!({"name": name, "source": source})).collect::<Vec<_>>(),
            "written": written.iter().flatten().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "notes": inspection.notes,
        });
        json::write(out, doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    match written {
        Some(paths) => {
            if ui.verbosity > 0 {
                for p in paths {
                    writeln!(out, "Wrote {}", p.display())?;
                }
            }
        }
        None => write!(out, "{}", one_file(&inspection))?,
    }
    if ui.verbosity > 0 {
        for note in &inspection.notes {
            eprintln!("warning: {note}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every app's models as modules of one file, which compiles as it is.
fn one_file(inspection: &inspectdb::Inspection) -> String {
    let mut text = String::from(
        "//! Models read from the database by `inspectdb`, one module per app. `--out DIR`\n//! writes one file per app instead.\n",
    );
    for app in inspection.apps() {
        text.push_str(&format!("\npub mod {app} {{\n"));
        for line in inspection.source(&app).lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("    {line}\n"));
            }
        }
        text.push_str("}\n");
    }
    text
}
