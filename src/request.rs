//! Reading a request: bytes in, a [`Request`] or a [`RequestError`] out. No sockets here.
//!
//! # What a request head is
//!
//! An HTTP/1.1 request starts with a *head*: one request line, then one header field per line,
//! then an empty line (RFC 9112 §2.1). Whatever follows the empty line is the body.
//!
//! ```text
//! GET /hello?name=world HTTP/1.1\r\n     request line: METHOD SP TARGET SP HTTP-VERSION
//! Host: localhost:8888\r\n               header field: name ":" value
//! Content-Length: 5\r\n                  how long the body is (or Transfer-Encoding: chunked)
//! \r\n                                   the empty line: the head is over
//! hello                                  the body
//! ```
//!
//! The head says how the body is delimited: `Content-Length: n` (exactly n bytes follow), or
//! `Transfer-Encoding: chunked` (the body comes in pieces, each announced by its size in hex,
//! until a piece of size 0; [`ChunkedDecoder`] reads that), or neither (no body at all).
//!
//! # Why this parser is strict
//!
//! A server rarely reads a request alone: a proxy or load balancer in front of it often reads
//! the same bytes first. If the two disagree about where a request ends (one believes
//! Content-Length and the other Transfer-Encoding, one treats a lone CR as a line end and the
//! other does not) an attacker can hide a second request inside the body of the first, and the
//! server answers a request the proxy never saw. That is *request smuggling*. RFC 9112 lists the
//! ambiguous forms, and we refuse every one of them with a 400 whose one-sentence message names
//! the rule. A request that is merely unusual but not ambiguous (HTTP/1.1 without Host, a header
//! name with `_`) is served, and a [`RequestNote`] records what was odd about it.
//!
//! We are lenient only where that is safe and a person at a keyboard needs it: the lines of the
//! head may end in a bare LF (netcat sends one when its user presses Enter), and empty lines
//! before the request line are skipped (RFC 9112 §2.2). The lines of a chunked body may not:
//! there RFC 9112 §7.1 wants CRLF, and a body is where a smuggled request would hide.
//!
//! A head uses one kind of line end throughout. Nobody types a mix (telnet sends CRLF, netcat
//! a bare LF), but smuggling payloads do: `X: X\n\n` inside a CRLF head ends it for a parser
//! that takes a lone LF, while one that splits only at CRLF reads on and sees other fields.
//! Precisely: the first line end of the request fixes the style — the one after an empty
//! line typed before the request line, or else the request line's own — and every later line
//! end up to and including the empty line that ends the head must be the same, or the request
//! is refused at the first line that differs. So a person who pressed Enter before typing the
//! request line is served, in telnet (CRLF, CRLF …) as in netcat (LF, LF …).
//!
//! # How it works
//!
//! [`parse_request`] is a pure function of the bytes received so far, and the server calls it
//! again each time more arrive (in its resuming form, [`parse_request_resuming`], below); until
//! the empty line is there it answers `Ok(None)`. It works in two passes:
//!
//! 1. A line scanner checks each *complete* line as soon as it arrives, so that a person typing
//!    into telnet gets the 400 the moment they press Enter on a bad line, and so that the
//!    message can say which line was wrong and why (httparse would only say "invalid token").
//! 2. Once the empty line has arrived, httparse parses the head into its fields, and we apply the
//!    rules that concern the head as a whole: one Host, how the body is delimited, `Expect`.
//!
//! The line scanner resumes: a [`HeadScan`] remembers how far it got (the lines already
//! checked, how far the search for the next line end has looked), and the server keeps one per
//! request, so each read costs only its new bytes. Without it a head sent one byte per read
//! would cost time quadratic in its length, on a server that serves everybody from one thread:
//! measured in a release build, a 64 KiB head fed byte by byte took 0.85 s of CPU as one long
//! line and 1.9 s as 100 fields, where the resumed scan takes under a millisecond for either.
//! [`parse_request`] itself, for a buffer looked at once, starts a scan of its own.
//!
//! # What comes out
//!
//! A [`Request`] carries its parts as values (method, target, headers, how the body is
//! framed) and as places: [`Spans`] says where in the bytes each part was, so that whoever
//! shows or replays the request (the inspector, the export, the record) never has to find
//! the parts again and cannot find them elsewhere than the parser did. A [`RequestError`]
//! carries a status, a sentence for the response body, and a stable rule id (`host-invalid`,
//! `chunk-bare-lf`...) for the record, written next to the check that finds it.
//!
//! Why the parser stays hand-written around httparse: httparse splits a head quickly and
//! safely but says only "invalid token" when a line is wrong, and it accepts what RFC 9112
//! lets a server refuse; a student at a keyboard needs the line number and the rule, and the
//! smuggling rules above need checks httparse does not make. The chunked decoder is by hand
//! for the same reason, and because no small crate decodes chunked framing incrementally with
//! RFC 9112's strict line ends.

use std::fmt::Write as _;
use std::ops::Range;

/// At most this many header fields in one request (more is a 431).
pub const MAX_HEADERS: usize = 100;
/// The request line plus the header block may take at most this many bytes (more is a 431).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// 400 Bad Request (RFC 9110 §15.5.1): the request is malformed or ambiguous.
const BAD_REQUEST: u16 = 400;
/// 413 Content Too Large (RFC 9110 §15.5.14): the body is over `--max-body`.
const CONTENT_TOO_LARGE: u16 = 413;
/// 431 Request Header Fields Too Large (RFC 6585 §5).
const FIELDS_TOO_LARGE: u16 = 431;
/// 501 Not Implemented (RFC 9110 §15.6.2): a method or transfer coding this server lacks.
const NOT_IMPLEMENTED: u16 = 501;
/// 505 HTTP Version Not Supported (RFC 9110 §15.6.6).
const VERSION_NOT_SUPPORTED: u16 = 505;

/// Error messages quote at most this many bytes of the offending text (a choice: the sentence
/// around the quote should still fit a terminal line or two).
const QUOTE_LIMIT: usize = 60;
/// Where a token is defined, added to the reference of a message about one.
const TOKEN: &str = ", RFC 9110 §5.6.2";
/// Where a quoted-string is defined, added to the reference of a message about one.
const QUOTED_STRING: &str = ", RFC 9110 §5.6.4";
/// The shape of a request line (RFC 9112 §3), quoted in the messages about it.
const REQUEST_LINE_SHAPE: &str = "METHOD SP TARGET SP HTTP-VERSION, e.g. \"GET / HTTP/1.1\"";

/// A chunk size has at most this many hex digits: 16 hex digits are 64 bits, all a `u64` holds.
const MAX_CHUNK_SIZE_DIGITS: usize = 16;
/// A chunk-size line with its extensions may take at most this many bytes (a choice: real
/// clients send a few bytes, and the decoder must not buffer an endless line).
const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// Fields that must not appear in a trailer section: they frame the message, route it,
/// authenticate it or control how it is handled, and all of that must be known from the head
/// (RFC 9110 §6.5.1). Compared case-insensitively.
const FORBIDDEN_TRAILERS: [&str; 19] = [
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Content-Type",
    "Content-Encoding",
    "Content-Range",
    "Trailer",
    "Authorization",
    "Set-Cookie",
    "Cookie",
    "Expect",
    "Range",
    "TE",
    "Cache-Control",
    "Max-Forwards",
    "Proxy-Authorization",
    "Connection",
    "Keep-Alive",
    "Upgrade",
];

/// The HTTP version of the request line. Only HTTP/1.0 and HTTP/1.1 are spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: no Host required, no chunked bodies.
    Http10,
    /// HTTP/1.1: what every client sends today.
    Http11,
}

impl Version {
    /// "HTTP/1.0" or "HTTP/1.1", as in the request line and SERVER_PROTOCOL.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// How the request says its body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No Content-Length and no Transfer-Encoding: no body.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`: decode with [`ChunkedDecoder`].
    Chunked,
}

/// One header field as received: the name as sent (case kept), the value bytes with the optional
/// white space around it removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The field name as sent; compare it case-insensitively (RFC 9110 §5.1).
    pub name: String,
    /// The field value without the white space around it; bytes ≥ 0x80 are kept as they came.
    pub value: Vec<u8>,
}

/// Something about the request worth telling a student that is not an error: the request is
/// still served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestNote {
    /// HTTP/1.1 without a Host header (RFC 9112 §3.2 requires one; we serve it anyway, as the
    /// tutorial's transcript does).
    MissingHost,
    /// A header whose name contains `_` was dropped (in the environ it would alias the same name
    /// with `-`). Carries the name as sent.
    UnderscoreHeaderDropped(String),
    /// A header line started with white space (obsolete line folding). The request is refused
    /// with 400, so this note rides on the [`RequestError`].
    ObsoleteLineFolding,
}

/// A parsed request head: everything up to and including the blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, as sent (methods are case-sensitive).
    pub method: String,
    /// The request-target exactly as sent (REQUEST_URI).
    pub target: String,
    /// HTTP/1.0 or HTTP/1.1 (any other version was refused).
    pub version: Version,
    /// The path part of the target, still percent-encoded (for absolute-form, the path after the
    /// authority; "*" for the asterisk form; "/" when an absolute-form target has no path).
    pub raw_path: String,
    /// The query part after '?', raw, without the '?' ("" when there is none).
    pub query: String,
    /// For an absolute-form target, its authority (`host[:port]`); RFC 9112 §3.2.2 says it
    /// replaces the Host header.
    pub authority: Option<String>,
    /// Every header field in order, except the dropped underscore ones.
    pub headers: Vec<Header>,
    /// How the body is delimited.
    pub body: BodyFraming,
    /// `Expect: 100-continue` was sent (only meaningful with a body).
    pub expect_continue: bool,
    /// Notes for the record (not errors).
    pub notes: Vec<RequestNote>,
    /// How many bytes of the buffer the head took (the body starts there).
    pub head_len: usize,
    /// Where each part of the head is in the bytes.
    pub spans: Spans,
}

/// Where each part of a request head is, as byte offsets into the request (its first byte,
/// an empty line typed before the request line included, is 0; each range ends before its
/// end).
///
/// The parser finds these parts anyway; it hands them back so that nobody else has to find
/// them again. The inspector lights up the bytes an environ key came from, the export turns
/// the header lines into curl flags, and the record keeps them for any other reader: each
/// takes the spans, so each agrees with the parser. (Scanning the bytes a second time is how
/// two readers come to disagree: a scanner that took the first line for the request line
/// missed it after an empty line, and one that looked for the first blank line took lines of
/// a body for headers.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spans {
    /// The request line, without its line end.
    pub line: Range<usize>,
    pub method: Range<usize>,
    pub target: Range<usize>,
    pub version: Range<usize>,
    /// Every header field line in order, a dropped one (a `_` in its name) too.
    pub fields: Vec<FieldSpan>,
    /// The body as it was sent (for a chunked body: its sizes, data and trailers), once the
    /// whole request is there; None from [`parse_request`], which sees the head alone.
    pub body: Option<Range<usize>>,
}

/// Where one header field line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpan {
    /// The whole line, without its line end.
    pub line: Range<usize>,
    pub name: Range<usize>,
    /// The value without the white space around it.
    pub value: Range<usize>,
    /// The server dropped this field (see [`RequestNote::UnderscoreHeaderDropped`]).
    pub dropped: bool,
}

/// Where `part`, a slice that httparse handed back, starts in `buf`, the slice it parsed.
fn offset_in(buf: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize)
}

