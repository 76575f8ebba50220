//! Plain `get CACHE KEY` and `set CACHE KEY VALUE` lines of a batch (no
//! option, no word starting with `-`): read without building a clap parser,
//! and consecutive sets to one cache written as one journal append, each
//! line still answered on its own.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::cli::args::Command;
use crate::cli::commands::get::GetArgs;
use crate::cli::commands::set::SetArgs;
use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::error::Result;
use crate::name::CacheName;
use crate::store::SetOptions;

/// The most sets written as one append (the library's `set_many` writes up
/// to this many as one journal append).
pub const GROUP_MAX: usize = 4096;

/// The command a plain line says, as clap would parse it; `None` for any
/// other line, which clap parses.
pub fn command(words: &[Vec<u8>]) -> Option<Command> {
    if words.iter().skip(1).any(|word| word.starts_with(b"-")) {
        return None;
    }
    let text = |word: &Vec<u8>| String::from_utf8(word.clone()).ok();
    let os = |word: &Vec<u8>| OsString::from_vec(word.clone());
    match words {
        [verb, cache, key] if verb == b"get" => Some(Command::Get(GetArgs {
            cache: text(cache)?,
            keys: vec![os(key)],
            default: None,
            json: false,
            stale_ok: false,
            with_token: false,
            check_bindings: false,
            or_run: false,
            ttl: None,
            stale: None,
            refresh: false,
            command: Vec::new(),
            key_form: KeyForm { key_base64: false },
        })),
        [verb, cache, key, value] if verb == b"set" => Some(Command::Set(SetArgs {
            cache: text(cache)?,
            key: os(key),
            value: Some(os(value)),
            file: None,
            ttl: None,
            durable: false,
            if_epoch: None,
            if_absent: false,
            key_form: KeyForm { key_base64: false },
        })),
        _ => None,
    }
}

/// A plain set line, which may join a group.
pub struct Set {
    pub line: Vec<u8>,
    pub cache: CacheName,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Set {
    /// The line as a plain set, or the line given back.
    pub fn parse(line: Vec<u8>) -> std::result::Result<Set, Vec<u8>> {
        match Set::words(&line) {
            Some((cache, key, value)) => Ok(Set {
                line,
                cache,
                key,
                value,
            }),
            None => Err(line),
        }
    }

    /// A plain set line's cache, key and value.
    fn words(line: &[u8]) -> Option<(CacheName, Vec<u8>, Vec<u8>)> {
        let line = super::trimmed(line)?;
        if !line.starts_with(b"set ") {
            return None;
        }
        let words = shlex::bytes::split(line)?;
        let Some(Command::Set(args)) = command(&words) else {
            return None;
        };
        let cache = CacheName::new(&args.cache).ok()?;
        let [_, _, key, value] = <[Vec<u8>; 4]>::try_from(words).ok()?;
        Some((cache, key, value))
    }
}

/// Writes a group of sets to one cache as one append (all or nothing), as
/// each `set` line would, background sync included.
pub fn write(ctx: &Context, group: &[Set]) -> Result<()> {
    let cache = &group[0].cache;
    let mut items = group.iter().map(|set| (set.key.clone(), set.value.clone()));
    let report = ctx
        .store
        .set_many(cache, &mut items, &SetOptions::default())?;
    ctx.after_write(cache, &report);
    Ok(())
}
