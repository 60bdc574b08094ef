//! A pure DAG of migrations: dependencies and `run_before` as edges, with typed errors for
//! missing parents, cycles and conflicting leaves, and a deterministic topological order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use crate::error::{Error, Result};
use crate::migration::{Migration, MigrationKey};

/// Nodes are numbered in key order, so sorting numbers sorts keys, and edges are lists of
/// numbers: building and walking the graph is linear in migrations and dependencies, but
/// for one sort of the keys.
#[derive(Clone, Debug, Default)]
pub struct MigrationGraph {
    keys: Vec<MigrationKey>,
    index: HashMap<MigrationKey, usize>,
    /// Per node, sorted and without repeats.
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
}

impl MigrationGraph {
    /// The graph of these migrations. Every dependency must be among them.
    pub fn new<'a>(migrations: impl IntoIterator<Item = &'a Migration>) -> Result<Self> {
        let mut migrations: Vec<&Migration> = migrations.into_iter().collect();
        // Linear when they come sorted, as the loader's map gives them.
        migrations.sort_by(|a, b| (&a.app, &a.name).cmp(&(&b.app, &b.name)));
        if let Some(twice) = migrations
            .windows(2)
            .find(|w| w[0].app == w[1].app && w[0].name == w[1].name)
        {
            return Err(Error::DuplicateMigration {
                migration: twice[0].key().to_string(),
            });
        }
        let keys: Vec<MigrationKey> = migrations.iter().map(|m| m.key()).collect();
        let index = keys.iter().cloned().zip(0..).collect();
        let mut graph = MigrationGraph {
            parents: vec![Vec::new(); keys.len()],
            children: vec![Vec::new(); keys.len()],
            keys,
            index,
        };
        for (node, m) in migrations.iter().enumerate() {
            for dep in &m.dependencies {
                let parent = graph.node(dep, node)?;
                graph.add_edge(parent, node);
            }
            for later in &m.run_before {
                let child = graph.node(later, node)?;
                graph.add_edge(node, child);
            }
        }
        for edges in graph.parents.iter_mut().chain(graph.children.iter_mut()) {
            edges.sort_unstable();
            edges.dedup();
        }
        graph.check_acyclic()?;
        Ok(graph)
    }

    /// The node of `key`, which `asked_by` names as a dependency.
    fn node(&self, key: &MigrationKey, asked_by: usize) -> Result<usize> {
        self.index
            .get(key)
            .copied()
            .ok_or_else(|| Error::MissingDependency {
                migration: self.keys[asked_by].to_string(),
                dependency: key.to_string(),
            })
    }

    fn add_edge(&mut self, parent: usize, child: usize) {
        self.parents[child].push(parent);
        self.children[parent].push(child);
    }

    /// Finds a cycle with an iterative depth-first search and reports it whole.
    fn check_acyclic(&self) -> Result<()> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut marks = vec![Mark::New; self.keys.len()];
        for start in 0..self.keys.len() {
            if marks[start] != Mark::New {
                continue;
            }
            let mut stack: Vec<(usize, std::slice::Iter<usize>)> =
                vec![(start, self.children[start].iter())];
            marks[start] = Mark::Active;
            while let Some((node, iter)) = stack.last_mut() {
                match iter.next().copied() {
                    Some(child) => match marks[child] {
                        Mark::Active => {
                            let from = stack
                                .iter()
                                .position(|(n, _)| *n == child)
                                .expect("on the stack");
                            let mut cycle: Vec<String> = stack[from..]
                                .iter()
                                .map(|(n, _)| self.keys[*n].to_string())
                                .collect();
                            cycle.push(self.keys[child].to_string());
                            return Err(Error::Cycle { cycle });
                        }
                        Mark::Done => {}
                        Mark::New => {
                            marks[child] = Mark::Active;
                            stack.push((child, self.children[child].iter()));
                        }
                    },
                    None => {
                        marks[*node] = Mark::Done;
                        stack.pop();
                    }
                }
            }
        }
        Ok(())
    }

    fn edges<'g>(
        &'g self,
        edges: &'g [Vec<usize>],
        key: &MigrationKey,
    ) -> impl Iterator<Item = &'g MigrationKey> {
        let nodes = self.index.get(key).map_or(&[][..], |&n| &edges[n][..]);
        nodes.iter().map(|&n| &self.keys[n])
    }

    /// Whether the graph has this migration.
    pub fn contains(&self, key: &MigrationKey) -> bool {
        self.index.contains_key(key)
    }

    /// What `key` depends on, in key order.
    pub fn parents(&self, key: &MigrationKey) -> impl Iterator<Item = &MigrationKey> {
        self.edges(&self.parents, key)
    }

    /// What depends on `key`, in key order.
    pub fn children(&self, key: &MigrationKey) -> impl Iterator<Item = &MigrationKey> {
        self.edges(&self.children, key)
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no migrations.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// For each app, its migrations that no other migration of the app depends on.
    /// One pass over nodes and edges.
    pub fn app_leaves(&self) -> BTreeMap<&str, Vec<&MigrationKey>> {
        let mut leaves: BTreeMap<&str, Vec<&MigrationKey>> = BTreeMap::new();
        for (key, children) in self.keys.iter().zip(&self.children) {
            if !children.iter().any(|&c| self.keys[c].app == key.app) {
                leaves.entry(&*key.app).or_default().push(key);
            }
        }
        leaves
    }

    /// Apps with more than one leaf: branches that need a merge.
    pub fn conflicts(&self) -> BTreeMap<&str, Vec<&MigrationKey>> {
        let mut leaves = self.app_leaves();
        leaves.retain(|_, l| l.len() > 1);
        leaves
    }

    /// Every migration, parents before children; among the ready ones, in key order, so the
    /// order depends only on the graph. O((V + E) log V), on node numbers.
    pub fn topological_order(&self) -> Vec<&MigrationKey> {
        let mut waiting: Vec<usize> = self.parents.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<usize>> = (0..self.keys.len())
            .filter(|&n| waiting[n] == 0)
            .map(Reverse)
            .collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some(Reverse(node)) = ready.pop() {
            order.push(&self.keys[node]);
            for &child in &self.children[node] {
                waiting[child] -= 1;
                if waiting[child] == 0 {
                    ready.push(Reverse(child));
                }
            }
        }
        order
    }
}