/// Where the line that goes on at `from` ends in `head`: before its CR LF or LF.
fn content_end(head: &[u8], from: usize) -> usize {
    let lf = head[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(head.len(), |i| from + i);
    if lf > from && head[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    }
}

/// The spans of the head httparse parsed from `head` (the head's bytes, the empty line
/// included): the request line's three parts and each field line.
fn spans_of(head: &[u8], method: &str, target: &str, fields: &[httparse::Header<'_>]) -> Spans {
    let method_at = offset_in(head, method.as_bytes());
    let target_at = offset_in(head, target.as_bytes());
    let target_end = target_at + target.len();
    let line_end = content_end(head, target_end);
    let fields = fields
        .iter()
        .map(|field| {
            let name_at = offset_in(head, field.name.as_bytes());
            let name_end = name_at + field.name.len();
            // An empty value's slice may point anywhere on its line: start looking after the
            // colon.
            let value_at = offset_in(head, field.value).max(name_end);
            FieldSpan {
                line: name_at..content_end(head, name_end),
                name: name_at..name_end,
                value: value_at..value_at + field.value.len(),
                dropped: field.name.contains('_'),
            }
        })
        .collect();
    Spans {
        line: method_at..line_end,
        method: method_at..method_at + method.len(),
        target: target_at..target_end,
        // One space after the target, then the version up to the line end.
        version: (target_end + 1).min(line_end)..line_end,
        fields,
        body: None,
    }
}

/// Why a request was refused: the status to answer with and one sentence saying what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// 400, 413, 431, 501 or 505.
    pub status: u16,
    /// The rule's stable id (`chunk-bare-lf`, `host-invalid`...), kept in the record so that
    /// tests and tools match the rule, not the words of its sentence. Ids are written where
    /// each rule is checked, below; they are added to, never renamed.
    pub rule: &'static str,
    /// One sentence for the response body, e.g. "line 3: the header name \"Bad Name\" is not a
    /// token (RFC 9110 §5.6.2)". Line numbers count every line the client sent, from 1.
    pub message: String,
    /// A note for the record besides the refusal (obsolete line folding), if any.
    pub note: Option<RequestNote>,
}

impl RequestError {
    /// An error with this status, rule id and message.
    fn new(status: u16, rule: &'static str, message: impl Into<String>) -> Self {
        RequestError {
            note: None,
            status,
            rule,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for RequestError {}

/// A 400 Bad Request with this message: the most common refusal.
fn bad(rule: &'static str, message: impl Into<String>) -> RequestError {
    RequestError::new(BAD_REQUEST, rule, message)
}

/// A 400 when httparse ends the head (`parsed` bytes) elsewhere than the line scanner did
/// (`scanned` bytes): the two passes would disagree about where the body starts, which is the
/// ambiguity request smuggling feeds on.
fn same_head_end(parsed: usize, scanned: usize) -> Result<(), RequestError> {
    if parsed == scanned {
        return Ok(());
    }
    Err(bad(
        "head-end-mismatch",
        format!(
            "the request head ends after {scanned} bytes by its lines, but httparse ends it after \
         {parsed}; refused rather than guess where the body starts"
        ),
    ))
}

/// Parse the head at the start of `buf`.
///
/// `Ok(None)`: the head is not complete yet (read more bytes and call again with the whole
/// buffer). `Ok(Some(request))`: complete; the body starts at `request.head_len`.
/// `max_body`: a Content-Length above it is refused with 413 right away.
///
/// Errors come as early as they can be known: a bad line is refused as soon as its line end
/// has arrived, even before the rest of the head, and a head that grows past
/// [`MAX_HEAD_BYTES`] without its empty line is refused while still incomplete.
pub fn parse_request(buf: &[u8], max_body: u64) -> Result<Option<Request>, RequestError> {
    parse_request_resuming(buf, max_body, &mut HeadScan::default())
}

/// [`parse_request`] for a buffer that grows between calls: `scan` holds what the calls before
/// found, so only the bytes added since are scanned. The buffer must be the same bytes as
/// before with more after them, and `scan` new (`HeadScan::default()`) for each request.
/// The answer is the one [`parse_request`] gives for the whole buffer, and once the head is
/// complete a later call (with more bytes of body after it) gives the same request again.
pub fn parse_request_resuming(
    buf: &[u8],
    max_body: u64,
    scan: &mut HeadScan,
) -> Result<Option<Request>, RequestError> {
    // Pass 1: check every complete line, and find the empty line that ends the head.
    let Some(head_len) = find_head_end(buf, scan)? else {
        return Ok(None);
    };
    // Pass 2: httparse splits the checked head into its parts; then the rules for the whole.
    let head = &buf[..head_len];
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let split = split_head(head, &mut fields)?;
    let parts = split_target(split.method, split.target)?;
    let spans = spans_of(head, split.method, split.target, split.fields);
    let (headers, mut notes) = keep_fields(split.fields);
    notes.extend(check_host_count(&headers, split.version)?);
    let body = body_framing(&headers, split.version, max_body)?;
    // RFC 9110 §10.1.1: a server ignores 100-continue in an HTTP/1.0 request.
    let expect_continue = split.version == Version::Http11
        && values(&headers, "Expect").any(|value| value.eq_ignore_ascii_case(b"100-continue"));

    Ok(Some(Request {
        method: split.method.to_owned(),
        target: split.target.to_owned(),
        version: split.version,
        raw_path: parts.raw_path,
        query: parts.query,
        authority: parts.authority,
        headers,
        body,
        expect_continue,
        notes,
        head_len,
        spans,
    }))
}

/// Pass 1: the head's length once its empty line has arrived, `None` before. Only the first
/// [`MAX_HEAD_BYTES`] bytes can belong to an acceptable head: more without the empty line is
/// refused without waiting for the rest.
fn find_head_end(buf: &[u8], scan: &mut HeadScan) -> Result<Option<usize>, RequestError> {
    let window = &buf[..buf.len().min(MAX_HEAD_BYTES)];
    match scan.scan(window)? {
        None if buf.len() > MAX_HEAD_BYTES => Err(RequestError::new(
            FIELDS_TOO_LARGE,
            "head-too-large",
            format!(
                "the request head has not ended after {MAX_HEAD_BYTES} bytes, the limit for \
                 the request line and header fields together"
            ),
        )),
        found => Ok(found),
    }
}

/// A head as httparse splits it: the request line's parts and the field lines, borrowed from
/// the head's bytes.
struct SplitHead<'h, 'f> {
    method: &'h str,
    target: &'h str,
    version: Version,
    fields: &'f [httparse::Header<'h>],
}

/// Let httparse split `head`, which pass 1 has checked line by line and found complete.
fn split_head<'h, 'f>(
    head: &'h [u8],
    fields: &'f mut [httparse::Header<'h>],
) -> Result<SplitHead<'h, 'f>, RequestError> {
    let mut parsed = httparse::Request::new(fields);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(len)) => same_head_end(len, head.len())?,
        // Each of these would mean the line scanner and httparse disagree; refuse rather than
        // guess (and never panic: a debug build is what students run).
        Ok(httparse::Status::Partial) => {
            return Err(bad(
                "head-end-mismatch",
                format!(
                    "the request head looked complete after {} bytes, but httparse wants more",
                    head.len()
                ),
            ));
        }
        Err(error) => {
            return Err(bad(
                "head-malformed",
                format!("the request head is malformed (httparse says: {error})"),
            ));
        }
    }
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        // httparse fills in all three before it reports Complete.
        return Err(bad(
            "head-malformed",
            "httparse returned a request line without all of its parts",
        ));
    };
    Ok(SplitHead {
        method,
        target,
        version: if minor == 0 {
            Version::Http10
        } else {
            Version::Http11
        },
        fields: parsed.headers,
    })
}

/// The field lines as headers, but for those with an underscore in the name: `X_User` and
/// `X-User` both become HTTP_X_USER in the environ, and a proxy that checked one could be
/// fooled by the other, so the underscore one goes (with a note that says so).
fn keep_fields(fields: &[httparse::Header<'_>]) -> (Vec<Header>, Vec<RequestNote>) {
    let mut headers = Vec::with_capacity(fields.len());
    let mut notes = Vec::new();
    for field in fields {
        if field.name.contains('_') {
            notes.push(RequestNote::UnderscoreHeaderDropped(field.name.to_owned()));
            continue;
        }
        headers.push(Header {
            name: field.name.to_owned(),
            value: field.value.to_vec(),
        });
    }
    (headers, notes)
}

/// RFC 9112 §3.2: exactly one Host. Two are refused with its 400. None in HTTP/1.1 would be a
/// 400 too; it is a note instead, the simplification [`RequestNote::MissingHost`] names (the
/// tutorial's transcript sends no Host).
fn check_host_count(
    headers: &[Header],
    version: Version,
) -> Result<Option<RequestNote>, RequestError> {
    match values(headers, "Host").count() {
        0 if version == Version::Http11 => Ok(Some(RequestNote::MissingHost)),
        0 | 1 => Ok(None),
        hosts => Err(bad(
            "host-repeated",
            format!(
                "the request has {hosts} Host headers, but exactly one is allowed (RFC 9112 §3.2)"
            ),
        )),
    }
}

/// How far pass 1, the line scanner, has got in a head that is still arriving.
///
/// The scanner checks each line once its LF has arrived, and a head arrives in pieces: a
/// line at a time from telnet, a byte at a time from some programs. Scanning from the start
/// after every read would check the same lines again and again; a `HeadScan` keeps what the
/// checks found so far (where the next line starts, how far the search for its LF has looked,
/// the line end the head uses, how many field lines there were) and starts from there. Each
/// line is checked once, when its LF arrives, and each byte is searched once.
#[derive(Debug, Clone, Default)]
pub struct HeadScan {
    /// Where the first line not yet checked starts.
    pos: usize,
    /// Everything before this was searched for a line end already (at least `pos`).
    searched: usize,
    /// Lines checked so far, empty lines before the request line included.
    lines: usize,
    /// Where the request line is, once it has been checked.
    request_line: Option<Range<usize>>,
    /// Field lines checked so far.
    field_lines: usize,
    /// The style of the first line end and the line it ended; every other must match it.
    style: Option<(LineEnd, usize)>,
    /// The head's length, once its empty line was found: what follows is the body, which a
    /// later call must not take for more header lines.
    end: Option<usize>,
}

impl HeadScan {
    /// Check the lines of `window` that are complete and were not checked yet.
    ///
    /// `Ok(Some(head_len))`: the empty line ending the head is there, and `head_len` bytes
    /// (leading empty lines included) make up the head. `Ok(None)`: no error so far, but the
    /// head goes on. Line numbers in messages count every line the client sent, from 1.
    fn scan(&mut self, window: &[u8]) -> Result<Option<usize>, RequestError> {
        if self.end.is_some() {
            return Ok(self.end);
        }
        loop {
            let line_no = self.lines + 1;
            let Some(lf) = window[self.searched..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| self.searched + i)
            else {
                // An unfinished line. A CR with a byte after it is a bare CR already; a CR at
                // the very end may still get its LF. Bytes before `searched` were looked at
                // already, but the last of them was the end then: it may have its byte now.
                let from = self.pos.max(self.searched.saturating_sub(1));
                let followed = &window[from..window.len().saturating_sub(1).max(from)];
                if followed.contains(&b'\r') {
                    return Err(bare_cr(line_no));
                }
                self.searched = window.len();
                return Ok(None);
            };
            let with_cr = &window[self.pos..lf];
            let line = strip_cr(with_cr);
            if line.contains(&b'\r') {
                return Err(bare_cr(line_no));
            }
            let end = LineEnd::of(with_cr);
            match self.style {
                None => self.style = Some((end, line_no)),
                Some((first, first_line)) if first != end => {
                    return Err(mixed_line_ends(line_no, end, first_line));
                }
                Some(_) => {}
            }
            let start = self.pos;
            self.lines = line_no;
            self.pos = lf + 1;
            self.searched = self.pos;

            if self.request_line.is_none() {
                // Empty lines before the request line are skipped (RFC 9112 §2.2).
                if !line.is_empty() {
                    check_request_line(line)?;
                    self.request_line = Some(start..start + line.len());
                }
                continue;
            }
            if line.is_empty() {
                self.end = Some(self.pos);
                return Ok(self.end);
            }
            self.field_lines += 1;
            if self.field_lines > MAX_HEADERS {
                return Err(RequestError::new(
                    FIELDS_TOO_LARGE,
                    "too-many-fields",
                    format!("the request has more than {MAX_HEADERS} header fields, the limit"),
                ));
            }
            check_field_line(line, line_no, self.field_lines == 1)?;
        }
    }

    /// The method and target of the request line, as soon as that line has arrived and
    /// passed its checks, before the rest of the head (a live view shows them while the
    /// headers are still typed). `buf`: the bytes this scan was given. None until then.
    pub fn request_line(&self, buf: &[u8]) -> Option<(String, String)> {
        let line = buf.get(self.request_line.clone()?)?;
        let mut parts = line.split(|&b| b == b' ');
        let method = std::str::from_utf8(parts.next()?).ok()?;
        let target = check_target_bytes(parts.next()?).ok()?;
        Some((method.to_owned(), target.to_owned()))
    }
}

/// How a line of the head ends. The first line end of a request fixes which one it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    /// CR LF, as the RFC writes it, and as telnet sends it.
    Crlf,
    /// A lone LF, as netcat sends it (RFC 9112 §2.2 lets a server accept it).
    Lf,
}

impl LineEnd {
    /// How `line` (everything before its LF) ends.
    fn of(line: &[u8]) -> LineEnd {
        if line.ends_with(b"\r") {
            LineEnd::Crlf
        } else {
            LineEnd::Lf
        }
    }

    /// "CRLF" or "a bare LF", for a message.
    fn name(self) -> &'static str {
        match self {
            LineEnd::Crlf => "CRLF",
            LineEnd::Lf => "a bare LF",
        }
    }
}

/// The error for line `line_no` ending in `end` when line `first_line` ended otherwise.
fn mixed_line_ends(line_no: usize, end: LineEnd, first_line: usize) -> RequestError {
    let first = match end {
        LineEnd::Crlf => LineEnd::Lf,
        LineEnd::Lf => LineEnd::Crlf,
    };
    bad(
        "mixed-line-ends",
        format!(
            "line {line_no} ends in {}, but line {first_line} ended in {}: a head that mixes CRLF and \
         bare-LF line ends is refused, because a parser that splits lines only at CRLF would read \
         other header fields from it (RFC 9112 §2.2)",
            end.name(),
            first.name()
        ),
    )
}

/// The line without the CR of its CRLF ending (the LF is already gone).
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The error for a CR that is not followed by LF on line `line_no`.
fn bare_cr(line_no: usize) -> RequestError {
    bad(
        "bare-cr",
        format!(
            "line {line_no}: a CR not followed by LF (a bare CR) is not allowed in the head, because \
         servers and proxies could split lines differently (RFC 9112 §2.2)"
        ),
    )
}

impl Request {
    /// Whether the client wants the connection kept open after this request (RFC 9112 §9.3):
    /// HTTP/1.1 unless a `Connection` header lists `close`; HTTP/1.0 only when it lists
    /// `keep-alive`. The header is a comma-separated list of tokens, any case.
    pub fn wants_keep_alive(&self) -> bool {
        let has = |option: &[u8]| {
            values(&self.headers, "Connection")
                .flat_map(|value| value.split(|&b| b == b','))
                .any(|token| trim_ows(token).eq_ignore_ascii_case(option))
        };
        if has(b"close") {
            return false;
        }
        self.version == Version::Http11 || has(b"keep-alive")
    }
}

