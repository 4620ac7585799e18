//! Request heads: half-sent ones (slowloris) are cut off and cannot lock others out, and the
//! ones hyper would answer with a bare status get JSON like every other answer.

use std::time::Duration;

use geobox_server::{MAX_URI_BYTES, ServerOptions};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ADMIN_PASSWORD, ServeChild, start_empty};

const HALF_A_HEAD: &[u8] = b"GET /v1/plans/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow";
const HALF_A_BODY: &[u8] = b"POST /v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\
    Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_and_cannot_lock_others_out() {
    // More half-sent requests than the server has file descriptors.
    const FILE_LIMIT: u32 = 256;
    const ATTACKERS: usize = 300;
    let server = ServeChild::start(&["--header-timeout", "1"], Some(FILE_LIMIT));
    let address = server
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1/")
        .to_string();
    let mut attackers = Vec::new();
    for number in 0..ATTACKERS {
        let mut stream = TcpStream::connect(&address).await.expect("connects");
        // Half of them send a whole head and then only part of the body it announces.
        let half = if number % 2 == 0 {
            HALF_A_HEAD
        } else {
            HALF_A_BODY
        };
        stream.write_all(half).await.expect("sends half a request");
        attackers.push(stream);
    }

    let api = server.api();
    let answered = tokio::time::timeout(
        Duration::from_secs(15),
        api.sign_in("admin", ADMIN_PASSWORD),
    )
    .await
    .expect("a real request gets through during the attack");
    assert_eq!(answered.status(), StatusCode::OK);

    // Each is closed: a half head without a word, a half body after a 400 saying so.
    let mut closed = 0;
    for (number, mut stream) in attackers.into_iter().enumerate() {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
        if read.await.is_ok() {
            closed += 1;
        }
        if number % 2 == 0 {
            assert!(answer.is_empty(), "a half head was answered");
        } else if !answer.is_empty() {
            assert!(answer.starts_with(b"HTTP/1.1 400"), "{answer:?}");
        }
    }
    assert_eq!(closed, ATTACKERS, "half-sent requests the server closed");
}

/// Every response on one connection after sending `bytes`, read until the server closes it.
async fn exchange(address: std::net::SocketAddr, bytes: &[u8]) -> Vec<(u16, String)> {
    let mut stream = TcpStream::connect(address).await.expect("connects");
    stream.write_all(bytes).await.expect("sends");
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received));
    read.await.expect("the server closes").expect("reads");
    parse_responses(&received)
}

/// `(status, body)` of each HTTP/1.1 response in `bytes` (bodies framed by content-length).
fn parse_responses(mut bytes: &[u8]) -> Vec<(u16, String)> {
    let mut responses = Vec::new();
    while !bytes.is_empty() {
        let end = bytes
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a complete head")
            + 4;
        let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
        let status = head[9..12].parse().expect("a status");
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().expect("a length"));
        let body = String::from_utf8_lossy(&bytes[end..end + length]).to_string();
        responses.push((status, body));
        bytes = &bytes[end + length..];
    }
    responses
}

fn detail(body: &str) -> String {
    let json: Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("the body is not JSON: {body:?}"));
    json["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {json}"))
        .to_string()
}

#[tokio::test]
async fn heads_hyper_would_answer_bare_are_answered_with_json() {
    let (server, _) = start_empty(ServerOptions::default()).await;
    let long = format!(
        "GET /v1/users/?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(MAX_URI_BYTES + 10)
    );
    let escape = b"GET /v1/plans/ HTTP/1.1\r\nHost: x\r\nUser-Agent: \x1b]52;c;aGk=\x07\r\n\r\n";
    let many: String = (0..120).map(|n| format!("X-{n}: y\r\n")).collect();
    let many = format!("GET /v1/plans/ HTTP/1.1\r\n{many}\r\n");
    for (bytes, status) in [
        (long.as_bytes(), 414),
        (escape.as_slice(), 400),
        (many.as_bytes(), 431),
        (
            b"GET /v1/plans/ HTTP/1.1\r\nContent-Length: x\r\n\r\n".as_slice(),
            400,
        ),
    ] {
        let answers = exchange(server.addr, bytes).await;
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0].0, status, "{answers:?}");
        assert!(!detail(&answers[0].1).is_empty());
    }

    // On a kept-alive connection: the good request is answered as usual, the bad one in JSON.
    let mut both = b"GET /v1/plans/ HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    both.extend_from_slice(escape);
    let answers = exchange(server.addr, &both).await;
    assert_eq!(
        answers.iter().map(|answer| answer.0).collect::<Vec<_>>(),
        [401, 400]
    );
    assert_eq!(detail(&answers[0].1), "not authenticated");
    assert!(detail(&answers[1].1).contains("header"), "{answers:?}");

    // A huge filter sent on a pooled connection, as the Python SDK would (reqwest cannot).
    let mut both = b"GET /v1/plans/ HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    both.extend_from_slice(long.as_bytes());
    let answers = exchange(server.addr, &both).await;
    assert_eq!(
        answers.iter().map(|answer| answer.0).collect::<Vec<_>>(),
        [401, 414]
    );
    assert!(detail(&answers[1].1).contains("longer than"), "{answers:?}");
    server.shutdown().await;
}
