//! Autodetection and replay at scale, as a plain bench binary: `cargo bench -p migrate-core`.
//!
//! Projects are generated deterministically in memory: A apps × M models × 12 fields (a mix
//! of varchar, int, bool, nullable datetime, decimal, uuid, text), foreign keys to earlier
//! models (across apps too, Protect and Cascade), two named indexes and a unique constraint
//! every few models. Histories are H small migrations per app.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use migrate_core::autodetector::{Autodetector, RenameHints};
use migrate_core::fields::foreign_key;
use migrate_core::loader::Loader;
use migrate_core::prelude::*;
use migrate_core::questioner::NonInteractive;
use migrate_core::state::{ModelState, Name};
use migrate_core::{MigrationKey, ProjectState};

/// A small deterministic generator (xorshift), so every run measures the same project.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn app_name(a: usize) -> String {
    format!("app{a:03}")
}

fn project(apps: usize, models_per_app: usize) -> ProjectState {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut models = Vec::with_capacity(apps * models_per_app);
    let mut earlier: Vec<String> = Vec::new();
    for a in 0..apps {
        for m in 0..models_per_app {
            let app = app_name(a);
            let name = format!("Model{m:03}");
            let mut fields = vec![Field::auto_id()];
            for f in 0..10 {
                let field = match rng.below(7) {
                    0 => Field::new(format!("f{f}"), Varchar(100)),
                    1 => Field::new(format!("f{f}"), Integer).default(0),
                    2 => Field::new(format!("f{f}"), Boolean).default(false),
                    3 => Field::new(format!("f{f}"), TimestampTz).null(),
                    4 => Field::new(
                        format!("f{f}"),
                        Decimal {
                            max_digits: 12,
                            decimal_places: 2,
                        },
                    ),
                    5 => Field::new(format!("f{f}"), Uuid),
                    _ => Field::new(format!("f{f}"), Text).null(),
                };
                fields.push(field);
            }
            if earlier.is_empty() {
                fields.push(Field::new("f10", Text));
            } else {
                let target = &earlier[rng.below(earlier.len() as u64) as usize];
                let on_delete = if rng.below(2) == 0 { Protect } else { Cascade };
                fields.push(Field::new("parent", foreign_key(target, on_delete)));
            }
            let mut model = ModelState {
                table: format!("{app}_{}", name.to_lowercase()).into(),
                app: app.clone().into(),
                name: name.clone().into(),
                fields: fields.into(),
                indexes: Default::default(),
                constraints: Default::default(),
            };
            if m % 4 == 0 {
                let t = &model.table;
                model.indexes = vec![
                    Index::new(format!("{t}_a_idx"), ["f0"]),
                    Index::new(format!("{t}_b_idx"), ["f1", "f2"]),
                ]
                .into();
                model.constraints =
                    vec![Constraint::unique(format!("{t}_uniq"), ["f3", "f4"])].into();
            }
            earlier.push(format!("{app}.{name}"));
            models.push(model);
        }
    }
    ProjectState::from_models(models).expect("the generated project is valid")
}

/// H migrations per app: an initial one with one model, then one small change each.
fn history(apps: usize, per_app: usize) -> Vec<Migration> {
    let mut migrations = Vec::with_capacity(apps * per_app);
    for a in 0..apps {
        let app = app_name(a);
        let mut previous: Option<String> = None;
        for n in 1..=per_app {
            let name = if n == 1 {
                "0001_initial".to_owned()
            } else {
                format!("{n:04}_step")
            };
            let mut m = Migration::new(app.clone(), name.clone());
            if let Some(p) = &previous {
                m = m.depends_on(app.clone(), p.clone());
            } else if a > 0 {
                m = m.depends_on(app_name(a - 1), "0001_initial");
            }
            let op: Operation = match n {
                1 => CreateModel::new("Thing", format!("{app}_thing"))
                    .fields([Field::auto_id(), Field::new("label", Varchar(50))])
                    .into(),
                n if n % 3 == 0 => {
                    AlterField::new("Thing", Field::new("label", Varchar(50 + n as u32))).into()
                }
                n => AddField::new("Thing", Field::new(format!("f{n}"), Integer).null()).into(),
            };
            migrations.push(m.operations([op]));
            previous = Some(name);
        }
    }
    migrations
}

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
    let runs = if quick { 1 } else { 7 };
    let empty = ProjectState::new();
    let no_leaves = BTreeMap::new();
    println!("{:<58} {:>13}", "workload (median)", "time");
    for (apps, per_app) in [(10, 10), (20, 25), (40, 50)] {
        let to = project(apps, per_app);
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