/// Check the request line: `METHOD SP TARGET SP HTTP-VERSION` (RFC 9112 §3), then the version,
/// the method and the form of the target.
fn check_request_line(line: &[u8]) -> Result<(), RequestError> {
    let q = quote(line);
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    if parts.iter().any(|part| part.is_empty()) {
        return Err(bad(
            "request-line-spacing",
            format!(
                "the request line {q} must have exactly one space between its parts: \
             {REQUEST_LINE_SHAPE}"
            ),
        ));
    }
    let (method, target, version) = match parts[..] {
        [method, target, version] => (method, target, version),
        [_, second] if second.starts_with(b"HTTP/") => {
            return Err(bad(
                "target-missing",
                format!("the request line {q} has no target; it must be {REQUEST_LINE_SHAPE}"),
            ));
        }
        [_, _] => {
            return Err(bad(
                "version-missing",
                format!(
                    "the HTTP version is missing from the request line {q} (HTTP/0.9-style requests \
                 are not served); it must be {REQUEST_LINE_SHAPE}"
                ),
            ));
        }
        [_, _, _, _, ..] => {
            return Err(bad(
                "request-line-extra-parts",
                format!(
                    "the request line {q} has more than three parts, and a space inside the target \
                 must be sent as %20; it must be {REQUEST_LINE_SHAPE}"
                ),
            ));
        }
        _ => {
            return Err(bad(
                "request-line-malformed",
                format!("the request line {q} must be {REQUEST_LINE_SHAPE}"),
            ));
        }
    };

    if !is_token(method) {
        return Err(bad(
            "method-not-token",
            format!(
                "bad method token {}: a method is made of letters, digits and !#$%&'*+-.^_`|~ \
             (RFC 9110 §9.1)",
                quote(method)
            ),
        ));
    }
    check_version(version)?;
    if method == b"CONNECT" {
        return Err(RequestError::new(
            NOT_IMPLEMENTED,
            "connect-not-served",
            "CONNECT is for proxies; this server is not one (RFC 9110 §9.3.6)",
        ));
    }
    let target = check_target_bytes(target)?;
    // `is_token` allowed only ASCII, so the method is valid UTF-8.
    let method = std::str::from_utf8(method).unwrap_or_default();
    split_target(method, target).map(|_| ())
}

/// Accept HTTP/1.0 and HTTP/1.1; refuse another well-formed version with 505 and anything
/// else with 400. `HTTP/2` and `HTTP/3` (the names people type) count as well-formed.
fn check_version(version: &[u8]) -> Result<(), RequestError> {
    match version {
        b"HTTP/1.0" | b"HTTP/1.1" => Ok(()),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(unsupported_version(version))
        }
        [b'H', b'T', b'T', b'P', b'/', major] if major.is_ascii_digit() && *major != b'1' => {
            Err(unsupported_version(version))
        }
        _ => Err(bad(
            "version-malformed",
            format!(
                "the HTTP version {} is malformed; it must be HTTP/1.1 or HTTP/1.0, in capitals \
             (RFC 9112 §2.3)",
                quote(version)
            ),
        )),
    }
}

/// The 505 for a well-formed version other than 1.0 and 1.1.
fn unsupported_version(version: &[u8]) -> RequestError {
    RequestError::new(
        VERSION_NOT_SUPPORTED,
        "version-not-supported",
        format!(
            "{} is not supported: this server speaks only HTTP/1.0 and HTTP/1.1 (RFC 9110 \
             §15.6.6)",
            String::from_utf8_lossy(version)
        ),
    )
}

/// Check the bytes of a request-target: visible ASCII, or UTF-8 beyond ASCII as httparse
/// accepts it, and no fragment.
fn check_target_bytes(target: &[u8]) -> Result<&str, RequestError> {
    if let Some(&byte) = target.iter().find(|&&b| b < b'!' || b == 0x7F) {
        return Err(bad(
            "target-control-byte",
            format!(
                "the target {} contains the control byte 0x{byte:02X}, which a request target may \
             not contain (RFC 9112 §3.2)",
                quote(target)
            ),
        ));
    }
    let Ok(text) = std::str::from_utf8(target) else {
        return Err(bad(
            "target-not-utf8",
            format!(
                "the target {} contains bytes that are not UTF-8, and non-ASCII characters must be \
             percent-encoded (RFC 3986 §2.1)",
                quote(target)
            ),
        ));
    };
    if text.contains('#') {
        return Err(bad(
            "target-fragment",
            format!(
                "the target {} contains '#', but a fragment stays in the client and is never sent \
             (RFC 9110 §7.1)",
                quote(target)
            ),
        ));
    }
    Ok(text)
}

/// The parts of a request-target that the environ needs.
struct TargetParts {
    /// The path, still percent-encoded.
    raw_path: String,
    /// The query without its '?'.
    query: String,
    /// The authority of an absolute-form target.
    authority: Option<String>,
}

/// Split a target into path, query and authority according to its form (RFC 9112 §3.2).
///
/// origin-form `/path?query` is what clients send to a server; absolute-form
/// `http://host/path?query` is what they send to a proxy (and a server must accept it too);
/// asterisk-form `*` goes with OPTIONS only; authority-form `host:port` with CONNECT only.
fn split_target(method: &str, target: &str) -> Result<TargetParts, RequestError> {
    if target.starts_with('/') {
        let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
        return Ok(TargetParts {
            raw_path: raw_path.to_owned(),
            query: query.to_owned(),
            authority: None,
        });
    }
    if target == "*" {
        if method != "OPTIONS" {
            return Err(bad(
                "asterisk-form-not-options",
                format!(
                    "the asterisk-form target \"*\" is only for OPTIONS, not {method} \
                 (RFC 9112 §3.2.4)"
                ),
            ));
        }
        return Ok(TargetParts {
            raw_path: "*".to_owned(),
            query: String::new(),
            authority: None,
        });
    }
    if let Some((scheme, rest)) = target.split_once("://")
        && is_scheme(scheme)
    {
        return split_absolute_form(target, scheme, rest);
    }
    let looks_like_authority = target.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !host.contains('/') && port.bytes().all(|b| b.is_ascii_digit())
    });
    if looks_like_authority {
        return Err(bad(
            "authority-form-not-served",
            format!(
                "the authority-form target {} is only for CONNECT, which this server does not serve \
             (RFC 9112 §3.2.3)",
                quote(target.as_bytes())
            ),
        ));
    }
    Err(bad(
        "target-relative",
        format!(
            "the target {} is relative, but a target must start with '/', e.g. \"/index.html\" \
         (RFC 9112 §3.2.1)",
            quote(target.as_bytes())
        ),
    ))
}

/// Split an absolute-form target `scheme://authority/path?query` (RFC 9112 §3.2.2).
fn split_absolute_form(
    target: &str,
    scheme: &str,
    rest: &str,
) -> Result<TargetParts, RequestError> {
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad(
            "target-scheme",
            format!(
                "the absolute-form target {} has the scheme \"{scheme}\", but only http and https \
             are served (RFC 9110 §4.2)",
                quote(target.as_bytes())
            ),
        ));
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    if authority.is_empty() {
        return Err(bad(
            "target-no-host",
            format!(
                "the absolute-form target {} has no host (RFC 9110 §4.2.1)",
                quote(target.as_bytes())
            ),
        ));
    }
    if authority.contains('@') {
        return Err(bad(
            "target-userinfo",
            format!(
                "the absolute-form target {} carries user information before '@', which an http \
             URI must not (RFC 9110 §4.2.4)",
                quote(target.as_bytes())
            ),
        ));
    }
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    Ok(TargetParts {
        raw_path: if path.is_empty() { "/" } else { path }.to_owned(),
        query: query.to_owned(),
        authority: Some(authority.to_owned()),
    })
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Check one header line, `name ":" OWS value OWS` (RFC 9112 §5). `first`: it is the first
/// line after the request line.
fn check_field_line(line: &[u8], line_no: usize, first: bool) -> Result<(), RequestError> {
    if line.starts_with(b" ") || line.starts_with(b"\t") {
        if first {
            return Err(bad(
                "space-before-first-field",
                format!(
                    "line {line_no} starts with white space, which is not allowed between the \
                 request line and the first header field (RFC 9112 §2.2)"
                ),
            ));
        }
        let mut error = bad(
            "obsolete-line-folding",
            format!(
                "line {line_no} starts with white space: obsolete line folding (continuing a \
             header value on the next line) is not allowed (RFC 9112 §5.2)"
            ),
        );
        error.note = Some(RequestNote::ObsoleteLineFolding);
        return Err(error);
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(bad(
            "field-no-colon",
            format!(
                "line {line_no}: {} is not a header field, which must be name: value (RFC 9112 §5)",
                quote(line)
            ),
        ));
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() {
        return Err(bad(
            "field-name-empty",
            format!("line {line_no}: the header name before the colon is empty (RFC 9112 §5)"),
        ));
    }
    let trimmed = trim_ows(name);
    if trimmed.len() < name.len() && is_token(trimmed) {
        return Err(bad(
            "space-before-colon",
            format!(
                "line {line_no}: white space between the header name {} and the colon is not allowed \
             (RFC 9112 §5.1)",
                quote(trimmed)
            ),
        ));
    }
    if !is_token(name) {
        return Err(bad(
            "field-name-not-token",
            format!(
                "line {line_no}: the header name {} is not a token (RFC 9110 §5.6.2)",
                quote(name)
            ),
        ));
    }
    if let Some(&byte) = value.iter().find(|&&b| is_ctl(b)) {
        return Err(bad(
            "field-value-control",
            format!(
                "line {line_no}: the value of the header {} contains the control character \
             0x{byte:02X}, which a field value may not contain (RFC 9110 §5.5)",
                quote(name)
            ),
        ));
    }
    if name.eq_ignore_ascii_case(b"Host") {
        let value = trim_ows(value);
        if let Err(hint) = check_host(value) {
            return Err(bad(
                "host-invalid",
                format!(
                    "line {line_no}: the Host value {} is not a host with an optional port: {hint} \
                 (RFC 9112 §3.2, RFC 3986 §3.2.2)",
                    quote(value)
                ),
            ));
        }
    }
    Ok(())
}

/// Check a Host value, `uri-host [ ":" port ]` (RFC 9110 §7.2); `Err` says what is wrong.
///
/// The host is one of RFC 3986 §3.2.2's three forms: an IP literal in brackets (`[::1]`), an
/// IPv4 address (`127.0.0.1`), or a registered name (`example.com`, `xn--bcher-kva.example`)
/// of letters, digits, `-._~!$&'()*+,;=` and `%XX` escapes. An IPv4 address is digits and dots,
/// so the check for a name covers it. The port is digits, maybe none. Both may be empty: RFC
/// 9112 §3.2 has a client send an empty Host when the target has no authority, and RFC 3986's
/// grammar allows an empty name and an empty port, so `Host:` and `Host: a:` are served. What
/// is refused is what no host can be, such as `a b` or `user@host` (§3.2 wants a 400 for "a
/// Host header field with an invalid field value").
fn check_host(value: &[u8]) -> Result<(), String> {
    if value.contains(&b'@') {
        // Said before anything else: `user:pass@host` would otherwise be "a bad port".
        return Err(
            "'@' is not allowed, because a Host value never carries user information (user@)"
                .to_owned(),
        );
    }
    let port = if let Some(literal) = value.strip_prefix(b"[") {
        let Some(close) = literal.iter().position(|&b| b == b']') else {
            return Err("the '[' of an IP literal has no closing ']'".to_owned());
        };
        check_ip_literal(&literal[..close])?;
        match &literal[close + 1..] {
            [] => None,
            [b':', port @ ..] => Some(port),
            _ => return Err("only ':' and a port may follow the ']' of an IP literal".to_owned()),
        }
    } else {
        let colon = value.iter().position(|&b| b == b':');
        let name = &value[..colon.unwrap_or(value.len())];
        check_reg_name(name)?;
        colon.map(|colon| &value[colon + 1..])
    };
    let Some(port) = port else {
        return Ok(());
    };
    if port.contains(&b':') {
        return Err(
            "a host name holds no ':' and a port follows only one; an IPv6 address goes in \
             brackets, as in [::1]:8888"
                .to_owned(),
        );
    }
    if !port.iter().all(u8::is_ascii_digit) {
        return Err(format!("the port {} after ':' must be digits", quote(port)));
    }
    Ok(())
}

/// Check a registered name (RFC 3986 §3.2.2): `*( unreserved / pct-encoded / sub-delims )`.
fn check_reg_name(name: &[u8]) -> Result<(), String> {
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'%' => {
                let hex = name.get(i + 1..i + 3);
                if !hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(
                        "a '%' in a host name must be followed by two hex digits".to_owned()
                    );
                }
                i += 3;
            }
            b if is_unreserved(b) || is_sub_delim(b) => i += 1,
            b @ 0x80..=0xFF => {
                return Err(format!(
                    "{} is not allowed, and an international name must be sent in its ASCII \
                     (xn--) form",
                    describe_byte(b)
                ));
            }
            b => {
                return Err(format!(
                    "{} is not allowed in a host name, which holds only letters, digits, \
                     -._~!$&'()*+,;= and %XX escapes",
                    describe_byte(b)
                ));
            }
        }
    }
    Ok(())
}

/// Check what stands between the brackets of an IP literal (RFC 3986 §3.2.2): an IPv6 address
/// (checked with the standard library's parser) or an `IPvFuture`. A zone (`%eth0`) is not
/// part of an IP literal.
fn check_ip_literal(inner: &[u8]) -> Result<(), String> {
    let is_ipv6 =
        std::str::from_utf8(inner).is_ok_and(|text| text.parse::<std::net::Ipv6Addr>().is_ok());
    if is_ipv6 || is_ip_future(inner) {
        return Ok(());
    }
    Err(format!(
        "{} in brackets is not an IPv6 address",
        quote(inner)
    ))
}

