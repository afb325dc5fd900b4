//! Size budgets (`size-budgets.toml` at the root): what a browser transfers (the `transferred`
//! column of the size table), per app and for the first load of `/`. `cargo xtask build` prints the verdict;
//! `cargo xtask test` fails when a build goes over a `limit`.
//!
//! Each budget has a `limit` (enforced) and a `goal` (where it should get to). A limit only
//! ever goes down: lower it when a change makes an app smaller, so the bytes won stay won.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::build::Kind;
use crate::sizes::Row;

/// The budget file, relative to the workspace root.
pub(crate) const FILE: &str = "size-budgets.toml";

/// The name of the first-load budget in the verdict.
pub(crate) const FIRST_LOAD: &str = "first load of /";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Budget {
    /// Bytes a build must not exceed.
    pub(crate) limit: usize,
    /// Bytes the budget aims for; at or below `limit`.
    pub(crate) goal: usize,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Budgets {
    /// `index.html` as the host renders it + the global stylesheet + shell + nav + the app
    /// that owns `/`.
    pub(crate) first_load: Budget,
    /// Per app (the shell and every micro-app; test fixtures have none).
    pub(crate) apps: BTreeMap<String, Budget>,
}

impl Budgets {
    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        let budgets: Self = toml::from_str(text)?;
        for (name, budget) in std::iter::once((FIRST_LOAD, &budgets.first_load)).chain(budgets.apps.iter().map(|(n, b)| (n.as_str(), b))) {
            anyhow::ensure!(budget.goal <= budget.limit, "{name}: goal ({}) is above limit ({}); a goal is what the limit comes down to", budget.goal, budget.limit);
        }
        Ok(budgets)
    }

    pub(crate) fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join(FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// One line of the verdict.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) name: String,
    pub(crate) bytes: usize,
    pub(crate) budget: Budget,
}

impl Line {
    pub(crate) fn over_limit(&self) -> bool {
        self.bytes > self.budget.limit
    }
}

/// Measured sizes against the budgets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) lines: Vec<Line>,
    /// Apps built without a budget, and budgets naming no built app: both are mistakes.
    pub(crate) unmatched: Vec<String>,
}

impl Verdict {
    pub(crate) fn passed(&self) -> bool {
        self.unmatched.is_empty() && !self.lines.iter().any(Line::over_limit)
    }

    pub(crate) fn table(&self) -> String {
        let mut out = String::from("| budget | bytes transferred | limit | goal | |\n|---|---:|---:|---:|---|\n");
        for l in &self.lines {
            let status = if l.over_limit() {
                format!("OVER LIMIT by {}", l.bytes - l.budget.limit)
            } else if l.bytes <= l.budget.goal {
                "meets goal".to_string()
            } else {
                format!("{} above goal", l.bytes - l.budget.goal)
            };
            let _ = writeln!(out, "| {} | {} | {} | {} | {status} |", l.name, l.bytes, l.budget.limit, l.budget.goal);
        }
        for u in &self.unmatched {
            let _ = writeln!(out, "| {u} | | | | MISSING |");
        }
        out
    }
}

/// Compares the build's rows and its first-load size with the budgets.
pub(crate) fn check(budgets: &Budgets, rows: &[Row], first_load: usize) -> Verdict {
    let mut lines = vec![Line { name: FIRST_LOAD.into(), bytes: first_load, budget: budgets.first_load }];
    let mut unmatched = Vec::new();
    for row in rows.iter().filter(|r| r.kind != Kind::Fixture) {
        match budgets.apps.get(&row.app) {
            Some(&budget) => lines.push(Line { name: row.app.clone(), bytes: row.transferred, budget }),
            None => unmatched.push(format!("{}: built, but {FILE} has no [apps.{}]", row.app, row.app)),
        }
    }
    for name in budgets.apps.keys() {
        if !rows.iter().any(|r| &r.app == name && r.kind != Kind::Fixture) {
            unmatched.push(format!("{name}: {FILE} has a budget, but no such app was built"));
        }
    }
    Verdict { lines, unmatched }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE_TEXT: &str = r#"
        first-load = { limit = 300, goal = 250 }
        [apps]
        shell = { limit = 100, goal = 60 }
        nav = { limit = 80, goal = 80 }
    "#;

    fn row(app: &str, kind: Kind, transferred: usize) -> Row {
        Row { app: app.into(), kind, wasm_raw: 0, raw: 0, gzip: 0, brotli: transferred, transferred }
    }

    #[test]
    fn parses_and_passes_within_limits() {
        let budgets = Budgets::parse(FILE_TEXT).unwrap();
        assert_eq!(budgets.apps["shell"], Budget { limit: 100, goal: 60 });
        let verdict = check(&budgets, &[row("shell", Kind::Shell, 100), row("nav", Kind::App, 70), row("panicky", Kind::Fixture, 999)], 260);
        assert!(verdict.passed(), "{}", verdict.table());
        let table = verdict.table();
        assert!(table.contains("| shell | 100 | 100 | 60 | 40 above goal |"), "{table}");
        assert!(table.contains("| nav | 70 | 80 | 80 | meets goal |"), "{table}");
        assert!(!table.contains("panicky"), "fixtures have no budget: {table}");
    }

    #[test]
    fn one_byte_over_a_limit_fails() {
        let budgets = Budgets::parse(FILE_TEXT).unwrap();
        let verdict = check(&budgets, &[row("shell", Kind::Shell, 101), row("nav", Kind::App, 80)], 250);
        assert!(!verdict.passed());
        assert!(verdict.table().contains("| shell | 101 | 100 | 60 | OVER LIMIT by 1 |"), "{}", verdict.table());
        let verdict = check(&budgets, &[row("shell", Kind::Shell, 60), row("nav", Kind::App, 80)], 301);
        assert!(!verdict.passed(), "the first load has its own limit");
    }

    #[test]
    fn an_app_without_a_budget_and_a_budget_without_an_app_both_fail() {
        let budgets = Budgets::parse(FILE_TEXT).unwrap();
        let verdict = check(&budgets, &[row("shell", Kind::Shell, 50), row("nav", Kind::App, 50), row("cart", Kind::App, 1)], 100);
        assert!(!verdict.passed());
        assert_eq!(verdict.unmatched, vec![format!("cart: built, but {FILE} has no [apps.cart]")]);
        let verdict = check(&budgets, &[row("shell", Kind::Shell, 50)], 100);
        assert_eq!(verdict.unmatched, vec![format!("nav: {FILE} has a budget, but no such app was built")]);
    }

    #[test]
    fn malformed_budget_files_are_refused_with_the_reason() {
        let err = Budgets::parse("first-load = { limit = 1, goal = 2 }\n[apps]\n").unwrap_err();
        assert!(err.to_string().contains("goal (2) is above limit (1)"), "{err}");
        let err = Budgets::parse("first-load = { limit = 1, goal = 1, max = 3 }\n[apps]\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `max`"), "{err}");
        assert!(Budgets::parse("[apps]\nshell = { limit = 1, goal = 1 }\n").is_err(), "first-load is required");
    }

    /// The repository's own budget file parses and names the apps the build makes.
    #[test]
    fn the_repository_budget_file_is_valid() {
        let budgets = Budgets::load(&crate::paths::root()).unwrap();
        for app in ["shell", "nav", "menus", "cart", "orders", "restaurant", "driver"] {
            assert!(budgets.apps.contains_key(app), "{FILE} has no budget for {app}");
        }
    }
}
