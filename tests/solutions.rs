//! The exercises' solutions do what their exercises ask, checked over real TCP like the
//! lessons' transcripts: each test starts wsgiscope with a solution in `apps/solutions/` and
//! sends the requests its exercise talks about. tests/lessons.rs checks the same files under
//! wsgiref (their bodies for `GET /`); this file checks the behaviour the lesson states.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

/// A solution's path, for `start_server`.
fn solution(file: &str) -> String {
    path(&format!("apps/solutions/{file}"))
}

/// The rule ids of a record's findings.
fn rules(record: &Record) -> Vec<String> {
    record.checks.iter().map(|c| c.rule.clone()).collect()
}

/// Everything the app wrote to `wsgi.errors` during the exchange, one line each.
fn errors_output(record: &Record) -> String {
    record
        .output
        .iter()
        .filter(|line| line.stream == "wsgi.errors")
        .map(|line| format!("{}\n", line.text))
        .collect()
}

/// Whether any line the app wrote during the exchange, on any stream, contains `text`.
fn output_mentions(record: &Record, text: &str) -> bool {
    record.output.iter().any(|line| line.text.contains(text))
}

/// A POST of `body` to `/` with a Content-Length.
fn post(server: &Server, content_type: &str, body: &str) -> Reply {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    parse_reply(&server.send(request.as_bytes()))
}

/// `GET path` with extra header lines (each ending in `\r\n`).
fn get_with(server: &Server, path: &str, headers: &str) -> Reply {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
    parse_reply(&server.send(request.as_bytes()))
}

// ---- Lesson 3: the URL, rebuilt from the environ ----

/// Under `--script-name /app`, the URL the solution rebuilds is the one asked for, a
/// non-ASCII path included (its bytes percent-encoded once, not twice), and a path outside
/// the mount point is not put under it.
#[test]
fn lesson_3_rebuilds_the_url_asked_for() {
    let server = start_server(&["--script-name", "/app", &solution("lesson03_own_url.py")]);
    let cases = [
        ("/app/some/page?x=1", "http://x/app/some/page?x=1"),
        ("/app/caf%C3%A9", "http://x/app/caf%C3%A9"),
        ("/app", "http://x/app"),
        ("/other", "http://x/other"),
        ("/application", "http://x/application"),
    ];
    for (target, url) in cases {
        let reply = assert_reply(&server.get(target), 200, &[]);
        assert!(
            reply.text().starts_with(&format!("you asked for {url}\n")),
            "GET {target}: {}",
            reply.text()
        );
        assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
    }
}

// ---- Lesson 4: a redirect with a cookie ----

/// `/` is a 302 to `/welcome` that sets the cookie; `/welcome` shows the cookie sent back.
#[test]
fn lesson_4_redirects_with_a_cookie_and_reads_it_back() {
    let server = start_server(&[&solution("lesson04_redirect.py")]);
    let reply = parse_reply(&server.get("/"));
    assert_eq!(reply.status, 302, "{}", reply.head);
    assert_eq!(reply.header("Location").as_deref(), Some("/welcome"));
    assert_eq!(
        reply.header("Set-Cookie").as_deref(),
        Some("visited=yes; Path=/")
    );
    let reply = get_with(&server, "/welcome", "Cookie: visited=yes\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "welcome! your cookie: visited=yes\n");
}

// ---- Lesson 5: close(), even when the client leaves ----

/// The whole countdown: five lines, then close() says it saw them all.
#[test]
fn lesson_5_close_runs_after_the_whole_body() {
    let server = start_server(&[&solution("lesson05_closing.py")]);
    let reply = assert_reply(&server.get("/?delay=0"), 200, &[]);
    assert_eq!(reply.text(), "5\n4\n3\n2\n1\n");
    let record = server.next_typed();
    assert_eq!(errors_output(&record), "closed after all 5 lines\n");
}

/// The exercise's question: a client that hangs up in the middle of the slow countdown. The
/// server stops iterating and still calls close(), which says it got only part of the way.
#[test]
fn lesson_5_close_runs_when_the_client_leaves_mid_stream() {
    let server = start_server(&[&solution("lesson05_closing.py")]);
    let mut conn = server.connect();
    conn.write_all(b"GET /?from=10&delay=0.2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The head and the first line, "10", as its chunk.
    read_until(&mut conn, b"\r\n\r\n3\r\n10\n\r\n");
    drop(conn);
    let record = server.next_typed();
    let said = errors_output(&record);
    assert!(said.starts_with("closed early, after "), "{said}");
    assert!(said.contains(" of 10 lines"), "{said}");
    assert_error(&record, &["client-gone"], &["went away"]);
}

// ---- Lesson 6: the sum of a JSON list of numbers ----

/// A list of numbers is summed; a chunked upload too (the server gives it a CONTENT_LENGTH).
#[test]
fn lesson_6_sums_a_list_of_numbers() {
    let server = start_server(&[&solution("lesson06_json_sum.py")]);
    let reply = post(&server, "application/json", "[1, 2, 3.5]");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "{\"sum\": 6.5}\n");
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("application/json")
    );
    let raw = server.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n",
    );
    assert_eq!(parse_reply(&raw).text(), "{\"sum\": 3}\n");
}

