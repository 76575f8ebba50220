//! Finding the store: `--dir`, then `CACHEMAN_DIR`, then the nearest `.cacheman/`
//! walking up from the working directory, then the platform cache directory.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The name of a per-project store directory, as `cacheman init` creates it.
pub const PROJECT_DIR: &str = ".cacheman";

/// Which rule chose the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    Project,
    Platform,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--dir",
            Source::Env => "CACHEMAN_DIR",
            Source::Project => "nearest .cacheman/",
            Source::Platform => "platform cache directory",
        })
    }
}

/// The store directory and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub source: Source,
}

/// Resolves the store from the flag, the environment value and the working directory.
pub fn resolve(flag: Option<&Path>, env: Option<OsString>, cwd: &Path) -> Result<Location> {
    let absolute = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }
    };
    if let Some(path) = flag {
        if path.as_os_str().is_empty() {
            return Err(Error::usage("--dir is empty"));
        }
        return Ok(Location {
            path: absolute(path),
            source: Source::Flag,
        });
    }
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        return Ok(Location {
            path: absolute(Path::new(&value)),
            source: Source::Env,
        });
    }
    if let Some(found) = cwd
        .ancestors()
        .map(|dir| dir.join(PROJECT_DIR))
        .find(|p| p.is_dir())
    {
        return Ok(Location {
            path: found,
            source: Source::Project,
        });
    }
    let platform =
        directories::ProjectDirs::from("", "", "cacheman").ok_or(Error::NoDefaultStore)?;
    Ok(Location {
        path: platform.cache_dir().to_path_buf(),
        source: Source::Platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_env_beats_project() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir(tmp.path().join(PROJECT_DIR)).unwrap();

        let by_flag = resolve(Some(Path::new("x")), Some("/env".into()), &nested).unwrap();
        assert_eq!(
            by_flag,
            Location {
                path: nested.join("x"),
                source: Source::Flag
            }
        );

        let by_env = resolve(None, Some("/env".into()), &nested).unwrap();
        assert_eq!(
            by_env,
            Location {
                path: "/env".into(),
                source: Source::Env
            }
        );

        let by_project = resolve(None, None, &nested).unwrap();
        assert_eq!(by_project.path, tmp.path().join(PROJECT_DIR));
        assert_eq!(by_project.source, Source::Project);
    }

    #[test]
    fn empty_env_is_ignored_and_empty_flag_refused() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(resolve(Some(Path::new("")), None, tmp.path()).is_err());
        let chosen = resolve(None, Some(OsString::new()), tmp.path()).unwrap();
        assert_ne!(chosen.source, Source::Env);
    }
}
