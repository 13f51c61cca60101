//! Every request the server refuses, over real TCP: the status (400, or 413, 431, 501, 505 where
//! they fit) and a body that says in one sentence what was wrong, so a student who typed a
//! request by hand learns which rule they broke. Many of these rules exist because two servers
//! that read a request differently can be fooled into seeing two requests ("smuggling").
//!
//! Each test sends its cases to one server, one connection per case (the server closes every
//! connection), then checks that the server still serves a good request.

mod common;

use std::io::Write as _;

use common::*;

/// One refused request: what it shows, its bytes, the expected status, and the id of the rule
/// it breaks (the record's `error`; the body says the rule's sentence).
type Case<'a> = (&'a str, &'a [u8], u16, &'a str);

/// Send every case and check its answer, then check the server still serves.
fn assert_refused(cases: &[Case<'_>]) {
    let server = start_server(&["--max-body", "1000", &path("apps/echo.py")]);
    for (what, request, status, rule) in cases {
        let raw = server.send(request);
        let reply = parse_reply(&raw);
        assert_eq!(
            reply.status,
            *status,
            "{what}: {}",
            String::from_utf8_lossy(&raw)
        );
        let record = server.next_typed();
        assert_eq!(record.response.status, Some(*status), "{what}: {record:?}");
        assert_error(&record, &[*rule], &[]);
        // The body says the sentence the record keeps, after the status line.
        let message = record.error.first().map_or("", |e| e.message.as_str());
        let sentence = message.split_once(": ").map_or(message, |(_, s)| s);
        assert!(
            reply.text().starts_with(&format!("{status} "))
                && reply.text().ends_with(&format!("\n\n{sentence}\n")),
            "{what}: the body is not the record's sentence: {}\n{record:?}",
            reply.text()
        );
    }
    let good = server.get("/");
    assert_reply(&good, 200, &["<form"]);
}

/// The request line is `METHOD SP TARGET SP HTTP-VERSION` (RFC 9112 §3): a missing part, a
/// method that is not a token, or a version that is not `HTTP/1.x` is refused; a well-formed
/// but unsupported version gets 505.
#[test]
fn malformed_request_lines_are_refused_with_400_or_505() {
    assert_refused(&[
        ("no version", b"GET /\r\n\r\n", 400, "version-missing"),
        (
            "bad method token",
            b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "method-not-token",
        ),
        (
            "malformed version",
            b"GET / HTTP/1\r\nHost: x\r\n\r\n",
            400,
            "version-malformed",
        ),
        (
            "unsupported version",
            b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
            505,
            "version-not-supported",
        ),
    ]);
}

/// An origin server takes `/path` (origin-form), `http://host/path` (absolute-form) and `*`
/// for OPTIONS; a relative target, or `host:port` outside CONNECT, is refused (RFC 9112 §3.2).
#[test]
fn relative_and_authority_form_targets_are_refused() {
    assert_refused(&[
        (
            "relative target",
            b"GET foo HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "target-relative",
        ),
        (
            "authority-form outside CONNECT",
            b"GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "authority-form-not-served",
        ),
        (
            "asterisk outside OPTIONS",
            b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            "asterisk-form-not-options",
        ),
    ]);
}

/// Header names are tokens; values may not hold control characters (NUL, BEL, DEL, a CR not
/// followed by LF), and a line starting with white space (obsolete folding) is refused.
#[test]
fn bad_header_names_control_characters_and_folding_are_refused() {
    assert_refused(&[
        (
            "name with a space",
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n",
            400,
            "field-name-not-token",
        ),
        (
            "NUL in a value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
            400,
            "field-value-control",
        ),
        (
            "BEL in a value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x07b\r\n\r\n",
            400,
            "field-value-control",
        ),
        (
            "DEL in a value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n",
            400,
            "field-value-control",
        ),
        (
            "bare CR in a value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
            400,
            "bare-cr",
        ),
        (
            "obsolete line folding",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
            400,
            "obsolete-line-folding",
        ),
    ]);
}

/// A head ends its lines one way: CRLF (telnet) or a bare LF (netcat), fixed by the first line
/// end, never a mix (RFC 9112 §2.2 allows the lone LF, not the ambiguity). `X: X\n\n` inside a
/// CRLF head would end it early for a parser that takes a lone LF, and hide the Host and
/// Content-Length after it that a parser splitting only at CRLF reads.
#[test]
fn heads_that_mix_crlf_and_bare_lf_are_refused() {
    assert_refused(&[
        (
            "an LF-ended field and empty line inside a CRLF head",
            b"GET / HTTP/1.1\r\nX: X\n\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            400,
            "mixed-line-ends",
        ),
        (
            "a CRLF field in an LF head",
            b"GET / HTTP/1.1\nHost: x\r\n\n",
            400,
            "mixed-line-ends",
        ),
        (
            "a bare-LF empty line ending a CRLF head",
            b"GET / HTTP/1.1\r\nHost: x\r\n\n",
            400,
            "mixed-line-ends",
        ),
        (
            "a CRLF empty line before an LF request",
            b"\r\nGET / HTTP/1.1\nHost: x\n\n",
            400,
            "mixed-line-ends",
        ),
    ]);
}

/// Empty lines before the request line are skipped (RFC 9112 §2.2), so a person who pressed
/// Enter before typing the request is served, with telnet's CRLF as with netcat's bare LF:
/// their first line end is the empty line's, and every later one is the same.
#[test]
fn enter_before_the_request_line_is_served_in_telnet_and_in_netcat() {
    let server = start_server(&[&path("apps/echo.py")]);
    let typed: [(&str, &[u8]); 2] = [
        ("telnet", b"\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        ("netcat", b"\nGET / HTTP/1.1\nHost: localhost\n\n"),
    ];
    for (client, request) in typed {
        let reply = parse_reply(&server.send(request));
        assert_eq!(reply.status, 200, "{client}: {}", reply.text());
        assert!(reply.text().contains("<form"), "{client}: {}", reply.text());
        let record = server.next_typed();
        assert_eq!(record.checks, [], "{client}: {record:?}");
    }
}

/// A Host value is a host and an optional port (RFC 9110 §7.2): a name, an IPv4 address or an
/// IPv6 address in brackets (RFC 3986 §3.2.2), then `:` and digits. Anything else is a 400
/// (RFC 9112 §3.2): a space, or user information, which a Host never carries.
#[test]
fn host_values_that_are_not_hosts_are_refused() {
    assert_refused(&[
        (
            "a space in Host",
            b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
            400,
            "host-invalid",
        ),
        (
            "user information in Host",
            b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
            400,
            "host-invalid",
        ),
        (
            "a port that is not digits",
            b"GET / HTTP/1.1\r\nHost: localhost:http\r\n\r\n",
            400,
            "host-invalid",
        ),
        (
            "an IPv6 address without brackets",
            b"GET / HTTP/1.1\r\nHost: ::1\r\n\r\n",
            400,
            "host-invalid",
        ),
    ]);
}

/// Every form of host is served: a name and port, an IPv4 address, an IPv6 literal with a
/// port, a plain name, a punycode name; and an empty Host, which RFC 9112 §3.2 has a client
/// send when the target has no authority. An HTTP/1.1 request without Host is served too (the
/// tutorial's telnet transcript sends one), with its `missing-host` finding.
#[test]
fn host_values_of_every_form_are_served() {
    let server = start_server(&[&path("apps/echo.py")]);
    let hosts = [
        "localhost:8888",
        "127.0.0.1",
        "[::1]:8888",
        "example.com",
        "xn--bcher-kva.example",
        "",
    ];
    for host in hosts {
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let reply = parse_reply(&server.send(request.as_bytes()));
        assert_eq!(reply.status, 200, "Host: {host}: {}", reply.text());
        let record = server.next_typed();
        assert_eq!(
            environ(&record, "HTTP_HOST"),
            Some(&*format!("'{host}'")),
            "{record:?}"
        );
        assert_eq!(record.checks, [], "Host: {host}: {record:?}");
    }
    let reply = parse_reply(&server.send(b"GET / HTTP/1.1\r\n\r\n"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let record = server.next_typed();
    let rules: Vec<&str> = record.checks.iter().map(|c| c.rule.as_str()).collect();
    assert_eq!(rules, ["missing-host"], "{record:?}");
}

/// The body's length must be unambiguous (RFC 9112 §6.3): Content-Length with
/// Transfer-Encoding, two different lengths, a list, or a non-number are refused.
#[test]
fn ambiguous_content_length_is_refused() {
    assert_refused(&[
        (
            "Content-Length with Transfer-Encoding",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "length-and-chunked",
        ),
        (
            "conflicting Content-Length",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            400,
            "request-length-conflict",
        ),
        (
            "list-form Content-Length",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
            400,
            "request-length-list",
        ),
        (
            "non-numeric Content-Length",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\nhello",
            400,
            "request-length-not-digits",
        ),
    ]);
}

/// Transfer-Encoding must end with chunked (else the body has no end), is not HTTP/1.0, and
/// a coding the server cannot decode is "not implemented" (501).
#[test]
fn bad_transfer_encodings_are_refused() {
    assert_refused(&[
        (
            "chunked not last",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
            400,
            "chunked-not-last",
        ),
        (
            "chunked missing",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
            "chunked-not-last",
        ),
        (
            "Transfer-Encoding on HTTP/1.0",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "chunked-in-http10",
        ),
        (
            "unknown coding",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            501,
            "coding-not-implemented",
        ),
    ]);
}

/// A chunk size is hex digits only (RFC 9112 §7.1): signs, underscores, spaces or no digits
/// would be read differently by different parsers; a bare CR in an extension, data longer
/// than its size (the missing CRLF), and trailers that frame or route the request
/// (Content-Length, Host, Transfer-Encoding) are refused too.
#[test]
fn bad_chunked_bodies_are_refused() {
    let bodies: [(&str, &[u8], &str); 12] = [
        (
            "plus sign",
            b"+5\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "minus sign",
            b"-5\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "underscore",
            b"6_0\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "space after",
            b"5 \r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "space before",
            b" 5\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "no digits",
            b"\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
        (
            "bare CR in extension",
            b"5;a=\rb\r\nhello\r\n0\r\n\r\n",
            "chunk-bare-cr",
        ),
        (
            "missing CRLF after data",
            b"5\r\nhello!\r\n0\r\n\r\n",
            "chunk-data-no-crlf",
        ),
        (
            "Content-Length trailer",
            b"5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n",
            "trailer-forbidden",
        ),
        (
            "Host trailer",
            b"5\r\nhello\r\n0\r\nHost: y\r\n\r\n",
            "trailer-forbidden",
        ),
        (
            "Transfer-Encoding trailer",
            b"5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "trailer-forbidden",
        ),
        (
            "not hex",
            b"zz\r\nhello\r\n0\r\n\r\n",
            "chunk-size-malformed",
        ),
    ];
    assert_chunked_refused(&bodies);
}

/// The head of every chunked request below.
const CHUNKED_HEAD: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Send each body after [`CHUNKED_HEAD`]; each must get a 400 for its rule.
fn assert_chunked_refused(bodies: &[(&str, &[u8], &str)]) {
    let requests: Vec<(&str, Vec<u8>, &str)> = bodies
        .iter()
        .map(|(what, body, rule)| (*what, [CHUNKED_HEAD, body].concat(), *rule))
        .collect();
    let cases: Vec<Case<'_>> = requests
        .iter()
        .map(|(what, request, rule)| (*what, request.as_slice(), 400, *rule))
        .collect();
    assert_refused(&cases);
}

/// A lone LF ends a line only in the request line and the header fields (RFC 9112 §2.2); in
/// chunked framing every line ends in CRLF (§7.1): after the size, after the data, after each
/// trailer and the empty line at the end. A proxy that reads `5\nhello` as one line would see
/// another body than a server that took the LF as a line end.
#[test]
fn bare_lf_in_chunked_framing_is_refused() {
    assert_chunked_refused(&[
        (
            "bare LF after the chunk size",
            b"5\nhello\r\n0\r\n\r\n",
            "chunk-bare-lf",
        ),
        (
            "bare LF after the chunk data",
            b"5\r\nhello\n0\r\n\r\n",
            "chunk-data-bare-lf",
        ),
        (
            "bare LF after the last chunk",
            b"5\r\nhello\r\n0\n\r\n",
            "chunk-bare-lf",
        ),
        (
            "bare LF after a trailer",
            b"5\r\nhello\r\n0\r\nX-Sum: 1\n\r\n",
            "chunk-bare-lf",
        ),
        (
            "bare LF as the final empty line",
            b"5\r\nhello\r\n0\r\n\n",
            "chunk-bare-lf",
        ),
        (
            "a whole body typed into nc",
            b"5\nhello\n0\n\n",
            "chunk-bare-lf",
        ),
    ]);
}

/// Chunk extensions follow RFC 9112 §7.1.1: `;`, a token name, then optionally `=` and a
/// token or quoted-string value, with optional white space around `;` and `=` and nothing
/// else.
#[test]
fn chunk_extensions_outside_the_grammar_are_refused() {
    assert_chunked_refused(&[
        (
            "no name before '='",
            b"5;=x\r\nhello\r\n0\r\n\r\n",
            "chunk-extension-malformed",
        ),
        (
            "a space inside the extension",
            b"5;a b\r\nhello\r\n0\r\n\r\n",
            "chunk-extension-malformed",
        ),
        (
            "a value that is not a token",
            b"5;a=@\r\nhello\r\n0\r\n\r\n",
            "chunk-extension-malformed",
        ),
        (
            "';' with no extension",
            b"2;\r\nhi\r\n0\r\n\r\n",
            "chunk-extension-malformed",
        ),
        (
            "an unterminated quoted value",
            b"5;a=\"x\r\nhello\r\n0\r\n\r\n",
            "chunk-extension-malformed",
        ),
    ]);
}

/// What the grammar allows is served, the extensions skipped: a name alone, a name and a
/// token, white space around `;` and `=` with a quoted value, an escaped quote, several.
#[test]
fn chunk_extensions_within_the_grammar_are_served() {
    let server = start_server(&[&path("apps/echo.py")]);
    let sizes: [&[u8]; 5] = [
        b"5;a",
        b"5;a=b",
        b"5 ; a = \"x y\"",
        b"5;a=\"q\\\"uote\"",
        b"5;a;b=c;d=\"e f\"",
    ];
    for size in sizes {
        let request = [CHUNKED_HEAD, size, b"\r\nhello\r\n0\r\n\r\n"].concat();
        let reply = parse_reply(&server.send(&request));
        let what = String::from_utf8_lossy(size);
        assert_eq!(reply.status, 200, "{what}: {}", reply.text());
        assert_eq!(reply.text(), "hello", "{what}");
        assert_eq!(server.next_typed().checks, [], "{what}");
    }
}

/// `head`, then `n` times `a`, then `tail`: a request too large in one place.
fn padded(head: &[u8], n: usize, tail: &[u8]) -> Vec<u8> {
    [head, &vec![b'a'; n], tail].concat()
}

/// The head is limited to 100 header fields and 64 KiB (431), so a client cannot make the
/// server hold an endless head in memory.
#[test]
fn oversized_heads_get_431() {
    let many: Vec<u8> = (0..101)
        .flat_map(|i| format!("X-{i}: 1\r\n").into_bytes())
        .collect();
    let many = [b"GET / HTTP/1.1\r\nHost: x\r\n".as_slice(), &many, b"\r\n"].concat();
    let long = padded(b"GET / HTTP/1.1\r\nHost: x\r\nX: ", 70_000, b"\r\n\r\n");
    assert_refused(&[
        ("101 header fields", &many, 431, "too-many-fields"),
        ("a 70 KB header block", &long, 431, "head-too-large"),
    ]);
}

/// A body over `--max-body` gets 413, announced by Content-Length or found while decoding a
/// chunked body.
#[test]
fn bodies_over_max_body_get_413() {
    let chunked = padded(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n",
        2000,
        b"\r\n0\r\n\r\n",
    );
    assert_refused(&[
        (
            "Content-Length over the limit",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
            413,
            "body-too-large",
        ),
        ("chunked over the limit", &chunked, 413, "body-too-large"),
    ]);
}

/// The 413 goes out as soon as the headers announce a too-large body: the client learns it
/// before uploading anything. This client sends only the head, then waits for the answer.
#[test]
fn too_large_body_is_refused_before_the_client_sends_it() {
    let server = start_server(&["--max-body", "1000", &path("apps/echo.py")]);
    let mut conn = server.connect();
    conn.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        .unwrap();
    let head = read_until(&mut conn, b"\r\n\r\n");
    assert!(
        head.starts_with(b"HTTP/1.1 413 Content Too Large\r\n"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let body = String::from_utf8_lossy(&read_to_end(&mut conn)).into_owned();
    assert!(body.contains("--max-body"), "{body}");
}

/// CONNECT asks a proxy for a tunnel; this server is not a proxy (501).
#[test]
fn connect_is_not_implemented() {
    assert_refused(&[(
        "CONNECT",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        501,
        "connect-not-served",
    )]);
}