/// Everything that is not a JSON list of finite numbers is a 400, including what Python
/// would happily add up: a string of digits, a number in a string, a boolean, NaN and the
/// infinities, a float too large, and a sum that overflows.
#[test]
fn lesson_6_refuses_what_is_not_a_list_of_numbers() {
    let server = start_server(&[&solution("lesson06_json_sum.py")]);
    let refused = [
        "\"12\"",
        "[1, \"2\"]",
        "[true, 2]",
        "[false]",
        "[null]",
        "[NaN, 1]",
        "[Infinity]",
        "[-Infinity]",
        "[1e400]",
        "[1e308, 1e308]",
        "{\"a\": 1}",
        "12",
        "not json",
        "",
    ];
    for body in refused {
        let reply = post(&server, "application/json", body);
        assert_eq!(reply.status, 400, "{body:?} got: {}", reply.text());
        let answer: Value = serde_json::from_slice(&reply.body)
            .unwrap_or_else(|e| panic!("{body:?}: the 400 is not JSON ({e}): {}", reply.text()));
        assert!(answer["error"].is_string(), "{body:?}: {answer}");
        assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
    }
}

// ---- Lesson 7: a middleware that catches errors ----

/// An error in the call (`/boom`) or in the first iteration (`/lazy`) becomes the friendly
/// 500, with the traceback on wsgi.errors; a good request is served and its result closed.
#[test]
fn lesson_7_turns_an_error_before_the_body_into_a_500_page() {
    let server = start_server(&[&solution("lesson07_catch_errors.py")]);
    for (target, error) in [("/boom", "ZeroDivisionError"), ("/lazy", "RuntimeError")] {
        let reply = parse_reply(&server.get(target));
        assert_eq!(reply.status, 500, "{target}: {}", reply.text());
        assert!(reply.text().starts_with("sorry, "), "{}", reply.text());
        let record = server.next_typed();
        assert_no_error(&record);
        let log = errors_output(&record);
        assert!(log.contains("Traceback (most recent call last)"), "{log}");
        assert!(log.contains(error), "{target}: {log}");
    }
    let reply = assert_reply(&server.get("/"), 200, &["all is well"]);
    assert!(reply.complete);
    let record = server.next_typed();
    assert_eq!(errors_output(&record), "fragile: its result was closed\n");
}

