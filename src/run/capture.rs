//! Running the command: directly (never through a shell), with stdout and
//! stderr on separate pipes that one poll(2) loop drains. Every chunk goes live
//! to the caller and into the transcript in the order the loop read it, so
//! writes to the two streams keep their order whenever the loop read the first
//! before the second was made (writes closer together than that cannot be told
//! apart by any reader that keeps the streams separate).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;

use crate::error::{Error, IoContext, Result};

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

/// The status of a run whose caller closed stdout or stderr: that of a command
/// killed by SIGPIPE, as the command itself is when it writes again.
pub fn caller_left() -> u8 {
    Outcome::Signaled(rustix::process::Signal::PIPE.as_raw()).code()
}

const CHUNK: usize = 64 << 10;

/// Starts `command`, printing why it could not start.
fn start(command: &mut Command) -> Result<Child, Outcome> {
    command.spawn().map_err(|e| {
        let program = command.get_program().to_owned();
        let shown = program.to_string_lossy();
        let not_found = e.kind() == io::ErrorKind::NotFound;
        say!("cacheman: error: cannot run '{shown}': {e}");
        if !not_found {
            return Outcome::NotStarted { not_found };
        }
        if exists(Path::new(&program)) {
            say!("hint: the file exists: its interpreter (its #! line) was not found");
            return Outcome::NotStarted { not_found: false };
        }
        say!("hint: check the name and $PATH; commands run directly, not through a shell");
        Outcome::NotStarted { not_found }
    })
}

/// True when `program` names a file, directly or through `$PATH`.
fn exists(program: &Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Runs with the caller's stdin, stdout and stderr, capturing nothing.
pub fn run_plain(command: &mut Command) -> io::Result<Outcome> {
    match start(command) {
        Ok(mut child) => child.wait().map(Outcome::of),
        Err(outcome) => Ok(outcome),
    }
}

/// Whether a captured run may be stored, as far as its capture goes.
#[derive(Debug)]
pub enum Capture {
    /// Everything the command printed is in the transcript.
    Complete,
    /// Writing the transcript or reading a pipe failed (the first error).
    Incomplete(io::Error),
    /// The caller closed stdout or stderr. That pipe was closed to the command
    /// too, so its next write there fails (SIGPIPE), as in a plain pipeline.
    CallerLeft,
    /// Showing the output failed otherwise (a full disk, say): cacheman's own
    /// failure. The command ran on, the rest of that stream unshown.
    ShowFailed(Error),
}

/// One of the command's output pipes, while it is open.
struct Pipe {
    tag: Tag,
    file: File,
    /// Its chunks still go to the caller (until showing them fails).
    shown: bool,
}

/// Runs, streaming output live to `out` and stderr and appending it as frames
/// to `transcript` in the order it was read.
pub fn run_captured(
    command: &mut Command,
    out: &mut dyn Write,
    transcript: &mut dyn Write,
) -> io::Result<(Outcome, Capture)> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match start(command) {
        Ok(child) => child,
        Err(outcome) => return Ok((outcome, Capture::Complete)),
    };
    let pipe = |tag, fd: Option<OwnedFd>| {
        fd.map(|fd| Pipe {
            tag,
            file: File::from(fd),
            shown: true,
        })
    };
    let mut pipes = [
        pipe(Tag::Stdout, child.stdout.take().map(OwnedFd::from)),
        pipe(Tag::Stderr, child.stderr.take().map(OwnedFd::from)),
    ];
    let mut live = Live::new(out);
    let mut capture = Capture::Complete;
    let mut buf = vec![0; CHUNK];
    while let Some(ready) = wait_ready(&pipes)? {
        for (slot, ready) in pipes.iter_mut().zip(ready) {
            let Some(pipe) = slot.as_mut().filter(|_| ready) else {
                continue;
            };
            let tag = pipe.tag;
            let chunk = match pipe.file.read(&mut buf) {
                Ok(0) => {
                    *slot = None;
                    continue;
                }
                Ok(n) => &buf[..n],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Unread output: the capture is incomplete.
                    *slot = None;
                    if matches!(capture, Capture::Complete) {
                        capture = Capture::Incomplete(e);
                    }
                    continue;
                }
            };
            if !pipe.shown {
                // The rest of a stream that could not be shown: drained.
                continue;
            }
            match live.show(tag, chunk) {
                Ok(true) => {}
                Ok(false) => {
                    // Dropping our end: the command's next write to it fails.
                    *slot = None;
                    if !matches!(capture, Capture::ShowFailed(_)) {
                        capture = Capture::CallerLeft;
                    }
                    continue;
                }
                Err(e) => {
                    pipe.shown = false;
                    if !matches!(capture, Capture::ShowFailed(_)) {
                        capture = Capture::ShowFailed(e);
                    }
                    continue;
                }
            }
            if matches!(capture, Capture::Complete)
                && let Err(e) = transcript::write_frame(transcript, tag, chunk)
            {
                capture = Capture::Incomplete(e);
            }
        }
    }
    let outcome = Outcome::of(child.wait()?);
    Ok((outcome, capture))
}

/// Waits until an open pipe has data or has closed, and says which (in the
/// order of `pipes`); `None` once no pipe is open.
fn wait_ready(pipes: &[Option<Pipe>; 2]) -> io::Result<Option<[bool; 2]>> {
    let open: Vec<(usize, &File)> = pipes
        .iter()
        .enumerate()
        .filter_map(|(i, pipe)| pipe.as_ref().map(|p| (i, &p.file)))
        .collect();
    if open.is_empty() {
        return Ok(None);
    }
    let mut fds: Vec<PollFd<'_>> = open
        .iter()
        .map(|(_, file)| PollFd::new(*file, PollFlags::IN))
        .collect();
    loop {
        match poll(&mut fds, None) {
            Ok(_) => break,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut ready = [false; 2];
    for ((i, _), fd) in open.iter().zip(&fds) {
        ready[*i] = !fd.revents().is_empty();
    }
    Ok(Some(ready))
}

/// The caller's stdout and stderr, written in order, each chunk at once.
pub struct Live<'a> {
    out: &'a mut dyn Write,
}

impl<'a> Live<'a> {
    pub fn new(out: &'a mut dyn Write) -> Live<'a> {
        Live { out }
    }

    /// Writes one chunk to the stream it came from: false when the caller
    /// closed it; any other failure (a full disk, say) is an error naming the
    /// stream.
    pub fn show(&mut self, tag: Tag, chunk: &[u8]) -> Result<bool> {
        let (name, written) = match tag {
            Tag::Stderr => ("<stderr>", io::stderr().write_all(chunk)),
            _ => (
                "<stdout>",
                self.out.write_all(chunk).and_then(|()| self.out.flush()),
            ),
        };
        match written {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e).at(Path::new(name)),
        }
    }
}
