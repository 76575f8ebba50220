//! A bound path: a path (a file or a whole directory tree, whichever is there)
//! or a glob, stored absolute; and its compiled form, which judges how a
//! file-system event bears on it.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::glob::{GlobTail, is_glob, split_glob};

/// What a bound path was named as. `File` and `Dir` cover the same thing,
/// whatever is at the path: a file, or a directory with everything under it
/// (as does each path a `Glob` matches).
/// `Dir` only records that it was named as a directory (it is shown with a
/// trailing `/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// A path that was not a directory when bound (it may not exist yet).
    File,
    /// A directory, or a path named with a trailing `/`.
    Dir,
    /// The paths a glob matches (`*` stays within one directory, `**` crosses
    /// them), each with its tree when it is a directory.
    Glob,
}

/// One bound path, absolute, its directories canonical where they existed at
/// bind time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pattern {
    /// A file, a directory or a glob.
    pub kind: Kind,
    #[serde(with = "serde_bytes")]
    /// The path, as bytes.
    pub path: Vec<u8>,
}

/// How an event on a path bears on a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relevance {
    /// The path has nothing to do with the pattern.
    Unrelated,
    /// The path is a directory above the bound paths, or on the way to a
    /// glob's matches: the bound set may have changed, which a scan decides.
    Maybe,
    /// The path is bound.
    Definite,
}

/// A pattern ready for walking and for judging events.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The pattern.
    pub pattern: Pattern,
    /// The bound path, or the literal directory a glob's matches are under.
    pub base: PathBuf,
    /// A glob's wildcard part, matched below `base`.
    pub tail: Option<GlobTail>,
}

impl Pattern {
    /// The pattern a command-line argument names, relative paths taken from
    /// `cwd`. A final symbolic link is resolved now: the binding follows what
    /// the link points to at bind time.
    pub fn resolve(arg: &OsStr, cwd: &Path) -> Result<Pattern> {
        if arg.is_empty() {
            return Err(Error::usage("an empty path cannot be bound"));
        }
        let absolute = normalize(&cwd.join(arg));
        if is_glob(arg.as_bytes()) {
            return Pattern::resolve_glob(arg, &absolute);
        }
        let named_as_dir = arg.as_bytes().ends_with(b"/");
        let (kind, path) = match absolute.canonicalize() {
            Ok(path) if path.is_dir() => (Kind::Dir, path),
            Ok(_) if named_as_dir => {
                return Err(Error::usage(format!(
                    "'{}' is not a directory",
                    arg.display()
                )));
            }
            Ok(path) => (Kind::File, path),
            Err(_) if named_as_dir => (Kind::Dir, canonical_or_same(&absolute)),
            Err(_) => (Kind::File, canonical_or_same(&absolute)),
        };
        Ok(Pattern {
            kind,
            path: path.into_os_string().into_vec(),
        })
    }

    fn resolve_glob(arg: &OsStr, absolute: &Path) -> Result<Pattern> {
        let (base, rest) = split_glob(absolute);
        let base = canonical_or_same(&base);
        let named_rest = split_glob(Path::new(arg)).1;
        if is_glob(base.as_os_str().as_bytes())
            || rest.components().count() > named_rest.components().count()
        {
            return Err(Error::usage_with_hint(
                format!(
                    "the directory of glob '{}' has a wildcard character in its name",
                    arg.display()
                ),
                "bind the files one by one, or from a directory whose path has no * ? [ {",
            ));
        }
        let pattern = Pattern {
            kind: Kind::Glob,
            path: base.join(rest).into_os_string().into_vec(),
        };
        pattern.compile()?;
        Ok(pattern)
    }

    /// The path, as a path.
    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// The same bound path, whatever kind either was named as.
    pub fn same_path(&self, other: &Pattern) -> bool {
        self.path == other.path
    }

    /// The directory a glob's matches are under; for a path, the path.
    pub fn base(&self) -> PathBuf {
        match self.kind {
            Kind::Glob => split_glob(self.path()).0,
            Kind::File | Kind::Dir => self.path().to_path_buf(),
        }
    }

    /// The pattern ready for walking and judging events; an error for a bad glob.
    pub fn compile(&self) -> Result<Compiled> {
        let (base, tail) = match self.kind {
            Kind::Glob => {
                let (base, rest) = split_glob(self.path());
                (base, Some(GlobTail::new(rest.as_os_str().as_bytes())?))
            }
            Kind::File | Kind::Dir => (self.path().to_path_buf(), None),
        };
        Ok(Compiled {
            pattern: self.clone(),
            base,
            tail,
        })
    }

    /// As `Display` shows it, but quoted with escapes when it holds a space,
    /// a comma, a quote or a control character, for tables and trees.
    pub fn shown(&self) -> String {
        let text = self.to_string();
        let plain = !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | '"' | '\''));
        match plain {
            true => text,
            false => format!("{text:?}"),
        }
    }
}

/// Compiles every pattern.
pub fn compile_all(patterns: &[Pattern]) -> Result<Vec<Compiled>> {
    patterns.iter().map(Pattern::compile).collect()
}

