//! Running the command: directly (never through a shell), with stdout and
//! stderr on separate pipes that a thread each drains. Every chunk goes live to
//! the caller and into the transcript in the order it arrived.

use std::io::{self, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, SyncSender};
use std::thread;

use crate::run::transcript::{self, Tag};

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(u8),
    /// Killed by this signal: reported as 128+N, never cached.
    Signaled(i32),
    /// It could not be started: 127 when not found, 126 otherwise.
    NotStarted {
        not_found: bool,
    },
}

impl Outcome {
    /// The status `cacheman run` exits with.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Exited(code) => code,
            Outcome::Signaled(signal) => 128u8.saturating_add(signal as u8),
            Outcome::NotStarted { not_found: true } => 127,
            Outcome::NotStarted { not_found: false } => 126,
        }
    }

    fn of(status: ExitStatus) -> Outcome {
        match (status.code(), status.signal()) {
            (Some(code), _) => Outcome::Exited(code as u8),
            (None, Some(signal)) => Outcome::Signaled(signal),
            (None, None) => Outcome::Exited(255),
        }
    }
}

const CHUNK: usize = 64 << 10;

/// Starts `command`, printing why it could not start.
fn start(command: &mut Command) -> Result<Child, Outcome> {
    command.spawn().map_err(|e| {
        let program = command.get_program().to_string_lossy().into_owned();
        let not_found = e.kind() == io::ErrorKind::NotFound;
        eprintln!("cacheman: error: cannot run '{program}': {e}");
        if not_found {
            eprintln!("hint: check the name and $PATH; commands run directly, not through a shell");
        }
        Outcome::NotStarted { not_found }
    })
}

/// Runs with the caller's stdout and stderr, capturing nothing.
pub fn run_plain(command: &mut Command) -> io::Result<Outcome> {
    match start(command) {
        Ok(mut child) => child.wait().map(Outcome::of),
        Err(outcome) => Ok(outcome),
    }
}

/// Runs, streaming output live to `out` and stderr and appending it as frames
/// to `transcript`. A failing transcript does not stop the command: the first
/// error is returned beside the outcome, and the run must not be stored.
pub fn run_captured(
    command: &mut Command,
    out: &mut dyn Write,
    transcript: &mut dyn Write,
) -> io::Result<(Outcome, Option<io::Error>)> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match start(command) {
        Ok(child) => child,
        Err(outcome) => return Ok((outcome, None)),
    };
    let (sender, chunks) = mpsc::sync_channel(16);
    let readers = [
        drain(child.stdout.take(), Tag::Stdout, sender.clone()),
        drain(child.stderr.take(), Tag::Stderr, sender),
    ];
    let mut live = Live::new(out);
    let mut failure = None;
    for (tag, chunk) in chunks {
        live.show(tag, &chunk);
        if failure.is_none()
            && let Err(e) = transcript::write_frame(transcript, tag, &chunk)
        {
            failure = Some(e);
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let outcome = Outcome::of(child.wait()?);
    Ok((outcome, failure))
}

/// A thread that reads a pipe to its end and sends each chunk.
fn drain(
    pipe: Option<impl Read + Send + 'static>,
    tag: Tag,
    sender: SyncSender<(Tag, Vec<u8>)>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let Some(mut pipe) = pipe else { return };
        let mut buf = vec![0; CHUNK];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if sender.send((tag, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    })
}

/// The caller's stdout and stderr, written in order. A stream that fails (a
/// closed pipe) is left alone from then on; the capture goes on.
pub struct Live<'a> {
    out: &'a mut dyn Write,
    out_open: bool,
    err_open: bool,
}

impl<'a> Live<'a> {
    pub fn new(out: &'a mut dyn Write) -> Live<'a> {
        Live {
            out,
            out_open: true,
            err_open: true,
        }
    }

    /// Writes one chunk to the stream it came from, at once.
    pub fn show(&mut self, tag: Tag, chunk: &[u8]) {
        match tag {
            Tag::Stdout if self.out_open => {
                self.out_open = self
                    .out
                    .write_all(chunk)
                    .and_then(|()| self.out.flush())
                    .is_ok();
            }
            Tag::Stderr if self.err_open => {
                self.err_open = io::stderr().write_all(chunk).is_ok();
            }
            _ => {}
        }
    }
}
