//! `cacheman run`: memoize a command. Turns the arguments into a
//! [`Request`](crate::run::memo::Request) and hands it to the memoizer.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::context::Context;
use crate::cli::{args, output, parse};
use crate::error::{Error, IoContext, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::run::capture;
use crate::run::memo::{self, Memo, Request};
use crate::store_url::StoreSpec;

/// Run a command, or replay its stored result when its inputs are unchanged
#[derive(Debug, Args)]
#[command(
    override_usage = "cacheman run [OPTIONS] [--] <COMMAND>...",
    after_help = "Examples:
  cacheman run --ttl 10m -- curl -s https://example.com/api
  cacheman run --input main.c --input 'include/**/*.h' --output main.o -- cc -c main.c -o main.o
  cacheman run --ttl 5s --stale 1h -- git status --short     # for a status bar
  cacheman run --explain --env CC -- make

The key hashes the command, the working directory (--no-cwd drops it), each
--env variable (unset differs from empty), each --input by content (a path that
exists is taken as written; links by target and content; the store is left
out), stdin with --stdin (without it the command reads /dev/null), each --key,
and the --output paths. stdout and stderr stream live and are stored in the
order they were read (writes to the two closer together than that cannot be
ordered); when run's own stdout and stderr are one file (2>&1, a terminal),
the command gets one pipe for both, keeping its exact order, and the result is
another (replayed to stdout). A hit restores the --output files (with modes and
times; if it cannot, or the result names a path not declared, the command
runs), replays the streams, and exits with the stored status. A non-zero exit is
stored only with --cache-failures; a command killed by a signal never is.
SIGINT, SIGTERM and SIGHUP are passed on to the command, and nothing is stored.
Identical runs that miss at once run the command once: the others wait for its
result, or all run if it stored nothing. run returns once the command exited
and its stdout and stderr closed: a background process left holding them
(sh -c 'daemon &') holds the run and the lock, so redirect its output. When the
caller stops reading, the command's pipe closes too and nothing is stored; a
failed write otherwise (a full disk) exits 125. CACHEMAN_DISABLE=1 (anything
but empty or 0) makes every run a plain run, and so does a store that cannot
be reached (a shared store's server down), with a warning, unless --strict.

Exit status: the command's own; 125 when cacheman itself fails (bad arguments
included), 126 when the command cannot be executed, 127 when it is not found,
128+N when it was killed by signal N (141 when its caller closed its stdout)."
)]
pub struct RunArgs {
    /// The cache results go in (created with default settings if missing)
    #[arg(long, value_name = "NAME", default_value = "run")]
    pub cache: String,
    /// A file, directory or glob whose content is part of the key (repeatable)
    #[arg(long = "input", value_name = "PATH", value_parser = clap::value_parser!(OsString))]
    pub inputs: Vec<OsString>,
    /// A file or directory the command writes, stored and restored on a hit (repeatable)
    #[arg(long = "output", value_name = "PATH")]
    pub outputs: Vec<PathBuf>,
    /// An environment variable whose value is part of the key (repeatable)
    #[arg(long = "env", value_name = "NAME", value_parser = clap::value_parser!(OsString))]
    pub env: Vec<OsString>,
    /// Extra text that is part of the key (repeatable)
    #[arg(long = "key", value_name = "STRING", value_parser = clap::value_parser!(OsString))]
    pub keys: Vec<OsString>,
    /// Read stdin, make it part of the key, and pass it to the command
    #[arg(long)]
    pub stdin: bool,
    /// Leave the working directory out of the key
    #[arg(long)]
    pub no_cwd: bool,
    /// Replay a result for this long (30s, 10m, 2h) or 'never' expire; default: the cache's TTL
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// For this long after the TTL, replay the old result and refresh it in the
    /// background (one refresher at a time)
    #[arg(
        long,
        value_name = "DURATION",
        requires = "ttl",
        allow_hyphen_values = true
    )]
    pub stale: Option<String>,
    /// Run even on a hit, and store the new result
    #[arg(long)]
    pub force: bool,
    /// Store a non-zero exit too
    #[arg(long)]
    pub cache_failures: bool,
    /// Run the command without looking up or storing anything
    #[arg(long)]
    pub no_cache: bool,
    /// When the command runs on a miss, say on stderr what changed since the last stored result of it
    #[arg(long)]
    pub explain: bool,
    /// Print the key and exit without running
    #[arg(long)]
    pub print_key: bool,
    /// When the store cannot be reached, fail (exit 3) instead of running the
    /// command without it
    #[arg(long)]
    pub strict: bool,
    /// First invalidate the cache if its bound files changed (see `cacheman bind`)
    #[arg(long)]
    pub check_bindings: bool,
    /// Be the background refresher of a stale result (started by `run --stale`)
    #[arg(long, hide = true)]
    pub refresh: bool,
    /// The result refreshed is of a run with stdout and stderr merged (passed
    /// to the refresher, whose own are both /dev/null)
    #[arg(long, hide = true, requires = "refresh")]
    pub merged_streams: bool,
    /// The command and its arguments (run directly, not through a shell)
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "COMMAND",
        value_parser = clap::value_parser!(OsString)
    )]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: RunArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let request = request(&args)?;
    if !args.print_key && (args.no_cache || disabled()) {
        return run_plain(&request, out);
    }
    match memoized(ctx, &args, &request, out) {
        Err(e) if unusable(&e) => without_store(&args, e, out),
        done => done,
    }
}

