//! The exchange record is the interface the inspector, the checks, the lessons and these tests
//! read: the README lists its JSON field names. `--trace` prints the same record as text.

mod common;

use serde_json::Value;

use common::*;

/// Every field the README names is present with the right type, for a plain GET.
#[test]
fn json_record_has_every_field_design_md_names() {
    let server = start_server(&[&path("apps/hello.py")]);
    server.send(b"GET /?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let r = server.next_record();

    assert_eq!(r["id"], 1);
    let client = r["client"].as_str().unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    let started = r["started"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(started).is_ok(),
        "started is not RFC 3339: {started}"
    );

    let request = &r["request"];
    assert_eq!(
        request["raw"],
        "GET /?x=1 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
    );
    assert_eq!(request["method"], "GET");
    assert_eq!(request["target"], "/?x=1");
    assert_eq!(request["version"], "HTTP/1.1");

    let environ = r["environ"].as_object().unwrap();
    assert_eq!(environ["QUERY_STRING"], "'x=1'");
    assert_eq!(environ["HTTP_HOST"], "'localhost'");
    assert_eq!(environ["wsgi.version"], "(1, 0)");

    let calls = r["start_response"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], "200 OK");
    assert_eq!(
        calls[0]["headers"],
        serde_json::json!([["Content-Type", "text/plain"]])
    );
    assert!(calls[0]["exc_info"].is_null());

    let response = &r["response"];
    assert_eq!(response["status"], 200);
    let raw = response["raw"].as_str().unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\\r\\n"), "{raw}");
    assert!(raw.ends_with("\\r\\n\\r\\nhello world!"), "{raw}");
    assert!(response["bytes"].as_u64().unwrap() > "hello world!".len() as u64);

    for phase in [
        "parse_request",
        "get_environ",
        "application",
        "finish_response",
    ] {
        assert!(r["timings_us"][phase].is_u64(), "timings_us.{phase}: {r}");
    }
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["checks"], serde_json::json!([]));
}

/// Each connection gets the next id.
#[test]
fn record_ids_count_connections() {
    let server = start_server(&[&path("apps/hello.py")]);
    for id in 1..=3 {
        server.get("/");
        assert_eq!(server.next_record()["id"], id);
    }
}

/// `--trace` shows the bytes on the wire with `\r\n` written out, so the class sees where
/// every line of HTTP ends, and the environ and start_response call in full.
#[test]
fn trace_shows_line_endings_visibly() {
    let server = start_server_with(&["--trace", &path("apps/hello.py")], &[]);
    server.get("/");
    let mut text = String::new();
    loop {
        let line = server.next_line();
        text.push_str(&line);
        text.push('\n');
        if line.starts_with("--- timings") {
            break;
        }
    }
    for expected in [
        "GET / HTTP/1.1\\r\\n",
        "Host: x\\r\\n",
        "HTTP/1.1 200 OK\\r\\n",
        "Connection: close\\r\\n",
        "PATH_INFO = '/'",
        "status = \"200 OK\"",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the trace:\n{text}"
        );
    }
}

/// The default text log prints one access line per request, as wsgiref does.
#[test]
fn default_log_is_an_access_line() {
    let server = start_server_with(&[&path("apps/hello.py")], &[]);
    server.get("/x");
    let line = server.next_line();
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(line.ends_with("] \"GET /x HTTP/1.1\" 200 12"), "{line}");
}
