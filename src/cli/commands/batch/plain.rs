//! Plain `get CACHE KEY` and `set CACHE KEY VALUE` lines of a batch (no
//! option, no word starting with `-`): read without building a clap parser,
//! and consecutive sets to one cache written as one journal append, each
//! line still answered on its own.

use std::borrow::Cow;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::cli::args::Command;
use crate::cli::commands::get::GetArgs;
use crate::cli::commands::set::SetArgs;
use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::error::{Error, Result};
use crate::name::CacheName;
use crate::store::{NewValue, SetOptions};

/// The most sets written as one append (the library's `set_many` writes up
/// to this many as one journal append).
pub const GROUP_MAX: usize = 4096;

/// The command a plain line says, as clap would parse it; `None` for any
/// other line, which clap parses.
pub fn command(words: &[Cow<'_, [u8]>]) -> Option<Command> {
    if words.iter().skip(1).any(|word| word.starts_with(b"-")) {
        return None;
    }
    let text = |word: &[u8]| String::from_utf8(word.to_vec()).ok();
    let os = |word: &[u8]| OsString::from_vec(word.to_vec());
    match words {
        [verb, cache, key] if verb.as_ref() == b"get" => Some(Command::Get(GetArgs {
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
        [verb, cache, key, value] if verb.as_ref() == b"set" => Some(Command::Set(SetArgs {
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

/// The words of a line as `sh` quoting reads them (see [`shlex`]), or `None`
/// for an unterminated quote or a trailing backslash. A line with nothing
/// quoted, escaped or commented is split in place, without copying a word.
pub fn words(line: &[u8]) -> Option<Vec<Cow<'_, [u8]>>> {
    if unquoted(line) {
        return Some(split(line).map(Cow::Borrowed).collect());
    }
    let words = shlex::bytes::split(line)?;
    Some(words.into_iter().map(Cow::Owned).collect())
}

/// Whether nothing in `line` is quoted, escaped or commented: its words are
/// then what lies between blanks.
fn unquoted(line: &[u8]) -> bool {
    !line
        .iter()
        .any(|&b| matches!(b, b'"' | b'\'' | b'\\' | b'#'))
}

/// The words of an unquoted line.
fn split(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let words = line.split(|&b| b == b' ' || b == b'\t');
    words.filter(|word| !word.is_empty())
}

/// Exactly `N` words of `line`, or `None`: split in place, in one pass,
/// unless something in a word is quoted, escaped or commented.
fn exactly<const N: usize>(line: &[u8]) -> Option<[Cow<'_, [u8]>; N]> {
    let blank = |b: u8| b == b' ' || b == b'\t';
    let mut found = [(0, 0); N];
    let mut count = 0;
    let mut at = 0;
    while at < line.len() {
        if blank(line[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < line.len() && !blank(line[at]) {
            if matches!(line[at], b'"' | b'\'' | b'\\' | b'#') {
                return words(line)?.try_into().ok();
            }
            at += 1;
        }
        *found.get_mut(count)? = (start, at);
        count += 1;
    }
    (count == N).then(|| found.map(|(start, end)| Cow::Borrowed(&line[start..end])))
}

/// The words of a plain line of `verb` (the verb and `N - 1` more, none
/// starting with `-`), or `None`.
fn plain<'a, const N: usize>(line: &'a [u8], verb: &[u8]) -> Option<[Cow<'a, [u8]>; N]> {
    let line = super::trimmed(line)?;
    let rest = line.strip_prefix(verb)?;
    if !rest.starts_with(b" ") && !rest.starts_with(b"\t") {
        return None;
    }
    let words: [Cow<'a, [u8]>; N] = exactly(line)?;
    let options = words[1..].iter().any(|word| word.starts_with(b"-"));
    (words[0].as_ref() == verb && !options).then_some(words)
}

/// A plain get line.
pub struct Get<'a> {
    pub cache: CacheName,
    pub key: Cow<'a, [u8]>,
}

impl<'a> Get<'a> {
    /// The line as a plain get of a well-named cache, or `None`.
    pub fn parse(line: &'a [u8]) -> Option<Get<'a>> {
        let [_, cache, key] = plain(line, b"get")?;
        let cache = CacheName::new(std::str::from_utf8(&cache).ok()?).ok()?;
        Some(Get { cache, key })
    }
}

/// A plain set line, which may join a group.
pub struct Set<'a> {
    /// The whole line, to run alone if its group fails.
    pub line: &'a [u8],
    cache: Cow<'a, [u8]>,
    key: Cow<'a, [u8]>,
    value: Cow<'a, [u8]>,
}

impl<'a> Set<'a> {
    /// The line as a plain set, or `None`.
    pub fn parse(line: &'a [u8]) -> Option<Set<'a>> {
        let [_, cache, key, value] = plain(line, b"set")?;
        Some(Set {
            line,
            cache,
            key,
            value,
        })
    }

    /// Whether this set can join a group whose first set is `first`.
    pub fn joins(&self, first: &Set<'_>) -> bool {
        self.cache == first.cache
    }
}

/// Writes a group of sets to one cache as one append (all or nothing), as
/// each `set` line would, background sync included. A cache name that is
/// not valid fails the group, whose lines then run alone and say why.
pub fn write(ctx: &Context, group: &[Set<'_>]) -> Result<()> {
    let name = std::str::from_utf8(&group[0].cache)
        .map_err(|_| Error::usage("the cache name is not UTF-8"))?;
    let cache = CacheName::new(name)?;
    let options = SetOptions::default();
    let report = match group {
        // A lone set is written as its own command writes it.
        [set] => ctx
            .store
            .set(&cache, &set.key, NewValue::Bytes(&set.value), &options)?,
        _ => {
            let mut items = group
                .iter()
                .map(|set| (set.key.to_vec(), set.value.to_vec()));
            ctx.store.set_many(&cache, &mut items, &options)?
        }
    };
    ctx.after_write(&cache, &report);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words an unquoted line is split into in place are those `sh`
    /// quoting rules give.
    #[test]
    fn unquoted_lines_split_as_shlex_does() {
        for line in [
            &b"set c k v"[..],
            b"  set\tc  k \t v  ",
            b"set c k\xff \xfe\x01",
            b"set c k v\r",
            b"",
            b" \t ",
            b"get c",
        ] {
            assert!(unquoted(line));
            let ours: Vec<Vec<u8>> = words(line)
                .unwrap()
                .into_iter()
                .map(Cow::into_owned)
                .collect();
            assert_eq!(ours, shlex::bytes::split(line).unwrap(), "{line:?}");
        }
    }

    /// Four words taken in one pass are the four `sh` reads, and a line of
    /// any other count has none.
    #[test]
    fn exactly_four_words_are_what_shlex_reads() {
        for line in [
            &b"set c k v"[..],
            b" set\tc k  v ",
            b"set c k v #comment",
            b"set c k v''",
            b"set c 'k 1' v",
            b"set c k v x",
            b"set c k",
            b"set c k v x #y",
            b"set c k #v w",
        ] {
            let ours = exactly::<4>(line).map(|words| words.map(Cow::into_owned).to_vec());
            let theirs = shlex::bytes::split(line).filter(|words| words.len() == 4);
            assert_eq!(ours, theirs, "{line:?}");
        }
    }

    #[test]
    fn a_plain_line_has_exactly_its_words_and_no_option() {
        assert!(Set::parse(b"set c k v").is_some());
        assert!(Set::parse(b"  set c 'k 1' \"v 2\"\r").is_some());
        assert!(Set::parse(b"set c k v extra").is_none());
        assert!(Set::parse(b"set c k").is_none());
        assert!(Set::parse(b"set c k -v").is_none());
        assert!(Set::parse(b"set c k #v").is_none());
        assert!(Set::parse(b"settle c k v").is_none());
        assert!(Set::parse(b"# set c k v").is_none());
        assert!(Get::parse(b"get c k").is_some());
        assert!(Get::parse(b"get c k x").is_none());
        assert!(Get::parse(b"get c --json").is_none());
        assert!(Get::parse(b"get Bad/name k").is_none());
    }
}
