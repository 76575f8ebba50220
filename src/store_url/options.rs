//! The query of a Redis store URL: `ns=`, `cluster=`, `node=`, `readonly=`,
//! `connect_timeout=`, `timeout=`, `lease=`, the TLS files `ca=`, `cert=`,
//! `key=` (`rediss://` only), and `db=` on a unix socket.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::Duration;

use super::parse::{bad, database, printable};
use super::percent::{decode, encode};
use super::{RedisTarget, TlsFiles};
use crate::error::{Error, Result};
use crate::name::CacheName;

/// The namespace of a URL without `ns=`.
pub const DEFAULT_NAMESPACE: &str = "cacheman";
/// How long to wait for a connection, unless `connect_timeout=` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to wait for a command's answer, unless `timeout=` says otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a lock's lease lasts, unless `lease=` says otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);

const KNOWN: &str = "ns, cluster, node, readonly, connect_timeout, timeout, lease, ca, cert, key";

/// The query parameters of a Redis URL.
pub(super) struct Options {
    pub namespace: String,
    pub cluster: bool,
    pub nodes: Vec<String>,
    pub read_only: bool,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub lease: Duration,
    /// `ca=`, `cert=`, `key=`: certificate files for TLS.
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `db=` (unix sockets only; a TCP URL names it in its path).
    pub db: u32,
}

impl Options {
    /// Parses `name=value&...`; `unix` allows `db=`. Unknown or repeated
    /// names are refused.
    pub fn parse(query: Option<&str>, unix: bool) -> Result<Options> {
        let mut options = Options {
            namespace: DEFAULT_NAMESPACE.to_string(),
            cluster: false,
            nodes: Vec::new(),
            read_only: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            lease: DEFAULT_LEASE,
            ca: None,
            cert: None,
            key: None,
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
            "lease" => self.lease = timeout(name, value)?,
            "ca" => self.ca = Some(path(name, value)?),
            "cert" => self.cert = Some(path(name, value)?),
            "key" => self.key = Some(path(name, value)?),
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
    pub fn query(&self, tcp: bool) -> String {
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
        time("lease", self.lease, DEFAULT_LEASE);
        for (name, path) in [("ca", &self.ca), ("cert", &self.cert), ("key", &self.key)] {
            if let Some(path) = path {
                let bytes = path.as_os_str().as_encoded_bytes();
                query.push_str(&format!("&{name}={}", encode(bytes, b"/")));
            }
        }
        query
    }

    /// The TLS files, checked: only over TLS, and a client certificate
    /// with its key.
    fn tls(&self, tls: bool) -> Result<Box<TlsFiles>> {
        let named = self.ca.is_some() || self.cert.is_some() || self.key.is_some();
        if named && !tls {
            return Err(bad("ca=, cert= and key= are for a TLS server: rediss://"));
        }
        let client = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => return Err(bad("cert= and key= go together (mutual TLS)")),
        };
        Ok(Box::new(TlsFiles {
            ca: self.ca.clone(),
            client,
        }))
    }

    /// The target; `tls` says whether the URL is `rediss://`.
    pub fn target(self, nodes: Vec<String>, display: String, tls: bool) -> Result<RedisTarget> {
        let tls = self.tls(tls)?;
        Ok(RedisTarget {
            nodes,
            cluster: self.cluster,
            namespace: self.namespace,
            read_only: self.read_only,
            connect_timeout: self.connect_timeout,
            command_timeout: self.command_timeout,
            lease: self.lease,
            display,
            tls,
            host: None,
            sidecar_base: None,
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

/// A file named by a query value (percent-decoded).
fn path(name: &str, value: &str) -> Result<PathBuf> {
    let bytes = decode(value, name)?;
    if bytes.is_empty() {
        return Err(bad(&format!("{name}= names no file")));
    }
    Ok(PathBuf::from(OsString::from_vec(bytes)))
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
