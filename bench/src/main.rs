//! The benchmark suite: generates the S/M/L projects and the 5,000/10,000-migration
//! histories, builds each project's `migrate` binary (release), times whole-process runs of
//! it against the targets of the speed issue, and prints the table.
//!
//! ```text
//! cargo run --release -p migrate-bench                  # the whole suite, the table on stdout
//! cargo run --release -p migrate-bench -- --runs 9 --write BENCHMARKS.md
//! cargo run --release -p migrate-bench -- generate L DIR   # only write a project in DIR
//! cargo run --release -p migrate-bench -- fleet 1000        # PostgreSQL schemas as a fleet
//! cargo run --release -p migrate-bench -- compile L --runs 3  # build time of the models crate
//! cargo run --release -p migrate-bench -- rows 1000000     # operations on a table with rows
//! ```

mod compile;
mod fleet;
mod rows;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use migrate_bench::generate::{self, Project, SEED};
use migrate_bench::measure::{self, Run, Summary};

/// The model sets: name, apps, models per app.
const SIZES: [(&str, usize, usize); 3] = [("S", 10, 10), ("M", 20, 25), ("L", 40, 50)];
/// The histories: apps, migrations per app.
const HISTORIES: [(usize, usize); 2] = [(50, 100), (100, 100)];
const MIB: u64 = 1024;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ws = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("bench/ sits in the workspace")?
        .to_path_buf();
    if args.first().map(String::as_str) == Some("fleet") {
        return fleet::run(&ws, &args[1..]);
    }
    if args.first().map(String::as_str) == Some("rows") {
        return rows::run(&ws, &args[1..]);
    }
    if args.first().map(String::as_str) == Some("compile") {
        return compile::run(&ws, &args[1..], &SIZES);
    }
    if args.first().map(String::as_str) == Some("generate") {
        let [_, workload, dir] = &args[..] else {
            bail!("usage: migrate-bench generate S|M|L|L-edit1|L-edit5|H5000|H10000 DIR");
        };
        let project = write_workload(Path::new(dir), workload, &ws)?;
        println!("wrote {}", project.root.display());
        return Ok(());
    }
    let mut runs = 5;
    let mut write_to = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => runs = it.next().context("--runs N")?.parse()?,
            "--write" => write_to = Some(PathBuf::from(it.next().context("--write FILE")?)),
            other => bail!("unknown argument {other}; see the top of bench/src/main.rs"),
        }
    }
    if runs == 0 {
        bail!("--runs needs at least one run");
    }
    let work = ws.join("target").join("bench");
    let count = measure::have_valgrind();
    if !count {
        eprintln!("valgrind is not installed: growth is judged on wall time only");
    }
    let suite = Suite {
        runs,
        count,
        target_dir: work.join("target"),
        logs: work.join("logs"),
        projects: work.join("projects"),
        work,
    };
    let report = suite.run()?;
    let table = report.render(&suite);
    println!("{table}");
    if let Some(path) = write_to {
        std::fs::write(&path, report.markdown(&suite, &table))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if report.rows.iter().any(|r| r.met() == Some(false)) {
        eprintln!("some targets are not met");
    }
    Ok(())
}

/// Writes a workload under `parent`: `S`, `M`, `L` (models only, as project `bench-<size>`),
/// `L-edit1` and `L-edit5` (the L models with one model or 5% of them edited, over the
/// existing `bench-l`, its migrations kept), `H5000` and `H10000` (a history and the
/// models at its end).
fn write_workload(parent: &Path, workload: &str, ws: &Path) -> anyhow::Result<Project> {
    let (_, apps, per_app) = SIZES[2];
    let edit = match workload {
        "L-edit1" => Some(apps * per_app),
        "L-edit5" => Some(20),
        _ => None,
    };
    if let Some(every) = edit {
        let project = Project::open(parent, "bench-l")?;
        let models = generate::models(apps, per_app, SEED);
        project.write_models(&generate::change(&models, every))?;
        return Ok(project);
    }
    let project = Project::create(parent, &format!("bench-{}", workload.to_lowercase()), ws)?;
    if let Some(&(_, apps, per_app)) = SIZES.iter().find(|(s, _, _)| *s == workload) {
        project.write_models(&generate::models(apps, per_app, SEED))?;
    } else if let Some(&(apps, per_app)) = HISTORIES
        .iter()
        .find(|(a, p)| format!("H{}", a * p) == workload)
    {
        let history = generate::history(apps, per_app);
        project.write_migrations(&history)?;
        project.write_models(&generate::replay(&history)?)?;
    } else {
        bail!("unknown workload {workload}: S, M, L, L-edit1, L-edit5, H5000 or H10000");
    }
    Ok(project)
}

