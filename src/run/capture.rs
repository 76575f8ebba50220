//! Running the command: directly (never through a shell), with stdout and
//! stderr on separate pipes that one poll(2) loop drains. Every chunk goes live
//! to the caller and into the transcript in the order the loop read it, so
//! writes to the two streams keep their order whenever the loop read the first
//! before the second was made (writes closer together than that cannot be told
//! apart by any reader that keeps the streams separate). When the caller has
//! them on one file, the command gets one pipe for both: their order is its
//! own. SIGINT, SIGTERM and SIGHUP sent to cacheman meanwhile are passed on to
//! the command.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{FileType, Stat, fstat};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, pidfd_open};

use crate::error::{Error, IoContext, Result, Stream};

use crate::reporter::{NotStarted, Reporter};
use crate::run::relay::Relay;
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

/// Starts `command`, telling `reporter` why it could not start.
fn start(command: &mut Command, reporter: &dyn Reporter) -> Result<Child, Outcome> {
    command.spawn().map_err(|error| {
        let program = command.get_program();
        let not_found = error.kind() == io::ErrorKind::NotFound;
        let file_exists = not_found && exists(Path::new(program));
        reporter.not_started(&NotStarted {
            program,
            error: &error,
            file_exists,
        });
        Outcome::NotStarted {
            not_found: not_found && !file_exists,
        }
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
pub fn run_plain(command: &mut Command, reporter: &dyn Reporter) -> io::Result<Outcome> {
    let mut relay = Relay::install()?;
    match start(command, reporter) {
        Ok(mut child) => wait_relaying(&mut child, &mut relay).map(Outcome::of),
        Err(outcome) => Ok(outcome),
    }
}

/// Runs with stdout read to its end (a value, for `get --or-run`), the
/// caller's stderr and no stdin, passing signals on meanwhile.
pub fn run_stdout(
    command: &mut Command,
    reporter: &dyn Reporter,
) -> io::Result<(Outcome, Vec<u8>)> {
    let mut relay = Relay::install()?;
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    let mut child = match start(command, reporter) {
        Ok(child) => child,
        Err(outcome) => return Ok((outcome, Vec::new())),
    };
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout pipe"))?;
    let reader = std::thread::spawn(move || {
        let mut value = Vec::new();
        stdout.read_to_end(&mut value).map(|_| value)
    });
    let status = wait_relaying(&mut child, &mut relay)?;
    let value = reader
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the stdout reader panicked")))?;
    Ok((Outcome::of(status), value))
}

/// Waits for the command to exit, passing signals on meanwhile (where a
/// pidfd tells when it exits; elsewhere it just waits).
fn wait_relaying(child: &mut Child, relay: &mut Relay) -> io::Result<ExitStatus> {
    if let Ok(pidfd) = pidfd_open(Pid::from_child(child), PidfdFlags::empty()) {
        loop {
            let [signalled, exited] = wait_any([Some(relay.fd()), Some(pidfd.as_fd())])?;
            if signalled {
                relay.pass_on(Some(child));
            }
            if exited {
                break;
            }
        }
    }
    relay.pass_on(Some(child));
    let status = child.wait()?;
    relay.pass_on(None);
    Ok(status)
}

/// True when cacheman's stdout and stderr are one file (`2>&1`, or one
/// terminal): then the command gets one pipe for both.
pub fn streams_merged() -> bool {
    let (Ok(out), Ok(err)) = (fstat(io::stdout()), fstat(io::stderr())) else {
        return false;
    };
    let is_char = |st: &Stat| FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice;
    let same_file = (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino);
    same_file || (is_char(&out) && is_char(&err) && out.st_rdev == err.st_rdev)
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
    /// cacheman got SIGINT, SIGTERM or SIGHUP (passed on to the command).
    Interrupted,
}

/// One of the command's output pipes, while it is open.
struct Pipe {
    tag: Tag,
    file: File,
    /// Its chunks still go to the caller (until showing them fails).
    shown: bool,
}

impl Pipe {
    fn new(tag: Tag, fd: Option<OwnedFd>) -> Option<Pipe> {
        fd.map(|fd| Pipe {
            tag,
            file: File::from(fd),
            shown: true,
        })
    }
}

/// Runs, streaming output live to `out` and stderr (or all of it to `out`
/// when `merged`) and appending it as frames to `transcript` in the order it
/// was read.
pub fn run_captured(
    command: &mut Command,
    out: &mut dyn Write,
    transcript: &mut dyn Write,
    merged: bool,
    reporter: &dyn Reporter,
) -> io::Result<(Outcome, Capture)> {
    let one_pipe = if merged {
        let (read, write) = io::pipe()?;
        command.stdout(write.try_clone()?).stderr(write);
        Some(OwnedFd::from(read))
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        None
    };
    let mut relay = Relay::install()?;
    let started = start(command, reporter);
    // Our copies of the one pipe's write end: the command holds its own.
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = match started {
        Ok(child) => child,
        Err(outcome) => return Ok((outcome, Capture::Complete)),
    };
    let mut pipes = match one_pipe {
        Some(fd) => [Pipe::new(Tag::Merged, Some(fd)), None],
        None => [
            Pipe::new(Tag::Stdout, child.stdout.take().map(OwnedFd::from)),
            Pipe::new(Tag::Stderr, child.stderr.take().map(OwnedFd::from)),
        ],
    };
    let mut live = Live::new(out);
    let mut capture = Capture::Complete;
    let mut buf = vec![0; CHUNK];
    while let Some([ready @ .., signalled]) = wait_ready(&pipes, &relay)? {
        if signalled {
            relay.pass_on(Some(&child));
        }
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
    let outcome = Outcome::of(wait_relaying(&mut child, &mut relay)?);
    if relay.received() && !matches!(capture, Capture::ShowFailed(_)) {
        capture = Capture::Interrupted;
    }
    Ok((outcome, capture))
}

/// Waits until an open pipe has data or has closed, or a signal arrived, and
/// says which (in the order of `pipes`, then the signal); `None` once no pipe
/// is open.
fn wait_ready(pipes: &[Option<Pipe>; 2], relay: &Relay) -> io::Result<Option<[bool; 3]>> {
    if pipes.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [stdout, stderr] = pipes.each_ref().map(|p| p.as_ref().map(|p| p.file.as_fd()));
    wait_any([stdout, stderr, Some(relay.fd())]).map(Some)
}

/// Waits until one of `fds` is readable or closed, and says which.
fn wait_any<const N: usize>(fds: [Option<BorrowedFd<'_>>; N]) -> io::Result<[bool; N]> {
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .flatten()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    loop {
        match poll(&mut polled, None) {
            Ok(_) => break,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut revents = polled.iter().map(|fd| !fd.revents().is_empty());
    Ok(fds.map(|fd| fd.is_some() && revents.next().unwrap_or(false)))
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
        let (stream, written) = match tag {
            Tag::Stderr => (Stream::Stderr, io::stderr().write_all(chunk)),
            _ => (
                Stream::Stdout,
                self.out.write_all(chunk).and_then(|()| self.out.flush()),
            ),
        };
        match written {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e).on(stream),
        }
    }
}
