//! The harness for the integration tests, in the style of `just`'s: every test
//! gets an [`Env`] (a fresh temporary directory with a home, a working directory
//! and a store location, and a clean process environment), and runs the real
//! binary through a [`Test`] builder whose expectations default to "exit 0,
//! print nothing".

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

#[cfg(feature = "redis")]
pub mod redis;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cacheman");

/// How long any single `cacheman` invocation may take before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How the store is named to the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreVia {
    /// `CACHEMAN_DIR=<root>/store`.
    EnvVar,
    /// `--dir <root>/store` before the subcommand.
    Flag,
    /// Neither: the binary falls back to a project or platform store.
    Nothing,
}

/// A fresh, private world for one test.
pub struct Env {
    /// Held only to delete the directory when the `Env` goes.
    _tmp: TempDir,
    root: PathBuf,
    via: StoreVia,
    cwd: PathBuf,
    vars: Vec<(OsString, OsString)>,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    /// A new world: `<root>/home` (HOME), `<root>/work` (the working directory),
    /// and `<root>/store` as `CACHEMAN_DIR` (not created: the binary creates it).
    #[track_caller]
    pub fn new() -> Env {
        let tmp = tempfile::Builder::new()
            .prefix("cacheman-it-")
            .tempdir()
            .expect("create a temporary directory");
        let root = tmp
            .path()
            .canonicalize()
            .expect("canonicalize the temp dir");
        fs::create_dir(root.join("home")).unwrap();
        fs::create_dir(root.join("work")).unwrap();
        let cwd = root.join("work");
        Env {
            _tmp: tmp,
            root,
            via: StoreVia::EnvVar,
            cwd,
            vars: Vec::new(),
        }
    }

    /// Name the store another way (or not at all).
    #[track_caller]
    pub fn store_via(mut self, via: StoreVia) -> Env {
        if via == StoreVia::Nothing {
            // Discovery walks up from the working directory: a stray store
            // above the temporary directory would be found instead of the
            // test's own, and the test would fail for no reason of its own.
            let stray = self
                .root
                .ancestors()
                .skip(1)
                .map(|dir| dir.join(".cacheman"))
                .find(|dir| dir.exists());
            assert!(
                stray.is_none(),
                "a stray store at {} would be found by discovery; remove it",
                stray.unwrap_or_default().display()
            );
        }
        self.via = via;
        self
    }

    /// Adds an environment variable to every command.
    pub fn var(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Env {
        self.vars
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Sets `XDG_RUNTIME_DIR` to a fresh private `<root>/run`, for volatile caches.
    #[track_caller]
    pub fn with_runtime_dir(self) -> Env {
        let run = self.root.join("run");
        fs::create_dir(&run).unwrap();
        fs::set_permissions(&run, fs::Permissions::from_mode(0o700)).unwrap();
        self.var("XDG_RUNTIME_DIR", run)
    }

    /// Runs commands in `<root>/<relative>` (created if missing).
    #[track_caller]
    pub fn cwd(mut self, relative: impl AsRef<Path>) -> Env {
        let dir = self.root.join(relative);
        fs::create_dir_all(&dir).unwrap();
        self.cwd = dir;
        self
    }

    /// The test's temporary directory (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/<relative>`.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    /// Where the store lives when named by `CACHEMAN_DIR` or `--dir`.
    pub fn store(&self) -> PathBuf {
        self.root.join("store")
    }

    /// The runtime directory set by [`Env::with_runtime_dir`].
    pub fn runtime(&self) -> PathBuf {
        self.root.join("run")
    }

    /// The directory of a (non-volatile) cache's files.
    pub fn cache_dir(&self, cache: &str) -> PathBuf {
        self.store().join("caches").join(cache)
    }

    /// A `std::process::Command` for the binary with a clean environment.
    pub fn std_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.root.join("home"))
            .current_dir(&self.cwd);
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        match self.via {
            StoreVia::EnvVar => {
                cmd.env("CACHEMAN_DIR", self.store());
            }
            StoreVia::Flag => {
                cmd.arg("--dir").arg(self.store());
            }
            StoreVia::Nothing => {}
        }
        for (name, value) in &self.vars {
            cmd.env(name, value);
        }
        cmd
    }

    /// An `assert_cmd` command for the binary with a clean environment.
    pub fn command(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::from_std(self.std_command());
        cmd.timeout(COMMAND_TIMEOUT);
        cmd
    }

