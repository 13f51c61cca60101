//! Reading a request: bytes in, a [`Request`] or a [`RequestError`] out. No sockets here.
//!
//! SKELETON — to be filled in (see the doc on each item).

/// At most this many header fields in one request (more is a 431).
pub const MAX_HEADERS: usize = 100;
/// The request line plus the header block may take at most this many bytes (more is a 431).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The HTTP version of the request line. Only HTTP/1.0 and HTTP/1.1 are spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
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
    pub name: String,
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
    /// Trailer fields after a chunked body were read and discarded (WSGI has no place for them).
    TrailersDiscarded(Vec<String>),
}

/// A parsed request head: everything up to and including the blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, as sent (methods are case-sensitive).
    pub method: String,
    /// The request-target exactly as sent (REQUEST_URI).
    pub target: String,
    pub version: Version,
    /// The path part of the target, still percent-encoded (for absolute-form, the path after the
    /// authority; "*" for the asterisk form; "/" when an absolute-form target has no path).
    pub raw_path: String,
    /// The query part after '?', raw, without the '?' ("" when there is none).
    pub query: String,
    /// For an absolute-form target, its authority (host[:port]); RFC 9112 §3.2.2 says it
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
}

/// Why a request was refused: the status to answer with and one sentence saying what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// 400, 408, 413, 431, 501 or 505.
    pub status: u16,
    /// One sentence for the response body, e.g. "header line 3: the name \"Bad Name\" contains a
    /// space; a header name must be a token (RFC 9110 §5.1)".
    pub message: String,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for RequestError {}

/// Parse the head at the start of `buf`.
///
/// `Ok(None)`: the head is not complete yet (read more bytes and call again with the whole
/// buffer). `Ok(Some(request))`: complete; the body starts at `request.head_len`.
/// `max_body`: a Content-Length above it is refused with 413 right away.
pub fn parse_request(buf: &[u8], max_body: u64) -> Result<Option<Request>, RequestError> {
    let _ = (buf, max_body);
    todo!()
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
#[derive(Debug)]
pub struct ChunkedDecoder {
    _todo: (),
}

impl ChunkedDecoder {
    /// A decoder that refuses (413) a body whose decoded size exceeds `max_body`.
    pub fn new(max_body: u64) -> Self {
        let _ = max_body;
        ChunkedDecoder { _todo: () }
    }

    /// Feed the next bytes; decoded body bytes are appended to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<ChunkStatus, RequestError> {
        let _ = (input, out);
        todo!()
    }

    /// Trailer field names seen (they are discarded).
    pub fn trailers(&self) -> &[String] {
        &[]
    }
}
