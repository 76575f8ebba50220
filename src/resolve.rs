//! Finding the store: `--store URL`, then `--dir`, then `CACHEMAN_STORE`, then
//! `CACHEMAN_DIR`, then the nearest `.cacheman/` walking up from the working
//! directory, then the platform cache directory.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::scratch::Scratch;
use crate::store_url::{self, PASSWORD_ENV, StoreSpec};

/// The name of a per-project store directory, as `cacheman init` creates it.
pub const PROJECT_DIR: &str = ".cacheman";

/// Which rule chose the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    StoreFlag,
    Flag,
    StoreEnv,
    Env,
    Project,
    Platform,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::StoreFlag => "--store",
            Source::Flag => "--dir",
            Source::StoreEnv => "CACHEMAN_STORE",
            Source::Env => "CACHEMAN_DIR",
            Source::Project => "nearest .cacheman/",
            Source::Platform => "platform cache directory",
        })
    }
}

/// The store and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// This machine's directory for the store: a local store's own, or for a
    /// shared store its sidecar, where its machine-local files (`run`'s
    /// notes and spool) go.
    pub path: PathBuf,
    pub source: Source,
    /// The store itself.
    pub spec: StoreSpec,
    /// For a shared store, the global arguments with which a detached
    /// `cacheman` opens it: none when it inherits the environment that named
    /// it (a password in `CACHEMAN_STORE` must not reach a process listing),
    /// else `--store URL` as given.
    pub reopen_args: Option<Vec<OsString>>,
}

impl Location {
    /// The store as `info` and `-v` name it: a path, or a URL with any
    /// password masked.
    pub fn name(&self) -> String {
        match &self.spec {
            StoreSpec::Local(path) => path.display().to_string(),
            StoreSpec::Redis(target) => target.display.clone(),
        }
    }

    fn local(path: PathBuf, source: Source) -> Location {
        Location {
            spec: StoreSpec::Local(path.clone()),
            path,
            source,
            reopen_args: None,
        }
    }
}

/// What the command line names: `--store` and `--dir`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Named<'a> {
    pub store: Option<&'a str>,
    pub dir: Option<&'a Path>,
}

/// Resolves the store from the flags, the environment (read through `env`)
/// and the working directory. Flags beat the environment, and in each a URL
/// beats a directory.
pub fn resolve(
    named: Named<'_>,
    env: impl Fn(&str) -> Option<OsString>,
    cwd: &Path,
) -> Result<Location> {
    let absolute = |p: &Path| match p.is_absolute() {
        true => p.to_path_buf(),
        false => cwd.join(p),
    };
    let local = |path: PathBuf, source| Ok(Location::local(path, source));
    if let (Some(_), Some(_)) = (named.store, named.dir) {
        return Err(Error::usage(
            "--store and --dir both name a store: give one",
        ));
    }
    if let Some(url) = named.store {
        return from_url(url, Source::StoreFlag, &env);
    }
    if let Some(path) = named.dir {
        if path.as_os_str().is_empty() {
            return Err(Error::usage("--dir is empty"));
        }
        return local(absolute(path), Source::Flag);
    }
    if let Some(url) = env("CACHEMAN_STORE").filter(|v| !v.is_empty()) {
        let url = url
            .into_string()
            .map_err(|_| Error::usage("CACHEMAN_STORE is not UTF-8"))?;
        return from_url(&url, Source::StoreEnv, &env);
    }
    if let Some(value) = env("CACHEMAN_DIR").filter(|v| !v.is_empty()) {
        return local(absolute(Path::new(&value)), Source::Env);
    }
    if let Some(found) = cwd
        .ancestors()
        .map(|dir| dir.join(PROJECT_DIR))
        .find(|p| p.is_dir())
    {
        return local(found, Source::Project);
    }
    local(platform_dir()?, Source::Platform)
}

/// The store a URL names; `source` says where the URL came from, in errors.
fn from_url(
    url: &str,
    source: Source,
    env: &impl Fn(&str) -> Option<OsString>,
) -> Result<Location> {
    if url.is_empty() {
        return Err(Error::usage(format!("{source} is empty")));
    }
    let password = match env(PASSWORD_ENV) {
        Some(p) => Some(
            p.into_string()
                .map_err(|_| Error::usage(format!("{PASSWORD_ENV} is not UTF-8")))?,
        ),
        None => None,
    };
    let spec = store_url::parse(url, password.as_deref()).map_err(|e| match e {
        Error::Usage { message, hint } => Error::Usage {
            message: format!("{source}: {message}"),
            hint,
        },
        other => other,
    })?;
    let path = match &spec {
        StoreSpec::Local(path) => path.clone(),
        StoreSpec::Redis(target) => {
            let base = Scratch::default_base().ok_or(Error::NoDefaultStore)?;
            Scratch::sidecar_dir(&base, &target.display)
        }
    };
    let reopen_args = match source {
        Source::StoreFlag => vec!["--store".into(), url.into()],
        _ => Vec::new(),
    };
    Ok(Location {
        path,
        source,
        spec,
        reopen_args: Some(reopen_args),
    })
}

/// The platform cache directory (`~/.cache/cacheman` on Linux).
fn platform_dir() -> Result<PathBuf> {
    let platform =
        directories::ProjectDirs::from("", "", "cacheman").ok_or(Error::NoDefaultStore)?;
    Ok(platform.cache_dir().to_path_buf())
}

#[cfg(test)]
mod tests;
