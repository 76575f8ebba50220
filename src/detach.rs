//! Starting a detached `cacheman` on the same store (a background sync, a
//! refresher of a stale `run` result): its own process group, no output, so it
//! outlives the caller and never writes to its terminal.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{IoContext, Result};

/// Starts `cacheman STORE_ARGS... ARGS...` in the background, `store_args`
/// naming the store (see [`Store::reopen_args`](crate::store::Store::reopen_args)).
pub fn spawn<S: AsRef<OsStr>>(store_args: &[OsString], args: &[S], stdin: Stdio) -> Result<()> {
    let exe = std::env::current_exe().at(Path::new("/proc/self/exe"))?;
    Command::new(&exe)
        .args(store_args)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .at(&exe)?;
    Ok(())
}
