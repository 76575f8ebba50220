//! Globs as `watch` bindings and `run --input` use them: split into literal
//! leading directories (the base) and a wildcard tail, matched on the raw
//! bytes of paths relative to the base, with how deep a walk for it must go
//! (only `**` reaches any depth). Braces are expanded first, so that each
//! alternative (`{a/x,b}/*.c`) has its own depth and leading names.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::{Error, Result};

/// More alternatives than this (braces multiply) are not told apart: the walk
/// then reads everything below the base.
const MAX_ROUTES: usize = 64;

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
    /// The ways a match can be spelled once braces are expanded; `None` when a
    /// walk cannot be pruned (a `/` inside `[...]`, or too many alternatives).
    routes: Option<Vec<Route>>,
}

/// One brace-free alternative of a glob.
#[derive(Debug, Clone)]
struct Route {
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
        let mut alternatives = Vec::new();
        let routes = match expand(text, &mut alternatives) {
            true => alternatives
                .iter()
                .map(|a| Route::new(a))
                .collect::<Result<_>>()?,
            false => None,
        };
        Ok(GlobTail { whole, routes })
    }

    /// Whether `relative` (a path below the base) is one the glob matches.
    pub fn matches(&self, relative: &Path) -> bool {
        self.whole.is_match(relative)
    }

    /// Whether a directory at `relative` below the base can hold matches, so
    /// that a walk reads it (and a watcher watches it).
    pub fn enters(&self, relative: &Path) -> bool {
        let names: Vec<&OsStr> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name),
                _ => None,
            })
            .collect();
        self.routes
            .as_ref()
            .is_none_or(|routes| routes.iter().any(|route| route.enters(&names)))
    }
}

impl Route {
    /// The route of a brace-free glob; `None` when a `/` inside `[...]`
    /// leaves its components unknown.
    fn new(text: &str) -> Result<Option<Route>> {
        let Some(parts) = components(text) else {
            return Ok(None);
        };
        let recursive = parts.iter().position(|p| p.contains("**"));
        let fixed = parts.len().saturating_sub(1);
        let steps = parts[..recursive.unwrap_or(fixed)]
            .iter()
            .map(|p| compile(p))
            .collect::<Result<_>>()?;
        let depth = recursive.is_none().then_some(parts.len());
        Ok(Some(Route { steps, depth }))
    }

    fn enters(&self, names: &[&OsStr]) -> bool {
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

/// Appends `text`'s brace expansions to `out`; false past [`MAX_ROUTES`].
fn expand(text: &str, out: &mut Vec<String>) -> bool {
    let Some((open, close, alternatives)) = first_braces(text) else {
        out.push(text.to_string());
        return out.len() <= MAX_ROUTES;
    };
    let (before, after) = (&text[..open], &text[close + 1..]);
    alternatives
        .iter()
        .all(|alternative| expand(&format!("{before}{alternative}{after}"), out))
}

/// The first `{...}` outside a class: where it opens and closes, and its
/// comma-separated alternatives (nested braces left in them).
fn first_braces(text: &str) -> Option<(usize, usize, Vec<&str>)> {
    let (mut open, mut depth, mut start) = (None, 0usize, 0);
    let mut alternatives = Vec::new();
    let (mut in_class, mut escaped) = (false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ']' if in_class => in_class = false,
            _ if in_class => {}
            '[' => in_class = true,
            '{' => {
                if depth == 0 {
                    open = Some(at);
                    start = at + 1;
                }
                depth += 1;
            }
            ',' if depth == 1 => {
                alternatives.push(&text[start..at]);
                start = at + 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    alternatives.push(&text[start..at]);
                    return Some((open?, at, alternatives));
                }
            }
            _ => {}
        }
    }
    None
}

/// A brace-free glob's `/`-separated components, or `None` when a separator
/// sits inside a class (which then spans directories).
fn components(text: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut in_class, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ']' if in_class => in_class = false,
            '/' if in_class => return None,
            _ if in_class => {}
            '[' => in_class = true,
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
    use proptest::prelude::*;
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
    fn each_alternative_of_braces_is_walked_to_its_own_depth() {
        let either = tail("{a/x,b}/*.c");
        assert!(either.matches(Path::new("a/x/y.c")));
        assert!(either.matches(Path::new("b/y.c")));
        assert!(either.enters(Path::new("a/x")));
        assert!(either.enters(Path::new("b")));
        assert!(
            !either.enters(Path::new("b/deeper")),
            "b's matches are one down"
        );
        assert!(!either.enters(Path::new("a/y")));
        assert!(!either.enters(Path::new("z")));
        let nested = tail("{a,{b,c}/d}/*.c");
        assert!(nested.enters(Path::new("c/d")));
        assert!(!nested.enters(Path::new("c/e")));
        let none = tail(r"\{a,b\}/*.c");
        assert!(!none.enters(Path::new("a")), "escaped braces are literal");
    }

    #[test]
    fn a_separator_in_a_class_or_too_many_alternatives_walk_everything() {
        assert!(tail("x[/]y/*.c").enters(Path::new("z/y/x")));
        let many = tail("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/*.c");
        assert!(many.matches(Path::new("abababa/x.c")));
        assert!(many.enters(Path::new("zzz/y")), "128 alternatives");
        let few = tail("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/*.c");
        assert!(!few.enters(Path::new("zzz")), "64 alternatives are pruned");
    }

    /// Globs built from the pieces that pruning has to reason about.
    fn glob_text() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "b",
            "ab",
            "*",
            "**",
            "?",
            "a*",
            "*b",
            "[ab]",
            "[!a]",
            "{a,b}",
            "{a/b,ab}",
            "{a,{b,ab}}",
            "{,a}",
            "\\*",
        ]);
        prop::collection::vec((piece, any::<bool>()), 1..6).prop_map(|parts| {
            let mut text = String::new();
            for (part, slash) in parts {
                text.push_str(part);
                if slash {
                    text.push('/');
                }
            }
            text
        })
    }

    fn relative_path() -> impl Strategy<Value = Vec<&'static str>> {
        let name = prop::sample::select(vec!["a", "b", "ab", "ba", "*", "x"]);
        prop::collection::vec(name, 1..5)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Pruning never hides a match: every directory on the way to a path
        /// the glob matches is one the walk (and the watcher) enters.
        #[test]
        fn every_directory_above_a_match_is_entered(text in glob_text(), names in relative_path()) {
            let Ok(glob) = GlobTail::new(text.as_bytes()) else {
                return Ok(());
            };
            let path: PathBuf = names.iter().collect();
            if !glob.matches(&path) {
                return Ok(());
            }
            for depth in 0..names.len() {
                let above: PathBuf = names[..depth].iter().collect();
                prop_assert!(
                    glob.enters(&above),
                    "{text:?} matches {path:?} but does not enter {above:?}"
                );
            }
        }
    }

    #[test]
    fn paths_are_matched_as_bytes() {
        let txt = tail("*.txt");
        assert!(txt.matches(Path::new(OsStr::from_bytes(b"\xff.txt"))));
        let error = GlobTail::new(b"*\xff").unwrap_err();
        assert!(error.to_string().contains("UTF-8"), "{error}");
    }
}