#[derive(Debug)]
struct Suite {
    runs: usize,
    /// Whether instructions are counted too (valgrind is installed).
    count: bool,
    work: PathBuf,
    target_dir: PathBuf,
    logs: PathBuf,
    projects: PathBuf,
}

/// What a workload is held to.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// At most this long.
    Within(Duration),
    /// At most `factor` times the database's own client on the same SQL.
    OfRaw(f64),
    /// Peak memory of at most this many KiB.
    Memory(u64),
    /// Measured and reported only.
    None,
}

#[derive(Debug)]
struct Row {
    workload: String,
    django: &'static str,
    target: Target,
    ours: Option<Summary>,
    /// The database's own client on the same SQL, for `Target::OfRaw`; with it, CPU time is
    /// shown beside wall time on both sides.
    raw: Option<Summary>,
    /// The same SQL sent as one query, in one transaction: the database's floor (PostgreSQL).
    one_query: Option<Summary>,
    /// Why there is no figure (a server that could not be reached).
    missing: Option<String>,
}

impl Row {
    fn within(workload: &str, django: &'static str, limit_ms: u64, ours: Summary) -> Row {
        Row {
            workload: workload.into(),
            django,
            target: Target::Within(Duration::from_millis(limit_ms)),
            ours: Some(ours),
            raw: None,
            one_query: None,
            missing: None,
        }
    }

    fn met(&self) -> Option<bool> {
        let ours = self.ours?;
        match self.target {
            Target::Within(limit) => Some(ours.median <= limit),
            Target::OfRaw(factor) => {
                Some(ours.median.as_secs_f64() <= factor * self.raw?.median.as_secs_f64())
            }
            Target::Memory(kib) => Some(ours.max_rss_kib <= kib),
            Target::None => None,
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::Within(limit) => format!("≤ {}", secs(limit)),
            Target::OfRaw(factor) => match self.raw {
                Some(_) => format!("≤ {factor} × raw ({})", self.raw_text()),
                None => format!("≤ {factor} × raw"),
            },
            Target::Memory(kib) => format!("≤ {} MB", kib / MIB),
            Target::None => match self.raw {
                Some(_) => format!("none ({})", self.raw_text()),
                None => "none".into(),
            },
        }
    }

    /// The raw client's figures, CPU time beside wall time, and the one-query floor.
    fn raw_text(&self) -> String {
        let Some(raw) = self.raw else {
            return String::new();
        };
        let mut text = format!("{} raw, CPU {}", secs(raw.median), secs(raw.cpu));
        if let Some(one) = self.one_query {
            text.push_str(&format!("; one query {}", secs(one.median)));
        }
        text
    }

    fn ours_text(&self) -> String {
        match (&self.ours, &self.missing) {
            (_, Some(why)) => why.clone(),
            (Some(s), None) if matches!(self.target, Target::Memory(_)) => mib(s.max_rss_kib),
            (Some(s), None) if self.raw.is_some() => format!(
                "{}, CPU {} ({})",
                secs(s.median),
                secs(s.cpu),
                mib(s.max_rss_kib)
            ),
            (Some(s), None) => format!("{} ({})", secs(s.median), mib(s.max_rss_kib)),
            (None, None) => "–".into(),
        }
    }
}

/// How a workload grows between two sizes, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Growth {
    Linear,
    NLogN,
    Worse,
}

impl Growth {
    /// The class of a `ratio` of cost from size `from` to size `to`.
    fn of(ratio: f64, from: usize, to: usize) -> Growth {
        let (from, to) = (from as f64, to as f64);
        if ratio <= to / from {
            Growth::Linear
        } else if ratio <= (to * to.ln()) / (from * from.ln()) {
            Growth::NLogN
        } else {
            Growth::Worse
        }
    }

    fn label(self) -> &'static str {
        match self {
            Growth::Linear => "linear",
            Growth::NLogN => "n log n",
            Growth::Worse => "NO",
        }
    }
}

