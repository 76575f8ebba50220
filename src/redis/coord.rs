//! Locks on Redis as leases: `SET NX PX` with a random token, renewed by a
//! thread while held, released by token; a failed holder bumps a counter
//! that every waiter watches, so they all go on at once. A killed holder
//! delays the others by at most the lease.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::error::Result;
use crate::store::{Lease, Turn};

use super::RedisStore;
use super::link::Link;
use super::scripts;

/// How soon a waiter asks again at first; it waits twice as long each time,
/// up to `POLL_MAX`.
const POLL: Duration = Duration::from_millis(10);

/// The longest a waiter waits before asking again.
const POLL_MAX: Duration = Duration::from_millis(250);

/// A held lease, renewed until dropped.
struct RedisLease {
    link: Arc<Link>,
    key: Vec<u8>,
    failed: Vec<u8>,
    token: String,
    lease_ms: u64,
    stop: Option<(Sender<()>, JoinHandle<()>)>,
}

impl RedisLease {
    /// Ends renewal, then releases (or fails) the lease by its token.
    fn end(&mut self, action: &str) {
        if let Some((stop, renewer)) = self.stop.take() {
            drop(stop);
            let _ = renewer.join();
        }
        // A server gone by now lets the lease run out on its own.
        let _ = self.link.run::<i64>(
            &scripts::LEASE,
            &[&self.key, &self.failed],
            &[
                self.token.as_bytes(),
                action.as_bytes(),
                self.lease_ms.to_string().as_bytes(),
            ],
        );
    }
}

impl Lease for RedisLease {
    fn release_failed(mut self: Box<Self>) {
        self.end("fail");
    }
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.end("release");
        }
    }
}

impl RedisStore {
    pub(crate) fn take_lock(&self, name: &str) -> Result<Option<Box<dyn Lease>>> {
        self.writable()?;
        let key = self.keys.lock(name, "held");
        let token = token();
        let taken: Option<String> = self.link.query(
            redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(self.lease_ms),
        )?;
        if taken.is_none() {
            return Ok(None);
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let renewer = {
            let (link, key, token) = (Arc::clone(&self.link), key.clone(), token.clone());
            let lease_ms = self.lease_ms;
            thread::spawn(move || {
                while let Err(RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Duration::from_millis(lease_ms / 3))
                {
                    let _ = link.run::<i64>(
                        &scripts::LEASE,
                        &[&key, &key],
                        &[token.as_bytes(), b"renew", lease_ms.to_string().as_bytes()],
                    );
                }
            })
        };
        Ok(Some(Box::new(RedisLease {
            link: Arc::clone(&self.link),
            key,
            failed: self.keys.lock(name, "failed"),
            token,
            lease_ms: self.lease_ms,
            stop: Some((stop, renewer)),
        })))
    }

    pub(crate) fn wait_lock(&self, name: &str) -> Result<Turn> {
        let failed = self.keys.lock(name, "failed");
        let failures = || -> Result<u64> {
            let count: Option<u64> = self.link.query(redis::cmd("GET").arg(&failed))?;
            Ok(count.unwrap_or(0))
        };
        let before = failures()?;
        let mut pause = POLL;
        loop {
            if failures()? > before {
                return Ok(Turn::HolderFailed);
            }
            if let Some(lease) = self.take_lock(name)? {
                // A holder that failed between the two looks failed all the same.
                if failures()? > before {
                    drop(lease);
                    return Ok(Turn::HolderFailed);
                }
                return Ok(Turn::Held(lease));
            }
            thread::sleep(pause);
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

/// A token no other holder has: time, process and a counter, hashed.
fn token() -> String {
    let seed = format!(
        "{:?} {} {}",
        std::time::SystemTime::now(),
        std::process::id(),
        crate::clock::unique_suffix()
    );
    blake3::hash(seed.as_bytes()).to_hex()[..32].to_string()
}
