//! Every request head is read and checked here before hyper sees it, for two reasons:
//! a client that sends half a head and stops (slowloris) is cut off after a few seconds, and a
//! head hyper would refuse with a bare, bodiless status (a URL over 64 KB, a control character
//! in a header, a malformed line) is answered with JSON instead, as the SDK needs.
//!
//! A body that stops arriving is cut off after the same timeout.
//!
//! [`GuardedIo`] wraps the connection and follows HTTP/1.1 framing on the read side: a head,
//! then `Content-Length` bytes of body, then the next head. A head it refuses is replaced by a
//! small stand-in request that the connection's service answers with the refusal (see
//! [`Refusal`]), and the connection ends after it. A chunked body is passed through, and the
//! rest of that connection with it: hyper still checks those heads, and answers bare.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// The longest request target accepted; longer is a 414 (hyper's own limit is 65,534).
pub const MAX_URI_BYTES: usize = 64_000;
/// The largest request head accepted (request line and headers); larger is a 431.
pub const MAX_HEAD_BYTES: usize = 96 * 1024;
/// As many headers as hyper accepts.
const MAX_HEADERS: usize = 100;
/// How long a connection may sit between requests once it has made one.
pub const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(60);

/// The path of the stand-in request that takes a refused head's place (a client sending it
/// itself finds no refusal waiting and gets a 404).
pub const STAND_IN_PATH: &str = "/refused-request-head";
const STAND_IN_HEAD: &[u8] = b"GET /refused-request-head HTTP/1.1\r\nhost: localhost\r\n\r\n";

/// Why a head was refused: the status and the `detail` of the JSON answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub detail: String,
}

impl Refusal {
    fn new(status: StatusCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            status,
            detail: detail.into(),
        }
    }
}

/// Where a connection's refusal waits for its service to answer it.
pub type RefusalSlot = Arc<Mutex<Option<Refusal>>>;

/// How the bytes after a checked head are framed.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Length(u64),
    /// Chunked: hyper follows it; this wrapper stops looking at the connection.
    Chunked,
}

/// Checks one complete head (ending in an empty line).
fn check_head(head: &[u8]) -> Result<Framing, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "incomplete request head",
            ));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("more than {MAX_HEADERS} headers"),
            ));
        }
        Err(error) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("malformed request head: {error}"),
            ));
        }
    }
    let target = request.path.unwrap_or_default();
    if target.len() > MAX_URI_BYTES {
        return Err(uri_too_long());
    }
    if axum::http::Uri::try_from(target).is_err() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "malformed request URL",
        ));
    }
    let mut length = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Ok(Framing::Chunked);
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok());
            match (value, length) {
                (Some(value), None) => length = Some(value),
                (Some(value), Some(seen)) if value == seen => {}
                _ => {
                    return Err(Refusal::new(
                        StatusCode::BAD_REQUEST,
                        "invalid content-length header",
                    ));
                }
            }
        }
    }
    Ok(Framing::Length(length.unwrap_or(0)))
}

fn uri_too_long() -> Refusal {
    Refusal::new(
        StatusCode::URI_TOO_LONG,
        format!("the request URL is longer than {MAX_URI_BYTES} bytes"),
    )
}

/// Where the connection is in the request stream.
enum Reading {
    /// Collecting a head; `deadline` is set when the wait starts.
    Head,
    /// Passing this many body bytes on.
    Body(u64),
    /// Passing everything on unchecked (after a chunked body).
    Through,
    /// A head was refused: end of input once the stand-in is read.
    Ended,
}

/// A connection whose request heads are checked (see the module documentation).
pub struct GuardedIo {
    stream: TcpStream,
    reading: Reading,
    /// Bytes of a head not yet complete.
    head: Vec<u8>,
    /// Checked bytes waiting for hyper to read them.
    ready: Vec<u8>,
    ready_from: usize,
    header_timeout: Duration,
    /// Whether a request has been read (the next wait is a keep-alive wait).
    served: bool,
    deadline: Option<Pin<Box<Sleep>>>,
    refusal: RefusalSlot,
}

impl GuardedIo {
    pub fn new(stream: TcpStream, header_timeout: Duration, refusal: RefusalSlot) -> GuardedIo {
        GuardedIo {
            stream,
            reading: Reading::Head,
            head: Vec::new(),
            ready: Vec::new(),
            ready_from: 0,
            header_timeout,
            served: false,
            deadline: None,
            refusal,
        }
    }

