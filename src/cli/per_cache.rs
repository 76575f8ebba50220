//! What the commands acting on every cache of a store (`stats`, `verify`,
//! `gc`) share: the store's caches, said so on stderr when there is no store at
//! all, and one cache's failure reported on its own while the others go on.

use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Whether the store exists; when it does not, a warning says so and what is
/// then left undone (`doing`).
pub fn store_exists(ctx: &Context, doing: &str) -> bool {
    let exists = ctx.store.exists();
    if !exists {
        say!(
            "cacheman: warning: no store at {}: {doing}",
            ctx.store.location()
        );
    }
    exists
}

/// Every cache of the store, by name (none, with a warning, when there is no store).
pub fn every_cache(ctx: &Context, doing: &str) -> Result<Vec<CacheName>> {
    match store_exists(ctx, doing) {
        true => ctx.store.cache_names(),
        false => Ok(Vec::new()),
    }
}

/// Runs one step per cache: a step that fails is reported as an error on
/// stderr, and the command ends with the first failure's exit status once
/// every other cache had its turn.
#[derive(Debug, Default)]
pub struct PerCache {
    failed: Option<ExitCode>,
}

impl PerCache {
    /// The step's result, or `None` after reporting its failure.
    pub fn run<T>(&mut self, step: impl FnOnce() -> Result<T>) -> Option<T> {
        match step() {
            Ok(value) => Some(value),
            Err(e) => {
                let code = super::report(&e.into());
                self.failed.get_or_insert(code);
                None
            }
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        self.failed.unwrap_or(ExitCode::Success)
    }
}