/// The streaming path: the first line arrives at once (the middleware does not hold the body
/// back), the second a second later; then the error comes after the headers, the
/// middleware's start_response re-raises it, and the server ends the body without its last
/// chunk. The traceback is on wsgi.errors and the app's result was closed.
#[test]
fn lesson_7_keeps_streaming_and_lets_a_late_error_abort() {
    let server = start_server(&[&solution("lesson07_catch_errors.py")]);
    let mut conn = server.connect();
    let asked = Instant::now();
    conn.write_all(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = read_until(&mut conn, b"line 1, sent at once\n\r\n");
    let first = asked.elapsed();
    assert!(
        first < Duration::from_millis(800),
        "the first line took {first:?}: the middleware held the body back"
    );
    got.extend(read_to_end(&mut conn));
    assert!(asked.elapsed() >= Duration::from_millis(900));
    let reply = parse_reply(&got);
    assert_eq!(reply.status, 200);
    assert!(reply.chunked && !reply.complete, "{}", reply.text());
    assert_eq!(
        reply.text(),
        "line 1, sent at once\nline 2, a second later\n"
    );
    let record = server.next_typed();
    assert_error(
        &record,
        &["app-failed-after-headers"],
        &["RuntimeError", "after the headers were sent"],
    );
    let log = errors_output(&record);
    assert!(log.contains("Traceback (most recent call last)"), "{log}");
    assert!(log.ends_with("fragile: its result was closed\n"), "{log}");
    // The middleware's second start_response call, with exc_info, raised.
    let calls = &record.start_response;
    assert_eq!(calls.len(), 2, "{record:?}");
    assert!(calls[1].exc_info.is_some(), "{record:?}");
    assert!(calls[1].error.is_some(), "{record:?}");
}

// ---- Lesson 8: an access log written after the body ----

/// The app's wsgi.errors lines of an exchange, without the time at the end of the access line.
fn logged_lines(record: &Record) -> Vec<String> {
    errors_output(record)
        .lines()
        .map(|line| line.split(" in ").next().unwrap_or_default().to_string())
        .collect()
}

/// One line per response, after its body: the method, the path, the status and the body bytes,
/// those passed to write() counted too; no finding.
#[test]
fn lesson_8_access_log_logs_each_response_after_its_body() {
    let server = start_server(&[&solution("lesson08_access_log.py")]);
    assert_eq!(
        assert_reply(&server.get("/"), 200, &[]).text(),
        "hello world!\n"
    );
    let record = server.next_typed();
    assert_eq!(logged_lines(&record), ["access: GET / 200 13 bytes"]);
    assert_eq!(rules(&record), Vec::<String>::new());

    let reply = assert_reply(&server.get("/write"), 200, &[]);
    assert_eq!(reply.text(), "written, then returned\n");
    assert_eq!(
        logged_lines(&server.next_typed()),
        ["access: GET /write 200 23 bytes"]
    );
}

/// The streaming path is not held back (the first line comes before the second is made), the
/// app's close() is called by the middleware's, and only then is the line logged.
#[test]
fn lesson_8_access_log_streams_and_passes_close_on() {
    let server = start_server(&[&solution("lesson08_access_log.py")]);
    let mut conn = server.connect();
    let asked = Instant::now();
    conn.write_all(b"GET /stream?delay=0.5 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = read_until(&mut conn, b"line 1 of 3\n\r\n");
    let first = asked.elapsed();
    assert!(
        first < Duration::from_millis(450),
        "the first line took {first:?}: the middleware held the body back"
    );
    got.extend(read_to_end(&mut conn));
    let reply = parse_reply(&got);
    assert!(reply.complete, "{}", reply.text());
    assert_eq!(reply.text(), "line 1 of 3\nline 2 of 3\nline 3 of 3\n");
    let record = server.next_typed();
    assert_eq!(
        logged_lines(&record),
        [
            "app: its result was closed",
            "access: GET /stream 200 36 bytes"
        ]
    );
}

/// A client that leaves in the middle of the stream: the server closes the middleware's
/// iterable, which closes the app's and still writes the line.
#[test]
fn lesson_8_access_log_logs_a_client_that_left() {
    let server = start_server(&[&solution("lesson08_access_log.py")]);
    let mut conn = server.connect();
    conn.write_all(b"GET /stream?delay=0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    read_until(&mut conn, b"line 1 of 3\n\r\n");
    drop(conn);
    let record = server.next_typed();
    assert_error(&record, &["client-gone"], &["went away"]);
    let lines = logged_lines(&record);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "app: its result was closed");
    assert!(
        lines[1].starts_with("access: GET /stream 200 "),
        "{lines:?}"
    );
}

// ---- Lesson 17: gzip ----

/// The hello body the gzip solution's app sends on `/`.
fn greeting() -> Vec<u8> {
    let mut body = b"hello world! ".repeat(20);
    body.push(b'\n');
    body
}

/// gzip-decompress `data` with Python's gzip module (the crate has no gzip of its own).
fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(data)
        .unwrap();
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_end(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success(), "not a gzip stream");
    out
}

/// Whether the reply says `Vary: Accept-Encoding`.
fn varies_on_accept_encoding(reply: &Reply) -> bool {
    reply.head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("Vary")
                && value
                    .split(',')
                    .any(|v| v.trim().eq_ignore_ascii_case("Accept-Encoding"))
        })
    })
}

