//! The response on the wire: status line, header block, body, and the rules for when each goes.
//!
//! The app does not write the response; it describes it. `start_response` names a status and
//! headers, and the app's result (or `write()`) gives the body in chunks. This module turns that
//! into bytes:
//!
//! ```text
//! HTTP/1.1 200 OK\r\n                  status line (always HTTP/1.1: the version we speak)
//! Content-Type: text/plain\r\n         the app's headers, in its order
//! Content-Length: 12\r\n               added when the result was a one-item list
//! Date: Wed, 25 Nov 2026 10:00:00 GMT\r\n   added unless the app set it (RFC 9110 §6.6.1)
//! Server: wsgiscope/0.1.0\r\n          added unless the app set it
//! Connection: close\r\n                one request per connection, like the tutorial (with
//!                                      --keep-alive: only on the last one)
//! \r\n
//! hello world!                         the body chunks, as the app yields them
//! ```
//!
//! **How the client knows where the body ends** ([`Framing`], RFC 9112 §6.3): by a
//! Content-Length (the app's, or the server's when the result was a one-item list); for an
//! HTTP/1.1 client without one, by `Transfer-Encoding: chunked`, each chunk the app yields
//! sent at once with its size in hex before it and `0\r\n\r\n` at the end; for an HTTP/1.0
//! client, which does not know chunked, by the server closing the connection. HEAD, 1xx, 204
//! and 304 responses have no body at all. With `--keep-alive` the connection stays open after
//! a response whose end the client could tell, and `Connection: close` is sent only when the
//! server closes.
//!
//! The module has two layers. The pure encoding ([`encode_head`], [`server_response`]): a head
//! in, bytes out, no socket, so a test can read exactly what would be sent. And [`Response`],
//! the rules of *when* each part goes and what the app may still change, which hands the bytes
//! to the connection's [`Writer`] (in [`crate::connection`], with the socket and its waits).
//!
//! **Headers go out late.** Not when `start_response` is called, but just before the first
//! non-empty body chunk (or at the end, for an empty body), as PEP 3333 §The start_response()
//! Callable asks. Until then the app may still change its mind: call `start_response` again with
//! `exc_info` and send an error page instead.

use std::io;
use std::net::TcpStream;

use chrono::Utc;

use crate::checks::{self, Check, Spot};
use crate::clock::PerSecond;
use crate::connection::Writer;
use crate::environ::SERVER_SOFTWARE;
use crate::exchange::{CappedBytes, Exchange, Failure, MAX_WRITES, StartResponseCall};

/// What `start_response` set and is not sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status as the app gave it: "200 OK".
    pub status: String,
    /// Its numeric code.
    pub code: u16,
    /// The app's headers, checked.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this status may carry a body (RFC 9110 §6.4.1: 1xx, 204 and 304 never do).
    pub fn allows_body(&self) -> bool {
        !(self.code < 200 || self.code == 204 || self.code == 304)
    }
}

pub use crate::exchange::Framing;

/// What the server tells the client about the connection, in the last header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionHeader {
    /// `Connection: close`: the server closes after this response.
    Close,
    /// `Connection: keep-alive`: an HTTP/1.0 client asked for it and gets it.
    KeepAlive,
    /// Nothing: HTTP/1.1 connections stay open unless one side says close.
    Persistent,
}

