//! Conformance checks: the PEP 3333 and HTTP rules an app (or a request) can break, each named,
//! explained and shown, without stopping the server.
//!
//! Students learn WSGI by getting it wrong. The standard library's `wsgiref.validate` stops the
//! app with a bare `AssertionError`; werkzeug's lint middleware prints warnings nobody reads.
//! wsgiscope notes each mistake where it happens (in `start_response`, in `write()`, while it
//! iterates the result, while the app reads `wsgi.input`, when the head goes out) as a
//! [`Check`] on the exchange record, which the logs, the JSON lines and the inspector all show.
//!
//! This module holds two things:
//!
//! - **The catalogue**, [`RULES`]: every rule with a stable id (what tests and lessons name), a
//!   one-sentence explanation, how to fix it, and where it is written (a PEP 3333 section or an
//!   RFC 9110/9112 section). A finding on the record names its rule and adds the specifics
//!   ("the header 'Bad Name'…").
//! - **The pure part of the logic**: the status line, one header, a whole head. The checks that
//!   need Python objects (is the result a `str`? is a chunk `bytes`?) live where those objects
//!   are, in `start_response.rs`, `server.rs` and `environ.rs`, and take their rule from here.
//!
//! What happens after a finding depends on whether the response can still be made:
//!
//! - a mistake that makes the response **impossible** (no status to send, a header that would
//!   let a value start a new header line, a Content-Length the client cannot frame the body
//!   by, a result that is not bytes) gives a 500 when nothing
//!   was sent yet, as in the rest of the server, and `start_response` raises so the app sees it
//!   (as under wsgiref);
//! - everything else is **served as the app asked and flagged**; where HTTP leaves no choice
//!   the server adjusts (it drops hop-by-hop headers and bodies a status forbids) and says so;
//! - `--strict` turns every finding about the app into a 500 (or, once the head was sent, a
//!   closed connection), for a class that wants wsgiref's all-or-nothing behaviour. Notes
//!   about the request, and a body on HEAD (which HTTP makes the server's job to drop), never
//!   count.

use serde_json::Value;

use crate::request::is_token;

/// Whose behaviour a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// The app broke a rule: a mistake to fix. `--strict` turns these into 500s.
    App,
    /// Something about the request or the exchange worth a note; not the app's fault.
    Note,
}

/// One rule of the catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable id, e.g. `result-bytes`. Tests, lessons and `--log json` readers use it.
    pub id: &'static str,
    /// Whose mistake it is.
    pub about: About,
    /// One sentence: what the rule says and why.
    pub explanation: &'static str,
    /// One sentence: how to fix the app.
    pub fix: &'static str,
    /// Where the rule is written: "PEP 3333 §…" or "RFC 9110 §…".
    pub reference: &'static str,
}

/// Where a finding points: the part of the record the inspector highlights. In JSON:
/// `{"status": {"call": 0}}`, `{"header": {"call": 0, "index": 2, "name": "X"}}` and the like.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Spot {
    /// The status argument of start_response call number `call` (from 0).
    Status { call: usize },
    /// Header number `index` (from 0) of start_response call `call`, named `name`.
    Header {
        call: usize,
        index: usize,
        name: String,
    },
    /// The `exc_info` argument of start_response call `call`.
    ExcInfo { call: usize },
    /// Chunk number `index` (from 0) of the result; `offset` body bytes came before it.
    Chunk { index: usize, offset: u64 },
    /// The write() call number `index` (from 0).
    Write { index: usize },
    /// A header of the response as sent, by name.
    SentHeader { name: String },
}

/// A finding: which rule, what happened here, where to look. The record keeps these in
/// `Exchange::checks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The rule's stable id, such as `missing-host` or `content-length-mismatch`.
    pub rule: &'static str,
    /// One sentence saying what happened, with the specifics (which header, which chunk).
    pub message: String,
    /// Where the rule is written: "PEP 3333 §…" or "RFC 9112 §…".
    pub reference: &'static str,
    /// How to fix it, from the catalogue.
    pub fix: &'static str,
    /// The part of the exchange it is about, when there is one to point at.
    pub at: Option<Spot>,
}

impl Check {
    /// A finding of `rule` with this message.
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Self {
        Check {
            rule: rule.id,
            message: message.into(),
            reference: rule.reference,
            fix: rule.fix,
            at: None,
        }
    }

    /// The same finding, pointing at `spot`.
    pub fn at(mut self, spot: Spot) -> Self {
        self.at = Some(spot);
        self
    }

    /// The catalogue entry of this finding's rule.
    pub fn rule(&self) -> Option<&'static Rule> {
        rule(self.rule)
    }

    /// Whether this finding is about the app (and so counts for `--strict`).
    pub fn is_about_app(&self) -> bool {
        self.rule().is_some_and(|r| r.about == About::App)
    }

    /// The finding as JSON: see [`crate::record::CheckRecord`].
    pub fn to_json(&self) -> Value {
        serde_json::to_value(crate::record::CheckRecord::from(self)).unwrap_or(Value::Null)
    }
}

/// The catalogue entry of a rule id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

const START_RESPONSE: &str = "PEP 3333 §The start_response() Callable";
const APP_SIDE: &str = "PEP 3333 §The Application/Framework Side";
const UNICODE: &str = "PEP 3333 §Unicode Issues";

// --- The app's call and its result -------------------------------------------------------

pub const RESULT_NONE: Rule = Rule {
    id: "result-none",
    about: About::App,
    explanation: "The server sends the body by iterating what the app returns, so the app must \
                  return an iterable of bytes (a list of them is the simplest); None, what a \
                  function without `return` gives, has nothing to iterate.",
    fix: "End the app with a return of a list of bytes, e.g. `return [b'hello']` (a function \
          without `return` returns None).",
    reference: APP_SIDE,
};