    /// Starts describing one invocation.
    pub fn cmd<I, S>(&self, args: I) -> Test<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Test {
            env: self,
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            stdin: None,
            dir: None,
            status: 0,
            stdout: Expect::Exactly(Vec::new()),
            stderr: Expect::Exactly(Vec::new()),
        }
    }

    /// `cacheman set CACHE KEY VALUE`, which must succeed silently.
    #[track_caller]
    pub fn set(&self, cache: &str, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) {
        self.cmd([
            OsStr::new("set"),
            OsStr::new(cache),
            key.as_ref(),
            value.as_ref(),
        ])
        .run();
    }

    /// `cacheman get CACHE KEY`: the value on a hit, `None` on a miss. Anything
    /// else (another status, or a message on stderr) fails the test.
    #[track_caller]
    pub fn get(&self, cache: &str, key: impl AsRef<OsStr>) -> Option<Vec<u8>> {
        let output = self
            .command()
            .args([OsStr::new("get"), OsStr::new(cache), key.as_ref()])
            .output()
            .expect("run cacheman get");
        assert!(
            output.stderr.is_empty(),
            "get wrote to stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        match output.status.code() {
            Some(0) => Some(output.stdout),
            Some(1) => {
                assert!(output.stdout.is_empty(), "a miss printed something");
                None
            }
            other => panic!("get exited with {other:?}"),
        }
    }

    /// The keys of a cache, from `keys -0`.
    #[track_caller]
    pub fn keys(&self, cache: &str) -> Vec<Vec<u8>> {
        let out = self.cmd(["keys", cache, "-0"]).any_stdout().run().stdout;
        split_nul(&out)
    }

    /// `ls --json`, parsed.
    #[track_caller]
    pub fn ls(&self) -> Vec<Value> {
        let out = self.cmd(["ls", "--json"]).any_stdout().run().stdout;
        match serde_json::from_slice(&out).expect("ls --json prints JSON") {
            Value::Array(items) => items,
            other => panic!("ls --json printed {other}"),
        }
    }

    /// The `ls --json` object of one cache.
    #[track_caller]
    pub fn ls_cache(&self, cache: &str) -> Value {
        let Some(found) = self.ls().into_iter().find(|c| c["name"] == cache) else {
            panic!("ls does not list {cache}");
        };
        found
    }

    /// The highest-numbered journal of a cache: the one writers append to.
    #[track_caller]
    pub fn active_journal(&self, cache: &str) -> PathBuf {
        let dir = self.cache_dir(cache);
        let newest = entries(&dir)
            .into_iter()
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?.to_owned();
                let n: u64 = name.strip_prefix("journal.")?.parse().ok()?;
                Some((n, path))
            })
            .max();
        let Some((_, path)) = newest else {
            panic!("no journal in {}", dir.display());
        };
        path
    }

    /// The snapshot file of a (synced) cache.
    #[track_caller]
    pub fn snapshot(&self, cache: &str) -> PathBuf {
        let dir = self.cache_dir(cache);
        let found = entries(&dir).into_iter().find(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
        });
        let Some(path) = found else {
            panic!("no snapshot in {}", dir.display());
        };
        path
    }

    /// Everything under the test's directory, for before/after comparisons.
    #[track_caller]
    pub fn tree(&self) -> Tree {
        Tree::of(&self.root)
    }

    /// Waits until no process belongs to this test's directory any more (the
    /// detached background syncs and refreshers that commands start).
    #[track_caller]
    pub fn wait_for_background(&self) {
        eventually(
            Duration::from_secs(60),
            "background syncs to finish",
            || processes_of(&self.root).is_empty(),
        );
    }
}

/// The paths in a directory.
#[track_caller]
fn entries(dir: &Path) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(listing) => listing.map(|entry| entry.unwrap().path()).collect(),
        Err(e) => panic!("read {}: {e}", dir.display()),
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Let detached background syncs finish before the directory goes away.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !processes_of(&self.root).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The process ids (other than ours) that belong to the test directory `root`:
/// those whose working directory is inside it (every command a test runs
/// starts there or below, and what it spawns inherits that from the moment it
/// is forked) or whose command line names it. The command line alone misses a
/// process in mid-exec, which reads as empty for a moment.
pub fn processes_of(root: &Path) -> Vec<u32> {
    let me = std::process::id();
    let Ok(listing) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needle = root.as_os_str().as_bytes();
    listing
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(root))
                || fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|cmdline| cmdline.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// What a stream must hold.