/// The response being sent on one connection, shared by `start_response`, `write()` and
/// `finish_response`.
#[derive(Debug)]
pub struct Response {
    /// Where the bytes go: the connection's sending side.
    writer: Writer,
    /// A HEAD request: headers as for GET, no body (RFC 9110 §9.3.2).
    head_request: bool,
    /// The request was HTTP/1.1, so a body of unknown length may be chunked.
    http11: bool,
    /// The server would keep the connection open after this response (`--keep-alive`, the
    /// client did not say close, the connection's request limit is not reached).
    keep_alive: bool,
    /// How the body's end is told, once the head went out.
    pub framing: Option<Framing>,
    /// The response ended as its head said it would (the last chunk sent, the length met).
    complete: bool,
    /// The exchange is over and its record taken: nothing more may be sent.
    recorded: bool,
    /// What start_response set, until it is sent.
    pub head: Option<Head>,
    /// Whether the status line and headers went out. After that the app can no longer change
    /// them.
    pub headers_sent: bool,
    /// The Content-Length that was sent (from the app, or added by us), if any.
    pub content_length: Option<u64>,
    /// Body bytes the app produced, sent or not.
    pub body_produced: u64,
    /// Body bytes that went on the wire.
    pub body_sent: u64,
    /// The bytes sent, for the record.
    pub raw: CappedBytes,
    /// Every start_response call, for the record.
    pub calls: Vec<StartResponseCall>,
    /// The size of every write() call, for the record.
    pub writes: Vec<usize>,
    /// How many write() calls there were (only the first [`MAX_WRITES`] sizes are kept).
    pub write_calls: u64,
    /// Findings made while the app ran and the response was sent.
    pub checks: Vec<Check>,
    /// `--strict`: a finding about the app replaces the response with a 500 (or, once the
    /// head was sent, cuts the connection).
    strict: bool,
    /// Why `--strict` stopped the app's response, once it did (`strict-500` before the head
    /// went out, `strict-cut` after); nothing more is sent then.
    pub stopped: Option<Failure>,
    /// The whole body's length, when the server knows it before sending (a one-item list).
    whole_body: Option<u64>,
    /// Which finding said the body was not allowed (1xx/204/304/HEAD), to update its count.
    body_finding: Option<usize>,
    /// Which finding said the body does not match Content-Length, to update its count.
    length_finding: Option<usize>,
    /// How many findings there were when the head went out (for `--strict` after that).
    findings_at_head: usize,
}

impl Response {
    /// A response to be sent through `writer`.
    pub fn new(writer: Writer, head_request: bool) -> Self {
        Response {
            writer,
            head_request,
            http11: false,
            keep_alive: false,
            framing: None,
            complete: false,
            recorded: false,
            head: None,
            headers_sent: false,
            content_length: None,
            body_produced: 0,
            body_sent: 0,
            raw: CappedBytes::default(),
            calls: Vec::new(),
            writes: Vec::new(),
            write_calls: 0,
            checks: Vec::new(),
            strict: false,
            stopped: None,
            whole_body: None,
            body_finding: None,
            length_finding: None,
            findings_at_head: 0,
        }
    }

    /// The request's protocol: `http11` allows a chunked body; `keep_alive` says the server
    /// would keep the connection open after this response if its framing allows.
    pub fn protocol(mut self, http11: bool, keep_alive: bool) -> Self {
        self.http11 = http11;
        self.keep_alive = keep_alive;
        self
    }

    /// Whether the connection may carry another request: the head did not say close, and the
    /// body ended exactly as the head said (no error after the headers, no length mismatch,
    /// nothing cut by `--strict`).
    pub fn reusable(&self) -> bool {
        !self.recorded
            && self.complete
            && self.connection_header() != ConnectionHeader::Close
            && self.stopped.is_none()
            && self.length_finding.is_none()
    }

    /// The Connection header this response sends (or sent).
    fn connection_header(&self) -> ConnectionHeader {
        match self.framing {
            _ if !self.keep_alive => ConnectionHeader::Close,
            // The body will not match its Content-Length (known before the head went): the
            // client could not tell where the next response starts.
            _ if self.length_finding.is_some() => ConnectionHeader::Close,
            Some(Framing::Close) => ConnectionHeader::Close,
            _ if self.http11 => ConnectionHeader::Persistent,
            _ => ConnectionHeader::KeepAlive,
        }
    }

