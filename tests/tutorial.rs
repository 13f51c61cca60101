//! The tutorial's experience, over real TCP: the transcript typed into telnet, the ways a
//! request may arrive (a byte at a time, a line at a time, LF-only line ends), HTTP/1.0, HEAD,
//! and how the request's bytes become PATH_INFO, QUERY_STRING and HTTP_* keys.

mod common;

use std::time::Duration;

use common::*;

/// The classic transcript: `GET / HTTP/1.1` and a blank line, no Host header. The server
/// answers `hello world!` as the tutorial's does, and the record notes the missing Host
/// (RFC 9112 §3.2) instead of refusing the request.
#[test]
fn tutorial_transcript_answers_hello_world_and_notes_missing_host() {
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = assert_reply(&server.send(b"GET / HTTP/1.1\r\n\r\n"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
    assert_eq!(reply.header("Content-Length").as_deref(), Some("12"));
    assert_eq!(reply.header("Connection").as_deref(), Some("close"));

    let record = server.next_typed();
    assert_eq!(record.request.method.as_deref(), Some("GET"), "{record:?}");
    assert_eq!(record.response.status, Some(200), "{record:?}");
    assert_check(&record, "missing-host");
}

/// A program may send a request one byte at a time: "not complete yet" is a reason to read
/// more, not an error, so the parser is incremental.
#[test]
fn request_arriving_one_byte_at_a_time_is_served() {
    let server = start_server(&[&path("apps/hello.py")]);
    let request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let bytes: Vec<&[u8]> = request.chunks(1).collect();
    let reply = assert_reply(
        &server.send_slowly(&bytes, Duration::from_millis(2)),
        200,
        &[],
    );
    assert_eq!(reply.text(), "hello world!");
    let record = server.next_typed();
    assert_eq!(
        record.request.raw,
        "GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
    );
}

/// A person in telnet sends a line each time they press Enter; the server waits for the blank
/// line that ends the head.
#[test]
fn request_typed_line_by_line_is_served() {
    let server = start_server(&[&path("apps/hello.py")]);
    let lines: [&[u8]; 3] = [b"GET / HTTP/1.1\r\n", b"Host: localhost\r\n", b"\r\n"];
    let reply = assert_reply(
        &server.send_slowly(&lines, Duration::from_millis(50)),
        200,
        &[],
    );
    assert_eq!(reply.text(), "hello world!");
    assert_eq!(server.next_typed().checks, []);
}

/// netcat and some telnets end lines with LF alone; RFC 9112 §2.2 lets a server accept that.
#[test]
fn lf_only_line_endings_are_accepted() {
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = assert_reply(&server.send(b"GET / HTTP/1.1\nHost: x\n\n"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
}

/// HTTP/1.0 needs no Host header and is answered (in HTTP/1.1, the version the server
/// speaks); the app sees SERVER_PROTOCOL 'HTTP/1.0'.
#[test]
fn http_1_0_request_is_served_without_host() {
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = assert_reply(&server.send(b"GET / HTTP/1.0\r\n\r\n"), 200, &[]);
    assert_eq!(reply.text(), "hello world!");
    let record = server.next_typed();
    assert_eq!(environ(&record, "SERVER_PROTOCOL"), Some("'HTTP/1.0'"));
    assert_eq!(record.checks, [], "{record:?}");
}

/// HEAD gets the app's headers and no body (RFC 9110 §9.3.2). The server adds no
/// Content-Length of its own: a Content-Length in a HEAD response must be the length a GET
/// would get (§8.6), and what the app returned for HEAD says nothing about that; one the app
/// sets itself is sent as given.
#[test]
fn head_gets_the_headers_of_get_and_no_body() {
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = assert_reply(
        &server.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"),
        200,
        &[],
    );
    assert_eq!(reply.header("Content-Length"), None);
    assert_eq!(reply.header("Transfer-Encoding"), None);
    assert_eq!(reply.header("Content-Type").as_deref(), Some("text/plain"));
    assert!(reply.body.is_empty(), "a body came: {:?}", reply.text());
}

/// PATH_INFO is percent-decoded and then read as latin-1 (PEP 3333's bytes-as-str): the UTF-8
/// bytes of `/café` arrive as the four characters `/cafÃ©`. QUERY_STRING stays exactly as sent.
/// The environ dump app shows the same values the record holds.
#[test]
fn path_info_is_percent_decoded_as_latin1_and_query_string_stays_raw() {
    let server = start_server(&[&path("apps/environ.py")]);
    let reply = assert_reply(
        &server.get("/a%20b/caf%C3%A9?q=a%20b&x=%41"),
        200,
        &[
            "PATH_INFO = '/a b/caf\u{c3}\u{a9}'",
            "QUERY_STRING = 'q=a%20b&x=%41'",
            "REQUEST_METHOD = 'GET'",
        ],
    );
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let record = server.next_typed();
    assert_eq!(
        environ(&record, "PATH_INFO"),
        Some("'/a b/caf\u{c3}\u{a9}'")
    );
    assert_eq!(environ(&record, "QUERY_STRING"), Some("'q=a%20b&x=%41'"));
    assert_eq!(
        environ(&record, "REQUEST_URI"),
        Some("'/a%20b/caf%C3%A9?q=a%20b&x=%41'")
    );
}

/// A header spelled with `_` would become the same HTTP_* key as its `-` spelling, letting a
/// client spoof a header a proxy set; it is dropped, the `-` one kept, and the record says so.
#[test]
fn underscore_headers_are_dropped_and_noted() {
    let server = start_server(&[&path("apps/environ.py")]);
    let reply = assert_reply(
        &server.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nX_User: mallory\r\n\r\n"),
        200,
        &["HTTP_X_USER = 'alice'"],
    );
    assert!(!reply.text().contains("mallory"), "{}", reply.text());
    let record = server.next_typed();
    assert_eq!(environ(&record, "HTTP_X_USER"), Some("'alice'"));
    assert_check(&record, "underscore-header-dropped");
}

/// A generator's chunks go out as they are yielded. With no Content-Length, an HTTP/1.1
/// client gets them chunked (each with its size in hex, and a last chunk of size 0); an
/// HTTP/1.0 client, which does not know chunked, sees the body end with the connection.
#[test]
fn streamed_body_is_chunked_for_http11_and_ends_at_close_for_http10() {
    let server = start_server(&[&path("apps/stream.py")]);
    let lines = "line 1 of 4\nline 2 of 4\nline 3 of 4\nline 4 of 4\n";
    let reply = assert_reply(&server.get("/?n=4"), 200, &[]);
    assert_eq!(reply.header("Content-Length"), None);
    assert_eq!(
        reply.header("Transfer-Encoding").as_deref(),
        Some("chunked")
    );
    let chunk = |n| format!("c\r\nline {n} of 4\n\r\n");
    let framed = format!("{}{}{}{}0\r\n\r\n", chunk(1), chunk(2), chunk(3), chunk(4));
    assert_eq!(String::from_utf8_lossy(&reply.raw_body), framed);
    assert_eq!(reply.text(), lines);
    assert_eq!(server.next_typed().response.body_bytes, 48);

    let reply = assert_reply(&server.send(b"GET /?n=4 HTTP/1.0\r\n\r\n"), 200, &[]);
    assert_eq!(reply.header("Transfer-Encoding"), None);
    assert_eq!(reply.header("Connection").as_deref(), Some("close"));
    assert_eq!(reply.raw_body, lines.as_bytes());
}

/// A client may send raw UTF-8 in the target instead of %-escapes. Like every environ value,
/// QUERY_STRING and REQUEST_URI then carry those bytes as latin-1 characters, so the app's
/// `.encode('latin-1').decode('utf-8')` gives the text back.
#[test]
fn raw_utf8_in_the_query_reaches_the_app_as_bytes_as_str() {
    let server = start_server(&[&path("apps/environ.py")]);
    assert_reply(
        &server.send("GET /caf\u{e9}?q=caf\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n".as_bytes()),
        200,
        &["QUERY_STRING = 'q=caf\u{c3}\u{a9}'"],
    );
    let record = server.next_typed();
    assert_eq!(
        environ(&record, "QUERY_STRING"),
        Some("'q=caf\u{c3}\u{a9}'")
    );
    assert_eq!(
        environ(&record, "REQUEST_URI"),
        Some("'/caf\u{c3}\u{a9}?q=caf\u{c3}\u{a9}'")
    );
}

/// Repeated headers are joined with ", ", except Cookie, whose pairs are joined with "; ":
/// `a=1, b=2` would read as one cookie `a` with the value `1, b=2`.
#[test]
fn repeated_cookie_headers_are_joined_with_a_semicolon() {
    let server = start_server(&[&path("apps/environ.py")]);
    assert_reply(
        &server.send(
            b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\nAccept: x\r\nAccept: y\r\n\r\n",
        ),
        200,
        &["HTTP_COOKIE = 'a=1; b=2'", "HTTP_ACCEPT = 'x, y'"],
    );
}
