//! Tools the wasm build needs, installed when missing or explained in one line.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::paths;

/// binaryen from npm: Debian's wasm-opt (108) writes modules that break in browsers.
const BINARYEN: &str = "binaryen@132.0.0";

/// Adds the wasm32 target through rustup when it is missing.
pub(crate) fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Ok(_) => {
            eprintln!("xtask: adding the wasm32-unknown-unknown target (rustup target add)");
            let status = Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]).status()?;
            if !status.success() {
                bail!("`rustup target add wasm32-unknown-unknown` failed; run it by hand and retry");
            }
            Ok(())
        }
        Err(_) => bail!("rustup is not on PATH: install the wasm32-unknown-unknown target for your toolchain by hand"),
    }
}

/// The wasm-opt binary, installing binaryen from npm into the target directory if needed.
pub(crate) fn wasm_opt() -> anyhow::Result<PathBuf> {
    let dir = paths::tools_dir();
    let bin = dir.join("node_modules").join(".bin").join("wasm-opt");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir)?;
    eprintln!("xtask: installing {BINARYEN} (wasm-opt) from npm into {}", dir.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(&dir)
        .arg(BINARYEN)
        .status()
        .context("npm is not on PATH: install Node.js and npm (apt-get install nodejs npm) so the build can fetch wasm-opt")?;
    if !status.success() || !bin.exists() {
        bail!("`npm install {BINARYEN}` failed; check access to the npm registry");
    }
    Ok(bin)
}