/// A growth series: workload, then (size label, size, measurement) per size.
type Series = (String, Vec<(String, usize, Summary)>);

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    growth: Vec<Series>,
    builds: Vec<(String, Duration)>,
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Always in seconds, two decimals: the `compile` and `rows` tables.
fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / MIB as f64)
}

/// A psql script of statements (each ending with `;` at the end of a line) as one request
/// in one transaction: psql sends statements joined by `\;` to the server together.
fn one_request(script: &str) -> String {
    let mut out = String::from("BEGIN\\;\n");
    for line in script.lines() {
        match line.strip_suffix(';') {
            Some(statement) => {
                out.push_str(statement);
                out.push_str("\\;\n");
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str("COMMIT;\n");
    out
}

impl Report {
    /// The table of targets, the growth ratios and the build times, as Markdown.
    fn render(&self, suite: &Suite) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "Whole process, release build, median of {} runs (peak memory: the largest of them).\n",
            suite.runs
        );
        let _ = writeln!(
            t,
            "Peak memory is each process's own, as the kernel reports it (`wait4`); it is never \
             below the suite's own, {}.\n",
            mib(measure::own_peak_kib())
        );
        let _ = writeln!(
            t,
            "The Django column is quoted from the issue that set the targets, not measured by this \
             suite: Django 5.2 on a different, heavier schema than the projects generated here, \
             and the raw-client figures in it are on that schema too. The raw-client targets \
             of the last rows are measured here, on the suite's own projects.\n"
        );
        let _ = writeln!(
            t,
            "In the rows that apply M, CPU time (user and system, all threads, the median) is \
             shown beside wall time on both sides, each process's own (a server's work is in \
             neither): ours runs SQLite on sqlx's worker thread and spins for its answers \
             (`spin.rs`), which costs CPU and saves wall time. On \
             PostgreSQL, beside `psql -1` (a round trip per statement), the same SQL sent as one \
             query in one transaction (psql, the statements joined by `\\;`): the database's \
             floor.\n"
        );
        let _ = writeln!(
            t,
            "| workload | Django 5.2 (quoted, another schema) | target | ours (peak memory) | met |"
        );
        let _ = writeln!(t, "|---|---|---|---|---|");
        for r in &self.rows {
            let met = match r.met() {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "–",
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {met} |",
                r.workload,
                r.django,
                r.target_text(),
                r.ours_text()
            );
        }
        let _ = writeln!(
            t,
            "\nGrowth: how time and instructions (all threads, counted by callgrind in one more \
             run, the same from run to run) grow with size. The target is at most 2× per \
             doubling: linear. Judged on instructions when counted: \"linear\" at most 2× per \
             doubling, \"n log n\" within what n log n allows between these sizes (sorting, \
             ordered maps: ×2.16 per doubling from 5,000 to 10,000), \"NO\" beyond (quadratic \
             is ×4). Whole processes, so start-up, which does not grow, keeps ratios below the \
             size's.\n"
        );
        let _ = writeln!(t, "| workload | figures | ratios | growth |");
        let _ = writeln!(t, "|---|---|---|---|");
        for (workload, series) in &self.growth {
            let figures: Vec<String> = series
                .iter()
                .map(|(label, _, s)| match s.instructions {
                    Some(n) => format!(
                        "{label}: {} ({:.0} M instr.)",
                        secs(s.median),
                        n as f64 / 1e6
                    ),
                    None => format!("{label}: {}", secs(s.median)),
                })
                .collect();
            let mut class = Growth::Linear;
            let ratios: Vec<String> = series
                .windows(2)
                .map(|w| {
                    let size = w[1].1 as f64 / w[0].1 as f64;
                    let time = w[1].2.median.as_secs_f64() / w[0].2.median.as_secs_f64();
                    // Judged on instructions when counted; wall time swings ±10% here.
                    let (growth, text) = match (w[0].2.instructions, w[1].2.instructions) {
                        (Some(a), Some(b)) => {
                            let ratio = b as f64 / a as f64;
                            (ratio, format!("×{time:.2} time, ×{ratio:.2} instructions"))
                        }
                        _ => (time, format!("×{time:.2} time")),
                    };
                    class = class.max(Growth::of(growth, w[0].1, w[1].1));
                    // The growth for each doubling of the size: 2 is linear.
                    let per_doubling = growth.powf(1.0 / size.log2());
                    let text = format!("{text} (×{per_doubling:.2} per doubling)");
                    format!("{}→{}: ×{size:.1} size, {text}", w[0].0, w[1].0)
                })
                .collect();
            let _ = writeln!(
                t,
                "| {workload} | {} | {} | {} |",
                figures.join(", "),
                ratios.join("; "),
                class.label()
            );
        }
        let _ = writeln!(
            t,
            "\nBuild of the L project's crate (release, dependencies already built):\n"
        );
        let _ = writeln!(t, "| build | time |");
        let _ = writeln!(t, "|---|---|");
        for (what, d) in &self.builds {
            let _ = writeln!(t, "| {what} | {} |", secs(*d));
        }
        t
    }

    /// BENCHMARKS.md: the table, the machine and the command.
    fn markdown(&self, suite: &Suite, table: &str) -> String {
        let _ = self;
        format!(
            "# Benchmarks\n\nWritten by `cargo run --release -p migrate-bench -- --runs {} --write BENCHMARKS.md` \
             on {}.\n\nMachine: {}.\n\n{table}",
            suite.runs,
            today(),
            machine()
        )
    }
}

fn today() -> String {
    command_line("date", &["-u", "+%Y-%m-%d"]).unwrap_or_else(|| "an unknown date".into())
}

/// CPU, cores, memory, kernel, toolchain and database versions, as this machine reports them.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kib: u64 = m.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{} GiB", kib / MIB / MIB))
        })
        .unwrap_or_else(|| "unknown memory".into());
    let versions: Vec<String> = [
        ("uname", &["-sr"][..]),
        ("rustc", &["--version"][..]),
        ("sqlite3", &["--version"][..]),
        ("psql", &["--version"][..]),
        ("mariadb", &["--version"][..]),
    ]
    .iter()
    .filter_map(|(cmd, args)| Some(format!("{cmd} {}", version(&command_line(cmd, args)?)?)))
    .collect();
    format!("{cpu}, {cores} cores, {memory}; {}", versions.join("; "))
}

