//! Tools the wasm build needs, installed when missing or explained in one line.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::paths;

/// binaryen from npm: Debian's wasm-opt (108) writes modules that break in browsers.
const BINARYEN: &str = "binaryen@132.0.0";

/// esbuild from npm, to minify the JavaScript glue wasm-bindgen writes (a third of its brotli
/// bytes are names and whitespace).
const ESBUILD: &str = "esbuild@0.28.2";

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
    npm_tool(BINARYEN, "wasm-opt")
}

/// The esbuild binary, installed from npm like wasm-opt.
pub(crate) fn esbuild() -> anyhow::Result<PathBuf> {
    npm_tool(ESBUILD, "esbuild")
}

/// `bin` from the npm package `package` (`name@version`), installed into the target directory
/// on first use.
fn npm_tool(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let dir = paths::tools_dir();
    let path = dir.join("node_modules").join(".bin").join(bin);
    // A version marker, so a pinned version that changes is installed again.
    let marker = dir.join(format!(".{}", package.replace('/', "_")));
    if path.exists() && marker.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)?;
    eprintln!("xtask: installing {package} ({bin}) from npm into {}", dir.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(&dir)
        .arg(package)
        .status()
        .with_context(|| format!("npm is not on PATH: install Node.js and npm (apt-get install nodejs npm) so the build can fetch {bin}"))?;
    if !status.success() || !path.exists() {
        bail!("`npm install {package}` failed; check access to the npm registry");
    }
    std::fs::write(marker, b"")?;
    Ok(path)
}
