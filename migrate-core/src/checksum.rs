//! What a migration does, as the checksum recorded with it when it is applied, and the
//! comparison of applied migrations with their files.
//!
//! The checksum is taken over the migration in canonical form (`writer::canonical`: what
//! its builder calls declare, one line per operation), not over the file's bytes, so
//! reformatting a file or editing a comment changes nothing, while any change to an
//! operation, their order, the dependencies or the atomicity does. It is stored as
//! `v1 <header> <operation> <operation> …`, one 64-bit FNV-1a hash (16 hex digits) each, so
//! that a difference can be told per operation.

use std::collections::BTreeMap;

use crate::loader::Loader;
use crate::migration::{Migration, MigrationKey};

const VERSION: &str = "v1";

fn fnv64(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The checksum of `m`.
pub fn checksum(m: &Migration) -> String {
    let (header, ops) = crate::writer::canonical(m);
    let mut out = format!("{VERSION} {}", fnv64(&header));
    for op in &ops {
        out.push(' ');
        out.push_str(&fnv64(op));
    }
    out
}

/// How `m` differs from what was applied under `recorded`, in words; empty when it does
/// not.
pub fn differences(recorded: &str, m: &Migration) -> Vec<String> {
    let now = checksum(m);
    if now == recorded {
        return Vec::new();
    }
    let mut old = recorded.split(' ');
    if old.next() != Some(VERSION) {
        return vec![format!(
            "its checksum was recorded in another form ({recorded})"
        )];
    }
    let old_header = old.next().unwrap_or_default();
    let old_ops: Vec<&str> = old.collect();
    let mut new = now.split(' ').skip(1);
    let new_header = new.next().unwrap_or_default();
    let new_ops: Vec<&str> = new.collect();
    let mut out = Vec::new();
    if old_header != new_header {
        out.push("its dependencies, replacements or atomicity changed".to_owned());
    }
    for (i, op) in m.operations.iter().enumerate() {
        match old_ops.get(i) {
            Some(old) if *old == new_ops[i] => {}
            Some(_) => out.push(format!("operation {} changed: {}", i + 1, op.describe())),
            None => out.push(format!("operation {} added: {}", i + 1, op.describe())),
        }
    }
    if old_ops.len() > new_ops.len() {
        out.push(format!(
            "{} operation(s) removed from the end",
            old_ops.len() - new_ops.len()
        ));
    }
    out
}

/// An applied migration whose file says something else now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// The applied migration.
    pub key: MigrationKey,
    /// What differs, one line each (the header, or an operation by position).
    pub differences: Vec<String>,
}

/// Applied migrations compared with the files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Applied, and the file's operations differ from what was applied.
    pub changed: Vec<Changed>,
    /// Applied, and no file has it (nor a squash that replaces it).
    pub missing: Vec<MigrationKey>,
    /// Applied before checksums were kept, and not yet given one (the next `migrate`
    /// records the file's as it is then).
    pub unverified: Vec<MigrationKey>,
}

impl Verification {
    /// Whether nothing applied changed or went missing (unverified rows are not a problem).
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty()
    }
}

/// The applied migrations (`recorded`) that no file has, nor a squash that replaces them.
/// Cheap: no checksum is computed.
pub fn missing<'k>(
    loader: &Loader,
    recorded: impl IntoIterator<Item = &'k MigrationKey>,
) -> Vec<MigrationKey> {
    let replaced: std::collections::BTreeSet<&MigrationKey> =
        loader.replacements().values().flatten().collect();
    recorded
        .into_iter()
        .filter(|k| loader.get(k).is_none() && !replaced.contains(k))
        .cloned()
        .collect()
}

/// Compares the history (`recorded`: each applied migration with its checksum, if any) with
/// the migrations `loader` has.
pub fn verify(loader: &Loader, recorded: &BTreeMap<MigrationKey, Option<String>>) -> Verification {
    let mut out = Verification {
        missing: missing(loader, recorded.keys()),
        ..Verification::default()
    };
    for (key, sum) in recorded {
        match (loader.get(key), sum) {
            (Some(m), Some(sum)) => {
                let differences = differences(sum, m);
                if !differences.is_empty() {
                    out.changed.push(Changed {
                        key: key.clone(),
                        differences,
                    });
                }
            }
            (Some(_), None) => out.unverified.push(key.clone()),
            (None, _) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn migration(max_length: u32) -> Migration {
        Migration::new("shop", "0002_product")
            .depends_on("shop", "0001_initial")
            .operations([
                CreateModel::new("Product", "shop_product")
                    .fields([Field::auto_id(), Field::new("name", Varchar(max_length))])
                    .into(),
                AddIndex::new("Product", Index::new("product_name_idx", ["name"])).into(),
            ])
    }

    #[test]
    fn the_same_operations_give_the_same_checksum() {
        assert_eq!(checksum(&migration(100)), checksum(&migration(100)));
        assert!(checksum(&migration(100)).starts_with("v1 "));
        assert_eq!(checksum(&migration(100)).split(' ').count(), 4);
    }

    #[test]
    fn a_changed_operation_is_named() {
        let applied = checksum(&migration(100));
        assert_eq!(
            differences(&applied, &migration(200)),
            ["operation 1 changed: Create model Product"]
        );
        let mut more = migration(100);
        more.operations
            .push(RemoveIndex::new("Product", "product_name_idx").into());
        assert_eq!(
            differences(&applied, &more),
            ["operation 3 added: Remove index product_name_idx from Product"]
        );
        let non_atomic = migration(100).non_atomic();
        assert_eq!(
            differences(&applied, &non_atomic),
            ["its dependencies, replacements or atomicity changed"]
        );
    }

    #[test]
    fn rust_operations_count_by_their_declared_names_and_flags() {
        fn f<'a>(_: &'a mut RunContext<'_>) -> BoxFuture<'a, Result<(), BoxError>> {
            Box::pin(async { Ok(()) })
        }
        let with = |op: RunRust| Migration::new("shop", "0003_data").operations([op.into()]);
        let named = checksum(&with(run_rust!(f)));
        assert_eq!(named, checksum(&with(run_rust!(f))));
        assert_ne!(named, checksum(&with(run_rust!(f, f))));
        assert_ne!(named, checksum(&with(RunRust::new(f))));
    }
}