/// The version in a `--version` line: its first word with two dots (`10.11.19-MariaDB`),
/// else with one (`15.20`).
fn version(line: &str) -> Option<String> {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_end_matches(','))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let dotted = |n: usize| words.iter().find(|w| w.matches('.').count() >= n);
    dotted(2).or_else(|| dotted(1)).map(|w| w.to_string())
}

/// The first line a command prints, if it runs.
fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next()?.trim().to_owned())
}

/// A database to apply M onto, and its own command-line client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
    Mysql,
}

/// The parts of `scheme://user[:password]@host[:port]/database`.
struct UrlParts {
    user: String,
    password: Option<String>,
    host: String,
    port: Option<String>,
}

fn url_parts(url: &str) -> UrlParts {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
        None => (userinfo.to_owned(), None),
    };
    let (host, port) = match hostport.split_once(':') {
        Some((h, p)) => (h.to_owned(), Some(p.to_owned())),
        None => (hostport.to_owned(), None),
    };
    UrlParts {
        user,
        password,
        host,
        port,
    }
}

const BENCH_DB: &str = "migrate_bench";

impl Db {
    fn label(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
            Db::Mysql => "MariaDB",
        }
    }

    fn dialect(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
            Db::Mysql => "mysql",
        }
    }

    /// The server, as the tests find it (`MIGRATE_TEST_POSTGRES_URL`, `MIGRATE_TEST_MYSQL_URL`).
    fn server(self) -> String {
        match self {
            Db::Sqlite => String::new(),
            Db::Postgres => std::env::var("MIGRATE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
            Db::Mysql => std::env::var("MIGRATE_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
        }
    }

    fn sqlite_file(work: &Path) -> PathBuf {
        work.join("m.sqlite3")
    }

    fn url(self, work: &Path) -> String {
        match self {
            Db::Sqlite => format!("sqlite://{}", Db::sqlite_file(work).display()),
            _ => {
                let server = self.server();
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                format!("{base}/{BENCH_DB}")
            }
        }
    }

    /// The client, connected to the server's own database or to the bench database.
    fn client_command(self, bench_db: bool) -> Command {
        match self {
            Db::Sqlite => unreachable!("SQLite has no server"),
            Db::Postgres => {
                let mut c = Command::new("psql");
                c.arg(if bench_db {
                    self.url(Path::new(""))
                } else {
                    self.server()
                });
                c.args(["-q", "-X", "-v", "ON_ERROR_STOP=1"]);
                c
            }
            Db::Mysql => {
                let parts = url_parts(&self.server());
                let mut c = Command::new("mariadb");
                c.args(["-h", &parts.host, "-u", &parts.user]);
                if let Some(port) = &parts.port {
                    c.args(["-P", port]);
                }
                if let Some(password) = &parts.password {
                    c.arg(format!("--password={password}"));
                }
                if bench_db {
                    c.arg(BENCH_DB);
                }
                c
            }
        }
    }

    /// An empty database.
    fn reset(self, work: &Path) -> anyhow::Result<()> {
        if self == Db::Sqlite {
            return remove(&Db::sqlite_file(work));
        }
        let mut c = self.client_command(false);
        match self {
            // The checkpoint flushes what creating the database wrote, so that no run pays
            // for the previous one's writes.
            Db::Postgres => c.args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {BENCH_DB}"),
                "-c",
                &format!("CREATE DATABASE {BENCH_DB}"),
                "-c",
                "CHECKPOINT",
            ]),
            _ => c.args([
                "-e",
                &format!("DROP DATABASE IF EXISTS {BENCH_DB}; CREATE DATABASE {BENCH_DB}"),
            ]),
        };
        let out = c.output().with_context(|| format!("running {c:?}"))?;
        if !out.status.success() {
            bail!("{c:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// Whether the script needs its own BEGIN/COMMIT (psql gets `-1`; MariaDB commits DDL
    /// statement by statement whatever one writes).
    fn wraps_transaction(self) -> bool {
        self == Db::Sqlite
    }

    /// The client running `script` (its standard input) against the bench database, and
    /// stopping at the first error.
    fn client(self, work: &Path, script: &Path) -> Run {
        let command = match self {
            Db::Sqlite => {
                let mut c = Command::new("sqlite3");
                c.args(["-bail", "-batch"]).arg(Db::sqlite_file(work));
                c
            }
            Db::Postgres => {
                // `-1` applies to `-f` files, not to standard input.
                let mut c = self.client_command(true);
                c.arg("-1").arg("-f").arg(script);
                return c.into();
            }
            Db::Mysql => self.client_command(true),
        };
        Run {
            command,
            stdin: Some(script.to_path_buf()),
        }
    }
}

/// The files under a directory, to put back after a command that writes there.
#[derive(Debug)]
struct Snapshot {
    dir: PathBuf,
    files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl Snapshot {
    fn take(dir: &Path) -> anyhow::Result<Snapshot> {
        let mut files = std::collections::BTreeMap::new();
        for path in walk(dir)? {
            let bytes = std::fs::read(&path)?;
            files.insert(path, bytes);
        }
        Ok(Snapshot {
            dir: dir.to_path_buf(),
            files,
        })
    }

    fn restore(&self) -> anyhow::Result<()> {
        for path in walk(&self.dir)? {
            match self.files.get(&path) {
                None => std::fs::remove_file(&path)?,
                Some(bytes) if std::fs::read(&path)? != *bytes => std::fs::write(&path, bytes)?,
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    Ok(files)
}

impl Suite {
    fn run(&self) -> anyhow::Result<Report> {
        let mut report = Report::default();
        std::fs::create_dir_all(&self.work)?;
        eprintln!(
            "building the generated projects in {} (the first build compiles the dependencies)",
            self.target_dir.display()
        );

        // Models: S, M, L from scratch, then with their initial migrations.
        let mut scratch = Vec::new();
        let mut check = Vec::new();
        let mut projects = Vec::new();
        for (size, apps, per_app) in SIZES {
            let project = self.generate(size)?;
            let models = apps * per_app;
            self.build(&project)?;
            let t = self.measure(
                &project,
                "makemigrations-scratch",
                &["makemigrations", "--noinput"],
                None,
                || project.write_migrations(&[]),
            )?;
            scratch.push((size.to_owned(), models, t));
            // The last run's files stay: the initial migrations, built into the binary.
            self.build(&project)?;
            let t = self.measure(
                &project,
                "makemigrations-check",
                &["makemigrations", "--check"],
                None,
                || Ok(()),
            )?;
            check.push((size.to_owned(), models, t));
            projects.push(project);
        }
        let l = &projects[2];
        report.rows.push(Row::within(
            "makemigrations from scratch, L (2,000 models)",
            "22.5 s",
            200,
            scratch[2].2,
        ));
        report.rows.push(Row::within(
            "makemigrations --check, no changes, L",
            "10.4 s",
            100,
            check[2].2,
        ));

        // L: build times, then the 5% change.
        report
            .builds
            .push(("L, the project crate from clean".into(), {
                let out = Command::new(cargo())
                    .args(["clean", "--release", "--offline", "-p", &l.name])
                    .current_dir(&l.root)
                    .env("CARGO_TARGET_DIR", &self.target_dir)
                    .output()?;
                if !out.status.success() {
                    bail!("cargo clean: {}", String::from_utf8_lossy(&out.stderr));
                }
                self.build(l)?
            }));
        self.generate("L-edit1")?;
        report
            .builds
            .push(("L, incremental, one model edited".into(), self.build(l)?));
        self.generate("L-edit5")?;
        report.builds.push((
            "L, incremental, 5% of the models edited".into(),
            self.build(l)?,
        ));
        let before = Snapshot::take(&l.root.join("migrations"))?;
        let t = self.measure(
            l,
            "makemigrations-incremental",
            &["makemigrations", "--noinput"],
            None,
            || before.restore(),
        )?;
        before.restore()?;
        report.rows.push(Row::within(
            "incremental makemigrations after a 5% change, L",
            "10.6 s",
            100,
            t,
        ));

        // Histories.
        let mut show = Vec::new();
        let mut plan = Vec::new();
        let mut hcheck = Vec::new();
        let mut fake = Vec::new();
        for (apps, per_app) in HISTORIES {
            let n = apps * per_app;
            let project = self.generate(&format!("H{n}"))?;
            self.build(&project)?;
            let db = self.work.join(format!("h{n}.sqlite3"));
            let url = format!("sqlite://{}", db.display());
            let fresh = || remove(&db);
            let label = format!("{n}");
            show.push((
                label.clone(),
                n,
                self.measure(
                    &project,
                    "showmigrations",
                    &["showmigrations"],
                    Some(&url),
                    fresh,
                )?,
            ));
            plan.push((
                label.clone(),
                n,
                self.measure(&project, "plan", &["migrate", "--plan"], Some(&url), fresh)?,
            ));
            hcheck.push((
                label.clone(),
                n,
                self.measure(
                    &project,
                    "history-check",
                    &["makemigrations", "--check"],
                    Some(&url),
                    fresh,
                )?,
            ));
            // Every migration recorded and none run: what a migration costs us, without
            // the database's own DDL work.
            fake.push((
                label,
                n,
                self.measure(&project, "fake", &["migrate", "--fake"], Some(&url), fresh)?,
            ));
        }
        report.rows.push(Row::within(
            "showmigrations, 10,000 migrations",
            "6.6 s",
            100,
            show[1].2,
        ));
        report.rows.push(Row::within(
            "migrate --plan, 10,000 migrations, empty DB",
            "6.3 s",
            100,
            plan[1].2,
        ));
        report.rows.push(Row::within(
            "makemigrations --check, 10,000 migrations",
            "28.0 s",
            300,
            hcheck[1].2,
        ));
        report.rows.push(Row {
            workload: "migrate --fake, 10,000 migrations, empty SQLite".into(),
            django: "not measured",
            target: Target::None,
            ours: Some(fake[1].2),
            raw: None,
            one_query: None,
            missing: None,
        });

        // Applying M, against the database's own client on the same SQL.
        let m = &projects[1];
        for backend in [Db::Sqlite, Db::Postgres, Db::Mysql] {
            report.rows.push(self.apply(m, backend)?);
        }

        let peak = report
            .rows
            .iter()
            .filter_map(|r| r.ours.map(|s| s.max_rss_kib))
            .max()
            .unwrap_or(0);
        report.rows.push(Row {
            workload: "peak memory of any of the above".into(),
            django: "130–270 MB",
            target: Target::Memory(50 * MIB),
            ours: Some(Summary {
                median: Duration::ZERO,
                cpu: Duration::ZERO,
                max_rss_kib: peak,
                instructions: None,
            }),
            raw: None,
            one_query: None,
            missing: None,
        });

        report.growth = vec![
            ("makemigrations from scratch".into(), scratch),
            ("makemigrations --check, no changes".into(), check),
            ("showmigrations".into(), show),
            ("migrate --plan".into(), plan),
            ("makemigrations --check, history".into(), hcheck),
            ("migrate --fake".into(), fake),
        ];
        Ok(report)
    }

    /// Writes a workload in a child process of this binary (`generate`), so that this
    /// process stays small: a child's peak memory as the kernel reports it is never below
    /// its parent's at the time it was started.
    fn generate(&self, workload: &str) -> anyhow::Result<Project> {
        let out = Command::new(std::env::current_exe()?)
            .arg("generate")
            .arg(workload)
            .arg(&self.projects)
            .output()?;
        if !out.status.success() {
            bail!(
                "generating {workload}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let name = if workload.starts_with("L-") {
            "bench-l".to_owned()
        } else {
            format!("bench-{}", workload.to_lowercase())
        };
        Project::open(&self.projects, &name)
    }

    /// `cargo build --release` of the project's binary; how long it took. Not `--offline`:
    /// on a fresh machine, crates the suite itself does not link (clap, for one) may not be
    /// downloaded yet. The project has the workspace's lock file, so the versions match.
    fn build(&self, project: &Project) -> anyhow::Result<Duration> {
        eprintln!("  building {}", project.name);
        let start = Instant::now();
        let out = Command::new(cargo())
            .args(["build", "--release", "--quiet", "--bin", &project.bin()])
            .current_dir(&project.root)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .output()
            .context("running cargo")?;
        if !out.status.success() {
            bail!(
                "building {} failed:\n{}",
                project.root.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(start.elapsed())
    }

    fn command(&self, project: &Project, args: &[&str], url: Option<&str>) -> Command {
        let mut c = Command::new(self.target_dir.join("release").join(project.bin()));
        c.args(args).current_dir(&project.root);
        c.env("DATABASE_URL", url.unwrap_or("sqlite://db.sqlite3"));
        c
    }

    /// The median of `runs` runs of the project's binary with `args`, each after `setup`.
    fn measure(
        &self,
        project: &Project,
        label: &str,
        args: &[&str],
        url: Option<&str>,
        setup: impl FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<Summary> {
        eprintln!("  {} {}", project.name, args.join(" "));
        let label = format!("{}-{label}", project.name);
        measure::runs(self.runs, self.count, &self.logs, &label, setup, || {
            self.command(project, args, url).into()
        })
    }

    /// `migrate` of the whole project onto an empty database, and the SQL `sqlmigrate`
    /// prints for each planned migration, in plan order, run in one transaction by the
    /// database's own client.
    fn apply(&self, project: &Project, db: Db) -> anyhow::Result<Row> {
        let workload = format!("migrate M (500 models) onto empty {}", db.label());
        let (django, factor) = match db {
            Db::Sqlite => ("78.9 s (raw sqlite3: 4.4 s)", Some(1.1)),
            Db::Postgres => ("80.2 s (raw psql -1: 3.4 s)", Some(1.1)),
            Db::Mysql => ("not measured", None),
        };
        let mut row = Row {
            workload,
            django,
            target: factor.map_or(Target::None, Target::OfRaw),
            ours: None,
            raw: None,
            one_query: None,
            missing: None,
        };
        let url = db.url(&self.work);
        if let Err(e) = db.reset(&self.work) {
            if std::env::var("CI").as_deref() == Ok("true") {
                return Err(e.context(format!("{} is unreachable under CI=true", db.label())));
            }
            eprintln!("SKIPPED: {} is unreachable: {e:#}", db.label());
            row.missing = Some(format!("skipped: {} unreachable", db.label()));
            return Ok(row);
        }
        // The plan, then each migration's SQL, in order.
        let plan_out = self.output(project, &["migrate", "--plan"], &url)?;
        let mut script = String::new();
        if db.wraps_transaction() {
            script.push_str("BEGIN;\n");
        }
        for key in plan_out
            .lines()
            .filter(|l| !l.starts_with(char::is_whitespace) && l.contains('.'))
        {
            let (app, name) = key.split_once('.').expect("filtered");
            let sql = self.output(
                project,
                &["sqlmigrate", app, name, "--dialect", db.dialect()],
                &url,
            )?;
            for line in sql.lines() {
                if line != "BEGIN;" && line != "COMMIT;" {
                    script.push_str(line);
                    script.push('\n');
                }
            }
        }
        if db.wraps_transaction() {
            script.push_str("COMMIT;\n");
        }
        let script_path = self.work.join(format!("m-{}.sql", db.dialect()));
        std::fs::write(&script_path, &script)?;
        // PostgreSQL's floor: the same statements sent as one query, in one transaction
        // (psql sends statements joined by `\;` as one request), without a round trip each.
        let one_query = match db {
            Db::Postgres => {
                let path = self.work.join("m-postgres-one-query.sql");
                std::fs::write(&path, one_request(&script))?;
                Some(path)
            }
            _ => None,
        };
        // Raw and ours take turns, so that a server's slow drift (checkpoints, catalog
        // growth) weighs on both alike.
        eprintln!(
            "  {} migrate, and the raw script, on {}",
            project.name,
            db.label()
        );
        let (mut raw, mut one, mut ours) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..self.runs {
            db.reset(&self.work)?;
            let client = db.client(&self.work, &script_path);
            raw.push(measure::run_once(
                client,
                &self.logs,
                &format!("raw-{}", db.dialect()),
            )?);
            if let Some(path) = &one_query {
                db.reset(&self.work)?;
                let mut c = db.client_command(true);
                c.arg("-f").arg(path);
                let label = format!("one-query-{}", db.dialect());
                one.push(measure::run_once(c.into(), &self.logs, &label)?);
            }
            db.reset(&self.work)?;
            let migrate = self.command(project, &["migrate"], Some(&url)).into();
            let label = format!("{}-migrate-{}", project.name, db.dialect());
            ours.push(measure::run_once(migrate, &self.logs, &label)?);
        }
        let (raw, ours) = (Summary::of(&raw), Summary::of(&ours));
        eprintln!("    raw {}, ours {}", secs(raw.median), secs(ours.median));
        row.raw = Some(raw);
        row.one_query = (!one.is_empty()).then(|| Summary::of(&one));
        row.ours = Some(ours);
        Ok(row)
    }

    /// The stdout of one run of the project's binary (failing unless it exits 0).
    fn output(&self, project: &Project, args: &[&str], url: &str) -> anyhow::Result<String> {
        let out = self.command(project, args, Some(url)).output()?;
        if !out.status.success() {
            bail!(
                "{} {} failed:\n{}",
                project.bin(),
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn remove(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_classed_against_linear_and_n_log_n() {
        assert_eq!(Growth::of(1.99, 5000, 10000), Growth::Linear);
        assert_eq!(Growth::of(2.04, 5000, 10000), Growth::NLogN);
        assert_eq!(Growth::of(2.3, 5000, 10000), Growth::Worse);
        assert_eq!(Growth::of(4.27, 500, 2000), Growth::NLogN);
        assert_eq!(Growth::of(16.0, 500, 2000), Growth::Worse);
    }

    #[test]
    fn versions_are_read_off_version_lines() {
        let mariadb = "mariadb  Ver 15.1 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)";
        assert_eq!(version(mariadb).as_deref(), Some("10.11.19-MariaDB"));
        let psql = "psql (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)";
        assert_eq!(version(psql).as_deref(), Some("15.20"));
        assert_eq!(version("no digits here"), None);
    }

    #[test]
    fn a_script_becomes_one_request() {
        let script =
            "CREATE TABLE \"a\" (\n    \"id\" bigint\n);\nCREATE INDEX \"i\" ON \"a\" (\"id\");\n";
        assert_eq!(
            one_request(script),
            "BEGIN\\;\nCREATE TABLE \"a\" (\n    \"id\" bigint\n)\\;\nCREATE INDEX \"i\" ON \"a\" (\"id\")\\;\nCOMMIT;\n"
        );
    }

    #[test]
    fn urls_split_into_client_arguments() {
        let p = url_parts("mysql://root:secret@127.0.0.1:3306/test");
        assert_eq!(
            (p.user.as_str(), p.password.as_deref(), p.host.as_str()),
            ("root", Some("secret"), "127.0.0.1")
        );
        assert_eq!(p.port.as_deref(), Some("3306"));
    }
}
