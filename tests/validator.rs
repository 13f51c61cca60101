//! The standard library's `wsgiref.validate.validator` wraps an app and checks, with
//! assertions, both sides of PEP 3333: the environ, wsgi.input, wsgi.errors and start_response
//! the server provides, and the app's own conduct (including that the server calls close()).
//! tests/apps/validated.py is such a wrapped app; any AssertionError or validator warning would
//! mean the server broke a rule.

mod common;

use common::*;

/// Assert the exchange ran clean: no error, no AssertionError or warning in the app's output.
fn assert_clean(record: &Record) {
    assert_no_error(record);
    for line in &record.output {
        for bad in ["AssertionError", "Warning", "garbage collected"] {
            assert!(
                !line.text.contains(bad),
                "the validator complained: {:?}",
                record.output
            );
        }
    }
}

/// A GET through the validator.
#[test]
fn validator_accepts_a_get() {
    let server = start_server(&[&path("tests/apps/validated.py")]);
    let reply = assert_reply(&server.get("/"), 200, &[]);
    assert_eq!(reply.text(), "validated GET\n");
    assert_clean(&server.next_typed());
}

/// A POST whose body the app reads with readline() and then read(n), as the validator's
/// InputWrapper checks them (bytes returned, arguments as PEP 3333 allows).
#[test]
fn validator_accepts_a_post_read_by_readline_and_read() {
    let server = start_server(&[&path("tests/apps/validated.py")]);
    let raw = server.send(
        b"POST /lines HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
          Content-Length: 14\r\n\r\nline one\nrest!",
    );
    let reply = assert_reply(&raw, 200, &[]);
    assert_eq!(reply.text(), "first=line one\nrest=rest!");
    assert_clean(&server.next_typed());
}

/// The legacy write() callable that start_response returns, through the validator.
#[test]
fn validator_accepts_write() {
    let server = start_server(&[&path("tests/apps/validated.py")]);
    let raw = server.get("/write");
    let reply = assert_reply(&raw, 200, &[]);
    assert_eq!(reply.text(), "written with write()\n");
    let record = server.next_typed();
    assert_eq!(record.writes, [8, 13]);
    assert_clean(&record);
}
