//! Tessera's automation, in Rust rather than shell scripts: `cargo xtask <command>`.
//!
//! - `build`: compile the shell and every micro-app to wasm, bind, optimise, hash, print sizes
//!   and how they stand against the size budgets;
//! - `dev`: build what is stale, start the host on the embedded defaults, deploy every app;
//! - `deploy <dir|app>`, `rollback <app>`, `list`: talk to a running host's deploy API;
//! - `test`: everything the CI runs (unit, integration, end-to-end in Chromium, size budgets);
//! - `bench`: sizes and speed, as a Markdown table and `target/tessera/bench.json`.
//!
//! Layout: [`paths`] (where things are), [`build`] (the wasm pipeline), [`tools`] (the wasm
//! target and wasm-opt, installed when missing), [`sizes`] (the size table), [`budgets`] (the size limits), [`dev`],
//! [`deploy`].

mod budgets;
mod build;
mod deploy;
mod dev;
mod paths;
mod sizes;
mod tools;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Build, run, deploy and test Tessera")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile the shell and all micro-apps for the browser into target/tessera/dist.
    Build,
    /// Build, start the host on the embedded defaults, deploy every app; Ctrl-C stops it all.
    Dev(dev::DevArgs),
    /// Upload a micro-app directory (or a built app by name) to a running host.
    Deploy {
        /// A directory holding mfe.json and the app's files, or the name of a built app.
        target: String,
        #[command(flatten)]
        host: deploy::HostArgs,
    },
    /// Restore the previous version of an app (or remove it when it has none).
    Rollback {
        app: String,
        #[command(flatten)]
        host: deploy::HostArgs,
    },
    /// Show what a running host has deployed.
    List {
        #[command(flatten)]
        host: deploy::HostArgs,
    },
    /// Measure sizes and speed (release build); prints a Markdown table, writes JSON.
    Bench {
        /// Only these areas (`hub`, `propagation`, `http`, `browser`, `push`, `live`); all when empty.
        areas: Vec<String>,
    },
    /// Run every test: build the wasm, then unit, integration and end-to-end tests.
    Test {
        /// Extra arguments for `cargo test` (after `--`).
        #[arg(last = true)]
        args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Build => build::build().map(drop),
        Command::Dev(args) => dev::run(args),
        Command::Deploy { target, host } => {
            let dir = if PathBuf::from(&target).is_dir() { PathBuf::from(&target) } else { build::built_app(&target)? };
            deploy::deploy(&host, &dir)
        }
        Command::Rollback { app, host } => deploy::rollback(&host, &app),
        Command::List { host } => deploy::list(&host),
        Command::Test { args } => test(&args),
        Command::Bench { areas } => bench(&areas),
    }
}

/// The benchmarks: an optimised build of `tessera-bench` (in the e2e crate), run from the root.
fn bench(areas: &[String]) -> anyhow::Result<()> {
    let dist = if areas.is_empty() || areas.iter().any(|a| a == "browser" || a == "push") { Some(build::build()?.dist) } else { None };
    // The fan-out benchmark runs the host as its own process, to measure its memory alone.
    let built = std::process::Command::new(paths::cargo())
        .current_dir(paths::root())
        .args(["build", "--quiet", "--release", "-p", "tessera-host"])
        .status()?;
    anyhow::ensure!(built.success(), "building the host failed");
    let status = std::process::Command::new(paths::cargo())
        .current_dir(paths::root())
        .args(["run", "--quiet", "--release", "-p", "tessera-e2e", "--bin", "tessera-bench", "--"])
        .args(areas)
        .env("TESSERA_BENCH_JSON", paths::target_dir().join("tessera").join("bench.json"))
        .env("TESSERA_HOST_BIN", paths::target_dir().join("release").join("tessera-host"))
        .envs(dist.map(|d| ("TESSERA_DIST", d)))
        .status()?;
    anyhow::ensure!(status.success(), "the benchmarks failed");
    Ok(())
}

/// The one command that runs all tests (called by `.ci/run`).
fn test(extra: &[String]) -> anyhow::Result<()> {
    let built = build::build()?;
    let status = std::process::Command::new(paths::cargo())
        .current_dir(paths::root())
        .args(["test", "--workspace", "--no-fail-fast", "--exclude", "tessera-shell"])
        .args(build::wasm_packages()?.iter().flat_map(|p| ["--exclude".to_string(), p.clone()]))
        .args(if extra.is_empty() { Vec::new() } else { [vec!["--".to_string()], extra.to_vec()].concat() })
        .env("TESSERA_DIST", &built.dist)
        .status()?;
    // Checked after the tests run, so one failure does not hide the other.
    if !built.budgets.passed() {
        eprintln!("\n{}", built.budgets.table());
    }
    anyhow::ensure!(status.success(), "tests failed");
    anyhow::ensure!(built.budgets.passed(), "the build is over its size budgets ({}): see the table above", budgets::FILE);
    Ok(())
}
