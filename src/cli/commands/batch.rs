//! `cacheman batch`: run many commands from stdin in one process, one per line
//! with the same syntax as the command line, answering each with a JSON line.
//! While it runs, a sync thread applies the autosync rules on a timer.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::mpsc;
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

mod input;
mod plain;
mod reply;

use input::{Input, Next};

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
    // The sync thread runs the autosync rules on a timer. A sync a write asks
    // for (a long journal) goes, as after a lone command, to a detached
    // `cacheman sync --background`: neither the answers nor the batch's exit
    // wait for a merge.
    let (jobs, queue) = mpsc::channel();
    let syncer = ctx.spawn_syncer(queue);
    let mut input = Input::spawn(std::io::stdin());
    let mut session = Session {
        ctx,
        out,
        stop_on_error: args.stop_on_error,
        number: 0,
        worst: ExitCode::Success,
        reply: Vec::new(),
    };
    let mut next_check = Instant::now() + AUTOSYNC_TICK;
    loop {
        match input.next(next_check.saturating_duration_since(Instant::now())) {
            Next::Chunk(chunk) => {
                if !session.chunk(&chunk.on(Stream::Stdin)?)? {
                    session.out.flush().map_err(output::stdout_error)?;
                    break;
                }
                // Answers wait in the buffer only while more lines are ready.
                if !input.waiting() {
                    session.out.flush().map_err(output::stdout_error)?;
                }
            }
            Next::Quiet => {}
            Next::End => break,
        }
        if Instant::now() >= next_check {
            let _ = jobs.send(SyncJob::Due);
            next_check = Instant::now() + AUTOSYNC_TICK;
        }
    }
    let worst = session.worst;
    let _ = jobs.send(SyncJob::Due);
    drop(jobs);
    let _ = syncer.join();
    Ok(if worst == ExitCode::Miss {
        ExitCode::Success
    } else {
        worst
    })
}

/// A batch as it runs: where answers go, and what it has seen so far.
struct Session<'a> {
    ctx: &'a Context,
    out: &'a mut dyn Write,
    stop_on_error: bool,
    /// The number of the last line taken.
    number: u64,
    worst: ExitCode,
    /// Where a directly written answer is put together.
    reply: Vec<u8>,
}

impl Session<'_> {
    /// Runs and answers the lines of a chunk; `false` once `--stop-on-error`
    /// stops the batch. Plain sets to one cache that follow each other are
    /// written as one append, and answered each once it is stored; if that
    /// write fails (it then wrote nothing), they run one by one.
    fn chunk(&mut self, chunk: &[u8]) -> Result<bool> {
        let mut lines = input::lines(chunk).peekable();
        while let Some(line) = lines.next() {
            let Some(first) = plain::Set::parse(line) else {
                if !self.answer_line(line)? {
                    return Ok(false);
                }
                continue;
            };
            let mut group = vec![first];
            while group.len() < plain::GROUP_MAX
                && let Some(set) = lines.peek().and_then(|line| plain::Set::parse(line))
                && set.joins(&group[0])
            {
                group.push(set);
                lines.next();
            }
            if plain::write(self.ctx, &group).is_ok() {
                for _ in &group {
                    self.number += 1;
                    reply::stored(self.number, &mut self.reply);
                    output::write_all(self.out, &self.reply)?;
                }
                continue;
            }
            for set in &group {
                if !self.answer(answer(self.ctx, set.line))? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Runs a line that is no plain set and writes its answer; `false` when
    /// `--stop-on-error` stops the batch here. A plain get is answered
    /// directly; any other line is answered as its own command would be.
    fn answer_line(&mut self, line: &[u8]) -> Result<bool> {
        let Some(get) = plain::Get::parse(line) else {
            return self.answer(answer(self.ctx, line));
        };
        match reply::got(self.ctx, &get, self.number + 1, &mut self.reply) {
            Ok(status) => {
                self.number += 1;
                output::write_all(self.out, &self.reply)?;
                self.saw(status);
                Ok(true)
            }
            Err(e) => self.answer(Some(failure(e))),
        }
    }

    /// Keeps the highest status seen.
    fn saw(&mut self, status: ExitCode) {
        if status.code() > self.worst.code() {
            self.worst = status;
        }
    }

    /// Writes the answer of the next line (none for a blank or comment
    /// line); `false` when `--stop-on-error` stops the batch here.
    fn answer(&mut self, answer: Option<Answer>) -> Result<bool> {
        self.number += 1;
        let Some(Answer {
            mut reply,
            output,
            status,
        }) = answer
        else {
            return Ok(true);
        };
        reply.insert("line".into(), json!(self.number));
        write_reply(self.out, &reply, output)?;
        self.saw(status);
        Ok(!(self.stop_on_error && status.code() >= ExitCode::Usage.code()))
    }
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
        Err(e) => failure(e),
    })
}

/// The answer of a line that failed with `e`.
fn failure(e: Error) -> Answer {
    let status = e.exit_code();
    let reply = json!({ "status": status.code(), "error": e.to_string(), "hint": hint(&e) });
    Answer {
        reply: json::fields(reply),
        output: None,
        status,
    }
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

fn run_line(ctx: &Context, line: &[u8]) -> Result<(ExitCode, Captured)> {
    let words = plain::words(line)
        .ok_or_else(|| Error::usage("unterminated quote or trailing backslash"))?;
    if let Some(command) = plain::command(&words) {
        let mut output = Captured::new(&ctx.store, Vec::new());
        let code = commands::dispatch(ctx, command, &mut output)?;
        return Ok((code, output));
    }
    let argv: Vec<OsString> = std::iter::once(OsString::from("cacheman"))
        .chain(
            words
                .into_iter()
                .map(|word| OsString::from_vec(word.into_owned())),
        )
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
