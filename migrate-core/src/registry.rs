//! The models linked into this binary, turned into the project's "to" state in sorted order
//! (the linker's order is unspecified).
//!
//! On Linux each `#[derive(Model)]` leaves one `#[used]` static [`Registration`] in the
//! linker section named by [`models_section!`](crate::models_section), and the linker
//! gathers them into one array between the symbols `__start_<section>` and
//! `__stop_<section>`. Elsewhere the derive submits them to `inventory`, whose registration
//! is a constructor function per model: on the 2,000-model crate those functions cost 1.3 s
//! of every rebuild (issue 21), and the section costs nothing at run time.

use crate::error::Result;
use crate::model::{ModelDef, Registration};
use crate::state::ProjectState;

/// The linker section the derive's registrations go to. One literal, used by the derive's
/// output and by the reader below. Its suffix is this crate's semver-compatible version, so
/// two incompatible copies of the crate in one binary do not read each other's entries
/// (a test holds it to `Cargo.toml`).
#[doc(hidden)]
#[macro_export]
macro_rules! models_section {
    () => {
        "migrate_models_0_3"
    };
}

/// An empty entry, so that the section and its bounds exist in a binary with no model.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = models_section!())]
static NO_MODEL: [Registration; 0] = [];

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn registered() -> impl Iterator<Item = &'static Registration> {
    // The linker defines these around the section's contents (every input section of that
    // name, in whatever order, each entry a `Registration` at its natural alignment). Bytes
    // here, as they are to the linker.
    unsafe extern "C" {
        #[link_name = concat!("__start_", models_section!())]
        static START: [u8; 0];
        #[link_name = concat!("__stop_", models_section!())]
        static STOP: [u8; 0];
    }
    // `black_box`: the two symbols are distinct declarations to the compiler, which must
    // not reason about the distance between them.
    let start = std::hint::black_box((&raw const START).cast::<Registration>());
    let stop = std::hint::black_box((&raw const STOP).cast::<Registration>());
    let len = (stop as usize - start as usize) / std::mem::size_of::<Registration>();
    // SAFETY: every object in the section is a `Registration` (the derive's statics and
    // `NO_MODEL`), all of one size and alignment, so the linker lays them out as one
    // array from `start` to `stop`, and they live as long as the program.
    unsafe { std::slice::from_raw_parts(start, len) }.iter()
}

#[cfg(not(target_os = "linux"))]
fn registered() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}

/// Every registered model definition, sorted by `(app, model)`.
pub fn definitions() -> Vec<&'static ModelDef> {
    let mut defs: Vec<&'static ModelDef> = registered().map(|r| r.0).collect();
    defs.sort_by_cached_key(|d| d.key());
    defs
}

/// The state the registered models declare, validated.
pub fn project_state() -> Result<ProjectState> {
    state_of(definitions())
}

/// The validated state of the given definitions, whatever their order.
pub fn state_of<'a>(defs: impl IntoIterator<Item = &'a ModelDef>) -> Result<ProjectState> {
    ProjectState::from_models(defs.into_iter().map(ModelDef::state))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_section_is_named_after_the_compatible_version() {
        let version = env!("CARGO_PKG_VERSION").split('.').collect::<Vec<_>>();
        // 0.x releases are incompatible with each other; from 1.0 only the major counts.
        let compatible = match version[..] {
            ["0", minor, ..] => format!("0_{minor}"),
            [major, ..] => major.to_string(),
            [] => unreachable!("a version"),
        };
        assert_eq!(models_section!(), format!("migrate_models_{compatible}"));
    }
}