/// `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )` (RFC 3986 §3.2.2), the
/// room left for address kinds to come; the "v" may be in either case (RFC 5234 §2.3).
fn is_ip_future(literal: &[u8]) -> bool {
    let Some(rest) = literal
        .strip_prefix(b"v")
        .or_else(|| literal.strip_prefix(b"V"))
    else {
        return false;
    };
    let Some(dot) = rest.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (version, address) = (&rest[..dot], &rest[dot + 1..]);
    !version.is_empty()
        && version.iter().all(u8::is_ascii_hexdigit)
        && !address.is_empty()
        && address
            .iter()
            .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':')
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="` (RFC 3986
/// §2.2).
fn is_sub_delim(b: u8) -> bool {
    b"!$&'()*+,;=".contains(&b)
}

/// A control character other than HTAB: NUL..US and DEL, none of which may be in a field
/// value (RFC 9110 §5.5).
fn is_ctl(b: u8) -> bool {
    (b < b' ' && b != b'\t') || b == 0x7F
}

/// `token = 1*tchar` (RFC 9110 §5.6.2): methods and header names are tokens.
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// `tchar`: letters, digits and ``!#$%&'*+-.^_`|~`` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The bytes without the optional white space (SP and HTAB) around them (RFC 9110 §5.6.3).
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The values of the headers called `name` (case-insensitive), in order.
fn values<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    headers
        .iter()
        .filter(move |header| header.name.eq_ignore_ascii_case(name))
        .map(|header| header.value.as_slice())
}

/// Decide how the body is delimited (RFC 9112 §6), refusing every ambiguous combination.
fn body_framing(
    headers: &[Header],
    version: Version,
    max_body: u64,
) -> Result<BodyFraming, RequestError> {
    let lengths: Vec<&[u8]> = values(headers, "Content-Length").collect();
    let encodings: Vec<&[u8]> = values(headers, "Transfer-Encoding").collect();

    if !encodings.is_empty() {
        if !lengths.is_empty() {
            return Err(bad(
                "length-and-chunked",
                "the request has both Content-Length and Transfer-Encoding, and a proxy that \
                 believed the other one would see a different request (request smuggling, \
                 RFC 9112 §6.1)",
            ));
        }
        if version == Version::Http10 {
            return Err(bad(
                "chunked-in-http10",
                "Transfer-Encoding is not part of HTTP/1.0, so the body framing of this \
                 HTTP/1.0 request is faulty (RFC 9112 §6.1)",
            ));
        }
        return chunked_framing(&encodings);
    }
    length_framing(&lengths, max_body)
}

/// The body framing of a request without Transfer-Encoding: no body without Content-Length;
/// else exactly one Content-Length of digits only (RFC 9112 §6.3: anything else is a framing
/// the server cannot trust), and no more than `max_body`.
fn length_framing(lengths: &[&[u8]], max_body: u64) -> Result<BodyFraming, RequestError> {
    let Some(&first) = lengths.first() else {
        return Ok(BodyFraming::None);
    };
    for &value in lengths {
        if value.contains(&b',') {
            return Err(bad(
                "request-length-list",
                format!(
                    "the Content-Length {} is a list, but it must be a single number of bytes \
                     (RFC 9112 §6.3)",
                    quote(value)
                ),
            ));
        }
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(bad(
                "request-length-not-digits",
                format!(
                    "the Content-Length {} is not a number of bytes: only the digits 0-9 are \
                     allowed, without sign or spaces (RFC 9110 §8.6)",
                    quote(value)
                ),
            ));
        }
    }
    if let Some(&other) = lengths.iter().find(|&&value| value != first) {
        return Err(bad(
            "request-length-conflict",
            format!(
                "conflicting Content-Length headers {} and {} make the body length ambiguous \
                 (RFC 9112 §6.3)",
                quote(first),
                quote(other)
            ),
        ));
    }
    if lengths.len() > 1 {
        return Err(bad(
            "request-length-repeated",
            format!(
                "repeated Content-Length header ({} times {}): send it exactly once (RFC 9112 §6.3)",
                lengths.len(),
                quote(first)
            ),
        ));
    }
    // All digits, checked above; only the size can fail, and a number too big for u64 is
    // certainly too big for the limit.
    let length = first.iter().try_fold(0u64, |n, &digit| {
        n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    });
    match length {
        Some(length) if length <= max_body => Ok(BodyFraming::Length(length)),
        _ => Err(RequestError::new(
            CONTENT_TOO_LARGE,
            "body-too-large",
            format!(
                "the body of {} bytes is larger than the limit of {max_body} bytes (--max-body)",
                String::from_utf8_lossy(first)
            ),
        )),
    }
}

/// Check the transfer codings of all Transfer-Encoding headers together: chunked, exactly once
/// and last (RFC 9112 §6.3, §7), and nothing else, since chunked is all this server decodes.
fn chunked_framing(encodings: &[&[u8]]) -> Result<BodyFraming, RequestError> {
    // A list may be spread over several headers (RFC 9110 §5.3); empty elements are skipped
    // (RFC 9110 §5.6.1).
    let codings: Vec<&[u8]> = encodings
        .iter()
        .flat_map(|value| value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|coding| !coding.is_empty())
        .collect();
    let listed = quote(&codings.join(&b", "[..]));
    let is_chunked = |coding: &[u8]| coding.eq_ignore_ascii_case(b"chunked");

    let Some(last) = codings.last() else {
        return Err(bad(
            "transfer-encoding-empty",
            "the Transfer-Encoding header is empty, so the body framing is unknown \
             (RFC 9112 §6.1)",
        ));
    };
    let chunked = codings.iter().filter(|coding| is_chunked(coding)).count();
    if chunked > 1 {
        return Err(bad(
            "chunked-repeated",
            format!(
                "the Transfer-Encoding {listed} applies chunked {chunked} times, but it must be \
             applied exactly once (RFC 9112 §7)"
            ),
        ));
    }
    if !is_chunked(last) {
        return Err(bad(
            "chunked-not-last",
            format!(
                "the Transfer-Encoding {listed} does not end with chunked, so the end of the body \
             cannot be found (RFC 9112 §6.3)"
            ),
        ));
    }
    if let Some(other) = codings.iter().find(|coding| !is_chunked(coding)) {
        return Err(RequestError::new(
            NOT_IMPLEMENTED,
            "coding-not-implemented",
            format!(
                "the transfer coding {} is not implemented: this server decodes only chunked \
                 (RFC 9112 §6.1)",
                quote(other)
            ),
        ));
    }
    Ok(BodyFraming::Chunked)
}

/// Quote bytes for an error message: in double quotes, with controls, quotes, backslashes and
/// non-ASCII bytes escaped, and cut after [`QUOTE_LIMIT`] bytes.
fn quote(bytes: &[u8]) -> String {
    let mut quoted = String::from("\"");
    for &b in bytes.iter().take(QUOTE_LIMIT) {
        match b {
            b'"' => quoted.push_str("\\\""),
            b'\\' => quoted.push_str("\\\\"),
            b'\t' => quoted.push_str("\\t"),
            b' '..=b'~' => quoted.push(char::from(b)),
            // Writing into a String cannot fail.
            _ => {
                let _ = write!(quoted, "\\x{b:02X}");
            }
        }
    }
    if bytes.len() > QUOTE_LIMIT {
        quoted.push('…');
    }
    quoted.push('"');
    quoted
}

/// Progress of the chunked decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkStatus {
    /// All input was consumed; the body is not finished.
    NeedMore,
    /// The body (last chunk and trailers) ended after `consumed` bytes of this input.
    Done { consumed: usize },
}

/// An incremental decoder for `Transfer-Encoding: chunked` (RFC 9112 §7.1).
///
/// A chunked body is a series of chunks, each a size line in hex, the data, and CRLF; a chunk
/// of size 0 ends the data, and a trailer section (header fields, then an empty line) ends the
/// body:
///
/// ```text
/// 5\r\n          size 5 (hex)
/// hello\r\n      5 bytes of data
/// 0\r\n          the last chunk
/// \r\n           an empty trailer section
/// ```
///
/// Bytes may arrive in any split, down to one at a time, so the decoder is a state machine that
/// remembers where it stopped. Its memory is bounded: the only line it keeps is the current
/// size or trailer line, cut off at a fixed limit; data goes straight to the output.
///
/// Size lines are strict, because a size read differently by a proxy is a smuggled request:
/// hex digits only, no sign, no `0x`, no `_`, no white space before the digits or at the end of
/// the line. White space between the digits and a `;` extension is accepted, as RFC 9112 §7.1.1
/// allows it (`BWS`), and the extensions must follow that section's grammar, though their
/// meaning is ignored.
///
/// Unlike the head, every line here ends in CRLF: the size line, the data, the trailer lines and
/// the empty line at the end (RFC 9112 §7.1). The leniency of §2.2 for a bare LF covers only the
/// start line and the header fields, and a body is where a smuggled request hides: a proxy that
/// reads `5\nhello` as one line and a server that reads it as a size line and data see
/// different bodies.
#[derive(Debug)]
pub struct ChunkedDecoder {
    /// Where in the body the next byte belongs.
    state: ChunkState,
    /// The size or trailer line read so far, without its LF.
    line: Vec<u8>,
    /// The body size the chunk sizes so far add up to (checked against `max_body`).
    body_len: u64,
    /// The largest body accepted (`--max-body`).
    max_body: u64,
    /// The size of the current chunk, for the message when its CRLF is missing.
    chunk_size: u64,
    /// The names of the trailer fields, as sent.
    trailers: Vec<String>,
    /// Bytes of the trailer section so far (it may take at most [`MAX_HEAD_BYTES`]).
    trailer_bytes: usize,
    /// Bytes of input taken, for [`ChunkedDecoder::consumed`].
    consumed: usize,
}

/// Where in a chunked body the decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line into `line`.
    SizeLine,
    /// Copying chunk data; this many bytes of the chunk are still to come.
    Data { remaining: u64 },
    /// The chunk data is complete; its CRLF comes next.
    DataEnd,
    /// The CR after the chunk data was read; its LF comes next.
    DataEndLf,
    /// After the last chunk: reading trailer lines into `line` until an empty one.
    Trailers,
    /// The body is complete.
    Done,
}

impl ChunkedDecoder {
    /// A decoder that refuses (413) a body whose decoded size exceeds `max_body`.
    pub fn new(max_body: u64) -> Self {
        ChunkedDecoder {
            state: ChunkState::SizeLine,
            line: Vec::new(),
            body_len: 0,
            max_body,
            chunk_size: 0,
            trailers: Vec::new(),
            trailer_bytes: 0,
            consumed: 0,
        }
    }

