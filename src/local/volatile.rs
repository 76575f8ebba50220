//! Where volatile caches live: a private folder in the runtime directory (a tmpfs
//! such as `$XDG_RUNTIME_DIR` or `/dev/shm`), so they never survive a reboot.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// The runtime folder for this store's volatile caches. The name mixes in the
/// store's canonical path, so two stores never share it, and every spelling of
/// one store's path (relative, trailing slash, through a symlink) finds it.
pub fn root_for(store_root: &Path) -> Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .and_then(|dirs| dirs.runtime_dir().map(Path::to_path_buf))
        .filter(|dir| dir.is_dir())
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|dir| dir.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    let canonical = store_root
        .canonicalize()
        .unwrap_or_else(|_| store_root.to_path_buf());
    let tag = blake3::hash(canonical.as_os_str().as_encoded_bytes()).to_hex();
    let root = base.join(format!("cacheman-{}", &tag[..16]));
    if let Ok(meta) = root.symlink_metadata() {
        let owner = store_root.metadata().at(store_root)?.uid();
        if !meta.is_dir() || meta.uid() != owner || meta.mode() & 0o077 != 0 {
            return Err(Error::usage(format!(
                "{} is not a private directory owned by the store's owner; refusing to keep volatile caches there",
                root.display()
            )));
        }
    }
    Ok(root)
}
