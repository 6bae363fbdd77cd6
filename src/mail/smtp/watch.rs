//! The socket under one SMTP session, watched for one moment: the message
//! and its end of data have all been handed to the kernel.
//!
//! That moment is what separates "retry" from "outcome unknown" (see
//! `stage`), and tend sends the message and its end of data in one write, so
//! no step of its own lies between them. lettre writes a command and then
//! flushes it; the flush reaches this socket only once every byte above it
//! is written (under TLS, every record: rustls writes them out and then
//! flushes the socket it wraps). So the session arms the watch with the
//! send's [`Progress`] just before the write, and the first flush that
//! succeeds here moves that send to [`Stage::EndOfData`]. A timeout or a
//! broken connection before it means the relay cannot have the end of data;
//! after it, it may. The watch sits under TLS (STARTTLS upgrades the stream
//! it wraps; `smtps://` is wrapped on top of it), where that holds for both.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::stage::{Progress, Stage};

/// The session's handle on its socket's watch.
#[derive(Debug, Clone, Default)]
pub(super) struct Watch(Arc<Mutex<Option<Arc<Progress>>>>);

impl Watch {
    /// The next successful flush marks `progress` as past the end of data.
    pub(super) fn arm(&self, progress: &Arc<Progress>) {
        *self.slot() = Some(Arc::clone(progress));
    }

    pub(super) fn disarm(&self) {
        self.slot().take();
    }

    fn flushed(&self) {
        if let Some(progress) = self.slot().take() {
            progress.set(Stage::EndOfData);
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Progress>>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A TCP stream that tells its [`Watch`] when a flush went through.
#[derive(Debug)]
pub(super) struct Watched {
    tcp: TcpStream,
    watch: Watch,
}

impl Watched {
    pub(super) fn new(tcp: TcpStream) -> (Self, Watch) {
        let watch = Watch::default();
        (Self { tcp, watch: watch.clone() }, watch)
    }
}

impl AsyncTokioStream for Watched {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.peer_addr()
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.tcp).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            this.watch.flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;

    #[tokio::test]
    async fn only_an_armed_watch_marks_the_end_of_data_and_only_once_flushed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut stream, watch) = Watched::new(tcp);
        let progress = Arc::new(Progress::at(Stage::Data));

        stream.flush().await.unwrap();
        assert_eq!(progress.get(), Stage::Data, "not armed: a flush changes nothing");
        watch.arm(&progress);
        stream.write_all(b"message\r\n.\r\n").await.unwrap();
        assert_eq!(progress.get(), Stage::Data, "written is not yet flushed");
        stream.flush().await.unwrap();
        assert_eq!(progress.get(), Stage::EndOfData);

        let next = Arc::new(Progress::at(Stage::Data));
        watch.arm(&next);
        watch.disarm();
        stream.flush().await.unwrap();
        assert_eq!(next.get(), Stage::Data, "disarmed: the next send is not touched");
    }
}
