//! What the server does when the app goes wrong, over real TCP, with apps/errors.py: before
//! anything was sent there is still time for a 500 with a short body (and, with `--debug`, the
//! traceback); after the headers went out, closing the connection is the only way left to say
//! the response is broken. Either way the record says what happened and the server goes on.

mod common;

use common::*;

/// GET `path` and return the reply and its record.
fn fetch(server: &Server, path: &str) -> (Reply, Record) {
    let reply = parse_reply(&server.get(path));
    (reply, server.next_typed())
}

/// Each error that happens before anything was sent becomes a 500 whose body names the
/// problem, and the record's `error` holds it; the server answers the next request (the index)
/// after every one.
#[test]
fn app_errors_before_sending_give_a_500_and_the_server_goes_on() {
    let server = start_server(&[&path("apps/errors.py")]);
    let cases = [
        (
            "/raise",
            "app-raised",
            "RuntimeError: the app failed before start_response",
        ),
        ("/str", "result-str", "returned a str"),
        ("/bytes", "result-bytes", "returned a bytes"),
        (
            "/no-start",
            "start-response-not-called",
            "before calling start_response",
        ),
    ];
    for (path, rule, says) in cases {
        let (reply, record) = fetch(&server, path);
        assert_eq!(reply.status, 500, "{path}: {}", reply.text());
        assert!(reply.text().contains(says), "{path}: {}", reply.text());
        assert!(
            !reply.text().contains("Traceback"),
            "{path}: a traceback without --debug: {}",
            reply.text()
        );
        assert_eq!(record.response.status, Some(500), "{path}: {record:?}");
        assert_error(&record, &[rule], &[says]);

        let (index, _) = fetch(&server, "/");
        assert_eq!(index.status, 200, "after {path}: {}", index.text());
        assert!(index.text().contains("/exc-info"), "{}", index.text());
    }
}

/// `--debug` puts the Python traceback in the 500's body, for the class to read.
#[test]
fn debug_puts_the_traceback_in_the_500_body() {
    let server = start_server(&["--debug", &path("apps/errors.py")]);
    let (reply, record) = fetch(&server, "/raise");
    assert_eq!(reply.status, 500);
    assert!(
        reply.text().contains("Traceback (most recent call last)"),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("errors.py"), "{}", reply.text());
    assert!(
        record
            .traceback
            .as_deref()
            .unwrap_or_default()
            .contains("RuntimeError"),
        "{record:?}"
    );
}

/// Once the headers and a first chunk went out, a 500 is impossible: the server closes the
/// connection without the last chunk (the client sees a body cut short), the record's `error`
/// says so, and the server serves the next request.
#[test]
fn app_error_after_headers_were_sent_closes_the_connection() {
    let server = start_server(&[&path("apps/errors.py")]);
    let (reply, record) = fetch(&server, "/late");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "first chunk, then...\n");
    assert!(
        reply.chunked && !reply.complete,
        "the last chunk was sent: {:?}",
        reply.raw_body
    );
    assert_error(
        &record,
        &["app-failed-after-headers"],
        &[
            "the generator failed",
            "after the headers were sent",
            "connection was closed",
        ],
    );

    let (index, _) = fetch(&server, "/");
    assert_eq!(index.status, 200);
}

/// An app that catches its own error may call start_response a second time, with exc_info,
/// while nothing was sent yet: its 500 page replaces the 200 it had set (PEP 3333 §The
/// start_response() Callable). Both calls are in the record.
#[test]
fn start_response_with_exc_info_replaces_the_status_before_sending() {
    let server = start_server(&[&path("apps/errors.py")]);
    let (reply, record) = fetch(&server, "/exc-info");
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert_eq!(
        reply.text(),
        "the app caught its error and sent this page instead\n"
    );
    let calls = &record.start_response;
    assert_eq!(calls.len(), 2, "{record:?}");
    assert_eq!(calls[0].status, "200 OK");
    assert_eq!(calls[0].exc_info, None);
    assert_eq!(calls[1].status, "500 Internal Server Error");
    assert!(
        calls[1]
            .exc_info
            .as_deref()
            .unwrap_or_default()
            .contains("ValueError"),
        "{record:?}"
    );
    assert_no_error(&record);
}

/// A write() callable kept from an earlier exchange and called later raises in the app (the
/// exchange it belongs to is over); the server goes on serving.
#[test]
fn a_write_kept_from_an_earlier_exchange_raises_instead_of_sending() {
    let server = start_server(&[&path("tests/apps/kept_write.py")]);
    server.get("/first");
    server.next_typed();
    let (reply, record) = fetch(&server, "/second");
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().starts_with("OSError: the exchange is over"),
        "{}",
        reply.text()
    );
    assert_no_error(&record);
}
