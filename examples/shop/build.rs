// Rebuilds the crate when a migration file is added or deleted (rustc sees edits by itself).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