    /// Apply `--strict`: see [`crate::checks`].
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Record a finding about this response.
    pub fn flag(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// Count one write() call of `len` bytes, keeping its size while there is room.
    pub fn note_write(&mut self, len: usize) {
        self.write_calls += 1;
        if self.writes.len() < MAX_WRITES {
            self.writes.push(len);
        }
    }

    /// Whether the client sent bytes nobody read (see [`Writer::has_unread`]).
    pub fn has_unread(&self) -> bool {
        self.writer.has_unread()
    }

    /// Give the connection back to the server (None once it was cut).
    pub fn take_stream(&mut self) -> Option<TcpStream> {
        self.writer.take_stream()
    }

    /// The status code sent, if any.
    pub fn status_sent(&self) -> Option<u16> {
        if self.headers_sent {
            self.head.as_ref().map(|h| h.code)
        } else {
            None
        }
    }

    /// The whole body is `length` bytes (a one-item list, or an empty body): use it as
    /// Content-Length when the app gave none, and compare it with the app's when it gave one.
    /// Has no effect once headers are sent.
    pub fn set_known_length(&mut self, length: u64) {
        if let Some(head) = &self.head
            && !self.headers_sent
        {
            self.whole_body = Some(length);
            // Never for HEAD: the length of the body a GET would get is unknown here (RFC
            // 9110 §8.6), and the app's own answer to HEAD may well be empty.
            if head.header("Content-Length").is_none() && head.allows_body() && !self.head_request {
                self.content_length = Some(length);
            }
        }
    }

    /// Send one body chunk, with the headers first if they have not gone yet. `spot` says
    /// where the chunk came from (a chunk of the result, a write() call), for findings.
    ///
    /// An empty chunk sends nothing (PEP 3333: headers wait for the first non-empty chunk).
    /// A body the status or method forbids is dropped and noted; bytes past the app's own
    /// Content-Length are dropped and noted.
    pub fn send_body(&mut self, chunk: &[u8], spot: Spot) -> io::Result<()> {
        if self.recorded {
            return Err(over());
        }
        // A finding since the last chunk (a bad write() the app caught) stops it here.
        self.strict_after_head();
        if chunk.is_empty() || self.stopped.is_some() {
            return Ok(());
        }
        self.body_produced += chunk.len() as u64;
        self.flag_forbidden_body(chunk.len(), &spot);
        let allowed = self.body_allowed();
        let mut out = Vec::new();
        if !self.headers_sent {
            if !self.before_head()? {
                return Ok(());
            }
            out = self.head_bytes();
        }
        if allowed {
            let room = self
                .content_length
                .map_or(u64::MAX, |cl| cl.saturating_sub(self.body_sent));
            let take = (chunk.len() as u64).min(room) as usize;
            if self.framing == Some(Framing::Chunked) {
                // RFC 9112 §7.1: the size in hex, CRLF, the data, CRLF.
                out.extend_from_slice(format!("{take:x}\r\n").as_bytes());
                out.extend_from_slice(&chunk[..take]);
                out.extend_from_slice(b"\r\n");
            } else {
                out.extend_from_slice(&chunk[..take]);
            }
            if take < chunk.len() {
                self.flag_length_mismatch(Some(spot));
            }
            self.send(&out)?;
            // Counted once written: a client that went away did not get it.
            self.body_sent += take as u64;
        } else {
            self.send(&out)?;
        }
        self.strict_after_head();
        Ok(())
    }

    /// The first body bytes for a status (or method) that has no body: note it, once.
    fn flag_forbidden_body(&mut self, len: usize, spot: &Spot) {
        let Some(head) = &self.head else { return };
        if self.body_finding.is_some() {
            return;
        }
        let check = if !head.allows_body() {
            Check::new(
                &checks::BODY_NOT_ALLOWED,
                format!(
                    "the app produced body bytes (the first chunk has {len}) for a {} response, \
                     which has no body; they were not sent",
                    head.code
                ),
            )
        } else if self.head_request {
            Check::new(
                &checks::BODY_ON_HEAD,
                format!(
                    "the app produced body bytes (the first chunk has {len}) for a HEAD \
                     request; they were not sent"
                ),
            )
        } else {
            return;
        };
        self.body_finding = Some(self.checks.len());
        self.flag(check.at(spot.clone()));
    }

    /// The body does not match the Content-Length that was sent: note it, or update the note
    /// with the latest count. `spot`: the chunk that went past the length, while sending;
    /// None at the end, when the count is final.
    fn flag_length_mismatch(&mut self, spot: Option<Spot>) {
        let Some(cl) = self.content_length else {
            return;
        };
        let produced = self.body_produced;
        let message = if produced > cl {
            format!(
                "Content-Length said {cl} bytes but the app produced {}{produced}; the extra \
                 bytes were not sent",
                if spot.is_some() { "at least " } else { "" }
            )
        } else {
            format!(
                "Content-Length said {cl} bytes but the app produced {produced}; the client \
                 waits for bytes that never come, then sees a cut body"
            )
        };
        match self.length_finding {
            Some(i) => self.checks[i].message = message,
            None => {
                self.length_finding = Some(self.checks.len());
                let check = Check::new(&checks::CONTENT_LENGTH_MISMATCH, message);
                self.flag(match spot {
                    Some(spot) => check.at(spot),
                    None => check.at(Spot::SentHeader {
                        name: "Content-Length".into(),
                    }),
                });
            }
        }
    }

    /// Whether body bytes may go on the wire.
    fn body_allowed(&self) -> bool {
        !self.head_request && self.head.as_ref().is_some_and(Head::allows_body)
    }

    /// Just before the head goes out: check it as a whole, and under `--strict` send a 500
    /// instead when anything about the app was found. Returns whether the app's head may go.
    fn before_head(&mut self) -> io::Result<bool> {
        if let Some(head) = &self.head {
            let mut found = checks::check_head(head.code, &head.headers);
            let app_length = head
                .header("Content-Length")
                .and_then(checks::parse_content_length);
            if let (Some(whole), Some(cl)) = (self.whole_body, app_length)
                && whole != cl
                && self.body_allowed()
            {
                found.push(
                    Check::new(
                        &checks::CONTENT_LENGTH_MISMATCH,
                        format!(
                            "Content-Length said {cl} bytes but the body the app returned has \
                             {whole}{}",
                            if whole > cl {
                                "; the extra bytes were not sent"
                            } else {
                                "; the client waits for bytes that never come, then sees a cut \
                                 body"
                            }
                        ),
                    )
                    .at(Spot::SentHeader {
                        name: "Content-Length".into(),
                    }),
                );
                self.length_finding = Some(self.checks.len() + found.len() - 1);
            }
            self.checks.extend(found);
        }
        if !self.strict {
            return Ok(true);
        }
        let broken: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.is_about_app())
            .map(|c| c.rule)
            .collect();
        if broken.is_empty() {
            return Ok(true);
        }
        let why = format!(
            "--strict: the app broke {} ({}), so a 500 was sent instead of its response",
            if broken.len() == 1 { "a rule" } else { "rules" },
            broken.join(", ")
        );
        self.stopped = Some(Failure {
            rule: "strict-500",
            message: why.clone(),
        });
        self.send_server_response(
            500,
            &format!(
                "{why}. Each finding, its explanation and its fix are in the server's record."
            ),
        )?;
        Ok(false)
    }

