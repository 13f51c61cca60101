//! Request bodies over real TCP: a chunked upload decoded for the app, `Expect: 100-continue`,
//! a client that disappears half-way through its body, and `--timeout` for clients that stop
//! sending.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use common::*;

/// A chunked upload is decoded before the app sees it: the echo app reads plain bytes from
/// wsgi.input, CONTENT_LENGTH gives their number (the server knows it once the body is in),
/// and wsgi.input_terminated says reading to the end is safe.
#[test]
fn chunked_body_is_decoded_into_wsgi_input() {
    let server = start_server(&[&path("apps/echo.py")]);
    let raw = server.send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
          Transfer-Encoding: chunked\r\n\r\n\
          6\r\nhello \r\n5;note=ext\r\nworld\r\n0\r\n\r\n",
    );
    let reply = assert_reply(&raw, 200, &[]);
    assert_eq!(reply.text(), "hello world");
    assert_eq!(reply.header("Content-Type").as_deref(), Some("text/plain"));
    let record = server.next_typed();
    assert_eq!(environ(&record, "CONTENT_LENGTH"), Some("'11'"));
    assert_eq!(environ(&record, "wsgi.input_terminated"), Some("True"));
    assert_eq!(
        environ(&record, "HTTP_TRANSFER_ENCODING"),
        Some("'chunked'")
    );
}

/// A Content-Length body reaches the app whole; the echo app answers a GET with its form.
#[test]
fn content_length_body_is_echoed_and_get_shows_the_form() {
    let server = start_server(&[&path("apps/echo.py")]);
    let raw = server.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 8\r\n\r\n{\"a\": 1}",
    );
    let reply = assert_reply(&raw, 200, &["{\"a\": 1}"]);
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("application/json")
    );
    assert_eq!(environ(&server.next_typed(), "CONTENT_LENGTH"), Some("'8'"));

    let form = assert_reply(&server.get("/"), 200, &[]);
    assert!(
        form.text().contains("<form method=\"post\">"),
        "{}",
        form.text()
    );
}

/// With `Expect: 100-continue` a client sends the head, then waits for `100 Continue` before
/// uploading the body (RFC 9110 §10.1.1). This client does exactly that: it reads the interim
/// response first, and only then sends the body.
#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let server = start_server(&[&path("apps/echo.py")]);
    let mut conn = server.connect();
    conn.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let interim = read_until(&mut conn, b"\r\n\r\n");
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.write_all(b"hello").unwrap();
    let reply = assert_reply(&read_to_end(&mut conn), 200, &[]);
    assert_eq!(reply.text(), "hello");
    let record = server.next_typed();
    let raw = &record.response.raw;
    assert!(
        raw.starts_with("HTTP/1.1 100 Continue\\r\\n\\r\\nHTTP/1.1 200 OK"),
        "{raw}"
    );
}

/// A client that goes away half-way through its body costs nothing but its own exchange: the
/// record says what happened and the next client is served.
#[test]
fn client_disconnecting_mid_body_does_not_stop_the_server() {
    let server = start_server(&[&path("apps/echo.py")]);
    let mut conn = server.connect();
    conn.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
        .unwrap();
    hang_up(&conn);
    let record = server.next_typed();
    assert_error(
        &record,
        &["request-incomplete"],
        &["before the request was complete"],
    );
    assert_eq!(record.response.status, None, "{record:?}");

    let raw = server.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnext");
    assert_eq!(assert_reply(&raw, 200, &[]).text(), "next");
}

/// `--timeout`: a client that began a request and went silent gets a 408 after the timeout; a
/// client that sent nothing at all is dropped without an answer and without a record. Neither
/// holds the others: a third client is served at once, while both wait.
#[test]
fn silent_clients_are_dropped_after_the_timeout_and_the_next_is_served() {
    let server = start_server(&["--timeout", "1", &path("apps/hello.py")]);
    let mut silent = server.connect();
    let started = Instant::now();
    let mut half = server.connect();
    half.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();

    let reply = assert_reply(&server.get("/meanwhile"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
    // Records come as exchanges end: this one ended first, before either timeout.
    assert_eq!(
        server.next_typed().request.target.as_deref(),
        Some("/meanwhile"),
        "the third client was not served before the silent ones timed out"
    );

    assert_reply(&read_to_end(&mut half), 408, &["--timeout"]);
    let took = started.elapsed();
    // Hang up, so the server stops waiting for the rest of what we might still send.
    drop(half);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "the 408 came after {took:?}"
    );
    assert_eq!(server.next_typed().response.status, Some(408));

    let got = read_to_end(&mut silent);
    assert!(
        got.is_empty(),
        "a silent client got {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // No record for the silent client: the next one is the next request's.
    let reply = assert_reply(&server.get("/last"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
    let record = server.next_typed();
    assert_eq!(
        record.request.target.as_deref(),
        Some("/last"),
        "{record:?}"
    );
}