    /// Feed the next bytes; decoded body bytes are appended to `out`.
    ///
    /// After `Done`, further calls answer `Done { consumed: 0 }`: bytes after the body are not
    /// the decoder's.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<ChunkStatus, RequestError> {
        let mut pos = 0;
        while pos < input.len() {
            match self.state {
                ChunkState::Done => break,
                ChunkState::Data { remaining } => {
                    let available = input.len() - pos;
                    // A chunk larger than usize is larger than any input slice.
                    let take = usize::try_from(remaining).map_or(available, |r| r.min(available));
                    out.extend_from_slice(&input[pos..pos + take]);
                    pos += take;
                    // `take` is at most `remaining`, so this cannot underflow.
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data { remaining }
                    };
                }
                ChunkState::DataEnd | ChunkState::DataEndLf => {
                    let byte = input[pos];
                    pos += 1;
                    self.state = match (self.state, byte) {
                        (ChunkState::DataEnd, b'\r') => ChunkState::DataEndLf,
                        (ChunkState::DataEndLf, b'\n') => ChunkState::SizeLine,
                        (ChunkState::DataEnd, b'\n') => {
                            return Err(bad(
                                "chunk-data-bare-lf",
                                format!(
                                    "the chunk data (the size said {} bytes) is followed by a bare \
                                 LF, but chunked framing requires CRLF after the data \
                                 (RFC 9112 §7.1)",
                                    self.chunk_size
                                ),
                            ));
                        }
                        _ => {
                            return Err(bad(
                                "chunk-data-no-crlf",
                                format!(
                                    "chunk data was not followed by CRLF (the chunk size said {} \
                                 bytes), so size and data disagree (RFC 9112 §7.1)",
                                    self.chunk_size
                                ),
                            ));
                        }
                    };
                }
                ChunkState::SizeLine | ChunkState::Trailers => {
                    let byte = input[pos];
                    pos += 1;
                    if self.push_line_byte(byte)? {
                        // Take the line out to read it, then give the buffer back for reuse.
                        let line = std::mem::take(&mut self.line);
                        let result = if self.state == ChunkState::SizeLine {
                            self.on_size_line(strip_cr(&line))
                        } else {
                            self.on_trailer_line(strip_cr(&line))
                        };
                        self.line = line;
                        self.line.clear();
                        result?;
                    }
                }
            }
        }
        self.consumed += pos;
        Ok(match self.state {
            ChunkState::Done => ChunkStatus::Done { consumed: pos },
            _ => ChunkStatus::NeedMore,
        })
    }

    /// How many bytes of chunked framing the decoder has taken so far: once it is done, the
    /// length of the body as it was sent (sizes, data, trailers and line ends).
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Trailer field names seen (they are discarded).
    pub fn trailers(&self) -> &[String] {
        &self.trailers
    }

    /// Add one byte to the size or trailer line; `Ok(true)` when it was the LF ending the line.
    fn push_line_byte(&mut self, byte: u8) -> Result<bool, RequestError> {
        let in_trailers = self.state == ChunkState::Trailers;
        if in_trailers {
            self.trailer_bytes += 1;
            if self.trailer_bytes > MAX_HEAD_BYTES {
                return Err(RequestError::new(
                    FIELDS_TOO_LARGE,
                    "trailers-too-large",
                    format!(
                        "the trailer section of the chunked body is longer than \
                         {MAX_HEAD_BYTES} bytes, the limit"
                    ),
                ));
            }
        }
        if self.line.last() == Some(&b'\r') && byte != b'\n' {
            return Err(bad(
                "chunk-bare-cr",
                format!(
                    "a CR not followed by LF (a bare CR) in the {} line {} is not allowed \
                 (RFC 9112 §2.2)",
                    if in_trailers { "trailer" } else { "chunk-size" },
                    quote(&self.line)
                ),
            ));
        }
        if byte == b'\n' {
            if self.line.last() != Some(&b'\r') {
                return Err(self.bare_lf());
            }
            return Ok(true);
        }
        if !in_trailers && self.line.len() >= MAX_CHUNK_LINE_BYTES {
            return Err(bad(
                "chunk-line-too-long",
                format!(
                    "the chunk-size line {} is longer than {MAX_CHUNK_LINE_BYTES} bytes with its \
                 extensions (RFC 9112 §7.1.1)",
                    quote(&self.line)
                ),
            ));
        }
        self.line.push(byte);
        Ok(false)
    }

    /// The 400 for a bare LF ending the line read so far (RFC 9112 §7.1 wants CRLF).
    fn bare_lf(&self) -> RequestError {
        let which = match (self.state, self.line.is_empty()) {
            (ChunkState::Trailers, true) => "the empty line that ends the chunked body".to_owned(),
            (ChunkState::Trailers, false) => format!("the trailer line {}", quote(&self.line)),
            _ => format!("the chunk-size line {}", quote(&self.line)),
        };
        bad(
            "chunk-bare-lf",
            format!(
                "{which} ends in a bare LF, but every line of a chunked body must end in CRLF; \
             the leniency for a lone LF covers only the request line and header fields \
             (RFC 9112 §7.1)"
            ),
        )
    }

    /// Read a complete chunk-size line: `1*HEXDIG [ chunk-ext ]`.
    fn on_size_line(&mut self, line: &[u8]) -> Result<(), RequestError> {
        let mut size: u64 = 0;
        let mut digits = 0;
        for &byte in line {
            let Some(value) = hex_value(byte) else { break };
            digits += 1;
            if digits > MAX_CHUNK_SIZE_DIGITS {
                return Err(chunk_size_error(
                    line,
                    &format!(
                        "it has more than {MAX_CHUNK_SIZE_DIGITS} hex digits, too many for a \
                         64-bit size"
                    ),
                ));
            }
            size = size << 4 | value;
        }
        if digits == 0 {
            let hint = match line.first() {
                None => "it is empty, but a chunk size needs at least one hex digit",
                Some(b'+' | b'-') => "a chunk size has no sign",
                Some(b' ' | b'\t') => "white space before the size is not allowed",
                Some(_) => "it does not start with a hex digit",
            };
            return Err(chunk_size_error(line, hint));
        }
        let after = &line[digits..];
        match after.first() {
            None => {}
            Some(b'_') => {
                return Err(chunk_size_error(
                    line,
                    "a chunk size has no '_' between digits",
                ));
            }
            Some(b'x' | b'X') if &line[..digits] == b"0" => {
                return Err(chunk_size_error(line, "a chunk size has no \"0x\" prefix"));
            }
            Some(_) => check_chunk_extensions(line, after)?,
        }

        let body_len = self.body_len.saturating_add(size);
        if body_len > self.max_body {
            return Err(RequestError::new(
                CONTENT_TOO_LARGE,
                "body-too-large",
                format!(
                    "the chunked body of at least {body_len} bytes is larger than the limit of \
                     {} bytes (--max-body)",
                    self.max_body
                ),
            ));
        }
        self.body_len = body_len;
        self.chunk_size = size;
        self.state = if size == 0 {
            ChunkState::Trailers
        } else {
            ChunkState::Data { remaining: size }
        };
        Ok(())
    }

    /// Read a complete trailer line: an empty one ends the body, any other must be a field
    /// line that is allowed in trailers.
    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), RequestError> {
        if line.is_empty() {
            self.state = ChunkState::Done;
            return Ok(());
        }
        if self.trailers.len() >= MAX_HEADERS {
            return Err(RequestError::new(
                FIELDS_TOO_LARGE,
                "too-many-trailers",
                format!("the chunked body has more than {MAX_HEADERS} trailer fields, the limit"),
            ));
        }
        let field = line
            .iter()
            .position(|&b| b == b':')
            .map(|colon| (&line[..colon], &line[colon + 1..]))
            .filter(|(name, _)| is_token(name));
        let Some((name, value)) = field else {
            return Err(bad(
                "trailer-malformed",
                format!(
                    "the trailer line {} is not a field line name: value with a token name \
                 (RFC 9112 §7.1.2)",
                    quote(line)
                ),
            ));
        };
        if let Some(&byte) = value.iter().find(|&&b| is_ctl(b)) {
            return Err(bad(
                "trailer-value-control",
                format!(
                    "the value of the trailer field {} contains the control character 0x{byte:02X} \
                 (RFC 9110 §5.5)",
                    quote(name)
                ),
            ));
        }
        // A token is ASCII, so it is valid UTF-8.
        let name = String::from_utf8_lossy(name).into_owned();
        if FORBIDDEN_TRAILERS
            .iter()
            .any(|forbidden| forbidden.eq_ignore_ascii_case(&name))
        {
            return Err(bad(
                "trailer-forbidden",
                format!(
                    "the trailer field \"{name}\" is not allowed after the body, because fields that \
                 frame, route, authenticate or control a request must come in the head \
                 (RFC 9110 §6.5.1)"
                ),
            ));
        }
        self.trailers.push(name);
        Ok(())
    }
}

/// The value of a hex digit, or None for any other byte.
fn hex_value(byte: u8) -> Option<u64> {
    char::from(byte).to_digit(16).map(u64::from)
}

/// Check what follows the hex digits of a chunk-size line: the chunk extensions of RFC 9112
/// §7.1.1, exactly as its grammar has them, which the decoder then skips (this server gives no
/// extension a meaning):
///
/// ```text
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-name = token
/// chunk-ext-val  = token / quoted-string
/// ```
///
/// `BWS` is optional white space (SP or HTAB), so `5 ; a = "x y"` passes, but nothing else may
/// stand between the parts, and the line may not end in white space. Extensions frame nothing,
/// yet a parser that skipped whatever follows `;` would pass lines that a stricter one in front
/// of it refuses or splits differently; following the grammar keeps the two in agreement.
fn check_chunk_extensions(line: &[u8], after: &[u8]) -> Result<(), RequestError> {
    // Until the first ';' the fault is in the size line itself (§7.1).
    let first = skip_bws(after, 0);
    if first == after.len() {
        return Err(chunk_size_error(
            line,
            "white space after the size is not allowed at the end of the line",
        ));
    }
    if after[first] != b';' {
        return Err(chunk_size_error(
            line,
            "only a ';' chunk extension may follow the hex digits of the size",
        ));
    }
    let mut pos = first + 1;
    loop {
        pos = skip_bws(after, pos);
        let name_len = token_len(&after[pos..]);
        if name_len == 0 {
            return Err(chunk_ext_error(
                line,
                "a ';' must be followed by the extension's name, a token",
                TOKEN,
            ));
        }
        let name = &after[pos..pos + name_len];
        pos += name_len;
        let mut read = format!("the extension {}", quote(name));
        let mut may_follow = "'=' and a value, ';' and another extension, or the end of the line";
        let equals = skip_bws(after, pos);
        if after.get(equals) == Some(&b'=') {
            pos = skip_bws(after, equals + 1);
            pos += chunk_ext_value(line, name, &after[pos..])?;
            read = format!("the value of the extension {}", quote(name));
            may_follow = "';' and another extension, or the end of the line";
        }
        let next = skip_bws(after, pos);
        match after.get(next) {
            None if next == pos => return Ok(()),
            None => {
                return Err(chunk_ext_error(
                    line,
                    "the line may not end in white space after the last extension",
                    "",
                ));
            }
            Some(b';') => pos = next + 1,
            Some(&byte) => {
                return Err(chunk_ext_error(
                    line,
                    &format!(
                        "{read} is followed by {}, but only {may_follow} may come next",
                        describe_byte(byte)
                    ),
                    "",
                ));
            }
        }
    }
}

/// The length of the `chunk-ext-val` at the start of `rest`: a token, or a quoted-string
/// (RFC 9110 §5.6.4), in which `\` escapes the byte after it. `name` is the extension's, for
/// the message.
fn chunk_ext_value(line: &[u8], name: &[u8], rest: &[u8]) -> Result<usize, RequestError> {
    let name = quote(name);
    if rest.first() != Some(&b'"') {
        let len = token_len(rest);
        if len == 0 {
            let found = rest
                .first()
                .map_or("the end of the line".to_owned(), |&b| describe_byte(b));
            return Err(chunk_ext_error(
                line,
                &format!(
                    "the value of the extension {name} after '=' must be a token or a \
                     quoted-string, but it starts with {found}"
                ),
                QUOTED_STRING,
            ));
        }
        return Ok(len);
    }
    let unclosed = || {
        chunk_ext_error(
            line,
            &format!(
                "the quoted value of the extension {name} has no closing '\"' before the end \
                 of the line"
            ),
            QUOTED_STRING,
        )
    };
    let mut i = 1;
    loop {
        let Some(&byte) = rest.get(i) else {
            return Err(unclosed());
        };
        match byte {
            b'"' => return Ok(i + 1),
            b'\\' => {
                let Some(&escaped) = rest.get(i + 1) else {
                    return Err(unclosed());
                };
                if !is_quoted_pair_byte(escaped) {
                    return Err(chunk_ext_error(
                        line,
                        &format!(
                            "in the quoted value of the extension {name}, '\\' escapes {}, \
                             which a quoted-string may not hold",
                            describe_byte(escaped)
                        ),
                        QUOTED_STRING,
                    ));
                }
                i += 2;
            }
            _ if is_qdtext(byte) => i += 1,
            _ => {
                return Err(chunk_ext_error(
                    line,
                    &format!(
                        "the quoted value of the extension {name} contains {}, which a \
                         quoted-string may not hold",
                        describe_byte(byte)
                    ),
                    QUOTED_STRING,
                ));
            }
        }
    }
}

/// The position of the first byte at or after `pos` that is not `BWS` (SP or HTAB).
fn skip_bws(bytes: &[u8], pos: usize) -> usize {
    pos + bytes[pos..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// How many bytes at the start of `bytes` are `tchar`s (0: no token there).
fn token_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| is_tchar(b)).count()
}

/// `qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text` (RFC 9110 §5.6.4): any byte
/// in quotes but `"`, `\`, and the controls.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// What may follow `\` in a `quoted-pair`: `HTAB / SP / VCHAR / obs-text` (RFC 9110 §5.6.4),
/// any byte but the controls.
fn is_quoted_pair_byte(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=b'~' | 0x80..=0xFF)
}

/// A byte for a message: `'@'` when it is visible ASCII, else its hex value.
fn describe_byte(b: u8) -> String {
    match b {
        b'!'..=b'~' => format!("'{}'", char::from(b)),
        b' ' => "a space".to_owned(),
        b'\t' => "a tab".to_owned(),
        _ => format!("the byte 0x{b:02X}"),
    }
}

/// The 400 for chunk extensions that break the grammar of RFC 9112 §7.1.1; `also` names
/// the section of RFC 9110 that defines the part at fault, if there is one.
fn chunk_ext_error(line: &[u8], hint: &str, also: &str) -> RequestError {
    bad(
        "chunk-extension-malformed",
        format!(
            "bad chunk extension in the chunk-size line {}: {hint} (RFC 9112 §7.1.1{also})",
            quote(line)
        ),
    )
}