    /// `--strict` after the head went out: a new finding about the app cuts the connection,
    /// the only way left to say the response is not what it should be.
    fn strict_after_head(&mut self) {
        if !self.strict || self.stopped.is_some() || !self.headers_sent {
            return;
        }
        let new: Vec<&str> = self.checks[self.findings_at_head.min(self.checks.len())..]
            .iter()
            .filter(|c| c.is_about_app())
            .map(|c| c.rule)
            .collect();
        if new.is_empty() {
            return;
        }
        self.stopped = Some(Failure {
            rule: "strict-cut",
            message: format!(
                "--strict: the app broke {} after the headers were sent: the connection was \
                 closed, the only way left to tell the client the response is not right",
                new.join(", ")
            ),
        });
        self.writer.cut();
    }

    /// End the response: send the headers if no body chunk did, then compare the body with
    /// the Content-Length that was announced.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.recorded {
            return Err(over());
        }
        self.strict_after_head();
        if self.stopped.is_some() {
            return Ok(());
        }
        if !self.headers_sent {
            if !self.before_head()? {
                return Ok(());
            }
            let head = self.head_bytes();
            self.send(&head)?;
        }
        if self.framing == Some(Framing::Chunked) {
            // The last-chunk and an empty trailer section: the body is complete.
            self.send(b"0\r\n\r\n")?;
        }
        let Some(head) = &self.head else {
            return Ok(());
        };
        if let Some(i) = self.body_finding {
            let what = if head.allows_body() {
                "a HEAD request".to_string()
            } else {
                format!("a {} response, which has no body", head.code)
            };
            self.checks[i].message = format!(
                "the app produced {} body bytes for {what}; they were not sent",
                self.body_produced
            );
        }
        if let Some(cl) = self.content_length
            && self.body_allowed()
            && self.body_produced != cl
        {
            self.flag_length_mismatch(None);
        }
        self.strict_after_head();
        self.complete = true;
        Ok(())
    }

    /// The status line and header block for the head set by start_response; from now on
    /// the head is sent.
    fn head_bytes(&mut self) -> Vec<u8> {
        self.headers_sent = true;
        self.findings_at_head = self.checks.len();
        let Some(head) = &self.head else {
            return Vec::new();
        };
        // start_response let through only a Content-Length of digits, and at most one.
        if let Some(cl) = head.header("Content-Length") {
            self.content_length = checks::parse_content_length(cl);
        }
        let framing = if self.head_request || !head.allows_body() {
            Framing::NoBody
        } else if let Some(length) = self.content_length {
            Framing::Length(length)
        } else if self.http11 {
            Framing::Chunked
        } else {
            Framing::Close
        };
        self.framing = Some(framing);
        let length = self.content_length.filter(|_| !self.head_request);
        encode_head(head, length, framing, self.connection_header())
    }

    /// Send a response the server made itself (the 500 that replaces an app's failed one),
    /// when nothing was sent yet.
    pub fn send_server_response(&mut self, code: u16, message: &str) -> io::Result<()> {
        let (mut bytes, body_len) = server_response(code, message);
        self.head = Some(Head {
            status: format!("{code} {}", reason(code)),
            code,
            headers: Vec::new(),
        });
        self.headers_sent = true;
        if self.head_request {
            // The same head a GET would get (its Content-Length included), and no body: a
            // response to HEAD never has one (RFC 9110 §9.3.2).
            bytes.truncate(bytes.len() - body_len);
        } else {
            self.body_sent = body_len as u64;
        }
        self.send(&bytes)
    }

    /// Write bytes to the client and keep a copy for the record.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.raw.push(bytes);
        self.writer.write_all(bytes)
    }

    /// Everything the response knows goes into the exchange record, in this one place: the
    /// start_response calls, the write() sizes, the findings, the bytes sent, the status.
    pub fn record(&mut self, exchange: &mut Exchange) {
        // From now on the response is the record's: a write() the app kept and calls later
        // gets an error, not a response that is no longer there.
        self.recorded = true;
        self.body_finding = None;
        self.length_finding = None;
        exchange.start_response = std::mem::take(&mut self.calls);
        exchange.set_writes(std::mem::take(&mut self.writes), self.write_calls);
        exchange.checks.append(&mut self.checks);
        if let Some(why) = self.stopped.take() {
            exchange.errors.push(why);
        }
        exchange.response_raw.push(&self.raw.stored);
        exchange.response_raw.total += self.raw.cut();
        exchange.status = self.status_sent();
        exchange.body_bytes = self.body_sent;
        exchange.framing = self.framing;
    }
}

