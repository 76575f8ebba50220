//! Parsing a store URL (`redis://`, `rediss://`, `redis+unix://`, `file://`)
//! into a [`StoreSpec`]; every mistake is a one-line usage error that never
//! repeats a password.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::Duration;

use super::RedisTarget;
use crate::error::{Error, Result};
use crate::name::CacheName;

/// The environment variable a Redis password is read from when the URL has none.
pub const PASSWORD_ENV: &str = "CACHEMAN_REDIS_PASSWORD";
/// The namespace of a URL without `ns=`.
pub const DEFAULT_NAMESPACE: &str = "cacheman";
/// How long to wait for a connection, unless `connect_timeout=` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to wait for a command's answer, unless `timeout=` says otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

const DEFAULT_PORT: u16 = 6379;
const FORMS: &str = "the forms are redis://[user[:password]@]host[:port][/db][?ns=NAME&...], \
                     rediss://... (TLS), redis+unix:///path[?db=N&...] and file:///path";
const KNOWN: &str = "ns, cluster, node, readonly, connect_timeout, timeout";

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
fn bad(what: &str) -> Error {
    Error::usage_with_hint(format!("invalid store URL: {what}"), FORMS)
}

/// `text` with anything but printable ASCII escaped, for an error message.
fn printable(text: &str) -> String {
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
    options.target(nodes, display)
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
fn database(path: &str) -> Result<u32> {
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
    options.target(vec![node], display)
}

/// The query parameters of a Redis URL.
struct Options {
    namespace: String,
    cluster: bool,
    nodes: Vec<String>,
    read_only: bool,
    connect_timeout: Duration,
    command_timeout: Duration,
    /// `db=` (unix sockets only; a TCP URL names it in its path).
    db: u32,
}

impl Options {
    /// Parses `name=value&...`; `unix` allows `db=`. Unknown or repeated
    /// names are refused.
    fn parse(query: Option<&str>, unix: bool) -> Result<Options> {
        let mut options = Options {
            namespace: DEFAULT_NAMESPACE.to_string(),
            cluster: false,
            nodes: Vec::new(),
            read_only: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            db: 0,
        };
        let mut seen: Vec<&str> = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                bad(&format!(
                    "query parameter '{}' has no value",
                    printable(pair)
                ))
            })?;
            if name != "node" && seen.contains(&name) {
                return Err(bad(&format!("'{}' is given twice", printable(name))));
            }
            seen.push(name);
            options.set(name, value, unix)?;
        }
        Ok(options)
    }

    fn set(&mut self, name: &str, value: &str, unix: bool) -> Result<()> {
        match name {
            "ns" => self.namespace = namespace(value)?,
            "cluster" => self.cluster = flag(name, value)?,
            "node" => self.nodes.push(value.to_string()),
            "readonly" => self.read_only = flag(name, value)?,
            "connect_timeout" => self.connect_timeout = timeout(name, value)?,
            "timeout" => self.command_timeout = timeout(name, value)?,
            "db" if unix => self.db = database(value)?,
            _ => {
                let known = match unix {
                    true => format!("{KNOWN}, db"),
                    false => KNOWN.to_string(),
                };
                return Err(bad(&format!(
                    "unknown query parameter '{}' (known: {known})",
                    printable(name)
                )));
            }
        }
        Ok(())
    }

    /// The canonical query for display: the namespace, then what differs
    /// from the defaults.
    fn query(&self, tcp: bool) -> String {
        let mut query = String::new();
        if !tcp {
            query.push_str(&format!("?db={}&", self.db));
        } else {
            query.push('?');
        }
        query.push_str(&format!("ns={}", self.namespace));
        if self.cluster {
            query.push_str("&cluster=1");
        }
        for node in &self.nodes {
            query.push_str(&format!("&node={node}"));
        }
        if self.read_only {
            query.push_str("&readonly=1");
        }
        let mut time = |name: &str, value: Duration, default: Duration| {
            if value != default {
                query.push_str(&format!("&{name}={}", humantime::format_duration(value)));
            }
        };
        time(
            "connect_timeout",
            self.connect_timeout,
            DEFAULT_CONNECT_TIMEOUT,
        );
        time("timeout", self.command_timeout, DEFAULT_COMMAND_TIMEOUT);
        query
    }

    fn target(self, nodes: Vec<String>, display: String) -> Result<RedisTarget> {
        Ok(RedisTarget {
            nodes,
            cluster: self.cluster,
            namespace: self.namespace,
            read_only: self.read_only,
            connect_timeout: self.connect_timeout,
            command_timeout: self.command_timeout,
            display,
        })
    }
}

/// A namespace: the same characters as a cache name.
fn namespace(value: &str) -> Result<String> {
    match CacheName::new(value) {
        Ok(_) => Ok(value.to_string()),
        Err(Error::InvalidName { why, .. }) => Err(bad(&format!(
            "namespace '{}': {why} (letters, digits, '.', '_' and '-')",
            printable(value)
        ))),
        Err(e) => Err(e),
    }
}

/// A yes/no query value.
fn flag(name: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(bad(&format!("{name}='{}': say 1 or 0", printable(value)))),
    }
}

/// A timeout such as `2s` or `500ms`, more than zero.
fn timeout(name: &str, value: &str) -> Result<Duration> {
    match humantime::parse_duration(value) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad(&format!(
            "{name}='{}' is not a duration more than 0 (like 2s or 500ms)",
            printable(value)
        ))),
    }
}

/// Percent-decodes `text` (the `what` of a URL).
fn decode(text: &str, what: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'%' {
            out.push(bytes[at]);
            at += 1;
            continue;
        }
        let byte = text
            .get(at + 1..at + 3)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .ok_or_else(|| bad(&format!("a bad percent-escape in the {what}")))?;
        out.push(byte);
        at += 3;
    }
    Ok(out)
}

/// Percent-encodes all but unreserved characters and those in `keep`.
fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
