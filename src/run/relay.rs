//! Passing SIGINT, SIGTERM and SIGHUP on to the command while it runs, as
//! `timeout` does, so that stopping `cacheman run` stops its command too. A
//! signal the kernel sent (a terminal's Ctrl-C or hangup, which goes to the
//! whole foreground process group, the command included) is not sent again.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::process::{Pid, Signal};

/// The signals passed on.
const SIGNALS: [Signal; 3] = [Signal::INT, Signal::TERM, Signal::HUP];

/// The `si_code` of a signal sent by the kernel rather than by a process.
const SI_KERNEL: i32 = 0x80;

/// Marks, in the byte a handler writes, a signal the kernel sent.
const FROM_KERNEL: u8 = 0x80;

/// The signals caught while it lives: each handler writes the signal's number
/// into a pipe that the waiting loop polls. Once dropped, the signals take
/// their default action again (the handlers stay, emulating it).
pub struct Relay {
    read: UnixStream,
    done: Arc<AtomicBool>,
    received: bool,
}

impl Relay {
    /// Catches the signals from now on.
    pub fn install() -> io::Result<Relay> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let write = Arc::new(OwnedFd::from(write));
        let done = Arc::new(AtomicBool::new(false));
        for signal in SIGNALS {
            let (write, done) = (Arc::clone(&write), Arc::clone(&done));
            // SAFETY: the action is async-signal-safe: it loads an atomic and
            // makes one system call (a non-blocking write, or the default
            // action), without allocating or locking.
            unsafe {
                signal_hook_registry::register_sigaction(signal.as_raw(), move |info| {
                    if done.load(Ordering::SeqCst) {
                        let _ = signal_hook::low_level::emulate_default_handler(info.si_signo);
                        return;
                    }
                    let mark = if info.si_code == SI_KERNEL {
                        FROM_KERNEL
                    } else {
                        0
                    };
                    let _ = rustix::io::write(&*write, &[info.si_signo as u8 | mark]);
                })
            }?;
        }
        Ok(Relay {
            read,
            done,
            received: false,
        })
    }

    /// Readable when a signal arrived.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Takes the signals that arrived and sends each on to `child` (unless it
    /// got it from the kernel already). `child` must not have been waited
    /// for: until then its PID cannot name another process.
    pub fn pass_on(&mut self, child: Option<&Child>) {
        let mut bytes = [0; 16];
        loop {
            let n = match (&self.read).read(&mut bytes) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            self.received = true;
            for &byte in bytes[..n].iter().filter(|&&b| b & FROM_KERNEL == 0) {
                let signal = SIGNALS.into_iter().find(|s| s.as_raw() == i32::from(byte));
                if let (Some(child), Some(signal)) = (child, signal) {
                    let _ = rustix::process::kill_process(Pid::from_child(child), signal);
                }
            }
        }
    }

    /// True once any of the signals arrived (and was taken by [`Relay::pass_on`]).
    pub fn received(&self) -> bool {
        self.received
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}