/// Accept-Encoding with its weights: gzip when a member with a weight above 0 accepts it,
/// the plain body otherwise (`gzip;q=0` is a no); Vary: Accept-Encoding either way, and no
/// finding.
#[test]
fn lesson_17_gzip_honours_the_weights_and_always_says_vary() {
    let server = start_server(&[&solution("lesson17_gzip.py")]);
    let gzipped = [
        "gzip",
        "GZIP",
        "x-gzip",
        "deflate, gzip;q=0.5",
        "gzip;q=1.000",
        "*",
        "br;q=0, *;q=0.1",
    ];
    let plain = [
        "",
        "gzip;q=0",
        "gzip; q=0.000",
        "deflate, gzip;Q=0",
        "*;q=0",
        "gzip;q=0, *",
        "identity",
        "br",
        "gzip;q=2",
        "gzip;q=high",
    ];
    for (accept, compressed) in gzipped
        .iter()
        .map(|a| (a, true))
        .chain(plain.iter().map(|a| (a, false)))
    {
        let header = if accept.is_empty() {
            String::new()
        } else {
            format!("Accept-Encoding: {accept}\r\n")
        };
        let reply = get_with(&server, "/", &header);
        assert_eq!(reply.status, 200);
        assert!(
            varies_on_accept_encoding(&reply),
            "{accept:?}: {}",
            reply.head
        );
        if compressed {
            assert_eq!(
                reply.header("Content-Encoding").as_deref(),
                Some("gzip"),
                "{accept:?}: {}",
                reply.head
            );
            assert_eq!(reply.header("Content-Length"), None, "{}", reply.head);
            assert_eq!(gunzip(&reply.body), greeting(), "{accept:?}");
        } else {
            assert_eq!(
                reply.header("Content-Encoding"),
                None,
                "{accept:?}: {}",
                reply.head
            );
            assert_eq!(reply.body, greeting(), "{accept:?}");
        }
        assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
    }
}

/// What the app sends with write() is compressed too, and goes out through the server's
/// write(); a streamed body is compressed as it comes.
#[test]
fn lesson_17_gzip_passes_write_through_and_streams() {
    let server = start_server(&[&solution("lesson17_gzip.py")]);
    let reply = get_with(&server, "/write", "Accept-Encoding: gzip\r\n");
    assert_eq!(reply.header("Content-Encoding").as_deref(), Some("gzip"));
    assert_eq!(
        String::from_utf8(gunzip(&reply.body)).unwrap(),
        "written with write(), then returned\n"
    );
    let record = server.next_typed();
    assert_eq!(record.write_calls, 1, "{record:?}");
    assert_eq!(rules(&record), Vec::<String>::new());

    let reply = get_with(&server, "/stream", "Accept-Encoding: gzip\r\n");
    let lines: String = (1..=50).map(|n| format!("line {n} of 50\n")).collect();
    assert_eq!(String::from_utf8(gunzip(&reply.body)).unwrap(), lines);
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
    // Fifty blocks in, few chunks out (lesson 17): the compressor kept the small lines until
    // the end, and the middleware yielded b"" meanwhile, which the server does not send.
    let (chunks, complete) = chunks_of(&reply.raw_body);
    assert!(complete);
    assert!((1..5).contains(&chunks.len()), "{} chunks", chunks.len());
}

/// Left alone: a body the app encoded itself (compressed once, its Content-Length kept), a
/// 204 and a 304 (no body, no Content-Encoding); each still says Vary.
#[test]
fn lesson_17_gzip_leaves_encoded_bodies_204_and_304_alone() {
    let server = start_server(&[&solution("lesson17_gzip.py")]);
    let reply = get_with(&server, "/packed", "Accept-Encoding: gzip\r\n");
    assert_eq!(reply.status, 200);
    let encodings: Vec<&str> = reply
        .head
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("content-encoding:"))
        .collect();
    assert_eq!(encodings, ["Content-Encoding: gzip"], "{}", reply.head);
    assert_eq!(
        reply.header("Content-Length"),
        Some(reply.body.len().to_string())
    );
    assert_eq!(
        gunzip(&reply.body),
        greeting(),
        "compressed once, not twice"
    );
    assert!(varies_on_accept_encoding(&reply));
    assert_eq!(rules(&server.next_typed()), Vec::<String>::new());

    for (target, extra, status) in [
        ("/empty", "", 204),
        ("/cached", "If-None-Match: \"v1\"\r\n", 304),
    ] {
        let headers = format!("Accept-Encoding: gzip\r\n{extra}");
        let reply = get_with(&server, target, &headers);
        assert_eq!(reply.status, status, "{target}: {}", reply.head);
        assert_eq!(reply.header("Content-Encoding"), None, "{}", reply.head);
        assert!(reply.body.is_empty());
        assert!(varies_on_accept_encoding(&reply), "{}", reply.head);
        assert_eq!(rules(&server.next_typed()), Vec::<String>::new());
    }
}