impl Compiled {
    /// How an event on `path` bears on this pattern.
    pub fn relevance(&self, path: &Path) -> Relevance {
        let below = path.strip_prefix(&self.base).ok();
        let relevance = match (&self.tail, below) {
            (None, Some(_)) => Relevance::Definite,
            (Some(_), Some(rel)) if rel.as_os_str().is_empty() => Relevance::Maybe,
            // In a matched path's tree (a matched directory covers it all).
            (Some(tail), Some(rel)) if rel.ancestors().any(|at| tail.matches(at)) => {
                Relevance::Definite
            }
            (Some(tail), Some(rel)) if tail.enters(rel) => Relevance::Maybe,
            _ => Relevance::Unrelated,
        };
        match relevance == Relevance::Unrelated && self.base.starts_with(path) {
            true => Relevance::Maybe,
            false => relevance,
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slash = if self.kind == Kind::Dir && self.path != b"/" {
            "/"
        } else {
            ""
        };
        write!(f, "{}{slash}", self.path().display())
    }
}

/// `.` and `..` taken out without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The path with its longest existing prefix made canonical.
pub fn canonical_or_same(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical_or_same(parent).join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(kind: Kind, path: &str) -> Pattern {
        Pattern {
            kind,
            path: path.as_bytes().to_vec(),
        }
    }

    #[test]
    fn relative_paths_resolve_from_the_working_directory() {
        let p = Pattern::resolve(OsStr::new("../x/./a.conf"), Path::new("/nonexistent/w")).unwrap();
        assert_eq!(p, pattern(Kind::File, "/nonexistent/x/a.conf"));
        let g = Pattern::resolve(OsStr::new("src/**/*.rs"), Path::new("/nonexistent")).unwrap();
        assert_eq!(g, pattern(Kind::Glob, "/nonexistent/src/**/*.rs"));
        assert_eq!(g.base(), Path::new("/nonexistent/src"));
    }

    #[test]
    fn a_trailing_slash_names_a_directory_even_before_it_exists() {
        let d = Pattern::resolve(OsStr::new("build/"), Path::new("/nonexistent")).unwrap();
        assert_eq!(d, pattern(Kind::Dir, "/nonexistent/build"));
        assert_eq!(d.to_string(), "/nonexistent/build/");
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut named = file.path().as_os_str().to_owned();
        named.push("/");
        let error = Pattern::resolve(&named, Path::new("/")).unwrap_err();
        assert!(error.to_string().contains("not a directory"), "{error}");
    }

    #[test]
    fn events_are_judged_against_each_kind() {
        let judge = |p: &Pattern, path: &str| p.compile().unwrap().relevance(Path::new(path));
        let file = pattern(Kind::File, "/a/b.conf");
        assert_eq!(judge(&file, "/a/b.conf"), Relevance::Definite);
        assert_eq!(judge(&file, "/a/c.conf"), Relevance::Unrelated);
        assert_eq!(judge(&file, "/a"), Relevance::Maybe);
        assert_eq!(
            judge(&file, "/a/b.conf/x"),
            Relevance::Definite,
            "a path that became a directory covers its tree"
        );
        let dir = pattern(Kind::Dir, "/a/d");
        assert_eq!(judge(&dir, "/a/d/x/y"), Relevance::Definite);
        assert_eq!(judge(&dir, "/a/dd"), Relevance::Unrelated);
        let glob = pattern(Kind::Glob, "/a/*.conf");
        assert_eq!(judge(&glob, "/a/x.conf"), Relevance::Definite);
        assert_eq!(judge(&glob, "/a/sub/x.conf"), Relevance::Unrelated);
        assert_eq!(
            judge(&glob, "/a/d.conf/x"),
            Relevance::Definite,
            "a matched directory covers its tree"
        );
        assert_eq!(judge(&glob, "/a"), Relevance::Maybe);
        assert_eq!(judge(&glob, "/b/x.conf"), Relevance::Unrelated);
        let deep = pattern(Kind::Glob, "/a/**/*.conf");
        assert_eq!(judge(&deep, "/a/sub"), Relevance::Maybe);
        assert_eq!(judge(&deep, "/a/sub/x.conf"), Relevance::Definite);
    }

    #[test]
    fn a_glob_under_a_directory_that_is_not_utf8_matches() {
        let dir = b"/nonexistent/d\xff".to_vec();
        let glob = Pattern {
            kind: Kind::Glob,
            path: [dir.as_slice(), b"/*.txt"].concat(),
        };
        let file = Path::new(OsStr::from_bytes(&[dir.as_slice(), b"/x.txt"].concat())).to_owned();
        assert_eq!(
            glob.compile().unwrap().relevance(&file),
            Relevance::Definite
        );
    }

    #[test]
    fn a_wildcard_in_the_working_directory_is_not_a_glob() {
        let p = Pattern::resolve(OsStr::new("a.conf"), Path::new("/nonexistent/x[1]")).unwrap();
        assert_eq!(p, pattern(Kind::File, "/nonexistent/x[1]/a.conf"));
        let error = Pattern::resolve(OsStr::new("*.conf"), Path::new("/nonexistent/x[1]"));
        assert!(error.unwrap_err().to_string().contains("wildcard"));
    }

    #[test]
    fn a_bad_glob_is_bad_input() {
        let error = Pattern::resolve(OsStr::new("/a/[x"), Path::new("/")).unwrap_err();
        assert!(error.to_string().contains("bad glob"), "{error}");
    }

    #[test]
    fn shown_quotes_what_would_be_ambiguous_in_a_list() {
        assert_eq!(pattern(Kind::File, "/a/b").shown(), "/a/b");
        assert_eq!(pattern(Kind::File, "/a/b,c").shown(), "\"/a/b,c\"");
        assert_eq!(pattern(Kind::File, "/a/b\nc").shown(), "\"/a/b\\nc\"");
    }
}
