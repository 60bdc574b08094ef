//! Whole-process measurements: wall time from spawn to exit, and the child's CPU time and
//! peak resident memory as the kernel accounts them (`wait4`), over several runs.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// One run of a command.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// User and system time of all the child's threads.
    pub cpu: Duration,
    /// Peak resident set size, in KiB.
    pub max_rss_kib: u64,
}

/// Several runs of a command: the median time and CPU time, the largest peak memory, and
/// the instructions of one more run under callgrind when they were counted.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub median: Duration,
    pub cpu: Duration,
    pub max_rss_kib: u64,
    pub instructions: Option<u64>,
}

impl Summary {
    pub fn of(samples: &[Sample]) -> Summary {
        let median = |of: fn(&Sample) -> Duration| {
            let mut all: Vec<Duration> = samples.iter().map(of).collect();
            all.sort();
            all[all.len() / 2]
        };
        Summary {
            median: median(|s| s.wall),
            cpu: median(|s| s.cpu),
            max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            instructions: None,
        }
    }
}

/// A command to run, with the file its standard input reads (none: empty).
#[derive(Debug)]
pub struct Run {
    pub command: Command,
    pub stdin: Option<std::path::PathBuf>,
}

impl From<Command> for Run {
    fn from(command: Command) -> Self {
        Run {
            command,
            stdin: None,
        }
    }
}

/// Runs the command once with its output in files under `log_dir` (named by `label`), and
/// fails with that output unless it exits with 0.
pub fn run_once(run: Run, log_dir: &Path, label: &str) -> anyhow::Result<Sample> {
    let Run { mut command, stdin } = run;
    std::fs::create_dir_all(log_dir)?;
    let stdout_path = log_dir.join(format!("{label}.stdout"));
    let stderr_path = log_dir.join(format!("{label}.stderr"));
    command
        .stdin(match &stdin {
            Some(path) => Stdio::from(File::open(path)?),
            None => Stdio::null(),
        })
        .stdout(File::create(&stdout_path)?)
        .stderr(File::create(&stderr_path)?);
    let start = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let (code, cpu, max_rss_kib) = wait(child.id())?;
    let wall = start.elapsed();
    if code != 0 {
        let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail = |s: &str| s.lines().rev().take(30).collect::<Vec<_>>().join("\n");
        bail!(
            "{command:?} exited with {code}\nstdout (last lines, reversed):\n{}\nstderr (last lines, reversed):\n{}",
            tail(&stdout),
            tail(&stderr)
        );
    }
    Ok(Sample {
        wall,
        cpu,
        max_rss_kib,
    })
}

/// `runs` runs of the command `make` builds, each after `setup` (untimed), and with `count`
/// one more under callgrind; the summary is also printed on stderr as the suite goes.
pub fn runs(
    runs: usize,
    count: bool,
    log_dir: &Path,
    label: &str,
    mut setup: impl FnMut() -> anyhow::Result<()>,
    mut make: impl FnMut() -> Run,
) -> anyhow::Result<Summary> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        setup()?;
        samples.push(run_once(make(), log_dir, label)?);
    }
    let mut summary = Summary::of(&samples);
    if count {
        setup()?;
        summary.instructions = Some(instructions(make(), log_dir, label)?);
    }
    eprintln!(
        "    {label}: median {:.1} ms, peak {} KiB{}",
        summary.median.as_secs_f64() * 1e3,
        summary.max_rss_kib,
        summary
            .instructions
            .map_or(String::new(), |n| format!(", {n} instructions"))
    );
    Ok(summary)
}

/// Whether `valgrind` can be run here.
pub fn have_valgrind() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The instructions one run of the command executes, all threads, as callgrind counts them:
/// unlike wall time, the same for the same binary and input whatever else the machine does.
pub fn instructions(run: Run, log_dir: &Path, label: &str) -> anyhow::Result<u64> {
    let Run { command, stdin } = run;
    let mut valgrind = Command::new("valgrind");
    valgrind
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        valgrind.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => valgrind.env(key, value),
            None => valgrind.env_remove(key),
        };
    }
    let label = format!("{label}-callgrind");
    run_once(
        Run {
            command: valgrind,
            stdin,
        },
        log_dir,
        &label,
    )?;
    let stderr = std::fs::read_to_string(log_dir.join(format!("{label}.stderr")))?;
    collected(&stderr)
        .with_context(|| format!("no instruction count in callgrind's output for {label}"))
}

/// The count in callgrind's `==pid== Collected : N` line.
fn collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let (_, count) = line.split_once("Collected :")?;
        count.trim().parse().ok()
    })
}

/// Waits for the child `pid`, returning its exit code (128 + signal when killed), its CPU
/// time (user and system) and its peak resident memory in KiB.
#[allow(unsafe_code)]
fn wait(pid: u32) -> anyhow::Result<(i32, Duration, u64)> {
    let pid = libc::pid_t::try_from(pid).context("pid out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types; `pid` is our own child,
    // which std has not waited for (its `Child` handle is dropped unwaited).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        bail!("wait4({pid}) failed: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    // Linux reports ru_maxrss in KiB.
    Ok((code, cpu, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

/// The high-water mark of this process's own memory (`VmHWM`), in KiB: a floor under every
/// child's figure, since the kernel counts into a child's peak the memory of the process it
/// was started from.
pub fn own_peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_read_off_callgrinds_summary() {
        let stderr = "==16770== Callgrind, a call-graph generating cache profiler\n\
                      ==16770== Events    : Ir\n\
                      ==16770== Collected : 49912005\n\
                      ==16770== I   refs:      49,912,005\n";
        assert_eq!(collected(stderr), Some(49_912_005));
        assert_eq!(collected("==1== no summary\n"), None);
    }
}
