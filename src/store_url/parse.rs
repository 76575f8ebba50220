//! Parsing a store URL (`redis://`, `rediss://`, `redis+unix://`, `file://`)
//! into a [`StoreSpec`]; every mistake is a one-line usage error that never
//! repeats a password.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::RedisTarget;
use super::options::Options;
use super::percent::{decode, encode};
use crate::error::{Error, Result};

/// The environment variable a Redis password is read from when the URL has none.
pub const PASSWORD_ENV: &str = "CACHEMAN_REDIS_PASSWORD";

const DEFAULT_PORT: u16 = 6379;
const FORMS: &str = "the forms are redis://[user[:password]@]host[:port][/db][?ns=NAME&...], \
                     rediss://...[?ca=CA.pem] (TLS), redis+unix:///path[?db=N&...] and file:///path";

/// The store a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// The local store in this directory (`file:///path`).
    Local(PathBuf),
    /// A Redis server or cluster.
    Redis(RedisTarget),
}

/// Parses a store URL; `env_password` (from [`PASSWORD_ENV`]) is used when the
/// URL has no password of its own.
pub fn parse(url: &str, env_password: Option<&str>) -> Result<StoreSpec> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("it has no scheme (redis://, rediss://, redis+unix:// or file://)"))?;
    if rest.contains('#') {
        return Err(bad(
            "a fragment ('#...') is not allowed; percent-encode a '#' as %23",
        ));
    }
    let (body, query) = match rest.split_once('?') {
        Some((body, query)) => (body, Some(query)),
        None => (rest, None),
    };
    let password = env_password.filter(|p| !p.is_empty());
    match scheme.to_ascii_lowercase().as_str() {
        "file" => file(body, query),
        tls @ ("redis" | "rediss") => tcp(tls, body, query, password).map(StoreSpec::Redis),
        "redis+unix" | "unix" => unix(body, query, password).map(StoreSpec::Redis),
        other => Err(bad(&format!("unknown scheme '{}'", printable(other)))),
    }
}

/// A usage error about the URL, with the forms as its hint.
pub(super) fn bad(what: &str) -> Error {
    Error::usage_with_hint(format!("invalid store URL: {what}"), FORMS)
}

/// `text` with anything but printable ASCII escaped, for an error message.
pub(super) fn printable(text: &str) -> String {
    text.escape_debug().to_string()
}

/// `file:///path` (or `file://localhost/path`): the local store there.
fn file(body: &str, query: Option<&str>) -> Result<StoreSpec> {
    if query.is_some() {
        return Err(bad("a file:// URL takes no query"));
    }
    let path = body.strip_prefix("localhost").unwrap_or(body);
    if !path.starts_with('/') {
        return Err(bad(
            "a file:// URL names an absolute path, as in file:///path/to/store",
        ));
    }
    let bytes = decode(path, "path")?;
    Ok(StoreSpec::Local(PathBuf::from(OsString::from_vec(bytes))))
}

/// Who to log in as: the URL's user and password, or the environment's password.
struct Login {
    user: String,
    password: Option<String>,
}

impl Login {
    /// `user:password@` for a connection URL, percent-encoded.
    fn userinfo(&self) -> String {
        self.shown(|p| encode(p.as_bytes(), b""))
    }

    /// The same with the password masked, for display.
    fn masked(&self) -> String {
        self.shown(|_| "***".to_string())
    }

    fn shown(&self, password: impl Fn(&str) -> String) -> String {
        let user = encode(self.user.as_bytes(), b"");
        match &self.password {
            Some(p) => format!("{user}:{}@", password(p)),
            None if user.is_empty() => String::new(),
            None => format!("{user}@"),
        }
    }
}

