//! The exchange record: everything one request/response did, in plain Rust data.
//!
//! Every phase of [`crate::server::WSGIServer::handle_one_request`] writes into one
//! [`Exchange`]. The access log, the `--trace` dump, the JSON lines, the inspector and the tests
//! all read this same record, so what one of them shows the others can show too. It holds no
//! Python objects: the environ is kept as `(key, repr(value))` pairs, made while the interpreter
//! was at hand, so a consumer on another thread never needs Python.
//!
//! Besides the finished record, the server sends small [`Event`]s while an exchange is under way
//! (accepted, bytes arrived, request line known, phase started) for a live consumer such as the
//! inspector; the headless consumers only look at [`Event::Finished`].

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Local};
use serde_json::Value;

use crate::request::Spans;

/// How many bytes of the request and of the response the record keeps. The counts stay exact;
/// only the stored copy is cut, so a large upload cannot make the record large.
pub const MAX_STORED_BYTES: usize = 64 * 1024;

/// How many lines of app output (`print()`, `sys.stderr`, `wsgi.errors`) one exchange keeps,
/// and how many bytes of their text ([`MAX_STORED_BYTES`], as for the request): an app that
/// prints in a loop must not make the record, the JSON line or the server large (50 MB printed
/// in one request once took the server from 25 to 264 MB). What is not kept is counted in an
/// [`OutputCut`]. The same bounds hold for output written between exchanges.
pub const MAX_OUTPUT_LINES: usize = 1_000;
/// See [`MAX_OUTPUT_LINES`].
pub const MAX_OUTPUT_BYTES: usize = MAX_STORED_BYTES;

/// How many `write()` sizes one exchange keeps (the first ones); `write_calls` counts them all.
pub const MAX_WRITES: usize = 1_000;

/// How much of `repr(result)` an [`Event::AppReturned`] carries: enough to see
/// `[b'hello world!']` or `<generator object ...>`, not a whole page.
pub const MAX_RESULT_REPR: usize = 200;

/// The four phases of the tutorial's `handle_one_request`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    ParseRequest,
    GetEnviron,
    Application,
    FinishResponse,
}

impl Phase {
    /// Every phase, in the order the server runs them.
    pub const ALL: [Phase; 4] = [
        Phase::ParseRequest,
        Phase::GetEnviron,
        Phase::Application,
        Phase::FinishResponse,
    ];

    /// The method name in `src/server.rs` (and in the tutorial).
    pub fn name(self) -> &'static str {
        match self {
            Phase::ParseRequest => "parse_request",
            Phase::GetEnviron => "get_environ",
            Phase::Application => "application",
            Phase::FinishResponse => "finish_response",
        }
    }
}

/// A byte buffer that keeps at most [`MAX_STORED_BYTES`] but counts everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CappedBytes {
    /// The first bytes, at most [`MAX_STORED_BYTES`] of them.
    pub stored: Vec<u8>,
    /// How many bytes there were in all.
    pub total: u64,
}

impl CappedBytes {
    /// Append `data`, storing what still fits.
    pub fn push(&mut self, data: &[u8]) {
        let room = MAX_STORED_BYTES.saturating_sub(self.stored.len());
        self.stored.extend_from_slice(&data[..room.min(data.len())]);
        self.total += data.len() as u64;
    }

    /// Take back the last `n` bytes pushed: they turned out to belong to the next request
    /// (pipelined behind this one in the same read).
    pub fn drop_last(&mut self, n: u64) {
        self.total = self.total.saturating_sub(n);
        self.stored
            .truncate(self.total.min(self.stored.len() as u64) as usize);
    }

    /// How many bytes were counted but not stored.
    pub fn cut(&self) -> u64 {
        self.total - self.stored.len() as u64
    }
}

/// One call of `start_response(status, headers, exc_info)`, as the app made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartResponseCall {
    /// `repr()` of the status argument, or the status text when it was a valid str.
    pub status: String,
    /// The header pairs; when the argument was not a list of pairs, one pair holding its repr.
    pub headers: Vec<(String, String)>,
    /// `repr()` of exc_info when it was given and not None.
    pub exc_info: Option<String>,
    /// The exception it raised, when a rule was broken (the app saw it).
    pub error: Option<String>,
}

