//! Conformance checks (src/checks.rs): every mistake in apps/mistakes/ is named by its rule on
//! the exchange record, the server keeps serving after it, and every conforming app in apps/
//! runs without a single finding. `--strict` turns findings into 500s.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use wsgiscope::checks::Spot;

/// The rule ids of a record's findings, sorted.
fn rules(record: &Record) -> Vec<String> {
    let mut rules: Vec<String> = record.checks.iter().map(|c| c.rule.clone()).collect();
    rules.sort();
    rules
}

/// The message of a record's first finding, or "" when it has none.
fn first_message(record: &Record) -> &str {
    record.checks.first().map_or("", |c| c.message.as_str())
}

/// Where a record's first finding points, or None when it has none or points nowhere.
fn first_at(record: &Record) -> Option<&Spot> {
    record.checks.first()?.at.as_ref()
}

/// Each mistakes app, the status the client gets for `GET /`, and the exact findings.
///
/// A mistake that makes the response impossible gives a 500; the others are served as the
/// app asked (200, 204, 304) and flagged.
const MISTAKES: [(&str, u16, &[&str]); 37] = [
    ("result_none.py", 500, &["result-none"]),
    ("result_str.py", 500, &["result-str"]),
    ("result_bytes.py", 500, &["result-bytes"]),
    ("result_not_iterable.py", 500, &["result-not-iterable"]),
    ("chunk_str.py", 500, &["chunk-not-bytes"]),
    ("no_start_response.py", 500, &["start-response-not-called"]),
    (
        "body_before_start_response.py",
        500,
        &["body-before-start-response"],
    ),
    ("start_response_twice.py", 500, &["start-response-twice"]),
    ("exc_info_not_tuple.py", 500, &["exc-info-not-tuple"]),
    ("write_str.py", 500, &["write-not-bytes"]),
    ("closed_file.py", 500, &["iterated-after-close"]),
    ("generator_used_up.py", 200, &["iterated-after-close"]),
    ("status_int.py", 500, &["status-not-str"]),
    ("status_no_code.py", 500, &["status-bad-code"]),
    ("status_no_reason.py", 200, &["status-no-reason"]),
    ("status_below_100.py", 500, &["status-code-below-100"]),
    ("status_continue.py", 500, &["status-informational"]),
    ("status_newline.py", 500, &["status-control-char"]),
    ("status_unicode.py", 500, &["status-not-latin1"]),
    ("headers_tuple.py", 200, &["headers-not-list"]),
    ("header_list_pair.py", 200, &["header-not-tuple"]),
    ("header_int_value.py", 500, &["header-not-str"]),
    ("header_name_space.py", 500, &["header-name-not-token"]),
    ("header_newline.py", 500, &["header-value-control"]),
    ("header_unicode.py", 500, &["header-value-not-latin1"]),
    ("hop_by_hop.py", 200, &["hop-by-hop-header"]),
    ("status_header.py", 200, &["status-header"]),
    ("no_content_type.py", 200, &["content-type-missing"]),
    (
        "no_content_with_type.py",
        204,
        &["content-type-without-content"],
    ),
    ("content_length_wrong.py", 200, &["content-length-mismatch"]),
    (
        "content_length_invalid.py",
        500,
        &["content-length-invalid"],
    ),
    (
        "content_length_conflict.py",
        500,
        &["content-length-repeated"],
    ),
    ("content_length_twice.py", 200, &["content-length-repeated"]),
    (
        "content_length_on_204.py",
        204,
        &["content-length-not-allowed"],
    ),
    ("body_on_204.py", 204, &["body-not-allowed"]),
    (
        "not_modified_headers.py",
        304,
        &["not-modified-entity-headers"],
    ),
    ("read_no_length.py", 200, &["input-read-unbounded"]),
];