pub const RESULT_STR: Rule = Rule {
    id: "result-str",
    about: About::App,
    explanation: "The server iterates the result and sends each item as a block of bytes; \
                  iterating a str gives its characters one by one, and PEP 3333 keeps bodies as \
                  bytes so that the app, which declared the charset, does the encoding.",
    fix: "Encode the text and put it in a list: `return [text.encode('utf-8')]`.",
    reference: UNICODE,
};

pub const RESULT_BYTES: Rule = Rule {
    id: "result-bytes",
    about: About::App,
    explanation: "The server iterates the result and sends each item as a block of bytes; \
                  iterating a bytes object gives integers, one per byte, so a body on its own must \
                  go in a list.",
    fix: "Wrap the body in a list: `return [body]`.",
    reference: "PEP 3333 §Specification Details",
};

pub const RESULT_NOT_ITERABLE: Rule = Rule {
    id: "result-not-iterable",
    about: About::App,
    explanation: "The server gets the body by iterating the result, as a for loop would; an object \
                  that cannot be iterated gives it nothing to send.",
    fix: "Return a list of bytes, or a generator that yields bytes.",
    reference: APP_SIDE,
};

pub const CHUNK_NOT_BYTES: Rule = Rule {
    id: "chunk-not-bytes",
    about: About::App,
    explanation: "Only bytes go on the wire; PEP 3333 makes the app encode its text, because the \
                  app knows which charset it declared in Content-Type and the server does not.",
    fix: "Yield or return bytes: encode text first with `.encode('utf-8')`.",
    reference: UNICODE,
};

pub const START_RESPONSE_NOT_CALLED: Rule = Rule {
    id: "start-response-not-called",
    about: About::App,
    explanation: "The status line and the headers come from start_response; without that call the \
                  server has nothing to put before the body, so all it can send is a 500.",
    fix: "Call `start_response('200 OK', [('Content-Type', 'text/plain')])` before returning.",
    reference: START_RESPONSE,
};

pub const BODY_BEFORE_START_RESPONSE: Rule = Rule {
    id: "body-before-start-response",
    about: About::App,
    explanation: "The head (status line and headers) goes out before the first body byte, and it \
                  comes from start_response; a chunk that arrives first has no head to follow.",
    fix: "In a generator, call start_response before the first `yield`.",
    reference: START_RESPONSE,
};

pub const START_RESPONSE_TWICE: Rule = Rule {
    id: "start-response-twice",
    about: About::App,
    explanation: "A response has one status and one set of headers; PEP 3333 lets an app call \
                  start_response again only while handling an error, passing exc_info, to replace \
                  a response that has not gone out yet (and the server re-raises the error if it \
                  has).",
    fix: "Call start_response once; call it again only inside `except`, passing \
          `sys.exc_info()` as the third argument.",
    reference: START_RESPONSE,
};

pub const EXC_INFO_NOT_TUPLE: Rule = Rule {
    id: "exc-info-not-tuple",
    about: About::App,
    explanation: "exc_info tells the server that an error replaces the response, and lets it \
                  re-raise that error when the headers were already sent; for that it needs the \
                  (type, value, traceback) tuple that sys.exc_info() returns.",
    fix: "Pass `sys.exc_info()` itself, from inside the `except` block.",
    reference: START_RESPONSE,
};

pub const WRITE_BEFORE_START_RESPONSE: Rule = Rule {
    id: "write-before-start-response",
    about: About::App,
    explanation: "write() sends its bytes at once, and the head must go out before them; \
                  start_response sets the head and returns write, so write can only come after it.",
    fix: "Call start_response first and use the write callable it returns.",
    reference: "PEP 3333 §The write() Callable",
};

pub const WRITE_NOT_BYTES: Rule = Rule {
    id: "write-not-bytes",
    about: About::App,
    explanation: "write() puts its argument on the wire at once, and only bytes go on the wire; \
                  PEP 3333 makes the app encode its text, because the app knows the charset it \
                  declared.",
    fix: "Pass bytes: `write(text.encode('utf-8'))`.",
    reference: "PEP 3333 §The write() Callable",
};

/// wsgiref's validator asserts that a result is not iterated after `close()`. This server never
/// does that, so the mistake to catch is the app's: a result the app itself closed before the
/// server could iterate it (a file returned from inside a `with` block, a generator closed
/// early).
pub const ITERATED_AFTER_CLOSE: Rule = Rule {
    id: "iterated-after-close",
    about: About::App,
    explanation: "The server calls the result's close() itself once the response is sent, so the \
                  app must hand the result over open; a file closed by a `with` block, or a \
                  generator already finished, has nothing left to give.",
    fix: "Return the result open and let the server call its close() when the response is \
          sent: no `with` block around a file you return.",
    reference: "PEP 3333 §Specification Details",
};

// --- The status ---------------------------------------------------------------------------

pub const STATUS_NOT_STR: Rule = Rule {
    id: "status-not-str",
    about: About::App,
    explanation: "The status becomes the response's status line; PEP 3333 asks for it as a native \
                  string of the form '200 OK', the same kind of string as the header names and \
                  values.",
    fix: "Pass the status as text: `start_response('200 OK', headers)`, not 200.",
    reference: START_RESPONSE,
};

pub const STATUS_BAD_CODE: Rule = Rule {
    id: "status-bad-code",
    about: About::App,
    explanation: "A client reads the three digits of the status line to know what happened, and \
                  the status string becomes that line, so it must be the code, a space and a \
                  reason phrase, as in '404 Not Found'.",
    fix: "Write code, space, reason: '404 Not Found'.",
    reference: START_RESPONSE,
};

pub const STATUS_NO_REASON: Rule = Rule {
    id: "status-no-reason",
    about: About::App,
    explanation: "PEP 3333 asks for the status as a code and a reason phrase separated by one \
                  space; HTTP lets the reason be empty, but it is what a person reading the wire \
                  (or a log) sees.",
    fix: "Add the reason phrase: '200 OK', not '200'.",
    reference: START_RESPONSE,
};

