//! PEP 3333 §Specification Details: if the app's result has a `close()` method, the server must
//! call it when the request ends, "whether the request was completed normally, or terminated
//! early due to an application error during iteration or an early disconnect of the browser".
//! Frameworks release database connections and files there, so a missed close() is a leak.
//!
//! tests/apps/close_tracker.py's close() writes "close() called" to wsgi.errors (so it shows in
//! the record's `output`) and into a marker file named in the query string.

mod common;

use std::io::Write as _;
use std::path::Path;

use common::*;

/// Assert close() ran: the marker file says so, and so does the exchange's output.
fn assert_closed(marker: &Path, record: &Record) {
    let text = std::fs::read_to_string(marker).unwrap_or_else(|e| {
        panic!(
            "close() wrote no marker {} ({e}); {record:?}",
            marker.display()
        )
    });
    assert_eq!(text, "close() called\n");
    assert!(
        record
            .output
            .iter()
            .any(|l| l.stream == "wsgi.errors" && l.text == "close() called"),
        "close() is not in the exchange's output: {record:?}"
    );
    let _ = std::fs::remove_file(marker);
}

/// A request for `path` with the marker file in the query string.
fn request(path: &str, marker: &Path) -> Vec<u8> {
    format!(
        "GET {path}?marker={} HTTP/1.1\r\nHost: x\r\n\r\n",
        marker.display()
    )
    .into_bytes()
}

/// The ordinary path: all chunks sent, then close().
#[test]
fn close_is_called_when_the_response_completes() {
    let server = start_server(&[&path("tests/apps/close_tracker.py")]);
    let marker = scratch("close-normal");
    let reply = assert_reply(&server.send(&request("/normal", &marker)), 200, &[]);
    assert_eq!(reply.text(), "one\ntwo\n");
    assert_closed(&marker, &server.next_typed());
}

/// The result raises while the server iterates it: close() still runs.
#[test]
fn close_is_called_after_an_exception_during_iteration() {
    let server = start_server(&[&path("tests/apps/close_tracker.py")]);
    let marker = scratch("close-raise");
    server.send(&request("/raise", &marker));
    let record = server.next_typed();
    assert_error(
        &record,
        &["app-failed-after-headers"],
        &["failed during iteration"],
    );
    assert_closed(&marker, &record);
}

/// Iterating the result raises, and then its close() raises too: the record keeps both, the
/// error naming each and the iteration's traceback followed by close()'s.
#[test]
fn a_failing_close_after_a_failed_iteration_is_recorded_too() {
    let server = start_server(&[&path("tests/apps/broken_results.py")]);
    let reply = parse_reply(&server.get("/both-fail"));
    assert_eq!(reply.status, 500, "{}", reply.head);
    let record = server.next_typed();
    assert_error(
        &record,
        &["app-raised", "close-raised"],
        &[
            "RuntimeError: failed during iteration",
            "close() raised OSError: close() failed too",
        ],
    );
    let traceback = record.traceback.as_deref().unwrap_or_default();
    let iteration = traceback.find("failed during iteration");
    let close = traceback.find("close() failed too");
    assert!(
        iteration.is_some() && close.is_some() && iteration < close,
        "{traceback}"
    );
}

/// The client reads the headers of a 200 MiB response and hangs up: the server's next write
/// fails, it stops iterating, calls close(), records why, and serves the next client.
#[test]
fn close_is_called_when_the_client_disconnects_mid_response() {
    let server = start_server(&[&path("tests/apps/close_tracker.py")]);
    let marker = scratch("close-gone");
    let mut conn = server.connect();
    conn.write_all(&request("/big", &marker)).unwrap();
    let head = read_until(&mut conn, b"\r\n\r\n");
    assert!(head.starts_with(b"HTTP/1.1 200 OK\r\n"));
    drop(conn);

    let record = server.next_typed();
    assert_error(&record, &["client-gone"], &["client went away"]);
    let sent = record.response.body_bytes;
    assert!(sent < 200 * 1024 * 1024, "the whole body was sent: {sent}");
    assert_closed(&marker, &record);

    let reply = assert_reply(&server.send(&request("/normal", &marker)), 200, &[]);
    assert_eq!(reply.text(), "one\ntwo\n");
    assert_closed(&marker, &server.next_typed());
}
