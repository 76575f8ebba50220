//! One memoized run from start to end: derive the key, look for a result and
//! replay it, or take the dogpile lock, run the command once, and store what it
//! did. Stale results are served while exactly one detached refresher runs.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, IoContext, Result, Stream};
use crate::name::CacheName;
use crate::or_create::millis;
use crate::reporter::Reporter;
use crate::run::capture::{self, Capture, Outcome};
use crate::run::explain;
use crate::run::inputs::InputHasher;
use crate::run::key::{self, Parts, result_key};
use crate::run::note::{self, Note};
use crate::run::outputs;
use crate::run::replay::{self, ReplayError, Replayed};
use crate::run::spool::Spool;
use crate::run::transcript::{self, Tag};
use crate::scratch::Scratch;
use crate::store::{
    CacheSettings, Hit, NewValue, SetOptions, Store, Ttl, Turn, Value, WriteReport,
};

/// What the caller asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub cache: CacheName,
    pub argv: Vec<OsString>,
    /// The working directory is part of the key.
    pub cwd_in_key: bool,
    pub env: Vec<OsString>,
    pub inputs: Vec<OsString>,
    pub outputs: Vec<PathBuf>,
    pub stdin: bool,
    pub keys: Vec<OsString>,
    pub ttl: Ttl,
    /// Serve a result this long after its TTL, refreshing it in the background.
    pub stale: Option<Duration>,
    pub force: bool,
    pub cache_failures: bool,
    pub explain: bool,
    /// Be the background refresher of a stale result.
    pub refresh: bool,
    /// The caller's stdout and stderr are one file: the command gets one pipe
    /// for both, and its result is another than with them apart.
    pub merged: bool,
}

/// Where results go and what to do after a write.
pub struct Memo<'a> {
    /// The store; its reads of results count as hits and misses.
    pub store: &'a dyn Store,
    /// The same store, reading without counting: for the second look under
    /// the lock, so that one run counts one hit or one miss.
    pub quiet: &'a dyn Store,
    /// The store's private directory on this machine: the spool goes there,
    /// and walks of `--input` directories leave it out.
    pub scratch: &'a Scratch,
    /// Reports a write's notices and starts a due sync.
    pub after_write: &'a dyn Fn(&CacheName, &WriteReport),
    /// The arguments of the `cacheman run` that refreshes a stale result of
    /// this request (asked for only when one is started).
    pub refresher_args: &'a dyn Fn() -> Vec<OsString>,
    /// Where warnings and `--explain` lines go.
    pub reporter: &'a dyn Reporter,
    /// The store refuses writes (`readonly=1`): a hit replays, a miss runs
    /// the command plainly and stores nothing.
    pub read_only: bool,
}

/// A request with its key worked out.
struct Keyed<'r> {
    request: &'r Request,
    parts: Parts,
    key: [u8; 32],
    /// The note of this argv's last stored result, if read.
    earlier: Option<Note>,
    hasher: InputHasher,
    /// stdin, spooled, with `--stdin`.
    stdin: Option<File>,
}

/// A stored result and how usable it is now.
enum Found {
    Fresh(Hit),
    /// Past its TTL (or soft-invalidated) but inside the `--stale` window.
    Stale(Hit),
}

