//! The exchange record is the interface the inspector, the checks, the lessons and these tests
//! read: the README lists its JSON field names. `--trace` prints the same record as text.

mod common;

use common::*;

/// Every field the README names is there, read into the crate's own typed record (a missing,
/// renamed or unknown field fails to read), with the values of a plain GET.
#[test]
fn json_record_reads_into_the_typed_record_with_every_field() {
    let server = start_server(&[&path("apps/hello.py")]);
    server.send(b"GET /?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let r = server.next_typed();

    assert_eq!(r.id, 1);
    assert!(r.client.starts_with("127.0.0.1:"), "{}", r.client);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&r.started).is_ok(),
        "started is not RFC 3339: {}",
        r.started
    );
    assert_eq!(
        (
            r.connection.id,
            r.connection.request,
            r.connection.kept_open
        ),
        (1, 1, false)
    );

    assert_eq!(
        r.request.raw,
        "GET /?x=1 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
    );
    assert_eq!(r.request.bytes, 39);
    assert_eq!(r.request.method.as_deref(), Some("GET"));
    assert_eq!(r.request.target.as_deref(), Some("/?x=1"));
    assert_eq!(r.request.version.as_deref(), Some("HTTP/1.1"));

    assert_eq!(r.environ["QUERY_STRING"], "'x=1'");
    assert_eq!(r.environ["HTTP_HOST"], "'localhost'");
    assert_eq!(r.environ["wsgi.version"], "(1, 0)");

    assert_eq!(r.start_response.len(), 1);
    let call = &r.start_response[0];
    assert_eq!(call.status, "200 OK");
    assert_eq!(
        call.headers,
        [("Content-Type".to_string(), "text/plain".to_string())]
    );
    assert_eq!(
        (call.exc_info.as_deref(), call.error.as_deref()),
        (None, None)
    );
    assert_eq!((r.writes.len(), r.write_calls), (0, 0));

    assert_eq!(r.response.status, Some(200));
    assert!(
        r.response.raw.starts_with("HTTP/1.1 200 OK\\r\\n"),
        "{}",
        r.response.raw
    );
    assert!(
        r.response.raw.ends_with("\\r\\n\\r\\nhello world!"),
        "{}",
        r.response.raw
    );
    assert_eq!(r.response.body_bytes, 12);
    assert!(r.response.bytes > 12);
    assert_eq!(r.response.framing.as_deref(), Some("content-length"));

    assert!(r.timings_us.application < 10_000_000, "{:?}", r.timings_us);
    assert!(r.error.is_empty(), "{:?}", r.error);
    assert_eq!(r.traceback, None);
    assert!(r.output.is_empty() && r.checks.is_empty());
    assert_eq!((r.output_cut.lines, r.output_cut.bytes), (0, 0));
}

/// A finding reads into the typed record too: its rule, its reference and where it points.
#[test]
fn a_finding_reads_into_the_typed_record() {
    let server = start_server(&[&path("apps/mistakes/no_content_type.py")]);
    server.get("/");
    let r = server.next_typed();
    let check = r.checks.first().expect("a finding");
    assert_eq!(check.rule, "content-type-missing");
    assert_eq!(check.reference, check.pep3333);
    assert!(!check.fix.is_empty() && check.explanation.is_some());
    assert_eq!(check.about, "app");
}

