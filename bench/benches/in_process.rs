//! Autodetection and replay at scale inside one process, without start-up, database or
//! files: `cargo bench -p migrate-bench --bench in_process`. The projects and histories are
//! those of the whole-process suite (`migrate_bench::generate`).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use migrate_bench::generate::{history, models, SEED};
use migrate_core::autodetector::{Autodetector, RenameHints};
use migrate_core::loader::Loader;
use migrate_core::questioner::NonInteractive;
use migrate_core::state::Name;
use migrate_core::{MigrationKey, ProjectState};

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(what: &str, t: Duration) {
    println!("{what:<58} {:>10.2} ms", t.as_secs_f64() * 1e3);
}

fn autodetect(
    from: &ProjectState,
    to: &ProjectState,
    leaves: &BTreeMap<Name, MigrationKey>,
) -> usize {
    Autodetector {
        from,
        to,
        hints: &RenameHints::default(),
        leaves,
    }
    .changes(&mut NonInteractive::default())
    .expect("the generated changes are valid")
    .migrations
    .len()
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    // `--models N`: autodetection from scratch of N models (apps of 50), once, and nothing
    // else: what `valgrind --tool=callgrind` counts the instructions of, size by size.
    let only = std::env::args()
        .skip_while(|a| a != "--models")
        .nth(1)
        .map(|n| n.parse::<usize>().expect("--models N"));
    if let Some(n) = only {
        let to = models(n.div_ceil(50), 50.min(n), SEED);
        println!(
            "{} migrations",
            autodetect(&ProjectState::new(), &to, &BTreeMap::new())
        );
        return;
    }
    // `--history APPS PER_APP`: what `makemigrations --check` does over the generated history
    // of that size (load, replay, autodetect against the state at its end), once.
    let history_size: Vec<usize> = std::env::args()
        .skip_while(|a| a != "--history")
        .skip(1)
        .take(2)
        .map(|n| n.parse().expect("--history APPS PER_APP"))
        .collect();
    if let [apps, per_app] = history_size[..] {
        let migrations = history(apps, per_app);
        let loader = Loader::new(migrations).expect("the history loads");
        let state = loader.project_state().expect("the history replays");
        let leaves = migrate_core::drift::leaves(&loader).expect("one leaf per app");
        drop(loader); // as `makemigrations` does before the autodetector runs
        println!(
            "{} models, {} fields, {} migrations",
            state.len(),
            state.models().map(|m| m.fields.len()).sum::<usize>(),
            autodetect(&state, &state, &leaves)
        );
        return;
    }
    let runs = if quick { 1 } else { 7 };
    let empty = ProjectState::new();
    let no_leaves = BTreeMap::new();
    println!("{:<58} {:>13}", "workload (median)", "time");
    for (apps, per_app) in [(10, 10), (20, 25), (40, 50), (100, 50), (200, 50)] {
        let to = models(apps, per_app, SEED);
        let label = format!("{} models", apps * per_app);
        let t = median(runs, || {
            black_box(autodetect(&empty, &to, &no_leaves));
        });
        report(&format!("autodetect from scratch, {label}"), t);
        let leaves: BTreeMap<Name, MigrationKey> = to
            .apps()
            .into_iter()
            .map(|a| {
                (
                    Name::from(a.to_owned()),
                    MigrationKey::new(a.to_owned(), "0001_initial"),
                )
            })
            .collect();
        let t = median(runs, || {
            black_box(autodetect(&to, &to, &leaves));
        });
        report(&format!("autodetect, no changes, {label}"), t);
        if quick {
            break;
        }
    }
    for (apps, per_app) in [(50, 100), (100, 100)] {
        let migrations = history(apps, per_app);
        let label = format!("{} migrations", migrations.len());
        let t = median(runs, || {
            let loader = Loader::new(migrations.clone()).expect("the history loads");
            black_box(loader.project_state().expect("the history replays"));
        });
        report(&format!("load graph + replay, {label}"), t);
        if quick {
            break;
        }
    }
}
