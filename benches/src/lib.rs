//! Shared helpers of Outpost's criterion benches (the benches are the
//! `[[bench]]` targets of this crate, one file per hot path).

use std::path::PathBuf;

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}