pub const STATUS_CODE_BELOW_100: Rule = Rule {
    id: "status-code-below-100",
    about: About::App,
    explanation: "HTTP status codes run from 100 to 599; a code below 100 means nothing to a \
                  client.",
    fix: "Use a real status code, e.g. '200 OK' or '404 Not Found'.",
    reference: "RFC 9110 §15",
};

pub const STATUS_CODE_ABOVE_599: Rule = Rule {
    id: "status-code-above-599",
    about: About::App,
    explanation: "HTTP status codes run from 100 to 599; libraries use 600 and above for their \
                  own errors, and a client treats such a code as a 5xx server error.",
    fix: "Use a real status code, e.g. '500 Internal Server Error' or '503 Service \
          Unavailable'.",
    reference: "RFC 9110 §15",
};

/// PEP 3333 §HTTP 1.1 Expect/Continue makes `100 Continue` the server's job, and 101 switches
/// the connection to another protocol, which needs the hop-by-hop `Upgrade` header an app may
/// not set (§Other HTTP Features): a WSGI app has no way to send an interim response.
pub const STATUS_INFORMATIONAL: Rule = Rule {
    id: "status-informational",
    about: About::App,
    explanation: "A 1xx status is an interim response, sent before the final one; the app's \
                  status is the final one, so a client that got a 1xx from it would wait for a \
                  final response that never comes. In WSGI, only the server sends 1xx.",
    fix: "Answer with a final status, 200 or above; leave '100 Continue' to the server, which \
          sends it when a client asks with `Expect: 100-continue`.",
    reference: "RFC 9110 §15.2",
};

pub const STATUS_CONTROL_CHAR: Rule = Rule {
    id: "status-control-char",
    about: About::App,
    explanation: "The status contains a control character; a CR or LF would end the status line \
                  and let the rest pose as a header.",
    fix: "Remove the control characters (often a stray '\\n' from a file or a format string).",
    reference: "RFC 9112 §4",
};

pub const STATUS_NOT_LATIN1: Rule = Rule {
    id: "status-not-latin1",
    about: About::App,
    explanation: "The status goes on the wire as bytes, and PEP 3333 makes those bytes from the \
                  string as latin-1; a character outside latin-1 has no byte to become.",
    fix: "Use an ASCII reason phrase.",
    reference: UNICODE,
};

// --- The headers --------------------------------------------------------------------------

pub const HEADERS_NOT_LIST: Rule = Rule {
    id: "headers-not-list",
    about: About::App,
    explanation: "PEP 3333 asks for a real Python list of (name, value) tuples so that the server \
                  and any middleware may add, remove or change headers in place; a tuple or a dict \
                  cannot be changed that way, and wsgiref refuses them.",
    fix: "Pass a list: `[('Content-Type', 'text/plain')]` (a dict or a tuple is not one).",
    reference: START_RESPONSE,
};

pub const HEADER_NOT_TUPLE: Rule = Rule {
    id: "header-not-tuple",
    about: About::App,
    explanation: "Each header becomes one `Name: value` line of the head; a (name, value) tuple is \
                  the one shape every server and middleware reads the same way.",
    fix: "Write each header as a 2-tuple: `('Content-Type', 'text/plain')`.",
    reference: START_RESPONSE,
};

pub const HEADER_NOT_STR: Rule = Rule {
    id: "header-not-str",
    about: About::App,
    explanation: "Header lines go on the wire as bytes that the server makes from native strings \
                  as latin-1; a number or a bytes object is not such a string, and PEP 3333 leaves \
                  the conversion to the app.",
    fix: "Convert the value to text: `('Content-Length', str(len(body)))`.",
    reference: UNICODE,
};

pub const HEADER_NAME_NOT_TOKEN: Rule = Rule {
    id: "header-name-not-token",
    about: About::App,
    explanation: "A header name ends at its colon, so it must be a token (letters, digits and \
                  !#$%&'*+-.^_`|~): a space or a colon inside it would change where the name ends, \
                  and a client or a proxy may refuse or misread such a line.",
    fix: "Use a name such as 'X-Request-Id'.",
    reference: "RFC 9110 §5.1",
};

pub const HEADER_VALUE_CONTROL: Rule = Rule {
    id: "header-value-control",
    about: About::App,
    explanation: "A header value contains CR, LF or another control character; CR LF would end \
                  the header and let the rest pose as a new one (header injection).",
    fix: "Remove line breaks and control characters from values (strip user input).",
    reference: "RFC 9110 §5.5",
};

pub const HEADER_VALUE_NOT_LATIN1: Rule = Rule {
    id: "header-value-not-latin1",
    about: About::App,
    explanation: "Header values go on the wire as bytes that the server makes from the string as \
                  latin-1, as PEP 3333 asks; a character outside latin-1 has no byte to become.",
    fix: "Use ASCII, or encode the value (RFC 8187 for file names, percent-encoding for URLs).",
    reference: UNICODE,
};

pub const HOP_BY_HOP_HEADER: Rule = Rule {
    id: "hop-by-hop-header",
    about: About::App,
    explanation: "Hop-by-hop headers (Connection, Transfer-Encoding, Keep-Alive…) describe one \
                  connection, which is the server's business; the server dropped it.",
    fix: "Leave these headers out; the server frames the connection itself.",
    reference: "PEP 3333 §Other HTTP Features",
};

pub const STATUS_HEADER: Rule = Rule {
    id: "status-header",
    about: About::App,
    explanation: "A 'Status' header is CGI's way to set the status; in WSGI it is just a header \
                  and changes nothing.",
    fix: "Pass the status as the first argument of start_response and drop the header.",
    reference: START_RESPONSE,
};

