//! What `migrate` prints as it runs, for people. Not on a terminal (a pipe, a CI log), plain
//! lines: `  Applying x... OK (0.012s)`, and a data migration's rows at most once a second
//! (every batch at `-v 2`). On a terminal, the line of the migration that runs is redrawn
//! in place once it takes longer than a moment: the time so far and, for a data migration,
//! the rows done and their rate; ` OK` is green and ` FAILED` red unless `NO_COLOR` is set.

use std::io::Write;
use std::time::{Duration, Instant};

use migrate_core::executor::Event;
use migrate_core::planner::Direction;

/// How long a migration runs before its line shows the time it has taken.
const A_MOMENT: Duration = Duration::from_millis(500);

/// Where the output goes: whether it is a terminal, and whether colours are wanted there.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Redraw lines in place.
    pub live: bool,
    /// Colour ` OK` and ` FAILED`.
    pub color: bool,
}

impl Terminal {
    /// Standard output as it is: a terminal or not, and `NO_COLOR` (any non-empty value) or
    /// `TERM=dumb` for no colour.
    pub fn stdout() -> Self {
        use std::io::IsTerminal;
        let live = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Terminal {
            live,
            color: live && !no_color,
        }
    }
}

/// The migration whose line is open (`  Applying x...`, waiting for its ` OK`).
struct Line {
    text: String,
    started: Instant,
    /// A data migration's batches: what, rows so far, and when the first were reported.
    rows: Option<(String, u64)>,
    /// Redrawn at least once: the end of the line must be drawn whole.
    drawn: bool,
}

/// The running report of one `migrate`.
pub struct Report<'o> {
    out: &'o mut dyn Write,
    terminal: Terminal,
    verbosity: u8,
    fake: bool,
    waiting: String,
    line: Option<Line>,
    last_rows: Instant,
}

impl<'o> Report<'o> {
    /// Reports to `out`; `waiting` is what to say while another run holds the lock.
    pub fn new(
        out: &'o mut dyn Write,
        terminal: Terminal,
        verbosity: u8,
        fake: bool,
        waiting: String,
    ) -> Self {
        Report {
            out,
            terminal,
            verbosity,
            fake,
            waiting,
            line: None,
            last_rows: Instant::now(),
        }
    }

    /// One event of the executor.
    pub fn event(&mut self, event: Event<'_>) {
        let _ = self.write(event);
        let _ = self.out.flush();
    }

    fn write(&mut self, event: Event<'_>) -> std::io::Result<()> {
        match event {
            Event::Started(step) => {
                let verb = match step.direction {
                    Direction::Forwards => "Applying",
                    Direction::Backwards => "Unapplying",
                };
                let fake = if self.fake { " (fake)" } else { "" };
                let text = format!("  {verb} {}{fake}...", step.key);
                write!(self.out, "{text}")?;
                self.line = Some(Line {
                    text,
                    started: Instant::now(),
                    rows: None,
                    drawn: false,
                });
            }
            Event::Finished(_, took) => {
                let ok = self.paint(" OK", "32");
                let took = format!("({:.3}s)", took.as_secs_f64());
                match self.line.take() {
                    Some(line) if line.drawn => {
                        writeln!(self.out, "\r\x1b[K{}{ok} {took}", line.text)?
                    }
                    Some(_) => writeln!(self.out, "{ok} {took}")?,
                    None => writeln!(self.out, "   {ok} {took}")?,
                }
            }
            Event::Skipped(_) => {
                self.line = None;
                writeln!(self.out, " already done by another run")?;
            }
            Event::Faked(_) => {
                let faked = self.paint(" FAKED", "33");
                match self.line.take() {
                    Some(line) if line.drawn => {
                        writeln!(self.out, "\r\x1b[K{}{faked}", line.text)?
                    }
                    _ => writeln!(self.out, "{faked}")?,
                }
            }
            Event::Sql(sql) if self.verbosity >= 3 => {
                if self.line.take().is_some() {
                    writeln!(self.out)?;
                }
                writeln!(self.out, "    {sql};")?;
            }
            Event::Sql(_) => {}
            Event::Progress { label, done } => {
                let live = self.terminal.live;
                match &mut self.line {
                    Some(line) if live => {
                        line.rows = Some((label.to_owned(), done));
                        self.redraw()?;
                    }
                    _ => {
                        if self.verbosity >= 2 || self.last_rows.elapsed().as_secs() >= 1 {
                            self.last_rows = Instant::now();
                            write!(self.out, "\n    {label}: {done} rows done")?;
                        }
                    }
                }
            }
            Event::WaitingForLock => writeln!(self.out, "  {}", self.waiting)?,
            Event::Resumed { done, total } => {
                self.extend(&format!(" resuming after step {done} of {total}..."))?
            }
            Event::Reverting { done, total } => self.extend(&format!(
                " taking back the {done} of {total} steps a stopped run had done..."
            ))?,
            Event::RustRerun => self.extend(
                " (its Rust operation runs again from the start: it keeps no progress of its own)...",
            )?,
        }
        Ok(())
    }

    /// Adds to the open line (and to what a redraw draws).
    fn extend(&mut self, more: &str) -> std::io::Result<()> {
        if let Some(line) = &mut self.line {
            line.text.push_str(more);
        }
        write!(self.out, "{more}")
    }

    /// On a terminal, redraws the open line with the time so far once it has taken more
    /// than a moment (called by a timer, and on each batch of a data migration).
    pub fn tick(&mut self) {
        let due = self
            .line
            .as_ref()
            .is_some_and(|l| l.started.elapsed() >= A_MOMENT);
        if self.terminal.live && due {
            let _ = self.redraw();
            let _ = self.out.flush();
        }
    }

    fn redraw(&mut self) -> std::io::Result<()> {
        let Some(line) = &mut self.line else {
            return Ok(());
        };
        line.drawn = true;
        let elapsed = line.started.elapsed().as_secs_f64();
        let rows = match &line.rows {
            Some((label, done)) => {
                let rate = *done as f64 / elapsed.max(0.001);
                format!(" {label}: {done} rows, {rate:.0} rows/s,")
            }
            None => String::new(),
        };
        write!(self.out, "\r\x1b[K{}{rows} {elapsed:.1}s", line.text)
    }

    /// The run stopped with an error: the open line ends with ` FAILED`.
    pub fn failed(&mut self) {
        let failed = self.paint(" FAILED", "31");
        let _ = match self.line.take() {
            Some(line) if line.drawn => writeln!(self.out, "\r\x1b[K{}{failed}", line.text),
            _ => writeln!(self.out, "{failed}"),
        };
        let _ = self.out.flush();
    }

    /// `text` in the ANSI colour `code`, when colours are on.
    fn paint(&self, text: &str, code: &str) -> String {
        if self.terminal.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}
