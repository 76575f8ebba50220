//! One memoized run from start to end: derive the key, look for a result and
//! replay it, or take the dogpile lock, run the command once, and store what it
//! did. Stale results are served while exactly one detached refresher runs.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, IoContext, Result};
use crate::name::CacheName;
use crate::run::capture::{self, Outcome};
use crate::run::explain::explain;
use crate::run::inputs::InputHasher;
use crate::run::key::{self, Parts};
use crate::run::lock::{self, KeyLock};
use crate::run::outputs;
use crate::run::record::{self, Record};
use crate::run::replay;
use crate::run::spool::Spool;
use crate::run::transcript::{self, Tag};
use crate::store::{Hit, NewValue, SetOptions, Store, Ttl, WriteReport};

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
    /// The arguments of `cacheman run` that start a refresher for this request.
    pub refresher_args: Vec<OsString>,
}

/// Where results go and what to do after a write.
pub struct Memo<'a> {
    pub store: &'a dyn Store,
    /// The store directory (for the lock files and the refresher's `--dir`).
    pub root: &'a Path,
    /// Reports a write's notices and starts a due sync.
    pub after_write: &'a dyn Fn(&CacheName, &WriteReport),
}

/// A request with its key worked out.
struct Keyed<'r> {
    request: &'r Request,
    parts: Parts,
    key: [u8; 32],
    /// The last stored result's record for this argv, if read.
    earlier: Option<Record>,
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
    /// The key `run` would use, as hex.
    pub fn print_key(&self, request: &Request, cwd: &Path) -> Result<String> {
        let keyed = self.keyed(request, cwd)?;
        Ok(blake3::Hash::from_bytes(keyed.key).to_hex().to_string())
    }

    /// Runs or replays; returns the exit status.
    pub fn run(&self, request: &Request, cwd: &Path, out: &mut dyn Write) -> Result<u8> {
        let keyed = self.keyed(request, cwd)?;
        let lock_path = lock::path_for(self.root, &hex(&keyed.key));
        if request.refresh {
            return self.refresh(&keyed, &lock_path);
        }
        if !request.force {
            match self.lookup(&keyed)? {
                Some(Found::Fresh(hit)) => return self.replay(&keyed, hit, out),
                Some(Found::Stale(hit)) => {
                    self.start_refresher(&keyed, &lock_path)?;
                    return self.replay(&keyed, hit, out);
                }
                None => {}
            }
            if request.explain {
                let earlier = keyed.earlier.as_ref().map(|r| &r.parts);
                for line in explain(earlier, &keyed.parts) {
                    eprintln!("cacheman: explain: {line}");
                }
            }
        }
        let _lock = KeyLock::acquire(&lock_path)?;
        if !request.force
            && let Some(Found::Fresh(hit)) = self.lookup(&keyed)?
        {
            return self.replay(&keyed, hit, out);
        }
        self.compute(&keyed, out)
    }

    /// Works out the key, reading the last record of this argv when its
    /// fingerprints or its parts are wanted.
    fn keyed<'r>(&self, request: &'r Request, cwd: &Path) -> Result<Keyed<'r>> {
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
            self.read_record(cache, &argv_id)?
        };
        let known = earlier
            .as_ref()
            .map(|r| r.known.clone())
            .unwrap_or_default();
        let mut hasher = InputHasher::new(cwd, known);
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
        let (stdin, stdin_hash) = if request.stdin {
            let (file, hash) = Spool::of_stream(&self.spool_dir(), &mut io::stdin().lock())?;
            (Some(file), Some(hash))
        } else {
            (None, None)
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

    /// Where transcripts and stdin are spooled: in the store, on disk.
    fn spool_dir(&self) -> PathBuf {
        self.root.join("run-spool")
    }

    fn read_record(&self, cache: &CacheName, argv_id: &[u8; 32]) -> Result<Option<Record>> {
        let key = record::record_key(argv_id);
        let Some(hit) = self.store.get(cache, &key)? else {
            return Ok(None);
        };
        let bytes = hit.value.into_bytes()?;
        Record::decode(&bytes)
            .map(Some)
            .map_err(|reason| damaged(self.root, cache, &key, reason))
    }

    /// The stored result for this key, if it can be used now. Every use of a
    /// stored result goes through here, so a check that must pass first (such
    /// as file bindings) belongs at its top.
    fn lookup(&self, keyed: &Keyed<'_>) -> Result<Option<Found>> {
        let key = record::result_key(&keyed.key);
        let Some(hit) = self.store.get(&keyed.request.cache, &key)? else {
            return Ok(None);
        };
        let fresh_ms = transcript::read_header(&mut replay::open(&hit.value))
            .map_err(|reason| damaged(self.root, &keyed.request.cache, &key, reason))?;
        let now = SystemClock.now_ms();
        let age = now.saturating_sub(hit.created_ms);
        if !hit.stale && age < fresh_ms {
            return Ok(Some(Found::Fresh(hit)));
        }
        let window = keyed.request.stale.map(|d| d.as_millis() as u64);
        Ok(match window {
            Some(window) if age < fresh_ms.saturating_add(window) || hit.stale => {
                Some(Found::Stale(hit))
            }
            _ => None,
        })
    }

    /// Replays a stored result; keeps newly trusted input hashes for next time.
    fn replay(&self, keyed: &Keyed<'_>, hit: Hit, out: &mut dyn Write) -> Result<u8> {
        let key = record::result_key(&keyed.key);
        let code = replay::replay(&hit.value, out)
            .map_err(|e| e.into_error(self.root, &keyed.request.cache, &key))?;
        if keyed.hasher.learned {
            self.write_record(keyed)?;
        }
        Ok(code)
    }

    /// Starts one detached refresher, unless a run of this key is under way.
    fn start_refresher(&self, keyed: &Keyed<'_>, lock_path: &Path) -> Result<()> {
        let Some(probe) = KeyLock::try_acquire(lock_path)? else {
            return Ok(());
        };
        drop(probe);
        let stdin = match &keyed.stdin {
            Some(file) => Stdio::from(file.try_clone().at(Path::new("<stdin>"))?),
            None => Stdio::null(),
        };
        let mut args = vec![OsString::from("run")];
        args.extend(keyed.request.refresher_args.iter().cloned());
        crate::detach::spawn(self.root, &args, stdin)
    }

    /// The refresher: runs the command again unless another process is already
    /// doing so, or has done so since the stale result was served.
    fn refresh(&self, keyed: &Keyed<'_>, lock_path: &Path) -> Result<u8> {
        let Some(_lock) = KeyLock::try_acquire(lock_path)? else {
            return Ok(0);
        };
        if let Some(Found::Fresh(_)) = self.lookup(keyed)? {
            return Ok(0);
        }
        self.compute(keyed, &mut io::sink())
    }

    /// Runs the command with its output captured, and stores the result if it
    /// may be: a success (or any exit with `--cache-failures`), never a signal.
    fn compute(&self, keyed: &Keyed<'_>, out: &mut dyn Write) -> Result<u8> {
        let request = keyed.request;
        let token = self.store.epoch()?;
        let (fresh_ms, store_ttl) = lifetimes(request);
        let mut spool = Spool::new(&self.spool_dir())?;
        transcript::write_header(&mut spool, fresh_ms).at(&spool.path)?;
        let mut command = self.command(keyed)?;
        let (outcome, spool_failure) =
            capture::run_captured(&mut command, out, &mut spool).at(Path::new(&request.argv[0]))?;
        let code = outcome.code();
        let keep = match outcome {
            Outcome::Exited(0) => true,
            Outcome::Exited(_) => request.cache_failures,
            Outcome::Signaled(_) | Outcome::NotStarted { .. } => false,
        };
        if !keep {
            return Ok(code);
        }
        let stored = spool_failure
            .map_or(Ok(()), |e| Err(e).at(&spool.path))
            .and_then(|()| self.store_result(keyed, spool, code, token, store_ttl));
        match stored {
            Ok(()) => {}
            Err(Error::Conflict { .. }) => eprintln!(
                "cacheman: warning: not stored: cache '{}' was invalidated while the command ran",
                &keyed.request.cache
            ),
            Err(e) => eprintln!("cacheman: warning: the result was not stored: {e}"),
        }
        Ok(code)
    }

    /// The command, with stdin from the spool when `--stdin` took it.
    fn command(&self, keyed: &Keyed<'_>) -> Result<Command> {
        let request = keyed.request;
        let mut command = Command::new(&request.argv[0]);
        command.args(&request.argv[1..]);
        if let Some(file) = &keyed.stdin {
            command.stdin(file.try_clone().at(Path::new("<stdin>"))?);
        }
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
        };
        let report = self.store.set(
            &keyed.request.cache,
            &record::result_key(&keyed.key),
            NewValue::Stream(&mut file as &mut dyn Read),
            &options,
        )?;
        (self.after_write)(&keyed.request.cache, &report);
        self.write_record(keyed)
    }

    /// Notes this run's parts and trusted input hashes under its argv.
    fn write_record(&self, keyed: &Keyed<'_>) -> Result<()> {
        let record = Record {
            parts: keyed.parts.clone(),
            known: keyed.hasher.known.clone(),
        };
        let report = self.store.set(
            &keyed.request.cache,
            &record::record_key(&keyed.parts.argv_id()),
            NewValue::Bytes(&record.encode()),
            &SetOptions::default(),
        )?;
        (self.after_write)(&keyed.request.cache, &report);
        Ok(())
    }
}

/// Runs a command with no caching at all (`--no-cache`, `CACHEMAN_DISABLE=1`).
pub fn run_plain(argv: &[OsString]) -> Result<u8> {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    capture::run_plain(&mut command)
        .map(Outcome::code)
        .at(Path::new(&argv[0]))
}

/// How long a result stays fresh (ms) and how long its entry lives.
fn lifetimes(request: &Request) -> (u64, Ttl) {
    match (request.ttl, request.stale) {
        (Ttl::After(ttl), Some(stale)) => (ttl.as_millis() as u64, Ttl::After(ttl + stale)),
        (Ttl::After(ttl), None) => (ttl.as_millis() as u64, Ttl::After(ttl)),
        (ttl, _) => (u64::MAX, ttl),
    }
}

fn hex(key: &[u8; 32]) -> String {
    blake3::Hash::from_bytes(*key).to_hex().to_string()
}

/// A stored value that is not what `run` wrote: named by cache and key.
pub fn damaged(root: &Path, cache: &CacheName, key: &[u8], reason: String) -> Error {
    let mut path = root.join("caches").join(cache.as_str()).into_os_string();
    path.push(" key ");
    path.push(OsString::from_vec(key.to_vec()));
    Error::corrupt(Path::new(&path), 0, reason)
}