// ---- Lesson 9: plain WSGI, with what it echoes escaped ----

/// The two routes and the 404, and a name that is markup comes back escaped, as text.
#[test]
fn lesson_9_routes_and_escapes_the_name() {
    let server = start_server(&[&solution("lesson09_plain_hello.py")]);
    assert_reply(&server.get("/"), 200, &["Hello from plain WSGI"]);
    let reply = assert_reply(&server.get("/hello/class"), 200, &[]);
    assert_eq!(reply.text(), "Hello, class!\n");
    let reply = assert_reply(
        &server.get("/hello/%3Cimg%20src=x%20onerror=alert(1)%3E"),
        200,
        &[],
    );
    assert_eq!(reply.text(), "Hello, &lt;img src=x onerror=alert(1)&gt;!\n");
    assert_eq!(
        assert_reply(&server.get("/hello/Zo%C3%AB"), 200, &[]).text(),
        "Hello, Zoë!\n"
    );
    assert_reply(&server.get("/nowhere"), 404, &["Not Found"]);
    assert_reply(&server.get("/hello/a/b"), 404, &["Not Found"]);
}

// ---- Lesson 16: spot the bug, fix it, check it both ways ----

/// Lesson 16's four spot-the-bug apps (in apps/mistakes/, fixed in apps/solutions/ under
/// `lesson16_` and the same name): the rule wsgiscope names, and whether wsgiref's validator
/// stops the buggy app too (the lesson says which checker catches which).
const SPOT_THE_BUG: [(&str, &str, bool); 4] = [
    ("headers_tuple", "headers-not-list", true),
    ("read_no_length", "input-read-unbounded", true),
    ("content_length_wrong", "content-length-mismatch", false),
    ("generator_used_up", "iterated-after-close", false),
];

/// The app in `file` (a path in the crate) wrapped in wsgiref.validate.validator by
/// lessons/code/validated.py, as the lesson runs it.
fn validated(file: &str) -> String {
    format!(
        "{}:wrap({:?})",
        path("lessons/code/validated.py"),
        path(file)
    )
}

/// A GET, and a POST with a body, as the lesson's exercise checks a fix.
const GET_AND_POST: [&[u8]; 2] = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
];

/// What the validator says in the app's output: an assertion, a warning, an unclosed result.
fn validator_complaints(record: &Record) -> Vec<String> {
    ["AssertionError", "Warning", "garbage collected"]
        .iter()
        .filter(|bad| output_mentions(record, bad))
        .map(|bad| bad.to_string())
        .collect()
}

/// Each buggy app: --strict answers 500 naming its rule; the validator stops the ones the
/// lesson says it stops (a 500 for an AssertionError) and lets the others through.
#[test]
fn lesson_16_each_bug_is_caught_by_the_checker_the_lesson_names() {
    for (name, rule, validator_catches) in SPOT_THE_BUG {
        let buggy = format!("apps/mistakes/{name}.py");
        let strict = start_server(&["--strict", &path(&buggy)]);
        let reply = parse_reply(&strict.get("/"));
        assert_eq!(reply.status, 500, "{name} under --strict: {}", reply.text());
        assert!(reply.text().contains(rule), "{name}: {}", reply.text());
        assert_eq!(rules(&strict.next_typed()), [rule], "{name}");

        let checked = start_server(&[&validated(&buggy)]);
        let reply = parse_reply(&checked.get("/"));
        let record = checked.next_typed();
        if validator_catches {
            assert_eq!(
                reply.status,
                500,
                "{name} under the validator: {}",
                reply.text()
            );
            assert_error(&record, &["app-raised"], &["AssertionError"]);
        } else {
            assert_eq!(
                reply.status,
                200,
                "{name} under the validator: {}",
                reply.text()
            );
            assert_no_error(&record);
            assert_eq!(
                validator_complaints(&record),
                Vec::<String>::new(),
                "{name}"
            );
        }
    }
}