/// A line the app or the server wrote somewhere while serving the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    /// "stdout", "stderr", "wsgi.errors" or "server".
    pub stream: &'static str,
    pub text: String,
}

/// Where a copy of each complete line of app output goes as soon as it is written (the
/// inspector's log view). A plain Rust callback: whoever receives the lines never touches
/// Python.
pub type LiveOutput = Box<dyn FnMut(&OutputLine) + Send>;

/// The app output that was written but not kept (beyond [`MAX_OUTPUT_LINES`] lines or
/// [`MAX_OUTPUT_BYTES`] bytes): counted exactly, so the record says how much is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputCut {
    /// Lines not kept at all.
    pub lines: u64,
    /// Bytes of text not kept (line ends not counted), from those lines and from kept lines
    /// cut short.
    pub bytes: u64,
}

impl OutputCut {
    /// Whether anything was left out.
    pub fn is_empty(&self) -> bool {
        self.lines == 0 && self.bytes == 0
    }
}

impl std::fmt::Display for OutputCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "… {} more lines and {} more bytes of output not kept (a record keeps \
             {MAX_OUTPUT_LINES} lines, {MAX_OUTPUT_BYTES} bytes)",
            self.lines, self.bytes
        )
    }
}

/// A finding about the request or the app's behaviour; see [`crate::checks`] for the rules.
pub use crate::checks::Check;

/// How the end of the body is told to the client (RFC 9112 §6.3), decided when the head goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a HEAD request, or a 1xx, 204 or 304 status.
    NoBody,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked` (HTTP/1.1 only).
    Chunked,
    /// The server closes the connection after the body (an HTTP/1.0 client).
    Close,
}

impl Framing {
    /// The name the record and the views use.
    pub fn name(self) -> &'static str {
        match self {
            Framing::NoBody => "no body",
            Framing::Length(_) => "content-length",
            Framing::Chunked => "chunked",
            Framing::Close => "close",
        }
    }

    /// One line for a student: how the client knows where this body ends.
    pub fn explain(self) -> String {
        match self {
            Framing::NoBody => "no body: HEAD, 1xx, 204 and 304 responses never have one".into(),
            Framing::Length(n) => format!("Content-Length: {n} says where the body ends"),
            Framing::Chunked => "Transfer-Encoding: chunked: each chunk has its size in hex \
                                 before it, and the chunk of size 0 ends the body"
                .into(),
            Framing::Close => "no length: the body ends when the server closes the connection \
                               (an HTTP/1.0 client does not know chunked)"
                .into(),
        }
    }
}

/// Where an exchange happened: on which connection, as which request, and whether that
/// connection stayed open for another one (`--keep-alive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnConnection {
    /// Connections count from 1 in the order they were accepted.
    pub id: u64,
    /// Requests count from 1 on each connection.
    pub request: u32,
    /// The connection stayed open after this exchange, for the next request.
    pub kept_open: bool,
}

impl Default for OnConnection {
    fn default() -> Self {
        OnConnection {
            id: 0,
            request: 1,
            kept_open: false,
        }
    }
}

/// The time each phase took, and how long the request took to arrive.
///
/// The four phases are the server's own time. `receiving` is the client's: from the request's
/// first byte to its last (or to the moment the server gave up on it), so a student who
/// typed into telnet for 17 seconds sees 17 s there and the server's few hundred µs in the
/// phases. The parser runs each time bytes arrive, so `parse_request` lies inside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    pub parse_request: Duration,
    pub get_environ: Duration,
    pub application: Duration,
    pub finish_response: Duration,
    /// From the first byte of the request to its last. While step mode holds a request its
    /// clock starts again when the class lets it begin: the server made it wait, not the
    /// client.
    pub receiving: Duration,
}

