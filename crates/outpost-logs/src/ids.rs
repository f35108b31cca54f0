//! Auto-generated document ids: 15 bytes (6 of clock milliseconds, 3 of a per-store sequence,
//! 6 of a per-store node tag) printed as 20 characters of unpadded URL-safe base64, the length
//! and alphabet of Elasticsearch's time-based ids.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Builds the id for a write at `now_ms` with sequence `seq` on node `node`.
pub(crate) fn auto_id(now_ms: i64, seq: u64, node: u64) -> String {
    let mut bytes = [0u8; 15];
    let ms = (now_ms as u64).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    let s = seq.to_be_bytes();
    bytes[6..9].copy_from_slice(&s[5..]);
    bytes[9..].copy_from_slice(&node.to_be_bytes()[2..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An index uuid: 16 bytes (the auto-id bytes and the creation sequence) as the 22 characters
/// of unpadded URL-safe base64 Elasticsearch prints for index uuids.
pub(crate) fn index_uuid(now_ms: i64, seq: u64, node: u64) -> String {
    let mut bytes = [0u8; 16];
    let ms = (now_ms as u64).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    bytes[6..10].copy_from_slice(&seq.to_be_bytes()[4..]);
    bytes[10..].copy_from_slice(&node.to_be_bytes()[2..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_uuids_are_22_url_safe_chars() {
        let a = index_uuid(1_765_000_000_000, 1, 7);
        assert_eq!(a.len(), 22);
        assert_ne!(a, index_uuid(1_765_000_000_000, 2, 7));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn ids_are_20_url_safe_chars_and_unique_per_sequence() {
        let a = auto_id(1_765_000_000_000, 1, 7);
        let b = auto_id(1_765_000_000_000, 2, 7);
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
