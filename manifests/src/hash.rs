//! Content hashes name deployed versions, so a URL under `/apps/<name>/<version>-<hash>/`
//! always serves the same bytes and can be cached forever.

use sha2::{Digest, Sha256};

/// Hex length of the hashes used in URLs: 48 bits are plenty to tell versions of one app apart.
const SHORT_HASH_LEN: usize = 12;

/// Hashes a set of files (relative path and contents) independently of the order given.
pub fn content_hash<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut files: Vec<_> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    short_hex(&hasher.finalize())
}

/// Hashes one blob (used for ETags and the composition version).
pub fn bytes_hash(bytes: &[u8]) -> String {
    short_hex(&Sha256::digest(bytes))
}

fn short_hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(SHORT_HASH_LEN);
    for byte in digest.iter().take(SHORT_HASH_LEN / 2) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_file_order_but_not_content_or_names() {
        let a = content_hash([("a.js", &b"1"[..]), ("b.wasm", &b"2"[..])]);
        let b = content_hash([("b.wasm", &b"2"[..]), ("a.js", &b"1"[..])]);
        assert_eq!(a, b);
        assert_eq!(a.len(), SHORT_HASH_LEN);
        assert_ne!(a, content_hash([("a.js", &b"1"[..]), ("b.wasm", &b"3"[..])]));
        assert_ne!(content_hash([("ab", &b"c"[..])]), content_hash([("a", &b"bc"[..])]));
    }
}
