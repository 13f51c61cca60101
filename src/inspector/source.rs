//! Where a byte came from: which part of the raw request an environ key was built from.
//!
//! The environ is not magic: `HTTP_USER_AGENT` is the `User-Agent:` line with its name
//! upper-cased and `-` turned into `_`; `PATH_INFO` and `QUERY_STRING` are the two halves of
//! the request target around `?`; `CONTENT_LENGTH` is its header without the `HTTP_` prefix;
//! `wsgi.input` reads the body. Some keys come from no byte at all: `REMOTE_ADDR` is the TCP
//! connection's address, `SERVER_NAME` the server's own setting. [`source_of`] answers this for
//! one key, so the inspector can highlight the bytes.
//!
//! It does not look for the parts in the bytes itself: the parser said where each one is
//! ([`Spans`]), and a second reading of the same bytes could disagree with the first.

use std::ops::Range;

use crate::request::Spans;

/// Where one environ key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// These byte ranges of the raw request.
    Bytes(Vec<Range<usize>>),
    /// Not from the request bytes; the sentence says from where.
    Elsewhere(&'static str),
}

/// The environ key a header name becomes (`User-Agent` → `HTTP_USER_AGENT`, but
/// `Content-Type` → `CONTENT_TYPE`, as PEP 3333 and CGI say).
pub fn environ_key_of_header(name: &[u8]) -> String {
    let upper: String = name
        .iter()
        .map(|&b| match b {
            b'-' => '_',
            _ => b.to_ascii_uppercase() as char,
        })
        .collect();
    match upper.as_str() {
        "CONTENT_TYPE" | "CONTENT_LENGTH" => upper,
        _ => format!("HTTP_{upper}"),
    }
}

