//! The certificates of a `rediss://` connection beyond the public web roots:
//! a private CA to trust (`ca=`) and a client certificate for mutual TLS
//! (`cert=`, `key=`), read and checked when the store is opened.

use std::path::Path;

use redis::{ClientTlsConfig, TlsCertificates};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};
use crate::store_url::{RedisTarget, TlsFiles};

/// The certificates `files` name; `None` when they name none (the public
/// web roots are trusted then).
pub(crate) fn certificates(files: &TlsFiles) -> Result<Option<TlsCertificates>> {
    if files.ca.is_none() && files.client.is_none() {
        return Ok(None);
    }
    let root_cert = match &files.ca {
        Some(ca) => Some(certificate("ca", ca)?),
        None => None,
    };
    let client_tls = match &files.client {
        Some((cert, key)) => Some(ClientTlsConfig {
            client_cert: certificate("cert", cert)?,
            client_key: private_key(key)?,
        }),
        None => None,
    };
    Ok(Some(TlsCertificates {
        client_tls,
        root_cert,
    }))
}

/// The PEM file `name=` names, holding at least one certificate.
fn certificate(name: &str, path: &Path) -> Result<Vec<u8>> {
    let pem = read(name, path)?;
    let mut certs = CertificateDer::pem_slice_iter(&pem);
    match certs.next() {
        Some(Ok(_)) if certs.all(|c| c.is_ok()) => Ok(pem),
        _ => Err(unusable(name, path, "holds no PEM certificate")),
    }
}

/// The PEM file `key=` names, holding a private key.
fn private_key(path: &Path) -> Result<Vec<u8>> {
    let pem = read("key", path)?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(_) => Ok(pem),
        Err(_) => Err(unusable("key", path, "holds no PEM private key")),
    }
}

fn read(name: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| unusable(name, path, &format!("cannot be read ({e})")))
}

/// A certificate file named in the store URL that cannot serve.
fn unusable(name: &str, path: &Path, why: &str) -> Error {
    Error::usage(format!("the store URL's {name}={} {why}", path.display()))
}

/// A failure to connect to `target`, said in TLS terms where TLS is the
/// likely cause: an untrusted certificate, a client certificate asked for,
/// TLS spoken to a plain port or plain text to a TLS port.
pub(crate) fn connect_error(target: &RedisTarget, e: &redis::RedisError) -> Error {
    let text = e.to_string();
    let tls = target.nodes.iter().any(|n| n.starts_with("rediss://"));
    // ECONNRESET: what a TLS port answers plain text with (the redis crate
    // keeps the io::Error's kind to itself).
    let reset = e.is_connection_dropped() && text.contains("reset by peer");
    let (why, hint) = match () {
        _ if text.contains("invalid peer certificate") && target.tls.ca.is_some() => (
            "the server's TLS certificate is not signed by the CA in ca=",
            "name in ca= the CA that signed the server's certificate",
        ),
        _ if text.contains("invalid peer certificate") => (
            "the server's TLS certificate is not trusted",
            "name the CA that signed it with ca=/path/to/ca.pem",
        ),
        _ if text.contains("CertificateRequired") => (
            "the server asks for a TLS client certificate",
            "name one with cert=FILE&key=FILE in the URL",
        ),
        _ if tls && (e.is_timeout() || text.contains("corrupt message")) => (
            "no TLS handshake in time: the port does not speak TLS",
            "use redis:// for a plain (not TLS) port, rediss:// only for a TLS one",
        ),
        _ if !tls && reset && target.nodes.iter().any(|n| n.starts_with("redis://")) => (
            "the server dropped the connection: it may be a TLS port",
            "use rediss:// for a TLS port",
        ),
        _ => return super::refusal::at_connect(target, e),
    };
    Error::Unavailable {
        store: target.display.clone(),
        message: format!("{why} ({text})"),
        hint: Some(hint.to_string()),
    }
}