impl Timings {
    /// The duration of one phase.
    pub fn of(&self, phase: Phase) -> Duration {
        match phase {
            Phase::ParseRequest => self.parse_request,
            Phase::GetEnviron => self.get_environ,
            Phase::Application => self.application,
            Phase::FinishResponse => self.finish_response,
        }
    }

    /// Whether the request reached `phase`: a phase that never ran keeps its time at exactly
    /// zero (one that ran took at least the nanoseconds of reading the clock). A refused
    /// request reaches only `parse_request`; an app that raised never reaches
    /// `finish_response`.
    pub fn reached(&self, phase: Phase) -> bool {
        !self.of(phase).is_zero()
    }

    /// All phases together: the server's time, without [`Timings::receiving`].
    pub fn total(&self) -> Duration {
        self.parse_request + self.get_environ + self.application + self.finish_response
    }
}

/// The record of one connection: one request and its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Counts from 1 in the order connections were accepted.
    pub id: u64,
    /// The client's address.
    pub client: SocketAddr,
    /// Which connection carried it, and its place there: see [`OnConnection`].
    pub connection: OnConnection,
    /// When the request's first byte arrived (a connection that sends nothing makes no
    /// record).
    pub started: DateTime<Local>,
    /// The request bytes exactly as received (head and body).
    pub request_raw: CappedBytes,
    /// Method, target and version, once the request line was parsed.
    pub method: Option<String>,
    pub target: Option<String>,
    pub version: Option<String>,
    /// Where the parser found each part of the request in `request_raw`, once the head was
    /// parsed (the body's span once the whole request was there).
    pub spans: Option<Spans>,
    /// The environ as the app received it: key and `repr()` of the value, in insertion order.
    pub environ: Vec<(String, String)>,
    /// Every start_response call, in order.
    pub start_response: Vec<StartResponseCall>,
    /// The length of each chunk the app passed to `write()`: the first [`MAX_WRITES`].
    pub writes: Vec<usize>,
    /// How many times the app called `write()` in all.
    pub write_calls: u64,
    /// The response bytes exactly as sent.
    pub response_raw: CappedBytes,
    /// The status code sent, if a status line went out.
    pub status: Option<u16>,
    /// Body bytes sent (after the header block), without any chunk framing.
    pub body_bytes: u64,
    /// How the client could tell where the body ends, once the head went out.
    pub framing: Option<Framing>,
    /// The time each phase took.
    pub timings: Timings,
    /// What went wrong, in the order it happened: a refused request, an app error, a
    /// client that left, a `close()` that raised after that. Empty for an exchange that went
    /// well. (A finding is not an error: the request was still served; see `checks`.)
    pub errors: Vec<Failure>,
    /// The Python traceback of an app error, when there was one.
    pub traceback: Option<String>,
    /// What the app printed and wrote to wsgi.errors while serving this exchange: at most
    /// [`MAX_OUTPUT_LINES`] lines and [`MAX_OUTPUT_BYTES`] bytes.
    pub output: Vec<OutputLine>,
    /// The output beyond those bounds, counted.
    pub output_cut: OutputCut,
    /// Findings about the request and the app's behaviour.
    pub checks: Vec<Check>,
}

impl Exchange {
    /// A fresh record for a connection just accepted.
    pub fn new(id: u64, client: SocketAddr) -> Self {
        Exchange {
            id,
            client,
            connection: OnConnection::default(),
            started: Local::now(),
            request_raw: CappedBytes::default(),
            method: None,
            target: None,
            version: None,
            spans: None,
            environ: Vec::new(),
            start_response: Vec::new(),
            writes: Vec::new(),
            write_calls: 0,
            response_raw: CappedBytes::default(),
            status: None,
            body_bytes: 0,
            framing: None,
            timings: Timings::default(),
            errors: Vec::new(),
            traceback: None,
            output: Vec::new(),
            output_cut: OutputCut::default(),
            checks: Vec::new(),
        }
    }

    /// Record the sizes of the app's `write()` calls: `calls` of them in all, the first
    /// [`MAX_WRITES`] sizes kept (the response counted them that way as they happened).
    pub fn set_writes(&mut self, mut writes: Vec<usize>, calls: u64) {
        writes.truncate(MAX_WRITES);
        self.writes = writes;
        self.write_calls = calls;
    }