#[derive(Debug, Clone)]
enum Expect {
    Exactly(Vec<u8>),
    Contains(String),
    /// A `cacheman: error:` line containing the text, plus an optional `hint:` line.
    Error(String),
    Anything,
}

impl Expect {
    #[track_caller]
    fn check(&self, stream: &str, actual: &[u8]) {
        let text = String::from_utf8_lossy(actual);
        match self {
            Expect::Exactly(expected) => assert!(
                actual == expected.as_slice(),
                "{stream} differs\n--- expected\n{}\n--- actual\n{text}",
                String::from_utf8_lossy(expected)
            ),
            Expect::Contains(part) => {
                assert!(
                    text.contains(part.as_str()),
                    "{stream} lacks {part:?}:\n{text}"
                )
            }
            Expect::Error(part) => {
                assert_error_form(&text);
                assert!(
                    text.contains(part.as_str()),
                    "{stream} lacks {part:?}:\n{text}"
                );
            }
            Expect::Anything => {}
        }
    }
}

/// Checks the form every diagnostic takes: one `cacheman: error: ` line, then at
/// most one `hint: ` line, and nothing else.
#[track_caller]
pub fn assert_error_form(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        matches!(lines.len(), 1 | 2),
        "expected one error line and an optional hint, got:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("cacheman: error: ") && lines[0].len() > "cacheman: error: ".len(),
        "not an error line: {:?}",
        lines[0]
    );
    if let Some(hint) = lines.get(1) {
        assert!(hint.starts_with("hint: "), "not a hint line: {hint:?}");
    }
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
}

/// One invocation of the binary and what it must do. By default it must exit 0
/// and print nothing on either stream.
#[must_use = "a Test does nothing until .run()"]
pub struct Test<'a> {
    env: &'a Env,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    dir: Option<PathBuf>,
    status: i32,
    stdout: Expect,
    stderr: Expect,
}

impl Test<'_> {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Runs in `dir` instead of the environment's working directory.
    pub fn in_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    pub fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    pub fn stdout(mut self, expected: impl AsRef<[u8]>) -> Self {
        self.stdout = Expect::Exactly(expected.as_ref().to_vec());
        self
    }

    pub fn stdout_contains(mut self, part: &str) -> Self {
        self.stdout = Expect::Contains(part.to_owned());
        self
    }

    pub fn any_stdout(mut self) -> Self {
        self.stdout = Expect::Anything;
        self
    }

    pub fn stderr(mut self, expected: impl AsRef<[u8]>) -> Self {
        self.stderr = Expect::Exactly(expected.as_ref().to_vec());
        self
    }

    pub fn stderr_contains(mut self, part: &str) -> Self {
        self.stderr = Expect::Contains(part.to_owned());
        self
    }

    pub fn any_stderr(mut self) -> Self {
        self.stderr = Expect::Anything;
        self
    }

    /// Exit 2, nothing on stdout, and a one-line error mentioning `part`.
    pub fn usage_error(mut self, part: &str) -> Self {
        self.status = 2;
        self.stdout = Expect::Exactly(Vec::new());
        self.stderr = Expect::Error(part.to_owned());
        self
    }

    /// Exit 3, nothing on stdout, and a one-line error mentioning `part`.
    pub fn store_error(mut self, part: &str) -> Self {
        self.status = 3;
        self.stdout = Expect::Exactly(Vec::new());
        self.stderr = Expect::Error(part.to_owned());
        self
    }

    /// Runs the command and checks every expectation.
    #[track_caller]
    pub fn run(self) -> Output {
        let mut cmd = self.env.command();
        cmd.args(&self.args);
        if let Some(input) = &self.stdin {
            cmd.write_stdin(input.clone());
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        let output = cmd.output().expect("spawn cacheman");
        let shown: Vec<_> = self.args.iter().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            output.status.code(),
            Some(self.status),
            "cacheman {shown:?}: wrong exit status\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        self.stdout
            .check(&format!("stdout of {shown:?}"), &output.stdout);
        self.stderr
            .check(&format!("stderr of {shown:?}"), &output.stderr);
        output
    }
}