/// The validator refuses a read() without a size even when the request gave its length, where
/// wsgiscope alone finds nothing wrong (the server knows where the body ends).
#[test]
fn lesson_16_the_validator_refuses_every_read_without_a_size() {
    let with_length: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    let alone = start_server(&[&path("apps/mistakes/read_no_length.py")]);
    assert_eq!(
        parse_reply(&alone.send(with_length)).text(),
        "read 3 bytes\n"
    );
    assert_eq!(rules(&alone.next_typed()), Vec::<String>::new());

    let checked = start_server(&[&validated("apps/mistakes/read_no_length.py")]);
    assert_eq!(parse_reply(&checked.send(with_length)).status, 500);
    assert_error(&checked.next_typed(), &["app-raised"], &["AssertionError"]);
}

/// A softer rule is only a warning under the validator: the response goes out, the warning is
/// on stderr for the first request only (Python warns once per place), and wsgiscope's
/// finding is on every request.
#[test]
fn lesson_16_a_validator_warning_is_printed_once_and_the_finding_every_time() {
    let server = start_server(&[&validated("apps/mistakes/status_no_reason.py")]);
    for attempt in 1..=2 {
        let reply = parse_reply(&server.get("/"));
        assert_eq!(reply.status, 200, "request {attempt}: {}", reply.head);
        let record = server.next_typed();
        assert_eq!(rules(&record), ["status-no-reason"], "request {attempt}");
        let warned = output_mentions(&record, "WSGIWarning");
        assert_eq!(warned, attempt == 1, "request {attempt}: {record:?}");
    }
}

/// Each fix is clean both ways: under --strict a GET and a POST get 200 with no finding, and
/// under the validator the same, with no assertion and no warning.
#[test]
fn lesson_16_each_fix_is_clean_under_strict_and_the_validator() {
    for (name, _, _) in SPOT_THE_BUG {
        let fixed = format!("apps/solutions/lesson16_{name}.py");
        for args in [
            vec!["--strict".to_string(), path(&fixed)],
            vec![validated(&fixed)],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let server = start_server(&args);
            for request in GET_AND_POST {
                let raw = server.send(request);
                let reply = parse_reply(&raw);
                assert_eq!(
                    reply.status,
                    200,
                    "{args:?}: {}",
                    String::from_utf8_lossy(&raw)
                );
                let record = server.next_typed();
                assert_eq!(rules(&record), Vec::<String>::new(), "{args:?}: {record:?}");
                assert_no_error(&record);
                assert_eq!(
                    validator_complaints(&record),
                    Vec::<String>::new(),
                    "{args:?}"
                );
            }
        }
    }
    // The fixed body is the whole body: the count of bytes matches what is sent.
    let server = start_server(&[&solution("lesson16_content_length_wrong.py")]);
    assert_eq!(parse_reply(&server.get("/")).text(), "café\n");
    let server = start_server(&[&solution("lesson16_generator_used_up.py")]);
    assert_eq!(
        parse_reply(&server.get("/")).text(),
        "line 0\nline 1\nline 2\n"
    );
}

// ---- Lesson 18: a ProxyFix that trusts only the proxies it is told of ----

/// Assert the lesson 18 solution's answer has each of these lines (`key = value`, `was …`,
/// `url = …`).
fn assert_shows(reply: &Reply, wanted: &[&str]) {
    let text = reply.text();
    let lines: Vec<&str> = text.lines().collect();
    for line in wanted {
        assert!(lines.contains(line), "{line:?} in {lines:?}");
    }
}

