//! A batch's stdin, read on its own thread in large chunks of whole lines, so
//! the main loop takes lines in place from a chunk (no allocation per line)
//! and can still wake for the autosync timer while stdin is quiet.

use std::io::{ErrorKind, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// How much one read of stdin asks for.
const READ_SIZE: usize = 256 << 10;

/// The most chunks read ahead of the one being run (a bound on memory).
const CHUNKS_AHEAD: usize = 16;

/// Whole lines as read: every line of a chunk ends with `\n`, but the last
/// line of the input when it has none.
pub type Chunk = std::io::Result<Vec<u8>>;

/// What waiting for the next chunk came to.
pub enum Next {
    Chunk(Chunk),
    /// Nothing arrived in time.
    Quiet,
    /// Stdin is over.
    End,
}

/// The chunks of stdin, and one taken early to see whether more is waiting.
pub struct Input {
    chunks: Receiver<Chunk>,
    early: Option<Chunk>,
}

impl Input {
    /// Starts reading `source` (stdin) on a thread of its own.
    pub fn spawn(source: impl Read + Send + 'static) -> Input {
        let (send, chunks) = mpsc::sync_channel(CHUNKS_AHEAD);
        thread::spawn(move || read_chunks(source, |chunk| send.send(chunk).is_ok()));
        Input {
            chunks,
            early: None,
        }
    }

    /// The next chunk, waiting at most `timeout` for it.
    pub fn next(&mut self, timeout: Duration) -> Next {
        if let Some(chunk) = self.early.take() {
            return Next::Chunk(chunk);
        }
        match self.chunks.recv_timeout(timeout) {
            Ok(chunk) => Next::Chunk(chunk),
            Err(RecvTimeoutError::Timeout) => Next::Quiet,
            Err(RecvTimeoutError::Disconnected) => Next::End,
        }
    }

    /// Whether another chunk is already read (answers may then wait in a
    /// buffer; otherwise they are flushed, also at the end of stdin).
    pub fn waiting(&mut self) -> bool {
        if self.early.is_none() {
            self.early = self.chunks.try_recv().ok();
        }
        self.early.is_some()
    }
}

/// Reads `source` to its end and hands on its whole lines, many at a time,
/// until `send` says nobody listens. A line longer than a read is carried
/// over whole to the chunk that ends it.
fn read_chunks(mut source: impl Read, mut send: impl FnMut(Chunk) -> bool) {
    let mut buf = vec![0; READ_SIZE];
    let mut carry = Vec::new();
    loop {
        let read = match source.read(&mut buf) {
            Ok(0) => {
                if !carry.is_empty() {
                    send(Ok(carry));
                }
                return;
            }
            Ok(n) => &buf[..n],
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                send(Err(e));
                return;
            }
        };
        let Some(last) = read.iter().rposition(|&b| b == b'\n') else {
            carry.extend_from_slice(read);
            continue;
        };
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(&read[..=last]);
        carry.extend_from_slice(&read[last + 1..]);
        if !send(Ok(chunk)) {
            return;
        }
    }
}

/// The lines of a chunk, without their `\n`.
pub fn lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let chunk = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    chunk.split(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out its bytes a few at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn lines_of(input: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        read_chunks(Trickle(input, step), |chunk| {
            let chunk = chunk.unwrap();
            assert!(!chunk.is_empty());
            all.extend(lines(&chunk).map(<[u8]>::to_vec));
            true
        });
        all
    }

    #[test]
    fn lines_come_whole_however_the_reads_cut_them() {
        let long = vec![b'x'; READ_SIZE * 2 + 7];
        let mut input = b"a b\n\n\r\nc".to_vec();
        input.extend_from_slice(b"\n");
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nlast");
        let want: Vec<Vec<u8>> = vec![
            b"a b".to_vec(),
            b"".to_vec(),
            b"\r".to_vec(),
            b"c".to_vec(),
            long,
            b"last".to_vec(),
        ];
        for step in [1, 2, 3, 5, 64, READ_SIZE] {
            assert_eq!(lines_of(&input, step), want, "reads of {step}");
        }
    }

    #[test]
    fn a_final_newline_makes_no_extra_line() {
        assert_eq!(lines_of(b"x\ny\n", 3), vec![b"x".to_vec(), b"y".to_vec()]);
        assert!(lines_of(b"", 3).is_empty());
    }
}
