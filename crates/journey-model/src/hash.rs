//! The content hash that pins a contact's run to the version it started on.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of what defines a journey: the compiler version (a new compiler may
/// lower the same text differently), its name and its source text.
pub(crate) fn content_hash(name: &str, source: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [env!("CARGO_PKG_VERSION"), name, source] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