/// With one trusted proxy the last X-Forwarded-For entry is the client, with two the one
/// before it; fewer entries than proxies (a request that did not come through them all)
/// change nothing. The scheme is taken only when it is http or https; the prefix goes in
/// front of the mount point; what was replaced is kept.
#[test]
fn lesson_18_proxy_fix_trusts_only_the_configured_proxies() {
    let one = start_server(&[&solution("lesson18_proxy_fix.py")]);
    let reply = get_with(
        &one,
        "/hello",
        "X-Forwarded-For: 6.6.6.6, 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\
         X-Forwarded-Host: example.org\r\nX-Forwarded-Prefix: /shop\r\n",
    );
    assert_shows(
        &reply,
        &[
            "REMOTE_ADDR = '203.0.113.9'",
            "wsgi.url_scheme = 'https'",
            "HTTP_HOST = 'example.org'",
            "SCRIPT_NAME = '/shop'",
            "was REMOTE_ADDR = '127.0.0.1'",
            "was HTTP_HOST = 'x'",
            "url = https://example.org/shop/hello",
        ],
    );
    assert_eq!(rules(&one.next_typed()), Vec::<String>::new());

    // A scheme that is neither http nor https is not believed.
    let reply = get_with(&one, "/", "X-Forwarded-Proto: gopher\r\n");
    assert_shows(&reply, &["wsgi.url_scheme = 'http'"]);

    let two = start_server(&[&format!(
        "{}:make_app(2)",
        solution("lesson18_proxy_fix.py")
    )]);
    let forwarded = "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.0.0.2\r\n";
    assert_shows(
        &get_with(&two, "/", forwarded),
        &["REMOTE_ADDR = '203.0.113.9'"],
    );
    // One entry, two proxies expected: not through both, so left as it is.
    let reply = get_with(&two, "/", "X-Forwarded-For: 6.6.6.6\r\n");
    assert_shows(&reply, &["REMOTE_ADDR = '127.0.0.1'"]);
    assert!(
        !reply.text().contains("was REMOTE_ADDR"),
        "{}",
        reply.text()
    );
}

/// Behind the real nginx of lesson 18, a forged X-Forwarded-For and X-Forwarded-Proto do not
/// win: the address is the one nginx appended, the scheme the one nginx set, and the path
/// nginx stripped comes back as SCRIPT_NAME.
#[test]
fn lesson_18_proxy_fix_behind_nginx_ignores_forged_headers() {
    let server = start_server(&[&solution("lesson18_proxy_fix.py")]);
    let nginx = nginx::Nginx::start("lessons/code/nginx.conf", server.addr);
    let mut conn = std::net::TcpStream::connect(nginx.addr).expect("nginx accepts");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    conn.write_all(
        b"GET /strip/page HTTP/1.1\r\nHost: localhost:8080\r\nX-Forwarded-For: 6.6.6.6\r\n\
          X-Forwarded-Proto: https\r\n\r\n",
    )
    .unwrap();
    let reply = parse_reply(&read_to_end(&mut conn));
    assert_eq!(reply.status, 200, "{}: {}", reply.head, nginx.error_log());
    assert_shows(
        &reply,
        &[
            "REMOTE_ADDR = '127.0.0.1'",
            "wsgi.url_scheme = 'http'",
            "SCRIPT_NAME = '/strip'",
            "PATH_INFO = '/page'",
            "url = http://localhost:8080/strip/page",
        ],
    );
    // The app's server was told the forged address, after nginx's own.
    let record = server.next_typed();
    assert_eq!(
        environ(&record, "HTTP_X_FORWARDED_FOR"),
        Some("'6.6.6.6, 127.0.0.1'")
    );
}

// ---- Lesson 19: mounting apps with wsgiref's helpers ----

/// Each mounted app sees its own mount point in SCRIPT_NAME, under --script-name too; `/`
/// lists the mounts, an unknown name is a 404 saying what is mounted; no finding.
#[test]
fn lesson_19_mount_dispatches_by_the_first_segment() {
    let server = start_server(&[&solution("lesson19_mount.py")]);
    let cases = [
        ("/", 200, "mounted: env, hello\n"),
        ("/hello/", 200, "hello from http://x/hello\n"),
        (
            "/env/some/where",
            200,
            "SCRIPT_NAME='/env' PATH_INFO='/some/where'\n",
        ),
        ("/env", 200, "SCRIPT_NAME='/env' PATH_INFO=''\n"),
        (
            "/nowhere/x",
            404,
            "nothing is mounted at /nowhere; mounted: env, hello\n",
        ),
    ];
    for (target, status, text) in cases {
        let reply = parse_reply(&server.get(target));
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (status, text),
            "{target}"
        );
        assert_eq!(
            rules(&server.next_typed()),
            Vec::<String>::new(),
            "{target}"
        );
    }
    let mounted = start_server(&["--script-name", "/site", &solution("lesson19_mount.py")]);
    let reply = parse_reply(&mounted.get("/site/env/a"));
    assert_eq!(reply.text(), "SCRIPT_NAME='/site/env' PATH_INFO='/a'\n");
}

/// The solution's own checks, which call the app without a server through
/// setup_testing_defaults, pass.
#[test]
fn lesson_19_mount_passes_its_serverless_checks() {
    let out = Command::new("python3")
        .arg(solution("lesson19_mount.py"))
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said, "lesson19_mount: all checks passed\n");
}