pub const CONTENT_TYPE_MISSING: Rule = Rule {
    id: "content-type-missing",
    about: About::App,
    explanation: "A response with content should say what it is in Content-Type; without it the \
                  client has to guess.",
    fix: "Add a header such as `('Content-Type', 'text/plain; charset=utf-8')`.",
    reference: "RFC 9110 §8.3",
};

pub const CONTENT_TYPE_WITHOUT_CONTENT: Rule = Rule {
    id: "content-type-without-content",
    about: About::App,
    explanation: "A 204 or 304 response has no content, so a Content-Type describes nothing.",
    fix: "Leave Content-Type out of 204 and 304 responses.",
    reference: "RFC 9110 §15.3.5",
};

/// RFC 9110 §15.4.5: a 304 should not carry representation metadata other than the fields
/// it lists (Content-Location, Date, ETag, Vary, Cache-Control, Expires; Last-Modified may
/// help caches). Checked: [`NOT_MODIFIED_FORBIDDEN`]; Content-Type has its own rule, and a
/// Content-Length may be right (it may equal the 200's), so it is not flagged.
pub const NOT_MODIFIED_ENTITY_HEADERS: Rule = Rule {
    id: "not-modified-entity-headers",
    about: About::App,
    explanation: "A 304 tells the client to use its cached copy; headers describing a body (its \
                  encoding, language, range) do not belong on it.",
    fix: "Send only ETag, Date, Vary, Cache-Control, Expires and Content-Location on a 304.",
    reference: "RFC 9110 §15.4.5",
};

/// The headers [`NOT_MODIFIED_ENTITY_HEADERS`] flags on a 304.
pub const NOT_MODIFIED_FORBIDDEN: [&str; 3] =
    ["Content-Encoding", "Content-Language", "Content-Range"];

// --- The body against the head ------------------------------------------------------------

pub const CONTENT_LENGTH_MISMATCH: Rule = Rule {
    id: "content-length-mismatch",
    about: About::App,
    explanation: "The Content-Length header must equal the number of body bytes; otherwise the \
                  client waits for bytes that never come, or reads the extra as the next \
                  response.",
    fix: "Compute it from the bytes you send: `str(len(body))` of the encoded body, or leave it \
          out.",
    reference: "RFC 9110 §8.6",
};

pub const CONTENT_LENGTH_INVALID: Rule = Rule {
    id: "content-length-invalid",
    about: About::App,
    explanation: "The Content-Length header must be digits only, the number of body bytes; the \
                  client reads exactly that many bytes as the body, so a value it cannot read \
                  as a number ('13 bytes', '+13', '-1') leaves it no way to find the body's end.",
    fix: "Send `str(len(body))`, digits only.",
    reference: "RFC 9110 §8.6",
};

pub const CONTENT_LENGTH_REPEATED: Rule = Rule {
    id: "content-length-repeated",
    about: About::App,
    explanation: "The app set Content-Length more than once; two different values leave the \
                  client no way to know where the body ends (the confusion behind response \
                  splitting), and the same value twice is sent once.",
    fix: "Set Content-Length once, after the body is final (a middleware that changes the body \
          must replace the header, not add one).",
    reference: "RFC 9112 §6.3",
};

pub const CONTENT_LENGTH_NOT_ALLOWED: Rule = Rule {
    id: "content-length-not-allowed",
    about: About::App,
    explanation: "A server must not send Content-Length in a 1xx or 204 response, which never \
                  has content; the server dropped it.",
    fix: "Leave Content-Length out of 204 responses.",
    reference: "RFC 9110 §8.6",
};

pub const BODY_NOT_ALLOWED: Rule = Rule {
    id: "body-not-allowed",
    about: About::App,
    explanation: "1xx, 204 and 304 responses never have a body; the server dropped the bytes.",
    fix: "Return an empty list (`return []`) for these statuses.",
    reference: "RFC 9110 §6.4.1",
};

pub const BODY_ON_HEAD: Rule = Rule {
    id: "body-on-head",
    about: About::Note,
    explanation: "A response to HEAD has no body; the server dropped the bytes the app produced, \
                  as HTTP asks (many apps leave this to the server, which is allowed).",
    fix: "Nothing is required; an app may skip building the body when REQUEST_METHOD is HEAD.",
    reference: "RFC 9110 §9.3.2",
};

// --- Reading the input --------------------------------------------------------------------

pub const INPUT_READ_UNBOUNDED: Rule = Rule {
    id: "input-read-unbounded",
    about: About::App,
    explanation: "wsgi.input was read with no size while the request gave no CONTENT_LENGTH; on \
                  a server that streams the body from the socket this waits forever.",
    fix: "Read `int(environ.get('CONTENT_LENGTH') or 0)` bytes, or read to the end only when \
          environ.get('wsgi.input_terminated') is true.",
    reference: "PEP 3333 §Input and Error Streams",
};

// --- The request, as notes ----------------------------------------------------------------

pub const MISSING_HOST: Rule = Rule {
    id: "missing-host",
    about: About::Note,
    explanation: "An HTTP/1.1 request must carry a Host header; this one was served anyway, as \
                  the tutorial's transcript expects.",
    fix: "Clients: send `Host: name` after the request line.",
    reference: "RFC 9112 §3.2",
};

pub const UNDERSCORE_HEADER_DROPPED: Rule = Rule {
    id: "underscore-header-dropped",
    about: About::Note,
    explanation: "A header with '_' in its name was dropped: in the environ it would share its \
                  HTTP_* key with the '-' spelling, which a client could use to spoof a header \
                  set by a proxy.",
    fix: "Clients: spell header names with '-', never '_'.",
    reference: "PEP 3333 §environ Variables",
};

pub const TRAILERS_DISCARDED: Rule = Rule {
    id: "trailers-discarded",
    about: About::Note,
    explanation: "Trailer fields after a chunked body were read and discarded: WSGI has no place \
                  for them.",
    fix: "Send such fields in the head instead.",
    reference: "PEP 3333 §Other HTTP Features",
};