    /// The request line as the access log prints it: `GET / HTTP/1.1`, or, for a request
    /// refused before its head was parsed, the first line that is not empty, as it came
    /// (escaped).
    pub fn request_line(&self) -> String {
        match (&self.method, &self.target, &self.version) {
            (Some(m), Some(t), Some(v)) => format!("{m} {t} {v}"),
            _ => {
                // No parse to ask: the raw lines, empty ones skipped as the parser skips them.
                let raw = &self.request_raw.stored;
                let line = raw
                    .split(|&b| b == b'\n')
                    .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
                    .find(|line| !line.is_empty())
                    .unwrap_or_default();
                escape_bytes(line)
            }
        }
    }

    /// Record that something went wrong: `rule` is its stable id, `message` the sentence.
    pub fn fail(&mut self, rule: &'static str, message: impl Into<String>) {
        self.errors.push(Failure {
            rule,
            message: message.into(),
        });
    }

    /// Add a finding of `rule`.
    pub fn check(&mut self, rule: &'static crate::checks::Rule, message: String) {
        self.checks.push(Check::new(rule, message));
    }

    /// The record as one JSON object, with the field names the README's "The record" lists:
    /// tests and lessons read them, so they are added to, never renamed.
    pub fn to_json(&self) -> Value {
        // A struct of strings, numbers and lists always serialises: Null is unreachable.
        serde_json::to_value(crate::record::Record::from(self)).unwrap_or(Value::Null)
    }
}

/// One thing that went wrong in an exchange. Like a finding, it carries a stable rule id
/// (`host-invalid`, `app-raised`, `client-gone`...), so that tests and tools match the rule and
/// not the words; the sentence is for people. The ids of refused requests are written beside
/// each rule in [`crate::request`]; those of the server and the app, where they are recorded
/// ([`crate::server`], [`crate::result`], [`crate::response`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule: &'static str,
    pub message: String,
}

/// Bytes as readable text: printable ASCII as itself, `\r` `\n` `\t` `\\` escaped, every other
/// byte (controls, and everything ≥ 0x80) as `\xNN`. Nothing is lost: the text maps back to the
/// bytes.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// What the server tells a live consumer while an exchange is under way.
#[derive(Debug, Clone)]
pub enum Event {
    /// A request began (its first byte arrived); its exchange has this id, and this place on
    /// its connection.
    Accepted {
        id: u64,
        client: SocketAddr,
        at: DateTime<Local>,
        connection: OnConnection,
    },
    /// More request bytes arrived (only the new ones), and what the server now waits for.
    RequestBytes {
        id: u64,
        bytes: Vec<u8>,
        waiting_for: Waiting,
    },
    /// The request line was parsed.
    RequestLine {
        id: u64,
        method: String,
        target: String,
    },
    /// A phase is about to start. In step mode this is where the server pauses: it asks
    /// [`Observer::holds`] until the class says "go", reading other clients meanwhile.
    PhaseStarted { id: u64, phase: Phase },
    /// `get_environ` is done: the environ the app is about to receive, as `(key, repr)` pairs.
    EnvironBuilt {
        id: u64,
        environ: Vec<(String, String)>,
    },
    /// The app call returned (the body is not sent yet): the start_response calls made so far,
    /// and `repr()` of what the app returned (or the exception it raised), cut to
    /// [`MAX_RESULT_REPR`] characters.
    AppReturned {
        id: u64,
        start_response: Vec<StartResponseCall>,
        result: String,
    },
    /// The exchange is over: the full record.
    Finished(Box<Exchange>),
    /// A line not tied to an exchange: a server note, or app output at import time.
    Output(OutputLine),
}