/// The error for anything sent once the exchange is over.
fn over() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the exchange is over: its response was sent and recorded",
    )
}

/// The status line and header block of `head`, as bytes: the app's headers in its order, a
/// Content-Length of `length` when the app gave none, `Transfer-Encoding: chunked` for a
/// chunked `framing`, then the server's own headers ending with `connection`. Pure: no
/// socket, no state.
pub fn encode_head(
    head: &Head,
    length: Option<u64>,
    framing: Framing,
    connection: ConnectionHeader,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(head.status.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &head.headers {
        push_header(&mut out, name, value);
    }
    if head.header("Content-Length").is_none()
        && let Some(cl) = length
    {
        push_header(&mut out, "Content-Length", &cl.to_string());
    }
    if framing == Framing::Chunked {
        push_header(&mut out, "Transfer-Encoding", "chunked");
    }
    push_server_headers(&mut out, |name| head.header(name).is_some(), connection);
    out
}

/// End a header block the way every response of this server ends it: Date (RFC 9110 §6.6.1)
/// and Server unless `app_set` says the app gave them, then the Connection header (RFC 9112
/// §9.6: `close` when the server closes after this response) and the blank line.
fn push_server_headers(
    out: &mut Vec<u8>,
    app_set: impl Fn(&str) -> bool,
    connection: ConnectionHeader,
) {
    if !app_set("Date") {
        push_header(out, "Date", &http_date());
    }
    if !app_set("Server") {
        push_header(out, "Server", SERVER_SOFTWARE);
    }
    match connection {
        ConnectionHeader::Close => push_header(out, "Connection", "close"),
        ConnectionHeader::KeepAlive => push_header(out, "Connection", "keep-alive"),
        ConnectionHeader::Persistent => {}
    }
    out.extend_from_slice(b"\r\n");
}

/// Append `Name: value\r\n`, headers being latin-1 text (checked by start_response).
fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend(name.chars().map(|c| c as u8));
    out.extend_from_slice(b": ");
    out.extend(value.chars().map(|c| c as u8));
    out.extend_from_slice(b"\r\n");
}