/// Each connection gets the next id.
#[test]
fn record_ids_count_connections() {
    let server = start_server(&[&path("apps/hello.py")]);
    for id in 1..=3 {
        server.get("/");
        assert_eq!(server.next_typed().id, id);
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
    // The sections come in the order things happened.
    let sections = [
        "=== exchange 1 from 127.0.0.1:",
        "--- connection 1, request 1 on it, closed after it",
        "--- request, ",
        "--- environ, as the app received it",
        "--- start_response call 1",
        "--- response, ",
        "--- timings",
    ];
    let at: Vec<Option<usize>> = sections.iter().map(|s| text.find(s)).collect();
    assert!(at.iter().all(Option::is_some), "{at:?} in:\n{text}");
    assert!(at.is_sorted(), "sections out of order: {at:?} in:\n{text}");
}

/// A request refused before the app never reached the phases after parse_request, and
/// `--trace` says so instead of timing them at 0 µs.
#[test]
fn trace_says_which_phases_a_refused_request_never_reached() {
    let server = start_server_with(&["--trace", &path("apps/hello.py")], &[]);
    let reply = server.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n");
    assert!(reply.starts_with(b"HTTP/1.1 400 "));
    let timings = loop {
        let line = server.next_line();
        if line.starts_with("--- timings") {
            break server.next_line();
        }
    };
    assert!(
        timings.contains("parse_request ") && timings.contains("µs"),
        "{timings}"
    );
    for phase in ["get_environ", "application", "finish_response"] {
        assert!(
            timings.contains(&format!("{phase} not reached")),
            "{timings}"
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

/// The record says where the parser found each part of the request, in bytes from the
/// request's first: here after an empty line typed before the request line (a telnet user
/// who pressed Enter first), with a dropped field, and a body whose blank line is body, not
/// the end of the head.
#[test]
fn the_record_keeps_where_each_part_of_the_request_was() {
    let server = start_server(&[&path("apps/echo.py")]);
    let raw: &[u8] = b"\r\nPOST /echo?x=1 HTTP/1.1\r\nHost: h\r\nX_Y: 1\r\nContent-Length: 9\r\n\r\nA: 1\r\n\r\nB";
    server.send(raw);
    let r = server.next_typed();
    let spans = r.request.spans.expect("a parsed request has spans");
    let at = |(start, end): (usize, usize)| String::from_utf8_lossy(&raw[start..end]).into_owned();
    assert_eq!(at(spans.line), "POST /echo?x=1 HTTP/1.1");
    assert_eq!(
        (at(spans.method), at(spans.target), at(spans.version)),
        ("POST".into(), "/echo?x=1".into(), "HTTP/1.1".into())
    );
    let fields: Vec<(String, String, String, bool)> = spans
        .fields
        .iter()
        .map(|f| (at(f.line), at(f.name), at(f.value), f.dropped))
        .collect();
    assert_eq!(
        fields,
        [
            ("Host: h".into(), "Host".into(), "h".into(), false),
            ("X_Y: 1".into(), "X_Y".into(), "1".into(), true),
            (
                "Content-Length: 9".into(),
                "Content-Length".into(),
                "9".into(),
                false
            ),
        ]
    );
    assert_eq!(spans.body.map(at).as_deref(), Some("A: 1\r\n\r\nB"));
}

/// A chunked body's span is the body as it was sent, sizes and trailer included; a request
/// refused on its first line has no spans.
#[test]
fn a_chunked_body_spans_its_framing_and_a_refused_request_has_no_spans() {
    let server = start_server(&[&path("apps/echo.py")]);
    let head: &[u8] = b"POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n";
    let body: &[u8] = b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
    server.send(&[head, body].concat());
    let spans = server.next_typed().request.spans.expect("parsed");
    assert_eq!(spans.body, Some((head.len(), head.len() + body.len())));

    server.send(b"GET  / HTTP/1.1\r\n\r\n");
    let r = server.next_typed();
    assert_eq!(r.request.spans, None);
    assert_eq!(r.error[0].rule, "request-line-spacing");
}

/// `receiving` is the client's time, which the four phases leave out: a request typed in two
/// parts 500 ms apart (a person at telnet) took about that long to arrive, while the server's
/// phases took a small part of it. (The server reads the first part a moment after it was
/// sent, and that moment may be later than the read of the second part is, hence the margin.)
#[test]
fn receiving_counts_the_time_the_client_took_to_send_the_request() {
    const PAUSE: std::time::Duration = std::time::Duration::from_millis(500);
    const MARGIN: std::time::Duration = std::time::Duration::from_millis(100);
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = server.send_slowly(&[b"GET / HTTP/1.1\r\n", b"Host: x\r\n\r\n"], PAUSE);
    assert!(reply.ends_with(b"hello world!"));
    let t = server.next_typed().timings_us;
    assert!(t.receiving >= (PAUSE - MARGIN).as_micros() as u64, "{t:?}");
    let served = t.parse_request + t.get_environ + t.application + t.finish_response;
    assert!(served < t.receiving, "{t:?}");
}