/// The 400 for a malformed chunk-size line, quoting the line and saying what is wrong.
fn chunk_size_error(line: &[u8], hint: &str) -> RequestError {
    bad(
        "chunk-size-malformed",
        format!(
            "bad chunk size line {}: {hint} (RFC 9112 §7.1)",
            quote(line)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body limit far above anything these tests send.
    const LIMIT: u64 = 1 << 20;

    /// Parse a head that must be complete and valid.
    fn parse(raw: &[u8]) -> Request {
        match parse_request(raw, LIMIT) {
            Ok(Some(request)) => request,
            other => panic!("expected a request from {:?}, got {other:?}", quote(raw)),
        }
    }

    /// What a live view shows of `raw`'s request line, fed at once to a resuming scan.
    fn live_request_line(raw: &[u8]) -> Option<(String, String)> {
        let mut scan = HeadScan::default();
        let _ = parse_request_resuming(raw, LIMIT, &mut scan);
        scan.request_line(raw)
    }

    /// Parse a head that must be refused with `status`, and whose message must contain every
    /// one of `words`.
    #[track_caller]
    fn assert_refused(raw: &[u8], status: u16, rule: &str, words: &[&str]) -> RequestError {
        let error = match parse_request(raw, LIMIT) {
            Err(error) => error,
            other => panic!("expected {status} from {:?}, got {other:?}", quote(raw)),
        };
        assert_eq!((error.status, error.rule), (status, rule), "{error}");
        for word in words {
            assert!(error.message.contains(word), "{word:?} not in: {error}");
        }
        assert!(!error.message.contains('\n'), "one line: {error}");
        error
    }

    /// A request whose only header block is `fields`.
    fn with_fields(fields: &str) -> Vec<u8> {
        format!("POST /upload HTTP/1.1\r\nHost: x\r\n{fields}\r\n").into_bytes()
    }

    fn header<'a>(request: &'a Request, name: &'a str) -> Option<&'a [u8]> {
        values(&request.headers, name).next()
    }

    // --- where the parts are ------------------------------------------------------------

    /// The parser hands back where each part is, in bytes of the request: the pieces read
    /// back are the parts, with the white space around a value left out and an empty value
    /// empty.
    #[test]
    fn spans_point_at_each_part_of_the_head() {
        let raw = b"\nGET /a?b HTTP/1.0\nHost:  h \nX-Empty:\n\n";
        let request = parse(raw);
        let spans = &request.spans;
        let at = |r: &Range<usize>| &raw[r.clone()];
        assert_eq!(at(&spans.line), b"GET /a?b HTTP/1.0");
        assert_eq!(at(&spans.method), b"GET");
        assert_eq!(at(&spans.target), b"/a?b");
        assert_eq!(at(&spans.version), b"HTTP/1.0");
        let fields: Vec<(&[u8], &[u8], &[u8])> = spans
            .fields
            .iter()
            .map(|f| (at(&f.line), at(&f.name), at(&f.value)))
            .collect();
        assert_eq!(
            fields,
            [
                (&b"Host:  h "[..], &b"Host"[..], &b"h"[..]),
                (&b"X-Empty:"[..], &b"X-Empty"[..], &b""[..]),
            ]
        );
        assert_eq!(spans.body, None, "the parser sees the head alone");
    }

    // --- the request head ---------------------------------------------------------------

    /// Should the line scanner and httparse ever disagree about where the head ends, the
    /// answer is a 400 that says so, not a panic (debug builds once asserted here).
    #[test]
    fn scanner_and_httparse_disagreeing_on_the_head_end_is_a_400() {
        assert!(same_head_end(18, 18).is_ok());
        let error = same_head_end(16, 18).unwrap_err();
        assert_eq!(error.status, BAD_REQUEST);
        assert!(error.message.contains("after 18 bytes"), "{error}");
        assert!(
            error.message.contains("httparse ends it after 16"),
            "{error}"
        );
        assert!(!error.message.contains('\n'), "one line: {error}");
    }

    #[test]
    fn tutorial_request_without_host_is_served_with_a_note() {
        let request = parse(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, "/");
        assert_eq!(request.version, Version::Http11);
        assert_eq!(request.raw_path, "/");
        assert_eq!(request.query, "");
        assert_eq!(request.authority, None);
        assert!(request.headers.is_empty());
        assert_eq!(request.body, BodyFraming::None);
        assert!(!request.expect_continue);
        assert_eq!(request.notes, vec![RequestNote::MissingHost]);
        assert_eq!(request.head_len, 18);
    }

    #[test]
    fn every_prefix_is_incomplete_and_the_whole_parses_the_same_byte_by_byte() {
        let head = b"POST /form?a=1&b=%20 HTTP/1.1\r\nHost: localhost:8888\r\n\
                     Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n";
        let mut full = head.to_vec();
        full.extend_from_slice(b"hello");
        for end in 0..head.len() {
            assert_eq!(
                parse_request(&full[..end], LIMIT),
                Ok(None),
                "prefix of {end} bytes"
            );
        }
        let request = parse(&full);
        assert_eq!(request, parse(head));
        assert_eq!(request.head_len, head.len());
        assert_eq!(request.raw_path, "/form");
        assert_eq!(request.query, "a=1&b=%20");
        assert_eq!(request.body, BodyFraming::Length(5));
        assert_eq!(header(&request, "content-type"), Some(&b"text/plain"[..]));
        assert!(request.notes.is_empty());
    }

    #[test]
    fn bare_lf_line_endings_from_telnet_are_accepted() {
        let request = parse(b"GET /hi HTTP/1.1\nHost: x\n\n");
        assert_eq!(request.raw_path, "/hi");
        assert_eq!(header(&request, "Host"), Some(&b"x"[..]));
        assert_eq!(request.head_len, 26);
    }

    #[test]
    fn empty_lines_before_the_request_line_are_skipped_and_counted_in_head_len() {
        let request = parse(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(request.method, "GET");
        assert_eq!(request.head_len, 4 + 16 + 9 + 2);
        let request = parse(b"\nGET / HTTP/1.1\nHost: x\n\n");
        assert_eq!(request.method, "GET");
        assert_eq!(request.head_len, 1 + 15 + 8 + 1);
        assert_eq!(parse_request(b"\r\n", LIMIT), Ok(None));
    }

    /// The first line end fixes the style; every later one of the head must match it.
    #[test]
    fn a_head_that_mixes_crlf_and_bare_lf_is_refused_at_the_first_odd_line() {
        let mixed = "mixes CRLF and bare-LF line ends";
        assert_refused(
            b"GET / HTTP/1.1\r\nX: X\n\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            400,
            "mixed-line-ends",
            &[
                "line 2 ends in a bare LF",
                "line 1 ended in CRLF",
                mixed,
                "RFC 9112 §2.2",
            ],
        );
        assert_refused(
            b"GET / HTTP/1.1\nHost: x\r\n\n",
            400,
            "mixed-line-ends",
            &["line 2 ends in CRLF", "line 1 ended in a bare LF", mixed],
        );
        // The empty line that ends the head counts.
        assert_refused(
            b"GET / HTTP/1.1\r\nHost: x\r\n\n",
            400,
            "mixed-line-ends",
            &["line 3", mixed],
        );
        assert_refused(
            b"GET / HTTP/1.1\nHost: x\n\r\n",
            400,
            "mixed-line-ends",
            &["line 3", mixed],
        );
        // So do empty lines before the request line, and the request line itself.
        assert_refused(
            b"\r\nGET / HTTP/1.1\nHost: x\n\n",
            400,
            "mixed-line-ends",
            &["line 2", "line 1", mixed],
        );
        assert_refused(
            b"\n\r\nGET / HTTP/1.1\r\n\r\n",
            400,
            "mixed-line-ends",
            &["line 2", mixed],
        );
        // Refused as soon as the odd line end arrives, before the head is complete.
        assert_refused(
            b"GET / HTTP/1.1\r\nHost: x\n",
            400,
            "mixed-line-ends",
            &["line 2", mixed],
        );
        assert_eq!(live_request_line(b"\r\nGET / HTTP/1.1\n"), None);
        assert_eq!(
            live_request_line(b"\nGET / HTTP/1.1\n"),
            Some(("GET".to_owned(), "/".to_owned()))
        );
    }

    /// A head fed one byte at a time to one resuming scan (as the server feeds a slow client's
    /// bytes) gets the answer [`parse_request`] gives for the same bytes at once, at the same
    /// byte: need more until then, then the same request or the same error.
    #[test]
    fn a_resumed_scan_answers_as_a_fresh_parse_does() {
        let long_line = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(5000));
        let too_long = format!("GET / HTTP/1.1\r\nX: {}", "b".repeat(MAX_HEAD_BYTES));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n");
        let cases: Vec<&[u8]> = vec![
            b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nbody",
            b"GET / HTTP/1.1\nHost: x\n\n",
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\n\nGET / HTTP/1.0\n\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            b"GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\n\r\n",
            b"\r\nGET / HTTP/1.1\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            long_line.as_bytes(),
            too_long.as_bytes(),
            many.as_bytes(),
        ];
        for raw in cases {
            let mut scan = HeadScan::default();
            let mut answer = Ok(None);
            let mut at = raw.len();
            for n in 0..=raw.len() {
                answer = parse_request_resuming(&raw[..n], LIMIT, &mut scan);
                if answer != Ok(None) {
                    at = n;
                    break;
                }
            }
            assert_eq!(answer, parse_request(&raw[..at], LIMIT), "{:?}", quote(raw));
            // Not later than a fresh parse either.
            let before = parse_request(&raw[..at.saturating_sub(1)], LIMIT);
            assert!(
                at == 0 || before == Ok(None),
                "{:?}: {before:?}",
                quote(raw)
            );
            if at < raw.len() && answer.is_ok() {
                // A request, complete at `at`: the bytes after it do not change it, for a
                // fresh parse or for the same scan asked again.
                assert_eq!(answer, parse_request(raw, LIMIT), "{:?}", quote(raw));
                let again = parse_request_resuming(raw, LIMIT, &mut scan);
                assert_eq!(answer, again, "{:?}", quote(raw));
            }
        }
    }

    /// The live view gets the request line the moment its line end arrives, before the rest
    /// of the head.
    #[test]
    fn the_request_line_is_known_once_its_line_has_ended() {
        let raw = b"GET /x HTTP/1.1\r\nHost: x\r\n";
        let mut scan = HeadScan::default();
        let line_end = raw.iter().position(|&b| b == b'\n').unwrap();
        for n in 0..=raw.len() {
            assert_eq!(
                parse_request_resuming(&raw[..n], LIMIT, &mut scan),
                Ok(None)
            );
            let expected = (n > line_end).then(|| ("GET".to_owned(), "/x".to_owned()));
            assert_eq!(scan.request_line(&raw[..n]), expected, "after {n} bytes");
        }
    }

    #[test]
    fn http_1_0_needs_no_host() {
        let request = parse(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(request.version, Version::Http10);
        assert!(request.notes.is_empty());
    }

    #[test]
    fn header_values_lose_surrounding_white_space_and_keep_obs_text() {
        let request = parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-Name: \t caf\xC3\xA9 \t\r\n\r\n");
        assert_eq!(header(&request, "X-Name"), Some(&b"caf\xC3\xA9"[..]));
    }

    #[test]
    fn any_token_method_is_accepted() {
        assert_eq!(
            parse(b"PURGE /x HTTP/1.1\r\nHost: x\r\n\r\n").method,
            "PURGE"
        );
        assert_eq!(parse(b"get /x HTTP/1.1\r\nHost: x\r\n\r\n").method, "get");
    }

    #[test]
    fn absolute_form_gives_the_authority_and_the_path() {
        let request = parse(b"GET http://example.com:8080/a/b?q=1?2 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(request.target, "http://example.com:8080/a/b?q=1?2");
        assert_eq!(request.authority.as_deref(), Some("example.com:8080"));
        assert_eq!(request.raw_path, "/a/b");
        assert_eq!(request.query, "q=1?2");
    }

    #[test]
    fn absolute_form_without_a_path_has_the_path_slash() {
        let request = parse(b"GET HTTPS://Example.com?x HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(request.authority.as_deref(), Some("Example.com"));
        assert_eq!(request.raw_path, "/");
        assert_eq!(request.query, "x");
    }

    #[test]
    fn absolute_form_with_another_scheme_or_no_host_is_refused() {
        assert_refused(
            b"GET ftp://h/x HTTP/1.1\r\n\r\n",
            400,
            "target-scheme",
            &["scheme", "ftp"],
        );
        assert_refused(
            b"GET http:///x HTTP/1.1\r\n\r\n",
            400,
            "target-no-host",
            &["no host"],
        );
        assert_refused(
            b"GET http://u@h/ HTTP/1.1\r\n\r\n",
            400,
            "target-userinfo",
            &["user information"],
        );
    }

    #[test]
    fn asterisk_form_is_accepted_with_options() {
        let request = parse(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(request.raw_path, "*");
        assert_eq!(request.query, "");
    }

    #[test]
    fn asterisk_form_with_get_is_refused() {
        assert_refused(
            b"GET * HTTP/1.1\r\n\r\n",
            400,
            "asterisk-form-not-options",
            &["asterisk", "OPTIONS", "GET"],
        );
    }

    #[test]
    fn authority_form_is_refused_outside_connect() {
        assert_refused(
            b"GET example.com:443 HTTP/1.1\r\n\r\n",
            400,
            "authority-form-not-served",
            &["authority-form", "CONNECT"],
        );
    }

    #[test]
    fn relative_target_is_refused() {
        assert_refused(
            b"GET foo/bar HTTP/1.1\r\n\r\n",
            400,
            "target-relative",
            &["\"foo/bar\"", "relative", "'/'"],
        );
    }

    #[test]
    fn fragment_in_the_target_is_refused() {
        assert_refused(
            b"GET /page#top HTTP/1.1\r\n\r\n",
            400,
            "target-fragment",
            &["'#'", "fragment"],
        );
    }

    #[test]
    fn control_or_non_utf8_bytes_in_the_target_are_refused() {
        assert_refused(
            b"GET /a\x7Fb HTTP/1.1\r\n\r\n",
            400,
            "target-control-byte",
            &["target", "0x7F"],
        );
        assert_refused(
            b"GET /a\tb HTTP/1.1\r\n\r\n",
            400,
            "target-control-byte",
            &["target", "0x09"],
        );
        assert_refused(
            b"GET /caf\xE9 HTTP/1.1\r\n\r\n",
            400,
            "target-not-utf8",
            &["target", "UTF-8"],
        );
        // UTF-8 beyond ASCII passes, as it does in httparse.
        assert_eq!(
            parse(b"GET /caf\xC3\xA9 HTTP/1.1\r\nHost: x\r\n\r\n").raw_path,
            "/café"
        );
    }

    #[test]
    fn request_line_without_version_is_refused_as_soon_as_it_ends() {
        // HTTP/0.9 style, refused before the rest of the head arrives.
        assert_refused(
            b"GET /\r\n",
            400,
            "version-missing",
            &["version is missing", "GET / HTTP/1.1"],
        );
        assert_refused(b"GET HTTP/1.1\n", 400, "target-missing", &["no target"]);
        assert_refused(
            b"GET\r\n",
            400,
            "request-line-malformed",
            &["METHOD SP TARGET SP HTTP-VERSION"],
        );
    }

    #[test]
    fn request_line_with_extra_spaces_is_refused() {
        assert_refused(
            b"GET  / HTTP/1.1\r\n\r\n",
            400,
            "request-line-spacing",
            &["exactly one space"],
        );
        assert_refused(
            b"GET / HTTP/1.1 \r\n\r\n",
            400,
            "request-line-spacing",
            &["exactly one space"],
        );
        assert_refused(
            b"GET /a b HTTP/1.1\r\n\r\n",
            400,
            "request-line-extra-parts",
            &["%20"],
        );
    }

    #[test]
    fn malformed_version_is_400() {
        assert_refused(
            b"GET / http/1.1\r\n\r\n",
            400,
            "version-malformed",
            &["\"http/1.1\"", "malformed"],
        );
        assert_refused(
            b"GET / HTTP/1\r\n\r\n",
            400,
            "version-malformed",
            &["malformed"],
        );
        assert_refused(
            b"GET / HTTP/1.10\r\n\r\n",
            400,
            "version-malformed",
            &["malformed"],
        );
        assert_refused(
            b"GET / HTTPS/1.1\r\n\r\n",
            400,
            "version-malformed",
            &["malformed"],
        );
    }

    #[test]
    fn other_well_formed_versions_are_505() {
        assert_refused(
            b"GET / HTTP/2.0\r\n\r\n",
            505,
            "version-not-supported",
            &["HTTP/2.0", "not supported"],
        );
        assert_refused(
            b"GET / HTTP/3\r\n\r\n",
            505,
            "version-not-supported",
            &["HTTP/3"],
        );
        assert_refused(
            b"GET / HTTP/1.2\r\n\r\n",
            505,
            "version-not-supported",
            &["HTTP/1.2"],
        );
        assert_refused(
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            505,
            "version-not-supported",
            &["HTTP/2.0"],
        );
    }

    #[test]
    fn method_that_is_not_a_token_is_refused() {
        assert_refused(
            b"G(T / HTTP/1.1\r\n\r\n",
            400,
            "method-not-token",
            &["bad method token", "\"G(T\""],
        );
    }

    #[test]
    fn connect_is_not_implemented() {
        assert_refused(
            b"CONNECT example.com:443 HTTP/1.1\r\n\r\n",
            501,
            "connect-not-served",
            &["CONNECT", "proxies"],
        );
    }

    #[test]
    fn bare_cr_in_the_head_is_refused() {
        assert_refused(
            b"GET / HTTP/1.1\r\nX-A: 1\rX-B: 2\r\n\r\n",
            400,
            "bare-cr",
            &["line 2", "bare CR"],
        );
        assert_refused(
            b"GET / HTTP/1.1\rHost: x\r\n\r\n",
            400,
            "bare-cr",
            &["line 1", "bare CR"],
        );
        assert_refused(b"\rGET / HTTP/1.1\r\n\r\n", 400, "bare-cr", &["bare CR"]);
    }

    #[test]
    fn bare_cr_is_refused_before_its_line_ends() {
        assert_refused(
            b"GET / HTTP/1.1\r\nX-A: 1\rX",
            400,
            "bare-cr",
            &["line 2", "bare CR"],
        );
        // A CR at the very end may still get its LF.
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nX-A: 1\r", LIMIT),
            Ok(None)
        );
    }

    #[test]
    fn control_characters_in_a_header_value_are_refused_naming_the_header() {
        for control in [b'\0', 0x07, 0x7F, 0x0B] {
            let mut raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Bell: a".to_vec();
            raw.push(control);
            raw.extend_from_slice(b"b\r\n\r\n");
            let hex = format!("0x{control:02X}");
            assert_refused(
                &raw,
                400,
                "field-value-control",
                &["line 3", "\"X-Bell\"", "control character", &hex],
            );
        }
    }

    #[test]
    fn obsolete_line_folding_is_refused() {
        let raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n";
        assert_refused(
            raw,
            400,
            "obsolete-line-folding",
            &["line 4", "obsolete line folding", "RFC 9112 §5.2"],
        );
        assert_refused(
            b"GET / HTTP/1.1\r\n\tX: y\r\n\r\n",
            400,
            "space-before-first-field",
            &["line 2", "white space"],
        );
    }

    #[test]
    fn header_name_that_is_not_a_token_is_refused_with_its_line() {
        let raw = b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n";
        assert_refused(
            raw,
            400,
            "field-name-not-token",
            &["line 3", "\"Bad Name\"", "not a token"],
        );
        assert_refused(
            b"GET / HTTP/1.1\r\nX(y): 1\r\n\r\n",
            400,
            "field-name-not-token",
            &["\"X(y)\"", "token"],
        );
        assert_refused(
            b"GET / HTTP/1.1\r\n: 1\r\n\r\n",
            400,
            "field-name-empty",
            &["line 2", "empty"],
        );
    }

    #[test]
    fn white_space_before_the_colon_is_refused() {
        let raw = b"GET / HTTP/1.1\r\nHost : x\r\n\r\n";
        assert_refused(
            raw,
            400,
            "space-before-colon",
            &["line 2", "\"Host\"", "colon", "RFC 9112 §5.1"],
        );
    }

    #[test]
    fn header_line_without_colon_is_refused() {
        let raw = b"GET / HTTP/1.1\nHost x\n\n";
        assert_refused(
            raw,
            400,
            "field-no-colon",
            &["line 2", "\"Host x\"", "name: value"],
        );
    }

    #[test]
    fn line_numbers_count_leading_empty_lines() {
        assert_refused(
            b"\r\nGET / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
            400,
            "field-name-not-token",
            &["line 3"],
        );
    }

    #[test]
    fn header_with_underscore_is_dropped_with_a_note() {
        let request = parse(b"GET / HTTP/1.1\r\nHost: x\r\nX_User: admin\r\nX-User: me\r\n\r\n");
        assert_eq!(request.headers.len(), 2);
        assert_eq!(header(&request, "X-User"), Some(&b"me"[..]));
        assert_eq!(header(&request, "X_User"), None);
        assert_eq!(
            request.notes,
            vec![RequestNote::UnderscoreHeaderDropped("X_User".to_owned())]
        );
    }

    #[test]
    fn a_hundred_headers_are_accepted() {
        let fields: String = (0..MAX_HEADERS - 1)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect();
        assert_eq!(parse(&with_fields(&fields)).headers.len(), MAX_HEADERS);
    }

    #[test]
    fn more_than_a_hundred_headers_is_431() {
        let fields: String = (0..MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_refused(
            &with_fields(&fields),
            431,
            "too-many-fields",
            &["more than 100 header fields"],
        );
    }

    #[test]
    fn endless_head_is_431_while_still_incomplete() {
        let mut raw = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        raw.resize(60 * 1024, b'a');
        assert_eq!(parse_request(&raw, LIMIT), Ok(None));
        raw.resize(65 * 1024, b'a');
        assert_refused(&raw, 431, "head-too-large", &["65536 bytes"]);
    }

    #[test]
    fn more_than_one_host_is_refused() {
        let raw = b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n";
        assert_refused(raw, 400, "host-repeated", &["2 Host headers"]);
    }

    #[test]
    fn host_values_of_every_form_are_accepted() {
        let hosts = [
            "localhost:8888",
            "127.0.0.1",
            "[::1]:8888",
            "[::1]",
            "example.com",
            "xn--bcher-kva.example",
            "EXAMPLE.com:80",
            "[2001:db8::7]",
            "[::ffff:192.0.2.1]:443",
            "[v1.fe80::a+en1]",
            "a%2Db.example",
            "sub-delims!$&'()*+,;=_~",
            "999.1.1.1",
            // Empty: RFC 9112 §3.2 has a client send it when the target has no authority.
            "",
            "a:",
            ":80",
        ];
        for host in hosts {
            let raw = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            let request = parse(raw.as_bytes());
            assert_eq!(header(&request, "Host"), Some(host.as_bytes()), "{host}");
            assert!(request.notes.is_empty(), "{host}: {:?}", request.notes);
        }
    }

    #[test]
    fn host_values_that_no_host_can_be_are_refused_naming_the_rule() {
        let cases: [(&[u8], &str); 14] = [
            (b"a b", "a space is not allowed in a host name"),
            (b"u@a", "'@' is not allowed"),
            (b"u:p@a", "'@' is not allowed"),
            (b"a/b", "'/' is not allowed"),
            (b"a:b", "the port \"b\" after ':' must be digits"),
            (b"a:8:8", "no ':'"),
            (b"::1", "brackets"),
            (b"[::1", "no closing ']'"),
            (b"[::1]x", "only ':' and a port"),
            (b"[::g]", "\"::g\" in brackets is not an IPv6 address"),
            (b"[fe80::1%25eth0]", "not an IPv6 address"),
            (b"[127.0.0.1]", "not an IPv6 address"),
            (b"a%2", "two hex digits"),
            (b"b\xC3\xBCcher.example", "xn--"),
        ];
        for (host, hint) in cases {
            let raw = [b"GET / HTTP/1.1\r\nHost: ", host, b"\r\n\r\n"].concat();
            let quoted = format!("the Host value {}", quote(host));
            assert_refused(
                &raw,
                400,
                "host-invalid",
                &["line 2", &quoted, hint, "RFC 9112 §3.2, RFC 3986 §3.2.2"],
            );
        }
        // As soon as the line has arrived, in any case of the name, also in HTTP/1.0.
        assert_refused(
            b"GET / HTTP/1.0\nhOST: a b\n",
            400,
            "host-invalid",
            &["line 2", "Host value"],
        );
    }

    #[test]
    fn a_host_value_keeps_no_surrounding_white_space_and_is_checked_without_it() {
        let request = parse(b"GET / HTTP/1.1\r\nHost: \t localhost:8888 \t\r\n\r\n");
        assert_eq!(header(&request, "Host"), Some(&b"localhost:8888"[..]));
    }

    #[test]
    fn expect_100_continue_is_noticed_case_insensitively_on_http_1_1() {
        let raw = with_fields("Content-Length: 3\r\nExpect: 100-Continue\r\n");
        assert!(parse(&raw).expect_continue);
        assert!(!parse(&with_fields("Expect: something-else\r\n")).expect_continue);
        let old = b"POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
        assert!(!parse(old).expect_continue);
    }

    // --- body framing ---------------------------------------------------------------------

    #[test]
    fn content_length_gives_the_body_length() {
        let request = parse(&with_fields("Content-Length: 0042\r\n"));
        assert_eq!(request.body, BodyFraming::Length(42));
    }

    #[test]
    fn content_length_over_the_limit_is_413_before_the_body_arrives() {
        let raw = with_fields("Content-Length: 101\r\n");
        let error = parse_request(&raw, 100).unwrap_err();
        assert_eq!(error.status, 413);
        assert_eq!(
            error.message,
            "the body of 101 bytes is larger than the limit of 100 bytes (--max-body)"
        );
        let huge = with_fields("Content-Length: 99999999999999999999999\r\n");
        assert_refused(
            &huge,
            413,
            "body-too-large",
            &["99999999999999999999999 bytes"],
        );
    }

    #[test]
    fn content_length_that_is_not_plain_digits_is_refused() {
        for value in ["+5", "-5", "5 5", "5a", "0x5", "", "1e3"] {
            let raw = with_fields(&format!("Content-Length: {value}\r\n"));
            assert_refused(
                &raw,
                400,
                "request-length-not-digits",
                &["Content-Length", "digits"],
            );
        }
    }

    #[test]
    fn content_length_list_is_refused() {
        let raw = with_fields("Content-Length: 5, 5\r\n");
        assert_refused(&raw, 400, "request-length-list", &["\"5, 5\"", "list"]);
    }

    #[test]
    fn repeated_content_length_is_refused() {
        let raw = with_fields("Content-Length: 5\r\nContent-Length: 5\r\n");
        assert_refused(
            &raw,
            400,
            "request-length-repeated",
            &["repeated", "2 times"],
        );
    }

    #[test]
    fn conflicting_content_lengths_are_refused() {
        let raw = with_fields("Content-Length: 5\r\ncontent-length: 6\r\n");
        assert_refused(
            &raw,
            400,
            "request-length-conflict",
            &["conflicting", "\"5\"", "\"6\""],
        );
    }

    #[test]
    fn content_length_with_transfer_encoding_is_smuggling() {
        let raw = with_fields("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
        assert_refused(
            &raw,
            400,
            "length-and-chunked",
            &["both", "smuggling", "RFC 9112 §6.1"],
        );
    }

    #[test]
    fn transfer_encoding_chunked_is_accepted_case_insensitively() {
        let request = parse(&with_fields("Transfer-Encoding: Chunked\r\n"));
        assert_eq!(request.body, BodyFraming::Chunked);
        let spread = with_fields("Transfer-Encoding: ,\r\nTransfer-Encoding: chunked\r\n");
        assert_eq!(parse(&spread).body, BodyFraming::Chunked);
    }

    #[test]
    fn transfer_encoding_on_http_1_0_is_refused() {
        let raw = b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_refused(raw, 400, "chunked-in-http10", &["HTTP/1.0"]);
    }

    #[test]
    fn chunked_not_last_is_refused() {
        let raw = with_fields("Transfer-Encoding: chunked, gzip\r\n");
        assert_refused(
            &raw,
            400,
            "chunked-not-last",
            &["does not end with chunked"],
        );
        let alone = with_fields("Transfer-Encoding: gzip\r\n");
        assert_refused(
            &alone,
            400,
            "chunked-not-last",
            &["\"gzip\"", "does not end with chunked"],
        );
    }

    #[test]
    fn chunked_twice_is_refused_even_across_headers() {
        let raw = with_fields("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n");
        assert_refused(
            &raw,
            400,
            "chunked-repeated",
            &["chunked 2 times", "exactly once"],
        );
    }

    #[test]
    fn codings_other_than_chunked_are_not_implemented() {
        for coding in ["gzip", "deflate", "compress", "identity", "x-custom"] {
            let raw = with_fields(&format!("Transfer-Encoding: {coding}, chunked\r\n"));
            let quoted = format!("\"{coding}\"");
            assert_refused(
                &raw,
                501,
                "coding-not-implemented",
                &[&quoted, "decodes only chunked"],
            );
        }
        let spread = with_fields("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n");
        assert_refused(&spread, 501, "coding-not-implemented", &["\"gzip\""]);
    }

    #[test]
    fn empty_transfer_encoding_is_refused() {
        assert_refused(
            &with_fields("Transfer-Encoding: \r\n"),
            400,
            "transfer-encoding-empty",
            &["empty"],
        );
    }

    // --- chunked bodies -------------------------------------------------------------------

    /// Feed `body` in one call.
    fn decode_whole(body: &[u8], max_body: u64) -> Result<(Vec<u8>, ChunkStatus), RequestError> {
        let mut decoder = ChunkedDecoder::new(max_body);
        let mut out = Vec::new();
        let status = decoder.feed(body, &mut out)?;
        Ok((out, status))
    }

    /// Feed `body` one byte per call, until the decoder is done; the status says where.
    fn decode_bytewise(
        body: &[u8],
        max_body: u64,
    ) -> Result<(Vec<u8>, ChunkStatus, ChunkedDecoder), RequestError> {
        let mut decoder = ChunkedDecoder::new(max_body);
        let mut out = Vec::new();
        for (i, byte) in body.iter().enumerate() {
            if let ChunkStatus::Done { consumed } = decoder.feed(&[*byte], &mut out)? {
                assert_eq!(consumed, 1);
                return Ok((out, ChunkStatus::Done { consumed: i + 1 }, decoder));
            }
        }
        Ok((out, ChunkStatus::NeedMore, decoder))
    }

    /// Feed `body` whole and byte by byte; both must give the same refusal with `status`,
    /// mentioning every one of `words`.
    fn assert_chunked_refused(body: &[u8], status: u16, words: &[&str]) {
        let whole = decode_whole(body, LIMIT).expect_err("refused when fed whole");
        let bytewise = decode_bytewise(body, LIMIT).expect_err("refused byte by byte");
        assert_eq!(whole, bytewise);
        assert_eq!(whole.status, status, "{whole}");
        for word in words {
            assert!(whole.message.contains(word), "{word:?} not in: {whole}");
        }
    }

    #[test]
    fn chunked_body_decodes_the_same_whole_and_byte_by_byte() {
        let body = b"5\r\nhello\r\nB\r\n, wide worl\r\n1\r\nd\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let end = body.len() - 16;
        let (out, status) = decode_whole(body, LIMIT).unwrap();
        assert_eq!(out, b"hello, wide world");
        assert_eq!(status, ChunkStatus::Done { consumed: end });
        let (out, status, mut decoder) = decode_bytewise(body, LIMIT).unwrap();
        assert_eq!(out, b"hello, wide world");
        assert_eq!(status, ChunkStatus::Done { consumed: end });
        assert_eq!(
            decoder.feed(b"more", &mut Vec::new()),
            Ok(ChunkStatus::Done { consumed: 0 })
        );
    }

    #[test]
    fn chunked_body_split_anywhere_needs_more_until_the_end() {
        let body = b"a\r\n0123456789\r\n0\r\n\r\n";
        for split in 0..body.len() {
            let mut decoder = ChunkedDecoder::new(LIMIT);
            let mut out = Vec::new();
            assert_eq!(
                decoder.feed(&body[..split], &mut out),
                Ok(ChunkStatus::NeedMore)
            );
            let rest = body.len() - split;
            assert_eq!(
                decoder.feed(&body[split..], &mut out),
                Ok(ChunkStatus::Done { consumed: rest })
            );
            assert_eq!(out, b"0123456789");
        }
    }

    /// RFC 9112 §7.1 wants CRLF after the size line, the data and every trailer line; the
    /// lone LF of §2.2 is for the head only.
    #[test]
    fn bare_lf_anywhere_in_a_chunked_body_is_refused() {
        let rule = ["bare LF", "CRLF", "RFC 9112 §7.1"];
        let size_line = [&rule[..], &["the chunk-size line \"5\""]].concat();
        assert_chunked_refused(b"5\nhello\r\n0\r\n\r\n", 400, &size_line);
        let telnet = [&rule[..], &["the chunk-size line \"3\""]].concat();
        assert_chunked_refused(b"3\nabc\n0\n\n", 400, &telnet);
        let data = [&rule[..], &["the chunk data (the size said 5 bytes)"]].concat();
        assert_chunked_refused(b"5\r\nhello\n0\r\n\r\n", 400, &data);
        let last = [&rule[..], &["the chunk-size line \"0\""]].concat();
        assert_chunked_refused(b"5\r\nhello\r\n0\n\r\n", 400, &last);
        let trailer = [&rule[..], &["the trailer line \"X-A: 1\""]].concat();
        assert_chunked_refused(b"0\r\nX-A: 1\n\r\n", 400, &trailer);
        let end = [&rule[..], &["the empty line that ends the chunked body"]].concat();
        assert_chunked_refused(b"5\r\nhello\r\n0\r\n\n", 400, &end);
        assert_chunked_refused(b"0\r\nX-A: 1\r\n\n", 400, &end);
    }

    #[test]
    fn chunk_extensions_are_skipped() {
        let body = b"5;name=value;flag\r\nhello\r\n3 ; q=\"a b\"\r\nabc\r\n0;last\r\n\r\n";
        let (out, _) = decode_whole(body, LIMIT).unwrap();
        assert_eq!(out, b"helloabc");
        assert_eq!(decode_bytewise(body, LIMIT).unwrap().0, b"helloabc");
    }

    /// Every form RFC 9112 §7.1.1's grammar allows: a name alone, a token value, BWS around
    /// `;` and `=`, quoted values with spaces, escapes and bytes ≥ 0x80, several extensions.
    #[test]
    fn chunk_extensions_of_every_allowed_form_are_accepted() {
        let sizes: [&[u8]; 10] = [
            b"5;a",
            b"5;a=b",
            b"5 ; a = \"x y\"",
            b"5;a=\"q\\\"uote\"",
            b"5;a;b=c;d=\"e\"",
            b"5\t;\ta\t=\tb",
            b"5;a=\"\"",
            b"5;a=\"caf\xC3\xA9 \\\\ \\\t\"",
            b"5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~",
            b"5 ;a ;b",
        ];
        for size in sizes {
            let body = [size, b"\r\nhello\r\n0\r\n\r\n"].concat();
            match decode_whole(&body, LIMIT) {
                Ok((out, _)) => assert_eq!(out, b"hello", "{}", quote(size)),
                Err(error) => panic!("{} refused: {error}", quote(size)),
            }
        }
    }

    #[test]
    fn chunk_extensions_outside_the_grammar_are_refused_naming_it() {
        let cases: [(&[u8], &str); 12] = [
            (b"5;=x", "name, a token"),
            (b"2;", "name, a token"),
            (b"5;a;", "name, a token"),
            (b"5; ", "name, a token"),
            (b"5;a b", "the extension \"a\" is followed by 'b'"),
            (
                b"5;a=b c",
                "the value of the extension \"a\" is followed by 'c'",
            ),
            (
                b"5;a=\"x\"y",
                "the value of the extension \"a\" is followed by 'y'",
            ),
            (
                b"5;a=@",
                "must be a token or a quoted-string, but it starts with '@'",
            ),
            (b"5;a=", "starts with the end of the line"),
            (b"5;a=\"x", "no closing '\"'"),
            (b"5;a=\"x\\\"", "no closing '\"'"),
            (b"5;a ", "may not end in white space"),
        ];
        for (size, hint) in cases {
            let body = [size, b"\r\nhello\r\n0\r\n\r\n"].concat();
            let quoted = quote(size);
            assert_chunked_refused(
                &body,
                400,
                &["bad chunk extension", &quoted, hint, "RFC 9112 §7.1.1"],
            );
        }
    }

    #[test]
    fn control_bytes_in_a_chunk_extension_are_refused() {
        assert_chunked_refused(
            b"5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n",
            400,
            &["contains the byte 0x01", "RFC 9110 §5.6.4"],
        );
        assert_chunked_refused(
            b"5;a=\"x\\\x7F\"\r\nhello\r\n0\r\n\r\n",
            400,
            &["escapes the byte 0x7F"],
        );
        assert_chunked_refused(
            b"5;a\x00\r\nhello\r\n0\r\n\r\n",
            400,
            &["followed by the byte 0x00"],
        );
    }

    #[test]
    fn chunk_sizes_are_hex_in_either_case_with_up_to_16_digits() {
        let body = b"a\r\n0123456789\r\nA\r\n0123456789\r\n0000000000000001\r\nx\r\n0\r\n\r\n";
        assert_eq!(decode_whole(body, LIMIT).unwrap().0.len(), 21);
    }

    #[test]
    fn bad_chunk_sizes_are_refused_quoting_the_line() {
        let cases: [(&[u8], &str); 10] = [
            (b"+5\r\nhello\r\n0\r\n\r\n", "no sign"),
            (b"-5\r\nhello\r\n0\r\n\r\n", "no sign"),
            (b"6_0\r\n", "'_'"),
            (b" 5\r\nhello\r\n0\r\n\r\n", "white space before"),
            (b"5 \r\nhello\r\n0\r\n\r\n", "white space after"),
            (b"5 5\r\n", "only a ';'"),
            (b"0x5\r\nhello\r\n0\r\n\r\n", "\"0x\""),
            (b"\r\nhello\r\n", "empty"),
            (b"g\r\n", "hex digit"),
            (b"10000000000000000\r\n", "more than 16 hex digits"),
        ];
        for (body, hint) in cases {
            let line = strip_cr(&body[..body.iter().position(|&b| b == b'\n').unwrap()]);
            let quoted = quote(line);
            assert_chunked_refused(body, 400, &["bad chunk size line", &quoted, hint]);
        }
    }

    #[test]
    fn bare_cr_in_a_chunk_extension_is_refused() {
        assert_chunked_refused(
            b"5;a=\rb\r\nhello\r\n0\r\n\r\n",
            400,
            &["bare CR", "chunk-size"],
        );
    }

    #[test]
    fn endless_chunk_size_line_is_refused() {
        let mut body = b"5;".to_vec();
        body.resize(MAX_CHUNK_LINE_BYTES + 10, b'a');
        assert_chunked_refused(&body, 400, &["longer than 4096 bytes"]);
    }

    #[test]
    fn chunk_data_not_followed_by_crlf_is_refused() {
        let message = "chunk data was not followed by CRLF (the chunk size said 5 bytes)";
        assert_chunked_refused(b"5\r\nhello!\r\n0\r\n\r\n", 400, &[message]);
        assert_chunked_refused(b"5\r\nhello\rX\n0\r\n\r\n", 400, &[message]);
    }

    #[test]
    fn allowed_trailer_is_recorded() {
        let body = b"3\r\nabc\r\n0\r\nX-Checksum: 900150983cd2\r\nServer-Timing: db;dur=5\r\n\r\n";
        let (_, status, decoder) = decode_bytewise(body, LIMIT).unwrap();
        assert_eq!(
            status,
            ChunkStatus::Done {
                consumed: body.len()
            }
        );
        assert_eq!(decoder.trailers(), ["X-Checksum", "Server-Timing"]);
    }

    #[test]
    fn forbidden_trailers_are_refused() {
        for name in [
            "Content-Length",
            "transfer-encoding",
            "HOST",
            "Set-Cookie",
            "TE",
        ] {
            let body = format!("3\r\nabc\r\n0\r\n{name}: 1\r\n\r\n");
            let quoted = format!("\"{name}\"");
            assert_chunked_refused(body.as_bytes(), 400, &[&quoted, "RFC 9110 §6.5.1"]);
        }
    }

    #[test]
    fn malformed_trailer_line_is_refused() {
        assert_chunked_refused(
            b"0\r\nno colon here\r\n\r\n",
            400,
            &["trailer line", "token"],
        );
        assert_chunked_refused(b"0\r\nBad Name: 1\r\n\r\n", 400, &["trailer line"]);
        assert_chunked_refused(b"0\r\nX: a\x01b\r\n\r\n", 400, &["\"X\"", "0x01"]);
    }

    #[test]
    fn missing_final_crlf_needs_more() {
        assert_eq!(
            decode_whole(b"3\r\nabc\r\n0\r\n", LIMIT).unwrap().1,
            ChunkStatus::NeedMore
        );
        let trailer = b"3\r\nabc\r\n0\r\nX-A: 1\r\n";
        assert_eq!(
            decode_whole(trailer, LIMIT).unwrap().1,
            ChunkStatus::NeedMore
        );
    }

    #[test]
    fn chunked_body_over_the_limit_is_413() {
        let body = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        let whole = decode_whole(body, 8).unwrap_err();
        assert_eq!(whole.status, 413);
        assert!(
            whole
                .message
                .contains("larger than the limit of 8 bytes (--max-body)"),
            "{whole}"
        );
        assert_eq!(decode_bytewise(body, 8).err(), Some(whole));
        assert_eq!(decode_whole(body, 10).unwrap().0, b"helloworld");
    }
}