/// The current time as an IMF-fixdate, the format RFC 9110 §5.6.7 requires for Date:
/// `Wed, 25 Nov 2026 10:00:00 GMT`.
///
/// It changes once a second, so it is formatted once a second (as nginx does) and reused by
/// every response within that second.
pub fn http_date() -> String {
    thread_local! {
        static DATE: PerSecond = const { PerSecond::new() };
    }
    let now = Utc::now();
    DATE.with(|date| date.get(now.timestamp(), || now.format("%a, %d %b %Y %H:%M:%S GMT")))
}

/// The reason phrase of the statuses the server itself sends.
pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        400 => "Bad Request",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A complete response the server writes on its own (an error, not the app's): plain text,
/// with a body that says what happened. Returns the bytes and the length of the body.
pub fn server_response(code: u16, body: &str) -> (Vec<u8>, usize) {
    let body = format!("{code} {}\n\n{body}\n", reason(code));
    let mut out = format!("HTTP/1.1 {code} {}\r\n", reason(code)).into_bytes();
    push_header(&mut out, "Content-Type", "text/plain; charset=utf-8");
    push_header(&mut out, "Content-Length", &body.len().to_string());
    push_server_headers(&mut out, |_| false, ConnectionHeader::Close);
    out.extend_from_slice(body.as_bytes());
    (out, body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_is_imf_fixdate() {
        let date = http_date();
        assert_eq!(date.len(), 29, "{date}");
        assert!(date.ends_with(" GMT"));
        assert_eq!(&date[3..5], ", ");
    }

    fn head(headers: &[(&str, &str)]) -> Head {
        Head {
            status: "200 OK".into(),
            code: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn encode_head_says_how_the_body_ends_and_what_becomes_of_the_connection() {
        let text = |h: &Head, length, framing, connection| {
            String::from_utf8(encode_head(h, length, framing, connection)).unwrap()
        };
        let plain = head(&[("Content-Type", "text/plain")]);
        let chunked = text(&plain, None, Framing::Chunked, ConnectionHeader::Persistent);
        assert!(chunked.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"));
        assert!(
            chunked.contains("\r\nTransfer-Encoding: chunked\r\n"),
            "{chunked}"
        );
        assert!(!chunked.contains("Connection:"), "{chunked}");
        assert!(chunked.ends_with("\r\n\r\n"));

        let sized = text(
            &plain,
            Some(12),
            Framing::Length(12),
            ConnectionHeader::Close,
        );
        assert!(sized.contains("\r\nContent-Length: 12\r\n"), "{sized}");
        assert!(!sized.contains("Transfer-Encoding"), "{sized}");
        assert!(sized.ends_with("\r\nConnection: close\r\n\r\n"), "{sized}");

        let old = text(
            &plain,
            Some(3),
            Framing::Length(3),
            ConnectionHeader::KeepAlive,
        );
        assert!(old.ends_with("\r\nConnection: keep-alive\r\n\r\n"), "{old}");

        // The app's own Content-Length is never doubled.
        let own = head(&[("Content-Length", "5")]);
        let own = text(&own, Some(5), Framing::Length(5), ConnectionHeader::Close);
        assert_eq!(own.matches("Content-Length").count(), 1, "{own}");
    }

    #[test]
    fn server_response_says_what_was_wrong_and_counts_its_body() {
        let (bytes, body_len) = server_response(400, "the method is not a token");
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(head.contains("Connection: close"));
        assert_eq!(body, "400 Bad Request\n\nthe method is not a token\n");
        assert_eq!(body.len(), body_len);
    }
}