/// `redis://` or `rediss://`: a server, or a cluster's seed nodes.
fn tcp(scheme: &str, body: &str, query: Option<&str>, env: Option<&str>) -> Result<RedisTarget> {
    let (authority, path) = match body.find('/') {
        Some(at) => body.split_at(at),
        None => (body, ""),
    };
    let (login, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (login(userinfo, env)?, hostport),
        None => (login("", env)?, authority),
    };
    let options = Options::parse(query, false)?;
    let db = database(path.strip_prefix('/').unwrap_or(path))?;
    let mut seeds = vec![host_port(hostport)?];
    if options.cluster {
        if db != 0 {
            return Err(bad("a Redis Cluster has only database 0"));
        }
        for node in &options.nodes {
            seeds.push(host_port(node)?);
        }
    } else if !options.nodes.is_empty() {
        return Err(bad("node= names a cluster's seed nodes: add cluster=1"));
    }
    let database = match options.cluster {
        true => String::new(),
        false => format!("/{db}"),
    };
    let nodes = seeds
        .iter()
        .map(|seed| format!("{scheme}://{}{seed}{database}", login.userinfo()))
        .collect();
    let display = format!(
        "{scheme}://{}{}{database}{}",
        login.masked(),
        seeds[0],
        options.query(true)
    );
    options.target(nodes, display, scheme == "rediss")
}

/// The user and password of `userinfo` (percent-encoded `user[:password]`).
fn login(userinfo: &str, env: Option<&str>) -> Result<Login> {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let text = |raw: &str, what: &str| {
        String::from_utf8(decode(raw, what)?).map_err(|_| bad(&format!("the {what} is not UTF-8")))
    };
    let password = match password.filter(|p| !p.is_empty()) {
        Some(raw) => Some(text(raw, "password")?),
        None => env.map(str::to_string),
    };
    Ok(Login {
        user: text(user, "user name")?,
        password,
    })
}

/// The database number of a URL's path (`""` is 0).
pub(super) fn database(path: &str) -> Result<u32> {
    if path.is_empty() {
        return Ok(0);
    }
    path.parse()
        .map_err(|_| bad(&format!("database '{}' is not a number", printable(path))))
}

/// `host[:port]` checked and with the port made explicit.
fn host_port(text: &str) -> Result<String> {
    let (host, port) = match text.strip_prefix('[') {
        Some(v6) => {
            let (inner, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address lacks its closing ']'"))?;
            if inner.is_empty()
                || !inner
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
            {
                return Err(bad(&format!(
                    "'[{}]' is not an IPv6 address",
                    printable(inner)
                )));
            }
            (&text[..inner.len() + 2], after)
        }
        None => match text.find(':') {
            Some(at) => text.split_at(at),
            None => (text, ""),
        },
    };
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._[]:".contains(*c)))
    {
        return Err(bad(&format!("{c:?} is not allowed in a host name")));
    }
    let port = match port {
        "" => DEFAULT_PORT,
        _ => port
            .strip_prefix(':')
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse().ok())
            .filter(|&p| p != 0)
            .ok_or_else(|| {
                let shown = printable(port.strip_prefix(':').unwrap_or(port));
                bad(&format!("port '{shown}' is not a number from 1 to 65535"))
            })?,
    };
    Ok(format!("{host}:{port}"))
}

/// `redis+unix:///path/to/socket[?db=N]`.
fn unix(body: &str, query: Option<&str>, env: Option<&str>) -> Result<RedisTarget> {
    if !body.starts_with('/') {
        return Err(bad(
            "a unix socket URL has no host: redis+unix:///path/to/socket",
        ));
    }
    let path = String::from_utf8(decode(body, "socket path")?)
        .map_err(|_| bad("the socket path is not UTF-8"))?;
    let options = Options::parse(query, true)?;
    if options.cluster {
        return Err(bad(
            "a Redis Cluster is named by a redis:// or rediss:// URL",
        ));
    }
    let socket = encode(path.as_bytes(), b"/");
    let mut node = format!("redis+unix://{socket}?db={}", options.db);
    if let Some(password) = env {
        node.push_str(&format!("&pass={}", encode(password.as_bytes(), b"")));
    }
    let display = format!("redis+unix://{socket}{}", options.query(false));
    options.target(vec![node], display, false)
}

#[cfg(test)]
mod tests;