/// Every app in apps/mistakes/ is in [`MISTAKES`], so none goes untested.
#[test]
fn every_mistakes_app_is_listed() {
    let mut files: Vec<String> = fs::read_dir(path("apps/mistakes"))
        .expect("apps/mistakes exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".py"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = MISTAKES.iter().map(|(f, _, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

/// Each classic mistake is named by exactly its rule, with a message, a fix and a reference;
/// the client gets a 500 only when the response is impossible; and the server goes on serving
/// (a second request gets the same answer).
#[test]
fn each_mistake_is_named_by_its_rule_and_the_server_keeps_serving() {
    for (file, status, expected) in MISTAKES {
        let server = start_server(&[&path(&format!("apps/mistakes/{file}"))]);
        for attempt in 1..=2 {
            let reply = parse_reply(&server.get("/"));
            assert_eq!(
                reply.status, status,
                "{file} (request {attempt}): {}",
                reply.head
            );
            let record = server.next_typed();
            assert_eq!(rules(&record), expected, "{file}: {record:?}");
            for check in &record.checks {
                let fields = [
                    ("message", Some(&check.message)),
                    ("fix", Some(&check.fix)),
                    ("reference", Some(&check.reference)),
                    ("pep3333", Some(&check.pep3333)),
                    ("explanation", check.explanation.as_ref()),
                ];
                for (field, text) in fields {
                    assert!(
                        text.is_some_and(|s| !s.is_empty()),
                        "{file}: no {field} in {check:?}"
                    );
                }
            }
        }
    }
}

/// The findings name the specifics: which header, which status, which chunk.
#[test]
fn findings_name_the_offending_part() {
    let cases = [
        ("header_name_space.py", "'Content Type'"),
        ("header_newline.py", "'guest\\r\\nSet-Cookie: admin=1'"),
        ("status_no_reason.py", "'200'"),
        ("content_length_conflict.py", "set to 13 and again to "),
        ("status_continue.py", "'100 Continue'"),
        ("chunk_str.py", "'line 0\\n'"),
        ("content_length_wrong.py", "said 4 bytes"),
        ("hop_by_hop.py", "Connection: keep-alive"),
        ("header_int_value.py", "its value 13 is an int, not a str"),
    ];
    for (file, says) in cases {
        let server = start_server(&[&path(&format!("apps/mistakes/{file}"))]);
        server.get("/");
        let record = server.next_typed();
        let message = first_message(&record);
        assert!(message.contains(says), "{file}: {message:?} lacks {says:?}");
    }
}

/// `at` points the inspector at the offending part: a header by call and index, a chunk by
/// index and offset.
#[test]
fn findings_point_at_the_header_or_chunk() {
    let header = |name: &str| Spot::Header {
        call: 0,
        index: 1,
        name: name.into(),
    };
    let cases = [
        ("header_newline.py", header("X-User")),
        // A value that is not a str: the header is still named by its (str) name.
        ("header_int_value.py", header("Content-Length")),
        (
            "chunk_str.py",
            Spot::Chunk {
                index: 0,
                offset: 0,
            },
        ),
    ];
    for (file, spot) in cases {
        let server = start_server(&[&path(&format!("apps/mistakes/{file}"))]);
        server.get("/");
        let record = server.next_typed();
        assert_eq!(first_at(&record), Some(&spot), "{file}: {record:?}");
    }
}

/// A mistake that can be served is served as the app asked: a status without reason goes out
/// as `HTTP/1.1 200 `, a hop-by-hop header is dropped, a 204's body is not sent.
#[test]
fn servable_mistakes_are_served_as_asked() {
    let server = start_server(&[&path("apps/mistakes/status_no_reason.py")]);
    let raw = server.get("/");
    assert!(
        raw.starts_with(b"HTTP/1.1 200 \r\n"),
        "{:?}",
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(parse_reply(&raw).text(), "hello world!\n");

    let server = start_server(&[&path("apps/mistakes/hop_by_hop.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!(
        reply.header("Connection").as_deref(),
        Some("close"),
        "{}",
        reply.head
    );
    assert!(!reply.head.contains("keep-alive"), "{}", reply.head);

    let server = start_server(&[&path("apps/mistakes/body_on_204.py")]);
    let reply = parse_reply(&server.get("/"));
    assert!(reply.body.is_empty(), "{}", reply.text());

    let server = start_server(&[&path("apps/mistakes/content_length_twice.py")]);
    let reply = parse_reply(&server.get("/"));
    let lengths = reply.head.matches("Content-Length: 13\r\n").count();
    assert_eq!(lengths, 1, "{}", reply.head);
    assert_eq!(reply.text(), "hello world!\n");

    let server = start_server(&[&path("apps/mistakes/content_length_on_204.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!(reply.status, 204);
    assert!(!reply.head.contains("Content-Length"), "{}", reply.head);
}

/// A head that cannot frame its body (a Content-Length that is not digits, two that disagree)
/// or cannot be the final response (a 1xx) is refused in start_response: the app sees the
/// exception, and the client gets a 500 whose text names the rule, never the app's head.
#[test]
fn impossible_heads_give_a_500_naming_the_rule() {
    let cases = [
        ("content_length_invalid.py", "content-length-invalid"),
        ("content_length_conflict.py", "content-length-repeated"),
        ("status_continue.py", "status-informational"),
    ];
    for (file, rule) in cases {
        let server = start_server(&[&path(&format!("apps/mistakes/{file}"))]);
        let raw = server.get("/");
        let reply = parse_reply(&raw);
        assert_eq!(reply.status, 500, "{file}: {}", reply.head);
        assert!(reply.text().contains(rule), "{file}: {}", reply.text());
        let head = reply.head.to_ascii_lowercase();
        assert_eq!(head.matches("content-length:").count(), 1, "{file}: {head}");
        assert!(!head.contains("100 continue"), "{file}: {head}");
        assert_error(&server.next_typed(), &["app-raised"], &[rule]);
    }
}

/// Latin-1 text 0x80–0xff in a header value is obs-text, which HTTP allows, C1 controls such
/// as U+0085 included: it is served byte for byte, without a finding. DEL is a control
/// character, refused like a newline, and the finding quotes it the way Python would.
#[test]
fn latin1_header_values_are_served_and_del_is_refused() {
    let server = start_server(&[&path("tests/apps/header_values.py")]);
    let raw = server.get("/c1");
    let reply = parse_reply(&raw);
    assert_eq!(reply.status, 200, "{}", reply.head);
    let wanted: &[u8] = b"\r\nX-Latin: caf\xe9 \x85 \x9f\r\n";
    assert!(
        raw.windows(wanted.len()).any(|w| w == wanted),
        "{:?}",
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());

    let reply = parse_reply(&server.get("/del"));
    assert_eq!(reply.status, 500, "{}", reply.head);
    let record = server.next_typed();
    assert_eq!(rules(&record), ["header-value-control"]);
    let message = first_message(&record);
    assert!(
        message.contains("the control character '\\x7f': 'rub\\x7fout'"),
        "{message}"
    );
}

/// A body on HEAD is dropped, as HTTP asks, and noted, but it is not the app's mistake: a
/// conforming app may leave it to the server.
#[test]
fn a_body_on_head_is_a_note() {
    let server = start_server(&[&path("apps/hello.py")]);
    let reply = parse_reply(&server.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    let record = server.next_typed();
    assert_eq!(rules(&record), ["body-on-head"]);
    assert_eq!(record.checks[0].about, "note", "{record:?}");
}

/// A request with obsolete line folding is refused with 400, and the record says why with the
/// rule, like the other request notes.
#[test]
fn obsolete_line_folding_is_refused_and_noted() {
    let server = start_server(&[&path("apps/hello.py")]);
    let raw = server.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: one\r\n two\r\n\r\n");
    assert_eq!(parse_reply(&raw).status, 400);
    let record = server.next_typed();
    assert_eq!(rules(&record), ["obsolete-line-folding"]);
}

/// The access log line ends with a count of the findings after the size, and lists them.
#[test]
fn access_log_marks_findings_with_their_count() {
    let server = start_server_with(&[&path("apps/mistakes/status_header.py")], &[]);
    server.get("/");
    let line = server.next_line();
    assert!(line.ends_with("\" 200 10 [1 finding]"), "{line}");
    let note = server.next_line();
    assert!(note.contains("status-header"), "{note}");
}

/// `wsgi.input.read()` without a size is flagged only when the request gave no length; a POST
/// with Content-Length may be read to its end.
#[test]
fn reading_to_the_end_is_fine_when_the_length_is_known() {
    let server = start_server(&[&path("apps/mistakes/read_no_length.py")]);
    let raw = server.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(parse_reply(&raw).text(), "read 3 bytes\n");
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
}

/// The requests a conforming app is checked with: a GET, and a POST with a body.
const CLEAN_REQUESTS: [&[u8]; 2] = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
];

/// Assert `app` answers every clean request without an error or a finding.
fn assert_clean(server: &Server, app: &str) {
    for request in CLEAN_REQUESTS {
        let raw = server.send(request);
        let reply = parse_reply(&raw);
        assert!(
            reply.status < 500,
            "{app}: {}",
            String::from_utf8_lossy(&raw)
        );
        let record = server.next_typed();
        assert_eq!(rules(&record), Vec::<String>::new(), "{app}: {record:?}");
        assert_no_error(&record);
    }
}

/// Every teaching app in apps/ (outside apps/mistakes/ and apps/solutions/) conforms: no
/// finding for a GET or a POST. The Flask app is served from the test venv.
#[test]
fn every_teaching_app_is_clean() {
    let mut apps: Vec<String> = fs::read_dir(path("apps"))
        .expect("apps exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "py"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    apps.sort();
    assert!(apps.len() >= 5, "{apps:?}");
    for app in &apps {
        let name = Path::new(app).file_name().unwrap().to_string_lossy();
        let server = if name == "flask_app.py" {
            let venv = venv::test_venv();
            start_server(&["--venv", venv.to_str().unwrap(), app])
        } else {
            start_server(&[app])
        };
        assert_clean(&server, &name);
    }
}

/// The streaming app with many chunks, and the echo app with a chunked upload, stay clean.
#[test]
fn streaming_and_chunked_uploads_are_clean() {
    let server = start_server(&[&path("apps/stream.py")]);
    server.get("/?n=50");
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());

    let server = start_server(&[&path("apps/echo.py")]);
    server.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
}

/// Flask reads a JSON body through werkzeug, which trusts `wsgi.input_terminated`: no finding.
#[test]
fn flask_json_post_is_clean() {
    let venv = venv::test_venv();
    let server = start_server(&["--venv", venv.to_str().unwrap(), &path("apps/flask_app.py")]);
    let raw = server.send(
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 8\r\n\r\n{\"a\": 1}",
    );
    assert_eq!(
        parse_reply(&raw).status,
        200,
        "{}",
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
}

/// `--strict`: a servable mistake becomes a 500 that names the rule, the record says why, and
/// a conforming app is not affected.
#[test]
fn strict_turns_findings_about_the_app_into_500s() {
    let server = start_server(&["--strict", &path("apps/mistakes/status_no_reason.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert!(
        reply.text().contains("status-no-reason"),
        "{}",
        reply.text()
    );
    let record = server.next_typed();
    assert_eq!(rules(&record), ["status-no-reason"]);
    assert_error(&record, &["strict-500"], &["--strict", "status-no-reason"]);

    let server = start_server(&["--strict", &path("apps/mistakes/body_on_204.py")]);
    assert_eq!(parse_reply(&server.get("/")).status, 500);

    let server = start_server(&["--strict", &path("apps/hello.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!((reply.status, reply.text().as_str()), (200, "hello world!"));
    // A note about the request is not the app's mistake: served.
    let reply = parse_reply(&server.send(b"GET / HTTP/1.1\r\n\r\n"));
    assert_eq!(reply.status, 200);
}

/// `--strict` after the head went out: the connection is cut, and the record says so.
#[test]
fn strict_after_the_head_closes_the_connection() {
    let server = start_server(&["--strict", &path("apps/mistakes/content_length_wrong.py")]);
    // The body is known before the head goes out here, so this one is still a 500.
    assert_eq!(parse_reply(&server.get("/")).status, 500);
    server.next_typed();

    let server = start_server(&["--strict", &path("tests/apps/late_mistake.py")]);
    let raw = server.get("/");
    let reply = parse_reply(&raw);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "first\n");
    assert!(
        !reply.complete,
        "the last chunk was sent: {:?}",
        reply.raw_body
    );
    let record = server.next_typed();
    assert_eq!(rules(&record), ["write-not-bytes"]);
    assert_error(
        &record,
        &["strict-cut"],
        &["--strict", "connection was closed"],
    );
}

/// An exception raised by the result's own `__iter__` is the app's error, reported with its
/// type, message and traceback, not as "not iterable"; an object that really has no
/// `__iter__` (here `__iter__ = None`) is `result-not-iterable`.
#[test]
fn an_exception_from_iter_is_the_apps_error_not_a_mistake() {
    let server = start_server(&[&path("tests/apps/broken_results.py")]);
    let reply = parse_reply(&server.get("/iter-raises"));
    assert_eq!(reply.status, 500, "{}", reply.head);
    let record = server.next_typed();
    assert_eq!(rules(&record), Vec::<String>::new(), "{record:?}");
    assert_error(
        &record,
        &["app-raised"],
        &["ValueError: the data source is down"],
    );
    let traceback = record.traceback.as_deref().unwrap_or_default();
    assert!(
        traceback.contains("broken_results.py") && traceback.contains("__iter__"),
        "{record:?}"
    );

    let reply = parse_reply(&server.get("/iter-none"));
    assert_eq!(reply.status, 500, "{}", reply.head);
    assert_eq!(rules(&server.next_typed()), ["result-not-iterable"]);
}

/// `start_response` reads its headers argument once: a generator gives its items only once,
/// so the server copies it into one list that both the response and the record use. The
/// client gets every header, the record shows them, and the only finding is that they were not
/// a list (wsgiref would refuse them), not a false `content-type-missing`. A generator that
/// raises is the app's own error, a 500.
#[test]
fn headers_from_a_generator_are_read_once_and_sent() {
    let server = start_server(&[&path("tests/apps/generator_headers.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/plain"),
        "{}",
        reply.head
    );
    assert_eq!(
        reply.header("X-From").as_deref(),
        Some("a generator"),
        "{}",
        reply.head
    );
    assert_eq!(reply.text(), "headers from a generator\n");
    let record = server.next_typed();
    assert_eq!(rules(&record), ["headers-not-list"], "{record:?}");
    let headers = record.start_response.first().map(|call| &call.headers[..]);
    let sent = [("Content-Type", "text/plain"), ("X-From", "a generator")]
        .map(|(n, v)| (n.into(), v.into()));
    assert_eq!(headers, Some(&sent[..]), "{record:?}");

    let reply = parse_reply(&server.get("/raises"));
    assert_eq!(reply.status, 500, "{}", reply.head);
    let record = server.next_typed();
    assert_eq!(rules(&record), Vec::<String>::new(), "{record:?}");
    assert_error(
        &record,
        &["app-raised"],
        &["LookupError: the header source is gone"],
    );
}