pub const OBSOLETE_LINE_FOLDING: Rule = Rule {
    id: "obsolete-line-folding",
    about: About::Note,
    explanation: "A header line started with white space, continuing the previous value on a \
                  new line (obsolete line folding); servers must refuse or unfold it, and this \
                  one refuses it with 400.",
    fix: "Clients: put each header on one line.",
    reference: "RFC 9112 §5.2",
};

/// Every rule, in the order of the sections above.
pub const RULES: [&Rule; 42] = [
    &RESULT_NONE,
    &RESULT_STR,
    &RESULT_BYTES,
    &RESULT_NOT_ITERABLE,
    &CHUNK_NOT_BYTES,
    &START_RESPONSE_NOT_CALLED,
    &BODY_BEFORE_START_RESPONSE,
    &START_RESPONSE_TWICE,
    &EXC_INFO_NOT_TUPLE,
    &WRITE_BEFORE_START_RESPONSE,
    &WRITE_NOT_BYTES,
    &ITERATED_AFTER_CLOSE,
    &STATUS_NOT_STR,
    &STATUS_BAD_CODE,
    &STATUS_NO_REASON,
    &STATUS_CODE_BELOW_100,
    &STATUS_CODE_ABOVE_599,
    &STATUS_INFORMATIONAL,
    &STATUS_CONTROL_CHAR,
    &STATUS_NOT_LATIN1,
    &HEADERS_NOT_LIST,
    &HEADER_NOT_TUPLE,
    &HEADER_NOT_STR,
    &HEADER_NAME_NOT_TOKEN,
    &HEADER_VALUE_CONTROL,
    &HEADER_VALUE_NOT_LATIN1,
    &HOP_BY_HOP_HEADER,
    &STATUS_HEADER,
    &CONTENT_TYPE_MISSING,
    &CONTENT_TYPE_WITHOUT_CONTENT,
    &NOT_MODIFIED_ENTITY_HEADERS,
    &CONTENT_LENGTH_MISMATCH,
    &CONTENT_LENGTH_INVALID,
    &CONTENT_LENGTH_REPEATED,
    &CONTENT_LENGTH_NOT_ALLOWED,
    &BODY_NOT_ALLOWED,
    &BODY_ON_HEAD,
    &INPUT_READ_UNBOUNDED,
    &MISSING_HOST,
    &UNDERSCORE_HEADER_DROPPED,
    &TRAILERS_DISCARDED,
    &OBSOLETE_LINE_FOLDING,
];

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, which is the server's
/// business, so PEP 3333 §Other HTTP Features forbids the app to set them.
pub const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
];

/// Whether `c` may not appear in a status line or a header value: the control characters of
/// HTTP (CTL in RFC 9110 §5.5 and RFC 9112 §4), \x00–\x1f and DEL \x7f, except the tab the
/// grammar allows. A CR or LF among them would end the line early.
///
/// Not Rust's `char::is_control`, which also counts U+0080–U+009F (the C1 controls): in a
/// latin-1 header those are the bytes 0x80–0x9f, "obs-text" that HTTP allows, and wsgiref
/// too (it refuses only \x00–\x1f).
pub fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\x7f'
}

/// How many characters of a repr a finding quotes.
pub const MAX_QUOTED_REPR: usize = 80;

/// `text` cut to [`MAX_QUOTED_REPR`] characters, with "…" when something was cut.
pub fn shorten(text: String) -> String {
    match text.char_indices().nth(MAX_QUOTED_REPR) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// How a finding quotes the app's text: Python's `repr()` of the str, cut to
/// [`MAX_QUOTED_REPR`] characters. The students write Python, so a stray newline reads
/// `'200 OK\n'`, as their own `print(repr(status))` would show it, not Rust's `"200 OK\n"`.
pub fn short_repr(text: &str) -> String {
    shorten(python_repr(text))
}

/// Python's `repr()` of a str, without calling Python (CPython's `unicode_repr`): single quotes
/// unless the text has a `'` and no `"`; `\\`, the quote, `\t`, `\n` and `\r` escaped; other
/// characters Python does not print as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if python_prints(c) => out.push(c),
            c => {
                let code = u32::from(c);
                out.push_str(&match code {
                    0..=0xff => format!("\\x{code:02x}"),
                    0x100..=0xffff => format!("\\u{code:04x}"),
                    _ => format!("\\U{code:08x}"),
                });
            }
        }
    }
    out.push(quote);
    out
}

/// Whether Python's `repr()` shows `c` as itself (`str.isprintable()`): every character but
/// those of the Unicode categories "Other" (Cc, Cf, Cs, Co, Cn) and "Separator" (Zs, Zl, Zp),
/// the ASCII space excepted.
fn python_prints(c: char) -> bool {
    match u32::from(c) {
        0x20..=0x7e | 0xa1..=0xac | 0xae..=0xff => true,
        // C0 controls, DEL, C1 controls, no-break space (Zs), soft hyphen (Cf).
        0..=0xff => false,
        // Rust's `escape_debug` leaves alone exactly the characters outside those categories
        // (its tables are generated by the same rule); after a first character it also leaves
        // combining marks alone, as Python does.
        _ => ['a', c].iter().collect::<String>().escape_debug().count() == 2,
    }
}

/// What the status text allows: a code to send (with the findings that still let it be
/// sent), or the finding that makes a status line impossible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusVerdict {
    /// The status can be sent with this code; the findings are flagged.
    Send { code: u16, findings: Vec<Check> },
    /// No status line can be made from it.
    Impossible(Check),
}

