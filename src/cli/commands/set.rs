//! `cacheman set`: store a value from an argument, a file or stdin.

use std::ffi::OsString;
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::cli::parse;
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::{NewValue, SetOptions, Ttl};

/// Store a value (from VALUE, --file, or stdin)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman set users alice '{\"id\": 1}'
  curl -s https://example.com | cacheman set pages example --ttl 10m
  cacheman set builds app.tar --file target/app.tar
  token=$(cacheman epoch); v=$(compute); cacheman set objects k \"$v\" --if-epoch $token
  cacheman set jobs nightly \"$HOSTNAME\" --if-absent --ttl 1day   # the first one wins")]
pub struct SetArgs {
    /// The cache to write (created with default settings if it does not exist)
    pub cache: String,
    /// The key
    #[arg(value_parser = clap::value_parser!(OsString))]
    pub key: OsString,
    /// The value; omitted or '-' reads stdin to its end
    #[arg(value_parser = clap::value_parser!(OsString), conflicts_with = "file")]
    pub value: Option<OsString>,
    /// Read the value from this file
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Expire the entry after this long (30s, 10m, 2h, 1day) or 'never'; default: the cache's TTL
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// fsync before returning, so the write survives power loss
    #[arg(long)]
    pub durable: bool,
    /// Store only if the cache was not invalidated since TOKEN (from `cacheman
    /// epoch` or `get --with-token`), else exit 1: a value computed before an
    /// invalidation never lands after it
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true, value_parser = parse::token)]
    pub if_epoch: Option<u64>,
    /// Store only if the key has no live entry, else exit 1 and write nothing
    /// (atomic against concurrent writers: exactly one of them wins)
    #[arg(long)]
    pub if_absent: bool,
    #[command(flatten)]
    pub key_form: KeyForm,
}

pub fn run(ctx: &Context, args: SetArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let options = SetOptions {
        ttl: args
            .ttl
            .as_deref()
            .map(parse::ttl)
            .transpose()?
            .unwrap_or(Ttl::CacheDefault),
        durable: args.durable,
        if_epoch: args.if_epoch,
        if_absent: args.if_absent,
    };
    let key = &args.key_form.bytes(&args.key)?;
    let report = match (&args.value, &args.file) {
        (Some(value), _) if value != "-" => {
            ctx.store
                .set(&cache, key, NewValue::Bytes(value.as_bytes()), &options)?
        }
        (_, Some(path)) => {
            let mut file = open_input(path, "--file ")?;
            ctx.store.set(
                &cache,
                key,
                NewValue::Stream(&mut file as &mut dyn Read),
                &options,
            )?
        }
        _ => {
            let mut stdin = std::io::stdin().lock();
            if let Some(notice) = stdin_notice(stdin.is_terminal()) {
                say!("{notice}");
            }
            ctx.store
                .set(&cache, key, NewValue::Stream(&mut stdin), &options)?
        }
    };
    ctx.after_write(&cache, &report);
    Ok(ExitCode::Success)
}

/// What to say before reading the value from stdin: on a terminal, a silent
/// wait would look like a hang.
fn stdin_notice(is_terminal: bool) -> Option<&'static str> {
    is_terminal.then_some("cacheman: reading the value from stdin; end with Ctrl-D")
}

/// Opens a file to read to its end (named `what` in errors), refusing what
/// cannot be read before anything is created.
pub fn open_input(path: &Path, what: &str) -> Result<File> {
    let refuse = |why: String| Error::usage(format!("{what}{}: {why}", path.display()));
    let file = File::open(path).map_err(|e| refuse(e.to_string()))?;
    match file.metadata() {
        Ok(meta) if meta.is_dir() => Err(refuse("is a directory".into())),
        Ok(_) => Ok(file),
        Err(e) => Err(refuse(e.to_string())),
    }
}
