//! The accept loop. `axum::serve` sets no timer and accepts until the process runs out of file
//! descriptors, so a few hundred clients that send half a request and wait (slowloris) used to
//! lock everyone out. Here every connection's heads are checked and timed (`request_head`), and
//! open connections are capped below the process's file limit: past the cap, new connections
//! wait in the kernel's accept queue until a slot frees, which a half-sent request does within
//! the header timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower_service::Service;

use super::request_head::{GuardedIo, MAX_HEAD_BYTES, Refusal, RefusalSlot, STAND_IN_PATH};

/// File descriptors kept free for the database, the runtime and the standard streams: at
/// least this many, or an eighth of the limit.
const RESERVED_FILES: u64 = 64;
/// The cap whatever the file limit: each connection costs memory too.
const MAX_CONNECTIONS: u64 = 16_384;

/// How many connections may be open at once with this file limit (`None`: unknown).
pub fn connection_cap(file_limit: Option<u64>) -> usize {
    let limit = file_limit.unwrap_or(1024);
    let reserve = (limit / 8).max(RESERVED_FILES);
    let cap = limit.saturating_sub(reserve).clamp(16, MAX_CONNECTIONS);
    usize::try_from(cap).unwrap_or(16)
}

/// The soft limit on open files (`RLIMIT_NOFILE`) of this process, where the system says.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    match line.split_whitespace().nth(3)? {
        "unlimited" => Some(u64::MAX),
        soft => soft.parse().ok(),
    }
}

/// Serves `router` on `listener` until `stop` resolves, then lets open connections finish
/// their requests and close.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let cap = connection_cap(open_file_limit());
    tracing::debug!(cap, "accepting connections");
    let slots = Arc::new(Semaphore::new(cap));
    let (closing, closing_seen) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors despite the cap (another part of the process holds
                    // them), or a connection that died in the queue: wait a little, go on.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            header_timeout,
            closing: closing_seen.clone(),
            _slot: slot,
        };
        tokio::spawn(connection.run(stream));
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a slot until it ends.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// One accepted connection.
struct Connection {
    router: Router,
    peer: SocketAddr,
    header_timeout: Duration,
    closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let refusal = RefusalSlot::default();
        let io = TokioIo::new(GuardedIo::new(
            stream,
            self.header_timeout,
            Arc::clone(&refusal),
        ));
        let (router, peer) = (self.router.clone(), self.peer);
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            // Heads before the refused one, read at the same time, are answered first.
            let refused = (request.uri().path() == STAND_IN_PATH)
                .then(|| refusal.lock().ok().and_then(|mut slot| slot.take()))
                .flatten();
            let mut router = router.clone();
            async move {
                if let Some(refusal) = refused {
                    return Ok::<_, Infallible>(refusal_answer(refusal));
                }
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                router.call(request).await
            }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        // Heads are checked and bounded before hyper reads them; bodies are bounded by the
        // router. A client that closes its sending side still gets its answer.
        http.half_close(true).max_buf_size(MAX_HEAD_BYTES * 4);
        let connection = http.serve_connection(io, service);
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, peer = %self.peer, "connection ended with an error");
                }
            }
            () = closed(&mut self.closing) => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

/// A refused head's answer: JSON like every other, and the end of the connection (what
/// followed the head cannot be trusted to be framed).
fn refusal_answer(refusal: Refusal) -> Response {
    let mut response = (
        refusal.status,
        axum::Json(json!({ "detail": refusal.detail })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_below_the_file_limit() {
        assert_eq!(connection_cap(Some(256)), 192);
        assert_eq!(connection_cap(Some(1024)), 896);
        assert_eq!(connection_cap(Some(u64::MAX)), 16_384);
        assert_eq!(connection_cap(Some(20)), 16);
        assert_eq!(connection_cap(None), 896);
    }

    #[test]
    fn the_file_limit_is_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             63448                63448                processes\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_file_limit(limits), Some(1024));
        let unlimited = "Max open files            unlimited            unlimited            files";
        assert_eq!(parse_open_file_limit(unlimited), Some(u64::MAX));
        assert_eq!(parse_open_file_limit("nothing here"), None);
    }
}
