//! TLS to the relay: what its certificate is checked against
//! ([`TlsTrust`]), and implicit TLS (`smtps://`) over tend's own
//! `TCP_NODELAY` socket ([`wrap`]).
//!
//! The certificate is always verified, against the Mozilla roots compiled
//! into lettre plus the operator's `mail.ca_file`, for the name in
//! `mail.tls_server_name` or else the URL's host. There is deliberately no
//! switch to skip verification: a relay with a private CA gets its CA file.
//!
//! `connect_with_transport` reads the greeting at once, so for implicit TLS
//! the socket must be encrypted before lettre sees it. lettre's network
//! stream can do the handshake with the same `TlsParameters` that STARTTLS
//! uses; it speaks futures-io, and the adapter below turns it back into the
//! tokio stream that `connect_with_transport` takes.

#![allow(deprecated)] // lettre's `AsyncNetworkStream`: public, marked "not meant to be".

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::Context as _;
use futures_util::io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::transport::smtp::Error;
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, Certificate, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::watch::Watched;

/// What the relay's certificate is checked against: the built-in roots plus
/// `mail.ca_file`, for `mail.tls_server_name` or else the URL's host.
#[derive(Clone, Default)]
pub struct TlsTrust {
    server_name: Option<String>,
    /// Every certificate of `mail.ca_file` (lettre keeps them as one value).
    extra_roots: Option<Certificate>,
}

impl TlsTrust {
    /// Reads `mail.ca_file` (empty: none) and checks `mail.tls_server_name`
    /// (empty: the URL's host). Each error names its key.
    pub fn load(ca_file: &Path, server_name: &str) -> anyhow::Result<Self> {
        let server_name = match server_name.trim() {
            "" => None,
            name => Some(checked_server_name(name)?),
        };
        let extra_roots = if ca_file.as_os_str().is_empty() { None } else { Some(read_ca_file(ca_file)?) };
        let trust = TlsTrust { server_name, extra_roots };
        // rustls parses each root when the parameters are built: a file it
        // cannot use fails here, at start-up, not at the first send.
        trust.parameters("localhost").map_err(|error| {
            anyhow::anyhow!("mail.ca_file: {} holds a certificate that cannot be used: {error}", ca_file.display())
        })?;
        Ok(trust)
    }

    /// The TLS parameters for a relay reached at `host`.
    pub fn parameters(&self, host: &str) -> Result<TlsParameters, Error> {
        let name = self.server_name.clone().unwrap_or_else(|| host.to_owned());
        let mut builder = TlsParameters::builder(name);
        if let Some(roots) = &self.extra_roots {
            builder = builder.add_root_certificate(roots.clone());
        }
        builder.build()
    }
}

fn read_ca_file(path: &Path) -> anyhow::Result<Certificate> {
    let pem = std::fs::read(path).with_context(|| format!("mail.ca_file: cannot read {}", path.display()))?;
    // lettre skips anything that is not a certificate, so count them first:
    // a key file or a DER file given by mistake must not pass as "no extra roots".
    let count = String::from_utf8_lossy(&pem).matches("-----BEGIN CERTIFICATE-----").count();
    anyhow::ensure!(
        count > 0,
        "mail.ca_file: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        path.display()
    );
    Certificate::from_pem(&pem)
        .map_err(|error| anyhow::anyhow!("mail.ca_file: {} is not valid PEM: {error}", path.display()))
}

/// A DNS name (or an IP address), as a certificate would carry it.
fn checked_server_name(name: &str) -> anyhow::Result<String> {
    let is_dns_name = name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    anyhow::ensure!(
        is_dns_name || name.parse::<IpAddr>().is_ok(),
        "mail.tls_server_name: {name:?} is not a host name such as relay.example.org"
    );
    Ok(name.to_owned())
}

/// Does the TLS handshake on the watched socket and returns the encrypted stream.
pub async fn wrap(socket: Watched, tls: TlsParameters) -> Result<Box<dyn AsyncTokioStream>, Error> {
    let peer = socket.peer_addr().ok();
    let mut inner = AsyncNetworkStream::use_existing_tokio1(Box::new(socket));
    inner.upgrade_tls(tls).await?;
    Ok(Box::new(Encrypted { inner, peer }))
}

#[derive(Debug)]
struct Encrypted {
    inner: AsyncNetworkStream,
    peer: Option<SocketAddr>,
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.peer.ok_or_else(|| io::Error::other("peer address unknown"))
    }
}

impl AsyncRead for Encrypted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let unfilled = buf.initialize_unfilled();
        match Pin::new(&mut this.inner).poll_read(cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Encrypted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_settings_trust_the_built_in_roots_for_the_url_host() {
        let trust = TlsTrust::load(Path::new(""), "").unwrap();
        assert_eq!(trust.parameters("relay.example.org").unwrap().domain(), "relay.example.org");
        let named = TlsTrust::load(Path::new(""), "relay.example.org").unwrap();
        assert_eq!(named.parameters("192.0.2.1").unwrap().domain(), "relay.example.org");
    }

    #[test]
    fn bad_values_are_refused_by_key() {
        let err = TlsTrust::load(Path::new(""), "relay example").err().unwrap();
        assert!(err.to_string().starts_with("mail.tls_server_name: "), "{err}");
        let err = TlsTrust::load(Path::new("/nonexistent/ca.pem"), "").err().unwrap();
        assert!(format!("{err:#}").starts_with("mail.ca_file: cannot read /nonexistent/ca.pem: "), "{err:#}");
        let not_pem = std::env::temp_dir().join(format!("tend-not-a-ca-{}.pem", std::process::id()));
        std::fs::write(&not_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
        let err = TlsTrust::load(&not_pem, "").err().unwrap();
        assert!(err.to_string().contains("holds no PEM certificate"), "{err}");
        std::fs::write(&not_pem, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
            .unwrap();
        let err = TlsTrust::load(&not_pem, "").err().unwrap();
        assert!(err.to_string().starts_with("mail.ca_file: "), "{err}");
        std::fs::remove_file(not_pem).ok();
    }
}
