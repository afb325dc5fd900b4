//! Route patterns owned by micro-apps: `/`, `/menus`, `/menus/:id`, `/docs/*`.
//!
//! A pattern is a list of segments: literal text, a named parameter (`:id`) or a trailing
//! wildcard (`*`, which also matches nothing). When several apps' patterns match one path the
//! most specific wins: literal before parameter before wildcard, segment by segment.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Wildcard,
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoutePattern {
    source: String,
    segments: Vec<Segment>,
}

impl RoutePattern {
    /// Parses a pattern, explaining what is wrong with it.
    pub fn parse(source: &str) -> Result<Self, String> {
        if !source.starts_with('/') {
            return Err(format!("route `{source}` must start with `/`"));
        }
        if source.len() > 200 {
            return Err("route is longer than 200 characters".into());
        }
        let trimmed = source.trim_end_matches('/');
        let mut segments = Vec::new();
        let parts: Vec<&str> = if trimmed.is_empty() { Vec::new() } else { trimmed[1..].split('/').collect() };
        for (i, part) in parts.iter().enumerate() {
            let segment = if *part == "*" {
                if i + 1 != parts.len() {
                    return Err(format!("route `{source}`: `*` is only allowed as the last segment"));
                }
                Segment::Wildcard
            } else if let Some(name) = part.strip_prefix(':') {
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("route `{source}`: parameter `{part}` needs a name of letters, digits or `_`"));
                }
                Segment::Param(name.to_string())
            } else if part.is_empty() {
                return Err(format!("route `{source}` has an empty segment"));
            } else if part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)) {
                Segment::Literal(part.to_string())
            } else {
                return Err(format!("route `{source}`: segment `{part}` may only hold letters, digits and `-_.~`"));
            };
            segments.push(segment);
        }
        Ok(Self { source: source.to_string(), segments })
    }

    /// The pattern as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern with parameter names erased: two patterns with the same shape match exactly
    /// the same paths, which is what makes them collide.
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Param(_) => out.push(':'),
                Segment::Wildcard => out.push('*'),
            }
        }
        if out.is_empty() { "/".into() } else { out }
    }

    /// Matches a path (no query, no fragment) and returns the parameters on success.
    pub fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let path = path.trim_end_matches('/');
        let parts: Vec<&str> = if path.is_empty() { Vec::new() } else { path.trim_start_matches('/').split('/').collect() };
        let mut params = BTreeMap::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Wildcard => {
                    params.insert("*".to_string(), parts.get(i..).map(|rest| rest.join("/")).unwrap_or_default());
                    return Some(params);
                }
                Segment::Literal(text) => {
                    if parts.get(i) != Some(&text.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = parts.get(i).filter(|v| !v.is_empty())?;
                    params.insert(name.clone(), (*value).to_string());
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(params)
    }

    /// Orders matching patterns from most to least specific (a larger key wins).
    pub fn specificity(&self) -> Vec<u8> {
        let mut key: Vec<u8> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 3,
                Segment::Param(_) => 2,
                Segment::Wildcard => 1,
            })
            .collect();
        // A longer pattern of the same prefix is more specific than a trailing wildcard.
        key.push(0);
        key
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl TryFrom<String> for RoutePattern {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoutePattern> for String {
    fn from(value: RoutePattern) -> Self {
        value.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RoutePattern {
        RoutePattern::parse(s).unwrap()
    }

    #[test]
    fn literal_param_and_wildcard_patterns_match_paths() {
        assert!(p("/").matches("/").is_some());
        assert!(p("/").matches("/menus").is_none());
        assert!(p("/menus").matches("/menus/").is_some());
        let params = p("/menus/:id").matches("/menus/r-1").unwrap();
        assert_eq!(params.get("id").map(String::as_str), Some("r-1"));
        assert!(p("/menus/:id").matches("/menus").is_none());
        assert!(p("/menus/:id").matches("/menus/a/b").is_none());
        let params = p("/docs/*").matches("/docs/a/b").unwrap();
        assert_eq!(params.get("*").map(String::as_str), Some("a/b"));
        assert!(p("/docs/*").matches("/docs").is_some());
    }

    #[test]
    fn patterns_that_match_the_same_paths_have_the_same_shape() {
        assert_eq!(p("/menus/:id").shape(), p("/menus/:slug/").shape());
        assert_ne!(p("/menus/:id").shape(), p("/menus/new").shape());
        assert_eq!(p("/").shape(), "/");
    }

    #[test]
    fn literals_are_more_specific_than_params_and_wildcards() {
        assert!(p("/menus/new").specificity() > p("/menus/:id").specificity());
        assert!(p("/menus/:id").specificity() > p("/menus/*").specificity());
        assert!(p("/menus").specificity() > p("/*").specificity());
    }

    #[test]
    fn malformed_patterns_are_rejected_with_a_reason() {
        for bad in ["menus", "/a//b", "/*/x", "/:", "/a b", "/:x-y"] {
            let err = RoutePattern::parse(bad).unwrap_err();
            assert!(err.contains("route"), "{bad}: {err}");
        }
    }
}
