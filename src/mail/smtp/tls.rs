//! Implicit TLS (`smtps://`) over tend's own `TCP_NODELAY` socket.
//!
//! `connect_with_transport` reads the greeting at once, so for implicit TLS
//! the socket must be encrypted before lettre sees it. lettre's network
//! stream can do the handshake with the same `TlsParameters` that STARTTLS
//! uses; it speaks futures-io, and the adapter below turns it back into the
//! tokio stream that `connect_with_transport` takes.

#![allow(deprecated)] // lettre's `AsyncNetworkStream`: public, marked "not meant to be".

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::transport::smtp::Error;
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Does the TLS handshake on `tcp` and returns the encrypted stream.
pub async fn wrap(tcp: TcpStream, tls: TlsParameters) -> Result<Box<dyn AsyncTokioStream>, Error> {
    let peer = tcp.peer_addr().ok();
    let mut inner = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
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
