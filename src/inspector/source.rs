//! Where a byte came from: which part of the raw request an environ key was built from.
//!
//! The environ is not magic: `HTTP_USER_AGENT` is the `User-Agent:` line with its name
//! upper-cased and `-` turned into `_`; `PATH_INFO` and `QUERY_STRING` are the two halves of
//! the request target around `?`; `CONTENT_LENGTH` is its header without the `HTTP_` prefix;
//! `wsgi.input` reads the body. Some keys come from no byte at all: `REMOTE_ADDR` is the TCP
//! connection's address, `SERVER_NAME` the server's own setting. [`source_of`] answers this for
//! one key, from the raw bytes alone, so the inspector can highlight them.

use std::ops::Range;

/// Where one environ key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// These byte ranges of the raw request.
    Bytes(Vec<Range<usize>>),
    /// Not from the request bytes; the sentence says from where.
    Elsewhere(&'static str),
}

/// The request line's parts and the header lines, found in raw bytes (LF or CRLF line ends).
struct Head {
    method: Range<usize>,
    target: Range<usize>,
    version: Range<usize>,
    /// Each header line: the whole line (without its line end) and the name's range.
    headers: Vec<(Range<usize>, Range<usize>)>,
    /// Where the body starts, when the blank line was seen.
    body: Option<usize>,
}

fn line_end(raw: &[u8], from: usize) -> Option<(usize, usize)> {
    let nl = raw[from..].iter().position(|&b| b == b'\n')? + from;
    let content_end = if nl > from && raw[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((content_end, nl + 1))
}

fn scan_head(raw: &[u8]) -> Head {
    let (first_end, mut next) = line_end(raw, 0).unwrap_or((raw.len(), raw.len()));
    let first = &raw[..first_end];
    let mut parts = Vec::new();
    let mut start = None;
    for (i, &b) in first
        .iter()
        .enumerate()
        .chain(std::iter::once((first.len(), &b' ')))
    {
        match (b == b' ', start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                parts.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    let part = |i: usize| parts.get(i).cloned().unwrap_or(0..0);
    let mut head = Head {
        method: part(0),
        target: part(1),
        version: part(2),
        headers: Vec::new(),
        body: None,
    };
    while let Some((end, after)) = line_end(raw, next) {
        if end == next {
            head.body = Some(after);
            break;
        }
        let colon = raw[next..end]
            .iter()
            .position(|&b| b == b':')
            .map_or(end, |c| next + c);
        head.headers.push((next..end, next..colon));
        next = after;
    }
    head
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

/// Which bytes of `raw` (the request as received) the environ `key` was built from.
pub fn source_of(key: &str, raw: &[u8]) -> Source {
    let head = scan_head(raw);
    let target = &raw[head.target.clone()];
    let question = target
        .iter()
        .position(|&b| b == b'?')
        .map(|q| head.target.start + q);
    let bytes = |r: Range<usize>| Source::Bytes(vec![r]);
    match key {
        "REQUEST_METHOD" => bytes(head.method),
        "SERVER_PROTOCOL" => bytes(head.version),
        "REQUEST_URI" => bytes(head.target),
        "PATH_INFO" => bytes(head.target.start..question.unwrap_or(head.target.end)),
        "QUERY_STRING" => match question {
            Some(q) => bytes(q + 1..head.target.end),
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
        "wsgi.input" => match head.body {
            Some(start) if start < raw.len() => bytes(start..raw.len()),
            _ => Source::Elsewhere("the body, and this request has none"),
        },
        "wsgi.input_terminated" => Source::Elsewhere(
            "always True here: the server read the whole body, so reading to the end is safe",
        ),
        key if key.starts_with("wsgi.") => {
            Source::Elsewhere("set by the server for every request (the fixed part of the environ)")
        }
        key => {
            let lines: Vec<Range<usize>> = head
                .headers
                .iter()
                .filter(|(_, name)| environ_key_of_header(&raw[name.clone()]) == key)
                .map(|(line, _)| line.clone())
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

    const RAW: &[u8] = b"POST /up/load?x=1 HTTP/1.1\r\nUser-Agent: curl\r\nContent-Length: 3\r\nX-A: 1\nX-A: 2\r\n\r\nabc";

    fn text(key: &str) -> Vec<String> {
        match source_of(key, RAW) {
            Source::Bytes(ranges) => ranges
                .into_iter()
                .map(|r| String::from_utf8_lossy(&RAW[r]).into_owned())
                .collect(),
            Source::Elsewhere(why) => vec![format!("elsewhere: {why}")],
        }
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
}
