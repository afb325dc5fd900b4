//! Where things are: the workspace root, the shared target directory, the build output.

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// The cargo target directory, honouring `CARGO_TARGET_DIR` (CI keeps one outside the clone).
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { root().join(dir) }
        }
        None => root().join("target"),
    }
}

/// Everything `cargo xtask build` produces.
pub(crate) fn dist_dir() -> PathBuf {
    target_dir().join("tessera").join("dist")
}

/// Tools installed on demand (wasm-opt from npm).
pub(crate) fn tools_dir() -> PathBuf {
    target_dir().join("tessera").join("tools")
}

/// The cargo that runs us, so a toolchain override applies to nested builds too.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}