/// Which bytes of the request the environ `key` was built from, given where the parser found
/// each part (`spans`; `raw`, the bytes as received, names the header fields). None for
/// `spans` means the head was never parsed.
pub fn source_of(key: &str, raw: &[u8], spans: Option<&Spans>) -> Source {
    let Some(spans) = spans else {
        return Source::Elsewhere("the request was not parsed, so no key was built from it");
    };
    let target = spans.target.clone();
    let question = raw
        .get(target.clone())
        .and_then(|bytes| bytes.iter().position(|&b| b == b'?'))
        .map(|q| target.start + q);
    let bytes = |r: Range<usize>| Source::Bytes(vec![r]);
    match key {
        "REQUEST_METHOD" => bytes(spans.method.clone()),
        "SERVER_PROTOCOL" => bytes(spans.version.clone()),
        "REQUEST_URI" => bytes(target),
        "PATH_INFO" => bytes(target.start..question.unwrap_or(target.end)),
        "QUERY_STRING" => match question {
            Some(q) => bytes(q + 1..target.end),
            None => Source::Elsewhere("the target has no '?', so QUERY_STRING is empty"),
        },
        "SCRIPT_NAME" => {
            Source::Elsewhere("the mount point set with --script-name, not the request")
        }
        "SERVER_NAME" | "SERVER_PORT" => {
            Source::Elsewhere("the server's own address (--host, --port), not the Host header")
        }
        "REMOTE_ADDR" | "REMOTE_PORT" => {
            Source::Elsewhere("the TCP connection: the client's address, not any request byte")
        }
        "SERVER_SOFTWARE" => Source::Elsewhere("the server's name and version"),
        "wsgi.input" => match &spans.body {
            Some(body) if !body.is_empty() => bytes(body.clone()),
            _ => Source::Elsewhere("the body, and this request has none"),
        },
        "wsgi.input_terminated" => Source::Elsewhere(
            "always True here: the server read the whole body, so reading to the end is safe",
        ),
        key if key.starts_with("wsgi.") => {
            Source::Elsewhere("set by the server for every request (the fixed part of the environ)")
        }
        key => {
            let lines: Vec<Range<usize>> = spans
                .fields
                .iter()
                .filter(|field| !field.dropped)
                .filter(|field| {
                    raw.get(field.name.clone())
                        .is_some_and(|name| environ_key_of_header(name) == key)
                })
                .map(|field| field.line.clone())
                .collect();
            if lines.is_empty() {
                Source::Elsewhere("no request byte: added by the server or the app's framework")
            } else {
                Source::Bytes(lines)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_request;

    /// Where `key` came from in `raw`, as text, with the spans the parser finds in it and the
    /// body after the head, as the connection adds it once the request is complete.
    fn text_in(raw: &[u8], key: &str) -> Vec<String> {
        let request = parse_request(raw, 1 << 20)
            .expect("a valid request")
            .expect("a complete head");
        let mut spans = request.spans;
        spans.body = Some(request.head_len..raw.len());
        match source_of(key, raw, Some(&spans)) {
            Source::Bytes(ranges) => ranges
                .into_iter()
                .map(|r| String::from_utf8_lossy(&raw[r]).into_owned())
                .collect(),
            Source::Elsewhere(why) => vec![format!("elsewhere: {why}")],
        }
    }

    const RAW: &[u8] = b"POST /up/load?x=1 HTTP/1.1\r\nUser-Agent: curl\r\nContent-Length: 3\r\nX-A: 1\r\nX-A: 2\r\n\r\nabc";

    fn text(key: &str) -> Vec<String> {
        text_in(RAW, key)
    }

    #[test]
    fn request_line_keys_point_into_the_request_line() {
        assert_eq!(text("REQUEST_METHOD"), ["POST"]);
        assert_eq!(text("PATH_INFO"), ["/up/load"]);
        assert_eq!(text("QUERY_STRING"), ["x=1"]);
        assert_eq!(text("REQUEST_URI"), ["/up/load?x=1"]);
        assert_eq!(text("SERVER_PROTOCOL"), ["HTTP/1.1"]);
    }

    #[test]
    fn header_keys_point_at_their_lines_even_when_repeated() {
        assert_eq!(text("HTTP_USER_AGENT"), ["User-Agent: curl"]);
        assert_eq!(text("CONTENT_LENGTH"), ["Content-Length: 3"]);
        assert_eq!(text("HTTP_X_A"), ["X-A: 1", "X-A: 2"]);
    }

    #[test]
    fn the_body_is_wsgi_input_and_addresses_come_from_elsewhere() {
        assert_eq!(text("wsgi.input"), ["abc"]);
        assert!(text("REMOTE_ADDR")[0].contains("TCP connection"));
        assert!(text("HTTP_HOST")[0].starts_with("elsewhere"));
    }

    /// A telnet user who pressed Enter before typing the request line: the parser skips the
    /// empty line, and so does the highlight (a scanner that took the first line for the
    /// request line lit nothing here).
    #[test]
    fn an_empty_line_before_the_request_line_moves_every_part() {
        let raw = b"\r\nGET /a?b HTTP/1.1\r\nHost: h\r\n\r\n";
        assert_eq!(text_in(raw, "REQUEST_METHOD"), ["GET"]);
        assert_eq!(text_in(raw, "QUERY_STRING"), ["b"]);
        assert_eq!(text_in(raw, "SERVER_PROTOCOL"), ["HTTP/1.1"]);
        assert_eq!(text_in(raw, "HTTP_HOST"), ["Host: h"]);
    }

    /// A blank line inside the body is body, not the end of the headers: only the head's
    /// lines are fields.
    #[test]
    fn lines_of_the_body_are_not_header_fields() {
        let raw = b"POST / HTTP/1.1\nHost: h\nContent-Length: 9\n\nX\n\nY-Z: 1\n";
        assert_eq!(text_in(raw, "wsgi.input"), ["X\n\nY-Z: 1\n"]);
        assert!(text_in(raw, "HTTP_Y_Z")[0].starts_with("elsewhere"));
    }

    /// A field the server dropped (an `_` in its name) was not what the environ key came from.
    #[test]
    fn a_dropped_field_is_not_a_source() {
        let raw = b"GET / HTTP/1.1\r\nHost: h\r\nX_A: 1\r\nX-A: 2\r\n\r\n";
        assert_eq!(text_in(raw, "HTTP_X_A"), ["X-A: 2"]);
    }

    #[test]
    fn an_unparsed_request_has_no_sources() {
        let Source::Elsewhere(why) = source_of("REQUEST_METHOD", b"GE", None) else {
            panic!("an unparsed request has no byte ranges");
        };
        assert!(why.contains("not parsed"), "{why}");
    }
}