    /// Moves freshly read bytes through the framing.
    fn take_in(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.reading {
                Reading::Ended => return,
                Reading::Through => {
                    self.ready.extend_from_slice(bytes);
                    return;
                }
                Reading::Body(remaining) => {
                    let take = bytes
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    self.ready.extend_from_slice(&bytes[..take]);
                    *remaining -= take as u64;
                    bytes = &bytes[take..];
                    if *remaining == 0 {
                        self.start_head();
                    }
                }
                Reading::Head => {
                    if self.head.is_empty() && (self.served || self.deadline.is_none()) {
                        // A kept-alive client has started its next request: from now it has
                        // the header timeout to finish it, however long it was idle before.
                        // A new connection's clock runs from when it opened.
                        self.deadline = Some(Box::pin(tokio::time::sleep(self.header_timeout)));
                    }
                    let searched = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(bytes);
                    bytes = &[];
                    let Some(end) = find_head_end(&self.head[searched..]).map(|at| searched + at)
                    else {
                        if let Some(refusal) = oversized(&self.head) {
                            self.refuse(refusal);
                        }
                        continue;
                    };
                    let rest = self.head.split_off(end);
                    let head = std::mem::take(&mut self.head);
                    match check_head(&head) {
                        Ok(framing) => {
                            self.ready.extend_from_slice(&head);
                            self.served = true;
                            // A body has the header timeout too, from when it is awaited.
                            self.deadline = None;
                            self.reading = match framing {
                                Framing::Length(0) => Reading::Head,
                                Framing::Length(length) => Reading::Body(length),
                                Framing::Chunked => Reading::Through,
                            };
                            self.take_in(&rest);
                        }
                        Err(refusal) => self.refuse(refusal),
                    }
                }
            }
        }
    }

    fn start_head(&mut self) {
        self.reading = Reading::Head;
        self.deadline = None;
    }

    fn refuse(&mut self, refusal: Refusal) {
        tracing::debug!(status = %refusal.status, detail = %refusal.detail, "request head refused");
        if let Ok(mut slot) = self.refusal.lock() {
            *slot = Some(refusal);
        }
        self.head = Vec::new();
        self.ready.extend_from_slice(STAND_IN_HEAD);
        self.reading = Reading::Ended;
    }

    /// Whether the wait for a head (or a body) is over: `Some(true)` ends the connection
    /// quietly (an idle keep-alive connection), `Some(false)` with an error (half a head, a
    /// body that stopped coming, or nothing at all).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Option<bool> {
        if !matches!(self.reading, Reading::Head | Reading::Body(_)) {
            return None;
        }
        let idle = matches!(self.reading, Reading::Head) && self.head.is_empty() && self.served;
        let timeout = if idle {
            KEEP_ALIVE_IDLE
        } else {
            self.header_timeout
        };
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        deadline.as_mut().poll(cx).is_ready().then_some(idle)
    }
}

/// Where the empty line ending a head is (the index just after it).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// A head that is already too long to accept, before its end has arrived.
fn oversized(head: &[u8]) -> Option<Refusal> {
    let line_ended = head.windows(2).any(|window| window == b"\r\n");
    if !line_ended && head.len() > MAX_URI_BYTES + 64 {
        return Some(uri_too_long());
    }
    (head.len() > MAX_HEAD_BYTES).then(|| {
        Refusal::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request head is larger than {MAX_HEAD_BYTES} bytes"),
        )
    })
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.ready_from < this.ready.len() {
                let available = &this.ready[this.ready_from..];
                let take = available.len().min(buf.remaining());
                buf.put_slice(&available[..take]);
                this.ready_from += take;
                if this.ready_from == this.ready.len() {
                    this.ready.clear();
                    this.ready_from = 0;
                }
                return Poll::Ready(Ok(()));
            }
            match this.reading {
                Reading::Ended => return Poll::Ready(Ok(())),
                Reading::Through => return Pin::new(&mut this.stream).poll_read(cx, buf),
                Reading::Head | Reading::Body(_) => {}
            }
            let mut scratch = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut read) {
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => this.take_in(read.filled()),
                // The clock only counts while nothing has arrived: a server too busy to read
                // for a while must not blame the client for it.
                Poll::Pending => {
                    return match this.poll_deadline(cx) {
                        None => Poll::Pending,
                        Some(true) => Poll::Ready(Ok(())),
                        Some(false) => Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the request head did not arrive in time",
                        ))),
                    };
                }
            }
        }
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_framed_by_their_length() {
        let plain = b"GET /v1/plans/ HTTP/1.1\r\nhost: x\r\n\r\n";
        assert_eq!(check_head(plain), Ok(Framing::Length(0)));
        let body = b"POST /v1/auth/token/ HTTP/1.1\r\nContent-Length: 12\r\n\r\n";
        assert_eq!(check_head(body), Ok(Framing::Length(12)));
        let chunked = b"POST /v1/users/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(check_head(chunked), Ok(Framing::Chunked));
    }

    #[test]
    fn heads_hyper_would_answer_bare_are_refused_with_a_reason() {
        let escape = b"GET /v1/plans/ HTTP/1.1\r\nUser-Agent: a\x1b[31m\r\n\r\n";
        let refusal = check_head(escape).expect_err("ESC in a header");
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        let long = format!("GET /v1/users/?q={} HTTP/1.1\r\n\r\n", "a".repeat(70_000));
        let refusal = check_head(long.as_bytes()).expect_err("long URL");
        assert_eq!(refusal.status, StatusCode::URI_TOO_LONG);
        let twice = b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(
            check_head(twice).map_err(|refusal| refusal.status),
            Err(StatusCode::BAD_REQUEST)
        );
        let many: String = (0..120).map(|n| format!("x-{n}: y\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            check_head(many.as_bytes()).map_err(|refusal| refusal.status),
            Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
    }

    #[test]
    fn an_unfinished_head_is_refused_once_it_cannot_fit() {
        assert_eq!(oversized(b"GET /v1/"), None);
        let line = vec![b'a'; MAX_URI_BYTES + 100];
        assert_eq!(
            oversized(&line).map(|refusal| refusal.status),
            Some(StatusCode::URI_TOO_LONG)
        );
        let mut headers = b"GET / HTTP/1.1\r\n".to_vec();
        headers.extend(std::iter::repeat_n(b'h', MAX_HEAD_BYTES));
        assert_eq!(
            oversized(&headers).map(|refusal| refusal.status),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
    }
}
