//! Spool files: anonymous temporary files (unlinked as soon as they are made)
//! that hold a run's transcript or stdin, so large data never sits in memory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::error::{IoContext, Result};

/// A spool being written.
pub struct Spool {
    file: BufWriter<File>,
    /// Where it was created (it no longer has a name), for messages.
    pub path: PathBuf,
}

impl Spool {
    pub fn new() -> Result<Spool> {
        let path =
            std::env::temp_dir().join(format!("cacheman-run-{}", crate::clock::unique_suffix()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .at(&path)?;
        fs::remove_file(&path).at(&path)?;
        Ok(Spool {
            file: BufWriter::with_capacity(64 << 10, file),
            path,
        })
    }

    /// Copies `input` to a new spool while hashing it; returns the spool's file
    /// (rewound) and the hash.
    pub fn of_stream(input: &mut dyn Read) -> Result<(File, [u8; 32])> {
        let mut spool = Spool::new()?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0; 64 << 10];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).at(std::path::Path::new("<stdin>")),
            };
            hasher.update(&buf[..n]);
            spool.write_all(&buf[..n]).at(&spool.path)?;
        }
        Ok((spool.finish()?, *hasher.finalize().as_bytes()))
    }

    /// The written file, flushed and rewound for reading.
    pub fn finish(self) -> Result<File> {
        let path = self.path.clone();
        let mut file = self
            .file
            .into_inner()
            .map_err(|e| e.into_error())
            .at(&path)?;
        file.seek(SeekFrom::Start(0)).at(&path)?;
        Ok(file)
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
