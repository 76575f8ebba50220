//! Starting a detached `cacheman` on the same store (a background sync, a
//! refresher of a stale `run` result): its own process group, no output, so it
//! outlives the caller and never writes to its terminal.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{IoContext, Result};

/// Starts `cacheman --dir STORE ARGS...` in the background.
pub fn spawn<S: AsRef<OsStr>>(store: &Path, args: &[S], stdin: Stdio) -> Result<()> {
    let exe = std::env::current_exe().at(Path::new("/proc/self/exe"))?;
    Command::new(&exe)
        .arg("--dir")
        .arg(store)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .at(&exe)?;
    Ok(())
}
