//! Store URLs: which store a command line names, and how to reach it.

use std::path::PathBuf;
use std::time::Duration;

/// Where a Redis store is and how to talk to it (parsed from a store URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTarget {
    /// Connection URLs for the redis crate (`redis://`, `rediss://`,
    /// `redis+unix://`), password included: the server, or a cluster's seed nodes.
    pub nodes: Vec<String>,
    /// A Redis Cluster (`cluster=1` in the URL).
    pub cluster: bool,
    /// The namespace every key starts with (`ns=`, default `cacheman`).
    pub namespace: String,
    /// Read-only (`readonly=1`): reads, hits and replays work; writes are refused.
    pub read_only: bool,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for one command's answer.
    pub command_timeout: Duration,
    /// How long a lock's lease lasts unless renewed (`lease=`, default 15s):
    /// how long others wait for a holder that was killed.
    pub lease: Duration,
    /// The URL with any password masked, for `info`, `-v` and errors.
    pub display: String,
    /// Certificates for `rediss://` beyond the public roots (`ca=`, `cert=`,
    /// `key=`); boxed, as most URLs name none.
    pub tls: Box<TlsFiles>,
    /// The machine name bindings are kept under; `None`: the host name. Not
    /// in the URL: the CLI sets it from `CACHEMAN_HOST`.
    pub host: Option<String>,
    /// The folder this machine's sidecar directories go in (see
    /// [`Scratch`](crate::scratch::Scratch)); `None`: the user's cache
    /// directory. Not in the URL: set by whoever opens the store.
    pub sidecar_base: Option<PathBuf>,
}

/// The certificate files of a TLS connection (`rediss://` only), read when
/// the store is opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA certificates (PEM) to trust instead of the public web roots
    /// (`ca=`): the private CA a team's server certificate is signed by.
    pub ca: Option<PathBuf>,
    /// A client certificate (PEM) and its private key, for a server that
    /// asks for one (mutual TLS: `cert=` and `key=`).
    pub client: Option<(PathBuf, PathBuf)>,
}

mod options;
mod parse;
mod percent;

pub use parse::{PASSWORD_ENV, StoreSpec, parse};
