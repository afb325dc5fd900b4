//! Where things are: the workspace root, the shared target directory, the build output.

use std::path::PathBuf;

/// The workspace root (the parent of this crate). `cargo run` says where this crate is at run
/// time; that comes first, because clones sharing one target directory (as CI does) share one
/// binary, and the path compiled in is the first clone's.
pub(crate) fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
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