/// Check a status text such as "404 Not Found" (PEP 3333 §The start_response() Callable).
///
/// "200" and "200 " have no reason phrase: they are sent (as `HTTP/1.1 200 `, since the
/// status line needs the space) and flagged. No 3-digit code and space, control characters,
/// non-latin-1 characters, a code outside 100–599 and a 1xx (an interim response, which only
/// the server may send) make a status line impossible.
pub fn check_status(status: &str) -> StatusVerdict {
    let quoted = short_repr(status);
    let bytes = status.as_bytes();
    let three_digits = bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit);
    if !three_digits || (bytes.len() > 3 && bytes[3] != b' ') {
        return StatusVerdict::Impossible(Check::new(
            &STATUS_BAD_CODE,
            format!(
                "the status {quoted} is not a 3-digit code, a space and a reason, like '200 OK'"
            ),
        ));
    }
    if let Some(c) = status.chars().find(|&c| is_control(c)) {
        return StatusVerdict::Impossible(Check::new(
            &STATUS_CONTROL_CHAR,
            format!(
                "the status {quoted} contains the control character {}",
                python_repr(&c.to_string())
            ),
        ));
    }
    if status.chars().any(|c| c as u32 > 0xff) {
        return StatusVerdict::Impossible(Check::new(
            &STATUS_NOT_LATIN1,
            format!("the status {quoted} has characters outside latin-1"),
        ));
    }
    // Checked above: three ASCII digits.
    let code: u16 = status[..3].parse().expect("three ASCII digits");
    let impossible = |rule, message: String| StatusVerdict::Impossible(Check::new(rule, message));
    match code {
        0..=99 => {
            return impossible(
                &STATUS_CODE_BELOW_100,
                format!(
                    "the status code {code} is below 100; HTTP status codes run from 100 to 599"
                ),
            );
        }
        100..=199 => {
            return impossible(
                &STATUS_INFORMATIONAL,
                format!(
                    "the status {quoted} is an interim (1xx) response, which only the server \
                     may send; the client would still wait for the final response"
                ),
            );
        }
        600.. => {
            return impossible(
                &STATUS_CODE_ABOVE_599,
                format!(
                    "the status code {code} is above 599; HTTP status codes run from 100 to 599"
                ),
            );
        }
        _ => {}
    }
    let mut findings = Vec::new();
    if status
        .get(4..)
        .is_none_or(|reason| reason.trim().is_empty())
    {
        findings.push(Check::new(
            &STATUS_NO_REASON,
            format!("the status {quoted} has no reason phrase; write e.g. '{code} OK'"),
        ));
    }
    StatusVerdict::Send { code, findings }
}

/// What one header allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderVerdict {
    /// Fine: send it.
    Send,
    /// Send it, and flag this.
    Flag(Check),
    /// The server drops it, and flags this.
    Drop(Check),
    /// It cannot be sent at all: the response is impossible.
    Impossible(Check),
}

/// The rules for one header: a token name, not hop-by-hop, not `Status`; a latin-1 value
/// without CR, LF or other control characters (a tab is allowed). A Content-Length also
/// goes through [`check_content_length`].
pub fn check_header(name: &str, value: &str) -> HeaderVerdict {
    if !is_token(name.as_bytes()) {
        return HeaderVerdict::Impossible(Check::new(
            &HEADER_NAME_NOT_TOKEN,
            format!(
                "the header name {} is not a token (letters, digits and !#$%&'*+-.^_`|~ only)",
                short_repr(name)
            ),
        ));
    }
    if let Some(c) = value.chars().find(|&c| is_control(c)) {
        return HeaderVerdict::Impossible(Check::new(
            &HEADER_VALUE_CONTROL,
            format!(
                "the value of header {name} contains the control character {}: {}",
                python_repr(&c.to_string()),
                short_repr(value)
            ),
        ));
    }
    if value.chars().any(|c| c as u32 > 0xff) {
        return HeaderVerdict::Impossible(Check::new(
            &HEADER_VALUE_NOT_LATIN1,
            format!(
                "the value of header {name} has characters outside latin-1: {}",
                short_repr(value)
            ),
        ));
    }
    let lower = name.to_ascii_lowercase();
    if HOP_BY_HOP.contains(&lower.as_str()) {
        return HeaderVerdict::Drop(Check::new(
            &HOP_BY_HOP_HEADER,
            format!(
                "{name}: {value} is a hop-by-hop header, which only the server may set; it was \
                 not sent"
            ),
        ));
    }
    if lower == "status" {
        return HeaderVerdict::Flag(Check::new(
            &STATUS_HEADER,
            format!(
                "the header 'Status: {value}' does not set the status in WSGI; the status is \
                 start_response's first argument"
            ),
        ));
    }
    HeaderVerdict::Send
}

