//! One SMTP session: `smtp-proto` parses each command (and, after DATA,
//! undoes the dot-stuffing); this file keeps the envelope, checks every
//! recipient's token (and a reply address's link generation) at RCPT,
//! enforces the limits and writes the replies.
//! Commands may be pipelined: they are answered in order, and the replies
//! go out before the next read.

use std::io::Write;

use chrono::Utc;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{
    EXT_8BIT_MIME, EXT_ENHANCED_STATUS_CODES, EXT_PIPELINING, EXT_SIZE, EhloResponse, Error as ProtoError, MailFrom,
    Request, Response,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Inbound;
use crate::domain::{AddressClaims, AddressError};
use crate::metrics::Refusal;
use crate::store;

/// Bytes read from the socket at once.
const READ_CHUNK: usize = 16 * 1024;

/// What a command leads to.
enum Next {
    Command,
    Data,
    Quit,
}

/// The message being received after DATA.
struct Data {
    receiver: DataReceiver,
    message: Vec<u8>,
    /// It went past `inbound.max_bytes`: the rest is read and dropped.
    too_big: bool,
}

struct Session<'a> {
    inbound: &'a Inbound,
    stream: TcpStream,
    /// Replies not written yet.
    out: Vec<u8>,
    in_transaction: bool,
    recipients: Vec<AddressClaims>,
}

/// Runs one session until QUIT, the peer closing, shutdown or the deadline.
pub(super) async fn run(inbound: &Inbound, stream: TcpStream, shutdown: CancellationToken) -> anyhow::Result<()> {
    let deadline = Instant::now() + inbound.parts.settings.session_timeout.as_std();
    let mut session = Session { inbound, stream, out: Vec::new(), in_transaction: false, recipients: Vec::new() };
    session.reply(220, [0, 0, 0], &format!("{} tend ESMTP", inbound.parts.domain.as_str()));
    let mut requests = RequestReceiver::default();
    let mut data: Option<Data> = None;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        session.flush().await?;
        let read = tokio::select! {
            read = tokio::time::timeout_at(deadline, session.stream.read(&mut buf)) => read,
            () = shutdown.cancelled() => return session.close(421, [4, 3, 2], "Shutting down, try again later").await,
        };
        let Ok(read) = read else {
            inbound.parts.metrics.inbound.refuse(Refusal::TimedOut);
            tracing::info!("an inbound session ran past inbound.session_timeout; closed");
            return session.close(421, [4, 4, 2], "Session too long, closing").await;
        };
        let n = read?;
        if n == 0 {
            return Ok(());
        }
        let mut bytes = buf[..n].iter();
        loop {
            if let Some(receiving) = data.as_mut() {
                let complete = receiving.receiver.ingest(&mut bytes, &mut receiving.message);
                if receiving.message.len() > inbound.parts.settings.max_bytes {
                    receiving.message = Vec::new();
                    receiving.too_big = true;
                }
                match (complete, data.take()) {
                    (true, Some(received)) => session.end_of_data(received).await,
                    (_, unfinished) => {
                        data = unfinished;
                        break;
                    }
                }
                continue;
            }
            match requests.ingest(&mut bytes).map(Request::into_owned) {
                Ok(request) => match session.command(request).await {
                    Next::Command => {}
                    Next::Data => {
                        data = Some(Data { receiver: DataReceiver::new(), message: Vec::new(), too_big: false })
                    }
                    Next::Quit => return session.close(221, [2, 0, 0], "Bye").await,
                },
                Err(ProtoError::NeedsMoreData { .. }) => break,
                Err(err) => session.refuse_syntax(&err),
            }
        }
    }
}

