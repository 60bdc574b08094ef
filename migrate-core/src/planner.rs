//! The plan: given the graph, what is applied and the targets, which migrations to apply
//! or unapply, in order (Django's `executor.migration_plan`, pure). Linear in the graph.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::{Error, Result};
use crate::graph::MigrationGraph;
use crate::migration::MigrationKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// Which way a step takes a migration.
pub enum Direction {
    /// Apply it.
    Forwards,
    /// Unapply it.
    Backwards,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// One migration to apply or unapply.
pub struct Step {
    /// The migration.
    pub key: MigrationKey,
    /// Which way.
    pub direction: Direction,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.direction {
            Direction::Forwards => write!(f, "Apply {}", self.key),
            Direction::Backwards => write!(f, "Unapply {}", self.key),
        }
    }
}

/// Where to take the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every migration of every app.
    All,
    /// Every migration of one app.
    App(String),
    /// Exactly this migration: forwards to it, or back to just after it.
    Migration(MigrationKey),
    /// No migration of the app applied.
    Zero(String),
}

/// Finds a migration of `app` by full name or unique prefix (`0002` for `0002_tenant_status`).
pub fn find(graph: &MigrationGraph, app: &str, name: &str) -> Result<MigrationKey> {
    let exact = MigrationKey::new(app.to_owned(), name.to_owned());
    if graph.contains(&exact) {
        return Ok(exact);
    }
    let matches: Vec<&MigrationKey> = graph
        .topological_order()
        .into_iter()
        .filter(|k| k.app == app && k.name.starts_with(name))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::UnknownMigration {
            app: app.to_owned(),
            name: name.to_owned(),
        }),
        many => Err(Error::AmbiguousMigration {
            app: app.to_owned(),
            name: name.to_owned(),
            candidates: many.iter().map(|k| k.name.to_string()).collect(),
        }),
    }
}

/// The steps that take a database with `applied` to `target`.
pub fn plan(
    graph: &MigrationGraph,
    applied: &BTreeSet<MigrationKey>,
    target: &Target,
) -> Result<Vec<Step>> {
    let order = graph.topological_order();
    let in_app = |app: &str| -> Vec<&MigrationKey> {
        order.iter().copied().filter(|k| k.app == app).collect()
    };
    let forwards_to = |goals: Vec<&MigrationKey>| -> Vec<Step> {
        let wanted = closure(goals, |k| Box::new(graph.parents(k)));
        order
            .iter()
            .filter(|k| wanted.contains(*k) && !applied.contains(*k))
            .map(|k| Step {
                key: (*k).clone(),
                direction: Direction::Forwards,
            })
            .collect()
    };
    let backwards_from = |starts: Vec<&MigrationKey>| -> Vec<Step> {
        let unwanted = closure(starts, |k| Box::new(graph.children(k)));
        order
            .iter()
            .rev()
            .filter(|k| unwanted.contains(*k) && applied.contains(*k))
            .map(|k| Step {
                key: (*k).clone(),
                direction: Direction::Backwards,
            })
            .collect()
    };
    Ok(match target {
        Target::All => forwards_to(order.clone()),
        Target::App(app) => {
            let nodes = in_app(app);
            if nodes.is_empty() {
                return Err(Error::UnknownApp { app: app.clone() });
            }
            forwards_to(nodes)
        }
        Target::Migration(key) if applied.contains(key) => {
            // Back to just after `key`: unapply what follows it in its app, and what depends on that.
            let next: Vec<&MigrationKey> =
                graph.children(key).filter(|c| c.app == key.app).collect();
            backwards_from(next)
        }
        Target::Migration(key) => forwards_to(vec![key]),
        Target::Zero(app) => {
            let nodes = in_app(app);
            if nodes.is_empty() {
                return Err(Error::UnknownApp { app: app.clone() });
            }
            backwards_from(nodes)
        }
    })
}

/// `starts` and everything reachable from them through `next`.
fn closure<'g>(
    starts: Vec<&'g MigrationKey>,
    next: impl Fn(&'g MigrationKey) -> Box<dyn Iterator<Item = &'g MigrationKey> + 'g>,
) -> BTreeSet<&'g MigrationKey> {
    let mut seen: BTreeSet<&MigrationKey> = BTreeSet::new();
    let mut stack = starts;
    while let Some(k) = stack.pop() {
        if seen.insert(k) {
            stack.extend(next(k));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::Migration;

    fn graph() -> (Vec<Migration>, MigrationGraph) {
        let ms = vec![
            Migration::new("a", "0001_initial"),
            Migration::new("a", "0002_more").depends_on("a", "0001_initial"),
            Migration::new("b", "0001_initial").depends_on("a", "0002_more"),
            Migration::new("b", "0002_more").depends_on("b", "0001_initial"),
        ];
        let g = MigrationGraph::new(&ms).unwrap();
        (ms, g)
    }

    fn keys(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    if s.direction == Direction::Forwards {
                        "+"
                    } else {
                        "-"
                    },
                    s.key
                )
            })
            .collect()
    }

    fn applied(names: &[(&str, &str)]) -> BTreeSet<MigrationKey> {
        names
            .iter()
            .map(|(a, n)| MigrationKey::new(a.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    fn everything_forwards_in_dependency_order() {
        let (_, g) = graph();
        let p = plan(&g, &BTreeSet::new(), &Target::All).unwrap();
        assert_eq!(
            keys(&p),
            [
                "+ a.0001_initial",
                "+ a.0002_more",
                "+ b.0001_initial",
                "+ b.0002_more"
            ]
        );
        let p = plan(
            &g,
            &applied(&[("a", "0001_initial")]),
            &Target::App("b".into()),
        )
        .unwrap();
        assert_eq!(
            keys(&p),
            ["+ a.0002_more", "+ b.0001_initial", "+ b.0002_more"]
        );
    }

    #[test]
    fn back_to_a_migration_unapplies_what_depends_on_its_successor() {
        let (_, g) = graph();
        let all = applied(&[
            ("a", "0001_initial"),
            ("a", "0002_more"),
            ("b", "0001_initial"),
            ("b", "0002_more"),
        ]);
        let target = Target::Migration(find(&g, "a", "0001").unwrap());
        let p = plan(&g, &all, &target).unwrap();
        assert_eq!(
            keys(&p),
            ["- b.0002_more", "- b.0001_initial", "- a.0002_more"]
        );
        let p = plan(&g, &all, &Target::Zero("b".into())).unwrap();
        assert_eq!(keys(&p), ["- b.0002_more", "- b.0001_initial"]);
    }

    #[test]
    fn names_resolve_by_unique_prefix() {
        let (_, g) = graph();
        assert_eq!(find(&g, "a", "0002").unwrap().name, "0002_more");
        assert!(matches!(
            find(&g, "a", "000"),
            Err(Error::AmbiguousMigration { .. })
        ));
        assert_eq!(
            find(&g, "a", "0009").unwrap_err().to_string(),
            "no migration a.0009 (nor one whose name starts with it)"
        );
    }
}
