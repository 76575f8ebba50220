//! `cacheman batch`: run many commands from stdin in one process, one per line
//! with the same syntax as the command line, answering each with a JSON line.
//! While it runs, a sync thread applies the autosync rules on a timer.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use clap::{Args, CommandFactory, FromArgMatches};
use serde_json::{Map, Value as Json, json};

use crate::cli::args::{Cli, Command};
use crate::cli::context::{Context, SyncJob};
use crate::cli::hint::hint;
use crate::cli::json::{Shape, Source};
use crate::cli::output::{self, ClapOutcome};
use crate::cli::{commands, json};
use crate::error::{Error, IoContext, Result, Stream};
use crate::exit_code::ExitCode;
use crate::scratch::Spill;
use crate::store::{CopyError, Store};

mod plain;

/// How often the autosync rules are checked while the batch runs.
const AUTOSYNC_TICK: Duration = Duration::from_secs(1);

/// Run commands from stdin, one per line, answering each with a JSON line
#[derive(Debug, Args)]
#[command(
    after_help = "Each line is a command as on the command line, without 'cacheman'
(quote words as in sh). Blank lines and lines starting with '#' are skipped.
Each answer is one JSON line, in order:
  {\"line\": 1, \"status\": 0, \"output\": \"...\"}
  {\"line\": 2, \"status\": 2, \"error\": \"...\", \"hint\": \"...\"}
Output that is not UTF-8 appears as {\"bytes\": \"<base64>\"}. Since stdin carries
the commands, `set` needs a VALUE or --file here and `import` a FILE; `run`,
`watch` and `batch` are refused (each answers with an error line).

The batch exits 0 if every command succeeded or missed, else with the highest
status seen. It checks the autosync rules every second and syncs in the
background, so it suits scripts that do thousands of operations. Plain
`set CACHE KEY VALUE` lines to one cache that arrive together are written as
one journal append; each is answered once its write is stored.

Example:
  printf 'set users alice 1\\nget users alice\\n' | cacheman batch"
)]
pub struct BatchArgs {
    /// Stop at the first command that fails with status 2 or more
    #[arg(long)]
    pub stop_on_error: bool,
}

pub fn run(ctx: &Context, args: BatchArgs, out: &mut dyn Write) -> Result<ExitCode> {
    // Answers go out in one write per flush, not one per line.
    let out = &mut std::io::BufWriter::with_capacity(64 << 10, out);
    let (jobs, queue) = mpsc::channel();
    let syncer = ctx.spawn_syncer(queue);
    let batch = ctx.with_syncer(jobs.clone());
    let lines = spawn_reader();
    let mut worst = ExitCode::Success;
    let mut next_check = Instant::now() + AUTOSYNC_TICK;
    let mut number = 0u64;
    // A line read ahead of its turn, while gathering a group of sets.
    let mut ahead = None;
    'lines: loop {
        let received = match ahead.take() {
            Some(line) => Ok(line),
            None => lines.recv_timeout(next_check.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(line) => {
                let (answered, to_run) =
                    gather(&batch, line.on(Stream::Stdin)?, &lines, &mut ahead);
                let ran = to_run.iter().map(|line| answer(&batch, line));
                for answer in answered.into_iter().chain(ran) {
                    number += 1;
                    let Some(Answer {
                        mut reply,
                        output,
                        status,
                    }) = answer
                    else {
                        continue;
                    };
                    reply.insert("line".into(), json!(number));
                    write_reply(out, &reply, output)?;
                    if status.code() > worst.code() {
                        worst = status;
                    }
                    if args.stop_on_error && status.code() >= ExitCode::Usage.code() {
                        out.flush().map_err(output::stdout_error)?;
                        break 'lines;
                    }
                }
                // Answers wait in the buffer only while more lines are ready.
                if ahead.is_none() {
                    ahead = lines.try_recv().ok();
                }
                if ahead.is_none() {
                    out.flush().map_err(output::stdout_error)?;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next_check {
            let _ = jobs.send(SyncJob::Due);
            next_check = Instant::now() + AUTOSYNC_TICK;
        }
    }
    let _ = jobs.send(SyncJob::Due);
    drop((jobs, batch));
    let _ = syncer.join();
    Ok(if worst == ExitCode::Miss {
        ExitCode::Success
    } else {
        worst
    })
}

/// Gathers `line` and, when it is a plain set, the plain sets to the same
/// cache that follow it and are already read, and writes those as one append.
/// Returns the answers of the lines written, and the lines still to run one
/// by one (`line` when it is no plain set; the group when its write failed,
/// which wrote nothing). The first line that cannot join is left in `ahead`.
fn gather(
    ctx: &Context,
    line: Vec<u8>,
    lines: &Receiver<std::io::Result<Vec<u8>>>,
    ahead: &mut Option<std::io::Result<Vec<u8>>>,
) -> (Vec<Option<Answer>>, Vec<Vec<u8>>) {
    let first = match plain::Set::parse(line) {
        Ok(set) => set,
        Err(line) => return (Vec::new(), vec![line]),
    };
    let mut group = vec![first];
    while group.len() < plain::GROUP_MAX {
        match lines.try_recv() {
            Ok(Ok(bytes)) => match plain::Set::parse(bytes) {
                Ok(set) if set.cache == group[0].cache => group.push(set),
                Ok(set) => {
                    *ahead = Some(Ok(set.line));
                    break;
                }
                Err(bytes) => {
                    *ahead = Some(Ok(bytes));
                    break;
                }
            },
            Ok(Err(e)) => {
                *ahead = Some(Err(e));
                break;
            }
            Err(_) => break,
        }
    }
    match plain::write(ctx, &group) {
        Ok(()) => (
            group.iter().map(|_| Some(stored(ctx))).collect(),
            Vec::new(),
        ),
        Err(_) => (Vec::new(), group.into_iter().map(|set| set.line).collect()),
    }
}

/// Reads stdin on its own thread, so the main loop can wake for the timer.
fn spawn_reader() -> Receiver<std::io::Result<Vec<u8>>> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        for line in std::io::stdin().lock().split(b'\n') {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Writes a reply line, the command's output (if it ran) streamed into it.
fn write_reply(
    out: &mut dyn Write,
    reply: &Map<String, Json>,
    output: Option<Captured>,
) -> Result<()> {
    let Some(output) = output else {
        return output::json_line(out, reply);
    };
    let shape = Shape::of(&output)?;
    json::write_object(out, reply, "output", &output, &shape).map_err(commands::get::copy_error)?;
    output::write_all(out, b"\n")
}

/// The most of a command's output held in memory; beyond it, the output
/// goes to a file in the store's scratch directory.
const CAPTURED_IN_MEMORY: usize = 1 << 20;

/// A command's output, captured to be sent on in its reply.
struct Captured {
    store: Arc<dyn Store>,
    memory: Vec<u8>,
    spilled: Option<Spill>,
}

impl Captured {
    fn new(store: &Arc<dyn Store>, memory: Vec<u8>) -> Captured {
        Captured {
            store: Arc::clone(store),
            memory,
            spilled: None,
        }
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.spilled.is_none() && self.memory.len() + buf.len() <= CAPTURED_IN_MEMORY {
            self.memory.extend_from_slice(buf);
            return Ok(buf.len());
        }
        if self.spilled.is_none() {
            let scratch = self.store.scratch().and_then(|scratch| scratch.spill());
            let mut scratch = scratch.map_err(std::io::Error::other)?;
            scratch.file.write_all(&std::mem::take(&mut self.memory))?;
            self.spilled = Some(scratch);
        }
        let scratch = self.spilled.as_mut().expect("made above");
        scratch.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Source for Captured {
    fn check_into(&self, out: &mut dyn Write) -> std::result::Result<(), CopyError> {
        self.copy_into(out)
    }

    fn copy_into(&self, out: &mut dyn Write) -> std::result::Result<(), CopyError> {
        out.write_all(&self.memory).map_err(CopyError::Output)?;
        let Some(scratch) = &self.spilled else {
            return Ok(());
        };
        let mut buf = vec![0; 64 << 10];
        let mut at = 0;
        loop {
            let n = scratch
                .file
                .read_at(&mut buf, at)
                .on(Stream::BatchOutput)
                .map_err(CopyError::Store)?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buf[..n]).map_err(CopyError::Output)?;
            at += n as u64;
        }
    }
}

/// What a line comes to: the reply's fields but the command's output (if it
/// ran), which is streamed into the reply.
struct Answer {
    reply: Map<String, Json>,
    output: Option<Captured>,
    status: ExitCode,
}

/// Runs one line and returns its answer, or `None` for a blank or comment line.
fn answer(ctx: &Context, line: &[u8]) -> Option<Answer> {
    Some(match run_line(ctx, trimmed(line)?) {
        Ok((status, output)) => success(status, output),
        Err(e) => {
            let status = e.exit_code();
            let reply =
                json!({ "status": status.code(), "error": e.to_string(), "hint": hint(&e) });
            Answer {
                reply: json::fields(reply),
                output: None,
                status,
            }
        }
    })
}

/// A line without its line ending and leading blanks, or `None` for a blank
/// or comment line.
fn trimmed(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let trimmed = line.trim_ascii_start();
    (!trimmed.is_empty() && !trimmed.starts_with(b"#")).then_some(trimmed)
}

/// The answer of a command that ran and ended with `status`.
fn success(status: ExitCode, output: Captured) -> Answer {
    Answer {
        reply: json::fields(json!({ "status": status.code() })),
        output: Some(output),
        status,
    }
}

/// The answer of a set written in a group: what its own run would answer.
fn stored(ctx: &Context) -> Answer {
    let output = Captured::new(&ctx.store, Vec::new());
    success(ExitCode::Success, output)
}

fn run_line(ctx: &Context, line: &[u8]) -> Result<(ExitCode, Captured)> {
    let words = shlex::bytes::split(line)
        .ok_or_else(|| Error::usage("unterminated quote or trailing backslash"))?;
    if let Some(command) = plain::command(&words) {
        let mut output = Captured::new(&ctx.store, Vec::new());
        let code = commands::dispatch(ctx, command, &mut output)?;
        return Ok((code, output));
    }
    let argv: Vec<OsString> = std::iter::once(OsString::from("cacheman"))
        .chain(words.into_iter().map(OsString::from_vec))
        .collect();
    let parsed = Cli::parse_line(&argv).map_or_else(
        || {
            Cli::command()
                .try_get_matches_from(&argv)
                .and_then(|matches| Cli::from_arg_matches(&matches))
        },
        Ok,
    );
    let cli = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            return match output::describe_clap_error(&e) {
                ClapOutcome::Text { text, code } => {
                    Ok((code, Captured::new(&ctx.store, text.into_bytes())))
                }
                ClapOutcome::Usage { message, hint } => Err(Error::usage_with_hint(message, hint)),
            };
        }
    };
    if cli.global.dir.is_some() || cli.global.store.is_some() || cli.global.verbose {
        return Err(Error::usage(
            "--store, --dir and --verbose apply to the whole batch, not to one line",
        ));
    }
    if cli.global.no_stats {
        return Err(Error::usage(
            "--no-stats applies to the whole batch, not to one line",
        ));
    }
    if let Some(refusal) = refusal(&cli.command) {
        return Err(refusal);
    }
    let mut output = Captured::new(&ctx.store, Vec::new());
    let code = commands::dispatch(ctx, cli.command, &mut output)?;
    Ok((code, output))
}

/// Why a command cannot run as a line of a batch: it would read stdin (which
/// carries the batch's commands), run until stopped, or start other programs.
/// Every subcommand is named, so a new one needs a decision here.
fn refusal(command: &Command) -> Option<Error> {
    let stdin = |message: &str| {
        Some(Error::usage_with_hint(
            message,
            "stdin carries the batch's commands",
        ))
    };
    match command {
        Command::Batch(_) => Some(Error::usage("a batch cannot run another batch")),
        Command::Run(_) => Some(Error::usage(
            "a batch cannot run commands; call `cacheman run` directly",
        )),
        Command::Get(get) if get.or_run => Some(Error::usage(
            "a batch cannot run commands: get --or-run starts one on a miss and holds a lock; call `cacheman get --or-run` directly",
        )),
        Command::Lock(_) => Some(Error::usage(
            "a batch cannot run commands: `cacheman lock` runs one; call it directly",
        )),
        Command::Watch(_) => Some(Error::usage(
            "a batch cannot watch: `cacheman watch` runs until stopped; start it on its own",
        )),
        Command::Import(import) if import.file.as_ref().is_none_or(|f| f.as_os_str() == "-") => {
            stdin("import in a batch needs a FILE")
        }
        Command::Set(set) if set.file.is_none() && set.value.as_ref().is_none_or(|v| v == "-") => {
            stdin("set in a batch needs a VALUE or --file")
        }
        Command::Import(_)
        | Command::Set(_)
        | Command::Incr(_)
        | Command::Get(_)
        | Command::Del(_)
        | Command::Has(_)
        | Command::Keys(_)
        | Command::Ls(_)
        | Command::Create(_)
        | Command::Config(_)
        | Command::Drop(_)
        | Command::Clear(_)
        | Command::Sync(_)
        | Command::Depend(_)
        | Command::Undepend(_)
        | Command::Invalidate(_)
        | Command::Graph(_)
        | Command::Epoch(_)
        | Command::Bind(_)
        | Command::Unbind(_)
        | Command::Check(_)
        | Command::Stats(_)
        | Command::Inspect(_)
        | Command::Verify(_)
        | Command::Repair(_)
        | Command::Gc(_)
        | Command::Export(_)
        | Command::Init(_)
        | Command::Info(_)
        | Command::Completions(_) => None,
    }
}
