//! Spool files: anonymous temporary files (unlinked as soon as they are made, so
//! a killed run leaves nothing) that hold a run's transcript or stdin, so large
//! data never sits in memory. They live in the store's scratch directory, on
//! disk, not in a RAM-backed /tmp.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::error::{IoContext, Result, Stream};
use crate::files::{fsutil, temp};
use crate::scratch::Scratch;

/// A spool being written.
pub struct Spool {
    file: BufWriter<File>,
    /// Where it was created (it no longer has a name), for messages.
    pub path: PathBuf,
}

impl Spool {
    /// A new spool in the spool folder of `scratch` (created if needed).
    pub fn new(scratch: &Scratch) -> Result<Spool> {
        let path = scratch.spool_dir();
        fsutil::create_private_dir(&path)?;
        let file = temp::unnamed_in(&path)?;
        Ok(Spool {
            file: BufWriter::with_capacity(64 << 10, file),
            path,
        })
    }

    /// Copies `input` to a new spool; returns the spool's file (rewound) and
    /// the hash of what it holds.
    pub fn of_stream(scratch: &Scratch, input: &mut dyn Read) -> Result<(File, [u8; 32])> {
        let mut spool = Spool::new(scratch)?;
        io::copy(input, &mut spool).on(Stream::Stdin)?;
        let path = spool.path.clone();
        let mut file = spool.finish()?;
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(&mut file).at(&path)?;
        file.seek(SeekFrom::Start(0)).at(&path)?;
        Ok((file, *hasher.finalize().as_bytes()))
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