impl Memo<'_> {
    /// The key `run` would use, as hex. Nothing is written, not even a spool.
    pub fn print_key(&self, request: &Request, cwd: &Path) -> Result<String> {
        let keyed = self.keyed(request, cwd, false)?;
        Ok(key::hex(&keyed.key))
    }

    /// Runs or replays; returns the exit status.
    pub fn run(&self, request: &Request, cwd: &Path, out: &mut dyn Write) -> Result<u8> {
        let keyed = self.keyed(request, cwd, true)?;
        let lock_name = key::hex(&keyed.key);
        if request.refresh {
            return self.refresh(&keyed, &lock_name);
        }
        if !request.force {
            let found = self.counted_lookup(&keyed)?;
            if let Some(Found::Stale(_)) = &found
                && !self.read_only
            {
                self.start_refresher(&keyed, &lock_name)?;
            }
            if let Some(Found::Fresh(hit) | Found::Stale(hit)) = found {
                return match self.replay(&keyed, hit, out)? {
                    Some(code) => Ok(code),
                    None if self.read_only => self.run_unstored(&keyed, out),
                    None => self.run_locked(&keyed, &lock_name, out, false),
                };
            }
        }
        match self.read_only {
            true => self.run_unstored(&keyed, out),
            false => self.run_locked(&keyed, &lock_name, out, !request.force),
        }
    }

    /// A miss on a read-only store: says so once, and runs the command
    /// plainly (its output goes straight to the caller), storing nothing.
    fn run_unstored(&self, keyed: &Keyed<'_>, out: &mut dyn Write) -> Result<u8> {
        self.reporter.warning(&format_args!(
            "the store is read-only: running the command without storing its result"
        ));
        out.flush().on(Stream::Stdout)?;
        let mut command = self.command(keyed)?;
        capture::run_plain(&mut command, self.reporter)
            .map(Outcome::code)
            .at(Path::new(&keyed.request.argv[0]))
    }

    /// Runs the command under the key's lock. With `recheck`, first looks again
    /// for a result stored while this call waited, and explains the miss when
    /// the command does run. A holder that stores nothing lets all its waiters
    /// run at once.
    fn run_locked(
        &self,
        keyed: &Keyed<'_>,
        lock_name: &str,
        out: &mut dyn Write,
        recheck: bool,
    ) -> Result<u8> {
        let lock = match self.store.lock(lock_name)? {
            Turn::Held(lock) => Some(lock),
            Turn::HolderFailed => None,
        };
        let mut say_why = recheck;
        if recheck
            && lock.is_some()
            && let Some(Found::Fresh(hit)) = self.lookup(keyed, self.quiet)?
        {
            match self.replay(keyed, hit, out)? {
                Some(code) => return Ok(code),
                None => say_why = false,
            }
        }
        for warning in &keyed.hasher.unmatched {
            self.reporter.warning(warning);
        }
        if say_why && keyed.request.explain {
            let earlier = keyed.earlier.as_ref().map(|r| &r.parts);
            for line in explain::explain(earlier, &keyed.parts) {
                self.reporter.explain(&line);
            }
        }
        let computed = self.compute(keyed, out);
        if let Some(lock) = lock
            && !matches!(computed, Ok((_, true)))
        {
            lock.release_failed();
        }
        computed.map(|(code, _)| code)
    }

    /// Works out the key, reading the last record of this argv when its
    /// fingerprints or its parts are wanted. With `--stdin`, stdin is spooled
    /// for the command when `spool_stdin`, else only hashed.
    fn keyed<'r>(&self, request: &'r Request, cwd: &Path, spool_stdin: bool) -> Result<Keyed<'r>> {
        let cache = &request.cache;
        let argv: Vec<Vec<u8>> = request.argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        let argv_id = Parts {
            argv: argv.clone(),
            ..Parts::default()
        }
        .argv_id();
        let earlier = if request.inputs.is_empty() && !request.explain {
            None
        } else {
            note::read(self.store, cache, &argv_id, self.reporter)
        };
        let known = earlier
            .as_ref()
            .map(|r| r.known.clone())
            .unwrap_or_default();
        let mut hasher = InputHasher::new(cwd, self.scratch.dir(), known);
        let inputs = hasher.hash_all(&request.inputs)?;
        let mut env: Vec<(Vec<u8>, Option<[u8; 32]>)> = request
            .env
            .iter()
            .map(|name| {
                let value = std::env::var_os(name).map(|v| key::hash(v.as_bytes()));
                (name.as_bytes().to_vec(), value)
            })
            .collect();
        env.sort();
        env.dedup();
        let (stdin, stdin_hash) = match (request.stdin, spool_stdin) {
            (false, _) => (None, None),
            (true, true) => {
                let (file, hash) = Spool::of_stream(self.scratch, &mut io::stdin().lock())?;
                (Some(file), Some(hash))
            }
            (true, false) => {
                let mut hasher = blake3::Hasher::new();
                hasher.update_reader(io::stdin().lock()).on(Stream::Stdin)?;
                (None, Some(*hasher.finalize().as_bytes()))
            }
        };
        let parts = Parts {
            argv,
            cwd: request
                .cwd_in_key
                .then(|| cwd.as_os_str().as_bytes().to_vec()),
            env,
            inputs,
            stdin: stdin_hash,
            keys: request.keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
            outputs: request
                .outputs
                .iter()
                .map(|o| o.as_os_str().as_bytes().to_vec())
                .collect(),
            merged: request.merged,
        };
        Ok(Keyed {
            request,
            key: parts.key(),
            parts,
            earlier,
            hasher,
            stdin,
        })
    }

    /// The stored result for this key, if it can be used now, read from `store`
    /// (counting or not). Every use of a stored result goes through here, so a
    /// check that must pass first (such as file bindings) belongs at its top.
    /// It is fresh while younger than its own TTL and the caller's `--ttl`.
    fn lookup(&self, keyed: &Keyed<'_>, store: &dyn Store) -> Result<Option<Found>> {
        let key = result_key(&keyed.key);
        let Some(hit) = crate::watch::checked_get(store, &keyed.request.cache, &key)? else {
            return Ok(None);
        };
        let stored_ms = match transcript::read_header(&mut replay::open(&hit.value)) {
            Ok(ms) => ms,
            Err(reason) => {
                self.reporter.warning(&format_args!(
                    "{} is not a run result ({reason}); running the command",
                    shown_key(&keyed.request.cache, &key)
                ));
                return Ok(None);
            }
        };
        let asked_ms = match keyed.request.ttl {
            Ttl::After(ttl) => millis(ttl),
            Ttl::Never | Ttl::CacheDefault => u64::MAX,
        };
        let fresh_ms = stored_ms.min(asked_ms);
        let age = SystemClock.now_ms().saturating_sub(hit.created_ms);
        if !hit.stale && age < fresh_ms {
            return Ok(Some(Found::Fresh(hit)));
        }
        Ok(match keyed.request.stale.map(millis) {
            Some(window) if age < fresh_ms.saturating_add(window) || hit.stale => {
                Some(Found::Stale(hit))
            }
            _ => None,
        })
    }

    /// The lookup of this run's result that counts as its hit or miss. A
    /// lookup in a cache that does not exist counts nowhere, so the cache is
    /// created first (as storing the result would) and the lookup made again.
    fn counted_lookup(&self, keyed: &Keyed<'_>) -> Result<Option<Found>> {
        let found = self.lookup(keyed, self.store)?;
        let cache = &keyed.request.cache;
        if found.is_some() || self.read_only || self.store.settings(cache)?.is_some() {
            return Ok(found);
        }
        self.store.create(cache, &CacheSettings::default(), true)?;
        self.lookup(keyed, self.store)
    }

    /// Replays a stored result: its outputs first, then its streams; keeps
    /// newly trusted input hashes for next time. `None` when the outputs could
    /// not be restored, or the result names one this call did not declare (said
    /// on stderr): the caller runs the command instead, and its result replaces
    /// this one.
    fn replay(&self, keyed: &Keyed<'_>, hit: Hit, out: &mut dyn Write) -> Result<Option<u8>> {
        let key = result_key(&keyed.key);
        let failed = |e: ReplayError| e.into_error(&keyed.request.cache, &key);
        replay::verify(&hit.value).map_err(failed)?;
        match replay::check_outputs(&hit.value, &keyed.request.outputs) {
            Err(ReplayError::Refused(reason)) => {
                self.reporter.warning(&format_args!(
                    "{} is not replayed: {reason}; running the command",
                    shown_key(&keyed.request.cache, &key)
                ));
                return Ok(None);
            }
            checked => checked.map_err(failed)?,
        }
        let Some(status) = restore_outputs(&hit.value, &keyed.request.outputs, self.reporter)
        else {
            return Ok(None);
        };
        let code = match replay::replay_streams(&hit.value, out, status).map_err(failed)? {
            Replayed::Status(code) => code,
            Replayed::CallerLeft => return Ok(Some(capture::caller_left())),
        };
        if keyed.hasher.learned {
            self.save_note(keyed);
        }
        Ok(Some(code))
    }

    /// Starts one detached refresher, unless a run of this key is under way.
    fn start_refresher(&self, keyed: &Keyed<'_>, lock_name: &str) -> Result<()> {
        let Some(probe) = self.store.try_lock(lock_name)? else {
            return Ok(());
        };
        drop(probe);
        let stdin = match &keyed.stdin {
            Some(file) => Stdio::from(file.try_clone().on(Stream::Stdin)?),
            None => Stdio::null(),
        };
        crate::detach::spawn(&self.store.reopen_args()?, &(self.refresher_args)(), stdin)
    }

    /// The refresher: runs the command again unless another process is already
    /// doing so, or has done so since the stale result was served.
    fn refresh(&self, keyed: &Keyed<'_>, lock_name: &str) -> Result<u8> {
        let Some(_lock) = self.store.try_lock(lock_name)? else {
            return Ok(0);
        };
        if let Some(Found::Fresh(_)) = self.lookup(keyed, self.quiet)? {
            return Ok(0);
        }
        self.compute(keyed, &mut io::sink()).map(|(code, _)| code)
    }

    /// Runs the command with its output captured, and stores the result if it
    /// may be: a success (or any exit with `--cache-failures`), never a signal,
    /// never a run whose caller left. Returns the status and whether it was stored.
    fn compute(&self, keyed: &Keyed<'_>, out: &mut dyn Write) -> Result<(u8, bool)> {
        let request = keyed.request;
        let token = self.store.epoch()?;
        let (fresh_ms, store_ttl) = lifetimes(request);
        let mut spool = Spool::new(self.scratch)?;
        transcript::write_header(&mut spool, fresh_ms).at(&spool.path)?;
        let mut command = self.command(keyed)?;
        let (outcome, capture) =
            capture::run_captured(&mut command, out, &mut spool, request.merged, self.reporter)
                .at(Path::new(&request.argv[0]))?;
        let code = outcome.code();
        let keep = match outcome {
            Outcome::Exited(0) => true,
            Outcome::Exited(_) => request.cache_failures,
            Outcome::Signaled(_) | Outcome::NotStarted { .. } => false,
        };
        let complete = match capture {
            Capture::ShowFailed(e) => return Err(e),
            Capture::CallerLeft | Capture::Interrupted => return Ok((code, false)),
            _ if !keep => return Ok((code, false)),
            Capture::Complete => Ok(()),
            Capture::Incomplete(e) => Err(e).at(&spool.path),
        };
        match complete.and_then(|()| self.store_result(keyed, spool, code, token, store_ttl)) {
            Ok(()) => {
                self.save_note(keyed);
                Ok((code, true))
            }
            Err(Error::Conflict { .. }) => {
                self.reporter.warning(&format_args!(
                    "not stored: cache '{}' was invalidated while the command ran",
                    &keyed.request.cache
                ));
                Ok((code, false))
            }
            Err(e) => {
                self.reporter
                    .warning(&format_args!("the result was not stored: {e}"));
                Ok((code, false))
            }
        }
    }

    /// The command, with stdin from the spool when `--stdin` took it, and
    /// otherwise none: stdin that is not part of the key must not reach it.
    fn command(&self, keyed: &Keyed<'_>) -> Result<Command> {
        let request = keyed.request;
        let mut command = Command::new(&request.argv[0]);
        command.args(&request.argv[1..]);
        match &keyed.stdin {
            Some(file) => command.stdin(file.try_clone().on(Stream::Stdin)?),
            None => command.stdin(Stdio::null()),
        };
        Ok(command)
    }

    fn store_result(
        &self,
        keyed: &Keyed<'_>,
        mut spool: Spool,
        code: u8,
        token: u64,
        ttl: Ttl,
    ) -> Result<()> {
        let path = spool.path.clone();
        outputs::archive(&keyed.request.outputs, &mut spool, &path)?;
        transcript::write_frame(&mut spool, Tag::Status, &[code]).at(&path)?;
        let mut file = spool.finish()?;
        let options = SetOptions {
            ttl,
            durable: false,
            if_epoch: Some(token),
            if_absent: false,
        };
        let report = self.store.set(
            &keyed.request.cache,
            &result_key(&keyed.key),
            NewValue::Stream(&mut file as &mut dyn Read),
            &options,
        )?;
        (self.after_write)(&keyed.request.cache, &report);
        Ok(())
    }

    /// Notes this run's parts and trusted input hashes under its argv. The
    /// note only helps later runs, so failing to write it is a warning.
    fn save_note(&self, keyed: &Keyed<'_>) {
        let kept = Note {
            parts: keyed.parts.clone(),
            known: keyed.hasher.known.clone(),
        };
        let cache = &keyed.request.cache;
        if let Err(e) = note::write(self.store, cache, &keyed.parts.argv_id(), &kept) {
            self.reporter
                .warning(&format_args!("the note for --explain was not saved: {e}"));
        }
    }
}