impl Event {
    /// The exchange the event is about; None for a line not tied to one.
    pub fn id(&self) -> Option<u64> {
        match self {
            Event::Accepted { id, .. }
            | Event::RequestBytes { id, .. }
            | Event::RequestLine { id, .. }
            | Event::PhaseStarted { id, .. }
            | Event::EnvironBuilt { id, .. }
            | Event::AppReturned { id, .. } => Some(*id),
            Event::Finished(exchange) => Some(exchange.id),
            Event::Output(_) => None,
        }
    }
}

/// What the server is waiting for while it reads a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The request line or more header lines, up to the blank line that ends the head.
    Head,
    /// This many more body bytes (Content-Length).
    Body(u64),
    /// The next chunk of a chunked body.
    Chunk,
    /// Its turn: the request is complete, and waits while the app serves the one ahead of it
    /// (one request at a time).
    Turn,
    /// Step mode: its bytes are kept, unparsed, until the class has walked through the request
    /// ahead of it.
    Held,
    /// Nothing: the request is complete.
    Nothing,
}

impl std::fmt::Display for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Waiting::Head => f.write_str("the blank line that ends the headers"),
            Waiting::Body(n) => write!(f, "{n} more body bytes"),
            Waiting::Chunk => f.write_str("the next chunk of the chunked body"),
            Waiting::Turn => f.write_str("its turn: queued behind the request the app is serving"),
            Waiting::Held => f.write_str(
                "its turn in step mode: its bytes are kept, unparsed, until the class is done \
                 with the request ahead",
            ),
            Waiting::Nothing => f.write_str("nothing: the request is complete"),
        }
    }
}

/// Something that receives the server's events: the text log, the JSON log, the inspector.
///
/// The server calls it on its own thread and does not wait for it beyond the call, so an
/// implementation must be quick (a log line, or a channel send).
pub trait Observer {
    /// Whether the live events (everything but [`Event::Finished`] and [`Event::Output`]) are
    /// wanted. The headless logs say no, which spares the server copying bytes for them.
    fn wants_live(&self) -> bool {
        false
    }

    /// Whether [`Event::EnvironBuilt`] and [`Event::AppReturned`] are wanted: copies of the
    /// environ and the start_response calls before the record is finished. The inspector asks
    /// for them in step mode, where the class looks at what each phase produced, and while
    /// requests come at a person's pace, where a slow app's environ then shows while it runs;
    /// under load the finished record brings them, and the server spares the copies
    /// (measured: sent for every request under load, they halved its requests per second).
    fn wants_progress(&self) -> bool {
        false
    }

    /// One event.
    fn on_event(&mut self, event: Event);

    /// Whether step mode is on: then a new request waits for the class before it is parsed.
    fn is_stepping(&self) -> bool {
        false
    }

    /// Whether the server must still wait before the phase of exchange `id` it announced
    /// last (step mode: the class has not said go). The server asks again and again, reading
    /// other connections in between; it never blocks in here.
    fn holds(&self, _id: u64) -> bool {
        false
    }

    /// The server goes on with the phase of exchange `id` it announced last.
    fn passed(&mut self, _id: u64) {}

    /// How many connections are open and idle changed.
    fn on_connections(&mut self, _counts: ConnectionCounts) {}
}

/// The connections the event loop holds, for a live view's header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Open now: being read, queued, or closing.
    pub open: u64,
    /// Open and silent so far (a browser's spare socket, a telnet not typed into yet).
    pub idle: u64,
    /// Closed before they sent a byte, since the start.
    pub closed_idle: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_bytes_shows_line_ends_and_non_ascii() {
        assert_eq!(
            escape_bytes(b"GET / HTTP/1.1\r\n\x00\xe9\\"),
            "GET / HTTP/1.1\\r\\n\\x00\\xe9\\\\"
        );
    }

    #[test]
    fn capped_bytes_counts_everything_but_stores_the_cap() {
        let mut c = CappedBytes::default();
        c.push(&vec![b'a'; MAX_STORED_BYTES - 1]);
        c.push(b"bcd");
        assert_eq!(c.stored.len(), MAX_STORED_BYTES);
        assert_eq!(c.total, MAX_STORED_BYTES as u64 + 2);
        assert_eq!(c.cut(), 2);
    }
}