/// The number of bytes a Content-Length value announces: `1*DIGIT` (RFC 9110 §8.6), so no
/// sign, no space, nothing after the digits. None when the value is not one, or is too large
/// to count bytes with.
///
/// The one parser of the app's Content-Length: the checks and the response that frames the
/// body by it must agree on what a value means (Rust's `"+5".parse::<u64>()` says 5).
pub fn parse_content_length(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// The rules for a Content-Length header from the app, the field that frames the body: the
/// client reads exactly that many bytes, then takes the response as complete. `code` is the
/// status; `earlier` is what an earlier Content-Length of the same head announced, if one was
/// kept.
///
/// On a 1xx or 204 it is dropped (RFC 9110 §8.6: a server must not send it there). Elsewhere
/// a value that is not digits only, or a second value that disagrees with the first, makes
/// the response impossible; the same value again is dropped, so it is sent once.
pub fn check_content_length(code: u16, value: &str, earlier: Option<u64>) -> HeaderVerdict {
    if code < 200 || code == 204 {
        return HeaderVerdict::Drop(Check::new(
            &CONTENT_LENGTH_NOT_ALLOWED,
            format!(
                "Content-Length: {value} on a {code} response, which has no content; it was not \
                 sent"
            ),
        ));
    }
    let Some(length) = parse_content_length(value) else {
        return HeaderVerdict::Impossible(Check::new(
            &CONTENT_LENGTH_INVALID,
            format!(
                "the Content-Length {} is not a number of bytes (digits only)",
                short_repr(value)
            ),
        ));
    };
    match earlier {
        None => HeaderVerdict::Send,
        Some(first) if first == length => HeaderVerdict::Drop(Check::new(
            &CONTENT_LENGTH_REPEATED,
            format!("Content-Length: {value} was set twice; it was sent once"),
        )),
        Some(first) => HeaderVerdict::Impossible(Check::new(
            &CONTENT_LENGTH_REPEATED,
            format!(
                "Content-Length was set to {first} and again to {value}; the client cannot know \
                 which one ends the body"
            ),
        )),
    }
}

/// The checks of a whole head just before it goes out: Content-Type against the status and a
/// 304's headers. (The Content-Length was checked as start_response took it.)
pub fn check_head(code: u16, headers: &[(String, String)]) -> Vec<Check> {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut findings = Vec::new();
    let no_content = code == 204 || code == 304;
    if no_content && has("Content-Type") {
        findings.push(
            Check::new(
                &CONTENT_TYPE_WITHOUT_CONTENT,
                format!("the {code} response has a Content-Type, but a {code} has no content"),
            )
            .at(Spot::SentHeader {
                name: "Content-Type".into(),
            }),
        );
    } else if code >= 200 && !no_content && !has("Content-Type") {
        findings.push(Check::new(
            &CONTENT_TYPE_MISSING,
            format!("the {code} response has no Content-Type header"),
        ));
    }
    if code == 304 {
        for name in NOT_MODIFIED_FORBIDDEN {
            if has(name) {
                findings.push(
                    Check::new(
                        &NOT_MODIFIED_ENTITY_HEADERS,
                        format!("the 304 response carries {name}, which describes a body"),
                    )
                    .at(Spot::SentHeader { name: name.into() }),
                );
            }
        }
    }
    findings
}

/// The access log's marker: "" when clean, " [1 finding]", " [3 findings]".
pub fn marker(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " [1 finding]".into(),
        n => format!(" [{n} findings]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(checks: &[Check]) -> Vec<&'static str> {
        checks.iter().map(|c| c.rule).collect()
    }

    fn impossible(status: &str) -> &'static str {
        match check_status(status) {
            StatusVerdict::Impossible(check) => check.rule,
            other => panic!("{status:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn rule_ids_are_unique_and_every_rule_is_explained() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                RULES[..i].iter().all(|r| r.id != rule.id),
                "{} twice",
                rule.id
            );
            assert!(rule.explanation.ends_with('.'), "{}", rule.id);
            assert!(rule.fix.ends_with('.'), "{}", rule.id);
            assert!(
                rule.reference.starts_with("PEP 3333 §") || rule.reference.starts_with("RFC "),
                "{}",
                rule.id
            );
            assert_eq!(super::rule(rule.id), Some(*rule));
        }
    }

    #[test]
    fn a_good_status_has_no_findings() {
        assert_eq!(
            check_status("404 Not Found"),
            StatusVerdict::Send {
                code: 404,
                findings: vec![]
            }
        );
    }

    #[test]
    fn a_status_without_reason_is_sent_and_flagged() {
        for status in ["200", "200 ", "204  "] {
            let StatusVerdict::Send { findings, .. } = check_status(status) else {
                panic!("{status:?} refused");
            };
            assert_eq!(ids(&findings), ["status-no-reason"], "{status:?}");
        }
    }

    #[test]
    fn impossible_statuses_name_their_rule() {
        assert_eq!(impossible("OK"), "status-bad-code");
        assert_eq!(impossible("200OK"), "status-bad-code");
        assert_eq!(impossible("20 OK"), "status-bad-code");
        assert_eq!(impossible("099 Low"), "status-code-below-100");
        assert_eq!(impossible("600 Library Error"), "status-code-above-599");
        assert_eq!(impossible("999 Custom"), "status-code-above-599");
        assert_eq!(impossible("100 Continue"), "status-informational");
        assert_eq!(
            impossible("101 Switching Protocols"),
            "status-informational"
        );
        assert_eq!(impossible("199 Odd"), "status-informational");
        assert_eq!(impossible("200 OK\r\nX: y"), "status-control-char");
        assert_eq!(impossible("200 OK\x7f"), "status-control-char");
        assert_eq!(impossible("200 OK ☃"), "status-not-latin1");
    }

    /// HTTP's control characters are \x00–\x1f (but the tab) and DEL; the latin-1 bytes
    /// 0x80–0xff, C1 controls included, are obs-text, which a reason phrase may hold.
    #[test]
    fn c1_characters_are_not_control_characters_but_del_is() {
        for status in [
            "200 OK\u{85}",
            "200 Caf\u{e9}",
            "200 \u{a0}OK",
            "200 O\tK",
            "599 Last",
        ] {
            assert!(
                matches!(check_status(status), StatusVerdict::Send { .. }),
                "{status:?}"
            );
        }
        assert!(is_control('\x00') && is_control('\n') && is_control('\x1f'));
        assert!(is_control('\x7f'));
        assert!(!is_control('\t') && !is_control(' ') && !is_control('\u{80}'));
    }

    /// Findings quote the app's text as Python's repr() shows it, not as Rust's Debug does.
    #[test]
    fn findings_quote_text_as_python_does() {
        let StatusVerdict::Impossible(check) = check_status("200 OK\r\n") else {
            panic!("accepted");
        };
        assert_eq!(
            check.message,
            "the status '200 OK\\r\\n' contains the control character '\\r'"
        );
        let HeaderVerdict::Impossible(check) = check_header("X-A", "a\x00\u{85}") else {
            panic!("accepted");
        };
        assert_eq!(
            check.message,
            "the value of header X-A contains the control character '\\x00': 'a\\x00\\x85'"
        );
        let long = "x".repeat(200);
        assert_eq!(
            short_repr(&long),
            format!("'{}…", "x".repeat(MAX_QUOTED_REPR - 1))
        );
    }

    /// [`python_repr`] gives exactly what Python's `repr()` gives.
    #[test]
    fn python_repr_is_exactly_pythons() {
        use pyo3::prelude::*;
        let texts = [
            "",
            "200 OK",
            "it's",
            "say \"hi\"",
            "both ' and \"",
            "back\\slash",
            "tab\t cr\r lf\n nul\x00 esc\x1b del\x7f",
            "c1 \u{80}\u{85}\u{9f} nbsp\u{a0} shy\u{ad} caf\u{e9} \u{ff}",
            "snow \u{2603} zwsp\u{200b} ls\u{2028} bom\u{feff} emoji \u{1f600}",
            "combining e\u{301} and \u{301} alone, private \u{e000}",
            "\u{301}first",
        ];
        Python::attach(|py| {
            for text in texts {
                let python = pyo3::types::PyString::new(py, text)
                    .repr()
                    .unwrap()
                    .to_string();
                assert_eq!(python_repr(text), python, "{text:?}");
            }
        });
    }

    /// One parser for the app's Content-Length: digits only, as RFC 9110 §8.6 writes it.
    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(parse_content_length("5"), Some(5));
        assert_eq!(parse_content_length("0"), Some(0));
        assert_eq!(parse_content_length("007"), Some(7));
        for bad in [
            "",
            "+5",
            "-1",
            " 5",
            "5 ",
            "abc",
            "12 bytes",
            "5, 5",
            "5.0",
            "0x10",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_content_length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn content_length_verdicts() {
        let rule = |v: HeaderVerdict| match v {
            HeaderVerdict::Flag(c) => ("flag", c.rule),
            HeaderVerdict::Drop(c) => ("drop", c.rule),
            HeaderVerdict::Impossible(c) => ("impossible", c.rule),
            HeaderVerdict::Send => ("send", ""),
        };
        assert_eq!(rule(check_content_length(200, "5", None)), ("send", ""));
        assert_eq!(rule(check_content_length(304, "5", None)), ("send", ""));
        assert_eq!(
            rule(check_content_length(200, "+5", None)),
            ("impossible", "content-length-invalid")
        );
        assert_eq!(
            rule(check_content_length(200, "abc", None)),
            ("impossible", "content-length-invalid")
        );
        assert_eq!(
            rule(check_content_length(200, "5", Some(5))),
            ("drop", "content-length-repeated")
        );
        assert_eq!(
            rule(check_content_length(200, "10", Some(5))),
            ("impossible", "content-length-repeated")
        );
        assert_eq!(
            rule(check_content_length(204, "5", None)),
            ("drop", "content-length-not-allowed")
        );
        assert_eq!(
            rule(check_content_length(204, "abc", None)),
            ("drop", "content-length-not-allowed")
        );
    }

    #[test]
    fn header_verdicts() {
        assert_eq!(
            check_header("Content-Type", "text/plain"),
            HeaderVerdict::Send
        );
        assert_eq!(check_header("X-A", "café"), HeaderVerdict::Send);
        // Latin-1 bytes 0x80–0x9f are obs-text, not control characters.
        assert_eq!(check_header("X-A", "a\u{85}\u{9f}"), HeaderVerdict::Send);
        assert_eq!(check_header("X-A", "a\tb"), HeaderVerdict::Send);
        let rule = |v: HeaderVerdict| match v {
            HeaderVerdict::Flag(c) => ("flag", c.rule),
            HeaderVerdict::Drop(c) => ("drop", c.rule),
            HeaderVerdict::Impossible(c) => ("impossible", c.rule),
            HeaderVerdict::Send => ("send", ""),
        };
        assert_eq!(
            rule(check_header("Bad Name", "x")),
            ("impossible", "header-name-not-token")
        );
        assert_eq!(
            rule(check_header("X-A", "a\r\nSet-Cookie: x")),
            ("impossible", "header-value-control")
        );
        assert_eq!(
            rule(check_header("X-A", "del\x7f")),
            ("impossible", "header-value-control")
        );
        assert_eq!(
            rule(check_header("X-A", "snow ☃")),
            ("impossible", "header-value-not-latin1")
        );
        assert_eq!(
            rule(check_header("Connection", "close")),
            ("drop", "hop-by-hop-header")
        );
        assert_eq!(
            rule(check_header("Status", "404 Not Found")),
            ("flag", "status-header")
        );
    }

    #[test]
    fn head_rules_for_content_type_and_304() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_head(200, &h(&[("content-type", "text/plain")])).is_empty());
        assert_eq!(ids(&check_head(200, &[])), ["content-type-missing"]);
        assert!(check_head(204, &[]).is_empty());
        assert_eq!(
            ids(&check_head(204, &h(&[("Content-Type", "text/plain")]))),
            ["content-type-without-content"]
        );
        assert_eq!(
            ids(&check_head(
                304,
                &h(&[
                    ("ETag", "\"1\""),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", "12")
                ])
            )),
            ["not-modified-entity-headers"]
        );
    }

    #[test]
    fn the_access_log_marker_counts() {
        assert_eq!(marker(0), "");
        assert_eq!(marker(1), " [1 finding]");
        assert_eq!(marker(2), " [2 findings]");
    }

    #[test]
    fn json_carries_rule_reference_and_fix() {
        let check =
            Check::new(&RESULT_BYTES, "the app returned b'hi'").at(Spot::Status { call: 0 });
        let json = check.to_json();
        assert_eq!(json["rule"], "result-bytes");
        assert_eq!(json["reference"], "PEP 3333 §Specification Details");
        assert_eq!(json["pep3333"], json["reference"]);
        assert_eq!(json["fix"], RESULT_BYTES.fix);
        assert_eq!(json["about"], "app");
        assert_eq!(json["at"]["status"]["call"], 0);
    }
}