impl Session<'_> {
    async fn command(&mut self, request: Request<String>) -> Next {
        match request {
            Request::Ehlo { .. } => {
                self.reset();
                let mut ehlo = EhloResponse::new(self.inbound.parts.domain.as_str());
                ehlo.capabilities = EXT_SIZE | EXT_8BIT_MIME | EXT_ENHANCED_STATUS_CODES | EXT_PIPELINING;
                ehlo.size = self.inbound.parts.settings.max_bytes;
                let _ = ehlo.write(&mut self.out);
            }
            Request::Helo { .. } => {
                self.reset();
                self.reply(250, [0, 0, 0], self.inbound.parts.domain.as_str());
            }
            Request::Mail { from } => self.mail(&from),
            Request::Rcpt { to } => self.rcpt(&to.address).await,
            Request::Data => return self.data(),
            Request::Rset => {
                self.reset();
                self.reply(250, [2, 0, 0], "OK");
            }
            Request::Noop { .. } => self.reply(250, [2, 0, 0], "OK"),
            Request::Vrfy { .. } => self.reply(252, [2, 5, 0], "Cannot VRFY; send the mail"),
            Request::Help { .. } => self.reply(214, [2, 0, 0], "This server takes replies to tend's mail"),
            Request::Quit => return Next::Quit,
            Request::Lhlo { .. }
            | Request::Auth { .. }
            | Request::StartTls
            | Request::Bdat { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => self.reply(502, [5, 5, 1], "Command not implemented"),
        }
        Next::Command
    }

    fn mail(&mut self, from: &MailFrom<String>) {
        if self.in_transaction {
            return self.reply(503, [5, 5, 1], "Sender already given");
        }
        if from.size > self.inbound.parts.settings.max_bytes {
            self.inbound.parts.metrics.inbound.refuse(Refusal::TooBig);
            return self.reply(552, [5, 3, 4], "Message too big");
        }
        self.in_transaction = true;
        self.reply(250, [2, 1, 0], "OK");
    }

    /// The token decides: only tend's own, unexpired addresses take mail,
    /// and a reply address only while it is of the subscriber's current
    /// link generation.
    async fn rcpt(&mut self, address: &str) {
        if !self.in_transaction {
            return self.reply(503, [5, 5, 1], "MAIL first");
        }
        if self.recipients.len() >= self.inbound.parts.settings.max_recipients {
            return self.reply(452, [4, 5, 3], "Too many recipients");
        }
        let parts = &self.inbound.parts;
        let checked = match parts.signer.verify_address(address, &parts.domain, Utc::now()) {
            Ok(claims) => current(self.inbound, claims).await,
            Err(err) => Ok(Err(err)),
        };
        match checked {
            Ok(Ok(claims)) => {
                self.recipients.push(claims);
                self.reply(250, [2, 1, 5], "OK");
            }
            Ok(Err(err)) => {
                parts.metrics.inbound.refuse(Refusal::BadAddress);
                tracing::info!(reason = ?err, "refused a recipient");
                let text = match err {
                    AddressError::Expired => "This address has expired",
                    AddressError::Revoked => "This address was switched off",
                    AddressError::NotOurs | AddressError::Invalid => "No such address here",
                };
                self.reply(550, [5, 1, 1], text);
            }
            Err(err) => {
                tracing::error!(error = ?err, "cannot check a recipient; the MX will try again");
                self.reply(451, [4, 3, 0], "Cannot check this address now, try again later");
            }
        }
    }

    fn data(&mut self) -> Next {
        if !self.in_transaction {
            self.reply(503, [5, 5, 1], "MAIL first");
        } else if self.recipients.is_empty() {
            self.reply(554, [5, 5, 1], "No valid recipients");
        } else {
            self.reply(354, [0, 0, 0], "End data with <CR><LF>.<CR><LF>");
            return Next::Data;
        }
        Next::Command
    }

    /// 250 once what the message means is written; 451 if it could not be.
    async fn end_of_data(&mut self, received: Data) {
        let recipients = std::mem::take(&mut self.recipients);
        self.in_transaction = false;
        if received.too_big {
            self.inbound.parts.metrics.inbound.refuse(Refusal::TooBig);
            return self.reply(552, [5, 3, 4], "Message too big");
        }
        match self.inbound.act(&recipients, &received.message).await {
            Ok(()) => self.reply(250, [2, 0, 0], "Thank you"),
            Err(err) => {
                tracing::error!(error = ?err, "cannot act on an inbound message; the MX will try again");
                self.reply(451, [4, 3, 0], "Cannot take it now, try again later");
            }
        }
    }

    fn refuse_syntax(&mut self, err: &ProtoError) {
        let (code, esc, text) = match err {
            ProtoError::UnknownCommand => (500, [5, 5, 1], "Unknown command"),
            ProtoError::ResponseTooLong => (500, [5, 5, 2], "Line too long"),
            ProtoError::InvalidSenderAddress => (501, [5, 1, 7], "Bad sender address"),
            ProtoError::InvalidRecipientAddress => (501, [5, 1, 3], "Bad recipient address"),
            ProtoError::UnsupportedParameter { .. } => (555, [5, 5, 4], "Parameter not supported"),
            _ => (501, [5, 5, 4], "Syntax error"),
        };
        self.reply(code, esc, text);
    }

    fn reset(&mut self) {
        self.in_transaction = false;
        self.recipients.clear();
    }

    /// A reply, with its enhanced status code (RFC 3463) unless `esc` is
    /// all zeros (the greeting and 354 have none).
    fn reply(&mut self, code: u16, [class, subject, detail]: [u8; 3], text: &str) {
        // Writing into a Vec cannot fail.
        let _ = match class {
            0 => write!(self.out, "{code} {text}\r\n"),
            _ => Response::new(code, class, subject, detail, text).write(&mut self.out),
        };
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    async fn close(mut self, code: u16, esc: [u8; 3], text: &str) -> anyhow::Result<()> {
        self.reply(code, esc, text);
        self.flush().await?;
        let _ = self.stream.shutdown().await;
        Ok(())
    }
}

/// The claims if the address still works: a reply address of an earlier
/// link generation ("sign out my links", unsubscribing), or of a delivery
/// that is gone, does not. Bounce addresses are not revocable and need no
/// lookup.
async fn current(inbound: &Inbound, claims: AddressClaims) -> anyhow::Result<Result<AddressClaims, AddressError>> {
    if !claims.is_revocable() {
        return Ok(Ok(claims));
    }
    let found = store::links::generation_of_delivery(&inbound.parts.pool, claims.delivery_id).await?;
    Ok(match found {
        Some((_, generation)) => claims.current(generation),
        None => Err(AddressError::Invalid),
    })
}
