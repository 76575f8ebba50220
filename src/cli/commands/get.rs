//! `cacheman get`: print a value exactly as stored, or many as JSON.

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use clap::Args;
use serde_json::{Value as Json, json};

use crate::cli::context::Context;
use crate::cli::json::{self, KeyForm, Shape};
use crate::cli::output;
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::{CacheName, check_key};
use crate::store::{CopyError, Store};

/// Print a value; exit 1 on a miss
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman get users alice
  cacheman get users alice --default '{}'
  cacheman get users alice bob --json
  cacheman get objects main.o --stale-ok        # a soft-invalidated value is fine
  cacheman get dns example.com --or-run --ttl 1h -- sh -c 'dig +short \"$CACHEMAN_KEY\"'

With --or-run, a miss runs the command once however many callers miss at once
(the others wait and print its value); its stderr passes through; a failing
command stores nothing and its exit status is returned (failures are never
stored: a value is what a command printed on success). The value is stored only
if the cache was not invalidated while the command ran.

A value computed after a miss can be stored only if nothing was invalidated
meanwhile: --with-token prints the store's epoch on a first line, for
`set --if-epoch`:
  { read -r token; value=$(cat); } < <(cacheman get objects main.o --with-token)")]
pub struct GetArgs {
    /// The cache to read
    pub cache: String,
    /// The key; several keys need --json
    #[arg(required = true, value_parser = clap::value_parser!(OsString))]
    pub keys: Vec<OsString>,
    /// On a miss, print VALUE and exit 0
    #[arg(long, value_name = "VALUE", value_parser = clap::value_parser!(OsString), conflicts_with = "json")]
    pub default: Option<OsString>,
    /// Print a JSON array with one object per key (exit 1 if any missed)
    #[arg(long)]
    pub json: bool,
    /// Serve a soft-invalidated (stale) value instead of missing
    #[arg(long)]
    pub stale_ok: bool,
    /// Print the store's epoch first (on its own line, or as "token" in JSON),
    /// taken before the read, for `set --if-epoch`
    #[arg(long)]
    pub with_token: bool,
    /// First invalidate the cache if its bound files changed (see `cacheman bind`)
    #[arg(long)]
    pub check_bindings: bool,
    /// On a miss, run COMMAND (after --, with CACHEMAN_KEY set to the key),
    /// store what it prints if it exits 0, and print it; concurrent misses
    /// run it once
    #[arg(long, requires = "command", conflicts_with_all = ["json", "default", "with_token", "stale_ok"])]
    pub or_run: bool,
    /// With --or-run: a value is fresh for this long (30s, 10m, 2h) or
    /// 'never' expires; default: the cache's TTL
    #[arg(
        long,
        value_name = "DURATION",
        requires = "or_run",
        allow_hyphen_values = true
    )]
    pub ttl: Option<String>,
    /// With --or-run: for this long after the TTL, print the old value and
    /// refresh it in the background (one refresher at a time)
    #[arg(
        long,
        value_name = "DURATION",
        requires = "ttl",
        allow_hyphen_values = true
    )]
    pub stale: Option<String>,
    /// Be the background refresher of a stale value (started by --stale)
    #[arg(long, hide = true, requires = "or_run")]
    pub refresh: bool,
    /// The command --or-run runs (directly, not through a shell)
    #[arg(last = true, value_name = "COMMAND", value_parser = clap::value_parser!(OsString), requires = "or_run")]
    pub command: Vec<OsString>,
    #[command(flatten)]
    pub key_form: KeyForm,
}

/// The one key `--or-run` takes.
fn one_key<'k>(keys: &'k [Cow<'_, [u8]>]) -> Result<&'k [u8]> {
    match keys {
        [key] => Ok(key),
        _ => Err(Error::usage("--or-run takes one key")),
    }
}

/// `get --or-run` whose store could not be opened (its server down): the
/// command run plainly, with a warning, as `run` does.
pub fn without_store(args: &GetArgs, error: Error, out: &mut dyn Write) -> Result<ExitCode> {
    CacheName::new(&args.cache)?;
    let keys = args
        .keys
        .iter()
        .map(|key| args.key_form.bytes(key))
        .collect::<Result<Vec<_>>>()?;
    super::or_run::without_store(args, one_key(&keys)?, error, out)
}

pub fn run(ctx: &Context, args: GetArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let keys = args
        .keys
        .iter()
        .map(|key| args.key_form.bytes(key))
        .collect::<Result<Vec<_>>>()?;
    if args.check_bindings {
        crate::watch::check_before_read(&*ctx.store, &cache)?;
    }
    if args.or_run {
        return super::or_run::run(ctx, &args, &cache, one_key(&keys)?, out);
    }
    let token = args.with_token.then(|| ctx.store.epoch()).transpose()?;
    if args.json {
        return many(&*ctx.store, &cache, &args, &keys, token, out);
    }
    let [key] = keys.as_slice() else {
        return Err(Error::usage_with_hint(
            format!("{} keys given; plain output holds one value", keys.len()),
            "add --json to fetch several keys at once",
        ));
    };
    let hit = crate::watch::checked_get(&*ctx.store, &cache, key)?
        .filter(|hit| args.stale_ok || !hit.stale);
    if let Some(token) = token {
        writeln!(out, "{token}").map_err(output::stdout_error)?;
    }
    match hit {
        Some(hit) => hit.value.write_to(out).map_err(copy_error)?,
        None => match &args.default {
            Some(default) => output::write_all(out, default.as_bytes())?,
            None => return Ok(ExitCode::Miss),
        },
    }
    Ok(ExitCode::Success)
}

/// Writes one JSON array of every key's result, each value streamed in.
/// The keys are checked first, and each value (a blob against its hash)
/// before its item is written, so bad input or a damaged blob of a single
/// key writes nothing.
fn many(
    store: &dyn Store,
    cache: &CacheName,
    args: &GetArgs,
    keys: &[Cow<'_, [u8]>],
    token: Option<u64>,
    out: &mut dyn Write,
) -> Result<ExitCode> {
    for key in keys {
        check_key(key)?;
    }
    let mut all_hit = true;
    for (n, key) in keys.iter().enumerate() {
        let hit =
            crate::watch::checked_get(store, cache, key)?.filter(|hit| args.stale_ok || !hit.stale);
        let shape = hit.as_ref().map(|hit| Shape::of(&hit.value)).transpose()?;
        let mut item = match &hit {
            Some(hit) => json!({
                "key": json::bytes(key),
                "hit": true,
                "stale": hit.stale,
                "created": json::time(hit.created_ms),
                "expires": hit.expires_ms.map_or(Json::Null, json::time),
            }),
            None => json!({ "key": json::bytes(key), "hit": false, "value": null }),
        };
        if let Some(token) = token {
            item["token"] = json!(token);
        }
        output::write_all(out, if n == 0 { b"[" } else { b"," })?;
        match hit.zip(shape) {
            Some((hit, shape)) => {
                json::write_object(out, &json::fields(item), "value", &hit.value, &shape)
                    .map_err(copy_error)?
            }
            None => {
                all_hit = false;
                serde_json::to_writer(&mut *out, &item)
                    .map_err(|e| output::stdout_error(e.into()))?;
            }
        }
    }
    output::write_all(out, b"]\n")?;
    Ok(if all_hit {
        ExitCode::Success
    } else {
        ExitCode::Miss
    })
}

pub fn copy_error(error: CopyError) -> Error {
    match error {
        CopyError::Store(e) => e,
        CopyError::Output(e) => output::stdout_error(e),
    }
}