/// Restores the declared outputs of a result: `Some` of its exit status (known
/// once they are restored; `None` when none are declared), or `None` when they
/// cannot be restored (said to the reporter).
fn restore_outputs(
    value: &Value,
    declared: &[PathBuf],
    reporter: &dyn Reporter,
) -> Option<Option<u8>> {
    if declared.is_empty() {
        return Some(None);
    }
    match replay::restore_outputs(value, declared) {
        Ok(status) => Some(Some(status)),
        Err(e) => {
            let why = match e {
                ReplayError::Failed(e) => e.to_string(),
                ReplayError::Damaged(reason) => format!("the result is damaged: {reason}"),
                ReplayError::Refused(reason) => reason,
            };
            reporter.warning(&format_args!(
                "the stored outputs cannot be restored ({why}); running the command"
            ));
            None
        }
    }
}

/// Runs a command with no caching at all (`--no-cache`, `CACHEMAN_DISABLE=1`).
pub fn run_plain(argv: &[OsString], reporter: &dyn Reporter) -> Result<u8> {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    capture::run_plain(&mut command, reporter)
        .map(Outcome::code)
        .at(Path::new(&argv[0]))
}

/// How long a result stays fresh (ms) and how long its entry lives (through
/// the `--stale` window); huge durations saturate.
fn lifetimes(request: &Request) -> (u64, Ttl) {
    match request.ttl {
        Ttl::After(ttl) => {
            let lives = request.stale.map_or(ttl, |stale| ttl.saturating_add(stale));
            (millis(ttl), Ttl::After(lives))
        }
        ttl => (u64::MAX, ttl),
    }
}

/// A stored result that is not what `run` wrote, found part way through
/// replaying it: named by cache and key.
pub fn damaged(cache: &CacheName, key: &[u8], reason: String) -> Error {
    Error::corrupt(Path::new(&shown_key(cache, key)), 0, reason)
}

/// A stored key as messages show it: `cache 'run', key result/HEX`.
fn shown_key(cache: &CacheName, key: &[u8]) -> String {
    format!("cache '{cache}', key {}", String::from_utf8_lossy(key))
}