/// A recursive listing of a directory: every path with its kind, mode and
/// (for files) contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<PathBuf, Node>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir { mode: u32 },
    File { mode: u32, contents: Vec<u8> },
    Symlink { target: PathBuf },
}

impl Tree {
    #[track_caller]
    pub fn of(root: &Path) -> Tree {
        let mut nodes = BTreeMap::new();
        if root.symlink_metadata().is_ok() {
            walk(root, root, &mut nodes);
        }
        Tree(nodes)
    }

    /// Panics with the paths that differ.
    #[track_caller]
    pub fn assert_same(&self, after: &Tree, what: &str) {
        if self == after {
            return;
        }
        let mut report = String::new();
        for (path, node) in &self.0 {
            match after.0.get(path) {
                None => report.push_str(&format!("  removed {}\n", path.display())),
                Some(other) if other != node => {
                    report.push_str(&format!("  changed {}\n", path.display()))
                }
                _ => {}
            }
        }
        for path in after.0.keys().filter(|p| !self.0.contains_key(*p)) {
            report.push_str(&format!("  added   {}\n", path.display()));
        }
        panic!("{what} changed the disk:\n{report}");
    }
}

#[track_caller]
fn walk(root: &Path, dir: &Path, nodes: &mut BTreeMap<PathBuf, Node>) {
    let relative = |p: &Path| p.strip_prefix(root).unwrap().to_path_buf();
    let meta = dir.symlink_metadata().unwrap();
    nodes.insert(
        relative(dir),
        Node::Dir {
            mode: meta.permissions().mode(),
        },
    );
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name() == Some(OsStr::new("counters")) {
            continue; // a cache's hit and miss counts: every read changes them, by design
        }
        let meta = path.symlink_metadata().unwrap();
        if meta.is_dir() {
            walk(root, &path, nodes);
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            nodes.insert(relative(&path), Node::Symlink { target });
        } else {
            let mut contents = fs::read(&path).unwrap();
            let name = path.file_name().unwrap_or_default();
            if name == "store.lock" || name == "write.lock" {
                // Their generation word (docs/format.md): every holder of the
                // lock bumps it, a hint for readers, not content.
                contents.drain(..contents.len().min(8));
            }
            let mode = meta.permissions().mode();
            nodes.insert(relative(&path), Node::File { mode, contents });
        }
    }
}

/// Calls `check` until it returns true, failing the test after `timeout`.
#[track_caller]
pub fn eventually(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Splits NUL-terminated records.
#[track_caller]
pub fn split_nul(bytes: &[u8]) -> Vec<Vec<u8>> {
    if bytes.is_empty() {
        return Vec::new();
    }
    assert_eq!(bytes.last(), Some(&0), "output does not end with NUL");
    bytes[..bytes.len() - 1]
        .split(|&b| b == 0)
        .map(<[u8]>::to_vec)
        .collect()
}

/// An argument made of raw bytes (not necessarily UTF-8).
pub fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_owned()
}

/// Deterministic pseudo-random bytes (xorshift64*), for large test values.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let word = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        self.fill(&mut buf);
        buf
    }
}

/// Puts a FIFO at `path`, in place of whatever was there.
#[track_caller]
pub fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.unwrap().success(), "mkfifo {}", path.display());
}

/// XORs one byte of a file with `mask`.
#[track_caller]
pub fn flip_byte(path: &Path, offset: usize, mask: u8) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset] ^= mask;
    fs::write(path, bytes).unwrap();
}

/// Parses JSON printed on stdout.
#[track_caller]
pub fn json(stdout: &[u8]) -> Value {
    match serde_json::from_slice(stdout) {
        Ok(value) => value,
        Err(e) => panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)),
    }
}

/// Peak resident memory of a running process in KiB, if it can still be read.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Parses a table printed with columns separated by at least two spaces into one
/// map per row, from column name to cell.
#[track_caller]
pub fn table(text: &str) -> Vec<BTreeMap<String, String>> {
    let split = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lines = text.lines();
    let header = split(lines.next().expect("a header row"));
    let mut rows = Vec::new();
    for line in lines {
        let cells = split(line);
        assert_eq!(cells.len(), header.len(), "ragged row {line:?} in\n{text}");
        rows.push(header.iter().cloned().zip(cells).collect());
    }
    rows
}
