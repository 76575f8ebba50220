//! Globs as `watch` bindings and `run --input` use them: split into literal
//! leading directories (the base) and a wildcard tail, matched on the raw
//! bytes of paths relative to the base, with how deep a walk for it must go
//! (only `**` reaches any depth).

use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::{Error, Result};

/// True when a path holds a wildcard byte (`*`, `?`, `[` or `{`).
pub fn is_glob(path: &[u8]) -> bool {
    path.iter().any(|b| matches!(b, b'*' | b'?' | b'[' | b'{'))
}

/// A glob's literal leading components (the base), and the rest.
pub fn split_glob(path: &Path) -> (PathBuf, PathBuf) {
    let mut base = PathBuf::new();
    let mut rest = PathBuf::new();
    for component in path.components() {
        let literal = rest.as_os_str().is_empty() && !is_glob(component.as_os_str().as_bytes());
        match literal {
            true => base.push(component),
            false => rest.push(component),
        }
    }
    (base, rest)
}

/// A compiled glob tail such as `*.conf`, `src/*/mod.rs` or `**/*.rs`.
#[derive(Debug, Clone)]
pub struct GlobTail {
    whole: GlobMatcher,
    /// One matcher per leading component that a directory on the way to a
    /// match must pass, up to the first `**` (or all but the last component).
    steps: Vec<GlobMatcher>,
    /// How many components a match has, when that is fixed (no `**`).
    depth: Option<usize>,
}

impl GlobTail {
    /// Compiles `tail` (the glob from its first wildcard component on); it
    /// must be UTF-8, as globs are written as text.
    pub fn new(tail: &[u8]) -> Result<GlobTail> {
        let text = std::str::from_utf8(tail).map_err(|_| {
            Error::usage_with_hint(
                format!(
                    "the glob '{}' is not valid UTF-8 from its first wildcard on",
                    String::from_utf8_lossy(tail)
                ),
                "only the directories before the first wildcard may have names that are not UTF-8",
            )
        })?;
        let whole = compile(text)?;
        let (steps, depth) = match components(text) {
            // A '/' inside [...] or {...}: no fixed depth, nothing to prune by.
            None => (Vec::new(), None),
            Some(parts) => {
                let recursive = parts.iter().position(|p| p.contains("**"));
                let fixed = parts.len().saturating_sub(1);
                let steps = parts[..recursive.unwrap_or(fixed)]
                    .iter()
                    .map(|p| compile(p))
                    .collect::<Result<_>>()?;
                (steps, recursive.is_none().then_some(parts.len()))
            }
        };
        Ok(GlobTail {
            whole,
            steps,
            depth,
        })
    }

    /// Whether `relative` (a path below the base) is one the glob matches.
    pub fn matches(&self, relative: &Path) -> bool {
        self.whole.is_match(relative)
    }

    /// Whether a directory at `relative` below the base can hold matches, so
    /// that a walk reads it (and a watcher watches it).
    pub fn enters(&self, relative: &Path) -> bool {
        let names: Vec<&std::ffi::OsStr> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name),
                _ => None,
            })
            .collect();
        if self.depth.is_some_and(|depth| names.len() >= depth) {
            return false;
        }
        names
            .iter()
            .zip(&self.steps)
            .all(|(name, step)| step.is_match(name))
    }
}

fn compile(text: &str) -> Result<GlobMatcher> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|e| Error::usage(format!("bad glob '{text}': {e}")))
}

/// The glob's `/`-separated components, or `None` when a separator sits inside
/// a class or an alternation (which then spans directories).
fn components(text: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut braces, mut in_class, mut escaped) = (0, 0usize, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ']' if in_class => in_class = false,
            '/' if in_class => return None,
            _ if in_class => {}
            '[' => in_class = true,
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '/' if braces > 0 => return None,
            '/' => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.retain(|p| !p.is_empty());
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    fn tail(text: &str) -> GlobTail {
        GlobTail::new(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_glob_without_doublestar_is_walked_to_its_own_depth_only() {
        let conf = tail("*.conf");
        assert!(conf.matches(Path::new("a.conf")));
        assert!(!conf.matches(Path::new("sub/a.conf")));
        assert!(!conf.enters(Path::new("sub")), "matches are one level down");
        let nested = tail("*/src/*.rs");
        assert!(nested.enters(Path::new("crate")));
        assert!(nested.enters(Path::new("crate/src")));
        assert!(!nested.enters(Path::new("crate/tests")), "pruned by name");
        assert!(!nested.enters(Path::new("crate/src/deeper")));
        let one = tail("x[1]/*.rs");
        assert!(one.enters(Path::new("x1")));
        assert!(!one.enters(Path::new("proc")));
    }

    #[test]
    fn doublestar_walks_any_depth_past_its_leading_components() {
        let rs = tail("**/*.rs");
        assert!(rs.matches(Path::new("a.rs")));
        assert!(rs.matches(Path::new("a/b/c.rs")));
        assert!(rs.enters(Path::new("a/b/c/d")));
        let under = tail("crate*/**/*.rs");
        assert!(under.enters(Path::new("crate1/x/y")));
        assert!(!under.enters(Path::new("other")));
    }

    #[test]
    fn an_alternation_across_directories_is_walked_in_full() {
        let either = tail("{a,b/c}/*.rs");
        assert!(either.matches(Path::new("b/c/x.rs")));
        assert!(either.enters(Path::new("b/c")));
        assert!(either.enters(Path::new("z/y/x")));
    }

    #[test]
    fn paths_are_matched_as_bytes() {
        let txt = tail("*.txt");
        assert!(txt.matches(Path::new(OsStr::from_bytes(b"\xff.txt"))));
        let error = GlobTail::new(b"*\xff").unwrap_err();
        assert!(error.to_string().contains("UTF-8"), "{error}");
    }
}