/// `run` when its store cannot be used: it cannot be reached or refuses
/// this client (a warning, and the command run plainly; with `--strict`,
/// the error, exit 3: a build never fails because its cache is down, unless
/// it asked to), or it cannot serve or keep this result (damage, a write
/// refused: the command runs, with a warning saying why, whatever
/// `--strict` says, as when a result cannot be stored after a run).
pub fn without_store(args: &RunArgs, error: Error, out: &mut dyn Write) -> Result<ExitCode> {
    let request = request(args)?;
    // A key cannot be printed, and a refresher has no one to serve, without it.
    if args.print_key || args.refresh {
        return Err(error);
    }
    if args.no_cache || disabled() {
        return run_plain(&request, out);
    }
    let down = store_down(&error);
    if args.strict && down {
        return Ok(crate::cli::report(&error.into()));
    }
    match down {
        true => say!("cacheman: warning: {error}; running the command without the cache"),
        false => say!(
            "cacheman: warning: the result cannot be kept: {error}; running the command without storing it"
        ),
    }
    if let Some(hint) = crate::cli::hint::hint(&error) {
        say!("hint: {hint}");
    }
    run_plain(&request, out)
}

/// Whether an error is the store's being unusable (a server unreachable,
/// gone, or refusing this client), after which the command may still run
/// without it.
pub fn store_down(error: &Error) -> bool {
    matches!(error, Error::Unavailable { .. })
}

/// Whether an error leaves the command to run without the store: the store
/// is down ([`store_down`]), or fails to serve or keep a result while it
/// answers (damage, a write refused: out of memory, not permitted).
pub fn unusable(error: &Error) -> bool {
    store_down(error) || matches!(error, Error::Damaged { .. } | Error::Backend { .. })
}

fn run_plain(request: &Request, out: &mut dyn Write) -> Result<ExitCode> {
    output::flush(out)?;
    memo::run_plain(&request.argv, &output::Stderr).map(ExitCode::Command)
}

fn memoized(
    ctx: &Context,
    args: &RunArgs,
    request: &Request,
    out: &mut dyn Write,
) -> Result<ExitCode> {
    let cwd = std::env::current_dir().at(Path::new("."))?;
    let after_write = |cache: &CacheName, report: &_| ctx.after_write(cache, report);
    let quiet = ctx.store.uncounted();
    let refresher_args = || refresher_args(request.merged);
    let scratch = ctx.store.scratch()?;
    let memo = Memo {
        store: &*ctx.store,
        quiet: &*quiet,
        scratch: &scratch,
        after_write: &after_write,
        refresher_args: &refresher_args,
        reporter: &output::Stderr,
        read_only: matches!(&ctx.location.spec, StoreSpec::Redis(target) if target.read_only),
    };
    if args.print_key {
        let key = memo.print_key(request, &cwd)?;
        writeln!(out, "{key}").map_err(output::stdout_error)?;
        return Ok(ExitCode::Success);
    }
    if args.check_bindings {
        crate::watch::check_before_read(&*ctx.store, &request.cache)?;
    }
    memo.run(request, &cwd, out).map(ExitCode::Command)
}

/// True when `CACHEMAN_DISABLE` is set to anything but empty or `0`.
fn disabled() -> bool {
    std::env::var_os("CACHEMAN_DISABLE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn request(args: &RunArgs) -> Result<Request> {
    let (ttl, stale) = parse::ttl_and_stale(args.ttl.as_deref(), args.stale.as_deref())?;
    for name in &args.env {
        check_env_name(name)?;
    }
    if args.command[0].is_empty() {
        return Err(Error::usage("the command name is empty"));
    }
    Ok(Request {
        cache: CacheName::new(&args.cache)?,
        argv: args.command.clone(),
        cwd_in_key: !args.no_cwd,
        env: args.env.clone(),
        inputs: args.inputs.clone(),
        outputs: args.outputs.clone(),
        stdin: args.stdin,
        keys: args.keys.clone(),
        ttl,
        stale,
        force: args.force,
        cache_failures: args.cache_failures,
        explain: args.explain,
        refresh: args.refresh,
        merged: if args.refresh {
            args.merged_streams
        } else {
            capture::streams_merged()
        },
    })
}

/// An `--env` names a variable: not empty, no `=`.
fn check_env_name(name: &OsString) -> Result<()> {
    let shown = name.to_string_lossy();
    match () {
        _ if name.is_empty() => Err(Error::usage("--env needs a variable name; it was empty")),
        _ if name.as_encoded_bytes().contains(&b'=') => Err(Error::usage_with_hint(
            format!("--env {shown:?} is not a variable name"),
            "--env takes a NAME alone; its value is read from the environment",
        )),
        _ => Ok(()),
    }
}

/// The arguments of a `cacheman run` that refreshes this one's result: this
/// process's own, with `--refresh` (and `--merged-streams` when `merged`).
fn refresher_args(merged: bool) -> Vec<OsString> {
    let merged = merged.then_some("--merged-streams");
    this_again(["run", "--refresh"].into_iter().chain(merged))
}

/// This process's subcommand and its arguments, `first` in their place:
/// the arguments of a detached refresher (which names the store itself).
pub fn this_again<'a>(first: impl IntoIterator<Item = &'a str>) -> Vec<OsString> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let after_sub = args::subcommand_index(&argv).map_or(argv.len(), |at| at + 1);
    first
        .into_iter()
        .map(OsString::from)
        .chain(argv.into_iter().skip(after_sub))
        .collect()
}
